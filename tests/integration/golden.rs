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
        "eea4eb4cf9c6991f1876d5b600731c20bc9532342a25489950bb733af62d30d3",
    ),
    (
        "digits-faults.ron",
        "24414ffad9f10c412d10089413db798c8b1971fd39bbd8410ca65005c390e7d3",
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
