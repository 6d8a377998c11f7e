//! Integration tests, one module per subject.

mod cli;
mod common;
mod dense;
mod determinism;
mod differential;
mod equivalence;
mod experiments;
mod faults;
mod golden;
mod hostile;
mod observation;
mod outputs;
mod scenarios;
mod seeds;
mod sweep;
mod validate;
