//! The learner: every neuron's parameters and optimizer state, its batch in progress, and — for
//! rules that need the gradient norm — the samples it holds until it knows its scale.
//!
//! A neuron learns from a sample by adding `d·x` to its batch gradient and applies its step after
//! `batch_len` samples. Two shortcuts give the same bits as that general path: *direct* neurons
//! (batch 1, no momentum, a rule without norm) step at once without a gradient buffer; and a rule
//! that needs `‖g‖` holds its samples' slots and sums their gradients when the batch is complete.
//! When the greedy rule's scale depends on the rest of the layer (a tiny norm), the neuron posts its
//! norm on its layer's [`Board`] and waits there until every neuron of the layer has posted for the
//! same batch (or is known not to take part).

use crate::rule::{LayerNorms, LearningRule, Scales, Sgd};
use crate::topology::{Params, Topology};
use crate::trainer::Course;

/// Parameters and optimizer state of every neuron.
#[derive(Debug)]
pub(crate) struct Learner<'p> {
    pub params: Params,
    pub rule: &'p dyn LearningRule,
    pub sgd: Sgd,
    pub batch_size: usize,
    /// Attention weights per synapse when the rule pays through fixed random feedback.
    pub feedback: Option<&'p [f64]>,
    velocity: Vec<f64>,
    bias_velocity: Vec<f64>,
    /// Sum of `d x` (resp. `d`) over the samples of the batch in progress; empty for direct neurons.
    gradient: Vec<f64>,
    bias_gradient: Vec<f64>,
    /// Batch 1, no momentum, no norm: step at once.
    pub direct: bool,
    /// Whether the rule needs `‖g‖` before paying attention (samples are held).
    pub holds: bool,
    /// Samples learned from in the batch in progress, per neuron.
    pub credited: Vec<u32>,
    /// Held slots per neuron (`batch_size` each).
    held: Vec<u32>,
    /// Updates applied per neuron.
    pub updates: Vec<u64>,
    /// Re-initializations per neuron (for the re-initialization draws).
    pub reinits: Vec<u64>,
    /// The schedule's tasks and rates (set when training starts).
    pub course: Course,
    /// Per neuron, the task of its last update.
    task: Vec<u32>,
    /// Per neuron, the latest schedule position of the batch in progress (accumulating neurons).
    pub latest: Vec<usize>,
}

