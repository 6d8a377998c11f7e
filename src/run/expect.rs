//! Checking a scenario's expectations against the end of a run.

use serde::Serialize;

use super::metrics::MetricsRow;
use crate::scenario::Expectation;
use crate::topology::Params;

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
    /// Checks the expectation against a finished run: its checkpoints (the last row is the end), its
    /// final parameters, and whether it stopped at a divergence.
    pub fn check(
        &self,
        metrics: &[MetricsRow],
        params: &Params,
        diverged: bool,
    ) -> ExpectationResult {
        let (value, passed) = self.outcome(metrics, params, diverged);
        ExpectationResult {
            name: self.name(),
            value,
            passed,
        }
    }

    fn outcome(
        &self,
        metrics: &[MetricsRow],
        params: &Params,
        diverged: bool,
    ) -> (Option<f64>, bool) {
        let last = metrics.last().expect("a run has its initial row");
        match *self {
            Expectation::FinalTestAccuracy { at_least } => (
                last.test_accuracy,
                last.test_accuracy.is_some_and(|a| a >= at_least),
            ),
            Expectation::FinalTestLoss { at_most } => {
                (Some(last.test_loss), last.test_loss <= at_most)
            }
            Expectation::FinalTestR2 { at_least } => {
                (last.test_r2, last.test_r2.is_some_and(|r| r >= at_least))
            }
            Expectation::LossDecrease {
                factor,
                within_samples,
            } => {
                let initial = metrics[0].test_loss;
                let best = metrics[1..]
                    .iter()
                    .filter(|r| r.samples_seen as u64 <= within_samples)
                    .map(|r| r.test_loss)
                    .filter(|l| l.is_finite())
                    .reduce(f64::min);
                let ratio = best.map(|b| initial / b).filter(|r| r.is_finite());
                (ratio, ratio.is_some_and(|r| r >= factor))
            }
            Expectation::AlignmentWithBackprop { at_least } => {
                let measured: Vec<f64> = last.alignment.iter().flatten().copied().collect();
                let mean = (!measured.is_empty())
                    .then(|| measured.iter().sum::<f64>() / measured.len() as f64);
                (mean, mean.is_some_and(|m| m >= at_least))
            }
            Expectation::NoDivergence => {
                // Non-finite values measured or held: the losses and scores of every row, and the
                // final parameters; a run stopped at a divergence counts one more.
                let bad = |v: f64| usize::from(!v.is_finite());
                let mut count: usize = metrics
                    .iter()
                    .map(|r| {
                        r.train_loss.map_or(0, bad)
                            + bad(r.test_loss)
                            + r.test_accuracy.map_or(0, bad)
                            + r.test_r2.map_or(0, bad)
                    })
                    .sum();
                count += params
                    .weights
                    .iter()
                    .chain(&params.biases)
                    .filter(|v| !v.is_finite())
                    .count();
                count += usize::from(diverged);
                (Some(count as f64), count == 0)
            }
        }
    }
}
