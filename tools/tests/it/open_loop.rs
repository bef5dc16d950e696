//! `loadtest --rate`: open loop shows a stall in its latencies, closed loop hides it.
//!
//! A tiny server answers every request at once, except that it stalls for one second, once,
//! while holding the lock every request needs (as a pause of the whole service would). In open
//! loop the requests due during that second wait for it, and their latency counts from when
//! they were due, so the p99 shows the second; a closed loop simply stops sending while it
//! waits, and most of the second disappears from its percentiles.

use crate::support::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A server on a free loopback port that stalls for `STALL` at its `stall_at`-th request.
struct StallingServer {
    addr: String,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

const STALL: Duration = Duration::from_secs(1);

impl StallingServer {
    fn start(stall_at: u64) -> StallingServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new((Mutex::new(()), AtomicU64::new(0)));
        let flag = stop.clone();
        let acceptor = std::thread::spawn(move || {
            let mut conns = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (shared, flag) = (shared.clone(), flag.clone());
                        conns.push(std::thread::spawn(move || {
                            serve(stream, &shared, &flag, stall_at)
                        }));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            conns.into_iter().for_each(|c| c.join().unwrap());
        });
        StallingServer {
            addr,
            stop,
            acceptor: Some(acceptor),
        }
    }
}

impl Drop for StallingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Answers the GETs of one keep-alive connection until it closes or the server stops.
fn serve(mut stream: TcpStream, shared: &(Mutex<()>, AtomicU64), stop: &AtomicBool, stall_at: u64) {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 4096]);
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => continue,
        }
        // Bodiless requests: each ends with an empty line.
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.drain(..end + 4);
            let _whole_service = shared.0.lock().unwrap();
            if shared.1.fetch_add(1, Ordering::SeqCst) + 1 == stall_at {
                std::thread::sleep(STALL);
            }
            let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
            if stream.write_all(reply).is_err() {
                return;
            }
        }
    }
}

/// Runs `loadtest` for 3 s at 8 connections against a fresh stalling server; returns its JSON.
fn loadtest(dir: &std::path::Path, tag: &str, extra: &[&str]) -> serde_json::Value {
    let server = StallingServer::start(200);
    let (url, out) = (
        format!("http://{}", server.addr),
        dir.join(format!("{tag}.json")),
    );
    let workload = dir.join("workload.csv");
    let mut args = vec!["loadtest", "--quiet", "--target", &url, "--duration", "3s"];
    args.extend([
        "--concurrency",
        "8",
        "--workload",
        workload.to_str().unwrap(),
    ]);
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(extra);
    run_tools(&args);
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

#[test]
fn open_loop_shows_a_one_second_stall_in_its_p99() {
    let dir = temp_dir("open-loop");
    std::fs::write(
        dir.join("workload.csv"),
        "op,name,number\nget,Ada Lovelace,\n",
    )
    .unwrap();
    // 200 requests a second for 3 s: the stall comes at the 200th, about a second in.
    let open = loadtest(&dir, "open", &["--rate", "200"]);
    let closed = loadtest(&dir, "closed", &[]);
    let p99 = |r: &serde_json::Value| r["latency_ms"]["p99"].as_f64().unwrap();
    eprintln!(
        "a 1 s stall: open loop at 200 req/s p99 {:.1} ms over {} requests; closed loop p99 \
         {:.1} ms over {} requests",
        p99(&open),
        open["requests"],
        p99(&closed),
        closed["requests"]
    );
    assert_eq!(open["loop"], "open");
    assert_eq!(
        open["requests"], 600,
        "every request of the timetable: {open}"
    );
    assert_eq!(open["ok"], 600, "{open}");
    assert!(
        p99(&open) >= 900.0,
        "the stall must show in the p99: {open}"
    );
    assert_eq!(closed["loop"], "closed");
    assert!(
        closed["latency_ms"]["max"].as_f64().unwrap() >= 900.0,
        "{closed}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn open_loop_counts_requests_it_could_not_start_as_unsent_and_late() {
    let dir = temp_dir("open-loop-unsent");
    let workload = dir.join("workload.csv");
    std::fs::write(&workload, "op,name,number\nget,Ada Lovelace,\n").unwrap();
    // The kernel completes connections to a listener nobody accepts from; nothing answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let out = dir.join("out.json");
    let started = std::time::Instant::now();
    run_tools(&[
        "loadtest",
        "--quiet",
        "--target",
        &url,
        "--workload",
        workload.to_str().unwrap(),
        "--rate",
        "50",
        "--duration",
        "1s",
        "--timeout",
        "1s",
        "--concurrency",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    eprintln!("a silent server: {report}");
    // Two connections, each stuck for the 1 s timeout, a few times before the hard stop
    // (the run's second plus one timeout); every other due request is unsent.
    assert_eq!(report["requests"], 50, "{report}");
    assert_eq!(report["ok"], 0, "{report}");
    let count = |key: &str| report["errors"][key].as_u64().unwrap_or(0);
    assert_eq!(count("io") + count("unsent"), 50, "{report}");
    assert!(count("unsent") >= 40, "{report}");
    // Unsent requests waited from their due time to the hard stop: over a second.
    assert!(
        report["latency_ms"]["p50"].as_f64().unwrap() >= 1000.0,
        "{report}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the run is bounded"
    );
    drop(silent);
    std::fs::remove_dir_all(dir).unwrap();
}
