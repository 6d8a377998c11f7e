//! The strongest test of the simulator: under E1–E3 (no drops, `in_flight: 1`, per-sample state) the
//! event simulation of each rule matches its dense reference to rounding, for generated networks,
//! batch sizes and delays, with or without tasks (every split and mode), rate schedules and fresh
//! optimizers per task, over whole runs: every checkpoint of two epochs (docs/convergence.md, E1–E4).

use neuragent::data::Split;
use neuragent::evaluate::Evaluator;
use neuragent::plan::Plan as Setup;
use neuragent::rng::{Purpose, Streams};
use neuragent::scenario::Scenario;
use neuragent::testing::{reference_states, states};
use neuragent::topology::Params;
use neuragent::trainer::Schedule;
use proptest::prelude::*;

use crate::common::{cases, fails_somewhere, scenario};

#[derive(Clone, Debug)]
struct Case {
    hidden: Vec<usize>,
    activation: &'static str,
    output: &'static str,
    connectivity: String,
    skip: bool,
    batch_size: usize,
    momentum: f64,
    forward_delay: String,
    attention_delay: String,
    /// A per-link override of the delays (no drops), or none.
    overrides: String,
    features: usize,
    classes: usize,
    /// Tasks made of the blobs (`split`, `mode`), or none.
    tasks: Option<(String, &'static str)>,
    /// Extra learning fields: a rate schedule and fresh optimizers per task.
    course: String,
    seed: u64,
}

/// Tasks of the blobs (with `classes` classes) and the learning fields of a rate schedule.
fn tasks() -> impl Strategy<Value = (Option<(String, &'static str)>, String)> {
    let split = prop_oneof![
        Just("Permuted(count: 2)".to_string()),
        Just("RandomClasses(per_task: 2)".to_string()),
        Just("Classes([[1, 0], [3, 2]])".to_string()),
    ];
    let mode = prop::sample::select(vec!["Domain", "Class", "Task"]);
    let schedule = prop_oneof![
        Just("Constant".to_string()),
        (1usize..3, 0.3f64..1.0).prop_map(|(k, f)| format!("StepDecay(every: {k}, factor: {f})")),
        (0.05f64..1.0).prop_map(|f| format!("Halfway(factor: {f})")),
    ];
    (proptest::option::of((split, mode)), schedule, any::<bool>()).prop_map(
        |(tasks, schedule, fresh)| {
            (
                tasks,
                format!("lr_schedule: {schedule}, fresh_optimizer: {fresh},"),
            )
        },
    )
}

fn delay() -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..5).prop_map(|t| format!("Constant({t})")),
        (0i64..4, 0i64..6).prop_map(|(a, b)| format!("Uniform(min: {a}, max: {})", a + b)),
        (0.2f64..6.0).prop_map(|m| format!("Exponential(mean: {m})")),
        (-0.5f64..1.5, 0.0f64..1.2).prop_map(|(mu, s)| format!("LogNormal(mu: {mu}, sigma: {s})")),
    ]
}

fn overrides() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (delay(), delay()).prop_map(|(f, a)| format!(
            "(link: Layers(from: Input, to: Hidden(0)), forward_delay: Some({f}), attention_delay: Some({a}))"
        )),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(1usize..=6, 1..=3),
        prop::sample::select(vec!["Tanh", "Sigmoid", "Relu", "Identity"]),
        prop::sample::select(vec!["Softmax", "Linear"]),
        prop_oneof![
            Just("Dense".to_string()),
            (0.3f64..1.0).prop_map(|d| format!("Sparse(density: {d})"))
        ],
        any::<bool>(),
        (1usize..=4, prop::sample::select(vec![0.0, 0.3])),
        (delay(), delay(), overrides()),
        (1usize..=4, 2usize..=4),
        tasks(),
        any::<u64>(),
    )
        .prop_map(
            |(
                hidden,
                activation,
                output,
                connectivity,
                skip,
                (batch_size, momentum),
                (forward_delay, attention_delay, overrides),
                (features, classes),
                (tasks, course),
                seed,
            )| Case {
                hidden,
                activation,
                output,
                connectivity,
                skip,
                batch_size,
                momentum,
                forward_delay,
                attention_delay,
                overrides,
                features,
                // Tasks by classes need four classes: two tasks of two.
                classes: if tasks.as_ref().is_some_and(|t| !t.0.starts_with("Permuted")) {
                    4
                } else {
                    classes
                },
                tasks,
                course,
                seed,
            },
        )
}

