//! Durability of the embedded store: 10,000 contacts written, read back, read back again after a
//! restart; and every write acknowledged before a `kill -9` is there afterwards.

use crate::support::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WRITERS: usize = 8;

fn number_of(i: usize) -> String {
    format!("+1555{i:07}")
}

/// Reads contacts `0..count` named `{prefix}{i}` and returns how many have the expected number.
fn read_all(svc: &Service, prefix: &str, count: usize) -> usize {
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..WRITERS)
            .map(|w| {
                s.spawn(move || {
                    let agent = agent();
                    (w..count)
                        .step_by(WRITERS)
                        .filter(|i| {
                            let url = svc.url(&format!("/contacts/{prefix}{i}"));
                            let mut resp = agent.get(&url).call().unwrap();
                            let body = resp.body_mut().read_to_string().unwrap();
                            body == format!(
                                r#"{{"name":"{prefix}{i}","number":"{}"}}"#,
                                number_of(*i)
                            )
                        })
                        .count()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    })
}

#[test]
fn ten_thousand_writes_read_back_before_and_after_a_restart() {
    let dir = temp_dir("durable");
    let store = embedded_arg(&dir);
    let args = ["--store", &store, "--mode", "production", "--threads", "8"];
    let svc = Service::start(&args);
    let started = Instant::now();
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let svc = &svc;
            s.spawn(move || {
                let agent = agent();
                for i in (w..10_000).step_by(WRITERS) {
                    let form = [("name", format!("User{i}")), ("number", number_of(i))];
                    let resp = agent.post(&svc.url("/contacts")).send_form(form).unwrap();
                    assert_eq!(resp.status(), 200);
                }
            });
        }
    });
    println!("10,000 writes in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(read_all(&svc, "User", 10_000), 10_000);
    assert!(svc.terminate().success());
    let svc = Service::start(&args);
    assert_eq!(read_all(&svc, "User", 10_000), 10_000, "after a restart");
}

#[test]
fn every_acknowledged_write_survives_a_kill_9_under_load() {
    let dir = temp_dir("kill9");
    let store = embedded_arg(&dir);
    let args = ["--store", &store, "--mode", "production", "--threads", "8"];
    let mut svc = Service::start(&args);
    let acked = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let url = svc.url("/contacts");
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (url, acked, stop) = (&url, &acked, &stop);
            s.spawn(move || {
                let agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(5)))
                    .build()
                    .new_agent();
                // Bounded: at most 5,000 writes per writer, and the kill comes after 100.
                for i in (w..WRITERS * 5_000).step_by(WRITERS) {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let form = [("name", format!("Kill{i}")), ("number", number_of(i))];
                    match agent.post(url).send_form(form) {
                        Ok(resp) if resp.status() == 200 => acked.lock().unwrap().push(i),
                        _ => break,
                    }
                }
            });
        }
        // The kill comes amid the writes, once 100 have been acknowledged.
        wait_until(Duration::from_secs(30), "100 writes acknowledged", || {
            acked.lock().unwrap().len() >= 100
        });
        svc.child.kill().unwrap();
        svc.child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
    });
    let acked = acked.into_inner().unwrap();
    assert!(
        acked.len() > 50,
        "the load ran: {} writes acknowledged",
        acked.len()
    );
    let svc = Service::start(&args);
    let agent = agent();
    let lost: Vec<_> = acked
        .iter()
        .filter(|i| {
            let url = svc.url(&format!("/contacts/Kill{i}"));
            let body = agent
                .get(&url)
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap();
            !body.contains(&number_of(**i))
        })
        .collect();
    println!(
        "kill -9 under load: {} acknowledged writes, {} lost",
        acked.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "lost after kill -9: {lost:?}");
}
