//! The dense trainer against its plain twin (`dense::reference::PlainTrainer`: one sample and one
//! synapse at a time), with both kinds of matrix products, for every rule it runs, generated
//! networks (sparse, skip connections), batch sizes and momentum; and evaluation against the plain
//! forward pass.

use neuragent::dense::reference::PlainTrainer;
use neuragent::dense::{DenseTrainer, Products};
use neuragent::evaluate::Evaluator;
use neuragent::plan::Plan as Setup;
use neuragent::scenario::Scenario;
use neuragent::topology::Params;
use neuragent::trainer::{Schedule, Trainer, Unobserved};
use proptest::prelude::*;

use crate::common::{cases, scenario};

#[derive(Clone, Debug)]
struct Case {
    hidden: Vec<usize>,
    activation: &'static str,
    output: &'static str,
    connectivity: String,
    skip: bool,
    batch_size: usize,
    momentum: f64,
    features: usize,
    classes: usize,
    samples: usize,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(1usize..=7, 1..=3),
        prop::sample::select(vec!["Tanh", "Sigmoid", "Relu", "Identity"]),
        prop::sample::select(vec!["Softmax", "Linear"]),
        prop_oneof![
            Just("Dense".to_string()),
            (0.3f64..1.0).prop_map(|d| format!("Sparse(density: {d})"))
        ],
        any::<bool>(),
        1usize..=6,
        prop::sample::select(vec![0.0, 0.3]),
        (1usize..=5, 2usize..=4),
        any::<u64>(),
    )
        .prop_map(
            |(
                hidden,
                activation,
                output,
                connectivity,
                skip,
                batch_size,
                momentum,
                (f, c),
                seed,
            )| {
                Case {
                    hidden,
                    activation,
                    output,
                    connectivity,
                    skip,
                    batch_size,
                    momentum,
                    features: f,
                    classes: c,
                    samples: 30,
                    seed,
                }
            },
        )
}

fn build(case: &Case, rule: &str, lr: f64) -> Scenario {
    scenario(&format!(
        "Scenario(
            name: \"dense\",
            seed: {seed},
            data: Blobs(samples: {samples}, classes: {classes}, features: {features}, test_fraction: 0.2),
            network: (hidden: {hidden:?}, activation: {act}, output: {out},
                      connectivity: {conn}, skip: {skip}),
            learning: (rule: {rule}, optimizer: Sgd(lr: {lr}, momentum: {momentum}),
                       batch_size: {batch}, epochs: 2, engine: Dense),
            evaluation: (per_epoch: 3),
        )",
        seed = case.seed,
        classes = case.classes,
        features = case.features,
        hidden = case.hidden,
        act = case.activation,
        out = case.output,
        conn = case.connectivity,
        skip = case.skip,
        batch = case.batch_size,
        momentum = case.momentum,
        samples = case.samples,
    ))
}

/// Final parameters and every checkpoint's `(samples_seen, train_loss, params)` of a trainer.
type Trace = (Params, Vec<(usize, Option<f64>, Params)>);

fn trace(setup: &Setup, schedule: &Schedule, trainer: &mut dyn Trainer) -> Trace {
    let mut checkpoints = Vec::new();
    let mut observer = |c: &neuragent::trainer::Checkpoint<'_>| {
        checkpoints.push((c.samples_seen, c.train_loss, c.params.clone()))
    };
    trainer.train(&setup.dataset.train, schedule, &mut observer);
    (trainer.params(), checkpoints)
}

fn finite(trace: &Trace) -> bool {
    let ok = |p: &Params| p.max_relative_difference(p).is_finite();
    ok(&trace.0)
        && trace
            .1
            .iter()
            .all(|(_, loss, p)| loss.is_none_or(f64::is_finite) && ok(p))
}

/// Every checkpoint and the end of `fast` equal `plain` to `1e-10` relative.
fn assert_same_trace(fast: &Trace, plain: &Trace, what: &str) -> Result<(), TestCaseError> {
    let diff = fast.0.max_relative_difference(&plain.0);
    prop_assert!(diff <= 1e-10, "{what}: final params differ by {diff:e}");
    prop_assert_eq!(fast.1.len(), plain.1.len());
    for ((seen, loss, params), (seen_p, loss_p, params_p)) in fast.1.iter().zip(&plain.1) {
        prop_assert_eq!(seen, seen_p);
        let (l, lp) = (loss.unwrap_or(0.0), loss_p.unwrap_or(0.0));
        prop_assert!(
            (l - lp).abs() <= 1e-10 * l.abs().max(1.0),
            "{what} at {seen}: loss {l} vs {lp}"
        );
        let diff = params.max_relative_difference(params_p);
        prop_assert!(diff <= 1e-10, "{what} at {seen}: params differ by {diff:e}");
    }
    Ok(())
}

