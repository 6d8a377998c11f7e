//! The strategies of the parts of a scenario, and the drawn faults and overrides that become
//! concrete once the network is known.

use proptest::prelude::*;
use proptest::sample::{select, Index};

use super::{probability, Bounds, DelayKind, FaultKind, RuleKind, Shape};
use crate::scenario::{
    Activation, Connectivity, Delay, Estimator, Fault, LayerRef, LinkOverride, LinkSelector,
    LinkSpec, NetworkSpec, NeuronRef, RuleSpec, SendPolicy, Step, When,
};

/// One of `choices` (shrinking to the first).
pub fn activation(choices: &[Activation]) -> impl Strategy<Value = Activation> {
    select(choices.to_vec())
}

/// Networks within `b`: hidden layers and widths, activation, output, dense or sparse connectivity,
/// skip connections or not.
pub fn network(b: &Bounds) -> BoxedStrategy<NetworkSpec> {
    let base: NetworkSpec =
        ron::from_str("(hidden: [], activation: Tanh, output: Softmax)").expect("a valid network");
    let connectivity = if b.sparse {
        prop_oneof![
            3 => Just(Connectivity::Dense),
            1 => (0.4f64..=1.0).prop_map(|density| Connectivity::Sparse { density }),
        ]
        .boxed()
    } else {
        Just(Connectivity::Dense).boxed()
    };
    let skip = if b.skip {
        any::<bool>().boxed()
    } else {
        Just(false).boxed()
    };
    (
        prop::collection::vec(b.width.clone(), b.hidden_layers.clone()),
        activation(&b.activations),
        select(b.outputs.clone()),
        connectivity,
        skip,
    )
        .prop_map(move |(hidden, activation, output, connectivity, skip)| {
            let mut n = base.clone();
            n.hidden = hidden;
            n.activation = activation;
            n.output = output;
            n.connectivity = connectivity;
            n.skip = skip;
            n
        })
        .boxed()
}

/// A delay of one of `b.delays`' families whose mean is within `b.mean_delay` (rounded to whole
/// ticks for `Constant` and `Uniform`).
pub fn delay(b: &Bounds) -> BoxedStrategy<Delay> {
    let (lo, hi) = (*b.mean_delay.start(), *b.mean_delay.end());
    let mean = if lo == hi {
        Just(lo).boxed()
    } else {
        (lo..=hi).boxed()
    };
    (select(b.delays.clone()), mean, 0.0f64..=1.0)
        .prop_map(|(kind, mean, shape)| match kind {
            DelayKind::Constant => Delay::Constant(mean.round() as i64),
            DelayKind::Uniform => {
                // min ≤ mean ≤ max, centred on the mean.
                let twice = (2.0 * mean).round() as i64;
                let min = ((mean.floor() as i64) as f64 * shape).floor() as i64;
                Delay::Uniform {
                    min,
                    max: (twice - min).max(min),
                }
            }
            DelayKind::Exponential => Delay::Exponential {
                mean: mean.max(0.05),
            },
            DelayKind::LogNormal => {
                let sigma = 1.2 * shape;
                Delay::LogNormal {
                    mu: mean.max(0.05).ln() - sigma * sigma / 2.0,
                    sigma,
                }
            }
        })
        .boxed()
}

