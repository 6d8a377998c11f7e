//! Tasks made from a base dataset, for continual learning: split by classes (split-digits), or the
//! whole base with its features permuted (permuted digits), and the outputs each mode gives them.
//!
//! The base is loaded, split into train and test and standardized first, exactly as on its own; then
//! each task takes its samples from both splits, and the task dataset stores them one task after
//! another (the samples of a task keep their base order). What a sample's target is depends on the
//! mode ([`TaskMode`]):
//!
//! | mode | outputs | class `c` of task `t` (position `p` in the task) |
//! |---|---|---|
//! | `Domain` | the largest task's class count | output `p` (for `Permuted`, output `c`) |
//! | `Class` | the classes of all tasks together | output `offset(t) + p` |
//! | `Task` | the same, grouped into one head per task | output `offset(t) + p`, head `offset(t)..offset(t) + len(t)` |
//!
//! with `offset(t)` the classes of the tasks before `t`. Only `Task` mode restricts a sample to its
//! task's head ([`Split::head`]).

use std::ops::Range;

use rand::seq::SliceRandom;

use super::{check_fits, DataError, Dataset, Split, Task};
use crate::memory::Limit;
use crate::rng::{Purpose, Streams};
use crate::scenario::{Problem, TaskMode, TaskSplit};

/// The tasks of a dataset: how it was cut, and where each task's samples are.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskSet {
    /// How the tasks share the outputs.
    pub mode: TaskMode,
    /// Whether the tasks are feature permutations of the whole base (`Permuted`).
    pub permuted: bool,
    /// The base classes of each task, in the order of its outputs (every class for `Permuted`;
    /// empty lists for a regression).
    pub classes: Vec<Vec<usize>>,
    /// Each task's samples in the training split.
    pub train: Vec<Range<usize>>,
    /// Each task's samples in the test split.
    pub test: Vec<Range<usize>>,
}

impl TaskSet {
    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.train.len()
    }

    /// Whether there is no task (never, for a loaded dataset).
    pub fn is_empty(&self) -> bool {
        self.train.is_empty()
    }
}

/// Cuts `base` into the tasks `split` says, with outputs as `mode` says. The class order of
/// `RandomClasses` comes from the [`Purpose::TaskClasses`] stream, the permutations of `Permuted`
/// from the [`Purpose::TaskPermutations`] stream. Problems with the spec that need the data (a class
/// the base lacks, a task without training or test samples, a class count `per_task` does not
/// divide, classes asked of a regression) are reported together, each with its field path.
pub(super) fn build(
    base: Dataset,
    split: &TaskSplit,
    mode: TaskMode,
    streams: &Streams,
    limit: Option<Limit>,
) -> Result<Dataset, DataError> {
    let problems = |problems: Vec<Problem>| DataError::Tasks {
        source_name: base.name.clone(),
        problems,
    };
    match *split {
        TaskSplit::Permuted { count } => {
            if let (Task::Regression { .. }, TaskMode::Class | TaskMode::Task) = (base.task, mode) {
                return Err(problems(vec![Problem::new(
                    "data.mode",
                    format!("{mode:?}"),
                    format!(
                        "Domain: {} is a regression, and {mode:?} mode needs classes",
                        base.name
                    ),
                )]));
            }
            let outputs = base.n_outputs() * if mode == TaskMode::Domain { 1 } else { count };
            let samples = (base.train.len() + base.test.len()).saturating_mul(count);
            check_fits(&base.name, samples, base.n_features(), outputs, limit)?;
            Ok(permuted(base, count, mode, streams))
        }
        TaskSplit::Classes(ref tasks) => {
            let found = check_classes(&base, tasks);
            if !found.is_empty() {
                return Err(problems(found));
            }
            Ok(by_classes(base, tasks.clone(), mode))
        }
        TaskSplit::RandomClasses { per_task } => {
            let Task::Classification { classes } = base.task else {
                return Err(problems(vec![regression_split(&base.name, split)]));
            };
            if per_task == 0 || classes % per_task != 0 {
                let least = if mode == TaskMode::Class { 1 } else { 2 };
                let divisors: Vec<String> = (least..=classes)
                    .filter(|d| classes % d == 0)
                    .map(|d| d.to_string())
                    .collect();
                return Err(problems(vec![Problem::new(
                    "data.split.per_task",
                    per_task,
                    format!(
                        "a number of classes per task that divides the {classes} classes of {}: \
                         {}",
                        base.name,
                        or_list(&divisors)
                    ),
                )]));
            }
            let mut order: Vec<usize> = (0..classes).collect();
            order.shuffle(&mut streams.stream(Purpose::TaskClasses));
            let tasks: Vec<Vec<usize>> = order.chunks(per_task).map(<[usize]>::to_vec).collect();
            let found = check_classes(&base, &tasks);
            if !found.is_empty() {
                return Err(problems(found));
            }
            Ok(by_classes(base, tasks, mode))
        }
    }
}

