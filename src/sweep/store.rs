//! A sweep's folder: the manifest that identifies the sweep, the run folders, the tables and the
//! stability map, every file written under a temporary name and renamed; and `merge`, which joins the
//! folders of shards.
//!
//! ```text
//! OUT/sweep.json                       the manifest (a shard: sweep-shard-K-of-N.json)
//! OUT/runs/p003-seed2/                 one run folder per run (written by output::write_run)
//! OUT/results.csv points.csv timings.csv map.svg map.png
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::{hash_text, Plan, Shard};
use super::record::{
    point_stats, points_csv, results_csv, timings_csv, Finals, Layout, Outcome, PointStats, Record,
    METRICS,
};
use crate::plot::{self, Cell, HeatPanel, Heatmap};

/// One run as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRun {
    /// Run id.
    pub id: usize,
    /// Grid point.
    pub point: usize,
    /// Seed.
    pub seed: u64,
    /// Folder name in `runs/`.
    pub dir: String,
    /// Hash of its `resolved.ron`.
    pub hash: String,
}

/// What identifies a sweep and where its runs are: written before any run starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The sweep's name.
    pub sweep: String,
    /// Fingerprint of the sweep's definition and every run's resolved scenario.
    pub fingerprint: String,
    /// The share this folder's process runs, `[k, n]`.
    pub shard: [usize; 2],
    /// Axes, points and seeds.
    pub layout: Layout,
    /// Every run of the sweep (not only this shard's).
    pub runs: Vec<ManifestRun>,
}

impl Manifest {
    /// The manifest of `plan` run as `shard`.
    pub fn new(plan: &Plan, shard: Shard) -> Manifest {
        Manifest {
            sweep: plan.name.clone(),
            fingerprint: plan.fingerprint(),
            shard: [shard.k, shard.n],
            layout: Layout {
                axes: plan
                    .axes
                    .iter()
                    .map(|a| (a.path.to_string(), a.values.clone()))
                    .collect(),
                points: plan.points.iter().map(|p| p.coords.clone()).collect(),
                seeds: plan.seeds.clone(),
            },
            runs: plan
                .runs()
                .into_iter()
                .map(|r| ManifestRun {
                    id: r.id,
                    point: r.point,
                    seed: r.seed,
                    dir: plan.run_dir(r),
                    hash: super::plan::run_hash(&plan.scenario(r)),
                })
                .collect(),
        }
    }

    /// The shard this manifest's process ran.
    pub fn shard(&self) -> Shard {
        Shard {
            k: self.shard[0],
            n: self.shard[1],
        }
    }

    /// The runs of this manifest's shard.
    pub fn own_runs(&self) -> impl Iterator<Item = &ManifestRun> {
        let shard = self.shard();
        self.runs.iter().filter(move |r| shard.contains(r.id))
    }
}

/// The manifest's file name for `shard`.
pub fn manifest_name(shard: Shard) -> String {
    if shard.is_all() {
        "sweep.json".into()
    } else {
        format!("sweep-shard-{}-of-{}.json", shard.k, shard.n)
    }
}

/// The folder of run folders.
pub fn runs_dir(out: &Path) -> PathBuf {
    out.join("runs")
}

/// Writes `bytes` to `path` under a temporary name, then renames it: the file is complete or absent.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot move {} into place: {e}", path.display())
    })
}

