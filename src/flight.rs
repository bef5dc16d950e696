//! Single flight: concurrent calls for one key share one call's answer.
//!
//! The app uses it so that a hot name's expiry in the cache costs one store read, not one per
//! worker. A waiter never waits past the bound given to [`Flights::new`], nor for a leader that
//! unwound without an answer: it then reads for itself.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The longest a waiter waits for the leader's answer before reading the store itself.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(10);

/// The reads in flight, by name.
pub(crate) struct Flights<T> {
    calls: Mutex<HashMap<String, Arc<Call<T>>>>,
    max_wait: Duration,
}

/// One read in flight and, once it is done, its answer.
struct Call<T> {
    state: Mutex<State<T>>,
    done: Condvar,
}

enum State<T> {
    Pending,
    Done(T),
    /// The leader unwound without an answer.
    Abandoned,
}

/// Who answered a [`Flights::run`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// This caller read (it led the flight, or read alone after a leader failed to answer).
    Read,
    /// Another caller's read answered this one.
    Shared,
}

impl<T: Clone> Flights<T> {
    /// No read in flight; a waiter waits at most `max_wait`.
    pub(crate) fn new(max_wait: Duration) -> Flights<T> {
        Flights {
            calls: Mutex::new(HashMap::new()),
            max_wait,
        }
    }

    /// `read`'s answer for `key`: this caller's own, or that of the read already in flight.
    pub(crate) fn run(&self, key: &str, read: impl FnOnce() -> T) -> (T, Role) {
        let (call, leader) = self.join(key);
        if !leader {
            return match call.wait(self.max_wait) {
                Some(value) => (value, Role::Shared),
                None => (read(), Role::Read),
            };
        }
        let lead = Lead {
            flights: self,
            key,
            call: &call,
        };
        let value = read();
        lead.call.finish(State::Done(value.clone()));
        (value, Role::Read)
    }

    /// Lets the next caller for `key` start a new read instead of joining the one in flight:
    /// after a write or a delete, a reader that comes later must not get an answer read
    /// before it (the callers already waiting are the app's to guard: see `App::delete`).
    pub(crate) fn forget(&self, key: &str) {
        self.calls.lock().unwrap().remove(key);
    }

    /// The call in flight for `key`, and whether this caller leads it (it did not exist).
    fn join(&self, key: &str) -> (Arc<Call<T>>, bool) {
        let mut calls = self.calls.lock().unwrap();
        if let Some(call) = calls.get(key) {
            return (call.clone(), false);
        }
        let call = Arc::new(Call {
            state: Mutex::new(State::Pending),
            done: Condvar::new(),
        });
        calls.insert(key.to_string(), call.clone());
        (call, true)
    }
}

impl<T: Clone> Call<T> {
    /// Publishes the answer (unless one is there) and wakes every waiter.
    fn finish(&self, end: State<T>) {
        let mut state = self.state.lock().unwrap();
        if matches!(*state, State::Pending) {
            *state = end;
        }
        drop(state);
        self.done.notify_all();
    }

    /// The leader's answer; `None` when it gave up or took longer than `max_wait`.
    fn wait(&self, max_wait: Duration) -> Option<T> {
        let deadline = Instant::now() + max_wait;
        let mut state = self.state.lock().unwrap();
        loop {
            match &*state {
                State::Done(value) => return Some(value.clone()),
                State::Abandoned => return None,
                State::Pending => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            state = self.done.wait_timeout(state, left).unwrap().0;
        }
    }
}

/// The leader's duty, done on drop so that it holds when the read panics too: take the call
/// out of the map (if it is still there) and wake the waiters.
struct Lead<'a, T: Clone> {
    flights: &'a Flights<T>,
    key: &'a str,
    call: &'a Arc<Call<T>>,
}

impl<T: Clone> Drop for Lead<'_, T> {
    fn drop(&mut self) {
        // A poisoned lock here means another thread panicked while holding it; the map is
        // still consistent (every change is one insert or remove), so carry on.
        let mut calls = self.flights.calls.lock().unwrap_or_else(|e| e.into_inner());
        if calls
            .get(self.key)
            .is_some_and(|c| Arc::ptr_eq(c, self.call))
        {
            calls.remove(self.key);
        }
        drop(calls);
        self.call.finish(State::Abandoned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;
    use std::thread;

    /// Runs `n` callers at once whose read takes `hold` and counts reads; the answers and roles.
    fn stampede(flights: &Flights<usize>, n: usize, hold: Duration) -> (Vec<(usize, Role)>, usize) {
        let reads = AtomicUsize::new(0);
        let start = Barrier::new(n);
        let answers = thread::scope(|s| {
            let callers: Vec<_> = (0..n)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        flights.run("hot", || {
                            thread::sleep(hold);
                            reads.fetch_add(1, Ordering::SeqCst) + 100
                        })
                    })
                })
                .collect();
            callers.into_iter().map(|c| c.join().unwrap()).collect()
        });
        (answers, reads.load(Ordering::SeqCst))
    }

    #[test]
    fn concurrent_callers_share_one_read() {
        let flights = Flights::new(MAX_WAIT);
        let (answers, reads) = stampede(&flights, 16, Duration::from_millis(300));
        assert_eq!(reads, 1, "{answers:?}");
        assert!(answers.iter().all(|&(v, _)| v == 100), "{answers:?}");
        let led = answers.iter().filter(|(_, r)| *r == Role::Read).count();
        assert_eq!(led, 1, "one leader, the others shared: {answers:?}");
        assert!(
            flights.calls.lock().unwrap().is_empty(),
            "nothing left behind"
        );
        // Later callers start a new read: a finished flight is not a cache.
        assert_eq!(flights.run("hot", || 7), (7, Role::Read));
    }

    #[test]
    fn a_waiter_stops_waiting_at_the_bound_and_reads_itself() {
        let flights = Flights::new(Duration::from_millis(50));
        let (answers, reads) = stampede(&flights, 2, Duration::from_millis(1_000));
        assert_eq!(reads, 2);
        assert!(answers.iter().all(|&(_, r)| r == Role::Read), "{answers:?}");
    }

    #[test]
    fn a_leader_that_panics_releases_its_waiters() {
        let flights = Flights::<u32>::new(MAX_WAIT);
        let started = Barrier::new(2);
        thread::scope(|s| {
            let leader = s.spawn(|| {
                flights.run("k", || {
                    started.wait();
                    thread::sleep(Duration::from_millis(200));
                    panic!("a deliberate panic in a store read (this test expects it)")
                })
            });
            started.wait();
            let waiter = s.spawn(|| flights.run("k", || 5));
            assert!(leader.join().is_err());
            assert_eq!(waiter.join().unwrap(), (5, Role::Read), "read itself");
        });
        assert!(flights.calls.lock().unwrap().is_empty());
    }

    #[test]
    fn forget_makes_the_next_caller_read_anew() {
        let flights = Flights::<u32>::new(MAX_WAIT);
        let started = Barrier::new(2);
        thread::scope(|s| {
            let old = s.spawn(|| {
                flights.run("k", || {
                    started.wait();
                    thread::sleep(Duration::from_millis(300));
                    1
                })
            });
            started.wait();
            flights.forget("k");
            assert_eq!(
                flights.run("k", || 2),
                (2, Role::Read),
                "did not join the old read"
            );
            assert_eq!(old.join().unwrap(), (1, Role::Read));
        });
    }
}
