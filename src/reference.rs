//! The reference event simulator: the oracle of the fast engine ([`crate::engine`]).
//!
//! Its only virtue is being obviously right. Every message is an entry of one priority queue,
//! delivered at its arrival tick; per-sample state lives in a map by schedule position; nothing is
//! batched, deferred or skipped. It implements the same semantics as the fast engine, stated here
//! once:
//!
//! * **Time and order.** Events are ordered by the canonical key of
//!   `engine::scheduler::Key`: at a tick, tick-timed faults, then deliveries, then neuron
//!   actions (older sample first; forward actions input side first, the loss agent, then backward
//!   actions layer by layer from the output side, by increasing id within a layer). A message with delay 0 is delivered at once.
//! * **Fates.** A message's drop and delay are functions of its sample and link
//!   ([`crate::rng::MessageDraws`], [`crate::plan::Channel`]). A message is lost if its link drops
//!   it, its synapse is cut, or its receiver is down when it is sent. A crashed sender sends nothing.
//! * **Waves.** A neuron acts on a wave (forward inputs, or attention) at the last arrival once all
//!   its messages arrived, or `wait_timeout` ticks after the first arrival, whichever is first; a
//!   backward action never comes before the neuron fired. A neuron to which nothing will arrive sits
//!   the sample out (forward) or gives it up (backward) as soon as that is known. A message
//!   delivered after its receiver acted is late.
//! * **Values.** A neuron adds its inputs in synapse order, and the attention it is paid in the order
//!   of its outgoing synapses; a missing input is replaced by the missing-input policy; missing
//!   attention by nothing, or by the estimate.
//! * **Estimates.** An estimate is updated by every attention message delivered over its synapse;
//!   a suppressed message is a delivery that carries the estimate at its arrival tick.
//! * **Learning.** As in [`crate::engine`]: batches local to each neuron, the greedy rule holding a
//!   batch until it knows its norm, and a layer board when its scale depends on the layer. An
//!   update takes the rate of the latest of its samples, and a neuron's first update of a later
//!   task starts from a fresh optimizer when the run asks for it ([`crate::trainer::Course`]). In
//!   `Task` mode the loss agent answers the outputs of the sample's head, and the others with 0.

mod faults;
mod learn;
mod messages;

use std::collections::BTreeMap;

use crate::data::Split;
use crate::engine::scheduler::{credit_ranks, Key, Queue};
use crate::engine::trace::{Fate, Message, MessageKind, TraceLevel, Tracer};
use crate::plan::{FaultTimeline, Plan, Reinit};
use crate::rng::{MessageDraws, Purpose};
use crate::scenario::{Estimator, MissingInput};
use crate::topology::{Params, Topology};
use crate::trainer::{
    Checkpoint, Course, Divergence, MessageStats, Observer, Schedule, Staleness, TrainReport,
    Trainer,
};

/// What a queue entry is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Item {
    /// A message arrives; `value` is `None` for a suppressed one.
    Delivery {
        m: Message,
        value: Option<f64>,
        arrival: u64,
    },
    /// A neuron (or the loss agent, `neuron == None`) acts on a sample.
    Act {
        wave: Wave,
        position: usize,
        neuron: Option<usize>,
    },
    /// The tick-timed fault with this index.
    Fault(usize),
}

/// The two waves of a sample at a neuron (the loss agent has only the forward one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Wave {
    Forward,
    Backward,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Waiting,
    Fired,
    Held,
    Done,
}

/// What has arrived of one wave: values by link, what is known not to come, and when to act.
#[derive(Clone, Debug, Default)]
struct Inbox {
    expected: usize,
    missing: usize,
    /// Delivered messages by link: arrival tick and value.
    arrived: BTreeMap<usize, (u64, f64)>,
    first: Option<u64>,
    last: u64,
    /// When the owner plans to act (a queue entry exists for it).
    planned: Option<u64>,
}

