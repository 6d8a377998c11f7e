//! Continual learning: tasks one after another in every mode and on every engine, what a run over
//! tasks writes, and the messages of bad input.

use std::path::Path;
use std::process::Command;

use neuragent::plan::Plan;
use neuragent::run;
use neuragent::scenario::{DataSource, Scenario, TaskMode};

use crate::common::{scenario, scenarios_dir};

/// A cheap split-digits run: five two-class tasks in `mode`, on `engine`.
fn split_digits(mode: &str, rule: &str, engine: &str, seed: u64, extra: &str) -> Scenario {
    scenario(&format!(
        "Scenario(
            name: \"split\", seed: {seed},
            data: Tasks(base: Builtin(name: \"digits\"), split: RandomClasses(per_task: 2),
                        mode: {mode}),
            network: (hidden: [16], activation: Relu, output: Softmax),
            learning: (rule: {rule}, optimizer: Sgd(lr: 0.05), batch_size: 4, epochs: 2,
                       engine: Some({engine}) {extra}),
        )"
    ))
}

/// Task-incremental learning keeps a head per task: on the same seeds it ends at least as accurate
/// as domain-incremental learning (the shared head is overwritten by each new task), whose final
/// model is also measured here for what the figures mean.
#[test]
fn task_mode_is_at_least_as_accurate_as_domain_mode() {
    for seed in [1, 2, 3] {
        let figures = |mode: &str| {
            let r = run::run(&split_digits(mode, "Backprop", "Dense", seed, "")).unwrap();
            let s = r.summary;
            let tasks = s.tasks.expect("a run over tasks");
            assert_eq!(tasks.mode, mode);
            assert_eq!(tasks.matrix.len(), 5);
            (
                s.average_accuracy.unwrap(),
                s.learning_accuracy.unwrap(),
                tasks.matrix[4].clone(),
            )
        };
        let (domain, domain_learned, domain_last) = figures("Domain");
        let (task, task_learned, task_last) = figures("Task");
        let (class, _, _) = figures("Class");
        assert!(
            task >= domain,
            "seed {seed}: Task mode {task} < Domain mode {domain} ({task_last:?} against {domain_last:?})"
        );
        // Every task was learned in both modes before the next came.
        assert!(domain_learned > 0.9 && task_learned > 0.9, "seed {seed}");
        // Class-incremental learning, which must also tell tasks apart, is the hardest.
        assert!(
            class < domain,
            "seed {seed}: Class {class}, Domain {domain}"
        );
    }
}

/// The bundled scenario as written (the authors' protocol scaled, greedy attention on the dense
/// engine): on its own seed and two more, Task mode ends with a higher average accuracy than
/// Domain mode, and Class mode, which must also tell the tasks apart, with a lower one.
#[test]
fn the_forgetting_scenario_forgets_least_in_task_mode() {
    let file = Scenario::from_file(&scenarios_dir().join("forgetting.ron")).unwrap();
    for seed in [file.seed, 0, 2] {
        let average = |mode: TaskMode| {
            let mut s = file.clone();
            s.seed = seed;
            let DataSource::Tasks { mode: m, .. } = &mut s.data.source else {
                panic!("forgetting.ron has tasks")
            };
            *m = mode;
            run::run(&s).unwrap().summary.average_accuracy.unwrap()
        };
        let (domain, task, class) = (
            average(TaskMode::Domain),
            average(TaskMode::Task),
            average(TaskMode::Class),
        );
        assert!(task >= domain, "seed {seed}: Task {task} < Domain {domain}");
        assert!(
            class < domain,
            "seed {seed}: Class {class} ≥ Domain {domain}"
        );
    }
}

/// In Task mode a sample trains its own head only: until a task is trained, the weights and biases
/// of its head's outputs keep their initial values, on every engine.
#[test]
fn a_head_learns_only_from_its_task() {
    for (rule, engine) in [
        ("Attention", "Events"),
        ("Attention", "Reference"),
        ("Backprop", "Dense"),
        ("GreedyAttention", "Events"),
        ("GreedyAttention", "Dense"),
    ] {
        let s = split_digits("Task", rule, engine, 4, "");
        let mut plan = Plan::new(&s).unwrap();
        let first_task = plan.schedule.task_ends()[0];
        plan.schedule.truncate(first_task);
        let (_, after) = plan.train(&mut neuragent::trainer::Unobserved).unwrap();
        let t = &plan.topology;
        let outputs = t.outputs();
        for (k, j) in outputs.enumerate() {
            let moved = after.biases[j] != plan.initial().biases[j]
                || t.incoming(j)
                    .any(|e| after.weights[e] != plan.initial().weights[e]);
            // Head 0 is outputs 0 and 1.
            assert_eq!(moved, k < 2, "{rule} on {engine}: output {k}");
        }
    }
}