/// Batches over which generated cases are compared: few enough that the rounding of another
/// summation order (GEMM's blocking, or the blocks of skip connections) is not amplified past the
/// tolerance by training itself (the greedy rule divides by `‖g‖`, identity networks grow), enough to
/// carry momentum from one batch to the next and to cross checkpoints inside and at the end of
/// batches.
const BATCHES: usize = 3;

/// The dense trainer, with both kinds of products, against its plain twin over the first `batches`
/// batches (`None`: the whole run).
fn assert_twins_agree(
    case: &Case,
    rule: &str,
    lr: f64,
    batches: Option<usize>,
) -> Result<(), TestCaseError> {
    let setup = Setup::new(&build(case, rule, lr)).expect("setup");
    let s = &setup.scenario;
    let built = s.learning.rule.build();
    let (act, out, sgd, batch) = (
        s.network.activation,
        s.network.output,
        setup.learning.sgd,
        s.learning.batch_size,
    );
    let (t, p, f) = (&setup.topology, &setup.initial(), &setup.feedback);
    let plain = |schedule: &Schedule| {
        let mut twin = PlainTrainer::new(t, built.as_ref(), act, out, sgd, batch, p, f);
        trace(&setup, schedule, &mut twin)
    };
    let fast = |schedule: &Schedule, products| {
        let mut trainer =
            DenseTrainer::with_products(t, built.as_ref(), act, out, sgd, batch, p, f, products);
        trace(&setup, schedule, &mut trainer)
    };
    let mut schedule = setup.schedule.clone();
    if let Some(batches) = batches {
        schedule.truncate(batches * batch);
    }
    let twin = plain(&schedule);
    // A diverging run says nothing about the products.
    prop_assume!(finite(&twin));
    for products in [Products::Portable, Products::Gemm] {
        let fast = fast(&schedule, products);
        assert_same_trace(&fast, &twin, &format!("{rule}, {products:?}"))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn backprop_matches_its_plain_twin(case in case()) {
        assert_twins_agree(&case, "Backprop", 0.05, Some(BATCHES))?;
    }

    #[test]
    fn greedy_attention_matches_its_plain_twin(case in case()) {
        assert_twins_agree(&case, "GreedyAttention", 0.02, Some(BATCHES))?;
    }

    #[test]
    fn feedback_alignment_matches_its_plain_twin(case in case()) {
        assert_twins_agree(&case, "FeedbackAlignment", 0.05, Some(BATCHES))?;
    }

    /// Evaluation (the shared dense forward pass, in chunks) against the plain forward pass.
    #[test]
    fn evaluation_matches_the_plain_forward_pass(case in case()) {
        let setup = Setup::new(&build(&case, "Backprop", 0.05)).expect("setup");
        let s = &setup.scenario;
        let (act, out) = (s.network.activation, s.network.output);
        let test = &setup.dataset.test;
        let scores = Evaluator::new(&setup.topology, act, out).evaluate(&setup.initial(), test);
        let mut loss = 0.0;
        for i in 0..test.len() {
            loss += PlainTrainer::loss(&setup.topology, act, out, &setup.initial(), test.features(i), test.targets(i));
        }
        loss /= test.len() as f64;
        prop_assert!((scores.loss - loss).abs() <= 1e-12 * loss.abs().max(1.0), "{} vs {loss}", scores.loss);
    }
}

/// Networks large enough for faer's blocked GEMM kernels (the generated ones above stay on its small
/// kernels), over the whole run: every rule, with and without momentum, full, sparse and skip
/// connections (tanh networks of this size keep the rounding of either order where it is).
#[test]
fn larger_networks_match_their_plain_twin() {
    for (rule, lr) in [
        ("Backprop", 0.05),
        ("GreedyAttention", 0.02),
        ("FeedbackAlignment", 0.05),
    ] {
        for (momentum, connectivity, skip) in [
            (0.0, "Dense", false),
            (0.3, "Dense", true),
            (0.0, "Sparse(density: 0.6)", false),
        ] {
            let case = Case {
                hidden: vec![48, 40],
                activation: "Tanh",
                output: "Softmax",
                connectivity: connectivity.to_string(),
                skip,
                batch_size: 24,
                momentum,
                features: 36,
                classes: 5,
                samples: 300,
                seed: 5,
            };
            assert_twins_agree(&case, rule, lr, None)
                .unwrap_or_else(|e| panic!("{rule}, {connectivity}, momentum {momentum}: {e}"));
        }
    }
}

/// The plain twin itself against finite differences: one backprop step on one sample moves every
/// weight and bias by `−lr ·` the numerical gradient of that sample's loss (sparse, skip connections).
#[test]
fn the_plain_twin_steps_along_the_numerical_gradient() {
    let s = scenario(
        "Scenario(
            name: \"fd\", seed: 11,
            data: Blobs(samples: 10, classes: 3, features: 3, test_fraction: 0.5),
            network: (hidden: [4, 3], activation: Sigmoid, output: Softmax,
                      connectivity: Sparse(density: 0.7), skip: true),
            learning: (rule: Backprop, optimizer: Sgd(lr: 0.001), batch_size: 1, epochs: 1),
        )",
    );
    let mut setup = Setup::new(&s).unwrap();
    let mut order = neuragent::rng::Streams::new(0).stream(neuragent::rng::Purpose::Order);
    setup.schedule = neuragent::trainer::Schedule::new(1, 1, 1, 1, &mut order);
    let (act, out) = (s.network.activation, s.network.output);
    let rule = s.learning.rule.build();
    let t = &setup.topology;
    let data = &setup.dataset.train;
    let mut plain = PlainTrainer::new(
        t,
        rule.as_ref(),
        act,
        out,
        setup.learning.sgd,
        1,
        &setup.initial(),
        &[],
    );
    plain.train(data, &setup.schedule, &mut Unobserved);
    let (before, after) = (&setup.initial(), plain.params());
    let loss = |p: &Params| PlainTrainer::loss(t, act, out, p, data.features(0), data.targets(0));
    let (lr, h) = (0.001, 1e-6);
    let check = |step: f64, plus: Params, minus: Params, what: String| {
        let gradient = (loss(&plus) - loss(&minus)) / (2.0 * h);
        assert!(
            (step + lr * gradient).abs() <= 1e-9 * (1.0 + gradient.abs()),
            "{what}: step {step:e}, expected {:e}",
            -lr * gradient
        );
    };
    for e in 0..before.weights.len() {
        let (mut plus, mut minus) = (before.clone(), before.clone());
        plus.weights[e] += h;
        minus.weights[e] -= h;
        check(
            after.weights[e] - before.weights[e],
            plus,
            minus,
            format!("synapse {e}"),
        );
    }
    for j in t.inputs().end..t.neurons() {
        let (mut plus, mut minus) = (before.clone(), before.clone());
        plus.biases[j] += h;
        minus.biases[j] -= h;
        check(
            after.biases[j] - before.biases[j],
            plus,
            minus,
            format!("bias {j}"),
        );
    }
}