fn regression_split(name: &str, split: &TaskSplit) -> Problem {
    let shown = match split {
        TaskSplit::Classes(_) => "Classes(..)".to_string(),
        TaskSplit::RandomClasses { per_task } => format!("RandomClasses(per_task: {per_task})"),
        TaskSplit::Permuted { count } => format!("Permuted(count: {count})"),
    };
    Problem::new(
        "data.split",
        shown,
        format!("Permuted(count: n): {name} is a regression, it has no classes to cut into tasks"),
    )
}

/// Every class named must be one of the base's, with training and test samples.
fn check_classes(base: &Dataset, tasks: &[Vec<usize>]) -> Vec<Problem> {
    let Task::Classification { classes } = base.task else {
        return vec![regression_split(
            &base.name,
            &TaskSplit::Classes(tasks.to_vec()),
        )];
    };
    let count = |split: &Split, class: usize| {
        (0..split.len())
            .filter(|&i| split.label(i) == Some(class))
            .count()
    };
    let mut found = Vec::new();
    for (t, task) in tasks.iter().enumerate() {
        for (k, &class) in task.iter().enumerate() {
            let path = format!("data.split[{t}][{k}]");
            if class >= classes {
                found.push(Problem::new(
                    path,
                    class,
                    format!(
                        "a class of {}: {} (it has {classes} classes)",
                        base.name,
                        if classes == 1 {
                            "0".to_string()
                        } else {
                            format!("0 … {}", classes - 1)
                        }
                    ),
                ));
                continue;
            }
            let (train, test) = (count(&base.train, class), count(&base.test, class));
            if train == 0 || test == 0 {
                found.push(Problem::new(
                    path,
                    class,
                    format!(
                        "a class with training and test samples: class {class} of {} has {train} \
                         training and {test} test samples (a larger dataset or another \
                         test_fraction may give it both)",
                        base.name
                    ),
                ));
            }
        }
    }
    found
}

/// Tasks of the classes `tasks` lists (already checked against the base).
fn by_classes(base: Dataset, tasks: Vec<Vec<usize>>, mode: TaskMode) -> Dataset {
    let offsets: Vec<usize> = tasks
        .iter()
        .scan(0, |at, t| {
            let start = *at;
            *at += t.len();
            Some(start)
        })
        .collect();
    let total: usize = tasks.iter().map(Vec::len).sum();
    let outputs = match mode {
        TaskMode::Domain => tasks.iter().map(Vec::len).max().unwrap_or(1),
        TaskMode::Class | TaskMode::Task => total,
    };
    let heads: Vec<Range<usize>> = match mode {
        TaskMode::Task => (0..tasks.len())
            .map(|t| offsets[t]..offsets[t] + tasks[t].len())
            .collect(),
        TaskMode::Domain | TaskMode::Class => Vec::new(),
    };
    // Output of base class `c` in task `t`, for the samples of `t`.
    let output = |t: usize, p: usize| match mode {
        TaskMode::Domain => p,
        TaskMode::Class | TaskMode::Task => offsets[t] + p,
    };
    let cut = |split: &Split| -> (Split, Vec<Range<usize>>) {
        let f = split.n_features();
        let (mut features, mut labels, mut task_of, mut ranges) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (t, task) in tasks.iter().enumerate() {
            let start = labels.len();
            for i in 0..split.len() {
                let Some(p) = split
                    .label(i)
                    .and_then(|c| task.iter().position(|&k| k == c))
                else {
                    continue;
                };
                features.extend_from_slice(split.features(i));
                labels.push(output(t, p));
                task_of.push(t as u32);
            }
            ranges.push(start..labels.len());
        }
        let mut targets = vec![0.0; labels.len() * outputs];
        for (row, &label) in labels.iter().enumerate() {
            targets[row * outputs + label] = 1.0;
        }
        let cut = Split::new(f, outputs, features, targets, labels).with_tasks(
            task_of,
            tasks.len(),
            heads.clone(),
        );
        (cut, ranges)
    };
    let (train, train_ranges) = cut(&base.train);
    let (test, test_ranges) = cut(&base.test);
    Dataset {
        name: format!("split-{}", base.name),
        feature_names: base.feature_names,
        task: Task::Classification { classes: outputs },
        train,
        test,
        tasks: Some(TaskSet {
            mode,
            permuted: false,
            classes: tasks,
            train: train_ranges,
            test: test_ranges,
        }),
    }
}

