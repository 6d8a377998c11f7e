//! Checks of the `learning` field, and of what the engine it names can simulate.

use super::links::any_drop;
use super::{Problems, F};
use crate::scenario::{
    Engine, Estimator, OptimizerSpec, RateSchedule, RuleSpec, Scenario, SendPolicy, Step,
};

pub(super) fn check(out: &mut Problems, s: &Scenario) {
    let l = &s.learning;
    check_rule(out, l.rule);
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
    } else if l.batch_size > 1
        && needs_gradient_norm(l.rule)
        && (l.in_flight > 1 || s.links.wait_timeout.is_some() || !s.faults.is_empty())
    {
        out.push(
            "learning.batch_size",
            l.batch_size,
            "1, or reliable links (in_flight: 1, no wait_timeout, no faults): greedy neurons hold a \
             whole batch before paying attention",
        );
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
    check_rate_schedule(out, l.lr_schedule);
    check_dense_engine(out, s);
}

/// A decay factor in (0, 1] and at least one epoch between decays.
fn check_rate_schedule(out: &mut Problems, schedule: RateSchedule) {
    let factor = match schedule {
        RateSchedule::Constant => return,
        RateSchedule::StepDecay { every, factor } => {
            if every < 1 {
                out.push(
                    "learning.lr_schedule.every",
                    every,
                    "a whole number of epochs ≥ 1",
                );
            }
            factor
        }
        RateSchedule::Halfway { factor } => factor,
    };
    if !(factor > 0.0 && factor <= 1.0) {
        out.push(
            "learning.lr_schedule.factor",
            F(factor),
            "a factor in (0, 1], e.g. 0.1 to divide the rate by 10",
        );
    }
}

/// `EstimatedAttention`'s estimator and send policy.
fn check_rule(out: &mut Problems, rule: RuleSpec) {
    let RuleSpec::EstimatedAttention {
        estimator, send, ..
    } = rule
    else {
        return;
    };
    if let Estimator::Ema { decay } = estimator {
        if !(0.0..1.0).contains(&decay) {
            out.push(
                "learning.rule.estimator.decay",
                F(decay),
                "a decay in [0, 1)",
            );
        }
    }
    match send {
        SendPolicy::Always => {}
        SendPolicy::EveryK(k) => {
            if k < 1 {
                out.push(
                    "learning.rule.send",
                    format!("EveryK({k})"),
                    "EveryK(k) with k ≥ 1",
                );
            }
        }
        SendPolicy::Threshold(d) => {
            if !(d.is_finite() && d >= 0.0) {
                out.push(
                    "learning.rule.send",
                    format!("Threshold({})", F(d)),
                    "Threshold(δ) with δ finite, ≥ 0",
                );
            }
        }
    }
}

/// Whether `rule` needs a neuron's gradient norm over its whole batch before it pays attention.
fn needs_gradient_norm(rule: RuleSpec) -> bool {
    matches!(
        rule,
        RuleSpec::GreedyAttention
            | RuleSpec::EstimatedAttention {
                step: Step::Greedy,
                ..
            }
    )
}

fn message_features(s: &Scenario) -> Vec<&'static str> {
    let mut features = Vec::new();
    if matches!(s.learning.rule, RuleSpec::EstimatedAttention { .. }) {
        features.push("rule: EstimatedAttention");
    }
    if s.learning.in_flight > 1 {
        features.push("in_flight > 1");
    }
    if any_drop(s) {
        features.push("drop probabilities > 0");
    }
    if s.links.wait_timeout.is_some() {
        features.push("wait_timeout");
    }
    if !s.links.overrides.is_empty() {
        features.push("link overrides");
    }
    if !s.faults.is_empty() {
        features.push("faults");
    }
    features
}

