//! A small FIFO connection pool, shared by the Riak clients and the cache.
//!
//! Why our own: the pool must hand out the *oldest* idle connection first (so every socket
//! stays warm and a dead one is found quickly), never return a broken connection, bound how many
//! exist, and count waits for `/metrics`. That is sixty lines; r2d2 would add a thread pool and
//! a reaper we do not need.
//!
//! A borrowed connection goes back to the pool when its guard drops, unless the borrower called
//! [`Pooled::mark_broken`] (e.g. after an I/O error) or its thread is unwinding from a panic
//! (the exchange on it may have stopped halfway): then it is closed.

use std::collections::VecDeque;
use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Makes new connections for a pool.
pub trait Connect: Send + Sync {
    type Socket: Send;
    /// Opens one connection (with whatever timeouts the connection needs).
    fn connect(&self) -> io::Result<Self::Socket>;
}

/// A bounded FIFO pool of connections made by `M`.
pub struct Pool<M: Connect> {
    maker: M,
    max: usize,
    state: Mutex<State<M::Socket>>,
    freed: Condvar,
    waits: AtomicU64,
}

struct State<C> {
    idle: VecDeque<C>,
    /// Connections currently borrowed.
    out: usize,
}

impl<M: Connect> Pool<M> {
    /// A pool holding at most `max` connections (idle plus borrowed).
    pub fn new(maker: M, max: usize) -> Pool<M> {
        Pool {
            maker,
            max: max.max(1),
            state: Mutex::new(State {
                idle: VecDeque::new(),
                out: 0,
            }),
            freed: Condvar::new(),
            waits: AtomicU64::new(0),
        }
    }

    /// Borrows the oldest idle connection, or opens one when under the bound, or waits up to
    /// `timeout` for one to be returned (then fails with `TimedOut`).
    pub fn get(&self, timeout: Duration) -> io::Result<Pooled<'_, M>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().unwrap();
        loop {
            if let Some(conn) = state.idle.pop_front() {
                state.out += 1;
                return Ok(self.guard(conn));
            }
            if state.idle.len() + state.out < self.max {
                state.out += 1;
                drop(state);
                return match self.maker.connect() {
                    Ok(conn) => Ok(self.guard(conn)),
                    Err(err) => {
                        self.give_back(None);
                        Err(err)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "pool exhausted"));
            }
            self.waits.fetch_add(1, Ordering::Relaxed);
            state = self.freed.wait_timeout(state, left).unwrap().0;
        }
    }

    /// Closes every idle connection (e.g. after the server behind them restarted).
    pub fn clear(&self) {
        self.state.lock().unwrap().idle.clear();
    }

    /// How often a borrower had to wait for a connection.
    pub fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    /// Idle and borrowed connections right now.
    #[cfg(test)]
    pub fn counts(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap();
        (state.idle.len(), state.out)
    }

    fn guard(&self, conn: M::Socket) -> Pooled<'_, M> {
        Pooled {
            pool: self,
            conn: Some(conn),
            broken: false,
        }
    }

    fn give_back(&self, conn: Option<M::Socket>) {
        let mut state = self.state.lock().unwrap();
        state.out -= 1;
        if let Some(conn) = conn {
            state.idle.push_back(conn);
        }
        drop(state);
        self.freed.notify_one();
    }
}

/// A borrowed connection; returns to the pool on drop unless marked broken or dropped by a
/// panicking thread.
pub struct Pooled<'a, M: Connect> {
    pool: &'a Pool<M>,
    conn: Option<M::Socket>,
    broken: bool,
}

impl<M: Connect> Pooled<'_, M> {
    /// The connection must not be reused: it is closed instead of returned.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

impl<M: Connect> Deref for Pooled<'_, M> {
    type Target = M::Socket;
    fn deref(&self) -> &M::Socket {
        self.conn.as_ref().expect("present until drop")
    }
}

impl<M: Connect> DerefMut for Pooled<'_, M> {
    fn deref_mut(&mut self) -> &mut M::Socket {
        self.conn.as_mut().expect("present until drop")
    }
}

impl<M: Connect> Drop for Pooled<'_, M> {
    fn drop(&mut self) {
        let reusable = !self.broken && !std::thread::panicking();
        let conn = self.conn.take().filter(|_| reusable);
        self.pool.give_back(conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Counter(AtomicUsize);
    impl Connect for Counter {
        type Socket = usize;
        fn connect(&self) -> io::Result<usize> {
            Ok(self.0.fetch_add(1, Ordering::SeqCst))
        }
    }

    #[test]
    fn hands_out_oldest_first_and_drops_broken() {
        let pool = Pool::new(Counter(AtomicUsize::new(0)), 2);
        assert_eq!(pool.waits(), 0);
        let (a, b) = (
            pool.get(Duration::ZERO).unwrap(),
            pool.get(Duration::ZERO).unwrap(),
        );
        assert_eq!((*a, *b), (0, 1));
        assert!(pool.get(Duration::from_millis(10)).is_err(), "bounded at 2");
        assert_eq!(pool.waits(), 1);
        drop(a);
        drop(b);
        assert_eq!(
            *pool.get(Duration::ZERO).unwrap(),
            0,
            "FIFO: 0 went back first"
        );
        let mut c = pool.get(Duration::ZERO).unwrap();
        assert_eq!(*c, 1);
        c.mark_broken();
        drop(c);
        assert_eq!(pool.counts(), (1, 0));
        let _d = pool.get(Duration::ZERO).unwrap();
        assert_eq!(
            *pool.get(Duration::ZERO).unwrap(),
            2,
            "the broken one was replaced"
        );
    }

    #[test]
    fn a_connection_held_by_a_panicking_thread_is_dropped_not_returned() {
        let pool = Pool::new(Counter(AtomicUsize::new(0)), 2);
        std::thread::scope(|s| {
            let failed = s.spawn(|| {
                let _conn = pool.get(Duration::ZERO).unwrap();
                panic!("mid-exchange");
            });
            assert!(failed.join().is_err());
        });
        assert_eq!(
            pool.counts(),
            (0, 0),
            "closed, and no longer counted as borrowed"
        );
        assert_eq!(*pool.get(Duration::ZERO).unwrap(), 1, "a new connection");
    }

    #[test]
    fn clear_closes_idle_connections_only() {
        let pool = Pool::new(Counter(AtomicUsize::new(0)), 3);
        let held = pool.get(Duration::ZERO).unwrap();
        drop(pool.get(Duration::ZERO).unwrap());
        assert_eq!(pool.counts(), (1, 1));
        pool.clear();
        assert_eq!(pool.counts(), (0, 1));
        drop(held);
        assert_eq!(pool.counts(), (1, 0), "a borrowed one still comes back");
        assert_eq!(*pool.get(Duration::ZERO).unwrap(), 0);
    }
}
