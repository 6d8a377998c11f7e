//! Learning rules: how a neuron turns its demand into the attention it pays and the step it takes.
//!
//! A rule is a small trait shared by both engines, so the event simulation and the dense reference
//! cannot drift apart. Every neuron `j`, after a batch of samples `s` with demands `d_j^s` and inputs
//! `x^s`, has the mean gradient `g_j = (1/B) Σ_s d_j^s x^s` over its incoming weights. The rule says
//!
//! * which weight the neuron multiplies its demand by when it pays attention to an input
//!   ([`Feedback`]: its forward weight, or a fixed random one);
//! * by what factors the attention, the weight step and the bias step are scaled, given `‖g_j‖`
//!   ([`Scales`]); a rule that needs `‖g_j‖` must hold a whole batch before paying attention.

use std::fmt::Debug;

use crate::scenario::{RuleSpec, Step};

/// The weight a neuron uses when it pays attention to an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feedback {
    /// The forward weight `w_ij` it used for that sample (weight transport).
    ForwardWeights,
    /// A fixed random weight `B_ij` drawn once from the feedback stream (feedback alignment).
    FixedRandom,
}

/// Factors a neuron applies once it knows its gradient norm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scales {
    /// Multiplies the attention `w · d` it pays.
    pub attention: f64,
    /// Multiplies the mean weight gradient `g` before the optimizer.
    pub weights: f64,
    /// Multiplies the mean bias gradient before the optimizer.
    pub bias: f64,
}

impl Scales {
    /// No scaling: plain gradient steps and exact attention.
    pub const UNIT: Scales = Scales {
        attention: 1.0,
        weights: 1.0,
        bias: 1.0,
    };
}

/// A local learning rule. Provided methods give exact attention with plain gradient steps.
pub trait LearningRule: Debug + Send + Sync {
    /// Name as written in scenarios.
    fn name(&self) -> &'static str;

    /// Which weights carry attention. Default: the forward weights.
    fn feedback(&self) -> Feedback {
        Feedback::ForwardWeights
    }

    /// Whether the scales depend on `‖g‖`, so the neuron must hold its whole batch before paying
    /// attention. Default `false`.
    fn needs_gradient_norm(&self) -> bool {
        false
    }

    /// The scales for a neuron whose batch-mean gradient has norm `gradient_norm`, when they do not
    /// depend on the rest of its layer; `None` when they do, and the neuron must wait for its layer's
    /// norms of the same batch and call [`LearningRule::scales_in_layer`]. Default
    /// `Some(Scales::UNIT)`.
    fn scales(&self, gradient_norm: f64) -> Option<Scales> {
        let _ = gradient_norm;
        Some(Scales::UNIT)
    }

    /// The scales for a neuron with norm `gradient_norm` in a layer whose norms for the same batch are
    /// summarized by `layer`. Agrees with [`LearningRule::scales`] wherever that is `Some`. Default
    /// [`Scales::UNIT`].
    fn scales_in_layer(&self, gradient_norm: f64, layer: &LayerNorms) -> Scales {
        let _ = (gradient_norm, layer);
        Scales::UNIT
    }
}

/// Division guard of the greedy rule, as in the authors' published code: added to every gradient norm
/// it divides by, and the threshold under which a norm or a layer's sum of squared norms counts as zero.
pub const GREEDY_EPSILON: f64 = 1e-15;

/// The gradient norms of one layer's neurons for one batch, as much as a greedy neuron needs of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerNorms {
    /// `Σ_j ‖g_j‖²` over the layer.
    pub sum_of_squares: f64,
    /// `(1/n) Σ_j ‖g_j‖` over the layer's `n` neurons (zero norms included).
    pub mean: f64,
}

impl LayerNorms {
    /// The summary of `norms`, one per neuron of a layer, summed in the order given.
    pub fn of(norms: &[f64]) -> LayerNorms {
        let mut sum_of_squares = 0.0;
        let mut sum = 0.0;
        for &f in norms {
            sum_of_squares += f * f;
            sum += f;
        }
        LayerNorms {
            sum_of_squares,
            mean: if norms.is_empty() {
                0.0
            } else {
                sum / norms.len() as f64
            },
        }
    }
}

