//! Faults resolved onto the network, and their timeline: which crash, recovery, cut or repair happens
//! when. Both event engines read the same timeline, so they see the same faults at the same moments;
//! what a fault *does* to a neuron or a message is each engine's business.
//!
//! Scheduled faults are timed by a sample's admission (`Sample(n)`) or by a tick. The random processes
//! (`RandomCrashes`, `RandomCuts`) are Poisson processes in units of admitted samples, drawn from the
//! faults stream at each admission in schedule order — the same draws in every engine. Their memory
//! is bounded by what is currently down: nothing is kept per past event.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::visit::{Dfs, EdgeFiltered};
use rand::Rng as _;

use crate::math;
use crate::rng::{MessageDraws, Purpose, Rng, Streams};
use crate::scenario::{Fault, NeuronRef, Problem, When};
use crate::topology::{NeuronId, SynapseId, Topology};

/// Something that happens to the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultAction {
    /// A neuron goes down.
    Crash {
        /// The neuron.
        neuron: NeuronId,
    },
    /// A neuron comes back, re-initialized if `lose_state`.
    Recover {
        /// The neuron.
        neuron: NeuronId,
        /// Whether it comes back with fresh weights.
        lose_state: bool,
    },
    /// A scheduled group of synapses is cut ([`FaultPlan::group`]).
    Cut {
        /// The group.
        group: GroupId,
    },
    /// A scheduled group of synapses is repaired.
    Repair {
        /// The group.
        group: GroupId,
    },
    /// One synapse is cut by the random cut process.
    CutSynapse {
        /// The synapse.
        synapse: SynapseId,
    },
    /// One synapse cut by the random process is repaired.
    RepairSynapse {
        /// The synapse.
        synapse: SynapseId,
    },
}

/// A scheduled group of synapses cut and repaired together (one `Cut` or `Partition` fault): only
/// [`FaultPlan`] makes them, and [`FaultPlan::group`] lists its synapses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(u32);

impl GroupId {
    /// The group's place among the plan's groups.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A random process of crashes or cuts: events per admitted sample, over a population.
#[derive(Clone, Copy, Debug, PartialEq)]
struct RandomSpec {
    /// Expected events per admitted sample over the whole population.
    total_rate: f64,
    mean_downtime: f64,
    population: usize,
    lose_state: bool,
}

/// The faults of a scenario with every neuron and synapse resolved to ids ([`NeuronId`],
/// [`SynapseId`]).
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    /// Scheduled actions timed by sample position, in scenario order.
    by_sample: Vec<(u64, FaultAction)>,
    /// Scheduled actions timed by tick, in scenario order.
    by_tick: Vec<(u64, FaultAction)>,
    groups: Vec<Vec<SynapseId>>,
    crashes: Option<RandomSpec>,
    cuts: Option<RandomSpec>,
    /// Things the user should know, found while resolving (a partition that cuts every path).
    pub warnings: Vec<String>,
}

