//! The options of `riak-bench`, parsed with lexopt like every subcommand's.

use crate::args;
use crate::error::{Error, Result};
use phonebook::store::riak::WriteMode;
use riak_standin::Profile;
use std::time::Duration;

/// What to measure, and against which nodes.
pub struct Options {
    pub pbc: Vec<String>,
    pub http: Vec<String>,
    pub profile: Profile,
    pub nodes: usize,
    pub bucket: String,
    pub clients: Vec<usize>,
    pub writes: Vec<WriteMode>,
    pub absent: bool,
    /// In-process nodes on a ring with replicas (a `StandinCluster`), not one shared copy.
    pub ring: bool,
    /// The read and write policies to compare: true for quorum tries, false for the previous.
    pub policies: Vec<bool>,
    pub ops: usize,
    pub keys: usize,
    pub max: Duration,
}

/// The options, or `None` when help was asked for.
pub fn parse(mut parser: lexopt::Parser) -> Result<Option<Options>> {
    use lexopt::prelude::*;
    let mut options = Options {
        pbc: Vec::new(),
        http: Vec::new(),
        profile: Profile::Fast,
        nodes: 2,
        bucket: "phonebook_bench".into(),
        clients: vec![4],
        writes: vec![WriteMode::ReadFirst, WriteMode::Blind],
        absent: false,
        ring: false,
        policies: vec![true],
        ops: 40_000,
        keys: 1_000,
        max: Duration::from_secs(30),
    };
    let list = |value: String| value.split(',').map(str::to_string).collect::<Vec<_>>();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("pbc") => options.pbc = list(args::text(&mut parser)?),
            Long("http") => options.http = list(args::text(&mut parser)?),
            Long("profile") => options.profile = profile(&args::text(&mut parser)?)?,
            Long("nodes") => options.nodes = positive(&mut parser, "nodes")?,
            Long("bucket") => options.bucket = args::text(&mut parser)?,
            Long("clients") | Long("threads") => {
                let values = list(args::text(&mut parser)?);
                options.clients = values
                    .iter()
                    .map(|v| counted(v, "clients"))
                    .collect::<Result<_>>()?;
            }
            Long("write") => {
                let values = list(args::text(&mut parser)?);
                options.writes = values
                    .iter()
                    .map(|v| write_mode(v))
                    .collect::<Result<_>>()?;
            }
            Long("absent") => options.absent = true,
            Long("ring") => options.ring = true,
            Long("policy") => {
                let values = list(args::text(&mut parser)?);
                options.policies = values.iter().map(|v| policy(v)).collect::<Result<_>>()?;
            }
            Long("ops") => options.ops = positive(&mut parser, "ops")?,
            Long("keys") => options.keys = positive(&mut parser, "keys")?,
            Long("max-secs") => {
                options.max = Duration::from_secs(positive(&mut parser, "max-secs")? as u64)
            }
            Short('h') | Long("help") => return Ok(None),
            other => return Err(other.unexpected().into()),
        }
    }
    Ok(Some(options))
}

fn profile(text: &str) -> Result<Profile> {
    match text {
        "fast" => Ok(Profile::Fast),
        "real" => Ok(Profile::Real),
        other => Err(Error::new(format!("--profile {other:?}: fast or real"))),
    }
}

fn policy(text: &str) -> Result<bool> {
    match text {
        "tries" => Ok(true),
        "previous" => Ok(false),
        other => Err(Error::new(format!("--policy {other:?}: tries or previous"))),
    }
}

fn write_mode(text: &str) -> Result<WriteMode> {
    match text {
        "blind" => Ok(WriteMode::Blind),
        "read-first" => Ok(WriteMode::ReadFirst),
        other => Err(Error::new(format!(
            "--write {other:?}: blind or read-first"
        ))),
    }
}

fn positive(parser: &mut lexopt::Parser, option: &str) -> Result<usize> {
    counted(&args::text(parser)?, option)
}

fn counted(value: &str, option: &str) -> Result<usize> {
    match value.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::new(format!(
            "--{option}: {value:?} is not a positive number"
        ))),
    }
}
