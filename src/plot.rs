//! Figures: the learning curves of a run, drawn with `plotters` as SVG.

use plotters::prelude::*;

use crate::run::MetricsRow;

/// Draws `curves.svg`: train and test loss (left) and test accuracy, or R² for regression (right),
/// against training samples seen. Returns the SVG text.
pub fn learning_curves(title: &str, rows: &[MetricsRow]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled(title, ("sans-serif", 20))
            .map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(500);
        let x_max = rows.last().map_or(1, |r| r.samples_seen.max(1)) as f64;

        let losses: Vec<f64> = rows
            .iter()
            .flat_map(|r| [Some(r.test_loss), r.train_loss])
            .flatten()
            .filter(|v| v.is_finite())
            .collect();
        let loss_max = losses.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.05;
        let mut chart = panel(&left, "loss", x_max, 0.0..loss_max)?;
        let series = [
            ("test", BLUE, points(rows, |r| Some(r.test_loss))),
            ("train", RED, points(rows, |r| r.train_loss)),
        ];
        for (label, color, line) in series {
            chart
                .draw_series(LineSeries::new(line, &color))
                .map_err(|e| e.to_string())?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()
            .map_err(|e| e.to_string())?;

        let classification = rows.iter().any(|r| r.test_accuracy.is_some());
        let (caption, points) = if classification {
            ("test accuracy", points(rows, |r| r.test_accuracy))
        } else {
            ("test R²", points(rows, |r| r.test_r2))
        };
        let y_min = points.iter().map(|p| p.1).fold(0.0, f64::min);
        let mut chart = panel(&right, caption, x_max, y_min..1.0)?;
        chart
            .draw_series(LineSeries::new(points, &BLUE))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// One panel: a captioned chart over samples seen (x) and `y`, its mesh drawn.
fn panel<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    caption: &str,
    x_max: f64,
    y: std::ops::Range<f64>,
) -> Result<
    ChartContext<
        'a,
        SVGBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    String,
> {
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .caption(caption, ("sans-serif", 16))
        .build_cartesian_2d(0.0..x_max, y)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("samples seen")
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// `(samples seen, value)` of every row that has a finite value.
fn points(rows: &[MetricsRow], value: impl Fn(&MetricsRow) -> Option<f64>) -> Vec<(f64, f64)> {
    rows.iter()
        .filter_map(|r| value(r).map(|v| (r.samples_seen as f64, v)))
        .filter(|p| p.1.is_finite())
        .collect()
}