impl FaultPlan {
    /// Resolves `faults` on `topology`; every neuron or synapse that the network lacks is a problem,
    /// and all of them are reported.
    pub fn new(faults: &[Fault], topology: &Topology) -> Result<FaultPlan, Vec<Problem>> {
        let mut plan = FaultPlan::default();
        let mut problems = Vec::new();
        let mut neuron = |index: usize, field: String, r: NeuronRef| {
            let id = topology.neuron(r);
            if id.is_none() {
                problems.push(Problem {
                    path: format!("faults[{index}].{field}"),
                    value: format!("{r:?}"),
                    accepted: describe(topology),
                    position: None,
                });
            }
            id
        };
        let mut missing_synapses = Vec::new();
        for (index, fault) in faults.iter().enumerate() {
            match fault {
                Fault::Crash {
                    neuron: r,
                    at,
                    recover,
                    lose_state,
                } => {
                    if let Some(j) = neuron(index, "neuron".into(), *r) {
                        plan.at(*at, FaultAction::Crash { neuron: j });
                        if let Some(w) = recover {
                            plan.at(
                                *w,
                                FaultAction::Recover {
                                    neuron: j,
                                    lose_state: *lose_state,
                                },
                            );
                        }
                    }
                }
                Fault::Cut {
                    from,
                    to,
                    at,
                    repair,
                } => {
                    let (i, j) = (
                        neuron(index, "from".into(), *from),
                        neuron(index, "to".into(), *to),
                    );
                    let Some((i, j)) = i.zip(j) else { continue };
                    match topology.synapse(i, j) {
                        Some(e) => plan.cut_group(vec![e], *at, *repair),
                        None => missing_synapses.push(Problem {
                            path: format!("faults[{index}]"),
                            value: format!("Cut(from: {from:?}, to: {to:?}, ..)"),
                            accepted: "two neurons joined by a synapse of this network".into(),
                            position: None,
                        }),
                    }
                }
                Fault::Partition {
                    neurons,
                    at,
                    repair,
                } => {
                    let mut inside = vec![false; topology.neurons()];
                    let mut all = true;
                    for (k, r) in neurons.iter().enumerate() {
                        match neuron(index, format!("neurons[{k}]"), *r) {
                            Some(j) => inside[j.index()] = true,
                            None => all = false,
                        }
                    }
                    if !all {
                        continue;
                    }
                    let crossing: Vec<SynapseId> = (0..topology.synapses())
                        .filter(|&e| inside[topology.source(e)] != inside[topology.target(e)])
                        .map(SynapseId::new)
                        .collect();
                    if !reaches_outputs(topology, &crossing) {
                        plan.warnings.push(format!(
                            "faults[{index}]: while this partition lasts, no input reaches any output \
                             (the outputs learn from their biases alone)"
                        ));
                    }
                    plan.cut_group(crossing, *at, *repair);
                }
                Fault::RandomCrashes {
                    rate_per_sample,
                    mean_downtime_samples,
                    lose_state,
                } => {
                    plan.crashes = RandomSpec::new(
                        *rate_per_sample,
                        *mean_downtime_samples,
                        topology.neurons(),
                        *lose_state,
                    );
                }
                Fault::RandomCuts {
                    rate_per_sample,
                    mean_downtime_samples,
                } => {
                    plan.cuts = RandomSpec::new(
                        *rate_per_sample,
                        *mean_downtime_samples,
                        topology.synapses(),
                        false,
                    );
                }
            }
        }
        problems.extend(missing_synapses);
        if problems.is_empty() {
            Ok(plan)
        } else {
            Err(problems)
        }
    }

    fn cut_group(&mut self, edges: Vec<SynapseId>, at: When, repair: Option<When>) {
        let group = GroupId(self.groups.len() as u32);
        self.groups.push(edges);
        self.at(at, FaultAction::Cut { group });
        if let Some(w) = repair {
            self.at(w, FaultAction::Repair { group });
        }
    }

    fn at(&mut self, when: When, action: FaultAction) {
        match when {
            When::Sample(n) => self.by_sample.push((n, action)),
            When::Tick(t) => self.by_tick.push((t, action)),
        }
    }

    /// Actions timed by tick, in scenario order: an engine schedules each as an event, ordered at
    /// the same tick by its index here.
    pub fn by_tick(&self) -> &[(u64, FaultAction)] {
        &self.by_tick
    }

    /// The synapses of a scheduled cut group.
    pub fn group(&self, group: GroupId) -> &[SynapseId] {
        &self.groups[group.index()]
    }

    /// Whether there is nothing to simulate.
    pub fn is_empty(&self) -> bool {
        self.by_sample.is_empty()
            && self.by_tick.is_empty()
            && self.crashes.is_none()
            && self.cuts.is_none()
    }
}

/// Whether some output is still reachable from some input with the synapses `cut` removed.
fn reaches_outputs(topology: &Topology, cut: &[SynapseId]) -> bool {
    let graph = topology.graph();
    let mut removed = vec![false; topology.synapses()];
    for &e in cut {
        removed[e.index()] = true;
    }
    let kept = EdgeFiltered::from_fn(&graph, |edge| !removed[edge.weight().index()]);
    topology.inputs().any(|i| {
        let mut dfs = Dfs::new(&kept, petgraph::graph::NodeIndex::new(i));
        while let Some(node) = dfs.next(&kept) {
            if topology.is_output(node.index()) {
                return true;
            }
        }
        false
    })
}

impl RandomSpec {
    fn new(
        rate: f64,
        mean_downtime: f64,
        population: usize,
        lose_state: bool,
    ) -> Option<RandomSpec> {
        let total_rate = rate * population as f64;
        (total_rate > 0.0 && mean_downtime > 0.0).then_some(RandomSpec {
            total_rate,
            mean_downtime,
            population,
            lose_state,
        })
    }
}

/// A random process running: when its next event comes, in (fractional) admitted samples.
#[derive(Clone, Copy, Debug)]
struct Process {
    spec: RandomSpec,
    next_at: f64,
}

/// The faults of one run as they unfold: the pending scheduled and random actions by sample, and the
/// random processes' state.
#[derive(Debug)]
pub struct FaultTimeline<'p> {
    plan: &'p FaultPlan,
    /// Pending actions by sample position: (position, insertion order, action).
    pending: BinaryHeap<Reverse<(u64, u64, FaultAction)>>,
    seq: u64,
    crashes: Option<Process>,
    cuts: Option<Process>,
    rng: Rng,
}

