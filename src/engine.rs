//! The event engine: a discrete-event simulation of neuron agents exchanging messages.
//!
//! Each training sample occupies a *slot* while it is in the network; every neuron keeps its
//! per-sample state (pre-activation, output, demand, attention received) in that slot, so messages
//! carry the sample id and delays only shift time (DESIGN §2). One sample's life:
//!
//! ```text
//!  admit ──► input neurons send features ──forward──► hidden … ──forward──► outputs ──► loss agent
//!                                                                                        │ demands
//!  complete ◄── Credit at each neuron ◄──attention── … ◄──attention── Credit at outputs ◄┘
//! ```
//!
//! A message's arrival time is known when it is sent, so a neuron needs no event per message: it counts
//! the messages still expected for a sample and keeps the latest arrival time; when the last one is
//! accounted for, it schedules one event at that time (`Fire` for the forward wave, `Credit` for the
//! backward wave). The heap thus holds a few events per neuron per sample, not one per synapse.
//!
//! Neurons apply their update after crediting `batch_size` samples. A rule that needs the gradient
//! norm (greedy attention) holds its demands until its batch is complete; a sample whose demands wait
//! at the outputs for the rest of its batch is *parked* and no longer counts against `in_flight`.

mod delay;
mod scheduler;

use crate::data::Split;
use crate::rng::{Purpose, Rng, Streams};
use crate::rule::{Feedback, LearningRule, Scales, Sgd};
use crate::scenario::{Activation, LinkSpec, OutputKind};
use crate::topology::{Params, Topology};
use crate::trainer::{Checkpoint, MessageStats, Schedule, TrainReport, Trainer};

use delay::DelaySampler;
use scheduler::{Action, Scheduler};

/// Settings of the event engine besides topology and rule.
#[derive(Clone, Debug)]
pub struct EventSettings {
    /// Hidden activation.
    pub activation: Activation,
    /// Output layer and loss.
    pub output: OutputKind,
    /// Optimizer of every neuron.
    pub sgd: Sgd,
    /// Samples per update.
    pub batch_size: usize,
    /// Samples in the network at once.
    pub in_flight: usize,
    /// Link delays.
    pub links: LinkSpec,
}

/// Per-sample bookkeeping of a slot.
#[derive(Clone, Copy, Debug, Default)]
struct SlotInfo {
    /// Position of the sample in the schedule.
    position: usize,
    /// Neurons (inputs excluded) that have not credited the sample yet.
    remaining: u32,
    /// Output values the loss agent still waits for, and when the last one arrives.
    pending_outputs: u32,
    outputs_ready: u64,
    /// Output neurons holding the sample's demand until their batch is complete.
    outputs_holding: u32,
    /// Whether the sample stopped counting against `in_flight` while waiting for its batch.
    parked: bool,
}

/// The discrete-event trainer.
#[derive(Debug)]
pub struct EventEngine<'a> {
    topology: &'a Topology,
    rule: &'a dyn LearningRule,
    settings: EventSettings,
    params: Params,
    /// Attention weights per synapse when the rule uses fixed random feedback.
    feedback: Option<Vec<f64>>,
    velocity: Vec<f64>,
    bias_velocity: Vec<f64>,
    /// Per synapse / per neuron: sum of `d x` (resp. `d`) over the samples credited in this batch.
    gradient: Vec<f64>,
    bias_gradient: Vec<f64>,
    /// Per neuron: samples credited in the current batch, and (for norm-based rules) their slots.
    credited: Vec<u32>,
    held: Vec<u32>,
    /// First incoming synapse of each neuron whose source is not an input (attention goes only there).
    attention_start: Vec<usize>,
    /// Per (slot, neuron), flattened as `slot * neurons + neuron`.
    z: Vec<f64>,
    x: Vec<f64>,
    demand: Vec<f64>,
    attention: Vec<f64>,
    pending_inputs: Vec<u32>,
    inputs_ready: Vec<u64>,
    pending_attention: Vec<u32>,
    attention_ready: Vec<u64>,
    slots: Vec<SlotInfo>,
    free_slots: Vec<u32>,
    queue: Scheduler,
    forward_delay: DelaySampler,
    attention_delay: DelaySampler,
    forward_rng: Rng,
    attention_rng: Rng,
    messages: MessageStats,
    now: u64,
    events: u64,
    active: usize,
    admitted: usize,
    completed: usize,
    window_loss: f64,
    window_count: usize,
}

