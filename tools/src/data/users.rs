//! `gen-users`: the data set, a CSV `name,number` of unique, realistic, valid people.
//!
//! The same seed and count give a byte-identical file on any machine (see `rng.rs` for why).
//! Every row is checked with the service's own validation before it is written, and written in
//! the form the service stores, so a loaded contact reads back exactly as it is in the file.

use crate::args;
use crate::data::csv;
use crate::data::names::{self, Person};
use crate::data::rng::Rng;
use crate::error::{Error, Result};
use phonebook::contact::Contact;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

const HELP: &str = "\
phonebook-tools gen-users: write a CSV `name,number` of unique, realistic people

USAGE:
    phonebook-tools gen-users [--seed S] [--count N] [--out FILE]

OPTIONS:
    --seed S       the seed; the same seed and count give the same file everywhere [default: 1]
    --count N      how many people [default: 10000]
    --out FILE     where to write [default: stdout]
";

/// The CSV header of a users file.
pub const HEADER: [&str; 2] = ["name", "number"];

/// The random stream of `gen-users` (see [`Rng::stream`]).
const STREAM: u64 = 1;

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut seed, mut count, mut out) = (1u64, 10_000usize, None::<PathBuf>);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("seed") => seed = args::number(&mut parser, "seed")?,
            Long("count") => count = args::number(&mut parser, "count")?,
            Long("out") => out = Some(args::path(&mut parser)?),
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let people = generate(seed, count)?;
    write(&mut *csv::create(out.as_deref())?, &people)?;
    eprintln!("gen-users: {} people, seed {seed}", people.len());
    Ok(())
}

/// `count` distinct people, in the order drawn.
pub fn generate(seed: u64, count: usize) -> Result<Vec<Person>> {
    // Past half the name space, drawing unique names would mostly hit taken ones.
    let most = names::distinct_names() / 2;
    if count == 0 || count > most {
        return Err(Error::new(format!("--count must be 1 to {most}")));
    }
    let mut rng = Rng::stream(seed, STREAM);
    let mut seen = HashSet::with_capacity(count);
    let mut people = Vec::with_capacity(count);
    while people.len() < count {
        let person = names::person(&mut rng);
        if seen.insert(person.name.clone()) {
            people.push(person);
        }
    }
    Ok(people)
}

/// Writes the header and one row per person.
pub fn write(out: &mut dyn std::io::Write, people: &[Person]) -> Result<()> {
    let mut buf = Vec::with_capacity(people.len() * 32);
    csv::write_row(&mut buf, &HEADER)?;
    for p in people {
        csv::write_row(&mut buf, &[&p.name, &p.number])?;
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(())
}

/// Reads a users file; every row must be a valid contact, and names unique.
pub fn read(path: &Path) -> Result<Vec<Contact>> {
    let mut seen = HashSet::new();
    let mut users = Vec::new();
    for (i, row) in csv::read(path, &HEADER)?.into_iter().enumerate() {
        let contact = Contact::parse(&row[0], &row[1])
            .map_err(|e| Error::new(format!("{} row {}: {e}", path.display(), i + 2)))?;
        if !seen.insert(contact.name.clone()) {
            return Err(Error::new(format!(
                "{} row {}: {:?} appears twice",
                path.display(),
                i + 2,
                contact.name
            )));
        }
        users.push(contact);
    }
    if users.is_empty() {
        return Err(Error::new(format!("{}: no users", path.display())));
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a, 64 bit: a fixed, dependency-free digest of the generator's bytes.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn file_bytes(seed: u64, count: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, &generate(seed, count).unwrap()).unwrap();
        out
    }

    #[test]
    fn a_seed_always_gives_the_same_bytes() {
        // Computed once from this generator; any change to the lists, the PRNG or the format
        // changes it, and then every published data set would silently change too.
        let bytes = file_bytes(42, 10_000);
        assert_eq!(format!("{:016x}", fnv1a(&bytes)), "e47a12b3b8ad343d");
        assert_eq!(bytes, file_bytes(42, 10_000));
        assert_ne!(bytes, file_bytes(43, 10_000));
    }

    #[test]
    fn people_are_unique_valid_and_varied() {
        let people = generate(7, 20_000).unwrap();
        let names: HashSet<_> = people.iter().map(|p| &p.name).collect();
        assert_eq!(names.len(), 20_000);
        assert!(people.iter().any(|p| !p.name.is_ascii()));
        assert!(people.iter().any(|p| p.name.contains(". ")));
        let codes: HashSet<_> = people.iter().map(|p| &p.number[..3]).collect();
        assert!(codes.len() >= 10, "{codes:?}");
        assert!(generate(1, 0).is_err());
        assert!(generate(1, names::distinct_names()).is_err());
    }

    #[test]
    fn a_written_file_reads_back_as_the_same_contacts() {
        let dir = std::env::temp_dir().join(format!("tools-unit-users-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users.csv");
        std::fs::write(&path, file_bytes(5, 300)).unwrap();
        let read_back = read(&path).unwrap();
        let people = generate(5, 300).unwrap();
        assert_eq!(read_back.len(), 300);
        assert!(read_back
            .iter()
            .zip(&people)
            .all(|(c, p)| c.name == p.name && c.number == p.number));
        std::fs::write(&path, "name,number\nA,123\nA,456\n").unwrap();
        assert!(read(&path).is_err(), "duplicates are refused");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
