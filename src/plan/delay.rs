//! Link delays and drops as functions of one random word per message.
//!
//! Every message gets one 64-bit word from its sample's message stream (see
//! [`crate::rng::MessageDraws`]): the upper 32 bits decide whether the link drops it, the lower 32
//! bits give its delay by inverse transform. Both are monotone in the word and in the parameter: with
//! the same seed, a larger drop probability drops a superset of the messages, and a larger mean delay
//! gives every message a delay at least as long (monotone coupling, which makes sweeps over these
//! knobs smooth). Probabilities are resolved to 2⁻³², so a distribution's tail beyond its
//! `1 − 2⁻³²` quantile is never drawn.
//!
//! Continuous delays are rounded to the nearest tick, so each is a distribution over the integers:
//! `P(D ≤ k) = F(k + ½)`. It is sampled from a table of those probabilities (with a guide table for
//! constant expected time per draw); the far tail, past the table, falls back on the continuous
//! inverse.

use crate::math;
use crate::scenario::Delay;

/// `2³²`, the number of distinct 32-bit uniforms.
const SCALE: f64 = 4_294_967_296.0;
/// Largest table of a discretized continuous delay (its far tail uses the continuous inverse).
const MAX_TABLE: usize = 1 << 16;
/// Bits of the guide table's index.
const GUIDE_BITS: u32 = 12;
/// Buckets of the guide table: a fixed size, so that a bucket index needs no bounds check.
const BUCKETS: usize = 1 << GUIDE_BITS;

/// The fate of one message: dropped by its link, and the delay it has (or would have had).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fate(u32);

impl Fate {
    const DROPPED: u32 = 1 << 31;

    /// A fate; `delay` must be below 2³¹ ticks (validation caps delays far lower).
    #[inline]
    pub fn new(dropped: bool, delay: u64) -> Fate {
        debug_assert!(delay < u64::from(Fate::DROPPED));
        Fate(delay as u32 | if dropped { Fate::DROPPED } else { 0 })
    }

    /// Whether the link drops the message.
    #[inline]
    pub fn dropped(self) -> bool {
        self.0 & Fate::DROPPED != 0
    }

    /// Its delay in ticks (what it would have been, if dropped).
    #[inline]
    pub fn delay(self) -> u64 {
        u64::from(self.0 & !Fate::DROPPED)
    }
}

/// One direction of a link: its delay distribution and drop probability.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    delay: DelayDistribution,
    /// Dropped when the word's upper half is below this: `⌈p · 2³²⌉`.
    drop_below: u64,
}

impl Channel {
    /// A channel with a validated delay and a drop probability in [0, 1].
    pub fn new(delay: Delay, drop_probability: f64) -> Channel {
        Channel {
            delay: DelayDistribution::new(delay),
            drop_below: (drop_probability * SCALE).ceil().clamp(0.0, SCALE) as u64,
        }
    }

    /// Whether messages need a random word: a random delay or a drop probability above 0.
    pub fn is_random(&self) -> bool {
        self.drop_below > 0 || !matches!(self.delay, DelayDistribution::Constant(_))
    }

    /// The delay of every message, when it is constant and nothing is dropped.
    pub fn constant(&self) -> Option<u64> {
        match self.delay {
            DelayDistribution::Constant(t) if self.drop_below == 0 => Some(t),
            _ => None,
        }
    }

    /// Whether the channel can drop a message.
    pub fn can_drop(&self) -> bool {
        self.drop_below > 0
    }

    /// The fate of a message whose random word is `word` (ignored when the channel is not random).
    #[inline]
    pub fn fate(&self, word: u64) -> Fate {
        Fate::new(
            (word >> 32) < self.drop_below,
            self.delay.sample(word as u32),
        )
    }