/// With momentum, a fresh optimizer per task changes the run from the second task on, and only
/// then; without momentum there is no state to reset and the run is the same.
#[test]
fn fresh_optimizers_reset_momentum_at_task_boundaries() {
    for (engine, rule) in [("Dense", "Backprop"), ("Events", "Attention")] {
        let params = |momentum: f64, fresh: bool, first_task_only: bool| {
            let mut s = split_digits(
                "Domain",
                rule,
                engine,
                5,
                &format!(", fresh_optimizer: {fresh}"),
            );
            s.learning.optimizer = neuragent::scenario::OptimizerSpec::Sgd { lr: 0.02, momentum };
            let mut plan = Plan::new(&s).unwrap();
            if first_task_only {
                let end = plan.schedule.task_ends()[0];
                plan.schedule.truncate(end);
            }
            plan.train(&mut neuragent::trainer::Unobserved).unwrap().1
        };
        assert_eq!(
            params(0.9, true, true),
            params(0.9, false, true),
            "{engine}"
        );
        assert_ne!(
            params(0.9, true, false),
            params(0.9, false, false),
            "{engine}"
        );
        assert_eq!(
            params(0.0, true, false),
            params(0.0, false, false),
            "{engine}"
        );
    }
}

/// The rate schedule is the same on every engine and changes the run; `Halfway(factor: 1.0)` is
/// the constant rate, bit for bit.
#[test]
fn rate_schedules_change_the_run_and_a_factor_of_one_changes_nothing() {
    let run = |schedule: &str, engine: &str, rule: &str| {
        let s = split_digits(
            "Domain",
            rule,
            engine,
            6,
            &format!(", lr_schedule: {schedule}"),
        );
        run::run(&s).unwrap().params
    };
    for (engine, rule) in [("Dense", "Backprop"), ("Events", "Attention")] {
        let constant = run("Constant", engine, rule);
        assert_eq!(
            constant,
            run("Halfway(factor: 1.0)", engine, rule),
            "{engine}"
        );
        assert_ne!(
            constant,
            run("Halfway(factor: 0.1)", engine, rule),
            "{engine}"
        );
        assert_ne!(
            constant,
            run("StepDecay(every: 1, factor: 0.5)", engine, rule),
            "{engine}"
        );
    }
}

fn neuragent(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_neuragent"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the binary")
}

/// `neuragent run scenarios/forgetting.ron` (shortened to one epoch per task) writes the matrix,
/// the per-task curves and the figure; the same file runs in Class and Task mode.
#[test]
fn the_forgetting_scenario_writes_its_matrix_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenarios_dir().join("forgetting.ron");
    let file = file.to_str().unwrap();
    for mode in ["Domain", "Class", "Task"] {
        let out = dir.path().join(mode);
        let set_mode = format!("data.mode={mode}");
        let output = neuragent(
            &[
                "run",
                file,
                "--set",
                "learning.epochs=1",
                "--set",
                &set_mode,
                "--out",
                out.to_str().unwrap(),
                "--quiet",
            ],
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The shortened run may miss its expectations (exit 1), but it runs.
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{mode}: {stderr}"
        );
        for file in [
            "accuracy.csv",
            "task_accuracy.csv",
            "tasks.svg",
            "tasks.png",
        ] {
            assert!(out.join(file).is_file(), "{mode}: no {file}");
        }
        let matrix = std::fs::read_to_string(out.join("accuracy.csv")).unwrap();
        let lines: Vec<&str> = matrix.lines().collect();
        assert_eq!(
            lines[0],
            "name,seed,after_task,samples_seen,task0,task1,task2,task3,task4"
        );
        assert_eq!(lines.len(), 6, "{matrix}");
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        for field in [
            "average_accuracy",
            "learning_accuracy",
            "backward_transfer",
            "first_task_drop",
        ] {
            assert!(summary[field].is_f64(), "{mode}: {field}");
        }
        assert_eq!(summary["tasks"]["mode"], mode);
        // The replay of the folder reproduces every file, the task files included.
        let replay = neuragent(&["replay", out.to_str().unwrap()], dir.path());
        assert_eq!(
            replay.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&replay.stdout)
        );
    }
}

/// A run without tasks writes none of the task files, and its summary says so with nulls.
#[test]
fn runs_without_tasks_have_no_task_outputs() {
    let s = Scenario::from_file(&scenarios_dir().join("xor.ron")).unwrap();
    let r = run::run(&s).unwrap();
    assert!(r.tasks.is_none() && r.summary.tasks.is_none());
    assert_eq!(r.summary.average_accuracy, None);
    let files = neuragent::output::render(&r).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "resolved.ron",
            "metrics.csv",
            "summary.json",
            "curves.svg",
            "curves.png",
            "dynamics.svg",
            "dynamics.png"
        ]
    );
}

