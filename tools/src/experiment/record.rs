//! What one run measured ([`Record`]) and how several runs spread ([`Spread`]): the data every
//! summary, table, chart and comparison of an experiment is made from.

use crate::experiment::chart;
use crate::experiment::probe::Costs;
use crate::load::report::Report;

/// One run of one configuration.
pub struct Record {
    pub config: String,
    pub description: String,
    pub run: usize,
    pub report: Report,
    /// What the run cost the service and memcached per request (`None` for the baseline).
    pub costs: Option<Costs>,
}

/// Median, lowest and highest of a set of runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

impl Spread {
    /// The spread of non-empty `values` (the median of an even count is the mean of the middle
    /// two).
    pub fn of(values: &[f64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Spread {
            median,
            low: sorted[0],
            high: sorted[n - 1],
        }
    }

    pub fn cell(&self) -> String {
        format!(
            "{} ({}–{})",
            chart::number(self.median),
            chart::number(self.low),
            chart::number(self.high)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_take_the_middle() {
        let s = Spread::of(&[3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.low, s.high), (2.0, 1.0, 3.0));
        assert_eq!(Spread::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(Spread::of(&[7.0]).median, 7.0);
    }
}
