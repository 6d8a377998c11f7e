//! What a user should be told about a finished run, naming neurons as scenarios do.

use super::metrics::MetricsRow;
use crate::engine::trace::neuron_name;
use crate::plan::Plan;
use crate::run::summary::Diverged;
use crate::trainer::{Divergence, TrainReport};

/// The warnings of a run of `plan` that ended with `report` and `last`.
pub(crate) fn warnings(plan: &Plan, report: &TrainReport, last: &MetricsRow) -> Vec<String> {
    let mut warnings: Vec<String> = plan.warnings().to_vec();
    let t = &plan.topology;
    if !report.neurons_down_at_end.is_empty() {
        let hidden_total = t.neurons() - t.inputs().len() - t.outputs().len();
        let hidden_down = report
            .neurons_down_at_end
            .iter()
            .filter(|&&j| !t.is_input(j) && !t.is_output(j))
            .count();
        const SHOWN: usize = 8;
        let mut names: Vec<String> = report
            .neurons_down_at_end
            .iter()
            .take(SHOWN)
            .map(|&j| neuron_name(t.role(j)))
            .collect();
        if report.neurons_down_at_end.len() > SHOWN {
            names.push(format!(
                "and {} more",
                report.neurons_down_at_end.len() - SHOWN
            ));
        }
        let mut text = format!(
            "{} neurons were down when training ended ({hidden_down} of {hidden_total} hidden): {}",
            report.neurons_down_at_end.len(),
            names.join(", ")
        );
        if hidden_total > 0 && hidden_down == hidden_total {
            text += "; every hidden neuron was down, so nothing reached the outputs";
        }
        warnings.push(text);
    }
    if report.samples_without_loss > 0 {
        warnings.push(format!(
            "{} of {} training samples never reached the loss agent; nothing was learned from them",
            report.samples_without_loss, report.samples_seen
        ));
    }
    if report.samples_seen < plan.schedule.len() && report.diverged.is_none() {
        warnings.push(format!(
            "training stopped after {} of {} samples",
            report.samples_seen,
            plan.schedule.len()
        ));
    }
    if let Some(d) = &report.diverged {
        warnings.push(diverged(plan, report, d).describe());
    } else if !last.test_loss.is_finite() {
        warnings.push("the final test loss is not finite".into());
    }
    warnings
}

/// What `summary.json` says of a divergence, with a hint from the settings that make one likely.
pub(crate) fn diverged(plan: &Plan, report: &TrainReport, d: &Divergence) -> Diverged {
    let l = &plan.learning;
    let mut hints = vec![format!("lower the learning rate (lr: {})", l.sgd.lr)];
    if report.staleness.max > 0 {
        hints.push(format!(
            "with {} samples in flight attention is up to {} updates stale: lower the rate for this \
             staleness, or in_flight",
            l.in_flight, report.staleness.max
        ));
    }
    if l.sgd.momentum > 0.0 {
        hints.push(format!("or the momentum ({})", l.sgd.momentum));
    }
    if plan.rule.needs_gradient_norm() {
        hints.push(
            "the greedy rule scales attention by 1/‖g‖ layer after layer: tiny norms give huge \
             demands and bias steps"
                .into(),
        );
    }
    Diverged {
        position: d.position,
        sample: d.sample,
        neuron: d.neuron.map(|j| neuron_name(plan.topology.role(j))),
        hint: hints.join("; "),
    }
}

impl Diverged {
    /// The warning line.
    pub fn describe(&self) -> String {
        let neuron = match &self.neuron {
            Some(n) => {
                format!("; {n} was the first neuron with a weight or bias that is not finite")
            }
            None => "; every weight was finite, the outputs overflowed".into(),
        };
        format!(
            "training diverged: the loss of training sample {} (schedule position {}) is not a \
             finite number{neuron}; training stopped there. Hint: {}",
            self.sample, self.position, self.hint
        )
    }
}
