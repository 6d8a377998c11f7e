//! The input files a run read, with their SHA-256, so that `replay` can say which one changed.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::scenario::Scenario;

/// A file a run read, as `summary.json` records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// The file, as the resolved scenario names it.
    pub path: String,
    /// SHA-256 of its bytes, in hex; `None` when it could not be read.
    pub sha256: Option<String>,
}

/// The files `scenario` reads (its CSV data file, if any, also as the base of `Tasks`), each with
/// its hash now.
pub fn inputs(scenario: &Scenario) -> Vec<InputFile> {
    scenario
        .data
        .csv_path()
        .map(|path| InputFile {
            path: path.display().to_string(),
            sha256: sha256_of(path),
        })
        .into_iter()
        .collect()
}

/// SHA-256 of the file at `path`, in hex.
pub fn sha256_of(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(format!("{:x}", hasher.finalize()))
}
