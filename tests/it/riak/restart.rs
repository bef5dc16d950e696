//! One node of two restarted under load through the service, over PBC and over HTTP, the way
//! a real node restarts: gone, then a start-up phase (ping answers, gets and puts do not, HTTP
//! answers HTML 404s), then replicas that catch up while reads may meet empty fallbacks. The
//! service must fail no request, answer no false 404, and send the starting node nothing but
//! probes until it serves a get. The same run with `notfound_ok = true` and one try (the policy before quorum tries, whose
//! second try would catch them) shows the false 404s
//! the default prevents, so the test can tell the two apart. Every loop is bounded.

use crate::support::riak::*;
use crate::support::{poll, wait_until, Service};
use riak_standin::{Standin, StandinOptions};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Contacts written before the load; every GET of them must find them.
const PEOPLE: usize = 40;
/// Requests per load thread at most.
const MAX_REQUESTS: usize = 4000;

#[derive(Debug, Default)]
struct Tally {
    requests: AtomicUsize,
    failed: AtomicUsize,
    false_404: AtomicUsize,
}

fn options() -> StandinOptions {
    StandinOptions {
        startup: Duration::from_millis(800),
        // Far more than a real cluster's few in 10,000, so that a run shows them.
        fallback_rate: 0.05,
        quorum_errors: 3,
        settle: Duration::from_millis(1500),
        ..StandinOptions::default()
    }
}

fn path(i: usize) -> String {
    format!("/contacts/Person%20{i:03}")
}

/// 4 clients: 4 reads of existing contacts to 1 overwrite, until `stop` or the bounds.
fn load(svc: &Service, stop: &AtomicBool, tally: &Tally) {
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                let agent = client();
                let start = Instant::now();
                for n in 0..MAX_REQUESTS {
                    if stop.load(Ordering::SeqCst) || start.elapsed() > Duration::from_secs(60) {
                        return;
                    }
                    let i = (n * 7 + t) % PEOPLE;
                    let reply = if n % 5 == 0 {
                        let (name, number) = (person(i).name, person(i).number);
                        call(
                            &agent,
                            "POST",
                            &svc.url("/contacts"),
                            Some((&name, &number)),
                        )
                    } else {
                        call(&agent, "GET", &svc.url(&path(i)), None)
                    };
                    tally.requests.fetch_add(1, Ordering::SeqCst);
                    match reply.0 {
                        200 => {}
                        404 => {
                            if tally.false_404.fetch_add(1, Ordering::SeqCst) < 3 {
                                eprintln!("false 404 at n={n} i={i}: {reply:?}");
                            }
                        }
                        _ => {
                            eprintln!("request failed: {reply:?}");
                            tally.failed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    });
}

/// Restarts `node` while the load runs; returns once it serves again and has settled.
fn restart(node: &Standin, svc: &Service, stop: &AtomicBool, tally: &Tally) {
    let requests = || tally.requests.load(Ordering::SeqCst);
    wait_until(Duration::from_secs(30), "the load running", || {
        requests() >= 50
    });
    node.stop();
    let at_stop = requests();
    wait_until(
        Duration::from_secs(30),
        "requests with the node gone",
        || requests() >= at_stop + 50,
    );
    node.resume().unwrap();
    poll(Duration::from_secs(20), || node_states(svc) == ["up", "up"]);
    // The replicas catch up for `settle` after the start-up phase: time is the scenario here,
    // so the load runs through all of it.
    std::thread::sleep(options().settle);
    stop.store(true, Ordering::SeqCst);
}

/// One restart under load; the tally, and what the starting node was asked besides probes.
/// `tag` names the service's folder (tests run at once must not share one).
fn run(tag: &str, api: &str, store: &str) -> (Tally, Vec<String>) {
    let nodes = cluster(2, options());
    // Both nodes have passed their first start-up phase before the service starts. The phase
    // is a set time from the node's start, so waiting it out cannot race; a probe would count
    // as a request made to a starting node.
    std::thread::sleep(options().startup);
    // A timeout a loaded machine cannot pass: a slow answer from the node that stays up would
    // mark it down too, and fail requests this test is not about.
    let store = format!("timeout_ms = 3000\n{store}");
    let svc = riak_service_with(tag, api, &[&nodes[0], &nodes[1]], "production", &store);
    let agent = client();
    for i in 0..PEOPLE {
        let (name, number) = (person(i).name, person(i).number);
        let saved = call(
            &agent,
            "POST",
            &svc.url("/contacts"),
            Some((&name, &number)),
        );
        assert_eq!(saved.0, 200, "{api}: {saved:?}");
    }
    let (stop, tally) = (AtomicBool::new(false), Tally::default());
    std::thread::scope(|s| {
        s.spawn(|| restart(&nodes[0], &svc, &stop, &tally));
        load(&svc, &stop, &tally);
    });
    assert_eq!(node_states(&svc), ["up", "up"], "{api}: back in service");
    let asked = nodes[0].starting_requests().into_iter();
    let asked = asked.filter(|r| !r.contains("phonebook-readiness-probe") && !r.contains("props"));
    (tally, asked.filter(|r| r != "pbc 19 ").collect())
}

#[test]
fn a_node_restarted_under_load_fails_no_request_and_reads_no_false_404() {
    for api in APIS {
        let (tally, asked) = run("restart-load", api, "");
        eprintln!("{api}: restart under load: {tally:?}");
        assert!(
            tally.requests.load(Ordering::SeqCst) > 200,
            "{api}: {tally:?}"
        );
        assert_eq!(
            tally.failed.load(Ordering::SeqCst),
            0,
            "{api}: failed requests"
        );
        assert_eq!(
            tally.false_404.load(Ordering::SeqCst),
            0,
            "{api}: false 404s"
        );
        assert_eq!(asked, Vec::<String>::new(), "{api}: used while starting");
    }
}

#[test]
fn with_notfound_ok_the_same_restart_reads_false_404s() {
    for api in APIS {
        let loose = format!("notfound_ok = true\n{PREVIOUS_POLICY}");
        let (tally, _) = run("restart-loose", api, &loose);
        eprintln!("{api}: restart with notfound_ok=true: {tally:?}");
        assert_eq!(
            tally.failed.load(Ordering::SeqCst),
            0,
            "{api}: failed requests"
        );
        assert!(
            tally.false_404.load(Ordering::SeqCst) > 0,
            "{api}: {tally:?}"
        );
    }
}
