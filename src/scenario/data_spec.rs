//! The `data` field: where the samples come from, and how they are split and scaled.
//!
//! In code a [`DataSpec`] is a [`DataSource`] plus the [`SplitOptions`] every source shares. In RON the
//! split options are written inside the source, as they always were
//! (`Xor(samples: 400, test_fraction: 0.25)`): a private wire enum ([`Wire`]) keeps that syntax and
//! converts both ways, so files, `resolved.ron` and the docs read exactly as before.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A data source with its train/test split options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "Wire", into = "Wire")]
pub struct DataSpec {
    /// Where the samples come from.
    pub source: DataSource,
    /// How they are split into training and test samples, and scaled.
    pub split: SplitOptions,
}

/// How the samples of any source are split and scaled. Every source splits into train and test with
/// `test_fraction` using the scenario's split stream, and standardizes features on the training split
/// unless `standardize: false`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitOptions {
    /// Fraction of samples held out for testing, in (0, 1). Default `0.2`.
    pub test_fraction: f64,
    /// Standardize features on the training split. Default `true`.
    pub standardize: bool,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            test_fraction: default_test_fraction(),
            standardize: true,
        }
    }
}

/// Where the samples come from.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// A dataset bundled in the binary: `"digits"`, `"iris"` or `"wine"`.
    Builtin {
        /// Dataset name.
        name: String,
    },
    /// A classification CSV file with a header row; every column but the label is a numeric feature.
    Csv {
        /// Path to the file, relative to the scenario file's folder.
        path: PathBuf,
        /// Header name of the integer class column. Default `"label"`.
        label_column: String,
    },
    /// Two noisy inputs in {-1, 1}², class = their XOR.
    Xor {
        /// Number of samples.
        samples: usize,
        /// Standard deviation of the Gaussian noise added to each coordinate. Default `0.1`.
        noise: f64,
    },
    /// Two interleaving half circles, two classes.
    Moons {
        /// Number of samples.
        samples: usize,
        /// Standard deviation of the Gaussian noise. Default `0.1`.
        noise: f64,
    },
    /// Interleaved spiral arms in the plane, one class per arm.
    Spirals {
        /// Number of samples.
        samples: usize,
        /// Number of arms (classes), 2 to 1000. Default `2`.
        arms: usize,
        /// Standard deviation of the Gaussian noise. Default `0.1`.
        noise: f64,
    },
    /// Isotropic Gaussian blobs, one class per blob, centres drawn uniformly in [-5, 5]^features.
    Blobs {
        /// Number of samples.
        samples: usize,
        /// Number of blobs (classes), 2 to 1000. Default `3`.
        classes: usize,
        /// Number of features, at least 1. Default `2`.
        features: usize,
        /// Standard deviation of each blob. Default `1.0`.
        spread: f64,
    },
    /// Sensors sampling a smooth random field; the target is a nonlinear function of the field
    /// (regression).
    Sensors {
        /// Number of sensors (features), at least 1.
        count: usize,
        /// Number of samples.
        samples: usize,
        /// Standard deviation of the Gaussian measurement noise on each sensor reading. Default
        /// `0.05`.
        noise: f64,
    },
    /// A sequence of tasks made from another source, trained one after another (continual
    /// learning): `learning.epochs` passes over each task's training samples, then the next task.
    /// The base source's split options are the split options of the whole (the base is split and
    /// standardized first, then cut into tasks), so `DataSpec::split` holds the base's.
    Tasks {
        /// The source the tasks are made from: any source but `Tasks`.
        base: Box<DataSpec>,
        /// How the base data is cut into tasks.
        split: TaskSplit,
        /// How the tasks share the output layer.
        mode: TaskMode,
    },
}

