//! The event queue, ordered by a canonical key.
//!
//! Events are ordered by `(time, class, position, stage)`, all of it derived from *what* the event is,
//! never from when it was scheduled: at the same tick, fault events come first (in scenario order),
//! then message deliveries (only the reference engine has those), then neuron actions — the older
//! sample first, and for one sample `Fire` in increasing neuron id (input side first), the loss
//! agent, then `Credit` layer by layer from the output side and in increasing neuron id within a
//! layer ([`credit_ranks`]). Two engines that schedule the same events in different orders therefore
//! process them in the same order.
//!
//! Within a layer the order of `Credit` is by increasing id so that, when a sample's neurons learn
//! on a fixed timetable, the attention a neuron receives from one layer comes in the order of its
//! outgoing synapses: the fast engine can then add it up on arrival (see `engine::timetable`).

use crate::topology::Topology;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Where an event sorts among the events of its tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// The tick.
    pub time: u64,
    /// 0 fault, 1 message delivery, 2 neuron action.
    pub class: u8,
    /// Sample position (fault index for faults).
    pub position: u64,
    /// Order within the sample: see [`Key::fire`], [`Key::loss`], [`Key::credit`].
    pub stage: u64,
}

impl Key {
    /// A fault action timed at `time`, the `index`-th of the scenario's tick-timed faults.
    pub fn fault(time: u64, index: usize) -> Key {
        Key {
            time,
            class: 0,
            position: index as u64,
            stage: 0,
        }
    }

    /// A message delivery; `stage` orders the messages of one sample.
    pub fn delivery(time: u64, position: u64, stage: u64) -> Key {
        Key {
            time,
            class: 1,
            position,
            stage,
        }
    }

    /// Neuron `j` fires for the sample at `position`.
    pub fn fire(time: u64, position: u64, j: usize) -> Key {
        Key::action(time, position, j as u64)
    }

    /// The loss agent answers the sample at `position`, in a network of `neurons` neurons.
    pub fn loss(time: u64, position: u64, neurons: usize) -> Key {
        Key::action(time, position, neurons as u64)
    }

    /// The neuron of credit rank `rank` ([`credit_ranks`]) learns from the sample at `position`, in
    /// a network of `neurons` neurons.
    pub fn credit(time: u64, position: u64, rank: u32, neurons: usize) -> Key {
        Key::action(time, position, (neurons + 1) as u64 + u64::from(rank))
    }

    fn action(time: u64, position: u64, stage: u64) -> Key {
        Key {
            time,
            class: 2,
            position,
            stage,
        }
    }
}

impl Key {
    /// The key in one number, ordered like the key: time (64 bits), class (2), position (36), stage
    /// (26). Positions and stages beyond their bits cannot be ordered and are refused.
    #[inline]
    pub(super) fn packed(self) -> u128 {
        debug_assert!(self.position < 1 << 36, "schedule position beyond 2^36");
        debug_assert!(
            self.stage < 1 << 26,
            "stage beyond 2^26 (network too large)"
        );
        (u128::from(self.time) << 64)
            | (u128::from(self.class) << 62)
            | (u128::from(self.position) << 26)
            | u128::from(self.stage)
    }

    #[inline]
    pub(super) fn unpacked(packed: u128) -> Key {
        Key {
            time: (packed >> 64) as u64,
            class: ((packed >> 62) & 3) as u8,
            position: ((packed >> 26) & ((1 << 36) - 1)) as u64,
            stage: (packed & ((1 << 26) - 1)) as u64,
        }
    }
}

/// Each neuron's place in the order of `Credit` among one sample's actions at one tick: the output
/// layer first, then each layer below it, by increasing id within a layer.
pub fn credit_ranks(t: &Topology) -> Vec<u32> {
    let n = t.neurons();
    let mut ranks = vec![0; n];
    let mut next = 0;
    for layer in t.layers().iter().rev() {
        for j in layer.clone() {
            ranks[j] = next;
            next += 1;
        }
    }
    debug_assert_eq!(next as usize, n);
    ranks
}

/// A queue entry, ordered by its key alone: an engine never has two valid events with the same key,
/// so the order among equal keys never matters.
#[derive(Debug)]
struct Entry<T> {
    key: u128,
    payload: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// A min-queue of `(key, payload)`: the smallest key comes out first.
#[derive(Debug)]
pub struct Queue<T> {
    heap: BinaryHeap<Reverse<Entry<T>>>,
}

impl<T> Queue<T> {
    /// An empty queue with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        Queue {
            heap: BinaryHeap::with_capacity(capacity),
        }
    }

    /// Schedules `payload` at `key`.
    #[inline]
    pub fn push(&mut self, key: Key, payload: T) {
        self.heap.push(Reverse(Entry {
            key: key.packed(),
            payload,
        }));
    }

    /// The earliest event, removed from the queue.
    #[inline]
    pub fn pop(&mut self) -> Option<(Key, T)> {
        self.heap
            .pop()
            .map(|Reverse(e)| (Key::unpacked(e.key), e.payload))
    }

    /// The queued events, in no particular order (for accounting at the end of a run).
    pub fn drain(&mut self) -> impl Iterator<Item = (Key, T)> + '_ {
        self.heap
            .drain()
            .map(|Reverse(e)| (Key::unpacked(e.key), e.payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_in_canonical_order_whatever_the_insertion_order() {
        let n = 10;
        let keys = [
            Key::credit(5, 2, 2, n),
            Key::fire(5, 2, 3),
            Key::loss(5, 2, n),
            Key::fire(5, 1, 9),
            Key::delivery(5, 3, 0),
            Key::fault(5, 1),
            Key::fire(4, 8, 1),
            Key::credit(5, 2, 0, n),
        ];
        let mut a = Queue::with_capacity(8);
        let mut b = Queue::with_capacity(8);
        for (i, &k) in keys.iter().enumerate() {
            a.push(k, i);
        }
        for (i, &k) in keys.iter().enumerate().rev() {
            b.push(k, i);
        }
        let order_a: Vec<usize> = std::iter::from_fn(|| a.pop()).map(|(_, i)| i).collect();
        let order_b: Vec<usize> = std::iter::from_fn(|| b.pop()).map(|(_, i)| i).collect();
        assert_eq!(order_a, order_b);
        assert_eq!(order_a, vec![6, 5, 4, 3, 1, 2, 7, 0]);
    }
}