fn check_dense_engine(out: &mut Problems, s: &Scenario) {
    if s.engine() != Engine::Dense {
        return;
    }
    let features = message_features(s);
    if features.is_empty() {
        return;
    }
    let here = features.join(", ");
    if s.learning.rule == RuleSpec::Backprop {
        out.push(
            "learning.rule",
            "Backprop",
            format!(
                "a rule the event engine simulates (rule: Attention is the event simulation of \
                 backprop): Backprop runs on the dense engine, which simulates no messages (here: \
                 {here})"
            ),
        );
    } else {
        out.push(
            "learning.engine",
            "Some(Dense)",
            format!("Events (the dense engine simulates no messages; here: {here})"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::test_util::*;
    use crate::scenario::*;

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
        // Pipelining is simulated.
        assert!(parse(&learning("(rule: Attention, in_flight: 4)")).is_ok());
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
    fn scenario_estimated_attention_rules() {
        for rule in [
            "EstimatedAttention(estimator: LastValue, send: Always)",
            "EstimatedAttention(estimator: Ema(decay: 0.0), send: EveryK(1))",
            "EstimatedAttention(estimator: Ema(decay: 0.999), send: Threshold(0.0), step: Greedy)",
            "EstimatedAttention(estimator: LastValue, send: Threshold(0.5), step: Gradient)",
        ] {
            let t = learning(&format!("(rule: {rule})"));
            assert_eq!(parse(&t).map(|s| s.validate()).ok(), Some(vec![]), "{t}");
        }
        for d in ["1.0", "-0.1", "NaN", "inf"] {
            one(
                &learning(&format!(
                    "(rule: EstimatedAttention(estimator: Ema(decay: {d}), send: Always))"
                )),
                "learning.rule.estimator.decay",
                d,
                "a decay in [0, 1)",
            );
        }
        one(
            &learning("(rule: EstimatedAttention(estimator: LastValue, send: EveryK(0)))"),
            "learning.rule.send",
            "EveryK(0)",
            "EveryK(k) with k ≥ 1",
        );
        for (d, shown) in [
            ("-0.5", "-0.5"),
            ("NaN", "NaN"),
            ("inf", "inf"),
            ("-1", "-1.0"),
        ] {
            one(
                &learning(&format!(
                    "(rule: EstimatedAttention(estimator: LastValue, send: Threshold({d})))"
                )),
                "learning.rule.send",
                &format!("Threshold({shown})"),
                "Threshold(δ) with δ finite, ≥ 0",
            );
        }
        // Both problems at once.
        let ps = problems(&learning(
            "(rule: EstimatedAttention(estimator: Ema(decay: 2.0), send: EveryK(0)))",
        ));
        let paths: Vec<&str> = ps.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            ["learning.rule.estimator.decay", "learning.rule.send"]
        );
    }

    #[test]
    fn scenario_greedy_batches_need_reliable_links() {
        const ACCEPTED: &str = "1, or reliable links (in_flight: 1, no wait_timeout, no faults): \
                                greedy neurons hold a whole batch before paying attention";
        let greedy_rules = [
            "GreedyAttention",
            "EstimatedAttention(estimator: LastValue, send: Always, step: Greedy)",
        ];
        for rule in greedy_rules {
            for (learn_extra, rest) in [
                ("in_flight: 2", ""),
                ("", "links: (wait_timeout: 5)"),
                (
                    "",
                    "links: (wait_timeout: 5), faults: [Crash(neuron: Input(0), at: Tick(9), recover: None)]",
                ),
            ] {
                let t = text(
                    DATA,
                    NET,
                    &format!("(rule: {rule}, batch_size: 8, {learn_extra})"),
                    rest,
                );
                let ps = problems(&t);
                assert_eq!(ps, vec![p("learning.batch_size", "8", ACCEPTED)], "{t}");
                // A batch of 1 is fine.
                let t = text(
                    DATA,
                    NET,
                    &format!("(rule: {rule}, batch_size: 1, {learn_extra})"),
                    rest,
                );
                assert!(parse(&t).is_ok(), "{t}");
            }
            // Reliable links with delays: fine.
            let t = text(
                DATA,
                NET,
                &format!("(rule: {rule}, batch_size: 8)"),
                "links: (forward_delay: Exponential(mean: 2.0), attention_delay: Uniform(min: 0, max: 9))",
            );
            assert!(parse(&t).is_ok(), "{t}");
        }
        // Rules that do not need the norm may batch over unreliable links.
        for rule in [
            "Attention",
            "FeedbackAlignment",
            "EstimatedAttention(estimator: LastValue, send: Always)",
        ] {
            let t = text(
                DATA,
                NET,
                &format!("(rule: {rule}, batch_size: 8, in_flight: 3)"),
                "links: (drop_probability: 0.1, wait_timeout: 5)",
            );
            assert!(parse(&t).is_ok(), "{t}");
        }
    }

    #[test]
    fn scenario_dense_engine_simulates_no_messages() {
        // Each message feature alone, with an explicit dense engine.
        for (learn, rest, here) in [
            (
                "(rule: EstimatedAttention(estimator: LastValue, send: Always), engine: Dense)",
                "",
                "rule: EstimatedAttention",
            ),
            ("(rule: Attention, in_flight: 2, engine: Dense)", "", "in_flight > 1"),
            (
                "(rule: Attention, engine: Dense)",
                "links: (attention_drop: 0.1, wait_timeout: 3)",
                "drop probabilities > 0, wait_timeout",
            ),
            (
                "(rule: GreedyAttention, engine: Some(Dense))",
                "links: (wait_timeout: 3)",
                "wait_timeout",
            ),
            (
                "(rule: FeedbackAlignment, engine: Dense)",
                "links: (overrides: [(link: Layers(from: Input, to: Hidden(0)), forward_delay: Constant(3))])",
                "link overrides",
            ),
            (
                "(rule: Attention, engine: Dense)",
                "links: (wait_timeout: 3), faults: [RandomCrashes(rate_per_sample: 0.01, mean_downtime_samples: 5)]",
                "wait_timeout, faults",
            ),
        ] {
            let t = text(DATA, NET, learn, rest);
            assert_eq!(
                problems(&t),
                vec![p(
                    "learning.engine",
                    "Some(Dense)",
                    &format!("Events (the dense engine simulates no messages; here: {here})")
                )],
                "{t}"
            );
        }
        // Backprop runs on the dense engine whether or not it is written: the rule is the problem.
        for learn in ["(rule: Backprop)", "(rule: Backprop, engine: Dense)"] {
            let t = text(DATA, NET, learn, "links: (wait_timeout: 3)");
            one(
                &t,
                "learning.rule",
                "Backprop",
                "rule: Attention is the event simulation of backprop): Backprop runs on the dense \
                 engine, which simulates no messages (here: wait_timeout)",
            );
        }
        // Delays alone are not an error on the dense engine (they are a warning, see
        // `warnings`).
        let t = text(
            DATA,
            NET,
            "(rule: Attention, engine: Dense)",
            "links: (forward_delay: LogNormal(mu: 1.0, sigma: 1.0))",
        );
        valid(&t);
    }

    #[test]
    fn scenario_rate_schedules() {
        for ok in [
            "(rule: Attention, lr_schedule: Constant)",
            "(rule: Attention, lr_schedule: StepDecay(every: 5, factor: 0.5))",
            "(rule: Attention, lr_schedule: Halfway(factor: 0.1), fresh_optimizer: false)",
            "(rule: Attention, lr_schedule: Halfway(factor: 1.0))",
        ] {
            valid(&learning(ok));
        }
        one(
            &learning("(rule: Attention, lr_schedule: StepDecay(every: 0, factor: 0.5))"),
            "learning.lr_schedule.every",
            "0",
            "a whole number of epochs ≥ 1",
        );
        for bad in ["0.0", "1.5", "-0.1", "NaN"] {
            one(
                &learning(&format!(
                    "(rule: Attention, lr_schedule: Halfway(factor: {bad}))"
                )),
                "learning.lr_schedule.factor",
                bad,
                "a factor in (0, 1]",
            );
        }
    }
}