/// An observer that wants samples hears, after every batch, one `update_applied` per non-input
/// neuron, after the `sample_loss` of each of the batch's samples.
#[test]
fn every_neuron_reports_one_update_per_batch() {
    use neuragent::trainer::{Checkpoint, Observer};

    #[derive(Default)]
    struct Log {
        events: Vec<(char, usize)>,
    }
    impl Observer for Log {
        fn checkpoint(&mut self, _: &Checkpoint<'_>) {}
        fn wants_samples(&self) -> bool {
            true
        }
        fn sample_loss(&mut self, sample: usize, _: &Params) {
            self.events.push(('s', sample));
        }
        fn update_applied(&mut self, neuron: usize) {
            self.events.push(('u', neuron));
        }
    }
    let setup = Setup::new(&scenario(
        "Scenario(
            name: \"updates\", seed: 2,
            data: Blobs(samples: 25, classes: 3, features: 4, test_fraction: 0.2),
            network: (hidden: [5, 3], activation: Tanh, output: Softmax),
            learning: (rule: Backprop, optimizer: Sgd(lr: 0.05), batch_size: 6, epochs: 1),
        )",
    ))
    .unwrap();
    let mut log = Log::default();
    setup.train(&mut log).unwrap();
    let t = &setup.topology;
    let neurons: Vec<usize> = (t.inputs().end..t.neurons()).collect();
    let mut expected = Vec::new();
    // 20 training samples in batches of 6, 6, 6 and 2.
    for (start, len) in [(0, 6), (6, 6), (12, 6), (18, 2)] {
        expected.extend((start..start + len).map(|p| ('s', setup.schedule.sample(p))));
        expected.extend(neurons.iter().map(|&j| ('u', j)));
    }
    assert_eq!(log.events, expected);
}
