//! Sweep files and the plan they expand to: every grid point as a checked scenario, every
//! (point, seed) run with a stable id, and the shard a process runs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;
use serde::Deserialize;

use crate::scenario::path::{self, FieldPath, Override, PathError};
use crate::scenario::{Scenario, ScenarioError};

/// The seeds of a sweep file: `Range(start: 0, end: 4)` (end excluded) or `List([1, 5, 9])`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SeedSpec {
    /// `start..end`, end excluded.
    Range {
        /// First seed.
        start: u64,
        /// One past the last seed.
        end: u64,
    },
    /// These seeds, in this order.
    List(Vec<u64>),
}

/// A sweep file as written.
#[derive(Debug, Deserialize)]
#[serde(rename = "Sweep", deny_unknown_fields)]
struct SweepFile {
    name: String,
    base: PathBuf,
    seeds: SeedSpec,
    grid: Vec<(String, Vec<Box<ron::value::RawValue>>)>,
}

/// One knob of the grid: a field path and the values it takes, as RON text on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    /// The field.
    pub path: FieldPath,
    /// Its values.
    pub values: Vec<String>,
}

/// One grid point: which value of each axis, and the scenario it gives (seed not yet set).
#[derive(Clone, Debug)]
pub struct Point {
    /// Position in the grid, the first axis varying slowest.
    pub index: usize,
    /// Index of the value of each axis.
    pub coords: Vec<usize>,
    /// The base scenario with the point's values.
    pub scenario: Scenario,
}

/// One run of a sweep: a grid point and a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunSpec {
    /// Position in the sweep: `point * seeds + seed index`.
    pub id: usize,
    /// The grid point.
    pub point: usize,
    /// The seed.
    pub seed: u64,
}

/// A sweep, expanded and checked.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The sweep's name.
    pub name: String,
    /// The sweep file.
    pub file: PathBuf,
    /// The base scenario file.
    pub base_file: PathBuf,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// The knobs, in order.
    pub axes: Vec<Axis>,
    /// Every grid point.
    pub points: Vec<Point>,
}

/// Why a sweep cannot run: every problem found, before anything ran.
#[derive(Debug, thiserror::Error)]
#[error("{}: invalid sweep:\n{}", file.display(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct SweepError {
    /// The sweep file.
    pub file: PathBuf,
    /// Every problem.
    pub problems: Vec<String>,
}

impl SweepError {
    fn one(file: &Path, problem: impl Into<String>) -> SweepError {
        SweepError {
            file: file.to_path_buf(),
            problems: vec![problem.into()],
        }
    }
}

/// Whether `text` is a sweep file rather than a scenario: its first value is `Sweep(..)`.
pub fn is_sweep_text(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |n| &rest[n..]);
        } else if rest.starts_with("#!") {
            rest = rest.find(']').map_or("", |n| &rest[n + 1..]);
        } else if rest.starts_with("/*") {
            rest = rest.find("*/").map_or("", |n| &rest[n + 2..]);
        } else {
            break;
        }
    }
    rest.starts_with("Sweep") && rest[5..].trim_start().starts_with('(')
}

/// Whether the file at `path` is a sweep file (see [`is_sweep_text`]); false when it cannot be read.
pub fn is_sweep_file(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| is_sweep_text(&t))
}

