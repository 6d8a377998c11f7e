//! The `learning` field: the rule neurons follow, the optimizer, the schedule and the engine.

use serde::{Deserialize, Serialize};

/// Learning rule, optimizer and schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningSpec {
    /// The rule neurons follow.
    pub rule: RuleSpec,
    /// The optimizer each neuron applies locally to its own weights. Default `Sgd(lr: 0.01)`.
    #[serde(default)]
    pub optimizer: OptimizerSpec,
    /// Samples a neuron accumulates before applying its update. Default `1`.
    #[serde(default = "default_one")]
    pub batch_size: usize,
    /// Passes over the training split. Default `10`.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Samples in the network at once. Default `1`.
    #[serde(default = "default_one")]
    pub in_flight: usize,
    /// `Events` (simulate every message) or `Dense` (reference trainer); `Some(..)` may be omitted.
    /// Default: `Dense` for `Backprop`, `Events` for every other rule.
    #[serde(default)]
    pub engine: Option<Engine>,
}

/// Learning rules (`docs/method.md` derives them).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RuleSpec {
    /// Exact attention: `a = w · d`; equals backprop under E1–E4.
    Attention,
    /// The authors' greedy rule: every neuron's step has norm `lr`, attention scaled by `1/‖g‖`.
    GreedyAttention,
    /// Attention paid through fixed random feedback weights (feedback alignment).
    FeedbackAlignment,
    /// Plain backprop; runs on the dense engine only.
    Backprop,
    /// Exact attention where a neuron uses its estimate of a downstream neighbour's attention when
    /// the message is missing or late, and a downstream neuron sends only when `send` says so.
    EstimatedAttention {
        /// How the estimate follows the attention received.
        estimator: Estimator,
        /// When a neuron sends attention.
        send: SendPolicy,
        /// The step the neuron takes. Default `Gradient`.
        #[serde(default)]
        step: Step,
    },
}

/// A neuron's estimate of the attention a downstream neighbour pays it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Estimator {
    /// The last value received.
    LastValue,
    /// Exponential moving average `e ← decay·e + (1 − decay)·a` (the first value received starts it).
    Ema {
        /// Weight of the old estimate, in [0, 1).
        decay: f64,
    },
}

/// When a downstream neuron sends the attention it pays.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum SendPolicy {
    /// Every sample.
    Always,
    /// Every k-th sample the neuron credits (k ≥ 1).
    EveryK(u32),
    /// Only when the attention differs from the last value sent on that synapse by more than this.
    Threshold(f64),
}

/// The step a neuron of `EstimatedAttention` takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Plain gradient step, as `Attention`.
    #[default]
    Gradient,
    /// The equal-norm step of `GreedyAttention`.
    Greedy,
}

/// Which trainer runs the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Engine {
    /// The discrete-event simulation of neuron agents.
    Events,
    /// The dense `nalgebra` reference trainer (no messages).
    Dense,
    /// The plain reference event simulator: one queue entry per message, no fast paths. The same
    /// results as `Events`, much slower; for checking the fast engine.
    Reference,
}

/// Optimizer applied by each neuron to the weights it owns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum OptimizerSpec {
    /// Stochastic gradient ascent on the neuron's objective (descent on the loss):
    /// `v ← momentum·v + step; w ← w + lr·v`.
    Sgd {
        /// Learning rate, > 0.
        lr: f64,
        /// Momentum in [0, 1). Default `0.0`.
        #[serde(default)]
        momentum: f64,
    },
}

impl Default for OptimizerSpec {
    fn default() -> Self {
        OptimizerSpec::Sgd {
            lr: 0.01,
            momentum: 0.0,
        }
    }
}

fn default_one() -> usize {
    1
}
fn default_epochs() -> usize {
    10
}
