//! Checks of the `faults` field.

use super::refs::{check_neuron, check_synapse, fmt_neuron, fmt_when};
use super::{check_probability, Problems, F};
use crate::scenario::{Fault, Scenario, When};

pub(super) fn check(out: &mut Problems, s: &Scenario) {
    for (i, fault) in s.faults.iter().enumerate() {
        let at_path = format!("faults[{i}]");
        match fault {
            Fault::Crash {
                neuron,
                at,
                recover,
                ..
            } => {
                check_neuron(out, s, &format!("{at_path}.neuron"), *neuron);
                check_after(out, &format!("{at_path}.recover"), *at, *recover);
            }
            Fault::Cut {
                from,
                to,
                at,
                repair,
            } => {
                check_synapse(out, s, &at_path, *from, *to);
                check_after(out, &format!("{at_path}.repair"), *at, *repair);
            }
            Fault::Partition {
                neurons,
                at,
                repair,
            } => {
                if neurons.is_empty() {
                    out.push(format!("{at_path}.neurons"), "[]", "at least one neuron");
                }
                for (j, &n) in neurons.iter().enumerate() {
                    let path = format!("{at_path}.neurons[{j}]");
                    check_neuron(out, s, &path, n);
                    if let Some(k) = neurons[..j].iter().position(|&m| m == n) {
                        out.push(
                            path,
                            fmt_neuron(n),
                            format!("each neuron once (it is also neurons[{k}])"),
                        );
                    }
                }
                check_after(out, &format!("{at_path}.repair"), *at, *repair);
            }
            Fault::RandomCrashes {
                rate_per_sample,
                mean_downtime_samples,
                ..
            }
            | Fault::RandomCuts {
                rate_per_sample,
                mean_downtime_samples,
            } => {
                check_probability(out, &format!("{at_path}.rate_per_sample"), *rate_per_sample);
                let m = *mean_downtime_samples;
                if !(m.is_finite() && m > 0.0) {
                    out.push(
                        format!("{at_path}.mean_downtime_samples"),
                        F(m),
                        "a finite number of samples > 0",
                    );
                }
            }
        }
    }
}

