//! The connection threads: accept, read a request, answer it (or hold it back, or answer as a
//! starting node, or with an injected error), and pace the answer in the real profile.

use crate::model::{self, Op, Via};
use crate::pb::{self, Ctx};
use crate::web;
use crate::{lock, Api, Mode, Shared, MAX_CONNECTIONS};
use std::io::{self, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

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
    while let Some(req) = web::read_request(&mut reader)? {
        if !shared.may_answer() {
            return Ok(());
        }
        let (response, op) = if shared.starting() {
            shared.log_starting(format!("http {} {}", req.method, req.path));
            (web::Response::starting(), Op::Trivial)
        } else {
            match shared.injected_error(req.path == "/ping") {
                Some((msg, status)) => (web::Response::status_error(status, &msg), Op::Trivial),
                None if shared.no_2i && req.path.contains("/index/") => {
                    (web::Response::error(NO_2I), Op::Trivial)
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
