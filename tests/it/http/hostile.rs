//! Hostile input: a generated corpus of 10,000 malformed, oversized or otherwise invalid requests
//! sent at the running server. None may get a 5xx (but a 501 for an unknown method), the server
//! must keep serving, and nothing may be stored. Slow and half-closed clients are covered too.

use crate::support::*;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A tiny deterministic generator (SplitMix64), so a failing request can be reproduced.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const BAD_NUMBERS: &[&str] = &[
    "",
    "12",
    "abc",
    "+",
    "++123",
    "12a45",
    "1234567890123456789012345678901234567890",
    "+358 40 805 3254 x",
    "١٢٣٤٥",
    "0x1234",
    "12;34",
    "%00",
    "1e10",
];
const HOSTILE_NAMES: &[&str] = &[
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "..",
    "a/b",
    "tab\tname",
    "nul\0name",
    "new\nline",
    "<img src=x onerror=alert(1)>",
    "' OR 1=1 --",
    "",
    "   ",
    ".",
    "Eve\u{202E}",
    "\u{200B}\u{200D}",
    "\u{3164}",
    "Eve\u{FFFF}\u{E000}",
    "e\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}",
];

fn form_body(rng: &mut Rng) -> String {
    let name = rng.pick(HOSTILE_NAMES);
    let number = rng.pick(BAD_NUMBERS);
    let encode = phonebook::url::encode_segment;
    // Markup names are valid names, so they always come with an invalid number.
    match rng.below(6) {
        0 => format!("name={}&number={}", encode(name), encode(number)),
        1 => format!("name={}", encode(name)),
        2 => format!("number={}&number=12345&name=x", encode(number)),
        3 => format!("name=%FF%FE&number={}", encode(number)),
        4 => format!("name=ok&number={}%", encode(number)),
        _ => String::from_utf8_lossy(&rng.bytes(40)).replace('&', "") + "&number=1a",
    }
}

fn json_body(rng: &mut Rng) -> Vec<u8> {
    let number = rng.pick(BAD_NUMBERS);
    let full = serde_json::json!({ "name": rng.pick(HOSTILE_NAMES), "number": number }).to_string();
    match rng.below(5) {
        0 => full.into_bytes(),
        1 => full.as_bytes()[..rng.below(full.len())].to_vec(),
        2 => br#"{"name": "x\ud800", "number": 12345}"#.to_vec(),
        3 => [
            b"{\"name\":\"".to_vec(),
            vec![0xff, 0xfe],
            b"\",\"number\":\"12345\"}".to_vec(),
        ]
        .concat(),
        _ => rng.bytes(30),
    }
}

fn post(path: &str, content_type: &str, body: &[u8], declared: usize) -> Vec<u8> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {declared}\r\n\r\n"
    );
    [head.as_bytes(), body].concat()
}

