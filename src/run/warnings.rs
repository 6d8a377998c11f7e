//! What a user should be told about a finished run, naming neurons as scenarios do.

use super::metrics::MetricsRow;
use crate::engine::trace::neuron_name;
use crate::plan::Plan;
use crate::trainer::TrainReport;

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
    if report.samples_seen < plan.schedule.len() {
        warnings.push(format!(
            "training stopped after {} of {} samples",
            report.samples_seen,
            plan.schedule.len()
        ));
    }
    if !last.test_loss.is_finite() {
        warnings.push("the final test loss is not finite: training diverged".into());
    }
    warnings
}