impl Inbox {
    fn new(expected: usize) -> Inbox {
        Inbox {
            expected,
            ..Inbox::default()
        }
    }

    /// When to act: all arrived → now; something arrived → first arrival + timeout; nothing can
    /// arrive any more → `Err(())`; else wait (`Ok(None)`).
    fn when(&self, now: u64, timeout: Option<u64>) -> Result<Option<u64>, ()> {
        let arrived = self.arrived.len();
        if arrived == 0 && self.missing == self.expected {
            return Err(());
        }
        if arrived == self.expected {
            return Ok(Some(self.last.max(now)));
        }
        Ok(match (self.first, timeout) {
            (Some(first), Some(timeout)) => Some(first.saturating_add(timeout).max(now)),
            _ => None,
        })
    }
}

#[derive(Clone, Debug)]
struct NeuronState {
    phase: Phase,
    forward: Inbox,
    backward: Inbox,
    z: f64,
    x: f64,
    demand: f64,
    updates_at_fire: u64,
    /// The forward values used at firing, by synapse (substitutes included).
    used: BTreeMap<usize, f64>,
}

#[derive(Clone, Debug)]
struct Sample {
    remaining: usize,
    outputs_holding: usize,
    parked: bool,
    neurons: Vec<NeuronState>,
    loss: Inbox,
    loss_done: bool,
}

/// The reference simulator.
pub struct ReferenceEngine<'p> {
    plan: &'p Plan,
    t: &'p Topology,
    params: Params,
    velocity: Vec<f64>,
    bias_velocity: Vec<f64>,
    gradient: Vec<f64>,
    bias_gradient: Vec<f64>,
    /// Per neuron: positions learned from in the batch in progress.
    batch: Vec<Vec<usize>>,
    /// The schedule's tasks and rates (set when training starts).
    course: Course,
    /// Per neuron: the task of its last update.
    task: Vec<u32>,
    updates: Vec<u64>,
    reinits: Vec<u64>,
    samples: BTreeMap<usize, Sample>,
    queue: Queue<Item>,
    /// Each neuron's place among a sample's `Credit` actions at one tick.
    credit_rank: Vec<u32>,
    forward_draws: MessageDraws,
    attention_draws: MessageDraws,
    down: Vec<u32>,
    down_since: Vec<u64>,
    crashed_ticks: u64,
    cuts: Vec<u32>,
    cut_since: Vec<u64>,
    cut_ticks: u64,
    estimate: Vec<Option<f64>>,
    last_sent: Vec<Option<f64>>,
    payments: Vec<u64>,
    last_input: Vec<f64>,
    last_output: Vec<f64>,
    /// Per (layer, batch key): every neuron's posted norm (`Some(None)`: takes no part).
    board: BTreeMap<(usize, u64), Vec<Option<Option<f64>>>>,
    /// Neurons waiting on the board: (layer, key, neuron, norm, positions).
    waiting: Vec<(usize, u64, usize, f64, Vec<usize>)>,
    stats: MessageStats,
    staleness: Staleness,
    samples_without_loss: u64,
    timeline: FaultTimeline<'p>,
    reinit: Reinit,
    tracer: Tracer<'p>,
    updated: Vec<usize>,
    observing: bool,
    now: u64,
    events: u64,
    admitted: usize,
    completed: usize,
    active: usize,
    window_loss: f64,
    window_count: usize,
    diverged: Option<Divergence>,
}

impl std::fmt::Debug for ReferenceEngine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceEngine")
            .field("now", &self.now)
            .field("completed", &self.completed)
            .finish_non_exhaustive()
    }
}

