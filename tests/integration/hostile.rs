//! Hostile input never panics: arbitrary bytes, arbitrary RON values in any field of a scenario, and
//! arbitrary CSV tables give a scenario or a clear error (naming the file, and for a scenario the
//! field and its place). Each property runs `PROPTEST_CASES` cases (256 by default).

use std::path::Path;

use neuragent::cli;
use neuragent::data::{self, DataError};
use neuragent::memory::{Limit, LimitSource};
use neuragent::rng::Streams;
use neuragent::scenario::{Draft, SplitOptions};
use proptest::prelude::*;
use proptest::sample::select;

/// A small memory limit, so that a generated scenario asking for a huge data set or network is
/// refused rather than generated.
const LIMIT: Limit = Limit {
    bytes: 64 << 20,
    source: LimitSource::Environment,
};

/// Parses and validates `text` as `neuragent validate` does, checking that whatever comes back is
/// a scenario or a clear error.
fn check_scenario(text: &str) {
    let draft = match Draft::parse(text, Path::new("h.ron")) {
        Ok(draft) => draft,
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("h.ron"), "{message}");
            return;
        }
    };
    for p in draft.problems().iter().chain(draft.warnings()) {
        assert!(!p.accepted.is_empty(), "{p:?}");
        assert!(!p.value.is_empty(), "{p:?}");
        assert!(p.position.is_some() || !p.path.is_empty(), "{p:?}");
    }
    match cli::validate(draft, Some(LIMIT)) {
        Ok(valid) => assert!(valid.memory.total() <= LIMIT.bytes, "{valid:?}"),
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in errors {
                assert!(e.starts_with("h.ron"), "{e}");
            }
        }
    }
}

/// Identifiers of the schema (variants and struct names) and a few that are not.
const IDENTS: &[&str] = &[
    "Scenario",
    "NetworkSpec",
    "LearningSpec",
    "LinkSpec",
    "Builtin",
    "Csv",
    "Xor",
    "Moons",
    "Spirals",
    "Blobs",
    "Sensors",
    "Tanh",
    "Relu",
    "Identity",
    "Softmax",
    "Linear",
    "Dense",
    "Sparse",
    "Attention",
    "GreedyAttention",
    "FeedbackAlignment",
    "Backprop",
    "EstimatedAttention",
    "LastValue",
    "Ema",
    "Always",
    "EveryK",
    "Threshold",
    "Greedy",
    "Events",
    "Sgd",
    "Zero",
    "Constant",
    "Uniform",
    "Exponential",
    "LogNormal",
    "Between",
    "Layers",
    "Input",
    "Hidden",
    "Output",
    "Sample",
    "Tick",
    "Crash",
    "Cut",
    "Partition",
    "RandomCrashes",
    "RandomCuts",
    "FinalTestAccuracy",
    "FinalTestLoss",
    "FinalTestR2",
    "Some",
    "None",
    "true",
    "false",
    "Foo",
    "r#type",
];

/// Field names of the schema and a few that are not.
const FIELDS: &[&str] = &[
    "name",
    "seed",
    "data",
    "network",
    "learning",
    "links",
    "faults",
    "evaluation",
    "expect",
    "samples",
    "noise",
    "test_fraction",
    "standardize",
    "path",
    "label_column",
    "arms",
    "classes",
    "features",
    "spread",
    "count",
    "hidden",
    "activation",
    "output",
    "connectivity",
    "skip",
    "density",
    "rule",
    "optimizer",
    "batch_size",
    "epochs",
    "in_flight",
    "engine",
    "estimator",
    "send",
    "step",
    "decay",
    "lr",
    "momentum",
    "forward_delay",
    "attention_delay",
    "drop_probability",
    "forward_drop",
    "attention_drop",
    "wait_timeout",
    "missing_input",
    "overrides",
    "link",
    "from",
    "to",
    "layer",
    "index",
    "min",
    "max",
    "mean",
    "mu",
    "sigma",
    "neuron",
    "at",
    "recover",
    "lose_state",
    "repair",
    "neurons",
    "rate_per_sample",
    "mean_downtime_samples",
    "per_epoch",
    "gradient_alignment",
    "at_least",
    "at_most",
    "bogus",
];

/// Any RON value built from the schema's vocabulary, nested up to four deep.
fn ron_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|x| x.to_string()),
        any::<u64>().prop_map(|x| x.to_string()),
        (-5i64..2000).prop_map(|x| x.to_string()),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        (-2.0f64..2.0).prop_map(|x| format!("{x:?}")),
        Just("1e400".to_string()),
        Just("NaN".to_string()),
        Just("-inf".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-z0-9 ._/-]{0,10}".prop_map(|s| format!("\"{s}\"")),
        select(IDENTS).prop_map(str::to_string),
        Just("()".to_string()),
        Just("'x'".to_string()),
        Just("b\"x\"".to_string()),
        Just("{\"a\": 1}".to_string()),
    ];
    leaf.prop_recursive(4, 40, 4, |inner| {
        let fields = prop::collection::vec((select(FIELDS), inner.clone()), 0..4).prop_map(|f| {
            f.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        });
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            (select(IDENTS), fields.clone()).prop_map(|(name, f)| format!("{name}({f})")),
            fields.prop_map(|f| format!("({f})")),
            (select(IDENTS), prop::collection::vec(inner.clone(), 1..3))
                .prop_map(|(name, v)| format!("{name}({})", v.join(", "))),
            inner.prop_map(|v| format!("Some({v})")),
        ]
    })
}

