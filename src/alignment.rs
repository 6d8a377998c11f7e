//! Gradient alignment: per layer, the cosine between the update the agents actually applied over a
//! checkpoint window and the backprop gradient of the same samples at the weights each sample met
//! when its loss was computed.
//!
//! It is an observer: it reads parameters and recomputes gradients on its own buffers, draws no random
//! number and changes nothing in the run. Each sample costs one forward and one backward pass over the
//! synapses (`O(synapses)`).

use crate::data::Split;
use crate::scenario::{Activation, OutputKind};
use crate::topology::{Params, Topology};

/// Accumulates backprop gradients over a window and compares them with the applied update.
#[derive(Debug)]
pub struct Alignment<'a> {
    topology: &'a Topology,
    activation: Activation,
    output: OutputKind,
    data: &'a Split,
    /// Sum over the window of the backprop ascent direction `−∂L/∂w`, per synapse.
    gradient: Vec<f64>,
    /// Weights at the start of the window.
    start: Vec<f64>,
    z: Vec<f64>,
    x: Vec<f64>,
    demand: Vec<f64>,
}

impl<'a> Alignment<'a> {
    /// Starts a window at `initial`; samples are indices into `data`.
    pub fn new(
        topology: &'a Topology,
        activation: Activation,
        output: OutputKind,
        data: &'a Split,
        initial: &Params,
    ) -> Self {
        let n = topology.neurons();
        Alignment {
            topology,
            activation,
            output,
            data,
            gradient: vec![0.0; topology.synapses()],
            start: initial.weights.clone(),
            z: vec![0.0; n],
            x: vec![0.0; n],
            demand: vec![0.0; n],
        }
    }

    /// Adds the backprop gradient of training sample `sample` at `params` to the window.
    pub fn add_sample(&mut self, sample: usize, params: &Params) {
        let t = self.topology;
        let n = t.neurons();
        self.x[t.inputs()].copy_from_slice(self.data.features(sample));
        for j in t.inputs().end..n {
            let mut z = params.biases[j];
            for e in t.incoming(j) {
                z += params.weights[e] * self.x[t.source(e)];
            }
            self.z[j] = z;
            self.x[j] = if t.is_output(j) {
                z
            } else {
                self.activation.apply(z)
            };
        }
        let outputs = t.outputs();
        self.output.loss_and_demands(
            &self.x[outputs.clone()],
            self.data.targets(sample),
            &mut self.demand[outputs.clone()],
        );
        self.demand[t.inputs().end..outputs.start].fill(0.0);
        // Reverse topological order: every neuron's demand is complete before it is propagated.
        for j in (t.inputs().end..n).rev() {
            if !t.is_output(j) {
                self.demand[j] *= self.activation.derivative_at(self.z[j], self.x[j]);
            }
            let d = self.demand[j];
            for e in t.incoming(j) {
                let i = t.source(e);
                self.gradient[e] += d * self.x[i];
                if !t.is_input(i) {
                    self.demand[i] += params.weights[e] * d;
                }
            }
        }
    }

    /// Closes the window at `params`: for each layer `1..` (by the layer of the synapses' targets), the
    /// cosine between `params − start` and the accumulated gradient (`None` when either is zero).
    /// Starts the next window.
    pub fn close_window(&mut self, params: &Params) -> Vec<Option<f64>> {
        let t = self.topology;
        let layers = t.layers().len();
        let mut dot = vec![0.0; layers];
        let mut applied = vec![0.0; layers];
        let mut ideal = vec![0.0; layers];
        for e in 0..t.synapses() {
            let l = t.layer_of(t.target(e));
            let delta = params.weights[e] - self.start[e];
            let g = self.gradient[e];
            dot[l] += delta * g;
            applied[l] += delta * delta;
            ideal[l] += g * g;
        }
        self.gradient.fill(0.0);
        self.start.copy_from_slice(&params.weights);
        (1..layers)
            .map(|l| {
                let norms = (applied[l] * ideal[l]).sqrt();
                (norms > 0.0).then(|| dot[l] / norms)
            })
            .collect()
    }
}
