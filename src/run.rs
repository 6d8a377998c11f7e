//! Running a scenario: resolve it into a [`Plan`], train with the plan's engine while a recorder
//! evaluates every checkpoint, then check the expectations and assemble the summary.
//!
//! Each part has its home: the columns of `metrics.csv` in [`metrics`], the schema of
//! `summary.json` in [`summary`], the checkpoint observer in `recorder`, the expectations in
//! [`expect`], the warnings in `warnings`.

pub mod expect;
pub mod forgetting;
pub mod inputs;
pub mod metrics;
mod recorder;
pub mod summary;
mod warnings;

use std::time::Instant;

use crate::alignment::{Alignment, Credit};
use crate::data::Task;
use crate::dense::DenseTrainer;
use crate::engine::{EventEngine, TraceLevel};
use crate::evaluate::Evaluator;
use crate::plan::{Plan, PlanError};
use crate::reference::ReferenceEngine;
use crate::scenario::{Engine, Scenario};
use crate::topology::Params;
use crate::trainer::{Checkpoint, MessageStats, Observer, Staleness, TrainReport, Trainer};

pub use expect::ExpectationResult;
pub use forgetting::{Forgetting, TaskOutcome, TaskSummary};
pub use metrics::MetricsRow;
pub use summary::{
    Diverged, LayerMessages, MessageSummary, StalenessSummary, Summary, MESSAGE_BYTES,
};

use recorder::Recorder;

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The scenario could not be resolved against its data.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Writing the event trace failed.
    #[error("cannot write the event trace: {0}")]
    Trace(std::io::Error),
    /// A trace was asked of the dense engine, which simulates no events.
    #[error("the dense engine simulates no events to trace; run an event engine (learning.engine: Events) to trace")]
    TraceOnDense,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The scenario as run (every default written out).
    pub scenario: Scenario,
    /// One row per checkpoint, the untrained network first.
    pub metrics: Vec<MetricsRow>,
    /// The summary.
    pub summary: Summary,
    /// Parameters at the end.
    pub params: Params,
    /// For `Tasks` data: each task's test score at every checkpoint and the matrix `R` (`None`
    /// otherwise).
    pub tasks: Option<TaskOutcome>,
}

/// A trace to write during training: where, and how much.
pub struct Trace<'w> {
    /// The destination.
    pub out: Box<dyn std::io::Write + 'w>,
    /// How much to record.
    pub level: TraceLevel,
}

impl std::fmt::Debug for Trace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace").field("level", &self.level).finish()
    }
}

/// Trains `plan` from `params` with the plan's engine, calling `observer` at every checkpoint and,
/// with `trace`, writing the trace. Returns the report and the final parameters.
pub fn train(
    plan: &Plan,
    params: Params,
    observer: &mut dyn Observer,
    trace: Option<Trace<'_>>,
) -> Result<(TrainReport, Params), RunError> {
    let (data, schedule) = (&plan.dataset.train, &plan.schedule);
    match plan.engine {
        Engine::Dense => {
            if trace.is_some() {
                return Err(RunError::TraceOnDense);
            }
            let l = &plan.learning;
            let mut trainer = DenseTrainer::new(
                &plan.topology,
                plan.rule.as_ref(),
                l.activation,
                l.output,
                l.sgd,
                l.batch_size,
                &params,
                &plan.feedback,
            );
            let report = trainer.train(data, schedule, observer);
            Ok((report, trainer.params()))
        }
        Engine::Events => {
            let mut engine = EventEngine::new(plan, params);
            if let Some(trace) = trace {
                engine.trace_to(trace.out, trace.level);
            }
            let report = engine.train(data, schedule, observer);
            if let Some(e) = engine.take_trace_error() {
                return Err(RunError::Trace(e));
            }
            Ok((report, engine.into_params()))
        }
        Engine::Reference => {
            let mut engine = ReferenceEngine::new(plan, params);
            if let Some(trace) = trace {
                engine.trace_to(trace.out, trace.level);
            }
            let report = engine.train(data, schedule, observer);
            if let Some(e) = engine.take_trace_error() {
                return Err(RunError::Trace(e));
            }
            Ok((report, engine.into_params()))
        }
    }
}

impl Plan {
    /// Trains from the initial parameters with the plan's engine, without a trace; see [`train`].
    pub fn train(&self, observer: &mut dyn Observer) -> Result<(TrainReport, Params), RunError> {
        train(self, self.initial(), observer, None)
    }
}

/// How far a run has come, reported at every checkpoint (for progress bars). Reading it changes
/// nothing in the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunProgress {
    /// Training samples completed.
    pub samples_seen: usize,
    /// Training samples the run will take.
    pub samples_total: usize,
    /// Mean training loss over the last checkpoint window.
    pub train_loss: Option<f64>,
    /// Test loss at this checkpoint.
    pub test_loss: f64,
}

