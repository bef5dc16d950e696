//! How the service reaches memcached: a Unix socket URL it cannot use stops start-up, and one
//! deadline bounds each operation (a fake server on loopback trickles its answer a byte at a
//! time). The cache's behaviour over a Unix socket is `aside.rs`'s script.

use crate::support::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

fn phonebook(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_phonebook"))
        .args(args)
        .output()
        .unwrap()
}

fn number_of(svc: &Service, name: &str) -> String {
    let reply = get(&svc.url(&format!("/contacts/{name}")));
    assert_eq!(reply.status, 200, "{name:?}: {}", reply.body);
    reply.json()["number"].as_str().unwrap().to_string()
}

/// The service on a fresh embedded store with `--cache url`.
fn service(tag: &str, cache: &str, extra: &[&str]) -> Service {
    let dir = temp_dir(tag);
    let store = embedded_arg(&dir);
    let mut args = vec!["--store", store.as_str(), "--cache", cache];
    args.extend_from_slice(extra);
    Service::start(&args).owning(dir)
}

#[test]
fn a_bad_unix_cache_url_stops_start_up_with_a_clear_message() {
    for url in ["memcache+unix://run/memcached.sock", "memcache+unix://"] {
        let out = phonebook(&["--cache", url, "--listen", "127.0.0.1:0"]);
        assert_eq!(out.status.code(), Some(2), "{url}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("needs the absolute path of memcached's socket"),
            "{stderr}"
        );
    }
}

/// The reply the fake server trickles: a well-formed `get` answer of 227 bytes, which lasts
/// 23 s at a byte per 100 ms.
fn trickled() -> String {
    format!("VALUE pb:Tr 0 200\r\n{}\r\nEND\r\n", "x".repeat(200))
}

#[test]
fn a_server_trickling_its_answer_cannot_hold_a_get_past_the_cache_timeout() {
    let addr = trickling_server(Duration::from_millis(100));
    // The default cache timeout: 150 ms. A timeout per read() would let the trickle hold each
    // operation 23 s (the client below gives up after 10 s).
    let svc = service("mc-trickle", &format!("memcache://{addr}"), &[]);
    assert_eq!(post_form(&svc.url("/contacts"), "Tr", "0403").status, 200);
    // The write's `set` timed out; the server is skipped for a second, then tried again. Time
    // is what is tested: the sleep outlasts the skip, whatever the load.
    thread::sleep(Duration::from_millis(2_000));
    let errors = metric(&svc, "phonebook_cache_errors_total");
    assert_eq!(errors, 1, "the write's set");
    let start = Instant::now();
    assert_eq!(number_of(&svc, "Tr"), "0403", "answered from the store");
    let took = start.elapsed();
    println!("a GET against a trickling memcached took {took:?} (cache timeout 150 ms)");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(metric(&svc, "phonebook_cache_errors_total"), errors + 1);
}

/// A fake memcached on loopback that answers every command with [`trickled`], one byte per
/// `every`, one connection per thread; it lives as long as the test and stops a connection
/// when the client closes it.
fn trickling_server(every: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            thread::spawn(move || trickle(conn, every));
        }
    });
    addr
}

fn trickle(conn: std::net::TcpStream, every: Duration) {
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    let mut command = String::new();
    while reader.read_line(&mut command).is_ok_and(|n| n > 0) {
        for byte in trickled().as_bytes() {
            thread::sleep(every);
            if writer.write_all(&[*byte]).is_err() {
                return;
            }
        }
        command.clear();
    }
}