    /// The fates of messages with the random `words`, into `fates` (the same as [`Channel::fate`]
    /// of each, with the distribution's branch taken once).
    pub fn fates(&self, words: &[u64], fates: &mut [Fate]) {
        let drop_below = self.drop_below;
        // `(w >> 32) < drop_below` as the borrow of the subtraction: both are at most 2³², so the
        // difference is negative (all upper bits set) exactly when the word is dropped.
        let fate = |w: u64, delay: u64| {
            debug_assert!(delay < u64::from(Fate::DROPPED));
            let borrow = ((w >> 32).wrapping_sub(drop_below) >> 32) as u32;
            Fate(delay as u32 | (borrow & Fate::DROPPED))
        };
        match &self.delay {
            DelayDistribution::Constant(t) => {
                for (f, &w) in fates.iter_mut().zip(words) {
                    *f = fate(w, *t);
                }
            }
            DelayDistribution::Uniform { min, span } => {
                for (f, &w) in fates.iter_mut().zip(words) {
                    *f = fate(w, min + ((u64::from(w as u32) * span) >> 32));
                }
            }
            DelayDistribution::Table(table) => {
                // Two passes: the drop bits alone vectorize; then a look-up per delay, the pure
                // buckets' table in a local so the loop keeps it in a register.
                for (f, &w) in fates.iter_mut().zip(words) {
                    *f = fate(w, 0);
                }
                let pure: &[u32; BUCKETS] = &table.pure;
                for (f, &w) in fates.iter_mut().zip(words) {
                    let delay = match pure[DelayTable::bucket(w as u32)] {
                        u32::MAX => table.search(w as u32) as u32,
                        d => d,
                    };
                    // Below 2³¹ (see `Fate::new`): clear of the drop bit.
                    f.0 |= delay;
                }
            }
        }
    }
}

/// A delay distribution over whole ticks, sampled from a 32-bit uniform.
#[derive(Clone, Debug, PartialEq)]
enum DelayDistribution {
    Constant(u64),
    /// `min + ⌊u · (max − min + 1) / 2³²⌋`.
    Uniform {
        min: u64,
        span: u64,
    },
    Table(Box<DelayTable>),
}

/// A rounded continuous distribution: `thresholds[k] = ⌈2³² · P(D ≤ k)⌉` for `k < thresholds.len()`.
#[derive(Clone, Debug, PartialEq)]
struct DelayTable {
    thresholds: Vec<u64>,
    /// `guide[b]`: the first `k` whose threshold exceeds the smallest uniform of bucket `b`.
    guide: Box<[u32; BUCKETS]>,
    /// `pure[b]`: the delay of every uniform of bucket `b` when they all have the same one (most
    /// buckets), else `u32::MAX`.
    pure: Box<[u32; BUCKETS]>,
    /// The continuous quantile function, for the tail past the table.
    tail: Continuous,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Continuous {
    Exponential { mean: f64 },
    LogNormal { mu: f64, sigma: f64 },
}

impl Continuous {
    /// `P(X < x)`.
    fn cdf(self, x: f64) -> f64 {
        match self {
            Continuous::Exponential { mean } => 1.0 - math::exp(-x / mean),
            Continuous::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    math::normal_cdf((math::ln(x) - mu) / sigma)
                }
            }
        }
    }

    /// The quantile of `p` in (0, 1).
    fn quantile(self, p: f64) -> f64 {
        match self {
            Continuous::Exponential { mean } => -mean * math::ln(1.0 - p),
            Continuous::LogNormal { mu, sigma } => {
                math::exp(mu + sigma * math::inverse_normal_cdf(p))
            }
        }
    }
}

/// A continuous delay rounded to the nearest tick, saturating far beyond any sensible delay.
fn round_ticks(t: f64) -> u64 {
    (t.clamp(0.0, 1e9) + 0.5) as u64
}

impl DelayDistribution {
    fn new(delay: Delay) -> DelayDistribution {
        match delay {
            Delay::Constant(t) => DelayDistribution::Constant(t.max(0) as u64),
            Delay::Uniform { min, max } if min >= max => {
                DelayDistribution::Constant(min.max(0) as u64)
            }
            Delay::Uniform { min, max } => DelayDistribution::Uniform {
                min: min.max(0) as u64,
                span: (max - min) as u64 + 1,
            },
            Delay::Exponential { mean } => {
                DelayDistribution::table(Continuous::Exponential { mean })
            }
            Delay::LogNormal { mu, sigma } if sigma <= 0.0 => {
                DelayDistribution::Constant(round_ticks(math::exp(mu)))
            }
            Delay::LogNormal { mu, sigma } => {
                DelayDistribution::table(Continuous::LogNormal { mu, sigma })
            }
        }
    }

