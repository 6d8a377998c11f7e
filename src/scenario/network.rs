//! The `network` field: hidden layers, activation, output layer and connectivity.

use serde::{Deserialize, Serialize};

/// Shape of the network: input and output widths come from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Widths of the hidden layers, input side first; each at least 1. May be empty.
    pub hidden: Vec<usize>,
    /// Activation of every hidden neuron.
    pub activation: Activation,
    /// Output layer and task loss.
    pub output: OutputKind,
    /// Which synapses between connected layers exist. Default `Dense`.
    #[serde(default)]
    pub connectivity: Connectivity,
    /// When `true` every layer also feeds every later layer, not just the next one. Default `false`.
    #[serde(default)]
    pub skip: bool,
}

/// Activation function of hidden neurons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// Rectified linear unit (derivative 0 at 0).
    Relu,
    /// The identity.
    Identity,
}

/// Output layer: output neurons are linear; the loss agent applies the task loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputKind {
    /// Softmax over the outputs with cross-entropy loss (classification).
    Softmax,
    /// Linear outputs with squared-error loss `½‖x − y‖²` (regression, or one-hot targets).
    Linear,
}

/// Synapses between two connected layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Connectivity {
    /// Every neuron of the source layer feeds every neuron of the target layer.
    #[default]
    Dense,
    /// Each possible synapse exists with probability `density` in (0, 1], drawn from the topology
    /// stream; every neuron keeps at least one input and one output.
    Sparse {
        /// Probability that a synapse exists.
        density: f64,
    },
}
