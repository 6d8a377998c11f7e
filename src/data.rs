//! Datasets: where samples come from, the train/test split and feature standardization.
//!
//! [`load`] turns a [`DataSpec`] into a [`Dataset`]: it reads a bundled dataset (`digits`, `iris`,
//! `wine`), a user CSV file or draws a synthetic one (`xor`, `moons`, `spirals`, `blobs`, or the
//! `sensors` regression), shuffles
//! the samples with the scenario's split stream, holds out `test_fraction` of them for testing and,
//! unless told not to, standardizes every feature with the mean and standard deviation of the
//! training split. Synthetic data is drawn only from the data-generation stream, so the same spec and
//! seed always give the same dataset, bit for bit. Every failure is a [`DataError`] that names the
//! file, line, column and bad value where there is one. `docs/datasets.md` is the user-facing page.

mod builtin;
mod csv_file;
mod error;
mod sensors;
mod synthetic;
mod tasks;

use rand::seq::SliceRandom;

use crate::memory::Limit;
use crate::rng::{Purpose, Streams};
use crate::scenario::{DataShape, DataSource, DataSpec, SplitOptions, TaskKind};

pub use builtin::BUILTIN_NAMES;
pub use csv_file::{MAX_CLASSES, MAX_FILE_BYTES, MAX_ROW_PROBLEMS};
pub use error::DataError;
pub use tasks::TaskSet;

/// A dataset split into training and test samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// `"digits"`, `"iris"`, `"wine"`, the CSV file stem, `"xor"`, `"moons"`, `"spirals"`, `"blobs"`
    /// or `"sensors"`.
    pub name: String,
    /// One name per feature column, in order.
    pub feature_names: Vec<String>,
    /// What the outputs mean.
    pub task: Task,
    /// The samples to learn from.
    pub train: Split,
    /// The held-out samples.
    pub test: Split,
    /// The tasks, for a `Tasks` source (`None` otherwise): each task's samples, classes and mode.
    pub tasks: Option<TaskSet>,
}

impl Dataset {
    /// Number of input features (the width of the input layer).
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of outputs (the width of the output layer).
    pub fn n_outputs(&self) -> usize {
        self.task.outputs()
    }

    /// What the scenario checks need to know: widths, split sizes and task.
    pub fn shape(&self) -> DataShape {
        DataShape {
            features: self.n_features(),
            outputs: self.n_outputs(),
            train_samples: self.train.len(),
            test_samples: self.test.len(),
            task: match self.task {
                Task::Classification { .. } => TaskKind::Classification,
                Task::Regression { .. } => TaskKind::Regression,
            },
        }
    }
}

/// What the network learns to predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// One class per sample; targets are one-hot rows.
    Classification {
        /// Number of classes: the largest label plus one.
        classes: usize,
    },
    /// Real-valued targets.
    Regression {
        /// Number of target values per sample.
        targets: usize,
    },
}

impl Task {
    /// Number of outputs: the classes or the targets.
    pub fn outputs(&self) -> usize {
        match *self {
            Task::Classification { classes } => classes,
            Task::Regression { targets } => targets,
        }
    }
}

/// The samples of one side of the train/test split, stored row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    n_features: usize,
    n_outputs: usize,
    len: usize,
    /// `len × n_features`.
    features: Vec<f64>,
    /// `len × n_outputs`; one-hot rows for classification.
    targets: Vec<f64>,
    /// One class per sample for classification, empty for regression.
    labels: Vec<usize>,
    /// The task of each sample; empty without tasks.
    task_of: Vec<u32>,
    /// Number of tasks (1 without tasks).
    n_tasks: usize,
    /// The outputs each task's samples use (its head), in `Task` mode; empty when every sample uses
    /// every output.
    heads: Vec<std::ops::Range<usize>>,
}

