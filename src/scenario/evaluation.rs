//! The `evaluation` and `expect` fields: when the run is evaluated and what it must reach.

use serde::{Deserialize, Serialize};

/// When the run is evaluated on the test split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSpec {
    /// Evaluations per epoch, evenly spaced in samples (≥ 1). Default `1`. The untrained network is
    /// always evaluated too.
    #[serde(default = "default_one")]
    pub per_epoch: usize,
    /// Measure gradient alignment: per layer, the cosine between the update the agents applied over
    /// each checkpoint window and the backprop gradient at the weights each sample met. Costs about one
    /// extra forward and backward pass per sample. Default `false`.
    #[serde(default)]
    pub gradient_alignment: bool,
}

impl Default for EvaluationSpec {
    fn default() -> Self {
        EvaluationSpec {
            per_epoch: 1,
            gradient_alignment: false,
        }
    }
}

/// A condition on the final result.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Expectation {
    /// Final test accuracy (fraction in [0, 1]) at least this.
    FinalTestAccuracy {
        /// Threshold.
        at_least: f64,
    },
    /// Final mean test loss at most this.
    FinalTestLoss {
        /// Threshold.
        at_most: f64,
    },
    /// Final coefficient of determination on the test split at least this.
    FinalTestR2 {
        /// Threshold.
        at_least: f64,
    },
}

impl Expectation {
    /// Short name used in `summary.json`.
    pub fn name(&self) -> String {
        match self {
            Expectation::FinalTestAccuracy { at_least } => {
                format!("FinalTestAccuracy(at_least: {at_least})")
            }
            Expectation::FinalTestLoss { at_most } => format!("FinalTestLoss(at_most: {at_most})"),
            Expectation::FinalTestR2 { at_least } => format!("FinalTestR2(at_least: {at_least})"),
        }
    }
}

fn default_one() -> usize {
    1
}
