//! Cache-aside on a real memcached in front of the real binary: one script of hits, misses,
//! flushes and an outage, run over TCP and over a Unix socket; expiry, updates, every kind of
//! name, a hung memcached. Counts come from `GET /metrics`, so these tests also check it.

use crate::support::memcached::{free_port, Memcached};
use crate::support::*;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// phonebook with the cache on, on a fresh embedded store, plus `extra` arguments.
fn service(tag: &str, mc: &Memcached, extra: &[&str]) -> Service {
    let dir = temp_dir(tag);
    let (store, cache) = (embedded_arg(&dir), mc.url());
    let mut args = vec!["--store", store.as_str(), "--cache", cache.as_str()];
    args.extend_from_slice(extra);
    Service::start(&args).owning(dir)
}

fn number_of(svc: &Service, name: &str) -> String {
    let reply = get(&svc.url(&format!("/contacts/{}", encode(name))));
    assert_eq!(reply.status, 200, "{name:?}: {}", reply.body);
    reply.json()["number"].as_str().unwrap().to_string()
}

fn encode(name: &str) -> String {
    phonebook::url::encode_segment(name)
}

fn flush(mc_url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_phonebook"))
        .args(["flush-cache", "--cache", mc_url])
        .output()
        .unwrap()
}

/// memcached on a free loopback port, or on a Unix socket in the test's own folder.
fn memcached(tag: &str, unix: bool) -> (Memcached, TempDir) {
    let dir = temp_dir(tag);
    let mc = match unix {
        true => Memcached::start_unix(&dir.join("memcached.sock")),
        false => Memcached::start(),
    };
    (mc, dir)
}

#[test]
fn over_tcp_hits_and_misses_are_counted_and_flush_cache_empties_memcached() {
    hits_misses_and_flush("cache-counts", false);
}

#[test]
fn over_a_unix_socket_hits_and_misses_are_counted_and_flush_cache_empties_memcached() {
    hits_misses_and_flush("cache-counts-unix", true);
}

