//! The reference simulator's faults: crashes abandon samples (messages on their way then arrive
//! late, as any delivery to a closed wave), recoveries, cuts.

use super::{MessageKind, Phase, ReferenceEngine};
use crate::plan::FaultAction;
use crate::topology::{NeuronId, SynapseId};

impl ReferenceEngine<'_> {
    pub(super) fn fault(&mut self, action: FaultAction) {
        let plan = self.plan;
        match action {
            FaultAction::Crash { neuron } => self.crash(neuron),
            FaultAction::Recover { neuron, lose_state } => self.recover(neuron, lose_state),
            FaultAction::Cut { group } => {
                plan.faults.group(group).iter().for_each(|&e| self.cut(e));
                self.tracer.event(self.now, "cut", None, None);
            }
            FaultAction::Repair { group } => {
                plan.faults
                    .group(group)
                    .iter()
                    .for_each(|&e| self.repair(e));
                self.tracer.event(self.now, "repair", None, None);
            }
            FaultAction::CutSynapse { synapse } => {
                self.cut(synapse);
                self.tracer.event(self.now, "cut", None, None);
            }
            FaultAction::RepairSynapse { synapse } => {
                self.repair(synapse);
                self.tracer.event(self.now, "repair", None, None);
            }
        }
    }

    fn cut(&mut self, synapse: SynapseId) {
        let e = synapse.index();
        self.cuts[e] += 1;
        if self.cuts[e] == 1 {
            self.cut_since[e] = self.now;
        }
    }

    fn repair(&mut self, synapse: SynapseId) {
        let e = synapse.index();
        if self.cuts[e] == 1 {
            self.cut_ticks += self.now - self.cut_since[e];
        }
        self.cuts[e] = self.cuts[e].saturating_sub(1);
    }

    pub(super) fn crash(&mut self, neuron: NeuronId) {
        let j = neuron.index();
        self.down[j] += 1;
        if self.down[j] > 1 {
            return;
        }
        self.down_since[j] = self.now;
        self.tracer.event(self.now, "crash", Some(j), None);
        if self.t.is_input(j) {
            return;
        }
        let positions: Vec<usize> = self.samples.keys().copied().collect();
        for p in positions {
            let Some(s) = self.samples.get(&p) else {
                continue;
            };
            match s.neurons[j].phase {
                Phase::Waiting => self.sit_out(p, j),
                Phase::Fired => self.give_up(p, j),
                Phase::Held => {
                    // A greedy neuron waiting for its layer's norms: it already posted, and takes
                    // its wait back.
                    self.waiting.retain(|w| !(w.2 == j && w.4 == [p]));
                    self.neuron(p, j).phase = Phase::Done;
                    let t = self.t;
                    for e in t.incoming(j) {
                        if !t.is_input(t.source(e)) {
                            self.not_coming(MessageKind::Attention, p, e);
                        }
                    }
                    self.finish(p);
                }
                Phase::Done => {}
            }
        }
    }

    pub(super) fn recover(&mut self, neuron: NeuronId, lose_state: bool) {
        let j = neuron.index();
        if self.down[j] == 0 {
            return;
        }
        self.down[j] -= 1;
        if self.down[j] > 0 {
            return;
        }
        self.crashed_ticks += self.now - self.down_since[j];
        self.tracer.event(self.now, "recover", Some(j), None);
        if !lose_state {
            return;
        }
        let range = self.t.incoming(j);
        self.reinit.weights(
            neuron,
            self.reinits[j],
            &mut self.params.weights[range.clone()],
        );
        self.reinits[j] += 1;
        self.params.biases[j] = 0.0;
        self.velocity[range.clone()].fill(0.0);
        self.gradient[range.clone()].fill(0.0);
        self.bias_velocity[j] = 0.0;
        self.bias_gradient[j] = 0.0;
        self.batch[j].clear();
        for e in self.t.outgoing(j) {
            self.estimate[e] = None;
        }
        for e in range {
            self.last_sent[e] = None;
        }
        self.payments[j] = 0;
    }
}
