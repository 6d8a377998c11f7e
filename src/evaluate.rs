//! Evaluation: test loss, accuracy and R² of a parameter set, read without touching the run.
//!
//! It runs the dense forward pass ([`Network::forward`]) over the split, [`CHUNK`] samples at a
//! time, with portable products ([`crate::dense::Products::Portable`]): the same numbers on every machine, whichever engine trained.

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
        }
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
        for start in (0..split.len()).step_by(CHUNK) {
            let n = CHUNK.min(split.len() - start);
            for s in 0..n {
                self.batch.load(s, split.features(start + s));
            }
            self.network.forward(&mut self.batch, n);
            for s in 0..n {
                let i = start + s;
                let (target, values) = (split.targets(i), self.batch.values(last, s));
                loss += self.output.predict(values, target, &mut self.prediction);
                let best =
                    values
                        .iter()
                        .enumerate()
                        .fold(0, |best, (k, &v)| if v > values[best] { k } else { best });
                if split.label(i) == Some(best) {
                    correct += 1;
                }
                for (k, (&p, &y)) in self.prediction.iter().zip(target).enumerate() {
                    residual += (p - y).powi(2);
                    self.target_sum[k] += y;
                    self.target_sq[k] += y * y;
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
        Scores {
            loss: loss / n,
            accuracy: split.label(0).map(|_| correct as f64 / n),
            r2: if total > 0.0 {
                1.0 - residual / total
            } else {
                f64::NAN
            },
        }
    }
}
