//! The application: what phonebook does, with no notion of HTTP.
//!
//! Routes call these functions with validated input and turn the results into responses; tests
//! and tools can call them directly. This is where a cache would sit in front of the store.

use crate::contact::Contact;
use crate::error::Error;
use crate::store::{Health, Store};

/// Most contacts one list page may ask for.
pub const MAX_PAGE: usize = 500;

/// The service's state, shared by all workers.
pub struct App {
    store: Box<dyn Store>,
}

/// One page of the contact list.
#[derive(Debug)]
pub struct Page {
    pub contacts: Vec<Contact>,
    /// The `after` value of the next page, when there is one.
    pub next: Option<String>,
}

impl App {
    pub fn new(store: Box<dyn Store>) -> App {
        App { store }
    }

    /// The contact with this validated name.
    pub fn get(&self, name: &str) -> Result<Contact, Error> {
        self.store
            .get(name)?
            .ok_or_else(|| Error::NotFound("contact".into()))
    }

    /// Stores the contact, replacing any older number.
    pub fn put(&self, contact: &Contact) -> Result<(), Error> {
        self.store.put(contact)
    }

    /// A page of contacts sorted by name; `limit` must be 1 to [`MAX_PAGE`].
    pub fn list(&self, after: Option<&str>, prefix: &str, limit: usize) -> Result<Page, Error> {
        // Ask for one more than shown: whether it exists decides if there is a next page.
        let mut contacts = self.store.list(after, prefix, limit + 1)?;
        let next = if contacts.len() > limit {
            contacts.truncate(limit);
            contacts.last().map(|c| c.name.clone())
        } else {
            None
        };
        Ok(Page { contacts, next })
    }

    pub fn health(&self) -> Health {
        self.store.health()
    }
}
