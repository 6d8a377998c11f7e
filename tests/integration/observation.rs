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