impl<'p> ReferenceEngine<'p> {
    /// The reference simulator of `plan`, starting from `params`.
    pub fn new(plan: &'p Plan, params: Params) -> ReferenceEngine<'p> {
        let t = &plan.topology;
        let (n, m, outputs) = (t.neurons(), t.synapses(), t.outputs().len());
        ReferenceEngine {
            plan,
            t,
            params,
            velocity: vec![0.0; m],
            bias_velocity: vec![0.0; n],
            gradient: vec![0.0; m],
            bias_gradient: vec![0.0; n],
            batch: vec![Vec::new(); n],
            course: Course::default(),
            task: vec![0; n],
            updates: vec![0; n],
            reinits: vec![0; n],
            samples: BTreeMap::new(),
            queue: Queue::with_capacity(1024),
            credit_rank: credit_ranks(t),
            forward_draws: MessageDraws::new(&plan.streams, Purpose::ForwardMessages, m + outputs),
            attention_draws: MessageDraws::new(
                &plan.streams,
                Purpose::AttentionMessages,
                m + outputs,
            ),
            down: vec![0; n],
            down_since: vec![0; n],
            crashed_ticks: 0,
            cuts: vec![0; m],
            cut_since: vec![0; m],
            cut_ticks: 0,
            estimate: vec![None; m],
            last_sent: vec![None; m],
            payments: vec![0; n],
            last_input: vec![0.0; m],
            last_output: vec![0.0; outputs],
            board: BTreeMap::new(),
            waiting: Vec::new(),
            stats: MessageStats::new(t.layers().len()),
            staleness: Staleness::default(),
            samples_without_loss: 0,
            timeline: FaultTimeline::new(&plan.faults, &plan.streams),
            reinit: Reinit::new(&plan.streams, t),
            tracer: Tracer::off(),
            updated: Vec::new(),
            observing: false,
            now: 0,
            events: 0,
            admitted: 0,
            completed: 0,
            active: 0,
            window_loss: 0.0,
            window_count: 0,
            diverged: None,
        }
    }

    /// Writes the trace at `level` to `out`.
    pub fn trace_to(&mut self, out: Box<dyn std::io::Write + 'p>, level: TraceLevel) {
        self.tracer = Tracer::new(out, level, self.t);
    }

    /// The first error writing the trace, if any.
    pub fn take_trace_error(&mut self) -> Option<std::io::Error> {
        self.tracer.finish()
    }

    /// The parameters, consuming the engine.
    pub fn into_params(self) -> Params {
        self.params
    }

    fn observe(&mut self, e: usize, a: f64) {
        let estimation = self.plan.learning.estimation.expect("estimating");
        self.estimate[e] = Some(match (estimation.estimator, self.estimate[e]) {
            (Estimator::Ema { decay }, Some(old)) => decay * old + (1.0 - decay) * a,
            _ => a,
        });
    }

    /// Plans (or re-plans) the owner's action on a wave, or gives up when nothing will come.
    fn progress(&mut self, position: usize, owner: Option<usize>, wave: Wave) {
        if let (Some(j), Wave::Backward) = (owner, wave) {
            if self.samples[&position].neurons[j].phase != Phase::Fired {
                return;
            }
        }
        let (now, timeout) = (self.now, self.plan.links.timeout);
        let inbox = self.inbox(position, owner, wave);
        match inbox.when(now, timeout) {
            Err(()) => match (owner, wave) {
                (None, _) => self.no_loss(position),
                (Some(j), Wave::Forward) => self.sit_out(position, j),
                (Some(j), Wave::Backward) => self.give_up(position, j),
            },
            Ok(Some(time)) if inbox.planned.is_none_or(|p| time < p) => {
                inbox.planned = Some(time);
                let n = self.t.neurons();
                let key = match (owner, wave) {
                    (None, _) => Key::loss(time, position as u64, n),
                    (Some(j), Wave::Forward) => Key::fire(time, position as u64, j),
                    (Some(j), Wave::Backward) => {
                        Key::credit(time, position as u64, self.credit_rank[j], n)
                    }
                };
                self.queue.push(
                    key,
                    Item::Act {
                        wave,
                        position,
                        neuron: owner,
                    },
                );
            }
            Ok(_) => {}
        }
    }

    // ---- samples ----

    fn admit(&mut self, data: &Split, schedule: &Schedule) {
        let position = self.admitted;
        self.admitted += 1;
        self.active += 1;
        let mut actions = Vec::new();
        self.timeline.on_admission(position as u64, &mut actions);
        for action in actions {
            self.fault(action);
        }
        let t = self.t;
        let neurons = (0..t.neurons())
            .map(|j| NeuronState {
                phase: if t.is_input(j) {
                    Phase::Done
                } else {
                    Phase::Waiting
                },
                forward: Inbox::new(t.incoming(j).len()),
                backward: Inbox::new(if t.is_output(j) { 1 } else { t.out_degree(j) }),
                z: 0.0,
                x: 0.0,
                demand: 0.0,
                updates_at_fire: 0,
                used: BTreeMap::new(),
            })
            .collect();
        self.samples.insert(
            position,
            Sample {
                remaining: t.neurons() - t.inputs().len(),
                outputs_holding: 0,
                parked: false,
                neurons,
                loss: Inbox::new(t.outputs().len()),
                loss_done: false,
            },
        );
        self.tracer.event(self.now, "admit", None, Some(position));
        let features = data.features(schedule.sample(position));
        for (i, &value) in t.inputs().zip(features) {
            self.samples.get_mut(&position).expect("admitted").neurons[i].x = value;
            for e in t.outgoing(i) {
                if self.down[i] > 0 {
                    self.not_coming(MessageKind::Forward, position, e);
                } else {
                    self.send(MessageKind::Forward, position, e, Some(value));
                }
            }
        }
    }

    /// One more neuron is done with the sample at `position`.
    fn finish(&mut self, position: usize) {
        let s = self.samples.get_mut(&position).expect("in flight");
        s.remaining -= 1;
        if s.remaining == 0 {
            if !s.parked {
                self.active -= 1;
            }
            self.samples.remove(&position);
            self.completed += 1;
        }
    }

    fn neuron(&mut self, position: usize, j: usize) -> &mut NeuronState {
        &mut self.samples.get_mut(&position).expect("in flight").neurons[j]
    }

    // ---- the forward wave ----

    fn fire(&mut self, position: usize, j: usize) {
        let t = self.t;
        let updates = self.updates[j];
        let state = self.neuron(position, j);
        state.phase = Phase::Fired;
        state.updates_at_fire = updates;
        self.tracer.event(self.now, "fire", Some(j), Some(position));
        let last_value = self.plan.links.missing_input == MissingInput::LastValue;
        let mut z = self.params.biases[j];
        for e in t.incoming(j) {
            let value = match self.samples[&position].neurons[j].forward.arrived.get(&e) {
                Some(&(_, v)) => v,
                None if last_value => self.last_input[e],
                None => 0.0,
            };
            self.last_input[e] = value;
            self.neuron(position, j).used.insert(e, value);
            z += self.params.weights[e] * value;
        }
        let x = if t.is_output(j) {
            z
        } else {
            self.plan.learning.activation.apply(z)
        };
        let state = self.neuron(position, j);
        state.z = z;
        state.x = x;
        if t.is_output(j) {
            self.send(
                MessageKind::Output,
                position,
                j - t.outputs().start,
                Some(z),
            );
        } else {
            for e in t.outgoing(j) {
                self.send(MessageKind::Forward, position, e, Some(x));
            }
        }
        if self.samples.contains_key(&position) {
            self.progress(position, Some(j), Wave::Backward);
        }
    }

    fn sit_out(&mut self, position: usize, j: usize) {
        self.neuron(position, j).phase = Phase::Done;
        if self.t.is_output(j) {
            self.not_coming(MessageKind::Output, position, j - self.t.outputs().start);
        } else {
            for e in self.t.outgoing(j) {
                self.not_coming(MessageKind::Forward, position, e);
            }
        }
        self.abandon(position, j);
    }

    fn no_loss(&mut self, position: usize) {
        self.samples
            .get_mut(&position)
            .expect("in flight")
            .loss_done = true;
        self.samples_without_loss += 1;
        for o in 0..self.t.outputs().len() {
            self.not_coming(MessageKind::Demand, position, o);
        }
    }

    fn loss(&mut self, position: usize, data: &Split, schedule: &Schedule) {
        let outputs = self.t.outputs().len();
        self.samples
            .get_mut(&position)
            .expect("in flight")
            .loss_done = true;
        self.tracer.event(self.now, "loss", None, Some(position));
        let mut values = vec![0.0; outputs];
        for (o, value) in values.iter_mut().enumerate() {
            *value = match self.samples[&position].loss.arrived.get(&o) {
                Some(&(_, v)) => v,
                None => match self.plan.links.missing_input {
                    MissingInput::LastValue => self.last_output[o],
                    MissingInput::Zero => 0.0,
                },
            };
            self.last_output[o] = *value;
        }
        let mut demands = vec![0.0; outputs];
        let sample = schedule.sample(position);
        let loss = self.plan.learning.output.loss_and_demands_in(
            data.head(sample),
            &values,
            data.targets(sample),
            &mut demands,
        );
        self.window_loss += loss;
        self.window_count += 1;
        if !loss.is_finite() && self.diverged.is_none() {
            let sample = schedule.sample(position);
            self.diverged = Some(Divergence::at(position, sample, &self.params, self.t));
        }
        for (o, &d) in demands.iter().enumerate() {
            let j = self.t.outputs().start + o;
            // The output neuron reads its demand from the message when it arrives. (A demand that
            // fails may complete the sample, whose other outputs sat out: it is gone then.)
            if let Some(s) = self.samples.get_mut(&position) {
                s.neurons[j].demand = d;
            }
            self.send(MessageKind::Demand, position, o, Some(d));
        }
    }

    fn neurons_down(&self) -> usize {
        self.down.iter().filter(|&&d| d > 0).count()
    }

    /// Finished cuts plus, for each synapse cut now, its time cut so far.
    fn cut_ticks_so_far(&self) -> u64 {
        let ongoing: u64 = (0..self.cuts.len())
            .filter(|&e| self.cuts[e] > 0)
            .map(|e| self.now - self.cut_since[e])
            .sum();
        self.cut_ticks + ongoing
    }

    /// Finished downtimes plus, for each neuron down now, its downtime so far.
    fn crashed_ticks_so_far(&self) -> u64 {
        let ongoing: u64 = (0..self.down.len())
            .filter(|&j| self.down[j] > 0)
            .map(|j| self.now - self.down_since[j])
            .sum();
        self.crashed_ticks + ongoing
    }
}

impl Trainer for ReferenceEngine<'_> {
    fn train(
        &mut self,
        data: &Split,
        schedule: &Schedule,
        observer: &mut dyn Observer,
    ) -> TrainReport {
        let checkpoints = schedule.checkpoints();
        let mut next = 0;
        self.observing = observer.wants_samples();
        self.course = schedule.course().clone();
        for (index, &(tick, _)) in self.plan.faults.by_tick().iter().enumerate() {
            self.queue.push(Key::fault(tick, index), Item::Fault(index));
        }
        loop {
            while self.active < self.plan.learning.in_flight && self.admitted < schedule.len() {
                self.admit(data, schedule);
            }
            loop {
                let due = next < checkpoints.len() && checkpoints[next] <= self.completed;
                let stopped = self.diverged.is_some() && next <= checkpoints.len();
                if !(due || stopped) {
                    break;
                }
                next = if due { next + 1 } else { checkpoints.len() + 1 };
                observer.checkpoint(&Checkpoint {
                    samples_seen: self.completed,
                    sim_ticks: self.now,
                    train_loss: (self.window_count > 0)
                        .then(|| self.window_loss / self.window_count as f64),
                    params: &self.params,
                    messages: &self.stats,
                    staleness: self.staleness,
                    neurons_down: self.neurons_down(),
                    crashed_neuron_ticks: self.crashed_ticks_so_far(),
                    synapses_cut: self.cuts.iter().filter(|&&c| c > 0).count(),
                    cut_synapse_ticks: self.cut_ticks_so_far(),
                });
                self.window_loss = 0.0;
                self.window_count = 0;
            }
            if self.completed >= schedule.len() || self.diverged.is_some() {
                break;
            }
            let Some((key, item)) = self.queue.pop() else {
                break;
            };
            match item {
                Item::Fault(index) => {
                    self.now = key.time;
                    self.fault(self.plan.faults.by_tick()[index].1);
                }
                Item::Delivery { m, value, arrival } => {
                    self.now = key.time;
                    self.deliver(m, value, arrival);
                }
                Item::Act {
                    wave,
                    position,
                    neuron,
                } => {
                    if !self.open(position, neuron, wave) {
                        continue;
                    }
                    if let (Some(j), Wave::Backward) = (neuron, wave) {
                        if self.samples[&position].neurons[j].phase != Phase::Fired {
                            continue;
                        }
                    }
                    if self.inbox(position, neuron, wave).planned != Some(key.time) {
                        continue;
                    }
                    self.now = key.time;
                    self.events += 1;
                    match (neuron, wave) {
                        (None, _) => {
                            if self.observing {
                                observer.sample_loss(schedule.sample(position), &self.params);
                            }
                            self.loss(position, data, schedule);
                        }
                        (Some(j), Wave::Forward) => self.fire(position, j),
                        (Some(j), Wave::Backward) => self.credit(position, j, schedule),
                    }
                    for j in std::mem::take(&mut self.updated) {
                        observer.update_applied(j);
                    }
                }
            }
        }
        // Messages of the last tick still arrive (late); later ones are in flight.
        while let Some((key, item)) = self.queue.pop() {
            if key.time > self.now {
                self.queue.push(key, item);
                break;
            }
            if let Item::Delivery { m, value, arrival } = item {
                self.deliver(m, value, arrival);
            }
        }
        let mut in_flight_at_end = 0;
        let pending: Vec<(Key, Item)> = self.queue.drain().collect();
        let mut pending: Vec<(Key, Item)> = pending
            .into_iter()
            .filter(|(_, i)| matches!(i, Item::Delivery { value: Some(_), .. }))
            .collect();
        pending.sort_by_key(|p| p.0);
        for (_, item) in pending {
            if let Item::Delivery { m, arrival, .. } = item {
                // A run that stopped at a divergence leaves samples unfinished: what is on its way to
                // a neuron still waiting for it stays counted as delivered.
                let (owner, wave) = self.wave_of(m.kind, m.link);
                if self.open(m.position, owner, wave) {
                    continue;
                }
                let (_, _, layer) = self.route(m.kind, m.link);
                self.stats.at(m.kind.counted_as(), layer).delivered -= 1;
                in_flight_at_end += 1;
                self.tracer.message(self.t, m, Fate::InFlight(arrival));
            }
        }
        let down: Vec<usize> = (0..self.down.len()).filter(|&j| self.down[j] > 0).collect();
        for &j in &down {
            self.crashed_ticks += self.now - self.down_since[j];
        }
        TrainReport {
            samples_seen: self.completed,
            sim_ticks: self.now,
            events: self.events,
            messages: self.stats.clone(),
            in_flight_at_end,
            staleness: self.staleness,
            crashed_neuron_ticks: self.crashed_ticks,
            neurons_down_at_end: down,
            samples_without_loss: self.samples_without_loss,
            diverged: self.diverged,
        }
    }

    fn params(&self) -> Params {
        self.params.clone()
    }
}
