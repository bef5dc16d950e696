//! The stand-in's ring against the recorded cluster's: the same owners and preference lists,
//! and, key by key, the same reads and writes failing with a node stopped or hung: those of the
//! keys with two of their three replicas on that node, under the recorded settings.

mod support;

use riak_standin::{Rejoin, StandinCluster};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use support::*;

const WAIT: Duration = Duration::from_secs(10);

fn names(list: &Value) -> Vec<String> {
    let list = list.as_array().expect("a list");
    list.iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// k0..k59, written with both nodes up, as recorded.
fn written_cluster() -> (StandinCluster, Vec<String>) {
    let cluster = cluster();
    let keys: Vec<String> = (0..60).map(|i| format!("k{i}")).collect();
    write_all(&cluster, 0, &keys, 1);
    (cluster, keys)
}

/// What each key answers to a PBC request made by `frame` through node 0.
fn answers(
    cluster: &StandinCluster,
    keys: &[String],
    frame: impl Fn(&str) -> Vec<u8>,
) -> BTreeMap<String, String> {
    let addr = cluster.node(0).pbc_addr;
    keys.iter()
        .map(|key| {
            let (answer, _) = pbc(addr, &frame(key), WAIT).expect("an answer");
            let meaning = pbc_meaning(&answer).replace(&value(key, 1), "gen1");
            (key.clone(), meaning)
        })
        .collect()
}

/// The keys whose answer is `answer`.
fn keys_answering(answers: &BTreeMap<String, String>, answer: &str) -> Vec<String> {
    let mut keys: Vec<String> = answers
        .iter()
        .filter(|(_, a)| *a == answer)
        .map(|(k, _)| k.clone())
        .collect();
    keys.sort_by_key(|k| k[1..].parse::<u32>().unwrap_or(0));
    keys
}

#[test]
fn the_ring_and_every_preference_list_are_the_recorded_ones() {
    let faults = faults();
    let cluster = cluster();
    let owners: Vec<usize> = names(&faults["ring_owners"])
        .iter()
        .map(|n| node_of_name(n))
        .collect();
    assert_eq!(cluster.owners(), owners);
    let preflists = faults["preflists"].as_object().unwrap();
    assert_eq!(preflists.len(), 140);
    for (key, nodes) in preflists {
        let want: Vec<usize> = names(nodes).iter().map(|n| node_of_name(n)).collect();
        assert_eq!(cluster.preflist(BUCKET, key.as_bytes()), want, "{key}");
    }
}

#[test]
fn with_a_node_stopped_quorum_reads_fail_only_for_keys_with_two_replicas_on_it() {
    let faults = faults();
    let scan = &faults["node2_stopped_scan"];
    let two_on_node2 = names(&scan["keys_with_2_replicas_on_node2"]);
    let get = |extra: &'static [(u64, u64)]| move |key: &str| get_frame(key, extra);
    // Default reads (r=quorum, notfound_ok=true) meeting the empty fallbacks first: not found,
    // exactly for those keys; the recorded scan's misses are among them; a second read finds
    // the value the first one repaired onto the fallbacks.
    let (cluster, keys) = written_cluster();
    cluster.stop(1);
    cluster.set_fallbacks_first(1.0);
    let first = answers(&cluster, &keys, get(&[]));
    assert_eq!(keys_answering(&first, "notfound"), two_on_node2);
    assert!(names(&scan["not_found_keys"])
        .iter()
        .all(|k| two_on_node2.contains(k)));
    let again = answers(&cluster, &keys, get(&[]));
    assert_eq!(keys_answering(&again, "found gen1").len(), 60);
    // notfound_ok=false: {r_val_unsatisfied,2,1} when the value answers among the first two,
    // not found when it answers last (recorded: 8 and 2 of 10); the others find the value.
    for (order, answer) in [(0.0, "error {r_val_unsatisfied,2,1}"), (1.0, "notfound")] {
        let (cluster, keys) = written_cluster();
        cluster.stop(1);
        cluster.set_fallbacks_first(order);
        let got = answers(&cluster, &keys, get(&[(6, 0)]));
        assert_eq!(keys_answering(&got, answer), two_on_node2, "{answer}");
        assert_eq!(
            keys_answering(&got, "found gen1").len(),
            60 - two_on_node2.len()
        );
    }
    // r=1 with notfound_ok=false, and r=all, find every value even in the worst order.
    for extra in [&[(3, 1), (6, 0)][..], &[(3, 4_294_967_292)][..]] {
        let (cluster, keys) = written_cluster();
        cluster.stop(1);
        cluster.set_fallbacks_first(1.0);
        let got = answers(&cluster, &keys, |key| get_frame(key, extra));
        assert_eq!(keys_answering(&got, "found gen1").len(), 60, "{extra:?}");
    }
    // Writes with pw=2 fail for the same keys; default writes succeed on the fallbacks.
    let (cluster, keys) = written_cluster();
    cluster.stop(1);
    let pw2 = answers(&cluster, &keys, |key| {
        put_frame(key, &value(key, 2), &[(8, 2)])
    });
    assert_eq!(
        keys_answering(&pw2, "error {pw_val_unsatisfied,2,1}"),
        two_on_node2
    );
    let plain = answers(&cluster, &keys, |key| put_frame(key, &value(key, 2), &[]));
    assert_eq!(keys_answering(&plain, "ok").len(), 60);
}

#[test]
fn with_a_node_hung_quorum_requests_of_keys_with_two_replicas_on_it_wait_for_the_timeout() {
    let faults = faults();
    let probes = &faults["node2_frozen_probes"]["probes"];
    let (cluster, keys) = written_cluster();
    let live: Vec<String> = keys
        .into_iter()
        .filter(|k| k != "k2" && k != "k4")
        .collect();
    let two: Vec<String> = live
        .iter()
        .filter(|k| {
            cluster
                .preflist(BUCKET, k.as_bytes())
                .iter()
                .filter(|n| **n == 1)
                .count()
                == 2
        })
        .cloned()
        .collect();
    cluster.hang(1);
    let timeout = 200;
    let kinds = [
        ("get_default", vec![(10, timeout)], false),
        (
            "get_r1_notfound_ok_false",
            vec![(3, 1), (6, 0), (10, timeout)],
            false,
        ),
        ("get_r_all", vec![(3, 4_294_967_292), (10, timeout)], false),
        ("put_w1_dw1", vec![(5, 1), (6, 1), (12, timeout)], true),
        ("put_default", vec![(12, timeout)], true),
    ];
    for (kind, extra, put) in kinds {
        let addr = cluster.node(0).pbc_addr;
        let results: Vec<(String, String, Duration)> = std::thread::scope(|s| {
            let handles: Vec<_> = live
                .iter()
                .map(|key| {
                    let extra = &extra;
                    s.spawn(move || {
                        let frame = if put {
                            put_frame(key, &value(key, 3), extra)
                        } else {
                            get_frame(key, extra)
                        };
                        let (answer, elapsed) = pbc(addr, &frame, WAIT).expect("an answer");
                        (key.clone(), pbc_meaning(&answer), elapsed)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let slow: Vec<String> = results
            .iter()
            .filter(|r| r.1 == "error timeout")
            .map(|r| r.0.clone())
            .collect();
        for (key, answer, elapsed) in &results {
            let late = *elapsed >= Duration::from_millis(timeout);
            assert_eq!(
                late,
                answer == "error timeout",
                "{kind} {key}: {answer} in {elapsed:?}"
            );
        }
        // The recorded counts, by replicas on the hung node.
        let recorded = &probes[kind]["2_on_node2"];
        let recorded_slow: u64 = recorded
            .as_object()
            .unwrap()
            .iter()
            .filter(|(a, _)| a.contains("timeout"))
            .map(|(_, v)| v["count"].as_u64().unwrap())
            .sum();
        let slow_two = slow.iter().filter(|k| two.contains(k)).count() as u64;
        assert_eq!(
            slow_two, recorded_slow,
            "{kind}: keys with 2 replicas on the hung node"
        );
        let recorded = &probes[kind]["1_on_node2"];
        let recorded_slow: u64 = recorded
            .as_object()
            .unwrap()
            .iter()
            .filter(|(a, _)| a.contains("timeout"))
            .map(|(_, v)| v["count"].as_u64().unwrap())
            .sum();
        assert_eq!(
            slow.len() as u64 - slow_two,
            recorded_slow,
            "{kind}: keys with 1 replica on it"
        );
    }
    // The writes the hung node's replicas were sent reach them when it resumes: through it,
    // its own replica answers first, with the latest value.
    cluster.restart(1, Duration::ZERO).unwrap();
    let r1 = |key: &str| get_frame(key, &[(3, 1), (6, 0)]);
    let got = answers_through(&cluster, 1, &live, r1);
    assert!(
        live.iter()
            .all(|k| got[k] == format!("found {}", value(k, 3))),
        "{got:?}"
    );
}

#[test]
fn a_returning_node_serves_stale_copies_until_its_handoff_and_deletes_stay() {
    let r1 = |key: &str| get_frame(key, &[(3, 1), (6, 0)]);
    let found = |key: &str, gen| format!("found {}", value(key, gen));
    let away_for_a_while = Rejoin {
        vnodes_after: Duration::ZERO,
        handoff: Duration::from_secs(3600),
    };
    // Read through the returning node before its handoff: each key's first read gives its own
    // replica's old value (r=1 asks it first), and repairs it.
    let (cluster, keys) = written_cluster();
    cluster.stop(1);
    write_all(&cluster, 0, &keys, 2);
    cluster.restart_with(1, away_for_a_while).unwrap();
    let first = answers_through(&cluster, 1, &keys, r1);
    assert!(keys.iter().all(|k| first[k] == found(k, 1)), "{first:?}");
    let second = answers_through(&cluster, 1, &keys, r1);
    assert!(keys.iter().all(|k| second[k] == found(k, 2)), "{second:?}");
    // After the handoff nothing stale is left, and a key deleted while the node was away stays
    // deleted, through both nodes.
    let (cluster, keys) = written_cluster();
    cluster.stop(1);
    write_all(&cluster, 0, &keys[1..], 2);
    let deleted = answers_through(&cluster, 0, &keys[..1], delete_frame);
    assert_eq!(deleted["k0"], "ok");
    cluster.restart_with(1, away_for_a_while).unwrap();
    cluster.hand_off(1);
    for node in [1, 0] {
        let got = answers_through(&cluster, node, &keys, r1);
        assert_eq!(got["k0"], "notfound");
        assert!(keys[1..].iter().all(|k| got[k] == found(k, 2)), "{got:?}");
    }
}

/// What each key answers to a PBC request through node `node`.
fn answers_through(
    cluster: &StandinCluster,
    node: usize,
    keys: &[String],
    frame: impl Fn(&str) -> Vec<u8>,
) -> BTreeMap<String, String> {
    let addr = cluster.node(node).pbc_addr;
    keys.iter()
        .map(|key| {
            let (answer, _) = pbc(addr, &frame(key), WAIT).expect("an answer");
            (key.clone(), pbc_meaning(&answer))
        })
        .collect()
}
