//! `neuragent validate` as a user meets it: every problem of a file in one run, each with its field
//! path, what is accepted, and its line and column; the data checked too; exit code 2.

use std::path::Path;
use std::process::{Command, Output};

fn neuragent(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neuragent"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("run the binary")
}

/// Writes `files` into a fresh folder and runs `neuragent validate bad.ron` there; returns the exit
/// code, stdout and stderr.
fn validate(files: &[(&str, &str)], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = neuragent(&["validate", "bad.ron"], dir.path(), env);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        stderr,
    )
}

/// The scenario of the issue: five mistakes in five fields.
const FIVE_MISTAKES: &str = r#"// Five mistakes, one per field.
Scenario(
    name: "five",
    seed: -1,
    data: Xor(samples: 200),
    network: (hidden: [8, -4], activation: Tanh, output: Softmax),
    learning: (
        rule: EstimatedAttention(estimator: Ema(0.9), send: Always),
        epochs: 3.5,
    ),
    links: (wait_timeout: 20),
    faults: [Crash(neuron: Hidden(layer: 0, index: 1), at: 200, recover: None)],
)
"#;

#[test]
fn five_mistakes_in_five_fields_are_reported_in_one_run() {
    let (code, stdout, stderr) = validate(&[("bad.ron", FIVE_MISTAKES)], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "error: bad.ron: invalid scenario:\n\
         \x20 - bad.ron:4:11: seed = -1: expected a whole number from 0 to 18446744073709551615\n\
         \x20 - bad.ron:6:27: network.hidden[1] = -4: expected a layer width: a whole number ≥ 1\n\
         \x20 - bad.ron:8:45: learning.rule.estimator = Ema(0.9): expected LastValue or Ema(decay: d) \
         with d in [0, 1)\n\
         \x20 - bad.ron:9:17: learning.epochs = 3.5: expected a whole number of epochs ≥ 1\n\
         \x20 - bad.ron:12:60: faults[0].at = 200: expected Sample(n) or Tick(t), with n and t whole \
         numbers ≥ 0\n"
    );
}

const IRIS: &str = r#"Scenario(
    name: "shape",
    data: Builtin(name: "iris"),
    network: (hidden: [8], activation: Tanh, output: Softmax),
    learning: (rule: Attention, epochs: 2),
    links: (wait_timeout: 10),
    faults: [
        Crash(neuron: Output(5), at: Sample(10), recover: None),
        Crash(neuron: Hidden(layer: 0, index: 30), at: Sample(10), recover: None),
        Cut(from: Input(1), to: Hidden(layer: 0, index: 0), at: Sample(240), repair: None),
    ],
)
"#;

#[test]
fn problems_that_need_the_data_do_not_hide_behind_others() {
    let (code, _, stderr) = validate(&[("bad.ron", IRIS)], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    for line in [
        "  - bad.ron:9:23: faults[1].neuron = Hidden(layer: 0, index: 30): expected Hidden(layer: l, \
         index: i) with l < 1 and i < the width of layer l (hidden: [8])",
        "  - bad.ron:8:23: faults[0].neuron = Output(5): expected Output(0) … Output(2) (the \
         network has 3 outputs)",
        // Iris: 120 training samples, 2 epochs: a fault at position 240 never happens.
        "warning: bad.ron:10:65: faults[2].at = Sample(240): expected a sample position below 240 \
         (120 training samples × 2 epochs): the run ends before, so this fault never happens",
    ] {
        assert!(stderr.contains(&format!("{line}\n")), "{line}\nnot in\n{stderr}");
    }
}

#[test]
fn accuracy_on_a_regression_is_caught_before_training() {
    let text = r#"Scenario(
    name: "sensors",
    data: Sensors(count: 4, samples: 100),
    network: (hidden: [8], activation: Tanh, output: Linear),
    learning: (rule: Attention),
    expect: [FinalTestAccuracy(at_least: 0.9)],
)"#;
    let (code, _, stderr) = validate(&[("bad.ron", text)], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "bad.ron:6:14: expect[0] = FinalTestAccuracy(at_least: 0.9): expected \
             FinalTestR2(at_least: x) or FinalTestLoss(at_most: x): the data is a regression task"
        ),
        "{stderr}"
    );
}

