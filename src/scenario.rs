//! Scenarios: the RON schema a researcher writes, its defaults, parsing and validation.
//!
//! A [`Scenario`] is plain serde data. [`Scenario::from_file`] parses it (RON syntax errors keep their
//! line and column) and validates it, reporting *every* problem at once as a [`Problem`] with the
//! field path, the bad value and what would be accepted. Every optional field has a default, written
//! in its doc comment; `docs/scenarios.md` is the user-facing reference.

// Field paths (`links.drop_probability`), shared by sweeps and `--set`: added for the sweep work.
pub mod path;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};

pub use validate::Problem;

/// One experiment: data, network, learning rule, link model and expectations, plus the seed that makes
/// it reproducible.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name of the run; the default output folder is `runs/<name>-seed<seed>/`.
    pub name: String,
    /// Root of every random stream. Default `0`.
    #[serde(default)]
    pub seed: u64,
    /// Where the samples come from.
    pub data: DataSpec,
    /// Shape of the network.
    pub network: NetworkSpec,
    /// Learning rule, optimizer, schedule and engine.
    pub learning: LearningSpec,
    /// Link model: delays and drops. Default: `Constant(1)` both ways, no drops.
    #[serde(default)]
    pub links: LinkSpec,
    /// Scheduled and random faults. Default: none.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// When to evaluate on the test split. Default: once per epoch.
    #[serde(default)]
    pub evaluation: EvaluationSpec,
    /// Conditions checked at the end of the run; a failed one makes `neuragent run` exit 1.
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// How `neuragent check` judges the expectations over seeds. Default `(min_pass_rate: 1.0)`.
    // Added for the sweep work (`neuragent check`).
    #[serde(default)]
    pub check: CheckSpec,
}

/// How `neuragent check` judges a scenario over many seeds.
// Added for the sweep work (`neuragent check`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Smallest fraction of seeds on which every expectation must hold, in [0, 1]. Default `1.0`.
    #[serde(default = "default_min_pass_rate")]
    pub min_pass_rate: f64,
}

impl Default for CheckSpec {
    fn default() -> Self {
        CheckSpec {
            min_pass_rate: default_min_pass_rate(),
        }
    }
}

fn default_min_pass_rate() -> f64 {
    1.0
}

