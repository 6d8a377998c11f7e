//! Neurons and layers named by position, as faults and link overrides name them.

use serde::{Deserialize, Serialize};

/// A neuron, by layer and position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum NeuronRef {
    /// Input neuron `i` (feature `i`).
    Input(usize),
    /// Neuron `index` of hidden layer `layer` (0-based, input side first).
    Hidden {
        /// Hidden layer.
        layer: usize,
        /// Position in the layer.
        index: usize,
    },
    /// Output neuron `i`.
    Output(usize),
}

/// A layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerRef {
    /// The input layer.
    Input,
    /// Hidden layer `l` (0-based).
    Hidden(usize),
    /// The output layer.
    Output,
}
