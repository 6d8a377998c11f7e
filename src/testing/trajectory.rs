//! Running a scenario and reading what it did: metrics at every checkpoint, final weights and
//! message counts ([`Trajectory`]); the weights and counters at every checkpoint ([`states`]); every
//! message and its fate ([`message_trace`]).

use std::time::Instant;

use crate::dense::{DenseTrainer, Products};
use crate::engine::TraceLevel;
use crate::evaluate::Evaluator;
use crate::output::{self, OutputError};
use crate::plan::Plan;
use crate::run::{self, MessageSummary, MetricsRow, RunError, RunResult, Summary, TaskOutcome};
use crate::scenario::{Engine, LinkSpec, RuleSpec, Scenario, SendPolicy, Step};
use crate::topology::Params;
use crate::trainer::{Checkpoint, MessageStats, Staleness, TrainReport, Trainer};

/// What a run did, as `neuragent run` would write it.
#[derive(Clone, Debug)]
pub struct Trajectory {
    /// The scenario as run (every default written out).
    pub scenario: Scenario,
    /// One row per checkpoint, the untrained network first (the rows of `metrics.csv`).
    pub checkpoints: Vec<MetricsRow>,
    /// The weights and biases at the end.
    pub params: Params,
    /// The summary (`summary.json`): final figures, messages by kind and layer, divergence.
    pub summary: Summary,
    /// Mean loss of the untrained network on the training split: where the training loss starts.
    pub untrained_train_loss: f64,
    /// With `Tasks` data: every task's score at every checkpoint and the matrix R.
    pub tasks: Option<TaskOutcome>,
}

impl Trajectory {
    /// Runs `scenario` to the end, as `neuragent run` does.
    pub fn of(scenario: &Scenario) -> Result<Trajectory, RunError> {
        let started = Instant::now();
        let plan = Plan::new(scenario)?;
        let l = &plan.learning;
        let untrained_train_loss = Evaluator::new(&plan.topology, l.activation, l.output)
            .evaluate(&plan.initial(), &plan.dataset.train)
            .loss;
        let r = run::run_plan(&plan, None, None, started)?;
        Ok(Trajectory {
            scenario: r.scenario,
            checkpoints: r.metrics,
            params: r.params,
            summary: r.summary,
            untrained_train_loss,
            tasks: r.tasks,
        })
    }

    /// Final test accuracy (classification only).
    pub fn final_accuracy(&self) -> Option<f64> {
        self.summary.final_test_accuracy
    }

    /// Training samples seen at the first checkpoint whose test accuracy is at least `at_least`.
    pub fn samples_to_accuracy(&self, at_least: f64) -> Option<usize> {
        self.checkpoints
            .iter()
            .find(|r| r.test_accuracy.is_some_and(|a| a >= at_least))
            .map(|r| r.samples_seen)
    }

    /// Training samples seen at the first checkpoint whose mean training loss (over the window
    /// before it) is below `fraction` times [`Trajectory::untrained_train_loss`].
    pub fn samples_to_train_loss(&self, fraction: f64) -> Option<usize> {
        let bar = fraction * self.untrained_train_loss;
        self.checkpoints
            .iter()
            .find(|r| r.train_loss.is_some_and(|l| l < bar))
            .map(|r| r.samples_seen)
    }

    /// Message totals, by kind and by layer.
    pub fn messages(&self) -> &MessageSummary {
        &self.summary.messages
    }

    /// The run as [`crate::run::run`] returns it.
    pub fn result(&self) -> RunResult {
        RunResult {
            scenario: self.scenario.clone(),
            metrics: self.checkpoints.clone(),
            summary: self.summary.clone(),
            params: self.params.clone(),
            tasks: self.tasks.clone(),
        }
    }

    /// The files `neuragent run` writes for this run (`resolved.ron`, `metrics.csv`,
    /// `summary.json`, the figures, and for tasks `accuracy.csv` and the rest), as bytes.
    pub fn outputs(&self) -> Result<Vec<(&'static str, Vec<u8>)>, OutputError> {
        output::render(&self.result())
    }

