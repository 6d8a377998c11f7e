//! The `links` field: delays, drops, timeouts and per-link overrides.

use serde::{Deserialize, Serialize};

use super::{LayerRef, NeuronRef};

/// Link model: every synapse and the links between output neurons and the loss agent, with per-link
/// overrides for synapses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Delay of forward (activation) messages and of output values to the loss agent. Default
    /// `Constant(1)`.
    #[serde(default = "default_delay")]
    pub forward_delay: Delay,
    /// Delay of attention messages and of demands from the loss agent. Default `Constant(1)`.
    #[serde(default = "default_delay")]
    pub attention_delay: Delay,
    /// Probability that a message is dropped, both directions, in [0, 1]. Default `0.0`.
    #[serde(default)]
    pub drop_probability: f64,
    /// Drop probability of forward messages, overriding `drop_probability`. Default: none.
    #[serde(default)]
    pub forward_drop: Option<f64>,
    /// Drop probability of attention messages, overriding `drop_probability`. Default: none.
    #[serde(default)]
    pub attention_drop: Option<f64>,
    /// Ticks a neuron waits after the first message of a wave for a sample before it fires (forward) or
    /// learns (attention) with what it has. Default: none (wait for every message); required when
    /// messages can go missing (drops or faults).
    #[serde(default)]
    pub wait_timeout: Option<u64>,
    /// What a neuron uses for a forward input that is missing when it fires. Default `Zero`.
    #[serde(default)]
    pub missing_input: MissingInput,
    /// Per-link settings, applied in order (a later one wins for the fields it sets). Default: none.
    #[serde(default)]
    pub overrides: Vec<LinkOverride>,
}

impl Default for LinkSpec {
    fn default() -> Self {
        LinkSpec {
            forward_delay: default_delay(),
            attention_delay: default_delay(),
            drop_probability: 0.0,
            forward_drop: None,
            attention_drop: None,
            wait_timeout: None,
            missing_input: MissingInput::Zero,
            overrides: Vec::new(),
        }
    }
}

impl LinkSpec {
    /// Drop probability of forward messages.
    pub fn forward_drop_probability(&self) -> f64 {
        self.forward_drop.unwrap_or(self.drop_probability)
    }

    /// Drop probability of attention messages.
    pub fn attention_drop_probability(&self) -> f64 {
        self.attention_drop.unwrap_or(self.drop_probability)
    }
}

/// What a neuron uses for a missing forward input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingInput {
    /// Zero.
    #[default]
    Zero,
    /// The last value it used from that input (zero before the first).
    LastValue,
}

/// Settings for some synapses, overriding the global ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    /// Which synapses.
    pub link: LinkSelector,
    /// Forward delay on them. Default: unchanged.
    #[serde(default)]
    pub forward_delay: Option<Delay>,
    /// Attention delay on them. Default: unchanged.
    #[serde(default)]
    pub attention_delay: Option<Delay>,
    /// Forward drop probability on them. Default: unchanged.
    #[serde(default)]
    pub forward_drop: Option<f64>,
    /// Attention drop probability on them. Default: unchanged.
    #[serde(default)]
    pub attention_drop: Option<f64>,
}

/// A set of synapses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LinkSelector {
    /// The synapse from one neuron to another.
    Between {
        /// Source neuron.
        from: NeuronRef,
        /// Target neuron.
        to: NeuronRef,
    },
    /// Every synapse from one layer into another.
    Layers {
        /// Source layer.
        from: LayerRef,
        /// Target layer.
        to: LayerRef,
    },
}

/// A delay distribution in integer ticks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Delay {
    /// Always this many ticks (≥ 0).
    Constant(i64),
    /// Uniform over the integers `min..=max` (0 ≤ min ≤ max).
    Uniform {
        /// Smallest delay.
        min: i64,
        /// Largest delay.
        max: i64,
    },
    /// Exponential with this mean (> 0), rounded to the nearest tick.
    Exponential {
        /// Mean delay in ticks.
        mean: f64,
    },
    /// `exp(N(mu, sigma²))`, rounded to the nearest tick.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm (≥ 0).
        sigma: f64,
    },
}

fn default_delay() -> Delay {
    Delay::Constant(1)
}
