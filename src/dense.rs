//! The dense reference trainer: the same network, samples, order and rule as the event simulation,
//! computed on matrices and without messages.
//!
//! It is the oracle of the equivalence tests (under E1–E3 the event engine must match it to
//! rounding) and the speed baseline. The pieces:
//!
//! * [`Network`] — the parameters as block matrices (one per pair of connected layers, a 0/1 mask
//!   where synapses are missing) and the forward pass that the trainer, evaluation
//!   ([`crate::evaluate`]) and gradient alignment ([`crate::alignment`]) share;
//! * [`Products`] — the three matrix products, either portable (nalgebra, one sample at a time,
//!   the same bits on every machine) or faer's GEMM over a whole batch;
//! * [`DenseTrainer`] — batches, the rule's scales and the steps; every buffer is sized for a
//!   full batch up front, so training allocates nothing per sample or batch;
//! * [`reference`](mod@reference) — [`reference::PlainTrainer`], the slow twin: one sample and one synapse at a
//!   time, written to be obviously right, that the tests hold the fast trainer to.

mod network;
mod products;
pub mod reference;
mod trainer;

pub use network::{Batch, Network};
pub use products::Products;
pub use trainer::DenseTrainer;
