//! Unit tests of `chart.rs`: round log axes, labels, and what a chart draws.

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
