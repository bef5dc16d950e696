//! The web pages as a user meets them: headless Chromium drives the real binary.
//!
//! Each test shares one browser session across its steps, and saves a screenshot of every page it
//! checks into `target/screenshots/`, so a run leaves pictures of what the pages look like.

use crate::support::webdriver::Browser;
use crate::support::*;
use std::path::PathBuf;
use std::time::Duration;

/// Where the screenshots of a run go: `screenshots/` in the cargo target folder.
fn shot(name: &str) -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap().join("screenshots").join(name)
}

/// Types a name and a number into the empty form and presses Save.
fn submit_form(b: &Browser, name: &str, number: &str) {
    b.type_into(&b.find("#name"), name);
    b.type_into(&b.find("#number"), number);
    b.click(&b.find("form button[type=submit]"));
}

/// The names in the list table, in page order.
fn listed_names(b: &Browser) -> Vec<String> {
    let links = b.find_all("tbody td:first-child a[href^='/contacts/']");
    links.iter().map(|a| b.text(a)).collect()
}

/// Follows a link to a contact's page: the name it shows, and where its number link calls.
fn follow_to_page(b: &Browser, css: &str) -> (String, String) {
    b.click(&b.find(css));
    let number = b.find(".card a.number");
    let tel = b.attr(&number, "href").unwrap_or_default();
    (b.text(&b.find("main h2")), tel)
}

#[test]
fn the_form_saves_shows_errors_and_escapes_names() {
    let dir = temp_dir("browser-form");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    let b = Browser::start();

    b.goto(&svc.url("/"));
    assert_eq!(b.title(), "Phonebook");
    assert_eq!(b.text(&b.find("label[for=name]")), "Name");
    assert_eq!(b.text(&b.find("label[for=number]")), "Number");
    submit_form(&b, "John Doe", "+358 40 805 3254");
    assert_eq!(b.title(), "Saved · Phonebook");
    assert_eq!(b.text(&b.find(".saved strong")), "John Doe");
    let number = b.find(".saved a.number");
    assert_eq!(
        b.text(&number),
        "+358 40 8053254",
        "grouped as Finland writes it"
    );
    assert_eq!(
        b.attr(&number, "href").as_deref(),
        Some("tel:+358408053254")
    );
    assert_eq!(
        b.prop(&b.find("#name"), "value"),
        "",
        "ready for the next one"
    );
    b.screenshot(&shot("form-saved.png"));
    let (shown, tel) = follow_to_page(&b, ".saved a[href^='/contacts/']");
    assert_eq!(
        (shown.as_str(), tel.as_str()),
        ("John Doe", "tel:+358408053254")
    );

    b.goto(&svc.url("/"));
    submit_form(&b, "Jane Roe", "12");
    assert_eq!(b.title(), "Error · Phonebook");
    let note = b.find("#number ~ .error");
    assert_eq!(b.attr(&note, "id").as_deref(), Some("number-error"));
    assert_eq!(b.text(&note), "3 to 15 digits, got 2");
    let number = b.find("#number");
    assert_eq!(b.attr(&number, "aria-invalid").as_deref(), Some("true"));
    assert_eq!(b.prop(&number, "value"), "12", "what was typed is kept");
    assert_eq!(b.prop(&b.find("#name"), "value"), "Jane Roe");
    assert_eq!(b.attr(&b.focused(), "id").as_deref(), Some("number"));
    assert!(b.find_all("#name-error, .saved").is_empty());
    b.screenshot(&shot("form-error.png"));
    assert_eq!(get(&svc.url("/contacts/Jane%20Roe")).status, 404);

    let name = "Åsa \"Öberg\" <script>alert(1)<img src=x onerror=alert(2)> & Zoë's";
    b.goto(&svc.url("/"));
    submit_form(&b, name, "+46 70 111 22 33");
    assert_eq!(b.text(&b.find(".saved strong")), name);
    assert!(b.find_all("script, img").is_empty(), "markup stays text");
    assert_eq!(b.alert_text(), None);
    b.screenshot(&shot("form-escaped.png"));
    b.click(&b.find(".saved a[href^='/contacts?']"));
    assert_eq!(b.prop(&b.find("#prefix"), "value"), name);
    assert_eq!(listed_names(&b), [name]);
    assert!(b.find_all("script, img").is_empty());
    b.screenshot(&shot("list-escaped.png"));
    let (shown, _) = follow_to_page(&b, "tbody td:first-child a");
    assert_eq!(shown, name);
    assert!(b.find_all("script, img").is_empty());
}

