//! Checks of the `data` field: the source's parameters and the split options; the checks of
//! `Tasks` that need no data are in `data/tasks.rs`.

mod tasks;

use super::{ron_str, Problems, F};
use crate::scenario::{DataSource, DataSpec};

/// Datasets bundled in the binary, accepted by `Builtin(name: ...)`.
const BUILTIN_DATASETS: [&str; 3] = ["digits", "iris", "wine"];
/// Fewest samples a synthetic data set may have (so both splits can hold some).
const MIN_SAMPLES: usize = 4;
/// Most classes (blobs, spiral arms) a synthetic data set may have.
const MAX_CLASSES: usize = 1000;

pub(super) fn check(out: &mut Problems, data: &DataSpec) {
    check_at(out, "data", data);
}

/// Checks the data spec written at `at` (`data`, or `data.base` inside `Tasks`).
fn check_at(out: &mut Problems, at: &str, data: &DataSpec) {
    let path = |field: &str| format!("{at}.{field}");
    match &data.source {
        DataSource::Builtin { name } => {
            if !BUILTIN_DATASETS.contains(&name.as_str()) {
                let list: Vec<String> = BUILTIN_DATASETS.iter().map(|d| ron_str(d)).collect();
                out.push(
                    path("name"),
                    ron_str(name),
                    format!("one of {}", list.join(", ")),
                );
            }
        }
        DataSource::Csv { label_column, .. } => {
            if label_column.is_empty() {
                out.push(
                    path("label_column"),
                    ron_str(label_column),
                    "a non-empty column name",
                );
            }
        }
        DataSource::Xor { samples, noise } | DataSource::Moons { samples, noise } => {
            check_samples(out, at, *samples);
            check_noise(out, at, *noise);
        }
        DataSource::Spirals {
            samples,
            arms,
            noise,
        } => {
            check_samples(out, at, *samples);
            check_classes(out, &path("arms"), *arms);
            check_noise(out, at, *noise);
        }
        DataSource::Blobs {
            samples,
            classes,
            features,
            spread,
        } => {
            check_samples(out, at, *samples);
            check_classes(out, &path("classes"), *classes);
            if *features < 1 {
                out.push(path("features"), features, "an integer ≥ 1");
            }
            if !(spread.is_finite() && *spread > 0.0) {
                out.push(path("spread"), F(*spread), "a finite number > 0");
            }
        }
        DataSource::Sensors {
            count,
            samples,
            noise,
        } => {
            if *count < 1 {
                out.push(path("count"), count, "an integer ≥ 1");
            }
            check_samples(out, at, *samples);
            check_noise(out, at, *noise);
        }
        DataSource::Tasks { base, split, mode } => {
            if matches!(base.source, DataSource::Tasks { .. }) {
                out.push(
                    path("base"),
                    "Tasks(..)",
                    "a data source that is not Tasks (tasks of tasks are not supported)",
                );
            } else {
                check_at(out, &path("base"), base);
            }
            tasks::check(out, at, &base.source, split, *mode);
            // The split options are the base's, checked there.
            return;
        }
    }
    let test_fraction = data.split.test_fraction;
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        out.push(
            path("test_fraction"),
            F(test_fraction),
            "a fraction in the open interval (0, 1)",
        );
    }
}

fn check_samples(out: &mut Problems, at: &str, samples: usize) {
    if samples < MIN_SAMPLES {
        out.push(
            format!("{at}.samples"),
            samples,
            format!("an integer ≥ {MIN_SAMPLES}"),
        );
    }
}

fn check_classes(out: &mut Problems, path: &str, classes: usize) {
    if !(2..=MAX_CLASSES).contains(&classes) {
        out.push(path, classes, format!("an integer from 2 to {MAX_CLASSES}"));
    }
}

