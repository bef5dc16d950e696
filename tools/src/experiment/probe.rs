//! What a run cost the machines behind the service, per request: the service's CPU time and
//! memcached's (from `/proc/PID/stat`), the store operations and cache hits the service counted
//! (its `GET /metrics`), and the bytes memcached holds per item (its `stats`). `plan` sizes a
//! fleet from these figures (docs/experiments.md).

use crate::error::{Error, Result};
use crate::load::client::{Client, Target};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The kernel's clock ticks per second in `/proc/PID/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// The service's and memcached's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    /// Service CPU time, user and system, in seconds.
    pub service_cpu_s: f64,
    /// memcached CPU time (all its servers), in seconds.
    pub cache_cpu_s: f64,
    pub store_gets: f64,
    pub store_puts: f64,
    pub cache_hits: f64,
    pub cache_misses: f64,
}

/// What one run cost, per request, with memcached's memory per item at its end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Costs {
    pub cpu_us_per_request: f64,
    pub cache_cpu_us_per_request: f64,
    pub store_gets_per_request: f64,
    pub store_puts_per_request: f64,
    /// Hits over lookups; `None` without a cache.
    pub cache_hit_rate: Option<f64>,
    /// memcached's `bytes` over `curr_items`; `None` without a cache.
    pub cache_bytes_per_item: Option<f64>,
}

/// The CSV columns of [`Costs::csv_fields`], after the report's.
pub const CSV_HEADER: [&str; 6] = [
    "cpu_us_per_request",
    "cache_cpu_us_per_request",
    "store_gets_per_request",
    "store_puts_per_request",
    "cache_hit_rate",
    "cache_bytes_per_item",
];

/// Reads the counters of the service at `addr` (process `pid`) and of memcached (`cache_pids`).
pub fn read(addr: &str, pid: u32, cache_pids: &[u32]) -> Result<Counters> {
    let metrics = fetch_metrics(addr)?;
    let value = |series: &str| metric(&metrics, series).unwrap_or(0.0);
    let store = |op: &str| {
        value(&format!(
            "phonebook_store_duration_seconds_count{{op=\"{op}\"}}"
        ))
    };
    let mut cache_cpu_s = 0.0;
    for pid in cache_pids {
        cache_cpu_s += cpu_seconds(*pid)?;
    }
    Ok(Counters {
        service_cpu_s: cpu_seconds(pid)?,
        cache_cpu_s,
        store_gets: store("get"),
        store_puts: store("put"),
        cache_hits: value("phonebook_cache_hits_total"),
        cache_misses: value("phonebook_cache_misses_total"),
    })
}

impl Costs {
    /// The costs of `requests` requests between two readings; memcached's `(bytes, items)`.
    pub fn between(
        before: &Counters,
        after: &Counters,
        requests: u64,
        memory: Option<(f64, f64)>,
    ) -> Costs {
        let per = |a: f64, b: f64| (b - a) / requests.max(1) as f64;
        let lookups =
            (after.cache_hits - before.cache_hits) + (after.cache_misses - before.cache_misses);
        let hits = after.cache_hits - before.cache_hits;
        Costs {
            cpu_us_per_request: 1e6 * per(before.service_cpu_s, after.service_cpu_s),
            cache_cpu_us_per_request: 1e6 * per(before.cache_cpu_s, after.cache_cpu_s),
            store_gets_per_request: per(before.store_gets, after.store_gets),
            store_puts_per_request: per(before.store_puts, after.store_puts),
            cache_hit_rate: (lookups > 0.0).then(|| hits / lookups),
            cache_bytes_per_item: memory
                .filter(|(_, items)| *items > 0.0)
                .map(|(bytes, items)| bytes / items),
        }
    }

    /// The costs as CSV fields, in the order of [`CSV_HEADER`].
    pub fn csv_fields(&self) -> Vec<String> {
        let opt =
            |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| format!("{v:.digits$}"));
        vec![
            format!("{:.1}", self.cpu_us_per_request),
            format!("{:.1}", self.cache_cpu_us_per_request),
            format!("{:.4}", self.store_gets_per_request),
            format!("{:.4}", self.store_puts_per_request),
            opt(self.cache_hit_rate, 4),
            opt(self.cache_bytes_per_item, 1),
        ]
    }
}

