//! Checks of the `links` field: delays, drops, the wait timeout and per-link overrides.

use super::refs::{check_layer, check_order, check_synapse, fmt_layer, layer_rank, Ends};
use super::{check_probability, Problems, F, MAX_DELAY};
use crate::scenario::{Delay, LinkSelector, Scenario};

pub(super) fn check(out: &mut Problems, s: &Scenario) {
    let links = &s.links;
    check_delay(out, "links.forward_delay", links.forward_delay);
    check_delay(out, "links.attention_delay", links.attention_delay);
    check_probability(out, "links.drop_probability", links.drop_probability);
    if let Some(p) = links.forward_drop {
        check_probability(out, "links.forward_drop", p);
    }
    if let Some(p) = links.attention_drop {
        check_probability(out, "links.attention_drop", p);
    }
    match links.wait_timeout {
        Some(t) if !(1..=MAX_DELAY as u64).contains(&t) => {
            out.push(
                "links.wait_timeout",
                t,
                format!("a timeout of 1 to {MAX_DELAY} ticks, or None"),
            );
        }
        Some(_) => {}
        None => {
            if any_drop(s) || !s.faults.is_empty() {
                out.push(
                    "links.wait_timeout",
                    "None",
                    "Some(ticks) ≥ 1: messages can go missing (drops or faults), so neurons need a \
                     timeout",
                );
            }
        }
    }
    for (i, o) in links.overrides.iter().enumerate() {
        let at = format!("links.overrides[{i}]");
        match o.link {
            LinkSelector::Between { from, to } => {
                check_synapse(out, s, &format!("{at}.link"), from, to);
            }
            LinkSelector::Layers { from, to } => {
                let from_ok = check_layer(out, s, &format!("{at}.link.from"), from);
                let to_ok = check_layer(out, s, &format!("{at}.link.to"), to);
                if from_ok && to_ok {
                    check_order(
                        out,
                        s,
                        &format!("{at}.link"),
                        Ends::Layers,
                        (layer_rank(s, from), fmt_layer(from)),
                        (layer_rank(s, to), fmt_layer(to)),
                    );
                }
            }
        }
        if let Some(d) = o.forward_delay {
            check_delay(out, &format!("{at}.forward_delay"), d);
        }
        if let Some(d) = o.attention_delay {
            check_delay(out, &format!("{at}.attention_delay"), d);
        }
        if let Some(p) = o.forward_drop {
            check_probability(out, &format!("{at}.forward_drop"), p);
        }
        if let Some(p) = o.attention_drop {
            check_probability(out, &format!("{at}.attention_drop"), p);
        }
    }
}

/// Whether some message can be dropped: a drop probability > 0 anywhere (either direction, globally
/// or in an override; `drop_probability` counts unless both directions override it). Out-of-range
/// values count too: they are reported on their own.
pub(super) fn any_drop(s: &Scenario) -> bool {
    let l = &s.links;
    [l.forward_drop_probability(), l.attention_drop_probability()]
        .into_iter()
        .chain(l.overrides.iter().flat_map(|o| o.forward_drop))
        .chain(l.overrides.iter().flat_map(|o| o.attention_drop))
        .any(|p| p > 0.0)
}

/// A delay as RON writes it.
pub(super) fn fmt_delay(delay: Delay) -> String {
    match delay {
        Delay::Constant(t) => format!("Constant({t})"),
        Delay::Uniform { min, max } => format!("Uniform(min: {min}, max: {max})"),
        Delay::Exponential { mean } => format!("Exponential(mean: {})", F(mean)),
        Delay::LogNormal { mu, sigma } => format!("LogNormal(mu: {}, sigma: {})", F(mu), F(sigma)),
    }
}

