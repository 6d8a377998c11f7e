//! The figure of a run over tasks: each task's test accuracy (or R²) against training samples seen,
//! the mean over tasks, and the task boundaries marked, so forgetting reads as a line that falls
//! after its task ends.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::Draw;
use super::{fmt_count, fmt_tick, PALETTE};
use crate::run::TaskOutcome;

/// Per-task test scores over a run, with the boundaries between tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskCurves {
    /// Title over the figure.
    pub title: String,
    /// Y axis description.
    pub y_desc: String,
    /// Range of the y axis.
    pub y: (f64, f64),
    /// One line per task: its label and `(samples seen, score)` points.
    pub tasks: Vec<(String, Vec<(f64, f64)>)>,
    /// The mean over tasks at every checkpoint.
    pub mean: Vec<(f64, f64)>,
    /// Samples seen where each task ends (the last is the end of the run).
    pub ends: Vec<f64>,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl TaskCurves {
    /// The figure of `outcome`, titled `title`.
    pub fn new(title: &str, outcome: &TaskOutcome) -> TaskCurves {
        let accuracy = outcome.score == "accuracy";
        let line = |j: usize| -> Vec<(f64, f64)> {
            outcome
                .curve
                .iter()
                .filter(|(_, scores)| scores[j].is_finite())
                .map(|(seen, scores)| (*seen as f64, scores[j]))
                .collect()
        };
        let tasks = (0..outcome.tasks())
            .map(|j| {
                let classes = &outcome.classes[j];
                let label = if outcome.permuted || classes.is_empty() {
                    format!("task {j}")
                } else {
                    let names: Vec<String> = classes.iter().map(usize::to_string).collect();
                    format!("task {j} (classes {})", names.join(", "))
                };
                (label, line(j))
            })
            .collect();
        let mean = outcome
            .curve
            .iter()
            .filter(|(_, scores)| scores.iter().all(|v| v.is_finite()))
            .map(|(seen, scores)| {
                let n = scores.len().max(1) as f64;
                (*seen as f64, scores.iter().sum::<f64>() / n)
            })
            .collect();
        let low = if accuracy {
            0.0
        } else {
            outcome
                .curve
                .iter()
                .flat_map(|(_, s)| s.iter().copied())
                .filter(|v| v.is_finite())
                .fold(0.0, f64::min)
        };
        TaskCurves {
            title: title.to_string(),
            y_desc: if accuracy {
                "test accuracy on the task".into()
            } else {
                "test R² on the task".into()
            },
            y: (low, 1.0),
            tasks,
            mean,
            ends: outcome.ends.iter().map(|&e| e as f64).collect(),
            size: (1100, 520),
        }
    }
}

impl Draw for TaskCurves {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = root
            .titled(&self.title, ("sans-serif", 19))
            .map_err(|e| e.to_string())?;
        let x_max = self
            .ends
            .last()
            .copied()
            .into_iter()
            .chain(self.mean.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        let (lo, hi) = self.y;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(22)
            .x_label_area_size(48)
            .y_label_area_size(68)
            .caption(
                "each task's test score; dashed lines: task boundaries",
                ("sans-serif", 15),
            )
            .build_cartesian_2d(0.0..x_max, lo..hi)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("training samples seen")
            .y_desc(&self.y_desc)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|v| fmt_count(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .draw()
            .map_err(|e| e.to_string())?;
        // Boundaries between tasks (not the end of the run), dashed, with each task's name above
        // the stretch where it is trained.
        let grey = RGBColor(110, 110, 110);
        let boundaries = self.ends.len().saturating_sub(1);
        for &x in &self.ends[..boundaries] {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, lo), (x, hi)],
                    6,
                    4,
                    grey.stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
        let mut start = 0.0;
        for (j, &end) in self.ends.iter().enumerate() {
            let at = (start + (end - start) * 0.5, hi - (hi - lo) * 0.03);
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("task {j}"),
                    at,
                    ("sans-serif", 12)
                        .into_font()
                        .color(&grey)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                )))
                .map_err(|e| e.to_string())?;
            start = end;
        }
        for (j, (label, points)) in self.tasks.iter().enumerate() {
            let color = PALETTE[j % (PALETTE.len() - 2)];
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(2))
                });
        }
        let black = PALETTE[6];
        chart
            .draw_series(LineSeries::new(self.mean.clone(), black.stroke_width(1)))
            .map_err(|e| e.to_string())?
            .label("mean over tasks")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 22, y)], black.stroke_width(1))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .label_font(("sans-serif", 13))
            .border_style(RGBColor(120, 120, 120))
            .background_style(WHITE.mix(0.9))
            .draw()
            .map_err(|e| e.to_string())
    }
}
