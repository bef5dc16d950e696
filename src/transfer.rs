//! `phonebook export` and `phonebook import`: every contact of a store as JSON Lines, out and
//! back in, so a phone book can move between backends (the embedded file to Riak) or be backed
//! up. Both stream: export reads the store a page at a time through the contract's `list`,
//! import holds a bounded queue of lines, so memory stays flat whatever the size. Import goes
//! through the app's write path (the rules of `contact.rs`, the store, then the cache), and a
//! contact written twice is the same contact, so a run can be repeated. The README's Riak section shows a move.

use crate::app::App;
use crate::contact::Contact;
use crate::error::Error;
use crate::store::Store;
use serde::Deserialize;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Contacts read from the store per `list` call.
const PAGE: usize = 500;
/// Writes in flight at once during an import (a Riak cluster serves them in parallel).
pub const WRITERS: usize = 8;
/// Lines waiting for each writer: the bound on what an import holds in memory.
const QUEUE: usize = 256;
/// A longer line is refused unread (a contact's JSON is a few hundred bytes).
const MAX_LINE: usize = 4096;
/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Contacts written.
    pub written: u64,
    /// Lines skipped, with why: `line N: reason`.
    pub skipped: Vec<String>,
}

/// One input line: extra fields are ignored, so a richer export still imports.
#[derive(Deserialize)]
struct Line {
    name: String,
    number: String,
}

/// Writes every contact of `store` to `out`, one JSON object a line, in key order (the names'
/// UTF-8 bytes); returns how many.
pub fn export(
    store: &dyn Store,
    out: &mut dyn Write,
    progress: &mut Progress,
) -> Result<u64, Error> {
    let mut after: Option<String> = None;
    let mut count = 0;
    loop {
        let page = store.list(after.as_deref(), "", PAGE)?;
        for contact in &page {
            writeln!(out, "{}", contact.to_json()).map_err(io_err)?;
        }
        count += page.len() as u64;
        progress.show(count, "exported");
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(last.name.clone()),
            _ => break,
        }
    }
    out.flush().map_err(io_err)?;
    Ok(count)
}

/// Reads JSON Lines from `input` and stores each contact through `app`, [`WRITERS`] at a time.
/// Lines of one name go to the same writer in order, so the last line of a name wins. A line
/// that is not a valid contact is skipped and reported; a store error stops the import (what
/// was written stays, and running it again is safe).
pub fn import(
    app: &App,
    input: &mut dyn BufRead,
    progress: &mut Progress,
) -> Result<Imported, Error> {
    let failed: Mutex<Option<Error>> = Mutex::new(None);
    let mut done = Imported::default();
    let written = std::thread::scope(|scope| {
        let mut queues = Vec::new();
        let mut writers = Vec::new();
        for _ in 0..WRITERS {
            let (tx, rx) = sync_channel::<(u64, Contact)>(QUEUE);
            queues.push(tx);
            let failed = &failed;
            writers.push(scope.spawn(move || write_all(app, rx, failed)));
        }
        let mut buf = Vec::new();
        let mut number = 0u64;
        let mut sent = 0u64;
        while failed.lock().expect("not poisoned").is_none() {
            number += 1;
            let contact = match next_line(input, &mut buf) {
                Ok(None) => break,
                Ok(Some(line)) if line.trim().is_empty() => continue,
                Ok(Some(line)) => parse(line),
                Err(e) if e.kind() == io::ErrorKind::InvalidData => Err(e.to_string()),
                Err(e) => return Err(io_err(e)),
            };
            match contact {
                Ok(contact) => {
                    let queue = &queues[writer_of(&contact.name)];
                    if queue.send((number, contact)).is_err() {
                        break;
                    }
                    sent += 1;
                    progress.show(sent, "read");
                }
                Err(why) => done.skipped.push(format!("line {number}: {why}")),
            }
        }
        drop(queues);
        Ok(writers
            .into_iter()
            .map(|w| w.join().expect("a writer"))
            .sum())
    })?;
    if let Some(err) = failed.into_inner().expect("not poisoned") {
        return Err(err);
    }
    done.written = written;
    Ok(done)
}

/// One writer: stores what it is sent until the queue closes or a write fails.
fn write_all(app: &App, rx: Receiver<(u64, Contact)>, failed: &Mutex<Option<Error>>) -> u64 {
    let mut written = 0;
    for (line, contact) in rx {
        if let Err(err) = app.put(&contact) {
            let mut first = failed.lock().expect("not poisoned");
            first.get_or_insert(Error::store(format!(
                "line {line} ({}): {err}; what was written before stays, and importing again is \
                 safe",
                contact.name
            )));
            break;
        }
        written += 1;
    }
    written
}

/// A contact from one line, validated as any client's input is.
fn parse(line: &str) -> Result<Contact, String> {
    let line: Line = serde_json::from_str(line)
        .map_err(|e| format!("not a JSON object with a name and a number: {e}"))?;
    Contact::parse(&line.name, &line.number).map_err(|e| e.to_string())
}

