//! The service on stand-in Riak nodes, through each API: round trips, the data layout other
//! Riak clients see, overwrites without siblings, not found, error answers and listing.

use crate::support::riak::*;
use crate::support::{metric, temp_dir, Service};
use riak_standin::{Standin, StandinOptions};

const JOHN_JSON: &str = r#"{"name":"John Doe","number":"+358408053254"}"#;

fn one_node(options: StandinOptions) -> Standin {
    cluster(1, options).remove(0)
}

#[test]
fn contacts_round_trip_through_each_api_in_the_shared_layout() {
    for api in APIS {
        let node = one_node(StandinOptions::default());
        let svc = riak_service("roundtrip", api, &[&node], "production");
        let agent = client();
        let saved = call(
            &agent,
            "POST",
            &svc.url("/contacts"),
            Some(("John Doe", "+358 40 805 3254")),
        );
        assert_eq!(saved.0, 200, "{api}: {}", saved.1);
        let got = call(&agent, "GET", &svc.url("/contacts/John%20Doe"), None);
        assert_eq!(got, (200, JOHN_JSON.to_string()), "{api}");
        let accented = call(
            &agent,
            "POST",
            &svc.url("/contacts"),
            Some(("Åsa Öberg", "112")),
        );
        assert_eq!(accented.0, 200, "{api}");
        let got = call(
            &agent,
            "GET",
            &svc.url("/contacts/%C3%85sa%20%C3%96berg"),
            None,
        );
        assert_eq!(got.1, r#"{"name":"Åsa Öberg","number":"112"}"#, "{api}");

        // What any other Riak client sees: the key is the name, the value the JSON.
        let (status, headers, body) =
            riak_http(&node, "GET", "/buckets/phonebook/keys/John%20Doe", &[], "");
        assert_eq!((status, body.as_str()), (200, JOHN_JSON), "{api}");
        assert!(
            headers.contains(&("content-type".into(), "application/json".into())),
            "{api}"
        );
        let (status, _, body) = riak_http(
            &node,
            "GET",
            "/buckets/phonebook/keys/%C3%85sa%20%C3%96berg",
            &[],
            "",
        );
        assert_eq!(status, 200, "{api}: {body}");
    }
}

#[test]
fn both_apis_see_the_same_data() {
    let node = one_node(StandinOptions::default());
    let pbc = riak_service("same-pbc", "pbc", &[&node], "production");
    let http = riak_service("same-http", "http", &[&node], "production");
    let agent = client();
    assert_eq!(
        call(
            &agent,
            "POST",
            &pbc.url("/contacts"),
            Some(("Via Pbc", "111"))
        )
        .0,
        200
    );
    assert_eq!(
        call(
            &agent,
            "POST",
            &http.url("/contacts"),
            Some(("Via Http", "222"))
        )
        .0,
        200
    );
    assert_eq!(
        call(&agent, "GET", &http.url("/contacts/Via%20Pbc"), None).1,
        r#"{"name":"Via Pbc","number":"111"}"#
    );
    assert_eq!(
        call(&agent, "GET", &pbc.url("/contacts/Via%20Http"), None).1,
        r#"{"name":"Via Http","number":"222"}"#
    );
}

/// Three writes of one name, then: the service reads the last, and Riak holds one value.
fn overwrite(svc: &Service, node: &Standin, api: &str, multi: bool) {
    let agent = client();
    for number in ["111", "222", "333"] {
        assert_eq!(
            call(&agent, "POST", &svc.url("/contacts"), Some(("Ann", number))).0,
            200
        );
    }
    let got = call(&agent, "GET", &svc.url("/contacts/Ann"), None);
    assert_eq!(
        got.1, r#"{"name":"Ann","number":"333"}"#,
        "{api} allow_mult={multi}"
    );
    let (status, _, body) = riak_http(node, "GET", "/buckets/phonebook/keys/Ann", &[], "");
    assert_eq!(
        status, 200,
        "{api} allow_mult={multi}: one value, no siblings: {body}"
    );
}

#[test]
fn an_overwrite_leaves_exactly_one_value_with_either_allow_mult() {
    for api in APIS {
        for multi in [false, true] {
            let allow_mult = if multi {
                vec!["phonebook".to_string()]
            } else {
                Vec::new()
            };
            let node = one_node(StandinOptions {
                allow_mult,
                ..StandinOptions::default()
            });
            let svc = riak_service(&format!("overwrite-{multi}"), api, &[&node], "production");
            overwrite(&svc, &node, api, multi);
        }
    }
}

#[test]
fn siblings_from_blind_writes_resolve_to_the_newest_and_are_written_back() {
    for api in APIS {
        let options = StandinOptions {
            allow_mult: vec!["phonebook".into()],
            ..StandinOptions::default()
        };
        let node = one_node(options);
        // Two writers that did not read first: Riak keeps both values.
        for number in ["+3581", "+3582"] {
            let value = format!(r#"{{"name":"Sam","number":"{number}"}}"#);
            let json = [("Content-Type", "application/json")];
            assert_eq!(
                riak_http(&node, "PUT", "/buckets/phonebook/keys/Sam", &json, &value).0,
                204
            );
        }
        assert_eq!(
            riak_http(&node, "GET", "/buckets/phonebook/keys/Sam", &[], "").0,
            300
        );
        let svc = riak_service("siblings", api, &[&node], "production");
        let got = call(&client(), "GET", &svc.url("/contacts/Sam"), None);
        assert_eq!(
            got.1, r#"{"name":"Sam","number":"+3582"}"#,
            "{api}: the newest wins"
        );
        let (status, _, body) = riak_http(&node, "GET", "/buckets/phonebook/keys/Sam", &[], "");
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"name":"Sam","number":"+3582"}"#),
            "{api}"
        );
    }
}

