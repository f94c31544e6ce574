//! Charts the assistant sends: spending by category or by month as an SVG
//! image, drawn here (no plotting library, no fonts to ship: the viewer's
//! sans-serif renders the text). Geometry is integer arithmetic, so the same
//! data always gives the same bytes.

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
}