impl Split {
    /// Builds a split from row-major features and targets and, for classification, one label per
    /// sample (empty for regression).
    ///
    /// # Panics
    /// When the lengths disagree or a width is 0: splits are built by this crate, not from user input.
    pub fn new(
        n_features: usize,
        n_outputs: usize,
        features: Vec<f64>,
        targets: Vec<f64>,
        labels: Vec<usize>,
    ) -> Split {
        assert!(
            n_features > 0 && n_outputs > 0,
            "a split needs features and outputs"
        );
        assert_eq!(features.len() % n_features, 0, "ragged feature rows");
        let len = features.len() / n_features;
        assert_eq!(
            targets.len(),
            len * n_outputs,
            "targets disagree with features"
        );
        assert!(
            labels.is_empty() || labels.len() == len,
            "labels disagree with features"
        );
        Split {
            n_features,
            n_outputs,
            len,
            features,
            targets,
            labels,
            task_of: Vec::new(),
            n_tasks: 1,
            heads: Vec::new(),
        }
    }

    /// The split with the task of each sample (`task_of`, each below `n_tasks`) and, in `Task`
    /// mode, the head (range of outputs) of each task (`heads` empty: every sample uses every
    /// output).
    ///
    /// # Panics
    /// When the lengths disagree or a task or head is out of range: built by this crate.
    pub fn with_tasks(
        mut self,
        task_of: Vec<u32>,
        n_tasks: usize,
        heads: Vec<std::ops::Range<usize>>,
    ) -> Split {
        assert_eq!(task_of.len(), self.len, "one task per sample");
        assert!(task_of.iter().all(|&t| (t as usize) < n_tasks), "task ids");
        assert!(
            heads.is_empty() || heads.len() == n_tasks,
            "one head per task"
        );
        assert!(
            heads
                .iter()
                .all(|h| h.start < h.end && h.end <= self.n_outputs),
            "heads within the outputs"
        );
        self.task_of = task_of;
        self.n_tasks = n_tasks;
        self.heads = heads;
        self
    }

    /// Number of tasks its samples belong to (1 without tasks).
    pub fn n_tasks(&self) -> usize {
        self.n_tasks
    }

    /// The task of sample `i` (0 without tasks).
    #[inline]
    pub fn task(&self, i: usize) -> usize {
        self.task_of.get(i).map_or(0, |&t| t as usize)
    }

    /// The outputs sample `i` is trained and evaluated on: its task's head in `Task` mode, every
    /// output otherwise.
    #[inline]
    pub fn head(&self, i: usize) -> std::ops::Range<usize> {
        if self.heads.is_empty() {
            0..self.n_outputs
        } else {
            self.heads[self.task(i)].clone()
        }
    }

    /// Whether some samples use only part of the outputs (`Task` mode).
    pub fn has_heads(&self) -> bool {
        !self.heads.is_empty()
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the split has no samples.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of features per sample.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of target values per sample.
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// The features of sample `i`. Panics when `i >= len()`.
    pub fn features(&self, i: usize) -> &[f64] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }

    /// The targets of sample `i` (one-hot for classification). Panics when `i >= len()`.
    pub fn targets(&self, i: usize) -> &[f64] {
        &self.targets[i * self.n_outputs..(i + 1) * self.n_outputs]
    }

    /// The class of sample `i`, or `None` for regression (or when `i >= len()`).
    pub fn label(&self, i: usize) -> Option<usize> {
        self.labels.get(i).copied()
    }
}

/// Samples before the split: what every source produces. A classification table has one label
/// per row and no targets; a regression table has `n_targets` targets per row and no labels.
struct Table {
    name: String,
    feature_names: Vec<String>,
    /// Row-major, `rows × feature_names.len()`.
    features: Vec<f64>,
    /// One class per row; empty for regression.
    labels: Vec<usize>,
    /// Targets per row for regression; 0 for classification.
    n_targets: usize,
    /// Row-major, `rows × n_targets`; empty for classification.
    targets: Vec<f64>,
}

impl Table {
    fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of samples.
    fn rows(&self) -> usize {
        self.features.len() / self.n_features()
    }

    fn row(&self, i: usize) -> &[f64] {
        let n = self.n_features();
        &self.features[i * n..(i + 1) * n]
    }
}