/// The event scenario of `case` with `rule`; `links_extra` adds link fields (e.g. a wait timeout).
/// The run crosses several checkpoints (three per epoch, two epochs).
fn build_with(case: &Case, rule: &str, lr: f64, links_extra: &str) -> Scenario {
    let blobs = |samples: usize, test: f64| {
        format!(
            "Blobs(samples: {samples}, classes: {}, features: {}, test_fraction: {test})",
            case.classes, case.features
        )
    };
    let data = match &case.tasks {
        None => blobs(24, 0.25),
        Some((split, mode)) => format!(
            "Tasks(base: {}, split: {split}, mode: {mode})",
            blobs(40, 0.5)
        ),
    };
    scenario(&format!(
        "Scenario(
            name: \"equivalence\",
            seed: {seed},
            data: {data},
            network: (hidden: {hidden:?}, activation: {act}, output: {out},
                      connectivity: {conn}, skip: {skip}),
            learning: (rule: {rule}, optimizer: Sgd(lr: {lr}, momentum: {momentum}),
                       batch_size: {batch}, epochs: 2, engine: Some(Events), {course}),
            links: (forward_delay: {fd}, attention_delay: {ad}, {links_extra}
                    overrides: [{overrides}]),
            evaluation: (per_epoch: 3),
        )",
        seed = case.seed,
        course = case.course,
        hidden = case.hidden,
        act = case.activation,
        out = case.output,
        conn = case.connectivity,
        skip = case.skip,
        momentum = case.momentum,
        batch = case.batch_size,
        fd = case.forward_delay,
        ad = case.attention_delay,
        overrides = case.overrides,
    ))
}

/// The event engine with `event_rule` (and `links_extra`) against its dense oracle; see
/// [`follows_the_oracle`].
fn assert_engines_agree_with(
    case: &Case,
    event_rule: &str,
    lr: f64,
    links_extra: &str,
) -> Result<(), TestCaseError> {
    let s = build_with(case, event_rule, lr, links_extra);
    // A class of the tasks without test samples (a rare draw of the split) is bad input, not a
    // case.
    prop_assume!(Setup::new(&s).is_ok());
    follows_the_oracle(&s)
}

