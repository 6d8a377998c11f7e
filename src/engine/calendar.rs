//! The fast engine's event queue: a calendar of ticks.
//!
//! Almost every event is planned a few ticks ahead (a delay, a timeout), and many share a tick (a
//! layer firing at once). So instead of one binary heap over every event, events wait in one
//! unordered list per tick of a window of [`WINDOW`] ticks ahead, and only the events of the current
//! tick are sorted, once, when the calendar reaches it. Events beyond the window wait in a binary
//! heap. The events come out in the same order as from [`Queue`](super::scheduler::Queue), the plain
//! binary heap the reference simulator uses; the tests below check it against that twin.
//!
//! Lists are linked through one pool of nodes, so after the first samples the calendar allocates
//! nothing: a freed node is reused by the next event.

use super::scheduler::Key;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Ticks ahead of the current one that have a list of their own (a power of two).
pub const WINDOW: usize = 256;
const WORDS: usize = WINDOW / 64;
/// No node.
const NIL: u32 = u32::MAX;

/// One event, in the pool: its packed key, split in halves so a node aligns to 8 bytes.
#[derive(Clone, Copy, Debug)]
struct Node<T> {
    time: u64,
    rest: u64,
    payload: T,
    /// The next node of the same list (of a tick, or of the free nodes).
    next: u32,
}

/// A min-queue of `(key, payload)` by tick: the smallest key comes out first.
#[derive(Debug)]
pub struct Calendar<T> {
    /// The tick the calendar is at: every event still queued is at it or later.
    cursor: u64,
    /// The events at `cursor`, by decreasing key: the next one is last.
    due: Vec<u32>,
    /// The first node of each tick of the window `cursor + 1..cursor + WINDOW`, by tick mod WINDOW.
    heads: Box<[u32; WINDOW]>,
    /// Which of `heads` are lists, one bit per tick mod WINDOW.
    occupied: [u64; WORDS],
    /// Events beyond the window when they were planned: `(time, rest of the key, node)`.
    far: BinaryHeap<Reverse<(u64, u64, u32)>>,
    nodes: Vec<Node<T>>,
    /// The first free node.
    free: u32,
}