/// Reads every sweep manifest in `dir`.
pub fn read_manifests(dir: &Path) -> Result<Vec<(PathBuf, Manifest)>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "sweep.json" || (name.starts_with("sweep-shard-") && name.ends_with(".json")) {
            let path = entry.path();
            let text = fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let m: Manifest = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not a sweep manifest: {e}", path.display()))?;
            found.push((path, m));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// The state of a run's folder.
pub enum Found {
    /// No complete folder.
    Absent,
    /// A complete folder of this run.
    Complete(Outcome),
    /// A complete folder of a different run.
    Different,
}

/// Reads the folder of `run` in `out/runs/`.
pub fn read_run(out: &Path, run: &ManifestRun) -> Result<Found, String> {
    let dir = runs_dir(out).join(&run.dir);
    let resolved = match fs::read_to_string(dir.join("resolved.ron")) {
        Ok(t) => t,
        Err(_) => return Ok(Found::Absent),
    };
    if hash_text(&resolved) != run.hash {
        return Ok(Found::Different);
    }
    let summary = dir.join("summary.json");
    if let Ok(text) = fs::read_to_string(&summary) {
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", summary.display()))?;
        let finals = Finals::from_json(&v).map_err(|e| format!("{}: {e}", summary.display()))?;
        return Ok(Found::Complete(Outcome::Done(finals)));
    }
    match fs::read_to_string(dir.join(ERROR_FILE)) {
        Ok(e) => Ok(Found::Complete(Outcome::Failed(e.trim_end().to_string()))),
        Err(_) => Ok(Found::Absent),
    }
}

/// The file a run that could not run leaves in its folder, beside `resolved.ron`.
pub const ERROR_FILE: &str = "error.txt";

/// Writes the folder of a run that could not run: its resolved scenario and the error, atomically.
pub fn write_failed_run(
    out: &Path,
    run: &ManifestRun,
    resolved: &str,
    error: &str,
) -> Result<(), String> {
    let runs = runs_dir(out);
    let staging = runs.join(format!(".{}.partial-{}", run.dir, std::process::id()));
    let dir = runs.join(&run.dir);
    let io = |e: std::io::Error| format!("cannot write {}: {e}", staging.display());
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(io)?;
    fs::write(staging.join("resolved.ron"), resolved).map_err(io)?;
    fs::write(staging.join(ERROR_FILE), format!("{error}\n")).map_err(io)?;
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot replace {}: {e}", dir.display()))?;
    }
    fs::rename(&staging, &dir).map_err(|e| format!("cannot move {} into place: {e}", dir.display()))
}

/// Removes the staging folders and temporary files that a stopped process left for the files named
/// `own` (run folders in `runs/`, files in `out`). Only these: shards sharing the folder write other
/// names, and may be writing them right now.
pub fn clean_stale(out: &Path, own: &[String]) {
    let own: std::collections::BTreeSet<&str> = own.iter().map(String::as_str).collect();
    for dir in [out.to_path_buf(), runs_dir(out)] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix('.') else {
                continue;
            };
            let stale = [".partial-", ".tmp-", ".old-", ".trace-"]
                .iter()
                .find_map(|marker| rest.find(marker).map(|at| &rest[..at]))
                .is_some_and(|target| own.contains(target));
            if stale {
                let p = e.path();
                let _ = if p.is_dir() {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
            }
        }
    }
}

/// The files a sweep or merge wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Written {
    /// Paths, in the order written.
    pub files: Vec<PathBuf>,
    /// Statistics per point (empty for a shard).
    pub points: Vec<PointStats>,
}

/// The files [`write_tables`] writes for `shard` (maps aside).
pub fn table_names(shard: Shard) -> Vec<String> {
    if shard.is_all() {
        ["results.csv", "points.csv", "timings.csv"]
            .map(String::from)
            .to_vec()
    } else {
        let tag = format!("shard-{}-of-{}", shard.k, shard.n);
        vec![format!("results-{tag}.csv"), format!("timings-{tag}.csv")]
    }
}

