//! The loss agent's arithmetic: task loss and the output neurons' demands.
//!
//! Output neurons are linear (`x = z`). The loss agent receives their values and the sample's target
//! and answers each output neuron `j` with its demand `d_j = −∂L/∂z_j`.

use crate::scenario::OutputKind;

impl OutputKind {
    /// Writes the demands `−∂L/∂z` of `outputs` against `target` into `demands` and returns the loss.
    ///
    /// Softmax + cross-entropy: `L = −Σ y log p`, `d = y − p`. Linear: `L = ½‖x − y‖²`, `d = y − x`.
    pub fn loss_and_demands(self, outputs: &[f64], target: &[f64], demands: &mut [f64]) -> f64 {
        match self {
            OutputKind::Softmax => {
                let max = outputs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for (d, &z) in demands.iter_mut().zip(outputs) {
                    *d = crate::math::exp(z - max);
                    sum += *d;
                }
                let log_sum = crate::math::ln(sum) + max;
                let mut loss = 0.0;
                for ((d, &z), &y) in demands.iter_mut().zip(outputs).zip(target) {
                    let p = *d / sum;
                    if y != 0.0 {
                        loss -= y * (z - log_sum);
                    }
                    *d = y - p;
                }
                loss
            }
            OutputKind::Linear => {
                let mut loss = 0.0;
                for ((d, &x), &y) in demands.iter_mut().zip(outputs).zip(target) {
                    *d = y - x;
                    loss += 0.5 * (x - y) * (x - y);
                }
                loss
            }
        }
    }

    /// The loss alone, without demands (evaluation).
    pub fn loss(self, outputs: &[f64], target: &[f64]) -> f64 {
        match self {
            OutputKind::Softmax => {
                let max = outputs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let log_sum = crate::math::ln(
                    outputs
                        .iter()
                        .map(|&z| crate::math::exp(z - max))
                        .sum::<f64>(),
                ) + max;
                outputs
                    .iter()
                    .zip(target)
                    .filter(|(_, &y)| y != 0.0)
                    .map(|(&z, &y)| -y * (z - log_sum))
                    .sum()
            }
            OutputKind::Linear => outputs
                .iter()
                .zip(target)
                .map(|(&x, &y)| 0.5 * (x - y) * (x - y))
                .sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demands_are_minus_the_loss_gradient() {
        let z = [0.3, -1.2, 2.0];
        let y = [0.0, 0.0, 1.0];
        for kind in [OutputKind::Softmax, OutputKind::Linear] {
            let mut d = [0.0; 3];
            let loss = kind.loss_and_demands(&z, &y, &mut d);
            assert!((loss - kind.loss(&z, &y)).abs() < 1e-12);
            for k in 0..3 {
                let h = 1e-6;
                let mut zp = z;
                zp[k] += h;
                let mut zm = z;
                zm[k] -= h;
                let grad = (kind.loss(&zp, &y) - kind.loss(&zm, &y)) / (2.0 * h);
                assert!((d[k] + grad).abs() < 1e-6, "{kind:?} output {k}");
            }
        }
    }
}
