//! The HTML pages: the form (empty, after a save, or with validation errors) and the list, from
//! templates in `static/` compiled into the binary; every value inserted is HTML-escaped here.

use crate::app::ContactPage;
use crate::contact::{self, Contact};
use crate::error::Error;
use crate::http::tel;
use crate::url::{encode_query, encode_segment};

pub(crate) const INDEX: &str = include_str!("../../static/index.html");
pub(crate) const LIST: &str = include_str!("../../static/list.html");
pub(crate) const STYLE: &str = include_str!("../../static/style.css");

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as a `tel:` link (a tap calls it on a phone) that reads grouped the way its
/// country writes it; the link keeps the stored number.
pub(crate) fn tel_link(number: &str) -> String {
    format!(
        "<a class=\"number\" href=\"tel:{}\">{}</a>",
        escape(number),
        escape(&tel::grouped(number))
    )
}

/// Replaces each `{{key}}` in `template` by its value. Values are copied as they are (escape
/// them first) and never scanned for placeholders themselves; unknown keys stay as written.
pub(crate) fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}").map(|end| end + 2) else {
            break;
        };
        let key = &rest[start + 2..start + len - 2];
        out.push_str(&rest[..start]);
        match values.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[start..start + len]),
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// What the form page shows besides the two fields.
#[derive(Default)]
struct FormState<'a> {
    title: &'a str,
    message: String,
    name_error: Option<String>,
    number_error: Option<String>,
}

/// The empty form.
pub(crate) fn form() -> String {
    fill_form(FormState::default(), "", "")
}

/// The form after a save, saying what was stored, with the fields empty for the next one.
pub(crate) fn saved(contact: &Contact) -> String {
    let message = format!(
        "<p class=\"saved\" role=\"status\">Saved <strong dir=\"auto\">{}</strong>, number {}. \
         <a href=\"/contacts?{}\">Show in the list</a> · <a href=\"/contacts/{}\">Its page</a></p>",
        escape(&contact.name),
        tel_link(&contact.number),
        escape(&encode_query(&[("prefix", &contact.name)])),
        escape(&encode_segment(&contact.name)),
    );
    let state = FormState {
        title: "Saved",
        message,
        ..FormState::default()
    };
    fill_form(state, "", "")
}

/// The form again with what the user typed, and each field's error beside it. `err` is the
/// error that stopped the save; the other field is checked too, so one round trip shows both.
pub(crate) fn invalid(name: &str, number: &str, err: &Error) -> String {
    let text = err.to_string();
    let mut state = FormState {
        title: "Error",
        ..FormState::default()
    };
    match text.split_once(": ") {
        Some(("name", why)) => {
            state.name_error = Some(why.to_string());
            state.number_error = contact::parse_number(number)
                .err()
                .and_then(|e| e.to_string().split_once(": ").map(|(_, w)| w.to_string()));
        }
        // The name is checked first, so a number error means the name was fine.
        Some(("number", why)) => state.number_error = Some(why.to_string()),
        _ => state.message = format!("<p class=\"error\" role=\"alert\">{}</p>", escape(&text)),
    }
    fill_form(state, name, number)
}

/// The empty form, saying why a request was refused (e.g. a write from a page on another site).
pub(crate) fn refused(why: &str) -> String {
    let state = FormState {
        title: "Refused",
        message: format!("<p class=\"error\" role=\"alert\">{}</p>", escape(why)),
        ..FormState::default()
    };
    fill_form(state, "", "")
}

fn fill_form(state: FormState, name: &str, number: &str) -> String {
    let title = match state.title {
        "" => "Phonebook".to_string(),
        t => format!("{t} · Phonebook"),
    };
    let (name_attrs, name_error) = field_error("name", state.name_error.as_deref(), true);
    // Focus goes to the first field in error, so only the number takes it when the name is fine.
    let focus = state.name_error.is_none();
    let (number_attrs, number_error) = field_error("number", state.number_error.as_deref(), focus);
    let number_described = if number_error.is_empty() {
        ""
    } else {
        " number-error"
    };
    render(
        INDEX,
        &[
            ("title", &title),
            ("message", &state.message),
            ("name", &escape(name)),
            ("name_attrs", &name_attrs),
            ("name_error", &name_error),
            ("number", &escape(number)),
            ("number_attrs", &number_attrs),
            ("number_described", number_described),
            ("number_error", &number_error),
        ],
    )
}

/// The extra input attributes and the note that mark one field as invalid.
fn field_error(field: &str, why: Option<&str>, focus: bool) -> (String, String) {
    let Some(why) = why else {
        return (String::new(), String::new());
    };
    let mut attrs = String::from(" aria-invalid=\"true\"");
    if field == "name" {
        attrs.push_str(" aria-describedby=\"name-error\"");
    }
    if focus {
        attrs.push_str(" autofocus");
    }
    let note = format!(
        "<p class=\"error\" id=\"{field}-error\" role=\"alert\">{}</p>",
        escape(why)
    );
    (attrs, note)
}

