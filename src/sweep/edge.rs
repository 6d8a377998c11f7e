//! Edges: for each seed, the critical value of one numeric field at which a scenario's expectations
//! stop holding, found by a coarse scan and bisection.
//!
//! With the same seed, a larger drop probability drops a superset of messages (monotone coupling),
//! so "do the expectations hold" is usually monotone in it and bisection finds the edge in a handful
//! of runs. The coarse scan (six evenly spaced probes) also shows when it is not: an outcome that
//! passes again after failing is reported, with the bracket of the first change.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::exec::{self, Interrupted};
use super::stats::median;
use crate::plot::{EdgeRow, Edges};
use crate::run;
use crate::scenario::path::{self, FieldPath, Override};
use crate::scenario::Scenario;

/// Probes of the coarse scan, range ends included.
const COARSE: usize = 6;

/// The field an edge search varies, and how.
#[derive(Clone, Debug)]
pub struct EdgeSearch {
    /// The numeric field.
    pub field: FieldPath,
    /// The range searched, low end first.
    pub range: (f64, f64),
    /// Stop when the bracket is at most this wide.
    pub tolerance: f64,
    /// Whether the field holds integers (the bracket then closes at width 1 at least).
    pub integer: bool,
}

/// Where one seed's edge lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Between a passing and a failing value.
    Bracketed,
    /// The expectations already fail at the low end of the range.
    BelowRange,
    /// The expectations still hold at the high end of the range.
    AboveRange,
}

/// One seed's edge.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedEdge {
    /// Label of the scenario (grid point), empty for a single scenario.
    pub point: String,
    /// The seed.
    pub seed: u64,
    /// Largest value seen to pass below the edge (the range's low end when below range).
    pub low: f64,
    /// Smallest value seen to fail above it (the range's high end when above range).
    pub high: f64,
    /// Where the edge lies.
    pub kind: EdgeKind,
    /// Whether the coarse scan saw the outcome pass again after failing.
    pub not_monotone: bool,
    /// Runs made.
    pub runs: usize,
    /// The error of a run that could not run, if any.
    pub error: Option<String>,
}

impl SeedEdge {
    /// The edge estimate: the middle of the bracket, or the range end it lies beyond.
    pub fn edge(&self) -> f64 {
        match self.kind {
            EdgeKind::Bracketed => (self.low + self.high) / 2.0,
            EdgeKind::BelowRange => self.low,
            EdgeKind::AboveRange => self.high,
        }
    }

    /// A short note for tables.
    pub fn note(&self) -> String {
        let mut notes = Vec::new();
        match self.kind {
            EdgeKind::Bracketed => {}
            EdgeKind::BelowRange => notes.push("fails at the low end: edge ≤ low end".to_string()),
            EdgeKind::AboveRange => {
                notes.push("passes at the high end: edge ≥ high end".to_string())
            }
        }
        if self.not_monotone {
            notes.push(
                "NOT MONOTONE: passed again after failing; bracket of the first change".into(),
            );
        }
        if let Some(e) = &self.error {
            notes.push(format!("could not run: {e}"));
        }
        notes.join("; ")
    }
}

impl EdgeSearch {
    /// Checks that `field` of `scenario` is a number and that both ends of `range` are valid values
    /// of it. `source` is the scenario file, for messages.
    pub fn new(
        scenario: &Scenario,
        field: FieldPath,
        range: (f64, f64),
        tolerance: f64,
        source: &Path,
    ) -> Result<EdgeSearch, String> {
        let current = path::get(&scenario.to_ron(), &field).map_err(|e| e.to_string())?;
        let integer = current.parse::<i64>().is_ok();
        if current.parse::<f64>().is_err() {
            return Err(format!(
                "--field {field}: the field holds {current}; an edge needs a numeric field, e.g. links.drop_probability"
            ));
        }
        if !(range.0.is_finite() && range.1.is_finite() && range.0 < range.1) {
            return Err(format!(
                "--range {}..{}: expected LOW..HIGH with LOW < HIGH",
                range.0, range.1
            ));
        }
        if !(tolerance.is_finite() && tolerance > 0.0) {
            return Err(format!("--tolerance {tolerance}: expected a width > 0"));
        }
        let search = EdgeSearch {
            field,
            range,
            tolerance,
            integer,
        };
        for end in [range.0, range.1] {
            search
                .scenario(scenario, end, source)
                .map_err(|e| format!("--range: {e}"))?;
        }
        Ok(search)
    }

