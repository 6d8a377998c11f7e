//! What each field of the schema accepts, in words, for the messages of type errors.
//!
//! A field is described by its own entry (by the struct or `Enum::Variant` it belongs to and its
//! name), else by its type's entry, else by its primitive type. The texts follow the "accepted"
//! column of `docs/scenarios.md`; a test checks that every field of a complete scenario has one.

use super::walk::Seen;

/// Describes what `container.field` accepts; `seen` is the type serde asked for and `raw` the text
/// found (used to suggest a near name).
pub(super) fn describe(container: &str, field: &str, seen: Seen, raw: &str) -> String {
    let mut text = match (for_field(container, field), seen) {
        (Some(text), _) => text.to_string(),
        (None, Seen::Struct(name)) => {
            for_type(name).map_or_else(|| format!("a {name}"), str::to_string)
        }
        (None, Seen::Enum(name, variants)) => match for_type(name) {
            Some(text) => text.to_string(),
            None => {
                let mut text = format!("one of {}", or_list(variants));
                if let Some(near) = nearest(leading_ident(raw), variants) {
                    text += &format!(" (did you mean {near}?)");
                }
                text
            }
        },
        (None, Seen::Seq) => "a list [..]".to_string(),
        (None, Seen::Primitive(kind)) => primitive(kind).to_string(),
        (None, Seen::Nothing) => "a value of another form".to_string(),
    };
    if let Seen::Struct(name) = seen {
        let written = leading_ident(raw);
        if !written.is_empty() && written != name {
            text +=
                &format!(" (a name in front is optional, but it must be {name}, not {written})");
        }
    }
    text
}

/// What an unknown field `key` of `container` (whose fields are `fields`) should have been.
pub(super) fn unknown_field(container: &str, fields: &[&str], key: &str) -> String {
    let short = container.rsplit("::").next().unwrap_or(container);
    let mut text = if fields.is_empty() {
        format!("no field named {key} in {short}")
    } else {
        format!("a field of {short}: {}", or_list(fields))
    };
    if let Some(near) = nearest(key, fields) {
        text += &format!(" (did you mean {near}?)");
    }
    text
}