/// The list page: one table row per contact, a prefix filter, and links to the first and the
/// next page. `after` is where this page started (none on the first page).
pub(crate) fn list(page: &ContactPage, prefix: &str, after: Option<&str>, limit: usize) -> String {
    let limit_text = limit.to_string();
    let link = |rel: &str, text: &str, after: &str| {
        let query = encode_query(&[("prefix", prefix), ("after", after), ("limit", &limit_text)]);
        format!(
            "<a rel=\"{rel}\" href=\"/contacts?{}\">{text}</a>",
            escape(&query)
        )
    };
    let paged = after.is_some() || page.next.is_some();
    let first = match after {
        Some(_) => link("first", "First page", ""),
        None => String::new(),
    };
    let next = match &page.next {
        Some(last) => link("next", "Next page", last),
        None => String::new(),
    };
    render(
        LIST,
        &[
            ("prefix", &escape(prefix)),
            ("limit", &limit_text),
            ("caption", &caption(page.contacts.len(), prefix, paged)),
            ("rows", &rows(&page.contacts)),
            ("first", &first),
            ("next", &next),
        ],
    )
}

/// Says what the table holds, e.g. "3 contacts on this page whose name starts with “An”".
fn caption(count: usize, prefix: &str, paged: bool) -> String {
    let what = match count {
        1 => "1 contact".to_string(),
        n => format!("{n} contacts"),
    };
    let place = if paged { " on this page" } else { "" };
    match prefix {
        "" => format!("{what}{place}, sorted by name"),
        p => format!("{what}{place} whose name starts with “{}”", escape(p)),
    }
}

fn rows(contacts: &[Contact]) -> String {
    if contacts.is_empty() {
        return "<tr><td colspan=\"2\">No contacts here. <a href=\"/\">Add one</a>.</td></tr>\n"
            .into();
    }
    contacts
        .iter()
        .map(|c| {
            format!(
                "<tr><td><a dir=\"auto\" href=\"/contacts/{}\">{}</a></td><td>{}</td></tr>\n",
                escape(&encode_segment(&c.name)),
                escape(&c.name),
                tel_link(&c.number)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>\"x\"&'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;"
        );
    }

    #[test]
    fn a_number_links_to_itself_and_reads_grouped() {
        assert_eq!(
            tel_link("+358408053254"),
            "<a class=\"number\" href=\"tel:+358408053254\">+358 40 8053254</a>"
        );
        assert_eq!(
            tel_link("112"),
            "<a class=\"number\" href=\"tel:112\">112</a>"
        );
    }

    #[test]
    fn render_fills_once_and_keeps_unknown_keys() {
        let out = render("{{a}}|{{b}}|{x}|{{c}}|{{", &[("a", "{{b}}"), ("b", "B")]);
        assert_eq!(out, "{{b}}|B|{x}|{{c}}|{{");
    }

    #[test]
    fn every_placeholder_is_filled() {
        let err = contact::parse_number("12").unwrap_err();
        let contact = Contact::parse("A", "123").unwrap();
        let page = ContactPage {
            contacts: vec![contact.clone()],
            next: Some("A".into()),
        };
        for html in [
            form(),
            saved(&contact),
            invalid("", "12", &err),
            list(&page, "A", Some("0"), 1),
        ] {
            assert!(!html.contains("{{"), "{html}");
        }
    }

    #[test]
    fn errors_land_beside_their_field() {
        let err = contact::parse_number("12").unwrap_err();
        let html = invalid("<b>", "12", &err);
        assert!(html.contains("value=\"&lt;b&gt;\""));
        let number_field = html.find("id=\"number\"").unwrap();
        let note = html.find("id=\"number-error\"").unwrap();
        assert!(note > number_field);
        assert!(!html.contains("id=\"name-error\""), "the name is valid");
        assert!(html.contains("aria-describedby=\"number-hint number-error\""));
    }

    #[test]
    fn both_fields_are_checked_in_one_round_trip() {
        let err = contact::parse_name(" ").unwrap_err();
        let html = invalid(" ", "x", &err);
        assert!(html.contains("id=\"name-error\""));
        assert!(html.contains("id=\"number-error\""));
        assert_eq!(html.matches("autofocus").count(), 1);
    }

    #[test]
    fn names_that_look_like_placeholders_stay_text() {
        let contact = Contact::parse("{{number}} {{rows}}", "123").unwrap();
        assert!(saved(&contact).contains("<strong dir=\"auto\">{{number}} {{rows}}</strong>"));
        let page = ContactPage {
            contacts: vec![contact],
            next: None,
        };
        assert!(list(&page, "", None, 5).contains(">{{number}} {{rows}}</a>"));
    }
}
