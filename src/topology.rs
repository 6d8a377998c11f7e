//! Topology: neurons and synapses as a `petgraph` graph, compiled into flat arrays for the engines.
//!
//! Neurons are numbered layer by layer: the input layer first, then the hidden layers, the output
//! layer last, so that the numbering is a topological order. A synapse `i → j` is *owned* by its
//! target `j`. Synapse ids are sorted by `(target, source)`, which makes every neuron's incoming
//! weights one contiguous slice ([`Topology::incoming`]); the outgoing synapses of a neuron are listed
//! separately ([`Topology::outgoing`]), sorted by target.
//!
//! What comes from `petgraph`:
//! * the graph: [`Topology::build`] draws the synapses (from the topology stream, layer by layer)
//!   into a `DiGraph` whose node `j` is neuron `j` and weighs its layer, one edge per synapse;
//! * the check that it has no cycle: `petgraph::algo::toposort`;
//! * reachability: questions about paths run `petgraph` algorithms on [`Topology::graph`] (the
//!   partition warning of [`FaultPlan`](crate::plan::FaultPlan), "no input reaches any output", is a
//!   `Dfs` over the graph without the cut synapses).
//!
//! [`Topology::from_graph`] compiles the flat form from that graph alone: the layers and
//! [`Topology::layer_of`] from the node weights (which must number the nodes layer by layer), the
//! synapse ids and every incoming and outgoing list from the edges. It also checks that the
//! numbering is a topological order, the one the engines' loops rely on: every synapse goes from a
//! lower to a higher id and from a lower to a higher layer.
//!
//! Not from `petgraph`: the flat arrays and every lookup on them — the engines never see the graph,
//! [`Topology::synapse`] is a binary search in an incoming list, [`Topology::neuron`] reads the
//! compiled layers. The graph is dropped once compiled; [`Topology::graph`] rebuilds one.
//!
//! [`NeuronId`] and [`SynapseId`] name neurons and synapses where the two are easy to confuse (the
//! fault plan, the engines' health); the engines' loops index with plain `usize`.

use std::ops::Range;

use petgraph::graph::{DiGraph, NodeIndex};
use rand::Rng as _;

use crate::rng::{Purpose, Streams};
use crate::scenario::{Connectivity, NetworkSpec};

/// The id of a neuron: its place in the layer-by-layer numbering (inputs first), which indexes
/// [`Params::biases`]. Not a synapse id: the two are different types.
///
/// ```
/// use neuragent::topology::{NeuronId, SynapseId};
/// assert_eq!(NeuronId::new(3).index(), SynapseId::new(3).index());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct NeuronId(u32);

impl NeuronId {
    /// Neuron `index`. The topology numbers neurons in `u32`, so `index` fits.
    #[inline]
    pub const fn new(index: usize) -> NeuronId {
        debug_assert!(index <= u32::MAX as usize);
        NeuronId(index as u32)
    }

    /// The neuron's index, for indexing per-neuron arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// The id of a synapse: its place in the `(target, source)` order, which indexes
/// [`Params::weights`]. Not a neuron id: the two are different types.
///
/// ```compile_fail
/// use neuragent::topology::{NeuronId, SynapseId};
/// let synapse: SynapseId = NeuronId::new(3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct SynapseId(u32);

impl SynapseId {
    /// Synapse `index`. The topology numbers synapses in `u32`, so `index` fits.
    #[inline]
    pub const fn new(index: usize) -> SynapseId {
        debug_assert!(index <= u32::MAX as usize);
        SynapseId(index as u32)
    }

    /// The synapse's index, for indexing per-synapse arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a neuron is in the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Emits one feature of each sample.
    Input(usize),
    /// Hidden neuron `index` of hidden layer `layer` (0-based, input side first).
    Hidden {
        /// Hidden layer.
        layer: usize,
        /// Position in the layer.
        index: usize,
    },
    /// Output neuron `i`, answered by the loss agent.
    Output(usize),
}

/// Why a topology could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// The graph has a cycle ([`Topology::build`] only makes DAGs: from it, this would be a bug).
    #[error("network graph has a cycle through neuron {0}")]
    Cyclic(usize),
    /// The graph has fewer than two layers: a network needs inputs and outputs.
    #[error("network graph has {0} layer(s); it needs an input and an output layer")]
    TooFewLayers(usize),
    /// A neuron's layer is neither its predecessor's nor the next (the first neuron's must be 0):
    /// the nodes are not numbered layer by layer.
    #[error("neuron {0} is not numbered layer by layer")]
    Numbering(usize),
    /// A synapse does not go from a lower to a higher id and a lower to a higher layer.
    #[error("synapse {from} → {to} goes against the layer-by-layer numbering")]
    Backward {
        /// Its source neuron.
        from: usize,
        /// Its target neuron.
        to: usize,
    },
}

