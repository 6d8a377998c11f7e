//! Time per sample against network size: layered networks from about 10³ to 10⁶ synapses, reliable
//! links with `Constant(1)` delays, exact attention. Throughput is reported in synapse-samples per
//! second, so "time per synapse" is its inverse; the target is that it stays within 2× across sizes.
//!
//! `cargo bench --bench scaling`.

mod common;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use neuragent::trainer::{Trainer, Unobserved};

/// (features, hidden widths): about 10³, 10⁴, 10⁵ and 10⁶ synapses with 10 outputs.
const SIZES: [(usize, &[usize]); 4] = [
    (16, &[48]),
    (64, &[128]),
    (256, &[320]),
    (500, &[1000, 490]),
];

fn scenario(features: usize, hidden: &[usize]) -> String {
    format!(
        "Scenario(
            name: \"scaling\", seed: 1,
            data: Blobs(samples: 200, classes: 10, features: {features}),
            network: (hidden: {hidden:?}, activation: Tanh, output: Softmax),
            learning: (rule: Attention, optimizer: Sgd(lr: 0.01), epochs: 1),
        )"
    )
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    group.sample_size(10);
    for (features, hidden) in SIZES {
        let setup = common::parsed(&scenario(features, hidden));
        let synapses = setup.topology.synapses();
        // About 2 million synapse-samples per iteration.
        let samples = (2_000_000 / synapses).clamp(2, setup.schedule.len());
        let mut schedule = setup.schedule.clone();
        schedule.truncate(samples);

        group.throughput(Throughput::Elements((synapses * samples) as u64));
        group.bench_function(format!("events_{synapses}_synapses"), |b| {
            b.iter_batched(
                || neuragent::engine::EventEngine::new(&setup, setup.initial()),
                |mut engine| engine.train(&setup.dataset.train, &schedule, &mut Unobserved),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, scaling);
criterion_main!(benches);
