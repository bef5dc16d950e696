//! End-to-end tests of the service on its embedded store, over real HTTP: the pages, the JSON
//! API, the aliases, every error case, persistence, modes and start-up errors.

use crate::support::*;
use std::process::Command;

const JOHN: &str = r#"{"name":"John Doe","number":"+358408053254"}"#;

fn start(tag: &str) -> (Service, TempDir) {
    let dir = temp_dir(tag);
    (Service::start(&["--store", &embedded_arg(&dir)]), dir)
}

#[test]
fn form_is_served_and_contacts_round_trip() {
    let (svc, _dir) = start("roundtrip");
    let form = get(&svc.url("/"));
    assert_eq!(form.status, 200);
    assert!(form.content_type.starts_with("text/html"));
    assert!(form.body.contains("name=\"name\"") && form.body.contains("name=\"number\""));
    assert!(form.body.contains("action=\"/contacts\""));
    assert_eq!(form.header("x-content-type-options"), Some("nosniff"));
    assert!(form
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));

    let saved = post_form(&svc.url("/contacts"), "John Doe", "+358 40 805 3254");
    assert_eq!((saved.status, saved.body.as_str()), (200, JOHN));
    let got = get(&svc.url("/contacts/John%20Doe"));
    assert_eq!(got.status, 200);
    assert_eq!(got.content_type, "application/json");
    assert_eq!(got.body, JOHN);
}

#[test]
fn json_posts_overwrite_and_aliases_work() {
    let (svc, _dir) = start("alias");
    let first = post(
        &svc.url("/contacts"),
        "application/json",
        r#"{"name":"Åsa Öberg","number":"040 123 4567"}"#,
    );
    assert_eq!(first.body, r#"{"name":"Åsa Öberg","number":"0401234567"}"#);
    let second = post_form(&svc.url("/add/handle/"), "  Åsa Öberg ", "+46 70 111 22 33");
    assert_eq!(second.status, 200);
    let got = get(&svc.url("/get/%C3%85sa%20%C3%96berg"));
    assert_eq!(got.body, r#"{"name":"Åsa Öberg","number":"+46701112233"}"#);
    assert_eq!(
        get(&svc.url("/contacts/%C3%85sa%20%C3%96berg")).body,
        got.body
    );
    let list = get(&svc.url("/contacts")).json();
    assert_eq!(
        list["contacts"].as_array().unwrap().len(),
        1,
        "overwritten, not added"
    );
    let add = get(&svc.url("/add/"));
    assert_eq!(add.status, 200);
    assert!(add.body.contains("<form"));
}

#[test]
fn every_error_is_a_clear_json_4xx_and_stores_nothing() {
    let (svc, _dir) = start("errors");
    let url = svc.url("/contacts");
    let long_name = "x".repeat(101);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("", "12345", "name"),
        ("   ", "12345", "name"),
        (&long_name, "12345", "name"),
        ("a/b", "12345", "name"),
        ("tab\tname", "12345", "name"),
        ("Bad Number", "12", "number"),
        ("Bad Number", "1234567890123456", "number"),
        ("Bad Number", "12ab34", "number"),
        ("Bad Number", "", "number"),
    ];
    for (name, number, field) in &cases {
        let reply = post_form(&url, name, number);
        assert_eq!(reply.status, 400, "{name:?} {number:?}");
        assert_eq!(reply.content_type, "application/json");
        let error = reply.json()["error"].as_str().unwrap().to_string();
        assert!(error.starts_with(field), "{error:?} should name {field}");
    }
    let json_cases = [
        ("application/json", "{\"name\": \"x\"}", 400),
        ("application/json", "not json", 400),
        ("application/json", "{\"name\": 1, \"number\": 2}", 400),
        (
            "application/x-www-form-urlencoded",
            "name=a&name=b&number=12345",
            400,
        ),
        (
            "application/x-www-form-urlencoded",
            "name=%FF&number=12345",
            400,
        ),
        ("text/plain", "name=a&number=12345", 415),
    ];
    for (content_type, body, status) in json_cases {
        let reply = post(&url, content_type, body);
        assert_eq!(reply.status, status, "{content_type} {body}");
        assert!(reply.json()["error"].is_string());
    }
    let huge = format!("name=Big&number=12345&pad={}", "x".repeat(20_000));
    let reply = post(&url, "application/x-www-form-urlencoded", &huge);
    assert_eq!(reply.status, 413);
    assert!(reply.json()["error"].as_str().unwrap().contains("16384"));

    let unknown = get(&svc.url("/nope/deeper"));
    assert_eq!(
        (unknown.status, unknown.json()["error"].as_str()),
        (404, Some("route not found"))
    );
    let missing = get(&svc.url("/contacts/Nobody%20Here"));
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].is_string());
    let wrong = reply_of(agent().put(&svc.url("/contacts/John")).send("x"));
    assert_eq!(wrong.0, 405);
    assert_eq!(wrong.1.as_deref(), Some("GET, HEAD, DELETE"));
    let absent = reply_of(agent().delete(&svc.url("/contacts/John")).call());
    assert_eq!(absent.0, 404, "a delete of a name never stored");
    let ask = reply_of(agent().get(&svc.url("/contacts/John/delete")).call());
    assert_eq!((ask.0, ask.1.as_deref()), (405, Some("POST")));
    let put = reply_of(agent().put(&svc.url("/contacts")).send("x"));
    assert_eq!((put.0, put.1.as_deref()), (405, Some("GET, HEAD, POST")));

    let list = get(&svc.url("/contacts")).json();
    assert_eq!(
        list["contacts"],
        serde_json::json!([]),
        "no error stored anything"
    );
}

