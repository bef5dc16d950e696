//! `slowlink`: a userspace TCP proxy that delays the one path it sits on.
//!
//! Placed between the service and Riak (or memcached), it adds latency to that link only,
//! where `tc netem` would need root and a kernel that has it. Each direction of each connection
//! has a reader thread, which timestamps every chunk with its release time (arrival + delay ±
//! jitter, never earlier than the previous chunk's, so bytes keep their order), and a writer
//! thread, which sleeps until then and, with `--rate`, paces the bytes to that bandwidth. A
//! closed direction is passed on (half-close) after the same delay.

use crate::args;
use crate::data::rng::Rng;
use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const HELP: &str = "\
phonebook-tools slowlink: a TCP proxy that delays the link it sits on

USAGE:
    phonebook-tools slowlink --listen ADDR --upstream ADDR --delay MS [OPTIONS]

OPTIONS:
    --listen ADDR       address to accept on; port 0 picks one
    --upstream ADDR     where to forward each connection (host:port)
    --delay MS          one-way delay added to each direction, in milliseconds
    --jitter MS         the delay varies by up to ± this, uniformly [default: 0]
    --rate KBPS         bandwidth of each direction in kilobits per second [default: unlimited]

Prints `slowlink listening on ADDR -> UPSTREAM` and runs until killed. A round trip through
it takes at least twice the delay.
";

/// Largest piece written at once when pacing to a rate (about one Ethernet frame's payload).
const PACE_BYTES: usize = 1460;

/// How a direction of the link is slowed.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub delay: Duration,
    pub jitter: Duration,
    /// Bandwidth in bits per second, if limited.
    pub rate_bps: Option<u64>,
}

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut listen, mut upstream, mut delay_ms) = (None, None, None::<f64>);
    let (mut jitter_ms, mut rate_kbit) = (0f64, None::<u64>);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("listen") => listen = Some(args::text(&mut parser)?),
            Long("upstream") => upstream = Some(args::text(&mut parser)?),
            Long("delay") => delay_ms = Some(args::number(&mut parser, "delay")?),
            Long("jitter") => jitter_ms = args::number(&mut parser, "jitter")?,
            Long("rate") => rate_kbit = Some(args::number(&mut parser, "rate")?),
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let listen = args::required(listen, "listen")?;
    let upstream = args::required(upstream, "upstream")?;
    let shape = shape(args::required(delay_ms, "delay")?, jitter_ms, rate_kbit)?;
    let listener = TcpListener::bind(&listen)
        .map_err(|e| Error::new(format!("cannot listen on {listen}: {e}")))?;
    let upstream_addr = resolve(&upstream)?;
    println!(
        "slowlink listening on {} -> {upstream}",
        listener.local_addr()?
    );
    serve(listener, upstream_addr, shape);
    Ok(())
}

/// Checks the options and builds the shape.
pub fn shape(delay_ms: f64, jitter_ms: f64, rate_kbit: Option<u64>) -> Result<Shape> {
    let ok = |ms: f64| ms.is_finite() && (0.0..=60_000.0).contains(&ms);
    if !ok(delay_ms) || !ok(jitter_ms) || rate_kbit == Some(0) {
        return Err(Error::new(
            "--delay and --jitter must be 0 to 60000 ms, --rate above 0",
        ));
    }
    Ok(Shape {
        delay: Duration::from_secs_f64(delay_ms / 1000.0),
        jitter: Duration::from_secs_f64(jitter_ms / 1000.0),
        rate_bps: rate_kbit.map(|k| k * 1000),
    })
}

fn resolve(addr: &str) -> Result<SocketAddr> {
    addr.to_socket_addrs()
        .map_err(|e| Error::new(format!("upstream {addr}: {e}")))?
        .next()
        .ok_or_else(|| Error::new(format!("upstream {addr}: no address")))
}

/// Accepts connections forever, proxying each on its own threads.
pub fn serve(listener: TcpListener, upstream: SocketAddr, shape: Shape) {
    for (n, client) in listener.incoming().enumerate() {
        let Ok(client) = client else { continue };
        thread::spawn(move || {
            if let Err(e) = proxy(client, upstream, shape, n as u64) {
                eprintln!("slowlink: connection {n}: {e}");
            }
        });
    }
}

