//! The backward wave: attention travelling back, neurons learning from their demand, paying
//! attention to their inputs, and applying their steps.

use super::estimates::Change;
use super::learner::Waiting;
use super::slots::{bring_forward, Phase};
use super::trace::{Fate, MessageKind};
use super::{entry, Action, EventEngine};
use crate::rule::{LayerNorms, Scales};
use crate::topology::{NeuronId, SynapseId};
use crate::trainer::{Kind, Schedule};

/// Marks the arrival of a suppressed message in the attention inbox.
pub(super) const VIRTUAL: u64 = 1 << 63;

impl EventEngine<'_> {
    /// Re-plans when neuron `i` learns from `slot`, or gives the sample up if no attention will come.
    pub(super) fn backward_progress(&mut self, i: usize, slot: usize) {
        let t = self.t;
        let k = self.slots.at(slot, i);
        if self.slots.phase[k] != Phase::Fired {
            return;
        }
        let expected = if t.is_output(i) {
            1
        } else {
            t.out_degree(i) as u32
        };
        let Some(candidate) = self.slots.backward[k].plan(expected, self.timeout) else {
            self.give_up(i, slot);
            return;
        };
        if let Some(time) = bring_forward(&mut self.slots.scheduled[k], candidate, self.now) {
            self.schedule(time, Action::Credit, i, slot);
        }
    }

    /// Neuron `j` learns nothing from `slot`: the attention it would have paid is missing upstream.
    pub(super) fn give_up(&mut self, j: usize, slot: usize) {
        let k = self.slots.at(slot, j);
        self.slots.phase[k] = Phase::Done;
        self.slots.scheduled[k] = u64::MAX;
        self.abandon(j, slot);
    }

    /// Neuron `j` is done with `slot` without learning from it: upstream misses its attention, its
    /// layer's board learns it takes no part, and the sample is one neuron closer to complete.
    pub(super) fn abandon(&mut self, j: usize, slot: usize) {
        for e in self.attention_start[j]..self.t.incoming(j).end {
            self.attention_missing(e, slot);
        }
        if self.board.is_some() {
            let key = self.slots.info[slot].position as u64;
            if let Some(norms) = self.post(j, key, None) {
                self.resolve(self.t.layer_of(j), key, norms);
            }
        }
        self.finish(slot);
    }

    /// No attention message will come back over synapse `e` for `slot`.
    pub(super) fn attention_missing(&mut self, e: usize, slot: usize) {
        let i = self.t.source(e);
        let k = self.slots.at(slot, i);
        self.slots.backward[k].miss();
        self.backward_progress(i, slot);
    }

    /// Attention over synapse `e` for `slot` reaches its source at `arrival`: `Some(a)` when it was
    /// sent, `None` when it was suppressed and the receiver takes its estimate.
    #[inline]
    fn deliver_attention(&mut self, e: usize, slot: usize, arrival: u64, value: Option<f64>) {
        let t = self.t;
        let i = t.source(e);
        let k = self.slots.at(slot, i);
        let position = self.slots.info[slot].position;
        self.slots.backward[k].miss();
        if let (Some(est), Some(a)) = (&mut self.estimates, value) {
            if arrival == self.now {
                est.observe(e, a);
            } else {
                est.queue(arrival, position, e, Change::Observe(a.to_bits()));
            }
        }
        if matches!(self.slots.phase[k], Phase::Done | Phase::Held) {
            if value.is_some() {
                let m = self.message(MessageKind::Attention, position, e);
                let layer = t.layer_of(t.target(e));
                self.acct
                    .late(self.now, m, layer, arrival, t, &mut self.tracer);
            }
            return;
        }
        let q = self.inbox.attention_at(slot, e);
        match value {
            Some(a) => self.inbox.attention_value[q] = a,
            None => {
                let est = self
                    .estimates
                    .as_mut()
                    .expect("suppression needs estimates");
                if arrival == self.now {
                    self.inbox.attention_value[q] = est.estimate(e);
                } else {
                    self.inbox.attention_value[q] = f64::NAN;
                    let generation = self.slots.info[slot].generation;
                    let read = Change::Read {
                        slot: slot as u32,
                        generation,
                    };
                    est.queue(arrival, position, e, read);
                }
            }
        }
        if !self.inbox.attention_arrival.is_empty() {
            let flag = if value.is_none() { VIRTUAL } else { 0 };
            self.inbox.attention_arrival[q] = arrival | flag;
        }
        let wave = &mut self.slots.backward[k];
        let first = wave.first;
        wave.arrived += 1;
        wave.first = first.min(arrival);
        wave.last = wave.last.max(arrival);
        if arrival < first || wave.unaccounted == 0 {
            self.backward_progress(i, slot);
        }
    }

    /// The attention neuron `j` has for `slot` now, added in the order of its outgoing synapses: on
    /// timed links or with estimates, on-time messages, and estimates (or nothing) for the rest.
    fn attention_received(&mut self, j: usize, slot: usize) -> f64 {
        let t = self.t;
        if !self.slots.received.is_empty() {
            return self.slots.received[self.slots.at(slot, j)];
        }
        let range = self.inbox.attention_range(t, slot, j);
        if self.inbox.attention_arrival.is_empty() {
            return self.inbox.attention_value[range].iter().sum();
        }
        let position = self.slots.info[slot].position;
        let mut sum = 0.0;
        for (q, e) in range.zip(t.outgoing(j)) {
            let tagged = std::mem::replace(&mut self.inbox.attention_arrival[q], u64::MAX);
            let arrival = tagged & !VIRTUAL;
            let real = tagged & VIRTUAL == 0;
            let on_time = tagged != u64::MAX && arrival <= self.now;
            if on_time {
                if real && self.tracer.messages() {
                    let m = self.sent_message(MessageKind::Attention, position, e, slot, arrival);
                    self.tracer.message(t, m, Fate::OnTime(arrival));
                }
                sum += self.inbox.attention_value[q];
                continue;
            }
            if real && tagged != u64::MAX {
                let m = self.sent_message(MessageKind::Attention, position, e, slot, arrival);
                let layer = t.layer_of(t.target(e));
                self.acct
                    .late(self.now, m, layer, arrival, t, &mut self.tracer);
            }
            sum += match &self.estimates {
                Some(est) => est.estimate(e),
                None => 0.0,
            };
        }
        sum
    }

    /// Neuron `j` has its demand for `slot` (from the loss agent, or its attention): it learns from
    /// it and pays attention to its inputs, or holds it until its batch is complete.
    pub(super) fn credit(&mut self, j: usize, slot: usize, schedule: &Schedule) {
        let t = self.t;
        let k = self.slots.at(slot, j);
        self.slots.scheduled[k] = u64::MAX;
        let position = self.slots.info[slot].position;
        self.tracer
            .event(self.now, "credit", Some(j), Some(position));
        if t.is_output(j) {
            if self.timed {
                let o = j - t.outputs().start;
                let q = self.inbox.output_at(slot, o);
                let arrival = std::mem::replace(&mut self.inbox.demand_arrival[q], u64::MAX);
                if self.tracer.messages() {
                    let m = self.sent_message(MessageKind::Demand, position, o, slot, arrival);
                    self.tracer.message(t, m, Fate::OnTime(arrival));
                }
            }
        } else {
            let received = self.attention_received(j, slot);
            let activation = self.plan.learning.activation;
            self.slots.demand[k] =
                activation.derivative_at(self.slots.z[k], self.slots.x[k]) * received;
        }
        let batch_len = schedule.batch_len(position);
        if self.learner.holds {
            self.slots.phase[k] = Phase::Held;
            let held = self.learner.hold(j, slot);
            if held == batch_len {
                self.release(j, held);
            } else if t.is_output(j) {
                let info = &mut self.slots.info[slot];
                info.outputs_holding += 1;
                if info.outputs_holding as usize == t.outputs().len() {
                    // Every output waits for the rest of the batch: the sample leaves the pipeline.
                    info.parked = true;
                    self.active -= 1;
                }
            }
            return;
        }
        let range = t.incoming(j);
        if self.learner.direct {
            self.pay_attention(j, slot, 1.0);
            let d = self.slots.demand[k];
            let lr = self.learner.optimizer(j, range.clone(), position).lr;
            if self.timed {
                let base = self.inbox.forward_at(slot, 0);
                let inputs = &self.inbox.forward_value[base + range.start..base + range.end];
                self.learner
                    .step_directly(j, range, d, inputs.iter().copied(), lr);
            } else {
                let x = &self.slots.x[self.slots.lane(slot)];
                match t.consecutive_sources(j) {
                    Some(sources) => {
                        let inputs = x[sources].iter().copied();
                        self.learner.step_directly(j, range, d, inputs, lr);
                    }
                    None => {
                        let inputs = t.sources()[range.clone()].iter().map(|&i| x[i as usize]);
                        self.learner.step_directly(j, range, d, inputs, lr);
                    }
                }
            }
            self.applied(j);
        } else {
            self.accumulate(j, slot);
            self.pay_attention(j, slot, 1.0);
            self.learner.credited[j] += 1;
            let latest = &mut self.learner.latest[j];
            *latest = (*latest).max(position);
            let credited = self.learner.credited[j] as usize;
            if credited >= batch_len {
                let sgd = self
                    .learner
                    .optimizer(j, range.clone(), self.learner.latest[j]);
                self.learner.apply(j, range, credited, Scales::UNIT, sgd);
                self.learner.credited[j] = 0;
                self.applied(j);
            }
        }
        self.slots.phase[k] = Phase::Done;
        self.finish(slot);
    }

    /// Adds sample `slot`'s `d x` to neuron `j`'s batch gradient, with the inputs `j` used.
    #[inline]
    fn accumulate(&mut self, j: usize, slot: usize) {
        let t = self.t;
        let range = t.incoming(j);
        let d = self.slots.demand[self.slots.at(slot, j)];
        if self.timed {
            let base = self.inbox.forward_at(slot, 0);
            let inputs = &self.inbox.forward_value[base + range.start..base + range.end];
            self.learner.accumulate(j, range, d, inputs.iter().copied());
        } else {
            let x = &self.slots.x[self.slots.lane(slot)];
            match t.consecutive_sources(j) {
                Some(sources) => {
                    let inputs = x[sources].iter().copied();
                    self.learner.accumulate(j, range, d, inputs);
                }
                None => {
                    let inputs = t.sources()[range.clone()].iter().map(|&i| x[i as usize]);
                    self.learner.accumulate(j, range, d, inputs);
                }
            }
        }
    }

    /// Neuron `j` has the `len` samples of its batch: it sums their gradient in schedule order and,
    /// if its scale does not depend on its layer, pays and steps; otherwise it waits on the board
    /// under the batch's last position.
    fn release(&mut self, j: usize, len: usize) {
        let info = &self.slots.info;
        self.learner
            .held_mut(j)
            .sort_unstable_by_key(|&s| info[s as usize].position);
        let last = self.learner.held(j)[len - 1] as usize;
        let key = self.slots.info[last].position as u64;
        for h in 0..len {
            let slot = self.learner.held(j)[h] as usize;
            self.accumulate(j, slot);
        }
        let range = self.t.incoming(j);
        let norm = self.learner.gradient_norm(range.clone(), len);
        let first = self.learner.held(j)[0];
        self.learner.credited[j] = 0;
        let local = self.learner.scales(norm);
        if local.is_none() {
            // Sum again when the layer's norms are known: another sample of this neuron may use the
            // gradient buffer meanwhile.
            self.learner.clear(j, range);
            let layer = self.t.layer_of(j);
            self.board_mut().waiting.push(Waiting {
                layer,
                key,
                neuron: j,
                norm,
                len,
                slot: first,
            });
        }
        if let Some(scales) = local {
            self.pay_and_step(j, len, first as usize, scales, key as usize);
        }
        if let Some(norms) = self.post(j, key, Some(norm)) {
            self.resolve(self.t.layer_of(j), key, norms);
        }
    }

    /// Neuron `j` of its layer posts its norm (or its absence) for batch `key` on the board; returns
    /// the layer's norms when it was the last to post, for the caller to resolve the waiting.
    pub(super) fn post(&mut self, j: usize, key: u64, norm: Option<f64>) -> Option<LayerNorms> {
        let layer = self.t.layer_of(j);
        self.board_mut().post(layer, key, j, norm)
    }

    fn board_mut(&mut self) -> &mut super::learner::Board {
        self.board
            .as_mut()
            .expect("only norm-based rules hold samples")
    }

    /// The board of `layer` is complete for `key`: every neuron waiting on it learns its scale,
    /// pays and steps, in neuron order.
    pub(super) fn resolve(&mut self, layer: usize, key: u64, norms: LayerNorms) {
        loop {
            let board = self.board_mut();
            let Some(index) = board
                .waiting
                .iter()
                .enumerate()
                .filter(|(_, w)| w.layer == layer && w.key == key)
                .min_by_key(|(_, w)| w.neuron)
                .map(|(i, _)| i)
            else {
                return;
            };
            let w = board.waiting.swap_remove(index);
            if w.len > 1 {
                for h in 0..w.len {
                    let slot = self.learner.held_n(w.neuron, w.len)[h] as usize;
                    self.accumulate(w.neuron, slot);
                }
            } else {
                self.accumulate(w.neuron, w.slot as usize);
            }
            let scales = self.learner.rule.scales_in_layer(w.norm, &norms);
            self.pay_and_step(w.neuron, w.len, w.slot as usize, scales, w.key as usize);
        }
    }

    /// Neuron `j` pays the scaled attention for each of its `len` held samples (the first in
    /// `first`, the latest at schedule position `latest`), steps, and is done with them.
    fn pay_and_step(&mut self, j: usize, len: usize, first: usize, scales: Scales, latest: usize) {
        for h in 0..len {
            let slot = if len == 1 {
                first
            } else {
                self.learner.held_n(j, len)[h] as usize
            };
            self.pay_attention(j, slot, scales.attention);
        }
        let range = self.t.incoming(j);
        let sgd = self.learner.optimizer(j, range.clone(), latest);
        self.learner.apply(j, range, len, scales, sgd);
        self.applied(j);
        for h in 0..len {
            let slot = if len == 1 {
                first
            } else {
                self.learner.held_n(j, len)[h] as usize
            };
            let k = self.slots.at(slot, j);
            self.slots.phase[k] = Phase::Done;
            self.finish(slot);
        }
    }

    /// Neuron `j` applied an update: told to the observer after the action.
    #[inline]
    fn applied(&mut self, j: usize) {
        if self.observing {
            self.updated.push(j as u32);
        }
    }

    /// Neuron `j` pays attention `coef · d · scale` for `slot` to each of its non-input sources,
    /// unless its send policy suppresses it.
    fn pay_attention(&mut self, j: usize, slot: usize, scale: f64) {
        let t = self.t;
        let k = self.slots.at(slot, j);
        let d = self.slots.demand[k] * scale;
        let range = self.attention_start[j]..t.incoming(j).end;
        if range.is_empty() {
            return;
        }
        self.acct
            .stale(self.learner.updates[j] - self.slots.updates_at_fire[k]);
        let layer = t.layer_of(j);
        let position = self.slots.info[slot].position;
        if self
            .timetable
            .as_ref()
            .is_some_and(|tt| tt.credit.is_some())
        {
            // On the timetable: every message arrives in time for its receiver's planned action.
            let count = range.len() as u64;
            let summed = !self.slots.received.is_empty();
            let base = self.slots.at(slot, 0);
            let sources = t.consecutive_sources(j);
            if let (true, false, Some(sources)) = (summed, self.tracer.messages(), sources) {
                // The same sums, over two plain slices (a dense layer).
                let from = sources.start + (range.start - t.incoming(j).start);
                let coefficients = self.learner.coefficients(range);
                let received = &mut self.slots.received[base + from..base + sources.end];
                for (r, c) in received.iter_mut().zip(coefficients) {
                    *r += c * d;
                }
            } else {
                for e in range {
                    let a = self.learner.coefficient(e) * d;
                    if summed {
                        // Paid in the order of the receiver's outgoing synapses (the timetable
                        // says).
                        self.slots.received[base + t.source(e)] += a;
                    } else {
                        let q = self.inbox.attention_at(slot, e);
                        self.inbox.attention_value[q] = a;
                    }
                    if self.tracer.messages() {
                        let arrival =
                            self.now + self.inbox.attention_fate(&self.plan.links, slot, e).delay();
                        let m = self.message(MessageKind::Attention, position, e);
                        self.tracer.message(t, m, Fate::OnTime(arrival));
                    }
                }
            }
            let counts = self.acct.messages.at(Kind::Attention, layer);
            counts.sent += count;
            counts.delivered += count;
            return;
        }
        if !self.timed && self.estimates.is_none() {
            // Untimed links: every message arrives; write it and count the receiver down.
            let count = range.len() as u64;
            let constant = self.inbox.attention_constant;
            for e in range {
                let a = self.learner.coefficient(e) * d;
                let delay = match constant {
                    Some(d) => d,
                    None => self.inbox.attention_fate(&self.plan.links, slot, e).delay(),
                };
                let arrival = self.now + delay;
                let i = t.source(e);
                let q = self.inbox.attention_at(slot, e);
                self.inbox.attention_value[q] = a;
                let ki = self.slots.at(slot, i);
                let wave = &mut self.slots.backward[ki];
                wave.arrive(arrival);
                if wave.unaccounted == 0 && self.slots.phase[ki] == Phase::Fired {
                    let last = wave.last;
                    self.slots.scheduled[ki] = last;
                    self.schedule(last, Action::Credit, i, slot);
                }
                if self.tracer.messages() {
                    let m = self.message(MessageKind::Attention, position, e);
                    self.tracer.message(t, m, Fate::OnTime(arrival));
                }
            }
            let counts = self.acct.messages.at(Kind::Attention, layer);
            counts.sent += count;
            counts.delivered += count;
            return;
        }
        let pays = match &mut self.estimates {
            Some(est) => est.pays_this_time(j),
            None => true,
        };
        let quiet = self.health.quiet();
        if quiet && self.estimates.is_none() && !self.tracer.messages() {
            // Runs of plain deliveries; a message that needs more goes the general way.
            let mut range = range;
            while let Some(e) = self.pay_run(&mut range, slot, d, layer) {
                self.pay_one(e, slot, d, (layer, position), pays, quiet);
            }
            return;
        }
        for e in range {
            self.pay_one(e, slot, d, (layer, position), pays, quiet);
        }
    }

    /// Pays the attention of `range` for `slot` (demand `d`, the payer in `layer`) that only
    /// arrives, none dropped and every receiver still to learn, until one needs more: a message
    /// dropped or late. A receiver that has fired and whose credit moves earlier is re-planned on
    /// the spot, as [`EventEngine::backward_progress`] would. Timed links, every neuron up and no
    /// synapse cut, no estimates, no message trace.
    #[inline]
    fn pay_run(
        &mut self,
        range: &mut std::ops::Range<usize>,
        slot: usize,
        d: f64,
        layer: usize,
    ) -> Option<usize> {
        let t = self.t;
        let links = &self.plan.links;
        let (now, timeout) = (self.now, self.timeout);
        let base = self.slots.at(slot, 0);
        let info = &self.slots.info[slot];
        let (phase, waves, scheduled) = (
            &self.slots.phase,
            &mut self.slots.backward,
            &mut self.slots.scheduled,
        );
        let (fates, index, values, arrivals) = self.inbox.attention_lanes(slot);
        let learner = &self.learner;
        let mut paid = 0;
        let mut next = None;
        for e in range.by_ref() {
            let fate = match fates {
                [] => links.synapse(e).attention.fate(0),
                _ => fates[e],
            };
            let i = t.source(e);
            let k = base + i;
            if fate.dropped() || matches!(phase[k], Phase::Done | Phase::Held) {
                next = Some(e);
                break;
            }
            let arrival = now + fate.delay();
            let q = index[e] as usize;
            values[q] = learner.coefficient(e) * d;
            arrivals[q] = arrival;
            paid += 1;
            let wave = &mut waves[k];
            let first = wave.first;
            wave.arrive(arrival);
            // The planned credit only moves when the first arrival does or the wave completes;
            // a receiver still waiting to fire plans when it fires. (Receivers of attention are
            // never outputs: their expected count is their out-degree.)
            if (arrival < first || wave.unaccounted == 0) && phase[k] == Phase::Fired {
                let planned = wave.plan(t.out_degree(i) as u32, timeout);
                let candidate = planned.expect("a message arrived");
                if let Some(time) = bring_forward(&mut scheduled[k], candidate, now) {
                    let work = (time, Action::Credit, i, slot);
                    let (key, event) = entry(info, &self.credit_rank, t.neurons(), work);
                    self.queue.push(key, event);
                }
            }
        }
        let counts = self.acct.messages.at(Kind::Attention, layer);
        counts.sent += paid;
        counts.delivered += paid;
        next
    }

    /// Pays attention `coef · d` over synapse `e` for `slot` (the payer in `layer`, the sample at
    /// `position`): suppressed, dropped, late or delivered.
    fn pay_one(
        &mut self,
        e: usize,
        slot: usize,
        d: f64,
        (layer, position): (usize, usize),
        pays: bool,
        quiet: bool,
    ) {
        let t = self.t;
        let a = self.learner.coefficient(e) * d;
        let fate = self.inbox.attention_fate(&self.plan.links, slot, e);
        let arrival = self.now + fate.delay();
        let suppressed = match &mut self.estimates {
            Some(est) => est.suppresses(e, a, pays),
            None => false,
        };
        if suppressed {
            self.acct.messages.at(Kind::Attention, layer).suppressed += 1;
            if self.tracer.messages() {
                let m = self.message(MessageKind::Attention, position, e);
                self.tracer.message(t, m, Fate::Suppressed(arrival));
            }
            self.deliver_attention(e, slot, arrival, None);
            return;
        }
        let counts = self.acct.messages.at(Kind::Attention, layer);
        counts.sent += 1;
        let i = t.source(e);
        if fate.dropped()
            || (!quiet
                && (self.health.is_cut(SynapseId::new(e)) || self.health.is_down(NeuronId::new(i))))
        {
            counts.dropped += 1;
            if self.tracer.messages() {
                let m = self.message(MessageKind::Attention, position, e);
                self.tracer.message(t, m, Fate::Dropped);
            }
            self.attention_missing(e, slot);
            return;
        }
        counts.delivered += 1;
        self.deliver_attention(e, slot, arrival, Some(a));
    }
}
