//! What both engines share: the training schedule, checkpoints, message counts and the [`Trainer`]
//! trait.

use rand::seq::SliceRandom;
use serde::Serialize;

use crate::data::Split;
use crate::rng::Rng;
use crate::rule::Sgd;
use crate::scenario::RateSchedule;
use crate::topology::Params;

/// The order in which training samples enter the network, how they group into batches, when the
/// run is observed, and — for tasks trained one after another and learning-rate schedules — where
/// each task ends, the rate factor of every position and whether neurons start each task with a
/// fresh optimizer.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    order: Vec<u32>,
    batch_len: Vec<u32>,
    checkpoints: Vec<usize>,
    /// The position where each epoch ends (the epochs of every task, in order).
    epoch_ends: Vec<usize>,
    course: Course,
}

/// What an update needs of the schedule: the task of a position, the rate factor there, and
/// whether neurons start each task with a fresh optimizer. Engines keep a copy for the run.
///
/// The rule every engine follows: an update (a neuron applying its batch) takes the rate of the
/// latest, in schedule order, of the samples it learned from; and with a fresh optimizer per task,
/// a neuron zeroes its optimizer state (momentum) just before its first update whose latest sample
/// belongs to a later task than its previous update's. The dense trainers update every neuron at
/// every batch, so there every neuron resets at the first batch of each task.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Course {
    /// The position where each task ends (exclusive); one entry, the length, without tasks.
    task_ends: Vec<usize>,
    /// `(first position, factor)` of each stretch of constant rate, increasing; empty for a constant
    /// rate.
    rates: Vec<(usize, f64)>,
    fresh_optimizer: bool,
}

impl Course {
    /// The task of position `pos` (0 without tasks). `O(log tasks)`.
    #[inline]
    pub fn task(&self, pos: usize) -> usize {
        self.task_ends.partition_point(|&end| end <= pos)
    }

    /// The factor of the learning rate at position `pos` (1 for a constant rate). `O(log stretches)`.
    #[inline]
    pub fn rate(&self, pos: usize) -> f64 {
        if self.rates.is_empty() {
            return 1.0;
        }
        let i = self.rates.partition_point(|&(start, _)| start <= pos);
        self.rates[i.saturating_sub(1)].1
    }

    /// The optimizer of an update whose latest sample is at position `pos`: `sgd` with its rate
    /// times [`Course::rate`] (`sgd` itself for a constant rate).
    #[inline]
    pub fn sgd_at(&self, sgd: Sgd, pos: usize) -> Sgd {
        if self.rates.is_empty() {
            return sgd;
        }
        Sgd {
            lr: sgd.lr * self.rate(pos),
            ..sgd
        }
    }

    /// Whether neurons start each task after the first with a fresh optimizer state.
    #[inline]
    pub fn fresh_optimizer(&self) -> bool {
        self.fresh_optimizer && self.task_ends.len() > 1
    }

    /// Whether a neuron whose previous update was in task `previous` starts afresh for an update
    /// whose latest sample is at `pos`; `previous` becomes that update's task.
    #[inline]
    pub fn starts_afresh(&self, previous: &mut u32, pos: usize) -> bool {
        if !self.fresh_optimizer() {
            return false;
        }
        let task = self.task(pos) as u32;
        let fresh = task > *previous;
        *previous = (*previous).max(task);
        fresh
    }
}

impl Schedule {
    /// `epochs` passes over `train_len` samples, each a fresh shuffle drawn from `rng` (the order
    /// stream), cut into batches of `batch_size` (the last batch of an epoch may be shorter), observed
    /// `per_epoch` times per epoch at evenly spaced sample counts; a constant rate.
    pub fn new(
        train_len: usize,
        epochs: usize,
        batch_size: usize,
        per_epoch: usize,
        rng: &mut Rng,
    ) -> Schedule {
        Schedule::with_tasks(
            std::slice::from_ref(&(0..train_len)),
            epochs,
            batch_size,
            per_epoch,
            RateSchedule::Constant,
            false,
            rng,
        )
    }

