//! Parsing: syntax errors, every type error at once with its place, and round trips.

use std::path::Path;

use serde::de::IgnoredAny;

use super::walk::{walk, Seen};
use super::{accepted, options, Draft, REQUIRED};
use crate::scenario::test_util::*;
use crate::scenario::*;

/// `line:column: path = value: expected accepted` for each problem of `text`.
fn messages(text: &str) -> Vec<String> {
    located(text)
        .iter()
        .map(|p| {
            let at = p.position.map_or("-".to_string(), |at| at.to_string());
            format!("{at}: {p}")
        })
        .collect()
}

/// The scenario of the issue: five mistakes in five fields, each of a kind the parser used to stop
/// at with its own words ("Integer is out of bounds", "Expected comma", "Found invalid std
/// identifier").
const FIVE_MISTAKES: &str = r#"Scenario(
    name: "five",
    seed: -1,
    data: Xor(samples: 200),
    network: (hidden: [8, -4], activation: Tanh, output: Softmax),
    learning: (
        rule: EstimatedAttention(estimator: Ema(0.9), send: Always),
        epochs: 3.5,
    ),
    links: (wait_timeout: 20),
    faults: [Crash(neuron: Hidden(layer: 0, index: 1), at: 200, recover: None)],
)"#;

#[test]
fn five_type_errors_are_reported_at_once_with_their_places() {
    assert_eq!(
        messages(FIVE_MISTAKES),
        [
            "3:11: seed = -1: expected a whole number from 0 to 18446744073709551615",
            "5:27: network.hidden[1] = -4: expected a layer width: a whole number ≥ 1",
            "7:45: learning.rule.estimator = Ema(0.9): expected LastValue or Ema(decay: d) with d \
             in [0, 1)",
            "8:17: learning.epochs = 3.5: expected a whole number of epochs ≥ 1",
            "11:60: faults[0].at = 200: expected Sample(n) or Tick(t), with n and t whole numbers \
             ≥ 0",
        ]
    );
    // The strict parser alone gives one error, in its own words.
    let strict = options().from_str::<Scenario>(FIVE_MISTAKES).unwrap_err();
    assert_eq!(strict.code.to_string(), "Integer is out of bounds");
}

#[test]
fn each_kind_of_type_error_names_its_field_and_what_is_accepted() {
    for (data_, net, learn, extra_, expected) in [
        (
            "Xor(samples: -300)",
            NET,
            LEARN,
            "",
            "data.samples = -300: expected a whole number of samples ≥ 4",
        ),
        (
            DATA,
            NET,
            "(rule: Attention, epochs: -3)",
            "",
            "learning.epochs = -3: expected a whole number of epochs ≥ 1",
        ),
        (
            DATA,
            NET,
            LEARN,
            "links: (wait_timeout: 5), faults: [Crash(neuron: Hidden(0, 3), at: Tick(1), recover: None)]",
            "faults[0].neuron = Hidden(0, 3): expected a neuron: Input(i), Hidden(layer: l, index: i) \
             or Output(i), with whole numbers ≥ 0",
        ),
        (
            DATA,
            "(hidden: [4], activation: Tahn, output: Softmax)",
            LEARN,
            "",
            "network.activation = Tahn: expected one of Tanh, Sigmoid, Relu or Identity (did you \
             mean Tanh?)",
        ),
        (
            DATA,
            "(hiden: [4], activation: Tanh, output: Softmax)",
            LEARN,
            "",
            "network.hiden = [4]: expected a field of NetworkSpec: hidden, activation, output, \
             connectivity or skip (did you mean hidden?)",
        ),
        (
            "Moons(samples: 100, noise: \"big\")",
            NET,
            LEARN,
            "",
            "data.noise = \"big\": expected a standard deviation ≥ 0, e.g. 0.1",
        ),
        (
            DATA,
            NET,
            "(rule: Attention, optimizer: Adam(lr: 0.1))",
            "",
            "learning.optimizer = Adam(lr: 0.1): expected Sgd(lr: η) or Sgd(lr: η, momentum: m)",
        ),
        (
            DATA,
            NET,
            LEARN,
            "links: (forward_delay: Uniform(min: 1.5, max: 3))",
            "links.forward_delay.min = 1.5: expected a whole number of ticks from 0 to 1000000000",
        ),
        (
            DATA,
            NET,
            LEARN,
            "expect: [FinalTestR2(at_least: true)]",
            "expect[0].at_least = true: expected an R² ≤ 1",
        ),
        (
            DATA,
            NET,
            "(rule: Attention, engine: Some(Fast))",
            "",
            "learning.engine = Some(Fast): expected Events, Dense or Reference (bare or in Some(..)), or None \
             for the rule's default",
        ),
    ] {
        let t = text(data_, net, learn, extra_);
        let ps = located(&t);
        assert_eq!(ps.len(), 1, "{t}\n{ps:#?}");
        assert_eq!(ps[0].to_string(), expected, "{t}");
        assert!(ps[0].position.is_some());
    }
}

