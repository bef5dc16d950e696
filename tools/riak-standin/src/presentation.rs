//! How the HTTP API shows an object (one value, siblings as 300 Multiple Choices, plain or
//! multipart, a tombstone as 404 with `X-Riak-Deleted`), and what a read costs in the real
//! profile.

use crate::encoding::{base64, http_date};
use crate::model::Op;
use crate::object::Object;
use crate::request::Request;
use crate::response::Response;

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
