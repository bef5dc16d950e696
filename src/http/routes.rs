//! Routing: one `match` from (method, path) to a handler, and errors turned into responses.
//!
//! Handlers are plain functions from a request to a `Result<Response, Error>`; `handle` is the
//! one place an `Error` becomes a response. Browsers (whose `Accept` names `text/html`) get HTML
//! pages; every other client gets JSON, errors included.

use crate::app::{App, MAX_PAGE};
use crate::contact::{self, Contact};
use crate::error::Error;
use crate::http::page;
use crate::http::request::Request;
use crate::http::response::Response;
use percent_encoding::percent_decode_str;
use std::time::Instant;

/// What a path names.
enum Route {
    Form,
    /// `/add/handle/`, the original form action: an alias of `POST /contacts`.
    Handle,
    Contacts,
    Contact(String),
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
            _ => "GET, HEAD",
        }
    }

    /// The `route` label of this route's metrics (one of `metrics::ROUTES`).
    fn label(&self) -> &'static str {
        match self {
            Route::Form | Route::Handle => "form",
            Route::Contacts => "contacts",
            Route::Contact(_) => "contact",
            Route::Health => "health",
            Route::Style => "style",
            Route::Metrics => "metrics",
            Route::Server => "none",
        }
    }
}

/// Answers one request and records it in the metrics; `received` is when it was read.
/// Never panics on client input; never fails.
pub fn handle(app: &App, req: &Request, received: Instant) -> Response {
    let route = route_of(req);
    let label = route.as_ref().map_or("none", Route::label);
    let result = match route {
        Ok(Route::Server) => {
            Ok(Response::new(200, "", Vec::new()).with_header("Allow", SERVER_ALLOW.into()))
        }
        Ok(route) => dispatch(app, req, route),
        Err(err) => Err(err),
    };
    let response = match result {
        Ok(response) => response,
        Err(Error::BadInput(msg)) if wants_html(req) && req.method == "POST" => {
            let (name, number) = form_fields(req).unwrap_or_default();
            let err = Error::BadInput(msg);
            Response::html(err.status(), page::invalid(&name, &number, &err))
        }
        Err(err) => Response::from_error(&err),
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
const SERVER_ALLOW: &str = "GET, HEAD, POST, OPTIONS";

/// The route of a request: the method must be known, and `*` (only ever with OPTIONS, which
/// `head.rs` checks) names the server itself.
fn route_of(req: &Request) -> Result<Route, Error> {
    if !KNOWN_METHODS.contains(&req.method.as_str()) {
        return Err(Error::NotImplemented(req.method.clone()));
    }
    if req.path == "*" {
        return Ok(Route::Server);
    }
    parse_route(&req.path)
}

fn dispatch(app: &App, req: &Request, route: Route) -> Result<Response, Error> {
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
        ("GET", Route::Contact(name)) => get_contact(app, &name),
        ("POST", Route::Contacts | Route::Handle) => post_contact(app, req),
        ("GET", Route::Contacts) => list_contacts(app, req),
        ("GET", Route::Health) => Ok(health(app)),
        ("GET", Route::Metrics) => Ok(Response::new(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            app.metrics_text().into_bytes(),
        )),
        (_, route) => Err(Error::MethodNotAllowed(route.allow())),
    }
}

/// Maps a path to its route; unknown paths are 404.
fn parse_route(path: &str) -> Result<Route, Error> {
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
        ["healthz"] => Ok(Route::Health),
        ["metrics"] => Ok(Route::Metrics),
        ["static", "style.css"] => Ok(Route::Style),
        _ => Err(Error::NotFound("route".into())),
    }
}

fn get_contact(app: &App, raw_name: &str) -> Result<Response, Error> {
    let name = contact::parse_name(raw_name)?;
    Ok(Response::json(200, app.get(&name)?.to_json()))
}

fn post_contact(app: &App, req: &Request) -> Result<Response, Error> {
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

fn list_contacts(app: &App, req: &Request) -> Result<Response, Error> {
    let query = parse_pairs(&req.query, "query")?;
    let get = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let prefix = get("prefix").unwrap_or("").trim_start();
    let after = get("after").filter(|a| !a.is_empty());
    let limit = match get("limit") {
        None | Some("") => 50,
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                Error::BadInput(format!("limit: a whole number from 1 to {MAX_PAGE}"))
            })?,
    };
    if prefix.chars().count() > contact::MAX_NAME_CHARS {
        return Err(Error::BadInput("prefix: too long".into()));
    }
    if after.is_some_and(|a| a.chars().count() > contact::MAX_NAME_CHARS) {
        return Err(Error::BadInput("after: too long".into()));
    }
    let page = app.list(after, prefix, limit)?;
    if wants_html(req) && !wants_json(req) {
        return Ok(Response::html(200, page::list(&page, prefix, after, limit)));
    }
    let body = serde_json::json!({ "contacts": page.contacts, "next": page.next });
    Ok(Response::json(200, body.to_string()))
}

fn health(app: &App) -> Response {
    let health = app.health();
    let status = if health.ok { "ok" } else { "unavailable" };
    let body = serde_json::json!({ "status": status, "store": health.detail });
    Response::json(if health.ok { 200 } else { 503 }, body.to_string())
}

/// `name` and `number` from a form or JSON body.
fn form_fields(req: &Request) -> Result<(String, String), Error> {
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
        _ => Err(Error::UnsupportedMediaType(content_type.to_string())),
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