    fn table(tail: Continuous) -> DelayDistribution {
        let mut thresholds = Vec::new();
        while thresholds.len() < MAX_TABLE {
            let k = thresholds.len() as f64;
            let t = (tail.cdf(k + 0.5) * SCALE).ceil().clamp(0.0, SCALE) as u64;
            thresholds.push(t);
            if t >= SCALE as u64 {
                break;
            }
        }
        let mut guide = Vec::with_capacity(BUCKETS);
        let mut pure = Vec::with_capacity(BUCKETS);
        let mut k = 0usize;
        for b in 0..BUCKETS as u64 {
            let smallest = b << (32 - GUIDE_BITS);
            while k < thresholds.len() && thresholds[k] <= smallest {
                k += 1;
            }
            guide.push(k as u32);
            // The whole bucket maps to `k` when the largest uniform of the bucket is below its
            // threshold too.
            let largest = smallest + (1 << (32 - GUIDE_BITS)) - 1;
            pure.push(if k < thresholds.len() && largest < thresholds[k] {
                k as u32
            } else {
                u32::MAX
            });
        }
        DelayDistribution::Table(Box::new(DelayTable {
            thresholds,
            guide: guide.try_into().expect("one entry per bucket"),
            pure: pure.try_into().expect("one entry per bucket"),
            tail,
        }))
    }

    #[inline(always)]
    fn sample(&self, u: u32) -> u64 {
        match self {
            DelayDistribution::Constant(t) => *t,
            DelayDistribution::Uniform { min, span } => min + ((u64::from(u) * span) >> 32),
            DelayDistribution::Table(table) => table.sample(u),
        }
    }
}

impl DelayTable {
    /// The least `k` with `u < thresholds[k]`; past the table, the rounded continuous quantile.
    #[inline(always)]
    fn sample(&self, u: u32) -> u64 {
        match self.pure[DelayTable::bucket(u)] {
            u32::MAX => self.search(u),
            d => u64::from(d),
        }
    }

    /// The guide-table bucket of `u`.
    #[inline(always)]
    fn bucket(u: u32) -> usize {
        (u >> (32 - GUIDE_BITS)) as usize
    }

    /// [`DelayTable::sample`] of a `u` whose bucket is not pure: a search from the guide. Out of
    /// line, so the loops over pure buckets stay tight.
    #[inline(never)]
    fn search(&self, u: u32) -> u64 {
        let bucket = DelayTable::bucket(u);
        let u = u64::from(u);
        let mut k = self.guide[bucket] as usize;
        while k < self.thresholds.len() && self.thresholds[k] <= u {
            k += 1;
        }
        if k < self.thresholds.len() {
            return k as u64;
        }
        self.far_tail(u)
    }

