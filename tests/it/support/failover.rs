//! A load of reads and writes through the service while a Riak node fails, and what it
//! counts: failed requests, false 404s, the slowest answer, stale reads, and the writes
//! acknowledged meanwhile (read back at the end). Shared by the stand-in ring's scenarios and
//! the ones against a real cluster. Every loop is bounded in count and time.

use crate::support::riak::{call, client};
use crate::support::Service;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Load threads; each reads and writes its own contacts, so it knows their latest number.
const THREADS: usize = 4;
/// Contacts written before the load: half have two replicas on node 1 of the recorded ring,
/// enough first reads after a stop for the control to meet the recorded race.
const PEOPLE: usize = 160;
/// Requests per thread at most, and the longest a load may run.
const MAX_REQUESTS: usize = 20_000;
const MAX_TIME: Duration = Duration::from_secs(40);

/// What a run counted.
#[derive(Debug, Default)]
pub struct Tally {
    pub requests: AtomicUsize,
    /// Answers that were neither the contact (200) nor, for names never stored, 404.
    pub failed: AtomicUsize,
    /// 404 for a contact that exists.
    pub false_404: AtomicUsize,
    /// A read older than the thread's own last acknowledged write, once stale reads are over
    /// (see [`Load::fresh_from`]).
    pub stale: AtomicUsize,
    /// The slowest answer to a read of an existing contact or a write, and to a read of a name
    /// that does not exist, in microseconds.
    pub slowest_us: AtomicU64,
    pub slowest_absent_us: AtomicU64,
    /// Writes acknowledged while the fault lasted.
    pub acked_in_fault: AtomicUsize,
}

impl Tally {
    /// One line for the test's output and the docs' table.
    pub fn line(&self) -> String {
        let ms = |v: &AtomicU64| v.load(Ordering::SeqCst) as f64 / 1000.0;
        format!(
            "requests {}, failed {}, false 404 {}, stale {}, slowest {:.0} ms (absent {:.0} ms), \
             writes acknowledged in the fault {}",
            self.requests.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst),
            self.false_404.load(Ordering::SeqCst),
            self.stale.load(Ordering::SeqCst),
            ms(&self.slowest_us),
            ms(&self.slowest_absent_us),
            self.acked_in_fault.load(Ordering::SeqCst),
        )
    }

    pub fn failed(&self) -> usize {
        self.failed.load(Ordering::SeqCst)
    }

    pub fn false_404(&self) -> usize {
        self.false_404.load(Ordering::SeqCst)
    }

    pub fn slowest(&self) -> Duration {
        Duration::from_micros(self.slowest_us.load(Ordering::SeqCst))
    }

    pub fn slowest_absent(&self) -> Duration {
        Duration::from_micros(self.slowest_absent_us.load(Ordering::SeqCst))
    }
}

/// A load running against one service, and the switches a scenario flips.
#[derive(Default)]
pub struct Load {
    pub tally: Tally,
    pub stop: AtomicBool,
    /// While set, acknowledged writes count as made during the fault.
    pub in_fault: AtomicBool,
    /// Reads started after this instant must not be stale (none: from the start).
    fresh_from: Mutex<Option<Instant>>,
    /// Stale reads are allowed (a returning node before its handoff).
    stale_ok: AtomicBool,
    /// Each contact's last acknowledged number.
    acked: Mutex<HashMap<usize, u64>>,
}

/// The name of contact `i`, and its number for write `seq` (numbers grow with `seq`).
pub fn name(i: usize) -> String {
    format!("Failover {i:03}")
}

fn number(seq: u64) -> String {
    format!("+1{seq:011}")
}

fn path(name: &str) -> String {
    format!("/contacts/{}", name.replace(' ', "%20"))
}

impl Load {
    /// Allows stale reads from now on (a node returns with old copies).
    pub fn allow_stale(&self) {
        self.stale_ok.store(true, Ordering::SeqCst);
    }

    /// Reads started from `at` on must be fresh again (the handoff is done).
    pub fn fresh_from(&self, at: Instant) {
        *self.fresh_from.lock().unwrap() = Some(at);
        self.stale_ok.store(false, Ordering::SeqCst);
    }

    /// Writes every contact once (sequence 0), before the load.
    pub fn seed(&self, svc: &Service) {
        let agent = client();
        for i in 0..PEOPLE {
            let reply = call(
                &agent,
                "POST",
                &svc.url("/contacts"),
                Some((&name(i), &number(0))),
            );
            assert_eq!(reply.0, 200, "seed {i}: {reply:?}");
            self.acked.lock().unwrap().insert(i, 0);
        }
    }

