//! Isolation and load shedding: a client that does not read holds only its own connection,
//! waiting is bounded (503 with `Retry-After`), requests of clients that left are skipped, and
//! the open-file limit holds `max_connections`. Every loop is bounded in count and time.

use crate::support::http::*;
use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Connections that pipeline requests for large answers and never read them.
fn hogs(svc: &Service, count: usize) -> Vec<TcpStream> {
    let burst = "GET /static/style.css HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(2000);
    (0..count)
        .map(|_| {
            let mut hog = TcpStream::connect(&svc.addr).unwrap();
            hog.set_write_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            // The server stops reading once its answers back up: the rest stays unsent.
            let _ = hog.write_all(burst.as_bytes());
            hog
        })
        .collect()
}

/// How long `GET /healthz` takes on a new connection, as the worst of five. The client keeps
/// its writing half open: one that half-closes while its request waits its turn is taken for a
/// client that hung up, and rightly gets no answer.
fn worst_health(svc: &Service) -> Duration {
    (0..5)
        .map(|_| {
            let started = Instant::now();
            let answer = ask(
                &svc.addr,
                "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
            );
            let took = started.elapsed();
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            took
        })
        .max()
        .unwrap()
}

#[test]
fn clients_that_never_read_hold_no_worker() {
    // Debug mode: one worker. Before, a worker wrote answers itself and stayed stuck in a
    // write to a client that did not read, for the write timeout (then 5 s) per answer.
    // The defaults: a write timeout of 5 s (the read timeout's, before).
    let svc = service_with("hogs", "", None);
    // Each hog's write has timed out: the server stopped reading it, its answers backed up.
    let _hogs = hogs(&svc, 4);
    let worst = worst_health(&svc);
    assert!(worst < Duration::from_secs(2), "healthz took {worst:?}");
}

#[test]
fn a_full_queue_is_shed_at_once_with_retry_after() {
    let store = SlowStore::start(Duration::from_millis(1500));
    let svc = service_with(
        "shed",
        "max_queued = 1\nqueue_timeout_ms = 10000",
        Some(&store.url),
    );
    // One request runs (1.5 s in the store)...
    let addr = svc.addr.clone();
    let running = std::thread::spawn(move || {
        let answer = ask(&addr, "GET /contacts/A HTTP/1.1\r\nHost: localhost\r\n\r\n");
        (answer, Instant::now())
    });
    wait_until(
        Duration::from_secs(10),
        "the first request in the store",
        || store.fetches() == 1,
    );
    // ...and two more arrive: whichever comes second finds the one-place queue full.
    let late: Vec<_> = ["B", "C"]
        .map(|name| {
            let addr = svc.addr.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let request = format!("GET /contacts/{name} HTTP/1.1\r\nHost: localhost\r\n\r\n");
                let answer = ask(&addr, &request);
                (answer, started.elapsed(), Instant::now())
            })
        })
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    let (running, ended) = running.join().unwrap();
    assert!(running.starts_with("HTTP/1.1 404"), "{running}");
    let (shed, queued): (Vec<_>, Vec<_>) = late
        .into_iter()
        .partition(|(answer, _, _)| answer.starts_with("HTTP/1.1 503"));
    assert_eq!((shed.len(), queued.len()), (1, 1), "{shed:?} {queued:?}");
    let (answer, took, at) = &shed[0];
    assert!(
        answer.contains("Retry-After: 1\r\n") && answer.contains("server busy"),
        "{answer}"
    );
    assert!(*at < ended, "before the running one ends");
    assert!(took < &Duration::from_millis(1000), "at once: {took:?}");
    assert!(
        queued[0].0.starts_with("HTTP/1.1 404"),
        "the queued one is served"
    );
}

