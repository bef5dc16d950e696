//! A Zipf sampler that gives the same draws on every machine.
//!
//! Rank k (1-based) of n is drawn with probability proportional to k^-s. The weights need a
//! power function, and the platform's `powf` may differ in the last bit between C libraries,
//! which could move a draw across a bucket boundary. So `ln` and `exp` are written here with
//! basic IEEE arithmetic only (+, −, ×, ÷ and exact bit operations), which every platform rounds
//! the same way. Sampling is a binary search over the cumulative weights.

use crate::data::rng::Rng;

/// Draws 0-based ranks from a Zipf distribution.
#[derive(Debug, Clone)]
pub struct Zipf {
    /// `cdf[i]`: the sum of the weights of ranks 0..=i.
    cdf: Vec<f64>,
}

impl Zipf {
    /// A sampler over `n` (> 0) ranks with exponent `s` (>= 0; 0 is uniform).
    pub fn new(n: usize, s: f64) -> Zipf {
        assert!(n > 0 && s >= 0.0, "Zipf needs n > 0 and s >= 0");
        let mut total = 0.0;
        let cdf = (1..=n)
            .map(|k| {
                total += pow(k as f64, -s);
                total
            })
            .collect();
        Zipf { cdf }
    }

    /// A 0-based rank: 0 is the most frequent.
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cdf.last().expect("n > 0");
        let target = rng.unit() * total;
        self.cdf
            .partition_point(|&c| c <= target)
            .min(self.cdf.len() - 1)
    }

    /// The expected share of draws that fall on the `top` most frequent ranks.
    pub fn share_of_top(&self, top: usize) -> f64 {
        if top == 0 {
            return 0.0;
        }
        let top = top.min(self.cdf.len());
        self.cdf[top - 1] / self.cdf[self.cdf.len() - 1]
    }
}

/// `x^y` for `x` > 0, from the deterministic [`ln`] and [`exp`].
pub fn pow(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return 1.0;
    }
    exp(y * ln(x))
}

/// Natural logarithm of a positive, finite, normal `x`.
pub fn ln(x: f64) -> f64 {
    assert!(x > 0.0 && x.is_normal(), "ln({x})");
    // x = m * 2^e with m in [1, 2), then moved to [sqrt(1/2), sqrt(2)) to keep the series short.
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln(m) = 2 atanh(t) with t = (m-1)/(m+1), |t| <= 0.172: the series converges fast.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut term = t;
    let mut sum = 0.0;
    for k in 0..14 {
        sum += term / (2 * k + 1) as f64;
        term *= t2;
    }
    e as f64 * std::f64::consts::LN_2 + 2.0 * sum
}

/// `e^x` for `x` in about ±700 (beyond that the result under- or overflows anyway).
pub fn exp(x: f64) -> f64 {
    if x < -700.0 {
        return 0.0;
    }
    assert!(x <= 700.0, "exp({x}) overflows");
    // x = k ln2 + r with |r| <= ln2 / 2, so e^x = 2^k e^r, and e^r is a short Taylor series.
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..22 {
        term *= r / i as f64;
        sum += term;
    }
    sum * two_to(k as i64)
}

/// 2^k, exactly, for k in the normal range of f64 (built from bits, not a library call).
fn two_to(k: i64) -> f64 {
    let half = k / 2;
    // Split in two factors so that each stays a normal number.
    let factor = |p: i64| f64::from_bits(((p + 1023) as u64) << 52);
    factor(half) * factor(k - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_exp_and_pow_agree_with_the_platform_to_rounding() {
        for x in [1e-300, 0.001, 0.5, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e300] {
            let rel = (ln(x) - x.ln()).abs() / x.ln().abs().max(1.0);
            assert!(rel < 1e-14, "ln({x}) = {} vs {}", ln(x), x.ln());
        }
        for x in [-690.0, -20.0, -1.0, -1e-9, 0.0, 0.3, 1.0, 5.0, 300.0, 690.0] {
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            assert!(rel < 1e-13, "exp({x}) = {} vs {}", exp(x), x.exp());
        }
        assert_eq!(pow(7.0, 0.0), 1.0);
        assert!((pow(10000.0, -1.2) - 10000f64.powf(-1.2)).abs() < 1e-18);
    }

    #[test]
    fn draws_follow_the_expected_shares() {
        let zipf = Zipf::new(1000, 1.0);
        let mut rng = Rng::new(11);
        let mut counts = vec![0u32; 1000];
        let draws = 200_000;
        for _ in 0..draws {
            counts[zipf.sample(&mut rng)] += 1;
        }
        // For s = 1, rank 1 has 1/H(1000) = 13.4 % of the draws and the top 10 %, H(100)/H(1000).
        let top10: u32 = counts[..100].iter().sum();
        let want = zipf.share_of_top(100);
        assert!((want - 0.69299).abs() < 1e-5, "{want}");
        assert!((f64::from(top10) / draws as f64 - want).abs() < 0.01);
        assert!((f64::from(counts[0]) / draws as f64 - 0.1336).abs() < 0.005);
        assert!(
            counts.windows(2).take(5).all(|w| w[0] > w[1]),
            "{:?}",
            &counts[..6]
        );
    }

    #[test]
    fn exponent_zero_is_uniform() {
        let zipf = Zipf::new(10, 0.0);
        assert!((zipf.share_of_top(1) - 0.1).abs() < 1e-12);
        let mut rng = Rng::new(5);
        let mut counts = [0u32; 10];
        for _ in 0..50_000 {
            counts[zipf.sample(&mut rng)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (4_600..5_400).contains(&c)),
            "{counts:?}"
        );
    }
}
