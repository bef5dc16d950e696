//! `loadtest`: replays a workload against a running service and measures it.
//!
//! N workers each own one keep-alive connection and take the next request from a shared
//! counter, so the workload is replayed in its order, looped K times and/or for a duration. A
//! run is always bounded in count and time. Closed loop (the default) measures peak
//! throughput; `--rate` switches to open loop for honest latency (see `pace.rs` for both). The
//! experiment runner calls [`run_load`] directly.

use crate::args;
use crate::data::{csv, workload};
use crate::error::{Error, Result};
use crate::load::client::{Client, Target};
use crate::load::pace::{Pace, Schedule, Slot};
use crate::load::report::{self, Report};
use crate::progress;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const HELP: &str = "\
phonebook-tools loadtest: replay a workload against the service and measure it

USAGE:
    phonebook-tools loadtest --target URL --workload FILE (--loops K | --duration D) [OPTIONS]

OPTIONS:
    --target URL         the service, http://host:port
    --workload FILE      the workload (from gen-workload)
    --concurrency N      workers, each with one keep-alive connection [default: 8; with
                         --rate: 32]
    --rate N             open loop: N requests per second whatever the answers take; each
                         latency counts from the request's due time, so queueing shows.
                         Without it, closed loop: the next request goes when a worker is
                         free (peak throughput; hides stalls in its latencies)
    --loops K            replay the workload K times
    --duration D         stop after D (e.g. 30s); with --loops, whichever comes first.
                         --loops alone stops after 30 minutes at most
    --timeout D          give up on one response after D [default: 10s]; in open loop,
                         requests still waiting for a free worker D after the end are
                         counted as unsent (and late) instead
    --format F           json or csv [default: json]
    --out FILE           where to write the result [default: stdout]
    --quiet              no progress lines on stderr

Reports throughput, latency p50/p90/p99/max, and errors by status.
";

/// The longest a `--loops` run may take when no duration is given.
const MAX_RUN: Duration = Duration::from_secs(30 * 60);

/// How a load run is bounded and shaped.
#[derive(Debug, Clone)]
pub struct Options {
    /// Workers, each with one connection: in open loop, the most requests in flight.
    pub concurrency: usize,
    pub pace: Pace,
    pub loops: Option<u64>,
    pub duration: Option<Duration>,
    pub timeout: Duration,
    pub progress: bool,
}

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let mut opts = Options {
        concurrency: 0,
        pace: Pace::Closed,
        loops: None,
        duration: None,
        timeout: Duration::from_secs(10),
        progress: true,
    };
    let (mut target, mut file, mut out, mut csv_format) = (None, None::<PathBuf>, None, false);
    let mut concurrency = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("target") => target = Some(Target::parse(&args::text(&mut parser)?)?),
            Long("workload") => file = Some(args::path(&mut parser)?),
            Long("concurrency") => concurrency = Some(args::number(&mut parser, "concurrency")?),
            Long("rate") => {
                let rate: f64 = args::number(&mut parser, "rate")?;
                opts.pace = Pace::Open { rate };
            }
            Long("loops") => opts.loops = Some(args::number(&mut parser, "loops")?),
            Long("duration") => opts.duration = Some(args::duration(&mut parser, "duration")?),
            Long("timeout") => opts.timeout = args::duration(&mut parser, "timeout")?,
            Long("format") => {
                csv_format = match args::text(&mut parser)?.as_str() {
                    "json" => false,
                    "csv" => true,
                    other => return Err(Error::new(format!("--format {other:?}: json or csv"))),
                }
            }
            Long("out") => out = Some(args::path(&mut parser)?),
            Long("quiet") => opts.progress = false,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    // In open loop a slow answer must not hold up later sends: more connections.
    opts.concurrency = concurrency.unwrap_or(if opts.pace == Pace::Closed { 8 } else { 32 });
    let target = args::required(target, "target")?;
    let rows = workload::read(&args::required(file, "workload")?)?;
    let requests: Vec<Vec<u8>> = rows.iter().map(|r| target.request(r)).collect();
    let report = run_load(&target, &requests, &opts)?;
    eprintln!("loadtest: {}", report.summary());
    let mut out = csv::create(out.as_deref())?;
    if csv_format {
        csv::write_row(&mut out, &report::CSV_HEADER)?;
        let fields = report.csv_fields();
        csv::write_row(
            &mut out,
            &fields.iter().map(String::as_str).collect::<Vec<_>>(),
        )?;
    } else {
        writeln!(out, "{:#}", report.to_json())?;
    }
    out.flush()?;
    Ok(())
}

/// Sends `requests` (looped) with `opts.concurrency` workers, paced as `opts.pace` says, and
/// returns what they saw.
pub fn run_load(target: &Target, requests: &[Vec<u8>], opts: &Options) -> Result<Report> {
    if requests.is_empty() || opts.concurrency == 0 || opts.concurrency > 10_000 {
        return Err(Error::new("need requests and a concurrency of 1 to 10000"));
    }
    if opts.loops.is_none() && opts.duration.is_none() {
        return Err(Error::new("give --loops, --duration, or both"));
    }
    if let Pace::Open { rate } = opts.pace {
        if !(rate.is_finite() && (0.1..=1_000_000.0).contains(&rate)) {
            return Err(Error::new(
                "--rate must be 0.1 to 1000000 requests per second",
            ));
        }
    }
    let limit = opts
        .loops
        .map_or(u64::MAX, |k| k.saturating_mul(requests.len() as u64));
    let start = Instant::now();
    let duration = opts.duration.unwrap_or(MAX_RUN);
    let schedule = Schedule::new(opts.pace, start, duration, opts.timeout, limit);
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let mut report = Report::default();
    std::thread::scope(|scope| {
        let watcher = opts.progress.then(|| {
            let bounded = opts.loops.is_some() || opts.pace != Pace::Closed;
            let (done, stop, of) = (&done, &stop, bounded.then_some(schedule.total));
            scope.spawn(move || progress::watch("loadtest", done, of, stop))
        });
        let workers: Vec<_> = (0..opts.concurrency)
            .map(|_| {
                scope.spawn(|| worker(target, requests, opts.timeout, &schedule, &next, &done))
            })
            .collect();
        for w in workers {
            report.merge(&w.join().expect("a load worker panicked"));
        }
        stop.store(true, Ordering::SeqCst);
        if let Some(watcher) = watcher {
            let _ = watcher.join();
        }
    });
    report.elapsed = start.elapsed();
    report.concurrency = opts.concurrency;
    if let Pace::Open { rate } = opts.pace {
        report.rate = Some(rate);
    }
    Ok(report)
}

/// One worker: takes request numbers until the schedule says the run is over. Each latency
/// counts from the request's due time: in closed loop that is when it was drawn, in open loop
/// its place in the timetable, so a wait for this worker to come free is counted too.
fn worker(
    target: &Target,
    requests: &[Vec<u8>],
    timeout: Duration,
    schedule: &Schedule,
    next: &AtomicU64,
    done: &AtomicU64,
) -> Report {
    let mut client = Client::new(target, timeout);
    let mut report = Report::default();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let due = match schedule.slot(i, Instant::now()) {
            Slot::Done => return report,
            Slot::Send { due } => due,
            Slot::Unsent { due } => {
                report.record_unsent(due.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        if let Some(early) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(early);
        }
        let request = &requests[(i % requests.len() as u64) as usize];
        match client.send(request) {
            Ok(reply) => report.record(reply.status, due.elapsed(), request.len(), reply.bytes),
            Err(_) => {
                report.io_errors += 1;
                // Do not spin on a dead server: a failed connect returns at once.
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
}