#[test]
fn the_list_pages_and_filters() {
    let dir = temp_dir("browser-list");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    let names = [
        "Émile <b>",
        "Bo",
        "Anton & Co",
        "Zoë",
        "Aino",
        "Éva",
        "Anna Berg",
    ];
    for (i, name) in names.iter().enumerate() {
        let body = serde_json::json!({ "name": name, "number": format!("+358 40 100 200{i}") });
        let saved = post(&svc.url("/contacts"), "application/json", &body.to_string());
        assert_eq!(saved.status, 200, "{}", saved.body);
    }
    let mut sorted = names.map(String::from).to_vec();
    sorted.sort();
    let b = Browser::start();

    b.goto(&svc.url("/contacts?limit=3"));
    let mut seen = Vec::new();
    for page in 1..=4 {
        let shown = listed_names(&b);
        assert_eq!(shown.len(), if page < 3 { 3 } else { 1 }, "page {page}");
        seen.extend(shown);
        assert_eq!(b.find_all("a[rel=first]").len(), usize::from(page > 1));
        b.screenshot(&shot(&format!("list-page{page}.png")));
        match b.find_all("a[rel=next]").first() {
            Some(next) => b.click(next),
            None => break,
        }
        assert!(page < 3, "a next link on the last page");
    }
    assert_eq!(seen, sorted, "every contact once, sorted by name");
    b.click(&b.find("a[rel=first]"));
    assert_eq!(listed_names(&b), sorted[..3]);

    // A non-ASCII prefix, one contact a page: the next link must carry both.
    b.goto(&svc.url("/contacts?limit=1"));
    b.type_into(&b.find("#prefix"), "É");
    b.click(&b.find("form[role=search] button"));
    assert_eq!(listed_names(&b), ["Émile <b>"], "at {}", b.url());
    assert_eq!(
        b.text(&b.find("caption")),
        "1 contact on this page whose name starts with “É”"
    );
    b.screenshot(&shot("list-prefix.png"));
    b.click(&b.find("a[rel=next]"));
    assert_eq!(listed_names(&b), ["Éva"]);
    assert_eq!(b.prop(&b.find("#prefix"), "value"), "É");
    assert!(b.find_all("a[rel=next]").is_empty());
    let (shown, _) = follow_to_page(&b, "tbody td:first-child a");
    assert_eq!(shown, "Éva");

    b.goto(&svc.url("/contacts?prefix=Q"));
    assert!(listed_names(&b).is_empty());
    assert!(b.text(&b.find("tbody")).starts_with("No contacts here."));
}

#[test]
fn the_contact_page_edits_and_deletes_after_asking() {
    let dir = temp_dir("browser-contact");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    let body = r#"{"name":"Åsa Öberg","number":"+358 40 805 3254"}"#;
    assert_eq!(
        post(&svc.url("/contacts"), "application/json", body).status,
        200
    );
    let json = svc.url("/contacts/%C3%85sa%20%C3%96berg");
    let b = Browser::start();

    // From the list to the page, not to JSON.
    b.goto(&svc.url("/contacts"));
    let (shown, tel) = follow_to_page(&b, "tbody td:first-child a");
    assert_eq!(
        (shown.as_str(), tel.as_str()),
        ("Åsa Öberg", "tel:+358408053254")
    );
    assert_eq!(b.title(), "Åsa Öberg · Phonebook");
    assert_eq!(b.text(&b.find(".card a.number")), "+358 40 8053254");
    b.screenshot(&shot("contact.png"));

    // Edit: the number saves through the same rules as the form.
    let field = b.find("#number");
    b.clear(&field);
    b.type_into(&field, "12");
    b.click(&b.find("main form button[type=submit]"));
    assert_eq!(b.title(), "Error · Phonebook");
    assert_eq!(b.text(&b.find("#number-error")), "3 to 15 digits, got 2");
    assert_eq!(
        get(&json).json()["number"],
        "+358408053254",
        "nothing stored"
    );
    b.goto(&json);
    let field = b.find("#number");
    b.clear(&field);
    b.type_into(&field, "+46 70 111 22 33");
    b.click(&b.find("main form button[type=submit]"));
    assert_eq!(b.title(), "Saved · Phonebook");
    assert_eq!(b.text(&b.find(".saved a.number")), "+46 70 111 22 33");
    assert_eq!(get(&json).json()["number"], "+46701112233");

    // Delete asks first; "no" keeps the contact.
    b.goto(&json);
    b.click(&b.find("button.danger"));
    assert_eq!(b.title(), "Delete Åsa Öberg? · Phonebook");
    assert!(b.text(&b.find("[role=alert]")).contains("for good?"));
    b.screenshot(&shot("contact-delete.png"));
    b.click(&b.find("main form a"));
    assert_eq!(b.title(), "Åsa Öberg · Phonebook");
    assert_eq!(get(&json).status, 200, "kept");

    // "Yes" deletes it, from the store and the list.
    b.click(&b.find("button.danger"));
    b.click(&b.find("button.danger"));
    assert_eq!(b.title(), "Deleted · Phonebook");
    assert_eq!(b.text(&b.find(".saved strong")), "Åsa Öberg");
    b.screenshot(&shot("contact-deleted.png"));
    assert_eq!(get(&json).status, 404);
    b.click(&b.find("main a[href='/contacts']"));
    assert!(listed_names(&b).is_empty());
}

