//! Comparisons: several scenarios on the same seeds, their learning curves in one figure (mean over
//! seeds with a band) and a table of final figures with paired differences.
//!
//! Every scenario runs on the same seeds, so with common random numbers (same initial weights, same
//! data order) the per-seed difference of two scenarios is far less noisy than the difference of
//! their means: the table reports both.

use std::sync::Arc;

use plotters::prelude::SeriesLabelPosition;

use super::exec::{self, Interrupted};
use super::record::Finals;
use super::stats::{aligned, describe, wilson, Describe};
use crate::plot::{Curves, Panel, Series, YAxis, PALETTE};
use crate::run;
use crate::scenario::Scenario;

/// The band drawn around each mean curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// From the smallest to the largest value over seeds.
    MinMax,
    /// One standard deviation either side of the mean.
    Sd,
}

impl Band {
    fn short(self) -> &'static str {
        match self {
            Band::MinMax => "min–max",
            Band::Sd => "±1 sd",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Band::MinMax => "band: min–max over seeds",
            Band::Sd => "band: ±1 sd over seeds",
        }
    }
}

/// One run's curve: (samples seen, test loss, test accuracy or R²) per checkpoint.
type Curve = Vec<(f64, f64, f64)>;

/// A mean line and its band `(x, low, high)`.
type LineAndBand = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>);

/// One scenario over every seed.
#[derive(Clone, Debug)]
pub struct Compared {
    /// Label (the scenario's name, or its file when names repeat).
    pub label: String,
    /// Per seed: the curve and the finals, or the error.
    pub runs: Vec<Result<(Curve, Finals), String>>,
    /// Whether the task is a classification (accuracy) rather than a regression (R²).
    pub classification: bool,
}

/// Runs every scenario on every seed, on `jobs` threads.
pub fn compare(
    scenarios: &[(String, Scenario)],
    seeds: &[u64],
    jobs: usize,
    quiet: bool,
) -> Result<Vec<Compared>, Interrupted> {
    let items: Vec<(usize, u64)> = (0..scenarios.len())
        .flat_map(|i| seeds.iter().map(move |&s| (i, s)))
        .collect();
    let progress = exec::Progress::runs(items.len(), "compare", quiet);
    let shared = Arc::new(scenarios.to_vec());
    let results = exec::parallel(
        items,
        jobs,
        move |(i, seed)| {
            let mut s = shared[i].1.clone();
            s.seed = seed;
            run::run(&s)
                .map(|r| {
                    let curve = r
                        .metrics
                        .iter()
                        .map(|m| {
                            (
                                m.samples_seen as f64,
                                m.test_loss,
                                m.test_accuracy.or(m.test_r2).unwrap_or(f64::NAN),
                            )
                        })
                        .collect();
                    (curve, Finals::from_summary(&r.summary))
                })
                .map_err(|e| e.to_string())
        },
        |_: &Result<(Curve, Finals), String>| progress.inc(String::new()),
    )?;
    progress.finish();
    let mut results = results.into_iter();
    Ok(scenarios
        .iter()
        .map(|(label, _)| {
            let runs: Vec<_> = results.by_ref().take(seeds.len()).collect();
            let classification = runs
                .iter()
                .flatten()
                .next()
                .is_none_or(|(_, f)| f.accuracy.is_some());
            Compared {
                label: label.clone(),
                runs,
                classification,
            }
        })
        .collect())
}

impl Compared {
    fn finals(&self) -> impl Iterator<Item = &Finals> {
        self.runs.iter().flatten().map(|(_, f)| f)
    }

    /// Final accuracy (or R²) per seed, none for a seed that could not run.
    fn scores(&self) -> Vec<Option<f64>> {
        self.runs
            .iter()
            .map(|r| r.as_ref().ok().and_then(|(_, f)| f.accuracy.or(f.r2)))
            .collect()
    }

