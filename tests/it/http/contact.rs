//! `GET /contacts/{name}`: the exercise's JSON, byte for byte, for every client whose `Accept`
//! does not name `text/html`, and a page for browsers; the delete form's path asks before it
//! deletes, all without a browser.

use crate::support::http::{ask, status_of};
use crate::support::*;

const JOHN: &str = r#"{"name":"John Doe","number":"+358408053254"}"#;

#[test]
fn api_clients_get_the_exact_json_and_browsers_a_page() {
    let dir = temp_dir("contact-json");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    assert_eq!(
        post_form(&svc.url("/contacts"), "John Doe", "+358 40 805 3254").status,
        200
    );
    for accept in ["", "Accept: */*\r\n", "Accept: application/json\r\n"] {
        for path in ["/contacts/John%20Doe", "/get/John%20Doe"] {
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: localhost\r\n{accept}Connection: close\r\n\r\n"
            );
            let answer = ask(&svc.addr, &request);
            let (head, body) = answer.split_once("\r\n\r\n").unwrap();
            assert_eq!(status_of(head), 200, "{accept:?} {path}");
            assert!(
                head.contains("\r\nContent-Type: application/json\r\n"),
                "{head}"
            );
            assert_eq!(body, JOHN, "{accept:?} {path}");
        }
    }
    let page = get_with(&svc.url("/contacts/John%20Doe"), ("Accept", "text/html"));
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    assert!(page
        .body
        .contains("<a class=\"number\" href=\"tel:+358408053254\">+358 40 8053254</a>"));
    assert!(page.body.contains("action=\"/contacts/John%20Doe/delete\""));
    let json_first = ("Accept", "application/json, text/html;q=0.5");
    assert_eq!(
        get_with(&svc.url("/contacts/John%20Doe"), json_first).body,
        JOHN
    );
}

#[test]
fn the_delete_form_asks_first_and_deletes_only_when_confirmed() {
    let dir = temp_dir("contact-delete-form");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    assert_eq!(
        post_form(&svc.url("/contacts"), "John Doe", "112").status,
        200
    );
    let path = svc.url("/contacts/John%20Doe/delete");
    let form = "application/x-www-form-urlencoded";
    let asked = post(&path, form, "");
    assert_eq!(asked.status, 200);
    assert!(
        asked.body.contains("name=\"confirm\" value=\"yes\""),
        "{}",
        asked.body
    );
    assert_eq!(
        get(&svc.url("/contacts/John%20Doe")).status,
        200,
        "asking deleted nothing"
    );
    let done = post(&path, form, "confirm=yes");
    assert_eq!(done.status, 200);
    assert!(done
        .body
        .contains("Deleted <strong dir=\"auto\">John Doe</strong>"));
    assert_eq!(get(&svc.url("/contacts/John%20Doe")).status, 404);
    assert_eq!(post(&path, form, "confirm=yes").status, 404, "gone already");
    assert_eq!(post(&path, form, "").status, 404, "nothing to ask about");
}