/// The event run of `s` agrees with its dense oracle ([`neuragent::testing::reference_states`]:
/// backprop for exact attention, the same rule on the dense trainer otherwise, adding up in the event
/// engine's order, [`neuragent::dense::Products::Portable`]) to 1e-9 relative
/// (`|a − b| / max(1, |a|, |b|)`) at every checkpoint both observe at the same sample count, and at
/// the end. (A greedy neuron holds a batch until it is complete, so its samples complete together: a
/// checkpoint inside such a batch is observed after it.) `tests/integration/dense.rs` checks the
/// batched GEMM path of the dense trainer against the portable one.
pub fn follows_the_oracle(s: &Scenario) -> Result<(), TestCaseError> {
    let (events, report, end) = states(s)?;
    let (dense, dense_report, dense_end) = reference_states(s)?;
    let moved = Setup::new(s)?.initial().max_relative_difference(&dense_end);
    // A reference run that diverges, or a network that cannot move (dead ReLUs behind a width-1
    // layer), says nothing about the engines: skip it. A diverging event run alone still fails below.
    prop_assume!(moved.is_finite() && moved > 1e-6);
    let mut compared = 0;
    for a in &events {
        for b in dense.iter().filter(|b| b.samples_seen == a.samples_seen) {
            let diff = a.params.max_relative_difference(&b.params);
            prop_assert!(
                diff <= 1e-9,
                "{:?} on events differs from its dense oracle by {diff:e} after {} samples",
                s.learning.rule,
                a.samples_seen
            );
            compared += 1;
        }
    }
    let diff = end.max_relative_difference(&dense_end);
    prop_assert!(diff <= 1e-9, "the final weights differ by {diff:e}");
    // Both stop where a loss is first not finite: then there may be few checkpoints to compare.
    let stopped = |r: &neuragent::trainer::TrainReport| r.diverged.map(|d| d.position);
    prop_assert_eq!(stopped(&report), stopped(&dense_report));
    prop_assert!(
        compared >= 2 || report.diverged.is_some(),
        "only {} checkpoints in common",
        compared
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn attention_on_events_equals_backprop_on_dense(case in case()) {
        assert_engines_agree_with(&case, "Attention", 0.05, "")?;
    }

    #[test]
    fn greedy_attention_engines_agree(case in case()) {
        assert_engines_agree_with(&case, "GreedyAttention", 0.02, "")?;
    }

    #[test]
    fn feedback_alignment_engines_agree(case in case()) {
        assert_engines_agree_with(&case, "FeedbackAlignment", 0.05, "")?;
    }

    /// With a wait timeout that never expires the engine keeps per-synapse inboxes (the unreliable-link
    /// path); with nothing missing it must still be backprop, and estimated attention that is always
    /// sent must be exact attention.
    #[test]
    fn the_unreliable_link_path_equals_backprop_when_nothing_goes_missing(case in case()) {
        let timeout = "wait_timeout: 1000,";
        assert_engines_agree_with(&case, "Attention", 0.05, timeout)?;
        assert_engines_agree_with(
            &case,
            "EstimatedAttention(estimator: Ema(decay: 0.5), send: Always)",
            0.05,
            timeout,
        )?;
        if case.batch_size == 1 {
            assert_engines_agree_with(
                &case,
                "EstimatedAttention(estimator: LastValue, send: Always, step: Greedy)",
                0.02,
                timeout,
            )?;
        }
    }
}

/// Breaking E2 (two samples in flight) or E1 (drops, with a timeout) breaks the equivalence: on the
/// same generated cases, [`follows_the_oracle`] finds a difference.
#[test]
fn without_e1_or_e2_attention_is_not_backprop() {
    type Break = fn(&mut Scenario);
    let breaks: [(&str, Break); 2] = [
        ("in_flight 2", |s| s.learning.in_flight = 2),
        ("drops", |s| {
            s.links.drop_probability = 0.05;
            s.links.wait_timeout = Some(20);
        }),
    ];
    for (what, change) in breaks {
        let failed = fails_somewhere(
            "equivalence-broken",
            16,
            case().prop_map(move |c| {
                let mut s = build_with(&c, "Attention", 0.05, "");
                change(&mut s);
                s
            }),
            |s| follows_the_oracle(&s),
        );
        assert!(failed, "{what}: the oracle must disagree");
    }
}

/// Backprop on the dense engine is plain SGD: one step on one sample is `−lr ·` the numerical
/// gradient of that sample's loss, for every synapse (skip connections included).
#[test]
fn one_backprop_step_follows_the_numerical_gradient() {
    let s = scenario(
        "Scenario(
            name: \"fd\", seed: 5,
            data: Blobs(samples: 10, classes: 3, features: 3, test_fraction: 0.5),
            network: (hidden: [4, 3], activation: Tanh, output: Softmax, skip: true),
            learning: (rule: Backprop, optimizer: Sgd(lr: 0.001), batch_size: 1, epochs: 1),
        )",
    );
    let mut setup = Setup::new(&s).unwrap();
    // A schedule of exactly one sample: training sample 0.
    setup.schedule = Schedule::new(1, 1, 1, 1, &mut Streams::new(0).stream(Purpose::Order));
    let data = &setup.dataset.train;
    let single = Split::new(
        data.n_features(),
        data.n_outputs(),
        data.features(0).to_vec(),
        data.targets(0).to_vec(),
        vec![data.label(0).unwrap()],
    );
    let mut evaluator = Evaluator::new(&setup.topology, s.network.activation, s.network.output);
    let mut loss = |p: &Params| evaluator.evaluate(p, &single).loss;
    let before = setup.initial();
    let (_, after) = setup.train(&mut neuragent::trainer::Unobserved).unwrap();
    let (lr, h) = (0.001, 1e-6);
    for e in 0..before.weights.len() {
        let (mut plus, mut minus) = (before.clone(), before.clone());
        plus.weights[e] += h;
        minus.weights[e] -= h;
        let gradient = (loss(&plus) - loss(&minus)) / (2.0 * h);
        let step = after.weights[e] - before.weights[e];
        assert!(
            (step + lr * gradient).abs() <= 1e-9 * (1.0 + gradient.abs()),
            "synapse {e}: step {step:e}, expected {:e}",
            -lr * gradient
        );
    }
    // Biases too: every non-input neuron's (inputs have none).
    let t = &setup.topology;
    for j in t.inputs().end..t.neurons() {
        let (mut plus, mut minus) = (before.clone(), before.clone());
        plus.biases[j] += h;
        minus.biases[j] -= h;
        let gradient = (loss(&plus) - loss(&minus)) / (2.0 * h);
        let step = after.biases[j] - before.biases[j];
        assert!(
            gradient.abs() > 1e-6 && (step + lr * gradient).abs() <= 1e-9 * (1.0 + gradient.abs()),
            "bias of neuron {j}: step {step:e}, expected {:e}",
            -lr * gradient
        );
    }
}

/// Regressions: cases that once failed, by name and seed.
mod regressions {
    use super::*;

