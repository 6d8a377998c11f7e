//! The `evaluation`, `expect` and `check` fields: when the run is evaluated, what it must reach, and
//! how often over seeds.

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
    /// The test loss falls to at most `1/factor` of the untrained network's at some checkpoint
    /// within the first `within_samples` training samples. Its value is the best ratio reached
    /// (untrained loss / loss).
    LossDecrease {
        /// How many times smaller the loss must get, > 1.
        factor: f64,
        /// Training samples it may take, ≥ 1.
        within_samples: u64,
    },
    /// The mean over layers of the final gradient alignment (cosine with the backprop gradient) is
    /// at least this; needs `evaluation: (gradient_alignment: true)`.
    AlignmentWithBackprop {
        /// Threshold, in [-1, 1].
        at_least: f64,
    },
    /// No loss, score or final weight is ever NaN or infinite, and the run did not stop at a
    /// divergence. Its value is the number of non-finite values seen.
    NoDivergence,
}

/// How `neuragent check` judges a scenario over many seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Smallest fraction of seeds on which every expectation must hold, in [0, 1]. Default `1.0`.
    #[serde(default = "default_min_pass_rate")]
    pub min_pass_rate: f64,
}

impl Default for CheckSpec {
    fn default() -> Self {
        CheckSpec {
            min_pass_rate: default_min_pass_rate(),
        }
    }
}

fn default_min_pass_rate() -> f64 {
    1.0
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
            Expectation::LossDecrease {
                factor,
                within_samples,
            } => format!("LossDecrease(factor: {factor}, within_samples: {within_samples})"),
            Expectation::AlignmentWithBackprop { at_least } => {
                format!("AlignmentWithBackprop(at_least: {at_least})")
            }
            Expectation::NoDivergence => "NoDivergence".to_string(),
        }
    }
}

fn default_one() -> usize {
    1
}
