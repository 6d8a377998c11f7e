//! Stability analysis: seed × parameter sweeps on every core and across a cluster, convergence checks
//! over seeds, edges by bisection, and comparisons of scenarios.
//!
//! ```text
//!  digits.sweep.ron ──► plan::Plan::load ── every grid point checked as a scenario, data included
//!        │                   │
//!        │      runs (point × seed), ids point-major; --shard K/N takes ids ≡ K−1 (mod N)
//!        ▼                   ▼
//!  store::Manifest ──► exec::parallel (rayon pool, stop flag) ──► OUT/runs/p003-seed2/ (atomic)
//!                                                                    │
//!                       record: Finals from each summary.json ◄──────┘
//!                                   │
//!                    results.csv, points.csv, timings.csv, map.svg/png (also `merge`)
//! ```
//!
//! * [`plan`] — sweep files, grid points, runs, shards and seed lists.
//! * [`exec`] — the work queue, the stop flag (SIGINT, SIGTERM) and progress bars.
//! * [`record`] and [`stats`] — the tables and their statistics (Wilson intervals, t intervals).
//! * [`store`] — the sweep folder, its manifest, `merge`.
//! * [`check`], [`edge`], [`compare`] — convergence checks over seeds, critical values by
//!   bisection, and learning curves of several scenarios over the same seeds.
//!
//! **Determinism.** A run depends only on its scenario and seed, never on which thread or process
//! ran it; the tables are built from the runs' `summary.json` files in run order, so `results.csv`
//! and `points.csv` are the same bytes for any `--jobs`, any sharding, after `--resume` and after
//! `merge`. Wall times, the one thing that differs, live in `timings.csv` only.

pub mod check;
pub mod compare;
pub mod edge;
pub mod exec;
pub mod plan;
pub mod record;
pub mod stats;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use plan::{is_sweep_file, parse_seeds, Plan, RunSpec, Shard, SweepError};

use crate::output;
use crate::run;
use store::{Found, Manifest, ManifestRun, Written};

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// The sweep folder.
    pub out: PathBuf,
    /// Threads (0: every core).
    pub jobs: usize,
    /// The share of the runs to run.
    pub shard: Shard,
    /// Skip runs whose folder is complete.
    pub resume: bool,
    /// No progress bar.
    pub quiet: bool,
    /// The map's second metric (default: mean final test accuracy, or R²).
    pub metric: Option<String>,
}

/// What a sweep did.
#[derive(Clone, Debug)]
pub struct SweepReport {
    /// Runs of this shard.
    pub runs: usize,
    /// Runs skipped because their folder was complete (`--resume`).
    pub skipped: usize,
    /// Runs that could not run (their error is in `results.csv`).
    pub errors: usize,
    /// Runs where every expectation held.
    pub passed: usize,
    /// The files written.
    pub written: Written,
}

/// Why a sweep stopped without its tables.
#[derive(Debug, thiserror::Error)]
pub enum SweepFailure {
    /// Bad input or a folder that cannot be used: nothing ran.
    #[error("{0}")]
    Refused(String),
    /// Stopped by a signal; complete runs are kept.
    #[error("interrupted: {complete} of {runs} runs of this sweep{shard} are complete in {out}")]
    Interrupted {
        /// Complete runs of the shard.
        complete: usize,
        /// Runs of the shard.
        runs: usize,
        /// ` (shard K/N)` or nothing.
        shard: String,
        /// The folder.
        out: PathBuf,
    },
    /// Writing failed.
    #[error("{0}")]
    Io(String),
}

/// The default folder of a sweep: `sweeps/NAME` (`sweeps/NAME/` is shared by its shards).
pub fn default_out(plan: &Plan) -> PathBuf {
    PathBuf::from("sweeps").join(&plan.name)
}

