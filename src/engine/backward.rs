//! The backward wave: attention travelling back, neurons learning from their demand, paying
//! attention to their inputs, and applying their steps.

use super::scheduler::Action;
use super::{EventEngine, Phase};
use crate::data::Split;
use crate::rule::Scales;
use crate::scenario::SendPolicy;
use crate::trainer::{Kind, Schedule};

impl EventEngine<'_> {
    /// Re-plans when neuron `i` learns from `slot`, or gives the sample up if no attention will come.
    pub(super) fn backward_progress(&mut self, i: usize, slot: usize) {
        let t = self.topology;
        let k = slot * t.neurons() + i;
        if self.phase[k] != Phase::Fired {
            return;
        }
        let expected = if t.is_output(i) {
            1
        } else {
            t.out_degree(i) as u32
        };
        let Some(candidate) = self.backward[k].plan(expected, self.timeout) else {
            self.give_up(i, slot);
            return;
        };
        if candidate < self.scheduled[k] {
            self.scheduled[k] = candidate;
            self.schedule(candidate, Action::Credit, i, slot);
        }
    }

    /// Neuron `j` learns nothing from `slot`: the attention it would have paid is missing upstream.
    pub(super) fn give_up(&mut self, j: usize, slot: usize) {
        let k = slot * self.topology.neurons() + j;
        self.phase[k] = Phase::Done;
        self.scheduled[k] = u64::MAX;
        for e in self.attention_start[j]..self.topology.incoming(j).end {
            self.attention_missing(e, slot);
        }
        self.finish(slot);
    }

    /// No attention message will come back over synapse `e` for `slot`.
    pub(super) fn attention_missing(&mut self, e: usize, slot: usize) {
        let t = self.topology;
        let i = t.source(e);
        if !self.reliable {
            self.attention_arrival[slot * t.synapses() + e] = u64::MAX;
        }
        let k = slot * t.neurons() + i;
        self.backward[k].unaccounted -= 1;
        self.backward_progress(i, slot);
    }

    /// Attention over synapse `e` for `slot` arrives at its source at `arrival`: `Some(a)` when it
    /// was sent, `None` when it was suppressed and the receiver uses its estimate.
    #[inline]
    pub(super) fn deliver_attention(
        &mut self,
        e: usize,
        slot: usize,
        arrival: u64,
        value: Option<f64>,
    ) {
        let t = self.topology;
        let i = t.source(e);
        let k = slot * t.neurons() + i;
        self.backward[k].unaccounted -= 1;
        if self.phase[k] == Phase::Done {
            if value.is_some() {
                self.note_late(arrival, Kind::Attention, t.layer_of(t.target(e)));
            }
            return;
        }
        if self.reliable {
            let received = match (&mut self.estimation, value) {
                (Some(est), Some(a)) => {
                    est.observe(e, a);
                    a
                }
                (Some(est), None) => est.estimate(e),
                (None, value) => value.unwrap_or(0.0),
            };
            self.attention[k] += received;
        } else {
            let q = slot * t.synapses() + e;
            self.attention_arrival[q] = arrival;
            self.attention_value[q] = value.unwrap_or(f64::NAN);
        }
        self.backward[k].arrived += 1;
        let first = self.backward[k].first;
        self.backward[k].first = first.min(arrival);
        self.backward[k].last = self.backward[k].last.max(arrival);
        if arrival < first || self.backward[k].unaccounted == 0 {
            self.backward_progress(i, slot);
        }
    }

    /// The attention neuron `j` has for `slot` now: with unreliable links, on-time messages, and
    /// estimates (or nothing) for the missing and late ones.
    pub(super) fn attention_received(&mut self, j: usize, slot: usize) -> f64 {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        if self.reliable {
            return self.attention[k];
        }
        let mut sum = 0.0;
        for e in t.outgoing(j) {
            let q = slot * t.synapses() + e;
            let arrival = self.attention_arrival[q];
            let on_time = arrival <= self.now;
            let value = self.attention_value[q];
            if !on_time && arrival != u64::MAX && !value.is_nan() {
                self.note_late(arrival, Kind::Attention, t.layer_of(t.target(e)));
            }
            sum += match &mut self.estimation {
                Some(est) if on_time && !value.is_nan() => {
                    est.observe(e, value);
                    value
                }
                Some(est) => est.estimate(e),
                None if on_time => value,
                None => 0.0,
            };
        }
        sum
    }

    /// Neuron `j` has its demand for `slot` (from the loss agent, or its attention): it learns from
    /// it and pays attention to its inputs, or holds it until its batch is complete.
    pub(super) fn credit(&mut self, j: usize, slot: usize, data: &Split, schedule: &Schedule) {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        self.scheduled[k] = u64::MAX;
        let position = self.slots[slot].position;
        self.trace("credit", Some(j), Some(position));
        if !t.is_output(j) {
            let received = self.attention_received(j, slot);
            self.demand[k] =
                self.settings.activation.derivative_at(self.z[k], self.x[k]) * received;
        }
        let batch_len = schedule.batch_len(position);
        if self.rule.needs_gradient_norm() && self.settings.batch_size > 1 {
            self.held[j * self.settings.batch_size + self.credited[j] as usize] = slot as u32;
            self.credited[j] += 1;
            if self.credited[j] as usize == batch_len {
                self.release_batch(j);
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
            return;
        }
        if self.direct {
            self.pay_attention(j, slot, 1.0);
            self.step_directly(j, slot);
            self.phase[k] = Phase::Done;
            self.finish(slot);
            return;
        }
        self.accumulate(j, slot);
        let scales = if self.rule.needs_gradient_norm() {
            {
                let norm = self.gradient_norm(j, 1);
                self.rule.scales(norm).unwrap_or_else(|| {
                    self.rule
                        .scales_in_layer(norm, &crate::rule::LayerNorms::of(&[norm]))
                })
            }
        } else {
            Scales::UNIT
        };
        self.pay_attention(j, slot, scales.attention);
        self.credited[j] += 1;
        if self.credited[j] as usize >= batch_len {
            let len = self.credited[j] as usize;
            self.apply(j, len, scales);
        }
        self.phase[k] = Phase::Done;
        self.finish(slot);
    }

    /// Adds sample `slot`'s `d x` to neuron `j`'s batch gradient, with the inputs `j` used.
    #[inline]
    pub(super) fn accumulate(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let base = slot * t.neurons();
        let d = self.demand[base + j];
        if self.reliable {
            for e in t.incoming(j) {
                self.gradient[e] += d * self.x[base + t.source(e)];
            }
        } else {
            let edges = slot * t.synapses();
            for e in t.incoming(j) {
                self.gradient[e] += d * self.input_value[edges + e];
            }
        }
        self.bias_gradient[j] += d;
    }

    /// Neuron `j` steps on sample `slot` alone: `w ← w + lr·(d x)`, the arithmetic of a batch of one.
    #[inline]
    pub(super) fn step_directly(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let base = slot * t.neurons();
        let d = self.demand[base + j];
        let lr = self.settings.sgd.lr;
        if self.reliable {
            for e in t.incoming(j) {
                self.params.weights[e] += lr * (d * self.x[base + t.source(e)]);
            }
        } else {
            let edges = slot * t.synapses();
            for e in t.incoming(j) {
                self.params.weights[e] += lr * (d * self.input_value[edges + e]);
            }
        }
        self.params.biases[j] += lr * d;
        self.updates_applied[j] += 1;
    }

    /// Norm of neuron `j`'s mean gradient over `len` samples.
    pub(super) fn gradient_norm(&self, j: usize, len: usize) -> f64 {
        let range = self.topology.incoming(j);
        self.gradient[range]
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt()
            / len as f64
    }

    /// Neuron `j` pays attention `coef · d · scale` for `slot` to each of its non-input sources,
    /// unless its send policy suppresses it.
    pub(super) fn pay_attention(&mut self, j: usize, slot: usize, scale: f64) {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        let d = self.demand[k] * scale;
        let range = self.attention_start[j]..t.incoming(j).end;
        if range.is_empty() {
            return;
        }
        let stale = self.updates_applied[j] - self.updates_at_fire[k];
        self.staleness.count += 1;
        self.staleness.sum += stale;
        self.staleness.max = self.staleness.max.max(stale);
        let every_k_sends = match &mut self.estimation {
            Some(est) => {
                let paid = est.payments[j];
                est.payments[j] += 1;
                match est.config.send {
                    SendPolicy::EveryK(every) => paid % every.max(1) as u64 == 0,
                    _ => true,
                }
            }
            None => true,
        };
        let layer = t.layer_of(j);
        if self.reliable && self.estimation.is_none() {
            if let Some(delay) = self
                .links
                .plain_attention()
                .filter(|_| self.neurons_down == 0)
            {
                // Every message arrives: add it to the receiver's sum and count down.
                let delay = delay.clone();
                let n = t.neurons();
                let count = range.len() as u64;
                for e in range {
                    let coef = match &self.feedback {
                        Some(fb) => fb[e],
                        None => self.params.weights[e],
                    };
                    let i = t.source(e);
                    let arrival = self.now + delay.sample(&mut self.attention_rng);
                    let k = slot * n + i;
                    self.attention[k] += coef * d;
                    let wave = &mut self.backward[k];
                    wave.unaccounted -= 1;
                    wave.arrived += 1;
                    wave.last = wave.last.max(arrival);
                    if wave.unaccounted == 0 && self.phase[k] == Phase::Fired {
                        let last = wave.last;
                        self.scheduled[k] = last;
                        self.schedule(last, Action::Credit, i, slot);
                    }
                }
                let counts = self.messages.at(Kind::Attention, layer);
                counts.sent += count;
                counts.delivered += count;
                return;
            }
        }
        let sends_always = self
            .estimation
            .as_ref()
            .is_none_or(|est| est.config.send == SendPolicy::Always);
        if let Some(class) = self
            .links
            .uniform()
            .filter(|_| sends_always && self.neurons_down == 0)
        {
            // One link class, nothing cut, nobody down: only drops and delays to draw.
            let delay = class.attention_delay.clone();
            let count = range.len() as u64;
            let mut dropped = 0;
            for e in range {
                let coef = match &self.feedback {
                    Some(fb) => fb[e],
                    None => self.params.weights[e],
                };
                if self.links.drops(0, false, &mut self.drop_rng) {
                    dropped += 1;
                    self.attention_missing(e, slot);
                    continue;
                }
                let arrival = self.now + delay.sample(&mut self.attention_rng);
                self.deliver_attention(e, slot, arrival, Some(coef * d));
            }
            let counts = self.messages.at(Kind::Attention, layer);
            counts.sent += count;
            counts.dropped += dropped;
            counts.delivered += count - dropped;
            return;
        }
        for e in range {
            let coef = match &self.feedback {
                Some(fb) => fb[e],
                None => self.params.weights[e],
            };
            let a = coef * d;
            let suppressed = match &mut self.estimation {
                None => false,
                Some(est) => match est.config.send {
                    SendPolicy::Always => false,
                    SendPolicy::EveryK(_) => !every_k_sends,
                    SendPolicy::Threshold(delta) => {
                        let quiet = est.has_sent[e] && (a - est.last_sent[e]).abs() <= delta;
                        if !quiet {
                            est.has_sent[e] = true;
                            est.last_sent[e] = a;
                        }
                        quiet
                    }
                },
            };
            if suppressed {
                self.messages.at(Kind::Attention, layer).suppressed += 1;
                let delay = &self.links.synapse(e).attention_delay;
                let arrival = self.now + delay.sample(&mut self.attention_rng);
                self.deliver_attention(e, slot, arrival, None);
                continue;
            }
            self.messages.at(Kind::Attention, layer).sent += 1;
            let i = t.source(e);
            if self.links.is_cut(e)
                || self.down[i] > 0
                || self
                    .links
                    .drops(self.links.class_of(e), false, &mut self.drop_rng)
            {
                self.messages.at(Kind::Attention, layer).dropped += 1;
                self.attention_missing(e, slot);
                continue;
            }
            let delay = &self.links.synapse(e).attention_delay;
            let arrival = self.now + delay.sample(&mut self.attention_rng);
            self.messages.at(Kind::Attention, layer).delivered += 1;
            self.deliver_attention(e, slot, arrival, Some(a));
        }
    }

    /// A norm-based rule's neuron `j` has its whole batch: it computes its gradient norm, pays the
    /// scaled attention for every held sample, then steps.
    pub(super) fn release_batch(&mut self, j: usize) {
        let held_len = self.credited[j] as usize;
        let first = j * self.settings.batch_size;
        for h in first..first + held_len {
            self.accumulate(j, self.held[h] as usize);
        }
        let scales = {
            let norm = self.gradient_norm(j, held_len);
            self.rule.scales(norm).unwrap_or_else(|| {
                self.rule
                    .scales_in_layer(norm, &crate::rule::LayerNorms::of(&[norm]))
            })
        };
        for h in first..first + held_len {
            self.pay_attention(j, self.held[h] as usize, scales.attention);
        }
        self.apply(j, held_len, scales);
        let n = self.topology.neurons();
        for h in first..first + held_len {
            let slot = self.held[h] as usize;
            self.phase[slot * n + j] = Phase::Done;
            self.finish(slot);
        }
    }

    /// Neuron `j` applies its step for a batch of `len` samples and starts a new batch.
    pub(super) fn apply(&mut self, j: usize, len: usize, scales: Scales) {
        let range = self.topology.incoming(j);
        let inv = 1.0 / len as f64;
        let sgd = self.settings.sgd;
        let velocity = if self.velocity.is_empty() {
            &mut []
        } else {
            &mut self.velocity[range.clone()]
        };
        sgd.apply(
            &mut self.params.weights[range.clone()],
            velocity,
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
        self.updates_applied[j] += 1;
    }
}
