//! What a run writes: `metrics.csv` has the same columns whatever the engine and what is measured,
//! and never a `NaN`, so runs concatenate.

use neuragent::output;
use neuragent::run;

use crate::common::scenario;

fn metrics_csv(text: &str) -> String {
    let result = run::run(&scenario(text)).unwrap();
    let files = output::render(&result).unwrap();
    let (_, csv) = files
        .into_iter()
        .find(|(name, _)| *name == "metrics.csv")
        .unwrap();
    String::from_utf8(csv).unwrap()
}

#[test]
fn metrics_of_a_dense_run_and_a_faulty_event_run_concatenate() {
    let dense = metrics_csv(
        "Scenario(
            name: \"dense\", seed: 1,
            data: Moons(samples: 120, noise: 0.1),
            network: (hidden: [6], activation: Tanh, output: Softmax),
            learning: (rule: Backprop, optimizer: Sgd(lr: 0.1), epochs: 2),
        )",
    );
    let events = metrics_csv(
        "Scenario(
            name: \"events\", seed: 1,
            data: Moons(samples: 120, noise: 0.1),
            network: (hidden: [6], activation: Tanh, output: Softmax),
            learning: (rule: Attention, optimizer: Sgd(lr: 0.1), epochs: 2, in_flight: 2),
            links: (forward_delay: Exponential(mean: 2.0), drop_probability: 0.1, wait_timeout: 5),
            faults: [Crash(neuron: Hidden(layer: 0, index: 1), at: Sample(20), recover: Some(Sample(60)))],
            evaluation: (per_epoch: 2, gradient_alignment: true),
        )",
    );
    let header = |csv: &str| csv.lines().next().unwrap().to_string();
    assert_eq!(header(&dense), header(&events));
    let columns = header(&dense).split(',').count();
    for (name, csv) in [("dense", &dense), ("events", &events)] {
        assert!(
            !csv.contains("NaN") && !csv.contains("inf"),
            "{name}:\n{csv}"
        );
        for line in csv.lines() {
            assert_eq!(line.split(',').count(), columns, "{name}: {line}");
            assert!(
                line.starts_with(name) || line.starts_with("name,"),
                "{line}"
            );
        }
    }
    // The dense engine simulates no messages: those cells are empty, not zero.
    let row = dense.lines().nth(2).unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    let at = |col: &str| header(&dense).split(',').position(|c| c == col).unwrap();
    assert_eq!(cells[at("messages_sent_total")], "");
    assert_eq!(cells[at("test_r2")], "", "no R² for a classification");
    let row = events.lines().nth(2).unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    assert!(cells[at("messages_sent_total")].parse::<u64>().unwrap() > 0);
    assert!(!cells[at("alignment_hidden0")].is_empty());
}

/// A run whose loss stops being a number stops there: the summary says where, which neuron and what
/// to try, the verdict is a failure, and the rows measured until then are kept, without NaN.
#[test]
fn a_diverged_run_stops_and_says_where() {
    for engine in ["Events", "Reference"] {
        let result = run::run(&scenario(&format!(
            "Scenario(
                name: \"diverge\", seed: 2,
                data: Sensors(count: 4, samples: 200),
                network: (hidden: [8], activation: Identity, output: Linear),
                learning: (rule: Attention, optimizer: Sgd(lr: 3.0), epochs: 5, in_flight: 2,
                           engine: Some({engine})),
                evaluation: (per_epoch: 4),
            )"
        )))
        .unwrap();
        let s = &result.summary;
        let d = s
            .diverged
            .as_ref()
            .expect("lr 3 with identity units diverges");
        assert!(!s.passed, "{engine}");
        assert!(
            d.position < 800 && s.samples_seen <= d.position,
            "{engine}: {d:?}"
        );
        assert!(d.hint.contains("lr: 3"), "{}", d.hint);
        assert!(
            s.warnings.iter().any(|w| w.contains("diverged")),
            "{:?}",
            s.warnings
        );
        assert!(result.metrics.len() >= 2, "the rows until then are kept");
        let files = output::render(&result).unwrap();
        let csv = &files.iter().find(|(n, _)| *n == "metrics.csv").unwrap().1;
        assert!(!String::from_utf8_lossy(csv).contains("NaN"));
    }
}
