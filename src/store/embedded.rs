//! The embedded store: contacts in one redb database file, the default backend.
//!
//! redb is a pure-Rust, crash-safe B-tree store: each put is its own transaction committed with
//! `Durability::Immediate` (an fsync) before the client hears "saved", so an acknowledged write
//! survives a crash or `kill -9`. Keys are the names, so listing is an ordered range scan.
//!
//! An fsync costs milliseconds and redb runs one write transaction at a time, so puts are
//! group-committed: the first writer to find no commit running takes every put queued so far
//! into one transaction, and the others wait for it. Each put still returns only after the
//! commit that contains it, so the guarantee is unchanged; concurrent writers share one fsync.
//! Deletes go through the same queue, so a put and a delete of one name commit in order.

use crate::contact::Contact;
use crate::error::Error;
use crate::store::dbfile::DbFile;
use crate::store::{Health, Store};
use redb::{ReadableDatabase, ReadableTableMetadata, TableDefinition};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// name → number.
const CONTACTS: TableDefinition<&str, &str> = TableDefinition::new("contacts");

/// The file of an `embedded:PATH` store URL (`path` is what follows the scheme).
pub(crate) fn parse_path(path: &str) -> Result<PathBuf, Error> {
    if path.is_empty() {
        return Err(Error::Config("embedded: needs a file path".into()));
    }
    Ok(PathBuf::from(path))
}

/// A phone book in a single file.
pub struct Embedded {
    db: DbFile,
    path: PathBuf,
    queue: Mutex<Queue>,
    committed: Condvar,
}

/// The outcome of the commit that held a change, set once by the writer that ran it: whether
/// the name existed before the change.
type Commit = Arc<OnceLock<Result<bool, Error>>>;

/// One write: a put or a delete. Both go through the same queue, so they commit in order.
enum Change {
    Put(Contact),
    Delete(String),
}

/// Changes waiting for the next commit.
#[derive(Default)]
struct Queue {
    pending: Vec<(Change, Commit)>,
    committing: bool,
}

impl Embedded {
    /// Opens the file, creating it and its folder if missing.
    pub fn open(path: &Path) -> Result<Embedded, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::start(format!("cannot create {}", dir.display()), e))?;
        }
        let db = DbFile::open(path)?;
        // Create the table up front so readers never see "table does not exist".
        db.write(|db| {
            let tx = db.begin_write()?;
            tx.open_table(CONTACTS)?;
            Ok(tx.commit()?)
        })
        .map_err(|e| Error::start(format!("cannot write {}", path.display()), e))?;
        Ok(Embedded {
            db,
            path: path.to_path_buf(),
            queue: Mutex::default(),
            committed: Condvar::new(),
        })
    }

    /// Writes a batch of changes in one transaction (one fsync); for each, whether its name
    /// existed before it.
    fn commit(&self, batch: &[(Change, Commit)]) -> Result<Vec<bool>, Error> {
        self.db.write(|db| {
            let tx = db.begin_write()?;
            let mut existed = Vec::with_capacity(batch.len());
            {
                let mut table = tx.open_table(CONTACTS)?;
                for (change, _) in batch {
                    let old = match change {
                        Change::Put(c) => table.insert(c.name.as_str(), c.number.as_str())?,
                        Change::Delete(name) => table.remove(name.as_str())?,
                    };
                    existed.push(old.is_some());
                }
            }
            tx.commit()?;
            Ok(existed)
        })
    }
    /// Queues a change and returns once the commit that holds it is done. The first writer
    /// to find no commit running takes every change queued so far into one transaction.
    fn apply(&self, change: Change) -> Result<bool, Error> {
        let outcome = Commit::default();
        let mut queue = self.queue.lock().unwrap();
        queue.pending.push((change, outcome.clone()));
        loop {
            if let Some(result) = outcome.get() {
                return result.clone();
            }
            if queue.committing {
                queue = self.committed.wait(queue).unwrap();
                continue;
            }
            // No commit running: this writer commits everything queued, its own change included.
            queue.committing = true;
            let batch = std::mem::take(&mut queue.pending);
            drop(queue);
            let result = self.commit(&batch);
            for (i, (_, slot)) in batch.iter().enumerate() {
                let _ = slot.set(result.as_ref().map(|e| e[i]).map_err(Clone::clone));
            }
            queue = self.queue.lock().unwrap();
            queue.committing = false;
            self.committed.notify_all();
        }
    }
}

impl Store for Embedded {
    fn get(&self, name: &str) -> Result<Option<Contact>, Error> {
        self.db.read(|db| {
            let tx = db.begin_read()?;
            let table = tx.open_table(CONTACTS)?;
            let found = table.get(name)?;
            Ok(found.map(|number| Contact {
                name: name.to_string(),
                number: number.value().to_string(),
            }))
        })
    }

    fn put(&self, contact: &Contact) -> Result<(), Error> {
        self.apply(Change::Put(contact.clone())).map(drop)
    }