/// How a [`DataSource::Tasks`] cuts its base data into tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TaskSplit {
    /// One task per list, holding the samples of the classes it names, in the order written:
    /// `Classes([[0, 1], [2, 3]])`. A class may be in one task only.
    Classes(Vec<Vec<usize>>),
    /// The classes of the base data in a random order drawn from the seed (the
    /// [`crate::rng::Purpose::TaskClasses`] stream), cut into tasks of `per_task` classes: the
    /// authors' seed-dependent pairing of digits is `RandomClasses(per_task: 2)`. `per_task` must
    /// divide the number of classes.
    RandomClasses {
        /// Classes per task, at least 1.
        per_task: usize,
    },
    /// `count` tasks, each every sample of the base data with its features in a fixed random order
    /// (one permutation per task, drawn from the [`crate::rng::Purpose::TaskPermutations`] stream):
    /// permuted digits. Every task has every class (or, for a regression, every target).
    Permuted {
        /// Number of tasks, at least 1.
        count: usize,
    },
}

/// How the tasks of a [`DataSource::Tasks`] share the output layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskMode {
    /// Domain-incremental: one shared output per position in a task. Output `k` means "the `k`-th
    /// class of the sample's task", whatever the task (the authors' split-MNIST test: "is it the
    /// second digit of its pair"). For `Permuted`, output `k` is class `k`.
    Domain,
    /// Class-incremental: one output per class of every task (in the order the tasks list them),
    /// all active in training and evaluation: the network must also tell tasks apart.
    Class,
    /// Task-incremental: one head (a group of outputs, one per class of the task) per task;
    /// training and evaluation use the head of the sample's task only (softmax, loss, demands and
    /// prediction over that head; the other outputs are paid no demand).
    Task,
}

impl DataSpec {
    /// The path of the CSV data file the run reads, looking through `Tasks` into its base.
    pub fn csv_path(&self) -> Option<&Path> {
        match &self.source {
            DataSource::Csv { path, .. } => Some(path),
            DataSource::Tasks { base, .. } => base.csv_path(),
            _ => None,
        }
    }

    /// The path of a CSV data file, looking through `Tasks` into its base.
    pub fn csv_path_mut(&mut self) -> Option<&mut PathBuf> {
        match &mut self.source {
            DataSource::Csv { path, .. } => Some(path),
            DataSource::Tasks { base, .. } => base.csv_path_mut(),
            _ => None,
        }
    }
}

impl DataSource {
    /// How messages name the source: the file path for CSV, the dataset name otherwise.
    pub fn name(&self) -> String {
        match self {
            DataSource::Builtin { name } => name.clone(),
            DataSource::Csv { path, .. } => path.display().to_string(),
            DataSource::Xor { .. } => "xor".to_string(),
            DataSource::Moons { .. } => "moons".to_string(),
            DataSource::Spirals { .. } => "spirals".to_string(),
            DataSource::Blobs { .. } => "blobs".to_string(),
            DataSource::Sensors { .. } => "sensors".to_string(),
            DataSource::Tasks { base, .. } => base.source.name(),
        }
    }

    /// Samples and features of a synthetic source, known before anything is drawn; `None` for data
    /// read from a file or bundled in the binary, and for tasks (the base's size is its own).
    pub fn synthetic_size(&self) -> Option<(usize, usize)> {
        match *self {
            DataSource::Builtin { .. } | DataSource::Csv { .. } | DataSource::Tasks { .. } => None,
            DataSource::Xor { samples, .. }
            | DataSource::Moons { samples, .. }
            | DataSource::Spirals { samples, .. } => Some((samples, 2)),
            DataSource::Blobs {
                samples, features, ..
            } => Some((samples, features)),
            DataSource::Sensors { count, samples, .. } => Some((samples, count)),
        }
    }
}

