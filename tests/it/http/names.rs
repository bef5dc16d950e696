//! The name rules through HTTP, one case each by the character it names: every spelling of a
//! name is one contact (NFC), spaces fold, case stays; the names that cannot be read back or
//! that lie on screen are a 400 that says why; a name stored in another form before names were
//! normalized still reads, and deletes, by that exact spelling.

use crate::support::*;
use phonebook::contact::Contact;
use phonebook::store::{embedded::Embedded, Store};
use serde_json::json;

fn save(svc: &Service, name: &str, number: &str) -> Reply {
    let body = json!({ "name": name, "number": number }).to_string();
    post(&svc.url("/contacts"), "application/json", &body)
}

fn names(svc: &Service) -> Vec<String> {
    let list = get(&svc.url("/contacts")).json();
    let contacts = list["contacts"].as_array().unwrap().iter();
    contacts
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_spelling_of_asa_is_one_contact() {
    let dir = temp_dir("names-nfc");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    assert_eq!(save(&svc, "\u{C5}sa", "111").status, 200, "NFC");
    let nfd = save(&svc, "A\u{30A}sa", "222");
    assert_eq!(
        nfd.body, r#"{"name":"Åsa","number":"222"}"#,
        "NFD is stored as NFC"
    );
    assert_eq!(
        save(&svc, "\u{212B}sa", "333").status,
        200,
        "U+212B ANGSTROM SIGN"
    );
    assert_eq!(names(&svc), ["Åsa"], "one contact");
    for (spelling, path) in [
        ("NFC", "/contacts/%C3%85sa"),
        ("NFD", "/contacts/A%CC%8Asa"),
        ("U+212B", "/get/%E2%84%ABsa"),
    ] {
        let got = get(&svc.url(path));
        assert_eq!(got.body, r#"{"name":"Åsa","number":"333"}"#, "{spelling}");
    }
    // A prefix in any spelling finds it too.
    let listed = get(&svc.url("/contacts?prefix=A%CC%8A")).json();
    assert_eq!(listed["contacts"][0]["name"], "Åsa");

    assert_eq!(
        save(&svc, "John\u{A0}Doe", "444").body,
        r#"{"name":"John Doe","number":"444"}"#
    );
    assert_eq!(
        save(&svc, "john doe", "555").status,
        200,
        "case is significant"
    );
    assert_eq!(
        get(&svc.url("/contacts/John%20Doe")).json()["number"],
        "444"
    );
    assert_eq!(names(&svc), ["John Doe", "john doe", "Åsa"]);
}

#[test]
fn names_that_cannot_be_read_back_or_lie_on_screen_are_refused_with_the_reason() {
    let dir = temp_dir("names-refused");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    let zalgo = format!("e{}", "\u{301}".repeat(99));
    let cases: Vec<(&str, &str, &str)> = vec![
        (".", ".", "must not be \".\" or \"..\""),
        ("..", "..", "must not be \".\" or \"..\""),
        ("U+202E", "Eve\u{202E}", "bidirectional control (U+202E)"),
        ("U+2067", "\u{2067}Eve", "bidirectional control (U+2067)"),
        (
            "U+200F trailing",
            "John Doe\u{200F}",
            "bidirectional control (U+200F)",
        ),
        ("U+061C", "Eve\u{61C}", "bidirectional control (U+061C)"),
        (
            "U+2028",
            "Eve\u{2028}Bo",
            "line or paragraph separator (U+2028)",
        ),
        (
            "U+2029",
            "Eve\u{2029}Bo",
            "line or paragraph separator (U+2029)",
        ),
        ("U+FFFF", "Eve\u{FFFF}", "noncharacter (U+FFFF)"),
        ("U+E000", "Eve\u{E000}", "private-use character (U+E000)"),
        ("U+0378", "Eve\u{378}", "unassigned code point (U+0378)"),
        (
            "U+200B",
            "John\u{200B} Doe",
            "invisible format character (U+200B)",
        ),
        (
            "U+200D between letters",
            "Jo\u{200D}hn",
            "invisible format character (U+200D)",
        ),
        (
            "leading U+FEFF",
            "\u{FEFF}John Doe",
            "invisible format character (U+FEFF)",
        ),
        (
            "U+200B U+200D only",
            "\u{200B}\u{200D}",
            "invisible format character (U+200B)",
        ),
        ("U+3164 only", "\u{3164}", "Hangul filler (U+3164)"),
        ("e and 99 accents", &zalgo, "at most 4 combining marks"),
    ];
    for (what, name, why) in &cases {
        let reply = save(&svc, name, "12345");
        assert_eq!(reply.status, 400, "{what}");
        let error = reply.json()["error"].as_str().unwrap().to_string();
        assert!(
            error.starts_with("name: ") && error.contains(why),
            "{what}: {error}"
        );
    }
    // The same rules on the path: a dot segment escaped so the client does not resolve it.
    for path in [
        "/contacts/%2E",
        "/contacts/%2E%2E",
        "/contacts/Eve%E2%80%AE",
    ] {
        assert_eq!(get(&svc.url(path)).status, 400, "{path}");
        let deleted = agent().delete(&svc.url(path)).call().unwrap();
        assert_eq!(deleted.status(), 400, "DELETE {path}");
    }
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
    assert_eq!(
        save(&svc, &family.repeat(15), "12345").status,
        200,
        "15 people"
    );
    let over = save(&svc, &"\u{1F600}".repeat(101), "12345");
    assert_eq!(
        over.json()["error"],
        "name: at most 100 characters, got 101"
    );
    assert_eq!(
        names(&svc),
        [family.repeat(15)],
        "no refused name was stored"
    );
}

#[test]
fn a_name_stored_before_in_another_form_reads_and_deletes_by_that_spelling() {
    let dir = temp_dir("names-old-key");
    let nfd = "A\u{30A}sa";
    {
        // Written the way an older version stored names: as typed, not normalized.
        let store = Embedded::open(&dir.join("db.redb")).unwrap();
        let old = Contact {
            name: nfd.into(),
            number: "111".into(),
        };
        store.put(&old).unwrap();
    }
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    assert_eq!(names(&svc), [nfd], "listed under its old key");
    let by_old = get(&svc.url("/contacts/A%CC%8Asa"));
    assert_eq!(by_old.json()["name"], nfd, "its exact spelling finds it");
    assert_eq!(
        get(&svc.url("/contacts/%C3%85sa")).status,
        404,
        "other spellings do not"
    );
    let deleted = agent()
        .delete(&svc.url("/contacts/A%CC%8Asa"))
        .call()
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(names(&svc).is_empty());
}
