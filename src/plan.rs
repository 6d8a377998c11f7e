//! The resolved plan of a run: everything a scenario says, checked once and resolved to ids and
//! numbers, with the data loaded and the network, initial weights and schedule built.
//!
//! Resolution goes one way, as a command line is parsed into low-level arguments and then resolved
//! into the settings a program runs on: `Scenario` (what the user wrote, defaults filled in,
//! validated) → [`Plan`] (data, topology, link classes per synapse, faults as neuron and synapse ids,
//! the rule and optimizer, the schedule). The engines, evaluation and outputs read only the plan;
//! nothing downstream looks at the scenario's text again. Every problem found while resolving is
//! reported at once.

mod delay;
mod faults;
mod links;

use crate::data::{self, DataError, Dataset};
use crate::rng::{Purpose, Streams};
use crate::rule::{Feedback, LearningRule, Sgd};
use crate::scenario::{
    Activation, Engine, Estimator, OptimizerSpec, OutputKind, Problem, RuleSpec, Scenario,
    SendPolicy,
};
use crate::topology::{Params, Topology, TopologyError};
use crate::trainer::Schedule;

pub use delay::{Channel, Fate};
pub use faults::{FaultAction, FaultPlan, FaultTimeline, GroupId, Reinit};
pub use links::{LinkClass, LinkModel};

/// Why a scenario could not be resolved into a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The data could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The network could not be built.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// The scenario does not fit the data or the network it builds; every problem is listed.
    #[error("invalid scenario for this data and network:\n{}", list(.0))]
    Invalid(Vec<Problem>),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Estimated attention: how neurons estimate missing attention and when they send it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimation {
    /// How the estimate follows received attention.
    pub estimator: Estimator,
    /// When attention is sent.
    pub send: SendPolicy,
}

/// Learning settings every engine needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Learning {
    /// Activation of hidden neurons.
    pub activation: Activation,
    /// Output layer and loss.
    pub output: OutputKind,
    /// Optimizer of every neuron.
    pub sgd: Sgd,
    /// Samples per update.
    pub batch_size: usize,
    /// Samples in the network at once.
    pub in_flight: usize,
    /// Estimated attention, for `EstimatedAttention`.
    pub estimation: Option<Estimation>,
}

/// A scenario resolved: what every engine runs on.
#[derive(Debug)]
pub struct Plan {
    /// The scenario as resolved (the engine default written out): what `resolved.ron` holds.
    pub scenario: Scenario,
    /// Its random streams.
    pub streams: Streams,
    /// The loaded data.
    pub dataset: Dataset,
    /// The network.
    pub topology: Topology,
    /// Fixed random feedback weights, one per synapse (feedback stream); empty unless the rule pays
    /// attention through them.
    pub feedback: Vec<f64>,
    /// The training schedule (order stream): the order of samples, batches, checkpoints, and for
    /// tasks and rate schedules where each task ends, the rate of every position and whether
    /// optimizers start afresh with each task.
    pub schedule: Schedule,
    /// Which engine runs it.
    pub engine: Engine,
    /// The learning rule.
    pub rule: Box<dyn LearningRule>,
    /// Learning settings.
    pub learning: Learning,
    /// Links, per synapse.
    pub links: LinkModel,
    /// Faults, as ids.
    pub faults: FaultPlan,
}

impl Plan {
    /// The initial parameters, drawn from the init stream on each call: the plan does not keep a
    /// copy of the weights besides the one a run trains.
    pub fn initial(&self) -> Params {
        Params::init(&self.topology, &mut self.streams.stream(Purpose::Init))
    }

    /// Loads the data and resolves `scenario` (already validated) against it. Every problem that
    /// needs the data or the network is reported at once.
    pub fn new(scenario: &Scenario) -> Result<Plan, PlanError> {
        let streams = scenario.streams();
        let dataset = data::load(&scenario.data, &streams)?;
        let problems = crate::scenario::validate_with_data(scenario, &dataset.shape());
        if !problems.is_empty() {
            return Err(PlanError::Invalid(problems));
        }
        let topology = Topology::build(
            &scenario.network,
            dataset.n_features(),
            dataset.n_outputs(),
            &streams,
        )?;
        let links = LinkModel::new(&scenario.links, &topology);
        let faults = FaultPlan::new(&scenario.faults, &topology);
        let (links, faults) = match (links, faults) {
            (Ok(l), Ok(f)) => (l, f),
            (l, f) => {
                let mut problems = l.err().unwrap_or_default();
                problems.extend(f.err().unwrap_or_default());
                return Err(PlanError::Invalid(problems));
            }
        };
        let rule = scenario.learning.rule.build();
        let feedback = if rule.feedback() == Feedback::FixedRandom {
            Params::init(&topology, &mut streams.stream(Purpose::Feedback)).weights
        } else {
            Vec::new()
        };
        let l = &scenario.learning;
        // Tasks one after another (one task, the whole training split, without `Tasks` data).
        let tasks = match &dataset.tasks {
            Some(tasks) => tasks.train.clone(),
            None => std::iter::once(0..dataset.train.len()).collect(),
        };
        let schedule = Schedule::with_tasks(
            &tasks,
            l.epochs,
            l.batch_size,
            scenario.evaluation.per_epoch,
            l.lr_schedule,
            l.fresh_optimizer,
            &mut streams.stream(Purpose::Order),
        );
        let sgd = match l.optimizer {
            OptimizerSpec::Sgd { lr, momentum } => Sgd { lr, momentum },
        };
        let estimation = match l.rule {
            RuleSpec::EstimatedAttention {
                estimator, send, ..
            } => Some(Estimation { estimator, send }),
            _ => None,
        };
        let engine = scenario.engine();
        let mut resolved = scenario.clone();
        resolved.learning.engine = Some(engine);
        Ok(Plan {
            scenario: resolved,
            streams,
            dataset,
            topology,
            feedback,
            schedule,
            engine,
            rule,
            learning: Learning {
                activation: scenario.network.activation,
                output: scenario.network.output,
                sgd,
                batch_size: l.batch_size,
                in_flight: l.in_flight,
                estimation,
            },
            links,
            faults,
        })
    }

    /// Things the user should know before the run starts (found while resolving).
    pub fn warnings(&self) -> &[String] {
        &self.faults.warnings
    }
}
