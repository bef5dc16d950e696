//! A real memcached for the tests, on a free loopback port, killed on drop.
//!
//! memcached must be installed (`.ci/run` installs it); without it the tests that start one
//! fail with a message saying so, never pass silently.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A memcached process on 127.0.0.1; killed on drop.
pub struct Memcached {
    child: Child,
    pub port: u16,
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
        let child = Command::new("memcached")
            // `-u` only matters when running as root, where memcached requires it. `-U 0`: no UDP.
            .args([
                "-l",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "0",
                "-u",
                "nobody",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run memcached ({e}): these tests need memcached on PATH \
                     (Debian package `memcached`; .ci/run installs it)"
                )
            });
        let mut mc = Memcached { child, port };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(mc);
            }
            if mc.child.try_wait().unwrap().is_some() {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
        panic!("memcached did not listen on port {port} within 5 s");
    }

    pub fn url(&self) -> String {
        format!("memcache://127.0.0.1:{}", self.port)
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

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
