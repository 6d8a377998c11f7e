//! Figures, each written as SVG and PNG that render the same on any machine: the learning curves and
//! the dynamics (alignment, messages, staleness, faults) of a run, each task's accuracy over a run of
//! tasks, learning curves of several scenarios over seeds, stability maps and edges.
//!
//! Every figure is a [`Draw`] value rendered by [`render`]; text is laid out and drawn with a font
//! compiled into the binary (a subset of DejaVu Sans), which the SVG also embeds.

mod curves;
mod dynamics;
mod edges;
mod figure;
mod heatmap;
mod tasks;

use plotters::prelude::{RGBColor, SeriesLabelPosition};

pub use curves::{Curves, Panel, Series, Shade, YAxis};
pub use dynamics::run_dynamics;
pub use edges::{EdgeRow, Edges};
pub use figure::{render, render_png, render_svg, Draw, Figure};
pub use heatmap::{viridis, Cell, HeatPanel, Heatmap};
pub use tasks::TaskCurves;

use crate::run::MetricsRow;

/// Colours for series, distinguishable with the common colour-vision deficiencies (Okabe and Ito).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// The learning curves of one run: test and training loss (log axis) and test accuracy, or R² for
/// regression, against training samples seen.
pub fn run_curves(title: &str, rows: &[MetricsRow]) -> Curves {
    let classification = rows.iter().any(|r| r.test_accuracy.is_some());
    let points = |value: &dyn Fn(&MetricsRow) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|r| value(r).map(|v| (r.samples_seen as f64, v)))
            .filter(|p| p.1.is_finite())
            .collect()
    };
    let line = |label: &str, color: RGBColor, line: Vec<(f64, f64)>| Series {
        label: label.to_string(),
        color,
        line,
        band: Vec::new(),
        thin: false,
    };
    let loss = Panel {
        caption: "loss".into(),
        y_desc: if classification {
            "cross-entropy (nats, log scale)".into()
        } else {
            "squared error / 2 (log scale)".into()
        },
        y: YAxis::Log,
        series: vec![
            line("test", PALETTE[0], points(&|r| Some(r.test_loss))),
            line(
                "train (mean since the last checkpoint)",
                PALETTE[1],
                points(&|r| r.train_loss),
            ),
        ],
        legend: Some(SeriesLabelPosition::UpperRight),
        shades: Vec::new(),
    };
    let score = if classification {
        Panel {
            caption: "test accuracy".into(),
            y_desc: "fraction of test samples correct".into(),
            y: YAxis::Linear(0.0, 1.0),
            series: vec![line("test", PALETTE[0], points(&|r| r.test_accuracy))],
            legend: None,
            shades: Vec::new(),
        }
    } else {
        let values = points(&|r| r.test_r2);
        let low = values.iter().map(|p| p.1).fold(0.0, f64::min);
        Panel {
            caption: "test R²".into(),
            y_desc: "coefficient of determination".into(),
            y: YAxis::Linear(low, 1.0),
            series: vec![line("test", PALETTE[0], values)],
            legend: None,
            shades: Vec::new(),
        }
    };
    Curves {
        title: title.to_string(),
        panels: vec![loss, score],
        x_desc: "training samples seen".into(),
        size: (1100, 460),
    }
}

/// Draws `curves.svg` of a run ([`run_curves`]). Returns the SVG text.
pub fn learning_curves(title: &str, rows: &[MetricsRow]) -> Result<String, String> {
    render_svg(&run_curves(title, rows))
}

/// A count for an axis tick: an integer, with a `k` or `M` suffix when round.
pub fn fmt_count(v: f64) -> String {
    let r = v.round();
    if (v - r).abs() > 1e-6 * v.abs().max(1.0) {
        return fmt_tick(v);
    }
    if r != 0.0 && r % 1_000_000.0 == 0.0 {
        format!("{}M", r / 1_000_000.0)
    } else if r != 0.0 && r % 1000.0 == 0.0 {
        format!("{}k", r / 1000.0)
    } else {
        format!("{r}")
    }
}

/// A value for an axis tick or a label: at most four significant digits, no trailing zeros.
pub fn fmt_tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { format!("{v}") };
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{v:.2e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short_and_integer_counts_stay_integers() {
        assert_eq!(fmt_count(0.0), "0");
        assert_eq!(fmt_count(2500.0), "2500");
        assert_eq!(fmt_count(10000.0), "10k");
        assert_eq!(fmt_count(12000.0), "12k");
        assert_eq!(fmt_count(3_000_000.0), "3M");
        assert_eq!(fmt_tick(0.1), "0.1");
        assert_eq!(fmt_tick(0.30000000000000004), "0.3");
        assert_eq!(fmt_tick(1.0), "1");
        assert_eq!(fmt_tick(0.0123456), "0.01235");
        assert_eq!(fmt_tick(1e-7), "1.00e-7");
    }
}
