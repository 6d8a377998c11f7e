//! Running a property over generated cases, and turning its smallest failure into a scenario file
//! that `neuragent run` replays.

use std::fmt;
use std::panic::Location;
use std::path::{Path, PathBuf};

use proptest::strategy::Strategy;
use proptest::test_runner::{
    Config as ProptestConfig, FileFailurePersistence, RngAlgorithm, TestCaseResult, TestError,
    TestRng, TestRunner,
};

use crate::scenario::Scenario;

/// A generated case that a scenario file can replay: a scenario, or a scenario with other values
/// (a second drop probability, say), which the failure message shows beside it.
pub trait Replay: Clone + fmt::Debug {
    /// The scenario whose run shows the failure.
    fn scenario(&self) -> &Scenario;
}

impl Replay for Scenario {
    fn scenario(&self) -> &Scenario {
        self
    }
}

impl<T: Clone + fmt::Debug> Replay for (Scenario, T) {
    fn scenario(&self) -> &Scenario {
        &self.0
    }
}

/// A proptest configuration running `cases` cases, or `PROPTEST_CASES` when it is set.
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        ..ProptestConfig::default()
    }
}

/// A named property: how many cases to try, how hard to shrink, where to save a counterexample.
#[derive(Clone, Debug)]
pub struct Property {
    name: String,
    cases: u32,
    exact: bool,
    shrink_iters: u32,
    dir: Option<PathBuf>,
    regressions: bool,
    deterministic: bool,
}

impl Property {
    /// A property named `name` (it names the counterexample's file; keep it to letters, digits, `-`
    /// and `_`), trying 32 cases (`PROPTEST_CASES` when set) and at most 256 shrinking steps.
    pub fn new(name: &str) -> Property {
        Property {
            name: name.to_string(),
            cases: 32,
            exact: false,
            shrink_iters: 256,
            dir: None,
            regressions: true,
            deterministic: false,
        }
    }

    /// Tries `cases` cases, unless `PROPTEST_CASES` is set.
    pub fn cases(mut self, cases: u32) -> Property {
        self.cases = cases;
        self
    }

    /// Tries exactly `cases` cases, whatever `PROPTEST_CASES` says: for a property stated outside
    /// its region, which must fail within so many.
    pub fn cases_exactly(mut self, cases: u32) -> Property {
        self.cases = cases;
        self.exact = true;
        self
    }

    /// Takes at most `steps` shrinking steps (each one run of the property).
    pub fn shrink_iters(mut self, steps: u32) -> Property {
        self.shrink_iters = steps;
        self
    }

    /// Neither reads nor writes proptest's regression file (for a property that fails on purpose).
    pub fn without_regression_file(mut self) -> Property {
        self.regressions = false;
        self
    }

    /// Draws the cases from a fixed seed, the same ones on every run (proptest otherwise seeds each
    /// run afresh): for a property that must fail somewhere, so that the verdict is repeatable.
    pub fn deterministic(mut self) -> Property {
        self.deterministic = true;
        self
    }

    /// Saves a counterexample in `dir` rather than `target/counterexamples/` (`$CARGO_TARGET_DIR`
    /// when set, the system's temporary folder when there is no `target` folder here).
    pub fn save_to(mut self, dir: impl Into<PathBuf>) -> Property {
        self.dir = Some(dir.into());
        self
    }

