//! The three matrix products of the dense code, over the first `n` columns (samples) of a batch.
//!
//! Weights of a block from layer `k` to layer `m` are an `n_m × n_k` matrix `W`; a layer's values
//! for a batch are an `n × capacity` matrix with one column per sample. [`Products::Portable`] runs
//! nalgebra's matrix-vector products one sample at a time, in a fixed summation order written in
//! plain Rust, so its results are the same bits on every machine; [`Products::Gemm`] hands the
//! whole batch to faer's matrix-matrix product, whose blocking, vector width and use of fused
//! multiply-add follow the CPU it runs on: the same bits on the same machine, possibly other last
//! bits on another.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::DMatrix;

/// How the dense code multiplies matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Products {
    /// One sample at a time with nalgebra's `gemv` and `ger` and a plain loop for `Wᵀ a`:
    /// `O(n_m · n_k)` per sample, identical results on every machine.
    Portable,
    /// faer's GEMM over the whole batch, on one thread: the same operation count, several times the
    /// throughput once the batch has a few dozen samples.
    Gemm,
}

/// The first `n` columns of `m`, as a faer view.
fn view(m: &DMatrix<f64>, n: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(&m.as_slice()[..m.nrows() * n], m.nrows(), n)
}

/// The first `n` columns of `m`, as a mutable faer view.
fn view_mut(m: &mut DMatrix<f64>, n: usize) -> MatMut<'_, f64> {
    let rows = m.nrows();
    MatMut::from_column_major_slice_mut(&mut m.as_mut_slice()[..rows * n], rows, n)
}

impl Products {
    /// Forward: `z[:, ..n] += W x[:, ..n]`.
    pub fn forward(self, z: &mut DMatrix<f64>, w: &DMatrix<f64>, x: &DMatrix<f64>, n: usize) {
        match self {
            Products::Portable => {
                for s in 0..n {
                    z.column_mut(s).gemv(1.0, w, &x.column(s), 1.0);
                }
            }
            Products::Gemm => matmul(
                view_mut(z, n),
                Accum::Add,
                view(w, w.ncols()),
                view(x, n),
                1.0,
                Par::Seq,
            ),
        }
    }

    /// Attention: `d[:, ..n] = Wᵀ a[:, ..n]`, or `+=` when `add`.
    pub fn backward(
        self,
        d: &mut DMatrix<f64>,
        w: &DMatrix<f64>,
        a: &DMatrix<f64>,
        n: usize,
        add: bool,
    ) {
        match self {
            Products::Portable => {
                let (rows, cols) = (a.nrows(), d.nrows());
                let w = w.as_slice();
                for s in 0..n {
                    let d = &mut d.as_mut_slice()[s * cols..(s + 1) * cols];
                    let a = &a.as_slice()[s * rows..(s + 1) * rows];
                    // Term by term from 0 (or onto what the earlier blocks paid), as the event
                    // engine adds the attention of a neuron's outgoing synapses in order. Not
                    // nalgebra's `gemv_tr`: its dot products add 8 or more terms in interleaved
                    // partial sums, and a block summed on its own and then added rounds
                    // differently too (skip connections). Column `j` of `W` is `j`'s outgoing
                    // weights; the sum stays in a register.
                    for (d, column) in d.iter_mut().zip(w.chunks_exact(rows)) {
                        let mut sum = if add { *d } else { 0.0 };
                        for (&w, &a) in column.iter().zip(a) {
                            sum += w * a;
                        }
                        *d = sum;
                    }
                }
            }
            Products::Gemm => matmul(
                view_mut(d, n),
                if add { Accum::Add } else { Accum::Replace },
                view(w, w.ncols()).transpose(),
                view(a, n),
                1.0,
                Par::Seq,
            ),
        }
    }

    /// Gradient: `g = α · d[:, ..n] x[:, ..n]ᵀ`, or `+=` when `add` (`g` is `n_m × n_k` like `W`).
    pub fn gradient(
        self,
        g: &mut DMatrix<f64>,
        alpha: f64,
        d: &DMatrix<f64>,
        x: &DMatrix<f64>,
        n: usize,
        add: bool,
    ) {
        match self {
            Products::Portable => {
                if !add {
                    g.fill(0.0);
                }
                for s in 0..n {
                    g.ger(alpha, &d.column(s), &x.column(s), 1.0);
                }
            }
            Products::Gemm => matmul(
                view_mut(g, g.ncols()),
                if add { Accum::Add } else { Accum::Replace },
                view(d, n),
                view(x, n).transpose(),
                alpha,
                Par::Seq,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: usize, cols: usize, seed: usize) -> DMatrix<f64> {
        DMatrix::from_fn(rows, cols, |r, c| {
            ((r * 31 + c * 17 + seed * 7) % 23) as f64 / 11.0 - 1.0
        })
    }

    /// Both kinds compute the same products, on the first `n` columns only.
    #[test]
    fn portable_and_gemm_agree() {
        let (m, k, cap, n) = (9, 7, 6, 4);
        let w = matrix(m, k, 1);
        let x = matrix(k, cap, 2);
        let a = matrix(m, cap, 3);
        let mut results = Vec::new();
        for products in [Products::Portable, Products::Gemm] {
            let mut z = matrix(m, cap, 4);
            products.forward(&mut z, &w, &x, n);
            let mut d = matrix(k, cap, 5);
            products.backward(&mut d, &w, &a, n, false);
            products.backward(&mut d, &w, &a, n, true);
            let mut g = matrix(m, k, 6);
            products.gradient(&mut g, 0.5, &a, &x, n, true);
            results.push((z, d, g));
        }
        let (p, q) = (&results[0], &results[1]);
        let close = |a: &DMatrix<f64>, b: &DMatrix<f64>| (a - b).abs().max() < 1e-13;
        assert!(close(&p.0, &q.0) && close(&p.1, &q.1) && close(&p.2, &q.2));
        // Columns past `n` are untouched.
        assert_eq!(p.0.column(5), matrix(m, cap, 4).column(5));
        let expected = matrix(m, cap, 4).columns(0, n) + &w * x.columns(0, n);
        assert!(close(&p.0.columns(0, n).into_owned(), &expected));
        let expected = (w.transpose() * a.columns(0, n)) * 2.0;
        assert!(close(&p.1.columns(0, n).into_owned(), &expected));
        let expected = matrix(m, k, 6) + a.columns(0, n) * x.columns(0, n).transpose() * 0.5;
        assert!(close(&p.2, &expected));
    }
}
