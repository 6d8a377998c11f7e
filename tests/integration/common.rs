//! Builders shared by the test modules.

use std::path::Path;

use neuragent::scenario::Scenario;

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