/// The RON form of [`DataSpec`]: one variant per source, each with the split options inline. Only
/// serde sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "DataSpec")]
enum Wire {
    Builtin {
        name: String,
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        #[serde(default = "default_true")]
        standardize: bool,
    },
    Csv {
        path: PathBuf,
        #[serde(default = "default_label_column")]
        label_column: String,
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        #[serde(default = "default_true")]
        standardize: bool,
    },
    Xor {
        samples: usize,
        #[serde(default = "default_noise")]
        noise: f64,
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        #[serde(default = "default_true")]
        standardize: bool,
    },
    Moons {
        samples: usize,
        #[serde(default = "default_noise")]
        noise: f64,
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        #[serde(default = "default_true")]
        standardize: bool,
    },
    Spirals {
        samples: usize,
        #[serde(default = "default_two")]
        arms: usize,
        #[serde(default = "default_noise")]
        noise: f64,
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        #[serde(default = "default_true")]
        standardize: bool,
    },
    Blobs {
        samples: usize,
        #[serde(default = "default_three")]
        classes: usize,
        #[serde(default = "default_two")]
        features: usize,
        #[serde(default = "default_spread")]
        spread: f64,
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        #[serde(default = "default_true")]
        standardize: bool,
    },
    Sensors {
        count: usize,
        samples: usize,
        #[serde(default = "default_sensor_noise")]
        noise: f64,
        #[serde(default = "default_test_fraction")]
        test_fraction: f64,
        #[serde(default = "default_true")]
        standardize: bool,
    },
    Tasks {
        base: Box<DataSpec>,
        split: TaskSplit,
        mode: TaskMode,
    },
}

impl From<Wire> for DataSpec {
    fn from(wire: Wire) -> DataSpec {
        let (source, test_fraction, standardize) = match wire {
            Wire::Tasks { base, split, mode } => {
                let SplitOptions {
                    test_fraction,
                    standardize,
                } = base.split;
                (
                    DataSource::Tasks { base, split, mode },
                    test_fraction,
                    standardize,
                )
            }
            Wire::Builtin {
                name,
                test_fraction,
                standardize,
            } => (DataSource::Builtin { name }, test_fraction, standardize),
            Wire::Csv {
                path,
                label_column,
                test_fraction,
                standardize,
            } => (
                DataSource::Csv { path, label_column },
                test_fraction,
                standardize,
            ),
            Wire::Xor {
                samples,
                noise,
                test_fraction,
                standardize,
            } => (
                DataSource::Xor { samples, noise },
                test_fraction,
                standardize,
            ),
            Wire::Moons {
                samples,
                noise,
                test_fraction,
                standardize,
            } => (
                DataSource::Moons { samples, noise },
                test_fraction,
                standardize,
            ),
            Wire::Spirals {
                samples,
                arms,
                noise,
                test_fraction,
                standardize,
            } => (
                DataSource::Spirals {
                    samples,
                    arms,
                    noise,
                },
                test_fraction,
                standardize,
            ),
            Wire::Blobs {
                samples,
                classes,
                features,
                spread,
                test_fraction,
                standardize,
            } => (
                DataSource::Blobs {
                    samples,
                    classes,
                    features,
                    spread,
                },
                test_fraction,
                standardize,
            ),
            Wire::Sensors {
                count,
                samples,
                noise,
                test_fraction,
                standardize,
            } => (
                DataSource::Sensors {
                    count,
                    samples,
                    noise,
                },
                test_fraction,
                standardize,
            ),
        };
        DataSpec {
            source,
            split: SplitOptions {
                test_fraction,
                standardize,
            },
        }
    }
}

impl From<DataSpec> for Wire {
    fn from(spec: DataSpec) -> Wire {
        let SplitOptions {
            test_fraction,
            standardize,
        } = spec.split;
        match spec.source {
            DataSource::Builtin { name } => Wire::Builtin {
                name,
                test_fraction,
                standardize,
            },
            DataSource::Csv { path, label_column } => Wire::Csv {
                path,
                label_column,
                test_fraction,
                standardize,
            },
            DataSource::Xor { samples, noise } => Wire::Xor {
                samples,
                noise,
                test_fraction,
                standardize,
            },
            DataSource::Moons { samples, noise } => Wire::Moons {
                samples,
                noise,
                test_fraction,
                standardize,
            },
            DataSource::Spirals {
                samples,
                arms,
                noise,
            } => Wire::Spirals {
                samples,
                arms,
                noise,
                test_fraction,
                standardize,
            },
            DataSource::Blobs {
                samples,
                classes,
                features,
                spread,
            } => Wire::Blobs {
                samples,
                classes,
                features,
                spread,
                test_fraction,
                standardize,
            },
            DataSource::Sensors {
                count,
                samples,
                noise,
            } => Wire::Sensors {
                count,
                samples,
                noise,
                test_fraction,
                standardize,
            },
            // The split options are the base's, written inside it.
            DataSource::Tasks { base, split, mode } => Wire::Tasks { base, split, mode },
        }
    }
}

