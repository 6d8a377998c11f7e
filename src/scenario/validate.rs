//! Value checks on a parsed [`Scenario`]: every problem is collected, none stops the others.
//!
//! Syntax and schema errors (unknown fields, wrong types) are the RON parser's business; this module only
//! looks at values that parsed fine but cannot be run. Whether a CSV file exists is checked when the data
//! is loaded, not here.

use std::fmt;

use super::{
    Connectivity, DataSpec, Delay, Engine, Expectation, OptimizerSpec, RuleSpec, Scenario,
};

/// Datasets bundled in the binary, accepted by `Builtin(name: ...)`.
const BUILTIN_DATASETS: [&str; 3] = ["digits", "iris", "wine"];
/// Most hidden layers a network may have.
const MAX_HIDDEN_LAYERS: usize = 64;
/// Largest delay a link may have, in ticks.
const MAX_DELAY: i64 = 1_000_000_000;
/// Fewest samples a synthetic data set may have (so both splits can hold some).
const MIN_SAMPLES: usize = 4;

/// One thing wrong with a scenario: where, what was written, and what is accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Field path, e.g. `network.hidden[1]` or `expect[0].at_least`.
    pub path: String,
    /// The value found, written as in RON, e.g. `0` or `Uniform(min: 5, max: 2)`.
    pub value: String,
    /// What would be accepted instead.
    pub accepted: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {}: expected {}",
            self.path, self.value, self.accepted
        )
    }
}

/// Every problem with `s`'s values, in field order; empty when `s` is valid.
pub(super) fn validate(s: &Scenario) -> Vec<Problem> {
    let mut out = Problems::default();
    check_name(&mut out, &s.name);
    check_data(&mut out, &s.data);
    check_network(&mut out, s);
    check_learning(&mut out, s);
    check_links(&mut out, s);
    if s.evaluation.per_epoch < 1 {
        out.push("evaluation.per_epoch", 0, "an integer ≥ 1");
    }
    check_expect(&mut out, &s.expect);
    out.0
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(
        &mut self,
        path: impl Into<String>,
        value: impl fmt::Display,
        accepted: impl Into<String>,
    ) {
        self.0.push(Problem {
            path: path.into(),
            value: value.to_string(),
            accepted: accepted.into(),
        });
    }
}

/// A float as RON writes it: `0.0`, `1.5`, `-1e-7`, `inf`, `NaN`.
struct F(f64);

impl fmt::Display for F {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        if self.0.is_finite() && self.0.fract() == 0.0 {
            write!(f, ".0")?;
        }
        Ok(())
    }
}

/// A string as RON writes it, quoted and escaped.
fn ron_str(s: &str) -> String {
    ron::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn check_name(out: &mut Problems, name: &str) {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        out.push(
            "name",
            ron_str(name),
            "a non-empty name made of ASCII letters, digits, '-', '_' and '.', not starting with '.' \
             (it names the output folder)",
        );
    }
}

