//! neuragent: neural networks as societies of attention-seeking neuron agents.
#![warn(missing_docs)]

pub mod data;
pub mod rng;
pub mod scenario;
