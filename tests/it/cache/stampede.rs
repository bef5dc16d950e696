//! No stampede: when a name is missing from the cache, concurrent requests for it in one
//! instance cause one store read, and every one of them gets that read's answer, an error
//! included.
//!
//! The store is the Riak stand-in behind a link that delays each request, so that a store read
//! lasts long enough for all sixteen requests to arrive while it is in flight. And a read that
//! starts after a write never gets the answer of a read that began before it. Store reads are
//! counted twice, independently: the service's own `phonebook_store_duration_seconds_count
//! {op="get"}` and the requests the stand-in served.

use crate::support::memcached::Memcached;
use crate::support::riak::cluster;
use crate::support::*;
use phonebook::app::App;
use phonebook::cache::{Cache, Outcome};
use phonebook::cache::{CacheConfig, CacheUrl};
use phonebook::contact::Contact;
use phonebook::error::Error;
use phonebook::store::{Health, Store};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

const WORKERS: usize = 16;
const STORE_GETS: &str = r#"phonebook_store_duration_seconds_count{op="get"}"#;

#[test]
fn sixteen_concurrent_misses_for_one_name_cause_one_store_read() {
    let nodes = cluster(1, Default::default());
    let link = SlowLink::start(&nodes[0].pbc_addr.to_string(), Duration::from_millis(400));
    let mc = Memcached::start();
    let dir = temp_dir("stampede");
    let config = dir.join("phonebook.toml");
    let text = format!(
        "[server]\nmode = \"production\"\nthreads = {WORKERS}\n\n[store]\nurl = \"pbc://{}\"\n\
         timeout_ms = 5000\n\n[cache]\nurl = \"{}\"\ntimeout_ms = 1000\n",
        link.addr,
        mc.url()
    );
    std::fs::write(&config, text).unwrap();
    let svc = Service::start(&["--config", config.to_str().unwrap()]).owning(dir);
    assert_eq!(
        post_form(&svc.url("/contacts"), "Hot", "040 123").status,
        200
    );

    // Missing from the cache, as after its entry expired: one read, shared by all.
    flush_cache(&mc);
    let (gets, served) = (metric(&svc, STORE_GETS), nodes[0].served());
    let answers = burst(&svc.addr, "/contacts/Hot");
    let reads = metric(&svc, STORE_GETS) - gets;
    println!("stampede: {WORKERS} concurrent misses, {reads} store read(s)");
    assert_eq!(reads, 1, "store reads for {WORKERS} concurrent misses");
    assert_eq!(nodes[0].served() - served, 1, "Riak requests");
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body, r#"{"name":"Hot","number":"040123"}"#);
    }
    let hits = metric(&svc, "phonebook_cache_hits_total");
    assert_eq!(hits + metric(&svc, "phonebook_cache_misses_total"), 16);
    assert_eq!(get(&svc.url("/contacts/Hot")).status, 200);
    assert_eq!(metric(&svc, STORE_GETS) - gets, 1, "the cache was filled");

    // A store error is shared the same way.
    flush_cache(&mc);
    nodes[0].fail_with(Some("overload"));
    let gets = metric(&svc, STORE_GETS);
    let answers = burst(&svc.addr, "/contacts/Hot");
    nodes[0].fail_with(None);
    assert_eq!(
        metric(&svc, STORE_GETS) - gets,
        1,
        "one failed read, shared"
    );
    assert!(answers[0].0 >= 500, "{:?}", answers[0]);
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
}

fn flush_cache(mc: &Memcached) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_phonebook"))
        .args(["flush-cache", "--cache", &mc.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// Sends one GET of `path` on each of `WORKERS` connections at once: (status, body) of each.
fn burst(addr: &str, path: &str) -> Vec<(u16, String)> {
    let start = Barrier::new(WORKERS);
    thread::scope(|s| {
        let clients: Vec<_> = (0..WORKERS)
            .map(|_| {
                let start = &start;
                s.spawn(move || {
                    // Connected before the barrier, so that the requests leave together.
                    let mut conn = TcpStream::connect(addr).unwrap();
                    conn.set_read_timeout(Some(Duration::from_secs(30)))
                        .unwrap();
                    start.wait();
                    let head = format!(
                        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    );
                    conn.write_all(head.as_bytes()).unwrap();
                    let mut answer = String::new();
                    conn.read_to_string(&mut answer).unwrap();
                    let status = answer[9..12].parse().unwrap();
                    let body = answer.split_once("\r\n\r\n").unwrap().1.to_string();
                    (status, body)
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    })
}

/// A loopback TCP proxy that holds every chunk a client sends for `delay` before passing it
/// on: each request through it takes at least that long. Stops accepting on drop.
pub struct SlowLink {
    pub addr: String,
    stop: Arc<AtomicBool>,
}

impl SlowLink {
    pub fn start(upstream: &str, delay: Duration) -> SlowLink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let (upstream, stopped) = (upstream.to_string(), stop.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let (Ok(client), Ok(server)) = (client, TcpStream::connect(&upstream)) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                thread::spawn(move || pipe(client, server, delay));
                thread::spawn(move || pipe(s2, c2, Duration::ZERO));
            }
        });
        SlowLink { addr, stop }
    }
}

impl Drop for SlowLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(&self.addr);
    }
}

/// Copies `from` to `to`, each chunk after `delay`, until either side closes.
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf) {
        thread::sleep(delay);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
    let _ = from.shutdown(std::net::Shutdown::Both);
}