/// The network in its flat, engine-friendly form: 12 bytes per synapse (source, target, and its place
/// in its source's outgoing list), compiled from a `petgraph` graph ([`Topology::from_graph`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    layers: Vec<Range<usize>>,
    layer_of: Vec<usize>,
    edge_source: Vec<u32>,
    edge_target: Vec<u32>,
    in_start: Vec<usize>,
    out_start: Vec<usize>,
    out_edges: Vec<u32>,
}

impl Topology {
    /// Builds the layered network `inputs → hidden… → outputs` of `spec`. Sparse synapses are drawn from
    /// the topology stream; every non-input neuron keeps at least one input and every non-output neuron
    /// at least one output, so no neuron waits forever.
    pub fn build(
        spec: &NetworkSpec,
        inputs: usize,
        outputs: usize,
        streams: &Streams,
    ) -> Result<Topology, TopologyError> {
        let mut widths = vec![inputs];
        widths.extend_from_slice(&spec.hidden);
        widths.push(outputs);
        let mut rng = streams.stream(Purpose::Topology);

        let mut graph = DiGraph::new();
        let mut layers = Vec::with_capacity(widths.len());
        for (l, &w) in widths.iter().enumerate() {
            let start = graph.node_count();
            for _ in 0..w {
                graph.add_node(l);
            }
            layers.push(start..start + w);
        }

        let density = match spec.connectivity {
            Connectivity::Dense => 1.0,
            Connectivity::Sparse { density } => density,
        };
        for m in 1..layers.len() {
            let sources: Vec<usize> = if spec.skip {
                (0..m).flat_map(|k| layers[k].clone()).collect()
            } else {
                layers[m - 1].clone().collect()
            };
            for j in layers[m].clone() {
                let mut any = false;
                for &i in &sources {
                    if density >= 1.0 || rng.random::<f64>() < density {
                        graph.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
                        any = true;
                    }
                }
                if !any {
                    let prev = &layers[m - 1];
                    let i = prev.start + rng.random_range(0..prev.len());
                    graph.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
                }
            }
        }
        // A neuron without outputs would never be paid attention: give it one into the next layer.
        for k in 0..layers.len() - 1 {
            for i in layers[k].clone() {
                if graph.neighbors(NodeIndex::new(i)).next().is_none() {
                    let next = &layers[k + 1];
                    let j = next.start + rng.random_range(0..next.len());
                    graph.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
                }
            }
        }
        Topology::from_graph(graph)
    }

