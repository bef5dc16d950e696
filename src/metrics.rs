//! The service's counters and histograms, and `GET /metrics` in the Prometheus text format 0.0.4:
//! a fixed set of series, so recording a request is three relaxed atomic adds and no lock.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The `route` label values; `routes.rs` names its routes with these.
pub(crate) const ROUTES: [&str; 7] = [
    "form", "contacts", "contact", "health", "style", "metrics", "none",
];
const METHODS: [&str; 5] = ["GET", "HEAD", "POST", "DELETE", "other"];
/// The statuses phonebook answers with; 0 stands for any other.
const STATUSES: [u16; 19] = [
    200, 204, 400, 401, 403, 404, 405, 408, 411, 413, 414, 415, 431, 500, 501, 502, 503, 507, 0,
];
/// Upper bounds of the latency buckets: (nanoseconds, the `le` label).
const BUCKETS: [(u64, &str); 14] = [
    (100_000, "0.0001"),
    (250_000, "0.00025"),
    (500_000, "0.0005"),
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
    (250_000_000, "0.25"),
    (500_000_000, "0.5"),
    (1_000_000_000, "1"),
    (2_500_000_000, "2.5"),
];

/// A store operation, for the store latency histogram.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StoreOp {
    Get,
    Put,
    List,
    Health,
    Delete,
}
const STORE_OPS: [&str; 5] = ["get", "put", "list", "health", "delete"];

/// What became of one cache operation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CacheEvent {
    /// A lookup found the contact.
    Hit,
    /// A lookup found nothing (the store was read).
    Miss,
    /// memcached failed or timed out (the store answered instead).
    Error,
    /// Not tried: memcached failed recently.
    Skipped,
}
const CACHE_EVENTS: [(&str, &str); 4] = [
    ("hits", "Cache lookups that found the contact."),
    (
        "misses",
        "Cache lookups that found nothing, so the store was read.",
    ),
    (
        "errors",
        "Cache operations that failed or timed out; the store answered.",
    ),
    (
        "skipped",
        "Cache operations not tried because memcached failed within the last second.",
    ),
];

/// All of phonebook's metrics; shared by the workers.
pub(crate) struct Metrics {
    /// Indexed by route, method, status.
    requests: Vec<AtomicU64>,
    request_seconds: Vec<Histogram>,
    store_seconds: Vec<Histogram>,
    cache: [AtomicU64; 4],
    /// Writes the store refused for lack of space.
    store_full: AtomicU64,
}

/// A latency histogram: one count per bucket (not cumulative) and the sum.
struct Histogram {
    /// `BUCKETS.len()` bounded buckets, then `+Inf`.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let n = ROUTES.len() * METHODS.len() * STATUSES.len();
        Metrics {
            requests: (0..n).map(|_| AtomicU64::new(0)).collect(),
            request_seconds: ROUTES.iter().map(|_| Histogram::default()).collect(),
            store_seconds: STORE_OPS.iter().map(|_| Histogram::default()).collect(),
            cache: Default::default(),
            store_full: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Counts one answered request. `route` is one of [`ROUTES`] (others count as `none`).
    pub(crate) fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let r = position(&ROUTES, |&x| x == route);
        self.count(r, method, status);
        self.request_seconds[r].observe(elapsed);
    }

    /// Counts a request refused before it reached a handler (unreadable, too large, too slow,
    /// too many connections): route `none`, method `other`, and no latency.
    pub(crate) fn rejected(&self, status: u16) {
        self.count(ROUTES.len() - 1, "other", status);
    }

