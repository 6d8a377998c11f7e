//! The public testing API (`neuragent::testing`): generated scenarios are valid, within their
//! bounds and survive RON; a failing property comes back as a scenario file that `neuragent validate`
//! accepts and `neuragent run` reproduces to the last digit.

use std::path::Path;
use std::process::Command;

use neuragent::plan::Plan;
use neuragent::scenario::{Delay, Fault, RuleSpec, Scenario};
use neuragent::testing::{
    prop_assert, Bounds, Counterexample, FaultKind, Property, RuleKind, Strategy, TestCaseResult,
    Trajectory,
};

use crate::common::cases;

/// Every generated scenario validates, builds its plan, reads back from its RON unchanged and stays
/// within its bounds.
#[test]
fn generated_scenarios_are_valid_bounded_and_survive_ron() {
    for (bounds, what) in [
        (Bounds::default(), "default"),
        (Bounds::reliable(), "reliable"),
        (Bounds::blobs(), "blobs"),
        (Bounds::hostile(), "hostile"),
        (
            Bounds::default().data("Sensors(count: 3, samples: 30)"),
            "sensors",
        ),
    ] {
        Property::new(&format!("valid-{what}"))
            .cases(cases(64))
            .check(bounds.scenarios(), |s| {
                prop_assert!(s.validate().is_empty(), "{:?}", s.validate());
                let plan = Plan::new(&s);
                prop_assert!(plan.is_ok(), "{:?}", plan.err());
                let back = Scenario::parse(&s.to_ron(), Path::new("back.ron"));
                prop_assert!(back.as_ref().ok() == Some(&s), "{back:?}");
                within(&bounds, &s)
            });
    }
}

/// The generated values the bounds speak of are within them.
fn within(b: &Bounds, s: &Scenario) -> TestCaseResult {
    let n = &s.network;
    prop_assert!(b.hidden_layers.contains(&n.hidden.len()));
    prop_assert!(n.hidden.iter().all(|w| b.width.contains(w)));
    prop_assert!(b.activations.contains(&n.activation));
    prop_assert!(b.in_flight.contains(&s.learning.in_flight));
    prop_assert!(b.epochs.contains(&s.learning.epochs));
    let l = &s.links;
    prop_assert!(b.drop_probability.contains(&l.drop_probability));
    prop_assert!(l.wait_timeout.is_some() == b.wait_timeout.is_some());
    prop_assert!(b.overrides.contains(&l.overrides.len()));
    let mean = |d: Delay| match d {
        Delay::Constant(t) => t as f64,
        Delay::Uniform { min, max } => (min + max) as f64 / 2.0,
        Delay::Exponential { mean } => mean,
        Delay::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
    };
    let delays = [l.forward_delay, l.attention_delay].into_iter().chain(
        l.overrides
            .iter()
            .flat_map(|o| [o.forward_delay, o.attention_delay])
            .flatten(),
    );
    for d in delays {
        // Whole ticks round the mean of Constant and Uniform by up to half a tick; tiny means are
        // raised to 0.05 (a mean must be > 0).
        let m = mean(d);
        prop_assert!(
            m >= b.mean_delay.start() - 0.5 - 1e-9 && m <= b.mean_delay.end().max(0.05) + 0.5,
            "{d:?} outside {:?}",
            b.mean_delay
        );
    }
    let generated = s
        .faults
        .iter()
        .filter(|f| !matches!(f, Fault::Crash { .. } | Fault::Partition { .. }))
        .count();
    prop_assert!(generated <= *b.faults.end());
    Ok(())
}

/// The false property of the issue that asked for this API: exact attention, no estimate, on
/// separable blobs with 90% of the messages dropped, reaching 90% accuracy. It never holds (the
/// sweep in `docs/convergence.md`: nothing passes beyond a drop probability of 0.7).
fn attention_through_heavy_drops() -> impl Strategy<Value = Scenario> {
    Bounds::blobs()
        .rules([RuleSpec::Attention])
        .drop_probability(0.9..=0.9)
        .mean_delay(0.5..=4.0)
        .hidden(1..=1, 4..=16)
        .lr(0.02..=0.1)
        .scenarios()
}

