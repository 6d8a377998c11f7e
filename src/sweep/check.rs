//! Convergence checks over seeds: run one scenario on many seeds and judge its expectations by their
//! pass rate, with the worst value and the seed that gave it.

use std::sync::Arc;

use super::exec::{self, Interrupted};
use super::record::{Finals, Outcome};
use super::stats::{aligned, wilson};
use crate::run;
use crate::scenario::{Expectation, Scenario};

/// One expectation over every seed.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRow {
    /// The expectation as written.
    pub name: String,
    /// Seeds where it held.
    pub passes: usize,
    /// Seeds run.
    pub runs: usize,
    /// Wilson 95% interval of the pass rate.
    pub ci: (f64, f64),
    /// The worst value over seeds (lowest for a lower bound, highest for an upper bound); none when
    /// no seed measured it.
    pub worst: Option<f64>,
    /// The seed of the worst value (or the first seed that could not measure it).
    pub worst_seed: Option<u64>,
}

/// The result of `neuragent check`.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// The scenario's name.
    pub name: String,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// One row per expectation, then a row `all expectations`.
    pub rows: Vec<CheckRow>,
    /// Seeds where every expectation held.
    pub passes: usize,
    /// The scenario's `check.min_pass_rate`.
    pub min_pass_rate: f64,
    /// Seeds whose run failed with an error, and the error.
    pub errors: Vec<(u64, String)>,
}

impl CheckReport {
    /// Whether the pass rate over seeds reaches `min_pass_rate`.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
            && self.passes as f64 >= self.min_pass_rate * self.seeds.len() as f64 - 1e-9
    }

    /// The report as a table.
    pub fn table(&self) -> String {
        let mut t = vec![[
            "expectation".to_string(),
            "passes".into(),
            "pass rate [95% Wilson]".into(),
            "worst value".into(),
            "worst seed".into(),
        ]];
        for r in &self.rows {
            t.push([
                r.name.clone(),
                format!("{}/{}", r.passes, r.runs),
                format!(
                    "{:.2} [{:.2}, {:.2}]",
                    r.passes as f64 / r.runs.max(1) as f64,
                    r.ci.0,
                    r.ci.1
                ),
                r.worst.map_or("none".into(), |v| format!("{v:.4}")),
                r.worst_seed.map_or("-".into(), |s| s.to_string()),
            ]);
        }
        let mut out = aligned(&t);
        for (seed, e) in &self.errors {
            out += &format!("seed {seed} could not run: {e}\n");
        }
        let n = self.seeds.len();
        let verdict = if self.ok() { "ok" } else { "FAILED" };
        out += &format!(
            "{}: every expectation held on {}/{} seeds (pass rate {:.2}); required {:.2}: {verdict}\n",
            self.name,
            self.passes,
            n,
            self.passes as f64 / n.max(1) as f64,
            self.min_pass_rate
        );
        out
    }
}

/// Whether a lower value of `e` is the worse one (the expectation is a lower bound).
pub fn lower_is_worse(e: &Expectation) -> bool {
    !matches!(
        e,
        Expectation::FinalTestLoss { .. } | Expectation::NoDivergence
    )
}

/// The outcome of `scenario` on one seed.
pub fn run_seed(scenario: &Scenario, seed: u64) -> Outcome {
    let mut s = scenario.clone();
    s.seed = seed;
    match run::run(&s) {
        Ok(r) => Outcome::Done(Finals::from_summary(&r.summary)),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// Runs `scenario` on every seed on `jobs` threads and judges it.
pub fn check(
    scenario: &Scenario,
    seeds: &[u64],
    jobs: usize,
    quiet: bool,
) -> Result<CheckReport, Interrupted> {
    let progress = exec::Progress::runs(seeds.len(), &scenario.name, quiet);
    let shared = Arc::new(scenario.clone());
    let mut passed = 0;
    let outcomes = exec::parallel(
        seeds.to_vec(),
        jobs,
        move |seed| run_seed(&shared, seed),
        |o: &Outcome| {
            passed += usize::from(o.passed());
            progress.inc(format!("{passed} passed"));
        },
    )?;
    progress.finish();
    Ok(judge(scenario, seeds, &outcomes))
}

/// The report of `outcomes` (one per seed, in order).
pub fn judge(scenario: &Scenario, seeds: &[u64], outcomes: &[Outcome]) -> CheckReport {
    let mut rows: Vec<CheckRow> = scenario
        .expect
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut row = CheckRow {
                name: e.name(),
                passes: 0,
                runs: seeds.len(),
                ci: (0.0, 1.0),
                worst: None,
                worst_seed: None,
            };
            let mut unmeasured = None;
            for (&seed, o) in seeds.iter().zip(outcomes) {
                let Some(f) = o.finals() else {
                    unmeasured = unmeasured.or(Some(seed));
                    continue;
                };
                let Some(x) = f.expectations.get(i) else {
                    continue;
                };
                row.passes += usize::from(x.passed);
                match x.value.filter(|v| !v.is_nan()) {
                    None => unmeasured = unmeasured.or(Some(seed)),
                    Some(v) => {
                        let worse =
                            row.worst
                                .is_none_or(|w| if lower_is_worse(e) { v < w } else { v > w });
                        if worse {
                            row.worst = Some(v);
                            row.worst_seed = Some(seed);
                        }
                    }
                }
            }
            if let Some(seed) = unmeasured {
                // A seed that could not even measure it is the worst.
                row.worst = None;
                row.worst_seed = Some(seed);
            }
            row.ci = wilson(row.passes, row.runs);
            row
        })
        .collect();
    let passes = outcomes.iter().filter(|o| o.passed()).count();
    let first_failing = seeds
        .iter()
        .zip(outcomes)
        .find(|(_, o)| !o.passed())
        .map(|(&s, _)| s);
    rows.push(CheckRow {
        name: "all expectations".into(),
        passes,
        runs: seeds.len(),
        ci: wilson(passes, seeds.len()),
        worst: None,
        worst_seed: first_failing,
    });
    CheckReport {
        name: scenario.name.clone(),
        seeds: seeds.to_vec(),
        rows,
        passes,
        min_pass_rate: scenario.check.min_pass_rate,
        errors: seeds
            .iter()
            .zip(outcomes)
            .filter_map(|(&s, o)| match o {
                Outcome::Failed(e) => Some((s, e.clone())),
                Outcome::Done(_) => None,
            })
            .collect(),
    }
}
