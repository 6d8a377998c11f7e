//! The `sensors` regression: sensors scattered over the unit square read a smooth random field, and
//! the target is a nonlinear function of that field.
//!
//! The field of one sample is `f(p) = Σ_m a_m · cos(2π ω_m·p + φ_m)` over [`COMPONENTS`] fixed
//! low-frequency plane waves, with amplitudes `a_m ~ N(0, 1)` drawn per sample. The readings are
//! linear in the amplitudes, so a linear model can recover the field but not the target, which mixes
//! a saturating term with a product of amplitudes: hidden neurons are needed.

use std::f64::consts::PI;

use rand::Rng as _;

use super::synthetic::gaussian;
use super::{DataError, Table};
use crate::math;
use crate::rng::{Purpose, Streams};

/// Number of plane waves in the field.
const COMPONENTS: usize = 4;
/// Smallest and largest spatial frequency, in cycles per unit length.
const FREQUENCY: (f64, f64) = (0.5, 1.5);
/// `Var(tanh(a_1 + a_2)) + Var(a_3·a_4)` for independent standard normal amplitudes
/// (`E[tanh²(S)] ≈ 0.51998` for `S ~ N(0, 2)`, plus 1); the target is divided by its square root.
const TARGET_VARIANCE: f64 = 1.52;