fn reply_of(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Option<String>) {
    let r = r.unwrap();
    let allow = r
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), allow)
}

#[test]
fn a_huge_declared_body_is_refused_without_being_read() {
    let (svc, _dir) = start("huge");
    // The body is never sent: the answer must come from the headers alone.
    let head = "POST /contacts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Content-Length: 18446744073709551615\r\n\r\n";
    let answer = raw(&svc.addr, head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let expect = "POST /contacts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                  Expect: 100-continue\r\nContent-Length: 17000\r\n\r\n";
    let answer = raw(&svc.addr, expect.as_bytes());
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "no 100 Continue for a body over the limit"
    );
    assert_eq!(get(&svc.url("/healthz")).status, 200, "still serving");
}

#[test]
fn markup_in_names_is_escaped_in_html() {
    let (svc, _dir) = start("escape");
    // No `/` in it: names cannot hold one, so no closing tags.
    let name = "<script>alert(1)<img src=x onerror=alert(2)> & \"Bob\"";
    let reply = agent()
        .post(&svc.url("/contacts"))
        .header("Accept", "text/html")
        .send_form([("name", name), ("number", "12345")])
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body = reply.into_body().read_to_string().unwrap();
    assert!(!body.contains("<script>"), "{body}");
    assert!(body.contains(
        "&lt;script&gt;alert(1)&lt;img src=x onerror=alert(2)&gt; &amp; &quot;Bob&quot;"
    ));
    let list = get_with(&svc.url("/contacts"), ("Accept", "text/html"));
    assert!(list.content_type.starts_with("text/html"));
    assert!(
        !list.body.contains("<script>") && list.body.contains("&lt;script&gt;"),
        "{}",
        list.body
    );
    let path = format!("/contacts/{}", phonebook::url::encode_segment(name));
    let json = get(&svc.url(&path));
    assert_eq!(
        json.json()["name"],
        name,
        "JSON keeps the exact name: {json:?}"
    );
}

#[test]
fn writes_survive_a_restart_and_a_kill_9() {
    let dir = temp_dir("persist");
    let store = embedded_arg(&dir);
    let svc = Service::start(&["--store", &store]);
    assert_eq!(
        post_form(&svc.url("/contacts"), "Kept", "11111").status,
        200
    );
    assert!(svc.terminate().success(), "SIGTERM exits 0");

    let mut svc = Service::start(&["--store", &store, "--mode", "production", "--threads", "4"]);
    assert_eq!(get(&svc.url("/contacts/Kept")).json()["number"], "11111");
    assert_eq!(
        post_form(&svc.url("/contacts"), "Killed", "22222").status,
        200
    );
    svc.child.kill().unwrap(); // SIGKILL right after the answer
    svc.child.wait().unwrap();

    let svc = Service::start(&["--store", &store]);
    assert_eq!(get(&svc.url("/contacts/Killed")).json()["number"], "22222");
    assert_eq!(get(&svc.url("/contacts/Kept")).json()["number"], "11111");
}

