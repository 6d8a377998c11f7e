//! Sampling link delays.

use rand::distr::{Distribution, Uniform};

use crate::rng::Rng;
use crate::scenario::Delay;

/// A validated delay distribution, ready to draw ticks.
#[derive(Clone, Debug)]
pub(crate) enum DelaySampler {
    Constant(u64),
    Uniform(Uniform<u64>),
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
        }
    }

    /// A delay in ticks; a constant draws no random number.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match self {
            DelaySampler::Constant(t) => *t,
            DelaySampler::Uniform(u) => u.sample(rng),
        }
    }
}
