//! What every request passes before routing, so every route (a new one too) is covered: the
//! `Host` it names, where a write comes from (cross-origin protection), and the optional login.
//!
//! The cross-origin rule is Go's `net/http.CrossOriginProtection`: a browser says where a
//! request comes from (`Sec-Fetch-Site`, else `Origin`); a client that says neither is not a
//! browser and passes. The rules and their reasons: docs/http.md.

use crate::config::{AuthConfig, ServerConfig};
use crate::error::Error;
use crate::http::login::{Login, Verdict};
use crate::http::reject::Reject;
use crate::http::request::Request;

/// The checks, as configured.
pub(crate) struct Guard {
    /// Lowercase host names (a port-less entry matches any port); empty: any host.
    allowed_hosts: Vec<String>,
    /// Lowercase `scheme://host[:port]` origins whose pages may write.
    trusted_origins: Vec<String>,
    login: Option<Login>,
    login_reads: bool,
}

impl Guard {
    /// The checks of this configuration; `htpasswd` is the text of `auth.htpasswd`'s file
    /// when login is on (read at start-up by the caller: the front reads no file).
    pub(crate) fn new(
        server: &ServerConfig,
        auth: &AuthConfig,
        htpasswd: Option<&str>,
    ) -> Result<Guard, Error> {
        let login = match (&auth.htpasswd, htpasswd) {
            (Some(path), Some(text)) => Some(Login::new_from(path, text, server.workers())?),
            _ => None,
        };
        Ok(Guard {
            allowed_hosts: server.allowed_hosts.clone(),
            trusted_origins: server.trusted_origins.clone(),
            login,
            login_reads: auth.reads,
        })
    }

    /// Whether login is on.
    pub(crate) fn login_on(&self) -> bool {
        self.login.is_some()
    }

    /// Passes the request, or says why not: the host first, then the origin of a write, then
    /// the login.
    pub(crate) fn check(&self, req: &Request) -> Result<(), Reject> {
        let host = req.header("host");
        if let Some(host) = host.filter(|h| !self.host_allowed(h)) {
            return Err(Reject::HostNotAllowed(host.to_string()));
        }
        let writes = !matches!(req.method.as_str(), "GET" | "HEAD" | "OPTIONS");
        if writes {
            self.check_origin(req, host.unwrap_or(""))?;
        }
        // The health check stays open with `auth.reads`: a load balancer's probe has no login.
        let health = req.path == "/healthz";
        match &self.login {
            Some(login) if writes || (self.login_reads && !health) => {
                match login.check(req.header("authorization")) {
                    Verdict::Valid => Ok(()),
                    Verdict::Invalid => Err(Reject::Unauthorized),
                    Verdict::Busy => Err(Reject::Overloaded),
                }
            }
            _ => Ok(()),
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        if self.allowed_hosts.is_empty() {
            return true;
        }
        let host = host.to_ascii_lowercase();
        let name = strip_port(&host);
        self.allowed_hosts.iter().any(|h| *h == host || *h == name)
    }

    /// Go's rule: `Sec-Fetch-Site` decides when present (`same-origin` and `none`, a request
    /// the user made by hand, pass); else an `Origin` must name this host; trusted origins
    /// always pass. The scheme is not compared: behind a TLS proxy the page says `https` while
    /// this server sees plain HTTP.
    fn check_origin(&self, req: &Request, host: &str) -> Result<(), Reject> {
        let origin = req.header("origin");
        let trusted =
            || origin.is_some_and(|o| self.trusted_origins.contains(&o.to_ascii_lowercase()));
        match req.header("sec-fetch-site") {
            Some("same-origin" | "none") => Ok(()),
            Some(_) if trusted() => Ok(()),
            Some(site) => Err(Reject::CrossOrigin(format!(
                "a page on another site (Sec-Fetch-Site: {site})"
            ))),
            None => match origin {
                None => Ok(()),
                Some(o) if authority(o).eq_ignore_ascii_case(host) => Ok(()),
                Some(_) if trusted() => Ok(()),
                Some(o) => Err(Reject::CrossOrigin(format!("a page at {o:?}"))),
            },
        }
    }
}

/// `host` of `host:port` or `[v6]:port`.
fn strip_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(i)
            if !host[i..].contains(']') && (host.starts_with('[') || !host[..i].contains(':')) =>
        {
            &host[..i]
        }
        _ => host,
    }
}

