//! What a sweep keeps of each run, and the tables built from it: `results.csv` (one row per run),
//! `points.csv` (one row per grid point, statistics over seeds) and `timings.csv` (wall times).
//!
//! Every table is built from the runs' `summary.json` files, read back from disk, by the same code
//! whether the runs were made by one process, resumed, or by shards merged later: so the tables are
//! the same bytes in every case.

use serde::{Deserialize, Serialize};

use super::stats::{describe, wilson, Describe};
use crate::run::Summary;

/// One expectation's outcome in a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpectOutcome {
    /// The expectation as written.
    pub name: String,
    /// Its measured value.
    pub value: Option<f64>,
    /// Whether it held.
    pub passed: bool,
}

/// The final figures of a run that sweeps, checks and comparisons use.
#[derive(Clone, Debug, PartialEq)]
pub struct Finals {
    /// Final test accuracy (classification).
    pub accuracy: Option<f64>,
    /// Final mean test loss.
    pub loss: f64,
    /// Final test R² (regression only).
    pub r2: Option<f64>,
    /// Forward messages sent.
    pub forward_sent: u64,
    /// Attention messages sent.
    pub attention_sent: u64,
    /// Messages to and from the loss agent sent.
    pub loss_sent: u64,
    /// All messages sent.
    pub messages_sent: u64,
    /// Each expectation.
    pub expectations: Vec<ExpectOutcome>,
    /// Whether every expectation held.
    pub passed: bool,
    /// Wall-clock seconds of the run (the only non-reproducible figure).
    pub wall_seconds: f64,
    /// For a run over tasks: average accuracy, learning accuracy, backward transfer and first-task
    /// drop, in the order of [`TASK_METRICS`] (`None` without tasks).
    pub forgetting: Option<[Option<f64>; 4]>,
}

/// The forgetting figures of runs over tasks, as `summary.json` names them: sweeps summarise them in
/// `points.csv` (and `results.csv` lists them) when some run has tasks.
pub const TASK_METRICS: [&str; 4] = [
    "average_accuracy",
    "learning_accuracy",
    "backward_transfer",
    "first_task_drop",
];

impl Finals {
    /// Reads the figures from a run's `summary.json`. This is the one place that knows the summary's
    /// field names.
    pub fn from_json(v: &serde_json::Value) -> Result<Finals, String> {
        let num = |path: &[&str]| -> Result<Option<f64>, String> {
            let mut at = v;
            for key in path {
                at = at
                    .get(key)
                    .ok_or_else(|| format!("summary.json has no {}", path.join(".")))?;
            }
            Ok(at.as_f64())
        };
        let count = |path: &[&str]| num(path).map(|v| v.unwrap_or(0.0) as u64);
        let accuracy = num(&["final_test_accuracy"])?;
        let expectations = v
            .get("expectations")
            .cloned()
            .map(serde_json::from_value::<Vec<ExpectOutcome>>)
            .transpose()
            .map_err(|e| format!("summary.json expectations: {e}"))?
            .unwrap_or_default();
        Ok(Finals {
            accuracy,
            // JSON has no NaN or infinity; serde_json writes them as null.
            loss: num(&["final_test_loss"])?.unwrap_or(f64::NAN),
            r2: match accuracy {
                Some(_) => None,
                None => Some(num(&["final_test_r2"])?.unwrap_or(f64::NAN)),
            },
            forward_sent: count(&["messages", "forward", "sent"])?,
            attention_sent: count(&["messages", "attention", "sent"])?,
            loss_sent: count(&["messages", "loss", "sent"])?,
            messages_sent: count(&["messages", "total", "sent"])?,
            passed: v
                .get("passed")
                .and_then(serde_json::Value::as_bool)
                .ok_or("summary.json has no passed")?,
            expectations,
            wall_seconds: num(&["wall_seconds"])?.unwrap_or(f64::NAN),
            // Summaries written before tasks existed have no `tasks` field: no tasks.
            forgetting: v
                .get("tasks")
                .filter(|t| !t.is_null())
                .map(|_| TASK_METRICS.map(|name| v.get(name).and_then(serde_json::Value::as_f64))),
        })
    }

    /// The figures of a run's summary, read exactly as from its `summary.json`.
    pub fn from_summary(s: &Summary) -> Finals {
        let text = serde_json::to_string(s).expect("a summary always serializes");
        let v: serde_json::Value = serde_json::from_str(&text).expect("and parses back");
        Finals::from_json(&v).expect("a summary has every field")
    }