/// Runs `scenario` to the end: evaluates the untrained network, trains, evaluates at every
/// checkpoint, and checks the expectations.
pub fn run(scenario: &Scenario) -> Result<RunResult, RunError> {
    run_traced(scenario, None)
}

/// [`run`], writing a trace (event engines only).
pub fn run_traced(scenario: &Scenario, trace: Option<Trace<'_>>) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let plan = Plan::new(scenario)?;
    run_plan(&plan, trace, None, started)
}

/// [`run`], calling `progress` at every checkpoint (the untrained network first).
pub fn run_with_progress(
    scenario: &Scenario,
    progress: &mut dyn FnMut(&RunProgress),
) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let plan = Plan::new(scenario)?;
    run_plan(&plan, None, Some(progress), started)
}

/// Runs a resolved plan, with a trace and a progress hook if given; `started` is when the run began
/// (for `wall_seconds`).
pub fn run_plan<'p>(
    plan: &'p Plan,
    trace: Option<Trace<'_>>,
    progress: Option<&'p mut dyn FnMut(&RunProgress)>,
    started: Instant,
) -> Result<RunResult, RunError> {
    let s = &plan.scenario;
    let l = &plan.learning;
    let t = &plan.topology;
    let layers = t.layers().len();
    let params = plan.initial();
    let mut recorder = Recorder {
        evaluator: Evaluator::new(t, l.activation, l.output),
        test: &plan.dataset.test,
        alignment: s.evaluation.gradient_alignment.then(|| {
            Alignment::new(
                t,
                l.activation,
                l.output,
                &plan.dataset.train,
                &params,
                // Every engine reports which samples each update consumed.
                Credit::AtUpdates,
            )
        }),
        train_len: plan.dataset.train.len().max(1) as f64,
        simulated: plan.engine != Engine::Dense,
        classification: matches!(plan.dataset.task, Task::Classification { .. }),
        metrics: Vec::new(),
        progress,
        samples_total: plan.schedule.len(),
        tasks: plan.dataset.tasks.as_ref().map(|_| &plan.schedule),
        task_curve: Vec::new(),
    };
    let no_messages = MessageStats::new(layers);
    let mut initial = recorder.row(&Checkpoint {
        samples_seen: 0,
        sim_ticks: 0,
        train_loss: None,
        params: &params,
        messages: &no_messages,
        staleness: Staleness::default(),
        neurons_down: 0,
        crashed_neuron_ticks: 0,
        synapses_cut: 0,
        cut_synapse_ticks: 0,
    });
    if s.evaluation.gradient_alignment {
        initial.alignment = vec![None; layers - 1];
    }
    recorder.report_progress(&initial);
    recorder.metrics.push(initial);
    let (report, params) = train(plan, params, &mut recorder, trace)?;
    let tasks = plan.dataset.tasks.as_ref().map(|tasks| {
        TaskOutcome::new(
            tasks,
            plan.schedule.task_ends(),
            recorder.classification,
            std::mem::take(&mut recorder.task_curve),
        )
    });
    let forgetting = tasks
        .as_ref()
        .map(TaskOutcome::forgetting)
        .unwrap_or_default();
    let metrics = recorder.metrics;
    let last = metrics.last().expect("the initial row is always there");
    let diverged = report.diverged.is_some();
    let expectations: Vec<ExpectationResult> = s
        .expect
        .iter()
        .map(|e| e.check(&metrics, &params, diverged))
        .collect();
    let warnings = warnings::warnings(plan, &report, last);
    let summary = Summary {
        name: s.name.clone(),
        seed: s.seed,
        rule: ron::to_string(&s.learning.rule).expect("a rule always serializes"),
        engine: ron::to_string(&plan.engine).expect("an engine always serializes"),
        settings: serde_json::to_value(s).expect("a scenario always serializes"),
        inputs: inputs::inputs(s),
        dataset: plan.dataset.name.clone(),
        neurons: t.neurons(),
        synapses: t.synapses(),
        layers,
        final_test_accuracy: last.test_accuracy,
        final_test_loss: last.test_loss,
        final_test_r2: last.test_r2,
        final_train_loss: last.train_loss,
        tasks: tasks.as_ref().map(TaskOutcome::summary),
        average_accuracy: forgetting.average_accuracy,
        learning_accuracy: forgetting.learning_accuracy,
        backward_transfer: forgetting.backward_transfer,
        first_task_drop: forgetting.first_task_drop,
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
        diverged: report
            .diverged
            .as_ref()
            .map(|d| warnings::diverged(plan, &report, d)),
        passed: report.diverged.is_none() && expectations.iter().all(|e| e.passed),
        expectations,
    };
    Ok(RunResult {
        scenario: s.clone(),
        metrics,
        summary,
        params,
        tasks,
    })
}
