//! A real memcached for the tests, on a free loopback port or a Unix socket, killed on drop.
//!
//! memcached must be installed (`tools/test-deps.sh` installs it); without it the tests that
//! start one fail with a message saying so, never pass silently.

use crate::support::wait_until;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A memcached process on 127.0.0.1 or on a Unix socket; killed on drop.
pub struct Memcached {
    child: Child,
    /// The TCP port; 0 on a Unix socket.
    pub port: u16,
    /// The Unix socket, when it listens on one.
    pub socket: Option<PathBuf>,
}

impl Memcached {
    pub fn start() -> Memcached {
        // The port is free when probed; if another process takes it first, memcached exits and
        // we try another one.
        for _ in 0..5 {
            if let Some(mc) = Memcached::start_on(free_port()) {
                return mc;
            }
        }
        panic!("memcached did not start on any of 5 free ports");
    }

    /// Starts memcached on this port; `None` if it exits (port taken) instead of listening.
    pub fn start_on(port: u16) -> Option<Memcached> {
        // `-U 0`: no UDP.
        let child = spawn(&["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0"]);
        let mc = Memcached {
            child,
            port,
            socket: None,
        };
        // Ready only when the memcached on that port is this one: another test's server can
        // take the port between the probe and our bind, and would otherwise be used in its
        // place (its `stats` names its own pid).
        let pid = mc.child.id();
        mc.wait_ready(|| {
            TcpStream::connect(("127.0.0.1", port)).is_ok_and(|s| stats_pid(s) == Some(pid))
        })
    }

    /// Starts memcached on a Unix socket at `path` (`-s`) in a test's own folder.
    pub fn start_unix(path: &Path) -> Memcached {
        // As root, memcached drops to `nobody` before it creates the socket: let it write there.
        let dir = path.parent().expect("a folder");
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let mc = Memcached {
            child: spawn(&["-s", path.to_str().unwrap(), "-a", "0700"]),
            port: 0,
            socket: Some(path.to_path_buf()),
        };
        mc.wait_ready(|| UnixStream::connect(path).is_ok())
            .unwrap_or_else(|| panic!("memcached -s {} exited", path.display()))
    }

    /// This memcached once `ready` holds; `None` if it exits first.
    fn wait_ready(mut self, ready: impl Fn() -> bool) -> Option<Memcached> {
        let (mut listening, mut exited) = (false, false);
        wait_until(Duration::from_secs(5), "memcached listening", || {
            listening = ready();
            exited = !listening && self.child.try_wait().unwrap().is_some();
            listening || exited
        });
        listening.then_some(self)
    }

    pub fn url(&self) -> String {
        match &self.socket {
            Some(path) => format!("memcache+unix://{}", path.display()),
            None => format!("memcache://127.0.0.1:{}", self.port),
        }
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
    }

    /// SIGKILL, and wait until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Memcached {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // Still ours and not reaped; a stopped process must be continued to die.
            let _ = Command::new("kill")
                .args(["-CONT", &self.child.id().to_string()])
                .status();
            self.kill();
        }
    }
}

/// memcached with these arguments. `-u` only matters when running as root, where memcached
/// requires it.
fn spawn(args: &[&str]) -> Child {
    Command::new("memcached")
        .args(args)
        .args(["-u", "nobody"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run memcached ({e}): these tests need memcached on PATH \
                 (Debian package `memcached`; tools/test-deps.sh installs it)"
            )
        })
}

/// The pid a memcached reports in `stats`.
fn stats_pid(mut stream: TcpStream) -> Option<u32> {
    use std::io::{BufRead, BufReader, Write};
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(b"stats\r\n").ok()?;
    BufReader::new(stream)
        .lines()
        .map_while(Result::ok)
        .take_while(|line| line != "END")
        .find_map(|line| line.strip_prefix("STAT pid ")?.trim().parse().ok())
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
