//! One connection, on its own thread: read a request, pass the gate, handle it, write the answer.
//!
//! The permit of the gate is returned before the answer is written, so a client that never
//! reads holds only its own thread, and only for `write_timeout` (docs/http.md).

use crate::app::App;
use crate::http::gate::{Admission, Gate};
use crate::http::guard::Guard;
use crate::http::reject::Reject;
use crate::http::request::{Connection, Limits, Request, Socket};
use crate::http::response::{Persist, Response};
use crate::http::routes;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What every connection shares.
pub(crate) struct Shared<'a> {
    pub app: &'a App,
    pub gate: &'a Gate,
    /// The checks every request passes before routing.
    pub guard: &'a Guard,
    pub limits: Limits,
    /// How long a request may wait for a permit before it is shed.
    pub queue_timeout: Duration,
    /// How long writing one whole answer may take.
    pub write_timeout: Duration,
    /// Set when the server stops: answers close their connection.
    pub stop: &'a AtomicBool,
}

/// Serves requests on one connection until it closes, fails, or the server stops.
pub(crate) fn serve(mut conn: Connection, shared: &Shared) {
    let socket = conn.socket.clone();
    let stream = &socket.stream;
    let _ = stream.set_write_timeout(Some(shared.write_timeout));
    while !shared.stop.load(Ordering::SeqCst) {
        let request = match conn.read_request(&shared.limits) {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(err) => {
                // The rest of the stream cannot be trusted to be at a request boundary: answer
                // and close.
                log::debug!("bad request: {err}");
                let response = err.response(None);
                shared.app.metrics().rejected(response.status);
                return finish(stream, &response.encode(Persist::Close, false), shared);
            }
        };
        let Some((response, persist)) = answer(&socket, &request, shared) else {
            log::debug!(
                "{} {}: client gone while queued",
                request.method,
                request.path
            );
            return;
        };
        let bytes = response.encode(persist, request.method == "HEAD");
        if persist == Persist::Close {
            return finish(stream, &bytes, shared);
        }
        if write_all(stream, &bytes, shared.write_timeout).is_err() {
            return;
        }
    }
}

/// Runs the handler under a permit; `None` when the client left while the request waited.
fn answer(socket: &Socket, request: &Request, shared: &Shared) -> Option<(Response, Persist)> {
    let received = Instant::now();
    let permit = match shared.gate.enter(shared.queue_timeout) {
        Admission::Now(permit) => permit,
        Admission::AfterWait(permit) if client_gone(&socket.stream) => {
            drop(permit);
            return None;
        }
        Admission::AfterWait(permit) => permit,
        Admission::Shed => {
            let response = Reject::Overloaded.response(None);
            shared.app.metrics().rejected(response.status);
            return Some((response, Persist::Close));
        }
    };
    // A panic must not end the connection thread with the permit lost or no answer given.
    let handle = std::panic::AssertUnwindSafe(|| {
        routes::handle(shared.app, shared.guard, request, received)
    });
    let response = std::panic::catch_unwind(handle).unwrap_or_else(|_| {
        log::error!("handler panicked on {} {}", request.method, request.path);
        let response = Reject::Internal.response(None);
        let (metrics, elapsed) = (shared.app.metrics(), received.elapsed());
        metrics.request("none", &request.method, response.status, elapsed);
        response
    });
    drop(permit);
    let persist = match (
        request.keep_alive && !shared.stop.load(Ordering::SeqCst),
        request.http10,
    ) {
        (false, _) => Persist::Close,
        (true, false) => Persist::KeepAlive,
        (true, true) => Persist::Announce,
    };
    Some((response, persist))
}

/// Whether the client closed or reset its connection, checked without blocking. A request that
/// had to queue is skipped when its client has gone: under load its FIN is taken for a hang-up
/// (as Go's net/http cancels such a request), so no worker serves a client that left.
fn client_gone(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let gone = match stream.peek(&mut [0u8; 1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock && e.kind() != ErrorKind::Interrupted,
    };
    let _ = stream.set_nonblocking(false);
    gone
}

/// Writes all of `bytes` within `limit` in all, whatever the client's reading pace.
pub(crate) fn write_all(
    stream: &TcpStream,
    mut bytes: &[u8],
    limit: Duration,
) -> std::io::Result<()> {
    // The caller set the socket's write timeout to `limit`, so an answer that goes out in one
    // write (nearly all of them) costs no system call to set it.
    let deadline = Instant::now() + limit;
    let mut shortened = false;
    let result = loop {
        match (&*stream).write(bytes) {
            Ok(0) => break Err(ErrorKind::WriteZero.into()),
            Ok(n) if n == bytes.len() => break Ok(()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Err(ErrorKind::TimedOut.into());
        }
        shortened = true;
        if let Err(e) = stream.set_write_timeout(Some(left)) {
            break Err(e);
        }
    };
    if shortened {
        let _ = stream.set_write_timeout(Some(limit));
    }
    result
}

/// Writes the last answer of a connection and closes it gracefully.
fn finish(stream: &TcpStream, bytes: &[u8], shared: &Shared) {
    if write_all(stream, bytes, shared.write_timeout).is_ok() {
        linger_close(stream);
    }
}

/// Closes a connection whose client may still be sending (e.g. a body over the limit).
///
/// Closing a socket with unread input makes the kernel send a reset, which can destroy the
/// answer before the client reads it. So: stop writing (the client sees the end of the answer),
/// then read and discard for a short, bounded while (at most 256 KiB or 500 ms), then close.
pub(crate) fn linger_close(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut buf = [0u8; 16 * 1024];
    let mut left = 256 * 1024usize;
    while left > 0 {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() || stream.set_read_timeout(Some(wait)).is_err() {
            break;
        }
        match (&*stream).read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}