/// One hostile request, by kind.
fn hostile(rng: &mut Rng) -> Vec<u8> {
    let path = rng.pick(&["/contacts", "/add/handle/", "/contacts/", "/add/handle"]);
    match rng.below(14) {
        0 | 1 => {
            let body = form_body(rng);
            post(
                path,
                "application/x-www-form-urlencoded",
                body.as_bytes(),
                body.len(),
            )
        }
        2 | 3 => {
            let body = json_body(rng);
            post(path, "application/json", &body, body.len())
        }
        4 => {
            let body = form_body(rng);
            let cut = rng.below(body.len().max(1));
            post(
                path,
                "application/x-www-form-urlencoded",
                &body.as_bytes()[..cut],
                body.len(),
            )
        }
        5 => post(
            path,
            "application/json",
            b"{}",
            16 * 1024 + 1 + rng.below(1 << 30),
        ),
        6 => {
            let header = format!("X-Big: {}\r\n", "a".repeat(9000 + rng.below(5000)));
            format!("GET /contacts/x HTTP/1.1\r\nHost: localhost\r\n{header}\r\n").into_bytes()
        }
        7 => {
            let many: String = (0..70).map(|i| format!("X-H{i}: v\r\n")).collect();
            format!("GET / HTTP/1.1\r\nHost: localhost\r\n{many}\r\n").into_bytes()
        }
        8 => {
            let method = rng.pick(&[
                "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "BREW",
            ]);
            let path = rng.pick(&[
                "/",
                "/contacts",
                "/contacts/x",
                "/healthz",
                "/add/handle/",
                "/contacts/x/delete",
                "/contacts/%2E%2E",
                "/contacts/%E2%80%AE/delete",
            ]);
            format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
                .into_bytes()
        }
        9 => {
            let ct = rng.pick(&[
                "text/plain",
                "multipart/form-data; boundary=x",
                "application/xml",
                "",
            ]);
            post(path, ct, b"name=a&number=12345", 19)
        }
        10 => {
            let target = rng.pick(&[
                "/contacts/%FF%FE",
                "/contacts/a%2Fb",
                "/contacts/%00",
                "/static/../Cargo.toml",
                "/contacts/../../etc/passwd",
                "/%2e%2e/%2e%2e/etc/passwd",
                "/contacts/x%0Ay",
                "/static/..%2F..%2Fsrc%2Fmain.rs",
                "/contacts?limit=0",
                "/contacts?limit=abc",
                "/contacts?prefix=%FF",
            ]);
            format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
        }
        11 => {
            let garbage = rng.pick(&[
                "GET\r\n\r\n",
                "GET / HTTP/9.9\r\n\r\n",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                "GET / HTTP/1.1\r\nHost t\r\n\r\n",
                "\r\n\r\n",
                "GET /\0 HTTP/1.1\r\n\r\n",
                "POST /contacts HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                "POST /contacts HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                "POST /contacts HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            ]);
            garbage.as_bytes().to_vec()
        }
        12 => [
            b"GET /".to_vec(),
            rng.bytes(20),
            b" HTTP/1.1\r\n\r\n".to_vec(),
        ]
        .concat(),
        _ => {
            let n = 1 + rng.below(300);
            rng.bytes(n)
        }
    }
}

/// Sends the request, half-closes, and returns the status code of the answer (0: none).
fn send(addr: &str, bytes: &[u8]) -> u16 {
    let answer = raw(addr, bytes);
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The two answers outside 4xx, each allowed for one kind of input only: 501 for a method HTTP
/// does not define (RFC 9110 §15.6.2), and no answer at all for blank lines alone, which a
/// server ignores before a request (RFC 9112 §2.2).
fn check_exception(request: &[u8], status: u16) {
    let text = String::from_utf8_lossy(request);
    let blank = request.iter().all(|b| b"\r\n".contains(b));
    assert_eq!(status == 0, blank, "answered iff not blank: {text:?}");
    assert_eq!(status == 501, text.starts_with("BREW "), "{text:?}");
}

fn test_config(dir: &std::path::Path) -> String {
    let path = dir.join("phonebook.toml");
    std::fs::write(
        &path,
        "[server]\nread_timeout_ms = 1000\nmax_connections = 64\n",
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn ten_thousand_hostile_requests_get_no_5xx_and_store_nothing() {
    let dir = temp_dir("hostile");
    let config = test_config(&dir);
    let svc = Service::start(&[
        "--config",
        &config,
        "--store",
        &embedded_arg(&dir),
        "--mode",
        "production",
        "--threads",
        "4",
    ]);
    let started = Instant::now();
    let statuses: BTreeMap<u16, usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4u64)
            .map(|t| {
                let addr = svc.addr.clone();
                s.spawn(move || {
                    let mut rng = Rng(t);
                    let mut seen = BTreeMap::new();
                    for _ in 0..2_500 {
                        let request = hostile(&mut rng);
                        let status = send(&addr, &request);
                        check_exception(&request, status);
                        *seen.entry(status).or_insert(0) += 1;
                    }
                    seen
                })
            })
            .collect();
        let mut all = BTreeMap::new();
        for h in handles {
            for (status, n) in h.join().unwrap() {
                *all.entry(status).or_insert(0) += n;
            }
        }
        all
    });
    let total: usize = statuses.values().sum();
    // 501 is the one 5xx allowed, for a method HTTP does not define (checked per request).
    let server_errors: usize = statuses
        .iter()
        .filter(|(s, _)| **s >= 500 && **s != 501)
        .map(|(_, n)| n)
        .sum();
    println!(
        "hostile corpus: {total} requests in {:.1} s, {server_errors} with 5xx, by status: {statuses:?}",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(total, 10_000);
    assert_eq!(server_errors, 0, "{statuses:?}");
    assert!(
        statuses
            .keys()
            .all(|s| (400..500).contains(s) || [0, 501].contains(s)),
        "every request rejected: {statuses:?}"
    );
    assert_eq!(get(&svc.url("/healthz")).status, 200, "still serving");
    let stored = get(&svc.url("/contacts?limit=500")).json();
    assert_eq!(stored["contacts"], serde_json::json!([]), "nothing stored");
}

#[test]
fn slow_and_half_closed_clients_cannot_hold_the_server() {
    let dir = temp_dir("slow");
    let config = test_config(&dir);
    let svc = Service::start(&["--config", &config, "--store", &embedded_arg(&dir)]);
    // Slowloris: more slow clients than the debug mode's single worker, each trickling a header.
    let trickling = Arc::new(AtomicUsize::new(0));
    let slow: Vec<_> = (0..8)
        .map(|_| {
            let (addr, trickling) = (svc.addr.clone(), trickling.clone());
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let started = Instant::now();
                for (i, b) in b"GET /contacts/x HTTP/1.1\r\nX-Slow: "
                    .iter()
                    .cycle()
                    .take(40)
                    .enumerate()
                {
                    if s.write_all(&[*b]).is_err() {
                        break;
                    }
                    if i == 0 {
                        trickling.fetch_add(1, Ordering::SeqCst);
                    }
                    // The client's pace, which is what this test is about.
                    std::thread::sleep(Duration::from_millis(100));
                }
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                (started.elapsed(), answer)
            })
        })
        .collect();
    wait_until(Duration::from_secs(10), "8 slow clients trickling", || {
        trickling.load(Ordering::SeqCst) == 8
    });
    let quick = Instant::now();
    assert_eq!(
        post_form(&svc.url("/contacts"), "Fast", "12345").status,
        200
    );
    assert!(
        quick.elapsed() < Duration::from_secs(1),
        "served beside the slow clients"
    );
    for handle in slow {
        let (took, answer) = handle.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
        assert!(
            took < Duration::from_secs(3),
            "cut off at the 1 s read timeout, took {took:?}"
        );
    }
    // A client that sends a complete request and half-closes still gets its answer.
    let answer = raw(
        &svc.addr,
        b"GET /contacts/Fast HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("\"12345\"}"),
        "{answer}"
    );
}

