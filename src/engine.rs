//! The fast event engine: a discrete-event simulation of neuron agents exchanging messages, built
//! to be fast and checked message for message against the plain reference simulator
//! ([`crate::reference`]) under every link model and fault.
//!
//! Each training sample occupies a *slot* while it is in the network; every neuron keeps its
//! per-sample state there, so messages carry the sample and delays only shift time. One sample's
//! life:
//!
//! ```text
//!  admit ──► input neurons send features ──forward──► hidden … ──forward──► outputs ──► loss agent
//!                                                                                        │ demands
//!  complete ◄── Credit at each neuron ◄──attention── … ◄──attention── Credit at outputs ◄┘
//! ```
//!
//! **One event per neuron and wave, not per message.** A message's fate (dropped, or its arrival
//! tick) is drawn when its sample is admitted, so a receiver only counts the messages of a wave
//! whose fate is still unknown and keeps the first and last arrival. Its action — `Fire` for the
//! forward wave, `Credit` for the backward wave — goes at the last arrival once everything is
//! accounted for and arrived, or at `first arrival + wait_timeout`, whichever is earlier. An earlier
//! candidate re-schedules the action and the superseded event is skipped when popped. A neuron that
//! will receive nothing at all for a sample sits the sample out, and its silence is accounted
//! downstream and upstream.
//!
//! **A timetable when delays are fixed.** Without a timeout nothing is dropped and nothing fails, so
//! when no delay is random every neuron acts at the same tick after its sample's admission: the
//! engine plans each action from `timetable` instead of counting messages, and when every neuron is
//! paid in the order of its outgoing synapses it adds attention up as it is paid.
//!
//! The engine is split by noun: `slots` (samples in flight and per-neuron wave state), `inbox`
//! (what has arrived, and the pre-drawn fates), `learner` (parameters, batches, the greedy layer
//! board), `loss_agent`, `accounting` (message counts, late messages, staleness), `estimates`
//! (estimated attention), `health` (crashed neurons, cut synapses), `calendar` (the event queue, a
//! list per tick, checked against the reference's binary heap), [`trace`]; the fault timeline is
//! the plan's. The waves are in `forward.rs` and `backward.rs`, the effects of faults in `faults.rs`.

pub(crate) mod accounting;
mod backward;
mod calendar;
pub(crate) mod estimates;
mod faults;
mod forward;
pub(crate) mod health;
pub(crate) mod inbox;
pub(crate) mod learner;
pub(crate) mod loss_agent;
pub(crate) mod scheduler;
pub(crate) mod slots;
mod timetable;
pub mod trace;

use crate::data::Split;
use crate::plan::{FaultAction, FaultTimeline, Plan, Reinit};
use crate::rule::Feedback;
use crate::topology::{Params, Topology};
use crate::trainer::{Checkpoint, Divergence, Observer, Schedule, TrainReport, Trainer};

use accounting::Accounting;
use calendar::Calendar;
use estimates::{Change, Estimates};
use health::Health;
use inbox::Inbox;
use learner::{Board, Learner};
use loss_agent::LossAgent;
use scheduler::Key;
use slots::{Phase, SlotInfo, Slots};
use timetable::Timetable;
use trace::Tracer;

pub use trace::TraceLevel;

/// What an event does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Action {
    /// The neuron has its inputs of the sample (or its wait timed out): it fires.
    Fire,
    /// The loss agent has the outputs of the sample (or its wait timed out): it answers with demands.
    Loss,
    /// The neuron has its attention (or demand) for the sample, or its wait timed out: it learns and
    /// pays attention.
    Credit,
    /// The tick-timed fault action with this index.
    Fault,
}

/// An event's payload: `action` by `neuron` for the sample in `slot`, valid while the slot's
/// generation is still `generation` (for `Fault`, `neuron` is the fault's index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Event {
    action: Action,
    neuron: u32,
    slot: u32,
    generation: u32,
}

