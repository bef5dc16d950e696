//! An experiment's results on disk: one row per run (and loop) in `results.csv`, and a summary
//! per configuration (`summary.rs`) as a Markdown table (`markdown.rs`) and SVG charts
//! (`chart.rs`), with what each optimisation is worth (`compare.rs`).

use crate::data::csv;
use crate::error::{io_context, Result};
use crate::experiment::chart::{self, Bar, Kind};
use crate::experiment::compare;
use crate::experiment::markdown;
use crate::experiment::plan::Plan;
use crate::experiment::probe;
use crate::experiment::record::{Record, Spread};
use crate::experiment::summary::{self, Summary};
use crate::load::report;
use std::path::Path;

/// Writes `results.csv`, `results.md`, `throughput.svg`, `latency-p99.svg` and (when two
/// configurations differ in one aspect) `worth.svg` into `dir`.
pub fn write(
    dir: &Path,
    plan: &Plan,
    records: &[Record],
    skipped: &[(String, String)],
) -> Result<()> {
    write_csv(&dir.join("results.csv"), records)?;
    let summaries = summary::summarize(records);
    let worth = compare::worth(plan, records);
    let md = markdown::write(plan, &summaries, &worth, skipped);
    std::fs::write(dir.join("results.md"), md).map_err(io_context(dir.display()))?;
    let bars = |pick: fn(&Summary) -> Spread| -> Vec<Bar> {
        let bar = |s: &Summary| bar(s.config.to_string(), pick(s));
        summaries.iter().map(bar).collect()
    };
    let chart = |file: &str, title: String, axis: &str, kind: Kind, rows: &[Bar]| {
        let path = dir.join(file);
        std::fs::write(&path, chart::bars(&title, axis, kind, rows))
            .map_err(io_context(path.display()))
    };
    let name = &plan.name;
    chart(
        "throughput.svg",
        format!("{name}: peak throughput, closed loop (median, whisker: min–max)"),
        "requests per second",
        Kind::Amount,
        &bars(|s| s.throughput),
    )?;
    let how = match plan.load.rate {
        Some(rate) => format!("open loop at {} req/s", chart::number(rate)),
        None => "closed loop".into(),
    };
    chart(
        "latency-p99.svg",
        format!("{name}: p99 latency, {how} (median, whisker: min–max)"),
        "milliseconds",
        Kind::Amount,
        &bars(|s| s.p99()),
    )?;
    let _ = std::fs::remove_file(dir.join("worth.svg"));
    if !worth.is_empty() {
        let rows: Vec<Bar> = worth.iter().map(|w| bar(w.label(), w.throughput)).collect();
        chart(
            "worth.svg",
            format!("{name}: what each change is worth, peak throughput ratio"),
            "with ÷ without (median of per-run ratios, whisker: min–max)",
            Kind::Ratio,
            &rows,
        )?;
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
    header.extend(probe::CSV_HEADER);
    csv::write_row(&mut out, &header)?;
    for r in records {
        let mut fields = vec![r.config.clone(), r.run.to_string(), r.description.clone()];
        fields.extend(r.report.csv_fields());
        fields.extend(match &r.costs {
            Some(costs) => costs.csv_fields(),
            None => vec![String::new(); probe::CSV_HEADER.len()],
        });
        csv::write_row(
            &mut out,
            &fields.iter().map(String::as_str).collect::<Vec<_>>(),
        )?;
    }
    out.flush()?;
    Ok(())
}
