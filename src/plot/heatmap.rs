//! Stability maps: a grid of cells over two knobs, coloured by a value and annotated.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::Draw;
use super::fmt_tick;

/// One cell: its value (none: no data) and the lines written in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// The value the colour shows.
    pub value: Option<f64>,
    /// Up to three short lines of text.
    pub lines: Vec<String>,
}

/// One map of a [`Heatmap`] figure.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatPanel {
    /// Caption above the map.
    pub caption: String,
    /// The value range the colour scale spans.
    pub scale: (f64, f64),
    /// Name of the value, with its unit, beside the colour scale.
    pub scale_desc: String,
    /// Cells, `cells[row][column]`; row 0 is drawn at the bottom.
    pub cells: Vec<Vec<Cell>>,
}

/// Maps side by side over the same two knobs.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    /// Title over the figure.
    pub title: String,
    /// The knob along x (its field path).
    pub x_desc: String,
    /// Labels of the columns.
    pub x_labels: Vec<String>,
    /// The knob along y (empty when there is one row).
    pub y_desc: String,
    /// Labels of the rows, bottom first.
    pub y_labels: Vec<String>,
    /// The maps.
    pub panels: Vec<HeatPanel>,
}

const CELL_H: u32 = 64;
const TOP: u32 = 64;
const BOTTOM: u32 = 72;
const BAR: u32 = 96;
const CHAR_W: f64 = 7.4;

impl Heatmap {
    fn cell_w(&self) -> u32 {
        let longest = self
            .x_labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        let lines = self
            .panels
            .iter()
            .flat_map(|p| p.cells.iter().flatten())
            .flat_map(|c| c.lines.iter().map(|l| l.chars().count()))
            .max()
            .unwrap_or(0);
        ((longest.max(lines) as f64 * CHAR_W) as u32 + 16).max(96)
    }

    fn left(&self) -> u32 {
        let longest = self
            .y_labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        (longest as f64 * CHAR_W) as u32 + 56
    }

    fn panel_w(&self) -> u32 {
        self.left() + self.x_labels.len() as u32 * self.cell_w() + BAR
    }
}

impl Draw for Heatmap {
    fn size(&self) -> (u32, u32) {
        let rows = self.y_labels.len().max(1) as u32;
        (
            self.panel_w() * self.panels.len().max(1) as u32,
            TOP + rows * CELL_H + BOTTOM,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = super::figure::titled(root, &self.title, 19)?;
        let areas = root.split_evenly((1, self.panels.len().max(1)));
        for (panel, area) in self.panels.iter().zip(&areas) {
            self.draw_panel(panel, area).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

impl Heatmap {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        panel: &HeatPanel,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult<DB> {
        let cell_w = self.cell_w() as i32;
        let left = self.left() as i32;
        let rows = self.y_labels.len().max(1) as i32;
        let cols = self.x_labels.len() as i32;
        let top = TOP as i32 - 30;
        let centre = |size: u32| {
            TextStyle::from(("sans-serif", size).into_font())
                .pos(Pos::new(HPos::Center, VPos::Center))
        };
        area.draw(&Text::new(
            panel.caption.clone(),
            (left + cols * cell_w / 2, top - 14),
            centre(15),
        ))?;
        for (r, row) in panel.cells.iter().enumerate() {
            let y0 = top + (rows - 1 - r as i32) * CELL_H as i32;
            for (c, cell) in row.iter().enumerate() {
                let x0 = left + c as i32 * cell_w;
                let (fill, ink) = match cell.value {
                    Some(v) if v.is_finite() => {
                        let t = unit(v, panel.scale);
                        let color = viridis(t);
                        (color, if luminance(color) > 0.5 { BLACK } else { WHITE })
                    }
                    _ => (RGBColor(225, 225, 225), BLACK),
                };
                area.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell_w, y0 + CELL_H as i32)],
                    fill.filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell_w, y0 + CELL_H as i32)],
                    WHITE.stroke_width(2),
                ))?;
                let n = cell.lines.len() as i32;
                for (i, line) in cell.lines.iter().enumerate() {
                    let y = y0 + CELL_H as i32 / 2 + (2 * i as i32 - (n - 1)) * 9;
                    let style = TextStyle::from(("sans-serif", 13).into_font())
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    area.draw(&Text::new(line.clone(), (x0 + cell_w / 2, y), style))?;
                }
            }
        }
        // Column labels and the x knob.
        let bottom = top + rows * CELL_H as i32;
        for (c, label) in self.x_labels.iter().enumerate() {
            area.draw(&Text::new(
                label.clone(),
                (left + c as i32 * cell_w + cell_w / 2, bottom + 14),
                centre(13),
            ))?;
        }
        area.draw(&Text::new(
            self.x_desc.clone(),
            (left + cols * cell_w / 2, bottom + 44),
            centre(14),
        ))?;
        // Row labels and the y knob.
        for (r, label) in self.y_labels.iter().enumerate() {
            let y = top + (rows - 1 - r as i32) * CELL_H as i32 + CELL_H as i32 / 2;
            let style = TextStyle::from(("sans-serif", 13).into_font())
                .pos(Pos::new(HPos::Right, VPos::Center));
            area.draw(&Text::new(label.clone(), (left - 8, y), style))?;
        }
        if !self.y_desc.is_empty() {
            let style = TextStyle::from(("sans-serif", 14).into_font())
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Center));
            area.draw(&Text::new(
                self.y_desc.clone(),
                (14, top + rows * CELL_H as i32 / 2),
                style,
            ))?;
        }
        // The colour scale.
        let bx = left + cols * cell_w + 18;
        let height = rows * CELL_H as i32;
        let steps = 64;
        for i in 0..steps {
            let t0 = i as f64 / steps as f64;
            let y1 = top + height - (t0 * height as f64) as i32;
            let y0 = top + height - (((i + 1) as f64 / steps as f64) * height as f64) as i32;
            area.draw(&Rectangle::new(
                [(bx, y0), (bx + 14, y1)],
                viridis(t0).filled(),
            ))?;
        }
        area.draw(&Rectangle::new(
            [(bx, top), (bx + 14, top + height)],
            BLACK.stroke_width(1),
        ))?;
        for (t, v) in [(0.0, panel.scale.0), (1.0, panel.scale.1)] {
            let y = top + height - (t * height as f64) as i32;
            let style = TextStyle::from(("sans-serif", 12).into_font())
                .pos(Pos::new(HPos::Left, VPos::Center));
            area.draw(&Text::new(fmt_tick(v), (bx + 18, y), style))?;
        }
        let style = TextStyle::from(("sans-serif", 12).into_font())
            .transform(FontTransform::Rotate90)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(
            panel.scale_desc.clone(),
            (bx + 62, top + height / 2),
            style,
        ))?;
        Ok(())
    }
}

/// `v` mapped to [0, 1] over `scale`.
fn unit(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// The viridis colour map, by linear interpolation between nine of its colours.
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let x = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn luminance(c: RGBColor) -> f64 {
    (0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64) / 255.0
}
