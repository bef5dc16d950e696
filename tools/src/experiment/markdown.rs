//! `results.md`: the experiment's summary for people, as Markdown tables, with its charts.
//!
//! One row per configuration: the peak throughput of the closed-loop runs, and the latencies of
//! the open-loop runs at the plan's rate (the closed loop's p99 stays beside them, to show what
//! a closed loop would have reported); then one row per pair of configurations that differ in
//! one aspect, with what that change is worth.

use crate::experiment::chart;
use crate::experiment::compare::Worth;
use crate::experiment::plan::Plan;
use crate::experiment::record::Spread;
use crate::experiment::summary::Summary;
use std::fmt::Write as _;

/// The whole `results.md`.
pub fn write(
    plan: &Plan,
    summaries: &[Summary],
    worth: &[Worth],
    skipped: &[(String, String)],
) -> String {
    let mut md = intro(plan);
    md.push_str(
        "| configuration | setup | runs | peak req/s | closed-loop p99 ms | open-loop rate req/s \
         | p50 ms | p99 ms | errors |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for s in summaries {
        let (rate, p50, p99) = match s.open {
            Some((rate, p50, p99)) => {
                let mark = if s.overloaded() { " (over peak)" } else { "" };
                (
                    format!("{}{mark}", chart::number(rate)),
                    p50.cell(),
                    p99.cell(),
                )
            }
            None => ("–".into(), "–".into(), "–".into()),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {rate} | {p50} | {p99} | {} |",
            s.config,
            s.description,
            s.runs,
            s.throughput.cell(),
            s.closed_p99.cell(),
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
    if summaries.iter().any(|s| s.costs.is_some()) {
        md.push_str(&costs_table(summaries));
    }
    if !worth.is_empty() {
        md.push_str(&worth_table(worth));
    }
    md
}

fn intro(plan: &Plan) -> String {
    let d = &plan.data;
    let bound = match (plan.load.loops, plan.duration()) {
        (Some(k), Some(t)) => format!("{k} passes or {:.0?}, whichever ends first", t),
        (Some(k), None) => format!("{k} passes over the workload"),
        (None, Some(t)) => format!("{:.0?}", t),
        (None, None) => "unbounded".into(),
    };
    let s = &plan.slowlink;
    let open = match plan.load.rate {
        Some(rate) => format!(
            " Latencies come from a second run of each, in open loop: {} requests a second \
             whatever the answers take, each timed from when it was due, so queueing counts \
             (\"over peak\" marks a rate above what the configuration served in closed loop: \
             its latencies are mostly that queue).",
            chart::number(rate)
        ),
        None => " Latencies are those of the closed-loop runs (no open-loop rate was set).".into(),
    };
    let profile = plan
        .standin
        .profile
        .as_ref()
        .map(|p| format!(" The Riak stand-in runs its `{p}` profile."))
        .unwrap_or_default();
    format!(
        "# Experiment `{}`\n\n{} users; workload of {} adds and {} gets (Zipf {}); {} clients with \
         keep-alive connections; each run lasts {bound}; {} runs per configuration; the slow \
         link adds {} ms ± {} ms each way.{profile} Peak throughput comes from closed-loop \
         runs (each client sends its next request when the last is answered).{open} Each cell \
         is the median of the runs, with the lowest and highest in brackets. Errors are \
         responses other than 2xx, and failed requests, over all runs.\n\n",
        plan.name, d.users, d.adds, d.gets, d.zipf, plan.load.concurrency, plan.repeats,
        s.delay_ms, s.jitter_ms
    )
}

fn worth_table(worth: &[Worth]) -> String {
    let mut md = String::from(
        "\n## What each change is worth\n\nPairs of configurations that differ in one aspect \
         only. Each ratio is taken run by run (run *k* of one against run *k* of the other); \
         the cell is their median, the lowest and highest in brackets. Throughput: with ÷ \
         without, above 1 is a gain. Open-loop p99: without ÷ with, above 1 means the change \
         lowers it.\n\n| aspect | with | without | throughput × | open-loop p99 × |\n\
         |---|---|---|---:|---:|\n",
    );
    for w in worth {
        let p99 = w.p99.as_ref().map_or("–".into(), ratio_cell);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {p99} |",
            w.aspect,
            w.better,
            w.worse,
            ratio_cell(&w.throughput)
        );
    }
    md.push_str("\n![what each change is worth](worth.svg)\n");
    md
}

/// What a request cost in the closed-loop runs: the figures `phonebook-tools plan` reads.
fn costs_table(summaries: &[Summary]) -> String {
    let mut md = String::from(
        "\n## What a request costs\n\nMedians of the closed-loop runs: the service's CPU time \
         and memcached's (from `/proc`), the store operations and cache lookups the service \
         counted (its `/metrics`), and the bytes memcached held per item at the end of a run, \
         each per request. `phonebook-tools plan` sizes a fleet from them.\n\n\
         | configuration | service CPU µs | memcached CPU µs | store gets | store puts | cache hit \
         rate | bytes per cached item |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for s in summaries {
        let Some(c) = &s.costs else { continue };
        let opt =
            |v: Option<f64>, digits: usize| v.map_or("–".into(), |v| format!("{v:.digits$}"));
        let _ = writeln!(
            md,
            "| {} | {:.1} | {:.1} | {:.3} | {:.3} | {} | {} |",
            s.config,
            c.cpu_us_per_request,
            c.cache_cpu_us_per_request,
            c.store_gets_per_request,
            c.store_puts_per_request,
            opt(c.cache_hit_rate, 3),
            opt(c.cache_bytes_per_item, 0)
        );
    }
    md
}

fn ratio_cell(s: &Spread) -> String {
    format!("{:.2} ({:.2}–{:.2})", s.median, s.low, s.high)
}