#[test]
fn health_and_modes() {
    let (svc, _dir) = start("health");
    let health = get(&svc.url("/healthz"));
    assert_eq!(
        (health.status, health.json()["status"].as_str()),
        (200, Some("ok"))
    );
    let log = svc.wait_for_log("debug mode with 1 worker");
    assert!(log.contains("debug mode with 1 worker"), "{log}");
    let dir = temp_dir("prod");
    let store = embedded_arg(&dir);
    let svc = Service::start(&["--store", &store, "--mode", "production", "--threads", "3"]);
    let log = svc.wait_for_log("production mode with 3 worker");
    assert!(log.contains("production mode with 3 worker"), "{log}");
}

#[test]
fn debug_mode_logs_every_request() {
    // The mode's own log level, not the `info` the other tests set.
    let dir = temp_dir("debug-log");
    let store = embedded_arg(&dir);
    let svc = Service::start_at_mode_level(&["--store", &store]).owning(dir);
    assert_eq!(get(&svc.url("/contacts/Someone")).status, 404);
    let log = svc.wait_for_log("GET /contacts/Someone -> 404");
    assert!(log.contains("GET /contacts/Someone -> 404"), "{log}");
}

#[test]
fn bad_configuration_stops_start_up_with_a_message() {
    let bin = env!("CARGO_BIN_EXE_phonebook");
    let cases: [&[&str]; 6] = [
        &["--store", "riak://nowhere"],
        &["--cache", "redis://x"],
        &["--mode", "fast"],
        &["--threads", "0", "--mode", "production"],
        &["--threads", "many"],
        &["--config", "/nonexistent/phonebook.toml"],
    ];
    for args in cases {
        let out = Command::new(bin).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("phonebook: invalid configuration"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"));
    }
    let help = Command::new(bin).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--mode",
        "--threads",
        "--listen",
        "--store",
        "--cache",
        "--config",
    ] {
        assert!(text.contains(option), "--help explains {option}");
    }
}

#[test]
fn sigterm_with_idle_keep_alive_connections_exits_promptly() {
    let (svc, _dir) = start("sigterm");
    let mut idle = std::net::TcpStream::connect(&svc.addr).unwrap();
    idle.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let (answer, _) = crate::support::http::exchange(&mut idle, request).expect("an answer");
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the request before the stop was answered"
    );
    // Answered and kept alive: the connection is idle now.
    let started = std::time::Instant::now();
    assert!(svc.terminate().success());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "an idle keep-alive connection must not delay the stop"
    );
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut idle, &mut rest);
    assert_eq!(rest, "", "closed without another answer");
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let dir = temp_dir("pipeline");
    let svc = Service::start(&[
        "--store",
        &embedded_arg(&dir),
        "--mode",
        "production",
        "--threads",
        "4",
    ]);
    for (name, number) in [("A", "11111"), ("B", "22222"), ("C", "33333")] {
        assert_eq!(post_form(&svc.url("/contacts"), name, number).status, 200);
    }
    let mut burst = String::new();
    for name in ["A", "B", "C", "A", "C", "B"] {
        burst.push_str(&format!(
            "GET /contacts/{name} HTTP/1.1\r\nHost: localhost\r\n\r\n"
        ));
    }
    burst.push_str("GET /contacts/B HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let answer = raw(&svc.addr, burst.as_bytes());
    let numbers: Vec<&str> = answer
        .match_indices("\"number\":\"")
        .map(|(i, _)| &answer[i + 10..i + 15])
        .collect();
    assert_eq!(
        numbers,
        ["11111", "22222", "33333", "11111", "33333", "22222", "22222"]
    );
}

#[test]
fn only_the_stylesheet_is_served_and_no_path_reaches_other_files() {
    let (svc, _dir) = start("files");
    let css = get(&svc.url("/static/style.css"));
    assert_eq!(
        (css.status, css.content_type.as_str()),
        (200, "text/css; charset=utf-8")
    );
    for path in [
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2F..%2FCargo.toml",
        "/static/index.html",
        "/static/",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/src/main.rs",
        "/phonebook.toml",
    ] {
        let reply = raw(
            &svc.addr,
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        assert!(reply.starts_with("HTTP/1.1 404"), "{path}: {reply}");
        assert!(
            !reply.contains("[package]") && !reply.contains("root:"),
            "{path}"
        );
    }
}