/// Writes the tables of `records` (run order) into `out`: for the whole sweep `results.csv`,
/// `points.csv`, `timings.csv` and the map; for a shard its own `results-shard-K-of-N.csv` and
/// `timings-shard-K-of-N.csv`. `metric` is the map's second panel (default: mean final test
/// accuracy, or R² for regression).
pub fn write_tables(
    out: &Path,
    name: &str,
    layout: &Layout,
    records: &[Record],
    shard: Shard,
    metric: Option<&str>,
) -> Result<Written, String> {
    let mut written = Written::default();
    let mut put = |file: String, bytes: &[u8]| -> Result<(), String> {
        let path = out.join(file);
        write_atomic(&path, bytes)?;
        written.files.push(path);
        Ok(())
    };
    if !shard.is_all() {
        let tag = format!("shard-{}-of-{}", shard.k, shard.n);
        put(format!("results-{tag}.csv"), &results_csv(layout, records))?;
        put(format!("timings-{tag}.csv"), &timings_csv(records))?;
        return Ok(written);
    }
    let stats = point_stats(layout, records);
    let metric = match metric {
        Some(m) => m.to_string(),
        None if records
            .iter()
            .any(|r| r.outcome.finals().is_some_and(|f| f.accuracy.is_some())) =>
        {
            "final_test_accuracy".into()
        }
        None => "final_test_r2".into(),
    };
    let n_expect = stats.first().map_or(0, |s| {
        s.metrics
            .iter()
            .filter(|m| m.0.starts_with("expect["))
            .count()
    });
    if !super::record::point_metrics(n_expect).contains(&metric)
        && !super::record::TASK_METRICS.contains(&metric.as_str())
    {
        return Err(format!("--metric {metric}: expected one of {METRICS}"));
    }
    put("results.csv".into(), &results_csv(layout, records))?;
    put("points.csv".into(), &points_csv(layout, &stats))?;
    put("timings.csv".into(), &timings_csv(records))?;
    let seeds = layout.seeds.len();
    for (stem, map) in maps(name, layout, &stats, &metric, seeds) {
        let figure = plot::render(&map)?;
        put(format!("{stem}.svg"), figure.svg.as_bytes())?;
        put(format!("{stem}.png"), &figure.png)?;
    }
    written.points = stats;
    Ok(written)
}

/// The stability maps: the first axis along x, the second along y, one map per combination of the
/// values of any further axes.
fn maps(
    name: &str,
    layout: &Layout,
    stats: &[PointStats],
    metric: &str,
    seeds: usize,
) -> Vec<(String, Heatmap)> {
    let axes = &layout.axes;
    let mut groups: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
    for (p, coords) in layout.points.iter().enumerate() {
        groups
            .entry(coords.get(2..).unwrap_or(&[]).to_vec())
            .or_default()
            .push(p);
    }
    let (x_values, y_values) = (&axes[0].1, axes.get(1).map(|a| &a.1));
    let rows = y_values.map_or(1, |v| v.len());
    let single = groups.len() == 1;
    let metric_values: Vec<f64> = stats
        .iter()
        .filter_map(|s| s.metric(metric).map(|d| d.mean))
        .collect();
    let bounded = metric == "final_test_accuracy";
    let scale = if bounded {
        (0.0, 1.0)
    } else {
        let lo = metric_values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = metric_values
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() {
            (lo, hi)
        } else {
            (0.0, 1.0)
        }
    };
    groups
        .into_iter()
        .enumerate()
        .map(|(g, (rest, points))| {
            let mut pass = vec![
                vec![
                    Cell {
                        value: None,
                        lines: vec!["no runs".into()]
                    };
                    x_values.len()
                ];
                rows
            ];
            let mut value = pass.clone();
            for p in points {
                let c = &layout.points[p];
                let (x, y) = (c[0], c.get(1).copied().unwrap_or(0));
                let s = &stats[p];
                pass[y][x] = Cell {
                    value: Some(s.pass_rate()),
                    lines: vec![
                        format!("{}/{} pass", s.passes, s.runs),
                        format!("[{:.2}, {:.2}]", s.pass_ci.0, s.pass_ci.1),
                    ],
                };
                value[y][x] = match s.metric(metric) {
                    Some(d) => Cell {
                        value: Some(d.mean),
                        lines: vec![
                            format!("{:.4}", d.mean),
                            d.sd.map_or("(one seed)".into(), |sd| format!("± {sd:.4}")),
                        ],
                    },
                    None => Cell {
                        value: None,
                        lines: vec!["no value".into()],
                    },
                };
            }
            let fixed: Vec<String> = rest
                .iter()
                .enumerate()
                .map(|(i, &v)| format!("{} = {}", axes[i + 2].0, axes[i + 2].1[v]))
                .collect();
            let title = if fixed.is_empty() {
                format!("{name}: stability map, {seeds} seeds per cell")
            } else {
                format!(
                    "{name}: stability map, {seeds} seeds per cell, {}",
                    fixed.join(", ")
                )
            };
            let map = Heatmap {
                title,
                x_desc: axes[0].0.clone(),
                x_labels: x_values.clone(),
                y_desc: axes.get(1).map_or(String::new(), |a| a.0.clone()),
                y_labels: y_values.cloned().unwrap_or_else(|| vec![String::new()]),
                panels: vec![
                    HeatPanel {
                        caption: "pass rate of the expectations (Wilson 95% interval)".into(),
                        scale: (0.0, 1.0),
                        scale_desc: "pass rate".into(),
                        cells: pass,
                    },
                    HeatPanel {
                        caption: format!("{metric}: mean ± sd over seeds"),
                        scale,
                        scale_desc: format!("mean {metric}"),
                        cells: value,
                    },
                ],
            };
            let stem = if single {
                "map".to_string()
            } else {
                format!("map-{g}")
            };
            (stem, map)
        })
        .collect()
}

