//! Unit tests of the rules a request head must follow (`head.rs`).

use super::*;
use std::time::Duration;

const LIMITS: Limits = Limits {
    max_header_bytes: 128,
    max_body_bytes: 64,
    read_timeout: Duration::from_secs(1),
};

fn head(text: &str) -> Result<Option<Head>, Error> {
    parse(text.as_bytes(), &LIMITS)
}

fn ok(text: &str) -> Head {
    head(text).unwrap().unwrap()
}

fn status(text: &str) -> u16 {
    head(text).err().map_or(0, |e| e.status())
}

#[test]
fn a_complete_head_is_parsed_and_a_partial_one_waits() {
    let text = "POST /contacts/a%20b?x=1&y HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A: v\r\n\r\nhello";
    let parsed = ok(text);
    assert_eq!(parsed.len, text.len() - 5);
    assert_eq!(parsed.content_length, 5);
    let request = parsed.request;
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/contacts/a%20b")
    );
    assert_eq!(request.query, "x=1&y");
    assert_eq!(request.header("x-a"), Some("v"));
    assert!(request.keep_alive && !request.http10 && request.body.is_empty());
    assert!(head("GET / HTTP/1.1\r\nHost: h\r\n").unwrap().is_none());
    assert_eq!(status("GET / HTTP/1.1\r\nHo st: h\r\n\r\n"), 400);
}

#[test]
fn the_head_limit_is_inclusive() {
    let head_of = |len: usize| {
        let fixed = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n".len();
        format!(
            "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
            "a".repeat(len - fixed)
        )
    };
    assert_eq!(ok(&head_of(128)).len, 128);
    assert_eq!(status(&head_of(129)), 431);
    let many: String = (0..70).map(|i| format!("X{i}: v\r\n")).collect();
    let huge = Limits {
        max_header_bytes: 4096,
        ..LIMITS
    };
    let err = parse(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes(), &huge).err();
    assert_eq!(err.map(|e| e.status()), Some(431), "more than 64 headers");
}

#[test]
fn a_request_line_alone_over_the_limit_is_414() {
    assert_eq!(too_large(&[b'a'; 200], 128).status(), 414);
    let mut line_end_inside = vec![b'a'; 200];
    line_end_inside[127] = b'\n';
    assert_eq!(too_large(&line_end_inside, 128).status(), 431);
    line_end_inside[127] = b'a';
    line_end_inside[128] = b'\n';
    assert_eq!(too_large(&line_end_inside, 128).status(), 414);
}

#[test]
fn targets_origin_absolute_and_asterisk() {
    let target = |method: &str, t: &str| split_target(method, t).map_err(|e| e.status());
    let pair = |p: &str, q: &str| Ok((p.to_string(), q.to_string()));
    assert_eq!(target("GET", "/a?b=c"), pair("/a", "b=c"));
    assert_eq!(target("GET", "http://h:1/a/b?c"), pair("/a/b", "c"));
    assert_eq!(target("GET", "HTTPS://h"), pair("/", ""));
    assert_eq!(target("GET", "http://h?q=1"), pair("/", "q=1"));
    assert_eq!(target("OPTIONS", "*"), pair("*", ""));
    for bad in [
        "*",
        "a/b",
        "ftp://h/a",
        "http:///a",
        "http://a b/",
        "http:/a",
    ] {
        assert_eq!(target("GET", bad), Err(400), "{bad}");
    }
    assert_eq!(target("GET", "//h/a"), pair("//h/a", ""), "an origin path");
}

#[test]
fn host_must_be_one_valid_value_for_http11() {
    assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), 400);
    assert!(ok("GET / HTTP/1.0\r\n\r\n").request.http10);
    assert_eq!(status("GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n"), 400);
    assert_eq!(status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
    assert_eq!(status("GET / HTTP/1.1\r\nHost: u@h\r\n\r\n"), 400);
    assert_eq!(status("GET / HTTP/1.1\r\nHost: h/x\r\n\r\n"), 400);
    for good in ["", "h", "h:80", "[::1]:8080", "a-b.c_d~e", "%41!$&'()*+,;="] {
        assert!(valid_host(good.as_bytes()), "{good}");
        assert!(
            head(&format!("GET / HTTP/1.1\r\nHost: {good}\r\n\r\n")).is_ok(),
            "{good}"
        );
    }
}

#[test]
fn connection_tokens_decide_keep_alive() {
    let keep = |version: &str, lines: &str| {
        let host = "Host: h\r\n";
        ok(&format!("GET / HTTP/{version}\r\n{host}{lines}\r\n"))
            .request
            .keep_alive
    };
    assert!(keep("1.1", ""));
    assert!(keep("1.1", "Connection: x-closed\r\n"));
    assert!(!keep("1.1", "Connection: a\r\nConnection: b, CLOSE\r\n"));
    assert!(!keep("1.0", ""));
    assert!(!keep("1.0", "Connection: x-no-keep-alive\r\n"));
    assert!(keep("1.0", "Connection: Keep-Alive\r\n"));
    assert!(keep("1.0", "Connection: te\r\nConnection: keep-alive\r\n"));
    assert!(!keep("1.0", "Connection: keep-alive, close\r\n"));
}

#[test]
fn content_length_is_strict() {
    let length = |lines: &str| {
        let text = format!("POST / HTTP/1.1\r\nHost: h\r\n{lines}\r\n");
        head(&text)
            .map(|h| h.unwrap().content_length)
            .map_err(|e| e.status())
    };
    assert_eq!(length(""), Ok(0));
    assert_eq!(length("Content-Length: 12\r\n"), Ok(12));
    assert_eq!(length("Content-Length:  7 \t\r\n"), Ok(7));
    assert_eq!(length("Content-Length: 3\r\ncontent-length: 3\r\n"), Ok(3));
    assert_eq!(
        length("Content-Length: 99999999999999999999999\r\n"),
        Ok(usize::MAX)
    );
    assert_eq!(
        length("Content-Length: 3\r\nContent-Length: 4\r\n"),
        Err(400)
    );
    for bad in ["", "+1", "-1", "1 2", "0x10", "1,1", "1\u{a0}", "\u{a0}1"] {
        assert_eq!(
            length(&format!("Content-Length: {bad}\r\n")),
            Err(400),
            "{bad:?}"
        );
    }
    assert_eq!(length("Transfer-Encoding: chunked\r\n"), Err(411));
    assert_eq!(trim_ows(b" \t a b\t "), b"a b");
    assert_eq!(trim_ows(b"   "), b"");
}