#[test]
fn missing_repeated_and_misnamed_fields() {
    let t = "Scenario(\n    name: \"m\",\n    data: Xor(),\n    network: (activation: Tanh, output: Softmax),\n)";
    assert_eq!(
        messages(t),
        [
            "3:11: data.samples = (missing): expected a whole number of samples ≥ 4 (the field is \
             required)",
            "4:14: network.hidden = (missing): expected a list of hidden layer widths, e.g. [32, 16] \
             ([] for none) (the field is required)",
            "1:1: learning = (missing): expected (rule: ..), with the optional fields optimizer, \
             batch_size, epochs, in_flight, engine, lr_schedule and fresh_optimizer (the field is \
             required)",
        ]
    );
    let ps = problems(&learning("(rule: Attention, epochs: 2, epochs: 3)"));
    assert_eq!(
        ps,
        [p(
            "learning.epochs",
            "3",
            "each field once (epochs is given more than once)"
        )]
    );
    let ps = problems(&network(
        "Network(hidden: [4], activation: Tanh, output: Softmax)",
    ));
    assert_eq!(ps.len(), 1);
    assert!(
        ps[0]
            .accepted
            .ends_with("(a name in front is optional, but it must be NetworkSpec, not Network)"),
        "{ps:#?}"
    );
    // Unknown fields anywhere, each one.
    let ps = problems(&text(
        "Xor(samples: 100, nosie: 0.1)",
        NET,
        LEARN,
        "seeed: 3, links: (delay: Constant(1))",
    ));
    let paths: Vec<&str> = ps.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["data.nosie", "seeed", "links.delay"]);
}

