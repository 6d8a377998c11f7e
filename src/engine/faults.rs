//! What faults do: a crashed neuron abandons every sample it was working on (messages already on
//! their way to it arrive late), sends and receives nothing while down, and may come back with fresh
//! weights; a cut synapse carries nothing either way.

use super::backward::VIRTUAL;
use super::slots::Phase;
use super::trace::{Fate, MessageKind};
use super::EventEngine;
use crate::plan::FaultAction;
use crate::topology::NeuronId;

impl EventEngine<'_> {
    /// Carries out a fault action. `at_tick`: the action is timed by a tick and happens before that
    /// tick's arrivals; otherwise it happens at a sample's admission — after them, unless that
    /// admission itself follows a tick-timed fault at this tick (a sample that a crash completes
    /// lets the next one in, still before the arrivals): the engine's `at_tick` stays set until
    /// the tick's next action.
    pub(super) fn apply_fault(&mut self, action: FaultAction, at_tick: bool) {
        self.at_tick |= at_tick;
        match action {
            FaultAction::Crash { neuron } => self.crash(neuron),
            FaultAction::Recover { neuron, lose_state } => self.recover(neuron, lose_state),
            FaultAction::Cut { group } => {
                for &e in self.plan.faults.group(group) {
                    self.health.cut(e, self.now);
                }
                self.tracer.event(self.now, "cut", None, None);
            }
            FaultAction::Repair { group } => {
                for &e in self.plan.faults.group(group) {
                    self.health.repair(e, self.now);
                }
                self.tracer.event(self.now, "repair", None, None);
            }
            FaultAction::CutSynapse { synapse } => {
                self.health.cut(synapse, self.now);
                self.tracer.event(self.now, "cut", None, None);
            }
            FaultAction::RepairSynapse { synapse } => {
                self.health.repair(synapse, self.now);
                self.tracer.event(self.now, "repair", None, None);
            }
        }
    }

    /// `neuron` goes down: it abandons every sample it was working on.
    fn crash(&mut self, neuron: NeuronId) {
        if !self.health.crash(neuron, self.now) {
            return;
        }
        let j = neuron.index();
        self.tracer.event(self.now, "crash", Some(j), None);
        if self.t.is_input(j) {
            return;
        }
        for slot in 0..self.slots.len() {
            if !self.slots.in_use(slot) {
                continue;
            }
            let k = self.slots.at(slot, j);
            match self.slots.phase[k] {
                Phase::Waiting => {
                    self.late_in_flight(j, slot, true, false);
                    self.sit_out(j, slot);
                }
                Phase::Fired => {
                    self.late_in_flight(j, slot, false, true);
                    self.give_up(j, slot);
                }
                Phase::Held => {
                    // Only a greedy neuron waiting for its layer's norms holds a sample on links
                    // that can fail; it already posted its norm, and now takes back its wait.
                    let board = self.board.as_mut().expect("holding needs the board");
                    board
                        .waiting
                        .retain(|w| !(w.neuron == j && w.slot as usize == slot));
                    self.slots.phase[k] = Phase::Done;
                    for e in self.attention_start[j]..self.t.incoming(j).end {
                        self.attention_missing(e, slot);
                    }
                    self.finish(slot);
                }
                Phase::Done => {}
            }
        }
    }

    /// Whether a message sent at `sent` for `arrival` has arrived by now. One sent at an earlier
    /// tick for this tick arrives after the faults timed at this tick (and what they set off),
    /// before anything else that happens at it; one with delay 0 arrives as it is sent.
    #[inline]
    pub(super) fn arrived(&self, arrival: u64, sent: u64) -> bool {
        arrival < self.now || (arrival == self.now && !(self.at_tick && sent < self.now))
    }

    /// Neuron `j` stops waiting for `slot`: its messages still on their way will arrive late —
    /// forward inputs (if `forward`), attention or an output's demand (if `backward`) — and those
    /// that arrived reached a waiting neuron on time. A message with delay 0 arrives as it is sent;
    /// one sent at an earlier tick for this tick arrives after a fault timed at this tick, but before
    /// anything else that happens at it.
    pub(super) fn late_in_flight(&mut self, j: usize, slot: usize, forward: bool, backward: bool) {
        let t = self.t;
        let position = self.slots.info[slot].position;
        let late =
            |engine: &mut Self, kind: MessageKind, link: usize, layer: usize, arrival: u64| {
                if arrival == u64::MAX {
                    return;
                }
                let m = engine.sent_message(kind, position, link, slot, arrival);
                if !engine.arrived(arrival, m.sent) {
                    engine.acct.pending(m, layer, arrival);
                } else {
                    engine.tracer.message(t, m, Fate::OnTime(arrival));
                }
            };
        if forward {
            for e in t.incoming(j) {
                let q = self.inbox.forward_at(slot, e);
                let arrival = std::mem::replace(&mut self.inbox.forward_arrival[q], u64::MAX);
                late(self, MessageKind::Forward, e, t.layer_of(j), arrival);
            }
        }
        if !backward {
            return;
        }
        if t.is_output(j) {
            let o = j - t.outputs().start;
            let q = self.inbox.output_at(slot, o);
            let arrival = std::mem::replace(&mut self.inbox.demand_arrival[q], u64::MAX);
            late(self, MessageKind::Demand, o, t.layers().len() - 1, arrival);
        } else {
            let range = self.inbox.attention_range(t, slot, j);
            for (q, e) in range.zip(t.outgoing(j)) {
                let tagged = std::mem::replace(&mut self.inbox.attention_arrival[q], u64::MAX);
                if tagged & VIRTUAL == 0 {
                    late(
                        self,
                        MessageKind::Attention,
                        e,
                        t.layer_of(t.target(e)),
                        tagged,
                    );
                }
            }
        }
    }

    /// `neuron` comes back, re-initialized if `lose_state`.
    fn recover(&mut self, neuron: NeuronId, lose_state: bool) {
        if !self.health.recover(neuron, self.now) {
            return;
        }
        let j = neuron.index();
        self.tracer.event(self.now, "recover", Some(j), None);
        if !lose_state {
            return;
        }
        let range = self.t.incoming(j);
        let count = self.learner.reinits[j];
        self.learner.reinits[j] += 1;
        self.reinit.weights(
            neuron,
            count,
            &mut self.learner.params.weights[range.clone()],
        );
        self.learner.forget(j, range.clone());
        if let Some(est) = &mut self.estimates {
            est.forget(j, self.t.outgoing(j), range);
        }
    }
}
