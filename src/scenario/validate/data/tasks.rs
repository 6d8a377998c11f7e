//! Checks of `Tasks` that need no data: a class named twice, an empty task, a count of zero, and
//! splits or modes that need classes around a source that has none. Whether each class named exists
//! is known only once the base data is loaded (`crate::data`'s task builder checks it).

use super::Problems;
use crate::scenario::{DataSource, TaskMode, TaskSplit};

/// Checks the `split` and `mode` of the `Tasks` written at `at` around `base`.
pub(super) fn check(
    out: &mut Problems,
    at: &str,
    base: &DataSource,
    split: &TaskSplit,
    mode: TaskMode,
) {
    // Domain and Task mode tell the classes of one task apart: a task needs two.
    let least = match mode {
        TaskMode::Domain | TaskMode::Task => 2,
        TaskMode::Class => 1,
    };
    let why = |least: usize| match least {
        1 => "a task of at least one class".to_string(),
        _ => format!(
            "a task of at least 2 classes in {mode:?} mode (its outputs tell the classes of a task \
             apart; Class mode accepts tasks of one class)"
        ),
    };
    match split {
        TaskSplit::Classes(tasks) => {
            if tasks.is_empty() {
                out.push(
                    format!("{at}.split"),
                    "Classes([])",
                    "at least one task, e.g. Classes([[0, 1], [2, 3]])",
                );
            }
            let mut seen: Vec<(usize, usize, usize)> = Vec::new();
            for (i, task) in tasks.iter().enumerate() {
                if task.len() < least {
                    out.push(format!("{at}.split[{i}]"), list(task), why(least));
                }
                for (k, &class) in task.iter().enumerate() {
                    if let Some(&(_, ti, tk)) = seen.iter().find(|s| s.0 == class) {
                        out.push(
                            format!("{at}.split[{i}][{k}]"),
                            class,
                            format!(
                                "a class not already in a task: class {class} is in task {ti} \
                                 (data.split[{ti}][{tk}]), and a class may be in one task only"
                            ),
                        );
                    } else {
                        seen.push((class, i, k));
                    }
                }
            }
            if mode == TaskMode::Class && !tasks.is_empty() && seen.len() < 2 {
                out.push(
                    format!("{at}.split"),
                    format!("Classes({})", lists(tasks)),
                    "at least 2 classes over all tasks (one output per class)",
                );
            }
        }
        TaskSplit::RandomClasses { per_task } => {
            if *per_task < least {
                out.push(format!("{at}.split.per_task"), per_task, why(least));
            }
        }
        TaskSplit::Permuted { count } => {
            if *count < 1 {
                out.push(
                    format!("{at}.split.count"),
                    count,
                    "a whole number of tasks ≥ 1 (one random permutation of the features each)",
                );
            }
        }
    }
    if let DataSource::Sensors { .. } = base {
        let name = base.name();
        if !matches!(split, TaskSplit::Permuted { .. }) {
            out.push(
                format!("{at}.split"),
                split_shown(split),
                format!(
                    "Permuted(count: n): {name} is a regression source, it has no classes to cut \
                     into tasks"
                ),
            );
        }
        if mode != TaskMode::Domain {
            out.push(
                format!("{at}.mode"),
                format!("{mode:?}"),
                format!(
                    "Domain: {name} is a regression source, and {mode:?} mode needs classes \
                     (one output per class)"
                ),
            );
        }
    }
}