/// Loads, splits and (optionally) standardizes the dataset `spec` describes. Synthetic data comes from
/// the [`Purpose::DataGen`] stream and the split from the [`Purpose::Split`] stream of `streams`.
/// Data that would not fit in the memory this process may use ([`crate::memory::limit`]) is refused
/// before it is generated or, for a file, as soon as the rows read show it.
pub fn load(spec: &DataSpec, streams: &Streams) -> Result<Dataset, DataError> {
    let limit = crate::memory::limit().map_err(DataError::MemoryLimit)?;
    load_within(spec, streams, limit)
}

/// [`load`] with the memory limit given (`None` for none).
pub fn load_within(
    spec: &DataSpec,
    streams: &Streams,
    limit: Option<Limit>,
) -> Result<Dataset, DataError> {
    if let DataSource::Tasks { base, split, mode } = &spec.source {
        let base = load_within(base, streams, limit)?;
        return tasks::build(base, split, *mode, streams, limit);
    }
    let SplitOptions {
        test_fraction,
        standardize,
    } = spec.split;
    let source_name = spec.source.name();
    check_test_fraction(&source_name, test_fraction)?;
    if let Some((samples, features)) = spec.source.synthetic_size() {
        let outputs = match spec.source {
            DataSource::Spirals { arms, .. } => arms,
            DataSource::Blobs { classes, .. } => classes,
            DataSource::Sensors { .. } => 1,
            _ => 2,
        };
        check_fits(&source_name, samples, features, outputs, limit)?;
    }
    let table = match &spec.source {
        DataSource::Builtin { name } => builtin::load(name)?,
        DataSource::Csv { path, label_column } => csv_file::load(path, label_column, limit)?,
        DataSource::Xor { samples, noise } => synthetic::xor(*samples, *noise, streams)?,
        DataSource::Moons { samples, noise } => synthetic::moons(*samples, *noise, streams)?,
        DataSource::Spirals {
            samples,
            arms,
            noise,
        } => synthetic::spirals(*samples, *arms, *noise, streams)?,
        DataSource::Blobs {
            samples,
            classes,
            features,
            spread,
        } => synthetic::blobs(*samples, *classes, *features, *spread, streams)?,
        DataSource::Sensors {
            count,
            samples,
            noise,
        } => sensors::sensors(*count, *samples, *noise, streams)?,
        DataSource::Tasks { .. } => unreachable!("loaded above"),
    };
    let outputs = if table.n_targets > 0 {
        table.n_targets
    } else {
        table.labels.iter().max().map_or(0, |&m| m + 1)
    };
    check_fits(
        &source_name,
        table.rows(),
        table.n_features(),
        outputs,
        limit,
    )?;
    split(table, &source_name, test_fraction, standardize, streams)
}

/// Reads a classification CSV table from `input` (as [`load`] reads a `Csv` file: header row, label
/// column `label_column`, numeric features), then splits and standardizes it as `split` says. `name`
/// names the source in messages and becomes the dataset's name.
pub fn from_csv(
    input: impl std::io::Read,
    name: &str,
    label_column: &str,
    split_options: SplitOptions,
    streams: &Streams,
    limit: Option<Limit>,
) -> Result<Dataset, DataError> {
    let SplitOptions {
        test_fraction,
        standardize,
    } = split_options;
    check_test_fraction(name, test_fraction)?;
    let mut table = csv_file::parse(input, std::path::Path::new(name), label_column, limit)?;
    table.name = name.to_string();
    let outputs = table.labels.iter().max().map_or(0, |&m| m + 1);
    check_fits(name, table.rows(), table.n_features(), outputs, limit)?;
    split(table, name, test_fraction, standardize, streams)
}

/// Bytes a dataset of `samples` rows needs at its peak: the table (features and a label or target
/// per row) and the two splits built from it (features again, one target per output, a label).
pub fn bytes_needed(samples: usize, features: usize, outputs: usize) -> u128 {
    samples as u128 * 8 * (2 * features as u128 + outputs as u128 + 2)
}

