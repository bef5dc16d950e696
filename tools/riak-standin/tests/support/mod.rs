//! What the ring cluster's tests share: the recorded exchanges of a real 2-node cluster with a
//! node stopped, hung and restarting (`tests/data/riak/faults.json`), plain PBC and HTTP
//! clients over loopback, and the records' node names mapped to the stand-in's node numbers.

#![allow(dead_code)]

use riak_standin::{RingOptions, StandinCluster, StandinOptions};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The recorded cluster's bucket.
pub const BUCKET: &str = "phonebook_faults";

/// The capture, kept as test data at the workspace's root.
pub fn faults() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/riak/faults.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the Riak capture {}: {e}", path.display()));
    serde_json::from_str(&text).expect("captures are JSON")
}

/// The stand-in's node number of a recorded node name: `riak` is node 0, `riak2` node 1.
pub fn node_of_name(name: &str) -> usize {
    usize::from(name.starts_with("riak2@"))
}

/// The stand-in's node number of a recorded port (8087/8098: node 0; 8187/8198: node 1).
pub fn node_of_port(port: u64) -> usize {
    usize::from(port == 8187 || port == 8198)
}

/// A 2-node ring cluster like the recorded one, answering at once, its replies in a fixed
/// order (the tests that need the other order ask for it).
pub fn cluster() -> StandinCluster {
    let ring = RingOptions {
        fallbacks_first: 0.0,
        ..RingOptions::default()
    };
    StandinCluster::start(ring, StandinOptions::default()).expect("start")
}

pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Sends one PBC frame and reads one answer frame, with how long it took; `None` when nothing
/// came within `wait`.
pub fn pbc(addr: SocketAddr, frame: &[u8], wait: Duration) -> Option<(Vec<u8>, Duration)> {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(wait)).unwrap();
    let start = Instant::now();
    conn.write_all(frame).unwrap();
    let mut len = [0u8; 4];
    conn.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    conn.read_exact(&mut body).ok()?;
    let mut out = len.to_vec();
    out.extend_from_slice(&body);
    Some((out, start.elapsed()))
}

/// Sends one HTTP request (with `Connection: close`) and reads the whole answer.
pub fn http(addr: SocketAddr, request: &str, wait: Duration) -> Option<(String, Duration)> {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(wait)).unwrap();
    let start = Instant::now();
    conn.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).ok()?;
    if out.is_empty() {
        return None;
    }
    Some((String::from_utf8_lossy(&out).into_owned(), start.elapsed()))
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    varint(out, number << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn frame(code: u8, body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 1) as u32).to_be_bytes().to_vec();
    out.push(code);
    out.extend_from_slice(body);
    out
}

/// The recorded value of key `key` in generation `gen`.
pub fn value(key: &str, gen: u32) -> String {
    format!("{{\"name\":\"{key}\",\"number\":\"+35840000000{gen}\",\"gen\":{gen}}}")
}

/// An `RpbPutReq` of `value` (JSON) under `key`, with extra varint fields (number, value).
pub fn put_frame(key: &str, value: &str, extra: &[(u64, u64)]) -> Vec<u8> {
    let mut content = Vec::new();
    field(&mut content, 1, value.as_bytes());
    field(&mut content, 2, b"application/json");
    let mut body = Vec::new();
    field(&mut body, 1, BUCKET.as_bytes());
    field(&mut body, 2, key.as_bytes());
    field(&mut body, 4, &content);
    for (number, v) in extra {
        varint(&mut body, number << 3);
        varint(&mut body, *v);
    }
    frame(11, &body)
}

/// An `RpbGetReq` of `key`, with extra varint fields (number, value).
pub fn get_frame(key: &str, extra: &[(u64, u64)]) -> Vec<u8> {
    let mut body = Vec::new();
    field(&mut body, 1, BUCKET.as_bytes());
    field(&mut body, 2, key.as_bytes());
    for (number, v) in extra {
        varint(&mut body, number << 3);
        varint(&mut body, *v);
    }
    frame(9, &body)
}

/// An `RpbDelReq` of `key`.
pub fn delete_frame(key: &str) -> Vec<u8> {
    let mut body = Vec::new();
    field(&mut body, 1, BUCKET.as_bytes());
    field(&mut body, 2, key.as_bytes());
    frame(13, &body)
}

/// Writes generation `gen` of these keys through node `node`'s PBC API.
pub fn write_all(cluster: &StandinCluster, node: usize, keys: &[String], gen: u32) {
    for key in keys {
        let frame = put_frame(key, &value(key, gen), &[]);
        let (answer, _) =
            pbc(cluster.node(node).pbc_addr, &frame, Duration::from_secs(5)).expect("an answer");
        assert_eq!(answer, hex("000000010c"), "put {key}");
    }
}

/// What a PBC answer says, in the words of the capture's notes: `found <value>`, `notfound`,
/// `error <message>`, `ok` (a put or delete).
pub fn pbc_meaning(frame: &[u8]) -> String {
    let (code, body) = (frame[4], &frame[5..]);
    match code {
        0 => format!("error {}", String::from_utf8_lossy(&fields(body)[0].1)),
        10 => match fields(body).into_iter().find(|f| f.0 == 1) {
            Some((_, content)) => {
                let value = fields(&content).into_iter().find(|f| f.0 == 1).unwrap().1;
                format!("found {}", String::from_utf8_lossy(&value))
            }
            None => "notfound".into(),
        },
        12 | 14 => "ok".into(),
        other => format!("code {other}"),
    }
}

/// The fields of a protobuf body as (number, bytes), varints skipped.
fn fields(mut body: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let tag = read_varint(&mut body);
        if tag & 7 == 0 {
            read_varint(&mut body);
            continue;
        }
        let len = read_varint(&mut body) as usize;
        out.push((tag >> 3, body[..len].to_vec()));
        body = &body[len..];
    }
    out
}

fn read_varint(body: &mut &[u8]) -> u64 {
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

/// An HTTP answer without its `Date` header (the one thing that differs between runs).
pub fn undated(response: &str) -> String {
    let lines: Vec<&str> = response
        .split("\r\n")
        .filter(|l| !l.starts_with("Date: "))
        .collect();
    lines.join("\r\n")
}
