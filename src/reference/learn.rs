//! The reference simulator's backward wave and learning: plain per-neuron batches, the greedy
//! rule's held batches and layer board, and attention paid message by message.

use super::{MessageKind, Phase, ReferenceEngine};
use crate::rule::{Feedback, LayerNorms, Scales};
use crate::scenario::SendPolicy;
use crate::trainer::Schedule;

impl ReferenceEngine<'_> {
    pub(super) fn give_up(&mut self, position: usize, j: usize) {
        self.neuron(position, j).phase = Phase::Done;
        self.abandon(position, j);
    }

    /// Done without learning: attention missing upstream, absent on the board, one less neuron.
    pub(super) fn abandon(&mut self, position: usize, j: usize) {
        let t = self.t;
        for e in t.incoming(j) {
            if !t.is_input(t.source(e)) {
                self.not_coming(MessageKind::Attention, position, e);
            }
        }
        if self.plan.rule.needs_gradient_norm() {
            self.post(j, position as u64, None);
        }
        self.finish(position);
    }

    pub(super) fn credit(&mut self, position: usize, j: usize, schedule: &Schedule) {
        let t = self.t;
        self.tracer
            .event(self.now, "credit", Some(j), Some(position));
        if !t.is_output(j) {
            let mut received = 0.0;
            for e in t.outgoing(j) {
                received += match self.samples[&position].neurons[j].backward.arrived.get(&e) {
                    Some(&(_, a)) => a,
                    None => match self.plan.learning.estimation {
                        Some(_) => self.estimate[e].unwrap_or(0.0),
                        None => 0.0,
                    },
                };
            }
            let activation = self.plan.learning.activation;
            let state = self.neuron(position, j);
            state.demand = activation.derivative_at(state.z, state.x) * received;
        }
        let batch_len = schedule.batch_len(position);
        self.batch[j].push(position);
        if self.plan.rule.needs_gradient_norm() {
            self.neuron(position, j).phase = Phase::Held;
            if self.batch[j].len() == batch_len {
                let mut held = std::mem::take(&mut self.batch[j]);
                held.sort_unstable();
                let key = held[held.len() - 1] as u64;
                self.release(j, key, held);
            } else if t.is_output(j) {
                let s = self.samples.get_mut(&position).expect("in flight");
                s.outputs_holding += 1;
                if s.outputs_holding == t.outputs().len() {
                    s.parked = true;
                    self.active -= 1;
                }
            }
            return;
        }
        self.accumulate(j, position);
        self.pay(j, position, 1.0);
        if self.batch[j].len() >= batch_len {
            let batch = std::mem::take(&mut self.batch[j]);
            let latest = *batch.iter().max().expect("a batch has samples");
            self.apply(j, batch.len(), Scales::UNIT, latest);
        }
        self.neuron(position, j).phase = Phase::Done;
        self.finish(position);
    }

    pub(super) fn accumulate(&mut self, j: usize, position: usize) {
        let state = &self.samples[&position].neurons[j];
        let d = state.demand;
        for e in self.t.incoming(j) {
            let x = if self.plan.links.timed() {
                state.used[&e]
            } else {
                self.samples[&position].neurons[self.t.source(e)].x
            };
            self.gradient[e] += d * x;
        }
        self.bias_gradient[j] += d;
    }

    /// Neuron `j` steps for a batch of `len` samples whose latest is at schedule position
    /// `latest`: the rate of that position; at its first update of a later task, with fresh
    /// optimizers per task, its momentum is zeroed first.
    pub(super) fn apply(&mut self, j: usize, len: usize, scales: Scales, latest: usize) {
        let range = self.t.incoming(j);
        if self.course.starts_afresh(&mut self.task[j], latest) {
            self.velocity[range.clone()].fill(0.0);
            self.bias_velocity[j] = 0.0;
        }
        let sgd = self.course.sgd_at(self.plan.learning.sgd, latest);
        let inv = 1.0 / len as f64;
        let mut none = [];
        let velocity = if sgd.momentum == 0.0 {
            &mut none[..]
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
        self.updates[j] += 1;
        if self.observing {
            self.updated.push(j);
        }
    }

    /// The greedy rule's batch is complete at `key`: norm, then pay and step now or after the board.
    pub(super) fn release(&mut self, j: usize, key: u64, held: Vec<usize>) {
        for &p in &held {
            self.accumulate(j, p);
        }
        let range = self.t.incoming(j);
        let norm = self.gradient[range.clone()]
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt()
            / held.len() as f64;
        match self.plan.rule.scales(norm) {
            Some(scales) => self.pay_and_step(j, &held, scales),
            None => {
                self.gradient[range].fill(0.0);
                self.bias_gradient[j] = 0.0;
                self.waiting.push((self.t.layer_of(j), key, j, norm, held));
            }
        }
        self.post(j, key, Some(norm));
    }

    pub(super) fn pay_and_step(&mut self, j: usize, held: &[usize], scales: Scales) {
        for &p in held {
            self.pay(j, p, scales.attention);
        }
        let latest = *held.iter().max().expect("a batch has samples");
        self.apply(j, held.len(), scales, latest);
        for &p in held {
            self.neuron(p, j).phase = Phase::Done;
            self.finish(p);
        }
    }

    /// Neuron `j` posts its norm (or absence) for batch `key`; the last post resolves the waiting.
    pub(super) fn post(&mut self, j: usize, key: u64, norm: Option<f64>) {
        let layer = self.t.layer_of(j);
        let range = self.t.layers()[layer].clone();
        let entry = self
            .board
            .entry((layer, key))
            .or_insert_with(|| vec![None; range.len()]);
        entry[j - range.start] = Some(norm);
        if entry.iter().any(Option::is_none) {
            return;
        }
        let posted = self.board.remove(&(layer, key)).expect("just completed");
        let norms: Vec<f64> = posted.into_iter().flatten().flatten().collect();
        let norms = LayerNorms::of(&norms);
        loop {
            let next = self
                .waiting
                .iter()
                .enumerate()
                .filter(|(_, w)| w.0 == layer && w.1 == key)
                .min_by_key(|(_, w)| w.2)
                .map(|(i, _)| i);
            let Some(i) = next else { return };
            let (_, _, neuron, norm, held) = self.waiting.swap_remove(i);
            for &p in &held {
                self.accumulate(neuron, p);
            }
            let scales = self.plan.rule.scales_in_layer(norm, &norms);
            self.pay_and_step(neuron, &held, scales);
        }
    }

    /// Neuron `j` pays `w · d · scale` for the sample to each of its non-input sources.
    pub(super) fn pay(&mut self, j: usize, position: usize, scale: f64) {
        let t = self.t;
        let (d, at_fire) = {
            let s = &self.samples[&position].neurons[j];
            (s.demand * scale, s.updates_at_fire)
        };
        let sources: Vec<usize> = t
            .incoming(j)
            .filter(|&e| !t.is_input(t.source(e)))
            .collect();
        if sources.is_empty() {
            return;
        }
        let stale = self.updates[j] - at_fire;
        self.staleness.count += 1;
        self.staleness.sum += stale;
        self.staleness.max = self.staleness.max.max(stale);
        let policy = self.plan.learning.estimation.map(|e| e.send);
        let paid = self.payments[j];
        self.payments[j] += 1;
        for e in sources {
            let coef = match self.plan.rule.feedback() {
                Feedback::FixedRandom => self.plan.feedback[e],
                Feedback::ForwardWeights => self.params.weights[e],
            };
            let a = coef * d;
            let suppressed = match policy {
                None | Some(SendPolicy::Always) => false,
                Some(SendPolicy::EveryK(k)) => paid % u64::from(k.max(1)) != 0,
                Some(SendPolicy::Threshold(delta)) => match self.last_sent[e] {
                    Some(last) if (a - last).abs() <= delta => true,
                    _ => {
                        self.last_sent[e] = Some(a);
                        false
                    }
                },
            };
            self.send(
                MessageKind::Attention,
                position,
                e,
                (!suppressed).then_some(a),
            );
        }
    }
}
