//! The HTTP API's object requests in a ring cluster: the quorum values of the query (`r`,
//! `pr`, `basic_quorum`, `notfound_ok`, `w`, `dw`, `pw`, `timeout`) go to the coordinator, and
//! the answers are written as Riak's web server writes them, its 503s byte for byte.

use crate::coordinator::Write;
use crate::model::Op;
use crate::object::Bucket;
use crate::pb::Ctx;
use crate::presentation::{read_op, show};
use crate::quorum::{GetOptions, PutOptions, Quorum};
use crate::request::Request;
use crate::response::Response;
use std::time::Duration;

/// An object request in a ring cluster: coordinated over the key's replicas with the quorum
/// values of the query, answered with the bytes of Riak's web server.
pub(crate) fn object(
    ctx: &Ctx,
    node: usize,
    req: &Request,
    bucket: &Bucket,
    key: &[u8],
    seen: Option<u64>,
) -> Result<(Response, Op), String> {
    let db = ctx.db;
    let not_found = || Response::riak(404, "text/plain", "not found\n", false);
    let timeout = req
        .param("timeout")
        .and_then(|t| t.parse().ok())
        .map(Duration::from_millis);
    let get = GetOptions {
        r: Quorum::from_http(req.param("r")),
        pr: Quorum::from_http(req.param("pr")),
        basic_quorum: req.param("basic_quorum").map(|v| v == "true"),
        notfound_ok: req.param("notfound_ok").map(|v| v != "false"),
        timeout,
    };
    let put = PutOptions {
        // A delete's `rw` stands for `w` when that is unset.
        w: Quorum::from_http(req.param("w").or(req.param("rw"))),
        dw: Quorum::from_http(req.param("dw")),
        pw: Quorum::from_http(req.param("pw")),
        timeout,
    };
    match req.method.as_str() {
        "GET" | "HEAD" => {
            let object = match db.fetch(node, bucket, key, &get)? {
                Ok(object) => object,
                Err(failure) => return Ok((failure.http(None), Op::Trivial)),
            };
            let op = read_op(req, object.as_ref(), get.notfound_ok.unwrap_or(true));
            Ok(match object {
                None => (not_found(), op),
                Some(object) => (show(&object, req), op),
            })
        }
        "PUT" | "POST" => {
            let content_type = req
                .header("content-type")
                .ok_or("Missing Content-Type request header")?;
            let write = Write {
                value: req.body.clone(),
                content_type: content_type.into(),
                seen,
                deleted: false,
            };
            let object = match db.store(node, bucket, key, write, &put)? {
                Ok(object) => object,
                Err(failure) => return Ok((failure.http(Some(content_type)), Op::Trivial)),
            };
            if req.param("returnbody") == Some("true") {
                return Ok((show(&object, req), Op::Put));
            }
            Ok((Response::riak(204, "application/json", "", true), Op::Put))
        }
        "DELETE" => {
            match db.fetch(node, bucket, key, &get)? {
                Ok(Some(o)) if !o.live().is_empty() => {}
                Ok(_) => return Ok((not_found(), Op::Trivial)),
                Err(failure) => return Ok((failure.http(Some("text/plain")), Op::Trivial)),
            }
            let write = Write {
                value: Vec::new(),
                content_type: Vec::new(),
                seen,
                deleted: true,
            };
            match db.store(node, bucket, key, write, &put)? {
                Ok(_) => Ok((Response::riak(204, "text/html", "", true), Op::Put)),
                Err(failure) => Ok((failure.http(Some("text/plain")), Op::Trivial)),
            }
        }
        _ => Ok((
            Response::new(405, "text/plain", "method not allowed\n"),
            Op::Trivial,
        )),
    }
}