impl<'a> EventEngine<'a> {
    /// An engine starting from `params`. `feedback` holds one fixed weight per synapse, used when the
    /// rule pays attention through fixed random weights. Delays draw from the streams' delay purposes.
    pub fn new(
        topology: &'a Topology,
        rule: &'a dyn LearningRule,
        settings: EventSettings,
        params: &Params,
        feedback: &[f64],
        streams: &Streams,
    ) -> Self {
        let n = topology.neurons();
        let synapses = topology.synapses();
        let slots = settings.in_flight + settings.batch_size;
        let attention_start = (0..n)
            .map(|j| {
                let range = topology.incoming(j);
                range.start
                    + topology.sources()[range.clone()].partition_point(|&i| topology.is_input(i))
            })
            .collect();
        EventEngine {
            topology,
            rule,
            params: params.clone(),
            feedback: (rule.feedback() == Feedback::FixedRandom).then(|| feedback.to_vec()),
            velocity: vec![0.0; synapses],
            bias_velocity: vec![0.0; n],
            gradient: vec![0.0; synapses],
            bias_gradient: vec![0.0; n],
            credited: vec![0; n],
            held: vec![0; n * settings.batch_size],
            attention_start,
            z: vec![0.0; slots * n],
            x: vec![0.0; slots * n],
            demand: vec![0.0; slots * n],
            attention: vec![0.0; slots * n],
            pending_inputs: vec![0; slots * n],
            inputs_ready: vec![0; slots * n],
            pending_attention: vec![0; slots * n],
            attention_ready: vec![0; slots * n],
            slots: vec![SlotInfo::default(); slots],
            free_slots: (0..slots as u32).rev().collect(),
            queue: Scheduler::with_capacity(4 * n * slots),
            forward_delay: DelaySampler::new(settings.links.forward_delay),
            attention_delay: DelaySampler::new(settings.links.attention_delay),
            forward_rng: streams.stream(Purpose::ForwardDelay),
            attention_rng: streams.stream(Purpose::AttentionDelay),
            settings,
            messages: MessageStats::default(),
            now: 0,
            events: 0,
            active: 0,
            admitted: 0,
            completed: 0,
            window_loss: 0.0,
            window_count: 0,
        }
    }

    /// Puts schedule position `admitted` into a free slot at the current time; its input neurons send
    /// the sample's features.
    fn admit(&mut self, data: &Split, schedule: &Schedule) {
        let t = self.topology;
        let n = t.neurons();
        let slot = self
            .free_slots
            .pop()
            .expect("a slot is free when admitting") as usize;
        let position = self.admitted;
        self.admitted += 1;
        self.active += 1;
        let base = slot * n;
        for j in t.inputs().end..n {
            self.pending_inputs[base + j] = t.incoming(j).len() as u32;
            self.inputs_ready[base + j] = self.now;
            self.pending_attention[base + j] = if t.is_output(j) {
                0
            } else {
                t.outgoing(j).len() as u32
            };
            self.attention_ready[base + j] = self.now;
            self.attention[base + j] = 0.0;
        }
        self.slots[slot] = SlotInfo {
            position,
            remaining: (n - t.inputs().len()) as u32,
            pending_outputs: t.outputs().len() as u32,
            outputs_ready: self.now,
            outputs_holding: 0,
            parked: false,
        };
        let features = data.features(schedule.sample(position));
        for (i, &value) in t.inputs().zip(features) {
            self.x[base + i] = value;
            for &e in t.outgoing(i) {
                self.send_forward(e, slot);
            }
        }
    }

    /// Sends the activation of synapse `e`'s source to its target for the sample in `slot`.
    #[inline]
    fn send_forward(&mut self, e: usize, slot: usize) {
        let j = self.topology.target(e);
        let arrival = self.now + self.forward_delay.sample(&mut self.forward_rng);
        self.messages.forward.sent += 1;
        self.messages.forward.delivered += 1;
        let k = slot * self.topology.neurons() + j;
        self.inputs_ready[k] = self.inputs_ready[k].max(arrival);
        self.pending_inputs[k] -= 1;
        if self.pending_inputs[k] == 0 {
            self.queue
                .schedule(self.inputs_ready[k], Action::Fire, j, slot);
        }
    }

