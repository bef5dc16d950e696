//! An experiment's results: one row per run in `results.csv`, and a summary per configuration
//! (median and spread of its runs) as a Markdown table and SVG charts.

use crate::data::csv;
use crate::error::{io_context, Result};
use crate::experiment::chart::{self, Bar};
use crate::experiment::plan::Plan;
use crate::load::report::{self, Report};
use std::fmt::Write as _;
use std::path::Path;

/// One run of one configuration.
pub struct Record {
    pub config: String,
    pub description: String,
    pub run: usize,
    pub report: Report,
}

/// The summary of a configuration's runs.
struct Summary<'a> {
    config: &'a str,
    description: &'a str,
    runs: usize,
    throughput: Spread,
    p50: Spread,
    p99: Spread,
    errors: u64,
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

    fn cell(&self) -> String {
        format!(
            "{} ({}–{})",
            chart::number(self.median),
            chart::number(self.low),
            chart::number(self.high)
        )
    }
}

/// Writes `results.csv`, `results.md`, `throughput.svg` and `latency-p99.svg` into `dir`.
pub fn write(
    dir: &Path,
    plan: &Plan,
    records: &[Record],
    skipped: &[(String, String)],
) -> Result<()> {
    write_csv(&dir.join("results.csv"), records)?;
    let summaries = summarize(records);
    let md = markdown(plan, &summaries, skipped);
    std::fs::write(dir.join("results.md"), md).map_err(io_context(dir.display()))?;
    let bars = |pick: fn(&Summary) -> Spread| -> Vec<Bar> {
        summaries
            .iter()
            .map(|s| {
                let spread = pick(s);
                Bar {
                    label: s.config.to_string(),
                    value: spread.median,
                    low: spread.low,
                    high: spread.high,
                }
            })
            .collect()
    };
    let title = format!("{}: throughput (median, whisker: min–max)", plan.name);
    let svg = chart::bars(&title, "requests per second", &bars(|s| s.throughput));
    std::fs::write(dir.join("throughput.svg"), svg)?;
    let title = format!("{}: p99 latency (median, whisker: min–max)", plan.name);
    let svg = chart::bars(&title, "milliseconds", &bars(|s| s.p99));
    std::fs::write(dir.join("latency-p99.svg"), svg)?;
    Ok(())
}

fn write_csv(path: &Path, records: &[Record]) -> Result<()> {
    let mut out = csv::create(Some(path))?;
    let mut header = vec!["config", "run", "description"];
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
            let runs: Vec<&Report> = records
                .iter()
                .filter(|r| r.config == name)
                .map(|r| &r.report)
                .collect();
            let of =
                |f: fn(&Report) -> f64| Spread::of(&runs.iter().map(|r| f(r)).collect::<Vec<_>>());
            Summary {
                config: name,
                description: &records
                    .iter()
                    .find(|r| r.config == name)
                    .expect("named")
                    .description,
                runs: runs.len(),
                throughput: of(Report::throughput),
                p50: of(|r| r.percentile_ms(50.0)),
                p99: of(|r| r.percentile_ms(99.0)),
                errors: runs.iter().map(|r| r.requests() - r.ok()).sum(),
            }
        })
        .collect()
}

fn markdown(plan: &Plan, summaries: &[Summary], skipped: &[(String, String)]) -> String {
    let d = &plan.data;
    let bound = match (plan.load.loops, plan.duration()) {
        (Some(k), Some(t)) => format!("{k} passes or {:.0?}, whichever ends first", t),
        (Some(k), None) => format!("{k} passes over the workload"),
        (None, Some(t)) => format!("{:.0?}", t),
        (None, None) => "unbounded".into(),
    };
    let s = &plan.slowlink;
    let mut md = format!(
        "# Experiment `{}`\n\n{} users; workload of {} adds and {} gets (Zipf {}); {} clients with \
         keep-alive connections; each run lasts {bound}; {} runs per configuration; the slow \
         link adds {} ms ± {} ms each way. Each cell is the median of the runs, with the lowest \
         and highest in brackets. Errors are responses other than 2xx, and failed requests, over \
         all runs.\n\n",
        plan.name, d.users, d.adds, d.gets, d.zipf, plan.load.concurrency, plan.repeats,
        s.delay_ms, s.jitter_ms
    );
    md.push_str("| configuration | setup | runs | req/s | p50 ms | p99 ms | errors |\n");
    md.push_str("|---|---|---:|---:|---:|---:|---:|\n");
    for s in summaries {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            s.config,
            s.description,
            s.runs,
            s.throughput.cell(),
            s.p50.cell(),
            s.p99.cell(),
            s.errors
        );
    }
    if !skipped.is_empty() {
        md.push_str("\nNot measured:\n\n");
        for (name, why) in skipped {
            let _ = writeln!(md, "- `{name}`: {}", why.replace('\n', " "));
        }
    }
    md.push_str("\n![throughput](throughput.svg)\n\n![p99 latency](latency-p99.svg)\n");
    md
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
