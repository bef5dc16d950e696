//! Writes and reads of the Riak store against stand-in nodes: one request per blind write and
//! no siblings in either write mode, bucket properties read again when a node comes back, the
//! same sibling winner through both APIs, bad siblings skipped, stored names checked, list pages
//! complete behind skipped keys.

use crate::support::poll;
use crate::support::riak::*;
use phonebook::contact::Contact;
use phonebook::store::riak::WriteMode;
use phonebook::store::Store;
use riak_standin::{Standin, StandinOptions};
use std::time::Duration;

const JSON: [(&str, &str); 1] = [("Content-Type", "application/json")];

/// The number of values Riak holds for a contact: 1, or the siblings of a 300.
fn values(node: &Standin, bucket: &str, key: &str) -> usize {
    let path = format!("/buckets/{bucket}/keys/{key}");
    let (status, _, body) = riak_http(node, "GET", &path, &[], "");
    match status {
        200 => 1,
        300 => body.lines().skip(1).filter(|l| !l.is_empty()).count(),
        other => panic!("{path}: {other}"),
    }
}

#[test]
fn a_blind_write_is_one_request_and_neither_mode_leaves_siblings() {
    for api in APIS {
        let node = Standin::start(StandinOptions::default()).unwrap();
        for (write, per_put) in [(WriteMode::Auto, 1), (WriteMode::ReadFirst, 2)] {
            let store = store_on(api, &[&node], write, false);
            let before = node.served();
            for round in 0..3 {
                for i in 0..10 {
                    let number = format!("+35840{round}{i:03}");
                    store
                        .put(&Contact::parse(&person(i).name, &number).unwrap())
                        .unwrap();
                }
            }
            assert_eq!(node.served() - before, 30 * per_put, "{api} {write:?}");
            for i in 0..10 {
                let key = person(i).name.replace(' ', "%20");
                assert_eq!(values(&node, "phonebook", &key), 1, "{api} {write:?}");
                let got = store.get(&person(i).name).unwrap().unwrap();
                assert_eq!(
                    got.number,
                    format!("+35840{}{i:03}", 2),
                    "the last write won"
                );
            }
        }
    }
}

#[test]
fn with_allow_mult_auto_reads_first_and_leaves_no_siblings() {
    for api in APIS {
        let nodes = cluster(2, StandinOptions::default());
        nodes[0].db().set_allow_mult("phonebook", true);
        let store = store_on(api, &[&nodes[0], &nodes[1]], WriteMode::Auto, false);
        let other = store_on(api, &[&nodes[1], &nodes[0]], WriteMode::Auto, false);
        let served = || nodes[0].served() + nodes[1].served();
        let before = served();
        for i in 0..10 {
            store.put(&person(i)).unwrap();
            other.put(&person(i)).unwrap();
        }
        assert_eq!(
            served() - before,
            40,
            "{api}: a vclock read before every write"
        );
        for i in 0..10 {
            let key = person(i).name.replace(' ', "%20");
            assert_eq!(values(&nodes[0], "phonebook", &key), 1, "{api}");
        }
    }
}

#[test]
fn bucket_properties_are_read_again_when_a_node_comes_back() {
    for api in APIS {
        let node = Standin::start(StandinOptions::default()).unwrap();
        let store = store_on(api, &[&node], WriteMode::Auto, false);
        let before = node.served();
        store.put(&person(1)).unwrap();
        assert_eq!(node.served() - before, 1, "{api}: blind");
        node.stop();
        node.db().set_allow_mult("phonebook", true);
        assert!(store.put(&person(1)).is_err(), "{api}: the node is away");
        node.resume().unwrap();
        assert!(all_up(&store, Duration::from_secs(20)), "{api}");
        // The prober marks the node up, then reads the properties: the second step may still
        // be on its way when the node shows up.
        let read_again = || store.health().detail["allow_mult"] == true;
        assert!(poll(Duration::from_secs(20), read_again), "{api}");
        let before = node.served();
        store.put(&person(1)).unwrap();
        assert_eq!(node.served() - before, 2, "{api}: read-first now");
    }
}

