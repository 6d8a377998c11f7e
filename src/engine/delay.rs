//! Sampling link delays.

use rand::distr::{Distribution, Uniform};
use rand_distr::{Exp, LogNormal};

use crate::rng::Rng;
use crate::scenario::Delay;

/// A validated delay distribution, ready to draw ticks.
#[derive(Clone, Debug)]
pub(crate) enum DelaySampler {
    Constant(u64),
    Uniform(Uniform<u64>),
    Exponential(Exp<f64>),
    LogNormal(LogNormal<f64>),
}

impl DelaySampler {
    /// The sampler of a validated [`Delay`].
    pub fn new(delay: Delay) -> Self {
        match delay {
            Delay::Constant(t) => DelaySampler::Constant(t.max(0) as u64),
            Delay::Uniform { min, max } if min == max => DelaySampler::Constant(min.max(0) as u64),
            Delay::Uniform { min, max } => DelaySampler::Uniform(
                Uniform::new_inclusive(min.max(0) as u64, max.max(0) as u64)
                    .expect("validated: 0 <= min <= max"),
            ),
            Delay::Exponential { mean } => {
                DelaySampler::Exponential(Exp::new(1.0 / mean).expect("validated: mean > 0"))
            }
            Delay::LogNormal { mu, sigma } => {
                DelaySampler::LogNormal(LogNormal::new(mu, sigma).expect("validated: sigma >= 0"))
            }
        }
    }

    /// A delay in ticks; a constant draws no random number.
    #[inline(always)]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match self {
            DelaySampler::Constant(t) => *t,
            DelaySampler::Uniform(u) => u.sample(rng),
            DelaySampler::Exponential(d) => round_ticks(d.sample(rng)),
            DelaySampler::LogNormal(d) => round_ticks(d.sample(rng)),
        }
    }
}

/// Rounds a continuous delay (never negative) to the nearest tick, saturating far beyond any
/// sensible delay. `+ 0.5` and truncation instead of `f64::round`, which is a libm call on this hot
/// path.
#[inline]
fn round_ticks(t: f64) -> u64 {
    (t.min(1e15) + 0.5) as u64
}