/// `[a, b, c]`.
pub(crate) fn list(task: &[usize]) -> String {
    let items: Vec<String> = task.iter().map(usize::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// `[[a, b], [c]]`, shortened past a few tasks.
fn lists(tasks: &[Vec<usize>]) -> String {
    const SHOWN: usize = 6;
    let mut items: Vec<String> = tasks.iter().take(SHOWN).map(|t| list(t)).collect();
    if tasks.len() > SHOWN {
        items.push("...".into());
    }
    format!("[{}]", items.join(", "))
}

/// The split as RON writes it.
fn split_shown(split: &TaskSplit) -> String {
    match split {
        TaskSplit::Classes(tasks) => format!("Classes({})", lists(tasks)),
        TaskSplit::RandomClasses { per_task } => format!("RandomClasses(per_task: {per_task})"),
        TaskSplit::Permuted { count } => format!("Permuted(count: {count})"),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::test_util::*;

    fn tasks(split: &str, mode: &str) -> String {
        data(&format!(
            "Tasks(base: Builtin(name: \"digits\"), split: {split}, mode: {mode})"
        ))
    }

    #[test]
    fn scenario_valid_tasks() {
        for (split, mode) in [
            (
                "Classes([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]])",
                "Domain",
            ),
            ("Classes([[0], [1], [2]])", "Class"),
            ("Classes([[3, 1, 2], [0, 9]])", "Task"),
            ("RandomClasses(per_task: 2)", "Domain"),
            ("Permuted(count: 3)", "Class"),
        ] {
            valid(&tasks(split, mode));
        }
        valid(&text(
            "Tasks(base: Sensors(count: 4, samples: 50), split: Permuted(count: 2), mode: Domain)",
            "(hidden: [4], activation: Tanh, output: Linear)",
            LEARN,
            "",
        ));
    }

    #[test]
    fn scenario_a_class_in_two_tasks_names_both_places() {
        one(
            &tasks("Classes([[0, 1], [2, 1]])", "Domain"),
            "data.split[1][1]",
            "1",
            "a class not already in a task: class 1 is in task 0 (data.split[0][1]), and a class \
             may be in one task only",
        );
        one(
            &tasks("Classes([[0, 1], [0]])", "Class"),
            "data.split[1][0]",
            "0",
            "class 0 is in task 0",
        );
    }

    #[test]
    fn scenario_counts_and_sizes() {
        one(
            &tasks("Permuted(count: 0)", "Domain"),
            "data.split.count",
            "0",
            "a whole number of tasks ≥ 1",
        );
        one(
            &tasks("Classes([[0, 1], [2]])", "Domain"),
            "data.split[1]",
            "[2]",
            "a task of at least 2 classes in Domain mode",
        );
        one(
            &tasks("RandomClasses(per_task: 1)", "Task"),
            "data.split.per_task",
            "1",
            "a task of at least 2 classes in Task mode",
        );
        one(
            &tasks("RandomClasses(per_task: 0)", "Class"),
            "data.split.per_task",
            "0",
            "a task of at least one class",
        );
        one(
            &tasks("Classes([])", "Domain"),
            "data.split",
            "Classes([])",
            "at least one task",
        );
        one(
            &tasks("Classes([[4]])", "Class"),
            "data.split",
            "Classes([[4]])",
            "at least 2 classes over all tasks",
        );
    }

    #[test]
    fn scenario_regression_sources_have_no_classes() {
        let net = "(hidden: [4], activation: Tanh, output: Linear)";
        let ps = problems(&text(
            "Tasks(base: Sensors(count: 4, samples: 50), split: Classes([[0, 1]]), mode: Task)",
            net,
            LEARN,
            "",
        ));
        let got: Vec<(&str, &str)> = ps
            .iter()
            .map(|p| (p.path.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            got,
            [("data.split", "Classes([[0, 1]])"), ("data.mode", "Task")],
            "{ps:#?}"
        );
        assert!(ps[0].accepted.contains("sensors is a regression source"));
        assert!(ps[1].accepted.contains("Task mode needs classes"));
    }

    #[test]
    fn scenario_the_base_is_checked_at_its_own_path() {
        one(
            &data("Tasks(base: Xor(samples: 2), split: Permuted(count: 2), mode: Domain)"),
            "data.base.samples",
            "2",
            "an integer ≥ 4",
        );
        one(
            &data(
                "Tasks(base: Builtin(name: \"iris\", test_fraction: 1.5), split: Permuted(count: 2), \
                 mode: Domain)",
            ),
            "data.base.test_fraction",
            "1.5",
            "(0, 1)",
        );
        one(
            &data(
                "Tasks(base: Tasks(base: Builtin(name: \"iris\"), split: Permuted(count: 2), \
                 mode: Domain), split: Permuted(count: 2), mode: Domain)",
            ),
            "data.base",
            "Tasks(..)",
            "a data source that is not Tasks",
        );
    }
}
