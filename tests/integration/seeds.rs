//! The `seeds` field: a purpose given its own seed holds still while the scenario seed varies.

use neuragent::plan::Plan as Setup;
use neuragent::run;
use neuragent::scenario::Scenario;

use crate::common::scenario;

/// A small run that draws from every seed group: synthetic data and split, order, sparse topology
/// and weights, message drops and delays, random crashes.
fn drawing_everything(seed: u64, seeds: &str) -> Scenario {
    scenario(&format!(
        "Scenario(
            name: \"seeds\",
            seed: {seed},
            {seeds}
            data: Moons(samples: 160, noise: 0.2),
            network: (hidden: [6], activation: Tanh, output: Softmax, connectivity: Sparse(density: 0.8)),
            learning: (rule: EstimatedAttention(estimator: LastValue, send: Always), optimizer: Sgd(lr: 0.05), epochs: 3, in_flight: 2),
            links: (forward_delay: Exponential(mean: 2.0), drop_probability: 0.1, wait_timeout: 8, missing_input: LastValue),
            faults: [RandomCrashes(rate_per_sample: 0.003, mean_downtime_samples: 15)],
            evaluation: (per_epoch: 2),
        )"
    ))
}

/// What a run is given before it starts: the data, the order, the network.
fn setup(s: &Scenario) -> (Vec<Vec<f64>>, Vec<usize>, Vec<f64>) {
    let plan = Setup::new(s).unwrap();
    let train = &plan.dataset.train;
    let features = (0..train.len())
        .map(|i| train.features(i).to_vec())
        .collect();
    let order = (0..plan.schedule.len())
        .map(|p| plan.schedule.sample(p))
        .collect();
    (features, order, plan.initial().weights)
}

#[test]
fn with_every_group_seeded_the_scenario_seed_changes_nothing() {
    let all = "seeds: (data: 5, order: 6, network: 7, links: 8, faults: 9),";
    let a = run::run(&drawing_everything(1, all)).unwrap();
    let b = run::run(&drawing_everything(2, all)).unwrap();
    assert_eq!(a.metrics, b.metrics);
    assert_eq!(a.params, b.params);
    assert_eq!(a.summary.messages, b.summary.messages);
    // ... and without the field, the seed does change the run.
    let c = run::run(&drawing_everything(1, "")).unwrap();
    let d = run::run(&drawing_everything(2, "")).unwrap();
    assert_ne!(c.metrics, d.metrics);
}

#[test]
fn varying_only_the_faults_seed_keeps_the_data_the_order_and_the_network() {
    let held = |faults: u64| {
        drawing_everything(faults, "seeds: (data: 3, order: 3, network: 3, links: 3),")
    };
    let (a, b) = (held(1), held(2));
    assert_eq!(setup(&a), setup(&b));
    let (ra, rb) = (run::run(&a).unwrap(), run::run(&b).unwrap());
    assert_ne!(
        ra.summary.crashed_neuron_ticks, rb.summary.crashed_neuron_ticks,
        "the crashes follow the scenario seed"
    );
    // And only the faults moved: with the faults seed fixed as well, the two runs are one.
    let fixed = |seed: u64| {
        drawing_everything(
            seed,
            "seeds: (data: 3, order: 3, network: 3, links: 3, faults: 1),",
        )
    };
    assert_eq!(run::run(&fixed(2)).unwrap().metrics, ra.metrics);
}

#[test]
fn a_group_seeded_with_the_scenario_seed_is_the_run_without_the_field() {
    let plain = run::run(&drawing_everything(4, "")).unwrap();
    let same = run::run(&drawing_everything(4, "seeds: (faults: 4, links: 4),")).unwrap();
    assert_eq!(plain.metrics, same.metrics);
    assert_eq!(plain.params, same.params);
}
