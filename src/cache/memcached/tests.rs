//! Unit tests of the text protocol client against small fake servers on loopback: replies
//! read as the protocol says, anything else an error, and one deadline per operation.

use super::*;
use std::net::TcpListener;
use std::thread;

/// A one-connection server that answers the first command with `reply`, then holds the
/// connection a while; a socket to it with a 2 s deadline.
fn answering(reply: &'static [u8]) -> McSocket {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut command = [0u8; 512];
        let _ = conn.read(&mut command);
        let _ = conn.write_all(reply);
        thread::sleep(Duration::from_millis(500));
    });
    let timeout = Duration::from_secs(2);
    let mut conn = Maker::new(&addr, timeout).connect().unwrap();
    conn.until(Instant::now() + timeout);
    conn
}

#[test]
fn replies_are_read_as_the_protocol_says_and_anything_else_is_an_error() {
    let value = answering(b"VALUE pb:k 0 3\r\nabc\r\nEND\r\n").get("pb:k");
    assert_eq!(value.unwrap(), Some(b"abc".to_vec()));
    assert_eq!(answering(b"END\r\n").get("pb:k").unwrap(), None);
    assert!(answering(b"STORED\r\n")
        .store("set", "pb:k", "v", 10)
        .unwrap());
    assert!(!answering(b"NOT_STORED\r\n")
        .store("add", "pb:k", "v", 10)
        .unwrap());
    answering(b"OK\r\n").flush_all().unwrap();
    let wrong: [&'static [u8]; 5] = [
        b"VALUE pb:other 0 3\r\nabc\r\nEND\r\n",
        b"VALUE pb:k 0 5000\r\n",
        b"VALUE pb:k 0 3\r\nabcd\r\nEND\r\n",
        b"SERVER_ERROR out of memory\r\n",
        b"END",
    ];
    for reply in wrong {
        let err = answering(reply).get("pb:k").unwrap_err();
        let kind = err.kind();
        assert!(
            kind == io::ErrorKind::InvalidData || kind == io::ErrorKind::TimedOut,
            "{err}"
        );
    }
    assert!(answering(b"ERROR\r\n")
        .store("set", "pb:k", "v", 10)
        .is_err());
    assert!(answering(b"STORED\r\n").flush_all().is_err());
}

#[test]
fn a_server_silent_mid_answer_cannot_hold_an_operation_past_its_deadline() {
    // The server answers one byte 1.8 s into a 2 s operation, then nothing: the socket's
    // timeout must shrink to the time left, not restart with each byte.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Left to end by itself: the test must not wait for its last sleep.
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut command = [0u8; 64];
        let _ = conn.read(&mut command);
        thread::sleep(Duration::from_millis(1_800));
        let _ = conn.write_all(b"V");
        thread::sleep(Duration::from_millis(2_500));
    });
    let timeout = Duration::from_secs(2);
    let mut conn = Maker::new(&addr, timeout).connect().unwrap();
    let start = Instant::now();
    let err = conn.until(start + timeout).get("pb:k").unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ),
        "{err}"
    );
    // At the deadline, not 2 s after the byte (3.8 s).
    assert!(took >= timeout && took < Duration::from_secs(3), "{took:?}");
}
