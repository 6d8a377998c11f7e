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
    /// How the learning rate changes over each task (over the run, without `Tasks` data). Default
    /// `Constant`.
    #[serde(default)]
    pub lr_schedule: RateSchedule,
    /// Whether every neuron starts each task of `Tasks` data with a fresh optimizer state (its
    /// momentum zeroed), as a new optimizer per task would. Default `true`; without `Tasks` data
    /// there is no task boundary and it changes nothing.
    #[serde(default = "default_true")]
    pub fresh_optimizer: bool,
}

/// The learning rate over a task: the optimizer's `lr` times a factor that depends on how far into
/// the task the update is. The schedule restarts with every task of `Tasks` data; without tasks the
/// whole run is one task. An update's rate is that of the latest (in schedule order) of the samples
/// it learned from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RateSchedule {
    /// The optimizer's `lr` throughout.
    #[default]
    Constant,
    /// `lr · factor^⌊e / every⌋`, with `e` the epoch of the task (from 0) the sample is in.
    StepDecay {
        /// Epochs between two decays, at least 1.
        every: usize,
        /// The factor applied at each decay, in (0, 1].
        factor: f64,
    },
    /// `lr` for the first half of each task's samples, `lr · factor` from the middle on: a sample
    /// at offset `q` into a task of `L` samples (`epochs ×` its training samples) is in the second
    /// half when `2q ≥ L`. `Halfway(factor: 0.1)` is "divide the rate by 10 halfway through each
    /// task".
    Halfway {
        /// The factor of the second half, in (0, 1].
        factor: f64,
    },
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

fn default_true() -> bool {
    true
}
fn default_one() -> usize {
    1
}
fn default_epochs() -> usize {
    10
}