    /// Compiles a graph whose node `j` is neuron `j` and weighs its layer (0 = inputs, the last one
    /// outputs), one edge per synapse (the edge weights are ignored; parallel edges are one synapse).
    /// Fails if the graph has a cycle (`petgraph::algo::toposort`), if the nodes are not numbered
    /// layer by layer, or if a synapse does not go from a lower to a higher id and layer: the flat
    /// form and the engines' loops take that order for granted. [`Topology::graph`] gives back such a
    /// graph. The graph is dropped once its edges are listed, before the flat arrays are built.
    pub fn from_graph<E>(graph: DiGraph<usize, E>) -> Result<Topology, TopologyError> {
        if let Err(cycle) = petgraph::algo::toposort(&graph, None) {
            return Err(TopologyError::Cyclic(cycle.node_id().index()));
        }
        let n = graph.node_count();
        let layer_of: Vec<usize> = graph.node_weights().copied().collect();
        let mut layers: Vec<Range<usize>> = Vec::new();
        for (j, &l) in layer_of.iter().enumerate() {
            if l == layers.len() {
                layers.push(j..j + 1);
            } else if layers.len().checked_sub(1) == Some(l) {
                layers[l].end = j + 1;
            } else {
                return Err(TopologyError::Numbering(j));
            }
        }
        if layers.len() < 2 {
            return Err(TopologyError::TooFewLayers(layers.len()));
        }
        for e in graph.raw_edges() {
            let (i, j) = (e.source().index(), e.target().index());
            if i >= j || layer_of[i] >= layer_of[j] {
                return Err(TopologyError::Backward { from: i, to: j });
            }
        }
        let mut edges: Vec<(u32, u32)> = graph
            .raw_edges()
            .iter()
            .map(|e| (e.target().index() as u32, e.source().index() as u32))
            .collect();
        drop(graph);
        edges.sort_unstable();
        edges.dedup();
        let edge_target: Vec<u32> = edges.iter().map(|&(j, _)| j).collect();
        let edge_source: Vec<u32> = edges.iter().map(|&(_, i)| i).collect();
        drop(edges);

        let mut in_start = vec![0; n + 1];
        for &j in &edge_target {
            in_start[j as usize + 1] += 1;
        }
        let mut out_start = vec![0; n + 1];
        for &i in &edge_source {
            out_start[i as usize + 1] += 1;
        }
        for k in 0..n {
            in_start[k + 1] += in_start[k];
            out_start[k + 1] += out_start[k];
        }
        // Edges are sorted by target, so pushing them in order keeps each source's list sorted by target.
        let mut fill = out_start.clone();
        let mut out_edges = vec![0; edge_source.len()];
        for (e, &i) in edge_source.iter().enumerate() {
            out_edges[fill[i as usize]] = e as u32;
            fill[i as usize] += 1;
        }
        Ok(Topology {
            layers,
            layer_of,
            edge_source,
            edge_target,
            in_start,
            out_start,
            out_edges,
        })
    }

    /// The network as a petgraph graph, rebuilt from the flat form in `O(neurons + synapses)`: node
    /// `j` is neuron `j` and weighs its layer, as [`Topology::from_graph`] takes it; the edges come in
    /// synapse order and weigh their synapse.
    pub fn graph(&self) -> DiGraph<usize, SynapseId> {
        let mut graph = DiGraph::with_capacity(self.neurons(), self.synapses());
        for &l in &self.layer_of {
            graph.add_node(l);
        }
        for e in 0..self.synapses() {
            graph.add_edge(
                NodeIndex::new(self.source(e)),
                NodeIndex::new(self.target(e)),
                SynapseId::new(e),
            );
        }
        graph
    }

    /// Number of neurons, inputs included.
    pub fn neurons(&self) -> usize {
        self.layer_of.len()
    }

    /// Number of synapses.
    pub fn synapses(&self) -> usize {
        self.edge_source.len()
    }

    /// Neuron ids of each layer: `layers()[0]` inputs, the last one outputs.
    pub fn layers(&self) -> &[Range<usize>] {
        &self.layers
    }

    /// Layer of neuron `j`.
    pub fn layer_of(&self, j: usize) -> usize {
        self.layer_of[j]
    }

    /// The input neurons.
    pub fn inputs(&self) -> Range<usize> {
        self.layers[0].clone()
    }

    /// The output neurons.
    pub fn outputs(&self) -> Range<usize> {
        self.layers[self.layers.len() - 1].clone()
    }

    /// Whether `j` is an input neuron.
    pub fn is_input(&self, j: usize) -> bool {
        self.layer_of[j] == 0
    }

    /// Whether `j` is an output neuron.
    pub fn is_output(&self, j: usize) -> bool {
        self.layer_of[j] == self.layers.len() - 1
    }

    /// The role of neuron `j`.
    pub fn role(&self, j: usize) -> Role {
        let layer = self.layer_of[j];
        let index = j - self.layers[layer].start;
        if layer == 0 {
            Role::Input(index)
        } else if layer == self.layers.len() - 1 {
            Role::Output(index)
        } else {
            Role::Hidden {
                layer: layer - 1,
                index,
            }
        }
    }

    /// Ids of the synapses into `j` (contiguous: `j` owns exactly these weights).
    pub fn incoming(&self, j: usize) -> Range<usize> {
        self.in_start[j]..self.in_start[j + 1]
    }

    /// The sources of `j`'s incoming synapses when they are consecutive neurons, as in a dense
    /// layer: then `x[sources]` lines up with `incoming(j)`, and loops over both read two plain
    /// slices instead of gathering by source. (A neuron's sources are increasing, so they are
    /// consecutive when the first and last are as far apart as their number.)
    #[inline]
    pub fn consecutive_sources(&self, j: usize) -> Option<Range<usize>> {
        let r = self.incoming(j);
        if r.is_empty() {
            return None;
        }
        let first = self.edge_source[r.start] as usize;
        let last = self.edge_source[r.end - 1] as usize;
        (last - first + 1 == r.len()).then_some(first..last + 1)
    }