    fn delete(&self, name: &str) -> Result<bool, Error> {
        self.apply(Change::Delete(name.to_string()))
    }

    fn list(&self, after: Option<&str>, prefix: &str, limit: usize) -> Result<Vec<Contact>, Error> {
        let start = match after {
            Some(after) if after > prefix => after,
            _ => prefix,
        };
        self.db.read(|db| {
            let tx = db.begin_read()?;
            let table = tx.open_table(CONTACTS)?;
            let mut out = Vec::with_capacity(limit.min(500));
            for entry in table.range(start..)? {
                let (name, number) = entry?;
                let name = name.value();
                if !name.starts_with(prefix) || out.len() == limit {
                    break;
                }
                if Some(name) != after {
                    out.push(Contact {
                        name: name.to_string(),
                        number: number.value().to_string(),
                    });
                }
            }
            Ok(out)
        })
    }

    /// Healthy when the file can be read and written; while a write fails (a full disk), says
    /// why, and tries to recover (at most once a second).
    fn health(&self) -> Health {
        let writable = self.db.writable();
        let count = self.db.read(|db| {
            let tx = db.begin_read()?;
            let table = tx.open_table(CONTACTS)?;
            Ok(table.len()?)
        });
        let mut detail = serde_json::json!({
            "backend": "embedded",
            "path": self.path.display().to_string(),
            "contacts": count.as_ref().ok(),
            "writable": writable.is_ok(),
        });
        if let Err(err) = &writable {
            detail["error"] = err.to_string().into();
        }
        Health {
            ok: count.is_ok() && writable.is_ok(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store(tag: &str) -> (Embedded, PathBuf) {
        let dir = std::env::temp_dir().join(format!("phonebook-unit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Embedded::open(&dir.join("db.redb")).unwrap();
        (store, dir)
    }

    #[test]
    fn put_overwrites_delete_removes_and_list_pages_by_prefix() {
        let (store, dir) = temp_store("list");
        for (name, number) in [
            ("Anna", "111"),
            ("Anton", "222"),
            ("Bo", "333"),
            ("Anna", "444"),
        ] {
            store.put(&Contact::parse(name, number).unwrap()).unwrap();
        }
        assert_eq!(store.get("Anna").unwrap().unwrap().number, "444");
        assert_eq!(store.get("Nobody").unwrap(), None);
        let names = |v: Vec<Contact>| v.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(
            names(store.list(None, "An", 10).unwrap()),
            ["Anna", "Anton"]
        );
        assert_eq!(
            names(store.list(Some("Anna"), "An", 10).unwrap()),
            ["Anton"]
        );
        assert_eq!(names(store.list(None, "", 2).unwrap()), ["Anna", "Anton"]);
        assert_eq!(names(store.list(Some("Anton"), "", 2).unwrap()), ["Bo"]);
        assert!(store.health().ok);
        assert!(store.delete("Anna").unwrap(), "it existed");
        assert!(!store.delete("Anna").unwrap(), "gone already");
        assert_eq!(store.get("Anna").unwrap(), None);
        assert_eq!(names(store.list(None, "An", 10).unwrap()), ["Anton"]);
        store.put(&Contact::parse("Anna", "555").unwrap()).unwrap();
        assert_eq!(store.get("Anna").unwrap().unwrap().number, "555");
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A stand-in for a full disk (an injected write error): the write is refused as "full",
    /// health says the store cannot write, and the file is reopened by itself, while readers
    /// keep reading and no write is lost or half-stored.
    #[test]
    fn a_full_disk_refuses_writes_then_the_file_is_reopened() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (store, dir) = temp_store("full");
        let anna = Contact::parse("Anna", "111").unwrap();
        store.put(&anna).unwrap();
        store.db.inject_full.store(true, Ordering::SeqCst);
        let done = AtomicBool::new(false);
        // Stops the readers however the test ends, so that a failure cannot hang it.
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        std::thread::scope(|s| {
            let stop = Stop(&done);
            let readers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut reads = 0;
                        while !done.load(Ordering::SeqCst) {
                            assert_eq!(store.get("Anna").unwrap().as_ref(), Some(&anna));
                            reads += 1;
                        }
                        reads
                    })
                })
                .collect();
            let bo = Contact::parse("Bo", "222").unwrap();
            let err = store.put(&bo).unwrap_err();
            assert!(matches!(err, Error::StoreFull(_)), "{err}");
            assert!(!err.to_string().contains("redb"), "{err}");
            let health = store.health();
            assert!(
                !health.ok && health.detail["writable"] == false,
                "{:?}",
                health.detail
            );
            assert_eq!(store.get("Bo").unwrap(), None, "nothing half-stored");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while store.put(&bo).is_err() {
                assert!(std::time::Instant::now() < deadline, "never recovered");
                std::thread::yield_now();
            }
            drop(stop);
            for reader in readers {
                assert!(reader.join().unwrap() > 0);
            }
        });
        assert!(store.health().ok);
        let names: Vec<_> = store
            .list(None, "", 10)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["Anna", "Bo"]);
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