impl<T: Copy> Calendar<T> {
    /// An empty calendar with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        Calendar {
            cursor: 0,
            due: Vec::with_capacity(capacity),
            heads: Box::new([NIL; WINDOW]),
            occupied: [0; WORDS],
            far: BinaryHeap::with_capacity(64),
            nodes: Vec::with_capacity(capacity),
            free: NIL,
        }
    }

    /// Schedules `payload` at `key`.
    #[inline]
    pub fn push(&mut self, key: Key, payload: T) {
        let packed = key.packed();
        let (time, rest) = ((packed >> 64) as u64, packed as u64);
        let node = Node {
            time,
            rest,
            payload,
            next: NIL,
        };
        let index = match self.free {
            NIL => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
            free => {
                self.free = self.nodes[free as usize].next;
                self.nodes[free as usize] = node;
                free
            }
        };
        if time <= self.cursor {
            // Due now (or, after a stale event moved the calendar on, overdue): sorted in.
            let nodes = &self.nodes;
            let at = self
                .due
                .partition_point(|&i| Self::key_of(&nodes[i as usize]) > packed);
            self.due.insert(at, index);
        } else if time - self.cursor < WINDOW as u64 {
            let tick = time as usize % WINDOW;
            self.nodes[index as usize].next = self.heads[tick];
            self.heads[tick] = index;
            self.occupied[tick / 64] |= 1 << (tick % 64);
        } else {
            self.far.push(Reverse((time, rest, index)));
        }
    }

    /// The earliest event, removed from the calendar.
    #[inline]
    pub fn pop(&mut self) -> Option<(Key, T)> {
        if self.due.is_empty() && !self.advance() {
            return None;
        }
        let index = self.due.pop().expect("events are due after advancing");
        let node = self.nodes[index as usize];
        self.nodes[index as usize].next = self.free;
        self.free = index;
        Some((Key::unpacked(Self::key_of(&node)), node.payload))
    }

    /// The queued events, in no particular order.
    #[cfg(test)]
    fn drain(&mut self) -> impl Iterator<Item = (Key, T)> + '_ {
        let mut live = std::mem::take(&mut self.due);
        for tick in 0..WINDOW {
            let mut i = std::mem::replace(&mut self.heads[tick], NIL);
            while i != NIL {
                live.push(i);
                i = self.nodes[i as usize].next;
            }
        }
        live.extend(self.far.drain().map(|Reverse((_, _, i))| i));
        self.occupied = [0; WORDS];
        self.free = NIL;
        let nodes = std::mem::take(&mut self.nodes);
        live.into_iter().map(move |i| {
            let node = &nodes[i as usize];
            (Key::unpacked(Self::key_of(node)), node.payload)
        })
    }

    #[inline]
    fn key_of(node: &Node<T>) -> u128 {
        (u128::from(node.time) << 64) | u128::from(node.rest)
    }

    /// Moves the calendar to the next tick with events and sorts them into `due`; false when none
    /// is left.
    fn advance(&mut self) -> bool {
        let near = self.next_occupied();
        let far = self.far.peek().map(|Reverse((time, _, _))| *time);
        let next = match (near, far) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => return false,
        };
        self.cursor = next;
        if near == Some(next) {
            let tick = next as usize % WINDOW;
            self.occupied[tick / 64] &= !(1 << (tick % 64));
            let mut i = std::mem::replace(&mut self.heads[tick], NIL);
            while i != NIL {
                self.due.push(i);
                i = self.nodes[i as usize].next;
            }
        }
        while let Some(&Reverse((time, _, i))) = self.far.peek() {
            if time != next {
                break;
            }
            self.far.pop();
            self.due.push(i);
        }
        if self.due.len() > 1 {
            let nodes = &self.nodes;
            self.due
                .sort_unstable_by_key(|&i| Reverse(Self::key_of(&nodes[i as usize])));
        }
        true
    }

    /// The first tick after the cursor with a list in the window.
    fn next_occupied(&self) -> Option<u64> {
        let start = (self.cursor + 1) as usize % WINDOW;
        let (word, bit) = (start / 64, start % 64);
        // The words from `start` on, wrapping round to the bits of the first word below `start`.
        for step in 0..=WORDS {
            let w = (word + step) % WORDS;
            let mut bits = self.occupied[w];
            if step == 0 {
                bits &= !0u64 << bit;
            } else if step == WORDS {
                bits &= (1u64 << bit).wrapping_sub(1);
            }
            if bits != 0 {
                let tick = w * 64 + bits.trailing_zeros() as usize;
                let ahead = (tick + WINDOW - start) % WINDOW;
                return Some(self.cursor + 1 + ahead as u64);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::scheduler::Queue;
    use super::*;
    use proptest::prelude::*;

    /// What a test does next: push an event `ahead` ticks past the last popped one, or pop.
    #[derive(Clone, Debug)]
    enum Op {
        Push {
            ahead: u64,
            position: u64,
            stage: u64,
        },
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            // Mostly near, sometimes at the same tick, sometimes beyond the window.
            3 => (0u64..20, 0u64..4, 0u64..50).prop_map(|(ahead, position, stage)| Op::Push { ahead, position, stage }),
            1 => (0u64..3 * WINDOW as u64, 0u64..4, 0u64..50).prop_map(|(ahead, position, stage)| Op::Push { ahead, position, stage }),
            3 => Just(Op::Pop),
        ]
    }

    proptest! {
        /// The calendar gives the events in the order of the plain binary heap, whatever is
        /// pushed when (also before the last popped tick, as after a stale event).
        #[test]
        fn the_calendar_matches_the_binary_heap(
            ops in prop::collection::vec(op(), 0..400),
            back in 0u64..3,
        ) {
            let mut calendar = Calendar::with_capacity(4);
            let mut heap = Queue::with_capacity(4);
            let mut now = 0u64;
            for (n, op) in ops.iter().enumerate() {
                match *op {
                    Op::Push { ahead, position, stage } => {
                        // Unique stages, so equal keys never hide an order difference.
                        let time = (now + ahead).saturating_sub(back);
                        let key = Key::delivery(time, position, stage * 1000 + n as u64);
                        calendar.push(key, n);
                        heap.push(key, n);
                    }
                    Op::Pop => {
                        let (a, b) = (calendar.pop(), heap.pop());
                        prop_assert_eq!(a, b);
                        if let Some((key, _)) = a {
                            now = key.time;
                        }
                    }
                }
            }
            let mut left: Vec<_> = calendar.drain().collect();
            let mut rest: Vec<_> = heap.drain().collect();
            left.sort();
            rest.sort();
            prop_assert_eq!(left, rest);
        }
    }

    #[test]
    fn the_calendar_reuses_its_nodes() {
        let mut calendar = Calendar::with_capacity(8);
        for round in 0..100u64 {
            for j in 0..8 {
                calendar.push(Key::fire(round * 3 + j % 3, round, j as usize), j);
            }
            for _ in 0..8 {
                calendar.pop().expect("pushed");
            }
        }
        assert_eq!(calendar.nodes.len(), 8);
        assert!(calendar.pop().is_none());
    }

    #[test]
    fn far_events_wait_beyond_the_window() {
        let mut calendar = Calendar::with_capacity(4);
        let far = 10 * WINDOW as u64;
        calendar.push(Key::fire(far, 0, 1), 'b');
        calendar.push(Key::fire(3, 0, 1), 'a');
        calendar.push(Key::fire(far, 0, 0), 'c');
        let order: Vec<(u64, char)> = std::iter::from_fn(|| calendar.pop())
            .map(|(k, c)| (k.time, c))
            .collect();
        assert_eq!(order, vec![(3, 'a'), (far, 'c'), (far, 'b')]);
    }
}
