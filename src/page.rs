//! The HTML pages: the form (empty, after a save, or with a validation error) and the list.
//!
//! Templates are files in `static/`, compiled into the binary so it runs from any directory and
//! no request ever reads the file system. Every value inserted is HTML-escaped here.

use crate::app::Page;
use crate::contact::Contact;
use crate::error::Error;

pub const INDEX: &str = include_str!("../static/index.html");
pub const LIST: &str = include_str!("../static/list.html");
pub const STYLE: &str = include_str!("../static/style.css");

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
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

/// The empty form.
pub fn form() -> String {
    fill_form("", "", "", "", "")
}

/// The form after a save, saying what was stored.
pub fn saved(contact: &Contact) -> String {
    let message = format!(
        "<p class=\"saved\" role=\"status\">Saved <strong>{}</strong>: {}. <a href=\"/contacts/{}\">As JSON</a></p>",
        escape(&contact.name),
        escape(&contact.number),
        escape(&crate::routes::encode_segment(&contact.name)),
    );
    fill_form(&message, "", "", "", "")
}

/// The form again with what the user typed and the error beside the field it concerns.
pub fn invalid(name: &str, number: &str, err: &Error) -> String {
    let text = err.to_string();
    let note = |t: &str| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(t));
    match text.split_once(": ") {
        Some(("name", why)) => fill_form("", name, number, &note(why), ""),
        Some(("number", why)) => fill_form("", name, number, "", &note(why)),
        _ => fill_form(&note(&text), name, number, "", ""),
    }
}

fn fill_form(message: &str, name: &str, number: &str, name_err: &str, number_err: &str) -> String {
    INDEX
        .replace("{{message}}", message)
        .replace("{{name_error}}", name_err)
        .replace("{{number_error}}", number_err)
        .replace("{{name}}", &escape(name))
        .replace("{{number}}", &escape(number))
}

/// The list page: one table row per contact, a prefix filter and a link to the next page.
pub fn list(page: &Page, prefix: &str, limit: usize) -> String {
    let rows: String = page
        .contacts
        .iter()
        .map(|c| {
            format!(
                "<tr><td><a href=\"/contacts/{}\">{}</a></td><td>{}</td></tr>\n",
                escape(&crate::routes::encode_segment(&c.name)),
                escape(&c.name),
                escape(&c.number)
            )
        })
        .collect();
    let empty = if page.contacts.is_empty() {
        "<p>No contacts.</p>"
    } else {
        ""
    };
    let next = match &page.next {
        Some(after) => format!(
            "<a rel=\"next\" href=\"/contacts?{}\">Next page</a>",
            escape(&crate::routes::encode_query(&[
                ("prefix", prefix),
                ("after", after),
                ("limit", &limit.to_string()),
            ]))
        ),
        None => String::new(),
    };
    LIST.replace("{{rows}}", &rows)
        .replace("{{empty}}", empty)
        .replace("{{next}}", &next)
        .replace("{{prefix}}", &escape(prefix))
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
    fn errors_land_beside_their_field() {
        let err = crate::contact::parse_number("12").unwrap_err();
        let html = invalid("<b>", "12", &err);
        assert!(html.contains("value=\"&lt;b&gt;\""));
        let number_field = html.find("id=\"number\"").unwrap();
        assert!(html.find("class=\"error\"").unwrap() > number_field);
    }
}