    /// The named metric, for maps and tables: `final_test_accuracy`, `final_test_loss`,
    /// `final_test_r2`, `messages_sent`, `forward_sent`, `attention_sent`, `loss_sent`, one of
    /// [`TASK_METRICS`], or `expect[i].value`.
    pub fn metric(&self, name: &str) -> Option<f64> {
        if let Some(k) = TASK_METRICS.iter().position(|&m| m == name) {
            return self.forgetting?[k];
        }
        match name {
            "final_test_accuracy" => self.accuracy,
            "final_test_loss" => Some(self.loss),
            "final_test_r2" => self.r2,
            "messages_sent" => Some(self.messages_sent as f64),
            "forward_sent" => Some(self.forward_sent as f64),
            "attention_sent" => Some(self.attention_sent as f64),
            "loss_sent" => Some(self.loss_sent as f64),
            _ => {
                let i: usize = name
                    .strip_prefix("expect[")?
                    .strip_suffix("].value")?
                    .parse()
                    .ok()?;
                self.expectations.get(i)?.value
            }
        }
    }
}

/// Metric names accepted by [`Finals::metric`], for messages.
pub const METRICS: &str = "final_test_accuracy, final_test_loss, final_test_r2, messages_sent, \
                           forward_sent, attention_sent, loss_sent, expect[i].value, and for \
                           tasks average_accuracy, learning_accuracy, backward_transfer, \
                           first_task_drop";

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// It finished; its figures.
    Done(Finals),
    /// It could not run; the error.
    Failed(String),
}

impl Outcome {
    /// The figures of a finished run.
    pub fn finals(&self) -> Option<&Finals> {
        match self {
            Outcome::Done(f) => Some(f),
            Outcome::Failed(_) => None,
        }
    }

    /// Whether the run finished and every expectation held.
    pub fn passed(&self) -> bool {
        self.finals().is_some_and(|f| f.passed)
    }
}

/// What the tables need to know about a sweep: its axes, points and runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Each axis: its field path and values (RON text).
    pub axes: Vec<(String, Vec<String>)>,
    /// Each grid point's value index per axis.
    pub points: Vec<Vec<usize>>,
    /// The seeds.
    pub seeds: Vec<u64>,
}

/// One run's row: which run, and how it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Run id.
    pub id: usize,
    /// Grid point.
    pub point: usize,
    /// Seed.
    pub seed: u64,
    /// Folder name in `runs/`.
    pub dir: String,
    /// How it ended.
    pub outcome: Outcome,
}

