//! Activation functions of hidden neurons and their derivatives.

use crate::scenario::Activation;

impl Activation {
    /// `φ(z)`.
    #[inline]
    pub fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
            Activation::Relu => z.max(0.0),
            Activation::Identity => z,
        }
    }

    /// `φ'(z)`, computed from the pre-activation so that every engine uses the same formula.
    #[inline]
    pub fn derivative(self, z: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = z.tanh();
                1.0 - t * t
            }
            Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-z).exp());
                s * (1.0 - s)
            }
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
