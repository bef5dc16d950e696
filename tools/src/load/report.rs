//! The result of one load run: counts, latency histogram, bytes; and its JSON and CSV forms.
//!
//! Latencies are kept in an HdrHistogram in microseconds (3 significant digits), so percentiles
//! are exact to 0.1 % whatever the run's length, and workers' histograms merge losslessly.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::time::Duration;

/// Longest latency the histogram tells apart (longer ones are recorded as this), in µs.
const MAX_LATENCY_US: u64 = 60_000_000;

/// What a load run (or one worker of it) saw.
#[derive(Debug, Clone)]
pub struct Report {
    /// Responses by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no response (connection refused, reset, timed out).
    pub io_errors: u64,
    /// Open loop: requests that were due but could not start before the run's hard stop
    /// (their wait is in the histogram as a lower bound of their latency).
    pub unsent: u64,
    /// Latency of every response, in microseconds.
    pub latency: Histogram<u64>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    pub concurrency: usize,
    /// Open loop: the offered rate, requests per second; `None` in closed loop.
    pub rate: Option<f64>,
}

impl Default for Report {
    fn default() -> Report {
        Report {
            statuses: BTreeMap::new(),
            io_errors: 0,
            unsent: 0,
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .expect("valid histogram bounds"),
            bytes_sent: 0,
            bytes_received: 0,
            elapsed: Duration::ZERO,
            concurrency: 0,
            rate: None,
        }
    }
}

/// The CSV columns of [`Report::csv_fields`].
pub const CSV_HEADER: [&str; 14] = [
    "requests",
    "ok",
    "errors",
    "duration_s",
    "throughput_rps",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "bytes_sent_per_request",
    "bytes_received_per_request",
    "concurrency",
    "loop",
    "rate_rps",
];

impl Report {
    /// Counts one response.
    pub fn record(&mut self, status: u16, latency: Duration, sent: usize, received: usize) {
        *self.statuses.entry(status).or_default() += 1;
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency.saturating_record(micros.max(1));
        self.bytes_sent += sent as u64;
        self.bytes_received += received as u64;
    }

    /// Counts one request that was due but never sent, late by at least `waited`.
    pub fn record_unsent(&mut self, waited: Duration) {
        self.unsent += 1;
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.latency.saturating_record(micros.max(1));
    }

    /// Adds another worker's counts (the elapsed time is the caller's to set).
    pub fn merge(&mut self, other: &Report) {
        for (status, n) in &other.statuses {
            *self.statuses.entry(*status).or_default() += n;
        }
        self.io_errors += other.io_errors;
        self.unsent += other.unsent;
        self.latency
            .add(&other.latency)
            .expect("histograms with the same bounds merge");
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
    }

    /// Requests sent, answered or not, plus those due but never sent.
    pub fn requests(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.io_errors + self.unsent
    }

    /// Responses with a 2xx status.
    pub fn ok(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| (200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }

    /// Everything that was not a 2xx answer, by status (`io` for no answer at all, `unsent`
    /// for due but never sent).
    pub fn errors(&self) -> BTreeMap<String, u64> {
        let mut errors: BTreeMap<String, u64> = self
            .statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(s, n)| (s.to_string(), *n))
            .collect();
        if self.io_errors > 0 {
            errors.insert("io".into(), self.io_errors);
        }
        if self.unsent > 0 {
            errors.insert("unsent".into(), self.unsent);
        }
        errors
    }

    /// Requests per second over the whole run.
    pub fn throughput(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A latency percentile (0–100) in milliseconds.
    pub fn percentile_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q / 100.0) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }

    fn per_request(&self, bytes: u64) -> f64 {
        bytes as f64 / self.requests().max(1) as f64
    }

    /// `open` (paced at a rate) or `closed`.
    pub fn loop_name(&self) -> &'static str {
        if self.rate.is_some() {
            "open"
        } else {
            "closed"
        }
    }

    /// The report as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests(),
            "ok": self.ok(),
            "errors": self.errors(),
            "duration_s": round(self.elapsed.as_secs_f64(), 3),
            "throughput_rps": round(self.throughput(), 1),
            "latency_ms": {
                "p50": self.percentile_ms(50.0),
                "p90": self.percentile_ms(90.0),
                "p99": self.percentile_ms(99.0),
                "max": self.max_ms(),
                "mean": round(self.latency.mean() / 1000.0, 3),
            },
            "bytes_sent_per_request": round(self.per_request(self.bytes_sent), 1),
            "bytes_received_per_request": round(self.per_request(self.bytes_received), 1),
            "concurrency": self.concurrency,
            "loop": self.loop_name(),
            "rate_rps": self.rate,
        })
    }

    /// The report as CSV fields, in the order of [`CSV_HEADER`]; errors read `404:3 io:1`.
    pub fn csv_fields(&self) -> Vec<String> {
        let errors = self.errors();
        let errors: Vec<String> = errors.iter().map(|(k, n)| format!("{k}:{n}")).collect();
        vec![
            self.requests().to_string(),
            self.ok().to_string(),
            errors.join(" "),
            format!("{:.3}", self.elapsed.as_secs_f64()),
            format!("{:.1}", self.throughput()),
            format!("{:.3}", self.percentile_ms(50.0)),
            format!("{:.3}", self.percentile_ms(90.0)),
            format!("{:.3}", self.percentile_ms(99.0)),
            format!("{:.3}", self.max_ms()),
            format!("{:.1}", self.per_request(self.bytes_sent)),
            format!("{:.1}", self.per_request(self.bytes_received)),
            self.concurrency.to_string(),
            self.loop_name().into(),
            self.rate.map(|r| format!("{r}")).unwrap_or_default(),
        ]
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        let pace = match self.rate {
            Some(rate) => format!("open loop at {rate} req/s: "),
            None => String::new(),
        };
        format!(
            "{pace}{} requests in {:.2} s: {:.0} req/s, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, \
             max {:.2} ms, errors {:?}",
            self.requests(),
            self.elapsed.as_secs_f64(),
            self.throughput(),
            self.percentile_ms(50.0),
            self.percentile_ms(90.0),
            self.percentile_ms(99.0),
            self.max_ms(),
            self.errors()
        )
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merge_and_percentiles_come_out_in_ms() {
        let mut a = Report::default();
        for ms in 1..=100 {
            a.record(200, Duration::from_millis(ms), 100, 200);
        }
        let mut b = Report::default();
        b.record(404, Duration::from_millis(500), 100, 150);
        b.io_errors = 2;
        b.record_unsent(Duration::from_millis(300));
        a.merge(&b);
        a.elapsed = Duration::from_secs(2);
        assert_eq!((a.requests(), a.ok()), (104, 100));
        assert_eq!(
            a.errors(),
            BTreeMap::from([("404".into(), 1), ("io".into(), 2), ("unsent".into(), 1)])
        );
        assert!((a.throughput() - 52.0).abs() < 1e-9);
        assert!(
            (a.percentile_ms(50.0) - 51.0).abs() < 0.1,
            "{}",
            a.percentile_ms(50.0)
        );
        assert!((a.max_ms() - 500.0).abs() < 0.5);
        let json = a.to_json();
        assert_eq!(json["errors"]["404"], 1);
        assert_eq!(a.csv_fields()[2], "404:1 io:2 unsent:1");
        assert_eq!(a.csv_fields().len(), CSV_HEADER.len());
    }
}
