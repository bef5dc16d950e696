//! The Protocol Buffers codec against frames captured from a real Riak (`tests/data/riak/`):
//! every response decodes to what the capture says, every request encodes byte for byte, and the
//! store puts exactly those bytes on the wire when a replayed node answers with the captures.

use crate::support::riak::{capture_settings, captures, hex, put_fields, replay_server, Exchange};
use phonebook::store::riak::wire::*;
use phonebook::store::riak::wire::{self as pbc, empty_frame, frame, read_frame};
use phonebook::store::riak::{Api, Riak};
use phonebook::store::Store;
use serde_json::Value;

const BUCKET: &[u8] = b"phonebook_vectors";
const JOHN: &str = r#"{"name":"John Doe","number":"+358408053254"}"#;
const JOHN_NEW: &str = r#"{"name":"John Doe","number":"+358401111111"}"#;

/// The capture's exchanges (`tests/data/riak/pbc.json`).
fn exchanges() -> Vec<Value> {
    captures("pbc.json")["exchanges"]
        .as_array()
        .unwrap()
        .clone()
}

fn exchange<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name}"))
}

fn response(all: &[Value], name: &str, i: usize) -> Vec<u8> {
    hex(exchange(all, name)["responses"][i]["hex"].as_str().unwrap())
}

fn request(all: &[Value], name: &str) -> Vec<u8> {
    hex(exchange(all, name)["request_hex"].as_str().unwrap())
}

/// Checks a decoded field list (`[number, type, value, raw hex]`) against a decoded message.
fn raw(field: &Value) -> Vec<u8> {
    hex(field[3].as_str().unwrap_or(""))
}

fn check_content(fields: &Value, content: &Content) {
    for field in fields.as_array().unwrap() {
        match field[0].as_u64().unwrap() {
            1 => assert_eq!(content.value, raw(field)),
            2 => assert_eq!(content.content_type.as_deref(), Some(&raw(field)[..])),
            5 => assert_eq!(content.vtag.as_deref(), Some(&raw(field)[..])),
            7 => assert_eq!(content.last_mod.map(u64::from), field[2].as_u64()),
            8 => assert_eq!(content.last_mod_usecs.map(u64::from), field[2].as_u64()),
            n => panic!("unexpected content field {n}"),
        }
    }
}

fn check_response(code: u8, body: &[u8], decoded: &Value) {
    let fields = decoded.as_array().unwrap();
    match code {
        code::PING_RESP | code::PUT_RESP | code::DEL_RESP | code::GET_RESP if fields.is_empty() => {
            assert!(body.is_empty())
        }
        code::GET_RESP | code::PUT_RESP => {
            let msg: ObjectResp = pbc::decode(body).unwrap();
            let contents: Vec<_> = fields.iter().filter(|f| f[0] == 1).collect();
            assert_eq!(msg.content.len(), contents.len());
            for (field, content) in contents.iter().zip(&msg.content) {
                check_content(&field[2], content);
            }
            let vclock = fields.iter().find(|f| f[0] == 2).map(raw);
            assert_eq!(msg.vclock, vclock);
        }
        code::GET_SERVER_INFO_RESP => {
            let msg: ServerInfo = pbc::decode(body).unwrap();
            assert_eq!(msg.node.as_deref(), Some(&b"riak@127.0.0.1"[..]));
            assert_eq!(msg.server_version, Some(raw(&fields[1])));
        }
        code::ERROR_RESP => {
            let msg: ErrorResp = pbc::decode(body).unwrap();
            assert_eq!(msg.errmsg, b"no_type");
            assert_eq!(msg.errcode, 0);
        }
        code::LIST_KEYS_RESP | code::INDEX_RESP => {
            let msg: KeysResp = pbc::decode(body).unwrap();
            let keys: Vec<_> = fields.iter().filter(|f| f[0] == 1).map(raw).collect();
            assert_eq!(msg.keys, keys);
            assert_eq!(msg.done, fields.iter().any(|f| f[0] == 2 && f[2] == 1));
        }
        other => panic!("no check for code {other}"),
    }
}

#[test]
fn every_captured_response_decodes() {
    let all = exchanges();
    let mut seen = 0;
    for ex in &all {
        for resp in ex["responses"].as_array().unwrap() {
            let bytes = hex(resp["hex"].as_str().unwrap());
            let mut reader = &bytes[..];
            let (code, body) = read_frame(&mut reader).unwrap();
            assert!(reader.is_empty(), "{}: one frame, nothing left", ex["name"]);
            assert_eq!(u64::from(code), resp["code"].as_u64().unwrap());
            check_response(code, &body, &resp["decoded"]);
            seen += 1;
        }
    }
    assert_eq!(seen, 14, "every response frame of the capture was checked");
}