    /// Past the table: the rounded continuous quantile.
    #[cold]
    fn far_tail(&self, u: u64) -> u64 {
        let p = (u as f64 + 0.5) / SCALE;
        round_ticks(self.tail.quantile(p)).max(self.thresholds.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_of(delay: Delay) -> f64 {
        let d = DelayDistribution::new(delay);
        let n = 1u64 << 16;
        (0..n)
            .map(|i| d.sample(((i << 16) | (i * 2_654_435_761 % 65_536)) as u32) as f64)
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn delays_have_their_distributions_mean() {
        assert_eq!(mean_of(Delay::Constant(3)), 3.0);
        assert!((mean_of(Delay::Uniform { min: 2, max: 6 }) - 4.0).abs() < 1e-3);
        // Rounding to the nearest tick changes the exponential's mean by little.
        let m = mean_of(Delay::Exponential { mean: 5.0 });
        assert!((m - 5.0).abs() < 0.05, "{m}");
        let (mu, sigma) = (1.0f64, 0.5f64);
        let m = mean_of(Delay::LogNormal { mu, sigma });
        let exact = (mu + sigma * sigma / 2.0).exp();
        assert!((m - exact).abs() < 0.05, "{m} vs {exact}");
    }

    #[test]
    fn delays_are_monotone_in_the_uniform_and_the_mean() {
        let short = DelayDistribution::new(Delay::Exponential { mean: 2.0 });
        let long = DelayDistribution::new(Delay::Exponential { mean: 7.0 });
        let mut previous = 0;
        for i in 0..=4096u64 {
            let u = (i * (u32::MAX as u64) / 4096) as u32;
            let (a, b) = (short.sample(u), long.sample(u));
            assert!(a <= b, "u = {u}: {a} > {b}");
            assert!(a >= previous);
            previous = a;
        }
        // The top uniform reaches the tail past the table without overflow.
        let heavy = DelayDistribution::new(Delay::LogNormal {
            mu: 3.0,
            sigma: 2.0,
        });
        assert!(heavy.sample(u32::MAX) > heavy.sample(u32::MAX / 2));
    }

    #[test]
    fn batched_fates_are_the_single_fates() {
        let mut words: Vec<u64> = (0..100_000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        words.extend([0, u64::MAX, u64::from(u32::MAX), u64::MAX << 32]);
        for delay in [
            Delay::Constant(2),
            Delay::Uniform { min: 1, max: 9 },
            Delay::Exponential { mean: 4.0 },
            Delay::LogNormal {
                mu: 1.0,
                sigma: 1.5,
            },
        ] {
            for p in [0.0, 0.3, 1.0] {
                let channel = Channel::new(delay, p);
                // Words on either side of the drop threshold.
                let edge = channel.drop_below;
                let mut words = words.clone();
                words.extend(
                    [edge.saturating_sub(1), edge, edge + 1]
                        .map(|h| (h.min(u64::from(u32::MAX)) << 32) | 0x1234_5678),
                );
                let mut batch = vec![Fate::new(false, 0); words.len()];
                channel.fates(&words, &mut batch);
                for (&w, &f) in words.iter().zip(&batch) {
                    assert_eq!(f, channel.fate(w), "{delay:?}, p = {p}");
                }
            }
        }
    }

    #[test]
    fn table_samples_are_the_least_threshold_above() {
        for delay in [
            Delay::Exponential { mean: 3.0 },
            Delay::Exponential { mean: 0.3 },
            Delay::LogNormal {
                mu: 1.0,
                sigma: 1.5,
            },
        ] {
            let d = DelayDistribution::new(delay);
            let DelayDistribution::Table(table) = &d else {
                panic!("{delay:?} has a table");
            };
            // Every bucket's ends and a spread of uniforms inside the buckets.
            let edges = (0..BUCKETS as u64).flat_map(|b| {
                let start = b << (32 - GUIDE_BITS);
                [start, start + 1, start + (1 << (32 - GUIDE_BITS)) - 1]
            });
            let spread = (0..1u64 << 16).map(|i| i.wrapping_mul(0x9e37_79b9) & 0xffff_ffff);
            for u in edges.chain(spread) {
                let k = table.thresholds.partition_point(|&t| t <= u) as u64;
                let expected = if k < table.thresholds.len() as u64 {
                    k
                } else {
                    table.far_tail(u)
                };
                assert_eq!(table.sample(u as u32), expected, "{delay:?}, u = {u}");
            }
        }
    }

    #[test]
    fn drops_are_monotone_in_the_probability() {
        let words = [0u64, 1 << 31, 5 << 32, u64::MAX / 3, u64::MAX];
        for p in [0.0, 0.1, 0.5, 0.9, 1.0] {
            let lower = Channel::new(Delay::Constant(1), p * 0.5);
            let higher = Channel::new(Delay::Constant(1), p);
            for &w in &words {
                assert!(!lower.fate(w).dropped() || higher.fate(w).dropped());
            }
        }
        assert!(Channel::new(Delay::Constant(1), 1.0)
            .fate(u64::MAX)
            .dropped());
        assert!(!Channel::new(Delay::Constant(1), 0.0).fate(0).dropped());
        assert!(!Channel::new(Delay::Constant(1), 0.0).is_random());
    }
}
