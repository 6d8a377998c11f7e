//! neuragent: neural networks as societies of attention-seeking neuron agents.
#![warn(missing_docs)]

mod activation;
pub mod cli;
pub mod data;
pub mod dense;
pub mod engine;
pub mod evaluate;
mod loss;
pub mod output;
pub mod plot;
pub mod rng;
pub mod rule;
pub mod run;
pub mod scenario;
pub mod topology;
pub mod trainer;