/// The entry of `field` in `container` (a struct name or `Enum::Variant`; an entry for the enum
/// covers all its variants).
pub(super) fn for_field(container: &str, field: &str) -> Option<&'static str> {
    const BOOL: &str = "true or false";
    const PROBABILITY: &str = "a probability in [0, 1]";
    const AT_LEAST_ONE: &str = "a whole number ≥ 1";
    const OPTIONAL_WHEN: &str = "Sample(n) or Tick(t) (bare or in Some(..)), or None for never";
    let exact = match (container, field) {
        ("", "") => Some(
            "Scenario(name: .., data: .., network: .., learning: ..), with the optional fields seed, \
             seeds, links, faults, evaluation, expect and check",
        ),
        ("Scenario", "name") => Some(
            "a name in double quotes, made of ASCII letters, digits, '-', '_' and '.', e.g. \"xor-1\"",
        ),
        ("Scenario", "seed") => Some("a whole number from 0 to 18446744073709551615"),
        ("Scenario", "seeds") => Some(
            "(data: s, order: s, network: s, links: s, faults: s), each optional, each a whole \
             number from 0 to 18446744073709551615",
        ),
        ("SeedSpec", _) => Some(
            "a whole number from 0 to 18446744073709551615 (bare or in Some(..)), or None to follow \
             seed",
        ),
        ("Scenario", "data") => for_type("DataSpec"),
        ("Scenario", "network") => for_type("NetworkSpec"),
        ("Scenario", "learning") => for_type("LearningSpec"),
        ("Scenario", "faults") => Some(
            "a list of faults: [Crash(..), Cut(..), Partition(..), RandomCrashes(..), RandomCuts(..)]",
        ),
        ("Scenario", "expect") => Some(
            "a list of expectations: [FinalTestAccuracy(at_least: x), FinalTestLoss(at_most: x), \
             FinalTestR2(at_least: x), LossDecrease(factor: f, within_samples: n), \
             AlignmentWithBackprop(at_least: c), NoDivergence]",
        ),
        ("Scenario", "check") => Some("(min_pass_rate: r) with r a fraction in [0, 1]"),
        ("CheckSpec", "min_pass_rate") => Some("a fraction in [0, 1]"),
        ("DataSpec::Builtin", "name") => Some("one of \"digits\", \"iris\" or \"wine\""),
        ("DataSpec::Csv", "path") => {
            Some("a file path in double quotes, relative to the scenario file's folder")
        }
        ("DataSpec::Csv", "label_column") => Some("a column name in double quotes"),
        ("DataSpec::Tasks", "base") => Some(
            "a data source other than Tasks, with its split options: Builtin(name: ..), \
             Csv(path: ..), Xor(samples: n), Moons(samples: n), Spirals(samples: n), \
             Blobs(samples: n) or Sensors(count: k, samples: n)",
        ),
        ("DataSpec::Tasks", "split") => for_type("TaskSplit"),
        ("TaskSplit::Classes", _) => {
            Some("a list of tasks, each a list of class numbers, e.g. [[0, 1], [2, 3]]")
        }
        ("TaskSplit::RandomClasses", "per_task") => {
            Some("a whole number of classes per task ≥ 1 that divides the number of classes")
        }
        ("TaskSplit::Permuted", "count") => Some("a whole number of tasks ≥ 1"),
        ("LearningSpec", "lr_schedule") => for_type("RateSchedule"),
        ("LearningSpec", "fresh_optimizer") => Some(BOOL),
        ("RateSchedule::StepDecay", "every") => Some("a whole number of epochs ≥ 1"),
        ("RateSchedule::StepDecay" | "RateSchedule::Halfway", "factor") => {
            Some("a factor in (0, 1], e.g. 0.1")
        }
        ("NetworkSpec", "hidden") => {
            Some("a list of hidden layer widths, e.g. [32, 16] ([] for none)")
        }
        ("NetworkSpec", "hidden[]") => Some("a layer width: a whole number ≥ 1"),
        ("NetworkSpec", "skip") => Some(BOOL),
        ("Connectivity::Sparse", "density") => Some("a density in (0, 1]"),
        ("LearningSpec", "batch_size" | "in_flight") => Some(AT_LEAST_ONE),
        ("LearningSpec", "epochs") => Some("a whole number of epochs ≥ 1"),
        ("LearningSpec", "engine") => {
            Some("Events, Dense or Reference (bare or in Some(..)), or None for the rule's default")
        }
        ("Estimator::Ema", "decay") => Some("a decay in [0, 1), e.g. 0.9"),
        ("OptimizerSpec::Sgd", "lr") => Some("a learning rate > 0, e.g. 0.01"),
        ("OptimizerSpec::Sgd", "momentum") => Some("a momentum in [0, 1)"),
        ("LinkSpec", "drop_probability") => Some(PROBABILITY),
        ("LinkSpec", "forward_drop" | "attention_drop") => Some(
            "a probability in [0, 1] (bare or in Some(..)), or None to use drop_probability",
        ),
        ("LinkSpec", "wait_timeout") => Some(
            "a whole number of ticks from 1 to 1000000000 (bare or in Some(..)), or None to wait \
             for every message",
        ),
        ("LinkSpec", "overrides") => Some(
            "a list of link overrides: [(link: Between(..) or Layers(..), forward_delay: .., ...)]",
        ),
        ("LinkOverride", "forward_delay" | "attention_delay") => Some(
            "a delay (Constant(t), Uniform(min: a, max: b), Exponential(mean: m) or \
             LogNormal(mu: μ, sigma: σ)), or None to keep the global one",
        ),
        ("LinkOverride", "forward_drop" | "attention_drop") => {
            Some("a probability in [0, 1], or None to keep the global one")
        }
        ("NeuronRef::Hidden", "layer" | "index") => Some("a whole number ≥ 0"),
        ("Delay::Uniform", "min" | "max") => Some("a whole number of ticks from 0 to 1000000000"),
        ("Delay::Exponential", "mean") => Some("a mean > 0 ticks"),
        ("Delay::LogNormal", "mu") => Some("a finite number"),
        ("Delay::LogNormal", "sigma") => Some("a number ≥ 0"),
        ("Fault::Crash", "recover") => Some(OPTIONAL_WHEN),
        ("Fault::Cut" | "Fault::Partition", "repair") => Some(OPTIONAL_WHEN),
        ("Fault::Partition", "neurons") => Some(
            "a list of neurons, e.g. [Input(0), Hidden(layer: 0, index: 3), Output(1)]",
        ),
        ("Fault::RandomCrashes" | "Fault::RandomCuts", "rate_per_sample") => Some(PROBABILITY),
        ("Fault::RandomCrashes" | "Fault::RandomCuts", "mean_downtime_samples") => {
            Some("a number of samples > 0")
        }
        ("EvaluationSpec", "per_epoch") => Some(AT_LEAST_ONE),
        ("Expectation::FinalTestAccuracy", "at_least") => Some("an accuracy in [0, 1]"),
        ("Expectation::FinalTestLoss", "at_most") => Some("a loss ≥ 0"),
        ("Expectation::FinalTestR2", "at_least") => Some("an R² ≤ 1"),
        ("Expectation::LossDecrease", "factor") => Some("a factor > 1"),
        ("Expectation::LossDecrease", "within_samples") => Some("a whole number of samples ≥ 1"),
        ("Expectation::AlignmentWithBackprop", "at_least") => Some("a cosine in [-1, 1]"),
        (_, "standardize" | "lose_state" | "gradient_alignment") => Some(BOOL),
        _ => None,
    };
    if exact.is_some() {
        return exact;
    }
    // Fields shared by every variant of an enum.
    let enum_name = container.split("::").next().unwrap_or(container);
    match (enum_name, field) {
        ("DataSpec", "test_fraction") => Some("a fraction in the open interval (0, 1), e.g. 0.2"),
        ("DataSpec", "samples") => Some("a whole number of samples ≥ 4"),
        ("DataSpec", "noise") => Some("a standard deviation ≥ 0, e.g. 0.1"),
        ("DataSpec", "arms" | "classes") => Some("a whole number from 2 to 1000"),
        ("DataSpec", "features") => Some(AT_LEAST_ONE),
        ("DataSpec", "spread") => Some("a standard deviation > 0, e.g. 1.0"),
        ("DataSpec", "count") => Some("a whole number of sensors ≥ 1"),
        _ => None,
    }
}

