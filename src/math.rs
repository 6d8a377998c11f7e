//! Portable maths for everything that decides a seeded result.
//!
//! `f64::tanh`, `exp`, `ln`, `sin` and `cos` call the platform's C maths library, whose last bits
//! differ between platforms (glibc, musl, macOS, Windows). Every transcendental function on the
//! simulation path — activations, the loss, data generation, random delays and faults — goes
//! through this module instead, which uses the pure-Rust `libm` crate: the same bits on every
//! machine. `sqrt` and the four arithmetic operations are correctly rounded by IEEE 754 everywhere
//! and need no wrapper.
//!
//! The samplers here replace `rand_distr`'s Gaussian and exponential, whose ziggurat fallbacks call
//! the platform's `exp` and `ln`.

use rand::Rng;

/// `tanh(x)`.
#[inline]
pub fn tanh(x: f64) -> f64 {
    libm::tanh(x)
}

/// `eˣ`.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// The natural logarithm.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `sin(x)`.
#[inline]
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

/// `cos(x)`.
#[inline]
pub fn cos(x: f64) -> f64 {
    libm::cos(x)
}

/// The complementary error function `erfc(x) = 1 − erf(x)`.
#[inline]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// The standard normal distribution function `Φ(x)`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// `Φ⁻¹(p)` for `p` in (0, 1): Acklam's rational approximation (relative error below 1.2e-9)
/// refined by one Halley step on `Φ(x) − p`, which brings it to a few ulps.
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < LOW {
        tail((-2.0 * ln(p)).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * ln(1.0 - p)).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (std::f64::consts::TAU).sqrt() * exp(0.5 * x * x);
    x - u / (1.0 + 0.5 * x * u)
}

/// A uniform number in the half-open interval (0, 1]: never 0, so its logarithm is finite.
#[inline]
pub fn open_unit(rng: &mut impl Rng) -> f64 {
    1.0 - rng.random::<f64>()
}

/// A standard normal number (Box–Muller, two uniforms per draw).
pub fn standard_normal(rng: &mut impl Rng) -> f64 {
    let radius = (-2.0 * ln(open_unit(rng))).sqrt();
    let angle = std::f64::consts::TAU * rng.random::<f64>();
    radius * cos(angle)
}

/// A centred Gaussian with a standard deviation ≥ 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gaussian {
    /// Standard deviation.
    pub std: f64,
}

impl Gaussian {
    /// One draw: `std` times a standard normal number.
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        self.std * standard_normal(rng)
    }
}

/// An exponential number with the given mean (inverse transform of one uniform).
pub fn exponential(rng: &mut impl Rng, mean: f64) -> f64 {
    -mean * ln(open_unit(rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn samplers_have_the_right_moments() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 200_000;
        let normals: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = normals.iter().sum::<f64>() / n as f64;
        let var = normals.iter().map(|z| (z - mean) * (z - mean)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
            "{mean} {var}"
        );
        let exps: Vec<f64> = (0..n).map(|_| exponential(&mut rng, 2.5)).collect();
        let mean = exps.iter().sum::<f64>() / n as f64;
        assert!((mean - 2.5).abs() < 0.03 && exps.iter().all(|x| x.is_finite() && *x >= 0.0));
    }

    #[test]
    fn functions_agree_with_the_platform_to_rounding() {
        for &x in &[-3.0, -0.5, 0.0, 1e-9, 0.7, 2.0, 20.0] {
            assert!((tanh(x) - x.tanh()).abs() <= 1e-15);
            assert!((exp(x) - x.exp()).abs() <= 1e-15 * x.exp());
            assert!((sin(x) - x.sin()).abs() <= 1e-15 && (cos(x) - x.cos()).abs() <= 1e-15);
        }
        assert!((ln(2.0) - std::f64::consts::LN_2).abs() <= 1e-16);
        assert!((erfc(0.0) - 1.0).abs() <= 1e-16);
    }

    #[test]
    fn inverse_normal_cdf_inverts_the_distribution_function() {
        for &p in &[1e-12, 1e-6, 0.001, 0.02, 0.3, 0.5, 0.77, 0.99, 1.0 - 1e-9] {
            let x = inverse_normal_cdf(p);
            assert!((normal_cdf(x) - p).abs() <= 1e-14 * p.max(1e-3), "{p}: {x}");
        }
        assert_eq!(inverse_normal_cdf(0.5), 0.0);
    }
}
