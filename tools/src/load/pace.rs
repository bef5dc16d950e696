//! When each request of a load run is due: the one difference between closed and open loop.
//!
//! Closed loop (the default) sends the next request as soon as a worker is free: it finds the
//! peak throughput, but when the service stalls the client simply sends less, so the stall
//! hides in a few slow samples (coordinated omission). Open loop sends at a constant arrival
//! rate: request `i` is due at `start + i / rate` whatever happened before, and its latency
//! is measured from that due time, as wrk2 does, so time spent queueing (in the service, or
//! waiting for a free connection here) is counted. A request that cannot even start before
//! the run's hard stop is not sent but still counted, as late by at least the time it waited.

use std::time::{Duration, Instant};

/// How requests are paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Each worker sends its next request when the last one is answered.
    Closed,
    /// Requests are due at a constant rate, per second, whoever sends them.
    Open { rate: f64 },
}

/// What a worker does with the request number it drew.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    /// Send it; its latency counts from `due`.
    Send { due: Instant },
    /// It was due but the run's hard stop has passed: count it as unsent, late since `due`.
    Unsent { due: Instant },
    /// The run is over for this worker.
    Done,
}

/// The timetable of one run.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub pace: Pace,
    start: Instant,
    /// No request is due at or after this.
    deadline: Instant,
    /// Open loop only: requests still waiting for a connection now are not sent.
    hard_stop: Instant,
    /// How many requests the run has at most.
    pub total: u64,
}

impl Schedule {
    /// A run starting at `start` that lasts `duration` and has at most `limit` requests. In open
    /// loop the due requests still waiting for a connection get `grace` after the deadline.
    pub fn new(
        pace: Pace,
        start: Instant,
        duration: Duration,
        grace: Duration,
        limit: u64,
    ) -> Self {
        let total = match pace {
            Pace::Closed => limit,
            Pace::Open { rate } => limit.min((rate * duration.as_secs_f64()).ceil() as u64),
        };
        Schedule {
            pace,
            start,
            deadline: start + duration,
            hard_stop: start + duration + grace,
            total,
        }
    }

    /// What to do with request number `i`, drawn at `now`.
    pub fn slot(&self, i: u64, now: Instant) -> Slot {
        if i >= self.total {
            return Slot::Done;
        }
        match self.pace {
            Pace::Closed if now >= self.deadline => Slot::Done,
            Pace::Closed => Slot::Send { due: now },
            Pace::Open { rate } => {
                let due = self.start + Duration::from_secs_f64(i as f64 / rate);
                if due >= self.deadline {
                    Slot::Done
                } else if now >= self.hard_stop {
                    Slot::Unsent { due }
                } else {
                    Slot::Send { due }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn closed_loop_sends_now_until_the_deadline_or_the_count() {
        let start = Instant::now();
        let s = Schedule::new(Pace::Closed, start, 2 * S, S, 5);
        assert_eq!(s.slot(0, start + S), Slot::Send { due: start + S });
        assert_eq!(s.slot(5, start), Slot::Done);
        assert_eq!(s.slot(1, start + 2 * S), Slot::Done);
    }

    #[test]
    fn open_loop_keeps_its_timetable_whatever_happened() {
        let start = Instant::now();
        let s = Schedule::new(Pace::Open { rate: 10.0 }, start, 2 * S, S, u64::MAX);
        assert_eq!(s.total, 20);
        let due = start + Duration::from_millis(500);
        // Drawn on time, or long after (a stall): due at the same instant either way.
        assert_eq!(s.slot(5, start), Slot::Send { due });
        assert_eq!(s.slot(5, start + 2 * S), Slot::Send { due });
        assert_eq!(s.slot(5, start + 3 * S), Slot::Unsent { due });
        assert_eq!(s.slot(20, start), Slot::Done);
        let looped = Schedule::new(Pace::Open { rate: 10.0 }, start, 2 * S, S, 7);
        assert_eq!(looped.total, 7);
    }
}
