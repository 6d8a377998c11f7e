//! Which neurons are down and which synapses are cut, and for how long neurons were down.

/// Crashed neurons and cut synapses. Crashes and cuts nest: a neuron crashed twice needs two
/// recoveries.
#[derive(Debug)]
pub(crate) struct Health {
    down: Vec<u16>,
    down_since: Vec<u64>,
    /// Neurons down now.
    pub neurons_down: usize,
    /// Sum over neurons of the ticks each spent down, for finished downtimes.
    pub crashed_ticks: u64,
    cuts: Vec<u16>,
    /// Synapses under at least one cut.
    cut_synapses: usize,
}

impl Health {
    /// Everything up, nothing cut.
    pub fn new(neurons: usize, synapses: usize) -> Health {
        Health {
            down: vec![0; neurons],
            down_since: vec![0; neurons],
            neurons_down: 0,
            crashed_ticks: 0,
            cuts: vec![0; synapses],
            cut_synapses: 0,
        }
    }

    /// Whether neuron `j` is down.
    #[inline]
    pub fn is_down(&self, j: usize) -> bool {
        self.down[j] > 0
    }

    /// Whether synapse `e` is cut.
    #[inline]
    pub fn is_cut(&self, e: usize) -> bool {
        self.cuts[e] > 0
    }

    /// Neuron `j` crashes at `now`; true when it was up.
    pub fn crash(&mut self, j: usize, now: u64) -> bool {
        self.down[j] += 1;
        if self.down[j] > 1 {
            return false;
        }
        self.neurons_down += 1;
        self.down_since[j] = now;
        true
    }

    /// Neuron `j` recovers at `now`; true when it is up again.
    pub fn recover(&mut self, j: usize, now: u64) -> bool {
        if self.down[j] == 0 {
            return false;
        }
        self.down[j] -= 1;
        if self.down[j] > 0 {
            return false;
        }
        self.neurons_down -= 1;
        self.crashed_ticks += now - self.down_since[j];
        true
    }

    /// Whether every neuron is up and no synapse is cut.
    #[inline]
    pub fn quiet(&self) -> bool {
        self.neurons_down == 0 && self.cut_synapses == 0
    }

    /// Cuts synapse `e`.
    pub fn cut(&mut self, e: usize) {
        self.cuts[e] += 1;
        if self.cuts[e] == 1 {
            self.cut_synapses += 1;
        }
    }

    /// Repairs one cut of synapse `e`.
    pub fn repair(&mut self, e: usize) {
        if self.cuts[e] == 1 {
            self.cut_synapses -= 1;
        }
        self.cuts[e] = self.cuts[e].saturating_sub(1);
    }

    /// The neurons down at the end of a run at `now`, adding their downtime so far.
    pub fn down_at_end(&mut self, now: u64) -> Vec<usize> {
        let down: Vec<usize> = (0..self.down.len()).filter(|&j| self.down[j] > 0).collect();
        for &j in &down {
            self.crashed_ticks += now - self.down_since[j];
        }
        down
    }
}