    fn value_text(&self, v: f64) -> String {
        if self.integer {
            format!("{}", v.round() as i64)
        } else {
            format!("{v:?}")
        }
    }

    fn scenario(&self, base: &Scenario, v: f64, source: &Path) -> Result<Scenario, String> {
        let o = Override {
            path: self.field.clone(),
            value: self.value_text(v),
        };
        path::apply(base, &[o], source).map_err(|e| e.to_string())
    }

    /// Bracket wide enough to stop.
    fn narrow(&self, lo: f64, hi: f64) -> bool {
        let tol = if self.integer {
            self.tolerance.max(1.0)
        } else {
            self.tolerance
        };
        hi - lo <= tol + 1e-12
    }

    /// The edge of `base` for `seed`. Probes of the coarse scan run in parallel on the current pool.
    pub fn find(&self, point: &str, base: &Scenario, seed: u64, source: &Path) -> SeedEdge {
        let mut s = base.clone();
        s.seed = seed;
        let mut runs = 0;
        let probe = |v: f64| -> Result<bool, String> {
            if exec::stop_requested() {
                return Err("stopped".into());
            }
            let scenario = self.scenario(&s, v, source)?;
            run::run(&scenario)
                .map(|r| r.summary.passed)
                .map_err(|e| e.to_string())
        };
        let (lo, hi) = self.range;
        let mut xs: Vec<f64> = (0..COARSE)
            .map(|i| lo + (hi - lo) * i as f64 / (COARSE - 1) as f64)
            .map(|v| if self.integer { v.round() } else { v })
            .collect();
        xs.dedup();
        let outcomes: Vec<Result<bool, String>> = xs.par_iter().map(|&v| probe(v)).collect();
        runs += xs.len();
        let mut edge = SeedEdge {
            point: point.to_string(),
            seed,
            low: lo,
            high: hi,
            kind: EdgeKind::Bracketed,
            not_monotone: false,
            runs,
            error: None,
        };
        let mut passes = Vec::new();
        for o in outcomes {
            match o {
                Ok(p) => passes.push(p),
                Err(e) => {
                    edge.error = Some(e);
                    return edge;
                }
            }
        }
        edge.not_monotone = passes
            .iter()
            .enumerate()
            .any(|(i, &p)| !p && passes[i + 1..].iter().any(|&q| q));
        if !passes[0] {
            edge.kind = EdgeKind::BelowRange;
            edge.high = lo;
            return edge;
        }
        let Some(i) = passes.windows(2).position(|w| w[0] && !w[1]) else {
            edge.kind = EdgeKind::AboveRange;
            edge.low = hi;
            return edge;
        };
        let (mut a, mut b) = (xs[i], xs[i + 1]);
        while !self.narrow(a, b) {
            let mut m = (a + b) / 2.0;
            if self.integer {
                m = m.floor();
                if m <= a || m >= b {
                    break;
                }
            }
            runs += 1;
            match probe(m) {
                Ok(true) => a = m,
                Ok(false) => b = m,
                Err(e) => {
                    edge.error = Some(e);
                    break;
                }
            }
        }
        edge.low = a;
        edge.high = b;
        edge.runs = runs;
        edge
    }
}

