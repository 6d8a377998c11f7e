//! The network's dynamics over a run, drawn from `metrics.csv`'s rows: gradient alignment per layer,
//! messages sent per training sample by kind, staleness of attention, and the neurons down and
//! synapses cut, with the stretches that had a crash or a cut shaded.
//!
//! Counts in `metrics.csv` are cumulative; each value here is one of a window between two
//! checkpoints (drawn at the window's end, as the training loss is), so a crash shows where it
//! happened instead of being averaged into the run so far.

use plotters::prelude::{RGBColor, SeriesLabelPosition};

use super::{Curves, Panel, Series, Shade, YAxis, PALETTE};
use crate::run::MetricsRow;
use crate::trainer::Kind;

/// Orange for crashes, blue for cuts: the shading behind the lines.
const CRASH: RGBColor = RGBColor(230, 159, 0);
const CUT: RGBColor = RGBColor(86, 180, 233);

/// The dynamics figure of a run, or `None` when the run measured none of it (a dense run without
/// gradient alignment).
pub fn run_dynamics(title: &str, rows: &[MetricsRow]) -> Option<Curves> {
    let windows: Vec<(&MetricsRow, &MetricsRow)> = rows
        .windows(2)
        .map(|w| (&w[0], &w[1]))
        .filter(|(a, b)| b.samples_seen > a.samples_seen)
        .collect();
    let mut panels = Vec::new();
    if let Some(panel) = alignment(rows) {
        panels.push(panel);
    }
    if rows.iter().any(|r| r.messages.is_some()) {
        let shades = fault_shades(&windows);
        panels.push(messages(&windows, shades.clone()));
        panels.push(staleness(&windows, shades));
        if rows
            .iter()
            .any(|r| r.crashed_neuron_ticks.unwrap_or(0) + r.cut_synapse_ticks.unwrap_or(0) > 0)
        {
            panels.push(faults(&windows));
        }
    }
    if panels.is_empty() {
        return None;
    }
    Some(Curves {
        title: format!("{title}: dynamics"),
        size: (460 * panels.len() as u32, 460),
        panels,
        x_desc: "training samples seen".into(),
    })
}

fn series(label: &str, color: RGBColor, line: Vec<(f64, f64)>, thin: bool) -> Series {
    Series {
        label: label.to_string(),
        color,
        line,
        band: Vec::new(),
        thin,
    }
}

/// Gradient alignment per layer, as measured (`Hidden(0)` … `Output`).
fn alignment(rows: &[MetricsRow]) -> Option<Panel> {
    let layers = rows.iter().map(|r| r.alignment.len()).max().unwrap_or(0);
    let measured = rows.iter().flat_map(|r| &r.alignment).any(|a| a.is_some());
    if layers == 0 || !measured {
        return None;
    }
    let lines: Vec<Series> = (0..layers)
        .map(|l| {
            let label = if l + 1 == layers {
                "Output".to_string()
            } else {
                format!("Hidden({l})")
            };
            let line = rows
                .iter()
                .filter_map(|r| {
                    let a = r.alignment.get(l).copied().flatten()?;
                    a.is_finite().then_some((r.samples_seen as f64, a))
                })
                .collect();
            series(&label, PALETTE[l % PALETTE.len()], line, false)
        })
        .collect();
    let low = lines
        .iter()
        .flat_map(|s| &s.line)
        .map(|p| p.1)
        .fold(0.0, f64::min);
    Some(Panel {
        caption: "gradient alignment per layer".into(),
        y_desc: "cosine with the backprop gradient".into(),
        y: YAxis::Linear(low, 1.0),
        series: lines,
        legend: Some(SeriesLabelPosition::LowerRight),
        shades: Vec::new(),
    })
}

/// Messages sent per training sample in each window, by kind, and those dropped.
fn messages(windows: &[(&MetricsRow, &MetricsRow)], shades: Vec<Shade>) -> Panel {
    let per_sample = |count: &dyn Fn(&MetricsRow) -> Option<u64>| -> Vec<(f64, f64)> {
        windows
            .iter()
            .filter_map(|(a, b)| {
                let sent = count(b)?.checked_sub(count(a)?)?;
                let samples = (b.samples_seen - a.samples_seen) as f64;
                Some((b.samples_seen as f64, sent as f64 / samples))
            })
            .collect()
    };
    let kind = |k: Kind| move |r: &MetricsRow| r.messages.as_ref().map(|m| m.kind(k).sent);
    Panel {
        caption: "messages per training sample".into(),
        y_desc: "messages sent (log scale)".into(),
        y: YAxis::Log,
        series: vec![
            series(
                "forward",
                PALETTE[0],
                per_sample(&kind(Kind::Forward)),
                false,
            ),
            series(
                "attention",
                PALETTE[1],
                per_sample(&kind(Kind::Attention)),
                false,
            ),
            series(
                "to and from the loss agent",
                PALETTE[2],
                per_sample(&kind(Kind::Loss)),
                false,
            ),
            series(
                "dropped (all kinds)",
                PALETTE[6],
                per_sample(&|r| r.messages.as_ref().map(|m| m.total().dropped)),
                true,
            ),
        ],
        legend: Some(SeriesLabelPosition::LowerRight),
        shades,
    }
}

