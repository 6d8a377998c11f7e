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

mod backward;
mod delay;
mod faults;
mod forward;
mod links;
mod scheduler;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

use crate::data::Split;
use crate::rng::{Purpose, Rng, Streams};
use crate::rule::{Feedback, LearningRule, Sgd};
use crate::scenario::{Activation, Estimator, Fault, LinkSpec, OutputKind, SendPolicy};
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

    /// A message of the wave will arrive at `arrival`.
    #[inline]
    fn arrive(&mut self, arrival: u64) {
        self.unaccounted -= 1;
        self.arrived += 1;
        self.first = self.first.min(arrival);
        self.last = self.last.max(arrival);
    }

    /// When the receiver should act, out of `expected` messages with wait `timeout`: at the last
    /// arrival once every message is accounted for and arrived, else at the first arrival plus the
    /// timeout. `None` when nothing will arrive.
    fn plan(&self, expected: u32, timeout: u64) -> Option<u64> {
        if self.unaccounted == 0 && self.arrived == 0 {
            return None;
        }
        let deadline = if self.arrived > 0 {
            self.first.saturating_add(timeout)
        } else {
            u64::MAX
        };
        Some(if self.unaccounted == 0 && self.arrived == expected {
            self.last.min(deadline)
        } else {
            deadline
        })
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
    /// The loss agent's wave of output values.
    loss: Wave,
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
    /// Set while the inputs of a new sample send: receivers are planned once afterwards.
    deferring: bool,
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
            deferring: false,
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

    /// The parameters, consuming the engine.
    pub fn into_params(self) -> Params {
        self.params
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