    /// Neuron `j` has all its inputs for `slot`: it fires.
    fn fire(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let base = slot * t.neurons();
        let mut z = self.params.biases[j];
        for e in t.incoming(j) {
            z += self.params.weights[e] * self.x[base + t.source(e)];
        }
        self.z[base + j] = z;
        if t.is_output(j) {
            self.x[base + j] = z;
            let arrival = self.now + self.forward_delay.sample(&mut self.forward_rng);
            self.messages.loss.sent += 1;
            self.messages.loss.delivered += 1;
            let info = &mut self.slots[slot];
            info.outputs_ready = info.outputs_ready.max(arrival);
            info.pending_outputs -= 1;
            if info.pending_outputs == 0 {
                let ready = info.outputs_ready;
                self.queue.schedule(ready, Action::Loss, j, slot);
            }
        } else {
            self.x[base + j] = self.settings.activation.apply(z);
            for &e in t.outgoing(j) {
                self.send_forward(e, slot);
            }
        }
    }

    /// The loss agent has every output of `slot`: it answers each output neuron with its demand.
    fn loss(&mut self, slot: usize, data: &Split, schedule: &Schedule) {
        let t = self.topology;
        let base = slot * t.neurons();
        let outputs = t.outputs();
        let target = data.targets(schedule.sample(self.slots[slot].position));
        let range = base + outputs.start..base + outputs.end;
        let loss = self.settings.output.loss_and_demands(
            &self.x[range.clone()],
            target,
            &mut self.demand[range],
        );
        self.window_loss += loss;
        self.window_count += 1;
        for o in outputs {
            let arrival = self.now + self.attention_delay.sample(&mut self.attention_rng);
            self.messages.loss.sent += 1;
            self.messages.loss.delivered += 1;
            self.queue.schedule(arrival, Action::Credit, o, slot);
        }
    }

    /// Neuron `j` has its demand for `slot` (from the loss agent, or all its attention): it learns
    /// from it and pays attention to its inputs, or holds it until its batch is complete.
    fn credit(&mut self, j: usize, slot: usize, data: &Split, schedule: &Schedule) {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        if !t.is_output(j) {
            self.demand[k] = self.settings.activation.derivative(self.z[k]) * self.attention[k];
        }
        let position = self.slots[slot].position;
        let batch_len = schedule.batch_len(position);
        if self.rule.needs_gradient_norm() {
            self.held[j * self.settings.batch_size + self.credited[j] as usize] = slot as u32;
            self.credited[j] += 1;
            if self.credited[j] as usize == batch_len {
                self.release_batch(j, data, schedule);
            } else if t.is_output(j) {
                let info = &mut self.slots[slot];
                info.outputs_holding += 1;
                if info.outputs_holding as usize == t.outputs().len() {
                    // Every output waits for the rest of the batch: the sample leaves the pipeline.
                    info.parked = true;
                    self.active -= 1;
                    self.admit_while_possible(data, schedule);
                }
            }
        } else {
            self.accumulate(j, slot);
            self.pay_attention(j, slot, 1.0);
            self.credited[j] += 1;
            if self.credited[j] as usize == batch_len {
                self.apply(j, batch_len, Scales::UNIT);
            }
            self.finish_credit(slot, data, schedule);
        }
    }

    /// Adds sample `slot`'s `d x` to neuron `j`'s batch gradient.
    #[inline]
    fn accumulate(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let base = slot * t.neurons();
        let d = self.demand[base + j];
        for e in t.incoming(j) {
            self.gradient[e] += d * self.x[base + t.source(e)];
        }
        self.bias_gradient[j] += d;
    }

    /// Neuron `j` pays attention `coef · d · scale` for `slot` to each of its non-input sources.
    #[inline]
    fn pay_attention(&mut self, j: usize, slot: usize, scale: f64) {
        let t = self.topology;
        let n = t.neurons();
        let d = self.demand[slot * n + j] * scale;
        for e in self.attention_start[j]..t.incoming(j).end {
            let coef = match &self.feedback {
                Some(fb) => fb[e],
                None => self.params.weights[e],
            };
            let i = t.source(e);
            let arrival = self.now + self.attention_delay.sample(&mut self.attention_rng);
            self.messages.attention.sent += 1;
            self.messages.attention.delivered += 1;
            let k = slot * n + i;
            self.attention[k] += coef * d;
            self.attention_ready[k] = self.attention_ready[k].max(arrival);
            self.pending_attention[k] -= 1;
            if self.pending_attention[k] == 0 {
                self.queue
                    .schedule(self.attention_ready[k], Action::Credit, i, slot);
            }
        }
    }

