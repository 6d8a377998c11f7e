//! Any bytes as a scenario file: parsing and `neuragent validate`'s checks give a scenario or an
//! error, never a panic, a hang or an abort. See `fuzz/README.md`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use neuragent::memory::{Limit, LimitSource};
use neuragent::scenario::Draft;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(draft) = Draft::parse(text, Path::new("fuzz.ron")) {
        let limit = Limit {
            bytes: 64 << 20,
            source: LimitSource::Environment,
        };
        let _ = neuragent::cli::validate(draft, Some(limit));
    }
});