    /// Ids of the synapses out of `i`, sorted by target.
    #[inline]
    pub fn outgoing(&self, i: usize) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.out_edges[self.out_start[i]..self.out_start[i + 1]]
            .iter()
            .map(|&e| e as usize)
    }

    /// The positions of `i`'s outgoing synapses in the order of [`Topology::outgoing`]: the
    /// contiguous range `out_start(i)..out_start(i + 1)` of "out-positions".
    #[inline]
    pub fn out_positions(&self, i: usize) -> std::ops::Range<usize> {
        self.out_start[i]..self.out_start[i + 1]
    }

    /// The out-position of every synapse (its place among all outgoing lists, by source), by
    /// synapse id: the inverse of the outgoing lists. Built on demand, for the engines that keep
    /// something per synapse in outgoing order; the topology does not hold it.
    pub fn out_position_table(&self) -> Vec<u32> {
        let mut table = vec![0; self.out_edges.len()];
        for (p, &e) in self.out_edges.iter().enumerate() {
            table[e as usize] = p as u32;
        }
        table
    }

    /// Number of synapses out of `i`.
    #[inline]
    pub fn out_degree(&self, i: usize) -> usize {
        self.out_start[i + 1] - self.out_start[i]
    }

    /// Source neuron of synapse `e`.
    #[inline]
    pub fn source(&self, e: usize) -> usize {
        self.edge_source[e] as usize
    }

    /// Target neuron of synapse `e`.
    #[inline]
    pub fn target(&self, e: usize) -> usize {
        self.edge_target[e] as usize
    }

    /// The id of a neuron reference, if the network has that neuron.
    pub fn neuron(&self, r: crate::scenario::NeuronRef) -> Option<NeuronId> {
        use crate::scenario::NeuronRef;
        let (layer, index) = match r {
            NeuronRef::Input(i) => (0, i),
            NeuronRef::Hidden { layer, index } => (layer + 1, index),
            NeuronRef::Output(i) => (self.layers.len() - 1, i),
        };
        let last = self.layers.len() - 1;
        if matches!(r, NeuronRef::Hidden { .. }) && layer >= last {
            return None;
        }
        let range = &self.layers[layer];
        (index < range.len()).then(|| NeuronId::new(range.start + index))
    }

    /// The layer index of a layer reference (0 = inputs), if the network has that layer.
    pub fn layer(&self, r: crate::scenario::LayerRef) -> Option<usize> {
        use crate::scenario::LayerRef;
        let last = self.layers.len() - 1;
        match r {
            LayerRef::Input => Some(0),
            LayerRef::Hidden(l) => (l + 1 < last).then_some(l + 1),
            LayerRef::Output => Some(last),
        }
    }

    /// The synapse from `from` to `to`, if there is one.
    pub fn synapse(&self, from: NeuronId, to: NeuronId) -> Option<SynapseId> {
        let range = self.incoming(to.index());
        self.edge_source[range.clone()]
            .binary_search(&from.0)
            .ok()
            .map(|k| SynapseId::new(range.start + k))
    }

    /// Sources of all synapses, indexed by synapse id.
    pub fn sources(&self) -> &[u32] {
        &self.edge_source
    }
}

/// The learned state of a network: one weight per synapse (by synapse id) and one bias per neuron
/// (inputs' biases are unused and stay 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Weights by synapse id.
    pub weights: Vec<f64>,
    /// Biases by neuron id.
    pub biases: Vec<f64>,
}

impl Params {
    /// Parameters of no network: a placeholder to swap a buffer out.
    pub fn empty() -> Params {
        Params {
            weights: Vec::new(),
            biases: Vec::new(),
        }
    }

    /// Initial parameters: weights uniform in `±√(3 / fan_in)` of their target (variance `1/fan_in`),
    /// drawn in synapse order from `rng`; biases 0.
    pub fn init(topology: &Topology, rng: &mut impl rand::Rng) -> Params {
        let mut weights = vec![0.0; topology.synapses()];
        for j in 0..topology.neurons() {
            let range = topology.incoming(j);
            if range.is_empty() {
                continue;
            }
            let limit = (3.0 / range.len() as f64).sqrt();
            for w in &mut weights[range] {
                *w = rng.random_range(-limit..limit);
            }
        }
        Params {
            weights,
            biases: vec![0.0; topology.neurons()],
        }
    }

