//! The event engine: a discrete-event simulation of neuron agents exchanging messages.
//!
//! Each training sample occupies a *slot* while it is in the network; every neuron keeps its
//! per-sample state (pre-activation, output, demand, attention received) in that slot, so messages
//! carry the sample id and delays only shift time (DESIGN §2). One sample's life:
//!
//! ```text
//!  admit ──► input neurons send features ──forward──► hidden … ──forward──► outputs ──► loss agent
//!                                                                                        │ demands
//!  complete ◄── Credit at each neuron ◄──attention── … ◄──attention── Credit at outputs ◄┘
//! ```
//!
//! **One event per neuron and wave, not per message.** A message's fate (dropped, or its arrival
//! tick) is drawn when it is sent, so a neuron only counts the messages of a wave whose fate is still
//! unknown and keeps the first and last arrival. Its event — `Fire` for the forward wave, `Credit`
//! for the backward wave — goes at the last arrival once everything is accounted for and arrived, or
//! at `first arrival + wait_timeout`, whichever is earlier. An earlier candidate re-schedules the event
//! and the superseded one is skipped when popped. A neuron that will receive nothing at all for a
//! sample (every input dropped, or it is crashed) sits the sample out, and its own messages are
//! accounted as missing downstream and upstream.
//!
//! With reliable links (no `wait_timeout`) every message arrives, so values are read straight from
//! the sender's slot; otherwise each slot also keeps, per synapse, the arrival tick and value of the
//! forward and attention messages, to tell on-time from late at the moment the neuron acts.
//!
//! Neurons apply their update after crediting `batch_size` samples. A rule that needs the gradient
//! norm (greedy attention) holds its demands until its batch is complete; a sample whose demands wait
//! at the outputs for the rest of its batch is *parked* and no longer counts against `in_flight`.

mod delay;
mod faults;
mod links;
mod scheduler;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

use crate::data::Split;
use crate::rng::{Purpose, Rng, Streams};
use crate::rule::{Feedback, LearningRule, Scales, Sgd};
use crate::scenario::{
    Activation, Estimator, Fault, LinkSpec, MissingInput, OutputKind, SendPolicy,
};
use crate::topology::{Params, Topology};
use crate::trainer::{
    Checkpoint, Kind, MessageStats, Observer, Schedule, Staleness, TrainReport, Trainer,
};

pub use faults::FaultError;
pub use links::LinkError;

use faults::{FaultAction, Faults};
use links::Links;
use scheduler::{Action, Scheduler};

/// Why the event engine could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A link override does not fit the network.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// A fault does not fit the network.
    #[error(transparent)]
    Fault(#[from] FaultError),
}

/// Estimated attention: how neurons estimate missing attention and when they send it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimation {
    /// How the estimate follows received attention.
    pub estimator: Estimator,
    /// When attention is sent.
    pub send: SendPolicy,
}

/// Settings of the event engine besides topology and rule.
#[derive(Clone, Debug)]
pub struct EventSettings {
    /// Hidden activation.
    pub activation: Activation,
    /// Output layer and loss.
    pub output: OutputKind,
    /// Optimizer of every neuron.
    pub sgd: Sgd,
    /// Samples per update.
    pub batch_size: usize,
    /// Samples in the network at once.
    pub in_flight: usize,
    /// Link model.
    pub links: LinkSpec,
    /// Faults.
    pub faults: Vec<Fault>,
    /// Attention estimation, for `EstimatedAttention`.
    pub estimation: Option<Estimation>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the forward inputs of the sample.
    Waiting,
    /// Fired; waiting for attention (or the demand).
    Fired,
    /// Done with the sample: credited, sat it out, or gave up.
    Done,
}

/// A neuron's view of one wave (forward inputs, or attention) of one sample: messages whose fate is
/// still unknown, messages that will arrive, and the first and last arrival.
#[derive(Clone, Copy, Debug, Default)]
struct Wave {
    unaccounted: u32,
    arrived: u32,
    first: u64,
    last: u64,
}

impl Wave {
    fn new(expected: u32) -> Wave {
        Wave {
            unaccounted: expected,
            arrived: 0,
            first: u64::MAX,
            last: 0,
        }
    }
}

/// Per-sample bookkeeping of a slot, including the loss agent's state for the sample.
#[derive(Clone, Copy, Debug, Default)]
struct SlotInfo {
    position: usize,
    generation: u32,
    /// Neurons (inputs excluded) not yet done with the sample.
    remaining: u32,
    /// Output neurons holding the sample's demand until their batch is complete.
    outputs_holding: u32,
    /// Whether the sample stopped counting against `in_flight` while waiting for its batch.
    parked: bool,
    loss_unaccounted: u32,
    loss_arrived: u32,
    loss_first: u64,
    loss_last: u64,
    loss_scheduled: u64,
    loss_done: bool,
}

/// Receiver-side estimates and sender-side send state of estimated attention, per synapse.
#[derive(Clone, Debug)]
struct EstimationState {
    config: Estimation,
    estimate: Vec<f64>,
    known: Vec<bool>,
    last_sent: Vec<f64>,
    has_sent: Vec<bool>,
    /// Samples each neuron has paid attention for.
    payments: Vec<u64>,
}

impl EstimationState {
    #[inline]
    fn estimate(&self, e: usize) -> f64 {
        if self.known[e] {
            self.estimate[e]
        } else {
            0.0
        }
    }

    #[inline]
    fn observe(&mut self, e: usize, value: f64) {
        self.estimate[e] = match self.config.estimator {
            Estimator::Ema { decay } if self.known[e] => {
                decay * self.estimate[e] + (1.0 - decay) * value
            }
            _ => value,
        };
        self.known[e] = true;
    }
}

