//! How much memory a run of a scenario needs, from its shape alone, before anything is allocated.
//!
//! The figure is the sum of the large buffers (per synapse, per neuron and slot, per sample), byte
//! counts read off the data structures they live in: the data splits, the compiled topology (12 bytes
//! per synapse) and the `petgraph` graph it is built from, the weights, and the trainer's own state —
//! for the event engine the optimizer buffers, the estimates of `EstimatedAttention` and, with a wait
//! timeout, the per-synapse inboxes of every sample slot (`in_flight + batch_size` slots); for the
//! dense engine one matrix per pair of connected layers for each of weights, gradients, velocity, the
//! sparsity mask and the feedback weights. Small per-layer state and the program itself (a few MB)
//! are left out. `docs/scenarios.md` compares the estimate with measured peak memory.

use crate::scenario::{Connectivity, Engine, RuleSpec, Scenario};

use super::DataShape;

/// The memory a run needs, by part, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// The loaded data (both splits).
    pub data: u64,
    /// Building the topology, a transient peak: the `petgraph` graph and its edge list.
    pub build: u64,
    /// The topology, weights and biases, and fixed feedback weights.
    pub network: u64,
    /// The trainer's state (event engine or dense trainer) and gradient alignment.
    pub trainer: u64,
    /// The training schedule: one entry per training sample and epoch.
    pub schedule: u64,
}

impl MemoryEstimate {
    /// The peak: the data, plus the larger of the build and what training holds.
    pub fn total(&self) -> u64 {
        let training = self
            .network
            .saturating_add(self.trainer)
            .saturating_add(self.schedule);
        self.data.saturating_add(self.build.max(training))
    }
}

/// Neurons and synapses of the network `s` describes on data of `shape` (an upper bound for sparse
/// connectivity), and the number of cells of the dense engine's layer-to-layer matrices.
pub(super) struct Size {
    pub neurons: u128,
    pub synapses: u128,
    pub cells: u128,
}

pub(super) fn size(s: &Scenario, shape: &DataShape) -> Size {
    let mut widths = vec![shape.features as u128];
    widths.extend(s.network.hidden.iter().map(|&w| w as u128));
    widths.push(shape.outputs as u128);
    let neurons = widths.iter().sum();
    let mut cells: u128 = 0;
    for m in 1..widths.len() {
        let sources: u128 = if s.network.skip {
            widths[..m].iter().sum()
        } else {
            widths[m - 1]
        };
        cells = cells.saturating_add(sources.saturating_mul(widths[m]));
    }
    let synapses = match s.network.connectivity {
        Connectivity::Dense => cells,
        // Each synapse exists with probability `density`; every neuron keeps one input and one
        // output, so at most one more per neuron.
        Connectivity::Sparse { density } => {
            let expected = (cells as f64 * density.clamp(0.0, 1.0)).ceil();
            (expected as u128).saturating_add(neurons).min(cells)
        }
    };
    Size {
        neurons,
        synapses,
        cells,
    }
}

/// The memory a run of `s` on data of `shape` needs.
pub fn estimate(s: &Scenario, shape: &DataShape) -> MemoryEstimate {
    let Size {
        neurons: n,
        synapses: m,
        cells,
    } = size(s, shape);
    let l = &s.learning;
    let samples = (shape.train_samples as u128).saturating_add(shape.test_samples as u128);
    let data = samples.saturating_mul(8 * (shape.features as u128 + shape.outputs as u128 + 1));
    // petgraph: 16 bytes per edge in a vector that may have doubled, the edge list (8), and 16 bytes
    // per node (its layer, two edge links), in a vector that may have doubled too.
    let build = m.saturating_mul(40).saturating_add(n.saturating_mul(32));
    let feedback = matches!(l.rule, RuleSpec::FeedbackAlignment) as u128;
    // Topology (12 per synapse, 3 words per neuron), weights and biases, feedback weights.
    let network = m
        .saturating_mul(12 + 8 + 8 * feedback)
        .saturating_add(n.saturating_mul(32));
    let momentum = match l.optimizer {
        crate::scenario::OptimizerSpec::Sgd { momentum, .. } => momentum != 0.0,
    };
    let batch = l.batch_size.max(1) as u128;
    let slots = (l.in_flight.max(1) as u128).saturating_add(batch);
    let trainer = match s.engine() {
        Engine::Events | Engine::Reference => {
            let greedy = matches!(l.rule, RuleSpec::GreedyAttention)
                || matches!(
                    l.rule,
                    RuleSpec::EstimatedAttention {
                        step: crate::scenario::Step::Greedy,
                        ..
                    }
                );
            let direct = batch == 1 && !momentum && !greedy;
            let estimated = matches!(l.rule, RuleSpec::EstimatedAttention { .. });
            let unreliable = s.links.wait_timeout.is_some();
            let per_synapse = 8 * momentum as u128
                + 8 * (!direct) as u128
                + 18 * estimated as u128
                + 8 // link class and cut counters
                + if unreliable { 8 + 32 * slots } else { 0 };
            // Per neuron and slot: phase, schedule, z, x, demand, attention, two waves, updates
            // (104 bytes) and four queue entries (96); per neuron: counters, held samples.
            let per_neuron = slots.saturating_mul(200).saturating_add(96 + 8 * batch);
            // The reference engine queues one entry per message in flight: up to one per synapse,
            // direction and slot.
            let queue = if s.engine() == Engine::Reference {
                m.saturating_mul(slots).saturating_mul(2 * 32)
            } else {
                0
            };
            m.saturating_mul(per_synapse)
                .saturating_add(n.saturating_mul(per_neuron))
                .saturating_add(queue)
        }
        Engine::Dense => {
            // Weights, gradient, velocity, mask (+ feedback) per matrix cell; a snapshot and a final
            // copy of the weights; four batch-wide matrices per neuron.
            cells
                .saturating_mul(32 + 8 * feedback)
                .saturating_add(m.saturating_mul(16))
                .saturating_add(n.saturating_mul(32 * batch + 64))
        }
    };
    let alignment = if s.evaluation.gradient_alignment {
        m.saturating_mul(16).saturating_add(n.saturating_mul(24))
    } else {
        0
    };
    let schedule = (shape.train_samples as u128)
        .saturating_mul(l.epochs as u128)
        .saturating_mul(8);
    let clamp = |x: u128| u64::try_from(x).unwrap_or(u64::MAX);
    MemoryEstimate {
        data: clamp(data),
        build: clamp(build),
        network: clamp(network),
        trainer: clamp(trainer.saturating_add(alignment)),
        schedule: clamp(schedule),
    }
}
