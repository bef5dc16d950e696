//! Deletes on a stand-in ring (2 nodes, ring 16, n_val 3), through both APIs: a delete made
//! while a node is down leaves tombstones that win when the node comes back and its vnodes
//! take the fallbacks' data, so the contact stays deleted; contacts with two replicas on the
//! stopped node are found and deleted too (the read policy), and one kept reads back.

use crate::support::riak::*;
use riak_standin::{RingOptions, Standin, StandinCluster, StandinOptions};
use std::time::Duration;

#[test]
fn a_delete_made_while_a_node_is_down_stays_deleted_when_it_comes_back() {
    for api in APIS {
        let ring = StandinCluster::start(RingOptions::default(), StandinOptions::default())
            .expect("start a ring cluster");
        let nodes: Vec<&Standin> = ring.nodes.iter().collect();
        let svc = riak_service("ring-delete", api, &nodes, "debug");
        let agent = client();
        let path = |name: &str| svc.url(&format!("/contacts/{}", name.replace(' ', "%20")));
        let names: Vec<String> = (0..30).map(|i| format!("Gone {i}")).collect();
        for name in &names {
            let reply = call(&agent, "POST", &svc.url("/contacts"), Some((name, "12345")));
            assert_eq!(reply.0, 200, "{api}: {reply:?}");
        }
        ring.stop(1);
        // The contacts with two of their three replicas on the stopped node are the ones a
        // quorum read can miss: the read policy still finds them, so they are deleted too. One
        // of them is kept, and must read back all along.
        let on_stopped = |n: &String| {
            let replicas = ring.preflist("phonebook", n.as_bytes());
            replicas.iter().filter(|o| **o == 1).count()
        };
        let kept = names
            .iter()
            .find(|n| on_stopped(n) == 2)
            .expect("a key with two there");
        let gone: Vec<&String> = names.iter().filter(|n| *n != kept).collect();
        assert!(gone.iter().any(|n| on_stopped(n) == 2), "{api}");
        for name in &gone {
            let deleted = agent.delete(path(name)).call().unwrap();
            assert_eq!(deleted.status(), 204, "{api}: {name}");
        }
        assert_eq!(
            call(&agent, "GET", &path(kept), None).0,
            200,
            "{api}: {kept}"
        );
        ring.restart(1, Duration::ZERO).unwrap();
        ring.hand_off(1);
        for name in &gone {
            let got = call(&agent, "GET", &path(name), None);
            assert_eq!(got.0, 404, "{api}: {name} came back: {got:?}");
        }
        assert_eq!(
            call(&agent, "GET", &path(kept), None).0,
            200,
            "{api}: {kept}"
        );
    }
}
