//! Proptest strategies for every part of a scenario, each within bounds the caller sets.
//!
//! [`Bounds`] says what may vary and how far; [`Bounds::scenarios`] generates whole scenarios, and the
//! functions of this module generate the parts on their own ([`network`], [`activation`], [`delay`],
//! [`links`], [`faults`], [`rule`]). Parts that name neurons (faults, per-link overrides) need the
//! network's [`Shape`].
//!
//! Every generated scenario is valid ([`crate::scenario::Scenario::validate`] finds nothing, the
//! plan builds) and survives the trip through RON unchanged, so a failing case can be saved and
//! replayed. Values shrink towards the simple end: fewer and narrower layers, the first activation and
//! rule listed, shorter delays, fewer drops, no faults, seed 0. Neurons are drawn as
//! [`proptest::sample::Index`] and resolved once the network is known, so a case shrinks without
//! being regenerated.

mod parts;

use std::ops::RangeInclusive;
use std::path::Path;

use proptest::prelude::*;
use proptest::sample::select;

use crate::data;
use crate::rng::Streams;
use crate::scenario::{
    Activation, DataSpec, Engine, LinkSpec, MissingInput, OptimizerSpec, OutputKind, RuleSpec,
    Scenario,
};

pub use parts::{activation, delay, faults, links, network, rule, FaultDraw, OverrideDraw};

/// A learning rule to generate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RuleKind {
    /// Exactly this rule.
    Exactly(RuleSpec),
    /// `EstimatedAttention` that always sends, with a gradient step and a generated estimator
    /// (`LastValue`, or `Ema` with a decay in [0, 0.95)).
    Estimated,
    /// `EstimatedAttention` with a generated estimator, send policy (`Always`, `EveryK(1..=4)`,
    /// `Threshold(0..0.05)`) and step (`Gradient` or `Greedy`).
    EventTriggered,
}

impl From<RuleSpec> for RuleKind {
    fn from(rule: RuleSpec) -> Self {
        RuleKind::Exactly(rule)
    }
}

/// A family of delay distributions; [`delay`] draws one with a given mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelayKind {
    /// `Constant(t)`, `t` the mean rounded.
    Constant,
    /// `Uniform(min, max)` centred on the mean.
    Uniform,
    /// `Exponential(mean)`.
    Exponential,
    /// `LogNormal(mu, sigma)` with `sigma` in [0, 1.2] and `exp(mu + sigma²/2)` the mean.
    LogNormal,
}

/// A kind of fault to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// One neuron crashes (recovering or not, keeping or losing its state).
    Crash,
    /// One synapse between consecutive layers is cut (dense networks; a one-neuron partition in
    /// sparse ones).
    Cut,
    /// One to three neurons are cut off from the rest.
    Partition,
    /// Neurons crash at random.
    RandomCrashes,
    /// Synapses are cut at random.
    RandomCuts,
    /// Every neuron, inputs and outputs included, crashes at once.
    CrashEverything,
    /// Every synapse is cut at once (each layer after the inputs partitioned off).
    CutEverything,
}

/// The widths of a network and what its data asks for: enough to name its neurons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Input features.
    pub features: usize,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Outputs.
    pub outputs: usize,
    /// Training samples per epoch.
    pub train: usize,
    /// Whether the data is a classification (else a regression).
    pub classification: bool,
}

