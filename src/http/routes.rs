//! Routing: one `match` from (method, path) to a handler.
//!
//! Handlers decode a request (query, form or JSON body), call the app with input `contact.rs`
//! validated, and answer HTML to browsers (whose `Accept` names `text/html`), JSON to the rest.

use crate::app::App;
use crate::contact::{Contact, Lookup, PageQuery};
use crate::error::Error;
use crate::http::guard::Guard;
use crate::http::reject::Reject;
use crate::http::request::Request;
use crate::http::response::Response;
use crate::http::{card, page};
use percent_encoding::percent_decode_str;
use std::time::Instant;

/// What a path names.
enum Route {
    Form,
    /// `/add/handle/`, the original form action: an alias of `POST /contacts`.
    Handle,
    Contacts,
    Contact(String),
    /// `/contacts/{name}/delete`: where a browser's delete button posts (forms cannot send
    /// DELETE); without `confirm=yes` it only asks.
    Delete(String),
    Health,
    Style,
    Metrics,
    /// `*`: the server as a whole (`OPTIONS *`, RFC 9112 §3.2.4).
    Server,
}

impl Route {
    fn allow(&self) -> &'static str {
        match self {
            Route::Contacts | Route::Handle => "GET, HEAD, POST",
            Route::Contact(_) => "GET, HEAD, DELETE",
            Route::Delete(_) => "POST",
            _ => "GET, HEAD",
        }
    }

    /// The `route` label of this route's metrics (one of `metrics::ROUTES`).
    fn label(&self) -> &'static str {
        match self {
            Route::Form | Route::Handle => "form",
            Route::Contacts => "contacts",
            Route::Contact(_) | Route::Delete(_) => "contact",
            Route::Health => "health",
            Route::Style => "style",
            Route::Metrics => "metrics",
            Route::Server => "none",
        }
    }
}

/// Answers one request and records it in the metrics; `received` is when it was read. The
/// guard's checks (host, origin, login) come first, whatever the route.
/// Never panics on client input; never fails.
pub(crate) fn handle(app: &App, guard: &Guard, req: &Request, received: Instant) -> Response {
    let route = route_of(req);
    let label = route.as_ref().map_or("none", Route::label);
    let result = match guard.check(req).and(route) {
        Ok(Route::Server) => {
            Ok(Response::new(200, "", Vec::new()).with_header("Allow", SERVER_ALLOW.into()))
        }
        Ok(route) => dispatch(app, req, route),
        Err(err) => Err(err),
    };
    let response = match result {
        Ok(response) => response,
        // A browser's invalid form is shown again, with what was typed and what was wrong.
        Err(Reject::App(err @ Error::BadInput(_))) if wants_html(req) && req.method == "POST" => {
            let (name, number) = form_fields(req).unwrap_or_default();
            let page = page::invalid(&name, &number, &err);
            Reject::App(err).response(Some(page))
        }
        // A browser refused by the guard, or whose write found the disk full, sees the form
        // with the reason.
        Err(
            reject @ (Reject::CrossOrigin(_)
            | Reject::HostNotAllowed(_)
            | Reject::Unauthorized
            | Reject::App(Error::StoreFull(_))),
        ) if wants_html(req) => reject.response(Some(page::refused(&reject.to_string()))),
        Err(reject) => reject.response(None),
    };
    log::debug!("{} {} -> {}", req.method, req.path, response.status);
    let elapsed = received.elapsed();
    app.metrics()
        .request(label, &req.method, response.status, elapsed);
    response
}

/// The methods HTTP defines (RFC 9110 §9 and PATCH): any other is answered 501, since no
/// resource here knows it; a known one a route does not take is a 405.
const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// What `OPTIONS *` says the server as a whole supports.
const SERVER_ALLOW: &str = "GET, HEAD, POST, DELETE, OPTIONS";

/// The route of a request: the method must be known, and `*` (only ever with OPTIONS, which
/// `head.rs` checks) names the server itself.
fn route_of(req: &Request) -> Result<Route, Reject> {
    if !KNOWN_METHODS.contains(&req.method.as_str()) {
        return Err(Reject::NotImplemented(req.method.clone()));
    }
    if req.path == "*" {
        return Ok(Route::Server);
    }
    parse_route(&req.path)
}

fn dispatch(app: &App, req: &Request, route: Route) -> Result<Response, Reject> {
    let method = if req.method == "HEAD" {
        "GET"
    } else {
        req.method.as_str()
    };
    match (method, route) {
        ("GET", Route::Form | Route::Handle) => Ok(Response::html(200, page::form())),
        ("GET", Route::Style) => Ok(Response::new(
            200,
            "text/css; charset=utf-8",
            page::STYLE.into(),
        )),
        ("GET", Route::Contact(name)) => get_contact(app, req, &name),
        ("DELETE", Route::Contact(name)) => delete_contact(app, &name),
        ("POST", Route::Delete(name)) => delete_form(app, req, &name),
        ("POST", Route::Contacts | Route::Handle) => post_contact(app, req),
        ("GET", Route::Contacts) => list_contacts(app, req),
        ("GET", Route::Health) => health(app),
        ("GET", Route::Metrics) => Ok(Response::new(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            app.metrics_text().into_bytes(),
        )),
        (_, route) => Err(Reject::MethodNotAllowed(route.allow())),
    }
}

