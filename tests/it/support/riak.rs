//! Helpers for the Riak tests: the captured vectors, a replaying node, a plain protobuf field
//! reader (independent of the client's codec), and services on stand-in nodes.

use crate::support::{temp_dir, Service};
use phonebook::contact::Contact;
use phonebook::store::riak::wire::read_frame;
use phonebook::store::riak::{Api, Quorums, Riak, Settings, WriteMode};
use phonebook::store::Store;
use riak_standin::{Standin, StandinOptions};
use serde_json::Value;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

/// A capture of a real Riak node's exchanges, kept as test data in `tests/data/riak/`.
pub fn captures(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/riak")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the Riak capture {}: {e}", path.display()));
    serde_json::from_str(&text).expect("captures are JSON")
}

/// The store settings the captured requests were made with: Riak's defaults (no quorum value
/// or timeout sent, one try), and a put that reads the vclock first (no bucket properties read
/// at start-up).
pub fn capture_settings() -> Settings {
    Settings {
        write: WriteMode::ReadFirst,
        notfound_ok: true,
        quorums: riak_defaults(),
        ..Settings::new("phonebook_vectors", Duration::from_secs(2), 1)
    }
}

/// The quorum settings that send nothing (Riak's defaults, its 60 s timeout) in one try: the
/// policy before quorum tries.
pub fn riak_defaults() -> Quorums {
    Quorums::previous()
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

/// The fields of a protobuf body as (number, bytes), read without the client's codec: the
/// contents of a length-delimited field, or the encoded bytes of a varint.
pub fn proto_fields(mut body: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let tag = varint(&mut body);
        match tag & 7 {
            0 => {
                let before = body;
                varint(&mut body);
                out.push((tag >> 3, before[..before.len() - body.len()].to_vec()));
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

/// The two APIs, by their URL scheme.
pub const APIS: [&str; 2] = ["pbc", "http"];

/// `n` stand-in nodes sharing one cluster's data.
pub fn cluster(n: usize, options: StandinOptions) -> Vec<Standin> {
    let first = Standin::start(options.clone()).expect("start a stand-in");
    let db = first.db();
    let mut nodes = vec![first];
    for _ in 1..n {
        let options = StandinOptions {
            db: Some(db.clone()),
            ..options.clone()
        };
        nodes.push(Standin::start(options).expect("start a stand-in"));
    }
    nodes
}

/// The address of a node's `api`.
pub fn addr_of(node: &Standin, api: &str) -> String {
    match api {
        "pbc" => node.pbc_addr.to_string(),
        _ => node.http_addr.to_string(),
    }
}

/// The service on these nodes through `api`, with a 300 ms store timeout. `mode` is "debug"
/// (one worker) or "production" (four).
pub fn riak_service(tag: &str, api: &str, nodes: &[&Standin], mode: &str) -> Service {
    riak_service_with(tag, api, nodes, mode, "")
}

/// Like [`riak_service`], with more `[store]` lines.
pub fn riak_service_with(
    tag: &str,
    api: &str,
    nodes: &[&Standin],
    mode: &str,
    store: &str,
) -> Service {
    let addrs: Vec<String> = nodes.iter().map(|n| addr_of(n, api)).collect();
    riak_service_at(tag, api, &addrs, mode, store)
}

/// Like [`riak_service_with`], on nodes at these addresses.
pub fn riak_service_at(tag: &str, api: &str, addrs: &[String], mode: &str, store: &str) -> Service {
    let dir = temp_dir(&format!("riak-{tag}-{api}"));
    let config = dir.join("phonebook.toml");
    // `store` may set its own timeout (a test under load that does not test the timeout).
    let timeout = if store.contains("timeout_ms") {
        ""
    } else {
        "timeout_ms = 300\n"
    };
    let text = format!(
        "[server]\nmode = \"{mode}\"\nthreads = 4\n\n[store]\nurl = \"{api}://{}\"\n{timeout}{store}",
        addrs.join(",")
    );
    std::fs::write(&config, text).unwrap();
    Service::start(&["--config", config.to_str().unwrap()]).owning(dir)
}

/// An HTTP client with a short timeout that keeps its connections, for request loops.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into()
}

/// Status and body of a request made with `agent`.
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    form: Option<(&str, &str)>,
) -> (u16, String) {
    let result = match (method, form) {
        ("POST", Some((name, number))) => agent
            .post(url)
            .send_form([("name", name), ("number", number)]),
        _ => agent.get(url).call(),
    };
    match result {
        Ok(mut resp) => (
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap_or_default(),
        ),
        Err(err) => (0, err.to_string()),
    }
}

/// A raw request to a stand-in's HTTP API: status, headers (lowercase names) and body.
pub fn riak_http(
    node: &Standin,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let url = format!("http://{}{path}", node.http_addr);
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req.body(body.to_string()).unwrap();
    let mut resp = client().run(req).expect("the stand-in answers");
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (
        resp.status().as_u16(),
        headers,
        resp.body_mut().read_to_string().unwrap_or_default(),
    )
}

/// Store settings for the tests: these write and read modes, a 5 s deadline (generous: a
/// loaded machine must not fail a test by a timeout it does not test), 4 sockets per node.
pub fn settings(write: WriteMode, notfound_ok: bool) -> Settings {
    Settings {
        write,
        notfound_ok,
        ..Settings::new("phonebook", Duration::from_secs(5), 4)
    }
}

/// A store (no service around it) on these nodes through `api`.
pub fn store_on(api: &str, nodes: &[&Standin], write: WriteMode, notfound_ok: bool) -> Riak {
    let addrs: Vec<String> = nodes.iter().map(|n| addr_of(n, api)).collect();
    store_at(api, &addrs, &settings(write, notfound_ok))
}

/// Like [`store_on`], with the policy before quorum tries ([`riak_defaults`]): one try,
/// retried on the other nodes.
pub fn store_previous(api: &str, nodes: &[&Standin], write: WriteMode, notfound_ok: bool) -> Riak {
    let addrs: Vec<String> = nodes.iter().map(|n| addr_of(n, api)).collect();
    let settings = Settings {
        quorums: riak_defaults(),
        ..settings(write, notfound_ok)
    };
    store_at(api, &addrs, &settings)
}

/// The `[store]` lines of the policy before quorum tries: Riak's defaults, no Riak timeout,
/// one try retried on the other nodes.
pub const PREVIOUS_POLICY: &str =
    "riak_timeout_ms = 0\nsecond_try = false\nr = \"default\"\nw = \"default\"\ndw = \"default\"\n";

/// A store on these addresses through `api`.
pub fn store_at(api: &str, addrs: &[String], settings: &Settings) -> Riak {
    let api = if api == "pbc" { Api::Pbc } else { Api::Http };
    Riak::open(api, addrs, settings)
}

/// The state (`up`/`down`) of each node in a store's health details.
pub fn states(store: &Riak) -> Vec<String> {
    let health = store.health();
    let nodes = health.detail["nodes"].as_array().expect("nodes").iter();
    nodes.map(|n| n["state"].as_str().unwrap().into()).collect()
}

/// Waits (up to `limit`) until every node of the store is up; true when they are.
pub fn all_up(store: &Riak, limit: Duration) -> bool {
    crate::support::poll(limit, || states(store).iter().all(|s| s == "up"))
}

/// A contact for test number `i`.
pub fn person(i: usize) -> Contact {
    Contact::parse(&format!("Person {i:03}"), &format!("+358{i:06}")).unwrap()
}

/// The state (`up`/`down`) of each Riak node in the service's `/healthz`.
pub fn node_states(svc: &Service) -> Vec<String> {
    let (_, body) = call(&client(), "GET", &svc.url("/healthz"), None);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let nodes = json["store"]["nodes"]
        .as_array()
        .expect("nodes in /healthz")
        .iter();
    nodes
        .map(|n| n["state"].as_str().unwrap().to_string())
        .collect()
}
