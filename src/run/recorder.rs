//! The observer of a run: at every checkpoint it evaluates the network on the test split and closes
//! a window of gradient alignment; it reads the run's state and changes nothing.

use super::metrics::MetricsRow;
use crate::alignment::Alignment;
use crate::data::Split;
use crate::evaluate::{Evaluator, Scores};
use crate::topology::Params;
use crate::trainer::{Checkpoint, Kind, Observer};

/// Evaluates and measures alignment at checkpoints, one [`MetricsRow`] each.
pub(crate) struct Recorder<'a> {
    pub evaluator: Evaluator<'a>,
    pub test: &'a Split,
    pub alignment: Option<Alignment<'a>>,
    pub train_len: f64,
    pub metrics: Vec<MetricsRow>,
}

impl Recorder<'_> {
    /// The row of checkpoint `c`.
    pub fn row(&mut self, c: &Checkpoint<'_>) -> MetricsRow {
        let scores: Scores = self.evaluator.evaluate(c.params, self.test);
        MetricsRow {
            samples_seen: c.samples_seen,
            epoch: c.samples_seen as f64 / self.train_len,
            sim_ticks: c.sim_ticks,
            train_loss: c.train_loss,
            test_loss: scores.loss,
            test_accuracy: scores.accuracy,
            test_r2: scores.r2,
            messages: c.messages.total(),
            attention: c.messages.kind(Kind::Attention),
            staleness_mean: c.staleness.mean(),
            neurons_down: c.neurons_down,
            alignment: match &mut self.alignment {
                Some(a) => a.close_window(c.params),
                None => Vec::new(),
            },
        }
    }
}

impl Observer for Recorder<'_> {
    fn checkpoint(&mut self, c: &Checkpoint<'_>) {
        let row = self.row(c);
        self.metrics.push(row);
    }

    fn wants_samples(&self) -> bool {
        self.alignment.is_some()
    }

    fn sample_loss(&mut self, sample: usize, params: &Params) {
        if let Some(a) = &mut self.alignment {
            a.add_sample(sample, params);
        }
    }
}
