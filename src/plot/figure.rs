//! One figure, two files: the same drawing rendered as SVG and as PNG, with the embedded font.
//!
//! No system font is assumed. The PNG's glyphs come from a subset of DejaVu Sans compiled into the
//! binary (`assets/fonts/`, Bitstream Vera licence with public-domain DejaVu changes, see
//! `assets/fonts/LICENSE-DejaVu.txt`); the SVG carries the same font as a `@font-face` data URI, so
//! a browser draws it with the metrics plotters laid the text out with.

use std::sync::{Once, OnceLock};

use plotters::coord::Shift;
use plotters::prelude::*;

/// The embedded font: DejaVu Sans 2.37, subset to Latin, Greek and a few symbols.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// The family name the SVG declares for the embedded font.
const SVG_FAMILY: &str = "neuragent-dejavu-sans";

/// A figure drawn twice: as SVG text and as PNG bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    /// The SVG document, font embedded.
    pub svg: String,
    /// The PNG file (8-bit RGB).
    pub png: Vec<u8>,
}

/// Something that draws itself on any plotters backend.
pub trait Draw {
    /// Size in pixels (width, height).
    fn size(&self) -> (u32, u32);

    /// Draws on `root`, which is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// The area under a title over `root`, in `size` points or smaller so the title fits the width, on
/// two lines (split at a space near the middle) when even the smallest size is too wide. Never
/// clips the title.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    size: u32,
) -> Result<DrawingArea<DB, Shift>, String> {
    let room = root.dim_in_pixel().0.saturating_sub(24);
    let width = |text: &str, size: u32| {
        root.estimate_text_size(text, &("sans-serif", size).into_text_style(root))
            .map(|(w, _)| w)
            .map_err(|e| e.to_string())
    };
    const SMALLEST: u32 = 13;
    let mut size = size;
    while size > SMALLEST && width(title, size)? > room {
        size -= 1;
    }
    let font = ("sans-serif", size);
    if width(title, size)? <= room {
        return root.titled(title, font).map_err(|e| e.to_string());
    }
    let middle = title.len() / 2;
    let split = title
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .map(|(i, _)| i)
        .min_by_key(|&i| i.abs_diff(middle));
    match split {
        Some(at) => root
            .titled(title[..at].trim_end(), font)
            .and_then(|rest| rest.titled(title[at..].trim_start(), font))
            .map_err(|e| e.to_string()),
        None => root.titled(title, font).map_err(|e| e.to_string()),
    }
}

/// Renders `figure` as SVG and PNG.
pub fn render(figure: &impl Draw) -> Result<Figure, String> {
    Ok(Figure {
        svg: render_svg(figure)?,
        png: render_png(figure)?,
    })
}

/// Renders `figure` as SVG with the font embedded.
pub fn render_svg(figure: &impl Draw) -> Result<String, String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        figure.draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(embed_font(&svg))
}

/// Renders `figure` as a PNG file.
pub fn render_png(figure: &impl Draw) -> Result<Vec<u8>, String> {
    register_font();
    let (w, h) = figure.size();
    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| e.to_string())?;
    }
    Ok(png)
}

/// Makes the embedded font the one plotters lays text out with, for every family name it uses.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            for style in [FontStyle::Normal, FontStyle::Bold] {
                // The font is compiled in and known to parse; a failure would show as missing text
                // (plotters reports it on the first draw).
                let _ = plotters::style::register_font(family, style, FONT);
            }
        }
    });
}

/// `svg` with a style sheet that declares the embedded font and sets it on every text.
fn embed_font(svg: &str) -> String {
    static STYLE: OnceLock<String> = OnceLock::new();
    let style = STYLE.get_or_init(|| {
        format!(
            "<defs><style>@font-face{{font-family:\"{SVG_FAMILY}\";src:url(data:font/ttf;base64,{})}}\
             text{{font-family:\"{SVG_FAMILY}\"!important}}</style></defs>",
            base64(FONT)
        )
    });
    match svg
        .find("<svg")
        .and_then(|s| svg[s..].find('>').map(|e| s + e + 1))
    {
        Some(at) => format!("{}\n{style}{}", &svg[..at], &svg[at..]),
        None => svg.to_string(),
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
