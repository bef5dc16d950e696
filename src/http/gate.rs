//! The admission gate: at most `permits` requests handled at once (the worker count), the rest
//! waiting in arrival order, a bounded number of them for a bounded time; the others are shed
//! (docs/http.md).

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Bounds the requests handled at once and those waiting for their turn.
pub(crate) struct Gate {
    state: Mutex<State>,
    turn: Condvar,
    permits: usize,
    max_waiting: usize,
}

#[derive(Default)]
struct State {
    busy: usize,
    /// Tickets of the waiting requests, oldest first.
    queue: VecDeque<u64>,
    next_ticket: u64,
}

/// What became of a request at the gate.
pub(crate) enum Admission<'a> {
    /// A permit was free: go ahead.
    Now(Permit<'a>),
    /// The request waited its turn; its client may have gone meanwhile.
    AfterWait(Permit<'a>),
    /// Shed: the queue was full, or the wait passed its bound.
    Shed,
}

/// The right to run a handler; returned to the gate on drop.
pub(crate) struct Permit<'a>(&'a Gate);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.busy -= 1;
        if !state.queue.is_empty() {
            // Every waiter checks whether it is at the front; the queue is short by bound.
            self.0.turn.notify_all();
        }
    }
}

impl Gate {
    pub(crate) fn new(permits: usize, max_waiting: usize) -> Gate {
        Gate {
            state: Mutex::default(),
            turn: Condvar::new(),
            permits,
            max_waiting,
        }
    }

    /// Waits (at most `max_wait`) for a permit, in arrival order.
    pub(crate) fn enter(&self, max_wait: Duration) -> Admission<'_> {
        let mut state = self.lock();
        if state.busy < self.permits && state.queue.is_empty() {
            state.busy += 1;
            return Admission::Now(Permit(self));
        }
        if state.queue.len() >= self.max_waiting {
            return Admission::Shed;
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back(ticket);
        let until = Instant::now() + max_wait;
        loop {
            if state.busy < self.permits && state.queue.front() == Some(&ticket) {
                state.queue.pop_front();
                state.busy += 1;
                if state.busy < self.permits && !state.queue.is_empty() {
                    self.turn.notify_all();
                }
                return Admission::AfterWait(Permit(self));
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                state.queue.retain(|&t| t != ticket);
                // The next in line may now be at the front with a permit free.
                self.turn.notify_all();
                return Admission::Shed;
            }
            state = self
                .turn
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The state; a panic elsewhere never leaves it inconsistent, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn permits_bound_concurrency_and_a_full_queue_sheds() {
        let gate = Gate::new(1, 1);
        let first = gate.enter(Duration::ZERO);
        assert!(matches!(first, Admission::Now(_)));
        // One may wait (it gives up after 10 ms); while it waits, another is shed at once.
        std::thread::scope(|s| {
            let waiter =
                s.spawn(|| matches!(gate.enter(Duration::from_millis(300)), Admission::Shed));
            while gate.lock().queue.is_empty() {
                std::thread::yield_now();
            }
            let started = Instant::now();
            assert!(matches!(
                gate.enter(Duration::from_secs(5)),
                Admission::Shed
            ));
            assert!(started.elapsed() < Duration::from_secs(1), "shed at once");
            assert!(waiter.join().unwrap(), "timed out waiting");
        });
        drop(first);
        assert!(matches!(gate.enter(Duration::ZERO), Admission::Now(_)));
    }

    #[test]
    fn waiters_are_admitted_in_order_and_never_over_the_bound() {
        let gate = Gate::new(2, 64);
        let (running, most, order) = (AtomicUsize::new(0), AtomicUsize::new(0), Mutex::new(vec![]));
        std::thread::scope(|s| {
            for i in 0..16 {
                let (gate, running, most, order) = (&gate, &running, &most, &order);
                s.spawn(move || {
                    let (Admission::Now(permit) | Admission::AfterWait(permit)) =
                        gate.enter(Duration::from_secs(30))
                    else {
                        panic!("shed within bounds");
                    };
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    order.lock().unwrap().push(i);
                    std::thread::sleep(Duration::from_millis(2));
                    running.fetch_sub(1, Ordering::SeqCst);
                    drop(permit);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(order.lock().unwrap().len(), 16);
        assert_eq!(gate.lock().busy, 0);
    }
}
