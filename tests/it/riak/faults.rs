//! Riak nodes failing under the service: a node killed mid-run, every node down and back, and
//! a node that hangs. Every loop is bounded in count and time.

use crate::support::poll;
use crate::support::riak::*;
use riak_standin::StandinOptions;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Polls `url` until it answers 200 or `limit` passes; returns the last status.
fn wait_for_200(url: &str, limit: Duration) -> u16 {
    let (agent, mut status) = (client(), 0);
    poll(limit, || {
        status = call(&agent, "GET", url, None).0;
        status == 200
    });
    status
}

#[test]
fn a_node_killed_during_1000_requests_fails_none_of_them() {
    for api in APIS {
        let nodes = cluster(2, StandinOptions::default());
        let svc = riak_service("kill", api, &[&nodes[0], &nodes[1]], "production");
        let done = AtomicUsize::new(0);
        let failed = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..4 {
                let (svc, done, failed) = (&svc, &done, &failed);
                s.spawn(move || {
                    let agent = client();
                    for i in 0..250 {
                        let name = format!("Load {t} {}", i % 20);
                        let reply = if i % 2 == 0 {
                            call(
                                &agent,
                                "POST",
                                &svc.url("/contacts"),
                                Some((&name, "12345")),
                            )
                        } else {
                            let path = format!("/contacts/Load%20{t}%20{}", (i - 1) % 20);
                            call(&agent, "GET", &svc.url(&path), None)
                        };
                        if reply.0 != 200 {
                            eprintln!("{api}: request {t}/{i} failed: {reply:?}");
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            poll(Duration::from_secs(30), || {
                done.load(Ordering::SeqCst) >= 300
            });
            assert!(
                nodes[0].served() > 0 && nodes[1].served() > 0,
                "{api}: round-robin"
            );
            nodes[0].stop();
        });
        assert_eq!(done.load(Ordering::SeqCst), 1000);
        assert_eq!(failed.load(Ordering::SeqCst), 0, "{api}: no request failed");
        assert_eq!(node_states(&svc), ["down", "up"], "{api}");
        let log = svc.log.lock().unwrap().clone();
        assert!(
            log.contains(&format!("riak node {} is down", addr_of(&nodes[0], api))),
            "{log}"
        );
    }
}

#[test]
fn with_every_node_down_the_answer_is_503_at_once_and_the_service_recovers() {
    for api in APIS {
        let nodes = cluster(2, StandinOptions::default());
        let svc = riak_service("alldown", api, &[&nodes[0], &nodes[1]], "production");
        let agent = client();
        assert_eq!(
            call(&agent, "POST", &svc.url("/contacts"), Some(("Ann", "123"))).0,
            200
        );
        nodes.iter().for_each(|n| n.stop());
        for _ in 0..3 {
            let start = Instant::now();
            let reply = call(&agent, "GET", &svc.url("/contacts/Ann"), None);
            assert_eq!(
                reply,
                (503, r#"{"error":"storage unavailable"}"#.into()),
                "{api}"
            );
            // Refused connections fail fast; the bound is the 300 ms timeout times the attempts.
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "{api}: {:?}",
                start.elapsed()
            );
        }
        let (status, _) = call(&agent, "GET", &svc.url("/healthz"), None);
        assert_eq!(status, 503, "{api}");
        assert_eq!(node_states(&svc), ["down", "down"], "{api}");
        nodes.iter().for_each(|n| n.resume().unwrap());
        let status = wait_for_200(&svc.url("/contacts/Ann"), Duration::from_secs(10));
        assert_eq!(status, 200, "{api}: recovered without a restart");
        assert_eq!(
            wait_for_200(&svc.url("/healthz"), Duration::from_secs(10)),
            200,
            "{api}"
        );
        // A node is marked up again when a request or a probe next reaches it: round-robin
        // gets there, in its own time.
        let mut states = Vec::new();
        poll(Duration::from_secs(10), || {
            states = node_states(&svc);
            states == ["up", "up"]
        });
        assert_eq!(states, ["up", "up"], "{api}");
    }
}

#[test]
fn a_hung_node_costs_a_timeout_not_a_stuck_worker() {
    for api in APIS {
        // One worker: if a request stuck on the hung node, nothing else would be answered.
        let node = cluster(1, StandinOptions::default()).remove(0);
        let svc = riak_service("hang", api, &[&node], "debug");
        let agent = client();
        assert_eq!(
            call(&agent, "POST", &svc.url("/contacts"), Some(("Ann", "123"))).0,
            200
        );
        node.hang();
        let start = Instant::now();
        let reply = call(&agent, "GET", &svc.url("/contacts/Ann"), None);
        let took = start.elapsed();
        assert_eq!(reply.0, 503, "{api}: {reply:?}");
        assert!(
            took >= Duration::from_millis(250),
            "{api}: waited for the timeout: {took:?}"
        );
        assert!(took < Duration::from_secs(3), "{api}: bounded: {took:?}");
        // The same single worker answers at once: the node is known to be down.
        let reply = call(&agent, "GET", &svc.url("/contacts/Ann"), None);
        assert_eq!(reply.0, 503, "{api}");
        assert_eq!(node_states(&svc), ["down"], "{api}");
        node.resume().unwrap();
        assert_eq!(
            wait_for_200(&svc.url("/contacts/Ann"), Duration::from_secs(10)),
            200,
            "{api}"
        );
    }
}

#[test]
fn requests_move_off_a_hung_node() {
    for api in APIS {
        let nodes = cluster(2, StandinOptions::default());
        let svc = riak_service("hang2", api, &[&nodes[0], &nodes[1]], "production");
        let agent = client();
        assert_eq!(
            call(&agent, "POST", &svc.url("/contacts"), Some(("Ann", "123"))).0,
            200
        );
        nodes[1].hang();
        for i in 0..20 {
            let reply = call(&agent, "GET", &svc.url("/contacts/Ann"), None);
            assert_eq!(reply.0, 200, "{api}: request {i}: {reply:?}");
        }
        assert_eq!(node_states(&svc), ["up", "down"], "{api}");
        nodes[1].resume().unwrap();
    }
}

#[test]
fn a_quick_restart_costs_no_request() {
    for api in APIS {
        let node = cluster(1, StandinOptions::default()).remove(0);
        let svc = riak_service("restart", api, &[&node], "debug");
        let agent = client();
        assert_eq!(
            call(&agent, "POST", &svc.url("/contacts"), Some(("Ann", "123"))).0,
            200
        );
        // The service's socket to the node is now idle in its pool; the restart closes it.
        node.stop();
        node.resume().unwrap();
        let reply = call(&agent, "GET", &svc.url("/contacts/Ann"), None);
        assert_eq!(
            reply.0, 200,
            "{api}: a stale pooled socket is not a dead node: {reply:?}"
        );
        assert_eq!(node_states(&svc), ["up"], "{api}");
    }
}
