//! One deadline per Riak request: a node that trickles its answer a byte at a time cannot hold
//! a request past the store timeout (PBC and HTTP), and a write that timed out is not sent again
//! on that node with its old vclock: it is made again on another node, after a fresh read.

use crate::support::riak::*;
use phonebook::store::riak::wire::read_frame;
use phonebook::store::riak::{Settings, WriteMode};
use phonebook::store::Store;
use riak_standin::{Standin, StandinOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The tests' settings with a 500 ms deadline.
fn deadline(write: WriteMode) -> Settings {
    Settings {
        timeout: Duration::from_millis(500),
        ..settings(write, false)
    }
}

/// A node that answers its first request with `answer`, one byte every 50 ms.
fn trickler(answer: Vec<u8>, http: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        if http {
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
        } else {
            read_frame(&mut conn).unwrap();
        }
        for byte in answer {
            if conn.write_all(&[byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    addr
}

#[test]
fn a_trickled_answer_ends_at_the_deadline() {
    let json = r#"{"name":"Slow Sam","number":"+358401234567"}"#;
    let mut pbc_answer = vec![
        0,
        0,
        0,
        (json.len() + 5) as u8,
        10,
        10,
        (json.len() + 2) as u8,
    ];
    pbc_answer.extend_from_slice(&[10, json.len() as u8]);
    pbc_answer.extend_from_slice(json.as_bytes());
    let http_answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    );
    for (api, answer) in [("pbc", pbc_answer), ("http", http_answer.into_bytes())] {
        let addr = trickler(answer, api == "http");
        let store = store_at(api, &[addr], &deadline(WriteMode::Blind));
        let start = Instant::now();
        let result = store.get("Slow Sam");
        let took = start.elapsed();
        assert!(result.is_err(), "{api}: the answer came too slowly");
        // The deadline is 500 ms; the whole answer would take over 2 s.
        assert!(took < Duration::from_millis(1500), "{api}: {took:?}");
    }
}

/// A PBC node that answers a get with "not found" and never answers a put; it records every
/// request frame's message code.
fn silent_on_put() -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let codes = Arc::new(Mutex::new(Vec::new()));
    let seen = codes.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(4) {
            let (mut conn, seen) = (conn.unwrap(), seen.clone());
            std::thread::spawn(move || serve_silently(&mut conn, &seen));
        }
    });
    (addr, codes)
}

fn serve_silently(conn: &mut TcpStream, seen: &Mutex<Vec<u8>>) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    while let Ok((code, _)) = read_frame(conn) {
        seen.lock().unwrap().push(code);
        if code == 9 && conn.write_all(&[0, 0, 0, 1, 10]).is_err() {
            return;
        }
    }
}

#[test]
fn a_write_that_timed_out_is_made_again_elsewhere_after_a_fresh_read() {
    let (silent, codes) = silent_on_put();
    let standin = Standin::start(StandinOptions::default()).unwrap();
    let addrs = [silent, standin.pbc_addr.to_string()];
    let store = store_at("pbc", &addrs, &deadline(WriteMode::ReadFirst));
    let before = standin.served();
    store.put(&person(7)).unwrap();
    assert_eq!(
        standin.served() - before,
        2,
        "a vclock read, then the write"
    );
    // Time enough for a re-sent request to arrive, were there one.
    std::thread::sleep(Duration::from_millis(700));
    let codes = codes.lock().unwrap().clone();
    assert_eq!(
        codes[..2],
        [9, 11],
        "a vclock read, then the write that timed out"
    );
    let puts = codes.iter().filter(|c| **c == 11).count();
    assert_eq!(
        puts, 1,
        "the put was sent once (later gets are the prober's): {codes:?}"
    );
    let stored = riak_http(
        &standin,
        "GET",
        "/buckets/phonebook/keys/Person%20007",
        &[],
        "",
    );
    assert_eq!(
        stored.2,
        person(7).to_json(),
        "the write landed on the other node"
    );
}
