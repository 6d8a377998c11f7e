//! Scenarios: the RON schema a researcher writes, its defaults, parsing and validation.
//!
//! A [`Scenario`] is plain serde data, one file per part of it: [`DataSpec`] (`data_spec.rs`),
//! [`NetworkSpec`] (`network.rs`), [`LearningSpec`] (`learning.rs`), [`LinkSpec`] (`links.rs`),
//! [`Fault`] (`faults.rs`), [`NeuronRef`] and [`LayerRef`] (`refs.rs`), [`SeedSpec`] (`seeds.rs`), [`EvaluationSpec`] and
//! [`Expectation`] (`evaluation.rs`). Every optional field has a default, written in its doc comment;
//! `docs/scenarios.md` is the user-facing reference.
//!
//! Reading a file ([`Scenario::from_file`], or [`Draft`] to see everything found) reports *every*
//! problem at once, each a [`Problem`] with the field path, the value written, what would be accepted
//! and its line and column: type errors (a negative count, a fraction where a whole number goes, an
//! unknown variant or field) from `parse.rs`, value errors from `validate.rs`. Checks that need the
//! loaded data are [`validate_with_data`]. Only a RON syntax error stops at the first one.

mod data_spec;
mod evaluation;
mod faults;
mod learning;
mod links;
mod network;
mod parse;
pub mod path;
mod problem;
mod refs;
mod seeds;
#[cfg(test)]
mod test_util;
mod validate;

use std::path::{Path, PathBuf};

use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};

pub use data_spec::{DataSource, DataSpec, SplitOptions, TaskMode, TaskSplit};
pub use evaluation::{CheckSpec, EvaluationSpec, Expectation};
pub use faults::{Fault, When};
pub use learning::{
    Engine, Estimator, LearningSpec, OptimizerSpec, RateSchedule, RuleSpec, SendPolicy, Step,
};
pub use links::{Delay, LinkOverride, LinkSelector, LinkSpec, MissingInput};
pub use network::{Activation, Connectivity, NetworkSpec, OutputKind};
pub use parse::{Draft, MAX_SCENARIO_BYTES};
pub use problem::{Position, Problem};
pub use refs::{LayerRef, NeuronRef};
pub use seeds::SeedSpec;
pub use validate::warnings_with_data;
pub use validate::{
    estimate as estimate_memory, validate_with_data, validate_with_data_within, DataShape,
    MemoryEstimate, TaskKind,
};

/// One experiment: data, network, learning rule, link model and expectations, plus the seed that makes
/// it reproducible.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name of the run; the default output folder is `runs/<name>-seed<seed>/`.
    pub name: String,
    /// Root of every random stream. Default `0`.
    #[serde(default)]
    pub seed: u64,
    /// Seeds of some purposes, independent of `seed`. Default: none (every purpose follows `seed`);
    /// written in `resolved.ron` only when set.
    #[serde(default)]
    pub seeds: SeedSpec,
    /// Where the samples come from.
    pub data: DataSpec,
    /// Shape of the network.
    pub network: NetworkSpec,
    /// Learning rule, optimizer, schedule and engine.
    pub learning: LearningSpec,
    /// Link model: delays and drops. Default: `Constant(1)` both ways, no drops.
    #[serde(default)]
    pub links: LinkSpec,
    /// Scheduled and random faults. Default: none.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// When to evaluate on the test split. Default: once per epoch.
    #[serde(default)]
    pub evaluation: EvaluationSpec,
    /// Conditions checked at the end of the run; a failed one makes `neuragent run` exit 1.
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// How `neuragent check` judges the expectations over seeds. Default `(min_pass_rate: 1.0)`.
    #[serde(default)]
    pub check: CheckSpec,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error. It is part of the message, not the error's `source()`, so that a report of
        /// the chain of causes does not print it twice.
        error: std::io::Error,
    },
    /// The file is too large to be a scenario.
    #[error(
        "{}: {bytes} bytes; a scenario file is at most {} bytes",
        path.display(),
        MAX_SCENARIO_BYTES
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: u64,
    },
    /// The text is not RON (a syntax error), with the line and column where the parser stopped.
    #[error("{}:{position}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// `line:column` of the error.
        position: String,
        /// What the parser said.
        message: String,
    },
    /// The scenario has type or value problems; every one found is listed.
    #[error(
        "{}: invalid scenario:\n{}",
        path.display(),
        problem::ProblemList { file: path, problems, more: *more }
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found (at most 50 type errors, then every value problem).
        problems: Vec<Problem>,
        /// Type errors found beyond those listed (at least this many: the search stops at the
        /// first one past the limit).
        more: usize,
    },
}

impl Scenario {
    /// The random streams of this scenario: `seed`, with the purposes `seeds` names reseeded.
    pub fn streams(&self) -> crate::rng::Streams {
        self.seeds.streams(self.seed)
    }

    /// Reads, parses and validates a scenario file. Relative data paths are resolved against the file's
    /// folder.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        Draft::read(path)?.into_result()
    }

    /// Parses and validates scenario text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        Draft::parse(text, path)?.into_result()
    }

    /// Every problem with the scenario's values; empty when it is valid.
    pub fn validate(&self) -> Vec<Problem> {
        validate::validate(self)
    }

    /// What is not wrong but probably not meant, in the same form as problems: link delays on the
    /// dense engine, which ignores them. Empty for most scenarios.
    pub fn warnings(&self) -> Vec<Problem> {
        validate::warnings(self)
    }

    /// The engine that runs this scenario, with the rule-dependent default applied.
    pub fn engine(&self) -> Engine {
        self.learning.engine.unwrap_or(match self.learning.rule {
            RuleSpec::Backprop => Engine::Dense,
            _ => Engine::Events,
        })
    }

    /// The scenario with every default written out, as RON: what `resolved.ron` holds. It starts with
    /// `#![enable(implicit_some)]`, so optional values are written bare (`wait_timeout: 40`,
    /// `engine: Events`) and `None` where absent.
    pub fn to_ron(&self) -> String {
        let mut resolved = self.clone();
        resolved.learning.engine = Some(self.engine());
        let config = ron::ser::PrettyConfig::new()
            .struct_names(true)
            .compact_arrays(true)
            .extensions(Extensions::IMPLICIT_SOME);
        ron::ser::to_string_pretty(&resolved, config).expect("a scenario always serializes")
    }
}
