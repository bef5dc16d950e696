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

/// Each refused case: what it is, the name, and what the 400 says.
const REFUSED: &[(&str, &str, &str)] = &[
    (".", ".", "must not be \".\" or \"..\""),
    ("..", "..", "must not be \".\" or \"..\""),
    (
        "U+202E RLO",
        "Eve\u{202E}",
        "bidirectional control (U+202E)",
    ),
    (
        "U+202A LRE",
        "\u{202A}Eve",
        "bidirectional control (U+202A)",
    ),
    (
        "U+2066 LRI",
        "Eve\u{2066}x",
        "bidirectional control (U+2066)",
    ),
    (
        "U+2067 RLI",
        "\u{2067}Eve",
        "bidirectional control (U+2067)",
    ),
    (
        "U+2069 PDI",
        "Eve\u{2069}",
        "bidirectional control (U+2069)",
    ),
    (
        "U+200E LRM",
        "Eve\u{200E}",
        "bidirectional control (U+200E)",
    ),
    (
        "U+200F RLM trailing",
        "John Doe\u{200F}",
        "bidirectional control (U+200F)",
    ),
    ("U+061C ALM", "Eve\u{61C}", "bidirectional control (U+061C)"),
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
    ("U+FFFF", "Eve\u{FFFF}", "a noncharacter (U+FFFF)"),
    ("U+FDD0", "Eve\u{FDD0}", "a noncharacter (U+FDD0)"),
    ("U+10FFFE", "Eve\u{10FFFE}", "a noncharacter (U+10FFFE)"),
    (
        "U+E000 private use",
        "Eve\u{E000}",
        "a private-use character (U+E000)",
    ),
    (
        "U+F0000 private use",
        "Eve\u{F0000}",
        "a private-use character (U+F0000)",
    ),
    (
        "U+0378 unassigned",
        "Eve\u{378}",
        "an unassigned code point (U+0378)",
    ),
    (
        "U+E0000 unassigned",
        "Eve\u{E0000}",
        "an unassigned code point (U+E0000)",
    ),
    (
        "U+200B ZWSP",
        "John\u{200B} Doe",
        "invisible format character (U+200B)",
    ),
    (
        "U+200D between letters",
        "Jo\u{200D}hn",
        "invisible format character (U+200D)",
    ),
    (
        "U+200D emoji then letter",
        "\u{1F600}\u{200D}a",
        "format character (U+200D)",
    ),
    (
        "leading U+FEFF BOM",
        "\u{FEFF}John Doe",
        "invisible format character (U+FEFF)",
    ),
    (
        "U+00AD soft hyphen",
        "Jo\u{AD}hn",
        "invisible format character (U+00AD)",
    ),
    (
        "U+200C not between letters",
        "\u{200C}Eve",
        "format character (U+200C)",
    ),
    (
        "U+200B U+200D only",
        "\u{200B}\u{200D}",
        "invisible format character (U+200B)",
    ),
    ("U+3164 only", "\u{3164}", "a Hangul filler (U+3164)"),
    ("U+FFA0", "Eve\u{FFA0}", "a Hangul filler (U+FFA0)"),
    ("U+2800 only", "\u{2800}", "must have a visible character"),
    ("U+115F only", "\u{115F}", "must have a visible character"),
    (
        "marks only",
        "\u{301}\u{302}",
        "must have a visible character",
    ),
    (
        "x and 5 accents",
        "x\u{301}\u{302}\u{303}\u{304}\u{305}",
        "at most 4 combining marks",
    ),
    ("a tab", "tab\there", "a control character (U+0009)"),
    ("a slash", "a/b", "must not contain '/'"),
];

/// Names that writing needs, with the joiners the rules allow only there.
const ACCEPTED: &[(&str, &str)] = &[
    (
        "family: U+200D between emoji",
        "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
    ),
    (
        "rainbow flag: U+FE0F U+200D",
        "\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}",
    ),
    (
        "skin tone then U+200D",
        "\u{1F469}\u{1F3FD}\u{200D}\u{1F4BB}",
    ),
    (
        "Scotland: tag characters",
        "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
    ),
    (
        "Persian: U+200C between letters",
        "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}",
    ),
    ("Vietnamese", "Nguy\u{1EC5}n"),
    ("x and 4 accents", "x\u{301}\u{302}\u{303}\u{304}"),
    ("Cyrillic o: confusables out of scope", "J\u{43E}hn Doe"),
];

#[test]
fn names_that_cannot_be_read_back_or_lie_on_screen_are_refused_with_the_reason() {
    let dir = temp_dir("names-refused");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    let zalgo = format!("e{}", "\u{301}".repeat(99));
    let zalgo_case = (
        "e and 99 accents",
        zalgo.as_str(),
        "at most 4 combining marks",
    );
    for (what, name, why) in REFUSED.iter().copied().chain([zalgo_case]) {
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
    assert_eq!(
        names(&svc),
        Vec::<String>::new(),
        "no refused name was stored"
    );
    for (what, name) in ACCEPTED {
        let reply = save(&svc, name, "12345");
        assert_eq!(reply.status, 200, "{what}: {}", reply.body);
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
    assert_eq!(names(&svc).len(), ACCEPTED.len() + 1);
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
