//! Checks of the `network` field.

use super::{Problems, F};
use crate::scenario::{Connectivity, Scenario};

/// Most hidden layers a network may have.
const MAX_HIDDEN_LAYERS: usize = 64;

pub(super) fn check(out: &mut Problems, s: &Scenario) {
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

#[cfg(test)]
mod tests {
    use crate::scenario::test_util::*;

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
}