#[test]
fn a_request_that_waits_past_the_queue_timeout_gets_503() {
    let store = SlowStore::start(Duration::from_millis(1500));
    let svc = service_with("qtimeout", "queue_timeout_ms = 300", Some(&store.url));
    let addr = svc.addr.clone();
    let running = std::thread::spawn(move || {
        ask(&addr, "GET /contacts/A HTTP/1.1\r\nHost: localhost\r\n\r\n")
    });
    wait_until(
        Duration::from_secs(10),
        "the first request in the store",
        || store.fetches() == 1,
    );
    let answer = ask(
        &svc.addr,
        "GET /contacts/B HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1\r\n"), "{answer}");
    assert!(running.join().unwrap().starts_with("HTTP/1.1 404"));
    assert_eq!(
        store.fetches(),
        1,
        "the one that gave up never reached the store"
    );
}

#[test]
fn requests_of_clients_that_hung_up_are_skipped() {
    let store = SlowStore::start(Duration::from_millis(300));
    let svc = service_with("gone", "", Some(&store.url));
    // Twenty clients send a GET and hang up while the first is being served.
    for _ in 0..20 {
        let mut client = TcpStream::connect(&svc.addr).unwrap();
        client
            .write_all(b"GET /contacts/Gone HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
    }
    wait_until(
        Duration::from_secs(10),
        "the first request in the store",
        || store.fetches() >= 1,
    );
    let started = Instant::now();
    let answer = ask(
        &svc.addr,
        "GET /contacts/Here HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    // The store saw the first (already running) and this one, none of the abandoned ones.
    assert!(store.fetches() <= 2, "{} fetches", store.fetches());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// `phonebook` started under `ulimit` (a shell command, e.g. `ulimit -Sn 128`).
fn start_limited(ulimit: &str, server: &str) -> (std::process::Child, TempDir) {
    let dir = temp_dir(&format!("fds-{}", ulimit.len() + server.len()));
    let config = dir.join("phonebook.toml");
    std::fs::write(&config, format!("[server]\n{server}\n")).unwrap();
    let script = format!(
        "{ulimit} && exec \"$0\" --listen 127.0.0.1:0 --config \"$1\" --store \"embedded:$2\""
    );
    let child = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_phonebook")])
        .arg(&config)
        .arg(dir.join("db.redb"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, dir)
}

#[test]
fn max_connections_the_open_file_limit_cannot_hold_stops_start_up() {
    let (mut child, _dir) = start_limited("ulimit -n 256", "max_connections = 1000");
    wait_until(Duration::from_secs(10), "phonebook to exit", || {
        child.try_wait().unwrap().is_some()
    });
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("phonebook: invalid configuration: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("max_connections = 1000") && stderr.contains("256"),
        "{stderr}"
    );
}

#[test]
fn the_soft_open_file_limit_is_raised_so_the_connection_limit_answers_503() {
    // A soft limit of 128 cannot hold 300 connections; the hard one (checked) can.
    let hard = Command::new("sh")
        .args(["-c", "ulimit -Hn"])
        .output()
        .unwrap();
    let hard: u64 = String::from_utf8_lossy(&hard.stdout)
        .trim()
        .parse()
        .unwrap_or(u64::MAX);
    assert!(
        hard >= 1024,
        "this test needs a hard open-file limit of 1024, not {hard}"
    );
    let (mut child, _dir) = start_limited("ulimit -Sn 128", "max_connections = 300");
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let addr = line.trim().rsplit('/').next().unwrap().to_string();
    // Bounded: a server that stopped accepting leaves connections in the backlog, then none.
    let to = addr.parse().unwrap();
    // In batches, so that a loaded machine's accept loop keeps up with the backlog.
    let idle: Vec<TcpStream> = (0..300)
        .map_while(|i| {
            if i % 50 == 49 {
                // Pacing, not a wait on the service: nothing is asserted about this pause.
                std::thread::sleep(Duration::from_millis(100));
            }
            TcpStream::connect_timeout(&to, Duration::from_secs(3)).ok()
        })
        .collect();
    // Connections are accepted in order and counted as they are: the next one is over the limit.
    let answer = match TcpStream::connect_timeout(&to, Duration::from_secs(1)) {
        Ok(_) => raw(&addr, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        Err(e) => e.to_string(),
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(idle.len(), 300, "connections accepted");
    drop(idle);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("too many connections"), "{answer}");
    let mut sink = String::new();
    let _ = stdout.read_to_string(&mut sink);
}