/// The discrete-event trainer.
pub struct EventEngine<'a> {
    topology: &'a Topology,
    rule: &'a dyn LearningRule,
    settings: EventSettings,
    params: Params,
    /// Attention weights per synapse when the rule uses fixed random feedback.
    feedback: Option<&'a [f64]>,
    /// Momentum per synapse (empty without momentum).
    velocity: Vec<f64>,
    bias_velocity: Vec<f64>,
    /// Per synapse / per neuron: sum of `d x` (resp. `d`) over the samples credited in this batch
    /// (the synapse part is empty when neurons step directly, see `direct`).
    gradient: Vec<f64>,
    /// Whether neurons step as soon as they learn from a sample (batch 1, no momentum, a rule without
    /// gradient norm): the same arithmetic without a gradient buffer.
    direct: bool,
    bias_gradient: Vec<f64>,
    /// Per neuron: samples credited in the current batch, and (for norm-based rules) their slots.
    credited: Vec<u32>,
    held: Vec<u32>,
    updates_applied: Vec<u64>,
    /// First incoming synapse of each neuron whose source is not an input (attention goes only there).
    attention_start: Vec<usize>,
    /// Per neuron, its outgoing synapses counted by target layer: `out_layers[out_layer_start[i]..]`.
    out_layers: Vec<(u16, u32)>,
    out_layer_start: Vec<usize>,
    /// Per (slot, neuron), flattened as `slot * neurons + neuron`.
    phase: Vec<Phase>,
    scheduled: Vec<u64>,
    z: Vec<f64>,
    x: Vec<f64>,
    demand: Vec<f64>,
    attention: Vec<f64>,
    forward: Vec<Wave>,
    backward: Vec<Wave>,
    updates_at_fire: Vec<u64>,
    /// Per (slot, synapse), only with unreliable links: arrival tick (`u64::MAX`: never) and value of
    /// the forward message (after firing: the value used) and of the attention message (NaN: not
    /// sent, use the estimate).
    input_arrival: Vec<u64>,
    input_value: Vec<f64>,
    attention_arrival: Vec<u64>,
    attention_value: Vec<f64>,
    /// Per (slot, output), only with unreliable links: the loss agent's inbox.
    output_arrival: Vec<u64>,
    output_value: Vec<f64>,
    /// Per synapse / per output: last value used, for `missing_input: LastValue`.
    last_input: Vec<f64>,
    last_output: Vec<f64>,
    loss_values: Vec<f64>,
    loss_demands: Vec<f64>,
    estimation: Option<EstimationState>,
    slots: Vec<SlotInfo>,
    in_use: Vec<bool>,
    free_slots: Vec<u32>,
    queue: Scheduler,
    links: Links,
    faults: Faults,
    fault_actions: Vec<FaultAction>,
    reliable: bool,
    timeout: u64,
    down: Vec<u16>,
    down_since: Vec<u64>,
    neurons_down: usize,
    crashed_neuron_ticks: u64,
    forward_rng: Rng,
    attention_rng: Rng,
    drop_rng: Rng,
    messages: MessageStats,
    /// Late messages by arrival: those still travelling at the end are in flight, not delivered.
    late: BinaryHeap<Reverse<(u64, u8, u16)>>,
    staleness: Staleness,
    samples_without_loss: u64,
    trace: Option<Box<dyn Write + 'a>>,
    trace_error: Option<std::io::Error>,
    now: u64,
    events: u64,
    active: usize,
    admitted: usize,
    completed: usize,
    window_loss: f64,
    window_count: usize,
}

impl std::fmt::Debug for EventEngine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventEngine")
            .field("now", &self.now)
            .field("events", &self.events)
            .field("completed", &self.completed)
            .finish_non_exhaustive()
    }
}

impl<'a> EventEngine<'a> {
    /// An engine starting from `params`. `feedback` holds one fixed weight per synapse, used (and
    /// required) only when the rule pays attention through fixed random weights. Delays, drops and
    /// faults draw from their own streams.
    pub fn new(
        topology: &'a Topology,
        rule: &'a dyn LearningRule,
        settings: EventSettings,
        params: Params,
        feedback: &'a [f64],
        streams: &Streams,
    ) -> Result<Self, EngineError> {
        let n = topology.neurons();
        let m = topology.synapses();
        let outputs = topology.outputs().len();
        let slots = settings.in_flight + settings.batch_size;
        let reliable = settings.links.wait_timeout.is_none();
        let per_edge = if reliable { 0 } else { slots * m };
        let per_output = if reliable { 0 } else { slots * outputs };
        let attention_start = (0..n)
            .map(|j| {
                let range = topology.incoming(j);
                range.start
                    + topology.sources()[range.clone()]
                        .partition_point(|&i| topology.is_input(i as usize))
            })
            .collect();
        let mut out_layers = Vec::new();
        let mut out_layer_start = vec![0];
        for i in 0..n {
            for e in topology.outgoing(i) {
                let layer = topology.layer_of(topology.target(e)) as u16;
                let own = out_layers.len() > out_layer_start[i];
                match out_layers.last_mut() {
                    Some((l, count)) if own && *l == layer => *count += 1,
                    _ => out_layers.push((layer, 1)),
                }
            }
            out_layer_start.push(out_layers.len());
        }
        let direct =
            settings.batch_size == 1 && settings.sgd.momentum == 0.0 && !rule.needs_gradient_norm();
        let links = Links::new(&settings.links, topology)?;
        let faults = Faults::new(&settings.faults, topology, streams.stream(Purpose::Faults))?;
        let estimation = settings.estimation.map(|config| EstimationState {
            config,
            estimate: vec![0.0; m],
            known: vec![false; m],
            last_sent: vec![0.0; m],
            has_sent: vec![false; m],
            payments: vec![0; n],
        });
        Ok(EventEngine {
            topology,
            rule,
            params,
            feedback: (rule.feedback() == Feedback::FixedRandom).then_some(feedback),
            velocity: vec![0.0; if settings.sgd.momentum == 0.0 { 0 } else { m }],
            bias_velocity: vec![0.0; n],
            gradient: vec![0.0; if direct { 0 } else { m }],
            bias_gradient: vec![0.0; n],
            direct,
            credited: vec![0; n],
            held: vec![0; n * settings.batch_size],
            updates_applied: vec![0; n],
            attention_start,
            out_layers,
            out_layer_start,
            phase: vec![Phase::Done; slots * n],
            scheduled: vec![u64::MAX; slots * n],
            z: vec![0.0; slots * n],
            x: vec![0.0; slots * n],
            demand: vec![0.0; slots * n],
            attention: vec![0.0; slots * n],
            forward: vec![Wave::default(); slots * n],
            backward: vec![Wave::default(); slots * n],
            updates_at_fire: vec![0; slots * n],
            input_arrival: vec![u64::MAX; per_edge],
            input_value: vec![0.0; per_edge],
            attention_arrival: vec![u64::MAX; per_edge],
            attention_value: vec![0.0; per_edge],
            output_arrival: vec![u64::MAX; per_output],
            output_value: vec![0.0; per_output],
            last_input: vec![0.0; if reliable { 0 } else { m }],
            last_output: vec![0.0; outputs],
            loss_values: vec![0.0; outputs],
            loss_demands: vec![0.0; outputs],
            estimation,
            slots: vec![SlotInfo::default(); slots],
            in_use: vec![false; slots],
            free_slots: (0..slots as u32).rev().collect(),
            queue: Scheduler::with_capacity(4 * n * slots),
            links,
            faults,
            fault_actions: Vec::new(),
            reliable,
            timeout: settings.links.wait_timeout.unwrap_or(u64::MAX),
            down: vec![0; n],
            down_since: vec![0; n],
            neurons_down: 0,
            crashed_neuron_ticks: 0,
            forward_rng: streams.stream(Purpose::ForwardDelay),
            attention_rng: streams.stream(Purpose::AttentionDelay),
            drop_rng: streams.stream(Purpose::Drops),
            messages: MessageStats::new(topology.layers().len()),
            late: BinaryHeap::with_capacity(if reliable { 0 } else { 1024 }),
            staleness: Staleness::default(),
            samples_without_loss: 0,
            trace: None,
            trace_error: None,
            settings,
            now: 0,
            events: 0,
            active: 0,
            admitted: 0,
            completed: 0,
            window_loss: 0.0,
            window_count: 0,
        })
    }

