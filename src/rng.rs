//! Seeded random streams, one per purpose, and the per-message draws of the links.
//!
//! Every random draw of a run comes from a ChaCha generator keyed by the scenario seed and a
//! [`Purpose`]: the purposes use disjoint ChaCha streams, so changing how many numbers one purpose
//! draws (say, the delay model) never changes the draws of another (the initial weights, the data
//! order). Paired comparisons across scenarios thus use common random numbers.
//!
//! Message fates go one step further: [`MessageDraws`] gives every message its own random word, at a
//! position of its purpose's stream computed from *what the message is* — the sample's position in
//! the schedule and the synapse (or output) it crosses — never from the order in which an engine
//! happens to send it. Two engines that process events in different orders draw the same numbers,
//! and a scenario that differs only in a drop probability drops a superset of the same messages.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator used for every stream: ChaCha with 8 rounds, statistically sound for simulation and
/// the cheapest of the ChaCha family.
pub type Rng = ChaCha8Rng;

/// What a stream is used for. Each purpose has a fixed stream number, written here: adding a purpose
/// never renumbers the others, so it never changes a seeded result. (Number 9, the drop stream of
/// earlier versions, is retired: drops now come from the message words.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u64)]
pub enum Purpose {
    /// Generating synthetic datasets.
    DataGen = 1,
    /// The train/test split.
    Split = 2,
    /// The order of training samples in each epoch.
    Order = 3,
    /// Which synapses exist in sparse networks.
    Topology = 4,
    /// Initial weights.
    Init = 5,
    /// Fixed random feedback weights (feedback alignment).
    Feedback = 6,
    /// One word per forward message (and output value sent to the loss agent): drop and delay.
    ForwardMessages = 7,
    /// One word per attention message (and demand sent by the loss agent): drop and delay.
    AttentionMessages = 8,
    /// The random crash and cut processes.
    Faults = 10,
    /// Weights of neurons that lose their state when they recover.
    Reinit = 11,
    /// The order of classes cut into tasks by `RandomClasses` (the seed-dependent pairing of
    /// classes).
    TaskClasses = 12,
    /// The feature permutations of `Permuted` tasks.
    TaskPermutations = 13,
}

/// What a purpose's seed follows: the scenario's `seeds` field can key each group by its own seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SeedGroup {
    /// The data: synthetic generation, the train/test split, and the tasks cut from it (the
    /// pairing of classes, the feature permutations).
    Data = 0,
    /// The order of training samples.
    Order = 1,
    /// The network: sparse topology, initial and feedback weights.
    Network = 2,
    /// Message drops and delays.
    Links = 3,
    /// Random faults and the weights of neurons that lose their state.
    Faults = 4,
}

impl SeedGroup {
    /// Every group, in order.
    pub const ALL: [SeedGroup; 5] = [
        SeedGroup::Data,
        SeedGroup::Order,
        SeedGroup::Network,
        SeedGroup::Links,
        SeedGroup::Faults,
    ];
}

impl Purpose {
    /// The seed group of this purpose. Exhaustive on purpose: a new purpose must say which seed it
    /// follows.
    pub fn group(self) -> SeedGroup {
        match self {
            Purpose::DataGen
            | Purpose::Split
            | Purpose::TaskClasses
            | Purpose::TaskPermutations => SeedGroup::Data,
            Purpose::Order => SeedGroup::Order,
            Purpose::Topology | Purpose::Init | Purpose::Feedback => SeedGroup::Network,
            Purpose::ForwardMessages | Purpose::AttentionMessages => SeedGroup::Links,
            Purpose::Faults | Purpose::Reinit => SeedGroup::Faults,
        }
    }
}

/// Hands out the generator of each purpose: by default all keyed by one seed, each seed group
/// possibly by its own (a scenario's `seeds` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Streams {
    /// The seed of each group, by group number.
    seeds: [u64; SeedGroup::ALL.len()],
}

impl Streams {
    /// The streams of a scenario seed.
    pub fn new(seed: u64) -> Self {
        Streams {
            seeds: [seed; SeedGroup::ALL.len()],
        }
    }

    /// These streams with `group` keyed by `seed` instead.
    pub fn reseeded(mut self, group: SeedGroup, seed: u64) -> Self {
        self.seeds[group as usize] = seed;
        self
    }

    /// The seed `purpose` is keyed by.
    pub fn seed_of(&self, purpose: Purpose) -> u64 {
        self.seeds[purpose.group() as usize]
    }

