//! The reference simulator's messages: each message's route, fate and delivery into the inbox of
//! its receiver's wave.

use super::{Inbox, Item, Phase, ReferenceEngine, Wave};
use crate::engine::scheduler::Key;
use crate::engine::trace::{Fate, Message, MessageKind};
use crate::plan::Channel;

impl ReferenceEngine<'_> {
    /// The link and channel of a message, its receiver, and the layer it is counted in.
    pub(super) fn route(&self, kind: MessageKind, link: usize) -> (&Channel, Option<usize>, usize) {
        let t = self.t;
        let out_layer = t.layers().len() - 1;
        let links = &self.plan.links;
        match kind {
            MessageKind::Forward => (
                &links.synapse(link).forward,
                Some(t.target(link)),
                t.layer_of(t.target(link)),
            ),
            MessageKind::Attention => (
                &links.synapse(link).attention,
                Some(t.source(link)),
                t.layer_of(t.target(link)),
            ),
            MessageKind::Output => (&links.loss().forward, None, out_layer),
            MessageKind::Demand => (
                &links.loss().attention,
                Some(t.outputs().start + link),
                out_layer,
            ),
        }
    }

    /// The random word of a message, addressed by what it is.
    pub(super) fn word(&mut self, kind: MessageKind, position: usize, link: usize) -> u64 {
        let m = self.t.synapses();
        let (draws, k) = match kind {
            MessageKind::Forward => (&mut self.forward_draws, link),
            MessageKind::Attention => (&mut self.attention_draws, link),
            MessageKind::Output => (&mut self.forward_draws, m + link),
            MessageKind::Demand => (&mut self.attention_draws, m + link),
        };
        draws.word(position as u64, k)
    }

    /// Sends a message (`value: None` for a suppressed one).
    pub(super) fn send(
        &mut self,
        kind: MessageKind,
        position: usize,
        link: usize,
        value: Option<f64>,
    ) {
        let word = self.word(kind, position, link);
        let (channel, receiver, layer) = self.route(kind, link);
        let fate = channel.fate(word);
        let m = Message {
            kind,
            position,
            link,
            sent: self.now,
        };
        let arrival = self.now + fate.delay();
        let counts = self.stats.at(kind.counted_as(), layer);
        if value.is_none() {
            counts.suppressed += 1;
            self.tracer.message(self.t, m, Fate::Suppressed(arrival));
        } else {
            counts.sent += 1;
            let cut = matches!(kind, MessageKind::Forward | MessageKind::Attention)
                && self.cuts[link] > 0;
            let down = receiver.is_some_and(|r| self.down[r] > 0);
            if fate.dropped() || cut || down {
                self.stats.at(kind.counted_as(), layer).dropped += 1;
                self.tracer.message(self.t, m, Fate::Dropped);
                self.not_coming(kind, position, link);
                return;
            }
            self.stats.at(kind.counted_as(), layer).delivered += 1;
        }
        if arrival == self.now {
            self.deliver(m, value, arrival);
        } else {
            let stage = match kind {
                MessageKind::Forward => link,
                MessageKind::Output => self.t.synapses() + link,
                MessageKind::Attention => 2 * self.t.synapses() + link,
                MessageKind::Demand => 3 * self.t.synapses() + link,
            };
            let key = Key::delivery(arrival, position as u64, stage as u64);
            self.queue.push(key, Item::Delivery { m, value, arrival });
        }
    }

    /// The wave a message belongs to at its receiver, as (neuron or loss agent, wave).
    pub(super) fn wave_of(&self, kind: MessageKind, link: usize) -> (Option<usize>, Wave) {
        match kind {
            MessageKind::Forward => (Some(self.t.target(link)), Wave::Forward),
            MessageKind::Attention => (Some(self.t.source(link)), Wave::Backward),
            MessageKind::Output => (None, Wave::Forward),
            MessageKind::Demand => (Some(self.t.outputs().start + link), Wave::Backward),
        }
    }

    pub(super) fn inbox(
        &mut self,
        position: usize,
        owner: Option<usize>,
        wave: Wave,
    ) -> &mut Inbox {
        let s = self.samples.get_mut(&position).expect("sample in flight");
        match (owner, wave) {
            (None, _) => &mut s.loss,
            (Some(j), Wave::Forward) => &mut s.neurons[j].forward,
            (Some(j), Wave::Backward) => &mut s.neurons[j].backward,
        }
    }

    /// Whether the owner of a wave still waits for it.
    pub(super) fn open(&self, position: usize, owner: Option<usize>, wave: Wave) -> bool {
        let Some(s) = self.samples.get(&position) else {
            return false;
        };
        match (owner, wave) {
            (None, _) => !s.loss_done,
            (Some(j), Wave::Forward) => s.neurons[j].phase == Phase::Waiting,
            (Some(j), Wave::Backward) => {
                matches!(s.neurons[j].phase, Phase::Waiting | Phase::Fired)
            }
        }
    }

    /// A message of a wave will not come.
    pub(super) fn not_coming(&mut self, kind: MessageKind, position: usize, link: usize) {
        let (owner, wave) = self.wave_of(kind, link);
        if self.open(position, owner, wave) {
            self.inbox(position, owner, wave).missing += 1;
            self.progress(position, owner, wave);
        }
    }

    /// A message arrives.
    pub(super) fn deliver(&mut self, m: Message, value: Option<f64>, arrival: u64) {
        let e = m.link;
        let estimating = self.plan.learning.estimation.is_some();
        if let (true, MessageKind::Attention, Some(a)) = (estimating, m.kind, value) {
            self.observe(e, a);
        }
        let (owner, wave) = self.wave_of(m.kind, m.link);
        if !self.open(m.position, owner, wave) {
            if value.is_some() {
                let (_, _, layer) = self.route(m.kind, m.link);
                self.stats.at(m.kind.counted_as(), layer).late += 1;
                self.tracer.message(self.t, m, Fate::Late(arrival));
            }
            return;
        }
        if value.is_some() {
            self.tracer.message(self.t, m, Fate::OnTime(arrival));
        }
        let value = match value {
            Some(v) => v,
            None => self.estimate[e].unwrap_or(0.0),
        };
        let inbox = self.inbox(m.position, owner, wave);
        inbox.arrived.insert(m.link, (arrival, value));
        inbox.first = Some(inbox.first.map_or(arrival, |f| f.min(arrival)));
        inbox.last = inbox.last.max(arrival);
        self.progress(m.position, owner, wave);
    }
}
