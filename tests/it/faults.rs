//! Faults under a sustained load: one of two Riak nodes and memcached are killed, then both come
//! back, while clients keep reading and writing; not one request may fail.

use crate::support::memcached::Memcached;
use crate::support::riak::{addr_of, call, client, cluster, node_states};
use crate::support::*;
use riak_standin::StandinOptions;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const CLIENTS: usize = 4;
/// Bounds the run by count as well as by the timeline below.
const MAX_PER_CLIENT: usize = 5_000;

#[test]
fn killing_and_restarting_a_riak_node_and_memcached_under_load_fails_no_request() {
    for api in ["pbc", "http"] {
        let nodes = cluster(2, StandinOptions::default());
        let mut memcached = Memcached::start();
        let port = memcached.port;
        let dir = temp_dir(&format!("faults-{api}"));
        let config = dir.join("phonebook.toml");
        let addrs = format!("{},{}", addr_of(&nodes[0], api), addr_of(&nodes[1], api));
        // A stopped node refuses at once; the timeout only bounds a live node's answer, and one
        // a loaded machine cannot pass (at 300 ms, a slow answer from the node left up marked
        // it down too, and requests failed with both nodes skipped).
        let text = format!(
            "[server]\nmode = \"production\"\nthreads = 8\n\n[store]\nurl = \"{api}://{addrs}\"\n\
             timeout_ms = 3000\n\n[cache]\nurl = \"{}\"\n",
            memcached.url()
        );
        std::fs::write(&config, text).unwrap();
        let svc = Service::start(&["--config", config.to_str().unwrap()]).owning(dir);
        let agent = client();
        for i in 0..20 {
            let reply = call(
                &agent,
                "POST",
                &svc.url("/contacts"),
                Some((&format!("Hot {i}"), "12345")),
            );
            assert_eq!(reply.0, 200);
        }

        let (done, failed, stop) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicBool::new(false),
        );
        std::thread::scope(|s| {
            for t in 0..CLIENTS {
                let (svc, done, failed, stop) = (&svc, &done, &failed, &stop);
                s.spawn(move || {
                    let agent = client();
                    for i in 0..MAX_PER_CLIENT {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let reply = if i % 5 == 0 {
                            let name = format!("Writer {t} {i}");
                            call(
                                &agent,
                                "POST",
                                &svc.url("/contacts"),
                                Some((&name, "67890")),
                            )
                        } else {
                            call(
                                &agent,
                                "GET",
                                &svc.url(&format!("/contacts/Hot%20{}", i % 20)),
                                None,
                            )
                        };
                        if reply.0 != 200 {
                            eprintln!("{api}: request {t}/{i} failed: {reply:?}");
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            // Each phase lasts until the clients have made 200 more requests in it.
            let phase = |what: &str| {
                let until = done.load(Ordering::SeqCst) + 200;
                let what = format!("{api}: 200 requests {what}");
                wait_until(Duration::from_secs(30), &what, || {
                    done.load(Ordering::SeqCst) >= until
                });
            };
            phase("before the faults");
            nodes[0].stop();
            memcached.kill();
            phase("with a node and memcached down");
            nodes[0].resume().expect("the node restarts on its ports");
            memcached = Memcached::start_on(port).expect("memcached restarts on its port");
            wait_until(Duration::from_secs(20), "the node up again", || {
                node_states(&svc).iter().all(|s| s == "up")
            });
            phase("once both are back");
            stop.store(true, Ordering::SeqCst);
        });
        let (done, failed) = (done.into_inner(), failed.into_inner());
        println!("{api}: {done} requests through a node and memcached restart, {failed} failed");
        assert!(done > 200, "{api}: the load ran ({done} requests)");
        assert_eq!(failed, 0, "{api}: no request failed");

        // Both came back: the node is up again and the cache answers hits again.
        // Memcached is tried again once the cache's 1 s skip has passed.
        let hits_before = metric(&svc, "phonebook_cache_hits_total");
        wait_until(
            Duration::from_secs(10),
            &format!("{api}: hits resume"),
            || {
                let status = call(&agent, "GET", &svc.url("/contacts/Hot%201"), None).0;
                assert_eq!(status, 200);
                metric(&svc, "phonebook_cache_hits_total") > hits_before
            },
        );
        let health = get(&svc.url("/healthz")).json();
        let states: Vec<_> = health["store"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["state"].clone())
            .collect();
        assert!(states.iter().all(|s| s == "up"), "{api}: {states:?}");
        drop(memcached);
    }
}
