//! Helpers of the HTTP front's tests: a service started from configuration text, raw answers
//! read one at a time off a kept-alive socket, and a slow store (a minimal Riak HTTP node that
//! takes a set time to answer each fetch, and counts them).

use crate::support::{temp_dir, Service};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The service with this `[server]` section (and `--store` when given).
pub fn service_with(tag: &str, server: &str, store: Option<&str>) -> Service {
    let dir = temp_dir(tag);
    let config = dir.join("phonebook.toml");
    // A given store is a slow one standing in for Riak, and these tests are about the front:
    // its answers (up to 1.5 s) come within the store's deadline, and a request makes one
    // store read (a "not found" is not checked by a second try).
    let deadline = match store {
        Some(_) => "[store]\ntimeout_ms = 5000\nsecond_try = false\n",
        None => "",
    };
    std::fs::write(&config, format!("[server]\n{server}\n{deadline}")).unwrap();
    let default_store = format!("embedded:{}", dir.join("db.redb").display());
    let store = store.map_or(default_store, str::to_string);
    Service::start(&["--config", config.to_str().unwrap(), "--store", &store]).owning(dir)
}

/// A connection to the service with a 10 s read timeout (a bound against a hang).
pub fn connect(svc: &Service) -> TcpStream {
    let stream = TcpStream::connect(&svc.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// One answer read off `stream`: its head (status line and headers) and body, framed by its
/// `Content-Length`. `None` if the connection ended (or failed) first.
pub fn read_answer(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let length = header_of(&head, "content-length").map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some((head, String::from_utf8_lossy(&body).into_owned()))
}

/// Sends `request` on `stream` and reads the one answer.
pub fn exchange(stream: &mut TcpStream, request: &str) -> Option<(String, String)> {
    stream.write_all(request.as_bytes()).ok()?;
    read_answer(stream)
}

/// Sends `request` on a new connection without half-closing it (a client that half-closes
/// while its request waits for a worker is taken for one that hung up) and returns the answer,
/// head and body, or "" if none came.
pub fn ask(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    exchange(&mut stream, request).map_or(String::new(), |(head, body)| head + &body)
}

/// The status code of an answer head.
pub fn status_of(head: &str) -> u16 {
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Every value of a header in an answer head (name case-insensitive), in order.
pub fn headers_of<'a>(head: &'a str, name: &str) -> Vec<&'a str> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

/// The first value of a header in an answer head.
pub fn header_of<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    headers_of(head, name).into_iter().next()
}

/// A Riak node over HTTP that answers `/ping` and the bucket's properties (`allow_mult` false,
/// as on the default bucket type) at once, and every other request with Riak's own 404 (no
/// such contact: text/plain `not found`) after `delay`, one connection per thread; it lives as
/// long as the test.
pub struct SlowStore {
    pub url: String,
    fetches: Arc<AtomicUsize>,
}

impl SlowStore {
    pub fn start(delay: Duration) -> SlowStore {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || serve_slowly(stream, delay, &counter));
            }
        });
        SlowStore { url, fetches }
    }

    /// Fetches (requests other than `/ping`) received so far.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn serve_slowly(mut stream: TcpStream, delay: Duration, fetches: &AtomicUsize) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&pending[..end]).into_owned();
        let target = head.split(' ').nth(1).unwrap_or("").to_string();
        pending.drain(..end + 4);
        let answer: &[u8] = if target == "/ping" {
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
        } else if target.ends_with("/props") {
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{\"props\":{\"allow_mult\":false}}"
        } else {
            fetches.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nnot found\n"
        };
        if stream.write_all(answer).is_err() {
            return;
        }
    }
}
