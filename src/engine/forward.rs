//! The forward wave: admitting a sample, sending activations, firing, sitting a sample out, and the
//! loss agent turning output values into demands.

use super::inbox::ForwardLanes;
use super::slots::{bring_forward, Phase, Wave};
use super::trace::{Fate, Message, MessageKind};
use super::{entry, Action, EventEngine};
use crate::data::Split;
use crate::scenario::MissingInput;
use crate::topology::{NeuronId, SynapseId};
use crate::trainer::{Divergence, Kind, Schedule};

/// Takes one receiver's messages from the inputs, sent `now` with `fates` over synapses whose
/// `sources` have the values `x`: the arrival and value of each that is not dropped. Returns how
/// many were dropped, and the first and last arrival (`u64::MAX` and 0 when none arrives): kept in
/// locals, so the wave is written once per receiver.
#[inline(always)]
fn take_run(
    fates: impl Iterator<Item = crate::plan::Fate>,
    arrivals: &mut [u64],
    values: &mut [f64],
    sources: &[u32],
    x: &[f64],
    now: u64,
) -> (u32, u64, u64) {
    let (mut dropped, mut first, mut last) = (0, u64::MAX, 0);
    for (fate, ((arrival, value), &i)) in fates.zip(arrivals.iter_mut().zip(values).zip(sources)) {
        if fate.dropped() {
            dropped += 1;
        } else {
            let a = now + fate.delay();
            *arrival = a;
            *value = x[i as usize];
            first = first.min(a);
            last = last.max(a);
        }
    }
    (dropped, first, last)
}

