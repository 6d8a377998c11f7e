//! The fault timeline: scheduled crashes, cuts and partitions resolved to neuron and synapse ids, and
//! the random crash and cut processes, all drawn from the faults stream.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng as _;
use rand_distr::{Distribution, Exp};

use super::{EventEngine, Phase};
use crate::rng::Rng;
use crate::scenario::{Fault, NeuronRef, When};
use crate::topology::Topology;

/// Why a fault could not be placed on the network.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// A fault names a neuron the network does not have.
    #[error("faults[{index}].{field}: {what:?} is not in the network; {accepted}")]
    NoSuchNeuron {
        /// Position in `faults`.
        index: usize,
        /// The field.
        field: &'static str,
        /// The neuron as written.
        what: NeuronRef,
        /// What exists.
        accepted: String,
    },
    /// A `Cut` names two neurons that no synapse joins.
    #[error("faults[{index}]: there is no synapse {from:?} -> {to:?} to cut; name two neurons joined by a synapse")]
    NoSuchSynapse {
        /// Position in `faults`.
        index: usize,
        /// Source as written.
        from: NeuronRef,
        /// Target as written.
        to: NeuronRef,
    },
}

/// Something that happens to the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultAction {
    /// A neuron goes down.
    Crash { neuron: usize },
    /// A neuron comes back, re-initialized if `lose_state`.
    Recover { neuron: usize, lose_state: bool },
    /// A group of synapses is cut.
    Cut { group: usize },
    /// A group of synapses is repaired.
    Repair { group: usize },
}

/// A random process of crashes (over neurons) or cuts (over synapses), in units of admitted samples.
#[derive(Clone, Debug)]
struct RandomProcess {
    gap: Exp<f64>,
    downtime: Exp<f64>,
    population: usize,
    lose_state: bool,
    next_at: f64,
}

/// Resolved faults and random processes.
#[derive(Debug)]
pub(crate) struct Faults {
    actions: Vec<FaultAction>,
    groups: Vec<Vec<usize>>,
    /// Actions timed by sample position: (position, insertion order, action index).
    by_sample: BinaryHeap<Reverse<(u64, u64, usize)>>,
    /// Actions timed by tick: (tick, action index), for the engine to schedule.
    pub by_tick: Vec<(u64, usize)>,
    crashes: Option<RandomProcess>,
    cuts: Option<RandomProcess>,
    seq: u64,
    rng: Rng,
}

impl Faults {
    /// Resolves `faults` on `topology`; `rng` is the faults stream.
    pub fn new(faults: &[Fault], topology: &Topology, mut rng: Rng) -> Result<Faults, FaultError> {
        let mut plan = Faults {
            actions: Vec::new(),
            groups: Vec::new(),
            by_sample: BinaryHeap::new(),
            by_tick: Vec::new(),
            crashes: None,
            cuts: None,
            seq: 0,
            rng: rng.clone(),
        };
        let neuron = |index: usize, field: &'static str, r: NeuronRef| {
            topology.neuron(r).ok_or_else(|| FaultError::NoSuchNeuron {
                index,
                field,
                what: r,
                accepted: describe(topology),
            })
        };
        for (index, fault) in faults.iter().enumerate() {
            match fault {
                Fault::Crash {
                    neuron: r,
                    at,
                    recover,
                    lose_state,
                } => {
                    let j = neuron(index, "neuron", *r)?;
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
                Fault::Cut {
                    from,
                    to,
                    at,
                    repair,
                } => {
                    let (i, j) = (neuron(index, "from", *from)?, neuron(index, "to", *to)?);
                    let e = topology.synapse(i, j).ok_or(FaultError::NoSuchSynapse {
                        index,
                        from: *from,
                        to: *to,
                    })?;
                    plan.cut_group(vec![e], *at, *repair);
                }
                Fault::Partition {
                    neurons,
                    at,
                    repair,
                } => {
                    let mut inside = vec![false; topology.neurons()];
                    for r in neurons {
                        inside[neuron(index, "neurons", *r)?] = true;
                    }
                    let crossing = (0..topology.synapses())
                        .filter(|&e| inside[topology.source(e)] != inside[topology.target(e)])
                        .collect();
                    plan.cut_group(crossing, *at, *repair);
                }
                Fault::RandomCrashes {
                    rate_per_sample,
                    mean_downtime_samples,
                    lose_state,
                } => {
                    plan.crashes = RandomProcess::new(
                        *rate_per_sample,
                        *mean_downtime_samples,
                        topology.neurons(),
                        *lose_state,
                        &mut rng,
                    );
                }
                Fault::RandomCuts {
                    rate_per_sample,
                    mean_downtime_samples,
                } => {
                    plan.cuts = RandomProcess::new(
                        *rate_per_sample,
                        *mean_downtime_samples,
                        topology.synapses(),
                        false,
                        &mut rng,
                    );
                }
            }
        }
        plan.rng = rng;
        Ok(plan)
    }

    fn cut_group(&mut self, edges: Vec<usize>, at: When, repair: Option<When>) {
        let group = self.groups.len();
        self.groups.push(edges);
        self.at(at, FaultAction::Cut { group });
        if let Some(w) = repair {
            self.at(w, FaultAction::Repair { group });
        }
    }

    fn at(&mut self, when: When, action: FaultAction) {
        let index = self.actions.len();
        self.actions.push(action);
        match when {
            When::Sample(n) => self.at_sample(n, index),
            When::Tick(t) => self.by_tick.push((t, index)),
        }
    }

