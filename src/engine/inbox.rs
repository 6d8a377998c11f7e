//! What has arrived: per sample slot, the messages of each wave, and the pre-drawn fates of the
//! sample's messages.
//!
//! * Attention is kept per (slot, synapse), indexed by the synapse's place in its source's outgoing
//!   list, so a neuron adds up what it was paid in the order of its outgoing synapses (by target)
//!   whatever the order of arrival: rounding never depends on delays. The exception is a timetable
//!   under which every neuron is paid in that order anyway (`engine::timetable`): there the sum is
//!   kept per (slot, neuron), in `Slots::received`.
//! * Forward values, output values at the loss agent, and arrival ticks are kept only on *timed*
//!   links (a `wait_timeout`): there a neuron may act before everything arrived, and must tell
//!   on-time from late. On untimed links everything arrives before the receiver acts, so forward
//!   values are read from the sender's slot.
//! * Fates (drop, delay) of every message of a sample are drawn when the sample is admitted, in
//!   canonical order from its place in the message streams (`rng::MessageDraws`), when the link
//!   model is random in that direction.

use crate::plan::{Fate, LinkModel, Plan};
use crate::rng::{MessageDraws, Purpose};
use crate::topology::Topology;

/// One slot's forward messages by synapse, borrowed at once ([`Inbox::forward_lanes`]).
pub(crate) struct ForwardLanes<'a> {
    /// Pre-drawn fates; empty when the forward direction draws nothing.
    pub fates: &'a [Fate],
    pub arrivals: &'a mut [u64],
    pub values: &'a mut [f64],
    /// The last value each synapse's receiver used (`LastValue`).
    pub last_input: &'a mut [f64],
}

/// Per-(slot, message) storage of the event engine.
#[derive(Debug)]
pub(crate) struct Inbox {
    m: usize,
    outputs: usize,
    /// Fates per slot: one per synapse, then one per output.
    stride: usize,
    /// First out-position whose source is not an input: attention is kept from there on.
    attention_base: usize,
    attention_len: usize,
    /// Forward messages per (slot, synapse), timed links only: arrival (`u64::MAX`: not coming, or
    /// not sent yet) and value (after firing: the value used, substitutes included).
    pub forward_arrival: Vec<u64>,
    pub forward_value: Vec<f64>,
    /// Out-position of each synapse less `attention_base` (empty when attention is summed).
    attention_index: Vec<u32>,
    /// Attention per (slot, attention out-position): value (NaN: suppressed and not yet replaced by
    /// the estimate) and, when timed or estimating, arrival.
    pub attention_value: Vec<f64>,
    pub attention_arrival: Vec<u64>,
    /// The loss agent's inbox per (slot, output), timed links only.
    pub output_arrival: Vec<u64>,
    pub output_value: Vec<f64>,
    /// Arrival of each output's demand per (slot, output), timed links only.
    pub demand_arrival: Vec<u64>,
    /// Per synapse, timed links only: the last value the receiver used, for `LastValue`.
    pub last_input: Vec<f64>,
    /// Pre-drawn fates per (slot, synapse), then per (slot, output) for the loss links; empty when
    /// that direction draws nothing.
    forward_fates: Vec<Fate>,
    attention_fates: Vec<Fate>,
    forward_draws: Option<MessageDraws>,
    attention_draws: Option<MessageDraws>,
    /// The delay of every attention message over a synapse, when one constant delay and no drop
    /// apply to all of them.
    pub attention_constant: Option<u64>,
    /// Runs of synapses that carry attention, as word ranges to draw.
    attention_runs: Vec<(usize, usize)>,
    words: Vec<u64>,
}