/// A data source. Every variant splits into train and test with `test_fraction` (default `0.2`) using
/// the scenario's split stream, and standardizes features on the training split unless
/// `standardize: false`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DataSpec {
    /// A dataset bundled in the binary: `"digits"`, `"iris"` or `"wine"`.
    Builtin {
        /// Dataset name.
        name: String,
        /// Fraction of samples held out for testing, in (0, 1). Default `0.2`.
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        /// Standardize features on the training split. Default `true`.
        #[serde(default = "default_true")]
        standardize: bool,
    },
    /// A classification CSV file with a header row; every column but the label is a numeric feature.
    Csv {
        /// Path to the file, relative to the scenario file's folder.
        path: PathBuf,
        /// Header name of the integer class column. Default `"label"`.
        #[serde(default = "default_label_column")]
        label_column: String,
        /// Fraction of samples held out for testing. Default `0.2`.
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        /// Standardize features on the training split. Default `true`.
        #[serde(default = "default_true")]
        standardize: bool,
    },
    /// Two noisy inputs in {-1, 1}², class = their XOR.
    Xor {
        /// Number of samples.
        samples: usize,
        /// Standard deviation of the Gaussian noise added to each coordinate. Default `0.1`.
        #[serde(default = "default_noise")]
        noise: f64,
        /// Fraction of samples held out for testing. Default `0.2`.
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        /// Standardize features on the training split. Default `true`.
        #[serde(default = "default_true")]
        standardize: bool,
    },
    /// Two interleaving half circles, two classes.
    Moons {
        /// Number of samples.
        samples: usize,
        /// Standard deviation of the Gaussian noise. Default `0.1`.
        #[serde(default = "default_noise")]
        noise: f64,
        /// Fraction of samples held out for testing. Default `0.2`.
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        /// Standardize features on the training split. Default `true`.
        #[serde(default = "default_true")]
        standardize: bool,
    },
    /// Interleaved spiral arms in the plane, one class per arm.
    Spirals {
        /// Number of samples.
        samples: usize,
        /// Number of arms (classes), at least 2. Default `2`.
        #[serde(default = "default_two")]
        arms: usize,
        /// Standard deviation of the Gaussian noise. Default `0.1`.
        #[serde(default = "default_noise")]
        noise: f64,
        /// Fraction of samples held out for testing. Default `0.2`.
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        /// Standardize features on the training split. Default `true`.
        #[serde(default = "default_true")]
        standardize: bool,
    },
    /// Isotropic Gaussian blobs, one class per blob, centres drawn uniformly in [-5, 5]^features.
    Blobs {
        /// Number of samples.
        samples: usize,
        /// Number of blobs (classes), at least 2. Default `3`.
        #[serde(default = "default_three")]
        classes: usize,
        /// Number of features, at least 1. Default `2`.
        #[serde(default = "default_two")]
        features: usize,
        /// Standard deviation of each blob. Default `1.0`.
        #[serde(default = "default_spread")]
        spread: f64,
        /// Fraction of samples held out for testing. Default `0.2`.
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        /// Standardize features on the training split. Default `true`.
        #[serde(default = "default_true")]
        standardize: bool,
    },
    /// Sensors sampling a smooth random field; the target is a nonlinear function of the field
    /// (regression).
    Sensors {
        /// Number of sensors (features), at least 1.
        count: usize,
        /// Number of samples.
        samples: usize,
        /// Standard deviation of the Gaussian measurement noise on each sensor reading. Default
        /// `0.05`.
        #[serde(default = "default_sensor_noise")]
        noise: f64,
        /// Fraction of samples held out for testing. Default `0.2`.
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        /// Standardize features on the training split. Default `true`.
        #[serde(default = "default_true")]
        standardize: bool,
    },
}

/// Shape of the network: input and output widths come from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Widths of the hidden layers, input side first; each at least 1. May be empty.
    pub hidden: Vec<usize>,
    /// Activation of every hidden neuron.
    pub activation: Activation,
    /// Output layer and task loss.
    pub output: OutputKind,
    /// Which synapses between connected layers exist. Default `Dense`.
    #[serde(default)]
    pub connectivity: Connectivity,
    /// When `true` every layer also feeds every later layer, not just the next one. Default `false`.
    #[serde(default)]
    pub skip: bool,
}

/// Activation function of hidden neurons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// Rectified linear unit (derivative 0 at 0).
    Relu,
    /// The identity.
    Identity,
}

/// Output layer: output neurons are linear; the loss agent applies the task loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputKind {
    /// Softmax over the outputs with cross-entropy loss (classification).
    Softmax,
    /// Linear outputs with squared-error loss `½‖x − y‖²` (regression, or one-hot targets).
    Linear,
}

/// Synapses between two connected layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Connectivity {
    /// Every neuron of the source layer feeds every neuron of the target layer.
    #[default]
    Dense,
    /// Each possible synapse exists with probability `density` in (0, 1], drawn from the topology
    /// stream; every neuron keeps at least one input and one output.
    Sparse {
        /// Probability that a synapse exists.
        density: f64,
    },
}

/// Learning rule, optimizer and schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningSpec {
    /// The rule neurons follow.
    pub rule: RuleSpec,
    /// The optimizer each neuron applies locally to its own weights. Default `Sgd(lr: 0.01)`.
    #[serde(default)]
    pub optimizer: OptimizerSpec,
    /// Samples a neuron accumulates before applying its update. Default `1`.
    #[serde(default = "default_one")]
    pub batch_size: usize,
    /// Passes over the training split. Default `10`.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Samples in the network at once. Default `1`.
    #[serde(default = "default_one")]
    pub in_flight: usize,
    /// `Events` (simulate every message) or `Dense` (reference trainer); `Some(..)` may be omitted.
    /// Default: `Dense` for `Backprop`, `Events` for every other rule.
    #[serde(default)]
    pub engine: Option<Engine>,
}