#[test]
fn connections_over_the_limit_are_refused_and_the_rest_served() {
    let dir = temp_dir("maxconn");
    let config = test_config(&dir); // max_connections = 64
    let svc = Service::start(&["--config", &config, "--store", &embedded_arg(&dir)]);
    let idle: Vec<TcpStream> = (0..64)
        .map(|_| TcpStream::connect(&svc.addr).unwrap())
        .collect();
    // Each connection is counted as it is accepted, in order: the next one is over the limit.
    let answer = raw(
        &svc.addr,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too many connections"));
    // Refusals are logged once an interval, with their count, not once each.
    for _ in 0..50 {
        let answer = raw(
            &svc.addr,
            b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
        );
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    }
    let log = svc.wait_for_log("connection limit (64) reached");
    let lines = log.matches("connection limit (64) reached").count();
    assert_eq!(lines, 1, "one warning for 51 refusals: {log}");
    drop(idle);
    wait_until(
        Duration::from_secs(10),
        "served again once they closed",
        || get(&svc.url("/healthz")).status == 200,
    );
}

#[test]
fn oversized_heads_get_431_or_414_for_a_long_target() {
    let dir = temp_dir("head");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    let long_line = format!(
        "GET /contacts/{} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "a".repeat(9000)
    );
    // A request line alone over the limit is a target too long (RFC 9110 §15.5.15): 414,
    // where this test asserted 431 before issue 11.
    assert!(raw(&svc.addr, long_line.as_bytes()).starts_with("HTTP/1.1 414"));
    let endless = "GET / HTTP/1.1\r\nX: ".to_string() + &"b".repeat(100_000);
    assert!(raw(&svc.addr, endless.as_bytes()).starts_with("HTTP/1.1 431"));
}
