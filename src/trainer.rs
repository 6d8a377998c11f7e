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

    /// Keeps only the first `len` positions (for benches and experiments on a prefix); the run is
    /// observed at the remaining checkpoints and at `len`.
    pub fn truncate(&mut self, len: usize) {
        let len = len.min(self.order.len());
        self.order.truncate(len);
        self.batch_len.truncate(len);
        // A batch cut in two ends at `len`.
        if let Some(&last) = self.batch_len.last() {
            let last = last as usize;
            let start = (0..len)
                .rev()
                .take_while(|&p| self.batch_len[p] as usize == last)
                .count()
                % last.max(1);
            let cut = if start == 0 { last } else { start };
            for p in len - cut..len {
                self.batch_len[p] = cut as u32;
            }
        }
        self.checkpoints.retain(|&c| c < len);
        self.checkpoints.push(len);
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

/// Counts of messages of one kind (or several), by fate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageCount {
    /// Messages put on a link.
    pub sent: u64,
    /// Sent messages that reached their receiver (on time or late).
    pub delivered: u64,
    /// Sent messages lost: dropped by the link, a cut synapse, or a crashed receiver.
    pub dropped: u64,
    /// Delivered messages that arrived after the receiver had fired or learned without them.
    pub late: u64,
    /// Attention messages a neuron chose not to send (event-triggered communication).
    pub suppressed: u64,
}

impl std::ops::AddAssign for MessageCount {
    fn add_assign(&mut self, o: MessageCount) {
        self.sent += o.sent;
        self.delivered += o.delivered;
        self.dropped += o.dropped;
        self.late += o.late;
        self.suppressed += o.suppressed;
    }
}

/// Kinds of message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Activations from a neuron to the next.
    Forward = 0,
    /// Attention from a neuron to its inputs.
    Attention = 1,
    /// Output values to the loss agent and demands back.
    Loss = 2,
}

/// Message accounting by kind and by layer, the layer of a synapse being its target's (the layer that
/// owns it); messages to and from the loss agent belong to the output layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageStats {
    by_layer: Vec<[MessageCount; 3]>,
}

impl MessageStats {
    /// Zero counts for a network of `layers` layers (inputs included).
    pub fn new(layers: usize) -> Self {
        MessageStats {
            by_layer: vec![[MessageCount::default(); 3]; layers],
        }
    }

    /// The counters of `kind` in `layer`.
    #[inline]
    pub fn at(&mut self, kind: Kind, layer: usize) -> &mut MessageCount {
        &mut self.by_layer[layer][kind as usize]
    }

    /// All messages of `kind`.
    pub fn kind(&self, kind: Kind) -> MessageCount {
        let mut sum = MessageCount::default();
        for layer in &self.by_layer {
            sum += layer[kind as usize];
        }
        sum
    }

    /// Counts of each kind in `layer`: forward, attention, loss.
    pub fn layer(&self, layer: usize) -> [MessageCount; 3] {
        self.by_layer
            .get(layer)
            .copied()
            .unwrap_or([MessageCount::default(); 3])
    }

    /// Number of layers counted.
    pub fn layers(&self) -> usize {
        self.by_layer.len()
    }

    /// All kinds together.
    pub fn total(&self) -> MessageCount {
        let mut sum = self.kind(Kind::Forward);
        sum += self.kind(Kind::Attention);
        sum += self.kind(Kind::Loss);
        sum
    }
}

/// Staleness of attention: how many updates the paying neuron applied between a sample's forward pass
/// and the attention it paid for it (0 unless samples are pipelined).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Staleness {
    /// Attention payments measured.
    pub count: u64,
    /// Sum of their staleness.
    pub sum: u64,
    /// Largest staleness seen.
    pub max: u64,
}

impl Staleness {
    /// Mean staleness, 0 when nothing was measured.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
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
    pub messages: &'a MessageStats,
    /// Staleness so far.
    pub staleness: Staleness,
    /// Neurons down now.
    pub neurons_down: usize,
    /// Sum over neurons of the ticks each has spent down so far, downtimes still going included.
    pub crashed_neuron_ticks: u64,
    /// Synapses cut now.
    pub synapses_cut: usize,
    /// Sum over synapses of the ticks each has spent cut so far.
    pub cut_synapse_ticks: u64,
}