fn check_noise(out: &mut Problems, at: &str, noise: f64) {
    if !(noise.is_finite() && noise >= 0.0) {
        out.push(format!("{at}.noise"), F(noise), "a finite number ≥ 0");
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::test_util::*;

    #[test]
    fn scenario_every_data_variant_can_be_valid() {
        for d in [
            "Builtin(name: \"iris\")",
            "Builtin(name: \"wine\", test_fraction: 0.5, standardize: false)",
            "Csv(path: \"x.csv\")",
            "Csv(path: \"x.csv\", label_column: \"class\", test_fraction: 0.3)",
            "Xor(samples: 4, noise: 0.0)",
            "Moons(samples: 200, noise: 0.2)",
            "Spirals(samples: 300, arms: 3)",
            "Blobs(samples: 300, classes: 4, features: 1, spread: 0.5)",
        ] {
            assert_eq!(parse(&data(d)).unwrap().validate(), vec![], "{d}");
        }
    }

    #[test]
    fn scenario_test_fraction_rules() {
        for d in [
            "Builtin(name: \"iris\", test_fraction: 0.0)",
            "Csv(path: \"x.csv\", test_fraction: 0.0)",
            "Xor(samples: 100, test_fraction: 0.0)",
            "Moons(samples: 100, test_fraction: 0.0)",
            "Spirals(samples: 100, test_fraction: 0.0)",
            "Blobs(samples: 100, test_fraction: 0.0)",
        ] {
            one(
                &data(d),
                "data.test_fraction",
                "0.0",
                "a fraction in the open interval (0, 1)",
            );
        }
        one(
            &data("Xor(samples: 100, test_fraction: 1.0)"),
            "data.test_fraction",
            "1.0",
            "(0, 1)",
        );
        one(
            &data("Xor(samples: 100, test_fraction: -0.5)"),
            "data.test_fraction",
            "-0.5",
            "(0, 1)",
        );
        one(
            &data("Xor(samples: 100, test_fraction: NaN)"),
            "data.test_fraction",
            "NaN",
            "(0, 1)",
        );
    }

    #[test]
    fn scenario_synthetic_data_rules() {
        for d in [
            "Xor(samples: 3)",
            "Moons(samples: 0)",
            "Spirals(samples: 2)",
            "Blobs(samples: 1)",
        ] {
            let n = d.split(": ").nth(1).unwrap().trim_end_matches(')');
            one(&data(d), "data.samples", n, "an integer ≥ 4");
        }
        one(
            &data("Xor(samples: 100, noise: -0.1)"),
            "data.noise",
            "-0.1",
            "a finite number ≥ 0",
        );
        one(
            &data("Moons(samples: 100, noise: inf)"),
            "data.noise",
            "inf",
            "a finite number ≥ 0",
        );
        one(
            &data("Spirals(samples: 100, noise: NaN)"),
            "data.noise",
            "NaN",
            "≥ 0",
        );
        one(
            &data("Spirals(samples: 100, arms: 1)"),
            "data.arms",
            "1",
            "an integer from 2 to 1000",
        );
        one(
            &data("Blobs(samples: 100, classes: 1)"),
            "data.classes",
            "1",
            "an integer from 2 to 1000",
        );
        one(
            &data("Blobs(samples: 100, features: 0)"),
            "data.features",
            "0",
            "an integer ≥ 1",
        );
        one(
            &data("Blobs(samples: 100, spread: 0.0)"),
            "data.spread",
            "0.0",
            "a finite number > 0",
        );
        one(
            &data("Blobs(samples: 100, spread: -1.0)"),
            "data.spread",
            "-1.0",
            "> 0",
        );
        one(
            &data("Blobs(samples: 100, spread: inf)"),
            "data.spread",
            "inf",
            "> 0",
        );
    }

    #[test]
    fn scenario_builtin_and_csv_rules() {
        one(
            &data("Builtin(name: \"mnist\")"),
            "data.name",
            "\"mnist\"",
            "one of \"digits\", \"iris\", \"wine\"",
        );
        one(
            &data("Csv(path: \"x.csv\", label_column: \"\")"),
            "data.label_column",
            "\"\"",
            "a non-empty column name",
        );
        // A missing CSV file is not validate's concern.
        assert!(parse(&data("Csv(path: \"/does/not/exist.csv\")")).is_ok());
    }

    #[test]
    fn scenario_class_counts_are_bounded() {
        one(
            &data("Spirals(samples: 100, arms: 1001)"),
            "data.arms",
            "1001",
            "an integer from 2 to 1000",
        );
        one(
            &data("Blobs(samples: 100, classes: 5000)"),
            "data.classes",
            "5000",
            "an integer from 2 to 1000",
        );
        valid(&data("Blobs(samples: 100, classes: 1000)"));
    }

    #[test]
    fn scenario_sensors_rules() {
        valid(&text(
            "Sensors(count: 4, samples: 50, noise: 0.0)",
            "(hidden: [4], activation: Tanh, output: Linear)",
            LEARN,
            "",
        ));
        let ps = problems(&data(
            "Sensors(count: 0, samples: 3, noise: -1.0, test_fraction: 0.0)",
        ));
        let paths: Vec<&str> = ps.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "data.count",
                "data.samples",
                "data.noise",
                "data.test_fraction"
            ]
        );
    }
}
