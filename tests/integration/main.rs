//! Integration tests, one module per subject.

mod cli;
mod common;
mod determinism;
mod equivalence;
mod experiments;
mod faults;
mod observation;
mod scenarios;
mod sweep;
