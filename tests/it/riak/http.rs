//! The HTTP client against the exchanges captured from a real Riak (`tests/data/riak/http.json`):
//! a replaying node answers with the captured responses, and checks that each request the store
//! sends has the captured request line, headers and body.

use crate::support::riak::{capture_settings, captures};
use phonebook::contact::Contact;
use phonebook::error::Error;
use phonebook::store::riak::{Api, Riak};
use phonebook::store::Store;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one request must be, and the raw response it gets.
struct Step {
    line: String,
    headers: Vec<(&'static str, String)>,
    body: String,
    response: String,
}

/// Shared between the connection threads: the script left, and what went wrong.
#[derive(Default)]
struct Replay {
    steps: Vec<Step>,
    mismatches: Vec<String>,
}

/// Answers requests from the script, on as many connections as the client opens.
fn replay_server(steps: Vec<Step>) -> (String, Arc<Mutex<Replay>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let replay = Arc::new(Mutex::new(Replay {
        steps,
        mismatches: Vec::new(),
    }));
    let shared = replay.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let shared = shared.clone();
            std::thread::spawn(move || serve(stream, &shared));
        }
    });
    (addr, replay)
}

fn serve(stream: TcpStream, replay: &Mutex<Replay>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_string());
        }
        let header = |name: &str| {
            let prefix = format!("{}:", name.to_ascii_lowercase());
            let found = head
                .iter()
                .find(|l| l.to_ascii_lowercase().starts_with(&prefix));
            found.map(|l| l[prefix.len()..].trim().to_string())
        };
        let len = header("content-length").map_or(0, |l| l.parse().unwrap());
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).unwrap();
        let mut state = replay.lock().unwrap();
        if state.steps.is_empty() {
            state
                .mismatches
                .push(format!("unexpected request {}", head[0]));
            return;
        }
        let step = state.steps.remove(0);
        let mut wrong = Vec::new();
        if head[0] != step.line {
            wrong.push(format!("line {:?}, want {:?}", head[0], step.line));
        }
        for (name, want) in &step.headers {
            let got = header(name).unwrap_or_default();
            if !got.contains(want.as_str()) {
                wrong.push(format!("{name}: {got:?}, want {want:?}"));
            }
        }
        if body != step.body.as_bytes() {
            wrong.push(format!(
                "body {:?}, want {:?}",
                String::from_utf8_lossy(&body),
                step.body
            ));
        }
        state
            .mismatches
            .extend(wrong.into_iter().map(|w| format!("{}: {w}", step.line)));
        drop(state);
        let mut response = step.response;
        if head[0].starts_with("HEAD ") {
            // A HEAD answer has the GET answer's headers and no body.
            response.truncate(response.find("\r\n\r\n").unwrap() + 4);
        }
        writer.write_all(response.as_bytes()).unwrap();
    }
}

/// The captured raw request and response of an exchange.
fn captured(all: &Value, name: &str) -> (String, String) {
    let list = all["exchanges"].as_array().unwrap();
    let ex = list
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name}"));
    let text = |k: &str| ex[k].as_str().unwrap().to_string();
    (text("request"), text("response"))
}

/// A captured request's first line, one header's value, and body.
fn parts(request: &str) -> (String, impl Fn(&str) -> String + '_, String) {
    let (head, body) = request.split_once("\r\n\r\n").unwrap();
    let line = head.lines().next().unwrap().to_string();
    let header = move |name: &str| {
        let prefix = format!("{name}: ");
        let found = head.lines().find_map(|l| l.strip_prefix(prefix.as_str()));
        found
            .unwrap_or_else(|| panic!("{name} in {request}"))
            .to_string()
    };
    (line, header, body.to_string())
}

fn vclock_of(response: &str) -> String {
    let found = response
        .lines()
        .find_map(|l| l.strip_prefix("X-Riak-Vclock: "));
    found.expect("a vclock").to_string()
}

