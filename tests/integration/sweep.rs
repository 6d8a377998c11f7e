//! Sweeps through the binary: identical tables for any `--jobs` and any sharding, merge, resume after
//! SIGINT, and bad input refused with exit code 2 before anything runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const TINY: &str = r#"// A tiny XOR scenario for sweep tests.
Scenario(
    name: "tiny",
    seed: 1,
    data: Xor(samples: 60, noise: 0.1, test_fraction: 0.25),
    network: (hidden: [4], activation: Tanh, output: Softmax),
    learning: (rule: Attention, optimizer: Sgd(lr: 0.1), epochs: 3),
    links: (drop_probability: 0.0, wait_timeout: 20),
    expect: [FinalTestAccuracy(at_least: 0.6), NoDivergence],
)"#;

pub const TINY_SWEEP: &str = r#"// Two knobs, three seeds.
Sweep(
    name: "tiny-sweep",
    base: "tiny.ron",
    seeds: Range(start: 0, end: 3),
    grid: [
        ("links.drop_probability", [0.0, 0.3]),
        ("links.forward_delay", [Constant(1), Exponential(mean: 3.0)]),
    ],
)"#;

pub fn neuragent(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neuragent"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the binary")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn ok(args: &[&str], dir: &Path) -> String {
    let out = neuragent(args, dir);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Exit 2, every needle in stderr, no panic.
fn refused(args: &[&str], dir: &Path, needles: &[&str]) {
    let out = neuragent(args, dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {n:?} not in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Decodes a PNG and checks its size and that it is not blank (some non-white pixels, several
/// colours).
pub fn check_png(path: &Path, min_size: (u32, u32)) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(
        info.width >= min_size.0 && info.height >= min_size.1,
        "{}: {}x{}",
        path.display(),
        info.width,
        info.height
    );
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
    let ink = pixels.iter().filter(|p| p.iter().any(|&c| c < 200)).count();
    assert!(
        ink * 100 > pixels.len(),
        "{}: only {ink} of {} pixels are not near white",
        path.display(),
        pixels.len()
    );
    let mut colours: Vec<&[u8]> = pixels.clone();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 8,
        "{}: {} colours",
        path.display(),
        colours.len()
    );
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.ron"), TINY).unwrap();
    std::fs::write(dir.path().join("tiny.sweep.ron"), TINY_SWEEP).unwrap();
    dir
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

fn spawn(args: &[&str], dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_neuragent"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn tables_are_identical_for_any_jobs_and_any_sharding() {
    let dir = setup();
    let d = dir.path();
    let stdout = ok(
        &["sweep", "tiny.sweep.ron", "--jobs", "1", "--out", "one"],
        d,
    );
    assert!(stdout.contains("tiny-sweep: 12 runs"), "{stdout}");
    ok(
        &["sweep", "tiny.sweep.ron", "--jobs", "2", "--out", "two"],
        d,
    );
    // Three shards as concurrent processes into one shared folder, then merged.
    let children: Vec<_> = ["1/3", "2/3", "3/3"]
        .iter()
        .map(|s| {
            spawn(
                &[
                    "sweep",
                    "tiny.sweep.ron",
                    "--jobs",
                    "1",
                    "--shard",
                    s,
                    "--out",
                    "shared",
                ],
                d,
            )
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    assert!(
        !d.join("shared/results.csv").exists(),
        "a shard writes only its own tables"
    );
    assert!(d.join("shared/results-shard-2-of-3.csv").is_file());
    ok(&["merge", "shared"], d);
    // Shards in folders of their own, merged elsewhere.
    for s in ["1/3", "2/3", "3/3"] {
        let out = format!("own-{}", &s[..1]);
        ok(
            &[
                "sweep",
                "tiny.sweep.ron",
                "--jobs",
                "1",
                "--shard",
                s,
                "--out",
                &out,
            ],
            d,
        );
    }
    ok(&["merge", "own-1", "own-2", "own-3", "--out", "merged"], d);
    let one = d.join("one");
    for other in ["two", "shared", "merged"] {
        for file in ["results.csv", "points.csv", "map.svg", "map.png"] {
            assert!(
                read(&one, file) == read(&d.join(other), file),
                "{file} differs between one and {other}"
            );
        }
    }
    // The tables say what they should.
    let results = String::from_utf8(read(&one, "results.csv")).unwrap();
    let lines: Vec<&str> = results.lines().collect();
    assert_eq!(lines.len(), 13, "{results}");
    assert!(lines[0].starts_with("run,point,links.drop_probability,links.forward_delay,seed,status,passed,final_test_accuracy"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("p000-seed0,0,0.0,Constant(1),0,ok,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[12].starts_with("p003-seed2,3,0.3,Exponential(mean: 3.0),2,ok,")
            || lines[12].starts_with("p003-seed2,3,0.3,\"Exponential(mean: 3.0)\",2,ok,"),
        "{}",
        lines[12]
    );
    let points = String::from_utf8(read(&one, "points.csv")).unwrap();
    assert_eq!(points.lines().count(), 5);
    assert!(points
        .lines()
        .next()
        .unwrap()
        .contains("pass_rate_low,pass_rate_high"));
    assert!(points
        .lines()
        .next()
        .unwrap()
        .contains("final_test_accuracy_ci95_low"));
    assert_eq!(
        String::from_utf8(read(&one, "timings.csv"))
            .unwrap()
            .lines()
            .count(),
        13
    );
    check_png(&one.join("map.png"), (600, 150));
    check_png(&one.join("runs/p000-seed0/curves.png"), (1000, 400));
    let svg = String::from_utf8(read(&one, "map.svg")).unwrap();
    assert!(
        svg.contains("@font-face") && svg.contains("base64,"),
        "the SVG embeds its font"
    );
}

#[test]
fn merge_refuses_other_sweeps_overlaps_and_missing_runs() {
    let dir = setup();
    let d = dir.path();
    ok(
        &["sweep", "tiny.sweep.ron", "--shard", "1/2", "--out", "a"],
        d,
    );
    std::fs::write(
        d.join("other.sweep.ron"),
        TINY_SWEEP.replace("tiny-sweep", "other-sweep"),
    )
    .unwrap();
    ok(
        &["sweep", "other.sweep.ron", "--shard", "2/2", "--out", "b"],
        d,
    );
    refused(
        &["merge", "a", "b", "--out", "m"],
        d,
        &["other-sweep", "tiny-sweep", "only shards of one sweep"],
    );
    assert!(!d.join("m").exists());
    refused(
        &["merge", "a"],
        d,
        &["6 of 12 runs are missing", "--resume"],
    );
    ok(
        &["sweep", "tiny.sweep.ron", "--shard", "1/3", "--out", "c"],
        d,
    );
    refused(&["merge", "a", "c", "--out", "m"], d, &["overlap"]);
    // A folder of another sweep is not reused.
    refused(
        &["sweep", "other.sweep.ron", "--out", "a"],
        d,
        &["holds sweep \"tiny-sweep\""],
    );
}

#[test]
fn sigint_stops_cleanly_and_resume_gives_the_same_results() {
    let dir = setup();
    let d = dir.path();
    // Runs long enough to interrupt part-way: 16 of them, one at a time.
    std::fs::write(
        d.join("slow.ron"),
        TINY.replace("samples: 60", "samples: 1500")
            .replace("epochs: 3", "epochs: 12"),
    )
    .unwrap();
    let sweep = TINY_SWEEP
        .replace("tiny.ron", "slow.ron")
        .replace("end: 3", "end: 4");
    std::fs::write(d.join("slow.sweep.ron"), sweep).unwrap();
    let child = spawn(
        &["sweep", "slow.sweep.ron", "--jobs", "1", "--out", "cut"],
        d,
    );
    let complete = |out: &Path| -> usize {
        std::fs::read_dir(out.join("runs"))
            .map(|e| {
                e.flatten()
                    .filter(|e| e.path().join("summary.json").is_file())
                    .count()
            })
            .unwrap_or(0)
    };
    let started = Instant::now();
    while complete(&d.join("cut")) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no run finished"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        stderr.contains("interrupted") && stderr.contains("--resume"),
        "{stderr}"
    );
    let done = complete(&d.join("cut"));
    assert!((2..16).contains(&done), "{done} runs complete");
    assert!(
        !d.join("cut/results.csv").exists(),
        "no table of an unfinished sweep"
    );
    // Every visible run folder is complete; anything partial is hidden and removed on resume.
    for e in std::fs::read_dir(d.join("cut/runs")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            assert!(
                e.path().join("summary.json").is_file(),
                "{name} looks complete but is not"
            );
        }
    }
    let stdout = ok(
        &[
            "sweep",
            "slow.sweep.ron",
            "--jobs",
            "2",
            "--out",
            "cut",
            "--resume",
        ],
        d,
    );
    assert!(
        stdout.contains(&format!("{done} resumed from earlier")),
        "{stdout}"
    );
    ok(
        &["sweep", "slow.sweep.ron", "--jobs", "2", "--out", "whole"],
        d,
    );
    for file in ["results.csv", "points.csv"] {
        assert!(
            read(&d.join("cut"), file) == read(&d.join("whole"), file),
            "{file} differs"
        );
    }
}

#[test]
fn bad_input_is_refused_before_anything_runs() {
    let dir = setup();
    let d = dir.path();
    let write = |name: &str, text: String| {
        std::fs::write(d.join(name), text).unwrap();
        name.to_string()
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            write(
                "nofield.sweep.ron",
                TINY_SWEEP.replace("links.drop_probability", "links.drop_rate"),
            ),
            vec![
                "links.drop_rate",
                "no field `drop_rate`",
                "drop_probability",
            ],
        ),
        (
            write(
                "type.sweep.ron",
                TINY_SWEEP.replace("[0.0, 0.3]", "[0.0, Constant(1)]"),
            ),
            vec![
                "links.drop_probability = Constant(1)",
                "like its current value 0.0",
            ],
        ),
        (
            write(
                "value.sweep.ron",
                TINY_SWEEP.replace("[0.0, 0.3]", "[0.0, 1.5]"),
            ),
            vec!["links.drop_probability = 1.5: expected"],
        ),
        (
            write("empty.sweep.ron", TINY_SWEEP.replace("[0.0, 0.3]", "[]")),
            vec!["grid[0] (links.drop_probability): no values"],
        ),
        (
            write(
                "missing.sweep.ron",
                TINY_SWEEP.replace("tiny.ron", "nowhere.ron"),
            ),
            vec!["nowhere.ron", "cannot read"],
        ),
        (
            {
                write("broken.ron", TINY.replace("hidden: [4]", "hidden: [0]"));
                write(
                    "broken.sweep.ron",
                    TINY_SWEEP.replace("tiny.ron", "broken.ron"),
                )
            },
            vec!["broken.ron", "network.hidden[0]"],
        ),
    ];
    for (file, needles) in &cases {
        refused(&["sweep", file, "--out", "never"], d, needles);
        refused(&["validate", file], d, needles);
    }
    for shard in ["4/3", "0/3"] {
        refused(
            &[
                "sweep",
                "tiny.sweep.ron",
                "--shard",
                shard,
                "--out",
                "never",
            ],
            d,
            &[shard, "1 ≤ K ≤ N"],
        );
    }
    refused(
        &[
            "sweep",
            "tiny.sweep.ron",
            "--metric",
            "accuracy",
            "--out",
            "never",
        ],
        d,
        &["--metric accuracy", "final_test_accuracy"],
    );
    assert!(!d.join("never").exists(), "nothing ran");
    // Every problem of a sweep at once.
    let two = write(
        "two.sweep.ron",
        TINY_SWEEP
            .replace("links.drop_probability", "links.drop_rate")
            .replace("Exponential(mean: 3.0)", "Exponential(mean: -3.0)"),
    );
    refused(
        &["validate", &two],
        d,
        &[
            "links.drop_rate",
            "links.forward_delay = Exponential(mean: -3.0)",
        ],
    );
    let out = ok(&["validate", "tiny.sweep.ron", "tiny.ron"], d);
    assert!(out.contains("4 grid points × 3 seeds = 12 runs"), "{out}");
}

pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}