fn check_data(out: &mut Problems, data: &DataSpec) {
    let test_fraction = match data {
        DataSpec::Builtin {
            name,
            test_fraction,
            ..
        } => {
            if !BUILTIN_DATASETS.contains(&name.as_str()) {
                let list: Vec<String> = BUILTIN_DATASETS.iter().map(|d| ron_str(d)).collect();
                out.push(
                    "data.name",
                    ron_str(name),
                    format!("one of {}", list.join(", ")),
                );
            }
            *test_fraction
        }
        DataSpec::Csv {
            label_column,
            test_fraction,
            ..
        } => {
            if label_column.is_empty() {
                out.push(
                    "data.label_column",
                    ron_str(label_column),
                    "a non-empty column name",
                );
            }
            *test_fraction
        }
        DataSpec::Xor {
            samples,
            noise,
            test_fraction,
            ..
        }
        | DataSpec::Moons {
            samples,
            noise,
            test_fraction,
            ..
        } => {
            check_samples(out, *samples);
            check_noise(out, *noise);
            *test_fraction
        }
        DataSpec::Spirals {
            samples,
            arms,
            noise,
            test_fraction,
            ..
        } => {
            check_samples(out, *samples);
            if *arms < 2 {
                out.push("data.arms", arms, "an integer ≥ 2");
            }
            check_noise(out, *noise);
            *test_fraction
        }
        DataSpec::Blobs {
            samples,
            classes,
            features,
            spread,
            test_fraction,
            ..
        } => {
            check_samples(out, *samples);
            if *classes < 2 {
                out.push("data.classes", classes, "an integer ≥ 2");
            }
            if *features < 1 {
                out.push("data.features", features, "an integer ≥ 1");
            }
            if !(spread.is_finite() && *spread > 0.0) {
                out.push("data.spread", F(*spread), "a finite number > 0");
            }
            *test_fraction
        }
        DataSpec::Sensors {
            count,
            samples,
            noise,
            test_fraction,
            ..
        } => {
            if *count < 1 {
                out.push("data.count", count, "an integer ≥ 1");
            }
            check_samples(out, *samples);
            check_noise(out, *noise);
            *test_fraction
        }
    };
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        out.push(
            "data.test_fraction",
            F(test_fraction),
            "a fraction in the open interval (0, 1)",
        );
    }
}

fn check_samples(out: &mut Problems, samples: usize) {
    if samples < MIN_SAMPLES {
        out.push(
            "data.samples",
            samples,
            format!("an integer ≥ {MIN_SAMPLES}"),
        );
    }
}

fn check_noise(out: &mut Problems, noise: f64) {
    if !(noise.is_finite() && noise >= 0.0) {
        out.push("data.noise", F(noise), "a finite number ≥ 0");
    }
}

fn check_network(out: &mut Problems, s: &Scenario) {
    let net = &s.network;
    for (i, &width) in net.hidden.iter().enumerate() {
        if width < 1 {
            out.push(format!("network.hidden[{i}]"), width, "a width ≥ 1");
        }
    }
    if net.hidden.len() > MAX_HIDDEN_LAYERS {
        const SHOWN: usize = 4;
        let head: Vec<String> = net
            .hidden
            .iter()
            .take(SHOWN)
            .map(|w| w.to_string())
            .collect();
        out.push(
            "network.hidden",
            format!("[{}, ...] ({} layers)", head.join(", "), net.hidden.len()),
            format!("at most {MAX_HIDDEN_LAYERS} hidden layers"),
        );
    }
    if let Connectivity::Sparse { density } = net.connectivity {
        if !(density.is_finite() && density > 0.0 && density <= 1.0) {
            out.push(
                "network.connectivity.density",
                F(density),
                "a density in (0, 1]",
            );
        }
    }
}

fn check_learning(out: &mut Problems, s: &Scenario) {
    let l = &s.learning;
    match l.optimizer {
        OptimizerSpec::Sgd { lr, momentum } => {
            if !(lr.is_finite() && lr > 0.0) {
                out.push("learning.optimizer.lr", F(lr), "a finite learning rate > 0");
            }
            if !(0.0..1.0).contains(&momentum) {
                out.push(
                    "learning.optimizer.momentum",
                    F(momentum),
                    "a momentum in [0, 1)",
                );
            }
        }
    }
    if l.batch_size < 1 {
        out.push("learning.batch_size", l.batch_size, "an integer ≥ 1");
    }
    if l.epochs < 1 {
        out.push("learning.epochs", l.epochs, "an integer ≥ 1");
    }
    if l.in_flight < 1 {
        out.push("learning.in_flight", l.in_flight, "an integer ≥ 1");
    }
    if l.rule == RuleSpec::Backprop && l.engine == Some(Engine::Events) {
        out.push(
            "learning.engine",
            "Some(Events)",
            "Dense (Backprop has no message-level simulation; use rule: Attention for the event \
             simulation of backprop)",
        );
    }
}

