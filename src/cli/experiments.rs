//! The commands of stability analysis: `sweep`, `merge`, `check`, `edge` and `compare`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::{print_ignoring_closed_pipe, EXIT_ERROR, EXIT_EXPECTATION_FAILED};
use crate::plot;
use crate::scenario::path::{self, FieldPath, Override};
use crate::scenario::Scenario;
use crate::sweep::compare::{self, Band};
use crate::sweep::edge::{self, EdgeSearch};
use crate::sweep::store::write_atomic;
use crate::sweep::{self, check, exec, parse_seeds, Plan, Shard, SweepFailure, SweepOptions};

/// Exit code of work stopped by SIGINT or SIGTERM (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Makes SIGINT and SIGTERM stop the work cleanly; a second signal ends the process at once (every
/// output is written under a temporary name first, so nothing incomplete looks complete).
pub fn install_stop_handler() {
    let _ = ctrlc::set_handler(|| {
        if exec::stop_requested() {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        exec::request_stop();
    });
}

fn refused(message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("error: {message}");
    Ok(ExitCode::from(EXIT_ERROR))
}

/// `neuragent sweep`.
pub struct SweepArgs {
    /// The sweep file.
    pub file: PathBuf,
    /// Threads.
    pub jobs: usize,
    /// Output folder.
    pub out: Option<PathBuf>,
    /// Shard.
    pub shard: Option<Shard>,
    /// Resume.
    pub resume: bool,
    /// No progress bar.
    pub quiet: bool,
    /// The map's metric.
    pub metric: Option<String>,
}

/// Runs a sweep.
pub fn sweep(a: SweepArgs) -> anyhow::Result<ExitCode> {
    let plan = match Plan::load(&a.file) {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    if let Some(metric) = &a.metric {
        let expectations = plan
            .points
            .iter()
            .map(|p| p.scenario.expect.len())
            .max()
            .unwrap_or(0);
        if !sweep::record::point_metrics(expectations).contains(metric)
            && !sweep::record::TASK_METRICS.contains(&metric.as_str())
        {
            return refused(format!(
                "--metric {metric}: expected one of {}",
                sweep::record::METRICS
            ));
        }
    }
    let shard = a.shard.unwrap_or(Shard::ALL);
    let out = a.out.clone().unwrap_or_else(|| sweep::default_out(&plan));
    let opts = SweepOptions {
        out: out.clone(),
        jobs: a.jobs,
        shard,
        resume: a.resume,
        quiet: a.quiet,
        metric: a.metric.clone(),
    };
    install_stop_handler();
    let report = match sweep::run_sweep(&plan, &opts) {
        Ok(r) => r,
        Err(SweepFailure::Interrupted {
            complete,
            runs,
            shard: s,
            out,
        }) => {
            let shard_arg = if shard.is_all() {
                String::new()
            } else {
                format!(" --shard {shard}")
            };
            eprintln!(
                "interrupted: {complete} of {runs} runs{s} are complete in {}; runs in progress were abandoned.\n\
                 resume with: neuragent sweep {}{shard_arg} --out {} --resume",
                out.display(),
                a.file.display(),
                out.display()
            );
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
        Err(SweepFailure::Refused(e)) => return refused(e),
        Err(e) => return Err(e.into()),
    };
    let mut text =
        format!(
        "{}: {} runs{} ({} resumed from earlier, {} could not run), every expectation held in {} runs\n",
        plan.name,
        report.runs,
        if shard.is_all() { String::new() } else { format!(" of shard {shard}") },
        report.skipped,
        report.errors,
        report.passed
    );
    if !report.written.points.is_empty() {
        text += &points_table(&plan, &report.written.points);
    }
    for f in &report.written.files {
        text += &format!("wrote {}\n", f.display());
    }
    if !shard.is_all() {
        text += &format!(
            "when every shard is done: neuragent merge {} [more shard folders] --out DIR\n",
            out.display()
        );
    }
    print_ignoring_closed_pipe(&text);
    Ok(ExitCode::SUCCESS)
}

fn points_table(plan: &Plan, points: &[sweep::record::PointStats]) -> String {
    let mut t = String::new();
    for s in points {
        let assignment: Vec<String> = plan
            .axes
            .iter()
            .zip(plan.assignment(s.point))
            .map(|(a, v)| format!("{} = {v}", a.path))
            .collect();
        let metric = s
            .metric("final_test_accuracy")
            .map(|d| ("accuracy", d))
            .or_else(|| s.metric("final_test_r2").map(|d| ("R²", d)));
        t += &format!(
            "  {}: pass {}/{} [{:.2}, {:.2}]{}\n",
            assignment.join(", "),
            s.passes,
            s.runs,
            s.pass_ci.0,
            s.pass_ci.1,
            metric.map_or(String::new(), |(n, d)| format!(
                ", mean {n} {:.4}{}",
                d.mean,
                d.sd.map_or(String::new(), |sd| format!(" ± {sd:.4}"))
            ))
        );
    }
    t
}

/// `neuragent merge`.
pub fn merge(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    metric: Option<String>,
) -> anyhow::Result<ExitCode> {
    let out = out.unwrap_or_else(|| dirs[0].clone());
    match sweep::store::merge(dirs, &out, metric.as_deref()) {
        Ok(m) => {
            let mut text = format!(
                "{}: merged {} runs from {} folder{}\n",
                m.name,
                m.runs,
                dirs.len(),
                if dirs.len() == 1 { "" } else { "s" }
            );
            for f in &m.written.files {
                text += &format!("wrote {}\n", f.display());
            }
            print_ignoring_closed_pipe(&text);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

fn load(file: &Path, set: &[Override]) -> anyhow::Result<Scenario> {
    if sweep::is_sweep_file(file) {
        bail!(
            "{} is a sweep file; this command takes a scenario",
            file.display()
        );
    }
    Ok(path::load(file, set)?)
}

/// `neuragent check`.
pub fn check(
    file: &Path,
    seeds: &str,
    jobs: usize,
    set: &[Override],
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let seeds = match parse_seeds(seeds) {
        Ok(s) => s,
        Err(e) => return refused(e),
    };
    let scenario = match load(file, set) {
        Ok(s) => s,
        Err(e) => return refused(format!("{e:#}")),
    };
    if let Err(e) = crate::plan::Plan::new(&scenario) {
        return refused(format!("{}: {e}", file.display()));
    }
    install_stop_handler();
    let report = match check::check(&scenario, &seeds, jobs, quiet) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}; nothing was written");
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
    };
    print_ignoring_closed_pipe(&report.table());
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_EXPECTATION_FAILED)
    })
}

/// `neuragent edge`.
pub struct EdgeArgs {
    /// Scenario or sweep file.
    pub file: PathBuf,
    /// The field.
    pub field: String,
    /// `LOW..HIGH`.
    pub range: String,
    /// Seeds.
    pub seeds: String,
    /// Bracket width to stop at.
    pub tolerance: f64,
    /// Threads.
    pub jobs: usize,
    /// Output folder.
    pub out: Option<PathBuf>,
    /// Overrides.
    pub set: Vec<Override>,
    /// No progress bar.
    pub quiet: bool,
}

fn parse_range(text: &str) -> Result<(f64, f64), String> {
    let bad = || format!("--range {text}: expected LOW..HIGH, e.g. 0.0..0.9");
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let a: f64 = a.trim().parse().map_err(|_| bad())?;
    let b: f64 = b
        .trim()
        .trim_start_matches('=')
        .parse()
        .map_err(|_| bad())?;
    Ok((a, b))
}

/// Finds edges.
pub fn edge(a: EdgeArgs) -> anyhow::Result<ExitCode> {
    let seeds = match parse_seeds(&a.seeds) {
        Ok(s) => s,
        Err(e) => return refused(e),
    };
    let range = match parse_range(&a.range) {
        Ok(r) => r,
        Err(e) => return refused(e),
    };
    let field: FieldPath = match a.field.parse() {
        Ok(f) => f,
        Err(e) => return refused(format!("--field: {e}")),
    };
    let (name, source, targets): (String, PathBuf, Vec<(String, Scenario)>) =
        if sweep::is_sweep_file(&a.file) {
            if !a.set.is_empty() {
                return refused("--set does not apply to a sweep file: set the value in its base scenario or grid");
            }
            let plan = match Plan::load(&a.file) {
                Ok(p) => p,
                Err(e) => return refused(e),
            };
            let targets = plan
                .points
                .iter()
                .map(|p| {
                    let label = plan
                        .axes
                        .iter()
                        .zip(plan.assignment(p.index))
                        .map(|(ax, v)| format!("{} = {v}", ax.path))
                        .collect::<Vec<_>>()
                        .join(", ");
                    (label, p.scenario.clone())
                })
                .collect();
            (plan.name.clone(), plan.base_file.clone(), targets)
        } else {
            match load(&a.file, &a.set) {
                Ok(s) => (s.name.clone(), a.file.clone(), vec![(String::new(), s)]),
                Err(e) => return refused(format!("{e:#}")),
            }
        };
    let search = match EdgeSearch::new(&targets[0].1, field, range, a.tolerance, &source) {
        Ok(s) => s,
        Err(e) => return refused(e),
    };
    for (_, t) in &targets[1..] {
        if let Err(e) = EdgeSearch::new(t, search.field.clone(), range, a.tolerance, &source) {
            return refused(e);
        }
    }
    install_stop_handler();
    let edges = match edge::find_edges(&search, &targets, &seeds, &source, a.jobs, a.quiet) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}; nothing was written");
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
    };
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("edges").join(format!("{name}-{}", search.field)));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let title = format!("{name}: where the expectations stop holding, per seed");
    let figure =
        plot::render(&edge::figure(&title, &search, &edges)).map_err(anyhow::Error::msg)?;
    let mut text = edge::table(&search, &edges);
    for (file, bytes) in [
        ("edges.csv", edge::csv(&search, &edges)),
        ("edges.svg", figure.svg.into_bytes()),
        ("edges.png", figure.png),
    ] {
        write_atomic(&out.join(file), &bytes).map_err(anyhow::Error::msg)?;
        text += &format!("wrote {}\n", out.join(file).display());
    }
    print_ignoring_closed_pipe(&text);
    Ok(if edges.iter().any(|e| e.error.is_some()) {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// `neuragent compare`.
pub struct CompareArgs {
    /// Scenario files.
    pub files: Vec<PathBuf>,
    /// Seeds.
    pub seeds: String,
    /// Threads.
    pub jobs: usize,
    /// Output folder.
    pub out: Option<PathBuf>,
    /// Band.
    pub band: Band,
    /// Linear loss axis.
    pub linear_loss: bool,
    /// Overrides, applied to every scenario.
    pub set: Vec<Override>,
    /// No progress bar.
    pub quiet: bool,
}

/// Compares scenarios.
pub fn compare(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let seeds = match parse_seeds(&a.seeds) {
        Ok(s) => s,
        Err(e) => return refused(e),
    };
    let mut scenarios = Vec::new();
    let mut problems = Vec::new();
    for f in &a.files {
        match load(f, &a.set) {
            Ok(s) => scenarios.push((f.clone(), s)),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    if !problems.is_empty() {
        return refused(problems.join("\n"));
    }
    let names: Vec<String> = scenarios.iter().map(|(_, s)| s.name.clone()).collect();
    let unique = (1..names.len()).all(|i| !names[..i].contains(&names[i]));
    let labelled: Vec<(String, Scenario)> = scenarios
        .into_iter()
        .enumerate()
        .map(|(i, (f, s))| {
            let label = if unique {
                s.name.clone()
            } else {
                format!(
                    "{} ({})",
                    s.name,
                    f.file_stem()
                        .map_or(i.to_string(), |x| x.to_string_lossy().into_owned())
                )
            };
            (label, s)
        })
        .collect();
    install_stop_handler();
    let compared = match compare::compare(&labelled, &seeds, a.jobs, a.quiet) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}; nothing was written");
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
    };
    let errors: Vec<String> = compared
        .iter()
        .flat_map(|c| {
            c.runs.iter().zip(&seeds).filter_map(move |(r, s)| {
                r.as_ref()
                    .err()
                    .map(|e| format!("{} seed {s}: {e}", c.label))
            })
        })
        .collect();
    if !errors.is_empty() {
        return refused(errors.join("\n"));
    }
    let rows = compare::final_rows(&compared);
    let classification = compared.iter().all(|c| c.classification);
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("compare").join(names.join("-vs-")));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let figure = plot::render(&compare::figure(
        &compared,
        seeds.len(),
        a.band,
        !a.linear_loss,
    ))
    .map_err(anyhow::Error::msg)?;
    let mut text = compare::table(&rows, classification);
    for (file, bytes) in [
        ("compare.csv", compare::csv(&rows)),
        ("compare.svg", figure.svg.into_bytes()),
        ("compare.png", figure.png),
    ] {
        write_atomic(&out.join(file), &bytes).map_err(anyhow::Error::msg)?;
        text += &format!("wrote {}\n", out.join(file).display());
    }
    print_ignoring_closed_pipe(&text);
    Ok(ExitCode::SUCCESS)
}
