//! Shared test support: start the real `phonebook` binary on a free port, talk HTTP to it, and
//! wait on it by polling with a deadline.

pub mod failover;
pub mod haproxy;
pub mod http;
pub mod memcached;
pub mod riak;
pub mod webdriver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `phonebook` process; killed on drop.
pub struct Service {
    pub child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
    /// The lines the service logged on stderr, collected in the background.
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
    /// Folders that live as long as the service (see [`Service::owning`]).
    scratch: Vec<TempDir>,
}

impl Service {
    /// Starts the binary with `--listen 127.0.0.1:0` plus `args`, logging at `info`, and waits
    /// for its address.
    pub fn start(args: &[&str]) -> Service {
        let mut command = Command::new(env!("CARGO_BIN_EXE_phonebook"));
        command.env("RUST_LOG", "info");
        Service::spawn(command, args)
    }

    /// As [`Service::start`], but logging at the level its mode sets (no `RUST_LOG`).
    pub fn start_at_mode_level(args: &[&str]) -> Service {
        let mut command = Command::new(env!("CARGO_BIN_EXE_phonebook"));
        command.env_remove("RUST_LOG");
        Service::spawn(command, args)
    }

    fn spawn(mut command: Command, args: &[&str]) -> Service {
        let mut child = command
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start phonebook");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("phonebook listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (sink, mut stderr) = (log.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Service {
            child,
            addr,
            log,
            scratch: Vec::new(),
        }
    }

    /// Keeps `dir` (e.g. the service's store) until the service is dropped.
    pub fn owning(mut self, dir: TempDir) -> Service {
        self.scratch.push(dir);
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh, empty folder under the system temp dir for one test; removed on drop.
pub fn temp_dir(tag: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("phonebook-it-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A test's scratch folder; keep it alive as long as a service uses it.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `--store embedded:<dir>/db.redb`
pub fn embedded_arg(dir: &Path) -> String {
    format!("embedded:{}", dir.join("db.redb").display())
}

/// An HTTP client that returns 4xx/5xx as responses, not errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }
}

fn reply(mut resp: ureq::http::Response<ureq::Body>) -> Reply {
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect::<Vec<_>>();
    Reply {
        status: resp.status().as_u16(),
        content_type: resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default(),
        body: resp.body_mut().read_to_string().unwrap_or_default(),
        headers,
    }
}

pub fn get(url: &str) -> Reply {
    reply(agent().get(url).call().expect("GET"))
}

pub fn get_with(url: &str, header: (&str, &str)) -> Reply {
    reply(
        agent()
            .get(url)
            .header(header.0, header.1)
            .call()
            .expect("GET"),
    )
}

/// POSTs a body with this content type.
pub fn post(url: &str, content_type: &str, body: &str) -> Reply {
    let req = agent().post(url).header("Content-Type", content_type);
    reply(req.send(body).expect("POST"))
}

/// POSTs `name` and `number` as a form, the way a browser's form does.
pub fn post_form(url: &str, name: &str, number: &str) -> Reply {
    reply(
        agent()
            .post(url)
            .send_form([("name", name), ("number", number)])
            .expect("POST"),
    )
}

/// Sends raw bytes on a new connection, half-closes it, and returns everything the server
/// answered until it closed the connection (or 10 s passed). The server may answer and close
/// before all is sent (a refusal, a 431): that is not an error here.
pub fn raw(addr: &str, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of an unlabelled metric (or of one full `name{labels}` series) in the service's
/// `/metrics`; 0 when absent.
pub fn metric(svc: &Service, series: &str) -> u64 {
    let text = get(&svc.url("/metrics")).body;
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0, |v| v.parse().unwrap())
}

/// Polls `done` every 20 ms until it holds (true) or `within` has passed (false).
pub fn poll(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls `done` until it holds; fails the test, naming `what`, after `within`.
pub fn wait_until(within: Duration, what: &str, done: impl FnMut() -> bool) {
    assert!(poll(within, done), "not within {within:?}: {what}");
}

impl Service {
    /// The service's log once it contains `text`, or after 10 s without it.
    pub fn wait_for_log(&self, text: &str) -> String {
        poll(Duration::from_secs(10), || {
            self.log.lock().unwrap().contains(text)
        });
        self.log.lock().unwrap().clone()
    }
}