    /// Mean curve and band of `column` (1: loss, 2: score) over the seeds that ran, truncated to the
    /// shortest run.
    fn band(&self, column: usize, band: Band) -> LineAndBand {
        let curves: Vec<&Curve> = self.runs.iter().flatten().map(|(c, _)| c).collect();
        let len = curves.iter().map(|c| c.len()).min().unwrap_or(0);
        let (mut line, mut area) = (Vec::new(), Vec::new());
        for i in 0..len {
            let x = curves[0][i].0;
            let values: Vec<f64> = curves
                .iter()
                .map(|c| if column == 1 { c[i].1 } else { c[i].2 })
                .filter(|v| v.is_finite())
                .collect();
            let Some(d) = describe(&values) else { continue };
            line.push((x, d.mean));
            let (lo, hi) = match band {
                Band::MinMax => (d.min, d.max),
                Band::Sd => {
                    let sd = d.sd.unwrap_or(0.0);
                    (d.mean - sd, d.mean + sd)
                }
            };
            area.push((x, lo, hi));
        }
        (line, area)
    }
}

/// The comparison figure: test loss and test accuracy (or R²), mean over seeds with a band.
pub fn figure(compared: &[Compared], seeds: usize, band: Band, log_loss: bool) -> Curves {
    let classification = compared.iter().all(|c| c.classification);
    let series = |column: usize| -> Vec<Series> {
        compared
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (line, area) = c.band(column, band);
                Series {
                    label: format!(
                        "{} (mean of {} seeds; band {})",
                        c.label,
                        c.runs.iter().flatten().count(),
                        band.short()
                    ),
                    color: PALETTE[i % PALETTE.len()],
                    line,
                    band: area,
                    thin: false,
                }
            })
            .collect()
    };
    let loss = Panel {
        caption: format!("test loss ({})", band.describe()),
        y_desc: format!(
            "{}{}",
            if classification {
                "cross-entropy (nats)"
            } else {
                "squared error / 2"
            },
            if log_loss { ", log scale" } else { "" }
        ),
        y: if log_loss {
            YAxis::Log
        } else {
            YAxis::Linear(0.0, max_of(&series(1)))
        },
        series: series(1),
        legend: Some(SeriesLabelPosition::UpperRight),
        shades: Vec::new(),
    };
    let score_series = series(2);
    let score = if classification {
        Panel {
            caption: format!("test accuracy ({})", band.describe()),
            y_desc: "fraction of test samples correct".into(),
            y: YAxis::Linear(0.0, 1.0),
            series: score_series,
            legend: Some(SeriesLabelPosition::LowerRight),
            shades: Vec::new(),
        }
    } else {
        let low = score_series
            .iter()
            .flat_map(|s| s.band.iter().map(|b| b.1))
            .fold(0.0, f64::min);
        Panel {
            caption: format!("test R² ({})", band.describe()),
            y_desc: "coefficient of determination".into(),
            y: YAxis::Linear(low, 1.0),
            series: score_series,
            legend: Some(SeriesLabelPosition::LowerRight),
            shades: Vec::new(),
        }
    };
    Curves {
        title: format!(
            "{} on {seeds} seeds",
            compared
                .iter()
                .map(|c| c.label.as_str())
                .collect::<Vec<_>>()
                .join(" vs ")
        ),
        panels: vec![loss, score],
        x_desc: "training samples seen".into(),
        size: (1200, 500),
    }
}

fn max_of(series: &[Series]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.band.iter().map(|b| b.2).chain(s.line.iter().map(|p| p.1)))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.05
}

/// One row of the table of final figures.
#[derive(Clone, Debug, PartialEq)]
pub struct FinalRow {
    /// The scenario.
    pub label: String,
    /// Seeds that ran.
    pub runs: usize,
    /// Seeds where every expectation held.
    pub passes: usize,
    /// Final accuracy (or R²) over seeds.
    pub score: Option<Describe>,
    /// Final test loss over seeds.
    pub loss: Option<Describe>,
    /// Per-seed difference of the score from the first scenario's (same seeds).
    pub paired: Option<Describe>,
}