    fn count(&self, route: usize, method: &str, status: u16) {
        let m = position(&METHODS, |&x| x == method);
        let s = position(&STATUSES, |&x| x == status);
        let index = (route * METHODS.len() + m) * STATUSES.len() + s;
        self.requests[index].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn store(&self, op: StoreOp, elapsed: Duration) {
        self.store_seconds[op as usize].observe(elapsed);
    }

    /// Counts a write refused because the store's disk is full.
    pub(crate) fn store_full(&self) {
        self.store_full.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn cache(&self, event: CacheEvent) {
        self.cache[event as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text; `pool_waits` lists (pool name, waits) for each connection pool.
    pub(crate) fn render(&self, pool_waits: &[(&str, u64)]) -> String {
        let mut out = String::with_capacity(4096);
        self.render_requests(&mut out);
        let routes = ROUTES.iter().zip(&self.request_seconds);
        render_histograms(&mut out, "request", "route", routes);
        let ops = STORE_OPS.iter().zip(&self.store_seconds);
        render_histograms(&mut out, "store", "op", ops);
        for ((name, help), count) in CACHE_EVENTS.iter().zip(&self.cache) {
            header(
                &mut out,
                &format!("phonebook_cache_{name}_total"),
                help,
                "counter",
            );
            let n = count.load(Ordering::Relaxed);
            let _ = writeln!(out, "phonebook_cache_{name}_total {n}");
        }
        let help = "Writes refused because the store's disk was full (answered 507).";
        header(&mut out, "phonebook_store_full_total", help, "counter");
        let full = self.store_full.load(Ordering::Relaxed);
        let _ = writeln!(out, "phonebook_store_full_total {full}");
        let help = "Times a worker waited for a free connection, by pool.";
        header(&mut out, "phonebook_pool_waits_total", help, "counter");
        for (pool, waits) in pool_waits {
            let _ = writeln!(out, "phonebook_pool_waits_total{{pool=\"{pool}\"}} {waits}");
        }
        out
    }

    fn render_requests(&self, out: &mut String) {
        let name = "phonebook_requests_total";
        header(out, name, "HTTP requests answered.", "counter");
        let mut counts = self.requests.iter();
        for route in ROUTES {
            for method in METHODS {
                for status in STATUSES {
                    let n = counts.next().expect("one counter per series");
                    let n = n.load(Ordering::Relaxed);
                    if n == 0 {
                        continue;
                    }
                    let status = match status {
                        0 => "other".to_string(),
                        s => s.to_string(),
                    };
                    let labels =
                        format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"");
                    let _ = writeln!(out, "{name}{{{labels}}} {n}");
                }
            }
        }
    }
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: Default::default(),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        // Past the last bound: the `+Inf` slot, one after the bounded buckets.
        let bucket = BUCKETS
            .iter()
            .position(|&(bound, _)| nanos <= bound)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Where `pred` first holds, else the last index (the catch-all slot).
fn position<T>(items: &[T], pred: impl Fn(&T) -> bool) -> usize {
    items.iter().position(pred).unwrap_or(items.len() - 1)
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Writes `phonebook_{what}_duration_seconds`, one histogram per label value in use.
fn render_histograms<'a>(
    out: &mut String,
    what: &str,
    label: &str,
    series: impl Iterator<Item = (&'a &'a str, &'a Histogram)>,
) {
    let name = format!("phonebook_{what}_duration_seconds");
    let help = match what {
        "request" => "Time from a request read to its answer ready, waiting for a worker included.",
        _ => "Time a store operation took.",
    };
    header(out, &name, help, "histogram");
    for (value, hist) in series {
        // Counts are read once, and `_count` is their sum, so `+Inf` always equals `_count`.
        let counts: Vec<u64> = hist
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            continue;
        }
        let mut cumulative = 0;
        let bounds = BUCKETS.iter().map(|(_, le)| *le).chain(["+Inf"]);
        for (le, count) in bounds.zip(&counts) {
            cumulative += count;
            let _ = writeln!(
                out,
                "{name}_bucket{{{label}=\"{value}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = hist.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{label}=\"{value}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{{label}=\"{value}\"}} {total}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_histograms_render_in_the_text_format() {
        let m = Metrics::default();
        m.request("contact", "GET", 200, Duration::from_micros(50));
        m.request("contact", "GET", 200, Duration::from_millis(3));
        m.request("contact", "GET", 404, Duration::from_secs(9));
        m.request("bogus", "PATCH", 299, Duration::ZERO);
        m.store(StoreOp::Put, Duration::from_millis(1));
        m.cache(CacheEvent::Hit);
        let text = m.render(&[("cache", 7)]);
        let has = |line: &str| text.lines().any(|l| l == line);
        assert!(has(
            r#"phonebook_requests_total{route="contact",method="GET",status="200"} 2"#
        ));
        assert!(has(
            r#"phonebook_requests_total{route="contact",method="GET",status="404"} 1"#
        ));
        assert!(has(
            r#"phonebook_requests_total{route="none",method="other",status="other"} 1"#
        ));
        let bucket = "phonebook_request_duration_seconds_bucket";
        assert!(has(&format!(
            r#"{bucket}{{route="contact",le="0.0001"}} 1"#
        )));
        assert!(has(&format!(r#"{bucket}{{route="contact",le="0.005"}} 2"#)));
        assert!(has(&format!(r#"{bucket}{{route="contact",le="2.5"}} 2"#)));
        assert!(has(&format!(r#"{bucket}{{route="contact",le="+Inf"}} 3"#)));
        assert!(has(
            r#"phonebook_request_duration_seconds_count{route="contact"} 3"#
        ));
        assert!(has(
            r#"phonebook_request_duration_seconds_sum{route="contact"} 9.00305"#
        ));
        assert!(has(r#"phonebook_store_duration_seconds_count{op="put"} 1"#));
        assert!(!text.contains(r#"op="get""#), "unused series are left out");
        assert!(has("phonebook_cache_hits_total 1"));
        assert!(has("phonebook_cache_errors_total 0"));
        assert!(has(r#"phonebook_pool_waits_total{pool="cache"} 7"#));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