/// What `merge` did.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The sweep's name.
    pub name: String,
    /// Runs merged.
    pub runs: usize,
    /// The files written.
    pub written: Written,
}

/// Joins the folders of shards of one sweep into one `results.csv`, `points.csv`, `timings.csv` and
/// map in `out`. Refuses folders of different sweeps, shards that overlap, and missing runs.
pub fn merge(dirs: &[PathBuf], out: &Path, metric: Option<&str>) -> Result<Merged, String> {
    let mut manifests: Vec<(PathBuf, PathBuf, Manifest)> = Vec::new();
    let mut seen_dirs: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let canonical = fs::canonicalize(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if seen_dirs.contains(&canonical) {
            continue;
        }
        seen_dirs.push(canonical);
        let found = read_manifests(dir)?;
        if found.is_empty() {
            return Err(format!(
                "{} holds no sweep manifest (sweep.json or sweep-shard-K-of-N.json); give folders written by `neuragent sweep`",
                dir.display()
            ));
        }
        manifests.extend(found.into_iter().map(|(file, m)| (dir.clone(), file, m)));
    }
    let (_, first_file, first) = manifests.first().ok_or("no folders to merge")?;
    for (_, file, m) in &manifests[1..] {
        if m.fingerprint != first.fingerprint {
            return Err(format!(
                "{} is of sweep {:?} (fingerprint {}) but {} is of sweep {:?} (fingerprint {}): only shards of one sweep can be merged",
                first_file.display(), first.sweep, first.fingerprint, file.display(), m.sweep, m.fingerprint
            ));
        }
    }
    // Who holds each run.
    let mut holder: Vec<Option<usize>> = vec![None; first.runs.len()];
    for (i, (_, file, m)) in manifests.iter().enumerate() {
        for r in m.own_runs() {
            if let Some(j) = holder[r.id] {
                return Err(format!(
                    "{} (shard {}) and {} (shard {}) both hold run {}: the folders overlap; merge each shard once",
                    manifests[j].1.display(), manifests[j].2.shard(), file.display(), m.shard(), r.dir
                ));
            }
            holder[r.id] = Some(i);
        }
    }
    let mut records = Vec::with_capacity(first.runs.len());
    let mut missing = Vec::new();
    for r in &first.runs {
        let Some(i) = holder[r.id] else {
            missing.push(format!("{} (no shard given runs it)", r.dir));
            continue;
        };
        let (dir, _, m) = &manifests[i];
        match read_run(dir, r)? {
            Found::Complete(outcome) => records.push(Record {
                id: r.id,
                point: r.point,
                seed: r.seed,
                dir: r.dir.clone(),
                outcome,
            }),
            Found::Absent => missing.push(format!(
                "{} (shard {} in {})",
                r.dir,
                m.shard(),
                dir.display()
            )),
            Found::Different => {
                return Err(format!(
                    "{} holds a different run than the sweep lists",
                    runs_dir(dir).join(&r.dir).display()
                ))
            }
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "{} of {} runs are missing, e.g. {}; finish those shards (`neuragent sweep FILE --shard K/N --out DIR --resume`) and merge again",
            missing.len(),
            first.runs.len(),
            missing[..missing.len().min(3)].join(", ")
        ));
    }
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let written = write_tables(
        out,
        &first.sweep,
        &first.layout,
        &records,
        Shard::ALL,
        metric,
    )?;
    Ok(Merged {
        name: first.sweep.clone(),
        runs: records.len(),
        written,
    })
}
