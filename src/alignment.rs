//! Gradient alignment: per layer, the cosine between the update the agents actually applied over a
//! checkpoint window and the backprop gradient of the samples those updates consumed, each taken at
//! the weights the sample met when its loss was computed.
//!
//! It is an observer: it reads parameters and recomputes gradients on its own buffers (the dense
//! forward and backward passes, [`Products::Portable`], so the figures are the same on every
//! machine), draws no random number and changes nothing in the run. A sample costs one forward and
//! one backward pass (`O(Σ block sizes)`), plus `O(synapses)` to read the parameters whenever they
//! may have changed.
//!
//! **Which samples an update consumed.** With [`Credit::AtUpdates`] every sample's gradient is held
//! per synapse until the neuron owning the synapse applies an update
//! ([`Observer::update_applied`](crate::trainer::Observer::update_applied)); the update then takes
//! the mean gradient of the samples it consumed since the neuron's previous update into the
//! window. A window thus holds exactly the gradients of the updates it saw, and exact attention reads
//! 1 at any batch size and checkpoint spacing (up to momentum, which spreads an update over later
//! windows). With pipelined samples (`in_flight > 1`), a sample whose loss came before a neuron's
//! update counts in that update even if the neuron only learns from it later. With
//! [`Credit::AtLoss`], for engines that do not report their updates, a sample counts in the window in
//! which its loss was computed: exact only when no batch straddles a checkpoint.

use nalgebra::DMatrix;

use crate::data::Split;
use crate::dense::{Batch, Network, Products};
use crate::scenario::{Activation, OutputKind};
use crate::topology::{Params, Topology};

/// Samples whose gradients are computed together (at the same parameters).
const CHUNK: usize = 32;

/// When a sample's gradient joins the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credit {
    /// When the neuron owning a synapse applies the update that consumed the sample: needs the
    /// engine to call `Observer::update_applied`.
    AtUpdates,
    /// When the sample's loss is computed.
    AtLoss,
}

/// Accumulates backprop gradients over a window and compares them with the applied update.
#[derive(Debug)]
pub struct Alignment<'a> {
    network: Network<'a>,
    output: OutputKind,
    data: &'a Split,
    credit: Credit,
    batch: Batch,
    /// Per layer, `n × CHUNK`: demands (backprop: `−∂L/∂z`).
    demand: Vec<DMatrix<f64>>,
    /// Samples waiting for their gradient, all at the parameters `network` holds.
    queued: Vec<usize>,
    /// Whether `network` holds the parameters of the latest sample (no update since).
    current: bool,
    /// Per block: the sum of the gradients (`−∂L/∂w`) of the samples no update has consumed yet.
    pending: Vec<DMatrix<f64>>,
    /// Per block: the gradients consumed in this window.
    window: Vec<DMatrix<f64>>,
    /// Samples seen, and per neuron the count at its latest update.
    samples: u64,
    consumed: Vec<u64>,
    /// Weights at the start of the window.
    start: Vec<f64>,
}

impl<'a> Alignment<'a> {
    /// Starts a window at `initial`; samples are indices into `data`.
    pub fn new(
        topology: &'a Topology,
        activation: Activation,
        output: OutputKind,
        data: &'a Split,
        initial: &Params,
        credit: Credit,
    ) -> Self {
        let network = Network::new(topology, activation);
        let zeros: Vec<DMatrix<f64>> = network
            .blocks()
            .iter()
            .map(|&(k, m)| DMatrix::zeros(network.width(m), network.width(k)))
            .collect();
        Alignment {
            batch: Batch::new(&network, CHUNK),
            demand: (0..network.layers())
                .map(|m| DMatrix::zeros(if m == 0 { 0 } else { network.width(m) }, CHUNK))
                .collect(),
            network,
            output,
            data,
            credit,
            queued: Vec::with_capacity(CHUNK),
            current: false,
            pending: zeros.clone(),
            window: zeros,
            samples: 0,
            consumed: vec![0; topology.neurons()],
            start: initial.weights.clone(),
        }
    }

