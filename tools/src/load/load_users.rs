//! `load-users`: puts a users file into the phone book, through the API or straight into a store.
//!
//! Through the API (`--target`), N workers POST the form over keep-alive connections, exactly as
//! clients would. Straight into a store (`--store`), the store is opened with the service's own
//! code (`phonebook::store::open`), which is faster for large sets; an embedded file must not be
//! in use by a running service at the time (the file is locked).

use crate::args;
use crate::data::users;
use crate::error::{Error, Result};
use crate::load::client::{Client, Target};
use crate::progress;
use phonebook::contact::Contact;
use phonebook::store::riak::WriteMode;
use phonebook::store::{parse_url as parse_store_url, StoreConfig};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const HELP: &str = "\
phonebook-tools load-users: load a users file into the phone book

USAGE:
    phonebook-tools load-users (--target URL | --store URL) [OPTIONS] FILE

OPTIONS:
    --target URL         through the service's API, http://host:port
    --store URL          straight into a store: embedded:PATH, pbc://host:port, http://host:port
    --bucket NAME        the store's bucket [default: phonebook]
    --concurrency N      parallel writers [default: 8]
    --quiet              no progress lines on stderr
";

/// Give up on one write after this long.
const TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut target, mut store, mut file) = (None, None::<String>, None::<PathBuf>);
    let (mut bucket, mut concurrency, mut progress) = ("phonebook".to_string(), 8usize, true);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("target") => target = Some(Target::parse(&args::text(&mut parser)?)?),
            Long("store") => store = Some(args::text(&mut parser)?),
            Long("bucket") => bucket = args::text(&mut parser)?,
            Long("concurrency") => concurrency = args::number(&mut parser, "concurrency")?,
            Long("quiet") => progress = false,
            Value(path) if file.is_none() => file = Some(PathBuf::from(path)),
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let file = file.ok_or_else(|| Error::new("the users FILE is required (see --help)"))?;
    let users = users::read(&file)?;
    match (target, store) {
        (Some(target), None) => via_api(&target, &users, concurrency, progress)?,
        (None, Some(url)) => via_store(&url, &bucket, &users, concurrency, progress)?,
        _ => return Err(Error::new("give exactly one of --target and --store")),
    }
    eprintln!("load-users: {} contacts stored", users.len());
    Ok(())
}

/// POSTs every user to the service; fails if any write was not answered 200.
pub fn via_api(
    target: &Target,
    users: &[Contact],
    concurrency: usize,
    progress: bool,
) -> Result<()> {
    let requests: Vec<Vec<u8>> = users
        .iter()
        .map(|u| target.post_form("/contacts", &[("name", &u.name), ("number", &u.number)]))
        .collect();
    let requests = &requests;
    parallel(users.len(), concurrency, progress, || {
        let mut client = Client::new(target, TIMEOUT);
        move |i: usize| match client.send(&requests[i]) {
            Ok(reply) if reply.status == 200 => Ok(()),
            Ok(reply) => Err(format!(
                "{:?}: HTTP {}: {}",
                users[i].name,
                reply.status,
                String::from_utf8_lossy(client.body())
            )),
            Err(e) => Err(format!("{:?}: {e}", users[i].name)),
        }
    })
}

/// Writes every user straight into the store a URL names.
pub fn via_store(
    url: &str,
    bucket: &str,
    users: &[Contact],
    concurrency: usize,
    progress: bool,
) -> Result<()> {
    let config = StoreConfig {
        url: parse_store_url(url)?,
        bucket: bucket.to_string(),
        timeout: TIMEOUT,
        pool_size: concurrency,
        write: WriteMode::Auto,
        notfound_ok: false,
        quorums: phonebook::store::riak::Quorums::default(),
    };
    let store = phonebook::store::open(&config, concurrency)?;
    let store = &*store;
    parallel(users.len(), concurrency, progress, || {
        move |i: usize| {
            store
                .put(&users[i])
                .map_err(|e| format!("{:?}: {e}", users[i].name))
        }
    })
}

/// Runs `job(i)` for every `i` in `0..count` on `concurrency` threads, each with its own job
/// state made by `make`; returns the first failure (after counting all of them).
fn parallel<F, J>(count: usize, concurrency: usize, progress: bool, make: F) -> Result<()>
where
    F: Fn() -> J + Sync,
    J: FnMut(usize) -> std::result::Result<(), String>,
{
    if !(1..=1000).contains(&concurrency) {
        return Err(Error::new("--concurrency must be 1 to 1000"));
    }
    let (next, done, stop) = (AtomicU64::new(0), AtomicU64::new(0), AtomicBool::new(false));
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let watcher = progress.then(|| {
            let (done, stop) = (&done, &stop);
            scope.spawn(move || progress::watch("load-users", done, Some(count as u64), stop))
        });
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(|| {
                    let mut job = make();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                        if i >= count {
                            break;
                        }
                        if let Err(e) = job(i) {
                            failures.lock().unwrap().push(e);
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.join();
        }
        stop.store(true, Ordering::SeqCst);
        if let Some(watcher) = watcher {
            let _ = watcher.join();
        }
    });
    let failures = failures.into_inner().unwrap();
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(Error::new(format!(
            "{} of {count} writes failed; the first: {first}",
            failures.len()
        ))),
    }
}