fn check_links(out: &mut Problems, s: &Scenario) {
    let links = &s.links;
    check_delay(out, "links.forward_delay", links.forward_delay);
    check_delay(out, "links.attention_delay", links.attention_delay);
    let p = links.drop_probability;
    if !(0.0..=1.0).contains(&p) {
        out.push("links.drop_probability", F(p), "a probability in [0, 1]");
    }
}

fn check_delay(out: &mut Problems, path: &str, delay: Delay) {
    const NEGATIVE: &str = "a delay ≥ 0 ticks";
    let too_long = format!("a delay ≤ {MAX_DELAY} ticks");
    match delay {
        Delay::Constant(t) => {
            let value = format!("Constant({t})");
            if t < 0 {
                out.push(path, value, NEGATIVE);
            } else if t > MAX_DELAY {
                out.push(path, value, too_long);
            }
        }
        Delay::Uniform { min, max } => {
            let value = format!("Uniform(min: {min}, max: {max})");
            if min < 0 || max < 0 {
                out.push(path, &value, NEGATIVE);
            }
            if min > max {
                out.push(
                    path,
                    &value,
                    format!("min ≤ max (here min {min} > max {max})"),
                );
            }
            if min > MAX_DELAY || max > MAX_DELAY {
                out.push(path, &value, too_long);
            }
        }
        Delay::Exponential { .. } | Delay::LogNormal { .. } => {}
    }
}

