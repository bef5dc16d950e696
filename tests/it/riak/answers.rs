//! Node readiness and Riak's error answers, class by class, against stand-in nodes answering
//! the captured bytes: a starting node (PBC "Unknown message code", HTTP's HTML 404) is skipped
//! until a probe get succeeds; "not now" answers (`timeout`, `insufficient_vnodes`, overload,
//! HTTP 503) move the request to another node and never mark a node down; final answers are
//! returned at once without asking another node; strict reads never miss during a restart.

use crate::support::riak::*;
use phonebook::store::riak::{WriteMode, RETRY_PAUSE};
use phonebook::store::Store;
use riak_standin::{Fault, Standin, StandinOptions};
use std::time::Duration;

fn fault(message: &str, http_status: u16, count: Option<u64>) -> Option<Fault> {
    Some(Fault {
        message: message.into(),
        http_status,
        count,
    })
}

/// Requests a starting node got that were neither a readiness probe nor a property read.
fn used(node: &Standin) -> Vec<String> {
    let log = node.starting_requests().into_iter();
    log.filter(|r| !r.contains("phonebook-readiness-probe") && !r.contains("props"))
        .filter(|r| r != "pbc 19 ")
        .collect()
}

#[test]
fn a_starting_node_is_never_used_until_it_serves_a_get() {
    for api in APIS {
        let ready = Standin::start(StandinOptions::default()).unwrap();
        let starting = Standin::start(StandinOptions {
            db: Some(ready.db()),
            startup: Duration::from_millis(1500),
            ..StandinOptions::default()
        })
        .unwrap();
        let store = store_on(api, &[&starting, &ready], WriteMode::Auto, false);
        for i in 0..20 {
            store.put(&person(i)).unwrap();
            assert_eq!(
                store.get(&person(i).name).unwrap(),
                Some(person(i)),
                "{api}"
            );
        }
        assert_eq!(used(&starting), Vec::<String>::new(), "{api}");
        assert_eq!(states(&store), ["down", "up"], "{api}");
        assert!(
            all_up(&store, Duration::from_secs(20)),
            "{api}: back once it serves"
        );
        // Probed with a backoff (200 ms, doubling), not at every tick of the prober: about 3
        // probes in its 1.5 s start-up phase.
        let probes = starting.starting_requests().into_iter();
        let probes = probes
            .filter(|r| r.contains("phonebook-readiness-probe"))
            .count();
        assert!((1..=8).contains(&probes), "{api}: {probes} probes");
        let before = starting.served();
        for i in 0..20 {
            assert_eq!(
                store.get(&person(i).name).unwrap(),
                Some(person(i)),
                "{api}"
            );
        }
        assert!(starting.served() >= before + 10, "{api}: used again");
    }
}

#[test]
fn a_node_that_starts_again_behind_pooled_connections_costs_no_request() {
    for api in APIS {
        let nodes = cluster(2, StandinOptions::default());
        let store = store_on(api, &[&nodes[0], &nodes[1]], WriteMode::Auto, false);
        for i in 0..10 {
            store.put(&person(i)).unwrap();
        }
        // Restarted between two requests: the service learns it only from the answers.
        nodes[0].stop();
        nodes[0].resume_starting(Duration::from_secs(60)).unwrap();
        for i in 0..10 {
            assert_eq!(
                store.get(&person(i).name).unwrap(),
                Some(person(i)),
                "{api}"
            );
            store.put(&person(i)).unwrap();
        }
        assert_eq!(states(&store), ["down", "up"], "{api}");
        let health = store.health().detail;
        let failures = |i: usize| health["nodes"][i]["failures"].as_u64().unwrap();
        assert!(failures(0) >= 1 && failures(1) == 0, "{api}: {health}");
        assert!(used(&nodes[0]).len() <= 1, "{api}: {:?}", used(&nodes[0]));
    }
}