impl Plan {
    /// Reads the sweep file at `path`, loads its base scenario (relative to the sweep file), and checks
    /// every axis and every grid point as a scenario, data included. Every problem is reported at once.
    pub fn load(path: &Path) -> Result<Plan, SweepError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SweepError::one(path, format!("cannot read the sweep file: {e}")))?;
        let file: SweepFile = ron::Options::default().from_str(&text).map_err(|e| {
            SweepError::one(
                path,
                format!(
                    "{}:{}: {} (a sweep file is Sweep(name: .., base: \"scenario.ron\", seeds: Range(start: 0, end: 4), grid: [(\"field.path\", [values]), ..]))",
                    e.span.start.line, e.span.start.col, e.code
                ),
            )
        })?;
        let mut problems = Vec::new();
        let name_ok = !file.name.is_empty()
            && !file.name.starts_with('.')
            && file
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            problems.push(format!(
                "name = {:?}: expected a non-empty name of ASCII letters, digits, '-', '_' and '.', not starting with '.' (it names the output folder)",
                file.name
            ));
        }
        let seeds = match file.seeds {
            SeedSpec::Range { start, end } if end > start => (start..end).collect(),
            SeedSpec::Range { start, end } => {
                problems.push(format!(
                    "seeds = Range(start: {start}, end: {end}): expected end > start (the end is excluded)"
                ));
                Vec::new()
            }
            SeedSpec::List(list) => {
                let mut sorted = list.clone();
                sorted.sort_unstable();
                sorted.dedup();
                if list.is_empty() || sorted.len() != list.len() {
                    problems.push(format!(
                        "seeds = List({list:?}): expected at least one seed, none repeated"
                    ));
                }
                list
            }
        };
        let base_file = path.parent().unwrap_or(Path::new("")).join(&file.base);
        let base = match Scenario::from_file(&base_file) {
            Ok(base) => Some(base),
            Err(e) => {
                problems.push(format!("base = {:?}: {e}", file.base.display().to_string()));
                None
            }
        };
        if let Some(base) = &base {
            if let Err(e) = crate::plan::Plan::new(base) {
                problems.push(format!(
                    "base = {:?}: {}: {e}",
                    file.base.display().to_string(),
                    base_file.display()
                ));
            }
        }
        if file.grid.is_empty() {
            problems.push(
                "grid = []: expected at least one axis, e.g. (\"links.drop_probability\", [0.0, 0.1])"
                    .into(),
            );
        }
        let mut axes = Vec::new();
        for (i, (field, values)) in file.grid.iter().enumerate() {
            let path: FieldPath = match field.parse() {
                Ok(p) => p,
                Err(e) => {
                    problems.push(format!("grid[{i}]: {e}"));
                    continue;
                }
            };
            if path.as_str() == "seed" {
                problems.push(format!(
                    "grid[{i}]: seed cannot be an axis; list the seeds in `seeds:` (every grid point runs on each)"
                ));
            }
            if axes.iter().any(|a: &Axis| a.path == path) {
                problems.push(format!("grid[{i}]: the field {path} is already an axis"));
            }
            let values: Vec<String> = values.iter().map(|v| path::compact(v.get_ron())).collect();
            if values.is_empty() {
                problems.push(format!(
                    "grid[{i}] ({path}): no values; expected a list of at least one value of the field's type"
                ));
            }
            let mut seen = Vec::new();
            for v in &values {
                if seen.contains(v) {
                    problems.push(format!("grid[{i}] ({path}): the value {v} is listed twice"));
                }
                seen.push(v.clone());
            }
            if let Some(base) = &base {
                for v in &values {
                    let o = Override {
                        path: path.clone(),
                        value: v.clone(),
                    };
                    match path::apply(base, &[o], &base_file) {
                        // A problem of the value itself; others may be fixed by another axis and
                        // are checked per grid point below.
                        Err(PathError::Scenario(ScenarioError::Invalid {
                            problems: found,
                            ..
                        })) => {
                            for p in found.iter().filter(|p| p.path.starts_with(path.as_str())) {
                                problems.push(format!("grid[{i}] ({path}) value {v}: {p}"));
                            }
                        }
                        Err(PathError::Scenario(e)) => {
                            problems.push(format!("grid[{i}] ({path}) value {v}: {e}"))
                        }
                        Err(e) => {
                            let text = format!("grid[{i}]: {e}");
                            if !problems.contains(&text) {
                                problems.push(text);
                            }
                        }
                        Ok(_) => {}
                    }
                }
            }
            axes.push(Axis { path, values });
        }
        let Some(base) = base.filter(|_| problems.is_empty()) else {
            return Err(SweepError {
                file: path.to_path_buf(),
                problems,
            });
        };
        // Every combination, checked as a scenario with its data, in parallel.
        let coords = grid_coords(&axes);
        let checked: Vec<Result<Point, String>> = coords
            .into_par_iter()
            .enumerate()
            .map(|(index, coords)| {
                let overrides: Vec<Override> = axes
                    .iter()
                    .zip(&coords)
                    .map(|(a, &c)| Override {
                        path: a.path.clone(),
                        value: a.values[c].clone(),
                    })
                    .collect();
                let label = overrides
                    .iter()
                    .map(|o| format!("{} = {}", o.path, o.value))
                    .collect::<Vec<_>>()
                    .join(", ");
                let scenario = path::apply(&base, &overrides, &base_file).map_err(|e| match e {
                    PathError::Scenario(e) => {
                        format!("grid point {index} ({label}): {}", scenario_problems(&e))
                    }
                    e => format!("grid point {index} ({label}): {e}"),
                })?;
                crate::plan::Plan::new(&scenario)
                    .map_err(|e| format!("grid point {index} ({label}): {e}"))?;
                Ok(Point {
                    index,
                    coords,
                    scenario,
                })
            })
            .collect();
        let mut points = Vec::new();
        for c in checked {
            match c {
                Ok(p) => points.push(p),
                Err(e) => problems.push(e),
            }
        }
        if !problems.is_empty() {
            return Err(SweepError {
                file: path.to_path_buf(),
                problems,
            });
        }
        Ok(Plan {
            name: file.name,
            file: path.to_path_buf(),
            base_file,
            seeds,
            axes,
            points,
        })
    }

    /// Every run, by id: point-major, seeds in order.
    pub fn runs(&self) -> Vec<RunSpec> {
        let n = self.seeds.len();
        self.points
            .iter()
            .flat_map(|p| {
                self.seeds
                    .iter()
                    .enumerate()
                    .map(move |(s, &seed)| RunSpec {
                        id: p.index * n + s,
                        point: p.index,
                        seed,
                    })
            })
            .collect()
    }

    /// The scenario of `run`.
    pub fn scenario(&self, run: RunSpec) -> Scenario {
        let mut s = self.points[run.point].scenario.clone();
        s.seed = run.seed;
        s
    }

    /// The folder name of `run` inside `runs/`, e.g. `p003-seed2`.
    pub fn run_dir(&self, run: RunSpec) -> String {
        let width = (self.points.len().max(2) - 1).to_string().len().max(3);
        format!("p{:0width$}-seed{}", run.point, run.seed)
    }

    /// The value text of each axis at grid point `point`.
    pub fn assignment(&self, point: usize) -> Vec<&str> {
        self.axes
            .iter()
            .zip(&self.points[point].coords)
            .map(|(a, &c)| a.values[c].as_str())
            .collect()
    }

    /// A fingerprint of everything that determines the sweep's results: its name, axes, seeds and
    /// every run's resolved scenario.
    pub fn fingerprint(&self) -> String {
        let mut h = Fnv::default();
        h.write(self.name.as_bytes());
        for a in &self.axes {
            h.write(a.path.as_str().as_bytes());
            for v in &a.values {
                h.write(v.as_bytes());
            }
        }
        for run in self.runs() {
            h.write(&run.seed.to_le_bytes());
            h.write(run_hash(&self.scenario(run)).as_bytes());
        }
        format!("{:016x}", h.0)
    }
}

