//! Checks that need the loaded data: the input and output neurons that faults and overrides name,
//! the output layer and expectations that suit the task, and whether the run fits in memory; and a
//! warning for faults timed after the run ends. They see only the data's [`DataShape`], never the samples or an engine.

use super::estimate::{estimate, size, MemoryEstimate};
use super::refs::{fmt_neuron, fmt_when};
use super::Problems;
use crate::memory::{Bytes, Limit, LIMIT_VAR};
use crate::scenario::{
    Expectation, Fault, LinkSelector, NeuronRef, OutputKind, Problem, Scenario, When,
};

/// What the checks need to know about the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataShape {
    /// Features per sample: the width of the input layer.
    pub features: usize,
    /// Outputs: classes for classification, targets for regression.
    pub outputs: usize,
    /// Samples in the training split.
    pub train_samples: usize,
    /// Samples in the test split.
    pub test_samples: usize,
    /// Classification or regression.
    pub task: TaskKind,
}

/// What the outputs mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// One class per sample.
    Classification,
    /// Real-valued targets.
    Regression,
}

/// Largest count of neurons, synapses or training samples: they are numbered with 32-bit integers.
const MAX_INDEX: u128 = u32::MAX as u128;

/// Every problem of `s` that needs the data's shape, with the memory limit of this process
/// ([`crate::memory::limit`]); empty when there is none.
pub fn validate_with_data(s: &Scenario, shape: &DataShape) -> Vec<Problem> {
    validate_with_data_within(s, shape, crate::memory::limit())
}

/// [`validate_with_data`] with the memory limit given: `Ok(None)` for none, `Err` for a limit that
/// could not be read (reported as a problem).
pub fn validate_with_data_within(
    s: &Scenario,
    shape: &DataShape,
    limit: Result<Option<Limit>, String>,
) -> Vec<Problem> {
    let mut out = Problems::default();
    check_task(&mut out, s, shape);
    check_indices(&mut out, s, shape);
    check_references(&mut out, s, shape);
    if s.evaluation.per_epoch > shape.train_samples.max(1) {
        out.push(
            "evaluation.per_epoch",
            s.evaluation.per_epoch,
            format!(
                "at most {} evaluations per epoch (one per training sample)",
                shape.train_samples.max(1)
            ),
        );
    }
    check_expectations(&mut out, s, shape);
    match limit {
        Ok(Some(limit)) => check_memory(&mut out, s, shape, limit),
        Ok(_) => {}
        Err(message) => out.push(format!("(environment) {LIMIT_VAR}"), "…", message),
    }
    out.0
}

fn check_task(out: &mut Problems, s: &Scenario, shape: &DataShape) {
    if s.network.output == OutputKind::Softmax && shape.task == TaskKind::Regression {
        out.push(
            "network.output",
            "Softmax",
            "Linear: the data is a regression task, and Softmax needs classes",
        );
    }
}

/// Neurons, synapses and training samples are numbered with 32-bit integers.
fn check_indices(out: &mut Problems, s: &Scenario, shape: &DataShape) {
    let size = size(s, shape);
    for (count, what) in [(size.neurons, "neurons"), (size.synapses, "synapses")] {
        if count > MAX_INDEX {
            out.push(
                "network.hidden",
                hidden_shown(s),
                format!(
                    "a network of at most {MAX_INDEX} {what} (this one has {count}, with {} \
                     inputs and {} outputs)",
                    shape.features, shape.outputs
                ),
            );
        }
    }
    let admitted = shape.train_samples as u128 * s.learning.epochs as u128;
    if admitted > u64::MAX as u128 || shape.train_samples as u128 > MAX_INDEX {
        out.push(
            "learning.epochs",
            s.learning.epochs,
            format!(
                "fewer epochs: {} training samples × {} epochs is more samples than a run can \
                 number",
                shape.train_samples, s.learning.epochs
            ),
        );
    }
}

/// `[w1, w2, ...]`, shortened.
fn hidden_shown(s: &Scenario) -> String {
    const SHOWN: usize = 6;
    let head: Vec<String> = s
        .network
        .hidden
        .iter()
        .take(SHOWN)
        .map(|w| w.to_string())
        .collect();
    let more = if s.network.hidden.len() > SHOWN {
        ", ..."
    } else {
        ""
    };
    format!("[{}{more}]", head.join(", "))
}

