//! The plain twin of [`DenseTrainer`](super::DenseTrainer): the same training, one sample and one
//! synapse at a time over the topology's flat arrays, with no matrices, no blocks, no masks and no
//! fast path, written to be read in one sitting. Runs never use it; tests hold the fast trainer,
//! evaluation and gradient alignment to it.

use crate::data::Split;
use crate::rule::{Feedback, LayerNorms, LearningRule, Scales, Sgd};
use crate::scenario::{Activation, OutputKind};
use crate::topology::{Params, Topology};
use crate::trainer::{
    Checkpoint, MessageStats, Observer, Schedule, Staleness, TrainReport, Trainer,
};

/// Per-sample values of every neuron: `z`, `x` and the demand `d`.
#[derive(Clone, Debug)]
struct Wave {
    z: Vec<f64>,
    x: Vec<f64>,
    d: Vec<f64>,
}

/// Dense training the slow way.
#[derive(Debug)]
pub struct PlainTrainer<'a> {
    topology: &'a Topology,
    rule: &'a dyn LearningRule,
    activation: Activation,
    output: OutputKind,
    sgd: Sgd,
    /// The task of the last batch (for fresh optimizers per task).
    task: u32,
    batch_size: usize,
    params: Params,
    /// The weight each synapse pays attention through.
    feedback: Option<Vec<f64>>,
    weight_velocity: Vec<f64>,
    bias_velocity: Vec<f64>,
}

impl<'a> PlainTrainer<'a> {
    /// The same arguments as [`DenseTrainer::new`](super::DenseTrainer::new).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        topology: &'a Topology,
        rule: &'a dyn LearningRule,
        activation: Activation,
        output: OutputKind,
        sgd: Sgd,
        batch_size: usize,
        params: &Params,
        feedback: &[f64],
    ) -> Self {
        PlainTrainer {
            topology,
            rule,
            activation,
            output,
            sgd,
            task: 0,
            batch_size: batch_size.max(1),
            params: params.clone(),
            feedback: (rule.feedback() == Feedback::FixedRandom).then(|| feedback.to_vec()),
            weight_velocity: vec![0.0; topology.synapses()],
            bias_velocity: vec![0.0; topology.neurons()],
        }
    }

    /// Forward pass of one sample at `params`; returns each neuron's `z` and `x`.
    pub fn forward(
        topology: &Topology,
        activation: Activation,
        params: &Params,
        features: &[f64],
    ) -> (Vec<f64>, Vec<f64>) {
        let n = topology.neurons();
        let (mut z, mut x) = (vec![0.0; n], vec![0.0; n]);
        x[topology.inputs()].copy_from_slice(features);
        for j in topology.inputs().end..n {
            z[j] = params.biases[j];
            for e in topology.incoming(j) {
                z[j] += params.weights[e] * x[topology.source(e)];
            }
            x[j] = if topology.is_output(j) {
                z[j]
            } else {
                activation.apply(z[j])
            };
        }
        (z, x)
    }

    /// The loss of one sample at `params`.
    pub fn loss(
        topology: &Topology,
        activation: Activation,
        output: OutputKind,
        params: &Params,
        features: &[f64],
        target: &[f64],
    ) -> f64 {
        let (_, x) = Self::forward(topology, activation, params, features);
        let outputs = &x[topology.outputs()];
        output.predict(outputs, target, &mut vec![0.0; outputs.len()])
    }

    /// Trains on one batch with optimizer `sgd`: forward passes, then layer by layer from the
    /// outputs down, every neuron's demands, gradient, norm and scales, then every step. Returns the
    /// samples' losses.
    fn batch(&mut self, data: &Split, samples: &[usize], sgd: Sgd) -> Vec<f64> {
        let t = self.topology;
        let n = samples.len();
        let mut losses = Vec::new();
        let mut waves = Vec::new();
        for &i in samples {
            let (z, x) = Self::forward(t, self.activation, &self.params, data.features(i));
            let mut d = vec![0.0; t.neurons()];
            let outputs = t.outputs();
            losses.push(self.output.loss_and_demands_in(
                data.head(i),
                &x[outputs.clone()],
                data.targets(i),
                &mut d[outputs],
            ));
            waves.push(Wave { z, x, d });
        }
        let mut gradient = vec![0.0; t.synapses()];
        let mut bias_gradient = vec![0.0; t.neurons()];
        let mut scales = vec![Scales::UNIT; t.neurons()];
        let last = t.layers().len() - 1;
        for m in (1..=last).rev() {
            let layer = t.layers()[m].clone();
            let mut norms = Vec::new();
            for j in layer.clone() {
                for w in &mut waves {
                    if m < last {
                        // The attention paid by every neuron `j` feeds: scaled demand times weight.
                        let mut paid = 0.0;
                        for e in t.outgoing(j) {
                            let f = match &self.feedback {
                                Some(f) => f[e],
                                None => self.params.weights[e],
                            };
                            let k = t.target(e);
                            paid += f * (scales[k].attention * w.d[k]);
                        }
                        w.d[j] = self.activation.derivative_at(w.z[j], w.x[j]) * paid;
                    }
                    for e in t.incoming(j) {
                        gradient[e] += w.d[j] * w.x[t.source(e)];
                    }
                    bias_gradient[j] += w.d[j];
                }
                let sq: f64 = t.incoming(j).map(|e| gradient[e] * gradient[e]).sum();
                norms.push(if self.rule.needs_gradient_norm() {
                    sq.sqrt() / n as f64
                } else {
                    0.0
                });
            }
            let summary = LayerNorms::of(&norms);
            for (j, &norm) in layer.zip(&norms) {
                scales[j] = self
                    .rule
                    .scales(norm)
                    .unwrap_or_else(|| self.rule.scales_in_layer(norm, &summary));
            }
        }
        let inv = 1.0 / n as f64;
        for e in 0..t.synapses() {
            let s = scales[t.target(e)].weights * inv;
            let (w, v) = (&mut self.params.weights[e], &mut self.weight_velocity[e]);
            sgd.apply_one(w, v, gradient[e], s);
        }
        for j in t.inputs().end..t.neurons() {
            let s = scales[j].bias * inv;
            let (b, v) = (&mut self.params.biases[j], &mut self.bias_velocity[j]);
            sgd.apply_one(b, v, bias_gradient[j], s);
        }
        losses
    }
}

