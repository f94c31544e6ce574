//! Charts the assistant sends: spending by category or by month as an SVG
//! image, drawn here (no plotting library; the web chat's browser renders
//! the text in its own sans-serif). Geometry is integer arithmetic, so the
//! same data always gives the same bytes. Messaging platforms take PNG only:
//! [`png`] rasterises the SVG with resvg and the Noto fonts compiled in from
//! `data/fonts` (Latin, ₹ and Devanagari, shaped).

use anumati_domain::Money;
use serde::{Deserialize, Serialize};

/// An image a reply carries, for channels that can show one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Image {
    /// `image/svg+xml`.
    pub mime: String,
    /// What the image shows, in words (alt text, and the caption where
    /// images cannot be shown).
    pub alt: String,
    /// The image itself (SVG source).
    pub data: String,
}

const WIDTH: i64 = 560;
const LABEL_W: i64 = 130;
const VALUE_W: i64 = 120;
const BAR_H: i64 = 22;
const GAP: i64 = 8;
const TOP: i64 = 44;
const MAX_BARS: usize = 12;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart of sizes (signs are ignored), all in one currency;
/// at most twelve bars, in the order given.
pub fn bars(title: &str, bars: &[(String, Money)]) -> Image {
    let bars = &bars[..bars.len().min(MAX_BARS)];
    let max = bars
        .iter()
        .map(|(_, m)| i128::from(m.minor()).abs())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LABEL_W - VALUE_W;
    let height = TOP + (bars.len() as i64) * (BAR_H + GAP) + 12;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"13\">\
<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\
<text x=\"12\" y=\"26\" font-size=\"16\" font-weight=\"bold\" fill=\"#1f2937\">{t}</text>",
        t = escape(title)
    );
    for (i, (label, amount)) in bars.iter().enumerate() {
        let y = TOP + (i as i64) * (BAR_H + GAP);
        let size = i128::from(amount.minor()).abs();
        // At least one pixel, so a tiny non-zero amount is still visible.
        let w = ((size * i128::from(plot_w)) / max).max(i128::from(size > 0)) as i64;
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"#374151\">{label}</text>\
<rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{w}\" height=\"{BAR_H}\" rx=\"3\" fill=\"#2563eb\"/>\
<text x=\"{vx}\" y=\"{ty}\" fill=\"#111827\">{value}</text>",
            lx = LABEL_W - 8,
            ty = y + BAR_H - 6,
            label = escape(label),
            vx = LABEL_W + w + 6,
            value = escape(&amount_size(*amount).to_string()),
        ));
    }
    svg.push_str("</svg>");
    let alt = format!(
        "{title}: {}",
        bars.iter()
            .map(|(l, m)| format!("{l} {}", amount_size(*m)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Image {
        mime: "image/svg+xml".into(),
        alt,
        data: svg,
    }
}

fn amount_size(m: Money) -> Money {
    Money::from_minor(m.minor().saturating_abs(), m.currency())
}

/// The chart as a PNG (for the messaging platforms), or `None` when the
/// image is not an SVG chart or cannot be drawn.
pub fn png(image: &Image) -> Option<Vec<u8>> {
    use resvg::{tiny_skia, usvg};
    use std::sync::{Arc, OnceLock};
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    if image.mime != "image/svg+xml" {
        return None;
    }
    let fonts = FONTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(
            include_bytes!("../../../data/fonts/NotoSans-Regular-subset.ttf").to_vec(),
        );
        db.load_font_data(
            include_bytes!("../../../data/fonts/NotoSansDevanagari-Regular.ttf").to_vec(),
        );
        db.set_sans_serif_family("Noto Sans");
        Arc::new(db)
    });
    let options = usvg::Options {
        font_family: "Noto Sans".into(),
        fontdb: fonts.clone(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&image.data, &options).ok()?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anumati_domain::Currency;

    #[test]
    fn bars_are_proportional_and_text_is_escaped() {
        let img = bars(
            "Spending <March>",
            &[
                (
                    "Food & drink".into(),
                    Money::from_minor(-3_100_000, Currency::INR),
                ),
                ("Travel".into(), Money::from_minor(1_550_000, Currency::INR)),
            ],
        );
        assert_eq!(img.mime, "image/svg+xml");
        assert!(img.data.contains("Spending &lt;March&gt;"));
        assert!(img.data.contains("Food &amp; drink"));
        // The largest bar spans the plot (310 px); half the amount, half the bar.
        assert!(img.data.contains("width=\"310\""));
        assert!(img.data.contains("width=\"155\""));
        assert!(img.data.contains("₹31,000.00"));
        assert_eq!(
            img.alt,
            "Spending <March>: Food & drink ₹31,000.00, Travel ₹15,500.00"
        );
    }

    #[test]
    fn no_bars_is_still_an_image() {
        let img = bars("Nothing", &[]);
        assert!(img.data.starts_with("<svg") && img.data.ends_with("</svg>"));
    }

    #[test]
    fn png_draws_latin_rupee_and_devanagari_text() {
        let chart = |title: &str, label: &str| {
            bars(
                title,
                &[(label.into(), Money::from_minor(-3_100_000, Currency::INR))],
            )
        };
        let png_of = |img: &Image| png(img).expect("a PNG");
        let hindi = png_of(&chart("खर्च", "खाना"));
        assert_eq!(&hindi[..8], b"\x89PNG\r\n\x1a\n");
        // Width and height in the IHDR chunk are the SVG's.
        let w = u32::from_be_bytes(hindi[16..20].try_into().unwrap());
        assert_eq!(w, WIDTH as u32);
        // The text is drawn: other words, other pixels.
        assert_ne!(hindi, png_of(&chart("खर्च", "यात्रा")));
        assert_ne!(
            png_of(&chart("Spending", "Food")),
            png_of(&chart("Spending", "Fuel"))
        );
        if let Ok(path) = std::env::var("ANUMATI_CHART_PNG") {
            std::fs::write(path, &hindi).unwrap();
        }
        let not_svg = Image {
            mime: "image/png".into(),
            alt: String::new(),
            data: String::new(),
        };
        assert!(png(&not_svg).is_none());
    }
}
