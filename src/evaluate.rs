//! Evaluation: test loss, accuracy and R² of a parameter set, read without touching the run.
//!
//! It runs the dense forward pass ([`Network::forward`]) over the split, [`CHUNK`] samples at a
//! time, with portable products ([`crate::dense::Products::Portable`]): the same numbers on every machine, whichever engine trained.
//!
//! A sample of a task with its own head (`Task` mode) is scored on that head alone: its loss is
//! the head's, its prediction the head's largest output. For a split of several tasks the scores of
//! each task are kept too ([`Evaluator::task_scores`]), from the same forward pass.

use crate::data::Split;
use crate::dense::{Batch, Network};
use crate::scenario::{Activation, OutputKind};
use crate::topology::{Params, Topology};

/// Samples run forward together.
pub const CHUNK: usize = 64;

/// Scores of a network on a split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    /// Mean loss per sample.
    pub loss: f64,
    /// Fraction of samples whose largest output is the label (classification only).
    pub accuracy: Option<f64>,
    /// Coefficient of determination of the outputs (softmax probabilities for `Softmax`) against the
    /// targets, pooled over output dimensions: `1 − SS_res / SS_tot`.
    pub r2: f64,
}

/// Evaluates parameter sets on a split, reusing its buffers.
#[derive(Debug)]
pub struct Evaluator<'a> {
    network: Network<'a>,
    batch: Batch,
    output: OutputKind,
    prediction: Vec<f64>,
    target_sum: Vec<f64>,
    target_sq: Vec<f64>,
    /// Per task of the last split evaluated, when it has several.
    tallies: Vec<Tally>,
    by_task: Vec<Scores>,
}

/// What one task's samples added up to.
#[derive(Clone, Debug, Default)]
struct Tally {
    n: usize,
    loss: f64,
    correct: usize,
    residual: f64,
    target_sum: Vec<f64>,
    target_sq: Vec<f64>,
}

/// `1 − SS_res / SS_tot` pooled over outputs, NaN when the targets are constant.
fn r2(n: usize, residual: f64, sum: &[f64], sq: &[f64]) -> f64 {
    let n = n.max(1) as f64;
    let total: f64 = sum
        .iter()
        .zip(sq)
        .map(|(&sum, &sq)| sq - sum * sum / n)
        .sum();
    if total > 0.0 {
        1.0 - residual / total
    } else {
        f64::NAN
    }
}

impl<'a> Evaluator<'a> {
    /// An evaluator for networks of `topology`.
    pub fn new(topology: &'a Topology, activation: Activation, output: OutputKind) -> Self {
        let network = Network::new(topology, activation);
        let outputs = topology.outputs().len();
        Evaluator {
            batch: Batch::new(&network, CHUNK),
            network,
            output,
            prediction: vec![0.0; outputs],
            target_sum: vec![0.0; outputs],
            target_sq: vec![0.0; outputs],
            tallies: Vec::new(),
            by_task: Vec::new(),
        }
    }

    /// The scores of each task of the split last evaluated, in task order: one entry, the whole
    /// split's, for a split without tasks.
    pub fn task_scores(&self) -> &[Scores] {
        &self.by_task
    }

    /// Scores `params` on every sample of `split`: `O(synapses + samples · Σ block sizes)`.
    pub fn evaluate(&mut self, params: &Params, split: &Split) -> Scores {
        let last = self.network.layers() - 1;
        self.network.import(params);
        let mut loss = 0.0;
        let mut correct = 0usize;
        let mut residual = 0.0;
        self.target_sum.fill(0.0);
        self.target_sq.fill(0.0);
        let tasks = split.n_tasks();
        let outputs = self.prediction.len();
        self.tallies.clear();
        if tasks > 1 {
            self.tallies.resize(
                tasks,
                Tally {
                    target_sum: vec![0.0; outputs],
                    target_sq: vec![0.0; outputs],
                    ..Tally::default()
                },
            );
        }
        for start in (0..split.len()).step_by(CHUNK) {
            let n = CHUNK.min(split.len() - start);
            for s in 0..n {
                self.batch.load(s, split.features(start + s));
            }
            self.network.forward(&mut self.batch, n);
            for s in 0..n {
                let i = start + s;
                let (target, values) = (split.targets(i), self.batch.values(last, s));
                let head = split.head(i);
                let sample_loss =
                    self.output
                        .predict_in(head.clone(), values, target, &mut self.prediction);
                loss += sample_loss;
                let best =
                    head.clone().fold(
                        head.start,
                        |best, k| if values[k] > values[best] { k } else { best },
                    );
                let hit = split.label(i) == Some(best);
                if hit {
                    correct += 1;
                }
                let mut sample_residual = 0.0;
                for (k, (&p, &y)) in self.prediction.iter().zip(target).enumerate() {
                    residual += (p - y).powi(2);
                    sample_residual += (p - y).powi(2);
                    self.target_sum[k] += y;
                    self.target_sq[k] += y * y;
                }
                if let Some(tally) = self.tallies.get_mut(split.task(i)) {
                    tally.n += 1;
                    tally.loss += sample_loss;
                    tally.correct += usize::from(hit);
                    tally.residual += sample_residual;
                    for (k, &y) in target.iter().enumerate() {
                        tally.target_sum[k] += y;
                        tally.target_sq[k] += y * y;
                    }
                }
            }
        }
        let n = split.len().max(1) as f64;
        let total: f64 = self
            .target_sum
            .iter()
            .zip(&self.target_sq)
            .map(|(&sum, &sq)| sq - sum * sum / n)
            .sum();
        let scores = Scores {
            loss: loss / n,
            accuracy: split.label(0).map(|_| correct as f64 / n),
            r2: if total > 0.0 {
                1.0 - residual / total
            } else {
                f64::NAN
            },
        };
        self.by_task.clear();
        if self.tallies.is_empty() {
            self.by_task.push(scores);
        } else {
            let classification = split.label(0).is_some();
            for t in &self.tallies {
                let count = t.n.max(1) as f64;
                self.by_task.push(Scores {
                    loss: t.loss / count,
                    accuracy: classification.then(|| t.correct as f64 / count),
                    r2: r2(t.n, t.residual, &t.target_sum, &t.target_sq),
                });
            }
        }
        scores
    }
}