/// The script: a write fills the cache, a read hits, an absent name misses, `flush-cache`
/// empties memcached (and says which), then a miss reads the store and fills the cache again.
fn hits_misses_and_flush(tag: &str, unix: bool) {
    let (mc, _dir) = memcached(tag, unix);
    let svc = service(&format!("{tag}-svc"), &mc, &[]);
    assert_eq!(
        post_form(&svc.url("/contacts"), "Anna", "111 222").status,
        200
    );
    assert_eq!(
        number_of(&svc, "Anna"),
        "111222",
        "the write filled the cache"
    );
    assert_eq!(get(&svc.url("/contacts/Nobody")).status, 404);
    assert_eq!(metric(&svc, "phonebook_cache_hits_total"), 1);
    assert_eq!(metric(&svc, "phonebook_cache_misses_total"), 1);

    let out = flush(&mc.url());
    assert!(out.status.success(), "{out:?}");
    let at = match &mc.socket {
        Some(socket) => socket.display().to_string(),
        None => format!("127.0.0.1:{}", mc.port),
    };
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("flushed memcached {at}\n")
    );
    assert_eq!(number_of(&svc, "Anna"), "111222", "a miss reads the store");
    assert_eq!(number_of(&svc, "Anna"), "111222", "and fills the cache");
    assert_eq!(metric(&svc, "phonebook_cache_hits_total"), 2);
    assert_eq!(metric(&svc, "phonebook_cache_misses_total"), 2);
    assert_eq!(metric(&svc, "phonebook_cache_errors_total"), 0);

    let page = get(&svc.url("/metrics"));
    assert_eq!(
        page.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let ok = r#"phonebook_requests_total{route="contact",method="GET",status="200"}"#;
    assert_eq!(metric(&svc, ok), 3);
    let missing = r#"phonebook_requests_total{route="contact",method="GET",status="404"}"#;
    assert_eq!(metric(&svc, missing), 1);
    let count = r#"phonebook_store_duration_seconds_count{op="get"}"#;
    assert_eq!(metric(&svc, count), 2, "one store read per miss");
    assert!(page
        .body
        .contains(r#"phonebook_pool_waits_total{pool="cache"} 0"#));
}

#[test]
fn entries_expire_after_the_ttl() {
    let mc = Memcached::start();
    let dir = temp_dir("cache-ttl-config");
    let config = dir.join("phonebook.toml");
    std::fs::write(&config, "[cache]\nttl_secs = 4\n").unwrap();
    let svc = service("cache-ttl", &mc, &["--config", config.to_str().unwrap()]);
    post_form(&svc.url("/contacts"), "Bo", "12345");
    let written = Instant::now();
    // memcached's clock ticks once a second: an entry set for 4 s lives between 3 and 4 s.
    assert_eq!(number_of(&svc, "Bo"), "12345");
    assert_eq!(metric(&svc, "phonebook_cache_hits_total"), 1);
    let first_read = written.elapsed();
    assert!(
        first_read < Duration::from_secs(3),
        "read too late to hit: {first_read:?}"
    );
    // Time is what is tested here: wait past the TTL, with a margin of 2 s.
    thread::sleep(Duration::from_secs(6) - first_read);
    assert_eq!(number_of(&svc, "Bo"), "12345");
    assert_eq!(metric(&svc, "phonebook_cache_misses_total"), 1, "expired");
    assert_eq!(number_of(&svc, "Bo"), "12345");
    assert_eq!(
        metric(&svc, "phonebook_cache_hits_total"),
        2,
        "filled again"
    );
}

#[test]
fn a_read_after_an_update_never_sees_the_old_number() {
    let mc = Memcached::start();
    let svc = service("cache-update", &mc, &[]);
    for i in 0..20 {
        let number = format!("555{i:04}");
        assert_eq!(post_form(&svc.url("/contacts"), "Cy", &number).status, 200);
        assert_eq!(number_of(&svc, "Cy"), number);
        assert_eq!(number_of(&svc, "Cy"), number);
    }
    assert_eq!(
        metric(&svc, "phonebook_cache_hits_total"),
        40,
        "all served by the cache"
    );
}

#[test]
fn every_kind_of_valid_name_is_cached() {
    let mc = Memcached::start();
    let svc = service("cache-names", &mc, &[]);
    let names = [
        "John Doe".to_string(),
        "John%20Doe".to_string(),
        "Åsa Öberg".to_string(),
        "李小龙".to_string(),
        "<b onclick=\"alert('x')\">&amp; Co".to_string(),
        "a".to_string() + &" ".repeat(98) + "b",
        "x".repeat(100),
        "é".repeat(100),
        "𝄞".repeat(100),
        "𝄞".repeat(99) + "a",
    ];
    for (i, name) in names.iter().enumerate() {
        let reply = post_form(&svc.url("/contacts"), name, &format!("100{i}"));
        assert_eq!(reply.status, 200, "{name:?}: {}", reply.body);
    }
    // Read each once from the entry the write set, then through a miss, `add` and a hit.
    for round in 0..2 {
        for (i, name) in names.iter().enumerate() {
            assert_eq!(number_of(&svc, name), format!("100{i}"), "{name:?}");
        }
        if round == 0 {
            assert!(flush(&mc.url()).status.success());
            for (i, name) in names.iter().enumerate() {
                assert_eq!(number_of(&svc, name), format!("100{i}"), "{name:?}");
            }
        }
    }
    let n = names.len() as u64;
    assert_eq!(metric(&svc, "phonebook_cache_errors_total"), 0);
    assert_eq!(metric(&svc, "phonebook_cache_misses_total"), n);
    assert_eq!(metric(&svc, "phonebook_cache_hits_total"), 2 * n);
}

#[test]
fn over_tcp_killing_memcached_under_load_fails_no_request_and_a_restart_brings_hits_back() {
    outage_under_load("cache-kill", false);
}

#[test]
fn over_a_unix_socket_that_disappears_under_load_no_request_fails_and_a_new_one_brings_hits_back() {
    outage_under_load("cache-kill-unix", true);
}

/// The script: four clients read while memcached is killed (its socket removed, on a Unix
/// socket); not one request fails, the outage is counted and warned about at most once per
/// 10 s, and a memcached started at the same address brings hits back.
fn outage_under_load(tag: &str, unix: bool) {
    let (mut mc, _dir) = memcached(tag, unix);
    let svc = service(
        &format!("{tag}-svc"),
        &mc,
        &["--mode", "production", "--threads", "4"],
    );
    let names: Vec<String> = (0..10).map(|i| format!("Load {i}")).collect();
    for (i, name) in names.iter().enumerate() {
        post_form(&svc.url("/contacts"), name, &format!("200{i}"));
    }
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (url, names) = (svc.url("/contacts/"), names.clone());
            let (done, failed) = (done.clone(), failed.clone());
            thread::spawn(move || {
                let agent = agent();
                for i in 0..250 {
                    let k = (c + i) % names.len();
                    let reply = agent.get(format!("{url}{}", encode(&names[k]))).call();
                    let good = reply.is_ok_and(|mut r| {
                        let body = r.body_mut().read_to_string().unwrap_or_default();
                        r.status() == 200 && body.contains(&format!("\"200{k}\""))
                    });
                    if !good {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    wait_until(Duration::from_secs(30), "300 requests done", || {
        done.load(Ordering::SeqCst) >= 300
    });
    mc.kill();
    if let Some(socket) = &mc.socket {
        std::fs::remove_file(socket).unwrap();
    }
    let killed_at = Instant::now();
    for client in clients {
        client.join().unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 1000);
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "requests failed with memcached dead"
    );
    let errors = metric(&svc, "phonebook_cache_errors_total");
    assert!(errors > 0, "the outage was noticed");
    assert!(
        metric(&svc, "phonebook_cache_skipped_total") > 0,
        "and memcached skipped"
    );

    let restarted = match &mc.socket {
        Some(socket) => Memcached::start_unix(socket),
        None => Memcached::start_on(mc.port).expect("memcached restarts on its port"),
    };
    hits_resume(&svc, "Load 1", "2001");
    // At most one warning per 10 s, however many requests met the outage.
    let log = svc.log.lock().unwrap().clone();
    let warnings = log.matches("answering from the store").count() as u64;
    assert!(
        warnings >= 1 && warnings <= 1 + killed_at.elapsed().as_secs() / 10,
        "{log}"
    );
    assert!(log.contains("answers again"), "{log}");
    drop(restarted);
}

/// Reads `name` (always `number`) until the cache counts a hit again, for at most 10 s.
fn hits_resume(svc: &Service, name: &str, number: &str) {
    let hits = metric(svc, "phonebook_cache_hits_total");
    wait_until(Duration::from_secs(10), "hits resumed", || {
        assert_eq!(number_of(svc, name), number);
        metric(svc, "phonebook_cache_hits_total") > hits
    });
}

#[test]
fn a_hung_memcached_delays_but_never_fails_requests() {
    let mc = Memcached::start();
    let svc = service("cache-hung", &mc, &[]);
    post_form(&svc.url("/contacts"), "Di", "98765");
    mc.signal("-STOP");
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(3)))
        .build();
    let agent: ureq::Agent = agent.into();
    for _ in 0..20 {
        let mut reply = agent
            .get(svc.url("/contacts/Di"))
            .call()
            .expect("answered in time");
        assert!(reply.body_mut().read_to_string().unwrap().contains("98765"));
    }
    assert!(metric(&svc, "phonebook_cache_errors_total") >= 1);
    mc.signal("-CONT");
    hits_resume(&svc, "Di", "98765");
}

#[test]
fn flush_cache_fails_clearly_without_a_reachable_memcached() {
    let port = free_port();
    let out = flush(&format!("memcache://127.0.0.1:{port}"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("memcached 127.0.0.1:{port}")),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_phonebook"))
        .args(["flush-cache", "--cache", "off"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no cache configured"));
}