/// `end` (a recovery or repair) must come after `at` when both count the same thing.
fn check_after(out: &mut Problems, path: &str, at: When, end: Option<When>) {
    let Some(end) = end else { return };
    let later = match (at, end) {
        (When::Sample(a), When::Sample(e)) | (When::Tick(a), When::Tick(e)) => e > a,
        _ => true,
    };
    if !later {
        out.push(
            path,
            format!("Some({})", fmt_when(end)),
            format!("a time after at = {}, or None for never", fmt_when(at)),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::test_util::*;

    #[test]
    fn scenario_fault_rules() {
        // Valid faults of every kind.
        for f in [
            "Crash(neuron: Hidden(layer: 1, index: 2), at: Sample(5), recover: Some(Sample(6)))",
            "Crash(neuron: Input(100), at: Tick(5), recover: Some(Sample(1)), lose_state: true)",
            "Crash(neuron: Output(0), at: Sample(5), recover: None)",
            "Cut(from: Input(0), to: Hidden(layer: 0, index: 3), at: Tick(0), repair: Some(Tick(1)))",
            "Cut(from: Hidden(layer: 1, index: 0), to: Output(7), at: Sample(0), repair: None)",
            "Partition(neurons: [Hidden(layer: 0, index: 0), Hidden(layer: 0, index: 1), Input(3)], at: Sample(10), repair: Some(Sample(20)))",
            "RandomCrashes(rate_per_sample: 0.0, mean_downtime_samples: 0.5, lose_state: true)",
            "RandomCrashes(rate_per_sample: 1.0, mean_downtime_samples: 300)",
            "RandomCuts(rate_per_sample: 0.001, mean_downtime_samples: 1e6)",
        ] {
            let t = fault(f);
            assert_eq!(parse(&t).map(|s| s.validate()).ok(), Some(vec![]), "{t}");
        }
        const HIDDEN: &str =
            "Hidden(layer: l, index: i) with l < 2 and i < the width of layer l (hidden: [4, 3])";
        for bad in ["Hidden(layer: 2, index: 0)", "Hidden(layer: 1, index: 3)"] {
            one(
                &fault(&format!(
                    "Crash(neuron: {bad}, at: Sample(1), recover: None)"
                )),
                "faults[0].neuron",
                bad,
                HIDDEN,
            );
        }
        // Recovery and repair come after the fault when both count the same thing.
        for (at, end) in [("Sample(5)", "Sample(5)"), ("Tick(9)", "Tick(2)")] {
            one(
                &fault(&format!(
                    "Crash(neuron: Input(0), at: {at}, recover: Some({end}))"
                )),
                "faults[0].recover",
                &format!("Some({end})"),
                &format!("a time after at = {at}, or None for never"),
            );
            one(
                &fault(&format!(
                    "Partition(neurons: [Input(0)], at: {at}, repair: {end})"
                )),
                "faults[0].repair",
                &format!("Some({end})"),
                &format!("a time after at = {at}"),
            );
        }
        one(
            &fault("Cut(from: Input(0), to: Hidden(layer: 0, index: 0), at: Sample(7), repair: Sample(0))"),
            "faults[0].repair",
            "Some(Sample(0))",
            "a time after at = Sample(7)",
        );
        // Cut: distinct neurons, a real layer pair.
        one(
            &fault("Cut(from: Hidden(layer: 0, index: 1), to: Hidden(layer: 0, index: 1), at: Tick(1), repair: None)"),
            "faults[0].to",
            "Hidden(layer: 0, index: 1)",
            "a neuron other than from = Hidden(layer: 0, index: 1)",
        );
        one(
            &fault("Cut(from: Input(0), to: Hidden(layer: 1, index: 0), at: Tick(1), repair: None)"),
            "faults[0].to",
            "Hidden(layer: 1, index: 0)",
            "a neuron of the layer after from's, Hidden(0) (synapses join consecutive layers when skip: false)",
        );
        one(
            &fault(
                "Cut(from: Hidden(layer: 1, index: 0), to: Input(0), at: Tick(1), repair: None)",
            ),
            "faults[0].to",
            "Input(0)",
            "a neuron of the layer after from's, Output",
        );
        one(
            &fault("Cut(from: Output(1), to: Output(0), at: Tick(1), repair: None)"),
            "faults[0].from",
            "Output(1)",
            "an input or hidden neuron (output neurons feed only the loss agent)",
        );
        // With skip connections any later layer will do, but not an earlier one.
        let skip = |f: &str| {
            text(
                DATA,
                "(hidden: [4, 3], activation: Tanh, output: Softmax, skip: true)",
                LEARN,
                &format!("links: (wait_timeout: 10), faults: [{f}]"),
            )
        };
        assert!(parse(&skip(
            "Cut(from: Input(0), to: Output(1), at: Tick(1), repair: None)"
        ))
        .is_ok());
        one(
            &skip("Cut(from: Hidden(layer: 1, index: 0), to: Hidden(layer: 0, index: 0), at: Tick(1), repair: None)"),
            "faults[0].to",
            "Hidden(layer: 0, index: 0)",
            "a neuron of a layer after from's, Output (synapses run from the input side to the output side)",
        );
        // Both ends of a cut are checked.
        let ps = problems(&fault(
            "Cut(from: Hidden(layer: 5, index: 0), to: Hidden(layer: 0, index: 9), at: Tick(1), repair: None)",
        ));
        assert_eq!(
            ps,
            vec![
                p("faults[0].from", "Hidden(layer: 5, index: 0)", HIDDEN),
                p("faults[0].to", "Hidden(layer: 0, index: 9)", HIDDEN),
            ]
        );
        // Partition: not empty, each neuron once, each one exists.
        one(
            &fault("Partition(neurons: [], at: Tick(1), repair: None)"),
            "faults[0].neurons",
            "[]",
            "at least one neuron",
        );
        let ps = problems(&fault(
            "Partition(neurons: [Input(1), Hidden(layer: 0, index: 4), Input(2), Input(1)], at: Tick(1), repair: None)",
        ));
        assert_eq!(
            ps,
            vec![
                p("faults[0].neurons[1]", "Hidden(layer: 0, index: 4)", HIDDEN),
                p(
                    "faults[0].neurons[3]",
                    "Input(1)",
                    "each neuron once (it is also neurons[0])"
                ),
            ]
        );
        // Random processes.
        for kind in ["RandomCrashes", "RandomCuts"] {
            for (r, shown) in [("1.5", "1.5"), ("-0.1", "-0.1"), ("NaN", "NaN")] {
                one(
                    &fault(&format!(
                        "{kind}(rate_per_sample: {r}, mean_downtime_samples: 5)"
                    )),
                    "faults[0].rate_per_sample",
                    shown,
                    "a probability in [0, 1]",
                );
            }
            for (m, shown) in [("0", "0.0"), ("-3", "-3.0"), ("inf", "inf"), ("NaN", "NaN")] {
                one(
                    &fault(&format!(
                        "{kind}(rate_per_sample: 0.1, mean_downtime_samples: {m})"
                    )),
                    "faults[0].mean_downtime_samples",
                    shown,
                    "a finite number of samples > 0",
                );
            }
        }
        // Without hidden layers.
        let t = text(
            DATA,
            "(hidden: [], activation: Tanh, output: Softmax)",
            LEARN,
            "links: (wait_timeout: 10), faults: [Crash(neuron: Hidden(layer: 0, index: 0), at: Tick(1), recover: None)]",
        );
        one(
            &t,
            "faults[0].neuron",
            "Hidden(layer: 0, index: 0)",
            "Input(i) or Output(i) (the network has no hidden layers)",
        );
        // The problems of several faults are reported in order.
        let ps = problems(&fault(
            "RandomCuts(rate_per_sample: 2, mean_downtime_samples: 1), \
             Crash(neuron: Hidden(layer: 9, index: 0), at: Tick(1), recover: None)",
        ));
        let paths: Vec<&str> = ps.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["faults[0].rate_per_sample", "faults[1].neuron"]);
    }

    #[test]
    fn scenario_fault_in_missing_hidden_layer_is_rejected() {
        // The digits example has one hidden layer of 32.
        let t = DIGITS_FAULTS.replace(
            "Crash(neuron: Hidden(layer: 0, index: 3)",
            "Crash(neuron: Hidden(layer: 3, index: 0)",
        );
        one(
            &t,
            "faults[0].neuron",
            "Hidden(layer: 3, index: 0)",
            "Hidden(layer: l, index: i) with l < 1 and i < the width of layer l (hidden: [32])",
        );
    }
}
