//! Value checks on a parsed [`Scenario`]: every problem is collected, none stops the others.
//!
//! Syntax and schema errors (unknown fields, wrong types) are the RON parser's business; this module only
//! looks at values that parsed fine but cannot be run. Whether a CSV file exists is checked when the data
//! is loaded, not here.

use std::fmt;

use super::{
    Connectivity, DataSpec, Delay, Engine, Estimator, Expectation, Fault, LayerRef, LinkSelector,
    NeuronRef, OptimizerSpec, RuleSpec, Scenario, SendPolicy, Step, When,
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
    check_faults(&mut out, s);
    if s.evaluation.per_epoch < 1 {
        out.push("evaluation.per_epoch", 0, "an integer ≥ 1");
    }
    check_expect(&mut out, &s.expect);
    check_sweep_additions(&mut out, s);
    out.0
}

/// Checks of the fields added for the sweep work: `check.min_pass_rate`, and that
/// `AlignmentWithBackprop` has the alignment it reads measured.
fn check_sweep_additions(out: &mut Problems, s: &Scenario) {
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
                "evaluation: (gradient_alignment: true) in the scenario, so that the alignment is measured",
            );
        }
    }
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
    check_dense_engine(out, s);
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

/// Whether some message can be dropped: a drop probability > 0 anywhere (either direction, globally
/// or in an override; `drop_probability` counts unless both directions override it). Out-of-range
/// values count too: they are reported on their own.
fn any_drop(s: &Scenario) -> bool {
    let l = &s.links;
    [l.forward_drop_probability(), l.attention_drop_probability()]
        .into_iter()
        .chain(l.overrides.iter().flat_map(|o| o.forward_drop))
        .chain(l.overrides.iter().flat_map(|o| o.attention_drop))
        .any(|p| p > 0.0)
}

/// The dense engine simulates no messages: what a scenario asks of messages, as a list for the
/// `learning.engine` (or `learning.rule`) problem.
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