/// What generated scenarios may be, field by field. Ranges are inclusive; a list is the choices, the
/// first being where a case shrinks to. The presets are [`Bounds::default`] (small networks, every
/// rule, link model and fault), [`Bounds::reliable`], [`Bounds::blobs`] and [`Bounds::hostile`];
/// the builder methods change one field each.
#[derive(Clone, Debug, PartialEq)]
pub struct Bounds {
    /// Name of every generated scenario. Default `"generated"`.
    pub name: String,
    /// The data, the same in every case (its seed varies). Default
    /// `Blobs(samples: 40, classes: 3, features: 3)`.
    pub data: DataSpec,
    /// Number of hidden layers. Default `1..=2`.
    pub hidden_layers: RangeInclusive<usize>,
    /// Width of each hidden layer. Default `1..=5`.
    pub width: RangeInclusive<usize>,
    /// Hidden activations. Default: all four.
    pub activations: Vec<Activation>,
    /// Output layers (`Linear` only for a regression). Default `[Softmax, Linear]`.
    pub outputs: Vec<OutputKind>,
    /// Whether connectivity may be `Sparse` (density in [0.4, 1]). Default `true`.
    pub sparse: bool,
    /// Whether `skip` connections may be on. Default `true`.
    pub skip: bool,
    /// Rules. Default: `Attention`, `GreedyAttention`, `FeedbackAlignment`, estimated and
    /// event-triggered attention.
    pub rules: Vec<RuleKind>,
    /// Learning rate. Default `0.01..=0.1`.
    pub lr: RangeInclusive<f64>,
    /// Momentum (below 1). Default `0.0..=0.5`.
    pub momentum: RangeInclusive<f64>,
    /// Batch size. A greedy rule gets 1 whenever links are unreliable (the scenario rules require it).
    /// Default `1..=3`.
    pub batch_size: RangeInclusive<usize>,
    /// Samples in flight. Default `1..=3`.
    pub in_flight: RangeInclusive<usize>,
    /// Epochs. Default `1..=2`.
    pub epochs: RangeInclusive<usize>,
    /// Evaluations per epoch. Default `2`.
    pub per_epoch: usize,
    /// Whether gradient alignment is measured. Default `false`.
    pub gradient_alignment: bool,
    /// Engine (`None`: the rule's default, the event engine). Default `None`.
    pub engine: Option<Engine>,
    /// Delay families, for each direction and each override. Default: all four.
    pub delays: Vec<DelayKind>,
    /// Mean of every delay, in ticks. Default `0.0..=4.0`.
    pub mean_delay: RangeInclusive<f64>,
    /// Drop probability of every link, both ends of the range included. Default `0.0..=0.3`.
    pub drop_probability: RangeInclusive<f64>,
    /// Wait timeout; `None` for none, which needs no drops and no faults. Default `Some(1..=12)`.
    pub wait_timeout: Option<RangeInclusive<u64>>,
    /// Missing-input policies. Default `[Zero, LastValue]`.
    pub missing_input: Vec<MissingInput>,
    /// Number of per-link overrides (delays, and drops within `drop_probability`). Default `0..=2`.
    pub overrides: RangeInclusive<usize>,
    /// Number of faults. Default `0..=2`.
    pub faults: RangeInclusive<usize>,
    /// Kinds of fault. Default: crash, cut, partition, random crashes, random cuts.
    pub fault_kinds: Vec<FaultKind>,
    /// Rate per sample of random crashes and cuts. Default `0.0..=0.02`.
    pub fault_rate: RangeInclusive<f64>,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            name: "generated".to_string(),
            data: data_spec("Blobs(samples: 40, classes: 3, features: 3)"),
            hidden_layers: 1..=2,
            width: 1..=5,
            activations: vec![
                Activation::Tanh,
                Activation::Sigmoid,
                Activation::Relu,
                Activation::Identity,
            ],
            outputs: vec![OutputKind::Softmax, OutputKind::Linear],
            sparse: true,
            skip: true,
            rules: vec![
                RuleSpec::Attention.into(),
                RuleSpec::GreedyAttention.into(),
                RuleSpec::FeedbackAlignment.into(),
                RuleKind::Estimated,
                RuleKind::EventTriggered,
            ],
            lr: 0.01..=0.1,
            momentum: 0.0..=0.5,
            batch_size: 1..=3,
            in_flight: 1..=3,
            epochs: 1..=2,
            per_epoch: 2,
            gradient_alignment: false,
            engine: None,
            delays: vec![
                DelayKind::Constant,
                DelayKind::Uniform,
                DelayKind::Exponential,
                DelayKind::LogNormal,
            ],
            mean_delay: 0.0..=4.0,
            drop_probability: 0.0..=0.3,
            wait_timeout: Some(1..=12),
            missing_input: vec![MissingInput::Zero, MissingInput::LastValue],
            overrides: 0..=2,
            faults: 0..=2,
            fault_kinds: vec![
                FaultKind::Crash,
                FaultKind::Cut,
                FaultKind::Partition,
                FaultKind::RandomCrashes,
                FaultKind::RandomCuts,
            ],
            fault_rate: 0.0..=0.02,
        }
    }
}

