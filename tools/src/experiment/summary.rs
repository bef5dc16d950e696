//! One configuration's runs summed up: peak throughput from its closed-loop runs, latencies
//! from its open-loop runs, each as the median and min–max of the runs.

use crate::experiment::probe::Costs;
use crate::experiment::record::{Record, Spread};
use crate::load::report::Report;

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
    /// The medians of what the closed-loop runs cost per request, when they were measured.
    pub costs: Option<Costs>,
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

/// One summary per configuration, in the order they first appear.
pub fn summarize(records: &[Record]) -> Vec<Summary<'_>> {
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
            let costs: Vec<Costs> = records
                .iter()
                .filter(|r| r.config == name && r.report.rate == peak[0].rate)
                .filter_map(|r| r.costs)
                .collect();
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
                costs: median_costs(&costs),
            }
        })
        .collect()
}

/// Each cost's median over several runs; `None` for no runs.
fn median_costs(runs: &[Costs]) -> Option<Costs> {
    let of = |f: fn(&Costs) -> f64| Spread::of(&runs.iter().map(f).collect::<Vec<_>>()).median;
    let of_some = |f: fn(&Costs) -> Option<f64>| {
        let values: Vec<f64> = runs.iter().filter_map(f).collect();
        (!values.is_empty()).then(|| Spread::of(&values).median)
    };
    (!runs.is_empty()).then(|| Costs {
        cpu_us_per_request: of(|c| c.cpu_us_per_request),
        cache_cpu_us_per_request: of(|c| c.cache_cpu_us_per_request),
        store_gets_per_request: of(|c| c.store_gets_per_request),
        store_puts_per_request: of(|c| c.store_puts_per_request),
        cache_hit_rate: of_some(|c| c.cache_hit_rate),
        cache_bytes_per_item: of_some(|c| c.cache_bytes_per_item),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A run answering `n` requests in a second, each in `ms`; open loop at `rate` if given.
    fn run(n: u64, ms: u64, rate: Option<f64>) -> Record {
        let mut report = Report::default();
        (0..n).for_each(|_| report.record(200, Duration::from_millis(ms), 1, 1));
        report.elapsed = Duration::from_secs(1);
        report.rate = rate;
        Record {
            config: "a".into(),
            description: "d".into(),
            run: 1,
            report,
            costs: None,
        }
    }

    #[test]
    fn peak_comes_from_closed_loop_and_latency_from_open_loop() {
        let records = [run(100, 1, None), run(20, 9, Some(20.0)), run(300, 1, None)];
        let s = &summarize(&records)[0];
        assert_eq!(
            (s.runs, s.throughput.median, s.throughput.low),
            (2, 200.0, 100.0)
        );
        let (rate, _, p99) = s.open.unwrap();
        assert_eq!(rate, 20.0);
        assert!((p99.median - 9.0).abs() < 0.01 && (s.p99().median - 9.0).abs() < 0.01);
        assert!((s.closed_p99.median - 1.0).abs() < 0.01);
        assert!(!s.overloaded());
        let over = [run(10, 1, None), run(20, 9, Some(20.0))];
        assert!(summarize(&over)[0].overloaded());
    }
}
