//! Scenario texts and assertions shared by the tests of the checks.

use std::path::Path;

pub(crate) use crate::scenario::{Problem, Scenario, ScenarioError};

pub(crate) const XOR: &str = r#"
Scenario(
    name: "xor",
    seed: 1,
    data: Xor(samples: 400, noise: 0.1, test_fraction: 0.25),
    network: (hidden: [8], activation: Tanh, output: Softmax),
    learning: (rule: Attention, optimizer: Sgd(lr: 0.1), batch_size: 1, epochs: 60),
    expect: [FinalTestAccuracy(at_least: 0.95)],
)
"#;

pub(crate) const DIGITS: &str = r#"
Scenario(
    name: "digits",
    seed: 7,
    data: Builtin(name: "digits", test_fraction: 0.2),
    network: (hidden: [32], activation: Tanh, output: Softmax),
    learning: (rule: Attention, optimizer: Sgd(lr: 0.02), batch_size: 1, epochs: 15),
    links: (forward_delay: Constant(1), attention_delay: Constant(1), drop_probability: 0.0),
    expect: [FinalTestAccuracy(at_least: 0.93)],
)
"#;

/// The scenario of the fault-model brief: every field of links and faults at once.
pub(crate) const DIGITS_FAULTS: &str = r#"
Scenario(
    name: "digits-faults",
    seed: 11,
    data: Builtin(name: "digits", test_fraction: 0.2),
    network: (hidden: [32], activation: Tanh, output: Softmax),
    learning: (
        rule: EstimatedAttention(estimator: Ema(decay: 0.9), send: Always),
        optimizer: Sgd(lr: 0.02), batch_size: 1, epochs: 15, in_flight: 4,
    ),
    links: (
        forward_delay: Exponential(mean: 3.0),
        attention_delay: Uniform(min: 1, max: 8),
        drop_probability: 0.05,
        wait_timeout: 40,
        missing_input: LastValue,
    ),
    faults: [
        Crash(neuron: Hidden(layer: 0, index: 3), at: Sample(3000), recover: Some(Sample(6000)), lose_state: false),
        Cut(from: Input(5), to: Hidden(layer: 0, index: 2), at: Sample(1000), repair: None),
        RandomCrashes(rate_per_sample: 0.0002, mean_downtime_samples: 300),
    ],
    expect: [FinalTestAccuracy(at_least: 0.80)],
)
"#;

pub(crate) const DATA: &str = "Xor(samples: 100)";
pub(crate) const NET: &str = "(hidden: [4], activation: Tanh, output: Softmax)";
pub(crate) const LEARN: &str = "(rule: Attention)";

pub(crate) fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(text, Path::new("t.ron"))
}

/// A minimal valid scenario with `data`, `network`, `learning` and extra fields substituted.
pub(crate) fn text(data: &str, network: &str, learning: &str, extra: &str) -> String {
    format!(
        "Scenario(name: \"t\", data: {data}, network: {network}, learning: {learning}, {extra})"
    )
}

pub(crate) fn data(d: &str) -> String {
    text(d, NET, LEARN, "")
}
pub(crate) fn network(n: &str) -> String {
    text(DATA, n, LEARN, "")
}
pub(crate) fn learning(l: &str) -> String {
    text(DATA, NET, l, "")
}
pub(crate) fn extra(e: &str) -> String {
    text(DATA, NET, LEARN, e)
}

/// A valid scenario with `links` and `faults` substituted (network `hidden: [4, 3]`).
pub(crate) fn faulty(links: &str, faults: &str) -> String {
    text(
        DATA,
        "(hidden: [4, 3], activation: Tanh, output: Softmax)",
        LEARN,
        &format!("links: ({links}), faults: [{faults}]"),
    )
}

/// `faulty` with a wait timeout, so that faults alone are the point.
pub(crate) fn fault(f: &str) -> String {
    faulty("wait_timeout: 10", f)
}

/// An override in a scenario with a wait timeout.
pub(crate) fn link_override(o: &str) -> String {
    faulty(&format!("wait_timeout: 10, overrides: [{o}]"), "")
}

/// The problems `Scenario::parse` reports, with their positions; panics if the text is valid or not
/// RON.
pub(crate) fn located(text: &str) -> Vec<Problem> {
    match parse(text) {
        Err(ScenarioError::Invalid { problems, path, .. }) => {
            assert_eq!(path, Path::new("t.ron"));
            problems
        }
        Err(e) => panic!("expected Invalid, got {e}"),
        Ok(s) => panic!("expected Invalid, got a valid scenario {s:?}"),
    }
}

/// [`located`] without the positions, to compare with [`p`].
pub(crate) fn problems(text: &str) -> Vec<Problem> {
    located(text)
        .into_iter()
        .map(|mut p| {
            p.position = None;
            p
        })
        .collect()
}

pub(crate) fn p(path: &str, value: &str, accepted: &str) -> Problem {
    Problem::new(path, value, accepted)
}

/// Exactly one problem, at `path` with `value`, whose accepted text contains `accepted`.
#[track_caller]
pub(crate) fn one(text: &str, path: &str, value: &str, accepted: &str) {
    let ps = problems(text);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert_eq!(ps[0].path, path, "{ps:#?}");
    assert_eq!(ps[0].value, value, "{ps:#?}");
    assert!(
        ps[0].accepted.contains(accepted),
        "{:?} does not contain {accepted:?}",
        ps[0].accepted
    );
}

/// Whether `text` parses to a valid scenario.
#[track_caller]
pub(crate) fn valid(text: &str) {
    if let Err(e) = parse(text) {
        panic!("{e}\n{text}");
    }
}
