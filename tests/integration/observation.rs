//! Observation never changes a run, and what it measures means what it says.

use neuragent::run;

use crate::common::scenario;

fn with_rule(rule: &str, alignment: bool) -> String {
    format!(
        "Scenario(
            name: \"observe\", seed: 9,
            data: Blobs(samples: 120, classes: 3, features: 4),
            network: (hidden: [7, 5], activation: Tanh, output: Softmax),
            learning: (rule: {rule}, optimizer: Sgd(lr: 0.05), epochs: 3),
            links: (forward_delay: Uniform(min: 1, max: 4)),
            evaluation: (per_epoch: 4, gradient_alignment: {alignment}),
        )"
    )
}

#[test]
fn exact_attention_is_perfectly_aligned_with_backprop() {
    let result = run::run(&scenario(&with_rule("Attention", true))).unwrap();
    for row in &result.metrics[1..] {
        assert_eq!(row.alignment.len(), 3);
        for (l, a) in row.alignment.iter().enumerate() {
            let a = a.expect("every layer moved");
            assert!((a - 1.0).abs() < 1e-9, "layer {}: cosine {a}", l + 1);
        }
    }
}

#[test]
fn feedback_alignment_is_exact_only_at_the_output_layer() {
    let result = run::run(&scenario(&with_rule("FeedbackAlignment", true))).unwrap();
    let last = result.metrics.last().unwrap();
    let output = last.alignment[2].unwrap();
    assert!((output - 1.0).abs() < 1e-9, "output layer: {output}");
    let first = last.alignment[0].unwrap();
    assert!(
        first < 0.999,
        "random feedback cannot match backprop exactly: {first}"
    );
}

#[test]
fn measuring_alignment_does_not_change_the_run() {
    let plain = run::run(&scenario(&with_rule("GreedyAttention", false))).unwrap();
    let measured = run::run(&scenario(&with_rule("GreedyAttention", true))).unwrap();
    assert_eq!(plain.params, measured.params);
    assert_eq!(plain.summary.messages, measured.summary.messages);
    for (a, b) in plain.metrics.iter().zip(&measured.metrics) {
        assert_eq!(a.test_loss, b.test_loss);
        assert_eq!(a.sim_ticks, b.sim_ticks);
    }
}

/// Iris with hidden [8, 6]: `rule` on `engine` at `batch_size`, observed `per_epoch` times per epoch.
fn iris(rule: &str, engine: &str, batch_size: usize, per_epoch: usize, skip: bool) -> String {
    format!(
        "Scenario(
            name: \"iris-alignment\", seed: 3,
            data: Builtin(name: \"iris\"),
            network: (hidden: [8, 6], activation: Tanh, output: Softmax, skip: {skip}),
            learning: (rule: {rule}, engine: {engine}, optimizer: Sgd(lr: 0.05),
                       batch_size: {batch_size}, epochs: 3),
            evaluation: (per_epoch: {per_epoch}, gradient_alignment: true),
        )"
    )
}

/// Every layer of every row reads 1 (to 1e-9) where it moved, and every layer moved somewhere.
fn assert_perfectly_aligned(result: &run::RunResult, what: &str) {
    let layers = result.metrics[0].alignment.len();
    let mut moved = vec![false; layers];
    for row in &result.metrics[1..] {
        for (l, a) in row.alignment.iter().enumerate() {
            if let Some(a) = a {
                moved[l] = true;
                assert!(
                    (a - 1.0).abs() < 1e-9,
                    "{what}, at {} samples, layer {}: cosine {a}",
                    row.samples_seen,
                    l + 1
                );
            }
        }
    }
    assert!(moved.iter().all(|&m| m), "{what}: a layer never moved");
}

