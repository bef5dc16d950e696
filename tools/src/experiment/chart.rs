//! Hand-written SVG bar charts: one horizontal bar per configuration, with a whisker for the
//! spread of its runs. A plotting crate would bring far more than these ~100 lines.

use std::fmt::Write;

/// One bar: the median, and the lowest and highest run.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

const WIDTH: f64 = 760.0;
const LABEL_WIDTH: f64 = 210.0;
const ROW: f64 = 26.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 34.0;

/// A complete SVG document: a horizontal bar chart titled `title`, values in `unit`.
pub fn bars(title: &str, unit: &str, bars: &[Bar]) -> String {
    let plot = WIDTH - LABEL_WIDTH - 70.0;
    let height = TOP + ROW * bars.len() as f64 + BOTTOM;
    let max = bars.iter().map(|b| b.high.max(b.value)).fold(0.0, f64::max);
    let step = tick_step(max);
    let top_tick = (max / step).ceil().max(1.0) * step;
    let x = |v: f64| LABEL_WIDTH + plot * v / top_tick;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" font-size="15" font-weight="bold">{}</text>"#,
        LABEL_WIDTH,
        escape(title)
    );
    let axis_y = TOP + ROW * bars.len() as f64;
    let mut tick = 0.0;
    while tick <= top_tick + step / 2.0 {
        let _ = writeln!(
            svg,
            r##"<line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{axis_y}" stroke="#ddd"/><text x="{0:.1}" y="{1:.1}" text-anchor="middle" fill="#444">{2}</text>"##,
            x(tick),
            axis_y + 16.0,
            tick_label(tick, step)
        );
        tick += step;
    }
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">{}</text>"##,
        LABEL_WIDTH + plot / 2.0,
        axis_y + 30.0,
        escape(unit)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{LABEL_WIDTH}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#4a7ab8"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#222" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" fill="#222">{}</text>"##,
            LABEL_WIDTH - 8.0,
            y + ROW * 0.62,
            escape(&bar.label),
            y + 4.0,
            (x(bar.value) - LABEL_WIDTH).max(0.5),
            ROW - 8.0,
            x(bar.low),
            y + ROW / 2.0,
            x(bar.high),
            y + ROW / 2.0,
            x(bar.high.max(bar.value)) + 6.0,
            y + ROW * 0.62,
            number(bar.value)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// A round tick step (1, 2 or 5 times a power of ten) giving about five ticks up to `max`.
fn tick_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

/// A tick value with just the decimals its step needs.
fn tick_label(v: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// A value with as many decimals as its size needs.
pub fn number(v: f64) -> String {
    if v >= 100.0 {
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

    #[test]
    fn ticks_are_round_and_labels_escaped() {
        assert_eq!(tick_step(1000.0), 200.0);
        assert_eq!(tick_step(7.0), 2.0);
        assert_eq!(tick_step(0.0), 1.0);
        assert_eq!(tick_label(4000.0, 1000.0), "4000");
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        let svg = bars(
            "req/s",
            "requests per second",
            &[Bar {
                label: "a<b".into(),
                value: 50.0,
                low: 40.0,
                high: 60.0,
            }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }
}