/// The writer of a name: one per name, so two lines of one name are written in order.
fn writer_of(name: &str) -> usize {
    let mut hasher = DefaultHasher::new();
    name.hash(&mut hasher);
    (hasher.finish() % WRITERS as u64) as usize
}

/// The next line (without its end), `None` at the end of the input. A line over [`MAX_LINE`]
/// bytes is skipped to its end and answered with `InvalidData`, as is one that is not UTF-8.
fn next_line<'a>(input: &mut dyn BufRead, buf: &'a mut Vec<u8>) -> io::Result<Option<&'a str>> {
    buf.clear();
    let n = (&mut *input)
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
        // Drop the rest of the line a chunk at a time.
        while buf.last() != Some(&b'\n') {
            buf.clear();
            if (&mut *input).take(MAX_LINE as u64).read_until(b'\n', buf)? == 0 {
                break;
            }
        }
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("longer than {MAX_LINE} bytes"),
        ));
    }
    let text = std::str::from_utf8(buf)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))?;
    Ok(Some(text.trim_end_matches(['\n', '\r'])))
}

fn io_err(err: io::Error) -> Error {
    Error::Io(std::sync::Arc::new(err))
}

/// The progress line on standard error, drawn only when it is a terminal.
pub struct Progress {
    on: bool,
    last: Instant,
}

impl Progress {
    /// A progress line when standard error is a terminal, else nothing.
    pub fn on_terminal() -> Progress {
        Progress {
            on: io::stderr().is_terminal(),
            last: Instant::now(),
        }
    }

    /// No progress line.
    #[cfg(test)]
    pub fn off() -> Progress {
        Progress {
            on: false,
            last: Instant::now(),
        }
    }

    fn show(&mut self, count: u64, what: &str) {
        if self.on && self.last.elapsed() >= PROGRESS_EVERY {
            self.last = Instant::now();
            eprint!("\r{what} {count} contacts");
        }
    }

    /// Clears the progress line before the final count is printed.
    pub fn done(&self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::Embedded;

    fn app_in(tag: &str) -> (App, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("phonebook-transfer-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Embedded::open(&dir.join("db.redb")).expect("a store");
        (App::new(Box::new(store)), dir)
    }

    #[test]
    fn bad_lines_are_skipped_with_their_numbers_and_the_last_line_of_a_name_wins() {
        let (app, dir) = app_in("bad");
        let long = format!("{{\"name\":\"{}\",\"number\":\"123\"}}", "x".repeat(5000));
        let input = format!(
            "{{\"name\":\"Anna\",\"number\":\"111\"}}\n\
             not json\n\
             \n\
             {{\"name\":\"Bo/b\",\"number\":\"222\"}}\n\
             {long}\n\
             {{\"name\":\" Anna \",\"number\":\"+358 40 805 3254\",\"extra\":1}}\r\n\
             {{\"name\":\"Cid\",\"number\":\"12\"}}"
        );
        let mut reader = io::Cursor::new(input.into_bytes());
        let done = import(&app, &mut reader, &mut Progress::off()).unwrap();
        assert_eq!(done.written, 2);
        let lines: Vec<&str> = done
            .skipped
            .iter()
            .map(|s| &s[..s.find(':').unwrap()])
            .collect();
        assert_eq!(
            lines,
            ["line 2", "line 4", "line 5", "line 7"],
            "{:?}",
            done.skipped
        );
        assert!(done.skipped[1].contains("must not contain '/'"));
        assert!(done.skipped[2].contains("longer than 4096 bytes"));
        assert_eq!(app.get("Anna").unwrap().number, "+358408053254");
        drop(app);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_export_imports_into_an_identical_store_twice() {
        let (from, dir) = app_in("from");
        let (to, dir2) = app_in("to");
        for i in 0..1234 {
            from.put(&Contact::parse(&format!("Person {i:04}"), "+358 40 111").unwrap())
                .unwrap();
        }
        drop(from);
        let store = crate::store::open(&test_config(&dir.join("db.redb")), 1).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            export(&*store, &mut out, &mut Progress::off()).unwrap(),
            1234
        );
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.starts_with("{\"name\":\"Person 0000\",\"number\":\"+35840111\"}\n"));
        for _ in 0..2 {
            let done = import(&to, &mut io::Cursor::new(&out), &mut Progress::off()).unwrap();
            assert_eq!((done.written, done.skipped.len()), (1234, 0));
        }
        let page = to.list(&crate::contact::PageQuery::parse(None, None, Some("500")).unwrap());
        assert_eq!(page.unwrap().contacts.len(), 500);
        drop((store, to));
        std::fs::remove_dir_all(dir).unwrap();
        std::fs::remove_dir_all(dir2).unwrap();
    }

    fn test_config(path: &std::path::Path) -> crate::store::StoreConfig {
        let text = format!("[store]\nurl = \"embedded:{}\"\n", path.display());
        crate::config::from_toml(&text, &Default::default())
            .unwrap()
            .store
    }
}
