//! The command line: `neuragent run`, `replay` and `validate`, and the commands of stability analysis
//! (`sweep`, `merge`, `check`, `edge`, `compare`).
//!
//! Exit codes: 0 when the command succeeded (and every expectation held), 1 when a run finished but
//! an expectation failed (or a replay found different outputs, or `check` found a pass rate below the
//! scenario's `check.min_pass_rate`), 2 on bad input or any other error, 130 when SIGINT or SIGTERM
//! stopped the work.

mod experiments;
mod replay;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::data;
use crate::engine::TraceLevel;
use crate::memory::{Bytes, Limit};
use crate::output;
use crate::run;
use crate::scenario::path::{self, Override};
use crate::scenario::{
    estimate_memory, validate_with_data_within, warnings_with_data, DataShape, Draft,
    MemoryEstimate, Scenario,
};
use crate::sweep::compare::Band;
use crate::sweep::Shard;

pub use experiments::EXIT_INTERRUPTED;

/// Simulate neural networks as societies of attention-seeking neuron agents.
#[derive(Debug, Parser)]
#[command(name = "neuragent", version, about)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write its results to a folder.
    Run {
        /// The scenario file (RON).
        scenario: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Output folder [default: runs/NAME-seedSEED, from the scenario's name and seed].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if it holds a different scenario's results.
        #[arg(long)]
        force: bool,
        /// Also write the trace as JSON Lines to `trace.jsonl` in the output folder: neuron events
        /// (`--trace`), or neuron events and every message with its fate (`--trace=messages`).
        #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "events")]
        trace: Option<TraceArg>,
        /// Override one field of the scenario with a RON value, e.g. `links.drop_probability=0.2`
        /// or `learning.rule=GreedyAttention` (repeatable; written into resolved.ron).
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<Override>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Re-run the resolved scenario of a run folder and report whether the outputs are identical.
    Replay {
        /// A folder written by `neuragent run`.
        dir: PathBuf,
    },
    /// Check scenario and sweep files and their data, without training, and report every problem
    /// in each; a sweep is checked at every grid point.
    Validate {
        /// Scenario or sweep files (RON).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Override one field of every scenario (repeatable), as in `run`.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<Override>,
    },
    /// Run every (grid point, seed) of a sweep file on every core, then write results.csv,
    /// points.csv, timings.csv and the stability map.
    Sweep {
        /// The sweep file (RON: `Sweep(name: .., base: .., seeds: .., grid: [..])`).
        file: PathBuf,
        /// Runs at once [default: one per core].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        jobs: usize,
        /// The sweep folder [default: sweeps/NAME].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only shard K of N (1-based): runs whose index is K-1 modulo N. Shards may share one
        /// folder; join them with `neuragent merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<Shard>,
        /// Skip runs whose folder is complete; rerun the rest.
        #[arg(long)]
        resume: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// The metric of the map's second panel [default: final_test_accuracy, or final_test_r2].
        #[arg(long)]
        metric: Option<String>,
    },
    /// Join the folders of a sweep's shards into one results.csv, points.csv and map.
    Merge {
        /// Folders written by `neuragent sweep --shard`.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the tables [default: the first folder].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The metric of the map's second panel.
        #[arg(long)]
        metric: Option<String>,
    },
    /// Run a scenario on many seeds and judge its expectations by their pass rate (exit 1 below
    /// the scenario's check.min_pass_rate, default 1.0).
    Check {
        /// The scenario file.
        scenario: PathBuf,
        /// Seeds: A..B (B excluded), A..=B, or a list like 1,5,9.
        #[arg(long)]
        seeds: String,
        /// Runs at once [default: one per core].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        jobs: usize,
        /// Override one field of the scenario (repeatable), as in `run`.
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<Override>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Find, for each seed, the value of a numeric field at which the expectations stop holding,
    /// by bisection; with a sweep file, one edge per grid point and seed.
    Edge {
        /// The scenario (or sweep) file.
        scenario: PathBuf,
        /// The numeric field, e.g. links.drop_probability.
        #[arg(long)]
        field: String,
        /// The range searched, LOW..HIGH; the expectations should hold at LOW.
        #[arg(long)]
        range: String,
        /// Seeds: A..B (B excluded), A..=B, or a list.
        #[arg(long)]
        seeds: String,
        /// Stop when the bracket is at most this wide.
        #[arg(long, default_value_t = 0.01)]
        tolerance: f64,
        /// Runs at once [default: one per core].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        jobs: usize,
        /// Output folder [default: edges/NAME-FIELD].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override one field of the scenario (repeatable).
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<Override>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Run several scenarios on the same seeds: learning curves in one figure (mean and band) and a
    /// table of final figures with paired differences.
    Compare {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Seeds: A..B (B excluded), A..=B, or a list.
        #[arg(long)]
        seeds: String,
        /// Runs at once [default: one per core].
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        jobs: usize,
        /// Output folder [default: compare/A-vs-B].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The band around each mean curve.
        #[arg(long, value_enum, default_value_t = BandArg::Minmax)]
        band: BandArg,
        /// Draw the loss on a linear axis instead of a log axis.
        #[arg(long)]
        linear_loss: bool,
        /// Override one field of every scenario (repeatable).
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<Override>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

/// The band of `neuragent compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BandArg {
    /// From the smallest to the largest value over seeds.
    Minmax,
    /// One standard deviation either side of the mean.
    Sd,
}

/// How much `--trace` records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceArg {
    /// Neuron events: admit, fire, loss, credit, and faults.
    Events,
    /// Neuron events and every message with its fate.
    Messages,
}

impl From<TraceArg> for TraceLevel {
    fn from(a: TraceArg) -> TraceLevel {
        match a {
            TraceArg::Events => TraceLevel::Events,
            TraceArg::Messages => TraceLevel::Messages,
        }
    }
}

/// Exit code of a finished run whose expectations failed.
pub const EXIT_EXPECTATION_FAILED: u8 = 1;
/// Exit code of bad input or any error.
pub const EXIT_ERROR: u8 = 2;

/// Parses the process arguments and carries out the command.
pub fn main() -> anyhow::Result<ExitCode> {
    execute(Args::parse())
}

/// Carries out parsed arguments.
pub fn execute(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Replay { dir } => replay::replay(&dir),
        Command::Sweep {
            file,
            jobs,
            out,
            shard,
            resume,
            quiet,
            metric,
        } => experiments::sweep(experiments::SweepArgs {
            file,
            jobs,
            out,
            shard,
            resume,
            quiet,
            metric,
        }),
        Command::Merge { dirs, out, metric } => experiments::merge(&dirs, out, metric),
        Command::Check {
            scenario,
            seeds,
            jobs,
            set,
            quiet,
        } => experiments::check(&scenario, &seeds, jobs, &set, quiet),
        Command::Edge {
            scenario,
            field,
            range,
            seeds,
            tolerance,
            jobs,
            out,
            set,
            quiet,
        } => experiments::edge(experiments::EdgeArgs {
            file: scenario,
            field,
            range,
            seeds,
            tolerance,
            jobs,
            out,
            set,
            quiet,
        }),
        Command::Compare {
            scenarios,
            seeds,
            jobs,
            out,
            band,
            linear_loss,
            set,
            quiet,
        } => experiments::compare(experiments::CompareArgs {
            files: scenarios,
            seeds,
            jobs,
            out,
            band: match band {
                BandArg::Minmax => Band::MinMax,
                BandArg::Sd => Band::Sd,
            },
            linear_loss,
            set,
            quiet,
        }),
        Command::Run {
            scenario,
            seed,
            out,
            force,
            trace,
            set,
            quiet,
        } => {
            let mut parsed = path::load(&scenario, &set)?;
            if let Some(seed) = seed {
                parsed.seed = seed;
            }
            let dir = out.unwrap_or_else(|| {
                PathBuf::from("runs").join(format!("{}-seed{}", parsed.name, parsed.seed))
            });
            let trace_path = trace.map(|level| (output::trace_staging_path(&dir), level.into()));
            let result = match &trace_path {
                Some((p, level)) => run_with_trace(&parsed, Some((p.as_path(), *level))),
                None => run_with_progress_bar(&parsed, quiet),
            }
            .with_context(|| format!("{}", scenario.display()));
            let written = result.and_then(|result| {
                output::write_run(
                    &dir,
                    &result,
                    force,
                    trace_path.as_ref().map(|(p, _)| p.as_path()),
                )?;
                Ok(result)
            });
            let result = match written {
                Ok(result) => result,
                Err(e) => {
                    if let Some((path, _)) = &trace_path {
                        let _ = std::fs::remove_file(path);
                    }
                    return Err(e);
                }
            };
            let s = &result.summary;
            let mut report = match s.final_test_accuracy {
                Some(a) => format!(
                    "{}: test accuracy {:.4}, test loss {:.4} after {} samples ({} events, {:.2} s)\n",
                    s.name, a, s.final_test_loss, s.samples_seen, s.events, s.wall_seconds
                ),
                None => format!(
                    "{}: test R² {}, test loss {:.4} after {} samples ({} events, {:.2} s)\n",
                    s.name,
                    s.final_test_r2.map_or("undefined".to_string(), |r| format!("{r:.4}")),
                    s.final_test_loss,
                    s.samples_seen,
                    s.events,
                    s.wall_seconds
                ),
            };
            for e in &s.expectations {
                let value = e.value.map_or("none".to_string(), |v| format!("{v:.4}"));
                let verdict = if e.passed { "ok" } else { "FAILED" };
                report += &format!("  expect {}: {value} {verdict}\n", e.name);
            }
            report += &format!("results in {}\n", dir.display());
            print_ignoring_closed_pipe(&report);
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
            Ok(if s.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_EXPECTATION_FAILED)
            })
        }
        Command::Validate { scenarios, set } => {
            let limit = crate::memory::limit().map_err(anyhow::Error::msg)?;
            let mut failed = false;
            for path in &scenarios {
                if crate::sweep::is_sweep_file(path) {
                    // A sweep: every grid point checked as a scenario, every problem at once.
                    let checked = if set.is_empty() {
                        crate::sweep::Plan::load(path).map_err(anyhow::Error::from)
                    } else {
                        Err(anyhow::anyhow!(
                            "{}: --set does not apply to a sweep file; set the value in its base scenario or grid",
                            path.display()
                        ))
                    };
                    match checked {
                        Ok(plan) => print_ignoring_closed_pipe(&format!(
                            "{}: ok (sweep of {} grid points × {} seeds = {} runs)\n",
                            path.display(),
                            plan.points.len(),
                            plan.seeds.len(),
                            plan.points.len() * plan.seeds.len()
                        )),
                        Err(e) => {
                            failed = true;
                            eprintln!("error: {e:#}");
                        }
                    }
                    continue;
                }
                let read = if set.is_empty() {
                    Draft::read(path)
                } else {
                    // The overrides applied, the result checked like a file (positions refer to the
                    // resolved text).
                    match path::load(path, &set) {
                        Ok(s) => Draft::parse(s.to_ron(), path),
                        // A scenario error names its file already.
                        Err(e @ path::PathError::Scenario(_)) => {
                            failed = true;
                            eprintln!("error: {e}");
                            continue;
                        }
                        Err(e) => {
                            failed = true;
                            eprintln!("error: {}: {e}", path.display());
                            continue;
                        }
                    }
                };
                let report = validate_report(path, read, limit);
                eprint!("{}", report.stderr);
                print_ignoring_closed_pipe(&report.stdout);
                failed |= !report.valid;
            }
            Ok(if failed {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// What `neuragent validate` prints for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidateReport {
    /// Whether the file is valid.
    pub valid: bool,
    /// `FILE: ok (about N of memory at peak)` when it is.
    pub stdout: String,
    /// One `warning: ...` line per warning, then one `error: ...` per error.
    pub stderr: String,
}

/// The report of `neuragent validate` on `file`, read as `read` (with [`Draft::read`] or
/// [`Draft::parse`]), with the memory `limit`.
pub fn validate_report(
    file: &std::path::Path,
    read: Result<Draft, crate::scenario::ScenarioError>,
    limit: Option<Limit>,
) -> ValidateReport {
    let (warnings, outcome) = match read {
        Ok(draft) => {
            let checked = check(draft, limit);
            (checked.warnings, checked.outcome)
        }
        Err(e) => (Vec::new(), Err(vec![e.to_string()])),
    };
    let mut stderr = String::new();
    for w in warnings {
        let at = w.position.map_or(String::new(), |at| format!("{at}:"));
        stderr += &format!("warning: {}:{at} {w}\n", file.display());
    }
    match outcome {
        Ok(valid) => ValidateReport {
            valid: true,
            stdout: format!(
                "{}: ok (about {} of memory at peak)\n",
                file.display(),
                Bytes(valid.memory.total())
            ),
            stderr,
        },
        Err(errors) => {
            for e in errors {
                stderr += &format!("error: {e}\n");
            }
            ValidateReport {
                valid: false,
                stdout: String::new(),
                stderr,
            }
        }
    }
}

/// A scenario that passed every check of `neuragent validate`.
#[derive(Debug)]
pub struct Validated {
    /// The scenario.
    pub scenario: Scenario,
    /// The shape of its data.
    pub shape: DataShape,
    /// The memory a run needs.
    pub memory: MemoryEstimate,
}

/// What `neuragent validate` finds in a scenario: its warnings, and the scenario or every error.
#[derive(Debug)]
pub struct Checked {
    /// What is not wrong but probably not meant ([`Scenario::warnings`] and
    /// [`crate::scenario::warnings_with_data`]), placed in the file.
    pub warnings: Vec<crate::scenario::Problem>,
    /// The scenario with its data's shape and memory estimate, or every error as a message.
    pub outcome: Result<Validated, Vec<String>>,
}

/// Checks a scenario as `neuragent validate` does; [`check`] without the warnings.
pub fn validate(draft: Draft, limit: Option<Limit>) -> Result<Validated, Vec<String>> {
    check(draft, limit).outcome
}

/// Checks a scenario as `neuragent validate` does: its types and values; then, unless the data spec
/// itself is wrong (or a type error leaves the run's length unknown), its data, loaded within
/// `limit`, and everything that needs the data ([`crate::scenario::validate_with_data`]): the
/// neurons that faults and overrides name, the expectations that suit the task, and the memory the
/// run needs. Nothing is trained and no network is built.
pub fn check(mut draft: Draft, limit: Option<Limit>) -> Checked {
    let mut data_error = None;
    let mut shape = None;
    if draft.can_check_with_data() {
        if let Some(s) = draft.scenario() {
            let found = data::load_within(&s.data, &s.streams(), limit).map(|dataset| {
                let shape = dataset.shape();
                let problems = validate_with_data_within(s, &shape, Ok(limit));
                (shape, problems, warnings_with_data(s, &shape))
            });
            match found {
                Ok((found_shape, problems, warnings)) => {
                    shape = Some(found_shape);
                    draft.add(problems);
                    draft.add_warnings(warnings);
                }
                // Tasks that do not fit the data are problems of fields, placed in the file.
                Err(data::DataError::Tasks { problems, .. }) => draft.add(problems),
                Err(e) => data_error = Some(e),
            }
        }
    }
    let file = draft.file().display().to_string();
    let warnings = draft.warnings().to_vec();
    let mut errors = Vec::new();
    let scenario = draft.into_result().map_err(|e| errors.push(e.to_string()));
    if let Some(e) = data_error {
        errors.push(format!("{file}: {e}"));
    }
    let outcome = match (scenario, shape) {
        (Ok(scenario), Some(shape)) if errors.is_empty() => Ok(Validated {
            memory: estimate_memory(&scenario, &shape),
            scenario,
            shape,
        }),
        _ if errors.is_empty() => Err(vec![format!("{file}: the data could not be checked")]),
        _ => Err(errors),
    };
    Checked { warnings, outcome }
}

/// Prints to stdout; a reader that went away (`| head`) is not an error of the run.
pub(crate) fn print_ignoring_closed_pipe(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Runs `scenario` with a progress bar on stderr (none when `quiet` or stderr is not a terminal).
fn run_with_progress_bar(scenario: &Scenario, quiet: bool) -> anyhow::Result<run::RunResult> {
    let mut bar: Option<crate::sweep::exec::Progress> = None;
    let result = run::run_with_progress(scenario, &mut |p| {
        let bar = bar
            .get_or_insert_with(|| crate::sweep::exec::Progress::samples(p.samples_total, quiet));
        let loss = p
            .train_loss
            .map_or(String::new(), |l| format!("train loss {l:.4}, "));
        bar.set(
            p.samples_seen as u64,
            format!("{loss}test loss {:.4}", p.test_loss),
        );
    });
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(result?)
}

/// Runs `scenario`, streaming its trace at the given level to the given file.
fn run_with_trace(
    scenario: &Scenario,
    trace: Option<(&std::path::Path, TraceLevel)>,
) -> anyhow::Result<run::RunResult> {
    let writer = match trace {
        Some((path, level)) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            Some(run::Trace {
                out: Box::new(std::io::BufWriter::new(file)),
                level,
            })
        }
        None => None,
    };
    Ok(run::run_traced(scenario, writer)?)
}
