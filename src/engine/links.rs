//! The link model: delay and drop settings per synapse (global settings with per-link overrides),
//! and which synapses are cut.

use rand::Rng as _;

use super::delay::DelaySampler;
use crate::rng::Rng;
use crate::scenario::{Delay, LinkSelector, LinkSpec};
use crate::topology::Topology;

/// Why the link model could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// An override names a synapse or layer pair the network does not have.
    #[error("links.overrides[{index}]: {what} is not in the network; {accepted}")]
    NoSuchLink {
        /// Position in `links.overrides`.
        index: usize,
        /// The link as written.
        what: String,
        /// What exists.
        accepted: String,
    },
}

/// Settings shared by a class of links.
#[derive(Clone, Debug)]
pub(crate) struct LinkClass {
    pub forward_delay: DelaySampler,
    pub attention_delay: DelaySampler,
    pub forward_drop: DropChance,
    pub attention_drop: DropChance,
}

/// Per-synapse link settings and state.
#[derive(Clone, Debug)]
pub(crate) struct Links {
    classes: Vec<LinkClass>,
    /// Class of each synapse; the last class is the loss agent's links.
    class_of: Vec<u16>,
    /// How many active cuts each synapse is under.
    cuts: Vec<u16>,
    /// Synapses under at least one cut.
    cut_synapses: usize,
}

#[derive(Clone, Copy, PartialEq)]
struct Settings {
    forward_delay: Delay,
    attention_delay: Delay,
    forward_drop: f64,
    attention_drop: f64,
}

impl Links {
    /// Resolves the link settings of every synapse.
    pub fn new(spec: &LinkSpec, topology: &Topology) -> Result<Links, LinkError> {
        let global = Settings {
            forward_delay: spec.forward_delay,
            attention_delay: spec.attention_delay,
            forward_drop: spec.forward_drop_probability(),
            attention_drop: spec.attention_drop_probability(),
        };
        let mut per_synapse = vec![0u16; topology.synapses()];
        let mut distinct = vec![global];
        for (index, o) in spec.overrides.iter().enumerate() {
            let chosen: Vec<usize> = match &o.link {
                LinkSelector::Between { from, to } => {
                    let found = topology
                        .neuron(*from)
                        .zip(topology.neuron(*to))
                        .and_then(|(i, j)| topology.synapse(i, j));
                    match found {
                        Some(e) => vec![e],
                        None => {
                            return Err(LinkError::NoSuchLink {
                                index,
                                what: format!("the synapse {from:?} -> {to:?}"),
                                accepted: "name two neurons joined by a synapse".into(),
                            })
                        }
                    }
                }
                LinkSelector::Layers { from, to } => {
                    let pair = topology.layer(*from).zip(topology.layer(*to));
                    let edges: Vec<usize> = match pair {
                        Some((k, m)) => (0..topology.synapses())
                            .filter(|&e| {
                                topology.layer_of(topology.source(e)) == k
                                    && topology.layer_of(topology.target(e)) == m
                            })
                            .collect(),
                        None => Vec::new(),
                    };
                    if edges.is_empty() {
                        return Err(LinkError::NoSuchLink {
                            index,
                            what: format!("the layer pair {from:?} -> {to:?}"),
                            accepted: format!(
                                "the network has {} hidden layers; name a pair joined by synapses",
                                topology.layers().len() - 2
                            ),
                        });
                    }
                    edges
                }
            };
            for e in chosen {
                let mut s = distinct[per_synapse[e] as usize];
                if let Some(d) = o.forward_delay {
                    s.forward_delay = d;
                }
                if let Some(d) = o.attention_delay {
                    s.attention_delay = d;
                }
                if let Some(p) = o.forward_drop {
                    s.forward_drop = p;
                }
                if let Some(p) = o.attention_drop {
                    s.attention_drop = p;
                }
                let class = match distinct.iter().position(|d| *d == s) {
                    Some(c) => c,
                    None => {
                        distinct.push(s);
                        distinct.len() - 1
                    }
                };
                per_synapse[e] = class as u16;
            }
        }
        let mut classes: Vec<LinkClass> = distinct
            .iter()
            .map(|s| LinkClass {
                forward_delay: DelaySampler::new(s.forward_delay),
                attention_delay: DelaySampler::new(s.attention_delay),
                forward_drop: DropChance::new(s.forward_drop),
                attention_drop: DropChance::new(s.attention_drop),
            })
            .collect();
        // The loss agent's links follow the global settings.
        classes.push(classes[0].clone());
        Ok(Links {
            classes,
            class_of: per_synapse,
            cuts: vec![0; topology.synapses()],
            cut_synapses: 0,
        })
    }