/// `count` tasks of the whole base, each with its own permutation of the features.
fn permuted(base: Dataset, count: usize, mode: TaskMode, streams: &Streams) -> Dataset {
    let f = base.n_features();
    let mut rng = streams.stream(Purpose::TaskPermutations);
    let permutations: Vec<Vec<usize>> = (0..count)
        .map(|_| {
            let mut p: Vec<usize> = (0..f).collect();
            p.shuffle(&mut rng);
            p
        })
        .collect();
    let base_outputs = base.n_outputs();
    let outputs = match mode {
        TaskMode::Domain => base_outputs,
        TaskMode::Class | TaskMode::Task => base_outputs * count,
    };
    let heads: Vec<Range<usize>> = match mode {
        TaskMode::Task => (0..count)
            .map(|t| t * base_outputs..(t + 1) * base_outputs)
            .collect(),
        TaskMode::Domain | TaskMode::Class => Vec::new(),
    };
    let classification = matches!(base.task, Task::Classification { .. });
    let cut = |split: &Split| -> (Split, Vec<Range<usize>>) {
        let n = split.len();
        let mut features = Vec::with_capacity(n * count * f);
        let mut targets = vec![0.0; n * count * outputs];
        let mut labels = Vec::with_capacity(if classification { n * count } else { 0 });
        let mut task_of = Vec::with_capacity(n * count);
        let mut ranges = Vec::with_capacity(count);
        for (t, permutation) in permutations.iter().enumerate() {
            ranges.push(t * n..(t + 1) * n);
            let offset = if mode == TaskMode::Domain {
                0
            } else {
                t * base_outputs
            };
            for i in 0..n {
                let x = split.features(i);
                features.extend(permutation.iter().map(|&k| x[k]));
                let row = (t * n + i) * outputs;
                match split.label(i) {
                    Some(c) => {
                        labels.push(offset + c);
                        targets[row + offset + c] = 1.0;
                    }
                    None => targets[row..row + base_outputs].copy_from_slice(split.targets(i)),
                }
                task_of.push(t as u32);
            }
        }
        let cut = Split::new(f, outputs, features, targets, labels).with_tasks(
            task_of,
            count,
            heads.clone(),
        );
        (cut, ranges)
    };
    let (train, train_ranges) = cut(&base.train);
    let (test, test_ranges) = cut(&base.test);
    let all: Vec<usize> = if classification {
        (0..base_outputs).collect()
    } else {
        Vec::new()
    };
    Dataset {
        name: format!("permuted-{}", base.name),
        feature_names: base.feature_names,
        task: match base.task {
            Task::Classification { .. } => Task::Classification { classes: outputs },
            regression => regression,
        },
        train,
        test,
        tasks: Some(TaskSet {
            mode,
            permuted: true,
            classes: vec![all; count],
            train: train_ranges,
            test: test_ranges,
        }),
    }
}

