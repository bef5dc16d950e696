//! `load-users` and `loadtest` against the real service: every request the load runner counts
//! is one the service logged, with the same status, and the contacts it wrote are stored.

use crate::support::*;
use std::collections::BTreeMap;

/// Counts the service's debug lines `GET /contacts/... -> 200` by status, for contact routes.
fn logged_statuses(log: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for line in log.lines() {
        let Some((request, status)) = line.rsplit_once(" -> ") else {
            continue;
        };
        if request.contains("GET /contacts/") || request.contains("POST /contacts") {
            *counts.entry(status.trim().to_string()).or_default() += 1;
        }
    }
    counts
}

/// The statuses of a loadtest JSON report: its ok count as "200" plus its errors.
fn reported_statuses(report: &serde_json::Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    counts.insert("200".to_string(), report["ok"].as_u64().unwrap());
    for (status, n) in report["errors"].as_object().unwrap() {
        counts.insert(status.clone(), n.as_u64().unwrap());
    }
    counts
}

#[test]
fn loadtest_counts_exactly_what_the_service_counted() {
    let dir = temp_dir("loadtest");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let store = format!("embedded:{}", path("db.redb"));
    let data = DataSet {
        seed: 3,
        users: 300,
        adds: 40,
        new_users: 8,
        gets: 160,
    };
    prepare(&dir, &data, Some(&store));
    // Gets of names nobody added: the service must answer 404 and the runner count them.
    let mut workload = std::fs::read_to_string(path("workload.csv")).unwrap();
    for i in 0..10 {
        workload.push_str(&format!("get,Nobody Here {i},\n"));
    }
    std::fs::write(path("workload.csv"), workload).unwrap();

    let service = Service::start(&dir, &["--mode", "debug", "--store", &store]);
    let (url, workload) = (service.url(), path("workload.csv"));
    let report = |extra: &[&str], out: &str| -> serde_json::Value {
        let mut args = vec!["loadtest", "--quiet", "--target", &url];
        args.extend(["--workload", &workload, "--concurrency", "4", "--out", out]);
        args.extend(extra);
        run_tools(&args);
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
    };
    let by_loops = report(&["--loops", "3"], &path("loops.json"));
    assert_eq!(by_loops["requests"], 3 * 210);
    assert_eq!(by_loops["errors"]["404"], 3 * 10);
    let by_time = report(&["--duration", "500ms"], &path("time.json"));
    assert!(by_time["requests"].as_u64().unwrap() > 0);
    let (status, health) = get(&service.addr, "/healthz");
    assert_eq!(status, 200);
    let contacts =
        serde_json::from_str::<serde_json::Value>(&health).unwrap()["store"]["contacts"].clone();
    assert_eq!(contacts, 300 + 8, "the users plus the workload's new ones");

    let log = service.stop();
    let mut expected = reported_statuses(&by_loops);
    for (status, n) in reported_statuses(&by_time) {
        *expected.entry(status).or_default() += n;
    }
    expected.retain(|_, n| *n > 0);
    assert_eq!(logged_statuses(&log), expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn soak_samples_throughput_and_the_service_memory() {
    let dir = temp_dir("soak");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let data = DataSet {
        seed: 5,
        users: 50,
        adds: 10,
        new_users: 1,
        gets: 40,
    };
    prepare(&dir, &data, None);
    let store = format!("embedded:{}", path("db.redb"));
    let service = Service::start(
        &dir,
        &["--mode", "production", "--threads", "4", "--store", &store],
    );
    let (url, pid) = (service.url(), service.child.id().to_string());
    let out = run_tools(&[
        "soak",
        "--target",
        &url,
        "--workload",
        &path("workload.csv"),
        "--pid",
        &pid,
        "--duration",
        "2s",
        "--interval",
        "1s",
        "--concurrency",
        "4",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("req/s")).collect();
    assert_eq!(lines.len(), 2, "one line per interval: {text}");
    let summary: serde_json::Value =
        serde_json::from_str(&text[text.find('{').unwrap()..]).unwrap();
    assert_eq!(summary["intervals"], 2);
    let rss = summary["rss_mib_last"].as_f64().unwrap();
    assert!(
        rss > 0.5 && rss < 500.0,
        "a plausible resident size: {rss} MiB"
    );
    assert!(summary["throughput_per_interval"][1].as_f64().unwrap() > 0.0);
    drop(service);
    std::fs::remove_dir_all(dir).unwrap();
}