/// One of `kinds`, with the settings of estimated attention generated.
pub fn rule(kinds: &[RuleKind]) -> BoxedStrategy<RuleSpec> {
    let estimator = || {
        prop_oneof![
            Just(Estimator::LastValue),
            (0.0f64..0.95).prop_map(|decay| Estimator::Ema { decay }),
        ]
    };
    let strategies: Vec<BoxedStrategy<RuleSpec>> = kinds
        .iter()
        .map(|kind| match *kind {
            RuleKind::Exactly(rule) => Just(rule).boxed(),
            RuleKind::Estimated => estimator()
                .prop_map(|estimator| RuleSpec::EstimatedAttention {
                    estimator,
                    send: SendPolicy::Always,
                    step: Step::Gradient,
                })
                .boxed(),
            RuleKind::EventTriggered => (
                estimator(),
                prop_oneof![
                    Just(SendPolicy::Always),
                    (1u32..=4).prop_map(SendPolicy::EveryK),
                    (0.0f64..0.05).prop_map(SendPolicy::Threshold),
                ],
                select(vec![Step::Gradient, Step::Greedy]),
            )
                .prop_map(|(estimator, send, step)| RuleSpec::EstimatedAttention {
                    estimator,
                    send,
                    step,
                })
                .boxed(),
        })
        .collect();
    // `Union` shrinks towards the first alternative.
    proptest::strategy::Union::new(strategies).boxed()
}

/// Whether a rule needs a neuron's whole batch before it pays attention (greedy steps).
pub(super) fn greedy(rule: RuleSpec) -> bool {
    matches!(
        rule,
        RuleSpec::GreedyAttention
            | RuleSpec::EstimatedAttention {
                step: Step::Greedy,
                ..
            }
    )
}

/// Link models within `b` for a network of `shape` (`network` says whether it is sparse and has
/// skip connections): delays, drops, timeout, missing-input policy and per-link overrides.
pub fn links(b: &Bounds, shape: &Shape, network: &NetworkSpec) -> BoxedStrategy<LinkSpec> {
    let (shape, network) = (shape.clone(), network.clone());
    let timeout = b
        .wait_timeout
        .clone()
        .map_or(Just(None).boxed(), |t| t.prop_map(Some).boxed());
    (
        delay(b),
        delay(b),
        probability(&b.drop_probability),
        timeout,
        select(b.missing_input.clone()),
        override_draws(b),
    )
        .prop_map(
            move |(forward_delay, attention_delay, drop, wait_timeout, missing_input, o)| {
                LinkSpec {
                    forward_delay,
                    attention_delay,
                    drop_probability: drop,
                    wait_timeout,
                    missing_input,
                    overrides: o.iter().map(|o| o.resolve(&shape, &network)).collect(),
                    ..LinkSpec::default()
                }
            },
        )
        .boxed()
}

/// A per-link override as drawn: which synapses (resolved against a network by
/// [`OverrideDraw::resolve`]) and what it sets.
#[derive(Clone, Debug)]
pub struct OverrideDraw {
    between: bool,
    target: Index,
    source: Index,
    forward_delay: Option<Delay>,
    attention_delay: Option<Delay>,
    forward_drop: Option<f64>,
    attention_drop: Option<f64>,
}

/// The per-link overrides of `b`, as drawn.
pub(crate) fn override_draws(b: &Bounds) -> BoxedStrategy<Vec<OverrideDraw>> {
    let drops = b.wait_timeout.is_some() && *b.drop_probability.end() > 0.0;
    let drop = move |b: &Bounds| {
        if drops {
            proptest::option::of(probability(&b.drop_probability)).boxed()
        } else {
            Just(None).boxed()
        }
    };
    prop::collection::vec(
        (
            any::<bool>(),
            any::<Index>(),
            any::<Index>(),
            proptest::option::of(delay(b)),
            proptest::option::of(delay(b)),
            drop(b),
            drop(b),
        )
            .prop_map(
                |(between, target, source, forward_delay, attention_delay, fd, ad)| OverrideDraw {
                    between,
                    target,
                    source,
                    forward_delay,
                    attention_delay,
                    forward_drop: fd,
                    attention_drop: ad,
                },
            ),
        b.overrides.clone(),
    )
    .boxed()
}