    /// Found with `PROPTEST_CASES=1000` by `greedy_attention_engines_agree`: the greedy engines
    /// differed by 7.9e-9 after two epochs (sparse, skip connections, identity activations, batch
    /// 2, zero delays). Summation order again, twice: the dense network took the blocks into a
    /// layer in the order their first synapse came, which in a sparse network need not be by
    /// source layer, and it added each block's attention as a sum of its own; the event engine adds
    /// synapse by synapse. Now both add in synapse order and agree to the bit.
    #[test]
    fn greedy_sparse_skip_identity_batch_2_seed_3076727069064854009() {
        let case = Case {
            hidden: vec![2, 6, 6],
            activation: "Identity",
            output: "Linear",
            connectivity: "Sparse(density: 0.4419927276840854)".into(),
            skip: true,
            batch_size: 2,
            momentum: 0.0,
            forward_delay: "Constant(0)".into(),
            attention_delay: "Constant(0)".into(),
            overrides: String::new(),
            features: 1,
            classes: 3,
            tasks: None,
            course: String::new(),
            seed: 3076727069064854009,
        };
        let s = build_with(&case, "GreedyAttention", 0.02, "");
        let (_, _, a) = states(&s).unwrap();
        let (_, _, b) = reference_states(&s).unwrap();
        let diff = a.max_relative_difference(&b);
        assert!(diff <= 1e-9, "{diff:e}");
    }

    /// Found with `PROPTEST_CASES=10000` by `feedback_alignment_engines_agree`: a run that diverges
    /// (identity activations, a linear output, lr 0.05). The event engine stopped at the first
    /// sample whose loss was not finite; the dense trainer did not stop, so its final weights were
    /// others. Now both stop there, before the batch's step, and report where.
    #[test]
    fn feedback_alignment_diverging_identity_batch_4_seed_13322361600573824755() {
        let case = Case {
            hidden: vec![5, 4, 3],
            activation: "Identity",
            output: "Linear",
            connectivity: "Sparse(density: 0.7143205890401336)".into(),
            skip: false,
            batch_size: 4,
            momentum: 0.0,
            forward_delay: "Constant(0)".into(),
            attention_delay: "Constant(0)".into(),
            overrides: String::new(),
            features: 1,
            classes: 2,
            tasks: None,
            course: String::new(),
            seed: 13322361600573824755,
        };
        let s = build_with(&case, "FeedbackAlignment", 0.05, "");
        let (a, ra, ea) = states(&s).unwrap();
        let (b, rb, eb) = reference_states(&s).unwrap();
        let (da, db) = (ra.diverged.unwrap(), rb.diverged.unwrap());
        assert_eq!((da.position, da.sample), (db.position, db.sample));
        assert_eq!(ra.samples_seen, rb.samples_seen);
        let seen =
            |v: &[neuragent::testing::State]| v.iter().map(|x| x.samples_seen).collect::<Vec<_>>();
        assert_eq!(seen(&a), seen(&b));
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.params.max_relative_difference(&y.params), 0.0);
        }
        assert_eq!(ea.max_relative_difference(&eb), 0.0);
    }

    /// At 1e-9 the greedy engines once disagreed by 2.8e-9 here (sparse, identity activations,
    /// batch 2, zero delays). The cause was summation order: the event engine added the attention a
    /// neuron is paid in arrival order, the dense trainer in row order, and the greedy rule's `1/‖g‖`
    /// scaling (compounding over layers, with an unnormalized bias step) grew that last-bit
    /// difference. Both now add in the order of the neuron's outgoing synapses and agree to the bit;
    /// adding in reverse order in the event engine brings back a 6.7e-9 difference on this case.
    #[test]
    fn greedy_sparse_identity_batch_2_seed_7189679029437776591() {
        let case = Case {
            hidden: vec![2, 6],
            activation: "Identity",
            output: "Linear",
            connectivity: "Sparse(density: 0.36492612870021707)".into(),
            skip: false,
            batch_size: 2,
            momentum: 0.3,
            forward_delay: "Constant(0)".into(),
            attention_delay: "Constant(0)".into(),
            overrides: String::new(),
            features: 3,
            classes: 4,
            tasks: None,
            course: String::new(),
            seed: 7189679029437776591,
        };
        let s = build_with(&case, "GreedyAttention", 0.02, "");
        let (_, _, a) = states(&s).unwrap();
        let (_, _, b) = reference_states(&s).unwrap();
        let diff = a.max_relative_difference(&b);
        eprintln!("greedy regression: engines differ by {diff:e}");
        assert!(diff <= 1e-9, "{diff:e}");
    }
}
