//! The Protocol Buffers API of the stand-in: frames, a plain protobuf field codec, and the
//! answer to each request, written from riak_pb's `riak.proto` and `riak_kv.proto`.
//!
//! The codec is deliberately not the client's: fields are read into a list of
//! (number, value) pairs and looked up by number, and answers are built field by field.

use crate::cluster::Read as Outcome;
use crate::coordinator::Write;
use crate::db::Db;
use crate::model::Op;
use crate::object::{parse_vclock, Bucket, Object};
use crate::protobuf::{Msg, Out};
use crate::quorum::{GetOptions, PutOptions, Quorum};
use std::io::{self, Read};
use std::time::Duration;

/// The largest request frame read; a larger length closes the connection.
pub const MAX_FRAME: usize = 1 << 20;

/// Reads one frame: `None` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad frame length",
        ));
    }
    let mut frame = vec![0u8; len];
    r.read_exact(&mut frame)?;
    let body = frame.split_off(1);
    Ok(Some((frame[0], body)))
}

fn frame(code: u8, body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 1) as u32).to_be_bytes().to_vec();
    out.push(code);
    out.extend_from_slice(body);
    out
}

/// An `RpbErrorResp` frame.
pub fn error_frame(msg: &str) -> Vec<u8> {
    frame(0, &Out::default().bytes(1, msg.as_bytes()).int(2, 0).0)
}

/// What a node answers with: its data, name, and how often reads meet an empty fallback.
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub node: &'a str,
    pub fallback_rate: f64,
    /// The node's place in the ring: requests are coordinated over replicas.
    pub ring_node: Option<usize>,
}

/// The answer frames to one request (several for a streamed key listing), and what it cost.
pub fn answer(ctx: &Ctx, code: u8, body: &[u8]) -> (Vec<Vec<u8>>, Op) {
    let Some(msg) = Msg::parse(body) else {
        return (
            vec![error_frame("could not decode the request")],
            Op::Trivial,
        );
    };
    let db = ctx.db;
    let op = match code {
        11 | 13 => Op::Put,
        17 | 19 | 25 => Op::Meta,
        _ => Op::Trivial,
    };
    let result = match code {
        1 => Ok(vec![frame(2, &[])]),
        7 => {
            let info = Out::default()
                .bytes(1, ctx.node.as_bytes())
                .bytes(2, b"3.2.3-standin")
                .0
                .clone();
            Ok(vec![frame(8, &info)])
        }
        9 => return get(ctx, &msg),
        11 => put(ctx, &msg),
        13 => delete(ctx, &msg),
        17 => list_keys(db, &msg),
        19 => bucket_props(db, &msg),
        25 => index(db, &msg),
        other => Err(unknown_code(other)),
    };
    (result.unwrap_or_else(|msg| vec![error_frame(&msg)]), op)
}

/// The key a request names (field 2), as text, for the record of requests a starting node got.
pub fn key_of(body: &[u8]) -> String {
    let key = Msg::parse(body).and_then(|m| m.bytes(2).map(<[u8]>::to_vec));
    String::from_utf8_lossy(&key.unwrap_or_default()).into_owned()
}

/// Riak's answer to a message code it does not serve (also every KV code while it starts).
pub fn unknown_code(code: u8) -> String {
    format!("Unknown message code: {code}")
}

fn need<'a>(msg: &'a Msg, number: u32, what: &str) -> Result<&'a [u8], String> {
    msg.bytes(number).ok_or_else(|| format!("missing {what}"))
}

/// `RpbContent` entries and the vclock: the shared body of `RpbGetResp` and `RpbPutResp`.
fn object_body(object: &Object, head: bool) -> Out {
    let mut out = Out::default();
    for sib in object.live() {
        let mut content = Out::default();
        content.bytes(1, if head { b"" } else { &sib.value });
        content
            .bytes(2, &sib.content_type)
            .bytes(5, sib.vtag.as_bytes());
        content
            .int(7, sib.last_mod.0.into())
            .int(8, sib.last_mod.1.into());
        out.bytes(1, &content.0);
    }
    out.bytes(2, &object.vclock());
    out
}

fn get(ctx: &Ctx, msg: &Msg) -> (Vec<Vec<u8>>, Op) {
    match get_object(ctx, msg) {
        Ok(answer) => answer,
        Err(msg) => (vec![error_frame(&msg)], Op::Trivial),
    }
}