impl Inbox {
    /// Storage for `slots` samples of `plan`'s network; `timed` keeps arrivals and forward values;
    /// `summed` when attention is added up as it is paid, and no per-synapse value is kept.
    pub fn new(plan: &Plan, slots: usize, timed: bool, estimating: bool, summed: bool) -> Inbox {
        let t = &plan.topology;
        let (m, outputs) = (t.synapses(), t.outputs().len());
        let attention_base = t.out_positions(t.inputs().end).start;
        let attention_len = m - attention_base;
        let per_edge = if timed { slots * m } else { 0 };
        let per_output = if timed { slots * outputs } else { 0 };
        let keep_arrivals = timed || estimating;
        let links = &plan.links;
        let stride = m + outputs;
        let forward_random = links.forward_random();
        let attention_random = links.attention_random();
        Inbox {
            m,
            outputs,
            stride,
            attention_base,
            attention_len,
            forward_arrival: vec![u64::MAX; per_edge],
            forward_value: vec![0.0; per_edge],
            attention_index: if summed {
                Vec::new()
            } else {
                t.out_position_table()
                    .iter()
                    .map(|&p| (p as usize).saturating_sub(attention_base) as u32)
                    .collect()
            },
            attention_value: vec![0.0; if summed { 0 } else { slots * attention_len }],
            attention_arrival: vec![
                u64::MAX;
                if keep_arrivals {
                    slots * attention_len
                } else {
                    0
                }
            ],
            output_arrival: vec![u64::MAX; per_output],
            output_value: vec![0.0; per_output],
            demand_arrival: vec![u64::MAX; per_output],
            last_input: vec![0.0; if timed { m } else { 0 }],
            forward_fates: vec![
                Fate::new(false, 0);
                if forward_random { slots * stride } else { 0 }
            ],
            attention_fates: vec![
                Fate::new(false, 0);
                if attention_random { slots * stride } else { 0 }
            ],
            forward_draws: forward_random
                .then(|| MessageDraws::new(&plan.streams, Purpose::ForwardMessages, stride)),
            attention_draws: attention_random
                .then(|| MessageDraws::new(&plan.streams, Purpose::AttentionMessages, stride)),
            attention_constant: links.uniform().and_then(|c| c.attention.constant()),
            attention_runs: attention_runs(t),
            words: vec![
                0;
                if forward_random || attention_random {
                    stride
                } else {
                    0
                }
            ],
        }
    }

    /// Index of attention over synapse `e` in `slot`.
    #[inline]
    pub fn attention_at(&self, slot: usize, e: usize) -> usize {
        slot * self.attention_len + self.attention_index[e] as usize
    }

    /// The attention indices of neuron `i`'s outgoing synapses in `slot`, in outgoing order.
    #[inline]
    pub fn attention_range(&self, t: &Topology, slot: usize, i: usize) -> std::ops::Range<usize> {
        let r = t.out_positions(i);
        let base = slot * self.attention_len;
        base + r.start - self.attention_base..base + r.end - self.attention_base
    }

    /// Draws the fates of the sample at `position` in `slot`. (Its arrivals are all unset: every
    /// reader of an arrival takes it out, `u64::MAX` staying behind for the next sample.)
    pub fn admit(&mut self, links: &LinkModel, slot: usize, position: u64) {
        let (m, outputs) = (self.m, self.outputs);
        let stride = self.stride;
        if let Some(draws) = &mut self.forward_draws {
            draws.fill(position, 0, &mut self.words);
            let fates = &mut self.forward_fates[slot * stride..(slot + 1) * stride];
            match links.uniform() {
                Some(class) => class.forward.fates(&self.words[..m], &mut fates[..m]),
                None => {
                    for e in 0..m {
                        fates[e] = links.synapse(e).forward.fate(self.words[e]);
                    }
                }
            }
            for o in 0..outputs {
                fates[m + o] = links.loss().forward.fate(self.words[m + o]);
            }
        }
        if let Some(draws) = &mut self.attention_draws {
            let fates = &mut self.attention_fates[slot * stride..(slot + 1) * stride];
            for &(start, end) in &self.attention_runs {
                let words = &mut self.words[start..end];
                draws.fill(position, start, words);
                match links.uniform() {
                    Some(class) => class.attention.fates(words, &mut fates[start..end]),
                    None => {
                        for e in start..end {
                            fates[e] = links.synapse(e).attention.fate(words[e - start]);
                        }
                    }
                }
            }
            draws.fill(position, m, &mut self.words[m..stride]);
            for o in 0..outputs {
                fates[m + o] = links.loss().attention.fate(self.words[m + o]);
            }
        }
    }

