//! The dense trainer: a batch's forward pass, its backward pass with the rule's scales, and every
//! neuron's step, on block matrices.

use nalgebra::{DMatrix, DVector};

use super::{Batch, Network, Products};
use crate::data::Split;
use crate::rule::{Feedback, LayerNorms, LearningRule, Scales, Sgd};
use crate::scenario::{Activation, OutputKind};
use crate::topology::{Params, Topology};
use crate::trainer::{
    Checkpoint, Course, Divergence, MessageStats, Observer, Schedule, Staleness, TrainReport,
    Trainer,
};

/// Dense reference trainer.
///
/// Per batch of `n` samples: one forward pass, the loss agent's demands, then from the output layer
/// down, each layer's demands (from the attention its successors pay), its gradient `Σ_s d xᵀ`, its
/// gradient norms and scales, and finally every neuron's step. At batch size 1 it multiplies with
/// [`Products::Portable`], at larger batches with [`Products::Gemm`]; where a step needs no
/// per-neuron scale (exact attention or feedback alignment, no momentum, no missing synapse) the
/// GEMM adds `lr/n · d xᵀ` straight into the weights, once the block has served the backward pass.
#[derive(Debug)]
pub struct DenseTrainer<'a> {
    network: Network<'a>,
    rule: &'a dyn LearningRule,
    output: OutputKind,
    /// The optimizer as configured, and as it is for the current batch (its rate scheduled).
    base_sgd: Sgd,
    sgd: Sgd,
    /// The task of the last batch (for fresh optimizers per task).
    task: u32,
    batch_size: usize,
    batch: Batch,
    /// Per block: 1 where a synapse exists; `None` for a full block.
    masks: Vec<Option<DMatrix<f64>>>,
    /// Per block: the fixed attention weights of feedback alignment; `None`: the forward weights.
    feedback: Vec<Option<DMatrix<f64>>>,
    /// Per block: `Σ_s d xᵀ` of the batch; `None` where the step goes straight into the weights.
    gradient: Vec<Option<DMatrix<f64>>>,
    /// Per block: the optimizer's velocity (empty without momentum).
    velocity: Vec<DMatrix<f64>>,
    /// Per layer, `n × batch`: demands, and the attention paid (demands times the attention
    /// scale; only for rules that scale it).
    demand: Vec<DMatrix<f64>>,
    paid: Vec<DMatrix<f64>>,
    bias_gradient: Vec<DVector<f64>>,
    bias_velocity: Vec<DVector<f64>>,
    /// Per layer, per neuron: the scales of the current batch and the gradient norms they came from.
    scales: Vec<Vec<Scales>>,
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
        let products = if batch_size > 1 {
            Products::Gemm
        } else {
            Products::Portable
        };
        Self::with_products(
            topology, rule, activation, output, sgd, batch_size, params, feedback, products,
        )
    }

    /// [`DenseTrainer::new`] with the matrix products chosen by the caller (tests compare both).
    #[allow(clippy::too_many_arguments)]
    pub fn with_products(
        topology: &'a Topology,
        rule: &'a dyn LearningRule,
        activation: Activation,
        output: OutputKind,
        sgd: Sgd,
        batch_size: usize,
        params: &Params,
        feedback: &[f64],
        products: Products,
    ) -> Self {
        let batch_size = batch_size.max(1);
        let mut network = Network::new(topology, activation).with_products(products);
        network.import(params);
        let zeros = |m: &DMatrix<f64>| DMatrix::zeros(m.nrows(), m.ncols());
        // Masks mark the synapses that exist; a block with all of them needs none.
        let mut masks: Vec<DMatrix<f64>> = network.weights.iter().map(zeros).collect();
        let mut fixed: Vec<DMatrix<f64>> = Vec::new();
        let random = rule.feedback() == Feedback::FixedRandom;
        if random {
            fixed = network.weights.iter().map(zeros).collect();
        }
        network.for_each_place(|e, b, r, c| {
            masks[b][(r, c)] = 1.0;
            if random {
                fixed[b][(r, c)] = feedback[e];
            }
        });
        let masks: Vec<Option<DMatrix<f64>>> = masks
            .into_iter()
            .map(|m| (!m.iter().all(|&v| v == 1.0)).then_some(m))
            .collect();
        let feedback: Vec<Option<DMatrix<f64>>> = if random {
            fixed.into_iter().map(Some).collect()
        } else {
            vec![None; network.blocks().len()]
        };
        // A step with unit scales, no momentum and no mask can go straight into the weights.
        let unit = !rule.needs_gradient_norm() && rule.scales(0.0) == Some(Scales::UNIT);
        let gradient = network
            .weights
            .iter()
            .zip(&masks)
            .map(|(w, mask)| {
                let fused =
                    products == Products::Gemm && unit && sgd.momentum == 0.0 && mask.is_none();
                (!fused).then(|| zeros(w))
            })
            .collect();
        let velocity = if sgd.momentum == 0.0 {
            Vec::new()
        } else {
            network.weights.iter().map(zeros).collect()
        };
        let layers = network.layers();
        let per_layer = |cols: usize| -> Vec<DMatrix<f64>> {
            (0..layers)
                .map(|m| DMatrix::zeros(if m == 0 { 0 } else { network.width(m) }, cols))
                .collect()
        };
        let vectors = || -> Vec<DVector<f64>> {
            (0..layers)
                .map(|m| DVector::zeros(network.width(m)))
                .collect()
        };
        let scales_paid = rule.needs_gradient_norm() || rule.scales(0.0) != Some(Scales::UNIT);
        DenseTrainer {
            rule,
            output,
            base_sgd: sgd,
            sgd,
            task: 0,
            batch_size,
            batch: Batch::new(&network, batch_size),
            masks,
            feedback,
            gradient,
            velocity,
            demand: per_layer(batch_size),
            paid: if scales_paid {
                per_layer(batch_size)
            } else {
                Vec::new()
            },
            bias_gradient: vectors(),
            bias_velocity: vectors(),
            scales: (0..layers)
                .map(|m| vec![Scales::UNIT; network.width(m)])
                .collect(),
            norms: vectors(),
            losses: vec![0.0; batch_size],
            snapshot: params.clone(),
            network,
        }
    }

    /// Backward pass and update over a batch of `n` samples whose forward pass and output demands
    /// are in place.
    fn learn(&mut self, n: usize) {
        let last = self.network.layers() - 1;
        for m in (1..=last).rev() {
            if m < last {
                let (lower, upper) = self.demand.split_at_mut(m + 1);
                let paid = if self.paid.is_empty() {
                    &*upper
                } else {
                    &self.paid[m + 1..]
                };
                self.network
                    .propagate(m, &self.batch, paid, &self.feedback, &mut lower[m], n);
                // The blocks out of `m` have served the backward pass: fused ones can step now.
                self.step_fused(m, n);
            }
            self.gradients(m, n);
            self.scale(m, n);
        }
        self.step_fused(0, n);
        self.step(n);
    }

    /// Adds `lr/n · d xᵀ` to every block out of layer `k` that keeps no gradient.
    fn step_fused(&mut self, k: usize, n: usize) {
        let alpha = self.sgd.lr * (1.0 / n as f64);
        for i in 0..self.network.blocks_out_of(k).len() {
            let b = self.network.blocks_out_of(k)[i];
            if self.gradient[b].is_none() {
                let to = self.network.blocks()[b].1;
                self.network.products().gradient(
                    &mut self.network.weights[b],
                    alpha,
                    &self.demand[to],
                    &self.batch.x[k],
                    n,
                    true,
                );
            }
        }
    }

    /// Layer `m`'s weight gradients (blocks that keep one) and bias gradient.
    fn gradients(&mut self, m: usize, n: usize) {
        for &b in self.network.blocks_into(m) {
            if let Some(g) = &mut self.gradient[b] {
                let from = self.network.blocks()[b].0;
                self.network.products().gradient(
                    g,
                    1.0,
                    &self.demand[m],
                    &self.batch.x[from],
                    n,
                    false,
                );
                if let Some(mask) = &self.masks[b] {
                    g.component_mul_assign(mask);
                }
            }
        }
        let bias = &mut self.bias_gradient[m];
        bias.fill(0.0);
        for s in 0..n {
            *bias += self.demand[m].column(s);
        }
    }

    /// Layer `m`'s gradient norms (rules that need them), each neuron's scales, and the attention the
    /// layer pays.
    fn scale(&mut self, m: usize, n: usize) {
        let norms = &mut self.norms[m];
        norms.fill(0.0);
        if self.rule.needs_gradient_norm() {
            // Column by column, so that memory is read in order: `Σ_c g_rc²` for every row `r`.
            for &b in self.network.blocks_into(m) {
                let g = self.gradient[b].as_ref().expect("norms need the gradient");
                for column in g.column_iter() {
                    for (sq, &v) in norms.iter_mut().zip(column.iter()) {
                        *sq += v * v;
                    }
                }
            }
            for f in norms.iter_mut() {
                *f = f.sqrt() / n as f64;
            }
        }
        let layer = LayerNorms::of(norms.as_slice());
        for (scales, &norm) in self.scales[m].iter_mut().zip(norms.iter()) {
            *scales = self
                .rule
                .scales(norm)
                .unwrap_or_else(|| self.rule.scales_in_layer(norm, &layer));
        }
        if !self.paid.is_empty() {
            let (d, paid) = (&self.demand[m], &mut self.paid[m]);
            for s in 0..n {
                for (r, scales) in self.scales[m].iter().enumerate() {
                    paid[(r, s)] = scales.attention * d[(r, s)];
                }
            }
        }
    }

    /// Every neuron's step from the gradients kept, and every bias step.
    fn step(&mut self, n: usize) {
        let inv = 1.0 / n as f64;
        let sgd = self.sgd;
        for (b, g) in self.gradient.iter().enumerate() {
            let Some(g) = g else { continue };
            let to = self.network.blocks()[b].1;
            let scales = &self.scales[to];
            let w = &mut self.network.weights[b];
            let rows = w.nrows();
            // Column by column (one input of every neuron of the layer), in memory order.
            let columns = w
                .as_mut_slice()
                .chunks_mut(rows)
                .zip(g.as_slice().chunks(rows));
            match self.velocity.get_mut(b) {
                Some(v) => {
                    for ((w, g), v) in columns.zip(v.as_mut_slice().chunks_mut(rows)) {
                        for r in 0..rows {
                            sgd.apply_one(&mut w[r], &mut v[r], g[r], scales[r].weights * inv);
                        }
                    }
                }
                None => {
                    let mut unused = 0.0;
                    for (w, g) in columns {
                        for r in 0..rows {
                            sgd.apply_one(&mut w[r], &mut unused, g[r], scales[r].weights * inv);
                        }
                    }
                }
            }
        }
        for m in 1..self.network.layers() {
            let biases = &mut self.network.biases[m];
            for r in 0..biases.len() {
                sgd.apply_one(
                    &mut biases[r],
                    &mut self.bias_velocity[m][r],
                    self.bias_gradient[m][r],
                    self.scales[m][r].bias * inv,
                );
            }
        }
    }

    /// The optimizer of the batch whose latest sample is at position `latest`: its rate, and at
    /// the first batch of a later task, with fresh optimizers per task, zeroed momentum.
    fn course(&mut self, course: &Course, latest: usize) {
        if course.starts_afresh(&mut self.task, latest) {
            for v in &mut self.velocity {
                v.fill(0.0);
            }
            for v in &mut self.bias_velocity {
                v.fill(0.0);
            }
        }
        self.sgd = course.sgd_at(self.base_sgd, latest);
    }

    /// Calls `observer.checkpoint` once at `seen` samples, where training stopped.
    fn checkpoints_at_divergence(
        &mut self,
        seen: usize,
        window: &mut (f64, usize),
        messages: &MessageStats,
        observer: &mut dyn Observer,
    ) {
        let at = [seen];
        let mut next = 0;
        self.checkpoints(seen, &at, &mut next, window, messages, observer);
    }

    /// Calls `observer.checkpoint` for every checkpoint at `seen` samples.
    fn checkpoints(
        &mut self,
        seen: usize,
        checkpoints: &[usize],
        next: &mut usize,
        window: &mut (f64, usize),
        messages: &MessageStats,
        observer: &mut dyn Observer,
    ) {
        while *next < checkpoints.len() && checkpoints[*next] == seen {
            *next += 1;
            self.network.export(&mut self.snapshot);
            observer.checkpoint(&Checkpoint {
                samples_seen: seen,
                sim_ticks: 0,
                train_loss: (window.1 > 0).then(|| window.0 / window.1 as f64),
                params: &self.snapshot,
                messages,
                staleness: Staleness::default(),
                neurons_down: 0,
                crashed_neuron_ticks: 0,
                synapses_cut: 0,
                cut_synapse_ticks: 0,
            });
            *window = (0.0, 0);
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
        let last = self.network.layers() - 1;
        let wants_samples = observer.wants_samples();
        let topology = self.network.topology();
        let messages = MessageStats::new(self.network.layers());
        let checkpoints = schedule.checkpoints();
        let mut next = 0;
        let mut window = (0.0, 0usize);
        let mut pos = 0;
        while pos < schedule.len() {
            let n = schedule.batch_len(pos).min(self.batch_size);
            if wants_samples {
                self.network.export(&mut self.snapshot);
                for s in 0..n {
                    observer.sample_loss(schedule.sample(pos + s), &self.snapshot);
                }
            }
            for s in 0..n {
                self.batch.load(s, data.features(schedule.sample(pos + s)));
            }
            self.network.forward(&mut self.batch, n);
            let outputs = self.network.width(last);
            for s in 0..n {
                let i = schedule.sample(pos + s);
                let demand = &mut self.demand[last].as_mut_slice()[s * outputs..(s + 1) * outputs];
                self.losses[s] = self.output.loss_and_demands_in(
                    data.head(i),
                    self.batch.values(last, s),
                    data.targets(i),
                    demand,
                );
            }
            // Checkpoints inside the batch see the weights from before its update. A loss that is
            // not finite stops the run at that sample, before the batch's step (as on the event
            // engines: no neuron steps on a batch that did not complete).
            let diverged = (0..n).find(|&s| !self.losses[s].is_finite());
            for s in 0..diverged.unwrap_or(n - 1) {
                window.0 += self.losses[s];
                window.1 += 1;
                self.checkpoints(
                    pos + s + 1,
                    checkpoints,
                    &mut next,
                    &mut window,
                    &messages,
                    observer,
                );
            }
            if let Some(d) = diverged {
                // The samples before it completed; it did not, but its loss counts in the window.
                window.0 += self.losses[d];
                window.1 += 1;
                // The state where training stopped, whether or not a checkpoint was due there.
                self.checkpoints_at_divergence(pos + d, &mut window, &messages, observer);
                let params = self.params();
                return TrainReport {
                    samples_seen: pos + d,
                    messages,
                    diverged: Some(Divergence::at(
                        pos + d,
                        schedule.sample(pos + d),
                        &params,
                        topology,
                    )),
                    ..TrainReport::default()
                };
            }
            self.course(schedule.course(), pos + n - 1);
            self.learn(n);
            if wants_samples {
                for j in topology.inputs().end..topology.neurons() {
                    observer.update_applied(j);
                }
            }
            window.0 += self.losses[n - 1];
            window.1 += 1;
            self.checkpoints(
                pos + n,
                checkpoints,
                &mut next,
                &mut window,
                &messages,
                observer,
            );
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
        self.network.export(&mut params);
        params
    }
}