fn check_expect(out: &mut Problems, expect: &[Expectation]) {
    for (i, e) in expect.iter().enumerate() {
        match *e {
            Expectation::FinalTestAccuracy { at_least } => {
                if !(0.0..=1.0).contains(&at_least) {
                    out.push(
                        format!("expect[{i}].at_least"),
                        F(at_least),
                        "an accuracy in [0, 1]",
                    );
                }
            }
            Expectation::FinalTestLoss { at_most } => {
                if !(at_most.is_finite() && at_most >= 0.0) {
                    out.push(
                        format!("expect[{i}].at_most"),
                        F(at_most),
                        "a finite loss ≥ 0",
                    );
                }
            }
            Expectation::FinalTestR2 { at_least } => {
                if !(at_least.is_finite() && at_least <= 1.0) {
                    out.push(
                        format!("expect[{i}].at_least"),
                        F(at_least),
                        "a finite R² ≤ 1",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{Scenario, ScenarioError};
    use super::*;

    const XOR: &str = r#"
Scenario(
    name: "xor",
    seed: 1,
    data: Xor(samples: 400, noise: 0.1, test_fraction: 0.25),
    network: (hidden: [8], activation: Tanh, output: Softmax),
    learning: (rule: Attention, optimizer: Sgd(lr: 0.1), batch_size: 1, epochs: 60),
    expect: [FinalTestAccuracy(at_least: 0.95)],
)
"#;

    const DIGITS: &str = r#"
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

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(text, Path::new("t.ron"))
    }

    /// A minimal valid scenario with `data`, `network`, `learning` and extra fields substituted.
    fn text(data: &str, network: &str, learning: &str, extra: &str) -> String {
        format!(
            "Scenario(name: \"t\", data: {data}, network: {network}, learning: {learning}, {extra})"
        )
    }

    const DATA: &str = "Xor(samples: 100)";
    const NET: &str = "(hidden: [4], activation: Tanh, output: Softmax)";
    const LEARN: &str = "(rule: Attention)";

    /// The problems `Scenario::parse` reports; panics if the text does not parse or is valid.
    fn problems(text: &str) -> Vec<Problem> {
        match parse(text) {
            Err(ScenarioError::Invalid { problems, path }) => {
                assert_eq!(path, Path::new("t.ron"));
                problems
            }
            Err(e) => panic!("expected Invalid, got {e}"),
            Ok(s) => panic!("expected Invalid, got a valid scenario {s:?}"),
        }
    }

    fn p(path: &str, value: &str, accepted: &str) -> Problem {
        Problem {
            path: path.into(),
            value: value.into(),
            accepted: accepted.into(),
        }
    }

    /// Exactly one problem, at `path` with `value`, whose accepted text contains `accepted`.
    #[track_caller]
    fn one(text: &str, path: &str, value: &str, accepted: &str) {
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

    fn data(d: &str) -> String {
        text(d, NET, LEARN, "")
    }
    fn network(n: &str) -> String {
        text(DATA, n, LEARN, "")
    }
    fn learning(l: &str) -> String {
        text(DATA, NET, l, "")
    }
    fn extra(e: &str) -> String {
        text(DATA, NET, LEARN, e)
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
            DataSpec::Builtin {
                name: "digits".into(),
                test_fraction: 0.2,
                standardize: true
            }
        );
        // The minimal scenario used by the other tests is valid too.
        assert_eq!(parse(&extra("")).unwrap().validate(), vec![]);
    }

    #[test]
    fn scenario_every_data_variant_can_be_valid() {
        for d in [
            "Builtin(name: \"iris\")",
            "Builtin(name: \"wine\", test_fraction: 0.5, standardize: false)",
            "Csv(path: \"x.csv\")",
            "Csv(path: \"x.csv\", label_column: \"class\", test_fraction: 0.3)",
            "Xor(samples: 4, noise: 0.0)",
            "Moons(samples: 200, noise: 0.2)",
            "Spirals(samples: 300, arms: 3)",
            "Blobs(samples: 300, classes: 4, features: 1, spread: 0.5)",
        ] {
            assert_eq!(parse(&data(d)).unwrap().validate(), vec![], "{d}");
        }
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
            "seed: 18446744073709551615, links: (forward_delay: Uniform(min: 0, max: 5), attention_delay: Constant(0)), \
             evaluation: (per_epoch: 4), \
             expect: [FinalTestAccuracy(at_least: 0.5), FinalTestLoss(at_most: 1e-3), FinalTestR2(at_least: -2.5)]",
        );
        let s = parse(&rich).unwrap();
        assert_eq!(parse(&s.to_ron()).unwrap(), s, "{}", s.to_ron());
        for d in [
            "Builtin(name: \"iris\")",
            "Csv(path: \"data/x.csv\", label_column: \"y\")",
            "Moons(samples: 200, noise: 0.3)",
            "Spirals(samples: 300, arms: 3)",
        ] {
            let s = parse(&data(d)).unwrap();
            let back = parse(&s.to_ron()).unwrap();
            assert_eq!(back.data, s.data, "{}", s.to_ron());
        }
    }

    #[test]
    fn scenario_malformed_ron_is_a_parse_error_with_position() {
        let bad = "Scenario(\n    name: \"x\",\n    seed: 1\n    data: Xor(samples: 10),\n)";
        match parse(bad) {
            Err(ScenarioError::Parse {
                path,
                position,
                message,
            }) => {
                assert_eq!(path, Path::new("t.ron"));
                let (line, col) = position.split_once(':').expect("line:col");
                let line: usize = line.parse().unwrap();
                let _col: usize = col.parse().unwrap();
                assert!((3..=4).contains(&line), "{position}: {message}");
                assert!(!message.is_empty());
            }
            other => panic!("expected Parse, got {other:?}"),
        }
        let e = parse(bad).unwrap_err().to_string();
        assert!(e.starts_with("t.ron:"), "{e}");
    }

    #[test]
    fn scenario_unknown_field_is_a_parse_error_naming_it() {
        let t = "Scenario(name: \"t\", data: Xor(samples: 100),\n  network: (hiden: [4], activation: Tanh, output: Softmax),\n  learning: (rule: Attention))";
        match parse(t) {
            Err(ScenarioError::Parse {
                position, message, ..
            }) => {
                assert!(message.contains("hiden"), "{message}");
                assert!(position.starts_with("2:"), "{position}");
            }
            other => panic!("expected Parse, got {other:?}"),
        }
        // Also inside data variants and the top level.
        for t in [
            data("Xor(samples: 100, nosie: 0.1)"),
            extra("seeed: 3"),
            extra("links: (delay: Constant(1))"),
        ] {
            match parse(&t) {
                Err(ScenarioError::Parse { message, .. }) => {
                    assert!(message.contains("Unexpected field"), "{message}")
                }
                other => panic!("expected Parse for {t}, got {other:?}"),
            }
        }
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
        assert!(matches!(s.data, DataSpec::Xor { noise, .. } if noise == 1.0));
        // Implicit `Some` is always on: `engine: Dense` and `engine: Some(Dense)` both parse.
        for engine in ["Dense", "Some(Dense)"] {
            let s = parse(&learning(&format!("(rule: Attention, engine: {engine})")))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.learning.engine, Some(Engine::Dense));
        }
        // A struct name, if written, must be the right one.
        match parse(&network(
            "Network(hidden: [4], activation: Tanh, output: Softmax)",
        )) {
            Err(ScenarioError::Parse { message, .. }) => {
                assert!(message.contains("NetworkSpec"), "{message}")
            }
            other => panic!("expected Parse, got {other:?}"),
        }
    }

    #[test]
    fn scenario_problem_display() {
        let pr = p("learning.batch_size", "0", "an integer ≥ 1");
        assert_eq!(
            pr.to_string(),
            "learning.batch_size = 0: expected an integer ≥ 1"
        );
        let e = parse(&learning("(rule: Attention, batch_size: 0)"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.ron: invalid scenario:\n  - learning.batch_size = 0: expected an integer ≥ 1"
        );
    }

    #[test]
    fn scenario_name_rules() {
        for ok in ["a", "digits-attention_2.v1", "A.b", "0"] {
            let t = format!(
                "Scenario(name: {}, data: {DATA}, network: {NET}, learning: {LEARN})",
                ron_str(ok)
            );
            assert!(parse(&t).is_ok(), "{ok}");
        }
        for (bad, shown) in [
            ("", "\"\""),
            (".hidden", "\".hidden\""),
            ("a b", "\"a b\""),
            ("a/b", "\"a/b\""),
            ("..", "\"..\""),
            ("é", "\"é\""),
        ] {
            let t = format!(
                "Scenario(name: {}, data: {DATA}, network: {NET}, learning: {LEARN})",
                ron_str(bad)
            );
            one(&t, "name", shown, "ASCII letters, digits");
        }
    }

    #[test]
    fn scenario_test_fraction_rules() {
        for d in [
            "Builtin(name: \"iris\", test_fraction: 0.0)",
            "Csv(path: \"x.csv\", test_fraction: 0.0)",
            "Xor(samples: 100, test_fraction: 0.0)",
            "Moons(samples: 100, test_fraction: 0.0)",
            "Spirals(samples: 100, test_fraction: 0.0)",
            "Blobs(samples: 100, test_fraction: 0.0)",
        ] {
            one(
                &data(d),
                "data.test_fraction",
                "0.0",
                "a fraction in the open interval (0, 1)",
            );
        }
        one(
            &data("Xor(samples: 100, test_fraction: 1.0)"),
            "data.test_fraction",
            "1.0",
            "(0, 1)",
        );
        one(
            &data("Xor(samples: 100, test_fraction: -0.5)"),
            "data.test_fraction",
            "-0.5",
            "(0, 1)",
        );
        one(
            &data("Xor(samples: 100, test_fraction: NaN)"),
            "data.test_fraction",
            "NaN",
            "(0, 1)",
        );
    }

    #[test]
    fn scenario_synthetic_data_rules() {
        for d in [
            "Xor(samples: 3)",
            "Moons(samples: 0)",
            "Spirals(samples: 2)",
            "Blobs(samples: 1)",
        ] {
            let n = d.split(": ").nth(1).unwrap().trim_end_matches(')');
            one(&data(d), "data.samples", n, "an integer ≥ 4");
        }
        one(
            &data("Xor(samples: 100, noise: -0.1)"),
            "data.noise",
            "-0.1",
            "a finite number ≥ 0",
        );
        one(
            &data("Moons(samples: 100, noise: inf)"),
            "data.noise",
            "inf",
            "a finite number ≥ 0",
        );
        one(
            &data("Spirals(samples: 100, noise: NaN)"),
            "data.noise",
            "NaN",
            "≥ 0",
        );
        one(
            &data("Spirals(samples: 100, arms: 1)"),
            "data.arms",
            "1",
            "an integer ≥ 2",
        );
        one(
            &data("Blobs(samples: 100, classes: 1)"),
            "data.classes",
            "1",
            "an integer ≥ 2",
        );
        one(
            &data("Blobs(samples: 100, features: 0)"),
            "data.features",
            "0",
            "an integer ≥ 1",
        );
        one(
            &data("Blobs(samples: 100, spread: 0.0)"),
            "data.spread",
            "0.0",
            "a finite number > 0",
        );
        one(
            &data("Blobs(samples: 100, spread: -1.0)"),
            "data.spread",
            "-1.0",
            "> 0",
        );
        one(
            &data("Blobs(samples: 100, spread: inf)"),
            "data.spread",
            "inf",
            "> 0",
        );
    }

    #[test]
    fn scenario_builtin_and_csv_rules() {
        one(
            &data("Builtin(name: \"mnist\")"),
            "data.name",
            "\"mnist\"",
            "one of \"digits\", \"iris\", \"wine\"",
        );
        one(
            &data("Csv(path: \"x.csv\", label_column: \"\")"),
            "data.label_column",
            "\"\"",
            "a non-empty column name",
        );
        // A missing CSV file is not validate's concern.
        assert!(parse(&data("Csv(path: \"/does/not/exist.csv\")")).is_ok());
    }

    #[test]
    fn scenario_network_rules() {
        let ps = problems(&network(
            "(hidden: [4, 0, 3, 0], activation: Tanh, output: Softmax)",
        ));
        assert_eq!(
            ps,
            vec![
                p("network.hidden[1]", "0", "a width ≥ 1"),
                p("network.hidden[3]", "0", "a width ≥ 1"),
            ]
        );
        let widths = vec!["2"; 65].join(", ");
        one(
            &network(&format!(
                "(hidden: [{widths}], activation: Tanh, output: Softmax)"
            )),
            "network.hidden",
            "[2, 2, 2, 2, ...] (65 layers)",
            "at most 64 hidden layers",
        );
        let widths = vec!["2"; 64].join(", ");
        assert!(parse(&network(&format!(
            "(hidden: [{widths}], activation: Tanh, output: Softmax)"
        )))
        .is_ok());
        assert!(parse(&network("(hidden: [], activation: Relu, output: Linear)")).is_ok());
        for (d, shown) in [
            ("0.0", "0.0"),
            ("1.5", "1.5"),
            ("-0.1", "-0.1"),
            ("NaN", "NaN"),
        ] {
            one(
                &network(&format!(
                    "(hidden: [4], activation: Tanh, output: Softmax, connectivity: Sparse(density: {d}))"
                )),
                "network.connectivity.density",
                shown,
                "a density in (0, 1]",
            );
        }
        assert!(parse(&network(
            "(hidden: [4], activation: Tanh, output: Softmax, connectivity: Sparse(density: 1.0))"
        ))
        .is_ok());
    }

    #[test]
    fn scenario_learning_rules() {
        one(
            &learning("(rule: Attention, batch_size: 0)"),
            "learning.batch_size",
            "0",
            "an integer ≥ 1",
        );
        one(
            &learning("(rule: Attention, epochs: 0)"),
            "learning.epochs",
            "0",
            "an integer ≥ 1",
        );
        one(
            &learning("(rule: Attention, in_flight: 0)"),
            "learning.in_flight",
            "0",
            "an integer ≥ 1",
        );
        one(
            &learning("(rule: Attention, in_flight: 4)"),
            "learning.in_flight",
            "4",
            "1 (pipelining is not implemented yet)",
        );
        for lr in ["0.0", "-0.1", "inf", "NaN"] {
            one(
                &learning(&format!("(rule: Attention, optimizer: Sgd(lr: {lr}))")),
                "learning.optimizer.lr",
                lr,
                "a finite learning rate > 0",
            );
        }
        for m in ["1.0", "-0.1", "NaN"] {
            one(
                &learning(&format!(
                    "(rule: Attention, optimizer: Sgd(lr: 0.1, momentum: {m}))"
                )),
                "learning.optimizer.momentum",
                m,
                "a momentum in [0, 1)",
            );
        }
        assert!(parse(&learning(
            "(rule: Attention, optimizer: Sgd(lr: 0.1, momentum: 0.99))"
        ))
        .is_ok());
        one(
            &learning("(rule: Backprop, engine: Some(Events))"),
            "learning.engine",
            "Some(Events)",
            "Dense (Backprop has no message-level simulation; use rule: Attention for the event simulation of backprop)",
        );
        for l in [
            "(rule: Backprop)",
            "(rule: Backprop, engine: Some(Dense))",
            "(rule: GreedyAttention, engine: Some(Dense))",
            "(rule: FeedbackAlignment, engine: Some(Events))",
        ] {
            assert!(parse(&learning(l)).is_ok(), "{l}");
        }
        assert_eq!(
            parse(&learning("(rule: Backprop)")).unwrap().engine(),
            Engine::Dense
        );
        assert_eq!(
            parse(&learning("(rule: GreedyAttention)"))
                .unwrap()
                .engine(),
            Engine::Events
        );
    }

    #[test]
    fn scenario_link_rules() {
        one(
            &extra("links: (forward_delay: Constant(-1))"),
            "links.forward_delay",
            "Constant(-1)",
            "a delay ≥ 0 ticks",
        );
        one(
            &extra("links: (attention_delay: Uniform(min: -2, max: 3))"),
            "links.attention_delay",
            "Uniform(min: -2, max: 3)",
            "a delay ≥ 0 ticks",
        );
        one(
            &extra("links: (forward_delay: Uniform(min: 5, max: 2))"),
            "links.forward_delay",
            "Uniform(min: 5, max: 2)",
            "min ≤ max (here min 5 > max 2)",
        );
        one(
            &extra("links: (forward_delay: Constant(1000000001))"),
            "links.forward_delay",
            "Constant(1000000001)",
            "a delay ≤ 1000000000 ticks",
        );
        one(
            &extra("links: (attention_delay: Uniform(min: 0, max: 2000000000))"),
            "links.attention_delay",
            "Uniform(min: 0, max: 2000000000)",
            "a delay ≤ 1000000000 ticks",
        );
        // Both faults of one delay are reported.
        let ps = problems(&extra("links: (forward_delay: Uniform(min: 3, max: -1))"));
        assert_eq!(ps.len(), 2, "{ps:#?}");
        for ok in [
            "links: (forward_delay: Constant(0), attention_delay: Uniform(min: 0, max: 0))",
            "links: (forward_delay: Constant(1000000000), attention_delay: Uniform(min: 2, max: 9))",
        ] {
            assert!(parse(&extra(ok)).is_ok(), "{ok}");
        }
        for p_ in ["0.5", "1.0", "0.001"] {
            one(
                &extra(&format!("links: (drop_probability: {p_})")),
                "links.drop_probability",
                p_,
                "0.0 (dropped messages are not simulated yet)",
            );
        }
        for p_ in ["1.5", "-0.1", "NaN", "inf"] {
            one(
                &extra(&format!("links: (drop_probability: {p_})")),
                "links.drop_probability",
                p_,
                "a probability in [0, 1]",
            );
        }
    }

    #[test]
    fn scenario_evaluation_and_expect_rules() {
        one(
            &extra("evaluation: (per_epoch: 0)"),
            "evaluation.per_epoch",
            "0",
            "an integer ≥ 1",
        );
        assert!(parse(&extra("evaluation: (per_epoch: 10)")).is_ok());
        let ps = problems(&extra(
            "expect: [FinalTestAccuracy(at_least: 0.9), FinalTestAccuracy(at_least: 1.5), \
             FinalTestLoss(at_most: -1.0), FinalTestR2(at_least: 2.0), FinalTestAccuracy(at_least: -0.1), \
             FinalTestLoss(at_most: inf), FinalTestR2(at_least: NaN), FinalTestR2(at_least: -5.0), \
             FinalTestLoss(at_most: 0.0), FinalTestAccuracy(at_least: 1.0)]",
        ));
        assert_eq!(
            ps,
            vec![
                p("expect[1].at_least", "1.5", "an accuracy in [0, 1]"),
                p("expect[2].at_most", "-1.0", "a finite loss ≥ 0"),
                p("expect[3].at_least", "2.0", "a finite R² ≤ 1"),
                p("expect[4].at_least", "-0.1", "an accuracy in [0, 1]"),
                p("expect[5].at_most", "inf", "a finite loss ≥ 0"),
                p("expect[6].at_least", "NaN", "a finite R² ≤ 1"),
            ]
        );
    }

    #[test]
    fn scenario_every_problem_is_reported_at_once() {
        let t = r#"
Scenario(
    name: "bad name",
    data: Blobs(samples: 2, classes: 1, features: 0, spread: 0.0, test_fraction: 1.0),
    network: (hidden: [8, 0], activation: Tanh, output: Softmax, connectivity: Sparse(density: 0.0)),
    learning: (rule: Backprop, optimizer: Sgd(lr: -1.0, momentum: 1.0), batch_size: 0,
               epochs: 0, in_flight: 2, engine: Some(Events)),
    links: (forward_delay: Constant(-1), attention_delay: Uniform(min: 5, max: 2),
            drop_probability: 1.5),
    evaluation: (per_epoch: 0),
    expect: [FinalTestAccuracy(at_least: 2.0)],
)
"#;
        let ps = problems(t);
        let paths: Vec<&str> = ps.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "name",
                "data.samples",
                "data.classes",
                "data.features",
                "data.spread",
                "data.test_fraction",
                "network.hidden[1]",
                "network.connectivity.density",
                "learning.optimizer.lr",
                "learning.optimizer.momentum",
                "learning.batch_size",
                "learning.epochs",
                "learning.in_flight",
                "learning.engine",
                "links.forward_delay",
                "links.attention_delay",
                "links.drop_probability",
                "evaluation.per_epoch",
                "expect[0].at_least",
            ]
        );
        // validate() on the struct reports the same list.
        let mut s = parse(XOR).unwrap();
        assert_eq!(validate(&s), vec![]);
        s.learning.batch_size = 0;
        s.links.forward_delay = Delay::Uniform { min: 5, max: 2 };
        s.network.hidden = vec![0, 3];
        s.expect.push(Expectation::FinalTestLoss { at_most: -0.5 });
        assert_eq!(
            s.validate(),
            vec![
                p("network.hidden[0]", "0", "a width ≥ 1"),
                p("learning.batch_size", "0", "an integer ≥ 1"),
                p(
                    "links.forward_delay",
                    "Uniform(min: 5, max: 2)",
                    "min ≤ max (here min 5 > max 2)"
                ),
                p("expect[1].at_most", "-0.5", "a finite loss ≥ 0"),
            ]
        );
        assert_eq!(validate(&s), s.validate());
    }

    #[test]
    fn scenario_float_values_are_written_as_ron() {
        assert_eq!(F(0.0).to_string(), "0.0");
        assert_eq!(F(1.5).to_string(), "1.5");
        assert_eq!(F(-2.0).to_string(), "-2.0");
        assert_eq!(F(f64::INFINITY).to_string(), "inf");
        assert_eq!(F(f64::NEG_INFINITY).to_string(), "-inf");
        assert_eq!(F(f64::NAN).to_string(), "NaN");
        assert_eq!(F(1e-9).to_string(), "0.000000001");
        // What we print parses back as the same float.
        for x in [
            0.0,
            1.5,
            -2.0,
            1e-9,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let back: f64 = ron::from_str(&F(x).to_string()).unwrap();
            assert_eq!(back, x);
        }
    }
}
