//! The rows of `metrics.csv`: the state of a run at each checkpoint, and the file's columns.

use crate::trainer::MessageCount;

/// One row of `metrics.csv`: the state of the run at a checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsRow {
    /// Training samples completed.
    pub samples_seen: usize,
    /// Epochs completed (fractional between epoch ends).
    pub epoch: f64,
    /// Simulated time, in ticks.
    pub sim_ticks: u64,
    /// Mean training loss since the previous checkpoint (empty before training).
    pub train_loss: Option<f64>,
    /// Mean test loss.
    pub test_loss: f64,
    /// Test accuracy (classification only).
    pub test_accuracy: Option<f64>,
    /// Test R².
    pub test_r2: f64,
    /// Messages so far, all kinds.
    pub messages: MessageCount,
    /// Attention messages so far.
    pub attention: MessageCount,
    /// Mean staleness of attention so far.
    pub staleness_mean: f64,
    /// Neurons down at the checkpoint.
    pub neurons_down: usize,
    /// Gradient alignment of the window ending here, per layer `1..` (empty when not measured).
    pub alignment: Vec<Option<f64>>,
}

impl MetricsRow {
    /// Column names of `metrics.csv`, with one alignment column per layer when measured.
    pub fn header(alignment_layers: usize) -> Vec<String> {
        let mut h: Vec<String> = [
            "samples_seen",
            "epoch",
            "sim_ticks",
            "train_loss",
            "test_loss",
            "test_accuracy",
            "test_r2",
            "messages_sent",
            "messages_delivered",
            "messages_dropped",
            "messages_late",
            "attention_sent",
            "attention_suppressed",
            "staleness_mean",
            "neurons_down",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        h.extend((1..=alignment_layers).map(|l| format!("alignment_layer{l}")));
        h
    }

    /// The row's fields, formatted (shortest round-trip decimal; empty for none).
    pub fn record(&self) -> Vec<String> {
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let mut r = vec![
            self.samples_seen.to_string(),
            self.epoch.to_string(),
            self.sim_ticks.to_string(),
            opt(self.train_loss),
            self.test_loss.to_string(),
            opt(self.test_accuracy),
            self.test_r2.to_string(),
            self.messages.sent.to_string(),
            self.messages.delivered.to_string(),
            self.messages.dropped.to_string(),
            self.messages.late.to_string(),
            self.attention.sent.to_string(),
            self.attention.suppressed.to_string(),
            self.staleness_mean.to_string(),
            self.neurons_down.to_string(),
        ];
        r.extend(self.alignment.iter().map(|&a| opt(a)));
        r
    }
}