#[test]
fn answers_meaning_not_now_go_to_another_node_which_stays_up() {
    for (message, status) in [("timeout", 503), ("{insufficient_vnodes,0,need,2}", 500)] {
        for api in APIS {
            let nodes = cluster(2, StandinOptions::default());
            let store = store_on(api, &[&nodes[0], &nodes[1]], WriteMode::ReadFirst, false);
            nodes[0].inject(fault(message, status, None));
            for i in 0..10 {
                store.put(&person(i)).unwrap();
                assert_eq!(store.get(&person(i).name).unwrap(), Some(person(i)));
            }
            nodes[0].inject(None);
            assert_eq!(states(&store), ["up", "up"], "{api} {message}");
        }
    }
}

#[test]
fn with_no_other_node_a_not_now_answer_is_retried_then_is_503() {
    for api in APIS {
        let node = Standin::start(StandinOptions::default()).unwrap();
        let store = store_previous(api, &[&node], WriteMode::Blind, false);
        node.inject(fault("overload", 503, Some(2)));
        let start = std::time::Instant::now();
        store.put(&person(1)).unwrap();
        // Two pauses before the third try spare the struggling cluster: 25 ms, then 50 ms.
        assert!(
            start.elapsed() >= RETRY_PAUSE * 3,
            "{api}: {:?}",
            start.elapsed()
        );
        node.inject(fault("all_nodes_down", 503, None));
        let err = store.get(&person(1).name).unwrap_err();
        assert!(
            matches!(err, phonebook::error::Error::StoreUnavailable(_)),
            "{api}: {err}"
        );
        node.inject(None);
        assert_eq!(store.get(&person(1).name).unwrap(), Some(person(1)));
        assert_eq!(states(&store), ["up"], "{api}");
    }
}

#[test]
fn a_final_answer_is_returned_at_once_without_asking_another_node() {
    for api in APIS {
        let nodes = cluster(2, StandinOptions::default());
        let store = store_previous(api, &[&nodes[0], &nodes[1]], WriteMode::Blind, false);
        nodes[0].inject(fault("{precommit_fail,full}", 500, None));
        let mut failed = 0;
        for i in 0..10 {
            let before = nodes[1].served();
            match store.get(&person(i).name) {
                Ok(_) => assert_eq!(nodes[1].served(), before + 1, "{api}"),
                Err(err) => {
                    assert!(
                        matches!(err, phonebook::error::Error::Store { .. }),
                        "{api}: {err}"
                    );
                    assert!(err.to_string().contains("precommit_fail"), "{api}: {err}");
                    assert_eq!(nodes[1].served(), before, "{api}: not retried");
                    failed += 1;
                }
            }
        }
        assert_eq!(
            failed, 5,
            "{api}: round-robin, every request on the failing node"
        );
        assert_eq!(states(&store), ["up", "up"], "{api}");
    }
}

#[test]
fn strict_reads_never_miss_while_a_node_restarts_and_default_reads_do() {
    for api in APIS {
        let nodes = cluster(
            2,
            StandinOptions {
                fallback_rate: 0.2,
                settle: Duration::from_secs(60),
                ..StandinOptions::default()
            },
        );
        let store = store_previous(api, &[&nodes[0]], WriteMode::Blind, false);
        let loose = store_previous(api, &[&nodes[0]], WriteMode::Blind, true);
        for i in 0..20 {
            store.put(&person(i)).unwrap();
        }
        nodes[1].stop();
        let (mut strict_misses, mut loose_misses) = (0, 0);
        for i in (0..20).cycle().take(200) {
            strict_misses += usize::from(store.get(&person(i).name).unwrap().is_none());
            loose_misses += usize::from(loose.get(&person(i).name).unwrap().is_none());
        }
        assert_eq!(strict_misses, 0, "{api}: notfound_ok=false never misses");
        assert!(loose_misses > 10, "{api}: the default does: {loose_misses}");
    }
}