impl Bounds {
    /// Reliable links: every delay family, no drops, no faults, no timeout, one sample in flight —
    /// the conditions (E1–E3) under which exact attention is backprop.
    pub fn reliable() -> Bounds {
        Bounds {
            in_flight: 1..=1,
            drop_probability: 0.0..=0.0,
            wait_timeout: None,
            faults: 0..=0,
            ..Bounds::default()
        }
    }

    /// Separable data and one network: `Blobs(samples: 300, classes: 3, features: 10)`, 240 training
    /// samples, one hidden layer of 8 `Tanh` neurons, softmax, exact attention, `Sgd(lr: 0.05)`, 4
    /// epochs (960 samples), `Exponential(mean: 1.0)` delays both ways, no drops, a wait timeout of
    /// 8 ticks, one evaluation per epoch. Widen what the property is about.
    pub fn blobs() -> Bounds {
        Bounds {
            data: data_spec("Blobs(samples: 300, classes: 3, features: 10, spread: 1.0)"),
            hidden_layers: 1..=1,
            width: 8..=8,
            activations: vec![Activation::Tanh],
            outputs: vec![OutputKind::Softmax],
            sparse: false,
            skip: false,
            rules: vec![RuleSpec::Attention.into()],
            lr: 0.05..=0.05,
            momentum: 0.0..=0.0,
            batch_size: 1..=1,
            in_flight: 1..=1,
            epochs: 4..=4,
            per_epoch: 1,
            delays: vec![DelayKind::Exponential],
            mean_delay: 1.0..=1.0,
            drop_probability: 0.0..=0.0,
            wait_timeout: Some(8..=8),
            missing_input: vec![MissingInput::Zero],
            overrides: 0..=0,
            faults: 0..=0,
            ..Bounds::default()
        }
    }

    /// Everything that can go wrong at once: drop probabilities up to 1 (both ends included), mean
    /// delays up to 5,000 ticks against timeouts of 1 to 3, up to four faults including every neuron
    /// crashed and every synapse cut, learning rates up to 50 (divergence), momentum up to 0.95, up
    /// to 8 samples in flight, batches up to 4.
    pub fn hostile() -> Bounds {
        let mut kinds = Bounds::default().fault_kinds;
        kinds.extend([FaultKind::CrashEverything, FaultKind::CutEverything]);
        Bounds {
            name: "hostile".to_string(),
            hidden_layers: 0..=3,
            width: 1..=4,
            lr: 0.01..=50.0,
            momentum: 0.0..=0.95,
            batch_size: 1..=4,
            in_flight: 1..=8,
            mean_delay: 0.0..=5000.0,
            drop_probability: 0.0..=1.0,
            wait_timeout: Some(1..=3),
            overrides: 0..=3,
            faults: 0..=4,
            fault_kinds: kinds,
            fault_rate: 0.0..=1.0,
            gradient_alignment: true,
            ..Bounds::default()
        }
    }

    /// Sets [`Bounds::rules`].
    pub fn rules<R: Into<RuleKind>>(mut self, rules: impl IntoIterator<Item = R>) -> Bounds {
        self.rules = rules.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`Bounds::drop_probability`].
    pub fn drop_probability(mut self, p: RangeInclusive<f64>) -> Bounds {
        self.drop_probability = p;
        self
    }

    /// Sets [`Bounds::mean_delay`].
    pub fn mean_delay(mut self, ticks: RangeInclusive<f64>) -> Bounds {
        self.mean_delay = ticks;
        self
    }

    /// Sets [`Bounds::delays`].
    pub fn delays(mut self, kinds: impl IntoIterator<Item = DelayKind>) -> Bounds {
        self.delays = kinds.into_iter().collect();
        self
    }

    /// Sets [`Bounds::in_flight`].
    pub fn in_flight(mut self, k: RangeInclusive<usize>) -> Bounds {
        self.in_flight = k;
        self
    }

    /// Sets [`Bounds::lr`].
    pub fn lr(mut self, lr: RangeInclusive<f64>) -> Bounds {
        self.lr = lr;
        self
    }