/// A short hash of a run's resolved scenario (`resolved.ron`), which identifies the run.
pub fn run_hash(scenario: &Scenario) -> String {
    hash_text(&scenario.to_ron())
}

/// FNV-1a of `text`, as 16 hex digits.
pub fn hash_text(text: &str) -> String {
    let mut h = Fnv::default();
    h.write(text.as_bytes());
    format!("{:016x}", h.0)
}

/// 64-bit FNV-1a: a stable, dependency-free hash (not for security).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
}

/// The problems of a scenario error on one line each (without the file name repeated per problem).
fn scenario_problems(e: &crate::scenario::ScenarioError) -> String {
    match e {
        crate::scenario::ScenarioError::Invalid { problems, .. } => problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        e => e.to_string(),
    }
}

/// Every combination of value indices, the first axis varying slowest.
fn grid_coords(axes: &[Axis]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for a in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..a.values.len()).map(move |v| {
                    let mut c = prefix.clone();
                    c.push(v);
                    c
                })
            })
            .collect();
    }
    out
}

/// A deterministic share of a sweep: runs whose id is `k − 1` modulo `n` (1-based `k`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which share, 1-based.
    pub k: usize,
    /// How many shares.
    pub n: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// Whether run `id` belongs to this shard.
    pub fn contains(&self, id: usize) -> bool {
        id % self.n == self.k - 1
    }

    /// Whether this is the whole sweep.
    pub fn is_all(&self) -> bool {
        self.n == 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "--shard {text}: expected K/N with 1 ≤ K ≤ N, e.g. 1/3, 2/3, 3/3 (shard K of N, 1-based)"
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

/// Parses seeds given as `A..B` (B excluded), `A..=B`, or a comma-separated list.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let bad = || {
        format!(
            "--seeds {text}: expected A..B (B excluded, e.g. 0..20), A..=B, or a list like 1,5,9"
        )
    };
    let seeds: Vec<u64> = if let Some((a, b)) = text.split_once("..=") {
        let (a, b): (u64, u64) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        (a..=b).collect()
    } else if let Some((a, b)) = text.split_once("..") {
        let (a, b): (u64, u64) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        (a..b).collect()
    } else {
        text.split(',')
            .map(|s| s.trim().parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?
    };
    if seeds.is_empty() {
        return Err(format!(
            "--seeds {text}: no seeds (the end of A..B is excluded)"
        ));
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_and_seeds_parse() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { k: 2, n: 3 }));
        for bad in ["4/3", "0/3", "1/0", "x/3", "3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let s = Shard { k: 2, n: 3 };
        assert_eq!(
            (0..7).filter(|&i| s.contains(i)).collect::<Vec<_>>(),
            [1, 4]
        );
        assert_eq!(parse_seeds("0..3").unwrap(), [0, 1, 2]);
        assert_eq!(parse_seeds("2..=3").unwrap(), [2, 3]);
        assert_eq!(parse_seeds("5, 1").unwrap(), [5, 1]);
        assert!(parse_seeds("3..3").is_err());
        assert!(parse_seeds("a..b").is_err());
    }

    #[test]
    fn sweep_files_are_recognised() {
        assert!(is_sweep_text("// a comment\nSweep(name: \"x\")"));
        assert!(is_sweep_text(
            "#![enable(implicit_some)]\n Sweep (name: \"x\")"
        ));
        assert!(!is_sweep_text("Scenario(name: \"x\")"));
    }

    #[test]
    fn grid_order_is_first_axis_slowest() {
        let axis = |n: usize| Axis {
            path: "seed".parse().unwrap(),
            values: (0..n).map(|i| i.to_string()).collect(),
        };
        assert_eq!(
            grid_coords(&[axis(2), axis(3)]),
            [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
        );
    }
}
