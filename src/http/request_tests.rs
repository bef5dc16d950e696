//! Unit tests of reading requests off a socket (`request.rs`), over loopback.

use super::*;
use std::net::TcpListener;

const LIMITS: Limits = Limits {
    max_header_bytes: 256,
    max_body_bytes: 16,
    read_timeout: Duration::from_millis(1000),
};

/// A client socket and the server's connection for it, on loopback.
fn pair() -> (TcpStream, Connection) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, Connection::new(Arc::new(Socket::new(server))))
}

fn status(result: Result<Option<Request>, Error>) -> u16 {
    result.err().map_or(0, |e| e.status())
}

#[test]
fn pipelined_requests_and_bodies_are_read_in_order() {
    let (mut client, mut conn) = pair();
    let body = "a".repeat(16);
    let post = format!("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n{body}");
    client
        .write_all(format!("\r\n{post}GET /g HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes())
        .unwrap();
    let first = conn.read_request(&LIMITS).unwrap().unwrap();
    assert_eq!(
        (first.path.as_str(), first.body.as_slice()),
        ("/p", body.as_bytes())
    );
    assert!(!conn.socket.is_idle(), "busy with a request");
    let second = conn.read_request(&LIMITS).unwrap().unwrap();
    assert_eq!((second.method.as_str(), second.body.len()), ("GET", 0));
    client.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(
        conn.read_request(&LIMITS).unwrap().is_none(),
        "closed between requests"
    );
    assert!(conn.socket.is_idle());
}

#[test]
fn a_body_over_the_limit_is_413_before_it_is_read() {
    let (mut client, mut conn) = pair();
    client
        .write_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n")
        .unwrap();
    assert_eq!(status(conn.read_request(&LIMITS)), 413);
    let (mut client, mut conn) = pair();
    let huge = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    client.write_all(huge.as_bytes()).unwrap();
    assert_eq!(status(conn.read_request(&LIMITS)), 413);
}

#[test]
fn a_head_over_the_limit_is_refused_even_unfinished() {
    let (mut client, mut conn) = pair();
    let exact = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
        "a".repeat(256 - 32)
    );
    assert_eq!(exact.len(), 256);
    client.write_all(exact.as_bytes()).unwrap();
    assert!(
        conn.read_request(&LIMITS).unwrap().is_some(),
        "exactly the limit"
    );
    let (mut client, mut conn) = pair();
    client
        .write_all(format!("GET / HTTP/1.1\r\nX: {}", "b".repeat(300)).as_bytes())
        .unwrap();
    assert_eq!(status(conn.read_request(&LIMITS)), 431, "never ends");
    let (mut client, mut conn) = pair();
    client
        .write_all(format!("GET /{} HTTP/1.1\r\n", "c".repeat(300)).as_bytes())
        .unwrap();
    assert_eq!(status(conn.read_request(&LIMITS)), 414, "a long target");
}

#[test]
fn a_request_cut_short_is_400_and_a_silent_one_408() {
    let (mut client, mut conn) = pair();
    client
        .write_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab")
        .unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let err = conn.read_request(&LIMITS).unwrap_err();
    assert_eq!(
        (err.status(), err.to_string().as_str()),
        (400, "connection closed mid-request")
    );
    let (mut client, mut conn) = pair();
    client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(status(conn.read_request(&LIMITS)), 400);
    let (mut client, mut conn) = pair();
    client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    assert_eq!(status(conn.read_request(&LIMITS)), 408);
    assert!(started.elapsed() >= Duration::from_millis(990));
}

#[test]
fn a_reset_mid_body_is_a_body_cut_short() {
    let (mut client, mut conn) = pair();
    let head = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
    client.write_all(head.as_bytes()).unwrap();
    let reader = std::thread::spawn(move || conn.read_request(&LIMITS).map(|_| ()));
    // Closing with the `100 Continue` unread makes the client's kernel reset the connection.
    std::thread::sleep(Duration::from_millis(200));
    drop(client);
    let err = reader.join().unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "body shorter than Content-Length",
        "not a 408"
    );
}

#[test]
fn the_deadline_covers_the_whole_request() {
    // A client that sends a little at a time is cut off at the deadline, not a full
    // timeout after its last byte.
    let (mut client, mut conn) = pair();
    let writer = std::thread::spawn(move || {
        client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(700));
        client.write_all(b"Host: h\r\n").unwrap();
        std::thread::sleep(Duration::from_secs(2));
    });
    let started = Instant::now();
    assert_eq!(status(conn.read_request(&LIMITS)), 408);
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "cut at the deadline: {took:?}"
    );
    writer.join().unwrap();
}

#[test]
fn idle_and_blank_lines_end_quietly() {
    let (mut client, mut conn) = pair();
    client.write_all(b"\r\n\r\n").unwrap();
    assert!(
        conn.read_request(&LIMITS).unwrap().is_none(),
        "idle timeout, no 408"
    );
    assert!(conn.socket.is_idle());
}

#[test]
fn continue_is_sent_to_http11_only_when_the_body_is_missing() {
    let mut interim = [0u8; 25];
    for (version, sent) in [("1.1", true), ("1.0", false)] {
        let (mut client, mut conn) = pair();
        let head = format!(
            "POST / HTTP/{version}\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n"
        );
        client.write_all(head.as_bytes()).unwrap();
        let reader =
            std::thread::spawn(move || conn.read_request(&LIMITS).map(|r| r.unwrap().body));
        client
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let got = client.read_exact(&mut interim).is_ok();
        assert_eq!(got, sent, "HTTP/{version}");
        if sent {
            assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        client.write_all(b"ok").unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), b"ok");
    }
    let (mut client, mut conn) = pair();
    let whole = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
    client.write_all(whole.as_bytes()).unwrap();
    assert_eq!(conn.read_request(&LIMITS).unwrap().unwrap().body, b"ok");
    client
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    assert!(
        client.read(&mut interim).is_err(),
        "the body came with the head: no 100"
    );
}

#[test]
fn headers_are_found_by_lowercase_name() {
    let (mut client, mut conn) = pair();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: h\r\nX-One: 1\r\nX-Two: 2\r\n\r\n")
        .unwrap();
    let request = conn.read_request(&LIMITS).unwrap().unwrap();
    assert_eq!(
        (request.header("x-two"), request.header("x-three")),
        (Some("2"), None)
    );
}
