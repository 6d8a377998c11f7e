//! One epoch of `scenarios/digits.ron` through the event simulator (every message simulated), through
//! the dense `Backprop` reference trainer on the same network and samples, and through the event
//! simulator with the link settings of `scenarios/digits-faults.ron`; plus the reference's throughput at
//! batch sizes 1 and 32.
//!
//! `cargo bench --bench training`; the ratios are reported in `docs/performance.md`.

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neuragent::scenario::{Engine, RuleSpec, Scenario};
use neuragent::trainer::Unobserved;

fn one_epoch(s: &mut Scenario) {
    s.learning.epochs = 1;
}

fn training(c: &mut Criterion) {
    let mut group = c.benchmark_group("digits_epoch");
    group.sample_size(20);
    let events = common::bundled("digits.ron", one_epoch);
    group.throughput(Throughput::Elements(events.schedule.len() as u64));
    group.bench_function("events_attention", |b| {
        b.iter(|| events.train(&mut Unobserved).expect("train"))
    });
    let dense = common::bundled("digits.ron", |s| {
        one_epoch(s);
        s.learning.rule = RuleSpec::Backprop;
        s.learning.engine = Some(Engine::Dense);
    });
    group.bench_function("dense_backprop", |b| {
        b.iter(|| dense.train(&mut Unobserved).expect("train"))
    });
    let dense32 = common::bundled("digits.ron", |s| {
        one_epoch(s);
        s.learning.rule = RuleSpec::Backprop;
        s.learning.engine = Some(Engine::Dense);
        s.learning.batch_size = 32;
    });
    group.bench_function("dense_backprop_batch32", |b| {
        b.iter(|| dense32.train(&mut Unobserved).expect("train"))
    });
    // digits.ron with the link settings of digits-faults.ron: delays, drops, timeout.
    let faults_links = common::bundled("digits-faults.ron", |_| {}).scenario.links;
    let faulty_links = common::bundled("digits.ron", |s| {
        one_epoch(s);
        s.links = faults_links;
    });
    group.bench_function("events_attention_faulty_links", |b| {
        b.iter(|| faulty_links.train(&mut Unobserved).expect("train"))
    });
    group.finish();
}

criterion_group!(benches, training);
criterion_main!(benches);
