//! Evaluation: test loss, accuracy and R² of a parameter set, read without touching the run.

use crate::data::Split;
use crate::scenario::{Activation, OutputKind};
use crate::topology::{Params, Topology};

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
    topology: &'a Topology,
    activation: Activation,
    output: OutputKind,
    values: Vec<f64>,
    probabilities: Vec<f64>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for networks of `topology`.
    pub fn new(topology: &'a Topology, activation: Activation, output: OutputKind) -> Self {
        Evaluator {
            topology,
            activation,
            output,
            values: vec![0.0; topology.neurons()],
            probabilities: vec![0.0; topology.outputs().len()],
        }
    }

    /// Runs one sample forward; returns the output values.
    fn forward(&mut self, params: &Params, features: &[f64]) -> &[f64] {
        let t = self.topology;
        self.values[t.inputs()].copy_from_slice(features);
        for j in t.inputs().end..t.neurons() {
            let mut z = params.biases[j];
            for e in t.incoming(j) {
                z += params.weights[e] * self.values[t.source(e)];
            }
            self.values[j] = if t.is_output(j) {
                z
            } else {
                self.activation.apply(z)
            };
        }
        &self.values[t.outputs()]
    }

    /// Scores `params` on every sample of `split`.
    pub fn evaluate(&mut self, params: &Params, split: &Split) -> Scores {
        let outputs = self.topology.outputs().len();
        let mut loss = 0.0;
        let mut correct = 0usize;
        let mut target_sum = vec![0.0; outputs];
        let mut target_sq = vec![0.0; outputs];
        let mut residual = 0.0;
        let output = self.output;
        for s in 0..split.len() {
            let target = split.targets(s);
            let label = split.label(s);
            let mut probabilities = std::mem::take(&mut self.probabilities);
            let values = self.forward(params, split.features(s));
            loss += output.loss(values, target);
            let best = values
                .iter()
                .enumerate()
                .fold(0, |best, (k, &v)| if v > values[best] { k } else { best });
            if label == Some(best) {
                correct += 1;
            }
            match output {
                OutputKind::Softmax => {
                    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for (p, &v) in probabilities.iter_mut().zip(values) {
                        *p = crate::math::exp(v - max);
                        sum += *p;
                    }
                    probabilities.iter_mut().for_each(|p| *p /= sum);
                }
                OutputKind::Linear => probabilities.copy_from_slice(values),
            }
            for k in 0..outputs {
                residual += (probabilities[k] - target[k]).powi(2);
                target_sum[k] += target[k];
                target_sq[k] += target[k] * target[k];
            }
            self.probabilities = probabilities;
        }
        let n = split.len().max(1) as f64;
        let total: f64 = (0..outputs)
            .map(|k| target_sq[k] - target_sum[k] * target_sum[k] / n)
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
