//! Faults, drops and delays: conservation of messages, crashed neurons, reproducibility, and the
//! errors of impossible fault settings.

use neuragent::plan::Plan as Setup;
use neuragent::run;
use neuragent::scenario::Scenario;
use neuragent::trainer::Checkpoint;

use crate::common::scenario;

/// A small unreliable scenario: pipelining, random delays, drops, a cut, a crash and random crashes.
fn unreliable(extra_faults: &str, seed: u64) -> Scenario {
    scenario(&format!(
        "Scenario(
            name: \"unreliable\",
            seed: {seed},
            data: Moons(samples: 200, noise: 0.15),
            network: (hidden: [8, 6], activation: Tanh, output: Softmax, skip: true),
            learning: (
                rule: EstimatedAttention(estimator: LastValue, send: Always),
                optimizer: Sgd(lr: 0.05), epochs: 6, in_flight: 3,
            ),
            links: (
                forward_delay: Exponential(mean: 2.0),
                attention_delay: LogNormal(mu: 0.5, sigma: 0.8),
                drop_probability: 0.1,
                wait_timeout: 6,
                missing_input: LastValue,
            ),
            faults: [
                Cut(from: Input(1), to: Hidden(layer: 0, index: 2), at: Tick(50), repair: Some(Tick(3000))),
                RandomCrashes(rate_per_sample: 0.002, mean_downtime_samples: 20),
                {extra_faults}
            ],
            evaluation: (per_epoch: 3),
        )"
    ))
}

#[test]
fn every_message_sent_is_delivered_dropped_or_still_in_flight() {
    for seed in 0..4 {
        let result = run::run(&unreliable("", seed)).unwrap();
        let m = &result.summary.messages;
        assert!(m.total.dropped > 0 && m.total.late > 0, "{m:?}");
        assert_eq!(
            m.total.sent,
            m.total.delivered + m.total.dropped + m.in_flight_at_end,
            "seed {seed}: {m:?}"
        );
        for kind in [m.forward, m.attention, m.loss] {
            assert!(kind.delivered + kind.dropped <= kind.sent);
            assert!(kind.late <= kind.delivered);
        }
        let by_layer: u64 = m
            .by_layer
            .iter()
            .map(|l| l.forward.sent + l.attention.sent + l.loss.sent)
            .sum();
        assert_eq!(by_layer, m.total.sent);
        assert!(result.summary.final_test_loss.is_finite());
    }
}

#[test]
fn a_crashed_neuron_keeps_its_weights_while_down() {
    let s = scenario(
        "Scenario(
            name: \"crash\", seed: 2,
            data: Moons(samples: 100, noise: 0.1, test_fraction: 0.2),
            network: (hidden: [5], activation: Tanh, output: Softmax),
            learning: (rule: Attention, optimizer: Sgd(lr: 0.1), epochs: 3),
            links: (wait_timeout: 10),
            faults: [Crash(neuron: Hidden(layer: 0, index: 1), at: Sample(50), recover: Some(Sample(150)))],
            evaluation: (per_epoch: 80),
        )",
    );
    let setup = Setup::new(&s).unwrap();
    let crashed = setup.topology.layers()[1].start + 1;
    let neighbour = crashed + 1;
    let own = |p: &neuragent::topology::Params, j: usize| {
        let mut v = p.weights[setup.topology.incoming(j)].to_vec();
        v.push(p.biases[j]);
        v
    };
    let mut seen = Vec::new();
    setup
        .train(&mut |c: &Checkpoint<'_>| {
            seen.push((
                c.samples_seen,
                own(c.params, crashed),
                own(c.params, neighbour),
            ))
        })
        .unwrap();
    let at = |n: usize| seen.iter().find(|(s, _, _)| *s == n).unwrap();
    // Down from the admission of sample 50 to the admission of sample 150.
    for n in 51..=150 {
        assert_eq!(at(n).1, at(51).1, "crashed neuron moved at checkpoint {n}");
    }
    assert_ne!(at(51).2, at(150).2, "a live neighbour keeps learning");
    assert_ne!(at(10).1, at(50).1, "it learned before the crash");
    assert_ne!(at(150).1, at(240).1, "it learns again after recovering");
}

#[test]
fn every_hidden_neuron_crashed_for_good_ends_with_a_warning() {
    let crashes: String = (0..4)
        .map(|i| {
            format!("Crash(neuron: Hidden(layer: 0, index: {i}), at: Sample(20), recover: None),")
        })
        .collect();
    let s = scenario(&format!(
        "Scenario(
            name: \"blackout\", seed: 1,
            data: Xor(samples: 100),
            network: (hidden: [4], activation: Tanh, output: Softmax),
            learning: (rule: Attention, optimizer: Sgd(lr: 0.1), epochs: 2),
            links: (wait_timeout: 5),
            faults: [{crashes}],
        )"
    ));
    let result = run::run(&s).unwrap();
    let w = &result.summary.warnings;
    assert!(
        w.iter().any(|w| w.contains("every hidden neuron was down")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("never reached the loss agent")),
        "{w:?}"
    );
    assert!(result.summary.final_test_loss.is_finite());
    assert!(result.metrics.iter().all(|r| r.test_loss.is_finite()));
    assert_eq!(result.summary.samples_seen, 160);
}

#[test]
fn drops_and_delays_repeat_for_a_seed_and_differ_across_seeds() {
    let a = run::run(&unreliable("", 7)).unwrap().summary;
    let b = run::run(&unreliable("", 7)).unwrap().summary;
    let c = run::run(&unreliable("", 8)).unwrap().summary;
    assert_eq!(a.messages, b.messages);
    assert_eq!(a.sim_ticks, b.sim_ticks);
    assert_eq!(a.final_test_loss, b.final_test_loss);
    assert_ne!(a.messages.total.dropped, c.messages.total.dropped);
    assert_ne!(a.sim_ticks, c.sim_ticks);
}

#[test]
fn a_scheduled_partition_and_tick_timed_faults_are_simulated() {
    let result = run::run(&unreliable(
        "Partition(neurons: [Hidden(layer: 1, index: 0), Hidden(layer: 1, index: 1)], at: Tick(10), repair: None),
         Crash(neuron: Output(0), at: Tick(100), recover: Some(Tick(400)), lose_state: true),",
        3,
    ))
    .unwrap();
    assert!(result.summary.crashed_neuron_ticks >= 300);
    let m = &result.summary.messages;
    assert_eq!(
        m.total.sent,
        m.total.delivered + m.total.dropped + m.in_flight_at_end
    );
}
