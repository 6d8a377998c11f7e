//! The loss agent: an agent of the environment that waits for a sample's output values (like a
//! neuron waits for its inputs), computes the task loss against the target and answers every output
//! neuron with its demand `d = −∂L/∂z`.

use super::slots::Wave;

/// The loss agent's state per slot, and its memory of the last output values.
#[derive(Debug)]
pub(crate) struct LossAgent {
    /// The wave of output values, per slot.
    pub waves: Vec<Wave>,
    /// When the agent acts for the slot (`u64::MAX`: not planned).
    pub scheduled: Vec<u64>,
    /// Whether the agent has acted (or given up) for the slot.
    pub done: Vec<bool>,
    /// Last value used per output, for `missing_input: LastValue`.
    pub last_output: Vec<f64>,
    /// Scratch: the values used and the demands of the sample being answered.
    pub values: Vec<f64>,
    pub demands: Vec<f64>,
}

impl LossAgent {
    /// The agent for `slots` slots and `outputs` outputs.
    pub fn new(slots: usize, outputs: usize, timed: bool) -> LossAgent {
        LossAgent {
            waves: vec![Wave::default(); slots],
            scheduled: vec![u64::MAX; slots],
            done: vec![true; slots],
            last_output: vec![0.0; if timed { outputs } else { 0 }],
            values: vec![0.0; outputs],
            demands: vec![0.0; outputs],
        }
    }

    /// A new sample enters `slot`.
    pub fn admit(&mut self, slot: usize, outputs: usize) {
        self.waves[slot] = Wave::new(outputs as u32);
        self.scheduled[slot] = u64::MAX;
        self.done[slot] = false;
    }

    /// Whether an action for `slot` at `time` is the one planned.
    #[inline]
    pub fn is_planned(&self, slot: usize, time: u64) -> bool {
        !self.done[slot] && self.scheduled[slot] == time
    }
}
