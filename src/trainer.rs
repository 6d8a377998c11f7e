//! What both engines share: the training schedule, checkpoints, message counts and the [`Trainer`]
//! trait.

use rand::seq::SliceRandom;
use serde::Serialize;

use crate::data::Split;
use crate::rng::Rng;
use crate::topology::Params;

/// The order in which training samples enter the network, how they group into batches, and when the
/// run is observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    order: Vec<u32>,
    batch_len: Vec<u32>,
    checkpoints: Vec<usize>,
}

impl Schedule {
    /// `epochs` passes over `train_len` samples, each a fresh shuffle drawn from `rng` (the order
    /// stream), cut into batches of `batch_size` (the last batch of an epoch may be shorter), observed
    /// `per_epoch` times per epoch at evenly spaced sample counts.
    pub fn new(
        train_len: usize,
        epochs: usize,
        batch_size: usize,
        per_epoch: usize,
        rng: &mut Rng,
    ) -> Schedule {
        let mut order = Vec::with_capacity(train_len * epochs);
        let mut batch_len = Vec::with_capacity(train_len * epochs);
        let mut checkpoints = Vec::new();
        let mut epoch: Vec<u32> = (0..train_len as u32).collect();
        for e in 0..epochs {
            epoch.shuffle(rng);
            order.extend_from_slice(&epoch);
            for start in (0..train_len).step_by(batch_size.max(1)) {
                let len = batch_size.min(train_len - start) as u32;
                batch_len.extend(std::iter::repeat_n(len, len as usize));
            }
            for k in 1..=per_epoch {
                let at = e * train_len + (k * train_len + per_epoch / 2) / per_epoch;
                if checkpoints.last() != Some(&at) && at > 0 {
                    checkpoints.push(at);
                }
            }
        }
        Schedule {
            order,
            batch_len,
            checkpoints,
        }
    }

    /// Total number of training samples.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether there is nothing to train on.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Index in the training split of the sample at position `pos`.
    pub fn sample(&self, pos: usize) -> usize {
        self.order[pos] as usize
    }

    /// Length of the batch that position `pos` belongs to.
    pub fn batch_len(&self, pos: usize) -> usize {
        self.batch_len[pos] as usize
    }

    /// Sample counts (completed samples) at which the run is observed, increasing; the last is
    /// [`Schedule::len`].
    pub fn checkpoints(&self) -> &[usize] {
        &self.checkpoints
    }
}

/// Messages of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageCount {
    /// Messages put on a link.
    pub sent: u64,
    /// Messages that reached their receiver.
    pub delivered: u64,
}

/// Message accounting, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageStats {
    /// Activations from a neuron to the next.
    pub forward: MessageCount,
    /// Attention from a neuron to its inputs.
    pub attention: MessageCount,
    /// Output values to the loss agent and demands back.
    pub loss: MessageCount,
}

impl MessageStats {
    /// All kinds together.
    pub fn total(&self) -> MessageCount {
        MessageCount {
            sent: self.forward.sent + self.attention.sent + self.loss.sent,
            delivered: self.forward.delivered + self.attention.delivered + self.loss.delivered,
        }
    }
}

/// What an observer sees at a checkpoint. Reading it never changes the run.
#[derive(Debug)]
pub struct Checkpoint<'a> {
    /// Training samples completed.
    pub samples_seen: usize,
    /// Simulated time, in ticks (0 for the dense engine).
    pub sim_ticks: u64,
    /// Mean training loss of the samples whose loss was computed since the previous checkpoint.
    pub train_loss: Option<f64>,
    /// The network's parameters now.
    pub params: &'a Params,
    /// Messages so far.
    pub messages: MessageStats,
}

/// Totals of a finished training run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrainReport {
    /// Training samples completed.
    pub samples_seen: usize,
    /// Simulated time at the end, in ticks.
    pub sim_ticks: u64,
    /// Events processed.
    pub events: u64,
    /// Messages.
    pub messages: MessageStats,
}

/// A trainer: runs a schedule over a training split, calling `observe` at each checkpoint.
pub trait Trainer {
    /// Trains on every sample of `schedule`.
    fn train(
        &mut self,
        data: &Split,
        schedule: &Schedule,
        observe: &mut dyn FnMut(&Checkpoint<'_>),
    ) -> TrainReport;

    /// The current parameters.
    fn params(&self) -> Params;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};

    #[test]
    fn schedule_covers_every_sample_each_epoch_in_batches() {
        let mut rng = Streams::new(3).stream(Purpose::Order);
        let s = Schedule::new(10, 3, 4, 2, &mut rng);
        assert_eq!(s.len(), 30);
        for e in 0..3 {
            let mut seen: Vec<usize> = (0..10).map(|p| s.sample(e * 10 + p)).collect();
            seen.sort();
            assert_eq!(seen, (0..10).collect::<Vec<_>>());
        }
        let lens: Vec<usize> = (0..10).map(|p| s.batch_len(p)).collect();
        assert_eq!(lens, vec![4, 4, 4, 4, 4, 4, 4, 4, 2, 2]);
        assert_eq!(s.checkpoints(), &[5, 10, 15, 20, 25, 30]);
    }
}