    /// Writes every event as a JSON line `{"t":…,"kind":…,"neuron":…,"sample":…}` to `out`.
    pub fn trace_to(&mut self, out: Box<dyn Write + 'a>) {
        self.trace = Some(out);
    }

    /// The first error writing the trace, if any (tracing stops at the first error).
    pub fn take_trace_error(&mut self) -> Option<std::io::Error> {
        self.trace_error.take()
    }

    fn trace(&mut self, kind: &str, neuron: Option<usize>, sample: Option<usize>) {
        let Some(out) = &mut self.trace else { return };
        let result = match (neuron, sample) {
            (Some(j), Some(s)) => writeln!(
                out,
                r#"{{"t":{},"kind":"{kind}","neuron":{j},"sample":{s}}}"#,
                self.now
            ),
            (Some(j), None) => {
                writeln!(out, r#"{{"t":{},"kind":"{kind}","neuron":{j}}}"#, self.now)
            }
            (None, Some(s)) => {
                writeln!(out, r#"{{"t":{},"kind":"{kind}","sample":{s}}}"#, self.now)
            }
            (None, None) => writeln!(out, r#"{{"t":{},"kind":"{kind}"}}"#, self.now),
        };
        if let Err(e) = result {
            self.trace_error = Some(e);
            self.trace = None;
        }
    }

    #[inline]
    fn schedule(&mut self, time: u64, action: Action, neuron: usize, slot: usize) {
        let generation = self.slots[slot].generation;
        self.queue
            .schedule(time.max(self.now), action, neuron, slot, generation);
    }

    fn note_late(&mut self, arrival: u64, kind: Kind, layer: usize) {
        self.messages.at(kind, layer).late += 1;
        self.late.push(Reverse((arrival, kind as u8, layer as u16)));
    }

    // ----- admission and faults -------------------------------------------------------------

    /// Puts the next schedule position into a free slot at the current time; faults timed by that
    /// sample happen first, then its input neurons send the sample's features.
    fn admit(&mut self, data: &Split, schedule: &Schedule) {
        let position = self.admitted;
        let mut actions = std::mem::take(&mut self.fault_actions);
        self.faults.on_admission(position as u64, &mut actions);
        for &action in &actions {
            self.apply_fault(action);
        }
        self.fault_actions = actions;

        let t = self.topology;
        let n = t.neurons();
        let slot = self
            .free_slots
            .pop()
            .expect("a slot is free when admitting") as usize;
        self.admitted += 1;
        self.active += 1;
        self.in_use[slot] = true;
        let base = slot * n;
        for j in t.inputs().end..n {
            let k = base + j;
            self.phase[k] = Phase::Waiting;
            self.scheduled[k] = u64::MAX;
            self.forward[k] = Wave::new(t.incoming(j).len() as u32);
            self.backward[k] = Wave::new(if t.is_output(j) {
                1
            } else {
                t.out_degree(j) as u32
            });
            self.attention[k] = 0.0;
        }
        let info = &mut self.slots[slot];
        *info = SlotInfo {
            position,
            generation: info.generation.wrapping_add(1),
            remaining: (n - t.inputs().len()) as u32,
            outputs_holding: 0,
            parked: false,
            loss_unaccounted: t.outputs().len() as u32,
            loss_arrived: 0,
            loss_first: u64::MAX,
            loss_last: 0,
            loss_scheduled: u64::MAX,
            loss_done: false,
        };
        self.trace("admit", None, Some(position));
        let features = data.features(schedule.sample(position));
        for (i, &value) in t.inputs().zip(features) {
            self.x[base + i] = value;
            if self.down[i] == 0 {
                self.send_forward_from(i, slot, value);
            } else {
                for e in t.outgoing(i) {
                    self.forward_missing(e, slot);
                }
            }
        }
    }

    fn apply_fault(&mut self, action: FaultAction) {
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
    fn crash(&mut self, j: usize) {
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
    fn recover(&mut self, j: usize, lose_state: bool) {
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

    // ----- forward wave ---------------------------------------------------------------------

    /// Sends neuron `i`'s `value` over all its outgoing synapses for the sample in `slot`.
    ///
    /// The common case — one link class without drops, nothing cut, nobody down — takes a tight loop
    /// that only draws the delay and updates the receiver; message counts are added per layer at once.
    #[inline]
    fn send_forward_from(&mut self, i: usize, slot: usize, value: f64) {
        let t = self.topology;
        let Some(delay) = self
            .links
            .plain_forward()
            .filter(|_| self.neurons_down == 0)
        else {
            for e in t.outgoing(i) {
                self.send_forward(e, slot, value);
            }
            return;
        };
        let delay = delay.clone();
        let n = t.neurons();
        let (m, reliable) = (t.synapses(), self.reliable);
        if reliable {
            // Every message arrives and nobody fires early: count down and fire at the last arrival.
            for e in t.outgoing(i) {
                let j = t.target(e);
                let arrival = self.now + delay.sample(&mut self.forward_rng);
                let k = slot * n + j;
                let wave = &mut self.forward[k];
                wave.unaccounted -= 1;
                wave.arrived += 1;
                wave.last = wave.last.max(arrival);
                if wave.unaccounted == 0 {
                    let last = wave.last;
                    self.scheduled[k] = last;
                    self.schedule(last, Action::Fire, j, slot);
                }
            }
            self.count_sent_forward(i);
            return;
        }
        for e in t.outgoing(i) {
            let j = t.target(e);
            let arrival = self.now + delay.sample(&mut self.forward_rng);
            let k = slot * n + j;
            let wave = &mut self.forward[k];
            wave.unaccounted -= 1;
            if self.phase[k] != Phase::Waiting {
                self.note_late(arrival, Kind::Forward, t.layer_of(j));
                continue;
            }
            wave.arrived += 1;
            let first = wave.first;
            wave.first = first.min(arrival);
            wave.last = wave.last.max(arrival);
            let replan = arrival < first || wave.unaccounted == 0;
            if !reliable {
                self.input_arrival[slot * m + e] = arrival;
                self.input_value[slot * m + e] = value;
            }
            if replan {
                self.forward_progress(j, slot);
            }
        }
        self.count_sent_forward(i);
    }

    /// Counts neuron `i`'s forward messages as sent and delivered, per target layer.
    #[inline]
    fn count_sent_forward(&mut self, i: usize) {
        for &(layer, count) in
            &self.out_layers[self.out_layer_start[i]..self.out_layer_start[i + 1]]
        {
            let counts = self.messages.at(Kind::Forward, layer as usize);
            counts.sent += count as u64;
            counts.delivered += count as u64;
        }
    }

    /// Sends `value` over synapse `e` for the sample in `slot`: drawn dropped, or delivered at a
    /// drawn arrival tick.
    fn send_forward(&mut self, e: usize, slot: usize, value: f64) {
        let t = self.topology;
        let j = t.target(e);
        let layer = t.layer_of(j);
        self.messages.at(Kind::Forward, layer).sent += 1;
        let class = self.links.synapse(e);
        if self.links.is_cut(e) || self.down[j] > 0 || class.forward_drop.drops(&mut self.drop_rng)
        {
            self.messages.at(Kind::Forward, layer).dropped += 1;
            self.forward_missing(e, slot);
            return;
        }
        let arrival = self.now + class.forward_delay.sample(&mut self.forward_rng);
        self.messages.at(Kind::Forward, layer).delivered += 1;
        let k = slot * t.neurons() + j;
        self.forward[k].unaccounted -= 1;
        if self.phase[k] != Phase::Waiting {
            self.note_late(arrival, Kind::Forward, layer);
            return;
        }
        if !self.reliable {
            let q = slot * t.synapses() + e;
            self.input_arrival[q] = arrival;
            self.input_value[q] = value;
        }
        self.forward[k].arrived += 1;
        let first = self.forward[k].first;
        self.forward[k].first = first.min(arrival);
        self.forward[k].last = self.forward[k].last.max(arrival);
        // The planned firing time only moves when the first arrival does or the wave is complete.
        if arrival < first || self.forward[k].unaccounted == 0 {
            self.forward_progress(j, slot);
        }
    }

    /// No forward message will come over synapse `e` for `slot`.
    fn forward_missing(&mut self, e: usize, slot: usize) {
        let t = self.topology;
        let j = t.target(e);
        if !self.reliable {
            self.input_arrival[slot * t.synapses() + e] = u64::MAX;
        }
        let k = slot * t.neurons() + j;
        self.forward[k].unaccounted -= 1;
        self.forward_progress(j, slot);
    }

    /// Re-plans when neuron `j` fires for `slot`, or sits the sample out if nothing will arrive.
    fn forward_progress(&mut self, j: usize, slot: usize) {
        let k = slot * self.topology.neurons() + j;
        if self.phase[k] != Phase::Waiting {
            return;
        }
        let (unaccounted, arrived) = (self.forward[k].unaccounted, self.forward[k].arrived);
        if unaccounted == 0 && arrived == 0 {
            self.sit_out(j, slot);
            return;
        }
        let deadline = if arrived > 0 {
            self.forward[k].first.saturating_add(self.timeout)
        } else {
            u64::MAX
        };
        let expected = self.topology.incoming(j).len() as u32;
        let candidate = if unaccounted == 0 && arrived == expected {
            self.forward[k].last.min(deadline)
        } else {
            deadline
        };
        if candidate < self.scheduled[k] {
            self.scheduled[k] = candidate;
            self.schedule(candidate, Action::Fire, j, slot);
        }
    }

    /// Neuron `j` fires for `slot` with the inputs that have arrived.
    fn fire(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let n = t.neurons();
        let k = slot * n + j;
        self.phase[k] = Phase::Fired;
        self.scheduled[k] = u64::MAX;
        self.updates_at_fire[k] = self.updates_applied[j];
        let position = self.slots[slot].position;
        self.trace("fire", Some(j), Some(position));
        let mut z = self.params.biases[j];
        if self.reliable {
            let base = slot * n;
            for e in t.incoming(j) {
                z += self.params.weights[e] * self.x[base + t.source(e)];
            }
        } else {
            let last_value = self.settings.links.missing_input == MissingInput::LastValue;
            let layer = t.layer_of(j);
            for e in t.incoming(j) {
                let q = slot * t.synapses() + e;
                let arrival = self.input_arrival[q];
                let value = if arrival <= self.now {
                    self.input_value[q]
                } else {
                    if arrival != u64::MAX {
                        self.note_late(arrival, Kind::Forward, layer);
                    }
                    let fallback = if last_value { self.last_input[e] } else { 0.0 };
                    self.input_value[q] = fallback;
                    fallback
                };
                self.last_input[e] = value;
                z += self.params.weights[e] * value;
            }
        }
        self.z[k] = z;
        if t.is_output(j) {
            self.x[k] = z;
            let o = j - t.outputs().start;
            let layer = t.layer_of(j);
            self.messages.at(Kind::Loss, layer).sent += 1;
            let class = self.links.loss();
            if class.forward_drop.drops(&mut self.drop_rng) {
                self.messages.at(Kind::Loss, layer).dropped += 1;
                self.loss_missing(slot, o);
            } else {
                let arrival = self.now + class.forward_delay.sample(&mut self.forward_rng);
                self.messages.at(Kind::Loss, layer).delivered += 1;
                self.loss_receive(slot, o, arrival, z);
            }
        } else {
            let x = self.settings.activation.apply(z);
            self.x[k] = x;
            self.send_forward_from(j, slot, x);
        }
        // Attention may have arrived before the neuron fired (its downstream timed out on it).
        self.backward_progress(j, slot);
    }

    /// Neuron `j` will not fire for `slot`: its messages are missing downstream and the attention it
    /// would have paid is missing upstream.
    fn sit_out(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        self.phase[k] = Phase::Done;
        self.scheduled[k] = u64::MAX;
        if t.is_output(j) {
            self.loss_missing(slot, j - t.outputs().start);
        } else {
            for e in t.outgoing(j) {
                self.forward_missing(e, slot);
            }
        }
        for e in self.attention_start[j]..t.incoming(j).end {
            self.attention_missing(e, slot);
        }
        self.finish(slot);
    }

    // ----- the loss agent -------------------------------------------------------------------

    fn loss_receive(&mut self, slot: usize, o: usize, arrival: u64, value: f64) {
        let layer = self.topology.layers().len() - 1;
        let info = &mut self.slots[slot];
        info.loss_unaccounted -= 1;
        if info.loss_done {
            self.note_late(arrival, Kind::Loss, layer);
            return;
        }
        info.loss_arrived += 1;
        info.loss_first = info.loss_first.min(arrival);
        info.loss_last = info.loss_last.max(arrival);
        if !self.reliable {
            let q = slot * self.last_output.len() + o;
            self.output_arrival[q] = arrival;
            self.output_value[q] = value;
        }
        self.loss_progress(slot);
    }

    fn loss_missing(&mut self, slot: usize, o: usize) {
        if !self.reliable {
            self.output_arrival[slot * self.last_output.len() + o] = u64::MAX;
        }
        self.slots[slot].loss_unaccounted -= 1;
        self.loss_progress(slot);
    }

    fn loss_progress(&mut self, slot: usize) {
        let info = self.slots[slot];
        if info.loss_done {
            return;
        }
        if info.loss_unaccounted == 0 && info.loss_arrived == 0 {
            // No output reached the loss agent: nothing to learn from this sample.
            self.slots[slot].loss_done = true;
            self.samples_without_loss += 1;
            for j in self.topology.outputs() {
                self.demand_missing(j, slot);
            }
            return;
        }
        let deadline = if info.loss_arrived > 0 {
            info.loss_first.saturating_add(self.timeout)
        } else {
            u64::MAX
        };
        let outputs = self.last_output.len() as u32;
        let candidate = if info.loss_unaccounted == 0 && info.loss_arrived == outputs {
            info.loss_last.min(deadline)
        } else {
            deadline
        };
        if candidate < info.loss_scheduled {
            self.slots[slot].loss_scheduled = candidate;
            self.schedule(candidate, Action::Loss, 0, slot);
        }
    }

    /// The loss agent answers each output neuron of `slot` with its demand.
    fn loss(&mut self, slot: usize, data: &Split, schedule: &Schedule) {
        let t = self.topology;
        let base = slot * t.neurons();
        let outputs = t.outputs();
        let layer = t.layers().len() - 1;
        self.slots[slot].loss_done = true;
        let position = self.slots[slot].position;
        self.trace("loss", None, Some(position));
        let mut values = std::mem::take(&mut self.loss_values);
        for (o, j) in outputs.clone().enumerate() {
            values[o] = if self.reliable {
                self.x[base + j]
            } else {
                let q = slot * outputs.len() + o;
                let arrival = self.output_arrival[q];
                if arrival <= self.now {
                    self.last_output[o] = self.output_value[q];
                    self.output_value[q]
                } else {
                    if arrival != u64::MAX {
                        self.note_late(arrival, Kind::Loss, layer);
                    }
                    match self.settings.links.missing_input {
                        MissingInput::LastValue => self.last_output[o],
                        MissingInput::Zero => 0.0,
                    }
                }
            };
        }
        let target = data.targets(schedule.sample(position));
        let loss = self
            .settings
            .output
            .loss_and_demands(&values, target, &mut self.loss_demands);
        self.loss_values = values;
        self.window_loss += loss;
        self.window_count += 1;
        for (o, j) in outputs.enumerate() {
            self.messages.at(Kind::Loss, layer).sent += 1;
            let class = self.links.loss();
            if self.down[j] > 0 || class.attention_drop.drops(&mut self.drop_rng) {
                self.messages.at(Kind::Loss, layer).dropped += 1;
                self.demand_missing(j, slot);
                continue;
            }
            let arrival = self.now + class.attention_delay.sample(&mut self.attention_rng);
            self.messages.at(Kind::Loss, layer).delivered += 1;
            let k = base + j;
            self.backward[k].unaccounted -= 1;
            if self.phase[k] != Phase::Fired {
                self.note_late(arrival, Kind::Loss, layer);
                continue;
            }
            self.demand[k] = self.loss_demands[o];
            self.backward[k].arrived += 1;
            self.backward[k].first = self.backward[k].first.min(arrival);
            self.backward[k].last = self.backward[k].last.max(arrival);
            self.backward_progress(j, slot);
        }
    }

    fn demand_missing(&mut self, j: usize, slot: usize) {
        let k = slot * self.topology.neurons() + j;
        self.backward[k].unaccounted -= 1;
        self.backward_progress(j, slot);
    }

    // ----- backward wave --------------------------------------------------------------------

    /// Re-plans when neuron `i` learns from `slot`, or gives the sample up if no attention will come.
    fn backward_progress(&mut self, i: usize, slot: usize) {
        let t = self.topology;
        let k = slot * t.neurons() + i;
        if self.phase[k] != Phase::Fired {
            return;
        }
        let (unaccounted, arrived) = (self.backward[k].unaccounted, self.backward[k].arrived);
        if unaccounted == 0 && arrived == 0 {
            self.give_up(i, slot);
            return;
        }
        let deadline = if arrived > 0 {
            self.backward[k].first.saturating_add(self.timeout)
        } else {
            u64::MAX
        };
        let expected = if t.is_output(i) {
            1
        } else {
            t.out_degree(i) as u32
        };
        let candidate = if unaccounted == 0 && arrived == expected {
            self.backward[k].last.min(deadline)
        } else {
            deadline
        };
        if candidate < self.scheduled[k] {
            self.scheduled[k] = candidate;
            self.schedule(candidate, Action::Credit, i, slot);
        }
    }

    /// Neuron `j` learns nothing from `slot`: the attention it would have paid is missing upstream.
    fn give_up(&mut self, j: usize, slot: usize) {
        let k = slot * self.topology.neurons() + j;
        self.phase[k] = Phase::Done;
        self.scheduled[k] = u64::MAX;
        for e in self.attention_start[j]..self.topology.incoming(j).end {
            self.attention_missing(e, slot);
        }
        self.finish(slot);
    }

    /// No attention message will come back over synapse `e` for `slot`.
    fn attention_missing(&mut self, e: usize, slot: usize) {
        let t = self.topology;
        let i = t.source(e);
        if !self.reliable {
            self.attention_arrival[slot * t.synapses() + e] = u64::MAX;
        }
        let k = slot * t.neurons() + i;
        self.backward[k].unaccounted -= 1;
        self.backward_progress(i, slot);
    }

    /// Attention over synapse `e` for `slot` arrives at its source at `arrival`: `Some(a)` when it
    /// was sent, `None` when it was suppressed and the receiver uses its estimate.
    #[inline]
    fn deliver_attention(&mut self, e: usize, slot: usize, arrival: u64, value: Option<f64>) {
        let t = self.topology;
        let i = t.source(e);
        let k = slot * t.neurons() + i;
        self.backward[k].unaccounted -= 1;
        if self.phase[k] == Phase::Done {
            if value.is_some() {
                self.note_late(arrival, Kind::Attention, t.layer_of(t.target(e)));
            }
            return;
        }
        if self.reliable {
            let received = match (&mut self.estimation, value) {
                (Some(est), Some(a)) => {
                    est.observe(e, a);
                    a
                }
                (Some(est), None) => est.estimate(e),
                (None, value) => value.unwrap_or(0.0),
            };
            self.attention[k] += received;
        } else {
            let q = slot * t.synapses() + e;
            self.attention_arrival[q] = arrival;
            self.attention_value[q] = value.unwrap_or(f64::NAN);
        }
        self.backward[k].arrived += 1;
        let first = self.backward[k].first;
        self.backward[k].first = first.min(arrival);
        self.backward[k].last = self.backward[k].last.max(arrival);
        if arrival < first || self.backward[k].unaccounted == 0 {
            self.backward_progress(i, slot);
        }
    }

    /// The attention neuron `j` has for `slot` now: with unreliable links, on-time messages, and
    /// estimates (or nothing) for the missing and late ones.
    fn attention_received(&mut self, j: usize, slot: usize) -> f64 {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        if self.reliable {
            return self.attention[k];
        }
        let mut sum = 0.0;
        for e in t.outgoing(j) {
            let q = slot * t.synapses() + e;
            let arrival = self.attention_arrival[q];
            let on_time = arrival <= self.now;
            let value = self.attention_value[q];
            if !on_time && arrival != u64::MAX && !value.is_nan() {
                self.note_late(arrival, Kind::Attention, t.layer_of(t.target(e)));
            }
            sum += match &mut self.estimation {
                Some(est) if on_time && !value.is_nan() => {
                    est.observe(e, value);
                    value
                }
                Some(est) => est.estimate(e),
                None if on_time => value,
                None => 0.0,
            };
        }
        sum
    }

    /// Neuron `j` has its demand for `slot` (from the loss agent, or its attention): it learns from
    /// it and pays attention to its inputs, or holds it until its batch is complete.
    fn credit(&mut self, j: usize, slot: usize, data: &Split, schedule: &Schedule) {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        self.scheduled[k] = u64::MAX;
        let position = self.slots[slot].position;
        self.trace("credit", Some(j), Some(position));
        if !t.is_output(j) {
            let received = self.attention_received(j, slot);
            self.demand[k] = self.settings.activation.derivative(self.z[k]) * received;
        }
        let batch_len = schedule.batch_len(position);
        if self.rule.needs_gradient_norm() && self.settings.batch_size > 1 {
            self.held[j * self.settings.batch_size + self.credited[j] as usize] = slot as u32;
            self.credited[j] += 1;
            if self.credited[j] as usize == batch_len {
                self.release_batch(j);
            } else if t.is_output(j) {
                let info = &mut self.slots[slot];
                info.outputs_holding += 1;
                if info.outputs_holding as usize == t.outputs().len() {
                    // Every output waits for the rest of the batch: the sample leaves the pipeline.
                    info.parked = true;
                    self.active -= 1;
                    self.admit_while_possible(data, schedule);
                }
            }
            return;
        }
        if self.direct {
            self.pay_attention(j, slot, 1.0);
            self.step_directly(j, slot);
            self.phase[k] = Phase::Done;
            self.finish(slot);
            return;
        }
        self.accumulate(j, slot);
        let scales = if self.rule.needs_gradient_norm() {
            self.rule.scales(self.gradient_norm(j, 1))
        } else {
            Scales::UNIT
        };
        self.pay_attention(j, slot, scales.attention);
        self.credited[j] += 1;
        if self.credited[j] as usize >= batch_len {
            let len = self.credited[j] as usize;
            self.apply(j, len, scales);
        }
        self.phase[k] = Phase::Done;
        self.finish(slot);
    }

    /// Adds sample `slot`'s `d x` to neuron `j`'s batch gradient, with the inputs `j` used.
    #[inline]
    fn accumulate(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let base = slot * t.neurons();
        let d = self.demand[base + j];
        if self.reliable {
            for e in t.incoming(j) {
                self.gradient[e] += d * self.x[base + t.source(e)];
            }
        } else {
            let edges = slot * t.synapses();
            for e in t.incoming(j) {
                self.gradient[e] += d * self.input_value[edges + e];
            }
        }
        self.bias_gradient[j] += d;
    }

    /// Neuron `j` steps on sample `slot` alone: `w ← w + lr·(d x)`, the arithmetic of a batch of one.
    #[inline]
    fn step_directly(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let base = slot * t.neurons();
        let d = self.demand[base + j];
        let lr = self.settings.sgd.lr;
        if self.reliable {
            for e in t.incoming(j) {
                self.params.weights[e] += lr * (d * self.x[base + t.source(e)]);
            }
        } else {
            let edges = slot * t.synapses();
            for e in t.incoming(j) {
                self.params.weights[e] += lr * (d * self.input_value[edges + e]);
            }
        }
        self.params.biases[j] += lr * d;
        self.updates_applied[j] += 1;
    }

    /// The parameters, consuming the engine.
    pub fn into_params(self) -> Params {
        self.params
    }

    /// Norm of neuron `j`'s mean gradient over `len` samples.
    fn gradient_norm(&self, j: usize, len: usize) -> f64 {
        let range = self.topology.incoming(j);
        self.gradient[range]
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt()
            / len as f64
    }

    /// Neuron `j` pays attention `coef · d · scale` for `slot` to each of its non-input sources,
    /// unless its send policy suppresses it.
    fn pay_attention(&mut self, j: usize, slot: usize, scale: f64) {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        let d = self.demand[k] * scale;
        let range = self.attention_start[j]..t.incoming(j).end;
        if range.is_empty() {
            return;
        }
        let stale = self.updates_applied[j] - self.updates_at_fire[k];
        self.staleness.count += 1;
        self.staleness.sum += stale;
        self.staleness.max = self.staleness.max.max(stale);
        let every_k_sends = match &mut self.estimation {
            Some(est) => {
                let paid = est.payments[j];
                est.payments[j] += 1;
                match est.config.send {
                    SendPolicy::EveryK(every) => paid % every.max(1) as u64 == 0,
                    _ => true,
                }
            }
            None => true,
        };
        let layer = t.layer_of(j);
        if self.reliable && self.estimation.is_none() {
            if let Some(delay) = self
                .links
                .plain_attention()
                .filter(|_| self.neurons_down == 0)
            {
                // Every message arrives: add it to the receiver's sum and count down.
                let delay = delay.clone();
                let n = t.neurons();
                let count = range.len() as u64;
                for e in range {
                    let coef = match &self.feedback {
                        Some(fb) => fb[e],
                        None => self.params.weights[e],
                    };
                    let i = t.source(e);
                    let arrival = self.now + delay.sample(&mut self.attention_rng);
                    let k = slot * n + i;
                    self.attention[k] += coef * d;
                    let wave = &mut self.backward[k];
                    wave.unaccounted -= 1;
                    wave.arrived += 1;
                    wave.last = wave.last.max(arrival);
                    if wave.unaccounted == 0 && self.phase[k] == Phase::Fired {
                        let last = wave.last;
                        self.scheduled[k] = last;
                        self.schedule(last, Action::Credit, i, slot);
                    }
                }
                let counts = self.messages.at(Kind::Attention, layer);
                counts.sent += count;
                counts.delivered += count;
                return;
            }
        }
        for e in range {
            let coef = match &self.feedback {
                Some(fb) => fb[e],
                None => self.params.weights[e],
            };
            let a = coef * d;
            let suppressed = match &mut self.estimation {
                None => false,
                Some(est) => match est.config.send {
                    SendPolicy::Always => false,
                    SendPolicy::EveryK(_) => !every_k_sends,
                    SendPolicy::Threshold(delta) => {
                        let quiet = est.has_sent[e] && (a - est.last_sent[e]).abs() <= delta;
                        if !quiet {
                            est.has_sent[e] = true;
                            est.last_sent[e] = a;
                        }
                        quiet
                    }
                },
            };
            let class = self.links.synapse(e);
            if suppressed {
                self.messages.at(Kind::Attention, layer).suppressed += 1;
                let arrival = self.now + class.attention_delay.sample(&mut self.attention_rng);
                self.deliver_attention(e, slot, arrival, None);
                continue;
            }
            self.messages.at(Kind::Attention, layer).sent += 1;
            let i = t.source(e);
            if self.links.is_cut(e)
                || self.down[i] > 0
                || class.attention_drop.drops(&mut self.drop_rng)
            {
                self.messages.at(Kind::Attention, layer).dropped += 1;
                self.attention_missing(e, slot);
                continue;
            }
            let arrival = self.now + class.attention_delay.sample(&mut self.attention_rng);
            self.messages.at(Kind::Attention, layer).delivered += 1;
            self.deliver_attention(e, slot, arrival, Some(a));
        }
    }

    /// A norm-based rule's neuron `j` has its whole batch: it computes its gradient norm, pays the
    /// scaled attention for every held sample, then steps.
    fn release_batch(&mut self, j: usize) {
        let held_len = self.credited[j] as usize;
        let first = j * self.settings.batch_size;
        for h in first..first + held_len {
            self.accumulate(j, self.held[h] as usize);
        }
        let scales = self.rule.scales(self.gradient_norm(j, held_len));
        for h in first..first + held_len {
            self.pay_attention(j, self.held[h] as usize, scales.attention);
        }
        self.apply(j, held_len, scales);
        let n = self.topology.neurons();
        for h in first..first + held_len {
            let slot = self.held[h] as usize;
            self.phase[slot * n + j] = Phase::Done;
            self.finish(slot);
        }
    }

    /// Neuron `j` applies its step for a batch of `len` samples and starts a new batch.
    fn apply(&mut self, j: usize, len: usize, scales: Scales) {
        let range = self.topology.incoming(j);
        let inv = 1.0 / len as f64;
        let sgd = self.settings.sgd;
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
        self.credited[j] = 0;
        self.updates_applied[j] += 1;
    }

    /// One more neuron is done with `slot`; when all are, the sample completes and frees its slot.
    fn finish(&mut self, slot: usize) {
        let info = &mut self.slots[slot];
        info.remaining -= 1;
        if info.remaining > 0 {
            return;
        }
        if !info.parked {
            self.active -= 1;
        }
        self.in_use[slot] = false;
        self.free_slots.push(slot as u32);
        self.completed += 1;
    }

    fn admit_while_possible(&mut self, data: &Split, schedule: &Schedule) {
        while self.active < self.settings.in_flight
            && self.admitted < schedule.len()
            && !self.free_slots.is_empty()
        {
            self.admit(data, schedule);
        }
    }
}

impl Trainer for EventEngine<'_> {
    fn train(
        &mut self,
        data: &Split,
        schedule: &Schedule,
        observer: &mut dyn Observer,
    ) -> TrainReport {
        let checkpoints = schedule.checkpoints();
        let mut next_checkpoint = 0;
        let wants_samples = observer.wants_samples();
        for index in 0..self.faults.by_tick.len() {
            let (tick, action) = self.faults.by_tick[index];
            self.queue.schedule(tick, Action::Fault, action, 0, 0);
        }
        loop {
            self.admit_while_possible(data, schedule);
            while next_checkpoint < checkpoints.len()
                && checkpoints[next_checkpoint] <= self.completed
            {
                next_checkpoint += 1;
                observer.checkpoint(&Checkpoint {
                    samples_seen: self.completed,
                    sim_ticks: self.now,
                    train_loss: (self.window_count > 0)
                        .then(|| self.window_loss / self.window_count as f64),
                    params: &self.params,
                    messages: &self.messages,
                    staleness: self.staleness,
                    neurons_down: self.neurons_down,
                });
                self.window_loss = 0.0;
                self.window_count = 0;
            }
            if self.completed >= schedule.len() {
                break;
            }
            // Late messages that have arrived need no tracking (so this heap stays small).
            while self
                .late
                .peek()
                .is_some_and(|Reverse((arrival, ..))| *arrival <= self.now)
            {
                self.late.pop();
            }
            let Some(event) = self.queue.pop() else { break };
            let (j, slot) = (event.neuron as usize, event.slot as usize);
            if event.action == Action::Fault {
                self.now = event.time;
                self.apply_fault(self.faults.action(j));
                continue;
            }
            if event.generation != self.slots[slot].generation || !self.in_use[slot] {
                continue;
            }
            let k = slot * self.topology.neurons() + j;
            let valid = match event.action {
                Action::Fire => self.phase[k] == Phase::Waiting && self.scheduled[k] == event.time,
                Action::Credit => self.phase[k] == Phase::Fired && self.scheduled[k] == event.time,
                Action::Loss => {
                    !self.slots[slot].loss_done && self.slots[slot].loss_scheduled == event.time
                }
                Action::Fault => unreachable!("handled above"),
            };
            if !valid {
                continue;
            }
            self.now = event.time;
            self.events += 1;
            match event.action {
                Action::Fire => self.fire(j, slot),
                Action::Loss => {
                    if wants_samples {
                        let position = self.slots[slot].position;
                        observer.sample_loss(schedule.sample(position), &self.params);
                    }
                    self.loss(slot, data, schedule)
                }
                Action::Credit => self.credit(j, slot, data, schedule),
                Action::Fault => unreachable!("handled above"),
            }
        }
        // Late messages that had not arrived when the run ended are in flight, not delivered.
        let mut in_flight_at_end = 0;
        while let Some(Reverse((arrival, kind, layer))) = self.late.pop() {
            if arrival > self.now {
                let kind = [Kind::Forward, Kind::Attention, Kind::Loss][kind as usize];
                self.messages.at(kind, layer as usize).delivered -= 1;
                in_flight_at_end += 1;
            }
        }
        let down: Vec<usize> = (0..self.down.len()).filter(|&j| self.down[j] > 0).collect();
        for &j in &down {
            self.crashed_neuron_ticks += self.now - self.down_since[j];
        }
        if let Some(trace) = &mut self.trace {
            if let Err(e) = trace.flush() {
                self.trace_error = Some(e);
            }
        }
        TrainReport {
            samples_seen: self.completed,
            sim_ticks: self.now,
            events: self.events,
            messages: self.messages.clone(),
            in_flight_at_end,
            staleness: self.staleness,
            crashed_neuron_ticks: self.crashed_neuron_ticks,
            neurons_down_at_end: down,
            samples_without_loss: self.samples_without_loss,
        }
    }

    fn params(&self) -> Params {
        self.params.clone()
    }
}
