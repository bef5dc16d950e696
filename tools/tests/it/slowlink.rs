//! `slowlink` between a client and an echo server on loopback: it adds the configured delay to
//! each direction (measured, with a generous upper tolerance), keeps bytes in order under jitter,
//! passes end-of-stream on, and paces to a rate.

use crate::support::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An echo server on a free loopback port: each connection gets its bytes back until EOF.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(8) {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = conn.read(&mut buf) {
                    if n == 0 || conn.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// A slowlink in front of `upstream`; killed on drop.
struct Link(Child, String);

impl Link {
    fn start(upstream: &str, extra: &[&str]) -> Link {
        let mut child = Command::new(tools())
            .args([
                "slowlink",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                upstream,
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let addr = announced(&mut child, "slowlink listening on ");
        Link(child, addr)
    }

    fn connect(&self) -> TcpStream {
        let conn = TcpStream::connect(&self.1).unwrap();
        conn.set_nodelay(true).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        conn
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The round trip of one byte.
fn round_trip(conn: &mut TcpStream) -> Duration {
    let start = Instant::now();
    conn.write_all(b"x").unwrap();
    let mut byte = [0u8; 1];
    conn.read_exact(&mut byte).unwrap();
    start.elapsed()
}

#[test]
fn a_round_trip_gains_twice_the_delay() {
    let echo = echo_server();
    let link = Link::start(&echo, &["--delay", "40"]);
    let mut conn = link.connect();
    let mut times: Vec<Duration> = (0..5).map(|_| round_trip(&mut conn)).collect();
    times.sort();
    // 40 ms each way; the lower bound is strict, the upper one allows for a loaded machine.
    assert!(times[0] >= Duration::from_millis(80), "{times:?}");
    assert!(times[2] < Duration::from_millis(80 + 150), "{times:?}");
}

#[test]
fn jittered_bytes_keep_their_order_and_end_of_stream_passes() {
    let echo = echo_server();
    let link = Link::start(&echo, &["--delay", "5", "--jitter", "5"]);
    let mut conn = link.connect();
    let sent: Vec<u8> = (0..300u32).flat_map(|i| i.to_be_bytes()).collect();
    for chunk in sent.chunks(12) {
        conn.write_all(chunk).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    conn.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    conn.read_to_end(&mut got).unwrap();
    assert_eq!(got, sent);
}

#[test]
fn a_rate_paces_the_bytes() {
    let echo = echo_server();
    // 800 kbit/s is 100 kB/s each way: 40 kB takes at least 0.4 s to cross once.
    let link = Link::start(&echo, &["--delay", "0", "--rate", "800"]);
    let mut conn = link.connect();
    let data = vec![7u8; 40_000];
    let start = Instant::now();
    let writer = {
        let mut conn = conn.try_clone().unwrap();
        let data = data.clone();
        std::thread::spawn(move || conn.write_all(&data).unwrap())
    };
    let mut got = vec![0u8; data.len()];
    conn.read_exact(&mut got).unwrap();
    writer.join().unwrap();
    assert_eq!(got, data);
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
}
