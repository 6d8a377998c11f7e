//! The rows of `metrics.csv`: the state of a run at each checkpoint, and the file's columns.
//!
//! The columns are the same for every run of a network, whatever the engine and what is measured:
//! a cell that does not apply is empty (no ticks or messages on the dense engine, no accuracy for a
//! regression, no R² for a classification, no alignment unless measured), never `NaN`. Counts are
//! cumulative from the start of the run (`_total`); losses are means over a window. `docs/outputs.md`
//! is the column reference. Layers are named as scenarios name them: `hidden0` is `Hidden(0)`.

use crate::trainer::{Kind, MessageStats, Staleness};

/// One row of `metrics.csv`: the state of the run at a checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsRow {
    /// Training samples completed.
    pub samples_seen: usize,
    /// Epochs completed (fractional between epoch ends).
    pub epoch: f64,
    /// Simulated time, in ticks (`None` on the dense engine).
    pub sim_ticks: Option<u64>,
    /// Mean training loss of the samples whose loss was computed since the previous checkpoint
    /// (`None` before training).
    pub train_loss: Option<f64>,
    /// Mean loss on the test split.
    pub test_loss: f64,
    /// Test accuracy (classification only).
    pub test_accuracy: Option<f64>,
    /// Test R² (regression only, when defined).
    pub test_r2: Option<f64>,
    /// Messages so far by kind and layer (`None` on the dense engine).
    pub messages: Option<MessageStats>,
    /// Staleness of attention so far (`None` on the dense engine).
    pub staleness: Option<Staleness>,
    /// Neurons down at the checkpoint (`None` on the dense engine).
    pub neurons_down: Option<usize>,
    /// Sum over neurons of the ticks each has spent down so far (`None` on the dense engine).
    pub crashed_neuron_ticks: Option<u64>,
    /// Synapses cut at the checkpoint (`None` on the dense engine).
    pub synapses_cut: Option<usize>,
    /// Sum over synapses of the ticks each has spent cut so far (`None` on the dense engine).
    pub cut_synapse_ticks: Option<u64>,
    /// Gradient alignment of the window ending here, per layer after the inputs (empty when not
    /// measured).
    pub alignment: Vec<Option<f64>>,
}

/// A cell: the value, or empty for none or a value that is not a finite number.
fn cell(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => v.to_string(),
        _ => String::new(),
    }
}

/// The name of layer `l` of a network with `layers` layers (inputs are layer 0) in column names.
pub fn layer_name(l: usize, layers: usize) -> String {
    if l + 1 == layers {
        "output".to_string()
    } else {
        format!("hidden{}", l - 1)
    }
}

impl MetricsRow {
    /// Column names of `metrics.csv` for a network of `layers` layers (inputs included).
    pub fn header(layers: usize) -> Vec<String> {
        let mut h: Vec<String> = [
            "name",
            "seed",
            "samples_seen",
            "epoch",
            "sim_ticks",
            "train_loss",
            "test_loss",
            "test_accuracy",
            "test_r2",
            "messages_sent_total",
            "messages_dropped_total",
            "messages_late_total",
            "messages_suppressed_total",
            "forward_sent_total",
            "attention_sent_total",
            "loss_messages_sent_total",
            "staleness_mean",
            "neurons_down",
            "crashed_neuron_ticks_total",
            "synapses_cut",
            "cut_synapse_ticks_total",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        h.extend((1..layers).map(|l| format!("alignment_{}", layer_name(l, layers))));
        h
    }

    /// The row's cells for the run `name` with `seed` in a network of `layers` layers (shortest
    /// round-trip decimals; empty where nothing applies).
    pub fn record(&self, name: &str, seed: u64, layers: usize) -> Vec<String> {
        let count = |f: &dyn Fn(&MessageStats) -> u64| {
            self.messages
                .as_ref()
                .map_or(String::new(), |m| f(m).to_string())
        };
        let mut r = vec![
            name.to_string(),
            seed.to_string(),
            self.samples_seen.to_string(),
            cell(Some(self.epoch)),
            self.sim_ticks.map_or(String::new(), |t| t.to_string()),
            cell(self.train_loss),
            cell(Some(self.test_loss)),
            cell(self.test_accuracy),
            cell(self.test_r2),
            count(&|m| m.total().sent),
            count(&|m| m.total().dropped),
            count(&|m| m.total().late),
            count(&|m| m.total().suppressed),
            count(&|m| m.kind(Kind::Forward).sent),
            count(&|m| m.kind(Kind::Attention).sent),
            count(&|m| m.kind(Kind::Loss).sent),
            cell(self.staleness.map(|s| s.mean())),
            self.neurons_down.map_or(String::new(), |n| n.to_string()),
            self.crashed_neuron_ticks
                .map_or(String::new(), |n| n.to_string()),
            self.synapses_cut.map_or(String::new(), |n| n.to_string()),
            self.cut_synapse_ticks
                .map_or(String::new(), |n| n.to_string()),
        ];
        r.extend((1..layers).map(|l| cell(self.alignment.get(l - 1).copied().flatten())));
        r
    }
}