/// Writes `text` as a scenario, then `neuragent run` and `neuragent validate` must both exit 2
/// with every `needle` on stderr, and no panic.
fn rejects(text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.ron"), text).unwrap();
    for command in ["run", "validate"] {
        let out = neuragent(&[command, "bad.ron"], dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{command}: {needle:?} not in: {stderr}"
            );
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!dir.path().join("runs").exists());
}

fn with_data(data: &str, output: &str) -> String {
    format!(
        "Scenario(
    name: \"bad\",
    data: {data},
    network: (hidden: [4], activation: Tanh, output: {output}),
    learning: (rule: Attention, epochs: 1),
)"
    )
}

#[test]
fn a_class_the_data_lacks_is_named() {
    rejects(
        &with_data(
            "Tasks(base: Builtin(name: \"digits\"), split: Classes([[0, 1], [2, 10]]), mode: Domain)",
            "Softmax",
        ),
        &[
            "bad.ron",
            "data.split[1][1] = 10: expected a class of digits: 0 … 9 (it has 10 classes)",
        ],
    );
}

#[test]
fn a_class_in_two_tasks_is_named() {
    rejects(
        &with_data(
            "Tasks(base: Builtin(name: \"iris\"), split: Classes([[0, 1], [1, 2]]), mode: Domain)",
            "Softmax",
        ),
        &[
            "data.split[1][0] = 1: expected a class not already in a task: class 1 is in task 0 \
           (data.split[0][1]), and a class may be in one task only",
        ],
    );
}

#[test]
fn permuted_with_no_task_is_refused() {
    rejects(
        &with_data(
            "Tasks(base: Builtin(name: \"iris\"), split: Permuted(count: 0), mode: Domain)",
            "Softmax",
        ),
        &["data.split.count = 0: expected a whole number of tasks ≥ 1"],
    );
}

#[test]
fn a_regression_has_no_classes_for_class_and_task_modes() {
    rejects(
        &with_data(
            "Tasks(base: Sensors(count: 4, samples: 60), split: Permuted(count: 2), mode: Task)",
            "Linear",
        ),
        &["data.mode = Task: expected Domain: sensors is a regression source, and Task mode needs \
           classes"],
    );
    rejects(
        &with_data(
            "Tasks(base: Sensors(count: 4, samples: 60), split: RandomClasses(per_task: 2), \
             mode: Domain)",
            "Linear",
        ),
        &[
            "data.split = RandomClasses(per_task: 2): expected Permuted(count: n): sensors is a \
           regression source, it has no classes to cut into tasks",
        ],
    );
    // Domain mode over permuted sensors is a regression over tasks: it runs.
    let s = scenario(&with_data(
        "Tasks(base: Sensors(count: 4, samples: 60), split: Permuted(count: 2), mode: Domain)",
        "Linear",
    ));
    let r = run::run(&s).unwrap();
    let tasks = r.summary.tasks.unwrap();
    assert_eq!((tasks.score, tasks.matrix.len()), ("r2", 2));
}

#[test]
fn classes_per_task_must_divide_the_classes() {
    rejects(
        &with_data(
            "Tasks(base: Builtin(name: \"digits\"), split: RandomClasses(per_task: 4), mode: Class)",
            "Softmax",
        ),
        &["data.split.per_task = 4: expected a number of classes per task that divides the 10 \
           classes of digits: 1, 2, 5 or 10"],
    );
}

/// The tasks are part of the data: with `seeds: (data: ..)` the seed-dependent pairing of classes
/// and the feature permutations hold still while the scenario seed varies, and change with it
/// without.
#[test]
fn the_data_seed_holds_the_tasks_still() {
    let tasks = |seed: u64, seeds: &str, split: &str| {
        let s = scenario(&format!(
            "Scenario(
                name: \"split\", seed: {seed}, {seeds}
                data: Tasks(base: Builtin(name: \"digits\"), split: {split}, mode: Domain),
                network: (hidden: [4], activation: Relu, output: Softmax),
                learning: (rule: Backprop, epochs: 1),
            )"
        ));
        let plan = Plan::new(&s).unwrap();
        let train = &plan.dataset.train;
        let classes = plan.dataset.tasks.as_ref().unwrap().classes.clone();
        let first: Vec<f64> = train.features(train.len() - 1).to_vec();
        (classes, first)
    };
    let pairs = "RandomClasses(per_task: 2)";
    let permuted = "Permuted(count: 2)";
    let held = "seeds: (data: 9),";
    assert_eq!(tasks(1, held, pairs).0, tasks(2, held, pairs).0);
    assert_ne!(tasks(1, "", pairs).0, tasks(2, "", pairs).0);
    // The last training sample is in the second, permuted task.
    assert_eq!(tasks(1, held, permuted).1, tasks(2, held, permuted).1);
    assert_ne!(tasks(1, "", permuted).1, tasks(2, "", permuted).1);
}