/// Mean staleness of the attention payments of each window.
fn staleness(windows: &[(&MetricsRow, &MetricsRow)], shades: Vec<Shade>) -> Panel {
    let line: Vec<(f64, f64)> = windows
        .iter()
        .filter_map(|(a, b)| {
            let (before, after) = (a.staleness?, b.staleness?);
            let count = after.count.checked_sub(before.count)?;
            let mean = (after.sum - before.sum) as f64 / count as f64;
            (count > 0).then_some((b.samples_seen as f64, mean))
        })
        .collect();
    let high = line.iter().map(|p| p.1).fold(0.0, f64::max);
    Panel {
        caption: "staleness of attention".into(),
        y_desc: "updates between forward pass and payment".into(),
        y: YAxis::Linear(0.0, if high > 0.0 { high * 1.15 } else { 1.0 }),
        series: vec![series("mean over the window", PALETTE[0], line, false)],
        legend: Some(SeriesLabelPosition::UpperRight),
        shades,
    }
}

/// Neurons down and synapses cut, each a mean over the window's simulated time.
fn faults(windows: &[(&MetricsRow, &MetricsRow)]) -> Panel {
    let mean = |total: &dyn Fn(&MetricsRow) -> Option<u64>| -> Vec<(f64, f64)> {
        windows
            .iter()
            .filter_map(|(a, b)| {
                let ticks = b.sim_ticks?.checked_sub(a.sim_ticks?)?;
                let amount = total(b)?.checked_sub(total(a)?)?;
                (ticks > 0).then(|| (b.samples_seen as f64, amount as f64 / ticks as f64))
            })
            .collect()
    };
    let lines = vec![
        series(
            "neurons down",
            CRASH,
            mean(&|r| r.crashed_neuron_ticks),
            false,
        ),
        series("synapses cut", CUT, mean(&|r| r.cut_synapse_ticks), false),
    ];
    let high = lines
        .iter()
        .flat_map(|s| &s.line)
        .map(|p| p.1)
        .fold(0.0, f64::max);
    Panel {
        caption: "faults".into(),
        y_desc: "mean over the window's ticks".into(),
        y: YAxis::Linear(0.0, if high > 0.0 { high * 1.15 } else { 1.0 }),
        series: lines,
        legend: Some(SeriesLabelPosition::UpperRight),
        shades: Vec::new(),
    }
}

/// The windows in which some neuron was down, and those in which some synapse was cut.
fn fault_shades(windows: &[(&MetricsRow, &MetricsRow)]) -> Vec<Shade> {
    let spans = |total: &dyn Fn(&MetricsRow) -> Option<u64>| -> Vec<(f64, f64)> {
        let mut spans: Vec<(f64, f64)> = Vec::new();
        for (a, b) in windows {
            let grew = matches!((total(a), total(b)), (Some(x), Some(y)) if y > x);
            if !grew {
                continue;
            }
            let (from, to) = (a.samples_seen as f64, b.samples_seen as f64);
            match spans.last_mut() {
                Some(last) if last.1 == from => last.1 = to,
                _ => spans.push((from, to)),
            }
        }
        spans
    };
    vec![
        Shade {
            label: "a neuron down".into(),
            color: CRASH,
            spans: spans(&|r| r.crashed_neuron_ticks),
        },
        Shade {
            label: "a synapse cut".into(),
            color: CUT,
            spans: spans(&|r| r.cut_synapse_ticks),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trainer::{MessageStats, Staleness};

    fn row(samples: usize, ticks: u64, crashed: u64, cut: u64, stale: (u64, u64)) -> MetricsRow {
        MetricsRow {
            samples_seen: samples,
            epoch: 0.0,
            sim_ticks: Some(ticks),
            train_loss: None,
            test_loss: 1.0,
            test_accuracy: Some(0.5),
            test_r2: None,
            messages: Some(MessageStats::new(3)),
            staleness: Some(Staleness {
                count: stale.0,
                sum: stale.1,
                max: 0,
            }),
            neurons_down: Some(0),
            crashed_neuron_ticks: Some(crashed),
            synapses_cut: Some(0),
            cut_synapse_ticks: Some(cut),
            alignment: Vec::new(),
        }
    }

    #[test]
    fn windows_are_shaded_where_a_fault_was_and_staleness_is_per_window() {
        let rows = [
            row(0, 0, 0, 0, (0, 0)),
            row(100, 1000, 0, 0, (100, 200)),
            row(200, 2000, 500, 0, (200, 1200)),
            row(300, 3000, 900, 10, (300, 1300)),
            row(400, 4000, 900, 10, (400, 1400)),
        ];
        let figure = run_dynamics("t", &rows).unwrap();
        let captions: Vec<&str> = figure.panels.iter().map(|p| p.caption.as_str()).collect();
        assert_eq!(
            captions,
            [
                "messages per training sample",
                "staleness of attention",
                "faults"
            ]
        );
        let staleness = &figure.panels[1];
        assert_eq!(
            staleness.series[0].line,
            [(100.0, 2.0), (200.0, 10.0), (300.0, 1.0), (400.0, 1.0)]
        );
        assert_eq!(staleness.shades[0].spans, [(100.0, 300.0)]);
        assert_eq!(staleness.shades[1].spans, [(200.0, 300.0)]);
        let faults = &figure.panels[2];
        assert_eq!(faults.series[0].line[1], (200.0, 0.5));
        assert_eq!(faults.series[1].line[2], (300.0, 0.01));
    }

    #[test]
    fn a_dense_run_without_alignment_has_no_dynamics() {
        let mut r = row(0, 0, 0, 0, (0, 0));
        r.sim_ticks = None;
        r.messages = None;
        r.staleness = None;
        assert!(run_dynamics("t", &[r.clone(), r]).is_none());
    }
}