    /// Largest relative difference between two parameter sets: `|a − b| / max(1, |a|, |b|)`; infinite
    /// when the shapes differ or a value is not finite, so a diverged run never compares equal.
    pub fn max_relative_difference(&self, other: &Params) -> f64 {
        if self.weights.len() != other.weights.len() || self.biases.len() != other.biases.len() {
            return f64::INFINITY;
        }
        self.weights
            .iter()
            .zip(&other.weights)
            .chain(self.biases.iter().zip(&other.biases))
            .map(|(&a, &b)| {
                if a.is_finite() && b.is_finite() {
                    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
                } else {
                    f64::INFINITY
                }
            })
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Activation;
    use crate::scenario::OutputKind;

    fn spec(hidden: Vec<usize>, connectivity: Connectivity, skip: bool) -> NetworkSpec {
        NetworkSpec {
            hidden,
            activation: Activation::Tanh,
            output: OutputKind::Softmax,
            connectivity,
            skip,
        }
    }

    #[test]
    fn dense_layers_have_all_synapses() {
        let t = Topology::build(
            &spec(vec![3, 2], Connectivity::Dense, false),
            4,
            2,
            &Streams::new(1),
        )
        .unwrap();
        assert_eq!(t.neurons(), 11);
        assert_eq!(t.synapses(), 4 * 3 + 3 * 2 + 2 * 2);
        for j in 0..t.neurons() {
            for e in t.incoming(j) {
                assert_eq!(t.target(e), j);
                assert!(t.layer_of(t.source(e)) < t.layer_of(j));
            }
            for e in t.outgoing(j) {
                assert_eq!(t.source(e), j);
            }
        }
        assert_eq!(t.role(4), Role::Hidden { layer: 0, index: 0 });
        assert_eq!(t.role(10), Role::Output(1));
    }

    #[test]
    fn skip_connections_feed_later_layers() {
        let t = Topology::build(
            &spec(vec![3, 2], Connectivity::Dense, true),
            4,
            2,
            &Streams::new(1),
        )
        .unwrap();
        // Outputs take every earlier neuron: 4 + 3 + 2 each.
        assert_eq!(t.incoming(9).len(), 9);
        assert_eq!(t.synapses(), 4 * 3 + 7 * 2 + 9 * 2);
    }

    #[test]
    fn consecutive_sources_line_up_with_the_incoming_synapses() {
        let dense = Topology::build(
            &spec(vec![3, 2], Connectivity::Dense, true),
            4,
            2,
            &Streams::new(1),
        )
        .unwrap();
        let sparse = Topology::build(
            &spec(vec![5, 4], Connectivity::Sparse { density: 0.3 }, false),
            6,
            3,
            &Streams::new(3),
        )
        .unwrap();
        let mut gathered = 0;
        for t in [&dense, &sparse] {
            for j in 0..t.neurons() {
                let sources: Vec<usize> = t.incoming(j).map(|e| t.source(e)).collect();
                match t.consecutive_sources(j) {
                    Some(r) => assert_eq!(sources, r.collect::<Vec<_>>(), "neuron {j}"),
                    None => {
                        assert!(sources.windows(2).any(|w| w[1] != w[0] + 1) || sources.is_empty());
                        gathered += 1;
                    }
                }
            }
        }
        // Inputs have no sources; a sparse network has gaps.
        assert!(gathered > 6 + 4);
        assert_eq!(dense.consecutive_sources(10), Some(0..9));
    }

    #[test]
    fn sparse_networks_leave_no_neuron_stranded() {
        for seed in 0..20 {
            let t = Topology::build(
                &spec(
                    vec![5, 4],
                    Connectivity::Sparse { density: 0.05 },
                    seed % 2 == 0,
                ),
                6,
                3,
                &Streams::new(seed),
            )
            .unwrap();
            for j in 0..t.neurons() {
                if !t.is_input(j) {
                    assert!(!t.incoming(j).is_empty(), "neuron {j} has no input");
                }
                if !t.is_output(j) {
                    assert!(t.out_degree(j) > 0, "neuron {j} has no output");
                }
            }
        }
    }

    #[test]
    fn neuron_references_resolve_only_inside_the_network() {
        use crate::scenario::NeuronRef;
        let t = Topology::build(
            &spec(vec![3, 2], Connectivity::Dense, false),
            4,
            2,
            &Streams::new(1),
        )
        .unwrap();
        let id = NeuronId::new;
        assert_eq!(t.neuron(NeuronRef::Input(3)), Some(id(3)));
        assert_eq!(t.neuron(NeuronRef::Input(4)), None);
        assert_eq!(
            t.neuron(NeuronRef::Hidden { layer: 1, index: 1 }),
            Some(id(8))
        );
        assert_eq!(t.neuron(NeuronRef::Hidden { layer: 1, index: 2 }), None);
        assert_eq!(t.neuron(NeuronRef::Hidden { layer: 2, index: 0 }), None);
        assert_eq!(t.neuron(NeuronRef::Output(1)), Some(id(10)));
        let e = t.synapse(id(7), id(10)).unwrap();
        assert_eq!((t.source(e.index()), t.target(e.index())), (7, 10));
        assert_eq!(t.synapse(id(0), id(10)), None);
        let g = t.graph();
        assert_eq!(g.edge_count(), t.synapses());
        assert_eq!(g[NodeIndex::new(8)], t.layer_of(8));
    }

    #[test]
    fn the_graph_compiles_back_to_the_same_topology() {
        for (seed, skip) in [(3, false), (4, true)] {
            let t = Topology::build(
                &spec(vec![5, 4], Connectivity::Sparse { density: 0.3 }, skip),
                6,
                3,
                &Streams::new(seed),
            )
            .unwrap();
            assert_eq!(Topology::from_graph(t.graph()).unwrap(), t);
        }
    }

    /// A graph with nodes weighing `layers` and edges `edges`.
    fn graph(layers: &[usize], edges: &[(usize, usize)]) -> DiGraph<usize, ()> {
        let mut g = DiGraph::new();
        for &l in layers {
            g.add_node(l);
        }
        for &(i, j) in edges {
            g.add_edge(NodeIndex::new(i), NodeIndex::new(j), ());
        }
        g
    }

    #[test]
    fn layers_and_lists_come_from_the_graph() {
        // Parallel edges are one synapse; edges may come in any order.
        let g = graph(&[0, 0, 1, 2], &[(2, 3), (1, 2), (0, 3), (0, 2), (1, 2)]);
        let t = Topology::from_graph(g).unwrap();
        assert_eq!(t.layers(), &[0..2, 2..3, 3..4]);
        assert_eq!((t.neurons(), t.synapses()), (4, 4));
        assert_eq!(
            t.incoming(2).map(|e| t.source(e)).collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(
            t.incoming(3).map(|e| t.source(e)).collect::<Vec<_>>(),
            [0, 2]
        );
        assert_eq!(
            t.outgoing(0).map(|e| t.target(e)).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(t.role(2), Role::Hidden { layer: 0, index: 0 });
    }

    #[test]
    fn a_graph_against_the_numbering_is_rejected() {
        let compile = |layers: &[usize], edges: &[(usize, usize)]| {
            Topology::from_graph(graph(layers, edges)).map(|_| ())
        };
        assert!(matches!(
            compile(&[0, 1], &[(0, 1), (1, 0)]),
            Err(TopologyError::Cyclic(_))
        ));
        assert!(matches!(
            compile(&[0, 1], &[(1, 0)]),
            Err(TopologyError::Backward { from: 1, to: 0 })
        ));
        // Same layer: ids go up, layers do not.
        assert!(matches!(
            compile(&[0, 0, 1], &[(0, 1), (1, 2)]),
            Err(TopologyError::Backward { from: 0, to: 1 })
        ));
        assert!(matches!(
            compile(&[1, 1], &[]),
            Err(TopologyError::Numbering(0))
        ));
        assert!(matches!(
            compile(&[0, 2], &[(0, 1)]),
            Err(TopologyError::Numbering(1))
        ));
        assert!(matches!(
            compile(&[0, 1, 0], &[]),
            Err(TopologyError::Numbering(2))
        ));
        assert!(matches!(
            compile(&[0, 0], &[]),
            Err(TopologyError::TooFewLayers(1))
        ));
    }
}
