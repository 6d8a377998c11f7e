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
}
