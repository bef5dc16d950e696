//! `riak-standin`: the test stand-in for Riak as a process in the foreground, so experiments
//! can run the service against it like against a real node. Repeating `--pbc` and `--http`
//! starts one node per pair, all sharing one data set: a cluster. Stops on SIGINT or SIGTERM.

use riak_standin::{Standin, StandinOptions};

pub const HELP: &str = "\
phonebook-tools riak-standin: a Riak stand-in (PBC and HTTP subset) in the foreground

OPTIONS:
    --pbc ADDR           Protocol Buffers listen address [default: 127.0.0.1:8087]
    --http ADDR          HTTP listen address [default: 127.0.0.1:8098]
                         (give both once per node for a cluster of several nodes)
    --allow-mult BUCKET  a default-type bucket that keeps siblings (repeatable)
    --bucket-type NAME   a bucket type to create, with allow_mult=true (repeatable)
    --no-2i              refuse index queries, like a node on the bitcask backend
";

/// Runs a stand-in node until the process is killed.
pub fn run(args: Vec<String>) -> Result<(), String> {
    use lexopt::prelude::*;
    let mut options = StandinOptions::default();
    let (mut pbc, mut http) = (Vec::new(), Vec::new());
    let mut parser = lexopt::Parser::from_args(args);
    let text = |parser: &mut lexopt::Parser| -> Result<String, String> {
        let value = parser.value().map_err(|e| e.to_string())?;
        value
            .into_string()
            .map_err(|v| format!("{v:?} is not UTF-8"))
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("pbc") => pbc.push(text(&mut parser)?),
            Long("http") => http.push(text(&mut parser)?),
            Long("allow-mult") => options.allow_mult.push(text(&mut parser)?),
            Long("bucket-type") => options.bucket_types.push(text(&mut parser)?),
            Long("no-2i") => options.no_2i = true,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    if pbc.is_empty() && http.is_empty() {
        (pbc, http) = (vec!["127.0.0.1:8087".into()], vec!["127.0.0.1:8098".into()]);
    }
    if pbc.len() != http.len() {
        return Err("give --pbc and --http once per node".into());
    }
    let mut nodes: Vec<Standin> = Vec::new();
    for (pbc, http) in pbc.into_iter().zip(http) {
        let db = nodes.first().map(Standin::db);
        let node = Standin::start(StandinOptions {
            pbc,
            http,
            db,
            ..options.clone()
        })
        .map_err(|e| format!("cannot listen: {e}"))?;
        // Printed on stdout so scripts can read the real ports (port 0 picks free ones).
        println!("riak-standin pbc {} http {}", node.pbc_addr, node.http_addr);
        nodes.push(node);
    }
    loop {
        std::thread::park();
    }
}
