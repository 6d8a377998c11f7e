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

    /// The scales for a neuron whose mean gradient has norm `gradient_norm`. Default [`Scales::UNIT`].
    fn scales(&self, gradient_norm: f64) -> Scales {
        let _ = gradient_norm;
        Scales::UNIT
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

/// The authors' greedy rule: every neuron's weight step has norm `lr`, the attention it pays is
/// scaled by `1/‖g‖`, the bias takes a plain step; a neuron with `g = 0` neither moves nor pays.
#[derive(Clone, Copy, Debug, Default)]
pub struct GreedyAttention;

impl LearningRule for GreedyAttention {
    fn name(&self) -> &'static str {
        "GreedyAttention"
    }

    fn needs_gradient_norm(&self) -> bool {
        true
    }

    fn scales(&self, gradient_norm: f64) -> Scales {
        if gradient_norm > 0.0 {
            let inverse = 1.0 / gradient_norm;
            Scales {
                attention: inverse,
                weights: inverse,
                bias: 1.0,
            }
        } else {
            Scales {
                attention: 0.0,
                weights: 0.0,
                bias: 0.0,
            }
        }
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
