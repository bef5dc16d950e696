//! The stand-in against the captured Riak: it gets the captured requests and must answer with
//! the same message codes, fields, statuses and headers (vclocks, tags and times differ by
//! nature). This keeps the stand-in honest, so the other Riak tests mean something.

use crate::support::raw;
use crate::support::riak::{captures, hex, proto_fields};
use phonebook::store::riak::wire::ObjectResp;
use phonebook::store::riak::wire::{code, Content, PutReq};
use phonebook::store::riak::wire::{frame, read_frame};
use riak_standin::{Standin, StandinOptions};
use serde_json::Value;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

fn options() -> StandinOptions {
    StandinOptions {
        bucket_types: vec!["siblings".into()],
        ..StandinOptions::default()
    }
}

/// Sends a frame and reads `n` answer frames.
fn exchange(conn: &mut TcpStream, request: &[u8], n: usize) -> Vec<(u8, Vec<u8>)> {
    conn.write_all(request).unwrap();
    (0..n).map(|_| read_frame(conn).unwrap()).collect()
}

/// The field numbers of a body, nested content fields (of field 1 in object answers) included.
fn shape(code: u8, body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for (number, value) in proto_fields(body) {
        out.push(number.to_string());
        if number == 1 && matches!(code, code::GET_RESP | code::PUT_RESP) {
            let inner: Vec<String> = proto_fields(&value)
                .iter()
                .map(|f| f.0.to_string())
                .collect();
            out.push(format!("({})", inner.join(",")));
        }
    }
    out
}

fn captured_shape(resp: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in resp["decoded"].as_array().unwrap() {
        out.push(field[0].to_string());
        if let Some(inner) = field[2].as_array() {
            let inner: Vec<String> = inner.iter().map(|f| f[0].to_string()).collect();
            out.push(format!("({})", inner.join(",")));
        }
    }
    out
}