impl Trainer for PlainTrainer<'_> {
    fn train(
        &mut self,
        data: &Split,
        schedule: &Schedule,
        observer: &mut dyn Observer,
    ) -> TrainReport {
        let messages = MessageStats::new(self.topology.layers().len());
        let mut window = (0.0, 0usize);
        let mut checkpoints = schedule.checkpoints().iter().peekable();
        let mut pos = 0;
        while pos < schedule.len() {
            let n = schedule.batch_len(pos).min(self.batch_size);
            let samples: Vec<usize> = (pos..pos + n).map(|p| schedule.sample(p)).collect();
            let before = self.params.clone();
            // The rate of the batch's latest sample; momentum zeroed at a later task's first batch.
            let latest = pos + n - 1;
            if schedule.course().starts_afresh(&mut self.task, latest) {
                self.weight_velocity.fill(0.0);
                self.bias_velocity.fill(0.0);
            }
            let sgd = schedule.course().sgd_at(self.sgd, latest);
            let losses = self.batch(data, &samples, sgd);
            for (s, loss) in losses.into_iter().enumerate() {
                window.0 += loss;
                window.1 += 1;
                let seen = pos + s + 1;
                // Checkpoints inside the batch see the weights from before its update.
                let params = if seen < pos + n {
                    &before
                } else {
                    &self.params
                };
                while checkpoints.next_if(|&&c| c == seen).is_some() {
                    observer.checkpoint(&Checkpoint {
                        samples_seen: seen,
                        sim_ticks: 0,
                        train_loss: Some(window.0 / window.1 as f64),
                        params,
                        messages: &messages,
                        staleness: Staleness::default(),
                        neurons_down: 0,
                        crashed_neuron_ticks: 0,
                        synapses_cut: 0,
                        cut_synapse_ticks: 0,
                    });
                    window = (0.0, 0);
                }
            }
            pos += n;
        }
        TrainReport {
            samples_seen: schedule.len(),
            messages,
            ..TrainReport::default()
        }
    }

    fn params(&self) -> Params {
        self.params.clone()
    }
}