/// Draws `samples` readings of `count` sensors with Gaussian measurement noise of std `noise`.
///
/// Everything comes from the data-generation stream, in this order: the sensor positions
/// `p_k ~ U[0, 1)²` (x then y, sensor by sensor); then for each component `m` its direction
/// `θ_m ~ U[(m−1)π/M, mπ/M)`, its frequency `r_m ~ U[0.5, 1.5]` (so `ω_m = r_m·(cos θ_m, sin θ_m)`)
/// and its phase `φ_m ~ U[0, 2π)`; then, sample by sample, the amplitudes `a_1..a_M ~ N(0, 1)` and
/// one noise draw per sensor. The target `y = (tanh(a_1 + a_2) + a_3·a_4) / √1.52` depends only on
/// the noise-free field and has mean 0 and variance 1.
pub(super) fn sensors(
    count: usize,
    samples: usize,
    noise: f64,
    streams: &Streams,
) -> Result<Table, DataError> {
    let invalid = |parameter, value: usize, accepted| DataError::InvalidParameter {
        dataset: "sensors".to_string(),
        parameter,
        value: value.to_string(),
        accepted,
    };
    if count == 0 {
        return Err(invalid("count", count, "an integer ≥ 1"));
    }
    if samples < 4 {
        return Err(invalid("samples", samples, "an integer ≥ 4"));
    }
    let noise = gaussian("sensors", "noise", noise)?;
    let mut rng = streams.stream(Purpose::DataGen);

    let positions: Vec<[f64; 2]> = (0..count)
        .map(|_| [rng.random::<f64>(), rng.random::<f64>()])
        .collect();
    let mut waves = [([0.0; 2], 0.0); COMPONENTS];
    for (m, (omega, phase)) in waves.iter_mut().enumerate() {
        // One direction per sector of the half circle keeps the waves distinct, so the readings
        // determine the amplitudes well.
        let theta = PI * (m as f64 + rng.random::<f64>()) / COMPONENTS as f64;
        let r = rng.random_range(FREQUENCY.0..=FREQUENCY.1);
        *omega = [r * math::cos(theta), r * math::sin(theta)];
        *phase = rng.random_range(0.0..2.0 * PI);
    }
    // basis[k][m] = cos(2π ω_m·p_k + φ_m): the field at sensor k is basis[k] · a.
    let basis: Vec<[f64; COMPONENTS]> = positions
        .iter()
        .map(|p| {
            waves.map(|(omega, phase)| {
                math::cos(2.0 * PI * (omega[0] * p[0] + omega[1] * p[1]) + phase)
            })
        })
        .collect();

    let mut table = Table {
        name: "sensors".to_string(),
        feature_names: (0..count).map(|k| format!("s{k}")).collect(),
        features: Vec::with_capacity(samples * count),
        labels: Vec::new(),
        n_targets: 1,
        targets: Vec::with_capacity(samples),
    };
    let scale = TARGET_VARIANCE.sqrt();
    for _ in 0..samples {
        let a: [f64; COMPONENTS] = std::array::from_fn(|_| math::standard_normal(&mut rng));
        for b in &basis {
            let field: f64 = b.iter().zip(&a).map(|(b, a)| b * a).sum();
            table.features.push(field + noise.sample(&mut rng));
        }
        table
            .targets
            .push((math::tanh(a[0] + a[1]) + a[2] * a[3]) / scale);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{load, Task};
    use crate::scenario::{DataSource, DataSpec, SplitOptions};

    fn spec(count: usize, samples: usize, noise: f64, standardize: bool) -> DataSpec {
        DataSpec {
            source: DataSource::Sensors {
                count,
                samples,
                noise,
            },
            split: SplitOptions {
                test_fraction: 0.2,
                standardize,
            },
        }
    }

    #[test]
    fn sensors_shape_names_and_finite_values() {
        for count in [1, 3, 16, 100] {
            let t = sensors(count, 50, 0.05, &Streams::new(4)).unwrap();
            assert_eq!(t.name, "sensors");
            assert_eq!(t.rows(), 50);
            assert_eq!(t.features.len(), 50 * count);
            assert_eq!(t.feature_names.len(), count);
            assert_eq!(t.feature_names[0], "s0");
            assert_eq!(t.feature_names[count - 1], format!("s{}", count - 1));
            assert_eq!(t.n_targets, 1);
            assert_eq!(t.targets.len(), 50);
            assert!(t.labels.is_empty());
            assert!(t.features.iter().chain(&t.targets).all(|x| x.is_finite()));
        }
    }

    #[test]
    fn sensors_same_seed_same_bits_other_seed_other_data() {
        let bits = |t: &Table| -> Vec<u64> {
            t.features
                .iter()
                .chain(&t.targets)
                .map(|x| x.to_bits())
                .collect()
        };
        let a = sensors(16, 40, 0.05, &Streams::new(9)).unwrap();
        let b = sensors(16, 40, 0.05, &Streams::new(9)).unwrap();
        let c = sensors(16, 40, 0.05, &Streams::new(10)).unwrap();
        assert_eq!(bits(&a), bits(&b));
        assert_ne!(a.features, c.features);
        assert_ne!(a.targets, c.targets);
    }

    #[test]
    fn sensors_noise_only_touches_the_readings() {
        // The draws line up whatever the noise, so the targets (of the noise-free field) agree and
        // the readings differ by the measurement noise alone.
        let clean = sensors(16, 500, 0.0, &Streams::new(2)).unwrap();
        let noisy = sensors(16, 500, 0.05, &Streams::new(2)).unwrap();
        assert_eq!(clean.targets, noisy.targets);
        let n = clean.features.len() as f64;
        let msd = clean
            .features
            .iter()
            .zip(&noisy.features)
            .map(|(c, y)| (c - y).powi(2))
            .sum::<f64>()
            / n;
        assert!(
            (msd.sqrt() - 0.05).abs() < 0.005,
            "noise std {}",
            msd.sqrt()
        );
        // The noise-free field is bounded by Σ|a_m|.
        assert!(clean.features.iter().all(|x| x.abs() < 4.0 * 6.0));
    }

    #[test]
    fn sensors_target_has_unit_variance() {
        let t = sensors(4, 20_000, 0.05, &Streams::new(1)).unwrap();
        let n = t.targets.len() as f64;
        let mean = t.targets.iter().sum::<f64>() / n;
        let var = t.targets.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var - 1.0).abs() < 0.1, "variance {var}");
    }

    #[test]
    fn sensors_bad_parameters_are_errors() {
        let s = Streams::new(0);
        for (err, parameter) in [
            (sensors(0, 100, 0.05, &s).err(), "count"),
            (sensors(16, 3, 0.05, &s).err(), "samples"),
            (sensors(16, 0, 0.05, &s).err(), "samples"),
            (sensors(16, 100, -0.1, &s).err(), "noise"),
            (sensors(16, 100, f64::NAN, &s).err(), "noise"),
            (sensors(16, 100, f64::INFINITY, &s).err(), "noise"),
        ] {
            let err = err.expect("expected an error");
            assert!(
                matches!(err, DataError::InvalidParameter { parameter: p, .. } if p == parameter),
                "{err}"
            );
            assert!(err.to_string().starts_with("sensors: "), "{err}");
        }
    }

    #[test]
    fn sensors_load_is_a_regression_with_raw_targets() {
        let d = load(&spec(16, 200, 0.05, true), &Streams::new(3)).unwrap();
        assert_eq!(d.name, "sensors");
        assert_eq!(d.task, Task::Regression { targets: 1 });
        assert_eq!(d.n_features(), 16);
        assert_eq!(d.n_outputs(), 1);
        assert_eq!((d.train.len(), d.test.len()), (160, 40));
        assert_eq!(d.feature_names[15], "s15");
        // Targets are the generated ones, unstandardized, each sample in exactly one split.
        let table = sensors(16, 200, 0.05, &Streams::new(3)).unwrap();
        let mut generated: Vec<u64> = table.targets.iter().map(|y| y.to_bits()).collect();
        let mut split: Vec<u64> = [&d.train, &d.test]
            .iter()
            .flat_map(|s| (0..s.len()).map(|i| s.targets(i)[0].to_bits()))
            .collect();
        generated.sort_unstable();
        split.sort_unstable();
        assert_eq!(generated, split);
        for s in [&d.train, &d.test] {
            for i in 0..s.len() {
                assert_eq!(s.label(i), None);
                assert!(s.features(i).iter().all(|x| x.is_finite()));
            }
        }
        // Features are standardized on the training split.
        for j in 0..16 {
            let mean = (0..d.train.len())
                .map(|i| d.train.features(i)[j])
                .sum::<f64>()
                / d.train.len() as f64;
            assert!(mean.abs() < 1e-9, "s{j}: mean {mean}");
        }
        // Without standardization the features are the raw readings.
        let raw = load(&spec(16, 200, 0.05, false), &Streams::new(3)).unwrap();
        let mut raw_features: Vec<u64> = (0..raw.train.len())
            .flat_map(|i| raw.train.features(i).to_vec())
            .chain((0..raw.test.len()).flat_map(|i| raw.test.features(i).to_vec()))
            .map(f64::to_bits)
            .collect();
        let mut table_features: Vec<u64> = table.features.iter().map(|x| x.to_bits()).collect();
        raw_features.sort_unstable();
        table_features.sort_unstable();
        assert_eq!(raw_features, table_features);
    }
}