fn sibling_put(number: &str) -> Vec<u8> {
    let content = Content {
        value: format!(r#"{{"name":"Sibling Sam","number":"{number}"}}"#).into_bytes(),
        content_type: Some(b"application/json".to_vec()),
        ..Content::default()
    };
    let req = PutReq {
        bucket: b"phonebook_vectors",
        key: b"Sibling Sam",
        vclock: None,
        content: &content,
        return_body: false,
        return_head: false,
        w: None,
        dw: None,
        pw: None,
        timeout: None,
        bucket_type: Some(b"siblings"),
    };
    frame(code::PUT_REQ, &req)
}

#[test]
fn the_standin_answers_the_captured_pbc_requests_like_riak() {
    let all = captures("pbc.json");
    let node = Standin::start(options()).unwrap();
    let mut conn = TcpStream::connect(node.pbc_addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut vclock = Vec::new();
    for ex in all["exchanges"].as_array().unwrap() {
        let name = ex["name"].as_str().unwrap();
        let mut request = hex(ex["request_hex"].as_str().unwrap());
        if name == "put_with_vclock_return_body" {
            // A vclock is only meaningful to the cluster that made it: use the stand-in's.
            let (_, body) = read_frame(&mut &request[..]).unwrap();
            let fields = proto_fields(&body);
            let field = |n: u64| &fields.iter().find(|f| f.0 == n).unwrap().1;
            let content: Content = phonebook::store::riak::wire::decode(field(4)).unwrap();
            let req = PutReq {
                bucket: field(1),
                key: field(2),
                vclock: Some(&vclock),
                content: &content,
                return_body: true,
                return_head: false,
                w: None,
                dw: None,
                pw: None,
                timeout: None,
                bucket_type: None,
            };
            request = frame(code::PUT_REQ, &req);
        }
        if name == "get_siblings" {
            for number in ["+3581", "+3582"] {
                exchange(&mut conn, &sibling_put(number), 1);
            }
        }
        let wanted = ex["responses"].as_array().unwrap();
        let got = exchange(&mut conn, &request, wanted.len());
        for ((code, body), want) in got.iter().zip(wanted) {
            assert_eq!(u64::from(*code), want["code"].as_u64().unwrap(), "{name}");
            assert_eq!(shape(*code, body), captured_shape(want), "{name}");
        }
        let (code, body) = &got[0];
        if name == "get_found" {
            let object: ObjectResp = phonebook::store::riak::wire::decode(body).unwrap();
            vclock = object.vclock.unwrap();
        }
        if matches!(
            name,
            "error_unknown_type" | "delete" | "list_keys" | "index_key_range"
        ) {
            let want = hex(wanted[0]["hex"].as_str().unwrap());
            assert_eq!(
                (*code, &body[..]),
                (want[4], &want[5..]),
                "{name}: same bytes"
            );
        }
    }
}

/// Status, headers and body of a raw response.
fn split_response(text: &str) -> (u16, Vec<String>, String) {
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines.map(|l| {
        let (name, value) = l.split_once(':').unwrap();
        format!("{}:{value}", name.to_ascii_lowercase())
    });
    (status, headers.collect(), body.to_string())
}

fn has(headers: &[String], name: &str) -> bool {
    headers.iter().any(|h| h.starts_with(&format!("{name}:")))
}

#[test]
fn the_standin_answers_the_captured_http_requests_like_riak() {
    let all = captures("http.json");
    let node = Standin::start(options()).unwrap();
    let addr = node.http_addr.to_string();
    let mut vclock = String::new();
    for ex in all["exchanges"].as_array().unwrap() {
        let name = ex["name"].as_str().unwrap();
        let mut request = ex["request"].as_str().unwrap().to_string();
        if name == "put_with_vclock_returnbody" {
            let theirs = request
                .split("X-Riak-Vclock: ")
                .nth(1)
                .unwrap()
                .split("\r\n")
                .next()
                .unwrap();
            request = request.replace(theirs, &vclock);
        }
        if name == "get_siblings_plain" {
            for n in ["1", "2"] {
                let value = format!(r#"{{"name":"Sibling Sam","number":"+358{n}"}}"#);
                let put = format!(
                    "PUT /types/siblings/buckets/phonebook_vectors/keys/Sibling%20Sam HTTP/1.1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{value}",
                    value.len()
                );
                assert_eq!(split_response(&raw(&addr, put.as_bytes())).0, 204);
            }
        }
        let (status, headers, body) = split_response(&raw(&addr, request.as_bytes()));
        let (want_status, want_headers, want_body) =
            split_response(ex["response"].as_str().unwrap());
        assert_eq!(status, want_status, "{name}: {body}");
        // The captured node had seen this key deleted before: only it holds a tombstone.
        let header_names = ["x-riak-vclock", "x-riak-deleted", "etag", "last-modified"];
        for header in header_names.iter().filter(|_| name != "get_not_found") {
            assert_eq!(
                has(&headers, header),
                has(&want_headers, header),
                "{name}: {header}"
            );
        }
        let mime = |h: &[String]| {
            h.iter()
                .find(|l| l.starts_with("content-type:"))
                .map(|l| l.split(';').next().unwrap().to_string())
        };
        if want_status != 204 {
            assert_eq!(mime(&headers), mime(&want_headers), "{name}");
        }
        match name {
            "get_siblings_multipart" => {
                assert!(body.contains("+3581") && body.contains("+3582"), "{body}");
                assert_eq!(body.matches("Last-Modified:").count(), 2, "{body}");
            }
            "get_siblings_plain" => assert_eq!(body.lines().count(), 3, "{body}"),
            _ => assert_eq!(body, want_body, "{name}"),
        }
        if name == "get_found" {
            vclock = headers
                .iter()
                .find_map(|h| h.strip_prefix("x-riak-vclock: "))
                .unwrap()
                .to_string();
        }
    }
}
