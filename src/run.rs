//! Running a scenario: data, topology, initial weights, schedule, the chosen engine, evaluation at
//! every checkpoint, and the summary with the expectations checked.

use std::time::Instant;

use serde::Serialize;

use crate::data::{self, DataError, Dataset, Task};
use crate::dense::DenseTrainer;
use crate::engine::{EventEngine, EventSettings};
use crate::evaluate::{Evaluator, Scores};
use crate::rng::{Purpose, Streams};
use crate::rule::Sgd;
use crate::scenario::{Engine, Expectation, OptimizerSpec, OutputKind, Scenario};
use crate::topology::{Params, Topology, TopologyError};
use crate::trainer::{MessageCount, MessageStats, Schedule, TrainReport, Trainer};

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The data could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The network could not be built.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// The output kind does not fit the data.
    #[error("network.output: Softmax needs a classification dataset, but {dataset} is a regression task; use output: Linear")]
    SoftmaxOnRegression {
        /// The dataset name.
        dataset: String,
    },
}

/// One row of `metrics.csv`: the state of the run at a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// Messages sent so far.
    pub messages_sent: u64,
    /// Messages delivered so far.
    pub messages_delivered: u64,
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

/// Message totals with a grand total, as written in `summary.json`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MessageSummary {
    /// Forward (activation) messages.
    pub forward: MessageCount,
    /// Attention messages.
    pub attention: MessageCount,
    /// Messages to and from the loss agent.
    pub loss: MessageCount,
    /// All kinds.
    pub total: MessageCount,
}

impl From<MessageStats> for MessageSummary {
    fn from(m: MessageStats) -> Self {
        MessageSummary {
            forward: m.forward,
            attention: m.attention,
            loss: m.loss,
            total: m.total(),
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
    /// Each expectation with its value.
    pub expectations: Vec<ExpectationResult>,
    /// Whether every expectation held.
    pub passed: bool,
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
    /// Fixed random feedback weights, one per synapse (feedback stream).
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
        let topology = Topology::build(
            &scenario.network,
            dataset.n_features(),
            dataset.n_outputs(),
            &streams,
        )?;
        let params = Params::init(&topology, &mut streams.stream(Purpose::Init));
        let feedback = Params::init(&topology, &mut streams.stream(Purpose::Feedback)).weights;
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

    /// Trains with the scenario's engine, calling `observe` at every checkpoint; returns the report and
    /// the final parameters.
    pub fn train(
        &self,
        observe: &mut dyn FnMut(&crate::trainer::Checkpoint<'_>),
    ) -> (TrainReport, Params) {
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
                &self.params,
                &self.feedback,
            )),
            Engine::Events => Box::new(EventEngine::new(
                &self.topology,
                rule.as_ref(),
                EventSettings {
                    activation: s.network.activation,
                    output: s.network.output,
                    sgd: self.sgd(),
                    batch_size: s.learning.batch_size,
                    in_flight: s.learning.in_flight,
                    links: s.links.clone(),
                },
                &self.params,
                &self.feedback,
                &self.streams,
            )),
        };
        let report = trainer.train(&self.dataset.train, &self.schedule, observe);
        (report, trainer.params())
    }
}

/// Runs `scenario` to the end: evaluates the untrained network, trains, evaluates at every
/// checkpoint, and checks the expectations.
pub fn run(scenario: &Scenario) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let setup = Setup::new(scenario)?;
    let s = &setup.scenario;
    let mut evaluator = Evaluator::new(&setup.topology, s.network.activation, s.network.output);
    let train_len = setup.dataset.train.len().max(1) as f64;
    let row =
        |scores: Scores, samples_seen, sim_ticks, train_loss, messages: MessageStats| MetricsRow {
            samples_seen,
            epoch: samples_seen as f64 / train_len,
            sim_ticks,
            train_loss,
            test_loss: scores.loss,
            test_accuracy: scores.accuracy,
            test_r2: scores.r2,
            messages_sent: messages.total().sent,
            messages_delivered: messages.total().delivered,
        };
    let initial = evaluator.evaluate(&setup.params, &setup.dataset.test);
    let mut metrics = vec![row(initial, 0, 0, None, MessageStats::default())];
    let (report, params) = setup.train(&mut |c| {
        let scores = evaluator.evaluate(c.params, &setup.dataset.test);
        metrics.push(row(
            scores,
            c.samples_seen,
            c.sim_ticks,
            c.train_loss,
            c.messages,
        ));
    });
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
        messages: report.messages.into(),
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
