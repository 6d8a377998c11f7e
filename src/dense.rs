//! The dense reference trainer: the same network, samples, order and rule as the event simulation,
//! computed with `nalgebra` matrices and no messages.
//!
//! It is the oracle of the equivalence tests (under E1–E3 the event engine must match it to rounding)
//! and the speed baseline. Synapses between layer `k` and a later layer `m` form one block matrix
//! `W_km` (`n_m × n_k`); a sparse block carries a 0/1 mask so that absent synapses never move. Every
//! buffer is sized for a full batch up front: training allocates nothing per sample.

use nalgebra::{DMatrix, DVector};

use crate::data::Split;
use crate::rule::{Feedback, LayerNorms, LearningRule, Sgd};
use crate::scenario::{Activation, OutputKind};
use crate::topology::{Params, Topology};
use crate::trainer::{
    Checkpoint, MessageStats, Observer, Schedule, Staleness, TrainReport, Trainer,
};

/// One block of synapses from layer `from` to layer `to`.
#[derive(Debug)]
struct Block {
    from: usize,
    to: usize,
    weights: DMatrix<f64>,
    /// Attention weights for feedback alignment; `None` means the forward weights.
    feedback: Option<DMatrix<f64>>,
    /// 1 where a synapse exists; `None` for a full block.
    mask: Option<DMatrix<f64>>,
    /// Sum over the batch of `d xᵀ`.
    gradient: DMatrix<f64>,
    velocity: DMatrix<f64>,
}

/// Dense reference trainer.
#[derive(Debug)]
pub struct DenseTrainer<'a> {
    topology: &'a Topology,
    rule: &'a dyn LearningRule,
    activation: Activation,
    output: OutputKind,
    sgd: Sgd,
    batch_size: usize,
    blocks: Vec<Block>,
    /// Block indices into each layer.
    into: Vec<Vec<usize>>,
    /// Block indices out of each layer.
    out_of: Vec<Vec<usize>>,
    biases: Vec<DVector<f64>>,
    bias_gradient: Vec<DVector<f64>>,
    bias_velocity: Vec<DVector<f64>>,
    /// Per layer, `n × batch` buffers: pre-activations, activations, demands, attention-scaled demands.
    z: Vec<DMatrix<f64>>,
    x: Vec<DMatrix<f64>>,
    demand: Vec<DMatrix<f64>>,
    scaled: Vec<DMatrix<f64>>,
    /// Per layer, per neuron: weight-step and bias-step scales of the current batch.
    weight_scale: Vec<DVector<f64>>,
    bias_scale: Vec<DVector<f64>>,
    /// Per layer, per neuron: norm of the batch-mean gradient (rules that need it).
    norms: Vec<DVector<f64>>,
    losses: Vec<f64>,
    snapshot: Params,
}