/// A valid scenario with a slot for every field; `fill` puts a value in some of them.
const TEMPLATE: &[&str] = &[
    "Scenario(\n  name: ",
    "\"t\"",
    ",\n  seed: ",
    "3",
    ",\n  data: Blobs(samples: ",
    "60",
    ", classes: ",
    "3",
    ", features: ",
    "3",
    ", spread: ",
    "1.0",
    ", test_fraction: ",
    "0.25",
    ", standardize: ",
    "true",
    "),\n  network: (hidden: ",
    "[4, 3]",
    ", activation: ",
    "Tanh",
    ", output: ",
    "Softmax",
    ", connectivity: ",
    "Dense",
    ", skip: ",
    "false",
    "),\n  learning: (rule: ",
    "Attention",
    ", optimizer: ",
    "Sgd(lr: 0.1)",
    ", batch_size: ",
    "1",
    ", epochs: ",
    "1",
    ", in_flight: ",
    "1",
    ", engine: ",
    "None",
    "),\n  links: (forward_delay: ",
    "Constant(1)",
    ", attention_delay: ",
    "Constant(1)",
    ", drop_probability: ",
    "0.0",
    ", wait_timeout: ",
    "10",
    ", missing_input: ",
    "Zero",
    ", overrides: ",
    "[]",
    "),\n  faults: ",
    "[Crash(neuron: Hidden(layer: 0, index: 1), at: Sample(5), recover: None)]",
    ",\n  evaluation: (per_epoch: ",
    "1",
    ", gradient_alignment: ",
    "false",
    "),\n  expect: ",
    "[FinalTestAccuracy(at_least: 0.1)]",
    ",\n)",
];

/// The template with the value slots `replace` names (odd indices of [`TEMPLATE`]) replaced.
fn fill(replace: &[(usize, String)]) -> String {
    let mut parts: Vec<String> = TEMPLATE.iter().map(|s| s.to_string()).collect();
    for (slot, value) in replace {
        parts[2 * (slot % (TEMPLATE.len() / 2)) + 1] = value.clone();
    }
    parts.concat()
}

proptest! {
    #![proptest_config(ProptestConfig { max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_give_a_scenario_or_a_clear_error(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        check_scenario(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn a_valid_scenario_with_bytes_changed_gives_a_scenario_or_a_clear_error(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..6),
    ) {
        let mut bytes = fill(&[]).into_bytes();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => { bytes.remove(i); }
                _ if i < bytes.len() => bytes[i] = byte,
                _ => {}
            }
        }
        check_scenario(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_ron_values_in_any_field_give_a_scenario_or_a_clear_error(
        replace in prop::collection::vec((any::<usize>(), ron_value()), 1..4),
    ) {
        check_scenario(&fill(&replace));
    }

    #[test]
    fn arbitrary_ron_scenarios_give_a_scenario_or_a_clear_error(
        name in select(IDENTS),
        fields in prop::collection::vec((select(FIELDS), ron_value()), 0..10),
    ) {
        let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        check_scenario(&format!("{name}({})", fields.join(",\n  ")));
    }

    #[test]
    fn arbitrary_csv_tables_give_a_dataset_or_an_error_naming_the_file(
        header in prop::collection::vec(select(&["label", "a", "b", "c", "", "label "][..]), 0..5),
        rows in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    (-3i64..5).prop_map(|x| x.to_string()),
                    any::<f64>().prop_map(|x| x.to_string()),
                    select(&["", "NaN", "inf", "x", "1.5", "1e999", "999", "\"1\"", " 2 "][..])
                        .prop_map(str::to_string),
                ],
                0..5,
            ),
            0..12,
        ),
        bom in any::<bool>(),
    ) {
        let mut text = if bom { "\u{feff}".to_string() } else { String::new() };
        text += &header.join(",");
        for row in &rows {
            text += "\n";
            text += &row.join(",");
        }
        let split = SplitOptions { test_fraction: 0.25, standardize: true };
        match data::from_csv(text.as_bytes(), "h.csv", "label", split, &Streams::new(1), Some(LIMIT)) {
            Ok(d) => {
                prop_assert!(d.train.len() >= 2 && d.test.len() >= 2);
                prop_assert!(d.n_outputs() >= 2);
                for i in 0..d.train.len() {
                    prop_assert!(d.train.features(i).iter().all(|x| x.is_finite()));
                }
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.starts_with("h.csv"), "{}", message);
                if let DataError::Rows { problems, total, .. } = &e {
                    prop_assert!(*total >= 2 && !problems.is_empty());
                }
            }
        }
    }
}

/// The template itself is valid: the properties above start from a working scenario.
#[test]
fn the_template_is_a_valid_scenario() {
    let draft = Draft::parse(fill(&[]), Path::new("h.ron")).unwrap();
    assert_eq!(draft.problems(), []);
    cli::validate(draft, Some(LIMIT)).unwrap();
}

/// The generated scenarios reach every outcome — valid, a syntax error, type errors, value errors,
/// problems found with the data — so the properties above exercise every path, not one.
#[test]
fn the_generators_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec((any::<usize>(), ron_value()), 1..3);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..600 {
        let replace = strategy.new_tree(&mut runner).unwrap().current();
        let text = fill(&replace);
        let outcome = match Draft::parse(text, Path::new("h.ron")) {
            Err(_) => "syntax",
            Ok(draft) => {
                let typed = draft
                    .problems()
                    .iter()
                    .any(|p| p.accepted.contains("whole number"));
                let checked = draft.can_check_with_data();
                match (typed, checked, cli::validate(draft, Some(LIMIT))) {
                    (_, _, Ok(_)) => "valid",
                    (true, _, Err(_)) => "type",
                    (false, false, Err(_)) => "value",
                    (false, true, Err(_)) => "value or data",
                }
            }
        };
        seen.insert(outcome);
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["syntax", "type", "valid", "value", "value or data"]
    );
}
