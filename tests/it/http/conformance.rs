//! Conformance of the HTTP front to RFC 9110 and RFC 9112: one test per rule, on raw sockets,
//! each naming the section it checks.

use crate::support::http::*;
use crate::support::*;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

/// RFC 9110 §6.6.1: an origin server with a clock sends `Date` on every answer, errors too.
#[test]
fn rfc9110_6_6_1_every_answer_carries_a_date() {
    let svc = service_with("date", "", None);
    let mut conn = connect(&svc);
    for target in ["/healthz", "/nope", "/contacts/%FF"] {
        let (head, _) = exchange(
            &mut conn,
            &format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        )
        .unwrap();
        let date = header_of(&head, "date").unwrap_or_else(|| panic!("no Date: {head}"));
        // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
        assert_eq!(date.len(), 29, "{date}");
        assert!(
            date.ends_with(" GMT") && date.as_bytes()[3] == b',',
            "{date}"
        );
    }
    let bad = raw(&svc.addr, b"GET / HTTP/1.1\r\n\r\n");
    assert!(
        bad.starts_with("HTTP/1.1 400") && bad.contains("\r\nDate: "),
        "{bad}"
    );
}

/// RFC 9110 §7.6.1: `Connection` is a comma-separated list of case-insensitive tokens, which
/// may come over several lines; a substring is not a token.
#[test]
fn rfc9110_7_6_1_connection_is_a_token_list_over_all_its_lines() {
    let svc = service_with("tokens", "", None);
    let closes = |request: &str| {
        let mut conn = connect(&svc);
        let (head, _) = exchange(&mut conn, request).unwrap();
        let mut rest = Vec::new();
        let closed = conn.read_to_end(&mut rest).is_ok() && rest.is_empty();
        (head.contains("Connection: close"), closed)
    };
    let second_line =
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: te\r\nConnection: Close\r\n\r\n";
    assert_eq!(closes(second_line), (true, true), "close on a second line");
    let listed = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: upgrade , CLOSE\r\n\r\n";
    assert_eq!(closes(listed), (true, true), "close inside a list");
    // A 1.1 connection stays open unless `close` is a token; `x-closed` is not that token.
    let mut conn = connect(&svc);
    let not_close = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: x-closed\r\n\r\n";
    let (head, _) = exchange(&mut conn, not_close).unwrap();
    assert!(!head.contains("Connection: close"), "{head}");
    assert!(exchange(
        &mut conn,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    )
    .is_some());
    // A 1.0 connection stays open only for the `keep-alive` token, not `x-no-keep-alive`.
    let not_keep = "GET /healthz HTTP/1.0\r\nConnection: x-no-keep-alive\r\n\r\n";
    assert_eq!(
        closes(not_keep),
        (true, true),
        "1.0 without the keep-alive token closes"
    );
}

/// RFC 9112 §9.3: an HTTP/1.0 connection persists only if the answer says `keep-alive`; a
/// server that keeps it open silently leaves the client waiting for the close.
#[test]
fn rfc9112_9_3_http10_keep_alive_is_announced() {
    let svc = service_with("ka10", "", None);
    let mut conn = connect(&svc);
    let request = "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    for _ in 0..3 {
        let (head, body) = exchange(&mut conn, request).unwrap();
        assert_eq!(status_of(&head), 200);
        assert_eq!(header_of(&head, "connection"), Some("keep-alive"), "{head}");
        assert!(body.contains("\"ok\""));
    }
    let plain = raw(&svc.addr, b"GET /healthz HTTP/1.0\r\n\r\n");
    assert!(plain.contains("Connection: close\r\n"), "{plain}");
}

