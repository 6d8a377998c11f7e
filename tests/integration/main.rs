//! Integration tests, one module per subject.

mod cli;
mod common;
mod determinism;
mod equivalence;
mod faults;
mod hostile;
mod observation;
mod scenarios;
mod validate;
