//! Synthetic classification datasets, drawn only from the data-generation stream.
//!
//! Each generator draws its samples in index order, so a dataset depends on nothing but its
//! parameters and the seed. The split shuffles them afterwards.

use std::f64::consts::PI;

use rand::Rng as _;

use super::{DataError, Table, MAX_CLASSES};
use crate::math::{self, Gaussian};
use crate::rng::{Purpose, Streams};

/// `samples` noisy corners of {-1, 1}²; class 1 when the two coordinates differ.
pub(super) fn xor(samples: usize, noise: f64, streams: &Streams) -> Result<Table, DataError> {
    let noise = gaussian("xor", "noise", noise)?;
    let mut rng = streams.stream(Purpose::DataGen);
    let mut table = Table::empty("xor", 2);
    for _ in 0..samples {
        let a: f64 = if rng.random() { 1.0 } else { -1.0 };
        let b: f64 = if rng.random() { 1.0 } else { -1.0 };
        let x = a + noise.sample(&mut rng);
        let y = b + noise.sample(&mut rng);
        table.push(&[x, y], usize::from(a != b));
    }
    Ok(table)
}

/// scikit-learn's `make_moons`: the first half of the samples on the upper moon `(cos t, sin t)`
/// (class 0), the rest on the lower moon `(1 − cos t, 0.5 − sin t)` (class 1), `t ~ U[0, π]`.
pub(super) fn moons(samples: usize, noise: f64, streams: &Streams) -> Result<Table, DataError> {
    let noise = gaussian("moons", "noise", noise)?;
    let mut rng = streams.stream(Purpose::DataGen);
    let mut table = Table::empty("moons", 2);
    for i in 0..samples {
        let t = rng.random_range(0.0..=PI);
        let (class, x, y) = if i < samples / 2 {
            (0, math::cos(t), math::sin(t))
        } else {
            (1, 1.0 - math::cos(t), 0.5 - math::sin(t))
        };
        let x = x + noise.sample(&mut rng);
        let y = y + noise.sample(&mut rng);
        table.push(&[x, y], class);
    }
    Ok(table)
}

/// `arms` interleaved spirals: sample `i` lies on arm `k = i % arms` at radius `r ~ U[0, 1)` and angle
/// `θ = k·2π/arms + 3π·r` (one and a half turns), plus noise; class `k`.
pub(super) fn spirals(
    samples: usize,
    arms: usize,
    noise: f64,
    streams: &Streams,
) -> Result<Table, DataError> {
    check_classes("spirals", "arms", arms)?;
    let noise = gaussian("spirals", "noise", noise)?;
    let mut rng = streams.stream(Purpose::DataGen);
    let mut table = Table::empty("spirals", 2);
    for i in 0..samples {
        let arm = i % arms;
        let r: f64 = rng.random();
        let theta = arm as f64 * 2.0 * PI / arms as f64 + 3.0 * PI * r;
        let x = r * theta.cos() + noise.sample(&mut rng);
        let y = r * theta.sin() + noise.sample(&mut rng);
        table.push(&[x, y], arm);
    }
    Ok(table)
}

/// `classes` isotropic Gaussian blobs with centres uniform in [-5, 5]^features, drawn before any
/// sample; sample `i` belongs to blob `i % classes`.
pub(super) fn blobs(
    samples: usize,
    classes: usize,
    features: usize,
    spread: f64,
    streams: &Streams,
) -> Result<Table, DataError> {
    check_classes("blobs", "classes", classes)?;
    if features == 0 {
        return Err(DataError::InvalidParameter {
            dataset: "blobs".to_string(),
            parameter: "features",
            value: features.to_string(),
            accepted: "at least 1",
        });
    }
    let spread = gaussian("blobs", "spread", spread)?;
    let mut rng = streams.stream(Purpose::DataGen);
    let centres: Vec<Vec<f64>> = (0..classes)
        .map(|_| {
            (0..features)
                .map(|_| rng.random_range(-5.0..=5.0))
                .collect()
        })
        .collect();
    let mut table = Table::empty("blobs", features);
    let mut point = vec![0.0; features];
    for i in 0..samples {
        let class = i % classes;
        for (p, c) in point.iter_mut().zip(&centres[class]) {
            *p = c + spread.sample(&mut rng);
        }
        table.push(&point, class);
    }
    Ok(table)
}

/// A centred Gaussian with standard deviation `std`, which may be 0 (no noise).
pub(super) fn gaussian(
    dataset: &str,
    parameter: &'static str,
    std: f64,
) -> Result<Gaussian, DataError> {
    let invalid = || DataError::InvalidParameter {
        dataset: dataset.to_string(),
        parameter,
        value: std.to_string(),
        accepted: "a finite standard deviation ≥ 0",
    };
    if std.is_finite() && std >= 0.0 {
        Ok(Gaussian { std })
    } else {
        Err(invalid())
    }
}

