//! Hand-written SVG charts: one row per configuration (or pair), a mark for the median of its
//! runs and a whisker for their spread. A plotting crate would bring far more than these ~250
//! lines.
//!
//! Experiment figures span orders of magnitude (a slow Riak row at a few hundred requests a
//! second next to a ceiling of tens of thousands), so the axis is logarithmic: on a linear one
//! every slow row is a sliver. On a log axis a bar's length means nothing (it depends on where
//! the axis starts), so amounts are dots on a guide line, read by position: equal distances are
//! equal ratios. Ratios (what an optimisation is worth) are bars growing from ×1, right for a
//! gain and left for a loss, so ×2 and ×0.5 look equally large.

use std::fmt::Write;

/// One bar: the median, and the lowest and highest run.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// What the rows measure, which decides how they are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Amounts (req/s, ms): a dot at the median.
    Amount,
    /// Ratios: bars start at 1, and 1 is drawn as a line.
    Ratio,
}

const WIDTH: f64 = 860.0;
const ROW: f64 = 24.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 40.0;
/// Room right of the plot for the value of the longest bar.
const VALUE_ROOM: f64 = 70.0;
/// An estimate of a 12 px sans-serif character's width, to size the label column.
const CHAR_WIDTH: f64 = 6.6;

/// A complete SVG document: one row per bar on a log axis, titled `title`, values in `unit`.
/// Values of zero or less cannot be drawn on it; they show as `n/a`.
pub fn bars(title: &str, unit: &str, kind: Kind, bars: &[Bar]) -> String {
    let longest = bars.iter().map(|b| b.label.chars().count()).max();
    let label_width = (longest.unwrap_or(0) as f64 * CHAR_WIDTH + 16.0).clamp(120.0, 420.0);
    let plot = WIDTH - label_width - VALUE_ROOM;
    let axis = LogAxis::fit(bars, kind);
    let x = |v: f64| label_width + plot * axis.position(v);
    let height = TOP + ROW * bars.len() as f64 + BOTTOM;
    let axis_y = TOP + ROW * bars.len() as f64;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="12" y="24" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for tick in axis.ticks() {
        let stroke = if kind == Kind::Ratio && tick == 1.0 {
            "#555"
        } else {
            "#ddd"
        };
        let _ = writeln!(
            svg,
            r##"<line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{axis_y}" stroke="{stroke}"/><text x="{0:.1}" y="{1:.1}" text-anchor="middle" fill="#444">{2}</text>"##,
            x(tick),
            axis_y + 16.0,
            tick_label(tick, kind)
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">{} (log scale)</text>"##,
        label_width + plot / 2.0,
        axis_y + 32.0,
        escape(unit)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            label_width - 8.0,
            y + ROW * 0.65,
            escape(&bar.label)
        );
        if bar.value.is_nan() || bar.value <= 0.0 {
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" fill="#888">n/a</text>"##,
                label_width + 4.0,
                y + ROW * 0.65
            );
            continue;
        }
        let (low, high) = (x(bar.low.max(axis.low)), x(bar.high.max(axis.low)));
        let (mid, top, bottom) = (y + ROW / 2.0, y + ROW / 2.0 - 4.0, y + ROW / 2.0 + 4.0);
        let at = x(bar.value);
        // The value goes right of whatever is drawn furthest right.
        let text_x = match kind {
            Kind::Amount => high.max(at),
            Kind::Ratio => high.max(x(bar.value.max(1.0))),
        };
        let mark = match kind {
            Kind::Amount => format!(
                r##"<line x1="{label_width}" y1="{mid:.1}" x2="{at:.1}" y2="{mid:.1}" stroke="#bbb" stroke-dasharray="2 3"/><circle cx="{at:.1}" cy="{mid:.1}" r="5" fill="#4a7ab8"/>"##
            ),
            Kind::Ratio => {
                let (from, to) = (x(bar.value.min(1.0)), x(bar.value.max(1.0)));
                let fill = if bar.value < 1.0 {
                    "#d08a3c"
                } else {
                    "#4a7ab8"
                };
                format!(
                    r##"<rect x="{from:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"/>"##,
                    y + 5.0,
                    (to - from).max(1.0),
                    ROW - 10.0
                )
            }
        };
        let whisker = format!(
            r##"<line x1="{low:.1}" y1="{mid:.1}" x2="{high:.1}" y2="{mid:.1}" stroke="#222" stroke-width="1.5"/><line x1="{low:.1}" y1="{top:.1}" x2="{low:.1}" y2="{bottom:.1}" stroke="#222"/><line x1="{high:.1}" y1="{top:.1}" x2="{high:.1}" y2="{bottom:.1}" stroke="#222"/>"##
        );
        // A dot goes over its whisker; a bar under it, or the whisker would be hidden.
        let (first, second) = match kind {
            Kind::Amount => (whisker, mark),
            Kind::Ratio => (mark, whisker),
        };
        let _ = writeln!(
            svg,
            r##"{first}{second}<text x="{:.1}" y="{:.1}" fill="#222">{}</text>"##,
            text_x + 8.0,
            y + ROW * 0.65,
            value_label(bar.value, kind)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// A log axis from `low` to `high`, both round numbers (1, 2 or 5 times a power of ten).
#[derive(Debug, Clone, Copy, PartialEq)]
struct LogAxis {
    low: f64,
    high: f64,
}

impl LogAxis {
    /// The narrowest round axis holding every positive value, whisker ends included (and 1,
    /// for ratios).
    fn fit(bars: &[Bar], kind: Kind) -> LogAxis {
        let values = bars.iter().flat_map(|b| [b.value, b.low, b.high]);
        let positive: Vec<f64> = values.filter(|v| *v > 0.0 && v.is_finite()).collect();
        let mut low = positive.iter().copied().fold(f64::INFINITY, f64::min);
        let mut high = positive.iter().copied().fold(0.0, f64::max);
        if kind == Kind::Ratio {
            (low, high) = (low.min(1.0), high.max(1.0));
        }
        if positive.is_empty() {
            (low, high) = (1.0, 10.0);
        }
        let (low, high) = (round_down(low), round_up(high));
        // A bar must show even when every value is the same round number.
        let high = if high <= low {
            round_up(low * 1.5)
        } else {
            high
        };
        LogAxis { low, high }
    }

    /// Where `v` falls, 0 at `low` to 1 at `high`.
    fn position(&self, v: f64) -> f64 {
        let v = v.clamp(self.low, self.high);
        (v / self.low).ln() / (self.high / self.low).ln()
    }

    /// Decades, and 2 and 5 between them when the axis spans three decades or fewer.
    fn ticks(&self) -> Vec<f64> {
        let decades = (self.high / self.low).log10();
        let steps: &[f64] = if decades > 3.01 {
            &[1.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        let first = self.low.log10().floor() as i32;
        let last = self.high.log10().ceil() as i32;
        let mut ticks = Vec::new();
        for exponent in first..=last {
            for m in steps {
                let tick = decimal(*m, exponent);
                if tick >= self.low * 0.999 && tick <= self.high * 1.001 {
                    ticks.push(tick);
                }
            }
        }
        ticks
    }
}

/// The round numbers 1, 2, 5, 10, 20, … (and 0.5, 0.2, …) just below and just above `v`.
fn round_down(v: f64) -> f64 {
    let exponent = v.log10().floor() as i32;
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| decimal(m, exponent))
        .find(|r| *r <= v * 1.000_001)
        .unwrap_or(decimal(1.0, exponent))
}

fn round_up(v: f64) -> f64 {
    let exponent = v.log10().floor() as i32;
    [1.0, 2.0, 5.0]
        .into_iter()
        .map(|m| decimal(m, exponent))
        .find(|r| *r >= v * 0.999_999)
        .unwrap_or(decimal(1.0, exponent + 1))
}

/// `m` × 10^`exponent`, rounded once (a running product would drift off 0.1, 0.2, …).
fn decimal(m: f64, exponent: i32) -> f64 {
    format!("{m}e{exponent}").parse().expect("a number")
}

/// A tick: `20k` for 20,000, `0.5` for a half; ratios get a `×`.
fn tick_label(v: f64, kind: Kind) -> String {
    let text = if v >= 1000.0 {
        format!("{}k", trim(v / 1000.0))
    } else {
        trim(v)
    };
    match kind {
        Kind::Amount => text,
        Kind::Ratio => format!("×{text}"),
    }
}

fn value_label(v: f64, kind: Kind) -> String {
    match kind {
        Kind::Amount => number(v),
        Kind::Ratio => format!("×{:.2}", v),
    }
}

/// A round number without trailing zeros.
fn trim(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A value with as many decimals as its size needs, thousands separated: `58,123`, `12.3`.
pub fn number(v: f64) -> String {
    if v >= 1000.0 {
        let digits = format!("{v:.0}");
        let mut out = String::new();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(d);
        }
        out
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64, low: f64, high: f64) -> Bar {
        Bar {
            label: label.into(),
            value,
            low,
            high,
        }
    }

    #[test]
    fn the_axis_is_the_narrowest_round_one() {
        let rows = [
            bar("a", 135.0, 120.0, 150.0),
            bar("b", 58_000.0, 50_000.0, 61_000.0),
        ];
        let axis = LogAxis::fit(&rows, Kind::Amount);
        assert_eq!((axis.low, axis.high), (100.0, 100_000.0));
        assert_eq!(
            axis.ticks(),
            [100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5]
        );
        assert!((axis.position(1e3) - 1.0 / 3.0).abs() < 1e-9);
        // Ratios always show 1, so gains and losses are told apart.
        let ratios = LogAxis::fit(&[bar("r", 3.0, 2.5, 3.5)], Kind::Ratio);
        assert_eq!((ratios.low, ratios.high), (1.0, 5.0));
        let wide = LogAxis::fit(
            &[bar("w", 0.05, 0.05, 0.05), bar("v", 900.0, 900.0, 900.0)],
            Kind::Amount,
        );
        // Over more than three decades only the decades are marked.
        assert_eq!(wide.ticks(), [0.1, 1.0, 10.0, 100.0, 1000.0]);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(tick_label(20_000.0, Kind::Amount), "20k");
        assert_eq!(tick_label(0.5, Kind::Ratio), "×0.5");
        assert_eq!(value_label(2.345, Kind::Ratio), "×2.35");
        assert_eq!(number(58_123.4), "58,123");
        assert_eq!(number(1_234_567.0), "1,234,567");
        assert_eq!(number(135.2), "135");
        assert_eq!((round_down(135.0), round_up(135.0)), (100.0, 200.0));
        assert_eq!((round_down(0.3), round_up(0.3)), (0.2, 0.5));
    }

    #[test]
    fn amounts_are_dots_read_by_position() {
        let svg = bars(
            "t",
            "req/s",
            Kind::Amount,
            &[
                bar("a", 135.0, 120.0, 150.0),
                bar("b", 58_000.0, 50_000.0, 61_000.0),
            ],
        );
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("<rect").count(), 1, "only the background");
        assert!(svg.contains(">58,000<") && svg.contains("(log scale)"));
    }

    #[test]
    fn a_chart_draws_each_bar_escaped_and_losses_to_the_left() {
        let svg = bars(
            "worth",
            "ratio",
            Kind::Ratio,
            &[
                bar("a<b", 2.0, 1.5, 2.5),
                bar("loss", 0.5, 0.4, 0.6),
                bar("none", 0.0, 0.0, 0.0),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        // The background, two bars (one a loss, in its own colour), and no bar for the empty row.
        assert_eq!(svg.matches("<rect").count(), 3);
        assert_eq!(svg.matches("#d08a3c").count(), 1);
        assert!(svg.contains(">n/a<") && svg.contains(">×2.00<"));
    }
}