    /// Runs the load until `stop` (or the bounds): per thread, of every 10 requests 3 writes,
    /// 6 reads of its contacts and 1 read of a name never stored.
    pub fn run(&self, svc: &Service) {
        std::thread::scope(|s| {
            for t in 0..THREADS {
                s.spawn(move || self.thread(svc, t));
            }
        });
    }

    fn thread(&self, svc: &Service, t: usize) {
        let agent = client();
        let start = Instant::now();
        let mine: Vec<usize> = (0..PEOPLE).filter(|i| i % THREADS == t).collect();
        for n in 0..MAX_REQUESTS {
            if self.stop.load(Ordering::SeqCst) || start.elapsed() > MAX_TIME {
                return;
            }
            let i = mine[(n * 7 / 10) % mine.len()];
            let began = Instant::now();
            match n % 10 {
                0 | 4 | 7 => self.write(svc, &agent, i, (n as u64 + 1) * THREADS as u64 + t as u64),
                9 => self.absent(svc, &agent, t, n),
                _ => self.read(svc, &agent, i, began),
            }
            self.tally.requests.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn write(&self, svc: &Service, agent: &ureq::Agent, i: usize, seq: u64) {
        let began = Instant::now();
        let reply = call(
            agent,
            "POST",
            &svc.url("/contacts"),
            Some((&name(i), &number(seq))),
        );
        self.took(&self.tally.slowest_us, began);
        if reply.0 == 200 {
            self.acked.lock().unwrap().insert(i, seq);
            if self.in_fault.load(Ordering::SeqCst) {
                self.tally.acked_in_fault.fetch_add(1, Ordering::SeqCst);
            }
        } else {
            self.fail(format!("write {i}: {reply:?}"));
        }
    }

    fn read(&self, svc: &Service, agent: &ureq::Agent, i: usize, began: Instant) {
        let want = self.acked.lock().unwrap()[&i];
        let reply = call(agent, "GET", &svc.url(&path(&name(i))), None);
        self.took(&self.tally.slowest_us, began);
        match reply.0 {
            200 => {
                let got: serde_json::Value = serde_json::from_str(&reply.1).unwrap();
                let got = got["number"].as_str().unwrap_or_default();
                let seq: u64 = got.trim_start_matches("+1").parse().unwrap_or(0);
                let stale = seq < want && self.must_be_fresh(began);
                if stale && self.tally.stale.fetch_add(1, Ordering::SeqCst) < 3 {
                    eprintln!("stale read of {i}: {seq} < {want}");
                }
            }
            404 => {
                if self.tally.false_404.fetch_add(1, Ordering::SeqCst) < 3 {
                    eprintln!("false 404 of {i}: {reply:?}");
                }
            }
            _ => self.fail(format!("read {i}: {reply:?}")),
        }
    }

    fn absent(&self, svc: &Service, agent: &ureq::Agent, t: usize, n: usize) {
        let began = Instant::now();
        let reply = call(
            agent,
            "GET",
            &svc.url(&path(&format!("Nobody {t} {n}"))),
            None,
        );
        self.took(&self.tally.slowest_absent_us, began);
        if reply.0 != 404 {
            self.fail(format!("absent: {reply:?}"));
        }
    }

    fn must_be_fresh(&self, began: Instant) -> bool {
        let from = *self.fresh_from.lock().unwrap();
        !self.stale_ok.load(Ordering::SeqCst) && from.is_none_or(|at| began >= at)
    }

    fn took(&self, slowest: &AtomicU64, began: Instant) {
        slowest.fetch_max(began.elapsed().as_micros() as u64, Ordering::SeqCst);
    }

    fn fail(&self, what: String) {
        if self.tally.failed.fetch_add(1, Ordering::SeqCst) < 3 {
            eprintln!("failed: {what}");
        }
    }

    /// Reads every contact back: each must hold its last acknowledged number (or, after a
    /// write that failed, a later one). Returns the contacts that do not.
    pub fn lost_writes(&self, svc: &Service) -> Vec<String> {
        let agent = client();
        let acked = self.acked.lock().unwrap().clone();
        let mut lost = Vec::new();
        for (i, want) in acked {
            let reply = call(&agent, "GET", &svc.url(&path(&name(i))), None);
            let seq = serde_json::from_str::<serde_json::Value>(&reply.1)
                .ok()
                .and_then(|v| v["number"].as_str().map(str::to_string))
                .and_then(|n| n.trim_start_matches("+1").parse::<u64>().ok());
            if seq.is_none_or(|seq| seq < want) {
                lost.push(format!("{i}: {want} acknowledged, read {reply:?}"));
            }
        }
        lost
    }
}
