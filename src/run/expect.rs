//! Checking a scenario's expectations against the end of a run.

use serde::Serialize;

use super::metrics::MetricsRow;
use crate::scenario::Expectation;

/// An expectation and whether it held.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExpectationResult {
    /// The expectation as written.
    pub name: String,
    /// The measured value.
    pub value: Option<f64>,
    /// Whether it held.
    pub passed: bool,
}

impl Expectation {
    /// Checks the expectation against the metrics of a finished run (the last row is the end).
    pub fn check(&self, metrics: &[MetricsRow]) -> ExpectationResult {
        let last = metrics.last().expect("a run has its initial row");
        let (value, passed) = match *self {
            Expectation::FinalTestAccuracy { at_least } => (
                last.test_accuracy,
                last.test_accuracy.is_some_and(|a| a >= at_least),
            ),
            Expectation::FinalTestLoss { at_most } => {
                (Some(last.test_loss), last.test_loss <= at_most)
            }
            Expectation::FinalTestR2 { at_least } => (Some(last.test_r2), last.test_r2 >= at_least),
        };
        ExpectationResult {
            name: self.name(),
            value,
            passed,
        }
    }
}