    /// Tasks one after another: for each task, `epochs` passes over its samples `tasks[t]` (indices
    /// of the training split), each a fresh shuffle drawn from `rng`, cut into batches of
    /// `batch_size` (a batch never spans two epochs, so never two tasks), observed `per_epoch` times
    /// per epoch (so at the end of every task). The rate factor follows `rates` within each task;
    /// with `fresh_optimizer`, neurons reset their optimizer state at their first update of each
    /// task after the first. With one task `0..train_len` and a constant rate this is
    /// [`Schedule::new`], draw for draw.
    pub fn with_tasks(
        tasks: &[std::ops::Range<usize>],
        epochs: usize,
        batch_size: usize,
        per_epoch: usize,
        rates: RateSchedule,
        fresh_optimizer: bool,
        rng: &mut Rng,
    ) -> Schedule {
        let total: usize = tasks.iter().map(|t| t.len() * epochs).sum();
        let mut order = Vec::with_capacity(total);
        let mut batch_len = Vec::with_capacity(total);
        let mut checkpoints = Vec::new();
        let mut task_ends = Vec::with_capacity(tasks.len());
        let mut epoch_ends = Vec::with_capacity(tasks.len() * epochs);
        let mut factors = Vec::new();
        for task in tasks {
            let len = task.len();
            let start = order.len();
            let mut epoch: Vec<u32> = (task.start as u32..task.end as u32).collect();
            for _ in 0..epochs {
                let offset = order.len();
                epoch.shuffle(rng);
                order.extend_from_slice(&epoch);
                for from in (0..len).step_by(batch_size.max(1)) {
                    let n = batch_size.min(len - from) as u32;
                    batch_len.extend(std::iter::repeat_n(n, n as usize));
                }
                for k in 1..=per_epoch {
                    let at = offset + (k * len + per_epoch / 2) / per_epoch;
                    if checkpoints.last() != Some(&at) && at > 0 {
                        checkpoints.push(at);
                    }
                }
                epoch_ends.push(order.len());
            }
            task_ends.push(order.len());
            rate_stretches(&mut factors, rates, start, len, epochs);
        }
        Schedule {
            order,
            batch_len,
            checkpoints,
            epoch_ends,
            course: Course {
                task_ends,
                rates: factors,
                fresh_optimizer,
            },
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

    /// The position where each task ends (exclusive), increasing; one entry without tasks.
    pub fn task_ends(&self) -> &[usize] {
        &self.course.task_ends
    }

    /// The task of position `pos` (0 without tasks).
    pub fn task(&self, pos: usize) -> usize {
        self.course.task(pos)
    }

    /// The factor of the learning rate at position `pos` (1 for a constant rate).
    pub fn rate(&self, pos: usize) -> f64 {
        self.course.rate(pos)
    }

    /// The tasks, rates and optimizer resets of the run, for the engines.
    pub fn course(&self) -> &Course {
        &self.course
    }

    /// Epochs completed after `samples` samples, every task's epochs counted one after another
    /// (fractional inside an epoch).
    pub fn epochs_at(&self, samples: usize) -> f64 {
        let i = self.epoch_ends.partition_point(|&end| end <= samples);
        if i == self.epoch_ends.len() {
            return i as f64;
        }
        let start = if i == 0 { 0 } else { self.epoch_ends[i - 1] };
        i as f64 + (samples - start) as f64 / (self.epoch_ends[i] - start).max(1) as f64
    }
}

/// Appends the rate stretches of a task of `len` samples per epoch starting at position `start`.
fn rate_stretches(
    out: &mut Vec<(usize, f64)>,
    rates: RateSchedule,
    start: usize,
    len: usize,
    epochs: usize,
) {
    match rates {
        RateSchedule::Constant => {}
        RateSchedule::StepDecay { every, factor } => {
            let mut f = 1.0;
            for e in 0..epochs {
                if e > 0 && e % every.max(1) == 0 {
                    f *= factor;
                }
                if e == 0 || e % every.max(1) == 0 {
                    out.push((start + e * len, f));
                }
            }
        }
        RateSchedule::Halfway { factor } => {
            let total = len * epochs;
            out.push((start, 1.0));
            out.push((start + total.div_ceil(2), factor));
        }
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

    #[test]
    fn tasks_follow_one_another_with_their_rates() {
        let mut rng = Streams::new(5).stream(Purpose::Order);
        let halfway = RateSchedule::Halfway { factor: 0.1 };
        // Task 0: samples 0..4, task 1: samples 4..7; 3 epochs each.
        let s = Schedule::with_tasks(&[0..4, 4..7], 3, 2, 1, halfway, true, &mut rng);
        assert_eq!(s.len(), 21);
        assert_eq!(s.task_ends(), &[12, 21]);
        assert!((0..12).all(|p| s.sample(p) < 4 && s.task(p) == 0));
        assert!((12..21).all(|p| (4..7).contains(&s.sample(p)) && s.task(p) == 1));
        // Batches never span an epoch (nor so a task).
        let lens: Vec<usize> = (12..21).map(|p| s.batch_len(p)).collect();
        assert_eq!(lens, [2, 2, 1, 2, 2, 1, 2, 2, 1]);
        // Every epoch end is a checkpoint, so every task end is.
        assert_eq!(s.checkpoints(), &[4, 8, 12, 15, 18, 21]);
        // Halfway through each task: 2q ≥ L.
        let rates: Vec<f64> = (0..21).map(|p| s.rate(p)).collect();
        assert_eq!(
            &rates[..12],
            &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
        );
        assert_eq!(&rates[12..], &[1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1]);
        assert_eq!(s.epochs_at(12), 3.0);
        assert_eq!(s.epochs_at(13), 3.0 + 1.0 / 3.0);
        assert!(s.course().fresh_optimizer());
        let sgd = Sgd {
            lr: 0.5,
            momentum: 0.9,
        };
        assert_eq!(s.course().sgd_at(sgd, 7).lr, 0.05);
        // Step decay counts the epochs of each task.
        let mut rng = Streams::new(5).stream(Purpose::Order);
        let step = RateSchedule::StepDecay {
            every: 2,
            factor: 0.5,
        };
        let s = Schedule::with_tasks(&[0..4, 4..7], 3, 2, 1, step, false, &mut rng);
        let rates: Vec<f64> = [0, 4, 8, 11, 12, 15, 18, 20].map(|p| s.rate(p)).to_vec();
        assert_eq!(rates, [1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 0.5, 0.5]);
        assert!(!s.course().fresh_optimizer());
    }

    #[test]
    fn one_task_is_the_plain_schedule_and_neurons_restart_once_per_task() {
        let plain = Schedule::new(10, 3, 4, 2, &mut Streams::new(3).stream(Purpose::Order));
        let one = Schedule::with_tasks(
            std::slice::from_ref(&(0..10)),
            3,
            4,
            2,
            RateSchedule::Constant,
            true,
            &mut Streams::new(3).stream(Purpose::Order),
        );
        assert_eq!(
            (0..30).map(|p| plain.sample(p)).collect::<Vec<_>>(),
            (0..30).map(|p| one.sample(p)).collect::<Vec<_>>()
        );
        assert_eq!(plain.checkpoints(), one.checkpoints());
        // One task: nothing to start afresh.
        assert!(!one.course().fresh_optimizer());
        let mut rng = Streams::new(3).stream(Purpose::Order);
        let two = Schedule::with_tasks(
            &[0..2, 2..4],
            1,
            1,
            1,
            RateSchedule::Constant,
            true,
            &mut rng,
        );
        let mut previous = 0;
        let fresh: Vec<bool> = [0, 1, 2, 3, 1]
            .map(|p| two.course().starts_afresh(&mut previous, p))
            .to_vec();
        // Only the first update of task 1; a straggler of task 0 afterwards changes nothing.
        assert_eq!(fresh, [false, false, true, false, false]);
        assert_eq!(previous, 1);
    }
}
