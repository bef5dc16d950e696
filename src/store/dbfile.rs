//! The embedded store's database file, and its recovery after a failed write (a full disk).
//!
//! After an I/O error redb refuses every later write until the database is closed and opened
//! again. So a failed write marks the file broken; the next write (or `/healthz`), at most once
//! a second, reopens it and commits a probe, and the file takes writes again once that works.
//! Readers share the database under a read lock, and the reopen takes the write lock, so it
//! waits for the reads under way and no read sees a closed database.

use crate::error::Error;
use crate::throttle::Throttle;
use redb::{Database, TableDefinition};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// redb caches pages up to this size (its default is 1 GiB); plenty for a phone book.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// How often a broken file is reopened at most.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// How often a full disk is logged at most.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// The probe a recovery writes: proof that a commit gets to disk again.
const PROBE: TableDefinition<&str, u64> = TableDefinition::new("probe");

/// What the client hears when the disk is full: the cause, not redb's words.
const NO_SPACE: &str = "no space left on the device that holds the contacts; nothing was saved";

/// A redb database that reopens itself after an I/O error.
pub(crate) struct DbFile {
    path: PathBuf,
    /// `None` only while a reopen failed (reads then fail too).
    db: RwLock<Option<Database>>,
    /// Why writes fail now (`None`: they work), and when a reopen was last tried.
    broken: Mutex<(Option<Error>, Option<Instant>)>,
    full: Throttle,
    /// Makes the next write fail as on a full disk (the unit tests' stand-in for one).
    #[cfg(test)]
    pub(crate) inject_full: std::sync::atomic::AtomicBool,
}

impl DbFile {
    /// Opens (or creates) the database at `path`.
    pub(crate) fn open(path: &Path) -> Result<DbFile, Error> {
        let db = open_db(path)
            .map_err(|e| Error::start(format!("cannot open {}", path.display()), e))?;
        Ok(DbFile {
            path: path.to_path_buf(),
            db: RwLock::new(Some(db)),
            broken: Mutex::default(),
            full: Throttle::new(WARN_EVERY),
            #[cfg(test)]
            inject_full: Default::default(),
        })
    }

    /// Runs a read on the database.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, redb::Error>,
    ) -> Result<T, Error> {
        let result = match self.db.read().unwrap().as_ref() {
            Some(db) => f(db),
            None => return Err(self.failure()),
        };
        // Classified once the read lock is given back: a reopen may be waiting for it while
        // holding the state that `failed` takes.
        result.map_err(|e| self.failed(e))
    }

    /// Runs a write on the database, reopening it first if an earlier write broke it.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, redb::Error>,
    ) -> Result<T, Error> {
        self.recover()?;
        #[cfg(test)]
        if self
            .inject_full
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
            return Err(self.failed(redb::Error::Io(full)));
        }
        self.read(f)
    }

    /// Whether writes work now (trying a due reopen first), else why not.
    pub(crate) fn writable(&self) -> Result<(), Error> {
        self.recover()
    }

    /// Reopens a broken file and writes the probe, at most once per [`RETRY_EVERY`]; until that
    /// works, returns the error that broke it.
    fn recover(&self) -> Result<(), Error> {
        let mut broken = self.broken.lock().unwrap();
        let Some(err) = broken.0.clone() else {
            return Ok(());
        };
        if broken.1.is_some_and(|at| at.elapsed() < RETRY_EVERY) {
            return Err(err);
        }
        broken.1 = Some(Instant::now());
        let mut slot = self.db.write().unwrap();
        // The old handle goes first: redb locks the file, so both cannot be open at once.
        drop(slot.take());
        *slot = open_db(&self.path)
            .map_err(|e| log::debug!("reopen failed: {e}"))
            .ok();
        let probe = slot.as_ref().map(write_probe);
        drop(slot);
        match probe {
            Some(Ok(())) => {
                log::info!("store {}: writes work again", self.path.display());
                *broken = (None, None);
                Ok(())
            }
            Some(Err(e)) => {
                let err = self.classify(e);
                broken.0 = Some(err.clone());
                Err(err)
            }
            None => Err(err),
        }
    }

    /// Classifies a failure; an I/O error breaks the file until it is reopened.
    fn failed(&self, err: redb::Error) -> Error {
        let is_io = matches!(err, redb::Error::Io(_) | redb::Error::PreviousIo);
        let err = self.classify(err);
        if is_io {
            // Reopened a moment later, not at once: a full disk rarely frees up in microseconds.
            *self.broken.lock().unwrap() = (Some(err.clone()), Some(Instant::now()));
        }
        err
    }

    /// The client's error for a redb error; a full disk is logged once per interval.
    fn classify(&self, err: redb::Error) -> Error {
        if !is_full(&err) {
            return Error::store_from(err);
        }
        if let Some(count) = self.full.hit(Instant::now()) {
            log::warn!(
                "store {}: no space left on its device: {count} write(s) refused since the last \
                 warning; writes resume once space is freed",
                self.path.display()
            );
        }
        Error::StoreFull(NO_SPACE.into())
    }

    /// The error of a broken file, or "unavailable" while it is being reopened.
    fn failure(&self) -> Error {
        Error::StoreUnavailable(format!("{} could not be reopened", self.path.display()))
    }
}

/// Whether redb failed for lack of space (or of quota).
pub(crate) fn is_full(err: &redb::Error) -> bool {
    use std::io::ErrorKind::{QuotaExceeded, StorageFull};
    matches!(err, redb::Error::Io(io) if matches!(io.kind(), StorageFull | QuotaExceeded))
}

fn open_db(path: &Path) -> Result<Database, redb::DatabaseError> {
    Database::builder().set_cache_size(CACHE_BYTES).create(path)
}

fn write_probe(db: &Database) -> Result<(), redb::Error> {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
    let tx = db.begin_write()?;
    tx.open_table(PROBE)?
        .insert("written", now.map_or(0, |d| d.as_secs()))?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_told_apart_from_other_io_errors() {
        let io = |kind| redb::Error::from(redb::StorageError::Io(std::io::Error::from(kind)));
        assert!(is_full(&io(std::io::ErrorKind::StorageFull)));
        assert!(is_full(&redb::Error::from(redb::CommitError::Storage(
            redb::StorageError::Io(std::io::Error::from_raw_os_error(28))
        ))));
        assert!(!is_full(&io(std::io::ErrorKind::PermissionDenied)));
        assert!(!is_full(&redb::Error::PreviousIo));
    }
}