fn float(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn csv_bytes(header: Vec<String>, rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("writing to memory");
    for r in rows {
        w.write_record(&r).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Most expectations of any run.
fn expectation_count(records: &[Record]) -> usize {
    records
        .iter()
        .filter_map(|r| r.outcome.finals())
        .map(|f| f.expectations.len())
        .max()
        .unwrap_or(0)
}

/// `results.csv`: one row per run, in run order.
pub fn results_csv(layout: &Layout, records: &[Record]) -> Vec<u8> {
    let n_expect = expectation_count(records);
    let mut header: Vec<String> = vec!["run".into(), "point".into()];
    header.extend(layout.axes.iter().map(|a| a.0.clone()));
    header.extend(
        [
            "seed",
            "status",
            "passed",
            "final_test_accuracy",
            "final_test_loss",
            "final_test_r2",
            "forward_sent",
            "attention_sent",
            "loss_sent",
            "messages_sent",
        ]
        .map(String::from),
    );
    for i in 0..n_expect {
        header.push(format!("expect[{i}]"));
        header.push(format!("expect[{i}].value"));
        header.push(format!("expect[{i}].passed"));
    }
    let tasks = has_tasks(records);
    if tasks {
        header.extend(TASK_METRICS.map(String::from));
    }
    header.push("error".into());
    let rows = records
        .iter()
        .map(|r| {
            let mut row = vec![r.dir.clone(), r.point.to_string()];
            row.extend(
                layout
                    .axes
                    .iter()
                    .zip(&layout.points[r.point])
                    .map(|(a, &c)| a.1[c].clone()),
            );
            row.push(r.seed.to_string());
            match &r.outcome {
                Outcome::Done(f) => {
                    row.extend([
                        "ok".to_string(),
                        f.passed.to_string(),
                        float(f.accuracy),
                        f.loss.to_string(),
                        float(f.r2),
                        f.forward_sent.to_string(),
                        f.attention_sent.to_string(),
                        f.loss_sent.to_string(),
                        f.messages_sent.to_string(),
                    ]);
                    for i in 0..n_expect {
                        match f.expectations.get(i) {
                            Some(e) => {
                                row.extend([e.name.clone(), float(e.value), e.passed.to_string()])
                            }
                            None => row.extend([String::new(), String::new(), String::new()]),
                        }
                    }
                    if tasks {
                        row.extend(TASK_METRICS.map(|m| float(f.metric(m))));
                    }
                    row.push(String::new());
                }
                Outcome::Failed(e) => {
                    row.extend(["error".to_string(), "false".to_string()]);
                    let tasks = if tasks { TASK_METRICS.len() } else { 0 };
                    row.extend(std::iter::repeat_n(String::new(), 7 + 3 * n_expect + tasks));
                    row.push(e.clone());
                }
            }
            row
        })
        .collect();
    csv_bytes(header, rows)
}

/// `timings.csv`: the wall time of each run, kept apart so that the other tables are identical
/// from one execution to the next.
pub fn timings_csv(records: &[Record]) -> Vec<u8> {
    let header = ["run", "point", "seed", "wall_seconds"]
        .map(String::from)
        .to_vec();
    let rows = records
        .iter()
        .map(|r| {
            vec![
                r.dir.clone(),
                r.point.to_string(),
                r.seed.to_string(),
                float(r.outcome.finals().map(|f| f.wall_seconds)),
            ]
        })
        .collect();
    csv_bytes(header, rows)
}

/// Statistics of one grid point over its seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct PointStats {
    /// Grid point.
    pub point: usize,
    /// Runs of the point.
    pub runs: usize,
    /// Runs that could not run.
    pub failed: usize,
    /// Runs where every expectation held.
    pub passes: usize,
    /// Wilson 95% interval of the pass rate.
    pub pass_ci: (f64, f64),
    /// Each metric's statistics (over the runs where it has a finite value).
    pub metrics: Vec<(String, Option<Describe>)>,
}

impl PointStats {
    /// The pass rate (0 with no runs).
    pub fn pass_rate(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.passes as f64 / self.runs as f64
        }
    }

    /// The statistics of metric `name`.
    pub fn metric(&self, name: &str) -> Option<&Describe> {
        self.metrics
            .iter()
            .find(|m| m.0 == name)
            .and_then(|m| m.1.as_ref())
    }
}

/// The metrics `points.csv` summarises, given the number of expectations.
pub fn point_metrics(n_expect: usize) -> Vec<String> {
    let mut m: Vec<String> = [
        "final_test_accuracy",
        "final_test_loss",
        "final_test_r2",
        "messages_sent",
    ]
    .map(String::from)
    .to_vec();
    m.extend((0..n_expect).map(|i| format!("expect[{i}].value")));
    m
}

/// Whether some run of `records` was over tasks.
fn has_tasks(records: &[Record]) -> bool {
    records
        .iter()
        .any(|r| r.outcome.finals().is_some_and(|f| f.forgetting.is_some()))
}

/// Statistics of every grid point over its runs (records in run order): the metrics of
/// [`point_metrics`], then, when some run was over tasks, the [`TASK_METRICS`].
pub fn point_stats(layout: &Layout, records: &[Record]) -> Vec<PointStats> {
    let mut names = point_metrics(expectation_count(records));
    if has_tasks(records) {
        names.extend(TASK_METRICS.map(String::from));
    }
    (0..layout.points.len())
        .map(|point| {
            let runs: Vec<&Record> = records.iter().filter(|r| r.point == point).collect();
            let passes = runs.iter().filter(|r| r.outcome.passed()).count();
            let metrics = names
                .iter()
                .map(|name| {
                    let values: Vec<f64> = runs
                        .iter()
                        .filter_map(|r| r.outcome.finals()?.metric(name))
                        .filter(|v| v.is_finite())
                        .collect();
                    (name.clone(), describe(&values))
                })
                .collect();
            PointStats {
                point,
                runs: runs.len(),
                failed: runs
                    .iter()
                    .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
                    .count(),
                passes,
                pass_ci: wilson(passes, runs.len()),
                metrics,
            }
        })
        .collect()
}

/// `points.csv`: one row per grid point.
pub fn points_csv(layout: &Layout, stats: &[PointStats]) -> Vec<u8> {
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(layout.axes.iter().map(|a| a.0.clone()));
    header.extend(
        [
            "seeds",
            "failed",
            "passes",
            "pass_rate",
            "pass_rate_low",
            "pass_rate_high",
        ]
        .map(String::from),
    );
    let names: Vec<String> = stats
        .first()
        .map(|s| s.metrics.iter().map(|m| m.0.clone()).collect())
        .unwrap_or_default();
    for name in &names {
        for stat in ["mean", "sd", "ci95_low", "ci95_high", "min", "max", "n"] {
            header.push(format!("{name}_{stat}"));
        }
    }
    let rows = stats
        .iter()
        .map(|s| {
            let mut row = vec![s.point.to_string()];
            row.extend(
                layout
                    .axes
                    .iter()
                    .zip(&layout.points[s.point])
                    .map(|(a, &c)| a.1[c].clone()),
            );
            row.extend([
                s.runs.to_string(),
                s.failed.to_string(),
                s.passes.to_string(),
                s.pass_rate().to_string(),
                s.pass_ci.0.to_string(),
                s.pass_ci.1.to_string(),
            ]);
            for (_, d) in &s.metrics {
                match d {
                    Some(d) => row.extend([
                        d.mean.to_string(),
                        float(d.sd),
                        float(d.ci95.map(|c| c.0)),
                        float(d.ci95.map(|c| c.1)),
                        d.min.to_string(),
                        d.max.to_string(),
                        d.n.to_string(),
                    ]),
                    None => {
                        row.extend(std::iter::repeat_n(String::new(), 6));
                        row.push("0".into());
                    }
                }
            }
            row
        })
        .collect();
    csv_bytes(header, rows)
}