fn check_delay(out: &mut Problems, path: &str, delay: Delay) {
    const NEGATIVE: &str = "a delay ≥ 0 ticks";
    let too_long = format!("a delay ≤ {MAX_DELAY} ticks");
    match delay {
        Delay::Constant(t) => {
            let value = fmt_delay(delay);
            if t < 0 {
                out.push(path, value, NEGATIVE);
            } else if t > MAX_DELAY {
                out.push(path, value, too_long);
            }
        }
        Delay::Uniform { min, max } => {
            let value = fmt_delay(delay);
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
        Delay::Exponential { mean } => {
            let value = fmt_delay(delay);
            if !(mean.is_finite() && mean > 0.0) {
                out.push(path, value, "a finite mean > 0 ticks");
            } else if mean > MAX_DELAY as f64 {
                out.push(path, value, format!("a mean ≤ {MAX_DELAY} ticks"));
            }
        }
        Delay::LogNormal { mu, sigma } => {
            let value = fmt_delay(delay);
            if !mu.is_finite() {
                out.push(path, &value, "a finite mu");
            }
            if !(sigma.is_finite() && sigma >= 0.0) {
                out.push(path, &value, "a finite sigma ≥ 0");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::test_util::*;

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
        // Drops are simulated (with a timeout).
        for p_ in ["0.5", "1.0", "0.001", "0.0"] {
            let t = extra(&format!(
                "links: (drop_probability: {p_}, wait_timeout: 10)"
            ));
            assert!(parse(&t).is_ok(), "{t}");
        }
        for p_ in ["1.5", "-0.1", "NaN", "inf"] {
            one(
                &extra(&format!(
                    "links: (drop_probability: {p_}, wait_timeout: 10)"
                )),
                "links.drop_probability",
                p_,
                "a probability in [0, 1]",
            );
        }
    }

    #[test]
    fn scenario_continuous_delay_rules() {
        for ok in [
            "Exponential(mean: 3.0)",
            "Exponential(mean: 0.001)",
            "Exponential(mean: 1000000000)",
            "LogNormal(mu: 1.0, sigma: 0.5)",
            "LogNormal(mu: -2.0, sigma: 0.0)",
        ] {
            let t = extra(&format!(
                "links: (forward_delay: {ok}, attention_delay: {ok})"
            ));
            assert!(parse(&t).is_ok(), "{t}");
        }
        for (mean, shown) in [
            ("0.0", "0.0"),
            ("-1", "-1.0"),
            ("inf", "inf"),
            ("NaN", "NaN"),
        ] {
            one(
                &extra(&format!(
                    "links: (forward_delay: Exponential(mean: {mean}))"
                )),
                "links.forward_delay",
                &format!("Exponential(mean: {shown})"),
                "a finite mean > 0 ticks",
            );
        }
        one(
            &extra("links: (attention_delay: Exponential(mean: 2e9))"),
            "links.attention_delay",
            "Exponential(mean: 2000000000.0)",
            "a mean ≤ 1000000000 ticks",
        );
        one(
            &extra("links: (attention_delay: LogNormal(mu: 1, sigma: -0.5))"),
            "links.attention_delay",
            "LogNormal(mu: 1.0, sigma: -0.5)",
            "a finite sigma ≥ 0",
        );
        one(
            &extra("links: (attention_delay: LogNormal(mu: 0.0, sigma: inf))"),
            "links.attention_delay",
            "LogNormal(mu: 0.0, sigma: inf)",
            "a finite sigma ≥ 0",
        );
        one(
            &extra("links: (forward_delay: LogNormal(mu: NaN, sigma: 1.0))"),
            "links.forward_delay",
            "LogNormal(mu: NaN, sigma: 1.0)",
            "a finite mu",
        );
        // Both faults of one delay are reported.
        let ps = problems(&extra(
            "links: (forward_delay: LogNormal(mu: -inf, sigma: NaN))",
        ));
        assert_eq!(
            ps,
            vec![
                p(
                    "links.forward_delay",
                    "LogNormal(mu: -inf, sigma: NaN)",
                    "a finite mu"
                ),
                p(
                    "links.forward_delay",
                    "LogNormal(mu: -inf, sigma: NaN)",
                    "a finite sigma ≥ 0"
                ),
            ]
        );
        // The integer delays keep their rules.
        one(
            &extra("links: (forward_delay: Uniform(min: 5, max: 2))"),
            "links.forward_delay",
            "Uniform(min: 5, max: 2)",
            "min ≤ max (here min 5 > max 2)",
        );
    }

    #[test]
    fn scenario_drop_probability_rules() {
        let t = extra("links: (drop_probability: 1.5, wait_timeout: 10)");
        one(
            &t,
            "links.drop_probability",
            "1.5",
            "a probability in [0, 1]",
        );
        for field in ["forward_drop", "attention_drop"] {
            for (v, shown) in [
                ("1.5", "1.5"),
                ("-0.5", "-0.5"),
                ("NaN", "NaN"),
                ("Some(2)", "2.0"),
            ] {
                one(
                    &extra(&format!("links: ({field}: {v}, wait_timeout: 10)")),
                    &format!("links.{field}"),
                    shown,
                    "a probability in [0, 1]",
                );
            }
            for v in ["0.0", "1.0", "Some(0.25)", "None"] {
                let t = extra(&format!("links: ({field}: {v}, wait_timeout: 10)"));
                assert!(parse(&t).is_ok(), "{t}");
            }
        }
        let s = parse(&extra(
            "links: (drop_probability: 0.1, attention_drop: 0.0, wait_timeout: 5)",
        ))
        .unwrap();
        assert_eq!(s.links.forward_drop_probability(), 0.1);
        assert_eq!(s.links.attention_drop_probability(), 0.0);
    }

    #[test]
    fn scenario_wait_timeout_rules() {
        const NEEDED: &str =
            "Some(ticks) ≥ 1: messages can go missing (drops or faults), so neurons \
                              need a timeout";
        // Drops anywhere, or any fault, need a timeout.
        for links in [
            "drop_probability: 0.05",
            "forward_drop: 0.1",
            "attention_drop: 1.0",
            "overrides: [(link: Layers(from: Input, to: Hidden(0)), forward_drop: 0.2)]",
            "overrides: [(link: Layers(from: Hidden(1), to: Output), attention_drop: 0.2)]",
        ] {
            one(&faulty(links, ""), "links.wait_timeout", "None", NEEDED);
            let t = faulty(&format!("{links}, wait_timeout: 1"), "");
            assert!(parse(&t).is_ok(), "{t}");
        }
        one(
            &faulty(
                "",
                "RandomCuts(rate_per_sample: 0.001, mean_downtime_samples: 10)",
            ),
            "links.wait_timeout",
            "None",
            NEEDED,
        );
        // A global probability counts unless both directions override it.
        one(
            &faulty("drop_probability: 0.3, forward_drop: 0.0", ""),
            "links.wait_timeout",
            "None",
            NEEDED,
        );
        // No drops: no timeout needed.
        for links in [
            "",
            "drop_probability: 0.0, forward_drop: 0.0",
            "drop_probability: 0.3, forward_drop: 0.0, attention_drop: 0.0",
            "overrides: [(link: Layers(from: Input, to: Hidden(0)), forward_drop: 0.0)]",
        ] {
            let t = faulty(links, "");
            assert_eq!(parse(&t).map(|s| s.validate()).ok(), Some(vec![]), "{t}");
        }
        one(
            &extra("links: (wait_timeout: 0)"),
            "links.wait_timeout",
            "0",
            "a timeout of 1 to 1000000000 ticks, or None",
        );
        one(
            &extra("links: (wait_timeout: 1000000001)"),
            "links.wait_timeout",
            "1000000001",
            "a timeout of 1 to 1000000000 ticks",
        );
        // A timeout without drops or faults is fine (it bounds delays), as is `Some(..)` written out.
        assert!(parse(&extra("links: (wait_timeout: Some(1000000000))")).is_ok());
    }

    #[test]
    fn scenario_link_override_rules() {
        for o in [
            "(link: Between(from: Input(0), to: Hidden(layer: 0, index: 3)), forward_delay: Constant(5))",
            "(link: Between(from: Hidden(layer: 1, index: 2), to: Output(0)), attention_drop: 0.5)",
            "(link: Layers(from: Hidden(0), to: Hidden(1)), forward_delay: Exponential(mean: 2.0), \
              attention_delay: LogNormal(mu: 0.0, sigma: 1.0), forward_drop: 1.0, attention_drop: 0.0)",
            "(link: Layers(from: Hidden(1), to: Output))",
        ] {
            let t = link_override(o);
            assert_eq!(parse(&t).map(|s| s.validate()).ok(), Some(vec![]), "{t}");
        }
        // Delays and drops of an override are checked like the global ones.
        let ps = problems(&link_override(
            "(link: Layers(from: Input, to: Hidden(0)), forward_delay: Uniform(min: 5, max: 2), \
              attention_delay: Exponential(mean: 0.0), forward_drop: 1.5, attention_drop: -1.0)",
        ));
        assert_eq!(
            ps,
            vec![
                p(
                    "links.overrides[0].forward_delay",
                    "Uniform(min: 5, max: 2)",
                    "min ≤ max (here min 5 > max 2)"
                ),
                p(
                    "links.overrides[0].attention_delay",
                    "Exponential(mean: 0.0)",
                    "a finite mean > 0 ticks"
                ),
                p(
                    "links.overrides[0].forward_drop",
                    "1.5",
                    "a probability in [0, 1]"
                ),
                p(
                    "links.overrides[0].attention_drop",
                    "-1.0",
                    "a probability in [0, 1]"
                ),
            ]
        );
        // Neurons and layers must exist, and the pair must be joined by synapses.
        one(
            &link_override("(link: Between(from: Input(0), to: Hidden(layer: 0, index: 4)))"),
            "links.overrides[0].link.to",
            "Hidden(layer: 0, index: 4)",
            "Hidden(layer: l, index: i) with l < 2",
        );
        one(
            &link_override("(link: Between(from: Input(0), to: Input(1)))"),
            "links.overrides[0].link.to",
            "Input(1)",
            "a neuron of the layer after from's, Hidden(0)",
        );
        one(
            &link_override("(link: Layers(from: Hidden(2), to: Output))"),
            "links.overrides[0].link.from",
            "Hidden(2)",
            "Input, Hidden(0) to Hidden(1), or Output",
        );
        one(
            &link_override("(link: Layers(from: Hidden(1), to: Hidden(0)))"),
            "links.overrides[0].link.to",
            "Hidden(0)",
            "the layer after from, Output (synapses join consecutive layers when skip: false)",
        );
        one(
            &link_override("(link: Layers(from: Input, to: Output))"),
            "links.overrides[0].link.to",
            "Output",
            "the layer after from, Hidden(0)",
        );
        one(
            &link_override("(link: Layers(from: Output, to: Output))"),
            "links.overrides[0].link.from",
            "Output",
            "Input or a hidden layer (the output layer feeds only the loss agent)",
        );
        // Skip connections join any earlier layer to any later one.
        let t = text(
            DATA,
            "(hidden: [4, 3], activation: Tanh, output: Softmax, skip: true)",
            LEARN,
            "links: (overrides: [(link: Layers(from: Input, to: Output), forward_delay: Constant(9))])",
        );
        assert!(parse(&t).is_ok(), "{t}");
        let t = text(
            DATA,
            "(hidden: [4, 3], activation: Tanh, output: Softmax, skip: true)",
            LEARN,
            "links: (overrides: [(link: Layers(from: Hidden(1), to: Hidden(1)))])",
        );
        one(
            &t,
            "links.overrides[0].link.to",
            "Hidden(1)",
            "a layer after from, Output (synapses",
        );
    }
}
