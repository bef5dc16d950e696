//! An experiment's results: one row per run (and loop) in `results.csv`, and a summary per
//! configuration (median and spread of its runs) as a Markdown table (`markdown.rs`) and SVG
//! charts (`chart.rs`), with what each optimisation is worth (`compare.rs`).

use crate::data::csv;
use crate::error::{io_context, Result};
use crate::experiment::chart::{self, Bar, Kind};
use crate::experiment::compare;
use crate::experiment::markdown;
use crate::experiment::plan::Plan;
use crate::load::report::{self, Report};
use std::path::Path;

/// One run of one configuration.
pub struct Record {
    pub config: String,
    pub description: String,
    pub run: usize,
    pub report: Report,
}

/// The summary of a configuration's runs: peak throughput from the closed-loop runs, latency
/// from the open-loop runs when the plan gave a rate.
pub struct Summary<'a> {
    pub config: &'a str,
    pub description: &'a str,
    pub runs: usize,
    pub throughput: Spread,
    /// p99 of the closed-loop runs: what a closed loop reports, for comparison.
    pub closed_p99: Spread,
    /// The open-loop rate, and the p50 and p99 seen at it.
    pub open: Option<(f64, Spread, Spread)>,
    pub errors: u64,
}

impl Summary<'_> {
    /// The p99 the charts show: the open loop's when there is one.
    pub fn p99(&self) -> Spread {
        self.open.map_or(self.closed_p99, |(_, _, p99)| p99)
    }

    /// Whether the open-loop rate was above what the configuration can serve, so its
    /// latencies are mostly queueing.
    pub fn overloaded(&self) -> bool {
        self.open
            .is_some_and(|(rate, _, _)| rate > self.throughput.median)
    }
}

/// Median, lowest and highest of a set of runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

impl Spread {
    /// The spread of non-empty `values` (the median of an even count is the mean of the middle
    /// two).
    pub fn of(values: &[f64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Spread {
            median,
            low: sorted[0],
            high: sorted[n - 1],
        }
    }

    pub fn cell(&self) -> String {
        format!(
            "{} ({}–{})",
            chart::number(self.median),
            chart::number(self.low),
            chart::number(self.high)
        )
    }
}

/// Writes `results.csv`, `results.md`, `throughput.svg`, `latency-p99.svg` and (when two
/// configurations differ in one aspect) `worth.svg` into `dir`.
pub fn write(
    dir: &Path,
    plan: &Plan,
    records: &[Record],
    skipped: &[(String, String)],
) -> Result<()> {
    write_csv(&dir.join("results.csv"), records)?;
    let summaries = summarize(records);
    let worth = compare::worth(plan, records);
    let md = markdown::write(plan, &summaries, &worth, skipped);
    std::fs::write(dir.join("results.md"), md).map_err(io_context(dir.display()))?;
    let bars = |pick: fn(&Summary) -> Spread| -> Vec<Bar> {
        let bar = |s: &Summary| bar(s.config.to_string(), pick(s));
        summaries.iter().map(bar).collect()
    };
    let title = format!(
        "{}: peak throughput, closed loop (median, whisker: min–max)",
        plan.name
    );
    let svg = chart::bars(
        &title,
        "requests per second",
        Kind::Amount,
        &bars(|s| s.throughput),
    );
    std::fs::write(dir.join("throughput.svg"), svg)?;
    let how = match plan.load.rate {
        Some(rate) => format!("open loop at {} req/s", chart::number(rate)),
        None => "closed loop".into(),
    };
    let title = format!(
        "{}: p99 latency, {how} (median, whisker: min–max)",
        plan.name
    );
    let svg = chart::bars(&title, "milliseconds", Kind::Amount, &bars(|s| s.p99()));
    std::fs::write(dir.join("latency-p99.svg"), svg)?;
    let _ = std::fs::remove_file(dir.join("worth.svg"));
    if !worth.is_empty() {
        let rows: Vec<Bar> = worth.iter().map(|w| bar(w.label(), w.throughput)).collect();
        let title = format!(
            "{}: what each change is worth, peak throughput ratio",
            plan.name
        );
        let svg = chart::bars(
            &title,
            "with ÷ without (median of per-run ratios, whisker: min–max)",
            Kind::Ratio,
            &rows,
        );
        std::fs::write(dir.join("worth.svg"), svg)?;
    }
    Ok(())
}

fn bar(label: String, spread: Spread) -> Bar {
    Bar {
        label,
        value: spread.median,
        low: spread.low,
        high: spread.high,
    }
}

fn write_csv(path: &Path, records: &[Record]) -> Result<()> {
    let mut out = csv::create(Some(path))?;
    let mut header = vec!["config", "run", "description"];
    // The report's own columns say which loop a row is (`loop`, `rate_rps`).
    header.extend(report::CSV_HEADER);
    csv::write_row(&mut out, &header)?;
    for r in records {
        let mut fields = vec![r.config.clone(), r.run.to_string(), r.description.clone()];
        fields.extend(r.report.csv_fields());
        csv::write_row(
            &mut out,
            &fields.iter().map(String::as_str).collect::<Vec<_>>(),
        )?;
    }
    out.flush()?;
    Ok(())
}

/// One summary per configuration, in the order they first appear.
fn summarize(records: &[Record]) -> Vec<Summary<'_>> {
    let mut names: Vec<&str> = Vec::new();
    for r in records {
        if !names.contains(&r.config.as_str()) {
            names.push(&r.config);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mine: Vec<&Report> = records
                .iter()
                .filter(|r| r.config == name)
                .map(|r| &r.report)
                .collect();
            let (open, closed): (Vec<&Report>, Vec<&Report>) =
                mine.iter().partition(|r| r.rate.is_some());
            let of = |runs: &[&Report], f: fn(&Report) -> f64| {
                Spread::of(&runs.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            let open_summary = open.first().and_then(|first| {
                let rate = first.rate?;
                let p50 = of(&open, |r| r.percentile_ms(50.0));
                Some((rate, p50, of(&open, |r| r.percentile_ms(99.0))))
            });
            // A plan always has closed-loop runs; an open-only set would still summarize.
            let peak = if closed.is_empty() { &open } else { &closed };
            Summary {
                config: name,
                description: &records
                    .iter()
                    .find(|r| r.config == name)
                    .expect("named")
                    .description,
                runs: peak.len(),
                throughput: of(peak, Report::throughput),
                closed_p99: of(peak, |r| r.percentile_ms(99.0)),
                open: open_summary,
                errors: mine.iter().map(|r| r.requests() - r.ok()).sum(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_take_the_middle() {
        let s = Spread::of(&[3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.low, s.high), (2.0, 1.0, 3.0));
        assert_eq!(Spread::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(Spread::of(&[7.0]).median, 7.0);
    }
}
