//! Activation functions of hidden neurons and their derivatives.

use crate::scenario::Activation;

impl Activation {
    /// `φ(z)`.
    #[inline]
    pub fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => crate::math::tanh(z),
            Activation::Sigmoid => 1.0 / (1.0 + crate::math::exp(-z)),
            Activation::Relu => z.max(0.0),
            Activation::Identity => z,
        }
    }

    /// `φ'(z)` from the pre-activation.
    #[inline]
    pub fn derivative(self, z: f64) -> f64 {
        self.derivative_at(z, self.apply(z))
    }

    /// `φ'(z)` given `x = φ(z)` too, which saves recomputing `tanh` or the sigmoid: every engine uses
    /// this one formula, so they agree to the bit.
    #[inline]
    pub fn derivative_at(self, z: f64, x: f64) -> f64 {
        match self {
            Activation::Tanh => 1.0 - x * x,
            Activation::Sigmoid => x * (1.0 - x),
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Identity => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        for act in [
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Relu,
            Activation::Identity,
        ] {
            for &z in &[-2.0, -0.3, 0.4, 1.7] {
                let h = 1e-6;
                let numeric = (act.apply(z + h) - act.apply(z - h)) / (2.0 * h);
                assert!((numeric - act.derivative(z)).abs() < 1e-6, "{act:?} at {z}");
            }
        }
    }
}