#[test]
fn every_bad_csv_row_is_reported_in_one_run() {
    let text = r#"Scenario(
    name: "csv",
    data: Csv(path: "three.csv"),
    network: (hidden: [8], activation: Tanh, output: Softmax),
    learning: (rule: Attention),
)"#;
    let csv = "a,b,label\n1,2,0\n3,x,1\n5,6,0\n7,8\n9,10,1.5\n11,12,1\n";
    let (code, _, stderr) = validate(&[("bad.ron", text), ("three.csv", csv)], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("three.csv: 3 rows are wrong:\n"),
        "{stderr}"
    );
    for line in [
        "three.csv:3: column \"b\"",
        "three.csv:5: row has 2 fields",
        "three.csv:6: label column",
    ] {
        assert!(stderr.contains(line), "{line} not in {stderr}");
    }
}

#[test]
fn a_missing_csv_names_the_os_error_once() {
    let text = r#"Scenario(
    name: "csv",
    data: Csv(path: "nowhere.csv"),
    network: (hidden: [8], activation: Tanh, output: Softmax),
    learning: (rule: Attention),
)"#;
    let (code, _, stderr) = validate(&[("bad.ron", text)], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("nowhere.csv"), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
    // The run command too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.ron"), text).unwrap();
    let out = neuragent(&["run", "s.ron"], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

fn network(hidden: &str) -> String {
    format!(
        "Scenario(\n    name: \"big\",\n    data: Xor(samples: 100),\n    network: (hidden: {hidden}, \
         activation: Tanh, output: Softmax),\n    learning: (rule: Attention),\n)"
    )
}

/// `hidden: [100000000, 100000000]` used to abort with exit 134 while allocating; `[30000, 30000]`
/// did the same under a 4 GB limit. Both are refused up front, with the estimate.
#[test]
fn networks_that_do_not_fit_in_memory_are_refused_before_any_allocation() {
    for command in ["validate", "run"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("huge.ron"),
            network("[100000000, 100000000]"),
        )
        .unwrap();
        std::fs::write(dir.path().join("large.ron"), network("[30000, 30000]")).unwrap();
        let out = neuragent(&[command, "huge.ron"], dir.path(), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("network.hidden = [100000000, 100000000]: expected a network of at most 4294967295 synapses"),
            "{stderr}"
        );
        assert!(stderr.contains("this run needs about 400 PB"), "{stderr}");
        let out = neuragent(
            &[command, "large.ron"],
            dir.path(),
            &[("NEURAGENT_MEMORY_LIMIT", "4G")],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(
                "network.hidden = [30000, 30000]: expected a network that fits in memory: this run \
                 needs about 36 GB ("
            ),
            "{stderr}"
        );
        assert!(
            stderr
                .contains("more than the 4.3 GB (set by NEURAGENT_MEMORY_LIMIT) that may be used"),
            "{stderr}"
        );
        assert!(!dir.path().join("runs").exists());
    }
    // Without a limit the same network is valid; a limit that is not a size is an error.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("large.ron"), network("[30000, 30000]")).unwrap();
    let out = neuragent(
        &["validate", "large.ron"],
        dir.path(),
        &[("NEURAGENT_MEMORY_LIMIT", "none")],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("large.ron: ok (about 36 GB"));
    let out = neuragent(
        &["validate", "large.ron"],
        dir.path(),
        &[("NEURAGENT_MEMORY_LIMIT", "lots")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("NEURAGENT_MEMORY_LIMIT=\"lots\" is not a size"));
}

#[test]
fn delays_on_the_dense_engine_are_a_warning() {
    let text = r#"Scenario(
    name: "dense",
    data: Xor(samples: 100),
    network: (hidden: [8], activation: Tanh, output: Softmax),
    learning: (rule: Backprop),
    links: (forward_delay: Uniform(min: 1, max: 5)),
)"#;
    let (code, stdout, stderr) = validate(&[("bad.ron", text)], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("bad.ron: ok"), "{stdout}");
    assert_eq!(
        stderr,
        "warning: bad.ron:6:28: links.forward_delay = Uniform(min: 1, max: 5): expected the default \
         Constant(1): the dense engine simulates no messages, so it ignores delays\n"
    );
}

#[test]
fn bundled_scenarios_validate_with_their_memory() {
    let dir = crate::common::scenarios_dir();
    // Sweep files validate to their own line (`every_bundled_sweep_is_valid`).
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| !p.ends_with(".sweep.ron"))
        .collect();
    files.sort();
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let out = neuragent(&args, &dir, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), files.len());
    for line in stdout.lines() {
        assert!(
            line.contains(": ok (about ") && line.ends_with(" of memory at peak)"),
            "{line}"
        );
    }
}