fn check_classes(dataset: &str, parameter: &'static str, classes: usize) -> Result<(), DataError> {
    if (2..=MAX_CLASSES).contains(&classes) {
        Ok(())
    } else {
        Err(DataError::InvalidParameter {
            dataset: dataset.to_string(),
            parameter,
            value: classes.to_string(),
            accepted: "an integer from 2 to 1000",
        })
    }
}

impl Table {
    /// A table with features named `x0`, `x1`, …
    fn empty(name: &str, n_features: usize) -> Table {
        Table {
            name: name.to_string(),
            feature_names: (0..n_features).map(|j| format!("x{j}")).collect(),
            features: Vec::new(),
            labels: Vec::new(),
            n_targets: 0,
            targets: Vec::new(),
        }
    }

    fn push(&mut self, features: &[f64], label: usize) {
        self.features.extend_from_slice(features);
        self.labels.push(label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(t: &Table, classes: usize) -> Vec<usize> {
        let mut c = vec![0; classes];
        for &l in &t.labels {
            c[l] += 1;
        }
        c
    }

    fn check_shape(t: &Table, samples: usize, features: usize) {
        assert_eq!(t.labels.len(), samples);
        assert_eq!(t.features.len(), samples * features);
        assert_eq!(t.n_features(), features);
        assert!(t.features.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn xor_corners_and_classes() {
        let s = Streams::new(5);
        let t = xor(400, 0.1, &s).unwrap();
        check_shape(&t, 400, 2);
        let c = counts(&t, 2);
        assert!(c[0] > 150 && c[1] > 150, "{c:?}");
        // Without noise the points are the corners and the class is their XOR.
        let t = xor(50, 0.0, &s).unwrap();
        for i in 0..50 {
            let r = t.row(i);
            assert!(r.iter().all(|&x| x == 1.0 || x == -1.0), "{r:?}");
            assert_eq!(t.labels[i], usize::from(r[0] != r[1]));
        }
    }

    #[test]
    fn moons_halves_lie_on_their_moons() {
        let t = moons(101, 0.0, &Streams::new(5)).unwrap();
        check_shape(&t, 101, 2);
        assert_eq!(counts(&t, 2), [50, 51]);
        for i in 0..101 {
            let [x, y] = [t.row(i)[0], t.row(i)[1]];
            let (cx, cy) = if t.labels[i] == 0 {
                (0.0, 0.0)
            } else {
                (1.0, 0.5)
            };
            assert!(((x - cx).powi(2) + (y - cy).powi(2) - 1.0).abs() < 1e-12);
            if t.labels[i] == 0 {
                assert!(y >= 0.0);
            } else {
                assert!(y <= 0.5);
            }
        }
    }

    #[test]
    fn spirals_spread_evenly_over_arms() {
        let t = spirals(300, 3, 0.05, &Streams::new(5)).unwrap();
        check_shape(&t, 300, 2);
        assert_eq!(counts(&t, 3), [100, 100, 100]);
        let t = spirals(10, 2, 0.0, &Streams::new(5)).unwrap();
        assert!(t.features.iter().all(|x| x.abs() <= 1.0));
    }

    #[test]
    fn blobs_balance_and_zero_spread() {
        let t = blobs(100, 4, 3, 1.0, &Streams::new(5)).unwrap();
        check_shape(&t, 100, 3);
        assert_eq!(counts(&t, 4), [25, 25, 25, 25]);
        // With spread 0 every point is its centre, which lies in [-5, 5]^features.
        let t = blobs(20, 2, 5, 0.0, &Streams::new(5)).unwrap();
        for i in 0..20 {
            assert_eq!(t.row(i), t.row(i % 2));
            assert!(t.row(i).iter().all(|x| (-5.0..=5.0).contains(x)));
        }
        assert_ne!(t.row(0), t.row(1));
    }

    #[test]
    fn generators_use_only_the_data_stream() {
        // The same seed gives the same samples; another seed other samples.
        let a = xor(20, 0.1, &Streams::new(1)).unwrap();
        let b = xor(20, 0.1, &Streams::new(1)).unwrap();
        let c = xor(20, 0.1, &Streams::new(2)).unwrap();
        assert_eq!(a.features, b.features);
        assert_ne!(a.features, c.features);
    }

    #[test]
    fn bad_parameters_are_errors() {
        let s = Streams::new(0);
        let bad = [
            xor(10, -0.1, &s).err(),
            moons(10, f64::NAN, &s).err(),
            spirals(10, 1, 0.1, &s).err(),
            spirals(10, 0, 0.1, &s).err(),
            blobs(10, 1, 2, 1.0, &s).err(),
            blobs(10, 3, 0, 1.0, &s).err(),
            blobs(10, 3, 2, f64::INFINITY, &s).err(),
        ];
        for err in bad {
            let err = err.expect("expected an error");
            assert!(matches!(err, DataError::InvalidParameter { .. }), "{err}");
        }
    }
}
