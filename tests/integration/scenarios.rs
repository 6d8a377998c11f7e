//! Every bundled scenario is documented, valid, and meets its own expectations; the core scenarios
//! also train under every rule.

use neuragent::run;
use neuragent::scenario::{OptimizerSpec, RuleSpec, Scenario};

use crate::common::scenarios_dir;

fn bundled() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        // Sweep files are checked by `every_bundled_sweep_is_valid` (added with the sweep work).
        .filter(|p| !p.to_string_lossy().ends_with(".sweep.ron"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn every_scenario_starts_with_a_comment_and_meets_its_expectations() {
    for path in bundled() {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.trim_start().starts_with("//"),
            "{} must start with a comment saying what it demonstrates",
            path.display()
        );
        let scenario = Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let result = run::run(&scenario).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for e in &result.summary.expectations {
            assert!(
                e.passed,
                "{}: {} gave {:?}",
                path.display(),
                e.name,
                e.value
            );
        }
    }
}

/// The acceptance files with another rule: Backprop and FeedbackAlignment as written; greedy
/// attention with the learning rate and batch size that suit it.
#[test]
fn core_scenarios_train_under_every_rule() {
    for (file, rule, lr, batch, at_least) in [
        ("xor.ron", RuleSpec::Backprop, None, None, 0.95),
        ("xor.ron", RuleSpec::FeedbackAlignment, None, None, 0.95),
        ("xor.ron", RuleSpec::GreedyAttention, None, None, 0.95),
        ("digits.ron", RuleSpec::Backprop, None, None, 0.93),
        ("digits.ron", RuleSpec::FeedbackAlignment, None, None, 0.93),
        (
            "digits.ron",
            RuleSpec::GreedyAttention,
            Some(0.01),
            Some(16),
            0.93,
        ),
    ] {
        let mut s = Scenario::from_file(&scenarios_dir().join(file)).unwrap();
        s.learning.rule = rule;
        if let Some(lr) = lr {
            s.learning.optimizer = OptimizerSpec::Sgd { lr, momentum: 0.0 };
        }
        if let Some(batch) = batch {
            s.learning.batch_size = batch;
        }
        let result = run::run(&s).unwrap();
        let accuracy = result.summary.final_test_accuracy.unwrap();
        assert!(
            accuracy >= at_least,
            "{file} with {rule:?}: accuracy {accuracy}"
        );
    }
}

/// Every bundled sweep, and every sweep behind a table of docs/experiments.md, starts with a
/// comment and is valid at every grid point (added with the sweep work).
#[test]
fn every_bundled_sweep_is_valid() {
    let docs = scenarios_dir().join("../docs/experiments");
    let mut sweeps: Vec<_> = [scenarios_dir(), docs]
        .iter()
        .filter(|dir| dir.is_dir())
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".sweep.ron"))
        .collect();
    sweeps.sort();
    assert!(!sweeps.is_empty());
    for path in sweeps {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.trim_start().starts_with("//"),
            "{} must start with a comment saying what it demonstrates",
            path.display()
        );
        let plan = neuragent::sweep::Plan::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            plan.points.len() > 1 && !plan.seeds.is_empty(),
            "{}",
            path.display()
        );
    }
}