/// A store in memory whose first read takes its answer at once but returns it only when the
/// test says so: a read in flight across a write.
struct HeldStore {
    contacts: Mutex<HashMap<String, Contact>>,
    /// The first read says it took its answer here, then waits for `hold`; later reads go
    /// through.
    started: mpsc::Sender<()>,
    hold: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Store for HeldStore {
    fn get(&self, name: &str) -> Result<Option<Contact>, Error> {
        let found = self.contacts.lock().unwrap().get(name).cloned();
        let held = self.hold.lock().unwrap().take();
        if let Some(release) = held {
            self.started.send(()).unwrap();
            release.recv_timeout(Duration::from_secs(30)).unwrap();
        }
        Ok(found)
    }

    fn put(&self, contact: &Contact) -> Result<(), Error> {
        let mut contacts = self.contacts.lock().unwrap();
        contacts.insert(contact.name.clone(), contact.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool, Error> {
        Ok(self.contacts.lock().unwrap().remove(name).is_some())
    }

    fn list(&self, _: Option<&str>, _: &str, _: usize) -> Result<Vec<Contact>, Error> {
        Ok(Vec::new())
    }

    fn health(&self) -> Health {
        Health {
            ok: true,
            detail: serde_json::Value::Null,
        }
    }
}

/// A store holding Wes's old number whose first read is held, and a cache on `mc`: the app,
/// the cache's settings, the sender that releases the held read and the receiver that says
/// it started.
fn held_app(mc: &Memcached) -> (App, CacheConfig, mpsc::Sender<()>, mpsc::Receiver<()>) {
    let old = Contact::parse("Wes", "0401").unwrap();
    let (release, held) = mpsc::channel();
    let (started, read_started) = mpsc::channel();
    let store = HeldStore {
        contacts: Mutex::new(HashMap::from([("Wes".to_string(), old)])),
        started,
        hold: Mutex::new(Some(held)),
    };
    let config = CacheConfig {
        url: CacheUrl::Memcache(vec![format!("127.0.0.1:{}", mc.port)]),
        ttl_secs: 10,
        timeout: Duration::from_secs(2),
        pool_size: 0,
    };
    let app = App::new(Box::new(store)).with_cache(Cache::open(&config, 4));
    (app, config, release, read_started)
}

#[test]
fn a_read_that_starts_after_a_write_never_joins_a_read_from_before_it() {
    let mc = Memcached::start();
    let old = Contact::parse("Wes", "0401").unwrap();
    let (app, _, release, read_started) = held_app(&mc);
    let new = Contact::parse("Wes", "0402").unwrap();
    thread::scope(|s| {
        // A miss whose store read took the old number and is still in flight.
        let before = s.spawn(|| app.get("Wes").unwrap());
        read_started.recv_timeout(Duration::from_secs(30)).unwrap();
        app.put(&new).unwrap();
        // The entry the write set is gone (evicted, expired, or the `set` failed): the next
        // reader misses, and must read anew rather than join the read from before the write.
        flush_cache(&mc);
        let after = s.spawn(|| app.get("Wes").unwrap());
        // A fresh read goes through the store at once; one that joined the held read would
        // wait for the release, so it is released only once `after` ended (or 10 s passed).
        poll(Duration::from_secs(10), || after.is_finished());
        release.send(()).unwrap();
        assert_eq!(
            after.join().unwrap(),
            new,
            "the read that started after the write"
        );
        assert_eq!(
            before.join().unwrap(),
            old,
            "the read from before the write"
        );
    });
}

#[test]
fn a_read_in_flight_across_a_delete_is_neither_served_nor_cached_after_it() {
    let mc = Memcached::start();
    let (app, config, release, read_started) = held_app(&mc);
    thread::scope(|s| {
        // A miss whose store read took the old number and is still in flight.
        let before = s.spawn(|| app.get("Wes"));
        read_started.recv_timeout(Duration::from_secs(30)).unwrap();
        app.delete("Wes").unwrap();
        release.send(()).unwrap();
        let answer = before.join().unwrap();
        assert!(matches!(answer, Err(Error::NotFound)), "{answer:?}");
    });
    let cache = Cache::open(&config, 1).unwrap();
    assert_eq!(cache.get("Wes"), Outcome::Done(None), "nothing cached");
    assert!(matches!(app.get("Wes"), Err(Error::NotFound)));
    assert!(matches!(app.delete("Wes"), Err(Error::NotFound)));
}

#[test]
fn a_fill_that_lands_after_a_delete_stores_nothing() {
    // Another instance's reader took the old number before the delete and fills after it:
    // the delete's tombstone makes its `add` store nothing.
    let mc = Memcached::start();
    let (_, config, _, _) = held_app(&mc);
    let cache = Cache::open(&config, 1).unwrap();
    let old = Contact::parse("Wes", "0401").unwrap();
    assert_eq!(cache.put(&old), Outcome::Done(()));
    assert_eq!(cache.forget("Wes"), Outcome::Done(()));
    assert_eq!(cache.fill(&old), Outcome::Done(()));
    assert_eq!(
        cache.get("Wes"),
        Outcome::Done(None),
        "the tombstone reads as a miss"
    );
    let new = Contact::parse("Wes", "0402").unwrap();
    assert_eq!(cache.put(&new), Outcome::Done(()));
    assert_eq!(
        cache.get("Wes"),
        Outcome::Done(Some(new)),
        "a write replaces it"
    );
}
