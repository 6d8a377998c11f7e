//! Neuron and layer references (of faults and link overrides): they must exist, and a pair must be
//! one that synapses can join.

use super::Problems;
use crate::scenario::{LayerRef, NeuronRef, Scenario, When};

/// Hidden neurons must exist; inputs and outputs are checked by `validate_with_data`. True when the
/// reference is fine as far as the scenario can tell.
pub(super) fn check_neuron(out: &mut Problems, s: &Scenario, path: &str, n: NeuronRef) -> bool {
    let hidden = &s.network.hidden;
    let NeuronRef::Hidden { layer, index } = n else {
        return true;
    };
    if hidden.get(layer).is_some_and(|&w| index < w) {
        return true;
    }
    let accepted = if hidden.is_empty() {
        "Input(i) or Output(i) (the network has no hidden layers)".to_string()
    } else {
        format!(
            "Hidden(layer: l, index: i) with l < {} and i < the width of layer l (hidden: {:?})",
            hidden.len(),
            hidden
        )
    };
    out.push(path, fmt_neuron(n), accepted);
    false
}

/// Hidden layers must exist.
pub(super) fn check_layer(out: &mut Problems, s: &Scenario, path: &str, l: LayerRef) -> bool {
    let n = s.network.hidden.len();
    let LayerRef::Hidden(h) = l else { return true };
    if h < n {
        return true;
    }
    let accepted = if n == 0 {
        "Input or Output (the network has no hidden layers)".to_string()
    } else {
        format!("Input, Hidden(0) to Hidden({}), or Output", n - 1)
    };
    out.push(path, fmt_layer(l), accepted);
    false
}

/// The synapse `from → to` (of a `Cut` or a `Between` override, `path` its parent): both neurons must
/// exist and be distinct, and `to` must be in a layer `from` feeds.
pub(super) fn check_synapse(
    out: &mut Problems,
    s: &Scenario,
    path: &str,
    from: NeuronRef,
    to: NeuronRef,
) {
    let from_ok = check_neuron(out, s, &format!("{path}.from"), from);
    let to_ok = check_neuron(out, s, &format!("{path}.to"), to);
    if !(from_ok && to_ok) {
        return;
    }
    if from == to {
        out.push(
            format!("{path}.to"),
            fmt_neuron(to),
            format!("a neuron other than from = {}", fmt_neuron(from)),
        );
        return;
    }
    check_order(
        out,
        s,
        path,
        Ends::Neurons,
        (neuron_rank(s, from), fmt_neuron(from)),
        (neuron_rank(s, to), fmt_neuron(to)),
    );
}

/// What `check_order` is looking at: two neurons, or two layers.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Ends {
    Neurons,
    Layers,
}

/// A synapse goes from layer rank `from` to layer rank `to`: to the next layer, or to any later one
/// with `skip: true`; the output layer feeds only the loss agent. `path` is the parent of the
/// `from`/`to` fields, which are shown as `from_shown`/`to_shown`.
pub(super) fn check_order(
    out: &mut Problems,
    s: &Scenario,
    path: &str,
    ends: Ends,
    (from, from_shown): (usize, String),
    (to, to_shown): (usize, String),
) {
    let last = s.network.hidden.len() + 1;
    let (a, of) = match ends {
        Ends::Neurons => ("a neuron of ", "'s"),
        Ends::Layers => ("", ""),
    };
    if from == last {
        let accepted = match ends {
            Ends::Neurons => "an input or hidden neuron (output neurons feed only the loss agent)",
            Ends::Layers => "Input or a hidden layer (the output layer feeds only the loss agent)",
        };
        out.push(format!("{path}.from"), from_shown, accepted);
    } else if !s.network.skip && to != from + 1 {
        out.push(
            format!("{path}.to"),
            to_shown,
            format!(
                "{a}the layer after from{of}, {} (synapses join consecutive layers when skip: false)",
                rank_name(s, from + 1)
            ),
        );
    } else if to <= from {
        let later = if from + 1 == last {
            "Output".to_string()
        } else {
            format!("{} to Output", rank_name(s, from + 1))
        };
        out.push(
            format!("{path}.to"),
            to_shown,
            format!(
                "{a}a layer after from{of}, {later} (synapses run from the input side to the output \
                 side)"
            ),
        );
    }
}

/// Position of a layer from the input side: `Input` 0, `Hidden(l)` l + 1, `Output` last.
pub(super) fn layer_rank(s: &Scenario, l: LayerRef) -> usize {
    match l {
        LayerRef::Input => 0,
        LayerRef::Hidden(h) => h + 1,
        LayerRef::Output => s.network.hidden.len() + 1,
    }
}

pub(super) fn neuron_rank(s: &Scenario, n: NeuronRef) -> usize {
    match n {
        NeuronRef::Input(_) => 0,
        NeuronRef::Hidden { layer, .. } => layer + 1,
        NeuronRef::Output(_) => s.network.hidden.len() + 1,
    }
}

/// The layer at `rank`, as written in a `LayerRef`.
fn rank_name(s: &Scenario, rank: usize) -> String {
    let n = s.network.hidden.len();
    fmt_layer(if rank == 0 {
        LayerRef::Input
    } else if rank > n {
        LayerRef::Output
    } else {
        LayerRef::Hidden(rank - 1)
    })
}

pub(super) fn fmt_neuron(n: NeuronRef) -> String {
    match n {
        NeuronRef::Input(i) => format!("Input({i})"),
        NeuronRef::Hidden { layer, index } => format!("Hidden(layer: {layer}, index: {index})"),
        NeuronRef::Output(i) => format!("Output({i})"),
    }
}

pub(super) fn fmt_layer(l: LayerRef) -> String {
    match l {
        LayerRef::Input => "Input".to_string(),
        LayerRef::Hidden(h) => format!("Hidden({h})"),
        LayerRef::Output => "Output".to_string(),
    }
}

pub(super) fn fmt_when(w: When) -> String {
    match w {
        When::Sample(n) => format!("Sample({n})"),
        When::Tick(t) => format!("Tick({t})"),
    }
}