#[test]
fn a_missing_contact_is_404_and_a_riak_error_is_502_with_its_message() {
    for api in APIS {
        let node = one_node(StandinOptions::default());
        let svc = riak_service("errors", api, &[&node], "production");
        let agent = client();
        let missing = call(&agent, "GET", &svc.url("/contacts/Nobody"), None);
        assert_eq!(
            missing,
            (404, r#"{"error":"contact not found"}"#.to_string()),
            "{api}"
        );
        // A final error (the request itself is refused); "not now" errors are retried, see
        // `riak::answers`.
        node.fail_with(Some("{precommit_fail,full}"));
        let failed = call(&agent, "GET", &svc.url("/contacts/Nobody"), None);
        assert_eq!(failed.0, 502, "{api}: {}", failed.1);
        assert!(
            failed.1.contains("precommit_fail"),
            "{api}: Riak's message is kept: {}",
            failed.1
        );
        let failed = call(&agent, "POST", &svc.url("/contacts"), Some(("Ann", "123")));
        assert_eq!(failed.0, 502, "{api}: {}", failed.1);
        node.fail_with(None);
        assert_eq!(
            call(&agent, "POST", &svc.url("/contacts"), Some(("Ann", "123"))).0,
            200,
            "{api}"
        );
    }
}

#[test]
fn the_list_pages_through_the_key_index() {
    for api in APIS {
        let node = one_node(StandinOptions::default());
        let svc = riak_service("list", api, &[&node], "production");
        let agent = client();
        for name in ["Anna", "Anton", "Bo", "Åke", "Ann"] {
            assert_eq!(
                call(&agent, "POST", &svc.url("/contacts"), Some((name, "12345"))).0,
                200
            );
        }
        let names = |query: &str| {
            let (status, body) = call(&agent, "GET", &svc.url(&format!("/contacts?{query}")), None);
            assert_eq!(status, 200, "{api} {query}: {body}");
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            let list = json["contacts"].as_array().unwrap().iter();
            let names: Vec<String> = list
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect();
            (names, json["next"].as_str().map(str::to_string))
        };
        assert_eq!(
            names("limit=10").0,
            ["Ann", "Anna", "Anton", "Bo", "Åke"],
            "{api}"
        );
        assert_eq!(
            names("prefix=An&limit=2"),
            (vec!["Ann".into(), "Anna".into()], Some("Anna".into()))
        );
        assert_eq!(
            names("prefix=An&limit=2&after=Anna"),
            (vec!["Anton".into()], None),
            "{api}"
        );
        assert_eq!(names("prefix=%C3%85").0, ["Åke"], "{api}");
        assert_eq!(names("prefix=Z").0, Vec::<String>::new(), "{api}");
    }
}

#[test]
fn a_backend_without_2i_fails_the_list_clearly_but_not_the_rest() {
    for api in APIS {
        let node = one_node(StandinOptions {
            no_2i: true,
            ..StandinOptions::default()
        });
        let svc = riak_service("no2i", api, &[&node], "production");
        let agent = client();
        assert_eq!(
            call(&agent, "POST", &svc.url("/contacts"), Some(("Ann", "123"))).0,
            200
        );
        let (status, body) = call(&agent, "GET", &svc.url("/contacts"), None);
        assert_eq!(status, 502, "{api}: {body}");
        assert!(body.contains("indexes_not_supported"), "{api}: {body}");
    }
}

#[test]
fn waits_for_a_pooled_riak_socket_show_in_metrics() {
    let node = cluster(1, StandinOptions::default()).remove(0);
    let dir = temp_dir("riak-pool-waits");
    let config = dir.join("phonebook.toml");
    let text = format!(
        "[server]\nmode = \"production\"\nthreads = 4\n\n[store]\nurl = \"pbc://{}\"\n\
         timeout_ms = 2000\npool_size = 1\n",
        node.pbc_addr
    );
    std::fs::write(&config, text).unwrap();
    let svc = Service::start(&["--config", config.to_str().unwrap()]).owning(dir);
    std::thread::scope(|s| {
        for t in 0..4 {
            let svc = &svc;
            s.spawn(move || {
                let agent = client();
                for i in 0..50 {
                    let name = format!("Pool {t} {i}");
                    let reply = call(
                        &agent,
                        "POST",
                        &svc.url("/contacts"),
                        Some((&name, "12345")),
                    );
                    assert_eq!(reply.0, 200, "{reply:?}");
                }
            });
        }
    });
    let waits = metric(&svc, r#"phonebook_pool_waits_total{pool="store"}"#);
    assert!(waits > 0, "4 workers sharing 1 socket must wait: {waits}");
}
