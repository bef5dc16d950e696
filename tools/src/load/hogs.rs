//! `hog-probe`: how long a well-behaved client waits while other clients hog the server.
//!
//! It opens `--hogs` connections that each pipeline requests for a large answer and never read
//! a byte (all within a second), then asks `GET /healthz` on a new connection every `--every`
//! for `--duration`, and reports the probe's latency (p50, p99, max, in an HdrHistogram) and
//! how many probes failed. Bounded in count and time; meant for loopback.

use crate::args;
use crate::error::{Error, Result};
use hdrhistogram::Histogram;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const HELP: &str = "\
phonebook-tools hog-probe: /healthz latency while other connections never read their answers

USAGE:
    phonebook-tools hog-probe --target ADDR [OPTIONS]

OPTIONS:
    --target ADDR      the service, host:port (loopback)
    --hogs N           connections that pipeline requests and never read [default: 16]
    --path PATH        what each hog asks for, 2,000 times [default: /static/style.css]
    --duration D       how long to probe; keep it under the service's write timeout, which
                       drops a hog that long after its answers backed up [default: 4s]
    --every D          pause between probes [default: 10ms]

Prints one line: hogs, probes, failed, p50, p99 and max in milliseconds.
";

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut target, mut hogs, mut path) = (None, 16usize, "/static/style.css".to_string());
    let (mut duration, mut every) = (Duration::from_secs(4), Duration::from_millis(10));
    while let Some(arg) = parser.next()? {
        match arg {
            Long("target") => target = Some(args::text(&mut parser)?),
            Long("hogs") => hogs = args::number(&mut parser, "hogs")?,
            Long("path") => path = args::text(&mut parser)?,
            Long("duration") => duration = args::duration(&mut parser, "duration")?,
            Long("every") => every = args::duration(&mut parser, "every")?,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let target = args::required(target, "target")?;
    if hogs > 10_000 || duration > Duration::from_secs(600) {
        return Err(Error::new("at most 10000 hogs and 600 s"));
    }
    let _held = open_hogs(&target, hogs, &path)?;
    std::thread::sleep(Duration::from_millis(200));
    let (latency, failed) = probe(&target, duration, every);
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "hogs {hogs}, probes {}, failed {failed}, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latency.len(),
        ms(0.5),
        ms(0.99),
        latency.max() as f64 / 1000.0
    );
    Ok(())
}

/// Opens the hogs; each sends what its socket takes of 2,000 pipelined requests.
fn open_hogs(target: &str, count: usize, path: &str) -> Result<Vec<TcpStream>> {
    let burst = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").repeat(2000);
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let mut hog = TcpStream::connect(target)
            .map_err(|e| Error::new(format!("cannot connect to {target}: {e}")))?;
        // What the socket takes at once (the server stops reading once its answers back up),
        // without waiting, so that 900 hogs are open within a second.
        hog.set_nonblocking(true)
            .map_err(|e| Error::new(e.to_string()))?;
        let _ = hog.write(burst.as_bytes());
        held.push(hog);
    }
    Ok(held)
}

/// Probes `/healthz` on a new connection each time; latency in microseconds.
fn probe(target: &str, duration: Duration, every: Duration) -> (Histogram<u64>, u64) {
    let mut latency = Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
    let mut failed = 0;
    let end = Instant::now() + duration;
    while Instant::now() < end {
        let started = Instant::now();
        if health(target) {
            let us = started.elapsed().as_micros() as u64;
            let _ = latency.record(us.clamp(1, 60_000_000));
        } else {
            failed += 1;
        }
        std::thread::sleep(every);
    }
    (latency, failed)
}

fn health(target: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(target) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let mut answer = Vec::new();
    stream.write_all(request).is_ok()
        && stream.read_to_end(&mut answer).is_ok()
        && answer.starts_with(b"HTTP/1.1 200")
}
