//! Real HTTP clients against the service: curl through its proxy option (absolute-form
//! targets) and ApacheBench with keep-alive (HTTP/1.0 keep-alive, which must be announced).
//! Both are installed by `tools/test-deps.sh`.

use crate::support::http::*;
use crate::support::*;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Runs a client, killed if it has not finished within `limit`.
fn run_bounded(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e} (install it with tools/test-deps.sh)"));
    poll(limit, || child.try_wait().unwrap().is_some());
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

#[test]
fn curl_through_its_proxy_option_sends_absolute_form_and_is_served() {
    // The host curl names must be one the service serves.
    let hosts = r#"allowed_hosts = ["phonebook.example", "127.0.0.1"]"#;
    let svc = service_with("curl", hosts, None);
    assert_eq!(
        post_form(&svc.url("/contacts"), "Ann Lee", "12345").status,
        200
    );
    // With -x the service is the "proxy": the request line names the whole URL.
    let proxy = format!("http://{}", svc.addr);
    let out = run_bounded(
        Command::new("curl").args([
            "-sS",
            "--max-time",
            "10",
            "-x",
            &proxy,
            "-w",
            "\n%{http_code}",
            "http://phonebook.example/contacts/Ann%20Lee",
        ]),
        Duration::from_secs(15),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.ends_with("\n200"),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(r#""number":"12345""#), "{text}");
}

#[test]
fn ab_with_keep_alive_runs_at_full_speed_without_failures() {
    let svc = service_with("ab", "mode = \"production\"\nthreads = 4", None);
    assert_eq!(
        post_form(&svc.url("/contacts"), "Ann Lee", "12345").status,
        200
    );
    // ab speaks HTTP/1.0: each connection is kept only if the answer says keep-alive, else ab
    // waits for a close that never comes (0.2 requests/s per connection before).
    let url = format!("http://{}/contacts/Ann%20Lee", svc.addr);
    let out = run_bounded(
        Command::new("ab").args(["-k", "-q", "-s", "10", "-n", "2000", "-c", "8", &url]),
        Duration::from_secs(60),
    );
    let report = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Option<u64> {
        let line = report.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().last()?.parse().ok()
    };
    assert!(
        out.status.success(),
        "{report} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(field("Complete requests:"), Some(2000), "{report}");
    assert_eq!(field("Failed requests:"), Some(0), "{report}");
    assert_eq!(
        field("Keep-Alive requests:"),
        Some(2000),
        "every connection kept: {report}"
    );
    assert!(!report.contains("Non-2xx responses"), "{report}");
}
