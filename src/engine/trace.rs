//! The trace: one JSON line per neuron event (`--trace`), and with the message level
//! (`--trace messages`) one line per message with its final fate.
//!
//! Neurons are named as in scenarios (`Hidden(layer: 0, index: 3)`). A message line is written when
//! its fate is final: at sending for a dropped or suppressed message (or any message on untimed
//! links, where everything arrives on time), when its receiver acts for one that arrived on time,
//! when it arrives for a late one, and at the end of the run for one still travelling. Lines are thus
//! in the order fates became known; sorted, the message lines of the two event engines agree.

use std::io::Write;

use crate::topology::{Role, Topology};
use crate::trainer::Kind;

/// How much a trace records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TraceLevel {
    /// Neuron events: admit, fire, loss, credit, and the faults.
    Events,
    /// Neuron events and every message with its fate.
    Messages,
}

/// The four kinds of message, by direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum MessageKind {
    /// An activation over a synapse.
    Forward,
    /// Attention over a synapse, paid by its target to its source.
    Attention,
    /// An output neuron's value, to the loss agent.
    Output,
    /// The loss agent's demand, to an output neuron.
    Demand,
}

impl MessageKind {
    /// The kind it is counted under.
    pub fn counted_as(self) -> Kind {
        match self {
            MessageKind::Forward => Kind::Forward,
            MessageKind::Attention => Kind::Attention,
            MessageKind::Output | MessageKind::Demand => Kind::Loss,
        }
    }

    fn name(self) -> &'static str {
        match self {
            MessageKind::Forward => "forward",
            MessageKind::Attention => "attention",
            MessageKind::Output => "output",
            MessageKind::Demand => "demand",
        }
    }
}

/// What finally happened to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Arrived at the tick while its receiver waited for it.
    OnTime(u64),
    /// Arrived at the tick after its receiver had acted without it.
    Late(u64),
    /// Lost: dropped by the link, a cut synapse, or a crashed receiver.
    Dropped,
    /// Not sent (event-triggered communication); it would have arrived at the tick.
    Suppressed(u64),
    /// Still travelling when the run ended; it would arrive at the tick.
    InFlight(u64),
}

/// A message as the trace names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    pub kind: MessageKind,
    /// Schedule position of its sample.
    pub position: usize,
    /// Its synapse, or its output index for messages to and from the loss agent.
    pub link: usize,
    /// Tick it was sent at.
    pub sent: u64,
}

/// Writes the trace, if any, and remembers the first write error.
pub(crate) struct Tracer<'w> {
    out: Option<Box<dyn Write + 'w>>,
    messages: bool,
    error: Option<std::io::Error>,
    names: Vec<String>,
}

impl std::fmt::Debug for Tracer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("on", &self.out.is_some())
            .field("messages", &self.messages)
            .finish_non_exhaustive()
    }
}

/// The name of a neuron as scenarios write it.
pub fn neuron_name(role: Role) -> String {
    match role {
        Role::Input(i) => format!("Input({i})"),
        Role::Hidden { layer, index } => format!("Hidden(layer: {layer}, index: {index})"),
        Role::Output(i) => format!("Output({i})"),
    }
}

impl<'w> Tracer<'w> {
    /// A tracer that records nothing.
    pub fn off() -> Tracer<'w> {
        Tracer {
            out: None,
            messages: false,
            error: None,
            names: Vec::new(),
        }
    }

    /// Records at `level` into `out`.
    pub fn new(out: Box<dyn Write + 'w>, level: TraceLevel, t: &Topology) -> Tracer<'w> {
        Tracer {
            out: Some(out),
            messages: level == TraceLevel::Messages,
            error: None,
            names: (0..t.neurons()).map(|j| neuron_name(t.role(j))).collect(),
        }
    }

    /// Whether message lines are recorded.
    #[inline]
    pub fn messages(&self) -> bool {
        self.messages
    }

    fn write(&mut self, line: std::fmt::Arguments<'_>) {
        let Some(out) = &mut self.out else { return };
        if let Err(e) = out.write_fmt(line) {
            self.error = Some(e);
            self.out = None;
        }
    }

    /// A neuron event (`neuron` and `sample` where they apply).
    pub fn event(&mut self, now: u64, kind: &str, neuron: Option<usize>, sample: Option<usize>) {
        if self.out.is_none() {
            return;
        }
        match (neuron, sample) {
            (Some(j), Some(s)) => {
                let name = &self.names[j];
                let line =
                    format!(r#"{{"t":{now},"kind":"{kind}","neuron":"{name}","sample":{s}}}"#);
                self.write(format_args!("{line}\n"));
            }
            (Some(j), None) => {
                let line = format!(
                    r#"{{"t":{now},"kind":"{kind}","neuron":"{}"}}"#,
                    self.names[j]
                );
                self.write(format_args!("{line}\n"));
            }
            (None, Some(s)) => self.write(format_args!(
                "{{\"t\":{now},\"kind\":\"{kind}\",\"sample\":{s}}}\n"
            )),
            (None, None) => self.write(format_args!("{{\"t\":{now},\"kind\":\"{kind}\"}}\n")),
        }
    }

    /// A message with its final fate.
    pub fn message(&mut self, t: &Topology, m: Message, fate: Fate) {
        if !self.messages {
            return;
        }
        let (from, to) = match m.kind {
            MessageKind::Forward => (
                self.names[t.source(m.link)].as_str(),
                self.names[t.target(m.link)].as_str(),
            ),
            MessageKind::Attention => (
                self.names[t.target(m.link)].as_str(),
                self.names[t.source(m.link)].as_str(),
            ),
            MessageKind::Output => (self.names[t.outputs().start + m.link].as_str(), "Loss"),
            MessageKind::Demand => ("Loss", self.names[t.outputs().start + m.link].as_str()),
        };
        let (fate, at) = match fate {
            Fate::OnTime(at) => ("on_time", Some(at)),
            Fate::Late(at) => ("late", Some(at)),
            Fate::Dropped => ("dropped", None),
            Fate::Suppressed(at) => ("suppressed", Some(at)),
            Fate::InFlight(at) => ("in_flight", Some(at)),
        };
        let link = match m.kind {
            MessageKind::Forward | MessageKind::Attention => "synapse",
            MessageKind::Output | MessageKind::Demand => "output",
        };
        let at = at.map_or("null".to_string(), |a| a.to_string());
        let line = format!(
            r#"{{"message":"{}","sample":{},"{link}":{},"from":"{from}","to":"{to}","sent":{},"fate":"{fate}","at":{at}}}"#,
            m.kind.name(),
            m.position,
            m.link,
            m.sent
        );
        self.write(format_args!("{line}\n"));
    }

    /// Flushes, and returns the first write error, if any.
    pub fn finish(&mut self) -> Option<std::io::Error> {
        if let Some(out) = &mut self.out {
            if let Err(e) = out.flush() {
                self.error = Some(e);
            }
        }
        self.error.take()
    }
}
