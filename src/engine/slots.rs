//! Samples in flight: each occupies a *slot*, and every neuron keeps its per-sample state there —
//! where it is in the sample's two waves, its pre-activation, output and demand — so messages carry
//! the sample and delays only shift time.

/// Where a neuron is with one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for the forward inputs of the sample.
    Waiting,
    /// Fired; waiting for attention (or the demand).
    Fired,
    /// Learned from the sample; holding it until its batch (or its layer's norms) lets it pay
    /// attention.
    Held,
    /// Done with the sample: paid, sat it out, or gave up.
    Done,
}

/// A neuron's view of one wave (forward inputs, or attention) of one sample: messages whose fate is
/// still unknown, messages that will arrive, and the first and last arrival.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Wave {
    pub unaccounted: u32,
    pub arrived: u32,
    pub first: u64,
    pub last: u64,
}

impl Wave {
    /// A wave of `expected` messages, none accounted for.
    pub fn new(expected: u32) -> Wave {
        Wave {
            unaccounted: expected,
            arrived: 0,
            first: u64::MAX,
            last: 0,
        }
    }

    /// A message of the wave will arrive at `arrival`.
    #[inline]
    pub fn arrive(&mut self, arrival: u64) {
        self.unaccounted -= 1;
        self.arrived += 1;
        self.first = self.first.min(arrival);
        self.last = self.last.max(arrival);
    }

    /// A message of the wave will not come.
    #[inline]
    pub fn miss(&mut self) {
        self.unaccounted -= 1;
    }

    /// When the receiver should act, out of `expected` messages with wait `timeout`: at the last
    /// arrival once every message is accounted for and arrived, else at the first arrival plus the
    /// timeout. `None` when nothing will arrive.
    #[inline]
    pub fn plan(&self, expected: u32, timeout: u64) -> Option<u64> {
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

/// Brings a planned action forward to `candidate` (never before `now`) when that is earlier than
/// `planned`, which it then becomes; returns the new time, or `None` when the plan stands. (A
/// superseded queue entry is skipped when popped.)
#[inline]
pub(crate) fn bring_forward(planned: &mut u64, candidate: u64, now: u64) -> Option<u64> {
    let candidate = candidate.max(now);
    (candidate < *planned).then(|| {
        *planned = candidate;
        candidate
    })
}

/// Bookkeeping of one slot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SlotInfo {
    /// Schedule position of the sample in the slot.
    pub position: usize,
    /// The tick the sample was admitted.
    pub admitted_at: u64,
    /// Incremented each time the slot takes a new sample: events of an older sample are stale.
    pub generation: u32,
    /// Neurons (inputs excluded) not yet done with the sample.
    pub remaining: u32,
    /// Output neurons holding the sample until their batch is complete.
    pub outputs_holding: u32,
    /// Whether the sample stopped counting against `in_flight` while waiting for its batch.
    pub parked: bool,
}

/// Every slot's bookkeeping and per-(slot, neuron) state, flattened as `slot * neurons + neuron`.
#[derive(Debug)]
pub(crate) struct Slots {
    neurons: usize,
    pub info: Vec<SlotInfo>,
    in_use: Vec<bool>,
    free: Vec<u32>,
    pub phase: Vec<Phase>,
    /// When the neuron's next action for the sample is planned (`u64::MAX`: none).
    pub scheduled: Vec<u64>,
    pub z: Vec<f64>,
    pub x: Vec<f64>,
    pub demand: Vec<f64>,
    /// Attention paid to the neuron so far, when it is added up as it is paid (see
    /// `engine::timetable`); empty otherwise.
    pub received: Vec<f64>,
    pub forward: Vec<Wave>,
    pub backward: Vec<Wave>,
    /// Updates the neuron had applied when it fired for the sample (for staleness).
    pub updates_at_fire: Vec<u64>,
}

impl Slots {
    /// `slots` empty slots for a network of `neurons` neurons; `received` keeps a running sum of
    /// attention per (slot, neuron).
    pub fn new(slots: usize, neurons: usize, received: bool) -> Slots {
        let per = slots * neurons;
        Slots {
            neurons,
            info: vec![SlotInfo::default(); slots],
            in_use: vec![false; slots],
            free: (0..slots as u32).rev().collect(),
            phase: vec![Phase::Done; per],
            scheduled: vec![u64::MAX; per],
            z: vec![0.0; per],
            x: vec![0.0; per],
            demand: vec![0.0; per],
            received: vec![0.0; if received { per } else { 0 }],
            forward: vec![Wave::default(); per],
            backward: vec![Wave::default(); per],
            updates_at_fire: vec![0; per],
        }
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.info.len()
    }

    /// Index of `(slot, neuron)` in the per-(slot, neuron) arrays.
    #[inline]
    pub fn at(&self, slot: usize, j: usize) -> usize {
        slot * self.neurons + j
    }

    /// The indices of `slot`'s per-neuron state: `at(slot, 0)..at(slot + 1, 0)`.
    #[inline]
    pub fn lane(&self, slot: usize) -> std::ops::Range<usize> {
        slot * self.neurons..(slot + 1) * self.neurons
    }

    /// Whether a slot is free.
    pub fn has_free(&self) -> bool {
        !self.free.is_empty()
    }

    /// Takes a free slot for the sample at `position`, admitted at `now`, with a new generation.
    pub fn take(&mut self, position: usize, now: u64, remaining: u32) -> usize {
        let slot = self.free.pop().expect("a slot is free when admitting") as usize;
        self.in_use[slot] = true;
        let info = &mut self.info[slot];
        *info = SlotInfo {
            position,
            admitted_at: now,
            generation: info.generation.wrapping_add(1),
            remaining,
            outputs_holding: 0,
            parked: false,
        };
        slot
    }

    /// Gives a slot back.
    pub fn release(&mut self, slot: usize) {
        self.in_use[slot] = false;
        self.free.push(slot as u32);
    }

    /// Whether `slot` holds a sample of `generation`.
    #[inline]
    pub fn is_current(&self, slot: usize, generation: u32) -> bool {
        self.in_use[slot] && self.info[slot].generation == generation
    }

    /// Whether `slot` holds a sample.
    #[inline]
    pub fn in_use(&self, slot: usize) -> bool {
        self.in_use[slot]
    }
}
