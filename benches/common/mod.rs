//! Builders shared by the benches.

#![allow(dead_code)]

use std::path::Path;

use neuragent::plan::Plan as Setup;
use neuragent::scenario::Scenario;

/// The setup of a bundled scenario, changed by `edit` before it is built.
pub fn bundled(file: &str, edit: impl FnOnce(&mut Scenario)) -> Setup {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let mut scenario = Scenario::from_file(&path).expect("bundled scenario");
    edit(&mut scenario);
    Setup::new(&scenario).expect("setup")
}

/// The setup of a scenario written in RON.
pub fn parsed(text: &str) -> Setup {
    let scenario = Scenario::parse(text, Path::new("bench.ron")).expect("valid bench scenario");
    Setup::new(&scenario).expect("setup")
}
