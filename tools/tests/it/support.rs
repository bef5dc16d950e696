//! Shared test support: run the tools binary, start the service, temp folders, FNV digests.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The `phonebook-tools` binary under test.
pub fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_phonebook-tools"))
}

/// The `phonebook` service binary, which the workspace builds into the same folder.
pub fn phonebook() -> PathBuf {
    let path = tools().with_file_name("phonebook");
    assert!(
        path.is_file(),
        "{} is missing: build the workspace (cargo test --workspace builds it)",
        path.display()
    );
    path
}

/// Runs `phonebook-tools args` to completion and fails the test if it fails.
pub fn run_tools(args: &[&str]) -> Output {
    let out = Command::new(tools())
        .args(args)
        .output()
        .expect("run phonebook-tools");
    assert!(
        out.status.success(),
        "phonebook-tools {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A fresh, empty folder under the system temp dir for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("phonebook-tools-it-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Reads the address a server prints on its first stdout line after `prefix`.
pub fn announced(child: &mut Child, prefix: &str) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.split_once(prefix)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .1
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A running service, its stderr going to a file; killed on drop.
pub struct Service {
    pub child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
    pub log: PathBuf,
}

impl Service {
    /// Starts the service on port 0 with `args`, in `dir` (so no stray phonebook.toml is read),
    /// without RUST_LOG (so debug mode logs every request, as it defines).
    pub fn start(dir: &Path, args: &[&str]) -> Service {
        let log = dir.join(format!("service-{}.log", std::process::id()));
        let mut child = Command::new(phonebook())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(dir)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(File::create(&log).unwrap()))
            .spawn()
            .expect("start phonebook");
        let addr = announced(&mut child, "listening on http://");
        Service { child, addr, log }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends SIGTERM, waits for the exit, and returns everything it logged.
    pub fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap();
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// FNV-1a, 64 bit, as hex: a fixed digest for byte-identity checks.
pub fn fnv1a(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// A GET on a fresh connection (`Connection: close`); returns status and body.
pub fn get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The sizes of a test data set: `users` people from `seed`, then a workload of `adds` (of
/// which `new_users` are new people) and `gets`.
pub struct DataSet {
    pub seed: u64,
    pub users: usize,
    pub adds: usize,
    pub new_users: usize,
    pub gets: usize,
}

/// Writes `users.csv` and `workload.csv` into `dir` with the tools themselves, loading the
/// users straight into `store` first when one is given.
pub fn prepare(dir: &Path, data: &DataSet, store: Option<&str>) {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (users, workload) = (path("users.csv"), path("workload.csv"));
    let (seed, count) = (data.seed.to_string(), data.users.to_string());
    run_tools(&[
        "gen-users",
        "--seed",
        &seed,
        "--count",
        &count,
        "--out",
        &users,
    ]);
    if let Some(store) = store {
        run_tools(&["load-users", "--quiet", "--store", store, &users]);
    }
    let (adds, new, gets) = (
        data.adds.to_string(),
        data.new_users.to_string(),
        data.gets.to_string(),
    );
    run_tools(&[
        "gen-workload",
        "--users",
        &users,
        "--adds",
        &adds,
        "--new-users",
        &new,
        "--gets",
        &gets,
        "--out",
        &workload,
    ]);
}