impl EventEngine<'_> {
    /// Puts the next schedule position into a free slot at the current time; faults timed by that
    /// sample happen first, then its input neurons send the sample's features.
    pub(super) fn admit(&mut self, data: &Split, schedule: &Schedule) {
        let position = self.admitted;
        let mut actions = std::mem::take(&mut self.fault_actions);
        self.timeline.on_admission(position as u64, &mut actions);
        for &action in &actions {
            self.apply_fault(action, false);
        }
        self.fault_actions = actions;

        let t = self.t;
        let n = t.neurons();
        let slot = self
            .slots
            .take(position, self.now, (n - t.inputs().len()) as u32);
        self.admitted += 1;
        self.active += 1;
        for j in t.inputs().end..n {
            let k = self.slots.at(slot, j);
            self.slots.phase[k] = Phase::Waiting;
            self.slots.scheduled[k] = u64::MAX;
            self.slots.forward[k] = Wave::new(t.incoming(j).len() as u32);
            self.slots.backward[k] = Wave::new(if t.is_output(j) {
                1
            } else {
                t.out_degree(j) as u32
            });
        }
        if !self.slots.received.is_empty() {
            let lane = self.slots.lane(slot);
            self.slots.received[lane].fill(0.0);
        }
        self.loss.admit(slot, t.outputs().len());
        self.inbox.admit(&self.plan.links, slot, position as u64);
        self.tracer.event(self.now, "admit", None, Some(position));
        let features = data.features(schedule.sample(position));
        if self.timetable.is_some() {
            for (i, &value) in t.inputs().zip(features) {
                let k = self.slots.at(slot, i);
                self.slots.x[k] = value;
                self.send_on_timetable(i, slot);
            }
            for j in t.inputs().end..n {
                let time = self.now + self.timetable.as_ref().expect("on the timetable").fire[j];
                let k = self.slots.at(slot, j);
                self.slots.scheduled[k] = time;
                self.schedule(time, Action::Fire, j, slot);
            }
            return;
        }
        if self.timed && self.health.quiet() && !self.tracer.messages() {
            // Every input is up and sends at this tick: each receiver takes its messages from the
            // inputs in one pass, then plans once.
            for (i, &value) in t.inputs().zip(features) {
                let k = self.slots.at(slot, i);
                self.slots.x[k] = value;
                self.count_sent_forward(i);
            }
            self.receive_from_inputs(slot);
            for j in t.inputs().end..n {
                self.forward_progress(j, slot);
            }
            return;
        }
        // Every input sends at this tick: plan each receiver once, after all have sent, rather than
        // every time its first arrival moves earlier.
        self.deferring = self.timed;
        for (i, &value) in t.inputs().zip(features) {
            let k = self.slots.at(slot, i);
            self.slots.x[k] = value;
            if self.health.is_down(NeuronId::new(i)) {
                for e in t.outgoing(i) {
                    self.forward_missing(e, slot);
                }
            } else {
                self.send_forward_from(i, slot, value);
            }
        }
        if self.deferring {
            self.deferring = false;
            for j in t.inputs().end..n {
                self.forward_progress(j, slot);
            }
        }
    }

    /// Every receiver of the inputs' messages for `slot` takes them, by receiver rather than by
    /// sender: a receiver's synapses from the inputs come first among its incoming ones, so one
    /// pass over them reads the fates and writes the inbox in order. The same state as the inputs
    /// sending one after the other on timed links, all inputs up.
    fn receive_from_inputs(&mut self, slot: usize) {
        let t = self.t;
        let links = &self.plan.links;
        let now = self.now;
        let lane = self.slots.lane(slot);
        let (x, waves) = (&self.slots.x[lane.clone()], &mut self.slots.forward[lane]);
        let ForwardLanes {
            fates,
            arrivals,
            values,
            ..
        } = self.inbox.forward_lanes(slot);
        for j in t.inputs().end..t.neurons() {
            let r = t.incoming(j).start..self.attention_start[j];
            let (arrivals, values) = (&mut arrivals[r.clone()], &mut values[r.clone()]);
            let sources = &t.sources()[r.clone()];
            let (dropped, first, last) = if fates.is_empty() {
                let fates = r.clone().map(|e| links.synapse(e).forward.fate(0));
                take_run(fates, arrivals, values, sources, x, now)
            } else {
                let fates = fates[r.clone()].iter().copied();
                take_run(fates, arrivals, values, sources, x, now)
            };
            // Added to the wave at once: the same wave as `Wave::arrive` or `Wave::miss` for each
            // message.
            let wave = &mut waves[j];
            wave.unaccounted -= r.len() as u32;
            wave.arrived += r.len() as u32 - dropped;
            wave.first = wave.first.min(first);
            wave.last = wave.last.max(last);
            if dropped > 0 {
                let counts = self.acct.messages.at(Kind::Forward, t.layer_of(j));
                counts.dropped += u64::from(dropped);
                counts.delivered -= u64::from(dropped);
            }
        }
    }

    /// Sends neuron `i`'s `value` over all its outgoing synapses for the sample in `slot`.
    #[inline]
    pub(super) fn send_forward_from(&mut self, i: usize, slot: usize, value: f64) {
        let t = self.t;
        let position = self.slots.info[slot].position;
        if !self.timed {
            // Untimed links with random delays (fixed ones run on the timetable): every message
            // arrives and nobody acts early; the receiver reads the value from this slot when it
            // fires.
            let tracing = self.tracer.messages();
            let base = self.slots.at(slot, 0);
            for e in t.outgoing(i) {
                let j = t.target(e);
                let arrival = self.now + self.inbox.forward_fate(&self.plan.links, slot, e).delay();
                let wave = &mut self.slots.forward[base + j];
                wave.arrive(arrival);
                if wave.unaccounted == 0 {
                    let last = wave.last;
                    self.slots.scheduled[base + j] = last;
                    self.schedule(last, Action::Fire, j, slot);
                }
                if tracing {
                    let m = self.message(MessageKind::Forward, position, e);
                    self.tracer.message(t, m, Fate::OnTime(arrival));
                }
            }
            self.count_sent_forward(i);
            return;
        }
        // Every message counts as sent and delivered; the dropped ones are taken back out below.
        self.count_sent_forward(i);
        let quiet = self.health.quiet();
        let tracing = self.tracer.messages();
        if quiet && !tracing {
            // Runs of plain deliveries; a message that needs more goes the general way.
            let mut out = t.outgoing(i);
            while let Some(e) = self.deliver_run(&mut out, slot, value) {
                self.send_forward(e, slot, value, quiet, tracing);
            }
            return;
        }
        for e in t.outgoing(i) {
            self.send_forward(e, slot, value, quiet, tracing);
        }
    }

    /// Delivers the messages of `out` for `slot` that only arrive, none dropped and every receiver
    /// waiting, until one needs more: a message dropped or late, which it returns. A receiver whose
    /// firing moves earlier is re-planned on the spot, as [`EventEngine::forward_progress`] would.
    /// Every neuron up and no synapse cut; no message trace.
    #[inline]
    fn deliver_run(
        &mut self,
        out: &mut impl Iterator<Item = usize>,
        slot: usize,
        value: f64,
    ) -> Option<usize> {
        let t = self.t;
        let links = &self.plan.links;
        let (now, deferring, timeout) = (self.now, self.deferring, self.timeout);
        let base = self.slots.at(slot, 0);
        let info = &self.slots.info[slot];
        let (phase, waves, scheduled) = (
            &self.slots.phase,
            &mut self.slots.forward,
            &mut self.slots.scheduled,
        );
        let ForwardLanes {
            fates,
            arrivals,
            values,
            ..
        } = self.inbox.forward_lanes(slot);
        for e in out {
            let j = t.target(e);
            let fate = match fates {
                [] => links.synapse(e).forward.fate(0),
                _ => fates[e],
            };
            let k = base + j;
            if fate.dropped() || phase[k] != Phase::Waiting {
                return Some(e);
            }
            let arrival = now + fate.delay();
            arrivals[e] = arrival;
            values[e] = value;
            let wave = &mut waves[k];
            let first = wave.first;
            wave.arrive(arrival);
            // The planned firing time only moves when the first arrival does or the wave completes.
            if (arrival < first || wave.unaccounted == 0) && !deferring {
                let planned = wave.plan(t.incoming(j).len() as u32, timeout);
                let candidate = planned.expect("a message arrived");
                if let Some(time) = bring_forward(&mut scheduled[k], candidate, now) {
                    let work = (time, Action::Fire, j, slot);
                    let (key, event) = entry(info, &self.credit_rank, t.neurons(), work);
                    self.queue.push(key, event);
                }
            }
        }
        None
    }

    /// Sends `value` over synapse `e` for `slot` on timed links: dropped, late, or delivered.
    fn send_forward(&mut self, e: usize, slot: usize, value: f64, quiet: bool, tracing: bool) {
        let t = self.t;
        let position = self.slots.info[slot].position;
        let j = t.target(e);
        let fate = self.inbox.forward_fate(&self.plan.links, slot, e);
        if fate.dropped()
            || (!quiet
                && (self.health.is_cut(SynapseId::new(e)) || self.health.is_down(NeuronId::new(j))))
        {
            let counts = self.acct.messages.at(Kind::Forward, t.layer_of(j));
            counts.dropped += 1;
            counts.delivered -= 1;
            if tracing {
                let m = self.message(MessageKind::Forward, position, e);
                self.tracer.message(t, m, Fate::Dropped);
            }
            self.forward_missing(e, slot);
            return;
        }
        let arrival = self.now + fate.delay();
        let k = self.slots.at(slot, j);
        if self.slots.phase[k] != Phase::Waiting {
            self.slots.forward[k].miss();
            let m = self.message(MessageKind::Forward, position, e);
            self.acct
                .late(self.now, m, t.layer_of(j), arrival, t, &mut self.tracer);
            return;
        }
        let q = self.inbox.forward_at(slot, e);
        self.inbox.forward_arrival[q] = arrival;
        self.inbox.forward_value[q] = value;
        let wave = &mut self.slots.forward[k];
        let first = wave.first;
        wave.arrive(arrival);
        // The planned firing time only moves when the first arrival does or the wave completes.
        if (arrival < first || wave.unaccounted == 0) && !self.deferring {
            self.forward_progress(j, slot);
        }
    }

    /// Neuron `i` sends on the timetable: every message arrives when the timetable says, so only
    /// the counts and the trace take note of them; receivers read the value from the slot.
    fn send_on_timetable(&mut self, i: usize, slot: usize) {
        self.count_sent_forward(i);
        if self.tracer.messages() {
            let t = self.t;
            let position = self.slots.info[slot].position;
            for e in t.outgoing(i) {
                let arrival = self.now + self.inbox.forward_fate(&self.plan.links, slot, e).delay();
                let m = self.message(MessageKind::Forward, position, e);
                self.tracer.message(t, m, Fate::OnTime(arrival));
            }
        }
    }

    /// A message record for the trace and the late accounting, sent now.
    #[inline]
    pub(super) fn message(&self, kind: MessageKind, position: usize, link: usize) -> Message {
        Message {
            kind,
            position,
            link,
            sent: self.now,
        }
    }

    /// Counts neuron `i`'s forward messages as sent and delivered, per target layer.
    #[inline]
    fn count_sent_forward(&mut self, i: usize) {
        for &(layer, count) in
            &self.out_layers[self.out_layer_start[i]..self.out_layer_start[i + 1]]
        {
            let counts = self.acct.messages.at(Kind::Forward, layer as usize);
            counts.sent += u64::from(count);
            counts.delivered += u64::from(count);
        }
    }

    /// No forward message will come over synapse `e` for `slot`.
    pub(super) fn forward_missing(&mut self, e: usize, slot: usize) {
        let j = self.t.target(e);
        let k = self.slots.at(slot, j);
        self.slots.forward[k].miss();
        if !self.deferring {
            self.forward_progress(j, slot);
        }
    }

    /// Re-plans when neuron `j` fires for `slot`, or sits the sample out if nothing will arrive.
    pub(super) fn forward_progress(&mut self, j: usize, slot: usize) {
        let k = self.slots.at(slot, j);
        if self.slots.phase[k] != Phase::Waiting {
            return;
        }
        let expected = self.t.incoming(j).len() as u32;
        let Some(candidate) = self.slots.forward[k].plan(expected, self.timeout) else {
            self.sit_out(j, slot);
            return;
        };
        if let Some(time) = bring_forward(&mut self.slots.scheduled[k], candidate, self.now) {
            self.schedule(time, Action::Fire, j, slot);
        }
    }

    /// Neuron `j` fires for `slot` with the inputs that have arrived.
    pub(super) fn fire(&mut self, j: usize, slot: usize) {
        let t = self.t;
        let k = self.slots.at(slot, j);
        self.slots.phase[k] = Phase::Fired;
        self.slots.scheduled[k] = u64::MAX;
        self.slots.updates_at_fire[k] = self.learner.updates[j];
        let position = self.slots.info[slot].position;
        self.tracer.event(self.now, "fire", Some(j), Some(position));
        let weights = &self.learner.params.weights;
        let mut z = self.learner.params.biases[j];
        if !self.timed {
            let range = t.incoming(j);
            let x = &self.slots.x[self.slots.lane(slot)];
            match t.consecutive_sources(j) {
                Some(sources) => {
                    for (w, x) in weights[range].iter().zip(&x[sources]) {
                        z += w * x;
                    }
                }
                None => {
                    for (w, &i) in weights[range.clone()].iter().zip(&t.sources()[range]) {
                        z += w * x[i as usize];
                    }
                }
            }
        } else {
            let last_value = self.plan.links.missing_input == MissingInput::LastValue;
            let layer = t.layer_of(j);
            let range = t.incoming(j);
            let mut e = range.start;
            while e < range.end {
                if !self.tracer.messages() {
                    // A run of inputs that arrived in time.
                    e = self.inputs_on_time(e..range.end, slot, last_value, &mut z);
                    if e == range.end {
                        break;
                    }
                }
                let q = self.inbox.forward_at(slot, e);
                let arrival = std::mem::replace(&mut self.inbox.forward_arrival[q], u64::MAX);
                let value = if arrival <= self.now {
                    if self.tracer.messages() {
                        let m = self.sent_message(MessageKind::Forward, position, e, slot, arrival);
                        self.tracer.message(t, m, Fate::OnTime(arrival));
                    }
                    self.inbox.forward_value[q]
                } else {
                    if arrival != u64::MAX {
                        let m = self.sent_message(MessageKind::Forward, position, e, slot, arrival);
                        self.acct
                            .late(self.now, m, layer, arrival, t, &mut self.tracer);
                    }
                    let fallback = if last_value {
                        self.inbox.last_input[e]
                    } else {
                        0.0
                    };
                    self.inbox.forward_value[q] = fallback;
                    fallback
                };
                if last_value {
                    self.inbox.last_input[e] = value;
                }
                z += self.learner.params.weights[e] * value;
                e += 1;
            }
        }
        self.slots.z[k] = z;
        if t.is_output(j) {
            self.slots.x[k] = z;
            let o = j - t.outputs().start;
            let layer = t.layer_of(j);
            self.acct.messages.at(Kind::Loss, layer).sent += 1;
            let fate = self.inbox.output_fate(&self.plan.links, slot, o);
            if fate.dropped() {
                self.acct.messages.at(Kind::Loss, layer).dropped += 1;
                if self.tracer.messages() {
                    let m = self.message(MessageKind::Output, position, o);
                    self.tracer.message(t, m, Fate::Dropped);
                }
                self.loss_missing(slot);
            } else {
                self.acct.messages.at(Kind::Loss, layer).delivered += 1;
                self.loss_receive(slot, o, self.now + fate.delay(), z);
            }
        } else {
            let x = self.plan.learning.activation.apply(z);
            self.slots.x[k] = x;
            let Some(tt) = &self.timetable else {
                self.send_forward_from(j, slot, x);
                // Attention may have arrived before the neuron fired (its downstream timed out on
                // it).
                self.backward_progress(j, slot);
                return;
            };
            let credit = tt.credit.as_ref().map(|c| c[j]);
            self.send_on_timetable(j, slot);
            if let Some(credit) = credit {
                let time = self.slots.info[slot].admitted_at + credit;
                self.slots.scheduled[k] = time;
                self.schedule(time, Action::Credit, j, slot);
                return;
            }
        }
        self.backward_progress(j, slot);
    }

    /// Adds `w · x` to `z` over the synapses of `range` for `slot` while their input arrived in
    /// time (timed links, no message trace), taking each arrival out; returns the first synapse
    /// whose input is late or missing, or the end.
    #[inline]
    fn inputs_on_time(
        &mut self,
        range: std::ops::Range<usize>,
        slot: usize,
        last_value: bool,
        z: &mut f64,
    ) -> usize {
        let now = self.now;
        let weights = &self.learner.params.weights;
        let ForwardLanes {
            arrivals,
            values,
            last_input,
            ..
        } = self.inbox.forward_lanes(slot);
        let r = range.clone();
        let lanes = arrivals[r.clone()]
            .iter_mut()
            .zip(&values[r.clone()])
            .zip(&weights[r.clone()]);
        // The same sum as adding `w · x` in synapse order; one loop per policy keeps the test out
        // of the loop.
        let mut acc = *z;
        let mut end = range.end;
        if last_value {
            for (e, (((arrival, &value), &w), last)) in lanes.zip(&mut last_input[r]).enumerate() {
                if *arrival > now {
                    end = range.start + e;
                    break;
                }
                *arrival = u64::MAX;
                *last = value;
                acc += w * value;
            }
        } else {
            for (e, ((arrival, &value), &w)) in lanes.enumerate() {
                if *arrival > now {
                    end = range.start + e;
                    break;
                }
                *arrival = u64::MAX;
                acc += w * value;
            }
        }
        *z = acc;
        end
    }

    /// The record of a message over `link` of `kind` that arrives at `arrival`, its send tick
    /// recovered from its fate.
    pub(super) fn sent_message(
        &self,
        kind: MessageKind,
        position: usize,
        link: usize,
        slot: usize,
        arrival: u64,
    ) -> Message {
        let links = &self.plan.links;
        let delay = match kind {
            MessageKind::Forward => self.inbox.forward_fate(links, slot, link),
            MessageKind::Attention => self.inbox.attention_fate(links, slot, link),
            MessageKind::Output => self.inbox.output_fate(links, slot, link),
            MessageKind::Demand => self.inbox.demand_fate(links, slot, link),
        }
        .delay();
        Message {
            kind,
            position,
            link,
            sent: arrival - delay,
        }
    }

    /// Neuron `j` will not fire for `slot`: its messages are missing downstream and the attention it
    /// would have paid is missing upstream.
    pub(super) fn sit_out(&mut self, j: usize, slot: usize) {
        let t = self.t;
        let k = self.slots.at(slot, j);
        self.slots.phase[k] = Phase::Done;
        self.slots.scheduled[k] = u64::MAX;
        if self.timed {
            // Attention (or the demand) may be on its way already: downstream timed out on `j`.
            self.late_in_flight(j, slot, false, true);
        }
        if t.is_output(j) {
            self.loss_missing(slot);
        } else {
            for e in t.outgoing(j) {
                self.forward_missing(e, slot);
            }
        }
        self.abandon(j, slot);
    }

    /// An output value reaches the loss agent at `arrival` (or after it acted: late).
    fn loss_receive(&mut self, slot: usize, o: usize, arrival: u64, value: f64) {
        let t = self.t;
        let position = self.slots.info[slot].position;
        if self.loss.done[slot] {
            self.loss.waves[slot].miss();
            let m = self.message(MessageKind::Output, position, o);
            let layer = t.layers().len() - 1;
            self.acct
                .late(self.now, m, layer, arrival, t, &mut self.tracer);
            return;
        }
        self.loss.waves[slot].arrive(arrival);
        if self.timed {
            let q = self.inbox.output_at(slot, o);
            self.inbox.output_arrival[q] = arrival;
            self.inbox.output_value[q] = value;
        } else if self.tracer.messages() {
            let m = self.message(MessageKind::Output, position, o);
            self.tracer.message(t, m, Fate::OnTime(arrival));
        }
        self.loss_progress(slot);
    }

    /// The sample in `slot` completed before the loss agent acted: output values that arrived were on
    /// time, those still on their way will be late.
    pub(super) fn loss_in_flight(&mut self, slot: usize) {
        let t = self.t;
        let position = self.slots.info[slot].position;
        let layer = t.layers().len() - 1;
        for o in 0..t.outputs().len() {
            let q = self.inbox.output_at(slot, o);
            let arrival = std::mem::replace(&mut self.inbox.output_arrival[q], u64::MAX);
            if arrival == u64::MAX {
                continue;
            }
            let m = self.sent_message(MessageKind::Output, position, o, slot, arrival);
            if !self.arrived(arrival, m.sent) {
                self.acct.pending(m, layer, arrival);
            } else {
                self.tracer.message(t, m, Fate::OnTime(arrival));
            }
        }
    }

    /// An output value will not reach the loss agent for `slot`.
    pub(super) fn loss_missing(&mut self, slot: usize) {
        self.loss.waves[slot].miss();
        self.loss_progress(slot);
    }

    fn loss_progress(&mut self, slot: usize) {
        if self.loss.done[slot] {
            return;
        }
        let outputs = self.t.outputs().len() as u32;
        let Some(candidate) = self.loss.waves[slot].plan(outputs, self.timeout) else {
            // No output reached the loss agent: nothing to learn from this sample.
            self.loss.done[slot] = true;
            self.acct.samples_without_loss += 1;
            for j in self.t.outputs() {
                self.demand_missing(j, slot);
            }
            return;
        };
        if let Some(time) = bring_forward(&mut self.loss.scheduled[slot], candidate, self.now) {
            self.schedule(time, Action::Loss, 0, slot);
        }
    }

    /// The loss agent answers each output neuron of `slot` with its demand.
    pub(super) fn loss(&mut self, slot: usize, data: &Split, schedule: &Schedule) {
        let t = self.t;
        let outputs = t.outputs();
        let layer = t.layers().len() - 1;
        self.loss.done[slot] = true;
        let position = self.slots.info[slot].position;
        self.tracer.event(self.now, "loss", None, Some(position));
        for (o, j) in outputs.clone().enumerate() {
            let value = if !self.timed {
                self.slots.x[self.slots.at(slot, j)]
            } else {
                let q = self.inbox.output_at(slot, o);
                let arrival = std::mem::replace(&mut self.inbox.output_arrival[q], u64::MAX);
                let value = if arrival <= self.now {
                    if self.tracer.messages() {
                        let m = self.sent_message(MessageKind::Output, position, o, slot, arrival);
                        self.tracer.message(t, m, Fate::OnTime(arrival));
                    }
                    self.inbox.output_value[q]
                } else {
                    if arrival != u64::MAX {
                        let m = self.sent_message(MessageKind::Output, position, o, slot, arrival);
                        self.acct
                            .late(self.now, m, layer, arrival, t, &mut self.tracer);
                    }
                    match self.plan.links.missing_input {
                        MissingInput::LastValue => self.loss.last_output[o],
                        MissingInput::Zero => 0.0,
                    }
                };
                self.loss.last_output[o] = value;
                value
            };
            self.loss.values[o] = value;
        }
        let sample = schedule.sample(position);
        let loss = self.plan.learning.output.loss_and_demands_in(
            data.head(sample),
            &self.loss.values,
            data.targets(sample),
            &mut self.loss.demands,
        );
        self.window_loss += loss;
        self.window_count += 1;
        if !loss.is_finite() && self.diverged.is_none() {
            let sample = schedule.sample(position);
            self.diverged = Some(Divergence::at(position, sample, &self.learner.params, t));
        }
        for (o, j) in outputs.enumerate() {
            self.acct.messages.at(Kind::Loss, layer).sent += 1;
            let fate = self.inbox.demand_fate(&self.plan.links, slot, o);
            if fate.dropped() || self.health.is_down(NeuronId::new(j)) {
                self.acct.messages.at(Kind::Loss, layer).dropped += 1;
                if self.tracer.messages() {
                    let m = self.message(MessageKind::Demand, position, o);
                    self.tracer.message(t, m, Fate::Dropped);
                }
                self.demand_missing(j, slot);
                continue;
            }
            let arrival = self.now + fate.delay();
            self.acct.messages.at(Kind::Loss, layer).delivered += 1;
            let k = self.slots.at(slot, j);
            let wave = &mut self.slots.backward[k];
            wave.miss();
            if matches!(self.slots.phase[k], Phase::Done | Phase::Held) {
                let m = self.message(MessageKind::Demand, position, o);
                self.acct
                    .late(self.now, m, layer, arrival, t, &mut self.tracer);
                continue;
            }
            wave.arrived += 1;
            wave.first = wave.first.min(arrival);
            wave.last = wave.last.max(arrival);
            self.slots.demand[k] = self.loss.demands[o];
            if self.timed {
                let q = self.inbox.output_at(slot, o);
                self.inbox.demand_arrival[q] = arrival;
            } else if self.tracer.messages() {
                let m = self.message(MessageKind::Demand, position, o);
                self.tracer.message(t, m, Fate::OnTime(arrival));
            }
            self.backward_progress(j, slot);
        }
    }

    /// No demand will reach output neuron `j` for `slot`.
    pub(super) fn demand_missing(&mut self, j: usize, slot: usize) {
        let k = self.slots.at(slot, j);
        self.slots.backward[k].miss();
        self.backward_progress(j, slot);
    }
}
