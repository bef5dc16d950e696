//! The HTTP API of the stand-in: `/ping`, objects at `[/types/T]/buckets/B/keys/K` (GET, HEAD,
//! PUT, POST, DELETE) with `X-Riak-Vclock`, siblings as 300 Multiple Choices (multipart when
//! asked), tombstones as 404 with `X-Riak-Deleted`, `$key` index queries, bucket properties,
//! and the web server's HTML 404 a starting node gives for every path.

use crate::cluster::Read as Outcome;
use crate::encoding::{base64, json_string, unbase64, unescape};
use crate::model::Op;
use crate::object::{parse_vclock, Bucket};
use crate::pb::Ctx;
use crate::presentation::{read_op, show};
use crate::request::Request;
use crate::response::Response;

/// Answers one request, and says what it cost.
pub fn answer(ctx: &Ctx, req: &Request) -> (Response, Op) {
    let segments: Option<Vec<Vec<u8>>> = req.path.split('/').skip(1).map(unescape).collect();
    let Some(segments) = segments else {
        let bad = Response::new(400, "text/plain", "bad escape in path\n");
        return (bad, Op::Trivial);
    };
    let seg: Vec<&[u8]> = segments.iter().map(Vec::as_slice).collect();
    let not_found = || (Response::new(404, "text/plain", "not found\n"), Op::Trivial);
    let (kind, rest) = match seg.as_slice() {
        [b"ping"] => return (Response::new(200, "text/html", "OK"), Op::Trivial),
        [b"types", t, b"buckets", rest @ ..] => (Some(*t), rest),
        [b"buckets", rest @ ..] => (None, rest),
        _ => return not_found(),
    };
    let result = match rest {
        [b, b"keys", key] => object(ctx, req, &Bucket::new(kind, b), key),
        [b, b"index", b"$key", min, max] => index(ctx, req, &Bucket::new(kind, b), min, max),
        [b, b"props"] if req.method == "GET" => props(ctx, &Bucket::new(kind, b)),
        _ => return not_found(),
    };
    result.unwrap_or_else(|refusal| match refusal.as_str() {
        "no_type" => {
            let kind = String::from_utf8_lossy(kind.unwrap_or_default());
            let text = format!("Unknown bucket type: {kind}");
            (Response::new(404, "text/plain", text), Op::Trivial)
        }
        other => (
            Response::new(400, "text/plain", format!("{other}\n")),
            Op::Trivial,
        ),
    })
}

/// `GET /buckets/B/props`: the properties a client may rely on, as Riak names them.
fn props(ctx: &Ctx, bucket: &Bucket) -> Result<(Response, Op), String> {
    let allow_mult = ctx.db.bucket_allow_mult(bucket)?;
    let json = format!(
        "{{\"props\":{{\"name\":{},\"allow_mult\":{allow_mult},\"basic_quorum\":false,\
         \"dvv_enabled\":false,\"last_write_wins\":false,\"n_val\":3,\"notfound_ok\":true}}}}",
        json_string(bucket.name.as_bytes())
    );
    Ok((Response::new(200, "application/json", json), Op::Meta))
}

fn object(ctx: &Ctx, req: &Request, bucket: &Bucket, key: &[u8]) -> Result<(Response, Op), String> {
    let db = ctx.db;
    let seen = match req.header("x-riak-vclock") {
        None => None,
        Some(text) => Some(
            unbase64(text)
                .and_then(|v| parse_vclock(&v))
                .ok_or("bad vclock")?,
        ),
    };
    if let Some(node) = ctx.ring_node {
        return crate::http_ring::object(ctx, node, req, bucket, key, seen);
    }
    let not_found = || Response::new(404, "text/plain", "not found\n");
    match req.method.as_str() {
        "GET" | "HEAD" => {
            let object = db.get(bucket, key)?;
            let notfound_ok = req.param("notfound_ok") != Some("false");
            let op = read_op(req, object.as_ref(), notfound_ok);
            let live = object.as_ref().is_some_and(|o| !o.live().is_empty());
            if live {
                match db.cluster().read(ctx.fallback_rate, notfound_ok) {
                    Outcome::Value => {}
                    Outcome::NotFound => return Ok((not_found(), op)),
                    Outcome::Unavailable => {
                        let busy = Response::new(503, "text/plain", "request timed out\n");
                        return Ok((busy, op));
                    }
                }
            }
            Ok(match object {
                None => (not_found(), op),
                Some(object) => (show(&object, req), op),
            })
        }
        "PUT" | "POST" => {
            let content_type = req
                .header("content-type")
                .ok_or("Missing Content-Type request header")?;
            let value = req.body.clone();
            let object = db.put(bucket, key, value, content_type.into(), seen, false)?;
            if req.param("returnbody") == Some("true") {
                return Ok((show(&object, req), Op::Put));
            }
            Ok((Response::new(204, "application/json", ""), Op::Put))
        }
        "DELETE" => match db.get(bucket, key)? {
            Some(o) if !o.live().is_empty() => {
                db.put(bucket, key, Vec::new(), Vec::new(), seen, true)?;
                Ok((Response::new(204, "text/html", ""), Op::Put))
            }
            _ => Ok((not_found(), Op::Trivial)),
        },
        _ => Ok((
            Response::new(405, "text/plain", "method not allowed\n"),
            Op::Trivial,
        )),
    }
}

fn index(
    ctx: &Ctx,
    req: &Request,
    bucket: &Bucket,
    min: &[u8],
    max: &[u8],
) -> Result<(Response, Op), String> {
    let limit = req
        .param("max_results")
        .map_or(Ok(0), str::parse)
        .map_err(|_| "bad max_results")?;
    let after = match req.param("continuation") {
        Some(c) => Some(unbase64(c).ok_or("bad continuation")?),
        None => None,
    };
    let (keys, more) = ctx
        .db
        .key_range(bucket, min, max, after.as_deref(), limit)?;
    let list: Vec<String> = keys.iter().map(|k| json_string(k)).collect();
    let mut json = format!("{{\"keys\":[{}]", list.join(","));
    if let (true, Some(last)) = (more, keys.last()) {
        json.push_str(&format!(",\"continuation\":\"{}\"", base64(last)));
    }
    json.push('}');
    Ok((Response::new(200, "application/json", json), Op::Meta))
}