fn check_links(out: &mut Problems, s: &Scenario) {
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

fn check_probability(out: &mut Problems, path: &str, p: f64) {
    if !(0.0..=1.0).contains(&p) {
        out.push(path, F(p), "a probability in [0, 1]");
    }
}

fn check_faults(out: &mut Problems, s: &Scenario) {
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

/// Hidden neurons must exist; inputs and outputs are checked by [`validate_shape`]. True when the
/// reference is fine as far as the scenario can tell.
fn check_neuron(out: &mut Problems, s: &Scenario, path: &str, n: NeuronRef) -> bool {
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
fn check_layer(out: &mut Problems, s: &Scenario, path: &str, l: LayerRef) -> bool {
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
fn check_synapse(out: &mut Problems, s: &Scenario, path: &str, from: NeuronRef, to: NeuronRef) {
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
enum Ends {
    Neurons,
    Layers,
}

/// A synapse goes from layer rank `from` to layer rank `to`: to the next layer, or to any later one
/// with `skip: true`; the output layer feeds only the loss agent. `path` is the parent of the
/// `from`/`to` fields, which are shown as `from_shown`/`to_shown`.
fn check_order(
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
fn layer_rank(s: &Scenario, l: LayerRef) -> usize {
    match l {
        LayerRef::Input => 0,
        LayerRef::Hidden(h) => h + 1,
        LayerRef::Output => s.network.hidden.len() + 1,
    }
}

fn neuron_rank(s: &Scenario, n: NeuronRef) -> usize {
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

fn fmt_neuron(n: NeuronRef) -> String {
    match n {
        NeuronRef::Input(i) => format!("Input({i})"),
        NeuronRef::Hidden { layer, index } => format!("Hidden(layer: {layer}, index: {index})"),
        NeuronRef::Output(i) => format!("Output({i})"),
    }
}

fn fmt_layer(l: LayerRef) -> String {
    match l {
        LayerRef::Input => "Input".to_string(),
        LayerRef::Hidden(h) => format!("Hidden({h})"),
        LayerRef::Output => "Output".to_string(),
    }
}

fn fmt_when(w: When) -> String {
    match w {
        When::Sample(n) => format!("Sample({n})"),
        When::Tick(t) => format!("Tick({t})"),
    }
}

/// Every problem that needs the data's shape: each `Input(i)` and `Output(i)` named by a fault or a
/// link override must be below `inputs` or `outputs`. Hidden neurons are [`validate`]'s business.
pub(super) fn validate_shape(s: &Scenario, inputs: usize, outputs: usize) -> Vec<Problem> {
    let mut out = Problems::default();
    let mut check = |path: String, n: NeuronRef| {
        let (i, width, name, unit) = match n {
            NeuronRef::Input(i) => (i, inputs, "Input", ("feature", "features", "the data has")),
            NeuronRef::Output(i) => (
                i,
                outputs,
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
    out.0
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
        Delay::Exponential { mean } => {
            let value = format!("Exponential(mean: {})", F(mean));
            if !(mean.is_finite() && mean > 0.0) {
                out.push(path, value, "a finite mean > 0 ticks");
            } else if mean > MAX_DELAY as f64 {
                out.push(path, value, format!("a mean ≤ {MAX_DELAY} ticks"));
            }
        }
        Delay::LogNormal { mu, sigma } => {
            let value = format!("LogNormal(mu: {}, sigma: {})", F(mu), F(sigma));
            if !mu.is_finite() {
                out.push(path, &value, "a finite mu");
            }
            if !(sigma.is_finite() && sigma >= 0.0) {
                out.push(path, &value, "a finite sigma ≥ 0");
            }
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
            // Added for the sweep work.
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
    use std::path::Path;

    use super::super::{MissingInput, Scenario, ScenarioError};
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
                "learning.engine",
                "links.forward_delay",
                "links.attention_delay",
                "links.drop_probability",
                "links.wait_timeout",
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

    /// The scenario of the fault-model brief: every new field at once.
    const DIGITS_FAULTS: &str = r#"
Scenario(
    name: "digits-faults",
    seed: 11,
    data: Builtin(name: "digits", test_fraction: 0.2),
    network: (hidden: [32], activation: Tanh, output: Softmax),
    learning: (
        rule: EstimatedAttention(estimator: Ema(decay: 0.9), send: Always),
        optimizer: Sgd(lr: 0.02), batch_size: 1, epochs: 15, in_flight: 4,
    ),
    links: (
        forward_delay: Exponential(mean: 3.0),
        attention_delay: Uniform(min: 1, max: 8),
        drop_probability: 0.05,
        wait_timeout: 40,
        missing_input: LastValue,
    ),
    faults: [
        Crash(neuron: Hidden(layer: 0, index: 3), at: Sample(3000), recover: Some(Sample(6000)), lose_state: false),
        Cut(from: Input(5), to: Hidden(layer: 0, index: 2), at: Sample(1000), repair: None),
        RandomCrashes(rate_per_sample: 0.0002, mean_downtime_samples: 300),
    ],
    expect: [FinalTestAccuracy(at_least: 0.80)],
)
"#;

    /// A valid scenario with `links` and `faults` substituted (network `hidden: [4, 3]`).
    fn faulty(links: &str, faults: &str) -> String {
        text(
            DATA,
            "(hidden: [4, 3], activation: Tanh, output: Softmax)",
            LEARN,
            &format!("links: ({links}), faults: [{faults}]"),
        )
    }

    /// `faulty` with a wait timeout, so that faults alone are the point.
    fn fault(f: &str) -> String {
        faulty("wait_timeout: 10", f)
    }

    /// An override in a scenario with a wait timeout.
    fn link_override(o: &str) -> String {
        faulty(&format!("wait_timeout: 10, overrides: [{o}]"), "")
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
        // Digits has 64 features and 10 classes.
        assert_eq!(s.validate_shape(64, 10), vec![]);
        // It round-trips through the resolved form.
        let back = parse(&s.to_ron()).unwrap_or_else(|e| panic!("{e}\n{}", s.to_ron()));
        let mut resolved = s.clone();
        resolved.learning.engine = Some(Engine::Events);
        assert_eq!(back, resolved, "{}", s.to_ron());
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
        // Delays alone are fine on the dense engine.
        let t = text(
            DATA,
            NET,
            "(rule: Attention, engine: Dense)",
            "links: (forward_delay: LogNormal(mu: 1.0, sigma: 1.0))",
        );
        assert!(parse(&t).is_ok());
    }

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

    #[test]
    fn scenario_shape_rules() {
        let s = parse(DIGITS_FAULTS).unwrap();
        let t = DIGITS_FAULTS.replace("Cut(from: Input(5)", "Cut(from: Input(64)");
        let bad = parse(&t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bad.validate(), vec![]);
        assert_eq!(
            bad.validate_shape(64, 10),
            vec![p(
                "faults[1].from",
                "Input(64)",
                "Input(0) … Input(63) (the data has 64 features)"
            )]
        );
        let t = DIGITS_FAULTS.replace("Cut(from: Input(5)", "Cut(from: Input(63)");
        assert_eq!(parse(&t).unwrap().validate_shape(64, 10), vec![]);
        assert_eq!(s.validate_shape(64, 10), vec![]);
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
        assert_eq!(s.validate_shape(3, 6), vec![]);
        assert_eq!(
            s.validate_shape(2, 2),
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
            s.validate_shape(1, 1),
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

    /// docs/scenarios.md shows actual output: every complete `ron` example there validates clean, and
    /// every `ron` example followed by an `invalid scenario` block gives exactly that message.
    #[test]
    fn scenario_docs_examples_are_actual_output() {
        let doc = include_str!("../../docs/scenarios.md");
        let mut blocks: Vec<(&str, String)> = Vec::new();
        let mut lines = doc.lines();
        while let Some(line) = lines.next() {
            if let Some(lang) = line.strip_prefix("```") {
                let mut body = String::new();
                for l in lines.by_ref() {
                    if l.starts_with("```") {
                        break;
                    }
                    body.push_str(l);
                    body.push('\n');
                }
                blocks.push((lang, body));
            }
        }
        let (mut valid, mut invalid) = (0, 0);
        for (i, (lang, body)) in blocks.iter().enumerate() {
            if *lang != "ron" {
                continue;
            }
            let expected = blocks
                .get(i + 1)
                .filter(|(l, b)| *l == "text" && b.contains(": invalid scenario:"));
            match expected {
                Some((_, expected)) => {
                    let path = expected.split(": invalid scenario:").next().unwrap();
                    let e = Scenario::parse(body, Path::new(path))
                        .map(|s| format!("valid: {s:?}"))
                        .unwrap_or_else(|e| e.to_string());
                    assert_eq!(e, expected.trim_end(), "{body}");
                    invalid += 1;
                }
                None => {
                    let s = Scenario::parse(body, Path::new("doc.ron"))
                        .unwrap_or_else(|e| panic!("{e}\n{body}"));
                    assert_eq!(s.validate_shape(64, 10), vec![], "{body}");
                    valid += 1;
                }
            }
        }
        assert_eq!((valid, invalid), (3, 3));
        // The shape example.
        let shown = blocks
            .iter()
            .find(|(l, b)| *l == "text" && b.starts_with("faults[0].from = Input(64)"))
            .expect("the validate_shape example");
        let mut s = parse(DIGITS_FAULTS).unwrap();
        s.faults = vec![
            Fault::Cut {
                from: NeuronRef::Input(64),
                to: NeuronRef::Hidden { layer: 0, index: 0 },
                at: When::Sample(0),
                repair: None,
            },
            Fault::Crash {
                neuron: NeuronRef::Output(10),
                at: When::Sample(0),
                recover: None,
                lose_state: false,
            },
        ];
        let got: Vec<String> = s
            .validate_shape(64, 10)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(got.join("\n"), shown.1.trim_end());
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