impl<'a> DenseTrainer<'a> {
    /// A trainer starting from `params`; `feedback` holds one fixed weight per synapse and is used when
    /// the rule pays attention through fixed random weights.
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
        let layers = topology.layers();
        let widths: Vec<usize> = layers.iter().map(|r| r.len()).collect();
        let l = widths.len();
        let mut block_of = vec![vec![None; l]; l];
        let mut blocks = Vec::new();
        for e in 0..topology.synapses() {
            let (k, m) = (
                topology.layer_of(topology.source(e)),
                topology.layer_of(topology.target(e)),
            );
            if block_of[k][m].is_none() {
                block_of[k][m] = Some(blocks.len());
                let zeros = DMatrix::zeros(widths[m], widths[k]);
                blocks.push(Block {
                    from: k,
                    to: m,
                    weights: zeros.clone(),
                    feedback: (rule.feedback() == Feedback::FixedRandom).then(|| zeros.clone()),
                    mask: Some(zeros.clone()),
                    gradient: zeros.clone(),
                    velocity: zeros,
                });
            }
        }
        for e in 0..topology.synapses() {
            let (i, j) = (topology.source(e), topology.target(e));
            let (k, m) = (topology.layer_of(i), topology.layer_of(j));
            let block = &mut blocks[block_of[k][m].expect("block exists")];
            let (r, c) = (j - layers[m].start, i - layers[k].start);
            block.mask.as_mut().expect("mask")[(r, c)] = 1.0;
            if let Some(fb) = &mut block.feedback {
                fb[(r, c)] = feedback[e];
            }
        }
        for block in &mut blocks {
            if block
                .mask
                .as_ref()
                .is_some_and(|m| m.iter().all(|&v| v == 1.0))
            {
                block.mask = None;
            }
        }
        let mut into = vec![Vec::new(); l];
        let mut out_of = vec![Vec::new(); l];
        for (b, block) in blocks.iter().enumerate() {
            into[block.to].push(b);
            out_of[block.from].push(b);
        }
        let per_layer = |rows: &dyn Fn(usize) -> usize, cols: usize| -> Vec<DMatrix<f64>> {
            (0..l).map(|m| DMatrix::zeros(rows(m), cols)).collect()
        };
        let width = |m: usize| widths[m];
        let vectors =
            || -> Vec<DVector<f64>> { widths.iter().map(|&n| DVector::zeros(n)).collect() };
        let mut trainer = DenseTrainer {
            topology,
            rule,
            activation,
            output,
            sgd,
            batch_size,
            blocks,
            into,
            out_of,
            biases: vectors(),
            bias_gradient: vectors(),
            bias_velocity: vectors(),
            z: per_layer(&width, batch_size),
            x: per_layer(&width, batch_size),
            demand: per_layer(&width, batch_size),
            scaled: per_layer(&width, batch_size),
            weight_scale: vectors(),
            bias_scale: vectors(),
            norms: vectors(),
            losses: vec![0.0; batch_size],
            snapshot: params.clone(),
        };
        trainer.import(params);
        trainer
    }

    fn block_position(&self, e: usize) -> (usize, usize, usize) {
        let t = self.topology;
        let (i, j) = (t.source(e), t.target(e));
        let (k, m) = (t.layer_of(i), t.layer_of(j));
        let b = self.into[m]
            .iter()
            .copied()
            .find(|&b| self.blocks[b].from == k)
            .expect("every synapse has a block");
        (b, j - t.layers()[m].start, i - t.layers()[k].start)
    }

    fn import(&mut self, params: &Params) {
        for e in 0..self.topology.synapses() {
            let (b, r, c) = self.block_position(e);
            self.blocks[b].weights[(r, c)] = params.weights[e];
        }
        for (m, range) in self.topology.layers().iter().enumerate() {
            for (r, j) in range.clone().enumerate() {
                self.biases[m][r] = params.biases[j];
            }
        }
    }

    fn export(&self, params: &mut Params) {
        for e in 0..self.topology.synapses() {
            let (b, r, c) = self.block_position(e);
            params.weights[e] = self.blocks[b].weights[(r, c)];
        }
        for (m, range) in self.topology.layers().iter().enumerate() {
            for (r, j) in range.clone().enumerate() {
                params.biases[j] = self.biases[m][r];
            }
        }
    }

    /// Forward pass of sample `features` into column `s`; returns nothing, fills `z` and `x`.
    fn forward(&mut self, s: usize, features: &[f64]) {
        let last = self.x.len() - 1;
        self.x[0].column_mut(s).copy_from_slice(features);
        for m in 1..=last {
            let mut z = self.z[m].column_mut(s);
            z.copy_from(&self.biases[m]);
            for &b in &self.into[m] {
                let block = &self.blocks[b];
                z.gemv(1.0, &block.weights, &self.x[block.from].column(s), 1.0);
            }
            let act = if m == last {
                Activation::Identity
            } else {
                self.activation
            };
            let (zs, xs) = (&self.z[m], &mut self.x[m]);
            for (x, &z) in xs.column_mut(s).iter_mut().zip(zs.column(s).iter()) {
                *x = act.apply(z);
            }
        }
    }

    /// Backward pass over a batch of `n` samples whose forward pass and output demands are in place:
    /// computes every layer's demands, gradients and scales, without changing any weight.
    fn backward(&mut self, n: usize) {
        let last = self.x.len() - 1;
        let needs_norm = self.rule.needs_gradient_norm();
        for m in (1..=last).rev() {
            if m < last {
                for s in 0..n {
                    let mut d = self.demand[m].column_mut(s);
                    d.fill(0.0);
                    for &b in &self.out_of[m] {
                        let block = &self.blocks[b];
                        let f = block.feedback.as_ref().unwrap_or(&block.weights);
                        d.gemv_tr(1.0, f, &self.scaled[block.to].column(s), 1.0);
                    }
                    let (z, x) = (self.z[m].column(s), self.x[m].column(s));
                    for ((d, &z), &x) in d.iter_mut().zip(z.iter()).zip(x.iter()) {
                        *d *= self.activation.derivative_at(z, x);
                    }
                }
            }
            self.bias_gradient[m].fill(0.0);
            for s in 0..n {
                self.bias_gradient[m] += self.demand[m].column(s);
            }
            for &b in &self.into[m] {
                let block = &mut self.blocks[b];
                block.gradient.fill(0.0);
                for s in 0..n {
                    block.gradient.ger(
                        1.0,
                        &self.demand[m].column(s),
                        &self.x[block.from].column(s),
                        1.0,
                    );
                }
                if let Some(mask) = &block.mask {
                    block.gradient.component_mul_assign(mask);
                }
            }
            let rows = self.biases[m].len();
            for r in 0..rows {
                self.norms[m][r] = if needs_norm {
                    let sq: f64 = self.into[m]
                        .iter()
                        .map(|&b| self.blocks[b].gradient.row(r).norm_squared())
                        .sum();
                    sq.sqrt() / n as f64
                } else {
                    0.0
                };
            }
            let layer = LayerNorms::of(self.norms[m].as_slice());
            for r in 0..rows {
                let norm = self.norms[m][r];
                let scales = self
                    .rule
                    .scales(norm)
                    .unwrap_or_else(|| self.rule.scales_in_layer(norm, &layer));
                self.weight_scale[m][r] = scales.weights;
                self.bias_scale[m][r] = scales.bias;
                for s in 0..n {
                    self.scaled[m][(r, s)] = scales.attention * self.demand[m][(r, s)];
                }
            }
        }
    }

    /// Applies every neuron's step for a batch of `n` samples.
    fn update(&mut self, n: usize) {
        let inv = 1.0 / n as f64;
        let sgd = self.sgd;
        for block in &mut self.blocks {
            let scale = &self.weight_scale[block.to];
            let rows = block.weights.nrows();
            let cols = block.weights.ncols();
            for c in 0..cols {
                for r in 0..rows {
                    sgd.apply_one(
                        &mut block.weights[(r, c)],
                        &mut block.velocity[(r, c)],
                        block.gradient[(r, c)],
                        scale[r] * inv,
                    );
                }
            }
        }
        for m in 1..self.biases.len() {
            for r in 0..self.biases[m].len() {
                sgd.apply_one(
                    &mut self.biases[m][r],
                    &mut self.bias_velocity[m][r],
                    self.bias_gradient[m][r],
                    self.bias_scale[m][r] * inv,
                );
            }
        }
    }
}

