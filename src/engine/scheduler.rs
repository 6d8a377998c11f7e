//! The event queue: events ordered by `(time, seq)`.
//!
//! `seq` increases at every insertion, so events scheduled for the same tick are processed in the
//! order they were scheduled, on every run and every machine.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What happens at an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// The neuron has its inputs of the sample (or its wait timed out): it fires.
    Fire,
    /// The loss agent has the outputs of the sample (or its wait timed out): it answers with demands.
    Loss,
    /// The neuron has its attention (or demand) for the sample, or its wait timed out: it learns and
    /// pays attention.
    Credit,
    /// A fault action (its index is in `neuron`).
    Fault,
}

/// A scheduled event: `action` by `neuron` for the sample in slot `slot`, valid while the slot's
/// generation is still `generation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub time: u64,
    seq: u64,
    pub action: Action,
    pub neuron: u32,
    pub slot: u32,
    pub generation: u32,
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, the earliest (time, seq) must come out first.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A priority queue of events keyed by `(time, seq)`.
#[derive(Debug, Default)]
pub(crate) struct Scheduler {
    heap: BinaryHeap<Event>,
    next_seq: u64,
}

impl Scheduler {
    /// An empty queue with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        Scheduler {
            heap: BinaryHeap::with_capacity(capacity),
            next_seq: 0,
        }
    }

    /// Schedules `action` for `neuron` and `slot` (of `generation`) at `time`.
    #[inline]
    pub fn schedule(
        &mut self,
        time: u64,
        action: Action,
        neuron: usize,
        slot: usize,
        generation: u32,
    ) {
        self.heap.push(Event {
            time,
            seq: self.next_seq,
            action,
            neuron: neuron as u32,
            slot: slot as u32,
            generation,
        });
        self.next_seq += 1;
    }

    /// The earliest event, removed from the queue.
    #[inline]
    pub fn pop(&mut self) -> Option<Event> {
        self.heap.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_resolve_in_insertion_order() {
        let mut q = Scheduler::default();
        q.schedule(5, Action::Fire, 1, 0, 0);
        q.schedule(3, Action::Fire, 2, 0, 0);
        q.schedule(5, Action::Fire, 3, 0, 0);
        q.schedule(3, Action::Loss, 4, 0, 0);
        let order: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|e| e.neuron).collect();
        assert_eq!(order, vec![2, 4, 1, 3]);
    }
}
