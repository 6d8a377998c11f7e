//! Checks of the `evaluation` and `expect` fields.

use super::{Problems, F};
use crate::scenario::{Expectation, Scenario};

pub(super) fn check(out: &mut Problems, s: &Scenario) {
    if s.evaluation.per_epoch < 1 {
        out.push("evaluation.per_epoch", 0, "an integer ≥ 1");
    }
    check_expect(out, &s.expect);
    let rate = s.check.min_pass_rate;
    if !(0.0..=1.0).contains(&rate) {
        out.push("check.min_pass_rate", F(rate), "a fraction in [0, 1]");
    }
    for (i, e) in s.expect.iter().enumerate() {
        if matches!(e, Expectation::AlignmentWithBackprop { .. })
            && !s.evaluation.gradient_alignment
        {
            out.push(
                format!("expect[{i}]"),
                e.name(),
                "evaluation: (gradient_alignment: true) in the scenario, so that the alignment is \
                 measured",
            );
        }
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
            Expectation::LossDecrease {
                factor,
                within_samples,
            } => {
                if !(factor.is_finite() && factor > 1.0) {
                    out.push(
                        format!("expect[{i}].factor"),
                        F(factor),
                        "a finite factor > 1 (how many times smaller the loss must get)",
                    );
                }
                if within_samples < 1 {
                    out.push(
                        format!("expect[{i}].within_samples"),
                        within_samples,
                        "a number of training samples ≥ 1",
                    );
                }
            }
            Expectation::AlignmentWithBackprop { at_least } => {
                if !(-1.0..=1.0).contains(&at_least) {
                    out.push(
                        format!("expect[{i}].at_least"),
                        F(at_least),
                        "a cosine in [-1, 1]",
                    );
                }
            }
            Expectation::NoDivergence => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::test_util::*;

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
}
