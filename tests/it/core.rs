//! End-to-end tests of the service on its embedded store, over real HTTP.

use crate::support::*;

#[test]
fn form_is_served_and_contacts_round_trip() {
    let dir = temp_dir("roundtrip");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    let form = get(&svc.url("/"));
    assert_eq!(form.status, 200);
    assert!(form.content_type.starts_with("text/html"));
    assert!(form.body.contains("name=\"name\"") && form.body.contains("name=\"number\""));
    assert!(form.body.contains("action=\"/contacts\""));

    let saved = post_form(&svc.url("/contacts"), "John Doe", "+358 40 805 3254");
    assert_eq!(saved.status, 200);
    let got = get(&svc.url("/contacts/John%20Doe"));
    assert_eq!(got.status, 200);
    assert_eq!(got.content_type, "application/json");
    assert_eq!(got.body, r#"{"name":"John Doe","number":"+358408053254"}"#);
}
