//! The `faults` field: scheduled crashes, cuts and partitions, and random fault processes.

use serde::{Deserialize, Serialize};

use super::NeuronRef;

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