fn step(line: &str, headers: Vec<(&'static str, String)>, body: &str, response: &str) -> Step {
    let (line, body, response) = (line.to_string(), body.to_string(), response.to_string());
    Step {
        line,
        headers,
        body,
        response,
    }
}

#[test]
fn the_http_client_speaks_like_the_captures() {
    let all = captures("http.json");
    let (get_req, found) = captured(&all, "get_found");
    let (_, tombstone) = captured(&all, "get_after_delete");
    let (_, not_found) = captured(&all, "get_not_found");
    let (put_req, no_content) = captured(&all, "put_new");
    let (vclock_put_req, _) = captured(&all, "put_with_vclock_returnbody");
    let (_, siblings) = captured(&all, "get_siblings_multipart");
    let (_, plain_siblings) = captured(&all, "get_siblings_plain");
    let (index_req, index) = captured(&all, "index_key_range");
    let (get_line, _, _) = parts(&get_req);
    let (put_line, put_header, put_body) = parts(&put_req);
    let (vclock_line, vclock_header, new_body) = parts(&vclock_put_req);
    assert_eq!(vclock_line.replace("?returnbody=true", ""), put_line);
    let head_line = get_line.replace("GET ", "HEAD ");
    let json = || ("Content-Type", put_header("Content-Type"));
    let sam_line = "GET /buckets/phonebook_vectors/keys/Sibling%20Sam HTTP/1.1";
    let sam_put = "PUT /buckets/phonebook_vectors/keys/Sibling%20Sam HTTP/1.1";
    let sam_body = r#"{"name":"Sibling Sam","number":"+3582"}"#;
    let index_path = index_req
        .split(' ')
        .nth(1)
        .unwrap()
        .split("/index/")
        .next()
        .unwrap();
    let index_line = format!("GET {index_path}/index/$key/%20/%FF?max_results=10 HTTP/1.1");
    let script = vec![
        step(&get_line, vec![], "", &found),
        step(&get_line, vec![], "", &tombstone),
        // A put: read the vclock (head only), send it back with the value.
        step(&head_line, vec![], "", &found),
        step(
            &put_line,
            vec![json(), ("X-Riak-Vclock", vclock_header("X-Riak-Vclock"))],
            &new_body,
            &no_content,
        ),
        // After a delete, the tombstone's vclock goes with the next put.
        step(&head_line, vec![], "", &tombstone),
        step(
            &put_line,
            vec![json(), ("X-Riak-Vclock", vclock_of(&tombstone))],
            &put_body,
            &no_content,
        ),
        step(
            sam_line,
            vec![("Accept", "multipart/mixed".into())],
            "",
            &siblings,
        ),
        step(
            sam_put,
            vec![json(), ("X-Riak-Vclock", vclock_of(&siblings))],
            sam_body,
            &no_content,
        ),
        step(sam_line, vec![], "", &plain_siblings),
        step(&index_line, vec![], "", &index),
        step(&get_line, vec![], "", &found),
        // Health asks whether the node serves data: a get (here a HEAD) of a probe key.
        step(
            "HEAD /buckets/phonebook_vectors/keys/phonebook-readiness-probe HTTP/1.1",
            vec![],
            "",
            &not_found,
        ),
    ];
    let (addr, replay) = replay_server(script);
    let store = Riak::open(Api::Http, &[addr], &capture_settings());
    let number = |name: &str| store.get(name).unwrap().map(|c| c.number);
    assert_eq!(number("John Doe").as_deref(), Some("+358408053254"));
    assert_eq!(
        number("John Doe"),
        None,
        "404 with X-Riak-Deleted is not found"
    );
    store
        .put(&Contact::parse("John Doe", "+358401111111").unwrap())
        .unwrap();
    store
        .put(&Contact::parse("John Doe", "+358408053254").unwrap())
        .unwrap();
    // Both siblings carry the same second: the larger value wins, the same on every reader.
    assert_eq!(number("Sibling Sam").as_deref(), Some("+3582"));
    let err = store.get("Sibling Sam").unwrap_err();
    assert!(
        matches!(err, phonebook::error::Error::Store { .. }),
        "siblings without their values cannot be resolved: {err}"
    );
    let listed = store.list(None, "", 10).unwrap();
    assert_eq!(
        listed,
        [Contact::parse("John Doe", "+358408053254").unwrap()]
    );
    assert!(store.health().ok);
    let state = replay.lock().unwrap();
    assert!(state.mismatches.is_empty(), "{:#?}", state.mismatches);
    assert!(state.steps.is_empty(), "{} steps left", state.steps.len());
}

#[test]
fn a_delete_reads_first_and_sends_the_captured_delete_with_the_vclock_it_read() {
    let all = captures("http.json");
    let (get_req, found) = captured(&all, "get_found");
    let (delete_req, no_content) = captured(&all, "delete");
    let (_, tombstone) = captured(&all, "get_after_delete");
    let (get_line, _, _) = parts(&get_req);
    let (delete_line, _, _) = parts(&delete_req);
    let script = vec![
        step(&get_line, vec![], "", &found),
        step(
            &delete_line,
            vec![("X-Riak-Vclock", vclock_of(&found))],
            "",
            &no_content,
        ),
        // A tombstone: nothing to delete, so no DELETE is sent.
        step(&get_line, vec![], "", &tombstone),
    ];
    let (addr, replay) = replay_server(script);
    let store = Riak::open(Api::Http, &[addr], &capture_settings());
    assert!(store.delete("John Doe").unwrap(), "it existed");
    assert!(
        !store.delete("John Doe").unwrap(),
        "a tombstone is not found"
    );
    let state = replay.lock().unwrap();
    assert!(state.mismatches.is_empty(), "{:#?}", state.mismatches);
    assert!(state.steps.is_empty(), "{} steps left", state.steps.len());
}

#[test]
fn a_delete_answered_by_a_starting_node_is_not_taken_for_done() {
    let all = captures("http.json");
    let (get_req, found) = captured(&all, "get_found");
    let (delete_req, _) = captured(&all, "delete");
    // While it starts, a node's web server answers every path with an HTML 404 (startup.json):
    // it deleted nothing, unlike Riak's own text/plain 404 for a key already gone.
    let startup = captures("startup.json");
    let starting = startup["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["what"] == "http_get")
        .unwrap()["response"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(starting.starts_with("HTTP/1.1 404"), "{starting}");
    let script = vec![
        step(&parts(&get_req).0, vec![], "", &found),
        step(
            &parts(&delete_req).0,
            vec![("X-Riak-Vclock", vclock_of(&found))],
            "",
            &starting,
        ),
    ];
    let (addr, replay) = replay_server(script);
    let store = Riak::open(Api::Http, &[addr], &capture_settings());
    let answer = store.delete("John Doe");
    assert!(
        matches!(answer, Err(Error::StoreUnavailable(_))),
        "{answer:?}"
    );
    let state = replay.lock().unwrap();
    assert!(state.mismatches.is_empty(), "{:#?}", state.mismatches);
}
