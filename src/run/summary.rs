//! The content of `summary.json`, as data.

use serde::Serialize;

use super::expect::ExpectationResult;
use super::forgetting::TaskSummary;
use crate::trainer::{Kind, MessageCount, MessageStats, Staleness};

/// Message counts of one layer's synapses (the layer that owns them).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerMessages {
    /// The layer, as scenarios name it: `Hidden(0)` is the first hidden layer; `Output`.
    pub layer: String,
    /// Forward messages into the layer.
    pub forward: MessageCount,
    /// Attention messages paid by the layer.
    pub attention: MessageCount,
    /// Messages between the layer and the loss agent (output layer only).
    pub loss: MessageCount,
}

/// Message totals as written in `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageSummary {
    /// Forward (activation) messages.
    pub forward: MessageCount,
    /// Attention messages.
    pub attention: MessageCount,
    /// Messages to and from the loss agent.
    pub loss: MessageCount,
    /// All kinds.
    pub total: MessageCount,
    /// Messages still travelling when the run ended. `sent = delivered + dropped + in_flight_at_end`.
    pub in_flight_at_end: u64,
    /// Bytes sent: 16 per message (a sample id and a value, 8 bytes each).
    pub bytes: u64,
    /// Counts per layer.
    pub by_layer: Vec<LayerMessages>,
}

/// Bytes on the wire per message: sample id and value.
pub const MESSAGE_BYTES: u64 = 16;

impl MessageSummary {
    /// The totals of `m`, with `in_flight_at_end` messages still travelling.
    pub fn new(m: &MessageStats, in_flight_at_end: u64) -> Self {
        let total = m.total();
        MessageSummary {
            forward: m.kind(Kind::Forward),
            attention: m.kind(Kind::Attention),
            loss: m.kind(Kind::Loss),
            total,
            in_flight_at_end,
            bytes: total.sent * MESSAGE_BYTES,
            by_layer: (1..m.layers())
                .map(|l| {
                    let [forward, attention, loss] = m.layer(l);
                    LayerMessages {
                        layer: if l + 1 == m.layers() {
                            "Output".to_string()
                        } else {
                            format!("Hidden({})", l - 1)
                        },
                        forward,
                        attention,
                        loss,
                    }
                })
                .collect(),
        }
    }
}

/// The content of `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub name: String,
    /// Seed used.
    pub seed: u64,
    /// Learning rule, as the scenario writes it (RON).
    pub rule: String,
    /// Engine that ran, as the scenario writes it.
    pub engine: String,
    /// Every setting of the resolved scenario, as a JSON structure (the content of `resolved.ron`).
    pub settings: serde_json::Value,
    /// The files the run read (a CSV data file), with their SHA-256.
    pub inputs: Vec<super::inputs::InputFile>,
    /// Dataset name.
    pub dataset: String,
    /// Neurons, inputs included.
    pub neurons: usize,
    /// Synapses.
    pub synapses: usize,
    /// Layers, the input and output layers included.
    pub layers: usize,
    /// Final test accuracy (classification only).
    pub final_test_accuracy: Option<f64>,
    /// Final mean test loss.
    pub final_test_loss: f64,
    /// Final test R² (regression only, when defined).
    pub final_test_r2: Option<f64>,
    /// Mean training loss over the last checkpoint window.
    pub final_train_loss: Option<f64>,
    /// For `Tasks` data: the tasks and the matrix `R` of test scores (`null` otherwise).
    pub tasks: Option<TaskSummary>,
    /// Mean test accuracy of the final model over the tasks (`null` without tasks).
    pub average_accuracy: Option<f64>,
    /// Mean test accuracy on each task just after it was trained (`null` without tasks).
    pub learning_accuracy: Option<f64>,
    /// Mean over the tasks before the last of the final accuracy minus the accuracy just after
    /// training the task (`null` without tasks, or with one).
    pub backward_transfer: Option<f64>,
    /// Accuracy on the first task after it was trained minus at the end (`null` without tasks).
    pub first_task_drop: Option<f64>,
    /// Training samples completed.
    pub samples_seen: usize,
    /// Simulated time at the end, in ticks.
    pub sim_ticks: u64,
    /// Events processed.
    pub events: u64,
    /// Wall-clock time of the training and evaluation, in seconds (the only non-reproducible field).
    pub wall_seconds: f64,
    /// Message totals.
    pub messages: MessageSummary,
    /// Staleness of attention (updates between a sample's forward pass and its attention).
    pub staleness: StalenessSummary,
    /// Sum over neurons of the ticks each spent crashed.
    pub crashed_neuron_ticks: u64,
    /// Samples whose outputs never reached the loss agent.
    pub samples_without_loss: u64,
    /// Gradient alignment of the last window, per layer (empty when not measured).
    pub final_alignment: Vec<Option<f64>>,
    /// Things the user should know about the run (neurons down at the end, samples never learned
    /// from, non-finite results).
    pub warnings: Vec<String>,
    /// Where training stopped because a loss was not finite (`null` when it did not).
    pub diverged: Option<Diverged>,
    /// Each expectation with its value.
    pub expectations: Vec<ExpectationResult>,
    /// Whether every expectation held.
    pub passed: bool,
}

/// Where and why a run diverged, as `summary.json` writes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diverged {
    /// Schedule position of the sample whose loss was not finite.
    pub position: usize,
    /// That sample, as an index into the training split.
    pub sample: usize,
    /// The first neuron with a weight or bias that is not finite, named as in scenarios.
    pub neuron: Option<String>,
    /// What to try.
    pub hint: String,
}

/// Staleness figures of `summary.json`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StalenessSummary {
    /// Mean over attention payments.
    pub mean: f64,
    /// Largest.
    pub max: u64,
}

impl From<Staleness> for StalenessSummary {
    fn from(s: Staleness) -> Self {
        StalenessSummary {
            mean: s.mean(),
            max: s.max,
        }
    }
}
