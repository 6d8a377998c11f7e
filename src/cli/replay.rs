//! `neuragent replay DIR`: re-runs a run folder's `resolved.ron` and compares every output with the
//! folder's, saying where a file differs (line and column, or the JSON key) and which input file
//! changed since the run.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::{print_ignoring_closed_pipe, run_with_trace, EXIT_EXPECTATION_FAILED};
use crate::engine::TraceLevel;
use crate::output;
use crate::run::inputs::{sha256_of, InputFile};
use crate::scenario::Scenario;

/// Re-runs `dir` and reports each file as identical or where it first differs. Exit 0 when everything
/// is identical, 1 otherwise.
pub(super) fn replay(dir: &Path) -> anyhow::Result<ExitCode> {
    let resolved = dir.join("resolved.ron");
    if !resolved.is_file() {
        anyhow::bail!(
            "{} has no resolved.ron; replay takes a folder written by `neuragent run`",
            dir.display()
        );
    }
    let recorded_summary = read_json(&dir.join("summary.json"))?;
    let mut report = String::new();
    let mut identical = true;
    for change in changed_inputs(&recorded_summary) {
        identical = false;
        report += &format!("  input {change}\n");
    }
    let scenario = Scenario::from_file(&resolved)?;
    let recorded_trace = dir.join(output::TRACE_FILE);
    let fresh_trace = recorded_trace.is_file().then(|| {
        std::env::temp_dir().join(format!("neuragent-replay-{}.jsonl", std::process::id()))
    });
    let level = trace_level_of(&recorded_trace)?;
    let result = run_with_trace(&scenario, fresh_trace.as_deref().map(|p| (p, level)));
    let outcome = result.and_then(|result| {
        for (file, bytes) in output::render(&result)? {
            let path = dir.join(file);
            let recorded =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let difference = if file == "summary.json" {
                let fresh: serde_json::Value =
                    serde_json::from_slice(&bytes).context("summary.json")?;
                json_difference(&recorded_summary, &fresh, "")
            } else if file.ends_with(".png") {
                (recorded != bytes).then(|| "its pixels differ".to_string())
            } else {
                text_difference(&mut recorded.as_slice(), &mut bytes.as_slice())?
            };
            identical &= difference.is_none();
            report += &format!("  {file}: {}\n", verdict(difference));
        }
        if let Some(fresh) = &fresh_trace {
            let open = |p: &Path| {
                std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))
            };
            let difference = text_difference(&mut open(&recorded_trace)?, &mut open(fresh)?)?;
            identical &= difference.is_none();
            report += &format!("  {}: {}\n", output::TRACE_FILE, verdict(difference));
        }
        Ok(())
    });
    if let Some(fresh) = &fresh_trace {
        let _ = std::fs::remove_file(fresh);
    }
    outcome?;
    print_ignoring_closed_pipe(&format!(
        "replay of {}: {}\n{report}",
        dir.display(),
        if identical {
            "identical outputs"
        } else {
            "outputs differ"
        }
    ));
    Ok(if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_EXPECTATION_FAILED)
    })
}

fn verdict(difference: Option<String>) -> String {
    match difference {
        None => "identical".into(),
        Some(at) => format!("DIFFERS: {at}"),
    }
}

fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", path.display()))
}

/// The input files recorded in a summary whose content changed (or that are gone) since the run.
fn changed_inputs(summary: &serde_json::Value) -> Vec<String> {
    let recorded: Vec<InputFile> = summary
        .get("inputs")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    recorded
        .into_iter()
        .filter_map(|f| {
            let now = sha256_of(Path::new(&f.path));
            (now != f.sha256).then(|| match now {
                None => format!("{}: the data file is gone or unreadable", f.path),
                Some(now) => format!(
                    "{}: the data file changed since the run (SHA-256 was {}, is now {now})",
                    f.path,
                    f.sha256.as_deref().unwrap_or("unknown")
                ),
            })
        })
        .collect()
}

/// Where two JSON values first differ (a key path), `wall_seconds` aside; `None` when equal.
fn json_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                if at.is_empty() && key == "wall_seconds" {
                    continue;
                }
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = json_difference(p, q, &path) {
                            return Some(d);
                        }
                    }
                    (p, q) => return Some(format!("{path}: {} now {}", show(p), show(q))),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if let Some(d) = json_difference(p, q, &format!("{at}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{at}: {} elements, now {}", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{at}: was {a}, now {b}")),
    }
}

fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or("absent".to_string(), |v| format!("was {v},"))
}

/// Where two texts first differ: line and column (1-based) and the two lines, shortened; `None`
/// when equal.
fn text_difference(a: &mut dyn Read, b: &mut dyn Read) -> anyhow::Result<Option<String>> {
    let (mut a, mut b) = (BufReader::new(a), BufReader::new(b));
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut line = 0usize;
    loop {
        x.clear();
        y.clear();
        let n = a.read_until(b'\n', &mut x)?;
        let m = b.read_until(b'\n', &mut y)?;
        line += 1;
        if n == 0 && m == 0 {
            return Ok(None);
        }
        if x != y {
            let column = x.iter().zip(&y).take_while(|(p, q)| p == q).count() + 1;
            let excerpt = |l: &[u8]| {
                let text = String::from_utf8_lossy(l);
                let text = text.trim_end();
                let start = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .take_while(|&i| i + 40 < column)
                    .last()
                    .unwrap_or(0);
                let shown: String = text[start..].chars().take(80).collect();
                if shown.is_empty() {
                    "(end of file)".to_string()
                } else {
                    shown
                }
            };
            return Ok(Some(format!(
                "line {line}, column {column}: was `{}`, now `{}`",
                excerpt(&x),
                excerpt(&y)
            )));
        }
    }
}

/// The level a recorded trace was written at: messages if any of its first lines is a message.
fn trace_level_of(path: &Path) -> anyhow::Result<TraceLevel> {
    if !path.is_file() {
        return Ok(TraceLevel::Events);
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    for line in BufReader::new(file).lines().take(10_000) {
        if line?.starts_with("{\"message\"") {
            return Ok(TraceLevel::Messages);
        }
    }
    Ok(TraceLevel::Events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_located() {
        let d = text_difference(&mut &b"a,b\n1,2\n3,4\n"[..], &mut &b"a,b\n1,2\n3,5\n"[..])
            .unwrap()
            .unwrap();
        assert!(d.starts_with("line 3, column 3:"), "{d}");
        assert!(text_difference(&mut &b"x\n"[..], &mut &b"x\n"[..])
            .unwrap()
            .is_none());
        let d = text_difference(&mut &b"x\n"[..], &mut &b"x\ny\n"[..])
            .unwrap()
            .unwrap();
        assert!(d.starts_with("line 2, column 1"), "{d}");
        let a = serde_json::json!({"wall_seconds": 1.0, "m": {"k": [1, 2]}});
        let b = serde_json::json!({"wall_seconds": 2.0, "m": {"k": [1, 3]}});
        assert_eq!(json_difference(&a, &b, "").unwrap(), "m.k[1]: was 2, now 3");
        assert!(json_difference(&a, &a, "").is_none());
    }
}
