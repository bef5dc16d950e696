//! The experiment runner end to end on a tiny plan: it starts the baseline server, the service,
//! memcached, a two-node Riak stand-in and slow links itself, repeats each configuration in
//! closed and in open loop, reports one it cannot run, and writes the CSV, the Markdown tables
//! and the charts (with what the cache is worth) and what a request cost; `cost` then reads the
//! CSV. And the capacity table in docs/experiments.md is what `plan` prints from the committed
//! results.

use crate::support::*;

const PLAN: &str = r#"
name = "it"
repeats = 2
[data]
users = 150
adds = 20
gets = 80
[load]
concurrency = 2
duration = "300ms"
rate = 100
[slowlink]
delay_ms = 1.0
[[config]]
name = "ceiling"
server = "baseline"
threads = 2
[[config]]
name = "prod2"
mode = "production"
threads = 2
[[config]]
name = "prod2-cache"
mode = "production"
threads = 2
cache = "memcached"
[[config]]
name = "prod2-cache-slow"
mode = "production"
threads = 2
cache = "memcached"
slow = ["cache", "front"]
[[config]]
name = "pbc-2nodes-slow"
mode = "production"
threads = 2
store = "standin-pbc"
nodes = 2
slow = ["store"]
[[config]]
name = "cache-unreachable"
mode = "production"
cache = "memcache://127.0.0.1:1"
"#;

#[test]
fn a_plan_runs_end_to_end_and_its_results_feed_cost() {
    let dir = temp_dir("experiment");
    let plan = dir.join("plan.toml");
    std::fs::write(&plan, PLAN).unwrap();
    let out = run_tools(&[
        "experiment",
        "--plan",
        plan.to_str().unwrap(),
        "--results",
        dir.to_str().unwrap(),
        "--phonebook",
        phonebook().to_str().unwrap(),
    ]);
    let progress = String::from_utf8_lossy(&out.stderr);
    let results = dir.join("it");
    let csv = std::fs::read_to_string(results.join("results.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    // The quoted description holds commas: the report's columns follow its closing quote,
    // `loop` and `rate_rps` last.
    let after = |row: &str, n: usize| {
        let fields: Vec<&str> = row.rsplit_once('"').unwrap().1.split(',').collect();
        fields[n].to_string()
    };
    let loop_of = |row: &str| (after(row, 13), after(row, 14));
    let measured = [
        "ceiling",
        "prod2",
        "prod2-cache",
        "prod2-cache-slow",
        "pbc-2nodes-slow",
    ];
    for config in measured {
        let runs: Vec<_> = rows
            .iter()
            .filter(|r| r.starts_with(&format!("{config},")))
            .map(|r| loop_of(r))
            .collect();
        let closed = ("closed".to_string(), String::new());
        let open = ("open".to_string(), "100".to_string());
        assert_eq!(
            runs,
            [closed.clone(), open.clone(), closed, open],
            "{config}: {progress}"
        );
    }
    assert_eq!(rows.len(), 20, "{csv}");
    // Every request answered 2xx, on the two-node stand-in cluster behind slow links too.
    assert!(rows.iter().all(|r| after(r, 3).is_empty()), "{csv}");
    // What a request cost: measured for the service, not for the bare baseline; a hit rate
    // and memcached's bytes per item only with the cache.
    for row in &rows {
        let costs: Vec<String> = (15..=20).map(|i| after(row, i)).collect();
        let number = |i: usize| costs[i].parse::<f64>().unwrap_or(-1.0);
        if row.starts_with("ceiling,") {
            assert!(costs.iter().all(String::is_empty), "{row}");
        } else {
            assert!(number(0) >= 0.0 && number(2) >= 0.0, "{row}");
            // A closed-loop run goes through the whole workload, its adds included.
            if after(row, 13) == "closed" {
                assert!(number(3) > 0.0, "{row}");
            }
            let cached = row.contains("cache memcached");
            assert_eq!(!costs[4].is_empty(), cached, "{row}");
        }
    }
    let md = std::fs::read_to_string(results.join("results.md")).unwrap();
    assert!(
        md.contains(
            "| prod2-cache-slow | production ×2, embedded, cache memcached, slow cache+front | 2 |"
        ),
        "{md}"
    );
    assert!(md.contains("`cache-unreachable`"), "{md}");
    assert!(md.contains("| cache | prod2-cache | prod2 |"), "{md}");
    let worth = std::fs::read_to_string(results.join("worth.svg")).unwrap();
    assert!(worth.contains(">cache: prod2-cache ÷ prod2<"), "{worth}");
    for chart in ["throughput.svg", "latency-p99.svg"] {
        let svg = std::fs::read_to_string(results.join(chart)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains(">prod2<"),
            "{chart}"
        );
    }
    assert!(results.join("logs/prod2-run2.log").is_file());
    assert!(results.join("workload.csv").is_file() && results.join("users.csv").is_file());
    let cost = run_tools(&[
        "cost",
        "--prices",
        concat!(env!("CARGO_MANIFEST_DIR"), "/aws-prices.toml"),
        "--results",
        results.join("results.csv").to_str().unwrap(),
        "--config",
        "prod2",
    ]);
    let bill = String::from_utf8(cost.stdout).unwrap();
    assert!(
        bill.contains("total per day (USD)") && bill.contains("measured in"),
        "{bill}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_capacity_table_in_the_docs_is_what_plan_prints_from_the_committed_results() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let docs = std::fs::read_to_string(format!("{root}/docs/experiments.md")).unwrap();
    let command = "phonebook-tools plan --results tools/results/cache-servers/results.csv \
                   --prices tools/aws-prices.toml";
    assert!(
        docs.contains(&format!("`{command}`")),
        "the docs name the command"
    );
    let out = std::process::Command::new(tools())
        .args(command.split_whitespace().skip(1))
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 5, "a header and four rates: {table}");
    for row in rows {
        assert!(docs.contains(row), "docs/experiments.md lacks {row:?}");
    }
}