impl<'p> Learner<'p> {
    /// The learner starting from `params`.
    pub fn new(
        t: &Topology,
        rule: &'p dyn LearningRule,
        sgd: Sgd,
        batch_size: usize,
        params: Params,
        feedback: Option<&'p [f64]>,
    ) -> Learner<'p> {
        let (n, m) = (t.neurons(), t.synapses());
        let holds = rule.needs_gradient_norm();
        let direct = batch_size == 1 && sgd.momentum == 0.0 && !holds;
        Learner {
            params,
            rule,
            sgd,
            batch_size,
            feedback,
            velocity: vec![0.0; if sgd.momentum == 0.0 { 0 } else { m }],
            bias_velocity: vec![0.0; n],
            gradient: vec![0.0; if direct { 0 } else { m }],
            bias_gradient: vec![0.0; n],
            direct,
            holds,
            credited: vec![0; n],
            held: vec![0; if holds { n * batch_size } else { 0 }],
            updates: vec![0; n],
            reinits: vec![0; n],
            course: Course::default(),
            task: vec![0; n],
            latest: vec![0; n],
        }
    }

    /// The optimizer of neuron `j` (incoming synapses `range`) for an update whose latest sample is
    /// at schedule position `pos`: the rate of that position; and at the neuron's first update of a
    /// new task, with fresh optimizers per task, its momentum is zeroed first.
    #[inline]
    pub fn optimizer(&mut self, j: usize, range: std::ops::Range<usize>, pos: usize) -> Sgd {
        if self.course.starts_afresh(&mut self.task[j], pos) {
            if !self.velocity.is_empty() {
                self.velocity[range].fill(0.0);
            }
            self.bias_velocity[j] = 0.0;
        }
        self.course.sgd_at(self.sgd, pos)
    }

    /// The weight neuron `j` pays attention through on synapse `e`.
    #[inline]
    pub fn coefficient(&self, e: usize) -> f64 {
        match self.feedback {
            Some(fb) => fb[e],
            None => self.params.weights[e],
        }
    }

    /// The weights attention is paid through on the synapses of `range` ([`Learner::coefficient`]).
    #[inline]
    pub fn coefficients(&self, range: std::ops::Range<usize>) -> &[f64] {
        match self.feedback {
            Some(fb) => &fb[range],
            None => &self.params.weights[range],
        }
    }

    /// Adds `d · x` over `j`'s incoming synapses `range`, with `inputs` the `x` of each in order,
    /// and `d` to its bias.
    #[inline]
    pub fn accumulate(
        &mut self,
        j: usize,
        range: std::ops::Range<usize>,
        d: f64,
        inputs: impl Iterator<Item = f64>,
    ) {
        for (g, x) in self.gradient[range].iter_mut().zip(inputs) {
            *g += d * x;
        }
        self.bias_gradient[j] += d;
    }

    /// A direct neuron's step on one sample: `w ← w + lr·(d x)`, the arithmetic of a batch of one,
    /// with `inputs` the `x` of `j`'s incoming synapses `range` in order.
    #[inline]
    pub fn step_directly(
        &mut self,
        j: usize,
        range: std::ops::Range<usize>,
        d: f64,
        inputs: impl Iterator<Item = f64>,
        lr: f64,
    ) {
        for (w, x) in self.params.weights[range].iter_mut().zip(inputs) {
            *w += lr * (d * x);
        }
        self.params.biases[j] += lr * d;
        self.updates[j] += 1;
    }

    /// Norm of neuron `j`'s mean gradient over `len` samples.
    pub fn gradient_norm(&self, range: std::ops::Range<usize>, len: usize) -> f64 {
        self.gradient[range]
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt()
            / len as f64
    }

    /// Neuron `j` applies its step for a batch of `len` samples with optimizer `sgd` (from
    /// [`Learner::optimizer`]) and starts a new batch.
    pub fn apply(
        &mut self,
        j: usize,
        range: std::ops::Range<usize>,
        len: usize,
        scales: Scales,
        sgd: Sgd,
    ) {
        let inv = 1.0 / len as f64;
        let velocity = if self.velocity.is_empty() {
            &mut []
        } else {
            &mut self.velocity[range.clone()]
        };
        sgd.apply(
            &mut self.params.weights[range.clone()],
            velocity,
            &self.gradient[range.clone()],
            scales.weights * inv,
        );
        sgd.apply_one(
            &mut self.params.biases[j],
            &mut self.bias_velocity[j],
            self.bias_gradient[j],
            scales.bias * inv,
        );
        self.gradient[range].fill(0.0);
        self.bias_gradient[j] = 0.0;
        self.latest[j] = 0;
        self.updates[j] += 1;
    }

    /// Holds `slot` for neuron `j`; returns how many it holds now.
    pub fn hold(&mut self, j: usize, slot: usize) -> usize {
        let count = self.credited[j] as usize;
        self.held[j * self.batch_size + count] = slot as u32;
        self.credited[j] += 1;
        count + 1
    }

    /// The slots neuron `j` holds, in the order it learned from them.
    pub fn held(&self, j: usize) -> &[u32] {
        self.held_n(j, self.credited[j] as usize)
    }

    /// The slots neuron `j` holds, to reorder them.
    pub fn held_mut(&mut self, j: usize) -> &mut [u32] {
        let start = j * self.batch_size;
        &mut self.held[start..start + self.credited[j] as usize]
    }

    /// The first `len` slots neuron `j` held (its batch, after it was closed).
    pub fn held_n(&self, j: usize, len: usize) -> &[u32] {
        let start = j * self.batch_size;
        &self.held[start..start + len]
    }

    /// Clears neuron `j`'s batch gradient without applying it.
    pub fn clear(&mut self, j: usize, range: std::ops::Range<usize>) {
        self.gradient[range].fill(0.0);
        self.bias_gradient[j] = 0.0;
    }

    /// The scales of neuron `j` with norm `norm`, when they do not depend on its layer.
    pub fn scales(&self, norm: f64) -> Option<Scales> {
        self.rule.scales(norm)
    }

    /// Neuron `j` comes back without its state: fresh weights are written by the caller; its bias,
    /// momentum and batch in progress are cleared.
    pub fn forget(&mut self, j: usize, range: std::ops::Range<usize>) {
        self.params.biases[j] = 0.0;
        if !self.velocity.is_empty() {
            self.velocity[range.clone()].fill(0.0);
        }
        if !self.gradient.is_empty() {
            self.gradient[range].fill(0.0);
        }
        self.bias_velocity[j] = 0.0;
        self.bias_gradient[j] = 0.0;
        self.credited[j] = 0;
        self.latest[j] = 0;
    }
}