    /// The fate of the forward message over synapse `e` in `slot`.
    #[inline(always)]
    pub fn forward_fate(&self, links: &LinkModel, slot: usize, e: usize) -> Fate {
        if self.forward_fates.is_empty() {
            links.synapse(e).forward.fate(0)
        } else {
            self.forward_fates[slot * self.stride + e]
        }
    }

    /// The fate of the attention message over synapse `e` in `slot`.
    #[inline(always)]
    pub fn attention_fate(&self, links: &LinkModel, slot: usize, e: usize) -> Fate {
        if self.attention_fates.is_empty() {
            links.synapse(e).attention.fate(0)
        } else {
            self.attention_fates[slot * self.stride + e]
        }
    }

    /// The fate of output `o`'s value sent to the loss agent in `slot`.
    #[inline]
    pub fn output_fate(&self, links: &LinkModel, slot: usize, o: usize) -> Fate {
        if self.forward_fates.is_empty() {
            links.loss().forward.fate(0)
        } else {
            self.forward_fates[slot * self.stride + self.m + o]
        }
    }

    /// The fate of the loss agent's demand to output `o` in `slot`.
    #[inline]
    pub fn demand_fate(&self, links: &LinkModel, slot: usize, o: usize) -> Fate {
        if self.attention_fates.is_empty() {
            links.loss().attention.fate(0)
        } else {
            self.attention_fates[slot * self.stride + self.m + o]
        }
    }

    /// The forward fates (empty when not drawn), arrivals and values of `slot` by synapse, and the
    /// last value each synapse's receiver used (timed links).
    #[inline]
    pub fn forward_lanes(&mut self, slot: usize) -> ForwardLanes<'_> {
        let fates = match self.forward_fates.is_empty() {
            true => &[][..],
            false => &self.forward_fates[slot * self.stride..slot * self.stride + self.m],
        };
        let lane = slot * self.m..(slot + 1) * self.m;
        ForwardLanes {
            fates,
            arrivals: &mut self.forward_arrival[lane.clone()],
            values: &mut self.forward_value[lane],
            last_input: &mut self.last_input,
        }
    }

    /// The attention fates (empty when not drawn) of `slot` by synapse, each synapse's index in
    /// a slot's attention lane, and `slot`'s lanes of values and arrivals. Per-synapse attention
    /// on timed links only.
    #[inline]
    pub fn attention_lanes(&mut self, slot: usize) -> (&[Fate], &[u32], &mut [f64], &mut [u64]) {
        let fates = match self.attention_fates.is_empty() {
            true => &[][..],
            false => &self.attention_fates[slot * self.stride..slot * self.stride + self.m],
        };
        let lane = slot * self.attention_len..(slot + 1) * self.attention_len;
        (
            fates,
            &self.attention_index,
            &mut self.attention_value[lane.clone()],
            &mut self.attention_arrival[lane],
        )
    }

    /// Index of `(slot, e)` in the forward arrays.
    #[inline]
    pub fn forward_at(&self, slot: usize, e: usize) -> usize {
        slot * self.m + e
    }

    /// Index of `(slot, o)` in the per-output arrays.
    #[inline]
    pub fn output_at(&self, slot: usize, o: usize) -> usize {
        slot * self.outputs + o
    }
}

/// The synapses whose source is not an input, as maximal runs of consecutive ids.
fn attention_runs(t: &Topology) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for j in t.inputs().end..t.neurons() {
        let range = t.incoming(j);
        let start =
            range.start + t.sources()[range.clone()].partition_point(|&i| t.is_input(i as usize));
        if start == range.end {
            continue;
        }
        match runs.last_mut() {
            Some((_, end)) if *end == start => *end = range.end,
            _ => runs.push((start, range.end)),
        }
    }
    runs
}