    fn at_sample(&mut self, position: u64, action: usize) {
        self.by_sample.push(Reverse((position, self.seq, action)));
        self.seq += 1;
    }

    /// The action with this index.
    pub fn action(&self, index: usize) -> FaultAction {
        self.actions[index]
    }

    /// The synapses of a cut group.
    pub fn group(&self, group: usize) -> &[usize] {
        &self.groups[group]
    }

    /// The actions that happen when schedule position `position` enters, in order: scheduled ones
    /// first, then the random processes' draws (which also schedule their own recoveries).
    pub fn on_admission(&mut self, position: u64, out: &mut Vec<FaultAction>) {
        out.clear();
        self.draw_random(position);
        while let Some(Reverse((p, _, index))) = self.by_sample.peek().copied() {
            if p > position {
                break;
            }
            self.by_sample.pop();
            out.push(self.actions[index]);
        }
    }

    fn draw_random(&mut self, position: u64) {
        let until = (position + 1) as f64;
        for crash in [true, false] {
            loop {
                let process = if crash {
                    self.crashes.as_mut()
                } else {
                    self.cuts.as_mut()
                };
                let Some(process) = process else { break };
                if process.next_at >= until {
                    break;
                }
                let target = self.rng.random_range(0..process.population);
                let down = process.downtime.sample(&mut self.rng).round().max(1.0) as u64;
                process.next_at += process.gap.sample(&mut self.rng);
                let lose_state = process.lose_state;
                let (start, end) = if crash {
                    (
                        FaultAction::Crash { neuron: target },
                        FaultAction::Recover {
                            neuron: target,
                            lose_state,
                        },
                    )
                } else {
                    let group = self.groups.len();
                    self.groups.push(vec![target]);
                    (FaultAction::Cut { group }, FaultAction::Repair { group })
                };
                let (a, b) = (self.actions.len(), self.actions.len() + 1);
                self.actions.push(start);
                self.actions.push(end);
                self.at_sample(position, a);
                self.at_sample(position + down, b);
            }
        }
    }
}

impl RandomProcess {
    fn new(
        rate: f64,
        mean_downtime: f64,
        population: usize,
        lose_state: bool,
        rng: &mut Rng,
    ) -> Option<RandomProcess> {
        let total = rate * population as f64;
        if total <= 0.0 || population == 0 {
            return None;
        }
        let gap = Exp::new(total).ok()?;
        let next_at = gap.sample(rng);
        Some(RandomProcess {
            gap,
            downtime: Exp::new(1.0 / mean_downtime).ok()?,
            population,
            lose_state,
            next_at,
        })
    }
}

fn describe(topology: &Topology) -> String {
    let widths: Vec<usize> = topology.layers().iter().map(|r| r.len()).collect();
    let hidden = &widths[1..widths.len() - 1];
    format!(
        "the network has Input(0..{}), hidden layers of widths {:?}, Output(0..{})",
        widths[0],
        hidden,
        widths[widths.len() - 1]
    )
}

impl Faults {
    /// The faults stream, for re-initializing neurons that lose their state.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }
}

/// What faults do to the engine.
impl EventEngine<'_> {
    pub(super) fn apply_fault(&mut self, action: FaultAction) {
        match action {
            FaultAction::Crash { neuron } => self.crash(neuron),
            FaultAction::Recover { neuron, lose_state } => self.recover(neuron, lose_state),
            FaultAction::Cut { group } => {
                for k in 0..self.faults.group(group).len() {
                    let e = self.faults.group(group)[k];
                    self.links.cut(e);
                }
                self.trace("cut", None, None);
            }
            FaultAction::Repair { group } => {
                for k in 0..self.faults.group(group).len() {
                    let e = self.faults.group(group)[k];
                    self.links.repair(e);
                }
                self.trace("repair", None, None);
            }
        }
    }

    /// Neuron `j` goes down: it drops every sample it was working on.
    pub(super) fn crash(&mut self, j: usize) {
        self.down[j] += 1;
        if self.down[j] > 1 {
            return;
        }
        self.neurons_down += 1;
        self.down_since[j] = self.now;
        self.trace("crash", Some(j), None);
        if self.topology.is_input(j) {
            return;
        }
        let n = self.topology.neurons();
        for slot in 0..self.slots.len() {
            if !self.in_use[slot] {
                continue;
            }
            match self.phase[slot * n + j] {
                Phase::Waiting => self.sit_out(j, slot),
                Phase::Fired => self.give_up(j, slot),
                Phase::Done => {}
            }
        }
    }

    /// Neuron `j` comes back, re-initialized if `lose_state`.
    pub(super) fn recover(&mut self, j: usize, lose_state: bool) {
        if self.down[j] == 0 {
            return;
        }
        self.down[j] -= 1;
        if self.down[j] > 0 {
            return;
        }
        self.neurons_down -= 1;
        self.crashed_neuron_ticks += self.now - self.down_since[j];
        self.trace("recover", Some(j), None);
        if lose_state {
            let range = self.topology.incoming(j);
            if !range.is_empty() {
                let limit = (3.0 / range.len() as f64).sqrt();
                let rng = self.faults.rng();
                for w in &mut self.params.weights[range.clone()] {
                    *w = rand::Rng::random_range(rng, -limit..limit);
                }
            }
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
        }
    }
}