fn default_test_fraction() -> f64 {
    0.2
}
fn default_true() -> bool {
    true
}
fn default_label_column() -> String {
    "label".to_string()
}
fn default_noise() -> f64 {
    0.1
}
fn default_sensor_noise() -> f64 {
    0.05
}
fn default_spread() -> f64 {
    1.0
}
fn default_two() -> usize {
    2
}
fn default_three() -> usize {
    3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> DataSpec {
        ron::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_source_parses_with_its_defaults() {
        let split = SplitOptions::default();
        for (text, source) in [
            (
                "Builtin(name: \"iris\")",
                DataSource::Builtin {
                    name: "iris".into(),
                },
            ),
            (
                "Csv(path: \"x.csv\")",
                DataSource::Csv {
                    path: "x.csv".into(),
                    label_column: "label".into(),
                },
            ),
            (
                "Xor(samples: 8)",
                DataSource::Xor {
                    samples: 8,
                    noise: 0.1,
                },
            ),
            (
                "Moons(samples: 8)",
                DataSource::Moons {
                    samples: 8,
                    noise: 0.1,
                },
            ),
            (
                "Spirals(samples: 8)",
                DataSource::Spirals {
                    samples: 8,
                    arms: 2,
                    noise: 0.1,
                },
            ),
            (
                "Blobs(samples: 8)",
                DataSource::Blobs {
                    samples: 8,
                    classes: 3,
                    features: 2,
                    spread: 1.0,
                },
            ),
            (
                "Sensors(count: 3, samples: 8)",
                DataSource::Sensors {
                    count: 3,
                    samples: 8,
                    noise: 0.05,
                },
            ),
        ] {
            assert_eq!(parse(text), DataSpec { source, split }, "{text}");
        }
    }

    #[test]
    fn split_options_are_written_inside_every_source() {
        for head in [
            "Builtin(name: \"wine\"",
            "Csv(path: \"x.csv\", label_column: \"y\"",
            "Xor(samples: 8, noise: 0.5",
            "Moons(samples: 8",
            "Spirals(samples: 8, arms: 3",
            "Blobs(samples: 8, features: 4",
            "Sensors(count: 2, samples: 8",
        ] {
            let spec = parse(&format!("{head}, test_fraction: 0.3, standardize: false)"));
            assert_eq!(
                spec.split,
                SplitOptions {
                    test_fraction: 0.3,
                    standardize: false
                },
                "{head}"
            );
            // Written back in the same form, in the same field order.
            let text = ron::to_string(&spec).unwrap();
            assert!(
                text.ends_with("test_fraction:0.3,standardize:false)"),
                "{text}"
            );
            assert_eq!(parse(&text), spec);
        }
    }

    #[test]
    fn unknown_fields_and_sources_are_rejected() {
        for text in [
            "Xor(samples: 8, nosie: 0.1)",
            "Builtin(name: \"iris\", samples: 3)",
            "Mnist(samples: 8)",
            "Sensors(samples: 8)",
        ] {
            assert!(ron::from_str::<DataSpec>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn names_and_synthetic_sizes() {
        let s = |text: &str| parse(text).source;
        assert_eq!(s("Builtin(name: \"iris\")").name(), "iris");
        assert_eq!(s("Csv(path: \"d/x.csv\")").name(), "d/x.csv");
        assert_eq!(
            s("Blobs(samples: 9, features: 7)").synthetic_size(),
            Some((9, 7))
        );
        assert_eq!(
            s("Sensors(count: 5, samples: 9)").synthetic_size(),
            Some((9, 5))
        );
        assert_eq!(s("Xor(samples: 9)").synthetic_size(), Some((9, 2)));
        assert_eq!(s("Builtin(name: \"iris\")").synthetic_size(), None);
    }
}
