//! The `seeds` field: seeds for some purposes, fixed independently of the scenario's `seed`, so a
//! stability study can hold "which network" still while it varies "which failures".

use serde::{Deserialize, Serialize};

use crate::rng::{SeedGroup, Streams};

/// Per-purpose seeds. A purpose left `None` draws from the scenario's `seed`; one set here draws
/// from its own seed, whatever `seed` is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSpec {
    /// Synthetic datasets and the train/test split.
    #[serde(default)]
    pub data: Option<u64>,
    /// The order of training samples in each epoch.
    #[serde(default)]
    pub order: Option<u64>,
    /// The network: which synapses a sparse network has, initial weights, feedback weights.
    #[serde(default)]
    pub network: Option<u64>,
    /// Each message's drop and delay.
    #[serde(default)]
    pub links: Option<u64>,
    /// Random crashes and cuts, and the new weights of neurons that lose their state.
    #[serde(default)]
    pub faults: Option<u64>,
}

impl SeedSpec {
    /// Whether no purpose has its own seed.
    pub fn is_empty(&self) -> bool {
        *self == SeedSpec::default()
    }

    /// The seed this spec gives `group`, if any.
    pub fn of(&self, group: SeedGroup) -> Option<u64> {
        match group {
            SeedGroup::Data => self.data,
            SeedGroup::Order => self.order,
            SeedGroup::Network => self.network,
            SeedGroup::Links => self.links,
            SeedGroup::Faults => self.faults,
        }
    }

    /// The streams of scenario seed `seed` with the groups this spec seeds reseeded.
    pub fn streams(&self, seed: u64) -> Streams {
        SeedGroup::ALL
            .into_iter()
            .fold(Streams::new(seed), |streams, group| match self.of(group) {
                Some(own) => streams.reseeded(group, own),
                None => streams,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Purpose;
    use rand::RngCore;

    fn first(streams: &Streams, purpose: Purpose) -> u64 {
        streams.stream(purpose).next_u64()
    }

    #[test]
    fn a_seeded_purpose_ignores_the_scenario_seed_and_the_rest_follow_it() {
        let spec = SeedSpec {
            faults: Some(3),
            ..SeedSpec::default()
        };
        let (a, b) = (spec.streams(1), spec.streams(2));
        assert_eq!(first(&a, Purpose::Faults), first(&b, Purpose::Faults));
        assert_eq!(first(&a, Purpose::Reinit), first(&b, Purpose::Reinit));
        assert_eq!(
            first(&a, Purpose::Faults),
            first(&Streams::new(3), Purpose::Faults)
        );
        for other in [Purpose::Init, Purpose::Split, Purpose::ForwardMessages] {
            assert_ne!(first(&a, other), first(&b, other), "{other:?}");
            assert_eq!(first(&a, other), first(&Streams::new(1), other));
        }
        assert_eq!(SeedSpec::default().streams(9), Streams::new(9));
    }
}