#[test]
fn every_captured_request_encodes_byte_for_byte() {
    let all = exchanges();
    let john = Content {
        value: JOHN.into(),
        content_type: Some(b"application/json".to_vec()),
        ..Content::default()
    };
    let john_new = Content {
        value: JOHN_NEW.into(),
        ..john.clone()
    };
    let vclock: ObjectResp = pbc::decode(
        &read_frame(&mut &response(&all, "get_found", 0)[..])
            .unwrap()
            .1,
    )
    .unwrap();
    let get = |key: &'static [u8]| GetReq {
        bucket: BUCKET,
        key,
        ..GetReq::default()
    };
    let put = |content, vclock, return_body, return_head| PutReq {
        bucket: BUCKET,
        key: b"John Doe",
        vclock,
        content,
        return_body,
        return_head,
        w: None,
        dw: None,
        pw: None,
        timeout: None,
        bucket_type: None,
    };
    let ours: Vec<(&str, Vec<u8>)> = vec![
        ("ping", empty_frame(code::PING_REQ)),
        ("server_info", empty_frame(code::GET_SERVER_INFO_REQ)),
        ("get_not_found", frame(code::GET_REQ, &get(b"John Doe"))),
        ("get_found", frame(code::GET_REQ, &get(b"John Doe"))),
        (
            "put_new",
            frame(code::PUT_REQ, &put(&john, None, false, false)),
        ),
        (
            "put_with_vclock_return_body",
            frame(
                code::PUT_REQ,
                &put(&john_new, vclock.vclock.as_deref(), true, false),
            ),
        ),
        (
            "put_return_head",
            frame(code::PUT_REQ, &put(&john_new, None, false, true)),
        ),
        (
            "get_head",
            frame(
                code::GET_REQ,
                &GetReq {
                    head: true,
                    ..get(b"John Doe")
                },
            ),
        ),
        (
            "get_siblings",
            frame(
                code::GET_REQ,
                &GetReq {
                    bucket_type: Some(b"siblings"),
                    ..get(b"Sibling Sam")
                },
            ),
        ),
        (
            "error_unknown_type",
            frame(
                code::GET_REQ,
                &GetReq {
                    bucket_type: Some(b"no_such_type"),
                    ..get(b"John Doe")
                },
            ),
        ),
        (
            "list_keys",
            frame(
                code::LIST_KEYS_REQ,
                &KeyReq {
                    bucket: BUCKET,
                    key: None,
                },
            ),
        ),
        (
            "index_key_range",
            frame(
                code::INDEX_REQ,
                &IndexReq {
                    bucket: BUCKET,
                    index: b"$key",
                    range_min: b"A",
                    range_max: b"Z",
                    max_results: None,
                    timeout: None,
                },
            ),
        ),
        (
            "delete",
            frame(
                code::DEL_REQ,
                &DelReq {
                    bucket: BUCKET,
                    key: b"John Doe",
                    vclock: None,
                    ..DelReq::default()
                },
            ),
        ),
    ];
    assert_eq!(ours.len(), all.len(), "one encoding per captured request");
    for (name, bytes) in ours {
        assert_eq!(hex_of(&bytes), hex_of(&request(&all, name)), "{name}");
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn frames_are_bounded_and_checked() {
    let huge = [0x7f, 0xff, 0xff, 0xff, 10];
    assert!(
        read_frame(&mut &huge[..]).is_err(),
        "absurd length rejected"
    );
    assert!(
        read_frame(&mut &[0u8, 0, 0, 0][..]).is_err(),
        "a frame needs its code byte"
    );
    assert!(
        read_frame(&mut &[0u8, 0, 0, 9, 10, 1][..]).is_err(),
        "a short body is an error"
    );
}

/// A store on one replayed node: it must send exactly the captured requests.
fn store_on(addr: &str) -> Riak {
    let nodes = [addr.to_string()];
    Riak::open(Api::Pbc, &nodes, &capture_settings())
}

#[test]
fn the_store_sends_the_captured_frames() {
    let all = exchanges();
    let ours = |name: &str| Exchange::Exact(request(&all, name), response(&all, name, 0));
    let any_get = |name: &str| Exchange::Code(code::GET_REQ, response(&all, name, 0));
    let script = vec![
        ours("get_found"),
        ours("get_not_found"),
        // A put reads the vclock first (head only); none here, so the put goes without one.
        any_get("get_not_found"),
        ours("put_new"),
        // The captured error answered a request in a missing bucket type; any get will do.
        any_get("error_unknown_type"),
    ];
    let (addr, done) = replay_server(script);
    let store = store_on(&addr);
    let john = store.get("John Doe").unwrap().unwrap();
    assert_eq!(john.number, "+358408053254");
    assert_eq!(store.get("John Doe").unwrap(), None);
    let contact = phonebook::contact::Contact::parse("John Doe", "+358408053254").unwrap();
    store.put(&contact).unwrap();
    let err = store.get("John Doe").unwrap_err();
    assert!(
        matches!(err, phonebook::error::Error::Store { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no_type"), "{err}");
    done.join().unwrap();
}

#[test]
fn siblings_from_the_capture_resolve_to_the_newest_and_are_written_back() {
    let all = exchanges();
    let siblings = response(&all, "get_siblings", 0);
    let captured: ObjectResp = pbc::decode(&read_frame(&mut &siblings[..]).unwrap().1).unwrap();
    let script = vec![
        Exchange::Code(code::GET_REQ, siblings),
        Exchange::Code(code::PUT_REQ, response(&all, "put_new", 0)),
    ];
    let (addr, done) = replay_server(script);
    let sam = store_on(&addr).get("Sibling Sam").unwrap().unwrap();
    // Both siblings share the second (the precision HTTP gives too): the larger value wins.
    assert_eq!(sam.number, "+3582");
    let frames = done.join().unwrap();
    let (vclock, value) = put_fields(&frames[1]);
    assert_eq!(vclock, captured.vclock, "written back over both siblings");
    assert_eq!(value, br#"{"name":"Sibling Sam","number":"+3582"}"#);
}

#[test]
fn a_delete_reads_first_and_sends_the_captured_delete_with_the_vclock_it_read() {
    let all = exchanges();
    let ours = |name: &str| Exchange::Exact(request(&all, name), response(&all, name, 0));
    let script = vec![
        ours("get_found"),
        Exchange::Code(code::DEL_REQ, response(&all, "delete", 0)),
        // Absent: nothing to delete, so no delete is sent.
        ours("get_not_found"),
    ];
    let (addr, done) = replay_server(script);
    let store = store_on(&addr);
    assert!(store.delete("John Doe").unwrap(), "it existed");
    assert!(!store.delete("John Doe").unwrap(), "it did not");
    let sent = done.join().unwrap();
    let found = response(&all, "get_found", 0);
    let read: ObjectResp = pbc::decode(&read_frame(&mut &found[..]).unwrap().1).unwrap();
    let vclock = read.vclock.expect("the capture has a vclock");
    // The captured delete (bucket and key), with field 4, the vclock read, appended.
    let mut want = request(&all, "delete")[5..].to_vec();
    want.push(4 << 3 | 2);
    want.push(vclock.len() as u8);
    want.extend_from_slice(&vclock);
    assert_eq!(hex_of(&sent[1][5..]), hex_of(&want));
    let ours = DelReq {
        bucket: BUCKET,
        key: b"John Doe",
        vclock: Some(&vclock),
        ..DelReq::default()
    };
    assert_eq!(hex_of(&sent[1]), hex_of(&frame(code::DEL_REQ, &ours)));
}

/// The requests with quorum values and a timeout that the policy sends (`r=1`,
/// `notfound_ok=false`, `w=1`, `dw=1`, `timeout`), against the recorded fault exchanges
/// (`faults.json`): byte for byte, field order included.
#[test]
fn quorum_options_encode_like_the_recorded_fault_requests() {
    let faults = captures("faults.json");
    let recorded = |phase: &str, name: &str| {
        let all = faults["exchanges"].as_array().unwrap();
        let e = all
            .iter()
            .find(|e| e["phase"] == phase && e["api"] == "pbc" && e["name"] == name)
            .unwrap_or_else(|| panic!("{phase} {name}"));
        hex(e["request_hex"].as_str().unwrap())
    };
    let bucket: &[u8] = b"phonebook_faults";
    let get = |key: &'static [u8]| GetReq {
        bucket,
        key,
        ..GetReq::default()
    };
    let strict = GetReq {
        r: Some(1),
        notfound_ok: Some(false),
        timeout: Some(2000),
        ..get(b"k0")
    };
    let r_all = GetReq {
        r: Some(u32::MAX - 3),
        ..get(b"c8")
    };
    let frozen = "node2_frozen";
    let put_frame = recorded(frozen, "put_w1_dw1_timeout2000");
    let (_, value) = put_fields(&put_frame);
    let content = Content {
        value,
        content_type: Some(b"application/json".to_vec()),
        ..Content::default()
    };
    let put = PutReq {
        bucket,
        key: b"k0",
        vclock: None,
        content: &content,
        w: Some(1),
        dw: Some(1),
        return_body: false,
        pw: None,
        return_head: false,
        timeout: Some(2000),
        bucket_type: None,
    };
    let cases = [
        (
            frame(code::GET_REQ, &strict),
            recorded(frozen, "get_r1_notfound_ok_false_timeout2000"),
        ),
        (
            frame(code::GET_REQ, &r_all),
            recorded("node2_stopped", "get_r_all"),
        ),
        (frame(code::PUT_REQ, &put), put_frame.clone()),
    ];
    for (ours, theirs) in cases {
        assert_eq!(hex_of(&ours), hex_of(&theirs));
    }
}