/// RFC 9112 §6.3: a `Content-Length` that is not `1*DIGIT` is a 400 and ends the connection;
/// trimming anything but spaces and tabs (here a no-break space) lets a proxy disagree.
#[test]
fn rfc9112_6_3_content_length_is_digits_on_the_raw_bytes() {
    let svc = service_with("clen", "", None);
    let body = "name=Smuggled&number=12345678";
    for value in ["28\u{a0}", "+28", "2 8", "0x1c", "28,28"] {
        let request = format!(
            "POST /contacts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {value}\r\n\r\n{body}"
        );
        let answer = raw(&svc.addr, request.as_bytes());
        assert!(answer.starts_with("HTTP/1.1 400"), "{value:?}: {answer}");
        assert!(answer.contains("Connection: close\r\n"), "{answer}");
    }
    let ok = format!(
        "POST /contacts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: \t{} \r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    assert!(
        raw(&svc.addr, ok.as_bytes()).starts_with("HTTP/1.1 200"),
        "spaces around are fine"
    );
    let stored = get(&svc.url("/contacts")).json();
    assert_eq!(
        stored["contacts"].as_array().unwrap().len(),
        1,
        "only the valid one stored"
    );
}

/// RFC 9112 §3.2: a 1.1 request without `Host`, with two, or with an invalid one is a 400.
#[test]
fn rfc9112_3_2_host_is_required_once_and_valid() {
    let svc = service_with("host", "allowed_hosts = [\"*\"]", None);
    for head in [
        "GET /healthz HTTP/1.1\r\n",
        "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n",
        "GET /healthz HTTP/1.1\r\nHost: a b@c\r\n",
        "GET /healthz HTTP/1.0\r\nHost: a/b\r\n",
    ] {
        let answer = raw(&svc.addr, format!("{head}\r\n").as_bytes());
        assert!(answer.starts_with("HTTP/1.1 400"), "{head:?}: {answer}");
        assert!(
            answer.contains("Host"),
            "the error names the header: {answer}"
        );
    }
    for head in [
        "GET /healthz HTTP/1.0\r\n",
        "GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\n",
        "GET /healthz HTTP/1.1\r\nHost: xn--bcher-kva.example:80\r\n",
    ] {
        let answer = raw(&svc.addr, format!("{head}\r\n").as_bytes());
        assert!(answer.starts_with("HTTP/1.1 200"), "{head:?}: {answer}");
    }
}

