//! The HTTP API of the stand-in: `/ping`, objects at `[/types/T]/buckets/B/keys/K` (GET, HEAD,
//! PUT, POST, DELETE) with `X-Riak-Vclock`, siblings as 300 Multiple Choices (multipart when
//! asked), tombstones as 404 with `X-Riak-Deleted`, `$key` index queries, bucket properties,
//! and the web server's HTML 404 a starting node gives for every path.

use crate::cluster::Read as Outcome;
use crate::db::{parse_vclock, Bucket, Object};
use crate::encoding::{base64, http_date, json_string, unbase64, unescape};
use crate::model::Op;
use crate::pb::Ctx;
use crate::response::Response;
use std::io::{self, BufRead, Read};

/// The largest request line plus headers, and body, read.
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 1 << 20;

/// One parsed request.
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
    }

    /// Whether the client asked to close the connection after this answer.
    pub fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Reads one request; `None` when the client closed the connection between requests.
pub fn read_request(r: &mut impl BufRead) -> io::Result<Option<Request>> {
    let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_string());
    let mut lines = Vec::new();
    let mut size = 0;
    loop {
        let mut line = String::new();
        let n = r
            .by_ref()
            .take((MAX_HEAD - size) as u64)
            .read_line(&mut line)?;
        if n == 0 {
            return if lines.is_empty() {
                Ok(None)
            } else {
                Err(bad("cut short"))
            };
        }
        size += n;
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            break;
        }
        if size >= MAX_HEAD {
            return Err(bad("head too large"));
        }
        lines.push(line);
    }
    let mut first = lines[0].split(' ');
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut req = Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .map_or(Ok(0), str::parse)
        .map_err(|_| bad("length"))?;
    if len > MAX_BODY {
        return Err(bad("body too large"));
    }
    req.body = vec![0; len];
    r.read_exact(&mut req.body)?;
    Ok(Some(req))
}

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

/// What a read costs: a head, a value, or a wait for every replica of an absent name.
pub(crate) fn read_op(req: &Request, object: Option<&Object>, notfound_ok: bool) -> Op {
    let live = object.is_some_and(|o| !o.live().is_empty());
    match (req.method == "HEAD", live || notfound_ok) {
        (true, _) => Op::Head,
        (false, true) => Op::Get,
        (false, false) => Op::AbsentStrict,
    }
}

/// An object as Riak shows it: one value, siblings, or a tombstone.
pub(crate) fn show(object: &Object, req: &Request) -> Response {
    let vclock = base64(&object.vclock());
    let live = object.live();
    let response = match live.as_slice() {
        [] => Response::new(404, "text/plain", "not found\n").with("X-Riak-Deleted", "true".into()),
        [one] => Response::new(
            200,
            &String::from_utf8_lossy(&one.content_type),
            one.value.clone(),
        )
        .with("ETag", format!("\"{}\"", one.vtag))
        .with("Last-Modified", http_date(one.last_mod.0)),
        many if req
            .header("accept")
            .is_some_and(|a| a.contains("multipart/mixed")) =>
        {
            let boundary = format!("StandinSiblings{:x}", object.version);
            let mut body = Vec::new();
            for sib in many {
                let head = format!(
                    "\r\n--{boundary}\r\nContent-Type: {}\r\nEtag: {}\r\nLast-Modified: {}\r\n\r\n",
                    String::from_utf8_lossy(&sib.content_type),
                    sib.vtag,
                    http_date(sib.last_mod.0)
                );
                body.extend_from_slice(head.as_bytes());
                body.extend_from_slice(&sib.value);
            }
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            Response::new(300, &format!("multipart/mixed; boundary={boundary}"), body)
        }
        many => {
            let list: String = many.iter().map(|s| format!("{}\n", s.vtag)).collect();
            Response::new(300, "text/plain", format!("Siblings:\n{list}"))
        }
    };
    let response = match live.iter().map(|s| s.last_mod).max() {
        // Riak tags a 300 as a whole too: an ETag of the object and its latest change.
        Some(newest) if live.len() > 1 => response
            .with("ETag", format!("\"obj{:x}\"", object.version))
            .with("Last-Modified", http_date(newest.0)),
        _ => response,
    };
    response.with("X-Riak-Vclock", vclock)
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