/// Each `Input(i)` and `Output(i)` named by a fault or a link override must be below the number of
/// features or outputs. Hidden neurons are [`super::validate`]'s business.
fn check_references(out: &mut Problems, s: &Scenario, shape: &DataShape) {
    let mut check = |path: String, n: NeuronRef| {
        let (i, width, name, unit) = match n {
            NeuronRef::Input(i) => (
                i,
                shape.features,
                "Input",
                ("feature", "features", "the data has"),
            ),
            NeuronRef::Output(i) => (
                i,
                shape.outputs,
                "Output",
                ("output", "outputs", "the network has"),
            ),
            NeuronRef::Hidden { .. } => return,
        };
        if i < width {
            return;
        }
        let (one, many, has) = unit;
        let accepted = match width {
            0 => format!("no {name}(i) ({has} no {many})"),
            1 => format!("{name}(0) ({has} 1 {one})"),
            w => format!("{name}(0) … {name}({}) ({has} {w} {many})", w - 1),
        };
        out.push(path, fmt_neuron(n), accepted);
    };
    for (i, o) in s.links.overrides.iter().enumerate() {
        if let LinkSelector::Between { from, to } = o.link {
            check(format!("links.overrides[{i}].link.from"), from);
            check(format!("links.overrides[{i}].link.to"), to);
        }
    }
    for (i, fault) in s.faults.iter().enumerate() {
        match fault {
            Fault::Crash { neuron, .. } => check(format!("faults[{i}].neuron"), *neuron),
            Fault::Cut { from, to, .. } => {
                check(format!("faults[{i}].from"), *from);
                check(format!("faults[{i}].to"), *to);
            }
            Fault::Partition { neurons, .. } => {
                for (j, &n) in neurons.iter().enumerate() {
                    check(format!("faults[{i}].neurons[{j}]"), n);
                }
            }
            Fault::RandomCrashes { .. } | Fault::RandomCuts { .. } => {}
        }
    }
}

/// What is not wrong but probably not meant, once the data's shape is known: a fault timed by a
/// sample position after the last sample enters never happens.
pub fn warnings_with_data(s: &Scenario, shape: &DataShape) -> Vec<Problem> {
    let mut out = Problems::default();
    check_timing(&mut out, s, shape);
    out.0
}

/// A fault timed by a sample position should start before the last sample enters.
fn check_timing(out: &mut Problems, s: &Scenario, shape: &DataShape) {
    let admitted = (shape.train_samples as u128).saturating_mul(s.learning.epochs as u128);
    for (i, fault) in s.faults.iter().enumerate() {
        let at = match fault {
            Fault::Crash { at, .. } | Fault::Cut { at, .. } | Fault::Partition { at, .. } => *at,
            Fault::RandomCrashes { .. } | Fault::RandomCuts { .. } => continue,
        };
        if let When::Sample(n) = at {
            if n as u128 >= admitted {
                out.push(
                    format!("faults[{i}].at"),
                    fmt_when(at),
                    format!(
                        "a sample position below {admitted} ({} training samples × {} epochs): \
                         the run ends before, so this fault never happens",
                        shape.train_samples, s.learning.epochs
                    ),
                );
            }
        }
    }
}

fn check_expectations(out: &mut Problems, s: &Scenario, shape: &DataShape) {
    if shape.task != TaskKind::Regression {
        return;
    }
    for (i, e) in s.expect.iter().enumerate() {
        if let Expectation::FinalTestAccuracy { at_least } = e {
            out.push(
                format!("expect[{i}]"),
                format!("FinalTestAccuracy(at_least: {})", super::F(*at_least)),
                "FinalTestR2(at_least: x) or FinalTestLoss(at_most: x): the data is a regression \
                 task, which has no accuracy",
            );
        }
    }
}

