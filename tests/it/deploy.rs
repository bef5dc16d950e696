//! The deployment in `deploy/`: its files are valid for the tools that read them, and two
//! instances behind the real HAProxy, sharing the Riak stand-in (2 nodes) and one memcached,
//! behave as one service: a write through one is read through the other at once, and an
//! instance killed under load fails no request once the balancer has taken it out.

use crate::support::haproxy::Haproxy;
use crate::support::memcached::Memcached;
use crate::support::riak::{call, client, cluster};
use crate::support::*;
use phonebook::cache::CacheUrl;
use phonebook::config::{self, Mode, Overrides};
use phonebook::store::StoreUrl;
use riak_standin::Standin;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

fn deploy_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(name)
}

/// The value of `key=` in the systemd unit.
fn unit_setting(unit: &str, key: &str) -> String {
    let prefix = format!("{key}=");
    unit.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{key} in the unit"))
        .to_string()
}

#[test]
fn the_production_config_loads_and_the_unit_gives_it_the_files_it_needs() {
    let over = Overrides {
        config: Some(deploy_file("phonebook.toml")),
        ..Overrides::default()
    };
    let config = config::load(&over).expect("deploy/phonebook.toml is valid");
    assert_eq!(config.server.mode, Mode::Production);
    let nodes = match &config.store.url {
        StoreUrl::RiakPbc(nodes) => nodes.len(),
        other => panic!("a Riak store, not {other:?}"),
    };
    assert_eq!(nodes, 2, "the 2-node cluster");
    let CacheUrl::Memcache(caches) = &config.cache.url else {
        panic!("a shared memcached");
    };
    // Open files: what the service itself checks at start-up (it refuses to start below it):
    // one per client connection plus its reserve for the listener, store and cache sockets.
    let unit = std::fs::read_to_string(deploy_file("phonebook.service")).unwrap();
    let nofile: u64 = unit_setting(&unit, "LimitNOFILE").parse().unwrap();
    let workers = config.server.workers();
    let needed = phonebook::open_files_needed(&config.server);
    assert!(nofile >= needed, "LimitNOFILE={nofile} < {needed}");
    assert!(
        caches.len() + nodes <= 4,
        "the reserve counts 4 sockets per worker"
    );
    // Threads: one per client connection (which also runs its handler), plus a few helpers.
    let tasks: usize = unit_setting(&unit, "TasksMax").parse().unwrap();
    assert!(
        tasks >= config.server.max_connections + workers + 16,
        "TasksMax={tasks}"
    );
    assert!(unit_setting(&unit, "ExecStart").ends_with("--config /etc/phonebook/phonebook.toml"));
}

#[test]
fn systemd_analyze_verify_accepts_the_unit() {
    let dir = temp_dir("deploy-unit");
    let unit = std::fs::read_to_string(deploy_file("phonebook.service")).unwrap();
    // verify checks that ExecStart's program exists: point it at the binary just built.
    let unit = unit.replace("/usr/local/bin/phonebook", env!("CARGO_BIN_EXE_phonebook"));
    let path = dir.join("phonebook.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", path.to_str().unwrap()])
        .output()
        .expect("systemd-analyze (Debian package systemd; tools/test-deps.sh installs it)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "", "no warning about any setting");
}

#[test]
fn haproxy_accepts_the_balancer_config() {
    let out = Command::new("haproxy")
        .args(["-c", "-f", deploy_file("haproxy.cfg").to_str().unwrap()])
        .output()
        .expect("haproxy (Debian package haproxy; tools/test-deps.sh installs it)");
    assert!(out.status.success(), "{out:?}");
}

/// Two stand-in nodes, one memcached, two instances on the deployed configuration, and the
/// balancer in front of them.
struct Deployment {
    _nodes: Vec<Standin>,
    _mc: Memcached,
    apps: Vec<Service>,
    balancer: Haproxy,
}

impl Deployment {
    fn start(tag: &str) -> Deployment {
        let nodes = cluster(2, Default::default());
        let mc = Memcached::start();
        let store = format!("pbc://{},{}", nodes[0].pbc_addr, nodes[1].pbc_addr);
        let dir = temp_dir(&format!("deploy-{tag}"));
        let config = dir.join("phonebook.toml");
        std::fs::write(&config, test_config()).unwrap();
        let config = config.to_str().unwrap().to_string();
        let apps: Vec<Service> = (0..2)
            .map(|_| {
                let args = ["--config", &config, "--store", &store, "--cache", &mc.url()];
                Service::start(&[&args[..], &["--threads", "4"]].concat())
            })
            .collect();
        let balancer = Haproxy::start(tag, &[&apps[0].addr, &apps[1].addr]);
        drop(dir);
        Deployment {
            _nodes: nodes,
            _mc: mc,
            apps,
            balancer,
        }
    }
}

/// The deployed configuration, with a longer cache timeout: a `set` that times out (memcached
/// slow for a moment on a machine busy with builds) leaves the old entry for the other
/// instance to read until it expires, the cache's documented race, which would make the
/// consistency test flaky without telling anything about the deployment.
fn test_config() -> String {
    let text = std::fs::read_to_string(deploy_file("phonebook.toml")).unwrap();
    let cache = text.find("[cache]").expect("a [cache] table");
    let (head, tail) = text.split_at(cache);
    assert!(tail.contains("\ntimeout_ms = 150\n"), "{tail}");
    // On loopback the instances answer the loopback names the balancer passes on.
    let hosts = "\nallowed_hosts = [\"phonebook.example.com\"]\n";
    assert!(head.contains(hosts), "{head}");
    format!(
        "{}{}",
        head.replace(hosts, "\nallowed_hosts = []\n"),
        tail.replace("\ntimeout_ms = 150\n", "\ntimeout_ms = 2000\n")
    )
}