    /// A fresh generator for `purpose`: calling twice gives the same sequence.
    pub fn stream(&self, purpose: Purpose) -> Rng {
        let mut rng = Rng::seed_from_u64(self.seed_of(purpose));
        rng.set_stream(purpose as u64);
        rng
    }
}

/// Random words addressed by what they are for: word `k` of sample `position` is the
/// `position · stride + k`-th 64-bit word of the purpose's stream. Seeking costs one ChaCha block
/// refill; reading consecutive words after that is as cheap as a plain stream.
#[derive(Clone, Debug)]
pub struct MessageDraws {
    rng: Rng,
    stride: u64,
}

impl MessageDraws {
    /// The words of `purpose`, `stride` words per sample.
    pub fn new(streams: &Streams, purpose: Purpose, stride: usize) -> MessageDraws {
        MessageDraws {
            rng: streams.stream(purpose),
            stride: stride as u64,
        }
    }

    fn seek(&mut self, position: u64, k: u64) {
        debug_assert!(k < self.stride);
        let word = u128::from(position) * u128::from(self.stride) + u128::from(k);
        // Two 32-bit ChaCha words per 64-bit word.
        self.rng.set_word_pos(2 * word);
    }

    /// Word `k` of sample `position`.
    pub fn word(&mut self, position: u64, k: usize) -> u64 {
        self.seek(position, k as u64);
        self.rng.next_u64()
    }

    /// Words `first..` of sample `position`, lazily: take as many as needed.
    pub fn words(&mut self, position: u64, first: usize) -> impl Iterator<Item = u64> + '_ {
        self.seek(position, first as u64);
        std::iter::repeat_with(move || self.rng.next_u64())
    }

    /// Words `first..first + out.len()` of sample `position`, into `out`.
    pub fn fill(&mut self, position: u64, first: usize, out: &mut [u64]) {
        self.seek(position, first as u64);
        // The stream's bytes, read as little-endian words: the same words as `next_u64` one by
        // one (tested), without a call per word.
        rand::Rng::fill(&mut self.rng, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn filled_words_are_the_words_one_by_one() {
        let s = Streams::new(9);
        let mut draws = MessageDraws::new(&s, Purpose::ForwardMessages, 1000);
        for (position, first, len) in [(0, 0, 1000), (3, 7, 333), (17, 999, 1), (5, 1, 64)] {
            let mut filled = vec![0; len];
            draws.fill(position, first, &mut filled);
            let one_by_one: Vec<u64> = (first..first + len)
                .map(|k| draws.word(position, k))
                .collect();
            assert_eq!(filled, one_by_one);
            let lazily: Vec<u64> = draws.words(position, first).take(len).collect();
            assert_eq!(filled, lazily);
        }
    }

    #[test]
    fn purposes_are_independent_and_repeatable() {
        let s = Streams::new(42);
        let a: u64 = s.stream(Purpose::Init).random();
        let b: u64 = s.stream(Purpose::Init).random();
        let c: u64 = s.stream(Purpose::Order).random();
        let d: u64 = Streams::new(43).stream(Purpose::Init).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    /// The stream numbers are part of every seeded result: they must never change.
    #[test]
    fn purpose_numbers_are_fixed() {
        let numbers = [
            Purpose::DataGen,
            Purpose::Split,
            Purpose::Order,
            Purpose::Topology,
            Purpose::Init,
            Purpose::Feedback,
            Purpose::ForwardMessages,
            Purpose::AttentionMessages,
            Purpose::Faults,
            Purpose::Reinit,
        ]
        .map(|p| p as u64);
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]);
    }

    #[test]
    fn message_words_depend_on_what_they_are_for_not_on_the_order_read() {
        let streams = Streams::new(5);
        let mut a = MessageDraws::new(&streams, Purpose::ForwardMessages, 10);
        let mut b = MessageDraws::new(&streams, Purpose::ForwardMessages, 10);
        let mut block = [0u64; 10];
        a.fill(3, 0, &mut block);
        for k in (0..10).rev() {
            assert_eq!(b.word(3, k), block[k]);
        }
        let mut part = [0u64; 4];
        b.fill(3, 6, &mut part);
        assert_eq!(part, block[6..]);
        assert_ne!(a.word(4, 0), block[0]);
        let mut other = MessageDraws::new(&streams, Purpose::AttentionMessages, 10);
        assert_ne!(other.word(3, 0), block[0]);
    }
}
