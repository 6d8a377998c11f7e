//! The event queue, ordered by a canonical key.
//!
//! Events are ordered by `(time, class, position, stage)`, all of it derived from *what* the event is,
//! never from when it was scheduled: at the same tick, fault events come first (in scenario order),
//! then message deliveries (only the reference engine has those), then neuron actions — the older
//! sample first, and for one sample `Fire` in increasing neuron id (input side first), the loss
//! agent, then `Credit` in decreasing neuron id (output side first). Two engines that schedule the
//! same events in different orders therefore process them in the same order.

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

    /// Neuron `j` learns from the sample at `position`, in a network of `neurons` neurons.
    pub fn credit(time: u64, position: u64, j: usize, neurons: usize) -> Key {
        Key::action(time, position, (2 * neurons - j) as u64)
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
    fn packed(self) -> u128 {
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
    fn unpacked(packed: u128) -> Key {
        Key {
            time: (packed >> 64) as u64,
            class: ((packed >> 62) & 3) as u8,
            position: ((packed >> 26) & ((1 << 36) - 1)) as u64,
            stage: (packed & ((1 << 26) - 1)) as u64,
        }
    }
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
            Key::credit(5, 2, 7, n),
            Key::fire(5, 2, 3),
            Key::loss(5, 2, n),
            Key::fire(5, 1, 9),
            Key::delivery(5, 3, 0),
            Key::fault(5, 1),
            Key::fire(4, 8, 1),
            Key::credit(5, 2, 9, n),
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