/// The queue entry of `(time, action, j, slot)`: `action` of neuron `j` at `time` for the sample in
/// `slot`, which `info` describes, in a network of `neurons` neurons with `credit_rank`.
#[inline]
fn entry(
    info: &SlotInfo,
    credit_rank: &[u32],
    neurons: usize,
    (time, action, j, slot): (u64, Action, usize, usize),
) -> (Key, Event) {
    let position = info.position as u64;
    let key = match action {
        Action::Fire => Key::fire(time, position, j),
        Action::Loss => Key::loss(time, position, neurons),
        Action::Credit => Key::credit(time, position, credit_rank[j], neurons),
        Action::Fault => unreachable!("faults are scheduled at the start"),
    };
    let event = Event {
        action,
        neuron: j as u32,
        slot: slot as u32,
        generation: info.generation,
    };
    (key, event)
}

/// The fast discrete-event trainer.
pub struct EventEngine<'p> {
    plan: &'p Plan,
    t: &'p Topology,
    slots: Slots,
    inbox: Inbox,
    learner: Learner<'p>,
    board: Option<Board>,
    loss: LossAgent,
    acct: Accounting,
    estimates: Option<Estimates>,
    health: Health,
    timeline: FaultTimeline<'p>,
    reinit: Reinit,
    fault_actions: Vec<FaultAction>,
    queue: Calendar<Event>,
    tracer: Tracer<'p>,
    /// Timed links: a neuron may act before every message arrived.
    timed: bool,
    /// When each neuron acts, on untimed links with fixed delays: actions are planned, not counted.
    timetable: Option<Timetable>,
    /// Each neuron's place among a sample's `Credit` actions at one tick.
    credit_rank: Vec<u32>,
    timeout: u64,
    /// First incoming synapse of each neuron whose source is not an input (attention goes only there).
    attention_start: Vec<usize>,
    /// Per neuron, its outgoing synapses counted by target layer: `out_layers[out_layer_start[i]..]`.
    out_layers: Vec<(u16, u32)>,
    out_layer_start: Vec<usize>,
    /// Set while the inputs of a new sample send: receivers are planned once afterwards.
    deferring: bool,
    /// Set from a fault timed by a tick until the next action: what happens meanwhile (the fault,
    /// and the admissions it lets in) comes before that tick's arrivals.
    at_tick: bool,
    /// Whether the observer wants per-sample calls.
    observing: bool,
    /// Neurons that applied an update during the current action, told to the observer after it.
    updated: Vec<u32>,
    now: u64,
    events: u64,
    active: usize,
    admitted: usize,
    completed: usize,
    window_loss: f64,
    window_count: usize,
    /// Set when a training loss is not finite: training stops there.
    diverged: Option<Divergence>,
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