    /// Runs `test` on cases from `strategy`; panics with the smallest failing case as a scenario
    /// file (see [`Counterexample`]). Seeds of failures go to proptest's regression file beside the
    /// calling source file (`tests/proptest-regressions/<file>.txt` for a module of
    /// `tests/integration/`), and are tried first on the next run.
    #[track_caller]
    pub fn check<S>(&self, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
    where
        S: Strategy,
        S::Value: Replay,
    {
        if let Err(c) = self.run(Location::caller().file(), strategy, test) {
            panic!("{c}");
        }
    }

    /// [`Property::check`], returning the counterexample instead of panicking.
    #[track_caller]
    pub fn find<S>(
        &self,
        strategy: S,
        test: impl Fn(S::Value) -> TestCaseResult,
    ) -> Result<(), Box<Counterexample>>
    where
        S: Strategy,
        S::Value: Replay,
    {
        self.run(Location::caller().file(), strategy, test)
    }

    fn run<S>(
        &self,
        source: &'static str,
        strategy: S,
        test: impl Fn(S::Value) -> TestCaseResult,
    ) -> Result<(), Box<Counterexample>>
    where
        S: Strategy,
        S::Value: Replay,
    {
        let config = ProptestConfig {
            source_file: Some(source),
            failure_persistence: Some(Box::new(if self.regressions {
                FileFailurePersistence::SourceParallel("proptest-regressions")
            } else {
                FileFailurePersistence::Off
            })),
            max_shrink_iters: self.shrink_iters,
            cases: if self.exact {
                self.cases
            } else {
                config(self.cases).cases
            },
            ..ProptestConfig::default()
        };
        let mut runner = if self.deterministic {
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
        } else {
            TestRunner::new(config)
        };
        match runner.run(&strategy, test) {
            Ok(()) => Ok(()),
            Err(TestError::Abort(why)) => panic!("property `{}` gave up: {why}", self.name),
            Err(TestError::Fail(why, case)) => {
                let mut c = Counterexample {
                    property: self.name.clone(),
                    reason: why.message().to_string(),
                    scenario: case.scenario().clone(),
                    case: String::new(),
                    file: None,
                    saved: None,
                };
                if format!("{:?}", case) != format!("{:?}", case.scenario()) {
                    c.case = format!("{case:#?}");
                }
                let dir = self.dir.clone().unwrap_or_else(default_dir);
                let file = dir.join(format!("{}.ron", file_stem(&self.name)));
                c.saved = Some(
                    std::fs::create_dir_all(&dir)
                        .and_then(|()| std::fs::write(&file, c.ron()))
                        .map_err(|e| e.to_string()),
                );
                c.file = Some(file);
                Err(Box::new(c))
            }
        }
    }
}

/// Runs the property `name` on `cases` cases of `strategy` (`PROPTEST_CASES` when set); panics
/// with the smallest counterexample as a scenario file. Short for
/// `Property::new(name).cases(cases).check(strategy, test)`.
#[track_caller]
pub fn check<S>(name: &str, cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Replay,
{
    let p = Property::new(name).cases(cases);
    if let Err(c) = p.run(Location::caller().file(), strategy, test) {
        panic!("{c}");
    }
}

/// The smallest failing case of a property, as a scenario that replays it.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The property's name.
    pub property: String,
    /// Why the case failed (the property's message).
    pub reason: String,
    /// The scenario to replay, its seed included.
    pub scenario: Scenario,
    /// The whole case, when it holds more than the scenario; empty otherwise.
    pub case: String,
    /// Where the scenario file was written (or would have been).
    pub file: Option<PathBuf>,
    /// Whether writing it worked (`Err` with the reason).
    pub saved: Option<Result<(), String>>,
}

impl Counterexample {
    /// The scenario file: a comment naming the property and why it failed, then the scenario with
    /// every default written out (what `neuragent run` writes as `resolved.ron`).
    pub fn ron(&self) -> String {
        let mut text = format!(
            "// Counterexample to the property `{}`, shrunk by proptest; replay with\n\
             //     neuragent run FILE\n// It failed with:\n",
            self.property
        );
        for line in self.reason.lines() {
            text.push_str(&format!("//   {line}\n"));
        }
        text.push_str(&self.scenario.to_ron());
        text.push('\n');
        text
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "property `{}` failed: {}", self.property, self.reason)?;
        writeln!(
            f,
            "smallest failing scenario (seed {}), as a scenario file:",
            self.scenario.seed
        )?;
        writeln!(f, "{}", self.ron())?;
        if !self.case.is_empty() {
            writeln!(f, "the whole failing case:\n{}", self.case)?;
        }
        let round_trip = Scenario::parse(&self.ron(), Path::new("counterexample.ron"));
        if !matches!(&round_trip, Ok(s) if *s == self.scenario) {
            writeln!(
                f,
                "warning: this text does not read back as the same scenario ({:?}); the run may \
                 differ",
                round_trip.err()
            )?;
        }
        match (&self.file, &self.saved) {
            (Some(file), Some(Ok(()))) => write!(
                f,
                "saved as {}; replay with: neuragent run {}",
                file.display(),
                file.display()
            ),
            (Some(file), Some(Err(e))) => write!(f, "could not save {}: {e}", file.display()),
            _ => Ok(()),
        }
    }
}

/// `target/counterexamples` (under `$CARGO_TARGET_DIR` when set), or the temporary folder when there
/// is no `target` folder here.
fn default_dir() -> PathBuf {
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("counterexamples");
    }
    if Path::new("target").is_dir() {
        return PathBuf::from("target/counterexamples");
    }
    std::env::temp_dir().join("neuragent-counterexamples")
}

fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if stem.is_empty() {
        "property".to_string()
    } else {
        stem
    }
}