/// Refuses a dataset that would not fit within `limit`.
fn check_fits(
    source_name: &str,
    samples: usize,
    features: usize,
    outputs: usize,
    limit: Option<Limit>,
) -> Result<(), DataError> {
    let Some(limit) = limit else { return Ok(()) };
    let bytes = bytes_needed(samples, features, outputs);
    if bytes <= limit.bytes as u128 {
        return Ok(());
    }
    Err(DataError::TooLarge {
        source_name: source_name.to_string(),
        samples,
        features,
        outputs,
        bytes: u64::try_from(bytes).unwrap_or(u64::MAX),
        limit,
    })
}

fn check_test_fraction(dataset: &str, test_fraction: f64) -> Result<(), DataError> {
    if test_fraction > 0.0 && test_fraction < 1.0 {
        Ok(())
    } else {
        Err(DataError::InvalidParameter {
            dataset: dataset.to_string(),
            parameter: "test_fraction",
            value: test_fraction.to_string(),
            accepted: "a fraction strictly between 0 and 1",
        })
    }
}

/// Sizes of the test and training splits of `n` samples: `round(n · test_fraction)` test samples,
/// clamped so that each split keeps at least one (the caller then asks for two).
fn split_sizes(n: usize, test_fraction: f64) -> (usize, usize) {
    let wanted = (n as f64 * test_fraction).round() as usize;
    let test = wanted.min(n.saturating_sub(1)).max(1).min(n);
    (test, n - test)
}

