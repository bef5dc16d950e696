//! `baseline-server --kind hyper`: hyper 1 on tokio's multi-thread runtime, answering every
//! request with the fixed contact.
//!
//! This is the ceiling row of the GET benchmark: an event-driven server with nothing but HTTP/1.1
//! framing in it, i.e. what the machine and the load generator allow. It lives in the tools
//! crate only; the service itself stays synchronous.

use crate::error::{Error, Result};
use crate::net::BODY;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;

/// Serves on `listen` with `threads` runtime workers until killed.
pub fn serve(listen: &str, threads: usize) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::new(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(accept(listen))
}

async fn accept(listen: &str) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::new(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::new(e.to_string()))?;
    println!("baseline listening on http://{addr}");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or the like: a short pause instead of a busy loop.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|_: Request<Incoming>| async {
                let response = Response::builder()
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from_static(BODY.as_bytes())));
                Ok::<_, Infallible>(response.expect("a valid response"))
            });
            let io = TokioIo::new(stream);
            let _ = http1::Builder::new().serve_connection(io, service).await;
        });
    }
}