fn check_memory(out: &mut Problems, s: &Scenario, shape: &DataShape, limit: Limit) {
    let e: MemoryEstimate = estimate(s, shape);
    let total = e.total();
    if total <= limit.bytes {
        return;
    }
    let parts = format!(
        "data {}, network {}, trainer {}, schedule {}",
        Bytes(e.data),
        Bytes(e.network.max(e.build)),
        Bytes(e.trainer),
        Bytes(e.schedule)
    );
    let needs = format!(
        "about {} ({parts}), more than the {limit} that may be used",
        Bytes(total)
    );
    // Name the part that weighs most.
    let (path, value, smaller) = if e.schedule > e.network.max(e.build).max(e.trainer) {
        (
            "learning.epochs".to_string(),
            s.learning.epochs.to_string(),
            "fewer epochs",
        )
    } else if e.data > e.network.max(e.build).max(e.trainer) {
        ("data".to_string(), "…".to_string(), "a smaller dataset")
    } else {
        (
            "network.hidden".to_string(),
            hidden_shown(s),
            "a network that fits in memory",
        )
    };
    out.push(path, value, format!("{smaller}: this run needs {needs}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::LimitSource;
    use crate::scenario::test_util::*;

    const GB: u64 = 1 << 30;

    fn shape(features: usize, outputs: usize) -> DataShape {
        DataShape {
            features,
            outputs,
            train_samples: 100,
            test_samples: 25,
            task: TaskKind::Classification,
        }
    }

    fn check(s: &Scenario, shape: &DataShape) -> Vec<Problem> {
        let limit = Limit {
            bytes: 4 * GB,
            source: LimitSource::Environment,
        };
        validate_with_data_within(s, shape, Ok(Some(limit)))
    }

    #[test]
    fn scenario_shape_rules() {
        let s = parse(DIGITS_FAULTS).unwrap();
        let digits = DataShape {
            train_samples: 1438,
            test_samples: 359,
            ..shape(64, 10)
        };
        let t = DIGITS_FAULTS.replace("Cut(from: Input(5)", "Cut(from: Input(64)");
        let bad = parse(&t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            check(&bad, &digits),
            vec![p(
                "faults[1].from",
                "Input(64)",
                "Input(0) … Input(63) (the data has 64 features)"
            )]
        );
        let t = DIGITS_FAULTS.replace("Cut(from: Input(5)", "Cut(from: Input(63)");
        assert_eq!(check(&parse(&t).unwrap(), &digits), vec![]);
        assert_eq!(check(&s, &digits), vec![]);
        // Every input and output reference, in faults and overrides, in field order.
        let t = text(
            DATA,
            NET,
            LEARN,
            "links: (wait_timeout: 3, overrides: [\
                (link: Between(from: Input(2), to: Hidden(layer: 0, index: 0))), \
                (link: Between(from: Hidden(layer: 0, index: 0), to: Output(1)))]), \
             faults: [\
                Crash(neuron: Output(2), at: Tick(1), recover: None), \
                Cut(from: Input(0), to: Hidden(layer: 0, index: 1), at: Tick(1), repair: None), \
                Partition(neurons: [Input(1), Hidden(layer: 0, index: 0), Output(5)], at: Tick(1), repair: None), \
                RandomCuts(rate_per_sample: 0.1, mean_downtime_samples: 3)]",
        );
        let s = parse(&t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(check(&s, &shape(3, 6)), vec![]);
        assert_eq!(
            check(&s, &shape(2, 2)),
            vec![
                p(
                    "links.overrides[0].link.from",
                    "Input(2)",
                    "Input(0) … Input(1) (the data has 2 features)"
                ),
                p(
                    "faults[0].neuron",
                    "Output(2)",
                    "Output(0) … Output(1) (the network has 2 outputs)"
                ),
                p(
                    "faults[2].neurons[2]",
                    "Output(5)",
                    "Output(0) … Output(1) (the network has 2 outputs)"
                ),
            ]
        );
        assert_eq!(
            check(&s, &shape(1, 1)),
            vec![
                p(
                    "links.overrides[0].link.from",
                    "Input(2)",
                    "Input(0) (the data has 1 feature)"
                ),
                p(
                    "links.overrides[1].link.to",
                    "Output(1)",
                    "Output(0) (the network has 1 output)"
                ),
                p(
                    "faults[0].neuron",
                    "Output(2)",
                    "Output(0) (the network has 1 output)"
                ),
                p(
                    "faults[2].neurons[0]",
                    "Input(1)",
                    "Input(0) (the data has 1 feature)"
                ),
                p(
                    "faults[2].neurons[2]",
                    "Output(5)",
                    "Output(0) (the network has 1 output)"
                ),
            ]
        );
    }

    #[test]
    fn scenario_task_rules() {
        let regression = DataShape {
            task: TaskKind::Regression,
            ..shape(4, 1)
        };
        let s = parse(&extra(
            "expect: [FinalTestLoss(at_most: 1.0), FinalTestAccuracy(at_least: 0.9)]",
        ))
        .unwrap();
        assert_eq!(
            check(&s, &regression),
            vec![
                p(
                    "network.output",
                    "Softmax",
                    "Linear: the data is a regression task, and Softmax needs classes"
                ),
                p(
                    "expect[1]",
                    "FinalTestAccuracy(at_least: 0.9)",
                    "FinalTestR2(at_least: x) or FinalTestLoss(at_most: x): the data is a \
                     regression task, which has no accuracy"
                ),
            ]
        );
        assert_eq!(check(&s, &shape(4, 3)), vec![]);
    }

    #[test]
    fn scenario_faults_after_the_run_are_a_warning() {
        // 100 training samples, 10 epochs (the default): positions 0 to 999.
        let s = parse(&fault(
            "Crash(neuron: Input(0), at: Sample(999), recover: Sample(5000)), \
             Cut(from: Input(0), to: Hidden(layer: 0, index: 0), at: Sample(1000), repair: None), \
             Partition(neurons: [Input(1)], at: Tick(1000000), repair: None)",
        ))
        .unwrap();
        assert_eq!(check(&s, &shape(2, 2)), vec![]);
        assert_eq!(
            warnings_with_data(&s, &shape(2, 2)),
            vec![p(
                "faults[1].at",
                "Sample(1000)",
                "a sample position below 1000 (100 training samples × 10 epochs): the run ends \
                 before, so this fault never happens"
            )]
        );
    }

    #[test]
    fn scenario_evaluations_per_epoch_are_at_most_the_samples() {
        let s = parse(&extra("evaluation: (per_epoch: 101)")).unwrap();
        assert_eq!(
            check(&s, &shape(2, 2)),
            vec![p(
                "evaluation.per_epoch",
                "101",
                "at most 100 evaluations per epoch (one per training sample)"
            )]
        );
        let s = parse(&extra("evaluation: (per_epoch: 100)")).unwrap();
        assert_eq!(check(&s, &shape(2, 2)), vec![]);
    }

    #[test]
    fn scenario_networks_too_large_for_memory_are_refused() {
        let huge = parse(&network(
            "(hidden: [100000000, 100000000], activation: Tanh, output: Softmax)",
        ))
        .unwrap();
        // Beyond 32-bit synapse numbers: refused whatever the memory.
        let ps = validate_with_data_within(&huge, &shape(2, 2), Ok(None));
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert_eq!(ps[0].path, "network.hidden");
        assert!(
            ps[0].accepted.contains("at most 4294967295 synapses"),
            "{ps:#?}"
        );
        // 9·10⁸ synapses need tens of GB: refused under 4 GB, accepted without a limit.
        let large = parse(&network(
            "(hidden: [30000, 30000], activation: Tanh, output: Softmax)",
        ))
        .unwrap();
        let ps = check(&large, &shape(2, 2));
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert_eq!(ps[0].path, "network.hidden");
        assert_eq!(ps[0].value, "[30000, 30000]");
        let accepted = &ps[0].accepted;
        assert!(
            accepted.starts_with("a network that fits in memory: this run needs about "),
            "{accepted}"
        );
        assert!(
            accepted.contains("more than the 4.3 GB (set by"),
            "{accepted}"
        );
        assert!(
            accepted.contains("set by NEURAGENT_MEMORY_LIMIT"),
            "{accepted}"
        );
        assert_eq!(
            validate_with_data_within(&large, &shape(2, 2), Ok(None)),
            vec![]
        );
        let e = estimate(&large, &shape(2, 2));
        assert!(e.total() > 20 * GB && e.total() < 100 * GB, "{e:?}");
        // A small network fits easily.
        let small = parse(XOR).unwrap();
        assert!(estimate(&small, &shape(2, 2)).total() < 1 << 20);
        assert_eq!(check(&small, &shape(2, 2)), vec![]);
    }

    #[test]
    fn scenario_memory_names_the_part_that_weighs_most() {
        let long = parse(&learning("(rule: Attention, epochs: 100000000)")).unwrap();
        let ps = check(&long, &shape(2, 2));
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert_eq!(ps[0].path, "learning.epochs");
        assert!(ps[0].accepted.starts_with("fewer epochs: "), "{ps:#?}");
        // More samples than can be numbered.
        let endless = parse(&learning("(rule: Attention, epochs: 18446744073709551615)")).unwrap();
        let ps = check(&endless, &shape(2, 2));
        assert_eq!(ps[0].path, "learning.epochs", "{ps:#?}");
        assert!(ps[0]
            .accepted
            .contains("more samples than a run can number"));
        let ps = validate_with_data_within(&long, &shape(2, 2), Err("bad".into()));
        assert_eq!(
            ps,
            vec![p("(environment) NEURAGENT_MEMORY_LIMIT", "…", "bad")]
        );
    }

    #[test]
    fn scenario_estimate_grows_with_what_the_run_keeps() {
        let base = parse(&network(
            "(hidden: [1000, 1000], activation: Tanh, output: Softmax)",
        ))
        .unwrap();
        let shape = shape(100, 10);
        let plain = estimate(&base, &shape);
        let mut unreliable = base.clone();
        unreliable.links.wait_timeout = Some(10);
        unreliable.learning.in_flight = 4;
        let mut dense = base.clone();
        dense.learning.engine = Some(crate::scenario::Engine::Dense);
        let mut aligned = base.clone();
        aligned.evaluation.gradient_alignment = true;
        for other in [&unreliable, &dense, &aligned] {
            assert!(estimate(other, &shape).total() > plain.total());
        }
        // 1.1·10⁶ synapses at 20 bytes each, at least.
        assert!(plain.network >= 1_100_000 * 20, "{plain:?}");
        assert_eq!(plain.schedule, 100 * 10 * 8);
    }
}
