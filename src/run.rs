//! Running a scenario: data, topology, initial weights, schedule, the chosen engine, evaluation at
//! every checkpoint, and the summary with the expectations checked.

use std::time::Instant;

use serde::Serialize;

use crate::alignment::{Alignment, Credit};
use crate::data::{self, DataError, Dataset, Split, Task};
use crate::dense::DenseTrainer;
use crate::engine::{EngineError, Estimation, EventEngine, EventSettings};
use crate::evaluate::{Evaluator, Scores};
use crate::rng::{Purpose, Streams};
use crate::rule::{Feedback, Sgd};
use crate::scenario::{Engine, Expectation, OptimizerSpec, OutputKind, RuleSpec, Scenario};
use crate::topology::{Params, Topology, TopologyError};
use crate::trainer::{
    Checkpoint, Kind, MessageCount, MessageStats, Observer, Schedule, Staleness, TrainReport,
    Trainer,
};

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The data could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The network could not be built.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// The event engine could not place a link override or a fault.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Writing the event trace failed.
    #[error("cannot write the event trace: {0}")]
    Trace(std::io::Error),
    /// Faults or link overrides name neurons the data's shape does not have.
    #[error("invalid scenario for this data:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Shape(Vec<crate::scenario::Problem>),
    /// The output kind does not fit the data.
    #[error("network.output: Softmax needs a classification dataset, but {dataset} is a regression task; use output: Linear")]
    SoftmaxOnRegression {
        /// The dataset name.
        dataset: String,
    },
}

/// One row of `metrics.csv`: the state of the run at a checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsRow {
    /// Training samples completed.
    pub samples_seen: usize,
    /// Epochs completed (fractional between epoch ends).
    pub epoch: f64,
    /// Simulated time, in ticks.
    pub sim_ticks: u64,
    /// Mean training loss since the previous checkpoint (empty before training).
    pub train_loss: Option<f64>,
    /// Mean test loss.
    pub test_loss: f64,
    /// Test accuracy (classification only).
    pub test_accuracy: Option<f64>,
    /// Test R².
    pub test_r2: f64,
    /// Messages so far, all kinds.
    pub messages: MessageCount,
    /// Attention messages so far.
    pub attention: MessageCount,
    /// Mean staleness of attention so far.
    pub staleness_mean: f64,
    /// Neurons down at the checkpoint.
    pub neurons_down: usize,
    /// Gradient alignment of the window ending here, per layer `1..` (empty when not measured).
    pub alignment: Vec<Option<f64>>,
}

impl MetricsRow {
    /// Column names of `metrics.csv`, with one alignment column per layer when measured.
    pub fn header(alignment_layers: usize) -> Vec<String> {
        let mut h: Vec<String> = [
            "samples_seen",
            "epoch",
            "sim_ticks",
            "train_loss",
            "test_loss",
            "test_accuracy",
            "test_r2",
            "messages_sent",
            "messages_delivered",
            "messages_dropped",
            "messages_late",
            "attention_sent",
            "attention_suppressed",
            "staleness_mean",
            "neurons_down",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        h.extend((1..=alignment_layers).map(|l| format!("alignment_layer{l}")));
        h
    }

    /// The row's fields, formatted (shortest round-trip decimal; empty for none).
    pub fn record(&self) -> Vec<String> {
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let mut r = vec![
            self.samples_seen.to_string(),
            self.epoch.to_string(),
            self.sim_ticks.to_string(),
            opt(self.train_loss),
            self.test_loss.to_string(),
            opt(self.test_accuracy),
            self.test_r2.to_string(),
            self.messages.sent.to_string(),
            self.messages.delivered.to_string(),
            self.messages.dropped.to_string(),
            self.messages.late.to_string(),
            self.attention.sent.to_string(),
            self.attention.suppressed.to_string(),
            self.staleness_mean.to_string(),
            self.neurons_down.to_string(),
        ];
        r.extend(self.alignment.iter().map(|&a| opt(a)));
        r
    }
}

/// An expectation and whether it held.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExpectationResult {
    /// The expectation as written.
    pub name: String,
    /// The measured value.
    pub value: Option<f64>,
    /// Whether it held.
    pub passed: bool,
}