/// Shuffles the samples with the split stream, holds the first ones out for testing and builds both
/// splits, standardizing their features on the training statistics when asked. Regression targets are
/// copied as generated, never standardized.
fn split(
    table: Table,
    source_name: &str,
    test_fraction: f64,
    standardize: bool,
    streams: &Streams,
) -> Result<Dataset, DataError> {
    let n = table.rows();
    let (n_test, n_train) = split_sizes(n, test_fraction);
    if n_test < 2 || n_train < 2 {
        return Err(DataError::TooFewSamples {
            source_name: source_name.to_string(),
            samples: n,
            test_fraction,
            train: n_train,
            test: n_test,
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut streams.stream(Purpose::Split));
    let (test_idx, train_idx) = order.split_at(n_test);

    // Statistics come from the training split only, so nothing about the test samples leaks in.
    let scaling = if standardize {
        Scaling::fit(&table, train_idx)
    } else {
        Scaling::identity(table.n_features())
    };
    let task = if table.n_targets > 0 {
        Task::Regression {
            targets: table.n_targets,
        }
    } else {
        Task::Classification {
            classes: table.labels.iter().max().map_or(0, |&m| m + 1),
        }
    };
    let outputs = task.outputs();
    let build = |idx: &[usize]| {
        let mut features = Vec::with_capacity(idx.len() * table.n_features());
        let mut targets = vec![0.0; idx.len() * outputs];
        let mut labels = Vec::with_capacity(idx.len());
        for (row, &i) in idx.iter().enumerate() {
            features.extend(scaling.apply(table.row(i)));
            let out = &mut targets[row * outputs..(row + 1) * outputs];
            match task {
                Task::Regression { .. } => {
                    out.copy_from_slice(&table.targets[i * outputs..(i + 1) * outputs]);
                }
                Task::Classification { .. } => {
                    let label = table.labels[i];
                    out[label] = 1.0;
                    labels.push(label);
                }
            }
        }
        Split::new(table.n_features(), outputs, features, targets, labels)
    };
    let train = build(train_idx);
    let test = build(test_idx);
    Ok(Dataset {
        name: table.name,
        feature_names: table.feature_names,
        task,
        train,
        test,
        tasks: None,
    })
}

/// Per-feature `(x − shift) / scale`.
struct Scaling {
    shift: Vec<f64>,
    scale: Vec<f64>,
}

impl Scaling {
    fn identity(n_features: usize) -> Scaling {
        Scaling {
            shift: vec![0.0; n_features],
            scale: vec![1.0; n_features],
        }
    }

    /// Mean and population standard deviation of each feature over the rows `idx`.
    fn fit(table: &Table, idx: &[usize]) -> Scaling {
        let n_features = table.n_features();
        let count = idx.len() as f64;
        let mut scaling = Scaling::identity(n_features);
        for j in 0..n_features {
            let first = table.row(idx[0])[j];
            if idx.iter().all(|&i| table.row(i)[j] == first) {
                // A constant feature (blank pixels in digits) is centred exactly and not scaled:
                // the computed mean could be off by an ulp and its std is 0.
                scaling.shift[j] = first;
                continue;
            }
            let mean = idx.iter().map(|&i| table.row(i)[j]).sum::<f64>() / count;
            let var = idx
                .iter()
                .map(|&i| (table.row(i)[j] - mean).powi(2))
                .sum::<f64>()
                / count;
            let std = var.sqrt();
            // Values near f64::MAX overflow the sums; leave such a feature as it is rather than
            // turn it into NaN.
            if mean.is_finite() && std.is_finite() {
                scaling.shift[j] = mean;
                if std > 0.0 {
                    scaling.scale[j] = std;
                }
            }
        }
        scaling
    }

    fn apply<'a>(&'a self, row: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
        row.iter()
            .zip(self.shift.iter().zip(&self.scale))
            .map(|(&x, (&shift, &scale))| (x - shift) / scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(source: DataSource, test_fraction: f64, standardize: bool) -> DataSpec {
        DataSpec {
            source,
            split: SplitOptions {
                test_fraction,
                standardize,
            },
        }
    }

    fn builtin(name: &str, standardize: bool) -> DataSpec {
        let name = name.to_string();
        spec(DataSource::Builtin { name }, 0.2, standardize)
    }

    fn column(split: &Split, j: usize) -> Vec<f64> {
        (0..split.len()).map(|i| split.features(i)[j]).collect()
    }

    #[test]
    fn split_sizes_round_and_clamp() {
        assert_eq!(split_sizes(150, 0.2), (30, 120));
        assert_eq!(split_sizes(1797, 0.2), (359, 1438));
        assert_eq!(split_sizes(10, 0.01), (1, 9));
        assert_eq!(split_sizes(10, 0.99), (9, 1));
        assert_eq!(split_sizes(1, 0.5), (1, 0));
        assert_eq!(split_sizes(0, 0.5), (0, 0));
    }

    #[test]
    fn standardization_uses_train_statistics() {
        for name in BUILTIN_NAMES {
            let d = load(&builtin(name, true), &Streams::new(1)).unwrap();
            for j in 0..d.n_features() {
                let train = column(&d.train, j);
                let n = train.len() as f64;
                let mean = train.iter().sum::<f64>() / n;
                let std = (train.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
                assert!(mean.abs() < 1e-9, "{name} x{j}: mean {mean}");
                let constant = train.iter().all(|&x| x == 0.0);
                if constant {
                    assert_eq!(std, 0.0);
                } else {
                    assert!((std - 1.0).abs() < 1e-9, "{name} x{j}: std {std}");
                }
                assert!(column(&d.test, j).iter().all(|x| x.is_finite()));
            }
        }
    }

    #[test]
    fn digits_has_constant_pixels_that_stay_finite() {
        let d = load(&builtin("digits", true), &Streams::new(0)).unwrap();
        let constant = (0..64)
            .filter(|&j| column(&d.train, j).iter().all(|&x| x == 0.0))
            .count();
        assert!(constant > 0, "expected a blank pixel in digits");
    }

    #[test]
    fn without_standardization_features_are_raw() {
        let d = load(&builtin("iris", false), &Streams::new(0)).unwrap();
        let all: Vec<f64> = (0..d.train.len())
            .flat_map(|i| d.train.features(i).to_vec())
            .collect();
        assert!(all.iter().all(|x| (0.0..=8.0).contains(x)));
    }

    #[test]
    fn same_seed_same_dataset_other_seed_other_split() {
        let specs = [
            builtin("iris", true),
            spec(
                DataSource::Moons {
                    samples: 100,
                    noise: 0.1,
                },
                0.25,
                true,
            ),
            spec(
                DataSource::Blobs {
                    samples: 90,
                    classes: 3,
                    features: 4,
                    spread: 0.5,
                },
                0.2,
                false,
            ),
        ];
        for spec in &specs {
            let a = load(spec, &Streams::new(7)).unwrap();
            let b = load(spec, &Streams::new(7)).unwrap();
            let bits = |s: &Split| -> Vec<u64> {
                (0..s.len())
                    .flat_map(|i| {
                        s.features(i)
                            .iter()
                            .map(|x| x.to_bits())
                            .collect::<Vec<_>>()
                    })
                    .collect()
            };
            assert_eq!(a, b);
            assert_eq!(bits(&a.train), bits(&b.train));
            assert_eq!(bits(&a.test), bits(&b.test));
            let c = load(spec, &Streams::new(8)).unwrap();
            assert_ne!(a.test, c.test);
        }
    }

    #[test]
    fn split_sizes_add_up_and_targets_are_one_hot() {
        let d = load(&builtin("wine", true), &Streams::new(3)).unwrap();
        assert_eq!(d.train.len() + d.test.len(), 178);
        assert_eq!(d.test.len(), 36);
        for s in [&d.train, &d.test] {
            for i in 0..s.len() {
                let label = s.label(i).unwrap();
                let t = s.targets(i);
                assert_eq!(t.len(), 3);
                assert_eq!(t[label], 1.0);
                assert_eq!(t.iter().sum::<f64>(), 1.0);
            }
        }
    }

    #[test]
    fn bad_test_fraction_and_too_few_samples_are_errors() {
        for f in [0.0, 1.0, -0.5, f64::NAN] {
            let iris = DataSource::Builtin {
                name: "iris".into(),
            };
            let err = load(&spec(iris, f, true), &Streams::new(0)).unwrap_err();
            assert!(matches!(err, DataError::InvalidParameter { .. }), "{err}");
        }
        let xor = DataSource::Xor {
            samples: 3,
            noise: 0.1,
        };
        let err = load(&spec(xor, 0.5, true), &Streams::new(0)).unwrap_err();
        assert!(matches!(err, DataError::TooFewSamples { .. }), "{err}");
        assert!(err.to_string().contains("xor"));
    }

    #[test]
    fn split_new_regression_has_no_labels() {
        let s = Split::new(2, 1, vec![1.0, 2.0, 3.0, 4.0], vec![0.5, 0.7], vec![]);
        assert_eq!(s.len(), 2);
        assert!(!s.is_empty());
        assert_eq!(s.features(1), &[3.0, 4.0]);
        assert_eq!(s.targets(1), &[0.7]);
        assert_eq!(s.label(0), None);
        assert_eq!(Task::Regression { targets: 1 }.outputs(), 1);
    }

    #[test]
    fn data_that_would_not_fit_is_refused_before_it_is_drawn() {
        use crate::memory::LimitSource;
        let limit = Limit {
            bytes: 64 << 20,
            source: LimitSource::Environment,
        };
        let huge = spec(
            DataSource::Blobs {
                samples: 1_000_000_000,
                classes: 1000,
                features: 1000,
                spread: 1.0,
            },
            0.2,
            true,
        );
        let started = std::time::Instant::now();
        let err = load_within(&huge, &Streams::new(0), Some(limit)).unwrap_err();
        assert!(started.elapsed().as_secs() < 2);
        assert!(
            matches!(
                err,
                DataError::TooLarge {
                    samples: 1_000_000_000,
                    features: 1000,
                    outputs: 1000,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().starts_with(
                "blobs: the data needs about 24 TB (1000000000 samples × 1000 features, 1000 \
                 outputs), more than the 67 MB (set by NEURAGENT_MEMORY_LIMIT) that may be used"
            ),
            "{err}"
        );
        // The same generator, small, fits.
        let small = spec(
            DataSource::Blobs {
                samples: 100,
                classes: 3,
                features: 2,
                spread: 1.0,
            },
            0.2,
            true,
        );
        assert!(load_within(&small, &Streams::new(0), Some(limit)).is_ok());
    }
}