impl Trainer for DenseTrainer<'_> {
    fn train(
        &mut self,
        data: &Split,
        schedule: &Schedule,
        observer: &mut dyn Observer,
    ) -> TrainReport {
        let last = self.x.len() - 1;
        let wants_samples = observer.wants_samples();
        let messages = MessageStats::new(self.x.len());
        let checkpoints = schedule.checkpoints();
        let mut next_checkpoint = 0;
        let (mut window_loss, mut window_count) = (0.0, 0usize);
        let mut pos = 0;
        while pos < schedule.len() {
            let n = schedule.batch_len(pos).min(self.batch_size);
            if wants_samples {
                let mut snapshot = std::mem::replace(&mut self.snapshot, Params::empty());
                self.export(&mut snapshot);
                for s in 0..n {
                    observer.sample_loss(schedule.sample(pos + s), &snapshot);
                }
                self.snapshot = snapshot;
            }
            for s in 0..n {
                let i = schedule.sample(pos + s);
                self.forward(s, data.features(i));
                let outputs = self.x[last].column(s);
                let mut demand = self.demand[last].column_mut(s);
                self.losses[s] = self.output.loss_and_demands(
                    outputs.as_slice(),
                    data.targets(i),
                    demand.as_mut_slice(),
                );
            }
            self.backward(n);
            // Checkpoints inside the batch see the weights from before its update.
            for s in 0..n {
                window_loss += self.losses[s];
                window_count += 1;
                let seen = pos + s + 1;
                if seen == pos + n {
                    self.update(n);
                }
                while next_checkpoint < checkpoints.len() && checkpoints[next_checkpoint] == seen {
                    next_checkpoint += 1;
                    let mut snapshot = std::mem::replace(&mut self.snapshot, Params::empty());
                    self.export(&mut snapshot);
                    observer.checkpoint(&Checkpoint {
                        samples_seen: seen,
                        sim_ticks: 0,
                        train_loss: (window_count > 0).then(|| window_loss / window_count as f64),
                        params: &snapshot,
                        messages: &messages,
                        staleness: Staleness::default(),
                        neurons_down: 0,
                    });
                    self.snapshot = snapshot;
                    (window_loss, window_count) = (0.0, 0);
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
        let mut params = self.snapshot.clone();
        self.export(&mut params);
        params
    }
}
