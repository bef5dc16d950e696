//! `riak-standin`: the test stand-in for Riak as a process in the foreground, so experiments
//! can run the service against it like against a real node. Repeating `--pbc` and `--http`
//! starts one node per pair, all sharing one data set: a cluster. `--profile real` paces the
//! answers like the recorded 2-node cluster (all nodes share its capacity) and gives every node
//! a start-up phase. Stops on SIGINT or SIGTERM.

use crate::args;
use crate::error::{Error, Result};
use riak_standin::{Standin, StandinOptions};

pub const HELP: &str = "\
phonebook-tools riak-standin: a Riak stand-in (PBC and HTTP subset) in the foreground

OPTIONS:
    --pbc ADDR           Protocol Buffers listen address [default: 127.0.0.1:8087]
    --http ADDR          HTTP listen address [default: 127.0.0.1:8098]
                         (give both once per node for a cluster of several nodes)
    --profile P          fast, or real: answers as slow as a real 2-node cluster on 2 cores,
                         with a start-up phase and fallback reads during restarts [default: fast]
    --startup D          how long a node answers like a starting node (e.g. 500ms)
                         [default: 0 with fast, 500ms with real]
    --allow-mult BUCKET  a default-type bucket that keeps siblings (repeatable)
    --bucket-type NAME   a bucket type to create, with allow_mult=true (repeatable)
    --no-2i              refuse index queries, like a node on the bitcask backend
";

/// Runs stand-in nodes until the process is killed.
pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let mut options = StandinOptions::default();
    let (mut pbc, mut http, mut startup) = (Vec::new(), Vec::new(), None);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("pbc") => pbc.push(args::text(&mut parser)?),
            Long("http") => http.push(args::text(&mut parser)?),
            Long("profile") => options = profile(&args::text(&mut parser)?, options)?,
            Long("startup") => startup = Some(args::duration(&mut parser, "startup")?),
            Long("allow-mult") => options.allow_mult.push(args::text(&mut parser)?),
            Long("bucket-type") => options.bucket_types.push(args::text(&mut parser)?),
            Long("no-2i") => options.no_2i = true,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    options.startup = startup.unwrap_or(options.startup);
    if pbc.is_empty() && http.is_empty() {
        (pbc, http) = (vec!["127.0.0.1:8087".into()], vec!["127.0.0.1:8098".into()]);
    }
    if pbc.len() != http.len() {
        return Err(Error::new("give --pbc and --http once per node"));
    }
    let nodes = start(options, pbc, http)?;
    let _keep = nodes;
    loop {
        std::thread::park();
    }
}

/// The options of a profile, keeping what was set besides the profile's own settings.
fn profile(name: &str, options: StandinOptions) -> Result<StandinOptions> {
    let base = match name {
        "fast" => StandinOptions::default(),
        "real" => StandinOptions::real(),
        other => return Err(Error::new(format!("--profile {other:?}: fast or real"))),
    };
    Ok(StandinOptions {
        profile: base.profile,
        startup: base.startup,
        fallback_rate: base.fallback_rate,
        quorum_errors: base.quorum_errors,
        settle: base.settle,
        ..options
    })
}

/// Starts one node per address pair, all in one cluster, and prints where each listens.
pub fn start(options: StandinOptions, pbc: Vec<String>, http: Vec<String>) -> Result<Vec<Standin>> {
    let mut nodes: Vec<Standin> = Vec::new();
    for (pbc, http) in pbc.into_iter().zip(http) {
        let db = nodes.first().map(Standin::db);
        let node = Standin::start(StandinOptions {
            pbc,
            http,
            db,
            ..options.clone()
        })
        .map_err(|e| Error::new(format!("cannot listen: {e}")))?;
        // Printed on stdout so scripts can read the real ports (port 0 picks free ones).
        println!("riak-standin pbc {} http {}", node.pbc_addr, node.http_addr);
        nodes.push(node);
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use riak_standin::Profile;

    #[test]
    fn profiles_parse_and_keep_the_other_options() {
        let options = StandinOptions {
            no_2i: true,
            ..StandinOptions::default()
        };
        let real = profile("real", options).unwrap();
        assert_eq!((real.profile, real.no_2i), (Profile::Real, true));
        assert!(!real.startup.is_zero());
        let fast = profile("fast", real).unwrap();
        assert_eq!(
            (fast.profile, fast.startup.is_zero()),
            (Profile::Fast, true)
        );
        let wrong = profile("slow", fast);
        assert!(matches!(wrong, Err(e) if e.0.contains("fast or real")));
    }
}
