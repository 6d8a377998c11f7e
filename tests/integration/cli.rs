//! The binary as a user meets it: exit codes and the messages of bad input.

use std::path::Path;
use std::process::{Command, Output};

fn neuragent(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neuragent"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the binary")
}

/// Writes `text` as a scenario, runs it, and checks exit code 2 with every `needle` in stderr.
fn rejects(text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ron");
    std::fs::write(&path, text).unwrap();
    let out = neuragent(&["run", "bad.ron"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !dir.path().join("runs").exists(),
        "a failed run must not leave outputs"
    );
}

const GOOD: &str = "Scenario(
    name: \"ok\",
    seed: 1,
    data: Xor(samples: 40, noise: 0.1, test_fraction: 0.25),
    network: (hidden: [4], activation: Tanh, output: Softmax),
    learning: (rule: Attention, optimizer: Sgd(lr: 0.1), batch_size: 1, epochs: 2),
    links: (forward_delay: Constant(1), attention_delay: Constant(1), drop_probability: 0.0),
)";

#[test]
fn malformed_ron_names_line_and_column() {
    rejects(&GOOD.replace("seed: 1,", "seed: 1,,"), &["bad.ron:3:"]);
}

#[test]
fn an_unknown_field_is_named() {
    rejects(&GOOD.replace("hidden:", "hiden:"), &["bad.ron", "hiden"]);
}

#[test]
fn a_negative_delay_is_rejected() {
    rejects(
        &GOOD.replace("forward_delay: Constant(1)", "forward_delay: Constant(-3)"),
        &["links.forward_delay", "-3"],
    );
}