/// `RpbGetReq`: field 6 `notfound_ok` (default true), 8 `head`, 9 `deletedvclock`.
fn get_object(ctx: &Ctx, msg: &Msg) -> Result<(Vec<Vec<u8>>, Op), String> {
    let bucket = Bucket::new(msg.bytes(13), need(msg, 1, "bucket")?);
    let key = need(msg, 2, "key")?;
    let object = match ctx.ring_node {
        None => ctx.db.get(&bucket, key)?,
        Some(node) => match ctx.db.fetch(node, &bucket, key, &get_options(msg))? {
            Ok(object) => object,
            Err(failure) => return Ok((vec![error_frame(&failure.pbc())], Op::Trivial)),
        },
    };
    let notfound_ok = msg.int(6).is_none_or(|v| v != 0);
    let live = object.as_ref().is_some_and(|o| !o.live().is_empty());
    let op = match (msg.flag(8), live || notfound_ok) {
        (true, _) => Op::Head,
        (false, true) => Op::Get,
        (false, false) => Op::AbsentStrict,
    };
    if live && ctx.ring_node.is_none() {
        match ctx.db.cluster().read(ctx.fallback_rate, notfound_ok) {
            Outcome::Value => {}
            Outcome::NotFound => return Ok((vec![frame(10, &[])], op)),
            Outcome::Unavailable => return Ok((vec![error_frame("timeout")], op)),
        }
    }
    let body = match object {
        Some(o) if live => object_body(&o, msg.flag(8)).0,
        // A tombstone: nothing, or only its vclock when asked for.
        Some(o) if msg.flag(9) => Out::default().bytes(2, &o.vclock()).0.clone(),
        _ => Vec::new(),
    };
    Ok((vec![frame(10, &body)], op))
}

/// `RpbGetBucketReq` (bucket 1, type 2) → `RpbGetBucketResp` with `RpbBucketProps` at 1:
/// `n_val` 1, `allow_mult` 2, `last_write_wins` 3.
fn bucket_props(db: &Db, msg: &Msg) -> Result<Vec<Vec<u8>>, String> {
    let bucket = Bucket::new(msg.bytes(2), need(msg, 1, "bucket")?);
    let allow_mult = db.bucket_allow_mult(&bucket)?;
    let props = Out::default()
        .int(1, 3)
        .int(2, allow_mult.into())
        .int(3, 0)
        .0
        .clone();
    Ok(vec![frame(20, &Out::default().bytes(1, &props).0)])
}

fn seen(vclock: Option<&[u8]>) -> Result<Option<u64>, String> {
    vclock
        .map(|v| parse_vclock(v).ok_or_else(|| "bad vclock: not one this cluster made".to_string()))
        .transpose()
}

/// `RpbGetReq` quorum fields: 3 `r`, 4 `pr`, 5 `basic_quorum`, 6 `notfound_ok`, 10 `timeout`.
fn get_options(msg: &Msg) -> GetOptions {
    GetOptions {
        r: Quorum::from_pbc(msg.int(3)),
        pr: Quorum::from_pbc(msg.int(4)),
        basic_quorum: msg.int(5).map(|v| v != 0),
        notfound_ok: msg.int(6).map(|v| v != 0),
        timeout: msg.int(10).map(Duration::from_millis),
    }
}

/// Quorum fields by number (`RpbPutReq`: w 5, dw 6, pw 8, timeout 12; `RpbDelReq`: w 6,
/// dw 9, pw 8, timeout 10).
fn put_options(msg: &Msg, [w, dw, pw, timeout]: [u32; 4]) -> PutOptions {
    PutOptions {
        w: Quorum::from_pbc(msg.int(w)),
        dw: Quorum::from_pbc(msg.int(dw)),
        pw: Quorum::from_pbc(msg.int(pw)),
        timeout: msg.int(timeout).map(Duration::from_millis),
    }
}

/// `RpbDelReq`'s quorum fields; `rw` (3), the quorum of a delete in older clients, stands
/// for `w` when that is unset.
fn delete_options(msg: &Msg) -> PutOptions {
    let mut options = put_options(msg, [6, 9, 8, 10]);
    if msg.int(6).is_none() {
        options.w = Quorum::from_pbc(msg.int(3));
    }
    options
}

