//! A network's parameters as block matrices, and the forward pass that the dense trainer,
//! evaluation and gradient alignment share.
//!
//! Synapses from layer `k` to a later layer `m` form one block `W_km`, an `n_m × n_k` matrix
//! (row `r`: the incoming weights of neuron `r` of layer `m` from layer `k`); a synapse the topology
//! lacks is a 0 that never moves. Layer values for a batch are `n × capacity` matrices, one column
//! per sample.

use nalgebra::{DMatrix, DVector};

use super::Products;
use crate::scenario::Activation;
use crate::topology::{Params, Topology};

/// The parameters of a network in block form, with the forward pass.
#[derive(Clone, Debug)]
pub struct Network<'a> {
    topology: &'a Topology,
    activation: Activation,
    /// `(from, to)` layers of each block, in order of first synapse: for every layer, the blocks
    /// into it come in increasing `from`.
    blocks: Vec<(usize, usize)>,
    /// `block_of[k][m]`: the block from layer `k` to layer `m`, if any synapse joins them.
    block_of: Vec<Vec<Option<usize>>>,
    into: Vec<Vec<usize>>,
    out_of: Vec<Vec<usize>>,
    /// One `n_to × n_from` matrix per block.
    pub(super) weights: Vec<DMatrix<f64>>,
    /// One vector per layer (the input layer's stays 0).
    pub(super) biases: Vec<DVector<f64>>,
    products: Products,
}

impl<'a> Network<'a> {
    /// The blocks of `topology`, with every parameter 0, multiplying with [`Products::Portable`].
    /// `O(synapses + block sizes)`.
    pub fn new(topology: &'a Topology, activation: Activation) -> Self {
        let layers = topology.layers();
        let l = layers.len();
        let mut block_of = vec![vec![None; l]; l];
        let mut blocks = Vec::new();
        for e in 0..topology.synapses() {
            let k = topology.layer_of(topology.source(e));
            let m = topology.layer_of(topology.target(e));
            if block_of[k][m].is_none() {
                block_of[k][m] = Some(blocks.len());
                blocks.push((k, m));
            }
        }
        let mut into = vec![Vec::new(); l];
        let mut out_of = vec![Vec::new(); l];
        for (b, &(k, m)) in blocks.iter().enumerate() {
            into[m].push(b);
            out_of[k].push(b);
        }
        // Blocks are numbered as their first synapse comes, which in a sparse network need not be
        // by layer. A neuron adds its inputs, and the attention it is paid, in synapse order: by
        // source layer into a layer, by target layer out of it.
        for into in &mut into {
            into.sort_by_key(|&b| blocks[b].0);
        }
        for out in &mut out_of {
            out.sort_by_key(|&b| blocks[b].1);
        }
        let weights = blocks
            .iter()
            .map(|&(k, m)| DMatrix::zeros(layers[m].len(), layers[k].len()))
            .collect();
        Network {
            topology,
            activation,
            blocks,
            block_of,
            into,
            out_of,
            weights,
            biases: layers.iter().map(|r| DVector::zeros(r.len())).collect(),
            products: Products::Portable,
        }
    }

    /// The same network multiplying with `products`.
    pub fn with_products(mut self, products: Products) -> Self {
        self.products = products;
        self
    }

    /// How it multiplies.
    pub fn products(&self) -> Products {
        self.products
    }

