//! The hot loop allocates nothing per event: heap allocations made while training are counted for a
//! short and a ten times longer schedule, and must not grow with the number of samples.
//!
//! Counting is done by the `allocation-counter` dev-dependency, which installs a global allocator
//! wrapping `std::alloc::System` that counts every `alloc` (a `realloc` is counted as one) *on the
//! calling thread only*, so the test harness and other test threads cannot pollute a measurement.
//! The crate forbids `unsafe_code`, so this file cannot implement `GlobalAlloc` itself.
//!
//! Construction (data, topology, engine buffers) may allocate; only `Trainer::train` is measured.
//! Run with `cargo test --release --test allocations -- --nocapture` to see the counts.

use std::path::Path;

use neuragent::dense::DenseTrainer;
use neuragent::plan::Plan as Setup;
use neuragent::scenario::Scenario;
use neuragent::trainer::{Schedule, Trainer, Unobserved};

/// Samples of the short schedule.
const N1: usize = 50;
/// Samples of the long schedule.
const N2: usize = 500;

fn scenario(text: &str) -> Scenario {
    Scenario::parse(text, Path::new("t.ron")).unwrap_or_else(|e| panic!("{e}"))
}

/// The first `n` positions of the setup's schedule, `n` rounded up to whole batches so that every
/// measured batch is a full one.
fn prefix(setup: &Setup, n: usize) -> Schedule {
    let batch = setup.scenario.learning.batch_size;
    let n = n.div_ceil(batch) * batch;
    let mut schedule = setup.schedule.clone();
    assert!(schedule.len() >= n, "the scenario has too few samples");
    schedule.truncate(n);
    schedule
}

/// Heap allocations made on this thread while `f` runs.
fn allocations(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

/// Fails unless the counting allocator is really installed, so that no assertion below can pass
/// vacuously.
fn assert_counting() {
    let n = allocations(|| {
        std::hint::black_box(Box::new(7_u64));
    });
    assert_eq!(n, 1, "the counting allocator is not the global allocator");
}

/// Allocations of the event engine's `train` on the first `n` samples, with a fresh engine, and what
/// it processed. The report's list of neurons still down at the end (one allocation when it is not
/// empty) is not counted: it is made once, at the end.
fn event_allocations(setup: &Setup, n: usize) -> (u64, String) {
    let schedule = prefix(setup, n);
    let mut engine = neuragent::engine::EventEngine::new(setup, setup.initial());
    let mut report = None;
    let count = allocations(|| {
        report = Some(engine.train(&setup.dataset.train, &schedule, &mut Unobserved));
    });
    let report = report.expect("trained");
    assert_eq!(
        report.samples_seen,
        schedule.len(),
        "every sample completes"
    );
    let late = report.messages.total().late;
    let down = report.neurons_down_at_end.len();
    (
        count - u64::from(down > 0),
        format!(
            "{} events, {late} late messages, {down} neurons down at the end",
            report.events
        ),
    )
}

/// Allocations of the dense trainer's `train` on the first `n` samples, with a fresh trainer, and
/// what it processed.
fn dense_allocations(setup: &Setup, n: usize) -> (u64, String) {
    let schedule = prefix(setup, n);
    let s = &setup.scenario;
    let rule = s.learning.rule.build();
    let mut trainer = DenseTrainer::new(
        &setup.topology,
        rule.as_ref(),
        s.network.activation,
        s.network.output,
        setup.learning.sgd,
        s.learning.batch_size,
        &setup.initial(),
        &setup.feedback,
    );
    let mut seen = 0;
    let count = allocations(|| {
        seen = trainer
            .train(&setup.dataset.train, &schedule, &mut Unobserved)
            .samples_seen;
    });
    assert_eq!(seen, schedule.len(), "every sample completes");
    let batches = seen.div_ceil(s.learning.batch_size);
    (count, format!("{batches} batches"))
}

/// Measures `train` for `N1` and `N2` samples (rounded up to whole batches), after one unmeasured
/// warm-up run so that lazy one-time initialisation anywhere in the process is not charged to the
/// first measurement.
fn measure(name: &str, setup: &Setup, train: fn(&Setup, usize) -> (u64, String)) -> (u64, u64) {
    assert_counting();
    train(setup, N1);
    let (short, short_work) = train(setup, N1);
    let (long, long_work) = train(setup, N2);
    eprintln!(
        "allocations during train, {name}: {short} for {} samples ({short_work}), \
         {long} for {} samples ({long_work})",
        prefix(setup, N1).len(),
        prefix(setup, N2).len(),
    );
    (short, long)
}

const RELIABLE: &str = r#"Scenario(
    name: "alloc-reliable",
    seed: 7,
    data: Builtin(name: "digits"),
    network: (hidden: [32], activation: Tanh, output: Softmax),
    learning: (rule: Attention, optimizer: Sgd(lr: 0.02), batch_size: 1, epochs: 1),
)"#;