/// Runs the runs of `opts.shard` of `plan` into `opts.out` and writes the tables.
pub fn run_sweep(plan: &Plan, opts: &SweepOptions) -> Result<SweepReport, SweepFailure> {
    let out = &opts.out;
    let manifest = Manifest::new(plan, opts.shard);
    if out.exists() && !out.is_dir() {
        return Err(SweepFailure::Refused(format!(
            "{} exists and is not a folder; choose another --out",
            out.display()
        )));
    }
    std::fs::create_dir_all(store::runs_dir(out))
        .map_err(|e| SweepFailure::Io(format!("cannot create {}: {e}", out.display())))?;
    for (file, m) in store::read_manifests(out).map_err(SweepFailure::Refused)? {
        if m.fingerprint != manifest.fingerprint {
            return Err(SweepFailure::Refused(format!(
                "{} holds sweep {:?} ({}), not this one; choose another --out",
                out.display(),
                m.sweep,
                file.display()
            )));
        }
    }
    let own: Vec<ManifestRun> = manifest.own_runs().cloned().collect();
    let mut own_names: Vec<String> = own.iter().map(|r| r.dir.clone()).collect();
    own_names.push(store::manifest_name(opts.shard));
    own_names.extend(store::table_names(opts.shard));
    store::clean_stale(out, &own_names);
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
    store::write_atomic(&out.join(store::manifest_name(opts.shard)), &json)
        .map_err(SweepFailure::Io)?;

    let mut todo = Vec::new();
    for r in &own {
        let complete = opts.resume
            && matches!(
                store::read_run(out, r).map_err(SweepFailure::Io)?,
                Found::Complete(_)
            );
        if !complete {
            todo.push(r.clone());
        }
    }
    let skipped = own.len() - todo.len();
    let progress = exec::Progress::runs(todo.len(), &plan.name, opts.quiet);
    let shared = Arc::new(plan.clone());
    let dest = out.clone();
    let (mut ok, mut failed, mut errors) = (0usize, 0usize, 0usize);
    let results = exec::parallel(
        todo,
        opts.jobs,
        move |r: ManifestRun| execute_one(&shared, &dest, &r),
        |done: &Result<Option<bool>, String>| {
            match done {
                Ok(Some(true)) => ok += 1,
                Ok(Some(false)) => failed += 1,
                _ => errors += 1,
            }
            progress.inc(format!(
                "{ok} passed, {failed} failed, {errors} could not run"
            ));
        },
    );
    progress.finish();
    let results = results.map_err(|_| SweepFailure::Interrupted {
        complete: own
            .iter()
            .filter(|r| matches!(store::read_run(out, r), Ok(Found::Complete(_))))
            .count(),
        runs: own.len(),
        shard: if opts.shard.is_all() {
            String::new()
        } else {
            format!(" (shard {})", opts.shard)
        },
        out: out.clone(),
    })?;
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        return Err(SweepFailure::Io(e.clone()));
    }
    // The tables, from the folders on disk.
    let mut records = Vec::with_capacity(own.len());
    for r in &own {
        match store::read_run(out, r).map_err(SweepFailure::Io)? {
            Found::Complete(outcome) => records.push(record::Record {
                id: r.id,
                point: r.point,
                seed: r.seed,
                dir: r.dir.clone(),
                outcome,
            }),
            _ => {
                return Err(SweepFailure::Io(format!(
                    "{} is missing after the sweep",
                    store::runs_dir(out).join(&r.dir).display()
                )))
            }
        }
    }
    let written = store::write_tables(
        out,
        &plan.name,
        &manifest.layout,
        &records,
        opts.shard,
        opts.metric.as_deref(),
    )
    .map_err(SweepFailure::Io)?;
    Ok(SweepReport {
        runs: own.len(),
        skipped,
        errors: records
            .iter()
            .filter(|r| matches!(r.outcome, record::Outcome::Failed(_)))
            .count(),
        passed: records.iter().filter(|r| r.outcome.passed()).count(),
        written,
    })
}

/// Runs one run and writes its folder. `Ok(Some(passed))` when it ran, `Ok(None)` when it could not
/// run (its folder holds the error), `Err` when a folder could not be written.
fn execute_one(plan: &Plan, out: &Path, r: &ManifestRun) -> Result<Option<bool>, String> {
    let scenario = plan.scenario(RunSpec {
        id: r.id,
        point: r.point,
        seed: r.seed,
    });
    let result = run::run(&scenario);
    if exec::stop_requested() {
        // Abandoned: nothing of it is written.
        return Ok(None);
    }
    let dir = store::runs_dir(out).join(&r.dir);
    match result {
        Ok(result) => {
            output::write_run(&dir, &result, true, None).map_err(|e| e.to_string())?;
            Ok(Some(result.summary.passed))
        }
        Err(e) => {
            store::write_failed_run(out, r, &scenario.to_ron(), &e.to_string())?;
            Ok(None)
        }
    }
}
