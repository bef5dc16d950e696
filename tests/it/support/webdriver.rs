//! A small W3C WebDriver client: drives headless Chromium through `chromedriver` over HTTP.
//!
//! Blocking calls with `ureq` and `serde_json` are all the browser tests need; an async WebDriver
//! crate would bring a runtime for a handful of requests. The binaries are Debian's `chromium` and
//! `chromium-driver`; when they are missing the tests fail and say how to install them, because a
//! skipped browser test would hide that the pages were never checked.

use crate::support::poll;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key under which WebDriver names an element (fixed by the W3C spec).
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Browsers started by this test process, to give each its own folder.
static BROWSERS: AtomicUsize = AtomicUsize::new(0);
/// Longest wait for a page load, and for an element to appear.
const WAIT_MS: u64 = 10_000;

/// A chromedriver process with one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    agent: ureq::Agent,
    /// The browser's own folder: its profile and its temporary files, removed on drop.
    home: crate::support::TempDir,
}

/// An element of the current page, as WebDriver names it.
pub struct Element(String);

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub fn start() -> Browser {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing: the browser tests need Debian's chromium and \
                 chromium-driver packages (apt-get install -y chromium chromium-driver)"
            );
        }
        // One profile per browser: Chromium hands a second start with the same profile over to
        // the first process, which would mix up the sessions of tests running side by side.
        let serial = BROWSERS.fetch_add(1, Ordering::Relaxed);
        let home = crate::support::temp_dir(&format!("chromium-{serial}"));
        let (driver, port) = start_driver(&home);
        let base = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut browser = Browser {
            driver,
            session: String::new(),
            agent,
            home,
        };
        let created = browser.call(
            "POST",
            &format!("{base}/session"),
            capabilities(&browser.home.join("profile")),
        );
        let id = created["sessionId"].as_str().expect("a session id");
        browser.session = format!("{base}/session/{id}");
        let timeouts = json!({ "pageLoad": WAIT_MS, "implicit": 0 });
        browser.cmd("POST", "/timeouts", timeouts);
        browser
    }

    /// Opens a URL and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    /// The URL of the current page.
    pub fn url(&self) -> String {
        str_value(self.get("/url"))
    }

    pub fn title(&self) -> String {
        str_value(self.get("/title"))
    }

    /// The first element matching a CSS selector, polling for it up to [`WAIT_MS`].
    pub fn find(&self, css: &str) -> Element {
        let mut found = None;
        let within = Duration::from_millis(WAIT_MS);
        poll(within, || {
            found = self.find_all(css).into_iter().next();
            found.is_some()
        });
        found.unwrap_or_else(|| panic!("no element matches {css:?} on {}", self.url()))
    }

    /// Every element matching a CSS selector, now: none is an answer, not a reason to wait.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        self.cmd("POST", "/elements", locator(css))
            .as_array()
            .expect("an array of elements")
            .iter()
            .map(element)
            .collect()
    }

    /// Types text into an element, after what it already holds.
    pub fn type_into(&self, el: &Element, text: &str) {
        self.cmd(
            "POST",
            &format!("/element/{}/value", el.0),
            json!({ "text": text }),
        );
    }

    /// Empties an input field.
    pub fn clear(&self, el: &Element) {
        self.cmd("POST", &format!("/element/{}/clear", el.0), json!({}));
    }

    /// Clicks a link or a submit button and waits, up to [`WAIT_MS`], for the page it leads to.
    pub fn click(&self, el: &Element) {
        let old_root = self.find("html");
        self.cmd("POST", &format!("/element/{}/click", el.0), json!({}));
        // chromedriver may answer the click before the navigation starts; the old page's root
        // element going stale is the sign that the new page has replaced it.
        let probe = format!("{}/element/{}/name", self.session, old_root.0);
        let within = Duration::from_millis(WAIT_MS);
        let left = poll(within, || self.request("GET", &probe, Value::Null).0 != 200);
        assert!(left, "the click left {} as it was", self.url());
    }

    /// The rendered text of an element, as a user sees it.
    pub fn text(&self, el: &Element) -> String {
        str_value(self.get(&format!("/element/{}/text", el.0)))
    }

    /// An attribute as written in the HTML (after entity decoding), if present.
    pub fn attr(&self, el: &Element, name: &str) -> Option<String> {
        let value = self.get(&format!("/element/{}/attribute/{name}", el.0));
        value.as_str().map(str::to_string)
    }

    /// A DOM property, e.g. an input's current `value` or a link's resolved `href`.
    pub fn prop(&self, el: &Element, name: &str) -> String {
        str_value(self.get(&format!("/element/{}/property/{name}", el.0)))
    }

    /// The element that has the keyboard focus.
    pub fn focused(&self) -> Element {
        element(&self.get("/element/active"))
    }

    /// The text of an open `alert()`, if one is open.
    pub fn alert_text(&self) -> Option<String> {
        let url = format!("{}/alert/text", self.session);
        let (status, body) = self.request("GET", &url, Value::Null);
        (status == 200).then(|| str_value(body["value"].clone()))
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) {
        let png = base64_decode(&str_value(self.get("/screenshot")));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    fn get(&self, path: &str) -> Value {
        self.cmd("GET", path, Value::Null)
    }

    /// Runs a command of this session and returns its `value`.
    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        self.call(method, &format!("{}{path}", self.session), body)
    }

    /// Sends one WebDriver request; any WebDriver error fails the test with its message.
    fn call(&self, method: &str, url: &str, body: Value) -> Value {
        let (status, mut reply) = self.request(method, url, body);
        let value = reply["value"].take();
        assert!(status == 200, "WebDriver {method} {url}: {status} {value}");
        value
    }

    fn request(&self, method: &str, url: &str, body: Value) -> (u16, Value) {
        let sent = match method {
            "GET" => self.agent.get(url).call(),
            _ => (self.agent.post(url))
                .header("Content-Type", "application/json")
                .send(body.to_string()),
        };
        let mut resp = sent.unwrap_or_else(|e| panic!("WebDriver {method} {url}: {e}"));
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        (resp.status().as_u16(), json)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Never panics: this also runs while a failed test unwinds.
        if !self.session.is_empty() {
            let _ = self.agent.delete(&self.session).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // `home` removes itself when dropped, after the driver is gone.
    }
}