/// The fenced blocks of a Markdown text: (language, body).
fn blocks(doc: &str) -> Vec<(&str, String)> {
    let mut blocks = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.strip_prefix("```") {
            let mut body = String::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            blocks.push((lang, body));
        }
    }
    blocks
}

/// docs/scenarios.md shows actual output: each `ron` example followed by a `$ neuragent validate`
/// block gives exactly that output, and every other `ron` example is valid.
#[test]
fn scenario_docs_examples_are_actual_output() {
    use neuragent::memory::{parse_size, Limit, LimitSource};
    use neuragent::scenario::Draft;
    let doc = include_str!("../../docs/scenarios.md");
    let blocks = blocks(doc);
    let (mut valid, mut shown) = (0, 0);
    for (i, (lang, body)) in blocks.iter().enumerate() {
        if *lang != "ron" {
            continue;
        }
        let command = blocks
            .get(i + 1)
            .filter(|(l, b)| *l == "text" && b.starts_with("$ "));
        match command {
            Some((_, output)) => {
                let (command, expected) = output.split_once('\n').unwrap();
                let mut words = command.split_whitespace().skip(1);
                let mut word = words.next().unwrap();
                let limit = word.strip_prefix("NEURAGENT_MEMORY_LIMIT=").map(|size| {
                    word = words.next().unwrap();
                    Limit {
                        bytes: parse_size(size).unwrap().unwrap(),
                        source: LimitSource::Environment,
                    }
                });
                assert_eq!((word, words.next()), ("neuragent", Some("validate")));
                let file = Path::new(words.next().unwrap());
                let report =
                    neuragent::cli::validate_report(file, Draft::parse(body.as_str(), file), limit);
                assert_eq!(report.stderr + &report.stdout, expected, "{body}");
                shown += 1;
            }
            None => {
                let file = Path::new("doc.ron");
                let report =
                    neuragent::cli::validate_report(file, Draft::parse(body.as_str(), file), None);
                assert!(report.valid, "{body}\n{}", report.stderr);
                valid += 1;
            }
        }
    }
    assert_eq!((valid, shown), (3, 8));
    // The start of a resolved scenario.
    let excerpt = blocks
        .iter()
        .find(|(l, b)| *l == "text" && b.starts_with("#![enable(implicit_some)]"))
        .expect("the resolved.ron excerpt");
    let xor =
        neuragent::scenario::Scenario::from_file(&crate::common::scenarios_dir().join("xor.ron"))
            .unwrap();
    assert!(xor.to_ron().starts_with(&excerpt.1), "{}", xor.to_ron());
    // The misspelled field of "RON in brief".
    let t = "Scenario(name: \"t\", data: Xor(samples: 10), network: (hidden: [], activation: Tanh, \
             output: Softmax), learning: (rule: Attention, optimizer: Sgd(lr: 0.1, momentun: 0.9)))";
    let e = neuragent::scenario::Scenario::parse(t, Path::new("t.ron")).unwrap_err();
    assert!(
        e.to_string().contains(
            "learning.optimizer.momentun = 0.9: expected a field of Sgd: lr or momentum (did you \
             mean momentum?)"
        ),
        "{e}"
    );
}