/// Writes two valid siblings (the larger value first) and a bad one under `key`, and returns
/// the winner by the rule (newest whole second, then the larger value).
fn siblings(node: &Standin, key: &str) -> String {
    let path = format!("/buckets/phonebook/keys/{key}");
    for value in [
        format!(r#"{{"name":"{key}","number":"2"}}"#),
        format!(r#"{{"name":"{key}","number":"1"}}"#),
        "not a contact".to_string(),
    ] {
        riak_http(node, "PUT", &path, &JSON, &value);
    }
    let accept = [("Accept", "multipart/mixed")];
    let (status, _, body) = riak_http(node, "GET", &path, &accept, "");
    assert_eq!(status, 300);
    let stamps: Vec<&str> = body
        .lines()
        .filter(|l| l.starts_with("Last-Modified"))
        .collect();
    // Within one second only the microseconds (which HTTP does not give) say "1" is newer.
    if stamps[0] == stamps[1] { "2" } else { "1" }.to_string()
}

#[test]
fn both_apis_pick_the_sibling_the_rule_names_and_skip_a_bad_one() {
    let node = Standin::start(StandinOptions {
        allow_mult: vec!["phonebook".into()],
        ..StandinOptions::default()
    })
    .unwrap();
    for (api, key) in [("pbc", "Sam"), ("http", "Max")] {
        let winner = siblings(&node, key);
        let store = store_on(api, &[&node], WriteMode::ReadFirst, false);
        assert_eq!(store.get(key).unwrap().unwrap().number, winner, "{api}");
        assert_eq!(
            values(&node, "phonebook", key),
            1,
            "{api}: written back over all"
        );
    }
}

#[test]
fn a_value_must_name_its_key() {
    for api in APIS {
        let node = Standin::start(StandinOptions::default()).unwrap();
        let other = r#"{"name":"Someone Else","number":"123"}"#;
        riak_http(&node, "PUT", "/buckets/phonebook/keys/Sam", &JSON, other);
        let store = store_on(api, &[&node], WriteMode::Auto, false);
        let err = store.get("Sam").unwrap_err();
        assert!(err.to_string().contains("Someone Else"), "{api}: {err}");
    }
}

#[test]
fn a_list_page_is_full_when_keys_behind_it_were_skipped() {
    for api in APIS {
        let node = Standin::start(StandinOptions::default()).unwrap();
        let store = store_on(api, &[&node], WriteMode::Auto, false);
        for name in ["A", "B", "C", "D", "E"] {
            store.put(&Contact::parse(name, "123").unwrap()).unwrap();
        }
        // Keys other clients wrote that are no names: skipped, and the page goes on.
        for key in ["B%FF", "B%FF%FE", "C%FF"] {
            riak_http(
                &node,
                "PUT",
                &format!("/buckets/phonebook/keys/{key}"),
                &JSON,
                "{}",
            );
        }
        let names = |after, limit| -> Vec<String> {
            let page = store.list(after, "", limit).unwrap();
            page.into_iter().map(|c| c.name).collect()
        };
        assert_eq!(names(Some("B"), 2), ["C", "D"], "{api}");
        assert_eq!(names(Some("A"), 3), ["B", "C", "D"], "{api}");
        assert_eq!(
            names(None, 9),
            ["A", "B", "C", "D", "E"],
            "{api}: the real end"
        );
        assert_eq!(names(Some("E"), 3), Vec::<String>::new(), "{api}");
    }
}

#[test]
fn a_list_page_costs_one_index_query_and_a_get_per_contact_and_starts_after() {
    for api in APIS {
        let node = Standin::start(StandinOptions::default()).unwrap();
        let store = store_on(api, &[&node], WriteMode::Auto, false);
        for i in 0..40 {
            store.put(&person(i)).unwrap();
        }
        let names = |after: Option<&str>, prefix, limit| -> Vec<String> {
            let page = store.list(after, prefix, limit).unwrap();
            page.into_iter().map(|c| c.name).collect()
        };
        let before = node.served();
        assert_eq!(names(None, "", 2), ["Person 000", "Person 001"], "{api}");
        assert_eq!(
            node.served() - before,
            3,
            "{api}: one index query, two gets"
        );
        // Far into the bucket: the index starts after `after`, not at the first key.
        let before = node.served();
        let page = names(Some("Person 035"), "Person", 2);
        assert_eq!(page, ["Person 036", "Person 037"], "{api}");
        assert_eq!(node.served() - before, 3, "{api}");
        // `after` before the prefix: the page starts at the prefix.
        assert_eq!(
            names(Some("Aaron"), "Person 03", 1),
            ["Person 030"],
            "{api}"
        );
        // Nothing can follow: no request at all.
        let before = node.served();
        assert_eq!(names(Some("Zed"), "Person", 1), Vec::<String>::new());
        assert_eq!(names(None, "Person 01", 0), Vec::<String>::new());
        assert_eq!(node.served(), before, "{api}");
        // A get is one request, with no write-back of a single value.
        let before = node.served();
        store.get("Person 001").unwrap().unwrap();
        assert_eq!(node.served() - before, 1, "{api}");
    }
}

#[test]
fn a_store_counts_no_pool_waits_until_a_request_waits() {
    for api in APIS {
        let node = Standin::start(StandinOptions::default()).unwrap();
        let store = store_on(api, &[&node], WriteMode::Auto, false);
        store.put(&person(1)).unwrap();
        assert_eq!(store.pool_waits(), 0, "{api}");
    }
}