/// Starts `chromedriver --port=0` and reads the port it chose from its banner. Chromium inherits
/// `TMPDIR`, so the scratch folders it makes go under `home` and leave with it.
fn start_driver(home: &Path) -> (Child, u16) {
    let mut child = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .env("TMPDIR", home)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = lines
        .by_ref()
        .take(20)
        .map_while(Result::ok)
        .find_map(|line| {
            let rest = line.split("started successfully on port ").nth(1)?;
            rest.trim_end_matches('.').parse::<u16>().ok()
        });
    let Some(port) = port else {
        let _ = child.kill();
        panic!("{CHROMEDRIVER} did not say which port it listens on");
    };
    // Keep draining its stdout so chromedriver never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, port)
}

/// Headless Chromium with a fresh profile and nothing that talks to the network on its own.
fn capabilities(profile: &Path) -> Value {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=900,760",
        "--hide-scrollbars",
        &format!("--user-data-dir={}", profile.display()),
    ];
    let options = json!({ "binary": CHROMIUM, "args": args });
    json!({ "capabilities": { "alwaysMatch": {
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "goog:chromeOptions": options,
    }}})
}

fn locator(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn element(value: &Value) -> Element {
    let id = value[ELEMENT_KEY].as_str().expect("an element reference");
    Element(id.to_string())
}

fn str_value(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => panic!("expected a string from WebDriver, got {other}"),
    }
}

/// Decodes standard base64 (the screenshot encoding); a bad character fails the test.
fn base64_decode(text: &str) -> Vec<u8> {
    let sextet = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {:?}", c as char),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !b"=\r\n".contains(c))
        .map(sextet)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &d)| acc | u32::from(d) << (18 - 6 * i));
        out.extend_from_slice(&word.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_decodes_padded_and_unpadded_input() {
    assert_eq!(base64_decode("aGk="), b"hi");
    assert_eq!(base64_decode("aGV5"), b"hey");
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
}