/// Message counts of one layer's synapses (the layer that owns them).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LayerMessages {
    /// Layer index (1 = first hidden layer; the last is the output layer).
    pub layer: usize,
    /// Forward messages into the layer.
    pub forward: MessageCount,
    /// Attention messages paid by the layer.
    pub attention: MessageCount,
    /// Messages between the layer and the loss agent (output layer only).
    pub loss: MessageCount,
}

/// Message totals as written in `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageSummary {
    /// Forward (activation) messages.
    pub forward: MessageCount,
    /// Attention messages.
    pub attention: MessageCount,
    /// Messages to and from the loss agent.
    pub loss: MessageCount,
    /// All kinds.
    pub total: MessageCount,
    /// Messages still travelling when the run ended. `sent = delivered + dropped + in_flight_at_end`.
    pub in_flight_at_end: u64,
    /// Bytes sent: 16 per message (a sample id and a value, 8 bytes each).
    pub bytes: u64,
    /// Counts per layer.
    pub by_layer: Vec<LayerMessages>,
}

/// Bytes on the wire per message: sample id and value.
pub const MESSAGE_BYTES: u64 = 16;

impl MessageSummary {
    fn new(m: &MessageStats, in_flight_at_end: u64) -> Self {
        let total = m.total();
        MessageSummary {
            forward: m.kind(Kind::Forward),
            attention: m.kind(Kind::Attention),
            loss: m.kind(Kind::Loss),
            total,
            in_flight_at_end,
            bytes: total.sent * MESSAGE_BYTES,
            by_layer: (1..m.layers())
                .map(|l| {
                    let [forward, attention, loss] = m.layer(l);
                    LayerMessages {
                        layer: l,
                        forward,
                        attention,
                        loss,
                    }
                })
                .collect(),
        }
    }
}

/// The content of `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub name: String,
    /// Seed used.
    pub seed: u64,
    /// Learning rule.
    pub rule: String,
    /// Engine that ran.
    pub engine: String,
    /// Dataset name.
    pub dataset: String,
    /// Neurons, inputs included.
    pub neurons: usize,
    /// Synapses.
    pub synapses: usize,
    /// Final test accuracy (classification only).
    pub final_test_accuracy: Option<f64>,
    /// Final mean test loss.
    pub final_test_loss: f64,
    /// Final test R².
    pub final_test_r2: f64,
    /// Mean training loss over the last checkpoint window.
    pub final_train_loss: Option<f64>,
    /// Training samples completed.
    pub samples_seen: usize,
    /// Simulated time at the end, in ticks.
    pub sim_ticks: u64,
    /// Events processed.
    pub events: u64,
    /// Wall-clock time of the training and evaluation, in seconds (the only non-reproducible field).
    pub wall_seconds: f64,
    /// Message totals.
    pub messages: MessageSummary,
    /// Staleness of attention (updates between a sample's forward pass and its attention).
    pub staleness: StalenessSummary,
    /// Sum over neurons of the ticks each spent crashed.
    pub crashed_neuron_ticks: u64,
    /// Samples whose outputs never reached the loss agent.
    pub samples_without_loss: u64,
    /// Gradient alignment of the last window, per layer (empty when not measured).
    pub final_alignment: Vec<Option<f64>>,
    /// Things the user should know about the run (neurons down at the end, samples never learned
    /// from, non-finite results).
    pub warnings: Vec<String>,
    /// Each expectation with its value.
    pub expectations: Vec<ExpectationResult>,
    /// Whether every expectation held.
    pub passed: bool,
}

/// Staleness figures of `summary.json`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StalenessSummary {
    /// Mean over attention payments.
    pub mean: f64,
    /// Largest.
    pub max: u64,
}

impl From<Staleness> for StalenessSummary {
    fn from(s: Staleness) -> Self {
        StalenessSummary {
            mean: s.mean(),
            max: s.max,
        }
    }
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The scenario as run (seed override applied).
    pub scenario: Scenario,
    /// One row per checkpoint, the untrained network first.
    pub metrics: Vec<MetricsRow>,
    /// The summary.
    pub summary: Summary,
    /// Parameters at the end.
    pub params: Params,
}

