//! The application: what phonebook does (cache-aside over the store), with no notion of HTTP.
//!
//! The routes call it with validated input; the policy (cache first, the store on a miss, one
//! store read for concurrent misses, writes to the store then the cache) is in docs/cache.md.

use crate::cache::{Cache, Outcome};
use crate::contact::{Contact, Lookup, PageQuery};
use crate::error::Error;
use crate::flight::{Flights, MAX_WAIT};
use crate::metrics::{CacheEvent, Metrics, StoreOp};
use crate::store::{Health, Store};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The service's state, shared by all workers.
pub struct App {
    store: Box<dyn Store>,
    cache: Option<Cache>,
    metrics: Metrics,
    /// Store reads after a cache miss, in flight by name, with their answers.
    flights: Flights<Result<Option<Contact>, Error>>,
    /// Deletes begun plus deletes finished: a store read during which this moved may hold a
    /// contact deleted meanwhile, so its answer is neither cached nor served.
    deletes: AtomicU64,
}

/// One page of the contact list.
#[derive(Debug)]
pub struct ContactPage {
    pub contacts: Vec<Contact>,
    /// The `after` value of the next page, when there is one.
    pub next: Option<String>,
}

impl App {
    /// An app reading the store directly, with no cache.
    pub fn new(store: Box<dyn Store>) -> App {
        App {
            store,
            cache: None,
            metrics: Metrics::default(),
            flights: Flights::new(MAX_WAIT),
            deletes: AtomicU64::new(0),
        }
    }

    /// The same app with `cache` (if any) in front of the store.
    pub fn with_cache(self, cache: Option<Cache>) -> App {
        App { cache, ..self }
    }

    /// The contact with this validated name: from the cache when it has it, else the store.
    pub fn get(&self, name: &str) -> Result<Contact, Error> {
        let deletes = self.deletes.load(Ordering::SeqCst);
        let lookup = self.cache.as_ref().map(|cache| cache.get(name));
        let event = match lookup {
            Some(Outcome::Done(Some(contact))) => {
                self.metrics.cache(CacheEvent::Hit);
                return Ok(contact);
            }
            Some(Outcome::Done(None)) => Some(CacheEvent::Miss),
            Some(Outcome::Failed) => Some(CacheEvent::Error),
            Some(Outcome::Skipped) => Some(CacheEvent::Skipped),
            None => None,
        };
        if let Some(event) = event {
            self.metrics.cache(event);
        }
        let found = match (&self.cache, event) {
            // After a clean miss: read once for all concurrent misses, and fill the cache
            // before the answer is shared, so that later readers hit.
            (Some(cache), Some(CacheEvent::Miss)) => {
                let read = || {
                    let found = self.read_store(name)?;
                    let quiet = self.deletes.load(Ordering::SeqCst) == deletes;
                    if let Some(contact) = found.as_ref().filter(|_| quiet) {
                        self.count_failure(cache.fill(contact));
                    }
                    Ok(found)
                };
                self.flights.run(name, read).0
            }
            // Fill only after a clean miss: after a failure the server is being skipped anyway.
            _ => self.read_store(name),
        }?;
        if self.deletes.load(Ordering::SeqCst) != deletes {
            // A delete ran while this request read (or waited for another's read): that
            // answer may be from before it. Read again, alone, and cache nothing.
            return self.read_store(name)?.ok_or(Error::NotFound);
        }
        found.ok_or(Error::NotFound)
    }

    /// The contact a client asked for: by its stored (NFC) name, else by the spelling given,
    /// under which a contact saved before names were normalized is still kept.
    pub fn find(&self, lookup: &Lookup) -> Result<Contact, Error> {
        match (self.get(&lookup.name), &lookup.as_given) {
            (Err(Error::NotFound), Some(old)) => self.get(old),
            (result, _) => result,
        }
    }

    /// Deletes the contact with this validated name from the store, then from the cache (a
    /// tombstone that a concurrent fill cannot replace) and from the reads in flight.
    /// [`Error::NotFound`] when there was none.
    pub fn delete(&self, name: &str) -> Result<(), Error> {
        self.deletes.fetch_add(1, Ordering::SeqCst);
        let existed = self.timed(StoreOp::Delete, || self.store.delete(name));
        // Even after a failed delete: the store may have applied it before failing.
        self.flights.forget(name);
        if let Some(cache) = &self.cache {
            self.count_failure(cache.forget(name));
        }
        self.deletes.fetch_add(1, Ordering::SeqCst);
        if let Err(Error::StoreFull(_)) = existed {
            self.metrics.store_full();
        }
        match existed? {
            true => Ok(()),
            false => Err(Error::NotFound),
        }
    }

    /// Deletes the contact a client named: by its stored name, else by the spelling given.
    pub fn remove(&self, lookup: &Lookup) -> Result<(), Error> {
        match (self.delete(&lookup.name), &lookup.as_given) {
            (Err(Error::NotFound), Some(old)) => self.delete(old),
            (result, _) => result,
        }
    }

    /// Stores the contact, replacing any older number, then updates the cache.
    pub fn put(&self, contact: &Contact) -> Result<(), Error> {
        let stored = self.timed(StoreOp::Put, || self.store.put(contact));
        if let Err(Error::StoreFull(_)) = stored {
            self.metrics.store_full();
        }
        stored?;
        if let Some(cache) = &self.cache {
            self.flights.forget(&contact.name);
            self.count_failure(cache.put(contact));
        }
        Ok(())
    }

    /// A page of contacts sorted by name.
    pub fn list(&self, query: &PageQuery) -> Result<ContactPage, Error> {
        let (after, limit) = (query.after.as_deref(), query.limit);
        // Ask for one more than shown: whether it exists decides if there is a next page.
        let mut contacts = self.timed(StoreOp::List, || {
            self.store.list(after, &query.prefix, limit + 1)
        })?;
        let next = if contacts.len() > limit {
            contacts.truncate(limit);
            contacts.last().map(|c| c.name.clone())
        } else {
            None
        };
        Ok(ContactPage { contacts, next })
    }

    /// Whether the store would serve a request now, with its details.
    pub fn health(&self) -> Health {
        self.timed(StoreOp::Health, || self.store.health())
    }

    /// The counters, for the request loop to record into.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Every metric in the Prometheus text format.
    pub(crate) fn metrics_text(&self) -> String {
        let mut waits = vec![("store", self.store.pool_waits())];
        waits.extend(self.cache.as_ref().map(|c| ("cache", c.pool_waits())));
        self.metrics.render(&waits)
    }

    fn read_store(&self, name: &str) -> Result<Option<Contact>, Error> {
        self.timed(StoreOp::Get, || self.store.get(name))
    }

    fn timed<T>(&self, op: StoreOp, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let result = f();
        self.metrics.store(op, start.elapsed());
        result
    }

    fn count_failure(&self, outcome: Outcome<()>) {
        match outcome {
            Outcome::Done(()) => {}
            Outcome::Failed => self.metrics.cache(CacheEvent::Error),
            Outcome::Skipped => self.metrics.cache(CacheEvent::Skipped),
        }
    }
}