    /// The topology.
    pub fn topology(&self) -> &'a Topology {
        self.topology
    }

    /// Number of layers, inputs and outputs included.
    pub fn layers(&self) -> usize {
        self.biases.len()
    }

    /// Number of neurons in layer `m`.
    pub fn width(&self, m: usize) -> usize {
        self.biases[m].len()
    }

    /// The `(from, to)` layers of every block.
    pub fn blocks(&self) -> &[(usize, usize)] {
        &self.blocks
    }

    /// Blocks into layer `m`, in increasing source layer.
    pub fn blocks_into(&self, m: usize) -> &[usize] {
        &self.into[m]
    }

    /// Blocks out of layer `k`.
    pub fn blocks_out_of(&self, k: usize) -> &[usize] {
        &self.out_of[k]
    }

    /// Where synapse `e` sits: its block, row and column.
    pub fn place(&self, e: usize) -> (usize, usize, usize) {
        let t = self.topology;
        let (i, j) = (t.source(e), t.target(e));
        let (k, m) = (t.layer_of(i), t.layer_of(j));
        let b = self.block_of[k][m].expect("every synapse has a block");
        (b, j - t.layers()[m].start, i - t.layers()[k].start)
    }

    /// Calls `f(synapse, block, row, column)` for every synapse, in synapse order.
    pub fn for_each_place(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        for e in 0..self.topology.synapses() {
            let (b, r, c) = self.place(e);
            f(e, b, r, c);
        }
    }

    /// Copies `params` in. `O(synapses + neurons)`.
    pub fn import(&mut self, params: &Params) {
        let weights = &mut self.weights;
        let w = &params.weights;
        let t = self.topology;
        for e in 0..t.synapses() {
            let (i, j) = (t.source(e), t.target(e));
            let (k, m) = (t.layer_of(i), t.layer_of(j));
            let b = self.block_of[k][m].expect("every synapse has a block");
            weights[b][(j - t.layers()[m].start, i - t.layers()[k].start)] = w[e];
        }
        for (m, range) in t.layers().iter().enumerate() {
            self.biases[m]
                .as_mut_slice()
                .copy_from_slice(&params.biases[range.clone()]);
        }
    }

    /// Copies the parameters out into `params` (of this topology's shape). `O(synapses + neurons)`.
    pub fn export(&self, params: &mut Params) {
        params.weights.resize(self.topology.synapses(), 0.0);
        params.biases.resize(self.topology.neurons(), 0.0);
        for e in 0..self.topology.synapses() {
            let (b, r, c) = self.place(e);
            params.weights[e] = self.weights[b][(r, c)];
        }
        for (m, range) in self.topology.layers().iter().enumerate() {
            params.biases[range.clone()].copy_from_slice(self.biases[m].as_slice());
        }
    }

    /// Forward pass of the first `n` samples of `batch`, whose inputs are loaded
    /// ([`Batch::load`]): fills every layer's pre-activations and values. Hidden layers apply the
    /// network's activation, the output layer none. `O(n · Σ block sizes)`.
    pub fn forward(&self, batch: &mut Batch, n: usize) {
        let last = self.layers() - 1;
        for m in 1..=last {
            let z = &mut batch.z[m];
            for s in 0..n {
                z.column_mut(s).copy_from(&self.biases[m]);
            }
            for &b in &self.into[m] {
                self.products
                    .forward(z, &self.weights[b], &batch.x[self.blocks[b].0], n);
            }
            let act = if m == last {
                Activation::Identity
            } else {
                self.activation
            };
            let (z, x) = (&batch.z[m], &mut batch.x[m]);
            let len = z.nrows() * n;
            for (x, &z) in x.as_mut_slice()[..len].iter_mut().zip(&z.as_slice()[..len]) {
                *x = act.apply(z);
            }
        }
    }

    /// The demands of layer `m` (`0 < m < last`) for the first `n` samples of `batch`:
    /// `d = φ'(z) ∘ Σ_b F_bᵀ a_b`, over the blocks `b` out of `m`, `a_b` being the attention the
    /// block's target layer pays (`paid[to − m − 1]`) and `F_b` its weights, or the fixed
    /// `feedback[b]` where there is one. `O(n · Σ block sizes)`.
    pub fn propagate(
        &self,
        m: usize,
        batch: &Batch,
        paid: &[DMatrix<f64>],
        feedback: &[Option<DMatrix<f64>>],
        d: &mut DMatrix<f64>,
        n: usize,
    ) {
        for (i, &b) in self.out_of[m].iter().enumerate() {
            let f = feedback
                .get(b)
                .and_then(Option::as_ref)
                .unwrap_or(&self.weights[b]);
            let to = self.blocks[b].1;
            self.products.backward(d, f, &paid[to - m - 1], n, i > 0);
        }
        let (z, x) = (&batch.z[m], &batch.x[m]);
        let len = d.nrows() * n;
        let act = self.activation;
        for ((d, &z), &x) in d.as_mut_slice()[..len]
            .iter_mut()
            .zip(&z.as_slice()[..len])
            .zip(&x.as_slice()[..len])
        {
            *d *= act.derivative_at(z, x);
        }
    }
}

/// Pre-activations and values of every layer for up to `capacity` samples.
#[derive(Clone, Debug)]
pub struct Batch {
    pub(super) z: Vec<DMatrix<f64>>,
    pub(super) x: Vec<DMatrix<f64>>,
}

impl Batch {
    /// Buffers for `capacity` samples of `network`.
    pub fn new(network: &Network<'_>, capacity: usize) -> Self {
        let layers = |rows: &dyn Fn(usize) -> usize| -> Vec<DMatrix<f64>> {
            (0..network.layers())
                .map(|m| DMatrix::zeros(rows(m), capacity))
                .collect()
        };
        Batch {
            // The input layer has no pre-activations.
            z: layers(&|m| if m == 0 { 0 } else { network.width(m) }),
            x: layers(&|m| network.width(m)),
        }
    }

    /// How many samples it holds.
    pub fn capacity(&self) -> usize {
        self.x[0].ncols()
    }

    /// Sets the inputs of sample `s` of the batch.
    pub fn load(&mut self, s: usize, features: &[f64]) {
        self.x[0].column_mut(s).copy_from_slice(features);
    }

    /// Values of layer `m` for sample `s`, after [`Network::forward`].
    pub fn values(&self, m: usize, s: usize) -> &[f64] {
        let rows = self.x[m].nrows();
        &self.x[m].as_slice()[s * rows..(s + 1) * rows]
    }

    /// Values of every layer: `n × capacity` matrices.
    pub fn layer_values(&self) -> &[DMatrix<f64>] {
        &self.x
    }
}