#[test]
fn an_empty_hidden_layer_is_rejected() {
    rejects(&GOOD.replace("[4]", "[4, 0]"), &["network.hidden[1]", "0"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    rejects(
        &GOOD
            .replace("[4]", "[0]")
            .replace("epochs: 2", "epochs: 0")
            .replace("drop_probability: 0.0", "drop_probability: 1.5"),
        &[
            "network.hidden[0]",
            "learning.epochs",
            "links.drop_probability",
        ],
    );
}

#[test]
fn a_missing_csv_is_named() {
    rejects(
        &GOOD.replace(
            "Xor(samples: 40, noise: 0.1, test_fraction: 0.25)",
            "Csv(path: \"nowhere.csv\", label_column: \"label\", test_fraction: 0.25)",
        ),
        &["nowhere.csv"],
    );
}

#[test]
fn a_ragged_csv_row_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ragged.csv"),
        "a,b,label\n1,2,0\n3,4,1\n5,1\n6,7,0\n",
    )
    .unwrap();
    let text = GOOD.replace(
        "Xor(samples: 40, noise: 0.1, test_fraction: 0.25)",
        "Csv(path: \"ragged.csv\", label_column: \"label\", test_fraction: 0.25)",
    );
    std::fs::write(dir.path().join("bad.ron"), text).unwrap();
    let out = neuragent(&["run", "bad.ron"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ragged.csv"), "{stderr}");
    assert!(stderr.contains("ragged.csv:4:"), "{stderr}");
}

#[test]
fn a_run_writes_its_folder_and_a_failed_expectation_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let text = GOOD.replace(
        "links:",
        "expect: [FinalTestAccuracy(at_least: 1.0), FinalTestLoss(at_most: 0.0)],\n    links:",
    );
    std::fs::write(dir.path().join("s.ron"), text).unwrap();
    let out = neuragent(&["run", "s.ron"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let run = dir.path().join("runs/ok-seed1");
    for file in [
        "resolved.ron",
        "metrics.csv",
        "summary.json",
        "curves.svg",
        "curves.png",
        "dynamics.svg",
        "dynamics.png",
    ] {
        assert!(run.join(file).is_file(), "{file} missing");
    }
    let dynamics = std::fs::read_to_string(run.join("dynamics.svg")).unwrap();
    assert!(dynamics.contains("messages per training sample") && dynamics.contains("staleness"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    for key in [
        "final_test_accuracy",
        "final_test_loss",
        "samples_seen",
        "sim_ticks",
        "events",
        "wall_seconds",
        "messages",
        "expectations",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["expectations"][1]["passed"], false);
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    assert!(metrics.starts_with(
        "name,seed,samples_seen,epoch,sim_ticks,train_loss,test_loss,test_accuracy,test_r2,messages_sent_total,"
    ));
    assert_eq!(
        metrics.lines().count(),
        1 + 3,
        "header, untrained, two epochs"
    );
    // The resolved scenario runs again to the same results, replacing its own folder.
    let again = neuragent(
        &[
            "run",
            "runs/ok-seed1/resolved.ron",
            "--out",
            "runs/ok-seed1",
        ],
        dir.path(),
    );
    assert_eq!(
        again.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        metrics,
        std::fs::read_to_string(run.join("metrics.csv")).unwrap()
    );
}

#[test]
fn a_folder_holding_another_run_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.ron"), GOOD).unwrap();
    std::fs::write(dir.path().join("b.ron"), GOOD.replace("lr: 0.1", "lr: 0.2")).unwrap();
    assert_eq!(
        neuragent(&["run", "a.ron", "--out", "x"], dir.path())
            .status
            .code(),
        Some(0)
    );
    let before = std::fs::read(dir.path().join("x/metrics.csv")).unwrap();
    let out = neuragent(&["run", "b.ron", "--out", "x"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        before,
        std::fs::read(dir.path().join("x/metrics.csv")).unwrap()
    );
    let forced = neuragent(&["run", "b.ron", "--out", "x", "--force"], dir.path());
    assert_eq!(forced.status.code(), Some(0));
    assert_ne!(
        before,
        std::fs::read(dir.path().join("x/metrics.csv")).unwrap()
    );
}

#[test]
fn validate_checks_every_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.ron"), GOOD).unwrap();
    std::fs::write(dir.path().join("bad.ron"), GOOD.replace("[4]", "[0]")).unwrap();
    let out = neuragent(&["validate", "good.ron", "bad.ron"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("good.ron: ok"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("network.hidden[0]"));
    let bundled = crate::common::scenarios_dir();
    let files: Vec<String> = std::fs::read_dir(&bundled)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    assert_eq!(neuragent(&args, dir.path()).status.code(), Some(0));
}

#[test]
fn a_traced_run_replays_identically_and_a_tampered_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let text = GOOD
        .replace(
            "Constant(1), attention_delay",
            "Exponential(mean: 2.0), attention_delay",
        )
        .replace(
            "drop_probability: 0.0",
            "drop_probability: 0.1, wait_timeout: 5, missing_input: LastValue",
        )
        .replace("batch_size: 1", "batch_size: 1, in_flight: 2");
    std::fs::write(dir.path().join("s.ron"), text).unwrap();
    let plain = neuragent(&["run", "s.ron", "--out", "plain"], dir.path());
    assert!(
        plain.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let traced = neuragent(&["run", "s.ron", "--out", "traced", "--trace"], dir.path());
    assert!(traced.status.code().unwrap() <= 1);
    // Tracing is observation: the outputs are those of the untraced run.
    for file in ["metrics.csv", "resolved.ron", "curves.svg"] {
        assert_eq!(
            std::fs::read(dir.path().join("plain").join(file)).unwrap(),
            std::fs::read(dir.path().join("traced").join(file)).unwrap(),
            "{file}"
        );
    }
    let trace = std::fs::read_to_string(dir.path().join("traced/trace.jsonl")).unwrap();
    assert!(trace.lines().count() > 100);
    for line in trace.lines().take(50) {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(event["t"].is_u64() && event["kind"].is_string(), "{line}");
    }
    let replay = neuragent(&["replay", "traced"], dir.path());
    let stdout = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(replay.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("identical outputs") && stdout.contains("trace.jsonl: identical"));

    let metrics = dir.path().join("traced/metrics.csv");
    let mut tampered = std::fs::read_to_string(&metrics).unwrap();
    tampered.push_str("0,0,0,,0,0,0,0,0,0,0,0,0,0,0\n");
    std::fs::write(&metrics, tampered).unwrap();
    let replay = neuragent(&["replay", "traced"], dir.path());
    assert_eq!(replay.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&replay.stdout).contains("metrics.csv: DIFFERS"));
}

#[test]
fn replay_after_the_data_file_changed_names_the_file_and_the_first_difference() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("a,b,label\n");
    for i in 0..40 {
        let (a, b) = ((i % 2) as f64, ((i / 2) % 2) as f64);
        csv += &format!("{a},{b},{}\n", (a + b) as i32 % 2);
    }
    std::fs::write(dir.path().join("points.csv"), &csv).unwrap();
    let data = "Csv(path: \"points.csv\", label_column: \"label\", test_fraction: 0.25)";
    let text = GOOD.replace("Xor(samples: 40, noise: 0.1, test_fraction: 0.25)", data);
    std::fs::write(dir.path().join("s.ron"), text).unwrap();
    // The same file read as the base of tasks (permuted copies of it) is recorded too.
    let tasks = format!("Tasks(base: {data}, split: Permuted(count: 2), mode: Domain)");
    let text = GOOD.replace("Xor(samples: 40, noise: 0.1, test_fraction: 0.25)", &tasks);
    std::fs::write(dir.path().join("t.ron"), text).unwrap();
    let mut hashes = Vec::new();
    for (file, out) in [("s.ron", "r"), ("t.ron", "t")] {
        let run = neuragent(&["run", file, "--out", out], dir.path());
        assert!(run.status.code().unwrap() <= 1, "{file}");
        let summary: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(out).join("summary.json")).unwrap(),
        )
        .unwrap();
        let inputs = summary["inputs"].as_array().unwrap();
        assert_eq!(inputs.len(), 1, "{file}");
        assert!(inputs[0]["path"].as_str().unwrap().ends_with("points.csv"));
        let hash = inputs[0]["sha256"].as_str().unwrap().to_string();
        assert_eq!(hash.len(), 64);
        hashes.push(hash);
        let same = neuragent(&["replay", out], dir.path());
        assert_eq!(same.status.code(), Some(0), "{file}");
    }
    assert_eq!(hashes[0], hashes[1]);

    std::fs::write(
        dir.path().join("points.csv"),
        csv.replacen("0,1,1", "0,1,0", 1),
    )
    .unwrap();
    for out in ["r", "t"] {
        let replay = neuragent(&["replay", out], dir.path());
        let stdout = String::from_utf8_lossy(&replay.stdout);
        assert_eq!(replay.status.code(), Some(1), "{out}: {stdout}");
        assert!(
            stdout.contains("points.csv: the data file changed since the run"),
            "{out}: {stdout}"
        );
        assert!(
            stdout.contains("metrics.csv: DIFFERS: line "),
            "{out}: {stdout}"
        );
    }
}

#[test]
fn replay_of_a_folder_that_is_not_a_run_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = neuragent(&["replay", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("resolved.ron"));
}

#[test]
fn a_fault_at_a_neuron_that_does_not_exist_is_rejected() {
    let with_fault = |fault: &str| {
        GOOD.replace(
            "drop_probability: 0.0)",
            &format!("drop_probability: 0.0, wait_timeout: 5),\n    faults: [{fault}]"),
        )
    };
    rejects(
        &with_fault("Crash(neuron: Hidden(layer: 2, index: 0), at: Sample(3), recover: None)"),
        &["faults[0].neuron", "Hidden(layer: 2, index: 0)"],
    );
    // Inputs are known only once the data is loaded: Xor has two.
    rejects(
        &with_fault(
            "Cut(from: Input(7), to: Hidden(layer: 0, index: 0), at: Sample(3), repair: None)",
        ),
        &["faults[0]", "Input(7)"],
    );
}

#[test]
fn a_uniform_delay_with_min_above_max_is_rejected() {
    rejects(
        &GOOD.replace(
            "attention_delay: Constant(1)",
            "attention_delay: Uniform(min: 5, max: 2)",
        ),
        &["links.attention_delay", "Uniform(min: 5, max: 2)"],
    );
}