/// Learning rules (DESIGN §2).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RuleSpec {
    /// Exact attention: `a = w · d`; equals backprop under E1–E4.
    Attention,
    /// The authors' greedy rule: every neuron's step has norm `lr`, attention scaled by `1/‖g‖`.
    GreedyAttention,
    /// Attention paid through fixed random feedback weights (feedback alignment).
    FeedbackAlignment,
    /// Plain backprop; runs on the dense engine only.
    Backprop,
    /// Exact attention where a neuron uses its estimate of a downstream neighbour's attention when
    /// the message is missing or late, and a downstream neuron sends only when `send` says so.
    EstimatedAttention {
        /// How the estimate follows the attention received.
        estimator: Estimator,
        /// When a neuron sends attention.
        send: SendPolicy,
        /// The step the neuron takes. Default `Gradient`.
        #[serde(default)]
        step: Step,
    },
}

/// A neuron's estimate of the attention a downstream neighbour pays it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Estimator {
    /// The last value received.
    LastValue,
    /// Exponential moving average `e ← decay·e + (1 − decay)·a` (the first value received starts it).
    Ema {
        /// Weight of the old estimate, in [0, 1).
        decay: f64,
    },
}

/// When a downstream neuron sends the attention it pays.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum SendPolicy {
    /// Every sample.
    Always,
    /// Every k-th sample the neuron credits (k ≥ 1).
    EveryK(u32),
    /// Only when the attention differs from the last value sent on that synapse by more than this.
    Threshold(f64),
}

/// The step a neuron of `EstimatedAttention` takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Plain gradient step, as `Attention`.
    #[default]
    Gradient,
    /// The equal-norm step of `GreedyAttention`.
    Greedy,
}

/// Which trainer runs the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Engine {
    /// The discrete-event simulation of neuron agents.
    Events,
    /// The dense `nalgebra` reference trainer (no messages).
    Dense,
}

/// Optimizer applied by each neuron to the weights it owns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum OptimizerSpec {
    /// Stochastic gradient ascent on the neuron's objective (descent on the loss):
    /// `v ← momentum·v + step; w ← w + lr·v`.
    Sgd {
        /// Learning rate, > 0.
        lr: f64,
        /// Momentum in [0, 1). Default `0.0`.
        #[serde(default)]
        momentum: f64,
    },
}

impl Default for OptimizerSpec {
    fn default() -> Self {
        OptimizerSpec::Sgd {
            lr: 0.01,
            momentum: 0.0,
        }
    }
}

/// Link model: every synapse and the links between output neurons and the loss agent, with per-link
/// overrides for synapses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Delay of forward (activation) messages and of output values to the loss agent. Default
    /// `Constant(1)`.
    #[serde(default = "default_delay")]
    pub forward_delay: Delay,
    /// Delay of attention messages and of demands from the loss agent. Default `Constant(1)`.
    #[serde(default = "default_delay")]
    pub attention_delay: Delay,
    /// Probability that a message is dropped, both directions, in [0, 1]. Default `0.0`.
    #[serde(default)]
    pub drop_probability: f64,
    /// Drop probability of forward messages, overriding `drop_probability`. Default: none.
    #[serde(default)]
    pub forward_drop: Option<f64>,
    /// Drop probability of attention messages, overriding `drop_probability`. Default: none.
    #[serde(default)]
    pub attention_drop: Option<f64>,
    /// Ticks a neuron waits after the first message of a wave for a sample before it fires (forward) or
    /// learns (attention) with what it has. Default: none (wait for every message); required when
    /// messages can go missing (drops or faults).
    #[serde(default)]
    pub wait_timeout: Option<u64>,
    /// What a neuron uses for a forward input that is missing when it fires. Default `Zero`.
    #[serde(default)]
    pub missing_input: MissingInput,
    /// Per-link settings, applied in order (a later one wins for the fields it sets). Default: none.
    #[serde(default)]
    pub overrides: Vec<LinkOverride>,
}