/// Connects upstream and runs both directions until both are closed.
fn proxy(client: TcpStream, upstream: SocketAddr, shape: Shape, n: u64) -> std::io::Result<()> {
    let server = TcpStream::connect_timeout(&upstream, Duration::from_secs(5))?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (c2, s2) = (client.try_clone()?, server.try_clone()?);
    let up = thread::spawn(move || direction(c2, s2, shape, Rng::stream(n, 1)));
    direction(server, client, shape, Rng::stream(n, 2));
    let _ = up.join();
    Ok(())
}

/// Copies `from` to `to` with the shape's delay: this thread reads, a writer thread releases.
fn direction(mut from: TcpStream, to: TcpStream, shape: Shape, mut rng: Rng) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let from_handle = from.try_clone();
    let writer = thread::spawn(move || {
        if write_delayed(&rx, &to, shape).is_err() {
            // The receiver is gone: stop reading from the sender too.
            if let Ok(from) = from_handle {
                let _ = from.shutdown(Shutdown::Both);
            }
            let _ = to.shutdown(Shutdown::Both);
        }
    });
    let mut last = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        last = last.max(Instant::now() + one_delay(&shape, &mut rng));
        if tx.send((last, buf[..n].to_vec())).is_err() {
            break;
        }
    }
    // End of stream travels with the same delay as data.
    let _ = tx.send((last.max(Instant::now() + shape.delay), Vec::new()));
    drop(tx);
    let _ = writer.join();
}

/// The delay of one chunk: `delay` plus a uniform jitter in ±`jitter`, at least zero.
fn one_delay(shape: &Shape, rng: &mut Rng) -> Duration {
    if shape.jitter.is_zero() {
        return shape.delay;
    }
    let offset = (rng.unit() * 2.0 - 1.0) * shape.jitter.as_secs_f64();
    Duration::from_secs_f64((shape.delay.as_secs_f64() + offset).max(0.0))
}

/// Writes each chunk at its release time (paced to the rate); an empty chunk ends the stream.
fn write_delayed(
    rx: &mpsc::Receiver<(Instant, Vec<u8>)>,
    mut to: &TcpStream,
    shape: Shape,
) -> std::io::Result<()> {
    let mut free_at = Instant::now();
    for (release, data) in rx {
        sleep_until(release);
        if data.is_empty() {
            return to.shutdown(Shutdown::Write);
        }
        let Some(bps) = shape.rate_bps else {
            to.write_all(&data)?;
            continue;
        };
        for piece in data.chunks(PACE_BYTES) {
            // A piece arrives once its last bit has crossed the link at the rate.
            free_at = free_at.max(release)
                + Duration::from_secs_f64(piece.len() as f64 * 8.0 / bps as f64);
            sleep_until(free_at);
            to.write_all(piece)?;
        }
    }
    Ok(())
}

fn sleep_until(when: Instant) {
    let now = Instant::now();
    if when > now {
        thread::sleep(when - now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jittered_delays_stay_in_range_and_options_are_checked() {
        let s = shape(20.0, 5.0, None).unwrap();
        let mut rng = Rng::new(1);
        let delays: Vec<f64> = (0..1000)
            .map(|_| one_delay(&s, &mut rng).as_secs_f64())
            .collect();
        assert!(delays.iter().all(|d| (0.015..=0.025).contains(d)));
        assert!(delays.iter().any(|d| *d < 0.017) && delays.iter().any(|d| *d > 0.023));
        let clamped = shape(1.0, 5.0, None).unwrap();
        assert!((0..100).all(|_| one_delay(&clamped, &mut rng) <= Duration::from_millis(6)));
        assert_eq!(shape(0.0, 0.0, Some(8)).unwrap().rate_bps, Some(8000));
        assert!(shape(-1.0, 0.0, None).is_err());
        assert!(shape(1.0, 0.0, Some(0)).is_err());
    }
}
