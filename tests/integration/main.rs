//! Integration tests, one module per subject.

mod cli;
mod common;
mod dense;
mod determinism;
mod equivalence;
mod faults;
mod observation;
mod scenarios;