/// The table of final figures, the first scenario the reference of the paired differences.
pub fn final_rows(compared: &[Compared]) -> Vec<FinalRow> {
    let reference = compared.first().map(|c| c.scores()).unwrap_or_default();
    compared
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let scores: Vec<f64> = c
                .scores()
                .into_iter()
                .flatten()
                .filter(|v| v.is_finite())
                .collect();
            let losses: Vec<f64> = c
                .finals()
                .map(|f| f.loss)
                .filter(|v| v.is_finite())
                .collect();
            let diffs: Vec<f64> = c
                .scores()
                .iter()
                .zip(&reference)
                .filter_map(|(a, b)| Some(a.as_ref()? - b.as_ref()?))
                .filter(|v| v.is_finite())
                .collect();
            FinalRow {
                label: c.label.clone(),
                runs: c.runs.len(),
                passes: c.finals().filter(|f| f.passed).count(),
                score: describe(&scores),
                loss: describe(&losses),
                paired: if i == 0 { None } else { describe(&diffs) },
            }
        })
        .collect()
}

fn mean_sd_ci(d: &Option<Describe>) -> String {
    match d {
        None => "-".into(),
        Some(d) => match (d.sd, d.ci95) {
            (Some(sd), Some((lo, hi))) => {
                format!("{:.4} ± {:.4} [{:.4}, {:.4}]", d.mean, sd, lo, hi)
            }
            _ => format!("{:.4}", d.mean),
        },
    }
}

/// The table of final figures as text.
pub fn table(rows: &[FinalRow], classification: bool) -> String {
    let score = if classification {
        "final accuracy"
    } else {
        "final R²"
    };
    let reference = rows.first().map_or("", |r| r.label.as_str());
    let mut t = vec![[
        "scenario".to_string(),
        "passes [95% Wilson]".into(),
        format!("{score}: mean ± sd [95% t]"),
        "final test loss: mean ± sd [95% t]".into(),
        format!("paired Δ {score} vs {reference} [95% t]"),
    ]];
    for r in rows {
        let (lo, hi) = wilson(r.passes, r.runs);
        t.push([
            r.label.clone(),
            format!("{}/{} [{:.2}, {:.2}]", r.passes, r.runs, lo, hi),
            mean_sd_ci(&r.score),
            mean_sd_ci(&r.loss),
            match &r.paired {
                None => "-".into(),
                Some(d) => match d.ci95 {
                    Some((lo, hi)) => format!("{:+.4} [{:+.4}, {:+.4}]", d.mean, lo, hi),
                    None => format!("{:+.4}", d.mean),
                },
            },
        ]);
    }
    aligned(&t)
}

/// `compare.csv`: the table of final figures.
pub fn csv(rows: &[FinalRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "scenario".to_string(),
        "seeds".into(),
        "passes".into(),
        "pass_rate_low".into(),
        "pass_rate_high".into(),
    ];
    for m in ["score", "final_test_loss", "paired_score_difference"] {
        for s in ["mean", "sd", "ci95_low", "ci95_high", "min", "max"] {
            header.push(format!("{m}_{s}"));
        }
    }
    w.write_record(&header).expect("writing to memory");
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for r in rows {
        let (lo, hi) = wilson(r.passes, r.runs);
        let mut row = vec![
            r.label.clone(),
            r.runs.to_string(),
            r.passes.to_string(),
            lo.to_string(),
            hi.to_string(),
        ];
        for d in [&r.score, &r.loss, &r.paired] {
            match d {
                Some(d) => row.extend([
                    d.mean.to_string(),
                    opt(d.sd),
                    opt(d.ci95.map(|c| c.0)),
                    opt(d.ci95.map(|c| c.1)),
                    d.min.to_string(),
                    d.max.to_string(),
                ]),
                None => row.extend(std::iter::repeat_n(String::new(), 6)),
            }
        }
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}
