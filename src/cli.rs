//! The command line: `neuragent run` and `neuragent validate`.
//!
//! Exit codes: 0 when the command succeeded (and every expectation held), 1 when a run finished but
//! an expectation failed, 2 on bad input or any other error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::output;
use crate::run;
use crate::scenario::Scenario;

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
        /// Output folder [default: runs/<name>-seed<seed>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the output folder even if it holds a different scenario's results.
        #[arg(long)]
        force: bool,
    },
    /// Check scenario files and report every problem in each.
    Validate {
        /// Scenario files (RON).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
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
        Command::Run {
            scenario,
            seed,
            out,
            force,
        } => {
            let mut parsed = Scenario::from_file(&scenario)?;
            if let Some(seed) = seed {
                parsed.seed = seed;
            }
            let dir = out.unwrap_or_else(|| {
                PathBuf::from("runs").join(format!("{}-seed{}", parsed.name, parsed.seed))
            });
            let result = run::run(&parsed).with_context(|| format!("{}", scenario.display()))?;
            output::write_run(&dir, &result, force)?;
            let s = &result.summary;
            let mut report = match s.final_test_accuracy {
                Some(a) => format!(
                    "{}: test accuracy {:.4}, test loss {:.4} after {} samples ({} events, {:.2} s)\n",
                    s.name, a, s.final_test_loss, s.samples_seen, s.events, s.wall_seconds
                ),
                None => format!(
                    "{}: test R² {:.4}, test loss {:.4} after {} samples ({} events, {:.2} s)\n",
                    s.name, s.final_test_r2, s.final_test_loss, s.samples_seen, s.events, s.wall_seconds
                ),
            };
            for e in &s.expectations {
                let value = e.value.map_or("none".to_string(), |v| format!("{v:.4}"));
                let verdict = if e.passed { "ok" } else { "FAILED" };
                report += &format!("  expect {}: {value} {verdict}\n", e.name);
            }
            report += &format!("results in {}\n", dir.display());
            print_ignoring_closed_pipe(&report);
            Ok(if s.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_EXPECTATION_FAILED)
            })
        }
        Command::Validate { scenarios } => {
            let mut failed = false;
            for path in &scenarios {
                match Scenario::from_file(path) {
                    Ok(_) => print_ignoring_closed_pipe(&format!("{}: ok\n", path.display())),
                    Err(e) => {
                        failed = true;
                        eprintln!("error: {e}");
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// Prints to stdout; a reader that went away (`| head`) is not an error of the run.
fn print_ignoring_closed_pipe(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