    /// A norm-based rule's neuron `j` has its whole batch: it computes its gradient norm, pays the
    /// scaled attention for every held sample, then steps.
    fn release_batch(&mut self, j: usize, data: &Split, schedule: &Schedule) {
        let held_len = self.credited[j] as usize;
        let first = j * self.settings.batch_size;
        for h in first..first + held_len {
            self.accumulate(j, self.held[h] as usize);
        }
        let range = self.topology.incoming(j);
        let norm = self.gradient[range]
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt()
            / held_len as f64;
        let scales = self.rule.scales(norm);
        for h in first..first + held_len {
            self.pay_attention(j, self.held[h] as usize, scales.attention);
        }
        self.apply(j, held_len, scales);
        for h in first..first + held_len {
            self.finish_credit(self.held[h] as usize, data, schedule);
        }
    }

    /// Neuron `j` applies its step for a batch of `len` samples and starts a new batch.
    fn apply(&mut self, j: usize, len: usize, scales: Scales) {
        let range = self.topology.incoming(j);
        let inv = 1.0 / len as f64;
        let sgd = self.settings.sgd;
        sgd.apply(
            &mut self.params.weights[range.clone()],
            &mut self.velocity[range.clone()],
            &self.gradient[range.clone()],
            scales.weights * inv,
        );
        sgd.apply_one(
            &mut self.params.biases[j],
            &mut self.bias_velocity[j],
            self.bias_gradient[j],
            scales.bias * inv,
        );
        self.gradient[range].fill(0.0);
        self.bias_gradient[j] = 0.0;
        self.credited[j] = 0;
    }

    /// One more neuron is done with `slot`; when all are, the sample completes and frees its slot.
    fn finish_credit(&mut self, slot: usize, data: &Split, schedule: &Schedule) {
        let info = &mut self.slots[slot];
        info.remaining -= 1;
        if info.remaining > 0 {
            return;
        }
        if !info.parked {
            self.active -= 1;
        }
        self.free_slots.push(slot as u32);
        self.completed += 1;
        self.admit_while_possible(data, schedule);
    }

    fn admit_while_possible(&mut self, data: &Split, schedule: &Schedule) {
        while self.active < self.settings.in_flight
            && self.admitted < schedule.len()
            && !self.free_slots.is_empty()
        {
            self.admit(data, schedule);
        }
    }
}

impl Trainer for EventEngine<'_> {
    fn train(
        &mut self,
        data: &Split,
        schedule: &Schedule,
        observe: &mut dyn FnMut(&Checkpoint<'_>),
    ) -> TrainReport {
        let checkpoints = schedule.checkpoints();
        let mut next_checkpoint = 0;
        self.admit_while_possible(data, schedule);
        while let Some(event) = self.queue.pop() {
            self.now = event.time;
            self.events += 1;
            let (j, slot) = (event.neuron as usize, event.slot as usize);
            let completed_before = self.completed;
            match event.action {
                Action::Fire => self.fire(j, slot),
                Action::Loss => self.loss(slot, data, schedule),
                Action::Credit => self.credit(j, slot, data, schedule),
            }
            if self.completed != completed_before {
                while next_checkpoint < checkpoints.len()
                    && checkpoints[next_checkpoint] <= self.completed
                {
                    next_checkpoint += 1;
                    observe(&Checkpoint {
                        samples_seen: self.completed,
                        sim_ticks: self.now,
                        train_loss: (self.window_count > 0)
                            .then(|| self.window_loss / self.window_count as f64),
                        params: &self.params,
                        messages: self.messages,
                    });
                    self.window_loss = 0.0;
                    self.window_count = 0;
                }
            }
        }
        TrainReport {
            samples_seen: self.completed,
            sim_ticks: self.now,
            events: self.events,
            messages: self.messages,
        }
    }

    fn params(&self) -> Params {
        self.params.clone()
    }
}
