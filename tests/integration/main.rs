//! Integration tests, one module per subject.

mod cli;
mod common;
mod convergence;
mod dense;
mod determinism;
mod differential;
mod equivalence;
mod experiments;
mod faults;
mod golden;
mod hostile;
mod invariants;
mod observation;
mod outputs;
mod replay;
mod scenarios;
mod seeds;
mod sweep;
mod tasks;
mod validate;