/// The entry of a struct or enum type, by its serde name.
pub(super) fn for_type(name: &str) -> Option<&'static str> {
    Some(match name {
        "DataSpec" => {
            "a data source: Builtin(name: ..), Csv(path: ..), Xor(samples: n), Moons(samples: n), \
             Spirals(samples: n), Blobs(samples: n), Sensors(count: k, samples: n) or \
             Tasks(base: .., split: .., mode: ..)"
        }
        "TaskSplit" => {
            "Classes([[0, 1], [2, 3], ...]), RandomClasses(per_task: k) or Permuted(count: n)"
        }
        "RateSchedule" => {
            "Constant, StepDecay(every: k, factor: f) or Halfway(factor: f), with k ≥ 1 epochs \
             and f in (0, 1]"
        }
        "NetworkSpec" => {
            "(hidden: [widths], activation: .., output: ..), with the optional fields connectivity \
             and skip"
        }
        "LearningSpec" => {
            "(rule: ..), with the optional fields optimizer, batch_size, epochs, in_flight, \
             engine, lr_schedule and fresh_optimizer"
        }
        "LinkSpec" => {
            "(forward_delay: .., attention_delay: .., drop_probability: .., ...), every field \
             optional"
        }
        "EvaluationSpec" => "(per_epoch: n, gradient_alignment: true or false), both optional",
        "Connectivity" => "Dense or Sparse(density: d) with d in (0, 1]",
        "RuleSpec" => {
            "Attention, GreedyAttention, FeedbackAlignment, Backprop or \
             EstimatedAttention(estimator: .., send: ..)"
        }
        "Estimator" => "LastValue or Ema(decay: d) with d in [0, 1)",
        "SendPolicy" => "Always, EveryK(k) with k a whole number ≥ 1, or Threshold(δ) with δ ≥ 0",
        "OptimizerSpec" => "Sgd(lr: η) or Sgd(lr: η, momentum: m)",
        "LinkOverride" => {
            "(link: Between(from: .., to: ..) or Layers(from: .., to: ..), forward_delay: .., \
             attention_delay: .., forward_drop: .., attention_drop: ..)"
        }
        "LinkSelector" => "Between(from: neuron, to: neuron) or Layers(from: layer, to: layer)",
        "NeuronRef" => {
            "a neuron: Input(i), Hidden(layer: l, index: i) or Output(i), with whole numbers ≥ 0"
        }
        "LayerRef" => "a layer: Input, Hidden(l) with l a whole number ≥ 0, or Output",
        "When" => "Sample(n) or Tick(t), with n and t whole numbers ≥ 0",
        "Fault" => {
            "a fault: Crash(neuron: .., at: .., recover: ..), Cut(from: .., to: .., at: .., \
             repair: ..), Partition(neurons: [..], at: .., repair: ..), \
             RandomCrashes(rate_per_sample: p, mean_downtime_samples: m) or \
             RandomCuts(rate_per_sample: p, mean_downtime_samples: m)"
        }
        "Delay" => {
            "a delay in ticks: Constant(t), Uniform(min: a, max: b), Exponential(mean: m) or \
             LogNormal(mu: μ, sigma: σ)"
        }
        "Expectation" => {
            "FinalTestAccuracy(at_least: x), FinalTestLoss(at_most: x) or \
             FinalTestR2(at_least: x)"
        }
        _ => return None,
    })
}