/// RFC 9112 §3.2.2: a server must accept the absolute form (what a client sends a proxy).
#[test]
fn rfc9112_3_2_2_absolute_form_targets_are_accepted() {
    let svc = service_with("absolute", "", None);
    assert_eq!(
        post_form(&svc.url("/contacts"), "Ann Lee", "12345").status,
        200
    );
    let mut conn = connect(&svc);
    let addr = &svc.addr;
    for target in [
        format!("http://{addr}/contacts/Ann%20Lee"),
        format!("HTTP://{addr}/contacts/Ann%20Lee?x=1"),
    ] {
        let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        let (head, body) = exchange(&mut conn, &request).unwrap();
        assert_eq!(status_of(&head), 200, "{target}: {head}");
        assert!(body.contains("\"12345\""), "{body}");
    }
    let (head, body) = exchange(
        &mut conn,
        &format!("GET http://{addr}?prefix=A HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    )
    .unwrap();
    assert_eq!(status_of(&head), 200, "an empty path is /: {body}");
    for bad in [
        "ftp://h/contacts",
        "http:///contacts",
        "http://a b/",
        "contacts",
    ] {
        let answer = raw(
            addr,
            format!("GET {bad} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
        );
        assert!(answer.starts_with("HTTP/1.1 400"), "{bad}: {answer}");
    }
}

/// RFC 9110 §10.1.1: `100 Continue` is for HTTP/1.1 clients only.
#[test]
fn rfc9110_10_1_1_no_100_continue_for_http10() {
    let svc = service_with("continue10", "", None);
    for (version, wanted) in [("1.0", false), ("1.1", true)] {
        let mut conn = connect(&svc);
        let body = "name=Bo&number=12345";
        let head = format!(
            "POST /contacts HTTP/{version}\r\nHost: localhost\r\nExpect: 100-continue\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        conn.write_all(head.as_bytes()).unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut first = [0u8; 25];
        let got = conn.read_exact(&mut first).is_ok();
        assert_eq!(
            got && &first == b"HTTP/1.1 100 Continue\r\n\r\n",
            wanted,
            "HTTP/{version}"
        );
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        conn.write_all(body.as_bytes()).unwrap();
        let (answer, _) = read_answer(&mut conn).unwrap();
        assert_eq!(status_of(&answer), 200, "HTTP/{version}: {answer}");
    }
}

/// RFC 9110 §15.5.15: a request line longer than the server takes is a 414, not a 431.
#[test]
fn rfc9110_15_5_15_a_long_target_is_414() {
    let svc = service_with("uri", "max_header_bytes = 2048", None);
    let target = format!("/contacts/{}", "a".repeat(2100));
    let answer = raw(
        &svc.addr,
        format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 414 URI Too Long"), "{answer}");
    assert!(answer.contains("request target too long"), "{answer}");
    let header = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX: {}\r\n\r\n",
        "b".repeat(2100)
    );
    assert!(raw(&svc.addr, header.as_bytes()).starts_with("HTTP/1.1 431"));
}

/// RFC 9110 §15.6.2: a method the server does not know is a 501; a known one a resource does
/// not take stays a 405 (§15.5.6).
#[test]
fn rfc9110_15_6_2_an_unknown_method_is_501() {
    let svc = service_with("method", "", None);
    let answer = raw(
        &svc.addr,
        b"BREW /contacts HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert!(
        answer.starts_with("HTTP/1.1 501 Not Implemented"),
        "{answer}"
    );
    assert!(answer.contains("not implemented"), "{answer}");
    let answer = raw(
        &svc.addr,
        b"DELETE /contacts HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
}

/// RFC 9112 §3.2.4: `OPTIONS *` asks about the server as a whole; `*` fits no other method.
#[test]
fn rfc9112_3_2_4_options_asterisk() {
    let svc = service_with("options", "", None);
    let mut conn = connect(&svc);
    let (head, body) =
        exchange(&mut conn, "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    assert_eq!(status_of(&head), 200, "{head}");
    assert_eq!(
        header_of(&head, "allow"),
        Some("GET, HEAD, POST, DELETE, OPTIONS")
    );
    assert_eq!(
        (header_of(&head, "content-length"), body.as_str()),
        (Some("0"), "")
    );
    let answer = raw(&svc.addr, b"GET * HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
}

/// RFC 9112 §2.2: empty lines before a request line are ignored, so a stray CRLF after a
/// request leaves the connection idle (closed quietly at the timeout, no 408).
#[test]
fn rfc9112_2_2_a_stray_crlf_is_ignored() {
    let svc = service_with("crlf", "read_timeout_ms = 500", None);
    let mut conn = connect(&svc);
    let (head, _) = exchange(
        &mut conn,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status_of(&head), 200);
    let (head, _) = exchange(
        &mut conn,
        "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status_of(&head), 200, "blank lines before a request");
    conn.write_all(b"\r\n").unwrap();
    let mut rest = String::new();
    let _ = conn.read_to_string(&mut rest);
    assert_eq!(rest, "", "closed at the idle timeout without an answer");
}

/// RFC 9112 §9.6: a server that closes after an answer while the client may still send must
/// close gracefully (shut down writing, then drain) or the client sees a reset, not the end.
#[test]
fn rfc9112_9_6_closing_answers_end_gracefully_not_with_a_reset() {
    let svc = service_with("graceful", "", None);
    for first in [
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "GET /healthz HTTP/1.0\r\n\r\n",
    ] {
        let mut conn = connect(&svc);
        // The request that ends the connection, and more after it that the server never reads.
        let mut sent = first.as_bytes().to_vec();
        sent.extend(std::iter::repeat_n(b'x', 64 * 1024));
        conn.write_all(&sent).unwrap();
        let mut answer = Vec::new();
        let end = conn.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            end.is_ok(),
            "{first:?}: ended with {end:?} after {answer:?}"
        );
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("}"),
            "{answer}"
        );
    }
}

/// RFC 9112 §9.6 (graceful close) on SIGTERM: a request whose body is still arriving is
/// finished within the read timeout and answered, then the service exits.
#[test]
fn rfc9112_9_6_sigterm_lets_a_body_being_sent_finish() {
    let svc = service_with("stopbody", "read_timeout_ms = 3000", None);
    let mut conn = connect(&svc);
    let body = "name=Late+Body&number=12345";
    // `Expect: 100-continue`: the interim answer says the server has read the head and waits
    // for the body, so the stop below finds a request being read.
    let head = format!(
        "POST /contacts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    conn.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    conn.write_all(&body.as_bytes()[..10]).unwrap();
    let pid = svc.child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    wait_until(Duration::from_secs(10), "the service stopping", || {
        stopping(&svc)
    });
    conn.write_all(&body.as_bytes()[10..]).unwrap();
    let (answer, reply) = read_answer(&mut conn).expect("an answer");
    assert_eq!(status_of(&answer), 200, "{answer}{reply}");
    assert!(
        answer.contains("Connection: close\r\n"),
        "stopping closes: {answer}"
    );
    let started = Instant::now();
    assert!(svc.terminate().success());
    assert!(started.elapsed() < Duration::from_secs(5), "then it exits");
}

/// Whether the service has begun to stop: a new connection's request is answered with
/// `Connection: close`, or (the accept loop over) not at all.
fn stopping(svc: &Service) -> bool {
    let mut probe = connect(svc);
    probe
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    match exchange(
        &mut probe,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
    ) {
        Some((head, _)) => head.contains("Connection: close\r\n"),
        None => true,
    }
}

/// A malformed query string is named as the query, not the body (RFC 9110 §15.5.1: the 400
/// says what was wrong).
#[test]
fn rfc9110_15_5_1_a_bad_query_is_named_as_the_query() {
    let svc = service_with("query", "", None);
    let reply = get(&svc.url("/contacts?prefix=%FF"));
    assert_eq!(reply.status, 400);
    let error = reply.json()["error"].as_str().unwrap().to_string();
    assert!(error.starts_with("query: "), "{error}");
}

/// Keep-alive (RFC 9112 §9.5): the idle timer of a connection starts when its last answer is
/// written, so an answer that was slow to come is not followed by a close at once.
#[test]
fn rfc9112_9_5_the_idle_timer_starts_when_the_answer_is_written() {
    let store = SlowStore::start(Duration::from_millis(1300));
    let svc = service_with("idle", "read_timeout_ms = 1000", Some(&store.url));
    let mut conn = connect(&svc);
    let (head, _) = exchange(
        &mut conn,
        "GET /contacts/Slow HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status_of(&head), 404, "{head}");
    assert!(!head.contains("Connection: close"), "kept open: {head}");
    let next = exchange(
        &mut conn,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_eq!(
        next.map(|(h, _)| status_of(&h)),
        Some(200),
        "the connection still serves"
    );
}

/// RFC 9110 §10.1.1: a `100 Continue` is this request's answer, so it comes only once the
/// answers to the requests pipelined before it are written.
#[test]
fn rfc9110_10_1_1_100_continue_waits_for_its_turn() {
    let store = SlowStore::start(Duration::from_millis(500));
    let svc = service_with("continue-turn", "", Some(&store.url));
    let mut conn = connect(&svc);
    let body = "name=Cy&number=12345";
    let requests = format!(
        "GET /contacts/Slow HTTP/1.1\r\nHost: localhost\r\n\r\n\
         POST /contacts HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\r\n",
        body.len()
    );
    conn.write_all(requests.as_bytes()).unwrap();
    let (first, _) = read_answer(&mut conn).unwrap();
    assert!(
        first.starts_with("HTTP/1.1 404"),
        "the first answer first: {first}"
    );
    let mut interim = [0u8; 25];
    conn.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    conn.shutdown(Shutdown::Write).unwrap();
}
