//! `gen-workload`: the request mix a load test replays, as a CSV `op,name,number`.
//!
//! Gets follow a Zipf distribution over the users (a few names are asked for very often, as in a
//! real phone book); adds give existing users new numbers, and a few add new people. Gets only
//! ask for users of the users file, so on a loaded store every get should find its contact. The
//! ranks are a seeded shuffle of the users, so popularity does not follow the file's order.

use crate::args;
use crate::data::rng::Rng;
use crate::data::zipf::Zipf;
use crate::data::{csv, names, users};
use crate::error::{Error, Result};
use phonebook::contact::{self, Contact};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

const HELP: &str = "\
phonebook-tools gen-workload: write a CSV `op,name,number` of adds and Zipf-distributed gets

USAGE:
    phonebook-tools gen-workload --users FILE [OPTIONS]

OPTIONS:
    --users FILE       the users file (from gen-users); gets ask for these names
    --seed S           the seed [default: 1]
    --adds N           add rows: existing users get new numbers [default: 100]
    --new-users N      how many of the adds are new people [default: adds / 10]
    --gets N           get rows [default: 400]
    --zipf S           Zipf exponent of the gets; 0 is uniform [default: 1.0]
    --out FILE         where to write [default: stdout]

Prints the skew: the share of gets that ask for the top 1 % and 10 % of names.
";

/// The CSV header of a workload file.
pub const HEADER: [&str; 3] = ["op", "name", "number"];

/// The random streams of `gen-workload` (see [`Rng::stream`]): the rows, and the popularity
/// ranking of the users.
const STREAM: u64 = 2;
const RANK_STREAM: u64 = 3;

/// What a row asks the service to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `POST /contacts` with the name and number.
    Add,
    /// `GET /contacts/{name}`.
    Get,
}

/// One request of the workload; `number` is empty for gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub op: Op,
    pub name: String,
    pub number: String,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    pub seed: u64,
    pub adds: usize,
    pub new_users: usize,
    pub gets: usize,
    pub zipf: f64,
}

/// How concentrated the gets are.
#[derive(Debug, Clone, Copy)]
pub struct Skew {
    /// Share of gets asking for the most popular 1 % (at least one) of the users.
    pub top1: f64,
    pub top10: f64,
    /// What the Zipf distribution itself predicts for the same tops.
    pub expected_top1: f64,
    pub expected_top10: f64,
}

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let mut spec = Spec {
        seed: 1,
        adds: 100,
        new_users: usize::MAX,
        gets: 400,
        zipf: 1.0,
    };
    let (mut users, mut out) = (None::<PathBuf>, None::<PathBuf>);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("users") => users = Some(args::path(&mut parser)?),
            Long("seed") => spec.seed = args::number(&mut parser, "seed")?,
            Long("adds") => spec.adds = args::number(&mut parser, "adds")?,
            Long("new-users") => spec.new_users = args::number(&mut parser, "new-users")?,
            Long("gets") => spec.gets = args::number(&mut parser, "gets")?,
            Long("zipf") => spec.zipf = args::number(&mut parser, "zipf")?,
            Long("out") => out = Some(args::path(&mut parser)?),
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if spec.new_users == usize::MAX {
        spec.new_users = spec.adds / 10;
    }
    let users = users::read(&args::required(users, "users")?)?;
    let rows = generate(&users, &spec)?;
    write(&mut *csv::create(out.as_deref())?, &rows)?;
    let s = skew(&rows, &users, &spec);
    eprintln!(
        "gen-workload: {} adds ({} new users), {} gets over {} users; the top 1 % of names get \
         {:.1} % of the gets (Zipf {} predicts {:.1} %), the top 10 % get {:.1} % ({:.1} %)",
        spec.adds,
        spec.new_users,
        spec.gets,
        users.len(),
        100.0 * s.top1,
        spec.zipf,
        100.0 * s.expected_top1,
        100.0 * s.top10,
        100.0 * s.expected_top10
    );
    Ok(())
}

