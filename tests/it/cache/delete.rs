//! `DELETE /contacts/{name}` with memcached in front, through the embedded store and both Riak
//! APIs (stand-in): 204 then 404, the contact gone from reads, the cache and the list, a name
//! deleted and saved again reads its new number, and the deletes counted in `/metrics`.

use crate::support::memcached::Memcached;
use crate::support::riak::{cluster, riak_http};
use crate::support::*;
use std::process::{Command, Stdio};
use std::time::Duration;

const DELETES: &str = r#"phonebook_requests_total{route="contact",method="DELETE",status="204"}"#;
const STORE_DELETES: &str = r#"phonebook_store_duration_seconds_count{op="delete"}"#;

/// `curl -X DELETE` on `url`: the status it got.
fn curl_delete(url: &str) -> u16 {
    let mut child = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .args(["-X", "DELETE", url])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("curl: {e} (install it with tools/test-deps.sh)"));
    poll(Duration::from_secs(15), || {
        child.try_wait().unwrap().is_some()
    });
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).parse().unwrap_or(0)
}

/// The script every store runs, with the cache on.
fn delete_script(what: &str, svc: &Service) {
    let url = svc.url("/contacts/John%20Doe");
    let (deletes, store_deletes) = (metric(svc, DELETES), metric(svc, STORE_DELETES));
    assert_eq!(
        post_form(&svc.url("/contacts"), "John Doe", "040 1").status,
        200
    );
    assert_eq!(
        get(&url).status,
        200,
        "{what}: read once, so the cache holds it"
    );
    assert_eq!(get(&url).status, 200, "{what}");
    assert_eq!(curl_delete(&url), 204, "{what}: it existed");
    assert_eq!(curl_delete(&url), 404, "{what}: gone");
    for _ in 0..3 {
        let reply = get(&url);
        assert_eq!(
            reply.status, 404,
            "{what}: never from the cache: {}",
            reply.body
        );
    }
    let html = get_with(&url, ("Accept", "text/html"));
    assert_eq!(html.status, 404, "{what}");
    let list = get(&svc.url("/contacts")).body;
    assert!(!list.contains("John Doe"), "{what}: {list}");
    assert_eq!(metric(svc, DELETES) - deletes, 1, "{what}");
    assert_eq!(metric(svc, STORE_DELETES) - store_deletes, 2, "{what}");
    // Saved again: the new number, not the old one, and not a "not found".
    assert_eq!(
        post_form(&svc.url("/contacts"), "John Doe", "040 2").status,
        200
    );
    assert_eq!(
        get(&url).body,
        r#"{"name":"John Doe","number":"0402"}"#,
        "{what}"
    );
}

#[test]
fn a_delete_answers_204_then_404_through_every_store_with_the_cache_on() {
    let mc = Memcached::start();
    let dir = temp_dir("delete-embedded");
    let store = embedded_arg(&dir);
    let args = ["--store", &store, "--cache", &mc.url()];
    let svc = Service::start(&args).owning(dir);
    delete_script("embedded", &svc);
    drop(svc);

    for api in ["pbc", "http"] {
        let mc = Memcached::start();
        let nodes = cluster(1, Default::default());
        let addr = crate::support::riak::addr_of(&nodes[0], api);
        let dir = temp_dir(&format!("delete-{api}"));
        let config = dir.join("phonebook.toml");
        let text = format!(
            "[store]\nurl = \"{api}://{addr}\"\ntimeout_ms = 2000\n\n[cache]\nurl = \"{}\"\n",
            mc.url()
        );
        std::fs::write(&config, text).unwrap();
        let svc = Service::start(&["--config", config.to_str().unwrap()]).owning(dir);
        let url = svc.url("/contacts/Eve");
        assert_eq!(post_form(&svc.url("/contacts"), "Eve", "112").status, 200);
        assert_eq!(curl_delete(&url), 204, "{api}");
        // What Riak keeps is a tombstone: its HTTP API says so, and the service reads it as
        // not found.
        let (status, headers, _) =
            riak_http(&nodes[0], "GET", "/buckets/phonebook/keys/Eve", &[], "");
        assert_eq!(status, 404, "{api}");
        assert!(
            headers.iter().any(|(k, _)| k == "x-riak-deleted"),
            "{api}: {headers:?}"
        );
        assert_eq!(get(&url).status, 404, "{api}");
        delete_script(api, &svc);
    }
}