/// Watches a training run. Implemented by closures over [`Checkpoint`]s.
pub trait Observer {
    /// Called at every checkpoint.
    fn checkpoint(&mut self, checkpoint: &Checkpoint<'_>);

    /// Whether [`Observer::sample_loss`] should be called (it may cost the engine a copy of the
    /// parameters per sample). Default `false`.
    fn wants_samples(&self) -> bool {
        false
    }

    /// Called when the loss agent computes the loss of training sample `sample` (an index into the
    /// training split), with the parameters the network has at that moment.
    fn sample_loss(&mut self, sample: usize, params: &Params) {
        let _ = (sample, params);
    }

    /// Called (when [`Observer::wants_samples`]) each time non-input neuron `neuron` applies an update
    /// to its incoming weights: the update consumed every sample the neuron learned from since its
    /// previous update. Lets an observer compare each update with the gradients of exactly the
    /// samples it consumed. Default: nothing.
    fn update_applied(&mut self, neuron: usize) {
        let _ = neuron;
    }
}

impl<F: FnMut(&Checkpoint<'_>)> Observer for F {
    fn checkpoint(&mut self, checkpoint: &Checkpoint<'_>) {
        self(checkpoint)
    }
}

/// An observer that looks at nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unobserved;

impl Observer for Unobserved {
    fn checkpoint(&mut self, _: &Checkpoint<'_>) {}
}

/// Totals of a finished training run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainReport {
    /// Training samples completed.
    pub samples_seen: usize,
    /// Simulated time at the end, in ticks.
    pub sim_ticks: u64,
    /// Events processed.
    pub events: u64,
    /// Messages.
    pub messages: MessageStats,
    /// Messages still travelling when the run ended (late messages to neurons that had moved on).
    pub in_flight_at_end: u64,
    /// Staleness of attention.
    pub staleness: Staleness,
    /// Sum over neurons of the ticks each spent crashed.
    pub crashed_neuron_ticks: u64,
    /// Neurons still down at the end.
    pub neurons_down_at_end: Vec<usize>,
    /// Samples whose outputs never reached the loss agent (nothing learned from them).
    pub samples_without_loss: u64,
    /// Where the run stopped because it diverged, if it did.
    pub diverged: Option<Divergence>,
}

/// Where a run diverged: the loss of a training sample was not a finite number, and training stopped
/// there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Schedule position of the sample whose loss was not finite.
    pub position: usize,
    /// That sample, as an index into the training split.
    pub sample: usize,
    /// The first neuron, in neuron order, with a weight or bias that is not finite; `None` when every
    /// parameter is finite (the outputs overflowed).
    pub neuron: Option<usize>,
}

impl Divergence {
    /// The divergence found at schedule `position` (training sample `sample`), blaming the first
    /// neuron of `topology` whose parameters in `params` are not all finite.
    pub fn at(
        position: usize,
        sample: usize,
        params: &Params,
        topology: &crate::topology::Topology,
    ) -> Divergence {
        let neuron = (0..topology.neurons()).find(|&j| {
            !params.biases[j].is_finite()
                || params.weights[topology.incoming(j)]
                    .iter()
                    .any(|w| !w.is_finite())
        });
        Divergence {
            position,
            sample,
            neuron,
        }
    }
}

/// A trainer: runs a schedule over a training split, calling the observer at each checkpoint.
pub trait Trainer {
    /// Trains on every sample of `schedule`.
    fn train(
        &mut self,
        data: &Split,
        schedule: &Schedule,
        observer: &mut dyn Observer,
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

    #[test]
    fn truncating_cuts_the_last_batch_short() {
        let mut rng = Streams::new(3).stream(Purpose::Order);
        let mut s = Schedule::new(10, 3, 4, 1, &mut rng);
        s.truncate(14);
        let lens: Vec<usize> = (0..14).map(|p| s.batch_len(p)).collect();
        assert_eq!(lens, vec![4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 4, 4, 4, 4]);
        s.truncate(13);
        let lens: Vec<usize> = (10..13).map(|p| s.batch_len(p)).collect();
        assert_eq!(lens, vec![3, 3, 3]);
        assert_eq!(s.checkpoints(), &[10, 13]);
    }
}