/// The rows of a workload over `users`, in random order.
pub fn generate(users: &[Contact], spec: &Spec) -> Result<Vec<Row>> {
    if users.is_empty() || spec.new_users > spec.adds {
        return Err(Error::new("need users, and --new-users at most --adds"));
    }
    if !(spec.zipf.is_finite() && (0.0..=10.0).contains(&spec.zipf)) {
        return Err(Error::new("--zipf must be 0 to 10"));
    }
    let mut rng = Rng::stream(spec.seed, STREAM);
    let ranked = ranking(users.len(), spec.seed);
    let zipf = Zipf::new(users.len(), spec.zipf);
    let mut rows = Vec::with_capacity(spec.adds + spec.gets);
    for _ in 0..spec.gets {
        let user = &users[ranked[zipf.sample(&mut rng)]];
        rows.push(row(Op::Get, &user.name, ""));
    }
    for _ in 0..spec.adds - spec.new_users {
        let user = rng.pick(users);
        rows.push(row(
            Op::Add,
            &user.name,
            &new_number(&mut rng, &user.number),
        ));
    }
    let known: HashSet<&str> = users.iter().map(|u| u.name.as_str()).collect();
    let mut fresh = HashSet::with_capacity(spec.new_users);
    while fresh.len() < spec.new_users {
        let person = names::person(&mut rng);
        if !known.contains(person.name.as_str()) && fresh.insert(person.name.clone()) {
            rows.push(row(Op::Add, &person.name, &person.number));
        }
    }
    rng.shuffle(&mut rows);
    Ok(rows)
}

fn row(op: Op, name: &str, number: &str) -> Row {
    Row {
        op,
        name: name.to_string(),
        number: number.to_string(),
    }
}

/// The number with its last (up to four) digits redrawn, so it stays valid and changes.
fn new_number(rng: &mut Rng, number: &str) -> String {
    let digits = number.trim_start_matches('+').len();
    let keep = &number[..number.len() - digits.min(4)];
    loop {
        let candidate = format!("{keep}{}", names::digits(rng, digits.min(4)));
        if candidate != number {
            return candidate;
        }
    }
}

/// The popularity ranking: `ranking[r]` is the index of the user of rank `r` (0 = most asked).
fn ranking(users: usize, seed: u64) -> Vec<usize> {
    let mut ranked: Vec<usize> = (0..users).collect();
    Rng::stream(seed, RANK_STREAM).shuffle(&mut ranked);
    ranked
}

/// Measures which share of the gets of `rows` ask for the most popular names (by the ranking
/// the rows were drawn with), next to the share the distribution predicts.
pub fn skew(rows: &[Row], users: &[Contact], spec: &Spec) -> Skew {
    let rank_of: HashMap<&str, usize> = ranking(users.len(), spec.seed)
        .into_iter()
        .enumerate()
        .map(|(rank, i)| (users[i].name.as_str(), rank))
        .collect();
    let get_ranks: Vec<usize> = rows
        .iter()
        .filter(|r| r.op == Op::Get)
        .filter_map(|r| rank_of.get(r.name.as_str()).copied())
        .collect();
    let top = |percent: usize| users.len().div_ceil(100 / percent).max(1);
    let share = |k: usize| {
        get_ranks.iter().filter(|&&rank| rank < k).count() as f64 / get_ranks.len().max(1) as f64
    };
    let model = Zipf::new(users.len().max(1), spec.zipf);
    Skew {
        top1: share(top(1)),
        top10: share(top(10)),
        expected_top1: model.share_of_top(top(1)),
        expected_top10: model.share_of_top(top(10)),
    }
}