/// Each update is compared with the gradients of exactly the samples it consumed, so exact
/// backprop reads 1 whether or not checkpoints split batches (iris: 120 training samples; 7 and 13
/// checkpoints per epoch split batches of 3, 4 and 7, and the last batch of an epoch is shorter).
#[test]
fn backprop_on_the_dense_engine_reads_one_at_any_batch_size_and_spacing() {
    for batch_size in [1, 3, 4, 7, 16] {
        for per_epoch in [1, 3, 7, 13] {
            let skip = batch_size == 7;
            let text = iris("Backprop", "Dense", batch_size, per_epoch, skip);
            let result = run::run(&scenario(&text)).unwrap();
            let what = format!("batch {batch_size}, per_epoch {per_epoch}");
            assert_perfectly_aligned(&result, &what);
        }
    }
}

/// What the test above guards against: crediting a sample's gradient in the window in which its
/// loss was computed reads below 1 as soon as a checkpoint falls inside a batch.
#[test]
fn crediting_gradients_at_the_loss_misreads_split_batches() {
    use neuragent::alignment::{Alignment, Credit};
    use neuragent::dense::DenseTrainer;
    use neuragent::plan::Plan as Setup;
    use neuragent::topology::Params;
    use neuragent::trainer::{Checkpoint, Observer, Trainer};

    struct Watch<'a> {
        alignment: Alignment<'a>,
        rows: Vec<Vec<Option<f64>>>,
    }
    impl Observer for Watch<'_> {
        fn checkpoint(&mut self, c: &Checkpoint<'_>) {
            self.rows.push(self.alignment.close_window(c.params));
        }
        fn wants_samples(&self) -> bool {
            true
        }
        fn sample_loss(&mut self, sample: usize, params: &Params) {
            self.alignment.add_sample(sample, params);
        }
        fn update_applied(&mut self, neuron: usize) {
            self.alignment.update_applied(neuron);
        }
    }
    let setup = Setup::new(&scenario(&iris("Backprop", "Dense", 4, 7, false))).unwrap();
    let s = &setup.scenario;
    let rule = s.learning.rule.build();
    let lowest = |credit| {
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
        let (act, out) = (s.network.activation, s.network.output);
        let train = &setup.dataset.train;
        let mut watch = Watch {
            alignment: Alignment::new(&setup.topology, act, out, train, &setup.initial(), credit),
            rows: Vec::new(),
        };
        trainer.train(train, &setup.schedule, &mut watch);
        watch
            .rows
            .iter()
            .flatten()
            .flatten()
            .copied()
            .fold(1.0, f64::min)
    };
    let at_updates = lowest(Credit::AtUpdates);
    let at_loss = lowest(Credit::AtLoss);
    assert!((at_updates - 1.0).abs() < 1e-9, "at updates: {at_updates}");
    assert!(at_loss < 0.999, "at the loss: {at_loss}");
}

/// The same measurement on the event engine, whose neurons report each update they apply
/// (`Observer::update_applied`).
#[test]
fn attention_on_the_event_engine_reads_one_at_any_batch_size_and_spacing() {
    for batch_size in [1, 3, 4, 7] {
        for per_epoch in [1, 3, 7, 13] {
            let text = iris("Attention", "Events", batch_size, per_epoch, false);
            let result = run::run(&scenario(&text)).unwrap();
            let what = format!("batch {batch_size}, per_epoch {per_epoch}");
            assert_perfectly_aligned(&result, &what);
        }
    }
}

/// Alignment on the dense engine (which then reports every update and exports its parameters at
/// every batch) leaves the run as it was.
#[test]
fn measuring_alignment_does_not_change_a_dense_run() {
    let plain = iris("GreedyAttention", "Dense", 4, 7, true)
        .replace("gradient_alignment: true", "gradient_alignment: false");
    let plain = run::run(&scenario(&plain)).unwrap();
    let measured = run::run(&scenario(&iris("GreedyAttention", "Dense", 4, 7, true))).unwrap();
    assert_eq!(plain.params, measured.params);
    for (a, b) in plain.metrics.iter().zip(&measured.metrics) {
        assert_eq!((a.test_loss, a.train_loss), (b.test_loss, b.train_loss));
    }
    assert!(measured.metrics[1..]
        .iter()
        .all(|r| r.alignment.iter().any(Option::is_some)));
}