impl<'p> FaultTimeline<'p> {
    /// The timeline of `plan`, drawing from the faults stream of `streams`.
    pub fn new(plan: &'p FaultPlan, streams: &Streams) -> FaultTimeline<'p> {
        let mut rng = streams.stream(Purpose::Faults);
        let mut start = |spec: Option<RandomSpec>| {
            spec.map(|spec| Process {
                spec,
                next_at: math::exponential(&mut rng, 1.0 / spec.total_rate),
            })
        };
        let crashes = start(plan.crashes);
        let cuts = start(plan.cuts);
        let mut timeline = FaultTimeline {
            plan,
            pending: BinaryHeap::with_capacity(64 + plan.by_sample.len()),
            seq: 0,
            crashes,
            cuts,
            rng,
        };
        for &(position, action) in &plan.by_sample {
            timeline.push(position, action);
        }
        timeline
    }

    fn push(&mut self, position: u64, action: FaultAction) {
        self.pending.push(Reverse((position, self.seq, action)));
        self.seq += 1;
    }

    /// The actions that happen when schedule position `position` is admitted, in order, into `out`:
    /// first the random processes draw their events up to this sample (scheduling their own
    /// recoveries), then every pending action timed at or before it, in the order it was scheduled.
    pub fn on_admission(&mut self, position: u64, out: &mut Vec<FaultAction>) {
        out.clear();
        let until = (position + 1) as f64;
        for crash in [true, false] {
            loop {
                let process = if crash {
                    &mut self.crashes
                } else {
                    &mut self.cuts
                };
                let Some(process) = process else { break };
                if process.next_at >= until {
                    break;
                }
                let spec = process.spec;
                // A `usize` draw whatever the id type: the integer type decides the draws.
                let target = self.rng.random_range(0..spec.population);
                let down = math::exponential(&mut self.rng, spec.mean_downtime)
                    .round()
                    .clamp(1.0, 1e15) as u64;
                process.next_at += math::exponential(&mut self.rng, 1.0 / spec.total_rate);
                let (start, end) = if crash {
                    let neuron = NeuronId::new(target);
                    (
                        FaultAction::Crash { neuron },
                        FaultAction::Recover {
                            neuron,
                            lose_state: spec.lose_state,
                        },
                    )
                } else {
                    let synapse = SynapseId::new(target);
                    (
                        FaultAction::CutSynapse { synapse },
                        FaultAction::RepairSynapse { synapse },
                    )
                };
                self.push(position, start);
                self.push(position.saturating_add(down), end);
            }
        }
        while let Some(&Reverse((p, _, action))) = self.pending.peek() {
            if p > position {
                break;
            }
            self.pending.pop();
            out.push(action);
        }
    }

    /// The plan this timeline unfolds.
    pub fn plan(&self) -> &'p FaultPlan {
        self.plan
    }
}

/// Fresh weights for neurons that lose their state on recovery: the `count`-th re-initialization of
/// a neuron draws from its own place of the re-initialization stream, whatever the engine.
#[derive(Clone, Debug)]
pub struct Reinit {
    draws: MessageDraws,
    neurons: u64,
}

impl Reinit {
    /// Re-initialization draws for `topology`.
    pub fn new(streams: &Streams, topology: &Topology) -> Reinit {
        let fan_in = (0..topology.neurons())
            .map(|j| topology.incoming(j).len())
            .max()
            .unwrap_or(0)
            .max(1);
        Reinit {
            draws: MessageDraws::new(streams, Purpose::Reinit, fan_in),
            neurons: topology.neurons() as u64,
        }
    }

    /// Writes the `count`-th fresh incoming weights of `neuron` into `weights`: uniform in
    /// `±√(3 / fan_in)`, like the initial weights.
    pub fn weights(&mut self, neuron: NeuronId, count: u64, weights: &mut [f64]) {
        if weights.is_empty() {
            return;
        }
        let limit = (3.0 / weights.len() as f64).sqrt();
        let position = count * self.neurons + neuron.index() as u64;
        for (w, word) in weights.iter_mut().zip(self.draws.words(position, 0)) {
            let u = (word >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            *w = limit * (2.0 * u - 1.0);
        }
    }
}

fn describe(topology: &Topology) -> String {
    let widths: Vec<usize> = topology.layers().iter().map(|r| r.len()).collect();
    let hidden = &widths[1..widths.len() - 1];
    format!(
        "a neuron of this network: Input(0..{}), hidden layers of widths {:?}, Output(0..{})",
        widths[0],
        hidden,
        widths[widths.len() - 1]
    )
}