/// User and system CPU time of a process (all its threads), in seconds.
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::new(format!("{path}: {e}")))?;
    parse_stat(&text).ok_or_else(|| Error::new(format!("{path}: no utime and stime")))
}

/// utime plus stime (fields 14 and 15) of a `/proc/PID/stat` line, in seconds. The command
/// name (field 2) is in parentheses and may hold spaces, so fields are counted after it.
fn parse_stat(text: &str) -> Option<f64> {
    let (_, rest) = text.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// A series' value in Prometheus text: the line `SERIES VALUE`.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

fn fetch_metrics(addr: &str) -> Result<String> {
    let target = Target::parse(&format!("http://{addr}"))?;
    let mut client = Client::new(&target, Duration::from_secs(5));
    let reply = client.send(&target.get("/metrics"))?;
    if reply.status != 200 {
        return Err(Error::new(format!(
            "GET /metrics answered {}",
            reply.status
        )));
    }
    Ok(String::from_utf8_lossy(client.body()).into_owned())
}

/// memcached's `bytes` and `curr_items` (from `stats`), summed over `addrs`.
pub fn cache_memory(addrs: &[String]) -> Result<(f64, f64)> {
    let (mut bytes, mut items) = (0.0, 0.0);
    for addr in addrs {
        let fail = |e: std::io::Error| Error::new(format!("stats on memcached {addr}: {e}"));
        let mut conn = TcpStream::connect(addr).map_err(fail)?;
        conn.set_read_timeout(Some(Duration::from_secs(2)))
            .map_err(fail)?;
        conn.write_all(b"stats\r\n").map_err(fail)?;
        for line in BufReader::new(conn).lines() {
            let line = line.map_err(fail)?;
            let mut words = line.split_whitespace().skip(1);
            match (
                words.next(),
                words.next().and_then(|v| v.parse::<f64>().ok()),
            ) {
                (Some("bytes"), Some(n)) => bytes += n,
                (Some("curr_items"), Some(n)) => items += n,
                _ if line == "END" => break,
                _ => {}
            }
        }
    }
    Ok((bytes, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_and_metrics_are_read() {
        let stat = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 17 0";
        assert_eq!(parse_stat(stat), Some(3.0));
        assert!(cpu_seconds(std::process::id()).is_ok());
        let text = "# HELP x\nphonebook_cache_hits_total 12\n\
                    phonebook_store_duration_seconds_count{op=\"get\"} 7\n\
                    phonebook_store_duration_seconds_count{op=\"getx\"} 9\n";
        assert_eq!(metric(text, "phonebook_cache_hits_total"), Some(12.0));
        let get = "phonebook_store_duration_seconds_count{op=\"get\"}";
        assert_eq!(metric(text, get), Some(7.0));
        assert_eq!(metric(text, "phonebook_cache_misses_total"), None);
    }

    #[test]
    fn costs_are_per_request_between_two_readings() {
        let before = Counters {
            service_cpu_s: 1.0,
            store_gets: 10.0,
            ..Counters::default()
        };
        let after = Counters {
            service_cpu_s: 1.5,
            cache_cpu_s: 0.1,
            store_gets: 210.0,
            store_puts: 200.0,
            cache_hits: 600.0,
            cache_misses: 200.0,
        };
        let costs = Costs::between(&before, &after, 1000, Some((9000.0, 100.0)));
        assert_eq!(costs.cpu_us_per_request, 500.0);
        assert_eq!(costs.store_gets_per_request, 0.2);
        assert_eq!(costs.cache_hit_rate, Some(0.75));
        assert_eq!(costs.cache_bytes_per_item, Some(90.0));
        let none = Costs::between(&before, &before, 10, None);
        assert_eq!(
            (none.cache_hit_rate, none.cache_bytes_per_item),
            (None, None)
        );
        assert_eq!(none.csv_fields()[4], "");
    }
}
