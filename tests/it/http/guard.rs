//! What every request passes before routing: the Host check (a DNS-rebinding request is
//! refused), cross-origin protection of writes, and the optional login against a file made by
//! the real `htpasswd -B`, with curl `-u`; and the start-up errors of a bad setting.

use crate::support::http::{header_of, service_with, status_of};
use crate::support::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary with `args` and `env`; its exit code and stderr once it exits (killed and
/// failed after 10 s: it was meant to stop).
fn start_failure(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phonebook"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr)
}

fn post_raw(svc: &Service, host: &str, headers: &str) -> String {
    let body = "name=Mallory&number=12345";
    let request = format!(
        "POST /contacts HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    raw(&svc.addr, request.as_bytes())
}

#[test]
fn a_rebinding_request_is_refused_and_loopback_names_are_served() {
    let svc = service_with("guard-host", "", None);
    let port = svc.addr.rsplit(':').next().unwrap().to_string();
    for host in ["evil.example", &format!("evil.example:{port}"), "127.0.0.2"] {
        let answer = raw(
            &svc.addr,
            format!("GET /contacts HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        assert_eq!(status_of(&answer), 400, "{host}: {answer}");
        assert!(answer.contains("allowed_hosts"), "{answer}");
        assert_eq!(status_of(&post_raw(&svc, host, "")), 400);
    }
    for host in [
        format!("localhost:{port}"),
        svc.addr.clone(),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(status_of(&post_raw(&svc, &host, "")), 200, "{host}");
    }
    let set = service_with(
        "guard-hosts-set",
        "allowed_hosts = [\"phone.example\"]",
        None,
    );
    let answer = raw(
        &set.addr,
        b"GET /healthz HTTP/1.1\r\nHost: phone.example:80\r\n\r\n",
    );
    assert_eq!(status_of(&answer), 200, "{answer}");
    assert_eq!(
        get(&set.url("/healthz")).status,
        400,
        "127.0.0.1 is not listed"
    );
}

#[test]
fn writes_from_another_origin_are_refused_and_nothing_is_stored() {
    let svc = service_with(
        "guard-origin",
        "trusted_origins = [\"https://partner.example\"]",
        None,
    );
    let host = svc.addr.clone();
    let own = format!("Origin: http://{host}\r\nSec-Fetch-Site: same-origin\r\n");
    for refused in [
        "Origin: http://localhost:28099\r\nSec-Fetch-Site: cross-site\r\n",
        "Sec-Fetch-Site: same-site\r\n",
        "Origin: http://localhost:28099\r\n",
        "Origin: null\r\n",
    ] {
        let answer = post_raw(&svc, &host, refused);
        assert_eq!(status_of(&answer), 403, "{refused:?}: {answer}");
        assert!(answer.contains("cross-origin write refused"), "{answer}");
    }
    let page = post_raw(
        &svc,
        &host,
        "Sec-Fetch-Site: cross-site\r\nAccept: text/html\r\n",
    );
    assert_eq!(status_of(&page), 403);
    assert!(
        page.contains("<form") && page.contains("trusted_origins"),
        "{page}"
    );
    assert_eq!(
        get(&svc.url("/contacts/Mallory")).status,
        404,
        "nothing stored"
    );
    for allowed in [
        "",
        own.as_str(),
        "Sec-Fetch-Site: none\r\n",
        "Origin: https://partner.example\r\nSec-Fetch-Site: cross-site\r\n",
    ] {
        assert_eq!(
            status_of(&post_raw(&svc, &host, allowed)),
            200,
            "{allowed:?}"
        );
    }
    let read = raw(
        &svc.addr,
        format!(
            "GET /contacts/Mallory HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: cross-site\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(status_of(&read), 200, "reads are not refused: {read}");
}

/// An htpasswd file made by the real tool, with `ann`'s bcrypt entry.
fn htpasswd_file(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("users");
    let status = Command::new("htpasswd")
        .args([
            "-B",
            "-c",
            "-b",
            file.to_str().unwrap(),
            "ann",
            "s3cret pass",
        ])
        .stderr(Stdio::null())
        .status()
        .expect("htpasswd (Debian package apache2-utils; tools/test-deps.sh installs it)");
    assert!(status.success());
    file
}

/// curl's status code and headers for a form POST, with `user` as `-u`.
fn curl_post(svc: &Service, user: Option<&str>) -> (u16, String) {
    let mut curl = Command::new("curl");
    curl.args([
        "-s",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-d",
        "name=Ann&number=12345",
    ]);
    if let Some(user) = user {
        curl.args(["-u", user]);
    }
    let out = curl.arg(svc.url("/contacts")).output().expect("curl");
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    (status_of(&head), head)
}

#[test]
fn login_from_an_htpasswd_file_guards_writes() {
    let dir = temp_dir("guard-login");
    let file = htpasswd_file(&dir);
    let config = dir.join("phonebook.toml");
    let toml = format!("[auth]\nhtpasswd = {:?}\n", file.to_str().unwrap());
    std::fs::write(&config, toml).unwrap();
    let store = embedded_arg(&dir);
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--store",
        &store,
        "--mode",
        "debug",
    ];
    let svc = Service::start_at_mode_level(&args).owning(dir);
    let (status, head) = curl_post(&svc, None);
    assert_eq!(status, 401, "{head}");
    let challenge = header_of(&head, "www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Basic realm="), "{head}");
    assert_eq!(
        curl_post(&svc, Some("ann:wrong")).0,
        401,
        "a wrong password"
    );
    assert_eq!(
        curl_post(&svc, Some("bob:s3cret pass")).0,
        401,
        "a missing user"
    );
    assert_eq!(get(&svc.url("/contacts/Ann")).status, 404, "nothing stored");
    for _ in 0..3 {
        assert_eq!(curl_post(&svc, Some("ann:s3cret pass")).0, 200);
    }
    assert_eq!(
        get(&svc.url("/contacts/Ann")).status,
        200,
        "reads stay open"
    );
    let log = svc.wait_for_log("POST /contacts -> 200");
    for secret in ["s3cret", "YW5uOnMzY3JldCBwYXNz", "uthorization"] {
        assert!(!log.contains(secret), "the log shows {secret:?}: {log}");
    }
}

#[test]
fn login_for_reads_too_and_a_bad_file_stops_start_up() {
    let dir = temp_dir("guard-login-reads");
    let file = htpasswd_file(&dir);
    let config = dir.join("phonebook.toml");
    let toml = format!(
        "[auth]\nhtpasswd = {:?}\nreads = true\n",
        file.to_str().unwrap()
    );
    std::fs::write(&config, toml).unwrap();
    let store = embedded_arg(&dir);
    let svc = Service::start(&["--config", config.to_str().unwrap(), "--store", &store]);
    assert_eq!(get(&svc.url("/contacts")).status, 401);
    assert_eq!(get(&svc.url("/metrics")).status, 401);
    // A load balancer's health check has no login: /healthz stays open.
    assert_eq!(get(&svc.url("/healthz")).status, 200);
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-u",
            "ann:s3cret pass",
        ])
        .arg(svc.url("/contacts"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    drop(svc);

    let bad = dir.join("bad");
    std::fs::write(&bad, "ann:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n").unwrap();
    for (file, says) in [(&bad, "htpasswd -B"), (&dir.join("missing"), "cannot read")] {
        let toml = format!("[auth]\nhtpasswd = {:?}\n", file.to_str().unwrap());
        std::fs::write(&config, toml).unwrap();
        let args = ["--config", config.to_str().unwrap(), "--store", &store];
        let (code, stderr) = start_failure(&args, &[]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(file.to_str().unwrap()) && stderr.contains(says),
            "{stderr}"
        );
    }
}

#[test]
fn an_invalid_rust_log_and_an_unwritable_store_path_stop_start_up_clearly() {
    let dir = temp_dir("guard-start");
    let store = embedded_arg(&dir);
    let (code, stderr) = start_failure(&["--store", &store], &[("RUST_LOG", "nonsense")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid configuration: RUST_LOG"),
        "{stderr}"
    );
    // A folder that cannot be made: its parent is a file.
    let file = dir.join("file");
    std::fs::write(&file, "").unwrap();
    let inside = file.join("data");
    let store = format!("embedded:{}", inside.join("db.redb").display());
    let (code, stderr) = start_failure(&["--store", &store], &[("RUST_LOG", "info")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(inside.to_str().unwrap()),
        "names the path: {stderr}"
    );
}