/// A neuron waiting on its layer's board: it holds `len` samples (the first in `slot` when the
/// batch is one sample; else its held list) and knows its norm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Waiting {
    pub layer: usize,
    pub key: u64,
    pub neuron: usize,
    pub norm: f64,
    pub len: usize,
    pub slot: u32,
}

#[derive(Clone, Debug)]
struct Entry {
    key: u64,
    live: bool,
    /// Per neuron of the layer: its norm, or NaN when it has not posted or takes no part.
    norms: Vec<f64>,
    present: Vec<bool>,
    posted: usize,
}

/// Gradient norms shared within each layer, per batch: what a greedy neuron with a tiny norm needs.
/// Batches are keyed by the schedule position of their last sample.
#[derive(Debug)]
pub(crate) struct Board {
    first: Vec<usize>,
    widths: Vec<usize>,
    entries: Vec<Vec<Entry>>,
    pub waiting: Vec<Waiting>,
    buffer: Vec<f64>,
}

impl Board {
    /// An empty board for `t`'s layers, with room for `keys` batches in progress per layer.
    pub fn new(t: &Topology, keys: usize) -> Board {
        let layers = t.layers();
        Board {
            first: layers.iter().map(|r| r.start).collect(),
            widths: layers.iter().map(|r| r.len()).collect(),
            entries: layers
                .iter()
                .map(|r| {
                    (0..keys)
                        .map(|_| Entry {
                            key: 0,
                            live: false,
                            norms: vec![0.0; r.len()],
                            present: vec![false; r.len()],
                            posted: 0,
                        })
                        .collect()
                })
                .collect(),
            waiting: Vec::with_capacity(16),
            buffer: Vec::with_capacity(layers.iter().map(|r| r.len()).max().unwrap_or(0)),
        }
    }

    /// Neuron `j` of `layer` posts its norm for batch `key` (`None`: it takes no part). Returns the
    /// layer's norms when it was the last to post.
    pub fn post(
        &mut self,
        layer: usize,
        key: u64,
        j: usize,
        norm: Option<f64>,
    ) -> Option<LayerNorms> {
        let width = self.widths[layer];
        let entries = &mut self.entries[layer];
        let index = match entries.iter().position(|e| e.live && e.key == key) {
            Some(i) => i,
            None => {
                let i = match entries.iter().position(|e| !e.live) {
                    Some(i) => i,
                    None => {
                        entries.push(Entry {
                            key,
                            live: false,
                            norms: vec![0.0; width],
                            present: vec![false; width],
                            posted: 0,
                        });
                        entries.len() - 1
                    }
                };
                let e = &mut entries[i];
                e.key = key;
                e.live = true;
                e.posted = 0;
                e.present.fill(false);
                i
            }
        };
        let entry = &mut entries[index];
        let k = j - self.first[layer];
        if let Some(norm) = norm {
            entry.norms[k] = norm;
            entry.present[k] = true;
        }
        entry.posted += 1;
        if entry.posted < width {
            return None;
        }
        entry.live = false;
        self.buffer.clear();
        for k in 0..width {
            if entry.present[k] {
                self.buffer.push(entry.norms[k]);
            }
        }
        Some(LayerNorms::of(&self.buffer))
    }
}