/// The pieces a run is built from, before training: exposed so tests and benches can drive the
/// engines directly.
#[derive(Debug)]
pub struct Setup {
    /// The scenario.
    pub scenario: Scenario,
    /// Its random streams.
    pub streams: Streams,
    /// The loaded data.
    pub dataset: Dataset,
    /// The network.
    pub topology: Topology,
    /// Initial parameters (init stream).
    pub params: Params,
    /// Fixed random feedback weights, one per synapse (feedback stream); empty unless the rule pays
    /// attention through them.
    pub feedback: Vec<f64>,
    /// The training schedule (order stream).
    pub schedule: Schedule,
}

impl Setup {
    /// Loads the data and builds the network, weights and schedule of `scenario`.
    pub fn new(scenario: &Scenario) -> Result<Setup, RunError> {
        let streams = Streams::new(scenario.seed);
        let dataset = data::load(&scenario.data, &streams)?;
        if scenario.network.output == OutputKind::Softmax
            && matches!(dataset.task, Task::Regression { .. })
        {
            return Err(RunError::SoftmaxOnRegression {
                dataset: dataset.name.clone(),
            });
        }
        let problems = scenario.validate_shape(dataset.n_features(), dataset.n_outputs());
        if !problems.is_empty() {
            return Err(RunError::Shape(problems));
        }
        let topology = Topology::build(
            &scenario.network,
            dataset.n_features(),
            dataset.n_outputs(),
            &streams,
        )?;
        let params = Params::init(&topology, &mut streams.stream(Purpose::Init));
        let feedback = if scenario.learning.rule.build().feedback() == Feedback::FixedRandom {
            Params::init(&topology, &mut streams.stream(Purpose::Feedback)).weights
        } else {
            Vec::new()
        };
        let learning = &scenario.learning;
        let schedule = Schedule::new(
            dataset.train.len(),
            learning.epochs,
            learning.batch_size,
            scenario.evaluation.per_epoch,
            &mut streams.stream(Purpose::Order),
        );
        Ok(Setup {
            scenario: scenario.clone(),
            streams,
            dataset,
            topology,
            params,
            feedback,
            schedule,
        })
    }

    /// The optimizer of the scenario.
    pub fn sgd(&self) -> Sgd {
        match self.scenario.learning.optimizer {
            OptimizerSpec::Sgd { lr, momentum } => Sgd { lr, momentum },
        }
    }

    /// Trains with the scenario's engine, calling `observer` at every checkpoint; with `trace`, the
    /// event engine writes every event to it. Returns the report and the final parameters.
    pub fn train_traced(
        &self,
        observer: &mut dyn Observer,
        trace: Option<Box<dyn std::io::Write + '_>>,
    ) -> Result<(TrainReport, Params), RunError> {
        self.train_from(self.params.clone(), observer, trace)
    }

