//! A real HAProxy for the tests, running `deploy/haproxy.cfg` with loopback addresses, killed
//! on drop.
//!
//! The deploy file is the configuration: only the listening address, the two servers'
//! addresses and the stats socket change, plus the lines that make sense only for a system
//! service (chroot, user, group, daemon, syslog). A change in the file's shape fails here
//! loudly, so the tests can never drift from what is deployed. HAProxy must be installed
//! (`tools/test-deps.sh` installs Debian's package).

use crate::support::memcached::free_port;
use crate::support::{poll, temp_dir, wait_until, TempDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The balancer's configuration as deployed.
pub const DEPLOYED: &str = include_str!("../../../deploy/haproxy.cfg");

/// An HAProxy process in front of the given servers; killed on drop.
pub struct Haproxy {
    child: Child,
    /// `127.0.0.1:PORT` of the frontend.
    pub addr: String,
    stats: PathBuf,
    _dir: TempDir,
}

/// One server as HAProxy's stats show it.
#[derive(Debug, Clone)]
pub struct ServerStat {
    /// `UP`, `DOWN`, `UP 1/2` (going down), ...
    pub status: String,
    /// Requests HAProxy sent again after this server failed them, and sent to another server.
    pub retries: u64,
    pub redispatches: u64,
}

impl Haproxy {
    /// Starts HAProxy with the deployed configuration in front of `servers` (`app1`, `app2`
    /// get them in order), and waits until it listens and every server is up.
    pub fn start(tag: &str, servers: &[&str]) -> Haproxy {
        // The port is free when probed; if another process takes it first, HAProxy exits and
        // we try another one.
        for attempt in 0..5 {
            let dir = temp_dir(&format!("haproxy-{tag}-{attempt}"));
            let addr = format!("127.0.0.1:{}", free_port());
            let stats = dir.join("admin.sock");
            let config = dir.join("haproxy.cfg");
            std::fs::write(&config, loopback_config(&addr, servers, &stats)).unwrap();
            let mut proxy = Haproxy {
                child: spawn(&config),
                addr,
                stats,
                _dir: dir,
            };
            if proxy.wait_listening() {
                proxy.wait_until(Duration::from_secs(20), |s| {
                    s.len() == servers.len() && s.iter().all(|s| s.status == "UP")
                });
                return proxy;
            }
        }
        panic!("haproxy did not start on any of 5 free ports");
    }

    /// Whether the frontend listens (false: HAProxy exited, e.g. its port was taken).
    fn wait_listening(&mut self) -> bool {
        let (mut listening, mut exited) = (false, false);
        wait_until(Duration::from_secs(10), "haproxy listening", || {
            listening =
                TcpStream::connect(&self.addr).is_ok() && UnixStream::connect(&self.stats).is_ok();
            exited = !listening && self.child.try_wait().unwrap().is_some();
            listening || exited
        });
        listening
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The backend's servers, from the stats socket (`show stat`).
    pub fn servers(&self) -> Vec<ServerStat> {
        let mut conn = UnixStream::connect(&self.stats).expect("the stats socket");
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        conn.write_all(b"show stat\n").unwrap();
        let mut csv = String::new();
        conn.read_to_string(&mut csv).unwrap();
        csv.lines()
            .map(|line| line.split(',').collect::<Vec<_>>())
            .filter(|f| f.len() > 17 && f[0] == "phonebook" && f[1].starts_with("app"))
            .map(|f| ServerStat {
                status: f[17].to_string(),
                retries: f[15].parse().unwrap_or(0),
                redispatches: f[16].parse().unwrap_or(0),
            })
            .collect()
    }

    /// Polls the stats until `done` holds (panics after `limit`).
    pub fn wait_until(&self, limit: Duration, done: impl Fn(&[ServerStat]) -> bool) {
        let mut servers = Vec::new();
        let held = poll(limit, || {
            servers = self.servers();
            done(&servers)
        });
        assert!(held, "haproxy servers: {servers:?}");
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(config: &std::path::Path) -> Child {
    // -db: stay in the foreground, so that the test owns (and kills) the process.
    Command::new("haproxy")
        .args(["-db", "-f", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run haproxy ({e}): these tests need it on PATH (Debian package \
                 `haproxy`; tools/test-deps.sh installs it)"
            )
        })
}

/// The deployed configuration on loopback: frontend on `addr`, `app1`.. on `servers`, the
/// stats socket at `stats`; the system-service lines left out.
pub fn loopback_config(addr: &str, servers: &[&str], stats: &std::path::Path) -> String {
    let mut out = String::new();
    let (mut binds, mut next_server, mut sockets) = (0, 0, 0);
    for line in DEPLOYED.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let indent = &line[..line.len() - line.trim_start().len()];
        let line = match words.as_slice() {
            ["chroot" | "user" | "group" | "daemon", ..] | ["log", "/dev/log", ..] => continue,
            ["bind", _] => {
                binds += 1;
                format!("{indent}bind {addr}")
            }
            ["server", name, _, rest @ ..] => {
                let server = servers[next_server];
                next_server += 1;
                format!("{indent}server {name} {server} {}", rest.join(" "))
            }
            ["stats", "socket", _, rest @ ..] => {
                sockets += 1;
                format!(
                    "{indent}stats socket {} {}",
                    stats.display(),
                    rest.join(" ")
                )
            }
            _ => line.to_string(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    assert_eq!(
        (binds, next_server, sockets),
        (1, servers.len(), 1),
        "{DEPLOYED}"
    );
    out
}
