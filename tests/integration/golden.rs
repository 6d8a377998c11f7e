//! Seeded results are a contract with users: the SHA-256 of `metrics.csv` of two bundled scenarios is
//! written here, so any change of seeded results is visible and deliberate. When a change is meant,
//! update the hashes in the same commit and say why in its message.
//!
//! The simulation path uses only IEEE arithmetic, `sqrt` and the pure-Rust `libm`, so these hashes
//! hold on every platform.

use neuragent::output;
use neuragent::run;
use neuragent::scenario::Scenario;
use sha2::{Digest, Sha256};

use crate::common::scenarios_dir;

const GOLDEN: [(&str, &str); 2] = [
    (
        "xor.ron",
        "8313e306c5adcba64065a58feb6abc5b7abfbe02d61c1d11214a9b9373baac7f",
    ),
    (
        "digits-faults.ron",
        "86da81695e2af79ff7c04cea799e32349aec29c09434e9bbb0a3cb1093f96da1",
    ),
];

#[test]
fn seeded_results_are_unchanged() {
    let mut changed = Vec::new();
    for (file, expected) in GOLDEN {
        let scenario = Scenario::from_file(&scenarios_dir().join(file)).unwrap();
        let result = run::run(&scenario).unwrap();
        let files = output::render(&result).unwrap();
        let (_, csv) = files
            .iter()
            .find(|(name, _)| *name == "metrics.csv")
            .expect("a run has metrics.csv");
        let hash = format!("{:x}", Sha256::digest(csv));
        if hash != expected {
            changed.push(format!("{file}: metrics.csv is now {hash}, was {expected}"));
        }
    }
    assert!(
        changed.is_empty(),
        "seeded results changed; if that is meant, update GOLDEN and say why in the commit:\n{}",
        changed.join("\n")
    );
}