    /// Every place a text output (all but the PNG) shows a number that is not finite: a `NaN` or
    /// `inf` token, or `null` where `summary.json` holds a number that always exists (the final test
    /// loss, unless the summary says why it has none: the run diverged, or a warning that the final
    /// test loss is not finite). Empty for a sound run. `Err` when the outputs cannot be rendered.
    pub fn non_finite_outputs(&self) -> Result<Vec<String>, OutputError> {
        let mut found = Vec::new();
        for (file, bytes) in self.outputs()? {
            if file.ends_with(".png") {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for (line, l) in text.lines().enumerate() {
                let bad = l
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '+'))
                    .find(|t| {
                        let t = t.trim_start_matches('+').to_ascii_lowercase();
                        matches!(t.as_str(), "nan" | "inf" | "infinity")
                    });
                if let Some(t) = bad {
                    found.push(format!("{file}:{}: {t} in {l}", line + 1));
                }
            }
            if file == "summary.json" {
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                // An undefined final loss is `null`, and the summary says why: the run diverged,
                // or a warning names it.
                let said = !v["diverged"].is_null()
                    || v["warnings"].as_array().is_some_and(|w| {
                        w.iter().any(|w| {
                            w.as_str()
                                .is_some_and(|w| w.contains("test loss is not finite"))
                        })
                    });
                let loss = (!said).then_some("final_test_loss");
                for key in loss
                    .into_iter()
                    .chain(["sim_ticks", "samples_seen", "wall_seconds"])
                {
                    if !v[key].is_number() {
                        found.push(format!("summary.json: {key} is {}", v[key]));
                    }
                }
            }
        }
        Ok(found)
    }
}

/// What the run looked like at one checkpoint, read from the engine (no evaluation).
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Training samples completed.
    pub samples_seen: usize,
    /// Simulated time, in ticks (0 on the dense engine).
    pub sim_ticks: u64,
    /// Mean training loss of the window before it.
    pub train_loss: Option<f64>,
    /// Weights and biases.
    pub params: Params,
    /// Messages so far, by kind and layer.
    pub messages: MessageStats,
    /// Staleness of attention so far.
    pub staleness: Staleness,
    /// Neurons down.
    pub neurons_down: usize,
}

/// Trains `scenario` and returns its state at every checkpoint, the report and the final weights:
/// cheaper than [`Trajectory::of`] (nothing is evaluated), and with the weights along the way.
pub fn states(scenario: &Scenario) -> Result<(Vec<State>, TrainReport, Params), RunError> {
    let plan = Plan::new(scenario)?;
    let mut seen = Vec::new();
    let (report, params) = run::train(
        &plan,
        plan.initial(),
        &mut |c: &Checkpoint<'_>| seen.push(State::of(c)),
        None,
    )?;
    Ok((seen, report, params))
}

/// The oracle of [`states`]: `scenario`'s rule trained by the dense reference trainer, without
/// messages, on the same data in the same order from the same initial weights, adding up sample by
/// sample and synapse by synapse as the event engine does ([`Products::Portable`]), so that a
/// comparison sees no rounding of another summation order. `Attention` (and `EstimatedAttention`
/// that always sends) is trained as `Backprop`; links, faults and `in_flight` are ignored, which is
/// what the equivalence conditions E1–E3 assume of the event run.
///
/// # Panics
/// For event-triggered attention (`EveryK`, `Threshold`), which has no dense form.
pub fn reference_states(
    scenario: &Scenario,
) -> Result<(Vec<State>, TrainReport, Params), RunError> {
    let mut s = scenario.clone();
    s.learning.rule = match s.learning.rule {
        RuleSpec::Attention => RuleSpec::Backprop,
        RuleSpec::EstimatedAttention {
            send: SendPolicy::Always,
            step,
            ..
        } => match step {
            Step::Gradient => RuleSpec::Backprop,
            Step::Greedy => RuleSpec::GreedyAttention,
        },
        RuleSpec::EstimatedAttention { send, .. } => {
            panic!(
                "testing::reference_states: event-triggered attention ({send:?}) has no dense form"
            )
        }
        rule => rule,
    };
    s.learning.engine = Some(Engine::Dense);
    s.learning.in_flight = 1;
    s.links = LinkSpec::default();
    s.faults.clear();
    let plan = Plan::new(&s)?;
    let l = &plan.learning;
    let mut trainer = DenseTrainer::with_products(
        &plan.topology,
        plan.rule.as_ref(),
        l.activation,
        l.output,
        l.sgd,
        l.batch_size,
        &plan.initial(),
        &plan.feedback,
        Products::Portable,
    );
    let mut seen = Vec::new();
    let report = trainer.train(
        &plan.dataset.train,
        &plan.schedule,
        &mut |c: &Checkpoint<'_>| seen.push(State::of(c)),
    );
    let params = trainer.params();
    Ok((seen, report, params))
}

