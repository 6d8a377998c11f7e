//! The link model resolved onto the network: every synapse's delay and drop settings (the global ones
//! with the per-link overrides applied in order), and the links between the outputs and the loss
//! agent, which always follow the global settings.

use super::delay::Channel;
use crate::scenario::{Delay, LinkSelector, LinkSpec, MissingInput, Problem};
use crate::topology::Topology;

/// Settings shared by a class of links: one channel per direction.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkClass {
    /// Forward messages (activations; output values to the loss agent).
    pub forward: Channel,
    /// Attention messages (demands from the loss agent).
    pub attention: Channel,
}

/// Per-synapse link classes, the wait timeout and the missing-input policy.
#[derive(Clone, Debug)]
pub struct LinkModel {
    /// Distinct classes; the last one is the loss agent's links.
    classes: Vec<LinkClass>,
    /// Class of each synapse.
    class_of: Vec<u16>,
    /// Ticks a neuron waits after the first message of a wave (`None`: for every message).
    pub timeout: Option<u64>,
    /// What replaces a missing forward input.
    pub missing_input: MissingInput,
}

#[derive(Clone, Copy, PartialEq)]
struct Settings {
    forward_delay: Delay,
    attention_delay: Delay,
    forward_drop: f64,
    attention_drop: f64,
}

impl LinkModel {
    /// Resolves `spec` on `topology`. Every override that names no synapse of the network is a
    /// problem; all of them are reported.
    pub fn new(spec: &LinkSpec, topology: &Topology) -> Result<LinkModel, Vec<Problem>> {
        let global = Settings {
            forward_delay: spec.forward_delay,
            attention_delay: spec.attention_delay,
            forward_drop: spec.forward_drop_probability(),
            attention_drop: spec.attention_drop_probability(),
        };
        let mut class_of = vec![0u16; topology.synapses()];
        let mut distinct = vec![global];
        let mut problems = Vec::new();
        for (index, o) in spec.overrides.iter().enumerate() {
            let chosen = select(topology, &o.link);
            if chosen.is_empty() {
                let (what, accepted) = match &o.link {
                    LinkSelector::Between { from, to } => (
                        format!("Between(from: {from:?}, to: {to:?})"),
                        "two neurons joined by a synapse of this network".to_string(),
                    ),
                    LinkSelector::Layers { from, to } => (
                        format!("Layers(from: {from:?}, to: {to:?})"),
                        format!(
                            "a pair of layers joined by synapses (the network has {} hidden layers)",
                            topology.layers().len() - 2
                        ),
                    ),
                };
                problems.push(Problem {
                    path: format!("links.overrides[{index}].link"),
                    value: what,
                    accepted,
                    position: None,
                });
                continue;
            }
            for e in chosen {
                let mut s = distinct[class_of[e] as usize];
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
                let class = distinct.iter().position(|d| *d == s).unwrap_or_else(|| {
                    distinct.push(s);
                    distinct.len() - 1
                });
                class_of[e] = class as u16;
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut classes: Vec<LinkClass> = distinct
            .iter()
            .map(|s| LinkClass {
                forward: Channel::new(s.forward_delay, s.forward_drop),
                attention: Channel::new(s.attention_delay, s.attention_drop),
            })
            .collect();
        classes.push(classes[0].clone());
        Ok(LinkModel {
            classes,
            class_of,
            timeout: spec.wait_timeout,
            missing_input: spec.missing_input,
        })
    }

    /// The class of synapse `e`.
    #[inline]
    pub fn synapse(&self, e: usize) -> &LinkClass {
        &self.classes[self.class_of[e] as usize]
    }

    /// The links between the output neurons and the loss agent.
    #[inline]
    pub fn loss(&self) -> &LinkClass {
        self.classes.last().expect("the loss class is always there")
    }

    /// The one class of every synapse, when there is one.
    #[inline]
    pub fn uniform(&self) -> Option<&LinkClass> {
        (self.classes.len() == 2).then(|| &self.classes[0])
    }

    /// Whether some forward message (loss links included) needs a random word.
    pub fn forward_random(&self) -> bool {
        self.classes.iter().any(|c| c.forward.is_random())
    }

    /// Whether some attention message (demands included) needs a random word.
    pub fn attention_random(&self) -> bool {
        self.classes.iter().any(|c| c.attention.is_random())
    }

    /// Whether a wave can end early on a timeout: messages may be late or missing.
    pub fn timed(&self) -> bool {
        self.timeout.is_some()
    }
}

/// The synapses an override selects.
fn select(topology: &Topology, link: &LinkSelector) -> Vec<usize> {
    match link {
        LinkSelector::Between { from, to } => topology
            .neuron(*from)
            .zip(topology.neuron(*to))
            .and_then(|(i, j)| topology.synapse(i, j))
            .map(|e| e.index())
            .into_iter()
            .collect(),
        LinkSelector::Layers { from, to } => match topology.layer(*from).zip(topology.layer(*to)) {
            Some((k, m)) => (0..topology.synapses())
                .filter(|&e| {
                    topology.layer_of(topology.source(e)) == k
                        && topology.layer_of(topology.target(e)) == m
                })
                .collect(),
            None => Vec::new(),
        },
    }
}
