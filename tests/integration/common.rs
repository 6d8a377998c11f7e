//! Builders shared by the test modules.

use std::path::Path;

use neuragent::scenario::Scenario;
use neuragent::testing::{Property, Replay, Strategy, TestCaseResult};

/// Parses a scenario from RON text, panicking with the error if it is not valid.
pub fn scenario(text: &str) -> Scenario {
    Scenario::parse(text, Path::new("test.ron")).unwrap_or_else(|e| panic!("{e}"))
}

/// The crate's `scenarios/` folder.
pub fn scenarios_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The number of cases a property test runs: `PROPTEST_CASES` when set, else `default`.
/// (`ProptestConfig::with_cases` alone would ignore the variable.)
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether `test` fails on one of exactly `cases` cases of `strategy` (whatever `PROPTEST_CASES`
/// says), the same cases on every run: for a property stated outside its measured region, which
/// must fail there. No shrinking, no regression file; the counterexample goes to the temporary
/// folder.
pub fn fails_somewhere<S>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) -> bool
where
    S: Strategy,
    S::Value: Replay,
{
    Property::new(name)
        .cases_exactly(cases)
        .deterministic()
        .shrink_iters(0)
        .without_regression_file()
        .save_to(std::env::temp_dir().join("neuragent-beyond"))
        .find(strategy, test)
        .is_err()
}
