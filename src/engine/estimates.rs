//! Estimated attention: each neuron's running estimate of the attention each downstream neighbour
//! pays it, and each neuron's record of what it sent (for event-triggered sending).
//!
//! One timeline for every path: the estimate on a synapse is updated by every attention message
//! that arrives over it, at its arrival tick; a message that was not sent (suppressed) is replaced by
//! the estimate as it stands at the tick it would have arrived; a message that is missing when the
//! receiver learns (dropped, or late) is replaced by the estimate at that moment. Updates and reads
//! are queued by arrival and applied in `(tick, sample position)` order as simulated time passes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::plan::Estimation;
use crate::scenario::{Estimator, SendPolicy};

/// What happens to an estimate at a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Change {
    /// A message with this value (as bits) arrives.
    Observe(u64),
    /// A suppressed message would arrive: its receiver takes the estimate, if it still waits for
    /// the sample in this slot and generation.
    Read { slot: u32, generation: u32 },
}

/// Estimates per synapse (receiver side) and send records (sender side).
#[derive(Debug)]
pub(crate) struct Estimates {
    pub config: Estimation,
    estimate: Vec<f64>,
    known: Vec<bool>,
    last_sent: Vec<f64>,
    has_sent: Vec<bool>,
    /// Attention payments made by each neuron (for `EveryK`).
    payments: Vec<u64>,
    pending: BinaryHeap<Reverse<(u64, u64, u32, Change)>>,
}

impl Estimates {
    /// Fresh estimates for `synapses` synapses and `neurons` neurons.
    pub fn new(config: Estimation, synapses: usize, neurons: usize) -> Estimates {
        Estimates {
            config,
            estimate: vec![0.0; synapses],
            known: vec![false; synapses],
            last_sent: vec![0.0; synapses],
            has_sent: vec![false; synapses],
            payments: vec![0; neurons],
            pending: BinaryHeap::with_capacity(1024),
        }
    }

    /// The estimate on synapse `e` now (0 before anything arrived).
    #[inline]
    pub fn estimate(&self, e: usize) -> f64 {
        if self.known[e] {
            self.estimate[e]
        } else {
            0.0
        }
    }

    /// A message with `value` arrives over `e`.
    #[inline]
    pub fn observe(&mut self, e: usize, value: f64) {
        self.estimate[e] = match self.config.estimator {
            Estimator::Ema { decay } if self.known[e] => {
                decay * self.estimate[e] + (1.0 - decay) * value
            }
            _ => value,
        };
        self.known[e] = true;
    }

    /// Queues `change` on synapse `e` at `arrival` for the sample at `position`.
    #[inline]
    pub fn queue(&mut self, arrival: u64, position: usize, e: usize, change: Change) {
        self.pending
            .push(Reverse((arrival, position as u64, e as u32, change)));
    }

    /// The next queued change due by `now` (exactly at `now` only if `inclusive`), removed.
    #[inline]
    pub fn next_due(&mut self, now: u64, inclusive: bool) -> Option<(usize, Change)> {
        let &Reverse((arrival, _, e, change)) = self.pending.peek()?;
        if arrival > now || (!inclusive && arrival == now) {
            return None;
        }
        self.pending.pop();
        Some((e as usize, change))
    }

    /// Whether neuron `j`'s next payment goes out under `EveryK` (and counts the payment).
    #[inline]
    pub fn pays_this_time(&mut self, j: usize) -> bool {
        let paid = self.payments[j];
        self.payments[j] += 1;
        match self.config.send {
            SendPolicy::EveryK(every) => paid % u64::from(every.max(1)) == 0,
            _ => true,
        }
    }

    /// Whether attention `a` over `e` is suppressed, given whether this payment goes out under
    /// `EveryK`; records what is sent for `Threshold`.
    #[inline]
    pub fn suppresses(&mut self, e: usize, a: f64, pays_this_time: bool) -> bool {
        match self.config.send {
            SendPolicy::Always => false,
            SendPolicy::EveryK(_) => !pays_this_time,
            SendPolicy::Threshold(delta) => {
                let quiet = self.has_sent[e] && (a - self.last_sent[e]).abs() <= delta;
                if !quiet {
                    self.has_sent[e] = true;
                    self.last_sent[e] = a;
                }
                quiet
            }
        }
    }

    /// Neuron `j` lost its state: it forgets its estimates of what its downstream neighbours pay it
    /// (over `outgoing`), what it last sent upstream (over `incoming`), and its payment count.
    pub fn forget(
        &mut self,
        j: usize,
        outgoing: impl Iterator<Item = usize>,
        incoming: std::ops::Range<usize>,
    ) {
        for e in outgoing {
            self.known[e] = false;
            self.estimate[e] = 0.0;
        }
        for e in incoming {
            self.has_sent[e] = false;
            self.last_sent[e] = 0.0;
        }
        self.payments[j] = 0;
    }
}