/// The `host[:port]` of an origin `scheme://host[:port]` (`null` and the like: itself).
fn authority(origin: &str) -> &str {
    origin.split_once("://").map_or(origin, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{from_toml, Overrides};

    fn guard(server: &str) -> Guard {
        let config = from_toml(&format!("[server]\n{server}"), &Overrides::default()).unwrap();
        Guard::new(&config.server, &config.auth, None).unwrap()
    }

    fn request(method: &str, headers: &[(&str, &str)]) -> Request {
        let text: String = headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}\r\n"))
            .collect();
        let head = format!("{method} /contacts HTTP/1.1\r\n{text}\r\n");
        let limits = crate::http::head::Limits {
            max_header_bytes: 4096,
            max_body_bytes: 10,
            read_timeout: std::time::Duration::from_secs(1),
        };
        crate::http::head::parse(head.as_bytes(), &limits)
            .unwrap()
            .unwrap()
            .request
    }

    fn status(guard: &Guard, method: &str, headers: &[(&str, &str)]) -> u16 {
        guard
            .check(&request(method, headers))
            .map_or_else(|e| e.status(), |()| 200)
    }

    #[test]
    fn loopback_answers_only_its_own_names() {
        let g = guard("listen = \"127.0.0.1:8080\"");
        for ok in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1",
            "127.0.0.1:1",
            "[::1]:8080",
            "[::1]",
        ] {
            assert_eq!(status(&g, "GET", &[("Host", ok)]), 200, "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil",
            "127.0.0.2",
            "[::2]",
        ] {
            assert_eq!(status(&g, "GET", &[("Host", bad)]), 400, "{bad}");
        }
        let any = guard("listen = \"0.0.0.0:8080\"");
        assert_eq!(status(&any, "GET", &[("Host", "evil.example")]), 200);
        let set = guard("listen = \"0.0.0.0:80\"\nallowed_hosts = [\"Phone.Example\"]");
        assert_eq!(status(&set, "GET", &[("Host", "phone.example:80")]), 200);
        assert_eq!(status(&set, "GET", &[("Host", "localhost")]), 400);
        let star = guard("allowed_hosts = [\"*\"]");
        assert_eq!(status(&star, "GET", &[("Host", "evil.example")]), 200);
    }

    #[test]
    fn writes_from_other_origins_are_refused_as_go_does() {
        let g = guard("trusted_origins = [\"https://partner.example\"]");
        let host = ("Host", "localhost:8080");
        let post = |headers: &[(&str, &str)]| {
            let mut all = vec![host];
            all.extend_from_slice(headers);
            status(&g, "POST", &all)
        };
        assert_eq!(post(&[]), 200, "neither header: not a browser");
        assert_eq!(post(&[("Sec-Fetch-Site", "same-origin")]), 200);
        assert_eq!(
            post(&[("Sec-Fetch-Site", "none")]),
            200,
            "typed by the user"
        );
        assert_eq!(post(&[("Sec-Fetch-Site", "cross-site")]), 403);
        assert_eq!(post(&[("Sec-Fetch-Site", "same-site")]), 403);
        let cross = [
            ("Sec-Fetch-Site", "cross-site"),
            ("Origin", "https://partner.example"),
        ];
        assert_eq!(post(&cross), 200, "a trusted origin");
        assert_eq!(post(&[("Origin", "http://localhost:8080")]), 200);
        assert_eq!(
            post(&[("Origin", "https://localhost:8080")]),
            200,
            "behind TLS"
        );
        assert_eq!(post(&[("Origin", "http://localhost:28099")]), 403);
        assert_eq!(post(&[("Origin", "null")]), 403);
        assert_eq!(post(&[("Origin", "https://partner.example")]), 200);
        let same = [("Sec-Fetch-Site", "same-origin"), ("Origin", "http://evil")];
        assert_eq!(post(&same), 200, "Sec-Fetch-Site decides");
        let read = [host, ("Sec-Fetch-Site", "cross-site")];
        assert_eq!(status(&g, "GET", &read), 200, "reads are not writes");
        assert_eq!(status(&g, "DELETE", &read), 403);
        assert_eq!(status(&g, "PUT", &read), 403);
        assert!(from_toml(
            "[server]\ntrusted_origins = [\"https://a/b\"]",
            &Overrides::default()
        )
        .is_err());
    }

    #[test]
    fn ports_are_stripped_from_names_and_addresses() {
        assert_eq!(strip_port("a:80"), "a");
        assert_eq!(strip_port("a"), "a");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("::1"), "::1");
    }
}
