//! Which neurons are down and which synapses are cut, and for how long neurons were down. Neurons and
//! synapses are named by [`NeuronId`] and [`SynapseId`], so the one cannot be asked about as the other.

use crate::topology::{NeuronId, SynapseId};

/// Crashed neurons and cut synapses. Crashes and cuts nest: a neuron crashed twice needs two
/// recoveries.
#[derive(Debug)]
pub(crate) struct Health {
    down: Vec<u16>,
    down_since: Vec<u64>,
    /// Sum of `down_since` over the neurons down now, so the downtime so far is O(1) to read.
    down_since_sum: u64,
    /// Neurons down now.
    pub neurons_down: usize,
    /// Sum over neurons of the ticks each spent down, for finished downtimes.
    pub crashed_ticks: u64,
    cuts: Vec<u16>,
    /// Synapses under at least one cut.
    cut_synapses: usize,
    /// The integral of `cut_synapses` over time up to `cut_changed`: synapse-ticks spent cut.
    cut_ticks: u64,
    cut_changed: u64,
}

impl Health {
    /// Everything up, nothing cut.
    pub fn new(neurons: usize, synapses: usize) -> Health {
        Health {
            down: vec![0; neurons],
            down_since: vec![0; neurons],
            down_since_sum: 0,
            neurons_down: 0,
            crashed_ticks: 0,
            cuts: vec![0; synapses],
            cut_synapses: 0,
            cut_ticks: 0,
            cut_changed: 0,
        }
    }

    /// Whether `neuron` is down.
    #[inline]
    pub fn is_down(&self, neuron: NeuronId) -> bool {
        self.down[neuron.index()] > 0
    }

    /// Whether `synapse` is cut.
    #[inline]
    pub fn is_cut(&self, synapse: SynapseId) -> bool {
        self.cuts[synapse.index()] > 0
    }

    /// `neuron` crashes at `now`; true when it was up.
    pub fn crash(&mut self, neuron: NeuronId, now: u64) -> bool {
        let j = neuron.index();
        self.down[j] += 1;
        if self.down[j] > 1 {
            return false;
        }
        self.neurons_down += 1;
        self.down_since[j] = now;
        self.down_since_sum += now;
        true
    }

    /// `neuron` recovers at `now`; true when it is up again.
    pub fn recover(&mut self, neuron: NeuronId, now: u64) -> bool {
        let j = neuron.index();
        if self.down[j] == 0 {
            return false;
        }
        self.down[j] -= 1;
        if self.down[j] > 0 {
            return false;
        }
        self.neurons_down -= 1;
        self.crashed_ticks += now - self.down_since[j];
        self.down_since_sum -= self.down_since[j];
        true
    }

    /// Sum over neurons of the ticks each has spent down by `now`, downtimes still going included.
    pub fn crashed_ticks_at(&self, now: u64) -> u64 {
        self.crashed_ticks + self.neurons_down as u64 * now - self.down_since_sum
    }

    /// Synapses under at least one cut now.
    pub fn synapses_cut(&self) -> usize {
        self.cut_synapses
    }

    /// Sum over synapses of the ticks each has spent cut by `now`.
    pub fn cut_ticks_at(&self, now: u64) -> u64 {
        self.cut_ticks + self.cut_synapses as u64 * (now - self.cut_changed)
    }

    /// Brings `cut_ticks` up to `now`, before `cut_synapses` changes.
    fn cut_count_changes(&mut self, now: u64) {
        self.cut_ticks = self.cut_ticks_at(now);
        self.cut_changed = now;
    }

    /// Whether every neuron is up and no synapse is cut.
    #[inline]
    pub fn quiet(&self) -> bool {
        self.neurons_down == 0 && self.cut_synapses == 0
    }

    /// Cuts `synapse` at `now`.
    pub fn cut(&mut self, synapse: SynapseId, now: u64) {
        let e = synapse.index();
        self.cut_count_changes(now);
        self.cuts[e] += 1;
        if self.cuts[e] == 1 {
            self.cut_synapses += 1;
        }
    }

    /// Repairs one cut of `synapse` at `now`.
    pub fn repair(&mut self, synapse: SynapseId, now: u64) {
        let e = synapse.index();
        self.cut_count_changes(now);
        if self.cuts[e] == 1 {
            self.cut_synapses -= 1;
        }
        self.cuts[e] = self.cuts[e].saturating_sub(1);
    }

    /// The neurons down at the end of a run at `now` (as indices, for the run's report), adding their
    /// downtime so far.
    pub fn down_at_end(&mut self, now: u64) -> Vec<usize> {
        let down: Vec<usize> = (0..self.down.len()).filter(|&j| self.down[j] > 0).collect();
        for &j in &down {
            self.crashed_ticks += now - self.down_since[j];
        }
        down
    }
}