fn primitive(kind: &str) -> &'static str {
    match kind {
        "u8" | "u16" | "u32" | "u64" | "u128" => "a whole number ≥ 0",
        "i8" | "i16" | "i32" | "i64" | "i128" => "a whole number",
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        "string" | "char" | "identifier" => "text in double quotes",
        _ => "a value of another form",
    }
}

/// `a, b or c`.
fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The identifier `raw` starts with.
fn leading_ident(raw: &str) -> &str {
    let end = raw
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(raw.len());
    &raw[..end]
}

/// The candidate closest to `word` when it is a plausible misspelling (edit distance ≤ 2, and less
/// than the word's length), ignoring case.
fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if word.is_empty() {
        return None;
    }
    let word = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (distance(&word, &c.to_lowercase()), *c))
        .filter(|&(d, _)| d > 0 && d <= 2 && d < word.chars().count())
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_for_near_misses_only() {
        assert_eq!(distance("hiden", "hidden"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(nearest("hiden", &["hidden", "skip"]), Some("hidden"));
        assert_eq!(nearest("Tahn", &["Tanh", "Relu"]), Some("Tanh"));
        assert_eq!(nearest("banana", &["hidden", "skip"]), None);
        assert_eq!(nearest("hidden", &["hidden"]), None);
        assert_eq!(
            unknown_field("NetworkSpec", &["hidden", "skip"], "hiden"),
            "a field of NetworkSpec: hidden or skip (did you mean hidden?)"
        );
        assert_eq!(
            unknown_field("Fault::Crash", &["neuron", "at"], "time"),
            "a field of Crash: neuron or at"
        );
    }

    #[test]
    fn unit_enums_list_their_variants() {
        let text = describe(
            "NetworkSpec",
            "activation",
            Seen::Enum("Activation", &["Tanh", "Sigmoid", "Relu", "Identity"]),
            "Tahn",
        );
        assert_eq!(
            text,
            "one of Tanh, Sigmoid, Relu or Identity (did you mean Tanh?)"
        );
    }

    #[test]
    fn fields_shared_by_variants_and_fallbacks() {
        assert_eq!(
            for_field("DataSpec::Moons", "samples"),
            Some("a whole number of samples ≥ 4")
        );
        assert_eq!(
            describe("X", "y", Seen::Primitive("u64"), "-1"),
            "a whole number ≥ 0"
        );
        assert_eq!(
            describe("X", "y", Seen::Struct("When"), ""),
            for_type("When").unwrap()
        );
    }
}