impl Default for LinkSpec {
    fn default() -> Self {
        LinkSpec {
            forward_delay: default_delay(),
            attention_delay: default_delay(),
            drop_probability: 0.0,
            forward_drop: None,
            attention_drop: None,
            wait_timeout: None,
            missing_input: MissingInput::Zero,
            overrides: Vec::new(),
        }
    }
}

impl LinkSpec {
    /// Drop probability of forward messages.
    pub fn forward_drop_probability(&self) -> f64 {
        self.forward_drop.unwrap_or(self.drop_probability)
    }

    /// Drop probability of attention messages.
    pub fn attention_drop_probability(&self) -> f64 {
        self.attention_drop.unwrap_or(self.drop_probability)
    }
}

/// What a neuron uses for a missing forward input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingInput {
    /// Zero.
    #[default]
    Zero,
    /// The last value it used from that input (zero before the first).
    LastValue,
}

/// Settings for some synapses, overriding the global ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    /// Which synapses.
    pub link: LinkSelector,
    /// Forward delay on them. Default: unchanged.
    #[serde(default)]
    pub forward_delay: Option<Delay>,
    /// Attention delay on them. Default: unchanged.
    #[serde(default)]
    pub attention_delay: Option<Delay>,
    /// Forward drop probability on them. Default: unchanged.
    #[serde(default)]
    pub forward_drop: Option<f64>,
    /// Attention drop probability on them. Default: unchanged.
    #[serde(default)]
    pub attention_drop: Option<f64>,
}

/// A set of synapses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LinkSelector {
    /// The synapse from one neuron to another.
    Between {
        /// Source neuron.
        from: NeuronRef,
        /// Target neuron.
        to: NeuronRef,
    },
    /// Every synapse from one layer into another.
    Layers {
        /// Source layer.
        from: LayerRef,
        /// Target layer.
        to: LayerRef,
    },
}

/// A neuron, by layer and position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum NeuronRef {
    /// Input neuron `i` (feature `i`).
    Input(usize),
    /// Neuron `index` of hidden layer `layer` (0-based, input side first).
    Hidden {
        /// Hidden layer.
        layer: usize,
        /// Position in the layer.
        index: usize,
    },
    /// Output neuron `i`.
    Output(usize),
}

/// A layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerRef {
    /// The input layer.
    Input,
    /// Hidden layer `l` (0-based).
    Hidden(usize),
    /// The output layer.
    Output,
}

/// When a fault happens: when a training sample enters the network, or at a tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum When {
    /// When training sample `n` (0-based position in the schedule) enters.
    Sample(u64),
    /// At simulated time `t`.
    Tick(u64),
}

