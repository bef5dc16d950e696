//! The service on a stand-in ring cluster (2 nodes, ring 16, n_val 3): with both nodes up
//! every contact reads back through both APIs; with one node stopped, the policy before quorum
//! tries reads "not found" for contacts that exist, as the recorded cluster did, and only for
//! contacts with two of their three replicas on the stopped node.

use crate::support::riak::*;
use riak_standin::{RingOptions, Standin, StandinCluster, StandinOptions};

#[test]
fn with_a_node_stopped_the_previous_reads_miss_contacts_with_two_replicas_on_it() {
    for api in APIS {
        let ring = StandinCluster::start(RingOptions::default(), StandinOptions::default())
            .expect("start a ring cluster");
        let nodes: Vec<&Standin> = ring.nodes.iter().collect();
        let svc = riak_service_with("ring", api, &nodes, "debug", PREVIOUS_POLICY);
        let agent = client();
        let names: Vec<String> = (0..120).map(|i| format!("Ring {i}")).collect();
        for name in &names {
            let reply = call(&agent, "POST", &svc.url("/contacts"), Some((name, "12345")));
            assert_eq!(reply.0, 200, "{api}: {reply:?}");
        }
        let read = |name: &str| {
            let path = format!("/contacts/{}", name.replace(' ', "%20"));
            call(&agent, "GET", &svc.url(&path), None).0
        };
        assert!(names.iter().all(|n| read(n) == 200), "{api}: healthy");
        ring.stop(1);
        let missed: Vec<&String> = names.iter().filter(|n| read(n) == 404).collect();
        assert!(!missed.is_empty(), "{api}: the control misses contacts");
        for name in &missed {
            let on_stopped = ring.preflist("phonebook", name.as_bytes());
            let on_stopped = on_stopped.iter().filter(|n| **n == 1).count();
            assert_eq!(on_stopped, 2, "{api}: {name} missed");
        }
    }
}
