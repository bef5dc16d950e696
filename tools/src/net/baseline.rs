//! `baseline-server`: a bare tiny_http server that answers every request with one fixed contact.
//!
//! It does no parsing, routing, storage or logging, so its throughput is the ceiling that the
//! HTTP stack and the load generator allow on this machine: the first row of every comparison.

use crate::args;
use crate::error::{Error, Result};
use std::sync::Arc;

const HELP: &str = "\
phonebook-tools baseline-server: answer every request with a fixed contact (the ceiling row)

USAGE:
    phonebook-tools baseline-server [--listen ADDR] [--threads N]

OPTIONS:
    --listen ADDR      address to listen on; port 0 picks one [default: 127.0.0.1:8090]
    --threads N        threads answering requests [default: 16]

Prints `baseline listening on http://ADDR` and serves until killed.
";

/// The answer to every request: what `GET /contacts/John%20Doe` returns from the service.
pub const BODY: &str = r#"{"name":"John Doe","number":"+358408053254"}"#;

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut listen, mut threads) = ("127.0.0.1:8090".to_string(), 16usize);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("listen") => listen = args::text(&mut parser)?,
            Long("threads") => threads = args::number(&mut parser, "threads")?,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if !(1..=1024).contains(&threads) {
        return Err(Error::new("--threads must be 1 to 1024"));
    }
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
