//! The contact page for people (`GET /contacts/{name}` when `Accept` names `text/html`): the
//! number, a form to change it, and a delete button whose confirmation is a second page, so
//! it works without JavaScript. Filled from `static/contact.html`; every value is escaped.

use crate::contact::Contact;
use crate::http::page::{escape, render, tel_link};
use crate::url::encode_segment;

pub(crate) const CONTACT: &str = include_str!("../../static/contact.html");

/// The path a delete button posts to: forms cannot send `DELETE`.
pub(crate) fn delete_path(name: &str) -> String {
    format!("/contacts/{}/delete", encode_segment(name))
}

/// The contact, a form to change its number, and the button that asks to delete it.
pub(crate) fn contact(contact: &Contact) -> String {
    let name = escape(&contact.name);
    let body = format!(
        "<p class=\"card\">{number}</p>\n\
         <form method=\"post\" action=\"/contacts\">\n\
         <input type=\"hidden\" name=\"name\" value=\"{name}\">\n\
         <div class=\"field\">\n\
         <label for=\"number\">New number</label>\n\
         <input id=\"number\" name=\"number\" type=\"tel\" required value=\"{stored}\" autocomplete=\"tel\" aria-describedby=\"number-hint\">\n\
         <p class=\"hint\" id=\"number-hint\">3 to 15 digits, an optional leading +; spaces, dashes, dots and parentheses are ignored.</p>\n\
         </div>\n\
         <button type=\"submit\">Save the number</button>\n\
         </form>\n\
         <form method=\"post\" action=\"{delete}\">\n\
         <button type=\"submit\" class=\"danger\">Delete…</button>\n\
         </form>\n",
        number = tel_link(&contact.number),
        stored = escape(&contact.number),
        delete = escape(&delete_path(&contact.name)),
    );
    page(&contact.name, &body)
}

/// The confirmation step: deleting happens only from this page's button.
pub(crate) fn confirm(contact: &Contact) -> String {
    let body = format!(
        "<p class=\"card\">{number}</p>\n\
         <form method=\"post\" action=\"{delete}\">\n\
         <p role=\"alert\">Delete <strong dir=\"auto\">{name}</strong> for good? This cannot be undone.</p>\n\
         <input type=\"hidden\" name=\"confirm\" value=\"yes\">\n\
         <div class=\"actions\"><button type=\"submit\" class=\"danger\" autofocus>Yes, delete</button> \
         <a href=\"/contacts/{link}\">No, keep it</a></div>\n\
         </form>\n",
        number = tel_link(&contact.number),
        delete = escape(&delete_path(&contact.name)),
        name = escape(&contact.name),
        link = escape(&encode_segment(&contact.name)),
    );
    page(&format!("Delete {}?", contact.name), &body)
}

/// What a browser sees once the contact is gone.
pub(crate) fn deleted(name: &str) -> String {
    let body = format!(
        "<p class=\"saved\" role=\"status\">Deleted <strong dir=\"auto\">{}</strong>.</p>\n\
         <p><a href=\"/contacts\">All contacts</a> · <a href=\"/\">Add a contact</a></p>\n",
        escape(name)
    );
    page("Deleted", &body)
}

fn page(heading: &str, body: &str) -> String {
    let heading = escape(heading);
    render(
        CONTACT,
        &[("title", &heading), ("heading", &heading), ("body", body)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_links_the_number_and_posts_to_the_delete_path() {
        let contact = Contact::parse("Åsa <b>", "+358408053254").unwrap();
        let html = super::contact(&contact);
        assert!(!html.contains("{{"), "{html}");
        assert!(html.contains("<a class=\"number\" href=\"tel:+358408053254\">+358 40 8053254</a>"));
        assert!(html.contains("value=\"Åsa &lt;b&gt;\""));
        assert!(html.contains("action=\"/contacts/%C3%85sa%20%3Cb%3E/delete\""));
        assert!(
            !html.contains("name=\"confirm\""),
            "the first button only asks"
        );
        let asked = confirm(&contact);
        assert!(asked.contains("name=\"confirm\" value=\"yes\""));
        assert!(asked.contains("Åsa &lt;b&gt;"));
        assert!(!deleted("<i>").contains("<i>"));
    }
}
