//! The connection threads: accept, read a request, answer it (or hold it back, or answer as a
//! starting node, or with an injected error), and pace the answer in the real profile.

use crate::model::{self, Op, Via};
use crate::pb::{self, Ctx};
use crate::response::Response;
use crate::{lock, Api, Fault, Mode, Shared, MAX_CONNECTIONS};
use crate::{request, web};
use std::io::{self, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NO_2I: &str = "{error,{indexes_not_supported,riak_kv_bitcask_backend}}";

pub(crate) fn accept_loop(shared: &Arc<Shared>, listener: TcpListener, api: Api) {
    for stream in listener.incoming() {
        if *lock(&shared.mode) == Mode::Stopped {
            return;
        }
        let Ok(stream) = stream else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        // Answers are single writes; never hold one back waiting for an acknowledgement.
        let _ = stream.set_nodelay(true);
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        {
            let mut conns = lock(&shared.conns);
            let Ok(copy) = stream.try_clone() else {
                continue;
            };
            if conns.len() >= MAX_CONNECTIONS {
                continue;
            }
            conns.insert(id, copy);
        }
        let shared = shared.clone();
        std::thread::spawn(move || {
            let _ = match api {
                Api::Pbc => serve_pbc(&shared, stream),
                Api::Http => serve_http(&shared, stream),
            };
            lock(&shared.conns).remove(&id);
        });
    }
}

fn ctx(shared: &Shared) -> Ctx<'_> {
    Ctx {
        db: &shared.db,
        node: &shared.node,
        fallback_rate: shared.fallback_rate,
        ring_node: shared.ring_node,
    }
}

fn serve_pbc(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some((code, body)) = pb::read_frame(&mut reader)? {
        if !shared.may_answer() {
            return Ok(());
        }
        let (frames, op) = if shared.starting() && code != 1 {
            shared.log_starting(format!("pbc {code} {}", pb::key_of(&body)));
            (vec![pb::error_frame(&pb::unknown_code(code))], Op::Trivial)
        } else {
            match shared.injected_error(code == 1) {
                Some((msg, _)) => (vec![pb::error_frame(&msg)], Op::Trivial),
                None if shared.no_2i && code == 25 => (vec![pb::error_frame(NO_2I)], Op::Trivial),
                None => pb::answer(&ctx(shared), code, &body),
            }
        };
        model::pace(shared.profile, &shared.db.cluster().queue, Via::Pbc, op);
        shared.served.fetch_add(1, Ordering::SeqCst);
        writer.write_all(&frames.concat())?;
    }
    Ok(())
}

fn serve_http(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(req) = request::read_request(&mut reader)? {
        if !shared.may_answer() {
            return Ok(());
        }
        let (response, op) = if shared.starting() {
            shared.log_starting(format!("http {} {}", req.method, req.path));
            (Response::starting(), Op::Trivial)
        } else {
            match shared.injected_error(req.path == "/ping") {
                Some((msg, status)) => (Response::status_error(status, &msg), Op::Trivial),
                None if shared.no_2i && req.path.contains("/index/") => {
                    (Response::error(NO_2I), Op::Trivial)
                }
                None => web::answer(&ctx(shared), &req),
            }
        };
        model::pace(shared.profile, &shared.db.cluster().queue, Via::Http, op);
        shared.served.fetch_add(1, Ordering::SeqCst);
        response.write(&mut writer, req.method == "HEAD")?;
        if req.wants_close() {
            return Ok(());
        }
    }
    Ok(())
}

impl Shared {
    /// Sets the mode and wakes waiting connections; false when it was already that.
    pub(crate) fn set_mode(&self, mode: Mode) -> bool {
        let old = std::mem::replace(&mut *lock(&self.mode), mode);
        self.changed.notify_all();
        old != mode
    }

    /// Waits while hung; true when the request may be answered.
    fn may_answer(&self) -> bool {
        let mut mode = lock(&self.mode);
        while *mode == Mode::Hung {
            mode = self.changed.wait(mode).unwrap_or_else(|e| e.into_inner());
        }
        *mode == Mode::Running
    }

    /// Whether the node is still in its start-up phase.
    fn starting(&self) -> bool {
        let mut until = lock(&self.starting_until);
        match *until {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                *until = None;
                false
            }
            None => false,
        }
    }

    fn log_starting(&self, what: String) {
        lock(&self.starting_log).push(what);
    }

    /// The error to answer instead (message, HTTP status), if one is injected; a ping is
    /// answered normally.
    fn injected_error(&self, ping: bool) -> Option<(String, u16)> {
        if ping {
            return None;
        }
        let mut fault = lock(&self.fault);
        if matches!(*fault, Some(Fault { count: Some(0), .. })) {
            *fault = None;
        }
        let answer = fault.as_ref().map(|f| (f.message.clone(), f.http_status));
        if let Some(Fault {
            count: Some(left), ..
        }) = fault.as_mut()
        {
            *left -= 1;
            if *left == 0 {
                *fault = None;
            }
        }
        answer
    }
}