/// Every seed's edge for every scenario (`targets`: label and scenario), seeds in parallel on `jobs`
/// threads.
pub fn find_edges(
    search: &EdgeSearch,
    targets: &[(String, Scenario)],
    seeds: &[u64],
    source: &Path,
    jobs: usize,
    quiet: bool,
) -> Result<Vec<SeedEdge>, Interrupted> {
    let items: Vec<(usize, u64)> = (0..targets.len())
        .flat_map(|t| seeds.iter().map(move |&s| (t, s)))
        .collect();
    let progress = exec::Progress::runs(items.len(), "edges", quiet);
    let shared = Arc::new((search.clone(), targets.to_vec(), source.to_path_buf()));
    exec::parallel(
        items,
        jobs,
        move |(t, seed)| {
            let (search, targets, source) = &*shared;
            search.find(&targets[t].0, &targets[t].1, seed, source)
        },
        |e: &SeedEdge| progress.inc(format!("last edge {:.4} (seed {})", e.edge(), e.seed)),
    )
}

/// The table of edges, with the median and spread of each scenario's edges.
pub fn table(search: &EdgeSearch, edges: &[SeedEdge]) -> String {
    let mut out = String::new();
    let multi = edges.iter().any(|e| !e.point.is_empty());
    out += &format!(
        "edges of {} in {}..{} (tolerance {}):\n",
        search.field, search.range.0, search.range.1, search.tolerance
    );
    let mut points: Vec<&str> = edges.iter().map(|e| e.point.as_str()).collect();
    points.dedup();
    for point in points {
        if multi {
            out += &format!("{point}\n");
        }
        let of: Vec<&SeedEdge> = edges.iter().filter(|e| e.point == point).collect();
        for e in &of {
            let line = format!(
                "  seed {:>4}  edge {:<10} bracket [{}, {}]  {} runs  {}",
                e.seed,
                format!("{:.4}", e.edge()),
                format_value(e.low),
                format_value(e.high),
                e.runs,
                e.note()
            );
            out += line.trim_end();
            out.push('\n');
        }
        let values: Vec<f64> = of
            .iter()
            .filter(|e| e.error.is_none())
            .map(|e| e.edge())
            .collect();
        if let Some(m) = median(&values) {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            out += &format!(
                "  median edge {m:.4} over {} seeds (min {lo:.4}, max {hi:.4})\n",
                values.len()
            );
        }
    }
    out
}

fn format_value(v: f64) -> String {
    format!("{v:.4}")
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

/// `edges.csv`.
pub fn csv(search: &EdgeSearch, edges: &[SeedEdge]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let field = search.field.to_string();
    w.write_record([
        "point",
        "seed",
        "field",
        "edge",
        "low",
        "high",
        "status",
        "not_monotone",
        "runs",
        "error",
    ])
    .expect("writing to memory");
    for e in edges {
        let status = match e.kind {
            EdgeKind::Bracketed => "bracketed",
            EdgeKind::BelowRange => "below_range",
            EdgeKind::AboveRange => "above_range",
        };
        w.write_record([
            e.point.clone(),
            e.seed.to_string(),
            field.clone(),
            e.edge().to_string(),
            e.low.to_string(),
            e.high.to_string(),
            status.to_string(),
            e.not_monotone.to_string(),
            e.runs.to_string(),
            e.error.clone().unwrap_or_default(),
        ])
        .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// The figure of the edges.
pub fn figure(title: &str, search: &EdgeSearch, edges: &[SeedEdge]) -> Edges {
    let multi = edges.iter().any(|e| !e.point.is_empty());
    let values: Vec<f64> = edges
        .iter()
        .filter(|e| e.error.is_none())
        .map(|e| e.edge())
        .collect();
    Edges {
        title: title.to_string(),
        x_desc: format!(
            "{} (value where the expectations stop holding)",
            search.field
        ),
        range: search.range,
        rows: edges
            .iter()
            .map(|e| EdgeRow {
                label: if multi {
                    format!("{} s{}", e.point, e.seed)
                } else {
                    format!("seed {}", e.seed)
                },
                low: e.low,
                high: e.high,
                not_monotone: e.not_monotone,
            })
            .collect(),
        median: if multi { None } else { median(&values) },
    }
}