    /// Training sample `sample` had its loss computed at `params`.
    pub fn add_sample(&mut self, sample: usize, params: &Params) {
        if self.credit == Credit::AtLoss || !self.current {
            self.flush();
            self.network.import(params);
            self.current = true;
        }
        self.queued.push(sample);
        self.samples += 1;
        if self.queued.len() == CHUNK || self.credit == Credit::AtLoss {
            self.flush();
        }
    }

    /// Neuron `neuron` applied an update, which consumed the samples since its previous one: the
    /// mean of their gradients over its incoming synapses joins the window (with
    /// [`Credit::AtUpdates`]; nothing otherwise).
    pub fn update_applied(&mut self, neuron: usize) {
        if self.credit == Credit::AtLoss {
            return;
        }
        self.flush();
        self.current = false;
        let count = self.samples - self.consumed[neuron];
        self.consumed[neuron] = self.samples;
        if count == 0 {
            return;
        }
        let t = self.network.topology();
        let m = t.layer_of(neuron);
        let r = neuron - t.layers()[m].start;
        let inv = 1.0 / count as f64;
        for &b in self.network.blocks_into(m) {
            let (pending, window) = (&mut self.pending[b], &mut self.window[b]);
            for c in 0..pending.ncols() {
                window[(r, c)] += pending[(r, c)] * inv;
                pending[(r, c)] = 0.0;
            }
        }
    }

    /// Computes the gradients of the queued samples at the parameters `network` holds into
    /// `pending`.
    fn flush(&mut self) {
        let n = self.queued.len();
        if n == 0 {
            return;
        }
        let network = &self.network;
        let last = network.layers() - 1;
        for (s, &i) in self.queued.iter().enumerate() {
            self.batch.load(s, self.data.features(i));
        }
        network.forward(&mut self.batch, n);
        let outputs = network.width(last);
        for (s, &i) in self.queued.iter().enumerate() {
            let demand = &mut self.demand[last].as_mut_slice()[s * outputs..(s + 1) * outputs];
            self.output.loss_and_demands_in(
                self.data.head(i),
                self.batch.values(last, s),
                self.data.targets(i),
                demand,
            );
        }
        for m in (1..last).rev() {
            let (lower, upper) = self.demand.split_at_mut(m + 1);
            network.propagate(m, &self.batch, upper, &[], &mut lower[m], n);
        }
        let values = self.batch.layer_values();
        for (b, &(k, m)) in network.blocks().iter().enumerate() {
            Products::Portable.gradient(
                &mut self.pending[b],
                1.0,
                &self.demand[m],
                &values[k],
                n,
                true,
            );
        }
        self.queued.clear();
    }

    /// Closes the window at `params`: for each layer `1..` (by the layer of the synapses' targets), the
    /// cosine between `params − start` and the gradients the window consumed (`None` when either is
    /// zero). Starts the next window.
    pub fn close_window(&mut self, params: &Params) -> Vec<Option<f64>> {
        if self.credit == Credit::AtLoss {
            self.flush();
            for (window, pending) in self.window.iter_mut().zip(&mut self.pending) {
                *window += &*pending;
                pending.fill(0.0);
            }
        }
        let t = self.network.topology();
        let layers = t.layers().len();
        let mut dot = vec![0.0; layers];
        let mut applied = vec![0.0; layers];
        let mut ideal = vec![0.0; layers];
        let (window, start) = (&self.window, &self.start);
        self.network.for_each_place(|e, b, r, c| {
            let l = t.layer_of(t.target(e));
            let delta = params.weights[e] - start[e];
            let g = window[b][(r, c)];
            dot[l] += delta * g;
            applied[l] += delta * delta;
            ideal[l] += g * g;
        });
        for w in &mut self.window {
            w.fill(0.0);
        }
        self.start.copy_from_slice(&params.weights);
        (1..layers)
            .map(|l| {
                let norms = (applied[l] * ideal[l]).sqrt();
                (norms > 0.0).then(|| dot[l] / norms)
            })
            .collect()
    }
}