/// A fault: scheduled, or a random process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Fault {
    /// A neuron stops: it sends and receives nothing, and loses its in-flight samples.
    Crash {
        /// The neuron.
        neuron: NeuronRef,
        /// When it crashes.
        at: When,
        /// When it comes back; `None` for never.
        recover: Option<When>,
        /// Re-initialize its weights (from the faults stream) when it comes back. Default `false`.
        #[serde(default)]
        lose_state: bool,
    },
    /// A synapse carries nothing, either way.
    Cut {
        /// Source neuron of the synapse.
        from: NeuronRef,
        /// Target neuron of the synapse.
        to: NeuronRef,
        /// When it is cut.
        at: When,
        /// When it is repaired; `None` for never.
        repair: Option<When>,
    },
    /// Every synapse between the set and the rest of the network is cut.
    Partition {
        /// The neurons on one side.
        neurons: Vec<NeuronRef>,
        /// When it starts.
        at: When,
        /// When it heals; `None` for never.
        repair: Option<When>,
    },
    /// Neurons crash at random: each neuron with this probability per training sample; downtimes are
    /// exponential with this mean, in samples.
    RandomCrashes {
        /// Crash probability of one neuron per sample, in [0, 1].
        rate_per_sample: f64,
        /// Mean downtime in samples, > 0.
        mean_downtime_samples: f64,
        /// Whether crashed neurons re-initialize their weights on recovery. Default `false`.
        #[serde(default)]
        lose_state: bool,
    },
    /// Synapses are cut at random: each synapse with this probability per training sample; outages are
    /// exponential with this mean, in samples.
    RandomCuts {
        /// Cut probability of one synapse per sample, in [0, 1].
        rate_per_sample: f64,
        /// Mean outage in samples, > 0.
        mean_downtime_samples: f64,
    },
}

/// A delay distribution in integer ticks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Delay {
    /// Always this many ticks (≥ 0).
    Constant(i64),
    /// Uniform over the integers `min..=max` (0 ≤ min ≤ max).
    Uniform {
        /// Smallest delay.
        min: i64,
        /// Largest delay.
        max: i64,
    },
    /// Exponential with this mean (> 0), rounded to the nearest tick.
    Exponential {
        /// Mean delay in ticks.
        mean: f64,
    },
    /// `exp(N(mu, sigma²))`, rounded to the nearest tick.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm (≥ 0).
        sigma: f64,
    },
}

/// When the run is evaluated on the test split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSpec {
    /// Evaluations per epoch, evenly spaced in samples (≥ 1). Default `1`. The untrained network is
    /// always evaluated too.
    #[serde(default = "default_one")]
    pub per_epoch: usize,
    /// Measure gradient alignment: per layer, the cosine between the update the agents applied over
    /// each checkpoint window and the backprop gradient at the weights each sample met. Costs about one
    /// extra forward and backward pass per sample. Default `false`.
    #[serde(default)]
    pub gradient_alignment: bool,
}

impl Default for EvaluationSpec {
    fn default() -> Self {
        EvaluationSpec {
            per_epoch: 1,
            gradient_alignment: false,
        }
    }
}

/// A condition on the final result.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Expectation {
    /// Final test accuracy (fraction in [0, 1]) at least this.
    FinalTestAccuracy {
        /// Threshold.
        at_least: f64,
    },
    /// Final mean test loss at most this.
    FinalTestLoss {
        /// Threshold.
        at_most: f64,
    },
    /// Final coefficient of determination on the test split at least this.
    FinalTestR2 {
        /// Threshold.
        at_least: f64,
    },
    // The three below were added for the sweep work (`neuragent check`).
    /// The test loss falls to at most `1/factor` of the untrained network's at some checkpoint
    /// within the first `within_samples` training samples. Its value is the best ratio reached
    /// (untrained loss / loss).
    LossDecrease {
        /// How many times smaller the loss must get, > 1.
        factor: f64,
        /// Training samples it may take, ≥ 1.
        within_samples: u64,
    },
    /// The mean over layers of the final gradient alignment (cosine with the backprop gradient) is
    /// at least this; needs `evaluation: (gradient_alignment: true)`.
    AlignmentWithBackprop {
        /// Threshold, in [-1, 1].
        at_least: f64,
    },
    /// No loss, accuracy or final weight is ever NaN or infinite (checked at every checkpoint). Its
    /// value is the number of non-finite values seen.
    NoDivergence,
}