impl State {
    fn of(c: &Checkpoint<'_>) -> State {
        State {
            samples_seen: c.samples_seen,
            sim_ticks: c.sim_ticks,
            train_loss: c.train_loss,
            params: c.params.clone(),
            messages: c.messages.clone(),
            staleness: c.staleness,
            neurons_down: c.neurons_down,
        }
    }
}

/// What finally happened to a message (`run --trace=messages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fate {
    /// Arrived at this tick while its receiver waited for it.
    OnTime(u64),
    /// Arrived at this tick, after its receiver had acted without it.
    Late(u64),
    /// Lost: dropped by the link, a cut synapse, or a crashed receiver.
    Dropped,
    /// Not sent (event-triggered communication).
    Suppressed(u64),
    /// Still travelling when the run ended.
    InFlight(u64),
}

/// One message of a run and its fate, as the message trace writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TracedMessage {
    /// `"forward"`, `"attention"`, `"output"` (to the loss agent) or `"demand"` (from it).
    pub kind: String,
    /// Schedule position of its sample.
    pub sample: usize,
    /// Its synapse, or its output for messages to and from the loss agent.
    pub link: usize,
    /// Sender, named as in scenarios (`"Loss"` for the loss agent).
    pub from: String,
    /// Receiver.
    pub to: String,
    /// Tick it was sent at.
    pub sent: u64,
    /// What happened to it.
    pub fate: Fate,
    /// The layer it is counted in (inputs are layer 0): its synapse's target for forward and
    /// attention messages, the output layer for messages to and from the loss agent.
    pub layer: usize,
}

impl TracedMessage {
    /// What the message is, whatever happened to it: kind, sample position and link.
    pub fn id(&self) -> (&str, usize, usize) {
        (&self.kind, self.sample, self.link)
    }
}

/// Trains `scenario` on its event engine with the message trace on, and returns every message with
/// its fate (in the order fates became known), with the report.
///
/// # Panics
/// When the trace is not what the engines write (a bug).
pub fn message_trace(scenario: &Scenario) -> Result<(Vec<TracedMessage>, TrainReport), RunError> {
    let plan = Plan::new(scenario)?;
    let mut bytes = Vec::new();
    let (report, _) = run::train(
        &plan,
        plan.initial(),
        &mut crate::trainer::Unobserved,
        Some(run::Trace {
            out: Box::new(&mut bytes),
            level: TraceLevel::Messages,
        }),
    )?;
    let t = &plan.topology;
    let last = t.layers().len() - 1;
    let text = String::from_utf8(bytes).expect("the trace is UTF-8");
    let messages = text
        .lines()
        .filter(|l| l.starts_with("{\"message\""))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a trace line is JSON");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let n = |k: &str| v[k].as_u64();
            let at = n("at").unwrap_or(0);
            let fate = match v["fate"].as_str() {
                Some("on_time") => Fate::OnTime(at),
                Some("late") => Fate::Late(at),
                Some("dropped") => Fate::Dropped,
                Some("suppressed") => Fate::Suppressed(at),
                Some("in_flight") => Fate::InFlight(at),
                other => panic!("unknown fate {other:?} in {l}"),
            };
            let kind = s("message");
            let link = n("synapse").or(n("output")).expect("a link") as usize;
            let layer = match kind.as_str() {
                "forward" | "attention" => t.layer_of(t.target(link)),
                _ => last,
            };
            TracedMessage {
                kind,
                sample: n("sample").expect("a sample") as usize,
                link,
                from: s("from"),
                to: s("to"),
                sent: n("sent").expect("a send time"),
                fate,
                layer,
            }
        })
        .collect();
    Ok((messages, report))
}
