//! The processes an experiment runs: the service, the baseline server, slow links, memcached
//! and the Riak stand-in, each killed when its handle is dropped.
//!
//! Servers that can bind port 0 print their address on the first stdout line, which is read
//! back; those that cannot (memcached, the stand-in) get a free port picked here and are polled
//! until they accept connections. Output goes to a log file, never to a pipe nobody reads.

use crate::error::{io_context, Error, Result};
use crate::load::client::{Client, Reply, Target};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A child process, killed (and reaped) on drop.
pub struct Proc {
    child: Child,
    /// What it is, for messages.
    pub label: String,
}

impl Proc {
    /// Sends SIGTERM and waits (bounded) for it to exit, so it can finish its requests.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has already exited.
    pub fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(Error::new(format!("{} exited ({status})", self.label))),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program args`, with stderr (and later stdout) appended to `log`, and reads the
/// address it prints on its first stdout line after `prefix` (e.g. `"listening on http://"`).
pub fn spawn_announcing(
    program: &Path,
    args: &[String],
    log: &Path,
    prefix: &str,
) -> Result<(Proc, String)> {
    let mut child = command(program, args, log)?
        .stdout(Stdio::piped())
        .spawn()
        .map_err(io_context(program.display()))?;
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    let read = stdout.read_line(&mut line);
    let label = format!("{} {}", program.display(), args.join(" "));
    let mut proc = Proc { child, label };
    let addr = match line.split_once(prefix) {
        Some((_, rest)) if read.is_ok() => rest.split_whitespace().next().unwrap_or("").to_string(),
        _ => {
            let status = proc.child.wait()?;
            return Err(Error::new(format!(
                "{} did not start ({status}): {}",
                proc.label,
                last_lines(log)
            )));
        }
    };
    // Keep draining stdout into the log, so a later print never blocks or fails.
    let mut sink = std::fs::OpenOptions::new().append(true).open(log)?;
    std::thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = stdout.read_to_end(&mut rest);
        let _ = sink.write_all(&rest);
    });
    proc.check_alive()?;
    Ok((proc, addr))
}

/// Waits until the service at `addr` answers `GET /healthz` with 200 (its store is readable),
/// for at most [`START_TIMEOUT`].
pub fn wait_healthy(addr: &str) -> Result<()> {
    let target = Target::parse(&format!("http://{addr}"))?;
    let request = target.get("/healthz");
    let mut client = Client::new(&target, Duration::from_secs(5));
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let answer = client.send(&request);
        if matches!(answer, Ok(Reply { status: 200, .. })) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let body = String::from_utf8_lossy(client.body()).into_owned();
            return Err(Error::new(format!(
                "the service at {addr} did not become healthy in {START_TIMEOUT:?}: {}",
                answer.map_or_else(|e| e.to_string(), |r| format!("{} {body}", r.status))
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts a server on addresses it was given, and waits until each of `addrs` accepts.
pub fn spawn_listening(
    program: &Path,
    args: &[String],
    log: &Path,
    addrs: &[SocketAddr],
) -> Result<Proc> {
    let child = command(program, args, log)?
        .stdout(Stdio::from(append(log)?))
        .spawn()
        .map_err(io_context(program.display()))?;
    let mut proc = Proc {
        child,
        label: format!("{} {}", program.display(), args.join(" ")),
    };
    let deadline = Instant::now() + START_TIMEOUT;
    for addr in addrs {
        while TcpStream::connect_timeout(addr, Duration::from_millis(200)).is_err() {
            if proc.check_alive().is_err() || Instant::now() > deadline {
                return Err(Error::new(format!(
                    "{} did not start listening on {addr}: {}",
                    proc.label,
                    last_lines(log)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(proc)
}

/// The command, run in the log's folder (so no `phonebook.toml` of the caller's folder is read)
/// and without `RUST_LOG` (so each service mode logs as it defines).
fn command(program: &Path, args: &[String], log: &Path) -> Result<Command> {
    let mut command = Command::new(program);
    command
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stderr(Stdio::from(append(log)?));
    if let Some(dir) = log.parent() {
        command.current_dir(dir);
    }
    Ok(command)
}

fn append(log: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io_context(log.display()))
}

/// The end of a log file, for error messages.
fn last_lines(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// A loopback address with a port that was free a moment ago.
pub fn free_addr() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Empties a memcached server with the text protocol's `flush_all`.
pub fn flush_memcached(addr: &str) -> Result<()> {
    let fail = |e: std::io::Error| Error::new(format!("flush_all on {addr}: {e}"));
    let addr = addr
        .to_socket_addrs()
        .map_err(fail)?
        .next()
        .ok_or_else(|| Error::new(format!("memcached {addr}: no address")))?;
    let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(fail)?;
    conn.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(fail)?;
    conn.write_all(b"flush_all\r\n").map_err(fail)?;
    let mut answer = [0u8; 16];
    let n = conn.read(&mut answer).map_err(fail)?;
    if &answer[..n] != b"OK\r\n" {
        return Err(Error::new(format!(
            "flush_all on {addr}: answered {:?}",
            String::from_utf8_lossy(&answer[..n])
        )));
    }
    Ok(())
}
