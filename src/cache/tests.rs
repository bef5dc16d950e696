//! Unit tests of the cache: keys, servers, the backoff and probe timing, the warning rate limit
//! and the pool-wait figure. The wire and the whole service are tested end to end in
//! `tests/it/` against a real memcached.

use super::*;
use crate::contact::parse_name;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Barrier;
use std::thread;

/// A cache on one memcached at `addr`. It connects lazily: tests that only look at its
/// state need nothing listening there.
fn cache_on(addr: &str, pool_size: usize, timeout: Duration) -> Cache {
    let config = CacheConfig {
        url: CacheUrl::Memcache(vec![addr.to_string()]),
        ttl_secs: 10,
        timeout,
        pool_size,
    };
    Cache::open(&config, 4).expect("a cache")
}

#[test]
fn urls_parse_with_the_default_port_or_one_socket_path() {
    assert_eq!(parse_url("off").unwrap(), CacheUrl::Off);
    assert_eq!(
        parse_url("memcache://localhost").unwrap(),
        CacheUrl::Memcache(vec!["localhost:11211".into()])
    );
    assert_eq!(
        parse_url("memcache+unix:///run/memcached/memcached.sock").unwrap(),
        CacheUrl::Memcache(vec!["/run/memcached/memcached.sock".into()])
    );
}

#[test]
fn bad_urls_are_refused_with_what_is_wrong() {
    let long = format!("memcache+unix:///{}", "s".repeat(107));
    let unix = "(e.g. memcache+unix:///run/memcached/memcached.sock)";
    let scheme = "must be off, memcache://host:port or memcache+unix:///path";
    for (bad, why) in [
        (
            "memcache+unix://",
            "needs the absolute path of memcached's socket",
        ),
        (
            "memcache+unix://run/memcached.sock",
            "needs the absolute path",
        ),
        ("memcache+unix:///run/", "needs the absolute path"),
        ("memcache+unix:///a.sock,/b.sock", "takes one socket path"),
        (long.as_str(), "a socket path is at most 107 bytes"),
        ("memcache+tcp://a", scheme),
        ("memcache:", scheme),
        ("pbc://a", scheme),
        ("memcache://", "each node must be host[:port]"),
        ("memcache://a:99999", "bad port"),
    ] {
        let err = parse_url(bad).unwrap_err().to_string();
        assert!(err.contains(why), "{bad}: {err}");
        if bad.starts_with("memcache+unix://") {
            assert!(err.contains(unix), "{bad}: {err}");
        }
    }
}

#[test]
fn a_failed_server_is_skipped_for_the_backoff_then_probed_by_one_request() {
    let cache = cache_on("127.0.0.1:9", 1, Duration::from_millis(100));
    let server = &cache.servers[0];
    let backoff = BACKOFF.as_millis() as u64;
    assert!(server.usable(5_000), "up");
    server.down(5_000);
    assert!(
        !server.usable(5_000 + backoff - 1),
        "skipped during the backoff"
    );
    assert!(server.usable(5_000 + backoff), "then one request probes it");
    assert!(
        !server.usable(5_000 + backoff),
        "while the others still skip it"
    );
    assert!(!server.usable(5_000 + 2 * backoff - 1));
    assert!(
        server.usable(5_000 + 2 * backoff),
        "the next probe a backoff later"
    );
    assert!(server.up(), "the probe succeeded: back");
    assert!(!server.up(), "already up");
    assert!(server.usable(5_000 + 2 * backoff + 1));
}

#[test]
fn warnings_are_logged_once_per_interval_counting_the_others() {
    let cache = cache_on("127.0.0.1:9", 1, Duration::from_millis(100));
    let err = io::Error::other("refused");
    let every = WARN_EVERY.as_millis() as u64;
    assert_eq!(cache.warn("a", &err, 5_000), Some(0), "the first is logged");
    assert_eq!(cache.warn("a", &err, 5_001), None);
    assert_eq!(cache.warn("a", &err, 5_000 + every - 1), None);
    assert_eq!(
        cache.warn("a", &err, 5_000 + every),
        Some(2),
        "with the count"
    );
    assert_eq!(cache.warn("a", &err, 5_000 + every), None);
}

#[test]
fn the_clock_never_reads_zero() {
    // 0 means "up" in `down_until` and "never" in `warned_at`.
    let cache = cache_on("127.0.0.1:9", 1, Duration::from_millis(100));
    assert!(cache.now_ms() >= 1);
}

#[test]
fn a_worker_that_waits_for_a_connection_is_counted() {
    // One connection, held 200 ms by each `get` (the server answers a miss that late).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            thread::sleep(Duration::from_millis(200));
            if (&conn).write_all(b"END\r\n").is_err() {
                return;
            }
            line.clear();
        }
    });
    let cache = cache_on(&addr, 1, Duration::from_secs(5));
    assert_eq!(cache.pool_waits(), 0);
    let start = Barrier::new(2);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                start.wait();
                assert_eq!(cache.get("Anna"), Outcome::Done(None));
            });
        }
    });
    assert!(
        cache.pool_waits() >= 1,
        "the second get waited for the first"
    );
}

fn valid_key(key: &str) -> bool {
    key.len() <= MAX_KEY && key.bytes().all(|b| b.is_ascii_graphic())
}

#[test]
fn every_kind_of_name_gets_a_valid_distinct_key() {
    let names = [
        "John Doe".to_string(),
        "John%20Doe".to_string(),
        "John+Doe".to_string(),
        "Åsa Öberg".to_string(),
        "<i>&amp;\"' <script>".to_string(),
        "x".repeat(100),
        "a".to_string() + &" ".repeat(98) + "b",
        "é".repeat(100),
        "𝄞".repeat(100),
        "𝄞".repeat(99) + "a",
    ];
    let mut keys = std::collections::HashSet::new();
    for name in &names {
        let name = parse_name(name).expect("a valid name");
        let key = key(&name);
        assert!(valid_key(&key), "{name:?} -> {key:?}");
        assert!(keys.insert(key), "{name:?} shares a key");
    }
    assert_eq!(
        key("John Doe"),
        "pb:John%20Doe",
        "short names stay readable"
    );
    assert!(key(&"𝄞".repeat(100)).starts_with("pb#"));
    assert_eq!(key(&"𝄞".repeat(100)).len(), 35);
}

#[test]
fn fnv_matches_the_published_vectors_and_spreads_keys() {
    // Test vectors of the FNV-1a 128-bit reference.
    assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
    assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    let mut per_server = [0; 3];
    for i in 0..300 {
        per_server[server_index(&key(&format!("name {i}")), 3)] += 1;
    }
    assert!(per_server.iter().all(|&n| n > 60), "{per_server:?}");
}

#[test]
fn a_value_for_another_name_is_a_miss() {
    let contact = Contact::parse("Anna", "123").unwrap();
    let json = contact.to_json();
    assert_eq!(decode("Anna", json.as_bytes()), Some(contact));
    assert_eq!(decode("Anne", json.as_bytes()), None);
    assert_eq!(decode("Anna", b"garbage"), None);
}