impl OverrideDraw {
    /// The override in a network of `shape`: a synapse between consecutive layers (dense networks)
    /// or every synapse from one layer into the next. In a sparse network with skip connections two
    /// consecutive layers may share no synapse, except the last two (a neuron of the last hidden
    /// layer always has an output, and only the output layer follows it): there, the override is on
    /// the synapses into the outputs.
    pub fn resolve(&self, shape: &Shape, network: &NetworkSpec) -> LinkOverride {
        let (to, mut layer) = non_input(shape, self.target);
        if network.skip && network.connectivity != Connectivity::Dense {
            layer = shape.hidden.len() + 1;
        }
        let link = if self.between && network.connectivity == Connectivity::Dense {
            let width = layer_width(shape, layer - 1);
            LinkSelector::Between {
                from: neuron_in(shape, layer - 1, self.source.index(width)),
                to,
            }
        } else {
            LinkSelector::Layers {
                from: layer_ref(shape, layer - 1),
                to: layer_ref(shape, layer),
            }
        };
        LinkOverride {
            link,
            forward_delay: self.forward_delay,
            attention_delay: self.attention_delay,
            forward_drop: self.forward_drop,
            attention_drop: self.attention_drop,
        }
    }
}

/// A fault as drawn, resolved against a network by [`FaultDraw::resolve`].
#[derive(Clone, Debug)]
pub struct FaultDraw {
    kind: FaultKind,
    neuron: Index,
    others: Vec<Index>,
    by_tick: bool,
    at: Index,
    end: Option<Index>,
    lose_state: bool,
    rate: f64,
    downtime: f64,
}

/// The faults of `b`, as drawn.
pub(crate) fn fault_draws(b: &Bounds) -> BoxedStrategy<Vec<FaultDraw>> {
    if *b.faults.end() == 0 {
        return Just(Vec::new()).boxed();
    }
    prop::collection::vec(
        (
            select(b.fault_kinds.clone()),
            any::<Index>(),
            prop::collection::vec(any::<Index>(), 0..=2),
            any::<bool>(),
            any::<Index>(),
            proptest::option::of(any::<Index>()),
            any::<bool>(),
            probability(&b.fault_rate),
            1.0f64..=20.0,
        )
            .prop_map(
                |(kind, neuron, others, by_tick, at, end, lose_state, rate, downtime)| FaultDraw {
                    kind,
                    neuron,
                    others,
                    by_tick,
                    at,
                    end,
                    lose_state,
                    rate,
                    downtime,
                },
            ),
        b.faults.clone(),
    )
    .boxed()
}

/// Fault schedules within `b` for a network of `shape`, timed within the largest run of `b`.
pub fn faults(b: &Bounds, shape: &Shape, network: &NetworkSpec) -> BoxedStrategy<Vec<Fault>> {
    let (shape, network) = (shape.clone(), network.clone());
    let horizon = b.epochs.end() * shape.train;
    fault_draws(b)
        .prop_map(move |draws| {
            draws
                .iter()
                .flat_map(|d| d.resolve(&shape, &network, horizon))
                .collect()
        })
        .boxed()
}

