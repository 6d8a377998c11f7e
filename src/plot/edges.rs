//! Edge figures: for each seed, the bracket in which a scenario's expectations stop holding.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::Draw;
use super::fmt_tick;

/// One row of an [`Edges`] figure.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeRow {
    /// Row label, e.g. `seed 3`.
    pub label: String,
    /// The bracket: the largest value that passed and the smallest that failed. A bracket open at
    /// one end (the edge lies outside the range) has that end at the range's end.
    pub low: f64,
    /// See `low`.
    pub high: f64,
    /// Whether the probes found the outcome not monotone in the field.
    pub not_monotone: bool,
}

/// Per-seed edges over the range of one field, with their median.
#[derive(Clone, Debug, PartialEq)]
pub struct Edges {
    /// Title over the figure.
    pub title: String,
    /// The field and its unit.
    pub x_desc: String,
    /// The range searched.
    pub range: (f64, f64),
    /// One row per seed.
    pub rows: Vec<EdgeRow>,
    /// Median of the edges, drawn as a vertical line.
    pub median: Option<f64>,
}

impl Draw for Edges {
    fn size(&self) -> (u32, u32) {
        (860, 230 + 30 * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = super::figure::titled(root, &self.title, 19)?;
        let n = self.rows.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .margin_right(30)
            .x_label_area_size(48)
            .y_label_area_size(90)
            .build_cartesian_2d(self.range.0..self.range.1, -2.3..n - 0.5)
            // (the band below the rows holds the legend)
            .map_err(|e| e.to_string())?;
        let labels: Vec<String> = self.rows.iter().map(|r| r.label.clone()).collect();
        let row_label = move |y: &f64| {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_desc(&self.x_desc)
            .x_labels(8)
            // Enough key points that every row (an integer) gets one; the formatter labels only rows.
            .y_labels(4 * (self.rows.len().max(1) + 3))
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&row_label)
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .disable_y_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .draw()
            .map_err(|e| e.to_string())?;
        let blue = RGBColor(0, 114, 178);
        let orange = RGBColor(213, 94, 0);
        for (i, r) in self.rows.iter().enumerate() {
            let y = i as f64;
            let color = if r.not_monotone { orange } else { blue };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(r.low, y - 0.18), (r.high, y + 0.18)],
                    color.mix(0.35).filled(),
                )))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    ((r.low + r.high) / 2.0, y),
                    4,
                    color.filled(),
                )))
                .map_err(|e| e.to_string())?;
        }
        let mut legend = vec![(
            "edge of one seed: the bracket (passes at its left end, fails at its right)"
                .to_string(),
            blue,
        )];
        if self.rows.iter().any(|r| r.not_monotone) {
            legend.push((
                "a seed whose outcome was not monotone in the field".into(),
                orange,
            ));
        }
        for (text, color) in legend {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(|e| e.to_string())?
                .label(text)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 16, y + 4)], color.filled())
                });
        }
        if let Some(m) = self.median {
            chart
                .draw_series(LineSeries::new(
                    vec![(m, -0.6), (m, n - 0.5)],
                    BLACK.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?
                .label(format!("median edge {}", fmt_tick(m)))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 12))
            .border_style(RGBColor(120, 120, 120))
            .background_style(WHITE.mix(0.9))
            .draw()
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}
