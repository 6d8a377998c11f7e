//! Wall time of the dense trainer on generated data, one line of JSON per epoch: the Rust side of
//! `benches/compare_dense_pytorch.sh`, and the measurement of the authors' network.
//!
//! ```sh
//! cargo bench --bench dense_epoch -- --hidden 1000,1000 --batch 32 --epochs 2
//! cargo bench --bench dense_epoch -- --hidden 2000,2000,2000,2000 --batch 512 --rule GreedyAttention
//! ```
//!
//! Options (defaults in brackets): `--hidden` widths [256,256], `--batch` [32], `--epochs` [1],
//! `--rule` Backprop | GreedyAttention | FeedbackAlignment [Backprop], `--activation` [Relu],
//! `--lr` [0.01], `--momentum` [0], `--samples` training samples [8000], `--features` [784],
//! `--classes` [10]. The data is `Blobs` with 25% more samples than `--samples`, a fifth held out, so
//! that exactly `--samples` train. Only `DenseTrainer::train` is timed (not the data or the setup);
//! each line gives the epoch's wall and CPU seconds (the CPU time is Linux only), samples per second,
//! and the mean training loss of the epoch so that both sides of a comparison can be seen to learn.

use std::path::Path;
use std::time::Instant;

use neuragent::dense::DenseTrainer;
use neuragent::plan::Plan as Setup;
use neuragent::rng::Purpose;
use neuragent::scenario::Scenario;
use neuragent::trainer::{Checkpoint, Schedule, Trainer};

fn main() {
    let all: Vec<String> = std::env::args().collect();
    let opt = |name: &str, default: &str| -> String {
        all.iter()
            .position(|a| a == name)
            .and_then(|i| all.get(i + 1).cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let hidden = opt("--hidden", "256,256");
    let batch: usize = opt("--batch", "32").parse().expect("--batch");
    let epochs: usize = opt("--epochs", "1").parse().expect("--epochs");
    let rule = opt("--rule", "Backprop");
    let activation = opt("--activation", "Relu");
    let lr = opt("--lr", "0.01");
    let momentum = opt("--momentum", "0");
    let samples: usize = opt("--samples", "8000").parse().expect("--samples");
    let features = opt("--features", "784");
    let classes = opt("--classes", "10");
    let total = samples * 5 / 4;
    let text = format!(
        "Scenario(
            name: \"dense-epoch\",
            seed: 7,
            data: Blobs(samples: {total}, classes: {classes}, features: {features}, test_fraction: 0.2),
            network: (hidden: [{hidden}], activation: {activation}, output: Softmax),
            learning: (rule: {rule}, engine: Dense, optimizer: Sgd(lr: {lr}, momentum: {momentum}),
                       batch_size: {batch}, epochs: {epochs}),
        )"
    );
    let scenario =
        Scenario::parse(&text, Path::new("dense-epoch.ron")).unwrap_or_else(|e| panic!("{e}"));
    let setup = Setup::new(&scenario).expect("setup");
    assert_eq!(setup.dataset.train.len(), samples, "training samples");
    let s = &setup.scenario;
    let built = s.learning.rule.build();
    let mut trainer = DenseTrainer::new(
        &setup.topology,
        built.as_ref(),
        s.network.activation,
        s.network.output,
        setup.learning.sgd,
        s.learning.batch_size,
        &setup.initial(),
        &setup.feedback,
    );
    // One epoch at a time (each a fresh shuffle from the order stream), so each is timed on its own.
    let train_len = setup.dataset.train.len();
    let mut order = setup.streams.stream(Purpose::Order);
    for epoch in 0..epochs {
        let one = Schedule::new(train_len, 1, batch, 1, &mut order);
        let mut loss = None;
        let mut observer = |c: &Checkpoint<'_>| {
            if c.samples_seen == train_len {
                loss = c.train_loss;
            }
        };
        let (started, cpu) = (Instant::now(), cpu_seconds());
        trainer.train(&setup.dataset.train, &one, &mut observer);
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds().zip(cpu).map(|(end, start)| end - start);
        println!(
            "{{\"engine\": \"neuragent\", \"network\": \"{features}-{}-{classes}\", \"rule\": \"{rule}\", \
             \"activation\": \"{activation}\", \"batch\": {batch}, \"epoch\": {epoch}, \
             \"seconds\": {seconds:.4}, \"cpu_seconds\": {}, \"samples_per_second\": {:.0}, \
             \"train_loss\": {}}}",
            hidden.replace(',', "-"),
            cpu.map_or("null".to_string(), |c| format!("{c:.4}")),
            train_len as f64 / seconds,
            loss.map_or("null".to_string(), |l| format!("{l:.6}")),
        );
    }
}

/// CPU time this thread has run, from Linux's `/proc/thread-self/schedstat` (nanoseconds on CPU);
/// `None` elsewhere. Less sensitive than wall time to other work on a shared machine.
fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}