impl FaultDraw {
    /// The fault (or, for [`FaultKind::CrashEverything`] and [`FaultKind::CutEverything`], the
    /// faults) in a network of `shape`, timed within the first `horizon` training samples (ticks:
    /// within four per sample).
    pub fn resolve(&self, shape: &Shape, network: &NetworkSpec, horizon: usize) -> Vec<Fault> {
        let when = |i: Index, offset: u64| {
            if self.by_tick {
                When::Tick(offset + i.index(4 * horizon + 1) as u64)
            } else {
                When::Sample(offset + i.index(horizon.max(1)) as u64)
            }
        };
        let at = when(self.at, 0);
        let start = match at {
            When::Tick(t) | When::Sample(t) => t,
        };
        // A recovery or repair in the same unit, after the fault.
        let end = self.end.map(|e| match when(e, start + 1) {
            When::Tick(t) => When::Tick(t.min(start + 1 + 2 * horizon as u64)),
            When::Sample(n) => When::Sample(n.min(start + 1 + horizon as u64 / 2)),
        });
        let total = shape.features + shape.hidden.iter().sum::<usize>() + shape.outputs;
        match self.kind {
            FaultKind::Crash => vec![Fault::Crash {
                neuron: neuron(shape, self.neuron.index(total)),
                at,
                recover: end,
                lose_state: self.lose_state,
            }],
            FaultKind::Cut => {
                let (to, layer) = non_input(shape, self.neuron);
                if network.connectivity == Connectivity::Dense {
                    let from = self
                        .others
                        .first()
                        .map_or(0, |i| i.index(layer_width(shape, layer - 1)));
                    vec![Fault::Cut {
                        from: neuron_in(shape, layer - 1, from),
                        to,
                        at,
                        repair: end,
                    }]
                } else {
                    vec![Fault::Partition {
                        neurons: vec![to],
                        at,
                        repair: end,
                    }]
                }
            }
            FaultKind::Partition => {
                let mut neurons = vec![neuron(shape, self.neuron.index(total))];
                for i in &self.others {
                    let n = neuron(shape, i.index(total));
                    if !neurons.contains(&n) {
                        neurons.push(n);
                    }
                }
                vec![Fault::Partition {
                    neurons,
                    at,
                    repair: end,
                }]
            }
            FaultKind::RandomCrashes => vec![Fault::RandomCrashes {
                rate_per_sample: self.rate,
                mean_downtime_samples: self.downtime,
                lose_state: self.lose_state,
            }],
            FaultKind::RandomCuts => vec![Fault::RandomCuts {
                rate_per_sample: self.rate,
                mean_downtime_samples: self.downtime,
            }],
            FaultKind::CrashEverything => (0..total)
                .map(|j| Fault::Crash {
                    neuron: neuron(shape, j),
                    at,
                    recover: end,
                    lose_state: self.lose_state,
                })
                .collect(),
            FaultKind::CutEverything => (1..shape.hidden.len() + 2)
                .map(|layer| Fault::Partition {
                    neurons: (0..layer_width(shape, layer))
                        .map(|i| neuron_in(shape, layer, i))
                        .collect(),
                    at,
                    repair: end,
                })
                .collect(),
        }
    }
}

/// Width of layer `layer` (0: inputs, last: outputs).
fn layer_width(shape: &Shape, layer: usize) -> usize {
    if layer == 0 {
        shape.features
    } else if layer <= shape.hidden.len() {
        shape.hidden[layer - 1]
    } else {
        shape.outputs
    }
}

fn layer_ref(shape: &Shape, layer: usize) -> LayerRef {
    if layer == 0 {
        LayerRef::Input
    } else if layer <= shape.hidden.len() {
        LayerRef::Hidden(layer - 1)
    } else {
        LayerRef::Output
    }
}

/// Neuron `index` of layer `layer`.
fn neuron_in(shape: &Shape, layer: usize, index: usize) -> NeuronRef {
    if layer == 0 {
        NeuronRef::Input(index)
    } else if layer <= shape.hidden.len() {
        NeuronRef::Hidden {
            layer: layer - 1,
            index,
        }
    } else {
        NeuronRef::Output(index)
    }
}

/// Neuron `j` counting every layer in order, inputs first.
fn neuron(shape: &Shape, mut j: usize) -> NeuronRef {
    for layer in 0..shape.hidden.len() + 2 {
        let width = layer_width(shape, layer);
        if j < width {
            return neuron_in(shape, layer, j);
        }
        j -= width;
    }
    unreachable!("a neuron index within the network")
}

/// A neuron after the inputs, and its layer.
fn non_input(shape: &Shape, i: Index) -> (NeuronRef, usize) {
    let total = shape.hidden.iter().sum::<usize>() + shape.outputs;
    let mut j = i.index(total);
    for layer in 1..shape.hidden.len() + 2 {
        let width = layer_width(shape, layer);
        if j < width {
            return (neuron_in(shape, layer, j), layer);
        }
        j -= width;
    }
    unreachable!("a neuron index within the network")
}