fn reaches_90_percent(s: Scenario) -> TestCaseResult {
    let run = Trajectory::of(&s)?;
    let accuracy = run.final_accuracy().unwrap_or(0.0);
    prop_assert!(accuracy >= 0.9, "final test accuracy {accuracy} < 0.9");
    Ok(())
}

/// Fails on purpose, and prints the shrunk counterexample as a scenario file with the command that
/// replays it. Run it with `cargo test --release --test integration -- --ignored
/// attention_reaches_90_percent_through_heavy_drops`.
#[test]
#[ignore = "a false property: it fails on purpose and shows the counterexample it prints"]
fn attention_reaches_90_percent_through_heavy_drops() {
    Property::new("attention-reaches-90-percent-through-heavy-drops")
        .cases(cases(16))
        .check(attention_through_heavy_drops(), reaches_90_percent);
}

/// Runs the false property above in-process, takes the counterexample it prints, saves it, and checks
/// that `neuragent validate` accepts the file and `neuragent run` reproduces the failing run: the
/// same metrics, bit for bit, and the same final numbers.
#[test]
fn a_counterexample_replays_exactly_with_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let found: Result<(), Box<Counterexample>> =
        Property::new("attention-reaches-90-percent-through-heavy-drops")
            .cases(16)
            .shrink_iters(48)
            .save_to(dir.path())
            .find(attention_through_heavy_drops(), reaches_90_percent);
    let c = found.expect_err("the false property fails");
    let message = c.to_string();
    assert!(message.contains("final test accuracy"), "{message}");
    assert!(
        message.contains(&format!("seed: {}", c.scenario.seed)),
        "{message}"
    );
    assert!(message.contains("replay with: neuragent run"), "{message}");
    // The printed text is the saved file, and both are the scenario.
    let file = c.file.clone().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(message.contains(&text), "{message}\n---\n{text}");
    assert_eq!(Scenario::parse(&text, &file).unwrap(), c.scenario);
    assert_eq!(c.scenario.links.drop_probability, 0.9);

    let bin = env!("CARGO_BIN_EXE_neuragent");
    let validate = Command::new(bin)
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(validate.status.code(), Some(0), "{validate:?}");
    let out = dir.path().join("run");
    let run = Command::new(bin)
        .args(["run", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    // No expectations in the scenario: the run itself succeeds.
    assert_eq!(run.status.code(), Some(0), "{run:?}");

    let expected = Trajectory::of(&c.scenario).unwrap();
    let files = expected.outputs().unwrap();
    let wanted = |name: &str| &files.iter().find(|(f, _)| *f == name).unwrap().1;
    for name in ["metrics.csv", "resolved.ron"] {
        assert_eq!(
            &std::fs::read(out.join(name)).unwrap(),
            wanted(name),
            "{name} differs"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let mine: serde_json::Value = serde_json::to_value(&expected.summary).unwrap();
    for key in [
        "final_test_accuracy",
        "final_test_loss",
        "final_train_loss",
        "samples_seen",
        "sim_ticks",
        "messages",
        "seed",
    ] {
        assert_eq!(summary[key], mine[key], "{key}");
    }
    // And the replayed run fails the property for the reason printed.
    let accuracy = summary["final_test_accuracy"].as_f64().unwrap();
    assert!(accuracy < 0.9);
    assert!(c.reason.contains(&accuracy.to_string()), "{}", c.reason);
}

/// Proptest shrinks the counterexample: it ends at the simplest settings the bounds allow where they
/// do not matter to the failure.
#[test]
fn a_counterexample_is_shrunk() {
    let dir = tempfile::tempdir().unwrap();
    let c = Property::new("always-fails")
        .cases(4)
        .without_regression_file()
        .save_to(dir.path())
        .find(
            Bounds::default()
                .rules([RuleKind::from(RuleSpec::FeedbackAlignment)])
                .faults(0..=3, [FaultKind::Crash])
                .scenarios(),
            |s| {
                prop_assert!(s.network.hidden.iter().sum::<usize>() < 2);
                Ok(())
            },
        )
        .expect_err("a network of two hidden neurons exists");
    assert_eq!(c.scenario.network.hidden.iter().sum::<usize>(), 2, "{c}");
    assert!(c.scenario.faults.is_empty(), "{c}");
    assert_eq!(c.scenario.seed, 0, "{c}");
    assert_eq!(c.scenario.links.drop_probability, 0.0, "{c}");
}
