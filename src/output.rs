//! The run folder: `resolved.ron`, `metrics.csv`, `summary.json`, `curves.svg` and `curves.png` —
//! and for tasks `accuracy.csv`, `task_accuracy.csv`, `tasks.svg` and `tasks.png` — written
//! completely or not at all.
//!
//! Files are written into a temporary sibling folder which then replaces the destination. An existing
//! run folder is only replaced when it holds a run of the same resolved scenario (which the new run
//! reproduces) or when the caller forces it, so no other result is ever overwritten.

use std::fs;
use std::path::{Path, PathBuf};

use crate::plot;
use crate::run::{MetricsRow, RunResult, TaskOutcome};

/// Why a run folder could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The folder holds a different run.
    #[error("{0} already holds the results of a different scenario; choose another folder with --out, or pass --force to replace it")]
    Occupied(PathBuf),
    /// The destination exists and is not a run folder.
    #[error("{0} exists and is not a run folder; choose another folder with --out")]
    NotARunFolder(PathBuf),
    /// Serializing failed.
    #[error("cannot write {file}: {message}")]
    Encode {
        /// The file.
        file: &'static str,
        /// What went wrong.
        message: String,
    },
}

fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> OutputError + 'p {
    move |source| OutputError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Name of the event trace in a run folder.
pub const TRACE_FILE: &str = "trace.jsonl";

/// Where a run writes its trace while it runs: a hidden file beside the run folder `dir`.
pub fn trace_staging_path(dir: &Path) -> PathBuf {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    parent.join(format!(".{name}.trace-{}.jsonl", std::process::id()))
}

/// The files of a run (`resolved.ron`, `metrics.csv`, `summary.json`, `curves.svg`, `curves.png`,
/// `dynamics.svg`, `dynamics.png` when the run measured any of them, and for tasks those of
/// `render_tasks`), as bytes.
pub fn render(result: &RunResult) -> Result<Vec<(&'static str, Vec<u8>)>, OutputError> {
    let resolved = result.scenario.to_ron();
    let mut csv = csv::Writer::from_writer(Vec::new());
    let layers = result.summary.layers;
    let encode = |e: csv::Error| OutputError::Encode {
        file: "metrics.csv",
        message: e.to_string(),
    };
    csv.write_record(MetricsRow::header(layers))
        .map_err(encode)?;
    for row in &result.metrics {
        let record = row.record(&result.summary.name, result.summary.seed, layers);
        csv.write_record(record).map_err(encode)?;
    }
    let csv = csv.into_inner().map_err(|e| OutputError::Encode {
        file: "metrics.csv",
        message: e.to_string(),
    })?;
    let mut summary =
        serde_json::to_vec_pretty(&result.summary).map_err(|e| OutputError::Encode {
            file: "summary.json",
            message: e.to_string(),
        })?;
    summary.push(b'\n');
    let title = format!(
        "{} — {} ({}), seed {}",
        result.summary.name, result.summary.rule, result.summary.engine, result.summary.seed
    );
    // The sweep work draws the curves as SVG and PNG with an embedded font (was SVG only).
    let curves = plot::run_curves(&title, &result.metrics);
    let svg = plot::render_svg(&curves).map_err(|message| OutputError::Encode {
        file: "curves.svg",
        message,
    })?;
    let png = plot::render_png(&curves).map_err(|message| OutputError::Encode {
        file: "curves.png",
        message,
    })?;
    let mut files = vec![
        ("resolved.ron", resolved.into_bytes()),
        ("metrics.csv", csv),
        ("summary.json", summary),
        ("curves.svg", svg.into_bytes()),
        ("curves.png", png),
    ];
    if let Some(dynamics) = plot::run_dynamics(&title, &result.metrics) {
        let figure = plot::render(&dynamics).map_err(|message| OutputError::Encode {
            file: "dynamics.svg",
            message,
        })?;
        files.push(("dynamics.svg", figure.svg.into_bytes()));
        files.push(("dynamics.png", figure.png));
    }
    if let Some(tasks) = &result.tasks {
        files.extend(render_tasks(result, tasks, &title)?);
    }
    Ok(files)
}

/// The files of a run over tasks: `accuracy.csv` (the matrix `R`), `task_accuracy.csv` (every
/// task's score at every checkpoint) and `tasks.svg` / `tasks.png`.
fn render_tasks(
    result: &RunResult,
    tasks: &TaskOutcome,
    title: &str,
) -> Result<Vec<(&'static str, Vec<u8>)>, OutputError> {
    let (name, seed) = (&result.summary.name, result.summary.seed);
    let encode = |file: &'static str| {
        move |e: csv::Error| OutputError::Encode {
            file,
            message: e.to_string(),
        }
    };
    let matrix = tasks
        .matrix_csv(name, seed)
        .map_err(encode("accuracy.csv"))?;
    let curve = tasks
        .curve_csv(name, seed)
        .map_err(encode("task_accuracy.csv"))?;
    let figure = plot::TaskCurves::new(title, tasks);
    let svg = plot::render_svg(&figure).map_err(|message| OutputError::Encode {
        file: "tasks.svg",
        message,
    })?;
    let png = plot::render_png(&figure).map_err(|message| OutputError::Encode {
        file: "tasks.png",
        message,
    })?;
    Ok(vec![
        ("accuracy.csv", matrix),
        ("task_accuracy.csv", curve),
        ("tasks.svg", svg.into_bytes()),
        ("tasks.png", png),
    ])
}

/// Writes the run folder `dir`, moving the finished event trace `trace` (a file beside `dir`) into
/// it as `trace.jsonl`. Replaces an existing folder only if it holds the same resolved scenario, or
/// if `force`.
pub fn write_run(
    dir: &Path,
    result: &RunResult,
    force: bool,
    trace: Option<&Path>,
) -> Result<(), OutputError> {
    let files = render(result)?;
    if dir.exists() {
        let previous = dir.join("resolved.ron");
        if !previous.is_file() {
            return Err(OutputError::NotARunFolder(dir.to_path_buf()));
        }
        let same = fs::read(&previous).ok().as_deref() == Some(files[0].1.as_slice());
        if !same && !force {
            return Err(OutputError::Occupied(dir.to_path_buf()));
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io("cannot create", &parent))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io("cannot remove", &staging))?;
    }
    fs::create_dir(&staging).map_err(io("cannot create", &staging))?;
    let written = files
        .iter()
        .try_for_each(|(file, bytes)| {
            let path = staging.join(file);
            fs::write(&path, bytes).map_err(io("cannot write", &path))
        })
        .and_then(|()| match trace {
            Some(trace) => {
                let path = staging.join(TRACE_FILE);
                fs::rename(trace, &path).map_err(io("cannot move the trace to", &path))
            }
            None => Ok(()),
        });
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if dir.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        fs::rename(dir, &old).map_err(io("cannot move aside", dir))?;
        fs::rename(&staging, dir).map_err(io("cannot move into place", dir))?;
        fs::remove_dir_all(&old).map_err(io("cannot remove", &old))?;
    } else {
        fs::rename(&staging, dir).map_err(io("cannot move into place", dir))?;
    }
    Ok(())
}