    /// [`Setup::train_traced`] starting from `params` (which the event engine takes over rather
    /// than copying).
    pub fn train_from(
        &self,
        params: Params,
        observer: &mut dyn Observer,
        trace: Option<Box<dyn std::io::Write + '_>>,
    ) -> Result<(TrainReport, Params), RunError> {
        let s = &self.scenario;
        let rule = s.learning.rule.build();
        let mut trainer: Box<dyn Trainer + '_> = match s.engine() {
            Engine::Dense => Box::new(DenseTrainer::new(
                &self.topology,
                rule.as_ref(),
                s.network.activation,
                s.network.output,
                self.sgd(),
                s.learning.batch_size,
                &params,
                &self.feedback,
            )),
            Engine::Events => {
                let mut engine = self.event_engine_from(rule.as_ref(), params)?;
                if let Some(trace) = trace {
                    engine.trace_to(trace);
                }
                let report = engine.train(&self.dataset.train, &self.schedule, observer);
                if let Some(e) = engine.take_trace_error() {
                    return Err(RunError::Trace(e));
                }
                return Ok((report, engine.into_params()));
            }
        };
        let report = trainer.train(&self.dataset.train, &self.schedule, observer);
        Ok((report, trainer.params()))
    }

    /// The event engine of this setup with `rule`, ready to train on [`Setup::schedule`].
    pub fn event_engine<'r>(
        &'r self,
        rule: &'r dyn crate::rule::LearningRule,
    ) -> Result<EventEngine<'r>, RunError> {
        self.event_engine_from(rule, self.params.clone())
    }

    /// [`Setup::event_engine`] starting from `params`.
    pub fn event_engine_from<'r>(
        &'r self,
        rule: &'r dyn crate::rule::LearningRule,
        params: Params,
    ) -> Result<EventEngine<'r>, RunError> {
        let s = &self.scenario;
        let estimation = match s.learning.rule {
            RuleSpec::EstimatedAttention {
                estimator, send, ..
            } => Some(Estimation { estimator, send }),
            _ => None,
        };
        Ok(EventEngine::new(
            &self.topology,
            rule,
            EventSettings {
                activation: s.network.activation,
                output: s.network.output,
                sgd: self.sgd(),
                batch_size: s.learning.batch_size,
                in_flight: s.learning.in_flight,
                links: s.links.clone(),
                faults: s.faults.clone(),
                estimation,
            },
            params,
            &self.feedback,
            &self.streams,
        )?)
    }

    /// Trains without a trace; see [`Setup::train_traced`].
    pub fn train(&self, observer: &mut dyn Observer) -> Result<(TrainReport, Params), RunError> {
        self.train_traced(observer, None)
    }
}

/// The observer of a run: evaluates on the test split and measures alignment at checkpoints.
struct Recorder<'a> {
    evaluator: Evaluator<'a>,
    test: &'a Split,
    alignment: Option<Alignment<'a>>,
    train_len: f64,
    metrics: Vec<MetricsRow>,
}

impl Recorder<'_> {
    fn row(&mut self, c: &Checkpoint<'_>) -> MetricsRow {
        let scores: Scores = self.evaluator.evaluate(c.params, self.test);
        MetricsRow {
            samples_seen: c.samples_seen,
            epoch: c.samples_seen as f64 / self.train_len,
            sim_ticks: c.sim_ticks,
            train_loss: c.train_loss,
            test_loss: scores.loss,
            test_accuracy: scores.accuracy,
            test_r2: scores.r2,
            messages: c.messages.total(),
            attention: c.messages.kind(Kind::Attention),
            staleness_mean: c.staleness.mean(),
            neurons_down: c.neurons_down,
            alignment: match &mut self.alignment {
                Some(a) => a.close_window(c.params),
                None => Vec::new(),
            },
        }
    }
}

impl Observer for Recorder<'_> {
    fn checkpoint(&mut self, c: &Checkpoint<'_>) {
        let row = self.row(c);
        self.metrics.push(row);
    }

    fn wants_samples(&self) -> bool {
        self.alignment.is_some()
    }

    fn sample_loss(&mut self, sample: usize, params: &Params) {
        if let Some(a) = &mut self.alignment {
            a.add_sample(sample, params);
        }
    }

    fn update_applied(&mut self, neuron: usize) {
        if let Some(a) = &mut self.alignment {
            a.update_applied(neuron);
        }
    }
}

/// Runs `scenario` to the end: evaluates the untrained network, trains, evaluates at every
/// checkpoint, and checks the expectations.
pub fn run(scenario: &Scenario) -> Result<RunResult, RunError> {
    run_traced(scenario, None)
}