/// `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load;
    use crate::scenario::{DataSource, DataSpec, SplitOptions};

    fn digits() -> DataSpec {
        DataSpec {
            source: DataSource::Builtin {
                name: "digits".into(),
            },
            split: SplitOptions::default(),
        }
    }

    fn tasks(split: TaskSplit, mode: TaskMode, seed: u64) -> Result<Dataset, DataError> {
        let base = digits();
        let spec = DataSpec {
            split: base.split,
            source: DataSource::Tasks {
                base: Box::new(base),
                split,
                mode,
            },
        };
        load(&spec, &Streams::new(seed))
    }

    /// The base class of every sample of `split`, read back from the base dataset by features.
    fn base_classes(base: &Split, split: &Split) -> Vec<usize> {
        (0..split.len())
            .map(|i| {
                let k = (0..base.len())
                    .find(|&k| base.features(k) == split.features(i))
                    .expect("a base sample");
                base.label(k).unwrap()
            })
            .collect()
    }

    #[test]
    fn classes_become_tasks_with_the_outputs_of_each_mode() {
        let base = load(&digits(), &Streams::new(3)).unwrap();
        let split = TaskSplit::Classes(vec![vec![3, 7], vec![0, 5, 9]]);
        for mode in [TaskMode::Domain, TaskMode::Class, TaskMode::Task] {
            let d = tasks(split.clone(), mode, 3).unwrap();
            let ts = d.tasks.as_ref().unwrap();
            assert_eq!(d.name, "split-digits");
            assert_eq!(d.n_outputs(), if mode == TaskMode::Domain { 3 } else { 5 });
            assert_eq!(ts.classes, vec![vec![3, 7], vec![0, 5, 9]]);
            for (s, b, ranges) in [
                (&d.train, &base.train, &ts.train),
                (&d.test, &base.test, &ts.test),
            ] {
                let classes = base_classes(b, s);
                for (t, range) in ranges.iter().enumerate() {
                    let task = &ts.classes[t];
                    let wanted = (0..b.len())
                        .filter(|&k| task.contains(&b.label(k).unwrap()))
                        .count();
                    assert_eq!(range.len(), wanted, "{mode:?} task {t}");
                    for i in range.clone() {
                        assert_eq!(s.task(i), t);
                        let p = task.iter().position(|&c| c == classes[i]).unwrap();
                        let offset = if t == 0 { 0 } else { 2 };
                        let label = match mode {
                            TaskMode::Domain => p,
                            _ => offset + p,
                        };
                        assert_eq!(s.label(i), Some(label));
                        assert_eq!(s.targets(i)[label], 1.0);
                        let head = match mode {
                            TaskMode::Task => offset..offset + task.len(),
                            _ => 0..d.n_outputs(),
                        };
                        assert_eq!(s.head(i), head);
                    }
                }
            }
        }
    }

    #[test]
    fn random_classes_pair_every_class_by_the_seed() {
        let split = TaskSplit::RandomClasses { per_task: 2 };
        let classes = |seed| {
            tasks(split.clone(), TaskMode::Domain, seed)
                .unwrap()
                .tasks
                .unwrap()
                .classes
        };
        let a = classes(1);
        assert_eq!(a, classes(1));
        assert_eq!(a.len(), 5);
        let mut all: Vec<usize> = a.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_ne!(a, classes(2));
        // The pairing has its own stream: the split of the base is the same as without tasks.
        let d = tasks(split.clone(), TaskMode::Domain, 1).unwrap();
        let base = load(&digits(), &Streams::new(1)).unwrap();
        assert_eq!(d.train.len(), base.train.len());
        let err = tasks(
            TaskSplit::RandomClasses { per_task: 3 },
            TaskMode::Domain,
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "data.split.per_task = 3: expected a number of classes per task that divides the \
                 10 classes of digits: 2, 5 or 10"
            ),
            "{err}"
        );
    }

    #[test]
    fn permuted_tasks_shuffle_features_the_same_way_within_a_task() {
        let base = load(&digits(), &Streams::new(4)).unwrap();
        let d = tasks(TaskSplit::Permuted { count: 3 }, TaskMode::Class, 4).unwrap();
        let ts = d.tasks.as_ref().unwrap();
        assert_eq!(d.name, "permuted-digits");
        assert_eq!(d.train.len(), 3 * base.train.len());
        assert_eq!(d.n_outputs(), 30);
        let n = base.train.len();
        let mut permutations = Vec::new();
        for t in 0..3 {
            assert_eq!(ts.train[t], t * n..(t + 1) * n);
            // Where each feature of task t comes from, read off a sample with distinct values.
            let k = (0..n)
                .find(|&k| {
                    let mut x = base.train.features(k).to_vec();
                    x.sort_by(f64::total_cmp);
                    x.windows(2).all(|w| w[0] != w[1])
                })
                .unwrap_or(0);
            let x = base.train.features(k);
            let y = d.train.features(t * n + k);
            let p: Vec<Option<usize>> = y.iter().map(|v| x.iter().position(|u| u == v)).collect();
            for i in 0..n {
                let (x, y) = (base.train.features(i), d.train.features(t * n + i));
                for (j, from) in p.iter().enumerate() {
                    if let Some(from) = from {
                        assert_eq!(y[j], x[*from]);
                    }
                }
                assert_eq!(
                    d.train.label(t * n + i),
                    Some(10 * t + base.train.label(i).unwrap())
                );
            }
            permutations.push(p);
        }
        assert_ne!(permutations[0], permutations[1]);
        // Domain mode keeps the classes.
        let d = tasks(TaskSplit::Permuted { count: 2 }, TaskMode::Domain, 4).unwrap();
        assert_eq!(d.n_outputs(), 10);
        assert_eq!(d.train.label(n), base.train.label(0));
    }

    #[test]
    fn a_class_the_data_lacks_is_named_with_what_it_has() {
        let err = tasks(
            TaskSplit::Classes(vec![vec![0, 1], vec![2, 12]]),
            TaskMode::Domain,
            1,
        )
        .unwrap_err();
        let DataError::Tasks { problems, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "data.split[1][1] = 12: expected a class of digits: 0 … 9 (it has 10 classes)"
        );
    }
}