const UNRELIABLE: &str = r#"Scenario(
    name: "alloc-unreliable",
    seed: 7,
    data: Builtin(name: "digits"),
    network: (hidden: [32], activation: Tanh, output: Softmax),
    learning: (
        rule: EstimatedAttention(estimator: Ema(decay: 0.9), send: Threshold(0.01)),
        optimizer: Sgd(lr: 0.02), batch_size: 1, epochs: 1, in_flight: 4,
    ),
    links: (
        forward_delay: Exponential(mean: 3.0), attention_delay: Uniform(min: 1, max: 8),
        drop_probability: 0.05, wait_timeout: 40, missing_input: LastValue,
    ),
)"#;

/// Random crashes and cuts all along the run (about 0.1 crashes and 0.24 cuts per sample).
const RANDOM_FAULTS: &str = r#"Scenario(
    name: "alloc-random-faults",
    seed: 7,
    data: Builtin(name: "digits"),
    network: (hidden: [32], activation: Tanh, output: Softmax),
    learning: (rule: Attention, optimizer: Sgd(lr: 0.02), batch_size: 1, epochs: 1, in_flight: 2),
    links: (forward_delay: Uniform(min: 1, max: 3), wait_timeout: 10),
    faults: [
        RandomCrashes(rate_per_sample: 0.001, mean_downtime_samples: 10, lose_state: true),
        RandomCuts(rate_per_sample: 0.0001, mean_downtime_samples: 10),
    ],
)"#;

/// The dense trainer with `rule`, `momentum` and `network` settings at `batch_size`.
fn dense(rule: &str, momentum: f64, network: &str, batch_size: usize) -> String {
    format!(
        r#"Scenario(
    name: "alloc-dense",
    seed: 7,
    data: Builtin(name: "digits"),
    network: (hidden: [32, 16], activation: Tanh, output: Softmax{network}),
    learning: (rule: {rule}, engine: Dense, optimizer: Sgd(lr: 0.02, momentum: {momentum}),
               batch_size: {batch_size}, epochs: 1),
)"#
    )
}

/// Reliable links, one sample at a time: every buffer is sized at construction and the event queue
/// never holds more than its initial capacity, so `train` allocates a constant amount (its report)
/// whatever the number of samples.
#[test]
fn event_engine_reliable_links_allocates_nothing_per_event() {
    let setup = Setup::new(&scenario(RELIABLE)).expect("setup");
    let (short, long) = measure("event engine, reliable links", &setup, event_allocations);
    assert_eq!(long, short, "allocations grow with the number of samples");
}

/// Unreliable links with pipelining and estimated attention: late messages are tracked only until
/// they arrive, in a heap with room reserved up front, so `train` allocates a constant amount here
/// too, whatever the number of samples and late messages.
#[test]
fn event_engine_unreliable_links_allocates_nothing_per_event() {
    let setup = Setup::new(&scenario(UNRELIABLE)).expect("setup");
    let (short, long) = measure("event engine, unreliable links", &setup, event_allocations);
    assert_eq!(long, short, "allocations grow with the number of samples");
}

/// Random faults keep nothing per past event: the timeline holds only the pending recoveries and
/// repairs, so a ten times longer run with ten times more faults allocates no more.
#[test]
fn random_faults_take_memory_bounded_by_what_is_down() {
    let setup = Setup::new(&scenario(RANDOM_FAULTS)).expect("setup");
    let (short, long) = measure("event engine, random faults", &setup, event_allocations);
    assert_eq!(long, short, "allocations grow with the number of samples");
}

/// The dense reference sizes every buffer for a full batch up front, and faer's GEMM keeps its
/// scratch space: nothing per sample or batch, for every rule, with momentum, missing synapses and
/// skip connections, one sample at a time or in batches.
#[test]
fn dense_reference_allocates_nothing_per_sample() {
    let sparse = ", connectivity: Sparse(density: 0.5), skip: true";
    for (rule, momentum, network) in [
        ("Backprop", 0.0, ""),
        ("Backprop", 0.5, sparse),
        ("GreedyAttention", 0.0, ""),
        ("GreedyAttention", 0.5, sparse),
        ("FeedbackAlignment", 0.0, sparse),
    ] {
        for batch_size in [1, 32] {
            let text = dense(rule, momentum, network, batch_size);
            let setup = Setup::new(&scenario(&text)).expect("setup");
            let name =
                format!("dense {rule}, momentum {momentum}{network}, batch_size {batch_size}");
            let (short, long) = measure(&name, &setup, dense_allocations);
            assert_eq!(
                long, short,
                "{name}: allocations grow with the number of samples"
            );
        }
    }
}