fn put(ctx: &Ctx, msg: &Msg) -> Result<Vec<Vec<u8>>, String> {
    let db = ctx.db;
    let bucket = Bucket::new(msg.bytes(16), need(msg, 1, "bucket")?);
    let content = Msg::parse(need(msg, 4, "content")?).ok_or("bad content")?;
    let value = need(&content, 1, "value")?.to_vec();
    let content_type = content
        .bytes(2)
        .unwrap_or(b"application/octet-stream")
        .to_vec();
    // Riak would make up a key; phonebook always names one, so the stand-in asks for it.
    let key = need(msg, 2, "key (the stand-in does not generate keys)")?;
    let seen = seen(msg.bytes(3))?;
    let object = match ctx.ring_node {
        None => db.put(&bucket, key, value, content_type, seen, false)?,
        Some(node) => {
            let write = Write {
                value,
                content_type,
                seen,
                deleted: false,
            };
            match db.store(node, &bucket, key, write, &put_options(msg, [5, 6, 8, 12]))? {
                Ok(object) => object,
                Err(failure) => return Ok(vec![error_frame(&failure.pbc())]),
            }
        }
    };
    let body = match (msg.flag(7), msg.flag(11)) {
        (true, _) => object_body(&object, false),
        (false, true) => object_body(&object, true),
        _ => Out::default(),
    };
    Ok(vec![frame(12, &body.0)])
}

fn delete(ctx: &Ctx, msg: &Msg) -> Result<Vec<Vec<u8>>, String> {
    let db = ctx.db;
    let bucket = Bucket::new(msg.bytes(13), need(msg, 1, "bucket")?);
    let key = need(msg, 2, "key")?;
    if let Some(node) = ctx.ring_node {
        let seen = seen(msg.bytes(4))?;
        let write = Write {
            value: Vec::new(),
            content_type: Vec::new(),
            seen,
            deleted: true,
        };
        if let Err(failure) = db.store(node, &bucket, key, write, &delete_options(msg))? {
            return Ok(vec![error_frame(&failure.pbc())]);
        }
        return Ok(vec![frame(14, &[])]);
    }
    if db.get(&bucket, key)?.is_some() {
        db.put(
            &bucket,
            key,
            Vec::new(),
            Vec::new(),
            seen(msg.bytes(4))?,
            true,
        )?;
    }
    Ok(vec![frame(14, &[])])
}

fn list_keys(db: &Db, msg: &Msg) -> Result<Vec<Vec<u8>>, String> {
    let bucket = Bucket::new(msg.bytes(3), need(msg, 1, "bucket")?);
    let (keys, _) = db.key_range(&bucket, b"", &[0xFF; 64], None, 0)?;
    let mut frames: Vec<Vec<u8>> = keys
        .chunks(100)
        .map(|chunk| {
            let mut out = Out::default();
            for key in chunk {
                out.bytes(1, key);
            }
            frame(18, &out.0)
        })
        .collect();
    frames.push(frame(18, &Out::default().int(2, 1).0));
    Ok(frames)
}

fn index(db: &Db, msg: &Msg) -> Result<Vec<Vec<u8>>, String> {
    let bucket = Bucket::new(msg.bytes(12), need(msg, 1, "bucket")?);
    if need(msg, 2, "index")? != b"$key" {
        return Err("the stand-in only has the $key index".into());
    }
    let (min, max) = match msg.int(3) {
        Some(0) => (need(msg, 4, "key")?, need(msg, 4, "key")?),
        Some(1) => (need(msg, 5, "range_min")?, need(msg, 6, "range_max")?),
        _ => return Err("qtype must be eq or range".into()),
    };
    let limit = msg.int(9).unwrap_or(0) as usize;
    let (keys, more) = db.key_range(&bucket, min, max, msg.bytes(10), limit)?;
    let mut out = Out::default();
    for key in &keys {
        out.bytes(1, key);
    }
    if more {
        out.bytes(3, keys.last().expect("more implies some"));
    }
    if msg.flag(8) {
        // Streamed: the keys, then a last frame with done.
        let done = frame(26, &Out::default().int(4, 1).0);
        return Ok(vec![frame(26, &out.0), done]);
    }
    Ok(vec![frame(26, &out.0)])
}
