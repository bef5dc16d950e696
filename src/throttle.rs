//! A warning that may happen thousands of times a second, logged at most once per interval with
//! how often it happened since the last line, so no client can flood the log.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts occurrences and says when a log line is due.
pub(crate) struct Throttle {
    every: Duration,
    /// When the last line was due, and the occurrences since.
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttle {
    /// At most one line per `every`.
    pub(crate) const fn new(every: Duration) -> Throttle {
        Throttle {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// Counts one occurrence at `now`; when a line is due, returns the occurrences it reports
    /// (this one and those not reported yet).
    pub(crate) fn hit(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap();
        state.1 += 1;
        if state
            .0
            .is_some_and(|last| now.duration_since(last) < self.every)
        {
            return None;
        }
        state.0 = Some(now);
        Some(std::mem::take(&mut state.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_count() {
        let throttle = Throttle::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(throttle.hit(start), Some(1), "the first is told at once");
        for ms in 1..=41_933u64 {
            assert_eq!(throttle.hit(start + Duration::from_micros(ms * 100)), None);
        }
        let due = start + Duration::from_secs(10);
        assert_eq!(throttle.hit(due), Some(41_934), "the rest, counted");
        assert_eq!(throttle.hit(due), None);
    }
}