impl Expectation {
    /// Short name used in `summary.json`.
    pub fn name(&self) -> String {
        match self {
            Expectation::FinalTestAccuracy { at_least } => {
                format!("FinalTestAccuracy(at_least: {at_least})")
            }
            Expectation::FinalTestLoss { at_most } => format!("FinalTestLoss(at_most: {at_most})"),
            Expectation::FinalTestR2 { at_least } => format!("FinalTestR2(at_least: {at_least})"),
            Expectation::LossDecrease {
                factor,
                within_samples,
            } => format!("LossDecrease(factor: {factor}, within_samples: {within_samples})"),
            Expectation::AlignmentWithBackprop { at_least } => {
                format!("AlignmentWithBackprop(at_least: {at_least})")
            }
            Expectation::NoDivergence => "NoDivergence".to_string(),
        }
    }
}

fn default_test_fraction() -> f64 {
    0.2
}
fn default_true() -> bool {
    true
}
fn default_label_column() -> String {
    "label".to_string()
}
fn default_noise() -> f64 {
    0.1
}
fn default_sensor_noise() -> f64 {
    0.05
}
fn default_spread() -> f64 {
    1.0
}
fn default_one() -> usize {
    1
}
fn default_two() -> usize {
    2
}
fn default_three() -> usize {
    3
}
fn default_epochs() -> usize {
    10
}
fn default_delay() -> Delay {
    Delay::Constant(1)
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// RON syntax or schema error (unknown field, wrong type), with line and column.
    #[error("{path}:{position}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// `line:column` of the error.
        position: String,
        /// What the parser said.
        message: String,
    },
    /// The scenario parsed but some values are not acceptable; every problem is listed.
    #[error("{path}: invalid scenario:\n{}", ProblemList(problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl Scenario {
    /// Reads, parses and validates a scenario file. Relative data paths are resolved against the file's
    /// folder.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut scenario = Scenario::parse(&text, path)?;
        if let DataSpec::Csv { path: csv, .. } = &mut scenario.data {
            if csv.is_relative() {
                // Absolute, so that the saved `resolved.ron` finds the file from anywhere.
                let base = path.parent().unwrap_or(Path::new(""));
                let joined = base.join(&*csv);
                *csv = std::path::absolute(&joined).unwrap_or(joined);
            }
        }
        Ok(scenario)
    }

    /// Parses and validates scenario text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
        let scenario: Scenario = options.from_str(text).map_err(|e| ScenarioError::Parse {
            path: path.to_path_buf(),
            position: format!("{}:{}", e.span.start.line, e.span.start.col),
            message: e.code.to_string(),
        })?;
        let problems = scenario.validate();
        if problems.is_empty() {
            Ok(scenario)
        } else {
            Err(ScenarioError::Invalid {
                path: path.to_path_buf(),
                problems,
            })
        }
    }

    /// Every problem with the scenario's values; empty when it is valid.
    pub fn validate(&self) -> Vec<Problem> {
        validate::validate(self)
    }

    /// Every problem that needs the data's shape (`inputs` features, `outputs` output neurons): each
    /// `Input(i)` and `Output(i)` named by a fault or a link override must exist. Empty when they all do.
    pub fn validate_shape(&self, inputs: usize, outputs: usize) -> Vec<Problem> {
        validate::validate_shape(self, inputs, outputs)
    }

    /// The engine that runs this scenario, with the rule-dependent default applied.
    pub fn engine(&self) -> Engine {
        self.learning.engine.unwrap_or(match self.learning.rule {
            RuleSpec::Backprop => Engine::Dense,
            _ => Engine::Events,
        })
    }

    /// The scenario with every default written out, as RON: what `resolved.ron` holds.
    pub fn to_ron(&self) -> String {
        let mut resolved = self.clone();
        resolved.learning.engine = Some(self.engine());
        let config = ron::ser::PrettyConfig::new()
            .struct_names(true)
            .compact_arrays(true)
            .extensions(Extensions::IMPLICIT_SOME);
        ron::ser::to_string_pretty(&resolved, config).expect("a scenario always serializes")
    }
}