/// Writes the header and the rows.
pub fn write(out: &mut dyn std::io::Write, rows: &[Row]) -> Result<()> {
    let mut buf = Vec::with_capacity(rows.len() * 32);
    csv::write_row(&mut buf, &HEADER)?;
    for r in rows {
        let op = match r.op {
            Op::Add => "add",
            Op::Get => "get",
        };
        csv::write_row(&mut buf, &[op, &r.name, &r.number])?;
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(())
}

/// Reads a workload file, checking every row as the service would.
pub fn read(path: &Path) -> Result<Vec<Row>> {
    let bad =
        |line: usize, why: String| Error::new(format!("{} row {line}: {why}", path.display()));
    let mut rows = Vec::new();
    for (i, fields) in csv::read(path, &HEADER)?.into_iter().enumerate() {
        let [op, name, number]: [String; 3] = fields.try_into().expect("csv checks the width");
        let row = match op.as_str() {
            "add" => Contact::parse(&name, &number)
                .map(|c| row(Op::Add, &c.name, &c.number))
                .map_err(|e| bad(i + 2, e.to_string()))?,
            "get" => contact::parse_name(&name)
                .map(|n| row(Op::Get, &n, ""))
                .map_err(|e| bad(i + 2, e.to_string()))?,
            other => return Err(bad(i + 2, format!("op {other:?} is not add or get"))),
        };
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(Error::new(format!("{}: no rows", path.display())));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(count: usize) -> Vec<Contact> {
        crate::data::users::generate(3, count)
            .unwrap()
            .into_iter()
            .map(|p| Contact::parse(&p.name, &p.number).unwrap())
            .collect()
    }

    fn spec(adds: usize, new_users: usize, gets: usize, zipf: f64) -> Spec {
        let seed = 8;
        Spec {
            seed,
            adds,
            new_users,
            gets,
            zipf,
        }
    }

    #[test]
    fn proportions_are_exact_and_rows_make_sense() {
        let users = users(2_000);
        let by_name: HashMap<&str, &str> = users
            .iter()
            .map(|u| (u.name.as_str(), u.number.as_str()))
            .collect();
        let rows = generate(&users, &spec(100, 10, 400, 1.0)).unwrap();
        let gets: Vec<_> = rows.iter().filter(|r| r.op == Op::Get).collect();
        let adds: Vec<_> = rows.iter().filter(|r| r.op == Op::Add).collect();
        assert_eq!((gets.len(), adds.len()), (400, 100));
        assert!(gets
            .iter()
            .all(|r| by_name.contains_key(r.name.as_str()) && r.number.is_empty()));
        let new: Vec<_> = adds
            .iter()
            .filter(|r| !by_name.contains_key(r.name.as_str()))
            .collect();
        assert_eq!(new.len(), 10);
        for add in &adds {
            assert!(Contact::parse(&add.name, &add.number).is_ok());
            assert_ne!(by_name.get(add.name.as_str()), Some(&add.number.as_str()));
        }
        // Shuffled: the first 100 rows are not all of one kind.
        assert!(rows[..100].iter().any(|r| r.op == Op::Add));
        assert!(rows[..100].iter().any(|r| r.op == Op::Get));
        assert_eq!(rows, generate(&users, &spec(100, 10, 400, 1.0)).unwrap());
    }

    #[test]
    fn gets_are_as_skewed_as_zipf_says() {
        let users = users(10_000);
        let zipf = spec(0, 0, 50_000, 1.0);
        let s = skew(&generate(&users, &zipf).unwrap(), &users, &zipf);
        // For s = 1: H(100)/H(10000) = 0.530 and H(1000)/H(10000) = 0.765.
        assert!((s.expected_top1 - 0.530).abs() < 0.001, "{s:?}");
        assert!((s.expected_top10 - 0.765).abs() < 0.001, "{s:?}");
        assert!((s.top1 - s.expected_top1).abs() < 0.02, "{s:?}");
        assert!((s.top10 - s.expected_top10).abs() < 0.02, "{s:?}");
        let flat = spec(0, 0, 50_000, 0.0);
        let s = skew(&generate(&users, &flat).unwrap(), &users, &flat);
        assert!(
            (s.top1 - 0.01).abs() < 0.003 && (s.top10 - 0.1).abs() < 0.01,
            "{s:?}"
        );
    }

    #[test]
    fn written_rows_read_back_and_bad_rows_are_refused() {
        let rows = generate(&users(100), &spec(20, 5, 30, 1.2)).unwrap();
        let dir = std::env::temp_dir().join(format!("tools-unit-workload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.csv");
        let mut out = Vec::new();
        write(&mut out, &rows).unwrap();
        std::fs::write(&path, &out).unwrap();
        assert_eq!(read(&path).unwrap(), rows);
        for bad in [
            "op,name,number\nput,A,123\n",
            "op,name,number\nadd,A,12\n",
            "op,name,number\nget,,\n",
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(read(&path).is_err(), "{bad}");
        }
        assert!(generate(&users(10), &spec(5, 6, 1, 1.0)).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
