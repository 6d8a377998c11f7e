//! The observer of a run: at every checkpoint it evaluates the network on the test split (and, for
//! tasks, on each task's test samples) and closes a window of gradient alignment; it reads the run's
//! state and changes nothing.

use super::metrics::MetricsRow;
use super::RunProgress;
use crate::alignment::Alignment;
use crate::data::Split;
use crate::evaluate::{Evaluator, Scores};
use crate::topology::Params;
use crate::trainer::{Checkpoint, Observer, Schedule};

/// Evaluates and measures alignment at checkpoints, one [`MetricsRow`] each.
pub(crate) struct Recorder<'a> {
    pub evaluator: Evaluator<'a>,
    pub test: &'a Split,
    pub alignment: Option<Alignment<'a>>,
    pub train_len: f64,
    /// Whether the engine simulates messages and time (not the dense trainer).
    pub simulated: bool,
    /// Whether the task is a classification (accuracy) or a regression (R²).
    pub classification: bool,
    pub metrics: Vec<MetricsRow>,
    /// Told of every row (progress bars).
    pub progress: Option<&'a mut dyn FnMut(&RunProgress)>,
    pub samples_total: usize,
    /// For tasks trained one after another: the schedule (epochs are counted task by task) and,
    /// per checkpoint, each task's test score (accuracy, or R² for a regression).
    pub tasks: Option<&'a Schedule>,
    pub task_curve: Vec<(usize, Vec<f64>)>,
}

impl Recorder<'_> {
    /// Tells the progress hook, if any, of `row`.
    pub fn report_progress(&mut self, row: &MetricsRow) {
        if let Some(progress) = &mut self.progress {
            progress(&RunProgress {
                samples_seen: row.samples_seen,
                samples_total: self.samples_total,
                train_loss: row.train_loss,
                test_loss: row.test_loss,
            });
        }
    }

    /// The row of checkpoint `c`.
    pub fn row(&mut self, c: &Checkpoint<'_>) -> MetricsRow {
        let scores: Scores = self.evaluator.evaluate(c.params, self.test);
        let simulated = self.simulated;
        let epoch = match self.tasks {
            Some(schedule) => {
                let classification = self.classification;
                let by_task = self
                    .evaluator
                    .task_scores()
                    .iter()
                    .map(|s| match s.accuracy {
                        Some(a) if classification => a,
                        _ => s.r2,
                    })
                    .collect();
                self.task_curve.push((c.samples_seen, by_task));
                schedule.epochs_at(c.samples_seen)
            }
            None => c.samples_seen as f64 / self.train_len,
        };
        MetricsRow {
            samples_seen: c.samples_seen,
            epoch,
            sim_ticks: simulated.then_some(c.sim_ticks),
            train_loss: c.train_loss,
            test_loss: scores.loss,
            test_accuracy: scores.accuracy.filter(|_| self.classification),
            test_r2: Some(scores.r2).filter(|r| !self.classification && r.is_finite()),
            messages: simulated.then(|| c.messages.clone()),
            staleness: simulated.then_some(c.staleness),
            neurons_down: simulated.then_some(c.neurons_down),
            crashed_neuron_ticks: simulated.then_some(c.crashed_neuron_ticks),
            synapses_cut: simulated.then_some(c.synapses_cut),
            cut_synapse_ticks: simulated.then_some(c.cut_synapse_ticks),
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
        self.report_progress(&row);
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

    fn update_applied(&mut self, neuron: usize) {
        if let Some(a) = &mut self.alignment {
            a.update_applied(neuron);
        }
    }
}
