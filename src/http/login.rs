//! The optional login: HTTP Basic credentials checked against an htpasswd file's bcrypt entries.
//!
//! bcrypt is slow on purpose (milliseconds to a quarter second a check), so a header that was
//! checked once is remembered (a keyed hash of it, never the password) and a logged-in client
//! pays the check once; and at most a few checks run at once, so guessing cannot take every
//! worker (docs/http.md).

use crate::error::Error;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Headers remembered as checked at most; the cache is emptied when full.
const REMEMBERED: usize = 1024;

/// What a request's credentials are worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Valid,
    /// Missing, malformed, unknown user or wrong password: the same answer for all.
    Invalid,
    /// Every checking slot is busy: the client may try again in a moment.
    Busy,
}

/// The users of an htpasswd file and the checks already made.
pub(crate) struct Login {
    users: HashMap<String, String>,
    /// Keyed hash of an `Authorization` value → whether it was valid.
    checked: Mutex<HashMap<u128, bool>>,
    keys: (RandomState, RandomState),
    /// bcrypt checks running now, and how many may.
    running: AtomicUsize,
    slots: usize,
}

impl Login {
    /// The users of an htpasswd file's `text`: `user:hash` lines with bcrypt hashes (`$2y$`,
    /// `$2a$`, `$2b$`); blank lines and `#` comments are skipped. Anything else stops start-up,
    /// naming the file (`path`) and the line.
    pub(crate) fn new_from(path: &Path, text: &str, workers: usize) -> Result<Login, Error> {
        let users = parse(text)
            .map_err(|why| Error::Config(format!("auth.htpasswd {}: {why}", path.display())))?;
        Ok(Login::new(users, workers))
    }

    fn new(users: HashMap<String, String>, workers: usize) -> Login {
        Login {
            users,
            checked: Mutex::default(),
            keys: (RandomState::new(), RandomState::new()),
            running: AtomicUsize::new(0),
            // A quarter of the workers at most, so that three quarters keep serving reads.
            slots: workers.div_ceil(4),
        }
    }

    /// Checks an `Authorization` header value.
    pub(crate) fn check(&self, header: Option<&str>) -> Verdict {
        let Some(header) = header else {
            return Verdict::Invalid;
        };
        let key = self.key(header);
        if let Some(&valid) = self.checked.lock().unwrap().get(&key) {
            return if valid {
                Verdict::Valid
            } else {
                Verdict::Invalid
            };
        }
        let Some((user, password)) = basic_credentials(header) else {
            return Verdict::Invalid;
        };
        if self.running.fetch_add(1, Ordering::SeqCst) >= self.slots {
            self.running.fetch_sub(1, Ordering::SeqCst);
            return Verdict::Busy;
        }
        // A user the file lacks is checked against another user's hash (and refused), so that
        // it takes as long as a wrong password and does not tell which users exist.
        let known = self.users.get(&user);
        let hash = known.or_else(|| self.users.values().next());
        let valid = hash.is_some_and(|h| bcrypt::verify(password.as_bytes(), h).unwrap_or(false))
            && known.is_some();
        self.running.fetch_sub(1, Ordering::SeqCst);
        let mut checked = self.checked.lock().unwrap();
        if checked.len() >= REMEMBERED {
            checked.clear();
        }
        checked.insert(key, valid);
        if valid {
            Verdict::Valid
        } else {
            Verdict::Invalid
        }
    }

    /// 128 bits of two hashes keyed at random at start-up: nothing an attacker can aim at.
    fn key(&self, header: &str) -> u128 {
        let (a, b) = &self.keys;
        (u128::from(a.hash_one(header)) << 64) | u128::from(b.hash_one(header))
    }
}

/// The users of an htpasswd text, or what is wrong with it.
fn parse(text: &str) -> Result<HashMap<String, String>, String> {
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, hash)) = line.split_once(':') else {
            return Err(format!("line {}: not user:hash", i + 1));
        };
        let bcrypt = ["$2y$", "$2a$", "$2b$"].iter().any(|p| hash.starts_with(p));
        if user.is_empty() || !bcrypt || hash.len() != 60 {
            return Err(format!(
                "line {}: user {user:?} has no bcrypt hash (make the file with `htpasswd -B`)",
                i + 1
            ));
        }
        users.insert(user.to_string(), hash.to_string());
    }
    if users.is_empty() {
        return Err("no users".into());
    }
    Ok(users)
}

/// The user and password of `Basic base64(user:password)`.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, token) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(token.trim())?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Standard base64 with padding, as Basic credentials use it (RFC 7617).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    if !text.len().is_multiple_of(4) || text.len() - bytes.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in bytes {
        acc = (acc << 6) | u32::from(value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> Login {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        Login::new(parse(&format!("# users\nann:{hash}\n\n")).unwrap(), 4)
    }

    #[test]
    fn basic_credentials_decode() {
        // "ann:s3cret" and "a:b:c" (a password may hold a colon).
        assert_eq!(
            basic_credentials("Basic YW5uOnMzY3JldA=="),
            Some(("ann".into(), "s3cret".into()))
        );
        assert_eq!(
            basic_credentials("basic YTpiOmM="),
            Some(("a".into(), "b:c".into()))
        );
        for bad in [
            "Bearer YTpi",
            "Basic",
            "Basic YTpi=",
            "Basic ***",
            "Basic YWJj",
        ] {
            assert_eq!(basic_credentials(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_valid_login_is_checked_once_and_the_rest_refused() {
        let login = login();
        assert_eq!(login.check(Some("Basic YW5uOnMzY3JldA==")), Verdict::Valid);
        assert_eq!(login.checked.lock().unwrap().len(), 1, "remembered");
        assert_eq!(login.check(Some("Basic YW5uOnMzY3JldA==")), Verdict::Valid);
        assert_eq!(login.check(Some("Basic YW5uOndyb25n")), Verdict::Invalid);
        assert_eq!(
            login.check(Some("Basic Ym9iOnMzY3JldA==")),
            Verdict::Invalid
        );
        assert_eq!(login.check(None), Verdict::Invalid);
        login.running.store(login.slots, Ordering::SeqCst);
        assert_eq!(login.check(Some("Basic YTpi")), Verdict::Busy, "no slot");
        assert_eq!(login.check(Some("Basic YW5uOnMzY3JldA==")), Verdict::Valid);
    }

    #[test]
    fn a_file_without_bcrypt_entries_is_refused_with_its_line() {
        let err = parse("ann:{SHA}abc\n").unwrap_err();
        assert!(
            err.contains("line 1") && err.contains("htpasswd -B"),
            "{err}"
        );
        assert!(parse("garbage\n").unwrap_err().contains("not user:hash"));
        assert_eq!(parse("# nobody\n").unwrap_err(), "no users");
    }
}