/// Exact attention `a = w · d`: equals backprop under E1–E4.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attention;

impl LearningRule for Attention {
    fn name(&self) -> &'static str {
        "Attention"
    }
}

/// The authors' greedy rule: every neuron's weight step is `lr · g/‖g‖` (norm `lr` without momentum),
/// the attention it pays is scaled by `1/‖g‖`, the bias takes a plain step. As in the authors' code,
/// every division adds [`GREEDY_EPSILON`]; a neuron whose norm is below it uses the mean norm of its
/// layer instead (so it still passes credit down), and a layer whose squared norms sum to at most
/// [`GREEDY_EPSILON`] takes a plain gradient step (unit scales). A neuron can decide alone when
/// `‖g‖² > GREEDY_EPSILON`, since its layer's sum is then above the threshold too.
#[derive(Clone, Copy, Debug, Default)]
pub struct GreedyAttention;

impl LearningRule for GreedyAttention {
    fn name(&self) -> &'static str {
        "GreedyAttention"
    }

    fn needs_gradient_norm(&self) -> bool {
        true
    }

    fn scales(&self, gradient_norm: f64) -> Option<Scales> {
        (gradient_norm * gradient_norm > GREEDY_EPSILON).then(|| greedy_scales(gradient_norm))
    }

    fn scales_in_layer(&self, gradient_norm: f64, layer: &LayerNorms) -> Scales {
        if layer.sum_of_squares <= GREEDY_EPSILON {
            return Scales::UNIT;
        }
        if gradient_norm < GREEDY_EPSILON {
            greedy_scales(layer.mean)
        } else {
            greedy_scales(gradient_norm)
        }
    }
}

/// Attention and weights scaled by `1/(norm + ε)`, a plain bias step.
fn greedy_scales(norm: f64) -> Scales {
    let inverse = 1.0 / (norm + GREEDY_EPSILON);
    Scales {
        attention: inverse,
        weights: inverse,
        bias: 1.0,
    }
}

/// Feedback alignment: attention paid through fixed random weights.
#[derive(Clone, Copy, Debug, Default)]
pub struct FeedbackAlignment;

impl LearningRule for FeedbackAlignment {
    fn name(&self) -> &'static str {
        "FeedbackAlignment"
    }

    fn feedback(&self) -> Feedback {
        Feedback::FixedRandom
    }
}

impl RuleSpec {
    /// The runtime rule. `Backprop` is exact attention computed densely.
    pub fn build(self) -> Box<dyn LearningRule> {
        match self {
            RuleSpec::Attention | RuleSpec::Backprop => Box::new(Attention),
            RuleSpec::GreedyAttention => Box::new(GreedyAttention),
            RuleSpec::FeedbackAlignment => Box::new(FeedbackAlignment),
            RuleSpec::EstimatedAttention { step, .. } => match step {
                Step::Gradient => Box::new(Attention),
                Step::Greedy => Box::new(GreedyAttention),
            },
        }
    }
}

/// Stochastic gradient steps with momentum, applied by a neuron to the parameters it owns:
/// `v ← momentum·v + step; w ← w + lr·v` (with `momentum = 0` the velocity is not stored).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f64,
    /// Momentum coefficient in [0, 1).
    pub momentum: f64,
}

impl Sgd {
    /// Applies `scale · step` to `params`, with `velocity` the same length as `params` (ignored when
    /// momentum is 0). `step` is the ascent direction of the neuron's objective.
    #[inline]
    pub fn apply(&self, params: &mut [f64], velocity: &mut [f64], step: &[f64], scale: f64) {
        if self.momentum == 0.0 {
            for (w, &g) in params.iter_mut().zip(step) {
                *w += self.lr * (scale * g);
            }
        } else {
            for ((w, v), &g) in params.iter_mut().zip(velocity.iter_mut()).zip(step) {
                *v = self.momentum * *v + scale * g;
                *w += self.lr * *v;
            }
        }
    }

    /// [`Sgd::apply`] for a single parameter.
    #[inline]
    pub fn apply_one(&self, param: &mut f64, velocity: &mut f64, step: f64, scale: f64) {
        self.apply(
            std::slice::from_mut(param),
            std::slice::from_mut(velocity),
            &[step],
            scale,
        );
    }
}