    /// Sets [`Bounds::epochs`].
    pub fn epochs(mut self, epochs: RangeInclusive<usize>) -> Bounds {
        self.epochs = epochs;
        self
    }

    /// Sets [`Bounds::hidden_layers`] and [`Bounds::width`].
    pub fn hidden(mut self, layers: RangeInclusive<usize>, width: RangeInclusive<usize>) -> Bounds {
        self.hidden_layers = layers;
        self.width = width;
        self
    }

    /// Sets [`Bounds::faults`] and [`Bounds::fault_kinds`].
    pub fn faults(
        mut self,
        count: RangeInclusive<usize>,
        kinds: impl IntoIterator<Item = FaultKind>,
    ) -> Bounds {
        self.faults = count;
        self.fault_kinds = kinds.into_iter().collect();
        self
    }

    /// Sets [`Bounds::data`] from its RON text (`"Moons(samples: 200)"`).
    ///
    /// # Panics
    /// When the text is not a data source.
    pub fn data(mut self, ron: &str) -> Bounds {
        self.data = data_spec(ron);
        self
    }

    /// The widths the data asks for (the hidden layers left empty), loading the data once.
    ///
    /// # Panics
    /// When the data cannot be loaded (a CSV file that is not there).
    pub fn data_shape(&self) -> Shape {
        let d = data::load(&self.data, &Streams::new(0))
            .unwrap_or_else(|e| panic!("testing::Bounds: the data cannot be loaded: {e}"));
        Shape {
            features: d.n_features(),
            hidden: Vec::new(),
            outputs: d.n_outputs(),
            train: d.train.len(),
            classification: matches!(d.task, data::Task::Classification { .. }),
        }
    }

    /// Whole scenarios within these bounds.
    ///
    /// # Panics
    /// When the bounds contradict themselves (an empty range or list, drops or faults without a
    /// wait timeout, a rule list naming `Backprop`, which has no event simulation).
    pub fn scenarios(&self) -> BoxedStrategy<Scenario> {
        self.check();
        let shape = self.data_shape();
        let base = self.base(&shape);
        let b = self.clone();
        let learning = (
            rule(&self.rules),
            self.lr.clone(),
            self.momentum.clone(),
            self.batch_size.clone(),
            self.in_flight.clone(),
            self.epochs.clone(),
        );
        let unreliable = (
            probability(&self.drop_probability),
            parts::fault_draws(self),
            parts::override_draws(self),
        );
        (
            network(self),
            learning,
            (delay(self), delay(self)),
            unreliable,
            (
                self.wait_timeout
                    .clone()
                    .map_or(Just(None).boxed(), |t| t.prop_map(Some).boxed()),
                select(self.missing_input.clone()),
            ),
            any::<u64>(),
        )
            .prop_map(
                move |(
                    network,
                    (rule, lr, momentum, batch, in_flight, epochs),
                    (forward_delay, attention_delay),
                    (drop, faults, overrides),
                    (wait_timeout, missing_input),
                    seed,
                )| {
                    let mut s = base.clone();
                    s.seed = seed;
                    let shape = Shape {
                        hidden: network.hidden.clone(),
                        ..shape.clone()
                    };
                    s.links = LinkSpec {
                        forward_delay,
                        attention_delay,
                        drop_probability: drop,
                        wait_timeout,
                        missing_input,
                        overrides: overrides
                            .iter()
                            .map(|o| o.resolve(&shape, &network))
                            .collect(),
                        ..s.links
                    };
                    let horizon = b.epochs.end() * shape.train;
                    s.faults = faults
                        .iter()
                        .flat_map(|f| f.resolve(&shape, &network, horizon))
                        .collect();
                    s.network = network;
                    if !shape.classification {
                        s.network.output = OutputKind::Linear;
                    }
                    s.learning.rule = rule;
                    // `if let`: an optimizer other than SGD keeps its own settings.
                    #[allow(irrefutable_let_patterns)]
                    if let OptimizerSpec::Sgd {
                        lr: l, momentum: m, ..
                    } = &mut s.learning.optimizer
                    {
                        (*l, *m) = (lr, momentum);
                    }
                    let unreliable = in_flight > 1 || wait_timeout.is_some();
                    s.learning.batch_size = if parts::greedy(rule) && unreliable {
                        1
                    } else {
                        batch
                    };
                    s.learning.in_flight = in_flight;
                    s.learning.epochs = epochs;
                    // Written out, as `resolved.ron` has it: the scenario reads back the same.
                    s.learning.engine = Some(s.engine());
                    s
                },
            )
            .boxed()
    }

