//! Accounting: message counts by kind, layer and fate; late messages until they arrive; staleness
//! of attention; samples never learned from. Read at checkpoints, never drawn from.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::trace::{Fate, Message, MessageKind, Tracer};
use crate::topology::Topology;
use crate::trainer::{MessageStats, Staleness};

/// A message that will arrive after its receiver acted: counted as late when it arrives, or as in
/// flight if the run ends first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Late {
    arrival: u64,
    kind: MessageKind,
    layer: u16,
    position: u64,
    link: u32,
    sent: u64,
}

/// Counters of one run.
#[derive(Debug)]
pub(crate) struct Accounting {
    /// Messages sent, dropped, late and suppressed, per kind and layer; `delivered` counts what
    /// was not dropped (in-flight messages are taken out at the end).
    pub messages: MessageStats,
    late: BinaryHeap<Reverse<Late>>,
    /// Staleness of attention payments.
    pub staleness: Staleness,
    /// Samples whose outputs never reached the loss agent.
    pub samples_without_loss: u64,
}

impl Accounting {
    /// Zero counts for a network of `layers` layers.
    pub fn new(layers: usize, timed: bool) -> Accounting {
        Accounting {
            messages: MessageStats::new(layers),
            late: BinaryHeap::with_capacity(if timed { 1024 } else { 0 }),
            staleness: Staleness::default(),
            samples_without_loss: 0,
        }
    }

    /// `m`, of layer `layer`, will arrive at `arrival` after its receiver acted without it. A
    /// message that arrives now (delay 0) is counted at once.
    #[inline]
    pub fn late(
        &mut self,
        now: u64,
        m: Message,
        layer: usize,
        arrival: u64,
        t: &Topology,
        tracer: &mut Tracer<'_>,
    ) {
        if arrival <= now {
            self.messages.at(m.kind.counted_as(), layer).late += 1;
            tracer.message(t, m, Fate::Late(arrival));
        } else {
            self.pending(m, layer, arrival);
        }
    }

    /// `m` will arrive late at `arrival`, not before the arrivals of this tick are delivered.
    #[inline]
    pub fn pending(&mut self, m: Message, layer: usize, arrival: u64) {
        self.late.push(Reverse(Late {
            arrival,
            kind: m.kind,
            layer: layer as u16,
            position: m.position as u64,
            link: m.link as u32,
            sent: m.sent,
        }));
    }

    /// Counts the late messages that have arrived by `now` (those arriving exactly at `now` only if
    /// `inclusive`: a fault at a tick comes before that tick's arrivals).
    #[inline]
    pub fn arrive_until(
        &mut self,
        now: u64,
        inclusive: bool,
        t: &Topology,
        tracer: &mut Tracer<'_>,
    ) {
        while let Some(Reverse(l)) = self.late.peek().copied() {
            if l.arrival > now || (!inclusive && l.arrival == now) {
                break;
            }
            self.late.pop();
            self.messages.at(l.kind.counted_as(), l.layer as usize).late += 1;
            tracer.message(t, l.message(), Fate::Late(l.arrival));
        }
    }

    /// At the end of a run at `now`: counts the late messages that have arrived, and takes those still
    /// travelling out of `delivered`. Returns how many are still travelling.
    pub fn finish(&mut self, now: u64, t: &Topology, tracer: &mut Tracer<'_>) -> u64 {
        self.arrive_until(now, true, t, tracer);
        let mut in_flight = 0;
        while let Some(Reverse(l)) = self.late.pop() {
            self.messages
                .at(l.kind.counted_as(), l.layer as usize)
                .delivered -= 1;
            in_flight += 1;
            tracer.message(t, l.message(), Fate::InFlight(l.arrival));
        }
        in_flight
    }

    /// One attention payment with staleness `stale`.
    #[inline]
    pub fn stale(&mut self, stale: u64) {
        self.staleness.count += 1;
        self.staleness.sum += stale;
        self.staleness.max = self.staleness.max.max(stale);
    }
}

impl Late {
    fn message(&self) -> Message {
        Message {
            kind: self.kind,
            position: self.position as usize,
            link: self.link as usize,
            sent: self.sent,
        }
    }
}
