//! One epoch of `scenarios/digits.ron` through the event simulator (every message simulated) and
//! through the dense `Backprop` reference trainer on the same network and samples.
//!
//! `cargo bench --bench training`; the ratio of the two is reported in `docs/performance.md`.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use neuragent::run::Setup;
use neuragent::scenario::{Engine, RuleSpec, Scenario};

fn digits_one_epoch(rule: RuleSpec, engine: Engine) -> Setup {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/digits.ron");
    let mut scenario = Scenario::from_file(&path).expect("bundled scenario");
    scenario.learning.epochs = 1;
    scenario.learning.rule = rule;
    scenario.learning.engine = Some(engine);
    Setup::new(&scenario).expect("setup")
}

fn training(c: &mut Criterion) {
    let mut group = c.benchmark_group("digits_epoch");
    group.sample_size(20);
    let events = digits_one_epoch(RuleSpec::Attention, Engine::Events);
    group.bench_function("events_attention", |b| {
        b.iter(|| events.train(&mut neuragent::trainer::Unobserved))
    });
    let dense = digits_one_epoch(RuleSpec::Backprop, Engine::Dense);
    group.bench_function("dense_backprop", |b| {
        b.iter(|| dense.train(&mut neuragent::trainer::Unobserved))
    });
    group.finish();
}

criterion_group!(benches, training);
criterion_main!(benches);