    /// The scenario every case starts from: the data, evaluation and engine of these bounds.
    fn base(&self, shape: &Shape) -> Scenario {
        let mut s = Scenario::parse(
            "Scenario(name: \"generated\", data: Xor(samples: 8), \
             network: (hidden: [], activation: Tanh, output: Softmax), learning: (rule: Attention))",
            Path::new("testing.ron"),
        )
        .expect("the base scenario is valid");
        s.name = self.name.clone();
        s.data = self.data.clone();
        s.learning.engine = self.engine;
        s.evaluation.per_epoch = self.per_epoch;
        s.evaluation.gradient_alignment = self.gradient_alignment;
        if !shape.classification {
            s.network.output = OutputKind::Linear;
        }
        s
    }

    /// Panics with what is wrong when the bounds contradict themselves.
    fn check(&self) {
        let mut wrong = Vec::new();
        let ranges = [
            ("hidden_layers", self.hidden_layers.is_empty()),
            ("width", self.width.is_empty() || *self.width.start() == 0),
            ("lr", self.lr.is_empty() || *self.lr.start() <= 0.0),
            (
                "momentum",
                self.momentum.is_empty() || *self.momentum.end() >= 1.0,
            ),
            (
                "batch_size",
                self.batch_size.is_empty() || *self.batch_size.start() == 0,
            ),
            (
                "in_flight",
                self.in_flight.is_empty() || *self.in_flight.start() == 0,
            ),
            (
                "epochs",
                self.epochs.is_empty() || *self.epochs.start() == 0,
            ),
            ("per_epoch", self.per_epoch == 0),
            (
                "mean_delay",
                self.mean_delay.is_empty() || *self.mean_delay.start() < 0.0,
            ),
            (
                "drop_probability",
                !(0.0..=1.0).contains(self.drop_probability.start())
                    || !(0.0..=1.0).contains(self.drop_probability.end())
                    || self.drop_probability.is_empty(),
            ),
            ("overrides", self.overrides.is_empty()),
            ("faults", self.faults.is_empty()),
            ("fault_rate", self.fault_rate.is_empty()),
            ("activations", self.activations.is_empty()),
            ("outputs", self.outputs.is_empty()),
            ("rules", self.rules.is_empty()),
            ("delays", self.delays.is_empty()),
            ("missing_input", self.missing_input.is_empty()),
            (
                "fault_kinds",
                self.fault_kinds.is_empty() && *self.faults.end() > 0,
            ),
            (
                "wait_timeout",
                self.wait_timeout
                    .as_ref()
                    .is_some_and(|t| t.is_empty() || *t.start() == 0),
            ),
        ];
        wrong.extend(
            ranges
                .iter()
                .filter(|(_, bad)| *bad)
                .map(|(f, _)| format!("{f} is empty or out of range")),
        );
        let can_lose = *self.drop_probability.end() > 0.0 || *self.faults.end() > 0;
        if self.wait_timeout.is_none() && can_lose {
            wrong.push("drops or faults need a wait_timeout".to_string());
        }
        if self.rules.contains(&RuleKind::Exactly(RuleSpec::Backprop)) {
            wrong.push("Backprop has no event simulation; use RuleSpec::Attention".to_string());
        }
        assert!(
            wrong.is_empty(),
            "testing::Bounds: {}\n{self:#?}",
            wrong.join("; ")
        );
    }
}

/// A drop probability within `range`, its two ends drawn as often as the inside.
fn probability(range: &RangeInclusive<f64>) -> BoxedStrategy<f64> {
    let (lo, hi) = (*range.start(), *range.end());
    if lo == hi {
        return Just(lo).boxed();
    }
    prop_oneof![Just(lo), range.clone(), Just(hi)].boxed()
}

fn data_spec(ron: &str) -> DataSpec {
    ron::from_str(ron)
        .unwrap_or_else(|e| panic!("testing::Bounds: {ron} is not a data source: {e}"))
}