/// [`run`], writing the event trace to `trace` (event engine only).
pub fn run_traced(
    scenario: &Scenario,
    trace: Option<Box<dyn std::io::Write + '_>>,
) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let mut setup = Setup::new(scenario)?;
    // The engine takes the initial weights over instead of copying them (one copy less of the
    // largest state).
    let initial_params = std::mem::replace(&mut setup.params, Params::empty());
    let s = &setup.scenario;
    let layers = setup.topology.layers().len();
    let mut recorder = Recorder {
        evaluator: Evaluator::new(&setup.topology, s.network.activation, s.network.output),
        test: &setup.dataset.test,
        alignment: s.evaluation.gradient_alignment.then(|| {
            Alignment::new(
                &setup.topology,
                s.network.activation,
                s.network.output,
                &setup.dataset.train,
                &initial_params,
                // The event engine does not report its updates yet.
                match s.engine() {
                    Engine::Dense => Credit::AtUpdates,
                    Engine::Events => Credit::AtLoss,
                },
            )
        }),
        train_len: setup.dataset.train.len().max(1) as f64,
        metrics: Vec::new(),
    };
    let no_messages = MessageStats::new(layers);
    let mut initial = recorder.row(&Checkpoint {
        samples_seen: 0,
        sim_ticks: 0,
        train_loss: None,
        params: &initial_params,
        messages: &no_messages,
        staleness: Staleness::default(),
        neurons_down: 0,
    });
    if s.evaluation.gradient_alignment {
        initial.alignment = vec![None; layers - 1];
    }
    recorder.metrics.push(initial);
    let (report, params) = setup.train_from(initial_params, &mut recorder, trace)?;
    let metrics = recorder.metrics;
    let last = metrics
        .last()
        .expect("the initial row is always there")
        .clone();
    let expectations: Vec<ExpectationResult> = s
        .expect
        .iter()
        .map(|e| {
            let (value, passed) = match *e {
                Expectation::FinalTestAccuracy { at_least } => (
                    last.test_accuracy,
                    last.test_accuracy.is_some_and(|a| a >= at_least),
                ),
                Expectation::FinalTestLoss { at_most } => {
                    (Some(last.test_loss), last.test_loss <= at_most)
                }
                Expectation::FinalTestR2 { at_least } => {
                    (Some(last.test_r2), last.test_r2 >= at_least)
                }
            };
            ExpectationResult {
                name: e.name(),
                value,
                passed,
            }
        })
        .collect();
    let warnings = warnings(&setup, &report, &last);
    let summary = Summary {
        name: s.name.clone(),
        seed: s.seed,
        rule: format!("{:?}", s.learning.rule),
        engine: format!("{:?}", s.engine()),
        dataset: setup.dataset.name.clone(),
        neurons: setup.topology.neurons(),
        synapses: setup.topology.synapses(),
        final_test_accuracy: last.test_accuracy,
        final_test_loss: last.test_loss,
        final_test_r2: last.test_r2,
        final_train_loss: last.train_loss,
        samples_seen: report.samples_seen,
        sim_ticks: report.sim_ticks,
        events: report.events,
        wall_seconds: started.elapsed().as_secs_f64(),
        messages: MessageSummary::new(&report.messages, report.in_flight_at_end),
        staleness: report.staleness.into(),
        crashed_neuron_ticks: report.crashed_neuron_ticks,
        samples_without_loss: report.samples_without_loss,
        final_alignment: last.alignment.clone(),
        warnings,
        passed: expectations.iter().all(|e| e.passed),
        expectations,
    };
    Ok(RunResult {
        scenario: setup.scenario.clone(),
        metrics,
        summary,
        params,
    })
}

/// What a user should be told about a finished run.
fn warnings(setup: &Setup, report: &TrainReport, last: &MetricsRow) -> Vec<String> {
    let mut warnings = Vec::new();
    let t = &setup.topology;
    if !report.neurons_down_at_end.is_empty() {
        let hidden_total = t.neurons() - t.inputs().len() - t.outputs().len();
        let hidden_down = report
            .neurons_down_at_end
            .iter()
            .filter(|&&j| !t.is_input(j) && !t.is_output(j))
            .count();
        let mut text = format!(
            "{} neurons were down when training ended ({hidden_down} of {hidden_total} hidden)",
            report.neurons_down_at_end.len()
        );
        if hidden_total > 0 && hidden_down == hidden_total {
            text += "; every hidden neuron was down, so nothing reached the outputs";
        }
        warnings.push(text);
    }
    if report.samples_without_loss > 0 {
        warnings.push(format!(
            "{} of {} training samples never reached the loss agent; nothing was learned from them",
            report.samples_without_loss, report.samples_seen
        ));
    }
    if report.samples_seen < setup.schedule.len() {
        warnings.push(format!(
            "training stopped after {} of {} samples",
            report.samples_seen,
            setup.schedule.len()
        ));
    }
    if !last.test_loss.is_finite() {
        warnings.push("the final test loss is not finite: training diverged".into());
    }
    warnings
}