#[test]
fn a_write_through_one_instance_is_read_through_the_other_at_once() {
    let deployment = Deployment::start("consistency");
    let [a, b] = [&deployment.apps[0], &deployment.apps[1]];
    let agent = client();
    for i in 0..300 {
        let (writer, reader) = if i % 2 == 0 { (a, b) } else { (b, a) };
        let number = format!("0405{i:04}");
        let written = call(
            &agent,
            "POST",
            &writer.url("/contacts"),
            Some(("Shared", &number)),
        );
        assert_eq!(written.0, 200, "{written:?}");
        let want = format!(r#"{{"name":"Shared","number":"{number}"}}"#);
        let read = call(&agent, "GET", &reader.url("/contacts/Shared"), None);
        assert_eq!(read, (200, want.clone()), "round {i}: the other instance");
        let url = deployment.balancer.url("/contacts/Shared");
        assert_eq!(
            call(&agent, "GET", &url, None),
            (200, want),
            "round {i}: the balancer"
        );
    }
    // The reads came from the shared cache, which every write updated.
    let hits: u64 = deployment
        .apps
        .iter()
        .map(|app| metric(app, "phonebook_cache_hits_total"))
        .sum();
    assert!(hits >= 600, "cache hits: {hits}");
}

/// One request of the load: when it ended and whether it was answered right.
struct Outcome {
    at: Instant,
    /// `None` when answered right; else the status and body.
    failure: Option<(u16, String)>,
}

#[test]
fn an_instance_killed_under_load_fails_no_request_after_the_balancer_notices() {
    let mut deployment = Deployment::start("kill");
    let agent = client();
    let names: Vec<String> = (0..20).map(|i| format!("Load {i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let url = deployment.balancer.url("/contacts");
        assert_eq!(
            call(&agent, "POST", &url, Some((name, &format!("0406{i:03}")))).0,
            200
        );
    }
    let outcomes = Mutex::new(Vec::new());
    let (killed, noticed) = thread::scope(|s| {
        for c in 0..4 {
            let (url, names, outcomes) = (deployment.balancer.url(""), &names, &outcomes);
            s.spawn(move || load(c, &url, names, outcomes));
        }
        // Kill the first instance a moment into the load, then wait for the balancer to mark
        // it down.
        poll(Duration::from_secs(30), || {
            outcomes.lock().unwrap().len() >= 400
        });
        deployment.apps[0].child.kill().unwrap();
        let killed = Instant::now();
        deployment
            .balancer
            .wait_until(Duration::from_secs(10), |s| s[0].status == "DOWN");
        (killed, Instant::now())
    });
    let outcomes = outcomes.into_inner().unwrap();
    let failed = |from: Instant, to: Instant| {
        let window = outcomes.iter().filter(|o| o.at >= from && o.at < to);
        window.filter(|o| o.failure.is_some()).count()
    };
    let failures: Vec<_> = outcomes.iter().filter_map(|o| o.failure.as_ref()).collect();
    let end = Instant::now();
    let (before, window, after) = (
        failed(killed - Duration::from_secs(60), killed),
        failed(killed, noticed),
        failed(noticed, end),
    );
    let killed_app = &deployment.balancer.servers()[0];
    println!(
        "instance killed under load: {} requests; failed {before} before the kill, {window} in \
         the {:?} until the balancer marked it down, {after} after; the balancer retried {} \
         requests and redispatched {}; failures: {failures:?}",
        outcomes.len(),
        noticed - killed,
        killed_app.retries,
        killed_app.redispatches,
    );
    assert_eq!(outcomes.len(), 4 * 500);
    assert!(
        outcomes.iter().filter(|o| o.at > noticed).count() > 100,
        "load after the kill"
    );
    assert_eq!(before, 0, "failed before the kill: {failures:?}");
    assert_eq!(after, 0, "failed after the balancer noticed: {failures:?}");
    // In the window, the retries answer almost every request from the other instance; in two
    // of 36 runs here, one request's client connection was closed unanswered.
    assert!(
        window <= 1,
        "failed while the balancer had not noticed: {failures:?}"
    );
}

/// One client's share of the load through the balancer: 500 requests (a write every fifth,
/// the others reads), each checked.
fn load(c: usize, base: &str, names: &[String], outcomes: &Mutex<Vec<Outcome>>) {
    let agent = client();
    for i in 0..500 {
        let k = (c * 7 + i) % names.len();
        let (status, body) = if i % 5 == 0 {
            let form = Some((names[k].as_str(), "0407000"));
            call(&agent, "POST", &format!("{base}/contacts"), form)
        } else {
            call(&agent, "GET", &format!("{base}/contacts/Load%20{k}"), None)
        };
        let ok = status == 200 && body.contains(&format!("\"Load {k}\""));
        let failure = (!ok).then_some((status, body));
        let at = Instant::now();
        outcomes.lock().unwrap().push(Outcome { at, failure });
    }
}

#[test]
fn version_prints_the_name_and_the_package_version() {
    for flag in ["--version", "-V"] {
        let out = Command::new(env!("CARGO_BIN_EXE_phonebook"))
            .arg(flag)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text, format!("phonebook {}\n", env!("CARGO_PKG_VERSION")));
        let version = text.trim_end().strip_prefix("phonebook ").unwrap();
        let parts: Vec<&str> = version.split('.').collect();
        assert_eq!(parts.len(), 3, "X.Y.Z: {version}");
        assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()), "{version}");
    }
}
