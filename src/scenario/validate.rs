//! Value checks on a parsed [`Scenario`]: every problem is collected, none stops the others.
//!
//! Syntax and type errors are `parse.rs`'s business; this module looks at values that parsed fine but
//! cannot be run. One file per part of the scenario: `data.rs`, `network.rs`, `learning.rs`,
//! `links.rs`, `faults.rs`, `expect.rs` (evaluation and expectations), with the neuron and layer
//! references they share in `refs.rs`. The checks that need the loaded data (its shape, the length of
//! the run, the memory the run needs) are in `with_data.rs`.

mod data;
mod estimate;
mod expect;
mod faults;
mod learning;
mod links;
mod network;
mod refs;
mod with_data;

use std::fmt;

use super::{Problem, Scenario};

pub use estimate::{estimate, MemoryEstimate};
pub use with_data::{
    validate_with_data, validate_with_data_within, warnings_with_data, DataShape, TaskKind,
};

/// Largest delay a link may have, in ticks.
const MAX_DELAY: i64 = 1_000_000_000;

/// Every problem with `s`'s values, in field order; empty when `s` is valid.
pub(super) fn validate(s: &Scenario) -> Vec<Problem> {
    let mut out = Problems::default();
    check_name(&mut out, &s.name);
    data::check(&mut out, &s.data);
    network::check(&mut out, s);
    learning::check(&mut out, s);
    links::check(&mut out, s);
    faults::check(&mut out, s);
    expect::check(&mut out, s);
    out.0
}

/// The problems found so far.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(
        &mut self,
        path: impl Into<String>,
        value: impl fmt::Display,
        accepted: impl Into<String>,
    ) {
        self.0.push(Problem::new(path, value, accepted));
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

/// What is not wrong but probably not meant: link delays on the dense engine, which has no clock
/// and ignores them.
pub(super) fn warnings(s: &Scenario) -> Vec<Problem> {
    let mut out = Problems::default();
    if s.engine() == super::Engine::Dense {
        for (path, delay) in [
            ("links.forward_delay", s.links.forward_delay),
            ("links.attention_delay", s.links.attention_delay),
        ] {
            if delay != super::Delay::Constant(1) {
                out.push(
                    path,
                    links::fmt_delay(delay),
                    "the default Constant(1): the dense engine simulates no messages, so it \
                     ignores delays",
                );
            }
        }
    }
    out.0
}

fn check_probability(out: &mut Problems, path: &str, p: f64) {
    if !(0.0..=1.0).contains(&p) {
        out.push(path, F(p), "a probability in [0, 1]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::test_util::*;

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
        let ps = located(t);
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
                "learning.engine",
                "links.forward_delay",
                "links.attention_delay",
                "links.drop_probability",
                "links.wait_timeout",
                "evaluation.per_epoch",
                "expect[0].at_least",
            ]
        );
        // Each one is placed at its field (or the nearest written one).
        let at = |path: &str| {
            let p = ps.iter().find(|p| p.path == path).unwrap();
            let pos = p
                .position
                .unwrap_or_else(|| panic!("{path} has no position"));
            (pos.line, pos.column)
        };
        assert_eq!(at("name"), (3, 11));
        assert_eq!(at("data.samples"), (4, 26));
        assert_eq!(at("network.hidden[1]"), (5, 27));
        assert_eq!(at("learning.batch_size"), (6, 85));
        assert_eq!(at("links.wait_timeout"), (8, 12));
        // validate() on the struct reports the same problems, without positions.
        let mut s = parse(XOR).unwrap();
        assert_eq!(validate(&s), vec![]);
        s.learning.batch_size = 0;
        s.links.forward_delay = crate::scenario::Delay::Uniform { min: 5, max: 2 };
        s.network.hidden = vec![0, 3];
        s.expect
            .push(crate::scenario::Expectation::FinalTestLoss { at_most: -0.5 });
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
    fn scenario_delays_on_the_dense_engine_are_a_warning() {
        let t = text(
            DATA,
            NET,
            "(rule: Backprop)",
            "links: (forward_delay: Uniform(min: 1, max: 5), attention_delay: Constant(1))",
        );
        let s = parse(&t).unwrap();
        assert_eq!(
            s.warnings(),
            vec![p(
                "links.forward_delay",
                "Uniform(min: 1, max: 5)",
                "the default Constant(1): the dense engine simulates no messages, so it ignores \
                 delays"
            )]
        );
        let draft =
            crate::scenario::Draft::parse(t.as_str(), std::path::Path::new("t.ron")).unwrap();
        assert_eq!(draft.warnings().len(), 1);
        assert!(draft.warnings()[0].position.is_some());
        // The same delays on the event engine, or the default ones on the dense engine: nothing.
        let events = t.replace("Backprop", "Attention");
        assert_eq!(parse(&events).unwrap().warnings(), vec![]);
        assert_eq!(
            parse(&learning("(rule: Backprop)")).unwrap().warnings(),
            vec![]
        );
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
