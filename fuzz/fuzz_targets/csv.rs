//! Any bytes as a CSV data file: loading gives a dataset or an error, never a panic. See
//! `fuzz/README.md`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuragent::memory::{Limit, LimitSource};
use neuragent::rng::Streams;
use neuragent::scenario::SplitOptions;

fuzz_target!(|bytes: &[u8]| {
    let limit = Limit {
        bytes: 64 << 20,
        source: LimitSource::Environment,
    };
    let split = SplitOptions {
        test_fraction: 0.25,
        standardize: true,
    };
    let _ = neuragent::data::from_csv(bytes, "fuzz.csv", "label", split, &Streams::new(0), Some(limit));
});
