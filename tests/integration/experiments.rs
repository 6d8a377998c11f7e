//! `check`, `edge`, `compare` and `--set` through the binary.

use crate::sweep::{check_png, neuragent, ok, scenarios_dir, TINY};

#[test]
fn check_over_seeds_passes_or_names_the_worst_seed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let xor = scenarios_dir().join("xor.ron");
    let stdout = ok(
        &[
            "check",
            xor.to_str().unwrap(),
            "--seeds",
            "0..20",
            "--quiet",
        ],
        d,
    );
    assert!(
        stdout.contains("FinalTestAccuracy(at_least: 0.95)  20/20"),
        "{stdout}"
    );
    assert!(
        stdout.contains("20/20 seeds") && stdout.contains(": ok"),
        "{stdout}"
    );
    // An expectation that cannot hold: exit 1, the worst seed named.
    std::fs::write(
        d.join("hard.ron"),
        TINY.replace(
            "FinalTestAccuracy(at_least: 0.6)",
            "FinalTestLoss(at_most: 0.001)",
        ),
    )
    .unwrap();
    let out = neuragent(&["check", "hard.ron", "--seeds", "0..4"], d);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FinalTestLoss(at_most: 0.001)  0/4"),
        "{stdout}"
    );
    assert!(
        stdout.contains("worst seed") && stdout.contains("FAILED"),
        "{stdout}"
    );
    // The worst seed is the one with the highest loss, as the table says.
    let row = stdout
        .lines()
        .find(|l| l.starts_with("FinalTestLoss"))
        .unwrap();
    let worst_seed: u64 = row.split_whitespace().last().unwrap().parse().unwrap();
    assert!(worst_seed < 4);
    // min_pass_rate lowers the bar.
    std::fs::write(
        d.join("lenient.ron"),
        TINY.replace("expect: [", "check: (min_pass_rate: 0.0),\n    expect: [")
            .replace(
                "FinalTestAccuracy(at_least: 0.6)",
                "FinalTestLoss(at_most: 0.001)",
            ),
    )
    .unwrap();
    assert_eq!(
        neuragent(&["check", "lenient.ron", "--seeds", "0..2"], d)
            .status
            .code(),
        Some(0)
    );
    // Bad seeds are refused.
    assert_eq!(
        neuragent(&["check", "hard.ron", "--seeds", "3..3"], d)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn edge_brackets_the_critical_drop_probability_of_each_seed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("lossy.ron"),
        TINY.replace("samples: 60", "samples: 200")
            .replace("epochs: 3", "epochs: 20")
            .replace("at_least: 0.6", "at_least: 0.9"),
    )
    .unwrap();
    let stdout = ok(
        &[
            "edge",
            "lossy.ron",
            "--field",
            "links.drop_probability",
            "--range",
            "0.0..0.95",
            "--seeds",
            "0..3",
            "--tolerance",
            "0.05",
            "--out",
            "e",
        ],
        d,
    );
    assert!(stdout.contains("median edge"), "{stdout}");
    let csv = std::fs::read_to_string(d.join("e/edges.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    for row in rows {
        let cells: Vec<&str> = row.split(',').collect();
        let (low, high): (f64, f64) = (cells[4].parse().unwrap(), cells[5].parse().unwrap());
        if cells[6] == "bracketed" {
            assert!(high - low <= 0.05 + 1e-9 && low < high, "{row}");
        }
    }
    check_png(&d.join("e/edges.png"), (800, 200));
    // With a sweep file: one edge per grid point and seed.
    std::fs::write(
        d.join("delays.sweep.ron"),
        "// One edge per delay model.\nSweep(name: \"delays\", base: \"lossy.ron\", seeds: List([0]), \
         grid: [(\"links.forward_delay\", [Constant(1), Uniform(min: 1, max: 6)])])",
    )
    .unwrap();
    let stdout = ok(
        &[
            "edge",
            "delays.sweep.ron",
            "--field",
            "links.drop_probability",
            "--range",
            "0.0..0.95",
            "--seeds",
            "0",
            "--tolerance",
            "0.1",
            "--out",
            "g",
        ],
        d,
    );
    assert!(
        stdout.contains("links.forward_delay = Uniform(min: 1, max: 6)"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(d.join("g/edges.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // A field that is not a number is refused.
    let out = neuragent(
        &[
            "edge",
            "lossy.ron",
            "--field",
            "links.forward_delay",
            "--range",
            "0..1",
            "--seeds",
            "0..2",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("numeric field"));
}

#[test]
fn compare_draws_mean_curves_with_bands_and_a_paired_table() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.ron"), TINY.replace("\"tiny\"", "\"attention\"")).unwrap();
    std::fs::write(
        d.join("b.ron"),
        TINY.replace("\"tiny\"", "\"feedback\"")
            .replace("rule: Attention", "rule: FeedbackAlignment"),
    )
    .unwrap();
    let stdout = ok(
        &[
            "compare", "a.ron", "b.ron", "--seeds", "0..3", "--out", "c", "--band", "sd",
        ],
        d,
    );
    assert!(
        stdout.contains("paired Δ final accuracy vs attention"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(d.join("c/compare.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("attention,3,"));
    check_png(&d.join("c/compare.png"), (1100, 450));
    let svg = std::fs::read_to_string(d.join("c/compare.svg")).unwrap();
    assert!(
        svg.contains("band: ±1 sd over seeds"),
        "the legend states the band"
    );
}

#[test]
fn set_overrides_fields_and_lands_in_resolved_ron() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let xor = scenarios_dir().join("xor.ron");
    let xor = xor.to_str().unwrap();
    ok(
        &[
            "run",
            xor,
            "--set",
            "links.drop_probability=0.2",
            "--set",
            "links.wait_timeout=10",
            "--out",
            "r",
        ],
        d,
    );
    let resolved = std::fs::read_to_string(d.join("r/resolved.ron")).unwrap();
    assert!(resolved.contains("drop_probability: 0.2,"), "{resolved}");
    assert!(
        resolved.contains("wait_timeout: 10,") || resolved.contains("wait_timeout: Some(10),"),
        "{resolved}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r/summary.json")).unwrap()).unwrap();
    let dropped = summary["messages"]["total"]["dropped"].as_u64().unwrap();
    assert!(
        dropped > 0,
        "the override took effect: messages were dropped"
    );
    // An enum, and a value problem named by path.
    ok(
        &[
            "validate",
            xor,
            "--set",
            "learning.rule=GreedyAttention",
            "--set",
            "links.forward_delay=Exponential(mean: 4.0)",
        ],
        d,
    );
    // A seed group of its own, though the file does not write `seeds`.
    ok(&["validate", xor, "--set", "seeds.faults=3"], d);
    // A value problem names the file once.
    let out = neuragent(&["validate", xor, "--set", "links.drop_probability=0.2"], d);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.matches(xor).count(),
        2,
        "the header and the position: {stderr}"
    );
    for (set, needle) in [
        ("links.drop_probabilty=0.2", "no field `drop_probabilty`"),
        (
            "links.drop_probability=high",
            "links.drop_probability = high",
        ),
        ("links.drop_probability=0.2", "links.wait_timeout"),
        ("nonsense", "FIELD=VALUE"),
    ] {
        let out = neuragent(&["run", xor, "--set", set, "--out", "bad"], d);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {stderr}");
        assert!(stderr.contains(needle), "{set}: {needle:?} not in {stderr}");
    }
    assert!(!d.join("bad").exists());
    check_png(&d.join("r/curves.png"), (1000, 400));
}

#[test]
fn the_progress_hook_sees_every_checkpoint_and_changes_nothing() {
    let s = neuragent::scenario::Scenario::parse(TINY, std::path::Path::new("tiny.ron")).unwrap();
    let mut seen = Vec::new();
    let observed = neuragent::run::run_with_progress(&s, &mut |p| {
        seen.push((p.samples_seen, p.samples_total))
    })
    .unwrap();
    let plain = neuragent::run::run(&s).unwrap();
    assert_eq!(observed.metrics, plain.metrics);
    assert_eq!(observed.params, plain.params);
    assert_eq!(seen.len(), plain.metrics.len());
    assert_eq!(seen[0].0, 0);
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    let total = seen[0].1;
    assert_eq!(seen.last().unwrap().0, total);
    assert_eq!(total, plain.summary.samples_seen);
}
