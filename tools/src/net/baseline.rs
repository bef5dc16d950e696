//! `baseline-server`: a bare server that answers every request with one fixed contact.
//!
//! It does no routing, storage or logging. Two kinds: `tiny-http` (the default, a thread pool
//! over tiny_http, the row the experiments have always had) and `hyper` (hyper 1 on tokio, in
//! `hyper_baseline.rs`), whose throughput is the ceiling that an HTTP stack and the load
//! generator allow on this machine: the first row of the GET benchmark.

use crate::args;
use crate::error::{Error, Result};
use crate::net::BODY;
use std::sync::Arc;

const HELP: &str = "\
phonebook-tools baseline-server: answer every request with a fixed contact (the ceiling row)

USAGE:
    phonebook-tools baseline-server [--kind KIND] [--listen ADDR] [--threads N]

OPTIONS:
    --kind KIND        tiny-http (a thread pool over tiny_http) or hyper (hyper 1 on tokio's
                       multi-thread runtime) [default: tiny-http]
    --listen ADDR      address to listen on; port 0 picks one [default: 127.0.0.1:8090]
    --threads N        threads answering requests [default: 16 for tiny-http, one per core
                       for hyper]

Prints `baseline listening on http://ADDR` and serves until killed.
";

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut listen, mut threads) = ("127.0.0.1:8090".to_string(), None);
    let mut kind = "tiny-http".to_string();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("kind") => kind = args::text(&mut parser)?,
            Long("listen") => listen = args::text(&mut parser)?,
            Long("threads") => threads = Some(args::number(&mut parser, "threads")?),
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = match (kind.as_str(), threads) {
        (_, Some(n)) if !(1..=1024).contains(&n) => {
            return Err(Error::new("--threads must be 1 to 1024"))
        }
        ("hyper", n) => return crate::net::hyper_baseline::serve(&listen, n.unwrap_or(cores)),
        ("tiny-http", n) => n.unwrap_or(16),
        (other, _) => {
            return Err(Error::new(format!(
                "--kind must be tiny-http or hyper, not {other:?}"
            )))
        }
    };
    let server = tiny_http::Server::http(&listen)
        .map_err(|e| Error::new(format!("cannot listen on {listen}: {e}")))?;
    let addr = server.server_addr().to_ip().expect("an IP listener");
    println!("baseline listening on http://{addr}");
    serve(Arc::new(server), threads);
    Ok(())
}

/// Answers requests on `threads` threads until the server fails.
fn serve(server: Arc<tiny_http::Server>, threads: usize) {
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
        .expect("a valid header");
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (server, header) = (server.clone(), header.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    let response =
                        tiny_http::Response::from_string(BODY).with_header(header.clone());
                    let _ = request.respond(response);
                }
            })
        })
        .collect();
    for handle in handles {
        let _ = handle.join();
    }
}