#[test]
fn the_list_of_type_errors_stops_at_fifty() {
    let faults = vec!["Crash(neuron: Input(0), at: 200, recover: None)"; 60].join(", ");
    let t = text(
        DATA,
        NET,
        LEARN,
        &format!("links: (wait_timeout: 5), faults: [{faults}]"),
    );
    match parse(&t) {
        Err(e @ ScenarioError::Invalid { .. }) => {
            let ScenarioError::Invalid { problems, more, .. } = &e else {
                unreachable!()
            };
            assert_eq!(problems.len(), 50);
            assert!(*more >= 1);
            assert_eq!(problems[49].path, "faults[49].at");
            assert!(
                e.to_string()
                    .ends_with("\n  ... and more: the list stops after 50 type errors"),
                "{e}"
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn the_required_fields_are_those_serde_requires() {
    let full = "name: \"t\", data: Xor(samples: 10), network: (hidden: [], activation: Tanh, \
                output: Softmax), learning: (rule: Attention)";
    for name in REQUIRED {
        let without: Vec<&str> = full
            .split(", ")
            .filter(|f| !f.starts_with(&format!("{name}:")))
            .collect();
        let t = format!("Scenario({})", without.join(", "));
        let e = options().from_str::<Scenario>(&t).unwrap_err();
        assert!(
            e.code.to_string().contains(&format!("`{name}`")),
            "{t}: {e}"
        );
    }
    assert!(options()
        .from_str::<Scenario>(&format!("Scenario({full})"))
        .is_ok());
}

#[test]
fn type_errors_and_value_errors_together() {
    let t = "Scenario(\n    name: \"mixed run\",\n    data: Xor(samples: 200, noise: -1.0),\n    \
             network: (hidden: [8], activation: Tanh, output: Softmax),\n    \
             learning: (rule: Attention, epochs: 3.5, optimizer: Sgd(lr: -1.0)),\n    \
             links: (drop_probability: 0.5),\n)";
    assert_eq!(
        messages(t),
        [
            "5:41: learning.epochs = 3.5: expected a whole number of epochs ≥ 1",
            "2:11: name = \"mixed run\": expected a non-empty name made of ASCII letters, digits, \
             '-', '_' and '.', not starting with '.' (it names the output folder)",
            "3:36: data.noise = -1.0: expected a finite number ≥ 0",
            "5:65: learning.optimizer.lr = -1.0: expected a finite learning rate > 0",
            "6:12: links.wait_timeout = None: expected Some(ticks) ≥ 1: messages can go missing \
             (drops or faults), so neurons need a timeout",
        ]
    );
    // A default that could make another field look wrong holds the value checks back: with
    // `skip` unread, the override below would seem to skip a layer.
    let t = text(
        DATA,
        "(hidden: [4], activation: Tanh, output: Softmax, skip: yes)",
        "(rule: Attention, batch_size: 0)",
        "links: (overrides: [(link: Layers(from: Input, to: Output))])",
    );
    let paths: Vec<String> = problems(&t).into_iter().map(|p| p.path).collect();
    assert_eq!(paths, ["network.skip"]);
    let mut draft = Draft::parse(t, Path::new("t.ron")).unwrap();
    assert!(!draft.can_check_with_data());
    // Problems found later about an unread field are not repeated; others are placed.
    draft.add(vec![
        p("network.skip", "false", "x"),
        p("learning.batch_size", "0", "y"),
    ]);
    let paths: Vec<&str> = draft.problems().iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["network.skip", "learning.batch_size"]);
    assert_eq!(
        draft.problems()[1].position,
        Some(Position {
            line: 1,
            column: 156
        })
    );
}

#[test]
fn syntax_errors_stop_at_the_first_with_its_place_and_a_hint() {
    let bad = "Scenario(\n    name: \"x\",\n    seed: 1\n    data: Xor(samples: 10),\n)";
    match parse(bad) {
        Err(ScenarioError::Parse {
            path,
            position,
            message,
        }) => {
            assert_eq!(path, Path::new("t.ron"));
            assert_eq!(position, "4:5");
            assert_eq!(
                message,
                "Expected comma: a comma is missing before this point (perhaps at the end of the \
                 previous line)"
            );
        }
        other => panic!("expected Parse, got {other:?}"),
    }
    for t in [
        "Scenario(name: \"x\", data: Xor(samples: 10),",
        "Scenario(name: \"x\", network: (hidden: [4\n\n",
    ] {
        let e = parse(t).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("the file ends inside a value (a bracket is not closed)"),
            "{e}"
        );
    }
    assert!(matches!(parse(""), Err(ScenarioError::Parse { .. })));
}

#[test]
fn a_walk_of_valid_text_reads_what_the_parser_reads() {
    let docs = include_str!("../../../docs/scenarios.md");
    let mut texts: Vec<String> = [XOR, DIGITS, DIGITS_FAULTS]
        .iter()
        .map(|t| t.to_string())
        .collect();
    texts.extend(ron_blocks(docs));
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")).unwrap() {
        texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for t in &texts {
        let strict = options().from_str::<Scenario>(t);
        let walked = walk::<Scenario>(t, &options(), &REQUIRED);
        match strict {
            Ok(s) => {
                assert_eq!(walked.value.as_ref(), Some(&s), "{t}");
                assert!(walked.findings.is_empty(), "{t}");
            }
            Err(_) => assert!(!walked.findings.is_empty(), "{t}"),
        }
    }
}

/// The bodies of the ```ron blocks of a Markdown text.
fn ron_blocks(doc: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line == "```ron" {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            blocks.push(body.join("\n"));
        }
    }
    blocks
}

/// Every field of a scenario that uses every part of the schema has its own words in the messages of
/// type errors, not a generic "a whole number".
#[test]
fn every_field_says_what_it_accepts() {
    let kitchen_sink = text(
        "Blobs(samples: 50, classes: 3, features: 5, spread: 0.25, test_fraction: 0.3, standardize: false)",
        "(hidden: [3, 2], activation: Relu, output: Linear, connectivity: Sparse(density: 0.5), skip: true)",
        "(rule: EstimatedAttention(estimator: Ema(decay: 0.5), send: EveryK(2), step: Greedy), \
         optimizer: Sgd(lr: 0.001, momentum: 0.9), batch_size: 1, epochs: 3, in_flight: 2, engine: Some(Events))",
        "seed: 3, seeds: (data: 1, order: None, network: Some(2), links: 3, faults: 4), \
         links: (forward_delay: Uniform(min: 0, max: 5), attention_delay: LogNormal(mu: 0.0, sigma: 1.0), \
            drop_probability: 0.1, forward_drop: 0.2, attention_drop: None, wait_timeout: 10, missing_input: LastValue, \
            overrides: [(link: Between(from: Input(0), to: Hidden(layer: 0, index: 1)), forward_delay: Exponential(mean: 2.0), \
                         attention_delay: Constant(3), forward_drop: 0.5, attention_drop: 0.0), \
                        (link: Layers(from: Hidden(0), to: Output))]), \
         faults: [Crash(neuron: Output(0), at: Sample(5), recover: Tick(9), lose_state: true), \
                  Cut(from: Input(0), to: Hidden(layer: 0, index: 0), at: Tick(1), repair: None), \
                  Partition(neurons: [Input(1)], at: Sample(3), repair: Sample(4)), \
                  RandomCrashes(rate_per_sample: 0.01, mean_downtime_samples: 3, lose_state: false), \
                  RandomCuts(rate_per_sample: 0.01, mean_downtime_samples: 3)], \
         evaluation: (per_epoch: 2, gradient_alignment: true), \
         expect: [FinalTestAccuracy(at_least: 0.5), FinalTestLoss(at_most: 2.0), FinalTestR2(at_least: 0.1)]",
    );
    let csv = data("Csv(path: \"x.csv\", label_column: \"y\")");
    let builtin = data("Builtin(name: \"iris\")");
    let others = [
        data("Sensors(count: 3, samples: 10, noise: 0.1)"),
        data("Spirals(samples: 10, arms: 2, noise: 0.1)"),
        learning("(rule: EstimatedAttention(estimator: LastValue, send: Threshold(0.1)))"),
    ];
    let mut visited = Vec::new();
    for t in [&kitchen_sink, &csv, &builtin].into_iter().chain(&others) {
        let walked = walk::<Scenario>(t, &options(), &REQUIRED);
        assert!(walked.findings.is_empty(), "{t}: {:?}", walked.findings);
        visited.extend(walked.visited);
    }
    let mut missing = Vec::new();
    for (container, field, seen) in &visited {
        let own = accepted::for_field(container, field).is_some();
        let by_type = match seen {
            Seen::Struct(name) => accepted::for_type(name).is_some(),
            // Unit enums list their variants.
            Seen::Enum(..) => true,
            _ => false,
        };
        if !own && !by_type {
            missing.push(format!("{container}.{field} ({seen:?})"));
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "no words for {missing:#?}");
    // Every container was seen: the kitchen sink really is one.
    let containers: std::collections::BTreeSet<&str> =
        visited.iter().map(|(c, _, _)| c.as_str()).collect();
    for c in [
        "Scenario",
        "SeedSpec",
        "DataSpec::Blobs",
        "NetworkSpec",
        "Connectivity::Sparse",
        "LearningSpec",
        "RuleSpec::EstimatedAttention",
        "Estimator::Ema",
        "OptimizerSpec::Sgd",
        "LinkSpec",
        "LinkOverride",
        "LinkSelector::Between",
        "LinkSelector::Layers",
        "NeuronRef::Hidden",
        "Delay::Uniform",
        "Delay::LogNormal",
        "Delay::Exponential",
        "Fault::Crash",
        "Fault::Cut",
        "Fault::Partition",
        "Fault::RandomCrashes",
        "Fault::RandomCuts",
        "EvaluationSpec",
        "Expectation::FinalTestAccuracy",
        "Expectation::FinalTestLoss",
        "Expectation::FinalTestR2",
    ] {
        assert!(containers.contains(c), "{c} not visited: {containers:?}");
    }
}

#[test]
fn hostile_texts_give_errors_not_panics() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let nested = format!(
        "Scenario(name: \"t\", data: {}Xor(samples: 4){})",
        "Some(".repeat(5000),
        ")".repeat(5000)
    );
    for t in [
        deep.as_str(),
        nested.as_str(),
        "Scenario(name: \"t\", seed: 99999999999999999999999999999)",
        "Scenario(name: \"\\u{0}\", data: Xor(samples: 4), network: (hidden: [], activation: Tanh, output: Softmax), learning: (rule: Attention))",
        "#![enable(unwrap_newtypes)] Scenario(name: \"t\")",
        "#![enable(nonsense)]",
        "Scenario(name: r#\"t\"#, faults: [Crash(neuron: Input(99999999999999999999), at: Sample(1))])",
        "(((((((((((((((((((((((((((((((",
        "Scenario(name: b\"t\", seed: 'x', data: {}, network: [], learning: ())",
    ] {
        let e = parse(t).err().unwrap_or_else(|| panic!("{t} parsed"));
        assert!(e.to_string().starts_with("t.ron"), "{e}");
    }
    // Walking text whose values are fine but whose names are not never finds nothing.
    assert!(!walk::<Scenario>("Scenario(x: 1)", &options(), &REQUIRED)
        .findings
        .is_empty());
    assert!(walk::<IgnoredAny>("[1, 2]", &options(), &[])
        .findings
        .is_empty());
}

#[test]
fn scenario_examples_parse_and_validate_clean() {
    for t in [XOR, DIGITS] {
        let s = parse(t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.validate(), vec![]);
    }
    let xor = parse(XOR).unwrap();
    assert_eq!(xor.name, "xor");
    assert_eq!(xor.seed, 1);
    assert_eq!(xor.engine(), Engine::Events);
    let digits = parse(DIGITS).unwrap();
    assert_eq!(
        digits.data,
        DataSpec {
            source: DataSource::Builtin {
                name: "digits".into()
            },
            split: SplitOptions {
                test_fraction: 0.2,
                standardize: true
            },
        }
    );
    // The minimal scenario used by the other tests is valid too.
    assert_eq!(parse(&extra("")).unwrap().validate(), vec![]);
}

#[test]
fn scenario_round_trip_through_to_ron() {
    for t in [XOR, DIGITS] {
        let s = parse(t).unwrap();
        let ron = s.to_ron();
        let back = parse(&ron).unwrap_or_else(|e| panic!("{e}\n{ron}"));
        // `to_ron` writes the resolved engine, so `engine: None` comes back as `Some(..)`: the
        // round trip is exact once the engine is resolved, and exact outright when it was given.
        let mut resolved = s.clone();
        resolved.learning.engine = Some(s.engine());
        assert_eq!(back, resolved, "{ron}");
        assert_ne!(back, s);
        assert_eq!(back.to_ron(), ron);
        assert_eq!(parse(&ron).unwrap(), back);
    }
    // Every data variant, sparse connectivity, delays, momentum, Backprop's engine and all
    // expectation kinds survive too.
    let rich = text(
        "Blobs(samples: 50, classes: 3, features: 5, spread: 0.25, test_fraction: 0.3, standardize: false)",
        "(hidden: [3, 2], activation: Relu, output: Linear, connectivity: Sparse(density: 0.5), skip: true)",
        "(rule: Backprop, optimizer: Sgd(lr: 0.001, momentum: 0.9), batch_size: 8, epochs: 3, engine: Some(Dense))",
        "seed: 18446744073709551615, evaluation: (per_epoch: 4), \
         expect: [FinalTestAccuracy(at_least: 0.5), FinalTestLoss(at_most: 1e-3), FinalTestR2(at_least: -2.5)]",
    );
    let s = parse(&rich).unwrap();
    assert_eq!(parse(&s.to_ron()).unwrap(), s, "{}", s.to_ron());
    for d in [
        "Builtin(name: \"iris\")",
        "Csv(path: \"data/x.csv\", label_column: \"y\")",
        "Moons(samples: 200, noise: 0.3)",
        "Spirals(samples: 300, arms: 3)",
        "Sensors(count: 4, samples: 300, noise: 0.0, standardize: false)",
    ] {
        let s = parse(&data(d)).unwrap();
        let back = parse(&s.to_ron()).unwrap();
        assert_eq!(back.data, s.data, "{}", s.to_ron());
    }
}

/// What `resolved.ron` looks like: docs/scenarios.md shows this text.
#[test]
fn resolved_ron_enables_implicit_some_and_writes_options_bare() {
    let s = parse(&text(
        DATA,
        NET,
        LEARN,
        "links: (wait_timeout: Some(5), forward_drop: 0.5), faults: [Crash(neuron: Input(0), at: Tick(2), recover: Some(Tick(4)))]",
    ))
    .unwrap();
    let ron = s.to_ron();
    assert!(
        ron.starts_with("#![enable(implicit_some)]\nScenario(\n"),
        "{ron}"
    );
    for line in [
        "        engine: Events,",
        "        forward_drop: 0.5,",
        "        attention_drop: None,",
        "        wait_timeout: 5,",
        "        recover: Tick(4),",
    ] {
        assert!(ron.contains(&format!("{line}\n")), "{line:?} not in\n{ron}");
    }
    assert!(!ron.contains("Some("), "{ron}");
}

/// RON conveniences that docs/scenarios.md promises.
#[test]
fn scenario_ron_syntax_conveniences() {
    let t = r#"// a comment line
#![enable(implicit_some)]
(   /* the outer struct name is optional */
    name: "t",
    data: Xor(samples: 100, noise: 1,),   // an integer where a float is expected
    network: NetworkSpec(hidden: [4,], activation: Tanh, output: Softmax),
    learning: (rule: Attention, engine: Dense),
)"#;
    let s = parse(t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.learning.engine, Some(Engine::Dense));
    assert!(matches!(s.data.source, DataSource::Xor { noise, .. } if noise == 1.0));
    // Implicit `Some` is always on: `engine: Dense` and `engine: Some(Dense)` both parse.
    for engine in ["Dense", "Some(Dense)"] {
        let s = parse(&learning(&format!("(rule: Attention, engine: {engine})")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.learning.engine, Some(Engine::Dense));
    }
}

#[test]
fn scenario_problem_display() {
    let e = parse(&learning("(rule: Attention, batch_size: 0)"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "t.ron: invalid scenario:\n  - t.ron:1:145: learning.batch_size = 0: expected an integer ≥ 1"
    );
}

#[test]
fn scenario_fault_example_parses_and_validates_clean() {
    let s = parse(DIGITS_FAULTS).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.validate(), vec![]);
    // `wait_timeout: 40` is an implicit `Some`.
    assert_eq!(s.links.wait_timeout, Some(40));
    assert_eq!(s.links.missing_input, MissingInput::LastValue);
    assert_eq!(s.links.forward_delay, Delay::Exponential { mean: 3.0 });
    assert_eq!(s.faults.len(), 3);
    assert_eq!(
        s.faults[0],
        Fault::Crash {
            neuron: NeuronRef::Hidden { layer: 0, index: 3 },
            at: When::Sample(3000),
            recover: Some(When::Sample(6000)),
            lose_state: false,
        }
    );
    assert_eq!(s.engine(), Engine::Events);
    // It round-trips through the resolved form.
    let back = parse(&s.to_ron()).unwrap_or_else(|e| panic!("{e}\n{}", s.to_ron()));
    let mut resolved = s.clone();
    resolved.learning.engine = Some(Engine::Events);
    assert_eq!(back, resolved, "{}", s.to_ron());
}

#[test]
fn scenario_new_fields_round_trip_through_to_ron() {
    let t = text(
        DATA,
        "(hidden: [4, 3], activation: Relu, output: Softmax)",
        "(rule: EstimatedAttention(estimator: LastValue, send: Threshold(0.25), step: Greedy), in_flight: 1)",
        "links: (forward_delay: LogNormal(mu: 0.5, sigma: 0.25), attention_delay: Exponential(mean: 2.5), \
            drop_probability: 0.01, forward_drop: 0.0, attention_drop: 0.5, wait_timeout: 12, \
            missing_input: LastValue, overrides: [\
                (link: Between(from: Input(0), to: Hidden(layer: 0, index: 1)), forward_delay: Constant(4)), \
                (link: Layers(from: Hidden(1), to: Output), attention_drop: 0.0)]), \
         faults: [\
            Crash(neuron: Hidden(layer: 1, index: 0), at: Tick(50), recover: Tick(60), lose_state: true), \
            Partition(neurons: [Input(0), Input(1)], at: Sample(5), repair: None), \
            RandomCrashes(rate_per_sample: 0.001, mean_downtime_samples: 20, lose_state: true), \
            RandomCuts(rate_per_sample: 0.002, mean_downtime_samples: 30)], \
         evaluation: (per_epoch: 2, gradient_alignment: true)",
    );
    let s = parse(&t).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.evaluation.gradient_alignment);
    let ron = s.to_ron();
    let back = parse(&ron).unwrap_or_else(|e| panic!("{e}\n{ron}"));
    let mut resolved = s.clone();
    resolved.learning.engine = Some(Engine::Events);
    assert_eq!(back, resolved, "{ron}");
}

#[test]
fn files_too_large_or_unreadable_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.ron");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_SCENARIO_BYTES + 1)
        .unwrap();
    let e = Scenario::from_file(&big).unwrap_err();
    assert!(matches!(e, ScenarioError::TooLarge { .. }), "{e}");
    let e = Scenario::from_file(&dir.path().join("absent.ron")).unwrap_err();
    assert_eq!(e.to_string().matches("os error 2").count(), 1, "{e}");
    assert!(std::error::Error::source(&e).is_none());
}