impl<'p> EventEngine<'p> {
    /// An engine for `plan` starting from `params`.
    pub fn new(plan: &'p Plan, params: Params) -> EventEngine<'p> {
        let t = &plan.topology;
        let n = t.neurons();
        let l = &plan.learning;
        let timed = plan.links.timed();
        let holds = plan.rule.needs_gradient_norm();
        let slots = l.in_flight
            + if holds && l.batch_size > 1 {
                l.batch_size
            } else {
                0
            };
        let attention_start = (0..n)
            .map(|j| {
                let range = t.incoming(j);
                range.start
                    + t.sources()[range.clone()].partition_point(|&i| t.is_input(i as usize))
            })
            .collect();
        let mut out_layers = Vec::new();
        let mut out_layer_start = vec![0];
        for i in 0..n {
            for e in t.outgoing(i) {
                let layer = t.layer_of(t.target(e)) as u16;
                let own = out_layers.len() > out_layer_start[i];
                match out_layers.last_mut() {
                    Some((l, count)) if own && *l == layer => *count += 1,
                    _ => out_layers.push((layer, 1)),
                }
            }
            out_layer_start.push(out_layers.len());
        }
        let feedback =
            (plan.rule.feedback() == Feedback::FixedRandom).then_some(&plan.feedback[..]);
        let credit_rank = scheduler::credit_ranks(t);
        let estimating = l.estimation.is_some();
        let timetable = Timetable::new(plan, timed, holds, estimating, &credit_rank);
        let in_order = timetable.as_ref().is_some_and(|tt| tt.in_order);
        EventEngine {
            plan,
            t,
            slots: Slots::new(slots, n, in_order),
            inbox: Inbox::new(plan, slots, timed, estimating, in_order),
            learner: Learner::new(t, plan.rule.as_ref(), l.sgd, l.batch_size, params, feedback),
            board: holds.then(|| Board::new(t, slots + 1)),
            loss: LossAgent::new(slots, t.outputs().len(), timed),
            acct: Accounting::new(t.layers().len(), timed),
            estimates: l
                .estimation
                .map(|config| Estimates::new(config, t.synapses(), n)),
            health: Health::new(n, t.synapses()),
            timeline: FaultTimeline::new(&plan.faults, &plan.streams),
            reinit: Reinit::new(&plan.streams, t),
            fault_actions: Vec::with_capacity(8),
            queue: Calendar::with_capacity(2 * n * slots),
            tracer: Tracer::off(),
            timed,
            timetable,
            credit_rank,
            timeout: plan.links.timeout.unwrap_or(u64::MAX),
            attention_start,
            out_layers,
            out_layer_start,
            deferring: false,
            at_tick: false,
            observing: false,
            updated: Vec::with_capacity(n),
            now: 0,
            events: 0,
            active: 0,
            admitted: 0,
            completed: 0,
            window_loss: 0.0,
            window_count: 0,
            diverged: None,
        }
    }

    /// Writes the trace at `level` to `out`.
    pub fn trace_to(&mut self, out: Box<dyn std::io::Write + 'p>, level: TraceLevel) {
        self.tracer = Tracer::new(out, level, self.t);
    }

    /// The first error writing the trace, if any (tracing stops at the first error).
    pub fn take_trace_error(&mut self) -> Option<std::io::Error> {
        self.tracer.finish()
    }

    /// The parameters, consuming the engine.
    pub fn into_params(self) -> Params {
        self.learner.params
    }

    /// Schedules `action` of neuron `j` for `slot` at `time`.
    #[inline]
    fn schedule(&mut self, time: u64, action: Action, j: usize, slot: usize) {
        let (key, event) = entry(
            &self.slots.info[slot],
            &self.credit_rank,
            self.t.neurons(),
            (time, action, j, slot),
        );
        self.queue.push(key, event);
    }

    /// One more neuron is done with `slot`; when all are, the sample completes and frees its slot.
    /// (Its outputs may all have given up before the loss agent acted: output values still on their
    /// way then arrive late.)
    fn finish(&mut self, slot: usize) {
        let info = &mut self.slots.info[slot];
        info.remaining -= 1;
        if info.remaining > 0 {
            return;
        }
        if !info.parked {
            self.active -= 1;
        }
        if !self.loss.done[slot] {
            self.loss.done[slot] = true;
            if self.timed {
                self.loss_in_flight(slot);
            }
        }
        self.slots.release(slot);
        self.completed += 1;
    }

    fn admit_while_possible(&mut self, data: &Split, schedule: &Schedule) {
        while self.active < self.plan.learning.in_flight
            && self.admitted < schedule.len()
            && self.slots.has_free()
        {
            self.admit(data, schedule);
        }
    }

    /// Applies the queued estimate changes due by now.
    fn estimates_until(&mut self, inclusive: bool) {
        let Some(est) = &mut self.estimates else {
            return;
        };
        while let Some((e, change)) = est.next_due(self.now, inclusive) {
            match change {
                Change::Observe(bits) => est.observe(e, f64::from_bits(bits)),
                Change::Read { slot, generation } => {
                    let slot = slot as usize;
                    if !self.slots.is_current(slot, generation) {
                        continue;
                    }
                    let k = self.slots.at(slot, self.t.source(e));
                    if matches!(self.slots.phase[k], Phase::Waiting | Phase::Fired) {
                        let q = self.inbox.attention_at(slot, e);
                        self.inbox.attention_value[q] = est.estimate(e);
                    }
                }
            }
        }
    }

    /// Observes every checkpoint reached and, once diverged, the state where training stopped.
    fn observe(&mut self, observer: &mut dyn Observer, checkpoints: &[usize], next: &mut usize) {
        while *next < checkpoints.len() && checkpoints[*next] <= self.completed {
            *next += 1;
            self.checkpoint(observer);
        }
        if self.diverged.is_some() && *next <= checkpoints.len() {
            *next = checkpoints.len() + 1;
            self.checkpoint(observer);
        }
    }

    fn checkpoint(&mut self, observer: &mut dyn Observer) {
        observer.checkpoint(&Checkpoint {
            samples_seen: self.completed,
            sim_ticks: self.now,
            train_loss: (self.window_count > 0)
                .then(|| self.window_loss / self.window_count as f64),
            params: &self.learner.params,
            messages: &self.acct.messages,
            staleness: self.acct.staleness,
            neurons_down: self.health.neurons_down,
            crashed_neuron_ticks: self.health.crashed_ticks_at(self.now),
            synapses_cut: self.health.synapses_cut(),
            cut_synapse_ticks: self.health.cut_ticks_at(self.now),
        });
        self.window_loss = 0.0;
        self.window_count = 0;
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
        self.observing = observer.wants_samples();
        self.learner.course = schedule.course().clone();
        for (index, &(tick, _)) in self.plan.faults.by_tick().iter().enumerate() {
            self.queue.push(
                Key::fault(tick, index),
                Event {
                    action: Action::Fault,
                    neuron: index as u32,
                    slot: 0,
                    generation: 0,
                },
            );
        }
        loop {
            self.admit_while_possible(data, schedule);
            self.observe(observer, checkpoints, &mut next_checkpoint);
            if self.completed >= schedule.len() || self.diverged.is_some() {
                break;
            }
            let Some((key, event)) = self.queue.pop() else {
                break;
            };
            let (j, slot) = (event.neuron as usize, event.slot as usize);
            if event.action == Action::Fault {
                self.now = key.time;
                self.acct
                    .arrive_until(self.now, false, self.t, &mut self.tracer);
                self.estimates_until(false);
                let action = self.plan.faults.by_tick()[j].1;
                self.apply_fault(action, true);
                continue;
            }
            if !self.slots.is_current(slot, event.generation) {
                continue;
            }
            let valid = match event.action {
                Action::Fire | Action::Credit => {
                    let k = self.slots.at(slot, j);
                    let phase = if event.action == Action::Fire {
                        Phase::Waiting
                    } else {
                        Phase::Fired
                    };
                    self.slots.phase[k] == phase && self.slots.scheduled[k] == key.time
                }
                Action::Loss => self.loss.is_planned(slot, key.time),
                Action::Fault => unreachable!("handled above"),
            };
            if !valid {
                continue;
            }
            self.now = key.time;
            self.events += 1;
            // Past the tick's faults (and what they set off): its arrivals come now.
            self.at_tick = false;
            self.acct
                .arrive_until(self.now, true, self.t, &mut self.tracer);
            self.estimates_until(true);
            match event.action {
                Action::Fire => self.fire(j, slot),
                Action::Loss => {
                    if self.observing {
                        let position = self.slots.info[slot].position;
                        observer.sample_loss(schedule.sample(position), &self.learner.params);
                    }
                    self.loss(slot, data, schedule)
                }
                Action::Credit => self.credit(j, slot, schedule),
                Action::Fault => unreachable!("handled above"),
            }
            for &j in &self.updated {
                observer.update_applied(j as usize);
            }
            self.updated.clear();
        }
        let in_flight_at_end = self.acct.finish(self.now, self.t, &mut self.tracer);
        let down = self.health.down_at_end(self.now);
        TrainReport {
            samples_seen: self.completed,
            sim_ticks: self.now,
            events: self.events,
            messages: self.acct.messages.clone(),
            in_flight_at_end,
            staleness: self.acct.staleness,
            crashed_neuron_ticks: self.health.crashed_ticks,
            neurons_down_at_end: down,
            samples_without_loss: self.acct.samples_without_loss,
            diverged: self.diverged,
        }
    }

    fn params(&self) -> Params {
        self.learner.params.clone()
    }
}
