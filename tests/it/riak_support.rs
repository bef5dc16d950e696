//! Helpers for the Riak tests: the captured vectors, a replaying node, a plain protobuf field
//! reader (independent of the client's codec), and services on stand-in nodes.

use phonebook::riak::pbc::read_frame;
use serde_json::Value;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

/// A capture file from `../shared/riak/`, or `None` (with a note) when the folder is absent.
pub fn captures(file: &str) -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/riak")
        .join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("captures are JSON")),
        Err(err) => {
            eprintln!(
                "note: skipping, no Riak captures at {}: {err}",
                path.display()
            );
            None
        }
    }
}

pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// One step a replayed node expects: the request it must get, and the frame it answers.
pub enum Exchange {
    /// Exactly these request bytes.
    Exact(Vec<u8>, Vec<u8>),
    /// Any request with this message code.
    Code(u8, Vec<u8>),
}

/// A one-connection node that checks each request frame against the script and answers the
/// scripted frame. Joining it returns the request frames it got (and re-raises a mismatch).
pub fn replay_server(script: Vec<Exchange>) -> (String, JoinHandle<Vec<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = Vec::new();
        for step in script {
            let (code, body) = read_frame(&mut conn).expect("a request frame");
            let mut frame = ((body.len() + 1) as u32).to_be_bytes().to_vec();
            frame.push(code);
            frame.extend_from_slice(&body);
            let answer = match step {
                Exchange::Exact(want, answer) => {
                    assert_eq!(frame, want, "request bytes differ from the capture");
                    answer
                }
                Exchange::Code(want, answer) => {
                    assert_eq!(code, want, "request message code");
                    answer
                }
            };
            conn.write_all(&answer).unwrap();
            got.push(frame);
        }
        got
    });
    (addr, handle)
}

/// The fields of a protobuf body as (number, bytes): varints as their value's little-endian
/// bytes would be ambiguous, so only length-delimited fields are kept.
pub fn proto_fields(mut body: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let tag = varint(&mut body);
        match tag & 7 {
            0 => {
                varint(&mut body);
            }
            2 => {
                let len = varint(&mut body) as usize;
                out.push((tag >> 3, body[..len].to_vec()));
                body = &body[len..];
            }
            other => panic!("wire type {other} not expected"),
        }
    }
    out
}

fn varint(body: &mut &[u8]) -> u64 {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = body[0];
        *body = &body[1..];
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            break;
        }
    }
    value
}

/// The vclock and the value of a captured put request frame.
pub fn put_fields(frame: &[u8]) -> (Option<Vec<u8>>, Vec<u8>) {
    let mut reader = frame;
    let (_, body) = read_frame(&mut reader).unwrap();
    let fields = proto_fields(&body);
    let vclock = fields.iter().find(|f| f.0 == 3).map(|f| f.1.clone());
    let content = &fields.iter().find(|f| f.0 == 4).expect("content").1;
    let value = proto_fields(content)
        .into_iter()
        .find(|f| f.0 == 1)
        .unwrap()
        .1;
    (vclock, value)
}
