//! Same scenario and seed → identical outputs; another seed → other draws.

use std::process::Command;

fn run_to(scenario: &std::path::Path, out: &std::path::Path, seed: Option<u64>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_neuragent"));
    cmd.arg("run").arg(scenario).arg("--out").arg(out);
    if let Some(seed) = seed {
        cmd.arg("--seed").arg(seed.to_string());
    }
    let status = cmd.output().expect("run the binary");
    assert!(
        status.status.code() == Some(0) || status.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn summary_without_wall_time(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("wall_seconds");
    v
}

const RANDOM_DELAYS: &str = "// random delays make the event order depend on the seed
Scenario(
    name: \"determinism\",
    seed: 4,
    data: Moons(samples: 120, noise: 0.2),
    network: (hidden: [6, 5], activation: Tanh, output: Softmax, connectivity: Sparse(density: 0.7), skip: true),
    learning: (rule: FeedbackAlignment, optimizer: Sgd(lr: 0.05, momentum: 0.3), batch_size: 3, epochs: 3),
    links: (forward_delay: Uniform(min: 0, max: 9), attention_delay: Uniform(min: 2, max: 5)),
    evaluation: (per_epoch: 4),
)";

#[test]
fn same_scenario_and_seed_give_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.ron");
    std::fs::write(&scenario, RANDOM_DELAYS).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_to(&scenario, &a, None);
    run_to(&scenario, &b, None);
    let metrics_a = std::fs::read(a.join("metrics.csv")).unwrap();
    assert_eq!(metrics_a, std::fs::read(b.join("metrics.csv")).unwrap());
    assert_eq!(summary_without_wall_time(&a), summary_without_wall_time(&b));
    for file in ["resolved.ron", "curves.svg"] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    // The run is not trivially constant: a second seed changes the results.
    let c = dir.path().join("c");
    run_to(&scenario, &c, Some(5));
    assert_ne!(metrics_a, std::fs::read(c.join("metrics.csv")).unwrap());
}

#[test]
fn the_delay_model_does_not_change_weights_or_data_order() {
    use neuragent::plan::Plan as Setup;
    let base = crate::common::scenario(RANDOM_DELAYS);
    let mut constant = base.clone();
    constant.links.forward_delay = neuragent::scenario::Delay::Constant(1);
    let (a, b) = (Setup::new(&base).unwrap(), Setup::new(&constant).unwrap());
    assert_eq!(a.initial(), b.initial());
    assert_eq!(a.schedule, b.schedule);
    assert_eq!(a.feedback, b.feedback);
    // With in_flight 1 delays only shift time: the learned weights are the same to rounding.
    let (ra, pa) = a.train(&mut neuragent::trainer::Unobserved).unwrap();
    let (rb, pb) = b.train(&mut neuragent::trainer::Unobserved).unwrap();
    assert_ne!(ra.sim_ticks, rb.sim_ticks);
    assert!(pa.max_relative_difference(&pb) < 1e-12);
}
