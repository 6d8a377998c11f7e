//! The forward wave: admitting a sample, sending activations, firing, and the loss agent that turns
//! output values into demands.

use super::scheduler::Action;
use super::{EventEngine, Phase, SlotInfo, Wave};
use crate::data::Split;
use crate::scenario::MissingInput;
use crate::trainer::{Kind, Schedule};

impl EventEngine<'_> {
    /// Puts the next schedule position into a free slot at the current time; faults timed by that
    /// sample happen first, then its input neurons send the sample's features.
    pub(super) fn admit(&mut self, data: &Split, schedule: &Schedule) {
        let position = self.admitted;
        let mut actions = std::mem::take(&mut self.fault_actions);
        self.faults.on_admission(position as u64, &mut actions);
        for &action in &actions {
            self.apply_fault(action);
        }
        self.fault_actions = actions;

        let t = self.topology;
        let n = t.neurons();
        let slot = self
            .free_slots
            .pop()
            .expect("a slot is free when admitting") as usize;
        self.admitted += 1;
        self.active += 1;
        self.in_use[slot] = true;
        let base = slot * n;
        for j in t.inputs().end..n {
            let k = base + j;
            self.phase[k] = Phase::Waiting;
            self.scheduled[k] = u64::MAX;
            self.forward[k] = Wave::new(t.incoming(j).len() as u32);
            self.backward[k] = Wave::new(if t.is_output(j) {
                1
            } else {
                t.out_degree(j) as u32
            });
            self.attention[k] = 0.0;
        }
        let info = &mut self.slots[slot];
        *info = SlotInfo {
            position,
            generation: info.generation.wrapping_add(1),
            remaining: (n - t.inputs().len()) as u32,
            outputs_holding: 0,
            parked: false,
            loss: Wave::new(t.outputs().len() as u32),
            loss_scheduled: u64::MAX,
            loss_done: false,
        };
        self.trace("admit", None, Some(position));
        let features = data.features(schedule.sample(position));
        // Every input sends at this tick: plan each receiver once, after all have sent, rather than
        // every time its first arrival moves earlier.
        self.deferring = !self.reliable;
        for (i, &value) in t.inputs().zip(features) {
            self.x[base + i] = value;
            if self.down[i] == 0 {
                self.send_forward_from(i, slot, value);
            } else {
                for e in t.outgoing(i) {
                    self.forward_missing(e, slot);
                }
            }
        }
        if self.deferring {
            self.deferring = false;
            for j in t.inputs().end..n {
                self.forward_progress(j, slot);
            }
        }
    }

    /// Sends neuron `i`'s `value` over all its outgoing synapses for the sample in `slot`.
    ///
    /// The common case — one link class without drops, nothing cut, nobody down — takes a tight loop
    /// that only draws the delay and updates the receiver; message counts are added per layer at once.
    #[inline]
    pub(super) fn send_forward_from(&mut self, i: usize, slot: usize, value: f64) {
        let t = self.topology;
        let Some(class) = self.links.uniform().filter(|_| self.neurons_down == 0) else {
            for e in t.outgoing(i) {
                self.send_forward(e, slot, value);
            }
            return;
        };
        let delay = class.forward_delay.clone();
        let n = t.neurons();
        let m = t.synapses();
        if self.reliable {
            // Every message arrives and nobody fires early: count down and fire at the last arrival.
            for e in t.outgoing(i) {
                let j = t.target(e);
                let arrival = self.now + delay.sample(&mut self.forward_rng);
                let k = slot * n + j;
                let wave = &mut self.forward[k];
                wave.arrive(arrival);
                if wave.unaccounted == 0 {
                    let last = wave.last;
                    self.scheduled[k] = last;
                    self.schedule(last, Action::Fire, j, slot);
                }
            }
            self.count_sent_forward(i);
            return;
        }
        for e in t.outgoing(i) {
            let j = t.target(e);
            let k = slot * n + j;
            let q = slot * m + e;
            if self.links.drops(0, true, &mut self.drop_rng) {
                let counts = self.messages.at(Kind::Forward, t.layer_of(j));
                counts.dropped += 1;
                counts.delivered -= 1;
                self.input_arrival[q] = u64::MAX;
                self.forward[k].unaccounted -= 1;
                if self.forward[k].unaccounted == 0 && !self.deferring {
                    self.forward_progress(j, slot);
                }
                continue;
            }
            let arrival = self.now + delay.sample(&mut self.forward_rng);
            if self.phase[k] != Phase::Waiting {
                self.forward[k].unaccounted -= 1;
                self.note_late(arrival, Kind::Forward, t.layer_of(j));
                continue;
            }
            let wave = &mut self.forward[k];
            let first = wave.first;
            wave.arrive(arrival);
            let replan = arrival < first || wave.unaccounted == 0;
            self.input_arrival[q] = arrival;
            self.input_value[q] = value;
            if replan && !self.deferring {
                self.forward_progress(j, slot);
            }
        }
        // Counted as delivered above; the dropped ones were taken back out.
        self.count_sent_forward(i);
    }

    /// Counts neuron `i`'s forward messages as sent and delivered, per target layer.
    #[inline]
    pub(super) fn count_sent_forward(&mut self, i: usize) {
        for &(layer, count) in
            &self.out_layers[self.out_layer_start[i]..self.out_layer_start[i + 1]]
        {
            let counts = self.messages.at(Kind::Forward, layer as usize);
            counts.sent += count as u64;
            counts.delivered += count as u64;
        }
    }

    /// Sends `value` over synapse `e` for the sample in `slot`: drawn dropped, or delivered at a
    /// drawn arrival tick.
    pub(super) fn send_forward(&mut self, e: usize, slot: usize, value: f64) {
        let t = self.topology;
        let j = t.target(e);
        let layer = t.layer_of(j);
        self.messages.at(Kind::Forward, layer).sent += 1;
        let class = self.links.class_of(e);
        if self.links.is_cut(e)
            || self.down[j] > 0
            || self.links.drops(class, true, &mut self.drop_rng)
        {
            self.messages.at(Kind::Forward, layer).dropped += 1;
            self.forward_missing(e, slot);
            return;
        }
        let delay = &self.links.synapse(e).forward_delay;
        let arrival = self.now + delay.sample(&mut self.forward_rng);
        self.messages.at(Kind::Forward, layer).delivered += 1;
        let k = slot * t.neurons() + j;
        self.forward[k].unaccounted -= 1;
        if self.phase[k] != Phase::Waiting {
            self.note_late(arrival, Kind::Forward, layer);
            return;
        }
        if !self.reliable {
            let q = slot * t.synapses() + e;
            self.input_arrival[q] = arrival;
            self.input_value[q] = value;
        }
        self.forward[k].arrived += 1;
        let first = self.forward[k].first;
        self.forward[k].first = first.min(arrival);
        self.forward[k].last = self.forward[k].last.max(arrival);
        // The planned firing time only moves when the first arrival does or the wave is complete.
        if (arrival < first || self.forward[k].unaccounted == 0) && !self.deferring {
            self.forward_progress(j, slot);
        }
    }

    /// No forward message will come over synapse `e` for `slot`.
    pub(super) fn forward_missing(&mut self, e: usize, slot: usize) {
        let t = self.topology;
        let j = t.target(e);
        if !self.reliable {
            self.input_arrival[slot * t.synapses() + e] = u64::MAX;
        }
        let k = slot * t.neurons() + j;
        self.forward[k].unaccounted -= 1;
        if !self.deferring {
            self.forward_progress(j, slot);
        }
    }

    /// Re-plans when neuron `j` fires for `slot`, or sits the sample out if nothing will arrive.
    pub(super) fn forward_progress(&mut self, j: usize, slot: usize) {
        let k = slot * self.topology.neurons() + j;
        if self.phase[k] != Phase::Waiting {
            return;
        }
        let expected = self.topology.incoming(j).len() as u32;
        let Some(candidate) = self.forward[k].plan(expected, self.timeout) else {
            self.sit_out(j, slot);
            return;
        };
        if candidate < self.scheduled[k] {
            self.scheduled[k] = candidate;
            self.schedule(candidate, Action::Fire, j, slot);
        }
    }

    /// Neuron `j` fires for `slot` with the inputs that have arrived.
    pub(super) fn fire(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let n = t.neurons();
        let k = slot * n + j;
        self.phase[k] = Phase::Fired;
        self.scheduled[k] = u64::MAX;
        self.updates_at_fire[k] = self.updates_applied[j];
        let position = self.slots[slot].position;
        self.trace("fire", Some(j), Some(position));
        let mut z = self.params.biases[j];
        if self.reliable {
            let base = slot * n;
            for e in t.incoming(j) {
                z += self.params.weights[e] * self.x[base + t.source(e)];
            }
        } else {
            let last_value = self.settings.links.missing_input == MissingInput::LastValue;
            let layer = t.layer_of(j);
            for e in t.incoming(j) {
                let q = slot * t.synapses() + e;
                let arrival = self.input_arrival[q];
                let value = if arrival <= self.now {
                    self.input_value[q]
                } else {
                    if arrival != u64::MAX {
                        self.note_late(arrival, Kind::Forward, layer);
                    }
                    let fallback = if last_value { self.last_input[e] } else { 0.0 };
                    self.input_value[q] = fallback;
                    fallback
                };
                self.last_input[e] = value;
                z += self.params.weights[e] * value;
            }
        }
        self.z[k] = z;
        if t.is_output(j) {
            self.x[k] = z;
            let o = j - t.outputs().start;
            let layer = t.layer_of(j);
            self.messages.at(Kind::Loss, layer).sent += 1;
            if self
                .links
                .drops(self.links.loss_class(), true, &mut self.drop_rng)
            {
                self.messages.at(Kind::Loss, layer).dropped += 1;
                self.loss_missing(slot, o);
            } else {
                let delay = &self.links.loss().forward_delay;
                let arrival = self.now + delay.sample(&mut self.forward_rng);
                self.messages.at(Kind::Loss, layer).delivered += 1;
                self.loss_receive(slot, o, arrival, z);
            }
        } else {
            let x = self.settings.activation.apply(z);
            self.x[k] = x;
            self.send_forward_from(j, slot, x);
        }
        // Attention may have arrived before the neuron fired (its downstream timed out on it).
        self.backward_progress(j, slot);
    }

    /// Neuron `j` will not fire for `slot`: its messages are missing downstream and the attention it
    /// would have paid is missing upstream.
    pub(super) fn sit_out(&mut self, j: usize, slot: usize) {
        let t = self.topology;
        let k = slot * t.neurons() + j;
        self.phase[k] = Phase::Done;
        self.scheduled[k] = u64::MAX;
        if t.is_output(j) {
            self.loss_missing(slot, j - t.outputs().start);
        } else {
            for e in t.outgoing(j) {
                self.forward_missing(e, slot);
            }
        }
        for e in self.attention_start[j]..t.incoming(j).end {
            self.attention_missing(e, slot);
        }
        self.finish(slot);
    }

    pub(super) fn loss_receive(&mut self, slot: usize, o: usize, arrival: u64, value: f64) {
        let layer = self.topology.layers().len() - 1;
        let info = &mut self.slots[slot];
        if info.loss_done {
            info.loss.unaccounted -= 1;
            self.note_late(arrival, Kind::Loss, layer);
            return;
        }
        info.loss.arrive(arrival);
        if !self.reliable {
            let q = slot * self.last_output.len() + o;
            self.output_arrival[q] = arrival;
            self.output_value[q] = value;
        }
        self.loss_progress(slot);
    }

    pub(super) fn loss_missing(&mut self, slot: usize, o: usize) {
        if !self.reliable {
            self.output_arrival[slot * self.last_output.len() + o] = u64::MAX;
        }
        self.slots[slot].loss.unaccounted -= 1;
        self.loss_progress(slot);
    }

    pub(super) fn loss_progress(&mut self, slot: usize) {
        let info = self.slots[slot];
        if info.loss_done {
            return;
        }
        let outputs = self.last_output.len() as u32;
        let Some(candidate) = info.loss.plan(outputs, self.timeout) else {
            // No output reached the loss agent: nothing to learn from this sample.
            self.slots[slot].loss_done = true;
            self.samples_without_loss += 1;
            for j in self.topology.outputs() {
                self.demand_missing(j, slot);
            }
            return;
        };
        if candidate < info.loss_scheduled {
            self.slots[slot].loss_scheduled = candidate;
            self.schedule(candidate, Action::Loss, 0, slot);
        }
    }

    /// The loss agent answers each output neuron of `slot` with its demand.
    pub(super) fn loss(&mut self, slot: usize, data: &Split, schedule: &Schedule) {
        let t = self.topology;
        let base = slot * t.neurons();
        let outputs = t.outputs();
        let layer = t.layers().len() - 1;
        self.slots[slot].loss_done = true;
        let position = self.slots[slot].position;
        self.trace("loss", None, Some(position));
        let mut values = std::mem::take(&mut self.loss_values);
        for (o, j) in outputs.clone().enumerate() {
            values[o] = if self.reliable {
                self.x[base + j]
            } else {
                let q = slot * outputs.len() + o;
                let arrival = self.output_arrival[q];
                if arrival <= self.now {
                    self.last_output[o] = self.output_value[q];
                    self.output_value[q]
                } else {
                    if arrival != u64::MAX {
                        self.note_late(arrival, Kind::Loss, layer);
                    }
                    match self.settings.links.missing_input {
                        MissingInput::LastValue => self.last_output[o],
                        MissingInput::Zero => 0.0,
                    }
                }
            };
        }
        let target = data.targets(schedule.sample(position));
        let loss = self
            .settings
            .output
            .loss_and_demands(&values, target, &mut self.loss_demands);
        self.loss_values = values;
        self.window_loss += loss;
        self.window_count += 1;
        for (o, j) in outputs.enumerate() {
            self.messages.at(Kind::Loss, layer).sent += 1;
            if self.down[j] > 0
                || self
                    .links
                    .drops(self.links.loss_class(), false, &mut self.drop_rng)
            {
                self.messages.at(Kind::Loss, layer).dropped += 1;
                self.demand_missing(j, slot);
                continue;
            }
            let delay = &self.links.loss().attention_delay;
            let arrival = self.now + delay.sample(&mut self.attention_rng);
            self.messages.at(Kind::Loss, layer).delivered += 1;
            let k = base + j;
            self.backward[k].unaccounted -= 1;
            if self.phase[k] != Phase::Fired {
                self.note_late(arrival, Kind::Loss, layer);
                continue;
            }
            self.demand[k] = self.loss_demands[o];
            self.backward[k].arrived += 1;
            self.backward[k].first = self.backward[k].first.min(arrival);
            self.backward[k].last = self.backward[k].last.max(arrival);
            self.backward_progress(j, slot);
        }
    }

    pub(super) fn demand_missing(&mut self, j: usize, slot: usize) {
        let k = slot * self.topology.neurons() + j;
        self.backward[k].unaccounted -= 1;
        self.backward_progress(j, slot);
    }
}