/// Serves `html` to every request on a free 127.0.0.1 port (another origin than the service),
/// for as long as the test runs; returns the port.
fn serve_page(html: String) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{html}",
            html.len()
        );
        // A thread per connection: Chromium opens spare connections that send nothing, which
        // must not hold up the one that asks for the page.
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buf = [0u8; 4096];
                if matches!(std::io::Read::read(&mut stream, &mut buf), Ok(n) if n > 0) {
                    let _ = std::io::Write::write_all(&mut stream, answer.as_bytes());
                }
            });
        }
    });
    port
}

#[test]
fn a_page_on_another_origin_cannot_write_but_the_own_form_can() {
    let dir = temp_dir("browser-cross-origin");
    let svc = Service::start(&["--store", &embedded_arg(&dir)]);
    assert_eq!(
        post_form(&svc.url("/contacts"), "John Doe", "+358 40 805 3254").status,
        200
    );
    let target = svc.url("/contacts");
    // What the attacker's page did: a hidden form, and a no-cors fetch on load.
    let html = format!(
        "<!doctype html><title>loading</title>\
         <form id=f method=post action=\"{target}\">\
         <input name=name value=\"John Doe\"><input name=number value=\"666 666\">\
         <button id=go>go</button></form>\
         <script>fetch(\"{target}\", {{method: \"POST\", mode: \"no-cors\", \
         headers: {{\"Content-Type\": \"application/x-www-form-urlencoded\"}}, \
         body: \"name=Fetched&number=12345\"}}).then(() => document.title = \"fetched\", \
         () => document.title = \"fetch failed\")</script>"
    );
    let port = serve_page(html);
    let b = Browser::start();
    // Cross-site (another host name) and same-site (another port of the same address).
    for page in [
        format!("http://localhost:{port}/"),
        format!("http://127.0.0.1:{port}/"),
    ] {
        b.goto(&page);
        assert!(
            poll(Duration::from_secs(10), || b.title() != "loading"),
            "the fetch never settled on {page}"
        );
        b.click(&b.find("#go"));
        assert_eq!(b.title(), "Refused · Phonebook", "{page}");
        assert!(b
            .text(&b.find(".error"))
            .contains("cross-origin write refused"));
        b.screenshot(&shot("cross-origin-refused.png"));
    }
    assert_eq!(
        get(&svc.url("/contacts/John%20Doe")).json()["number"],
        "+358408053254"
    );
    assert_eq!(
        get(&svc.url("/contacts/Fetched")).status,
        404,
        "the fetch stored nothing"
    );
    let refused = r#"phonebook_requests_total{route="contacts",method="POST",status="403"}"#;
    assert_eq!(
        metric(&svc, refused),
        4,
        "each form and fetch reached the service, refused"
    );

    b.goto(&svc.url("/"));
    submit_form(&b, "John Doe", "+358 40 111 2222");
    assert_eq!(
        b.title(),
        "Saved · Phonebook",
        "the service's own form still works"
    );
    assert_eq!(
        get(&svc.url("/contacts/John%20Doe")).json()["number"],
        "+358401112222"
    );
}