/// Maps a path to its route; unknown paths are 404.
fn parse_route(path: &str) -> Result<Route, Reject> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    match segments.as_slice() {
        [""] | ["add"] => Ok(Route::Form),
        ["add", "handle"] => Ok(Route::Handle),
        ["contacts"] => Ok(Route::Contacts),
        ["contacts", name] | ["get", name] => Ok(Route::Contact(decode_segment(name)?)),
        ["contacts", name, "delete"] => Ok(Route::Delete(decode_segment(name)?)),
        ["healthz"] => Ok(Route::Health),
        ["metrics"] => Ok(Route::Metrics),
        ["static", "style.css"] => Ok(Route::Style),
        _ => Err(Reject::NoRoute),
    }
}

/// JSON, byte for byte the exercise's, unless a browser asks for a page.
fn get_contact(app: &App, req: &Request, raw_name: &str) -> Result<Response, Reject> {
    let contact = app.find(&Lookup::parse(raw_name)?)?;
    if wants_html(req) && !wants_json(req) {
        return Ok(Response::html(200, card::contact(&contact)));
    }
    Ok(Response::json(200, contact.to_json()))
}

/// `DELETE /contacts/{name}`: 204 when it existed, 404 when it did not.
fn delete_contact(app: &App, raw_name: &str) -> Result<Response, Reject> {
    let lookup = Lookup::parse(raw_name)?;
    app.remove(&lookup)?;
    log::info!("deleted {:?}", lookup.name);
    Ok(Response::no_content())
}

/// A browser's delete button: asks first, and deletes when the form says `confirm=yes`.
fn delete_form(app: &App, req: &Request, raw_name: &str) -> Result<Response, Reject> {
    let lookup = Lookup::parse(raw_name)?;
    let text = std::str::from_utf8(&req.body)
        .map_err(|_| Error::BadInput("body: not valid UTF-8".into()))?;
    let pairs = parse_pairs(text, "body")?;
    if !pairs.iter().any(|(k, v)| k == "confirm" && v == "yes") {
        return Ok(Response::html(200, card::confirm(&app.find(&lookup)?)));
    }
    app.remove(&lookup)?;
    log::info!("deleted {:?}", lookup.name);
    Ok(Response::html(200, card::deleted(&lookup.name)))
}

fn post_contact(app: &App, req: &Request) -> Result<Response, Reject> {
    let (name, number) = form_fields(req)?;
    let contact = Contact::parse(&name, &number)?;
    app.put(&contact)?;
    log::info!("saved {:?}", contact.name);
    if wants_html(req) {
        Ok(Response::html(200, page::saved(&contact)))
    } else {
        Ok(Response::json(200, contact.to_json()))
    }
}

fn list_contacts(app: &App, req: &Request) -> Result<Response, Reject> {
    let query = parse_pairs(&req.query, "query")?;
    let get = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let query = PageQuery::parse(get("prefix"), get("after"), get("limit"))?;
    let page = app.list(&query)?;
    if wants_html(req) && !wants_json(req) {
        let (prefix, after) = (&query.prefix, query.after.as_deref());
        return Ok(Response::html(
            200,
            page::list(&page, prefix, after, query.limit),
        ));
    }
    let body = serde_json::json!({ "contacts": page.contacts, "next": page.next });
    Ok(Response::json(200, body.to_string()))
}

fn health(app: &App) -> Result<Response, Reject> {
    let health = app.health();
    if !health.ok {
        return Err(Reject::Unhealthy(health.detail));
    }
    let body = serde_json::json!({ "status": "ok", "store": health.detail });
    Ok(Response::json(200, body.to_string()))
}

/// `name` and `number` from a form or JSON body.
fn form_fields(req: &Request) -> Result<(String, String), Reject> {
    let content_type = req.header("content-type").unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            let text = std::str::from_utf8(&req.body)
                .map_err(|_| Error::BadInput("body: not valid UTF-8".into()))?;
            let pairs = parse_pairs(text, "body")?;
            Ok((field(&pairs, "name")?, field(&pairs, "number")?))
        }
        "application/json" => {
            #[derive(serde::Deserialize)]
            struct Body {
                name: String,
                number: String,
            }
            let body: Body = serde_json::from_slice(&req.body)
                .map_err(|e| Error::BadInput(format!("body: invalid JSON contact: {e}")))?;
            Ok((body.name, body.number))
        }
        _ => Err(Reject::UnsupportedMediaType(content_type.to_string())),
    }
}

fn field(pairs: &[(String, String)], key: &str) -> Result<String, Error> {
    let mut values = pairs.iter().filter(|(k, _)| k == key);
    match (values.next(), values.next()) {
        (Some((_, v)), None) => Ok(v.clone()),
        (None, _) => Err(Error::BadInput(format!("{key}: missing"))),
        (Some(_), Some(_)) => Err(Error::BadInput(format!("{key}: given more than once"))),
    }
}

/// Decodes `a=1&b=2` (a query or form body, named `what` in errors): `+` is a space, escapes
/// must decode to UTF-8.
fn parse_pairs(text: &str, what: &str) -> Result<Vec<(String, String)>, Error> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| Error::BadInput(format!("{what}: percent-escapes are not valid UTF-8")))
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

/// Decodes one path segment (`+` stays a plus sign in a path).
fn decode_segment(segment: &str) -> Result<String, Error> {
    percent_decode_str(segment)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::BadInput("name: percent-escapes are not valid UTF-8".into()))
}

fn wants_html(req: &Request) -> bool {
    req.header("accept")
        .is_some_and(|a| a.contains("text/html"))
}

fn wants_json(req: &Request) -> bool {
    req.header("accept")
        .is_some_and(|a| a.starts_with("application/json"))
}