    /// Whether the next message of link class `class` (a synapse's, see [`Links::class_of`], or
    /// [`Links::loss_class`]) is dropped, forward or attention.
    #[inline]
    pub fn drops(&mut self, class: usize, forward: bool, rng: &mut Rng) -> bool {
        let class = &mut self.classes[class];
        if forward {
            class.forward_drop.drops(rng)
        } else {
            class.attention_drop.drops(rng)
        }
    }

    /// The class of synapse `e`.
    #[inline]
    pub fn class_of(&self, e: usize) -> usize {
        self.class_of[e] as usize
    }

    /// The class of the links between the outputs and the loss agent.
    #[inline]
    pub fn loss_class(&self) -> usize {
        self.classes.len() - 1
    }

    /// Settings of synapse `e`.
    #[inline]
    pub fn synapse(&self, e: usize) -> &LinkClass {
        &self.classes[self.class_of[e] as usize]
    }

    /// Settings of the links between the output neurons and the loss agent.
    #[inline]
    pub fn loss(&self) -> &LinkClass {
        self.classes.last().expect("the loss class is always there")
    }

    /// Whether synapse `e` is cut.
    #[inline]
    pub fn is_cut(&self, e: usize) -> bool {
        self.cuts[e] > 0
    }

    /// Cuts synapse `e` (cuts nest: a synapse cut twice needs two repairs).
    pub fn cut(&mut self, e: usize) {
        self.cuts[e] += 1;
        if self.cuts[e] == 1 {
            self.cut_synapses += 1;
        }
    }

    /// Repairs one cut of synapse `e`.
    pub fn repair(&mut self, e: usize) {
        if self.cuts[e] == 1 {
            self.cut_synapses -= 1;
        }
        self.cuts[e] = self.cuts[e].saturating_sub(1);
    }

    /// The settings of every synapse when they all share one class and nothing is cut. `None`
    /// otherwise.
    #[inline]
    pub fn uniform(&self) -> Option<&LinkClass> {
        (self.classes.len() == 2 && self.cut_synapses == 0).then_some(&self.classes[0])
    }

    /// [`Links::plain_forward`] for attention messages.
    #[inline]
    pub fn plain_attention(&self) -> Option<&DelaySampler> {
        let class = &self.classes[0];
        (self.classes.len() == 2 && self.cut_synapses == 0 && !class.attention_drop.possible())
            .then_some(&class.attention_delay)
    }
}

/// A drop probability, drawn by skipping: the number of messages until the next drop is geometric,
/// so the drops stream is drawn once per dropped message instead of once per message (the same
/// distribution: each message is dropped independently with the probability).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct DropChance {
    probability: f64,
    /// `ln(1 − probability)`.
    log_keep: f64,
    /// Messages that pass before the next drop; `None` until the first draw.
    countdown: Option<u64>,
}

impl DropChance {
    pub fn new(probability: f64) -> Self {
        DropChance {
            probability,
            log_keep: (1.0 - probability).ln(),
            countdown: None,
        }
    }

    /// Whether a message can be dropped at all.
    #[inline]
    pub fn possible(&self) -> bool {
        self.probability > 0.0
    }

    /// Whether the next message is dropped; draws nothing when the probability is 0 or 1.
    #[inline]
    pub fn drops(&mut self, rng: &mut Rng) -> bool {
        if self.probability <= 0.0 {
            return false;
        }
        if self.probability >= 1.0 {
            return true;
        }
        let left = match self.countdown {
            Some(left) => left,
            None => self.gap(rng),
        };
        if left == 0 {
            self.countdown = Some(self.gap(rng));
            true
        } else {
            self.countdown = Some(left - 1);
            false
        }
    }

    /// Messages before the next drop: `floor(ln U / ln(1 − p))` for `U` uniform in (0, 1].
    fn gap(&self, rng: &mut Rng) -> u64 {
        let u = 1.0 - rng.random::<f64>();
        (u.ln() / self.log_keep).min(1e18) as u64
    }
}
