//! One training sample through a 64-128-10 network on unreliable links: every forward message with an
//! `Exponential(mean: 3.0)` delay, attention back with `Uniform(min: 1, max: 8)`, 5% drops, a wait
//! timeout, exact attention learning. The reference is a plain `BinaryHeap<(time, seq, id)>`
//! discrete-event loop that only moves the same 9,472 forward messages (one heap entry per message,
//! same delay distribution and generator), written here.
//!
//! `cargo bench --bench wave`. Both report time per sample; the target is events ≤ 0.5 × heap.

mod common;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use neuragent::rng::{Purpose, Streams};
use neuragent::trainer::Unobserved;
use rand_distr::{Distribution, Exp};

/// Samples per measured iteration.
const SAMPLES: usize = 64;

const WAVE: &str = "Scenario(
    name: \"wave\",
    seed: 5,
    data: Builtin(name: \"digits\"),
    network: (hidden: [128], activation: Tanh, output: Softmax),
    learning: (rule: Attention, optimizer: Sgd(lr: 0.02), epochs: 1),
    links: (
        forward_delay: Exponential(mean: 3.0),
        attention_delay: Uniform(min: 1, max: 8),
        drop_probability: 0.05,
        wait_timeout: 40,
        missing_input: LastValue,
    ),
)";

/// The bare loop: inputs emit at tick 0; a hidden neuron forwards once all its 64 inputs arrived.
fn heap_wave(rng: &mut neuragent::rng::Rng, delay: &Exp<f64>, pending: &mut [u32]) -> u64 {
    const INPUTS: usize = 64;
    const HIDDEN: usize = 128;
    const OUTPUTS: usize = 10;
    let mut heap = BinaryHeap::with_capacity(INPUTS * HIDDEN);
    let mut seq = 0u64;
    pending.fill(INPUTS as u32);
    for _ in 0..INPUTS {
        for h in 0..HIDDEN {
            let t = delay.sample(rng).round() as u64;
            heap.push(Reverse((t, seq, h as u32)));
            seq += 1;
        }
    }
    let mut delivered = 0;
    while let Some(Reverse((now, _, id))) = heap.pop() {
        delivered += 1;
        let id = id as usize;
        if id < HIDDEN {
            pending[id] -= 1;
            if pending[id] == 0 {
                for o in 0..OUTPUTS {
                    let t = now + delay.sample(rng).round() as u64;
                    heap.push(Reverse((t, seq, (HIDDEN + o) as u32)));
                    seq += 1;
                }
            }
        }
    }
    delivered
}

fn wave(c: &mut Criterion) {
    let mut group = c.benchmark_group("wave_64_128_10");
    group.throughput(Throughput::Elements(SAMPLES as u64));

    let setup = common::parsed(WAVE);

    let mut short = setup.schedule.clone();
    short.truncate(SAMPLES);
    group.bench_function("events_attention", |b| {
        b.iter_batched(
            || neuragent::engine::EventEngine::new(&setup, setup.initial()),
            |mut engine| {
                neuragent::trainer::Trainer::train(
                    &mut engine,
                    &setup.dataset.train,
                    &short,
                    &mut Unobserved,
                )
            },
            BatchSize::LargeInput,
        )
    });

    let delay = Exp::new(1.0 / 3.0).expect("rate");
    let mut rng = Streams::new(5).stream(Purpose::ForwardMessages);
    let mut pending = vec![0u32; 128];
    group.bench_function("binary_heap_forward_only", |b| {
        b.iter(|| {
            let mut moved = 0;
            for _ in 0..SAMPLES {
                moved += heap_wave(&mut rng, &delay, &mut pending);
            }
            assert_eq!(moved, SAMPLES as u64 * 9_472);
            moved
        })
    });
    group.finish();
}

criterion_group!(benches, wave);
criterion_main!(benches);
