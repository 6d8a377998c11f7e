//! Learning curves: one or more series over training samples seen, each a mean line with an
//! optional band, in side-by-side panels (loss on a log or linear axis, accuracy or R²).

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::Draw;
use super::{fmt_count, fmt_tick};

/// One line: `(x, y)` points, and a band `(x, low, high)` drawn under it when not empty.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Line colour.
    pub color: RGBColor,
    /// Points of the line, x increasing.
    pub line: Vec<(f64, f64)>,
    /// Band around the line, x increasing (empty for none).
    pub band: Vec<(f64, f64, f64)>,
    /// Dashed (drawn thinner) instead of solid.
    pub thin: bool,
}

/// The y axis of a panel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum YAxis {
    /// Linear over this range.
    Linear(f64, f64),
    /// Logarithmic; the range comes from the data.
    Log,
}

/// One chart of a [`Curves`] figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Caption above the chart.
    pub caption: String,
    /// Y axis description, with its unit.
    pub y_desc: String,
    /// Scale of the y axis.
    pub y: YAxis,
    /// The lines.
    pub series: Vec<Series>,
    /// Where the legend goes (none: no legend).
    pub legend: Option<SeriesLabelPosition>,
    /// Stretches of the x axis shaded behind the lines.
    pub shades: Vec<Shade>,
}

/// Stretches of the x axis shaded in one colour, with one legend entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Shade {
    /// Legend text.
    pub label: String,
    /// Fill colour (drawn translucent).
    pub color: RGBColor,
    /// `(from, to)` on the x axis.
    pub spans: Vec<(f64, f64)>,
}

/// Panels side by side over a shared x axis (training samples seen).
#[derive(Clone, Debug)]
pub struct Curves {
    /// Title over the whole figure.
    pub title: String,
    /// The charts, left to right.
    pub panels: Vec<Panel>,
    /// X axis description.
    pub x_desc: String,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl Draw for Curves {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = super::figure::titled(root, &self.title, 19)?;
        let areas = root.split_evenly((1, self.panels.len().max(1)));
        let x_max = self
            .panels
            .iter()
            .flat_map(|p| &p.series)
            .flat_map(|s| s.line.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        for (panel, area) in self.panels.iter().zip(&areas) {
            match panel.y {
                YAxis::Linear(lo, hi) => {
                    let chart = builder(area, &panel.caption)
                        .build_cartesian_2d(0.0..x_max, lo..hi)
                        .map_err(|e| e.to_string())?;
                    fill(chart, panel, &self.x_desc, (lo, hi))?;
                }
                YAxis::Log => {
                    let (lo, hi) = log_range(panel);
                    let chart = builder(area, &panel.caption)
                        .build_cartesian_2d(0.0..x_max, (lo..hi).log_scale())
                        .map_err(|e| e.to_string())?;
                    fill(chart, panel, &self.x_desc, (lo, hi))?;
                }
            }
        }
        Ok(())
    }
}

fn builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin(12)
        .margin_right(22)
        .x_label_area_size(48)
        .y_label_area_size(68)
        .caption(caption, ("sans-serif", 15));
    b
}

/// Positive range covering every value of a log panel, padded a little.
fn log_range(panel: &Panel) -> (f64, f64) {
    let values = panel.series.iter().flat_map(|s| {
        s.line
            .iter()
            .map(|p| p.1)
            .chain(s.band.iter().flat_map(|b| [b.1, b.2]))
    });
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo.is_finite() && hi > 0.0 {
        (lo / 1.25, hi * 1.25)
    } else {
        (0.01, 10.0)
    }
}

fn fill<'a, DB: DrawingBackend + 'a, Y>(
    mut chart: ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    panel: &Panel,
    x_desc: &str,
    (y_lo, y_hi): (f64, f64),
) -> Result<(), String>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(&panel.y_desc)
        .x_labels(6)
        .y_labels(8)
        .x_label_formatter(&|v| fmt_count(*v))
        .y_label_formatter(&|v| fmt_tick(*v))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .draw()
        .map_err(|e| e.to_string())?;
    for shade in &panel.shades {
        let color = shade.color;
        let drawn = chart
            .draw_series(shade.spans.iter().map(|&(from, to)| {
                Rectangle::new([(from, y_lo), (to, y_hi)], color.mix(0.22).filled())
            }))
            .map_err(|e| e.to_string())?;
        if panel.legend.is_some() && !shade.spans.is_empty() {
            drawn.label(shade.label.clone()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 22, y + 6)], color.mix(0.35).filled())
            });
        }
    }
    let positive = matches!(panel.y, YAxis::Log);
    let keep = |v: f64| v.is_finite() && (!positive || v > 0.0);
    for s in &panel.series {
        if !s.band.is_empty() {
            let mut outline: Vec<(f64, f64)> = s
                .band
                .iter()
                .filter(|b| keep(b.2))
                .map(|b| (b.0, b.2))
                .collect();
            outline.extend(
                s.band
                    .iter()
                    .rev()
                    .filter(|b| keep(b.1))
                    .map(|b| (b.0, b.1)),
            );
            chart
                .draw_series(std::iter::once(Polygon::new(
                    outline,
                    s.color.mix(0.18).filled(),
                )))
                .map_err(|e| e.to_string())?;
        }
    }
    for s in &panel.series {
        let color = s.color;
        let width = if s.thin { 1 } else { 2 };
        let points: Vec<(f64, f64)> = s.line.iter().copied().filter(|p| keep(p.1)).collect();
        let drawn = chart
            .draw_series(LineSeries::new(points, color.stroke_width(width)))
            .map_err(|e| e.to_string())?;
        if panel.legend.is_some() {
            drawn.label(s.label.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(width))
            });
        }
    }
    if let Some(position) = &panel.legend {
        chart
            .configure_series_labels()
            .position(position.clone())
            .label_font(("sans-serif", 13))
            .border_style(RGBColor(120, 120, 120))
            .background_style(WHITE.mix(0.9))
            .draw()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
