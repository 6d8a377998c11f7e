//! The loss agent's arithmetic: task loss, predictions and the output neurons' demands.
//!
//! Output neurons are linear (`x = z`). The loss agent receives their values and the sample's target
//! and answers each output neuron `j` with its demand `d_j = −∂L/∂z_j`. There is one softmax
//! ([`softmax`]); training, evaluation and gradient alignment all go through
//! [`OutputKind::predict`], so they agree to the bit.

use std::ops::Range;

use crate::scenario::OutputKind;

/// Writes `softmax(z)` into `p` and returns `log Σ_k exp(z_k)`, both computed from `z − max z` so
/// that nothing overflows. `O(len)`, one `exp` per output and one `ln`.
pub fn softmax(z: &[f64], p: &mut [f64]) -> f64 {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (p, &z) in p.iter_mut().zip(z) {
        *p = crate::math::exp(z - max);
        sum += *p;
    }
    for p in p.iter_mut() {
        *p /= sum;
    }
    crate::math::ln(sum) + max
}

impl OutputKind {
    /// Writes the network's prediction for `outputs` into `prediction` (softmax probabilities for
    /// `Softmax`, the outputs themselves for `Linear`) and returns the loss against `target`.
    ///
    /// Softmax + cross-entropy: `L = −Σ y log p`. Linear: `L = ½‖x − y‖²`.
    pub fn predict(self, outputs: &[f64], target: &[f64], prediction: &mut [f64]) -> f64 {
        match self {
            OutputKind::Softmax => {
                let log_sum = softmax(outputs, prediction);
                let mut loss = 0.0;
                for (&z, &y) in outputs.iter().zip(target) {
                    if y != 0.0 {
                        loss -= y * (z - log_sum);
                    }
                }
                loss
            }
            OutputKind::Linear => {
                prediction.copy_from_slice(outputs);
                let mut loss = 0.0;
                for (&x, &y) in outputs.iter().zip(target) {
                    loss += 0.5 * (x - y) * (x - y);
                }
                loss
            }
        }
    }

    /// Writes the demands `−∂L/∂z` of `outputs` against `target` into `demands` and returns the loss:
    /// `d = y − p` for softmax + cross-entropy, `d = y − x` for a linear output.
    pub fn loss_and_demands(self, outputs: &[f64], target: &[f64], demands: &mut [f64]) -> f64 {
        let loss = self.predict(outputs, target, demands);
        for (d, &y) in demands.iter_mut().zip(target) {
            *d = y - *d;
        }
        loss
    }

    /// [`OutputKind::predict`] over the outputs in `head` only (a task's head in `Task` mode):
    /// the prediction and loss of those outputs, as if they were the whole output layer; the
    /// prediction of every other output is 0. With `head` the whole layer it is `predict`, bit for
    /// bit.
    pub fn predict_in(
        self,
        head: Range<usize>,
        outputs: &[f64],
        target: &[f64],
        prediction: &mut [f64],
    ) -> f64 {
        if head.start == 0 && head.end == outputs.len() {
            return self.predict(outputs, target, prediction);
        }
        prediction.fill(0.0);
        self.predict(
            &outputs[head.clone()],
            &target[head.clone()],
            &mut prediction[head],
        )
    }

    /// [`OutputKind::loss_and_demands`] over the outputs in `head` only: the loss and demands of
    /// those outputs, as if they were the whole output layer; every other output's demand is 0 (it
    /// learns nothing from the sample). With `head` the whole layer it is `loss_and_demands`, bit
    /// for bit.
    pub fn loss_and_demands_in(
        self,
        head: Range<usize>,
        outputs: &[f64],
        target: &[f64],
        demands: &mut [f64],
    ) -> f64 {
        if head.start == 0 && head.end == outputs.len() {
            return self.loss_and_demands(outputs, target, demands);
        }
        demands.fill(0.0);
        self.loss_and_demands(
            &outputs[head.clone()],
            &target[head.clone()],
            &mut demands[head],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loss alone, through a scratch buffer.
    fn loss(kind: OutputKind, z: &[f64], y: &[f64]) -> f64 {
        kind.predict(z, y, &mut vec![0.0; z.len()])
    }

    #[test]
    fn demands_are_minus_the_loss_gradient() {
        let z = [0.3, -1.2, 2.0];
        let y = [0.0, 0.0, 1.0];
        for kind in [OutputKind::Softmax, OutputKind::Linear] {
            let mut d = [0.0; 3];
            let l = kind.loss_and_demands(&z, &y, &mut d);
            assert_eq!(l, loss(kind, &z, &y));
            for k in 0..3 {
                let h = 1e-6;
                let mut zp = z;
                zp[k] += h;
                let mut zm = z;
                zm[k] -= h;
                let grad = (loss(kind, &zp, &y) - loss(kind, &zm, &y)) / (2.0 * h);
                assert!((d[k] + grad).abs() < 1e-6, "{kind:?} output {k}");
            }
        }
    }

    #[test]
    fn softmax_sums_to_one_and_survives_large_inputs() {
        let z = [1000.0, 999.0, -1000.0];
        let mut p = [0.0; 3];
        let log_sum = softmax(&z, &mut p);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(p[0] > p[1] && p[2] == 0.0);
        assert!((log_sum - (1000.0 + (1.0 + (-1.0f64).exp()).ln())).abs() < 1e-12);
    }

    #[test]
    fn a_head_is_a_smaller_output_layer() {
        let z = [0.3, -1.2, 2.0, 0.5, 0.1];
        let y = [0.0, 0.0, 0.0, 1.0, 0.0];
        let mut d = [9.0; 5];
        let l = OutputKind::Softmax.loss_and_demands_in(3..5, &z, &y, &mut d);
        let mut small = [0.0; 2];
        let expected = OutputKind::Softmax.loss_and_demands(&z[3..], &y[3..], &mut small);
        assert_eq!(l.to_bits(), expected.to_bits());
        assert_eq!(&d[..3], &[0.0; 3]);
        assert_eq!(&d[3..], &small);
        // The whole layer as a head is the layer.
        let mut whole = [0.0; 5];
        let mut plain = [0.0; 5];
        let a = OutputKind::Softmax.loss_and_demands_in(0..5, &z, &y, &mut whole);
        let b = OutputKind::Softmax.loss_and_demands(&z, &y, &mut plain);
        assert_eq!((a.to_bits(), whole), (b.to_bits(), plain));
        let mut p = [9.0; 5];
        let lp = OutputKind::Softmax.predict_in(3..5, &z, &y, &mut p);
        assert_eq!(lp.to_bits(), expected.to_bits());
        assert_eq!(&p[..3], &[0.0; 3]);
        assert!((p[3] + p[4] - 1.0).abs() < 1e-15);
    }
}
