//! Field paths: read or replace one field of a scenario, whatever its type.
//!
//! A path names a field the way validation messages do: `links.drop_probability`,
//! `learning.rule`, `faults[0].at`, `network.hidden[1]`, `links.forward_delay.mean`. A value is RON
//! text of that field's type: `0.2`, `GreedyAttention`, `Exponential(mean: 10.0)`, `Sample(200)`.
//!
//! `ron::Value` drops struct and variant names, so it cannot carry an enum like a delay model. Instead
//! the scenario is written out with every default ([`Scenario::to_ron`]), the value's text is spliced in
//! at the path by a small RON-aware scanner, and the result is parsed again with [`Scenario::parse`]: a
//! value of the wrong type comes back as the parser's message, a bad value as the usual validation
//! problem naming the path. Sweeps (`neuragent sweep`) and `--set FIELD=VALUE` both go through
//! [`apply`].

use std::fmt;
use std::path::Path;
use std::str::FromStr;

mod scan;

use scan::{parse_root, Kind, Node, Scanner};

use super::{Scenario, ScenarioError};

/// A parsed field path: `links.drop_probability`, `faults[0].at`, `network.hidden[1]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldPath {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Segment {
    Field(String),
    Index(usize),
}

impl FieldPath {
    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for FieldPath {
    type Err = PathError;

    fn from_str(text: &str) -> Result<Self, PathError> {
        let syntax = |why: &str| PathError::Syntax {
            path: text.to_string(),
            why: why.to_string(),
        };
        let mut segments = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut expect_field = true;
        while i < bytes.len() {
            match bytes[i] {
                b'[' => {
                    let close = text[i..]
                        .find(']')
                        .ok_or_else(|| syntax("a `[` is not closed"))?;
                    let index = text[i + 1..i + close].trim();
                    let index: usize = index.parse().map_err(|_| {
                        syntax(&format!("`[{index}]` is not a list index (0, 1, 2, ...)"))
                    })?;
                    if segments.is_empty() {
                        return Err(syntax("a path starts with a field name"));
                    }
                    segments.push(Segment::Index(index));
                    i += close + 1;
                    expect_field = false;
                }
                b'.' if !expect_field => {
                    i += 1;
                    expect_field = true;
                }
                c if expect_field && (c.is_ascii_alphanumeric() || c == b'_') => {
                    let end = text[i..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(text.len(), |e| i + e);
                    segments.push(Segment::Field(text[i..end].to_string()));
                    i = end;
                    expect_field = false;
                }
                _ => return Err(syntax(
                    "expected field names joined by `.`, each optionally followed by `[index]`, \
                         e.g. `links.drop_probability` or `faults[0].at`",
                )),
            }
        }
        if segments.is_empty() || expect_field {
            return Err(syntax(
                "expected field names joined by `.`, e.g. `links.drop_probability`",
            ));
        }
        Ok(FieldPath {
            text: text.to_string(),
            segments,
        })
    }
}

/// One override: a field path and the RON text of its new value (`--set FIELD=VALUE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// The field.
    pub path: FieldPath,
    /// Its new value, as RON text.
    pub value: String,
}

impl FromStr for Override {
    type Err = PathError;

    fn from_str(text: &str) -> Result<Self, PathError> {
        let (path, value) = text.split_once('=').ok_or_else(|| PathError::Syntax {
            path: text.to_string(),
            why: "expected FIELD=VALUE, e.g. `links.drop_probability=0.2`".to_string(),
        })?;
        Ok(Override {
            path: path.trim().parse()?,
            value: value.trim().to_string(),
        })
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path, self.value)
    }
}

/// Why a field path or an override could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// The path is not written as a path.
    #[error("`{path}` is not a field path: {why}")]
    Syntax {
        /// The text.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// The path names a field that does not exist.
    #[error("{path}: {parent} has no field `{field}`; its fields are {available}")]
    NoField {
        /// The whole path.
        path: String,
        /// The part that exists, and its value, e.g. `links` or `data (Builtin(..))`.
        parent: String,
        /// The missing field.
        field: String,
        /// The fields that exist there.
        available: String,
    },
    /// The path indexes something that is not a list, or past its end.
    #[error("{path}: {why}")]
    BadIndex {
        /// The whole path.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// The value is not one RON value.
    #[error("{path} = {value}: not a RON value ({why})")]
    NotAValue {
        /// The field.
        path: String,
        /// The text given.
        value: String,
        /// What is wrong.
        why: String,
    },
    /// The value does not have the field's type.
    #[error("{path} = {value}: {message}; expected a value of the field's type, like its current value {current}")]
    WrongType {
        /// The field.
        path: String,
        /// The value given.
        value: String,
        /// What the RON parser said.
        message: String,
        /// The field's value before the override, as RON.
        current: String,
    },
    /// The scenario with the overrides applied is not valid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

/// The RON text of the field at `path` in `ron_text` (a scenario as [`Scenario::to_ron`] writes it),
/// on one line.
pub fn get(ron_text: &str, path: &FieldPath) -> Result<String, PathError> {
    let root = parse_root(ron_text);
    let node = lookup(ron_text, &root, path)?;
    Ok(compact(&ron_text[node.span.clone()]))
}

/// `ron_text` with the field at `path` replaced by `value`. Checks that `value` is one RON value, not
/// that it has the field's type (parsing the result does that).
pub fn set(ron_text: &str, path: &FieldPath, value: &str) -> Result<String, PathError> {
    let root = parse_root(ron_text);
    let node = lookup(ron_text, &root, path)?;
    check_value(path, value)?;
    let mut out = String::with_capacity(ron_text.len() + value.len());
    out.push_str(&ron_text[..node.span.start]);
    out.push_str(value.trim());
    out.push_str(&ron_text[node.span.end..]);
    Ok(out)
}

/// `scenario` with every override applied in order, parsed and validated again. `source` is the
/// scenario file (named in messages; a relative CSV path set by an override is resolved against its
/// folder). A value of the wrong type is reported on its override; value problems are reported all
/// at once, by field path, as [`ScenarioError::Invalid`].
pub fn apply(
    scenario: &Scenario,
    overrides: &[Override],
    source: &Path,
) -> Result<Scenario, PathError> {
    if overrides.is_empty() {
        return Ok(scenario.clone());
    }
    let mut text = scenario.to_ron();
    for o in overrides {
        let current = get(&text, &o.path)?;
        let spliced = set(&text, &o.path, &o.value)?;
        match Scenario::parse(&spliced, source) {
            Err(ScenarioError::Parse { message, .. }) => {
                return Err(PathError::WrongType {
                    path: o.path.to_string(),
                    value: compact(&o.value),
                    message,
                    current,
                });
            }
            Err(ScenarioError::Invalid { problems, .. }) => {
                // A type error inside the new value is reported at (or below) its path.
                let own = o.path.to_string();
                let typed = problems.iter().find(|p| {
                    p.position.is_some()
                        && (p.path == own || p.path.starts_with(&format!("{own}.")))
                });
                if let Some(p) = typed {
                    return Err(PathError::WrongType {
                        path: own,
                        value: compact(&o.value),
                        message: format!("expected {}", p.accepted),
                        current,
                    });
                }
            }
            _ => {}
        }
        text = spliced;
    }
    let mut applied = Scenario::parse(&text, source)?;
    if let Some(csv) = applied.data.csv_path_mut() {
        if csv.is_relative() {
            let joined = source.parent().unwrap_or(Path::new("")).join(&*csv);
            *csv = std::path::absolute(&joined).unwrap_or(joined);
        }
    }
    Ok(applied)
}

/// Reads the scenario file `path` and applies `overrides` ([`apply`]). A file whose values are only
/// invalid until an override fixes them is accepted.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, PathError> {
    match Scenario::from_file(path) {
        Ok(s) => apply(&s, overrides, path),
        Err(ScenarioError::Invalid { .. }) if !overrides.is_empty() => {
            // Parse without validating, then let the overrides fix the values.
            let text = std::fs::read_to_string(path).map_err(|error| ScenarioError::Read {
                path: path.to_path_buf(),
                error,
            })?;
            let options = ron::Options::default()
                .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
            let mut raw: Scenario = match options.from_str(&text) {
                Ok(raw) => raw,
                Err(_) => return Err(Scenario::from_file(path).unwrap_err().into()),
            };
            if let Some(csv) = raw.data.csv_path_mut() {
                if csv.is_relative() {
                    let joined = path.parent().unwrap_or(Path::new("")).join(&*csv);
                    *csv = std::path::absolute(&joined).unwrap_or(joined);
                }
            }
            apply(&raw, overrides, path)
        }
        Err(e) => Err(e.into()),
    }
}

/// RON text on one line: line breaks and indentation removed, trailing commas dropped, strings kept.
pub fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.trim().chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            out.push(e);
                        }
                    } else if d == '"' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => pending_space = true,
            ',' => {
                // Drop a trailing comma before a closing bracket.
                let mut rest = chars.clone();
                while rest.peek().is_some_and(|c| c.is_whitespace()) {
                    rest.next();
                }
                if !matches!(rest.peek(), Some(')' | ']' | '}')) {
                    out.push(',');
                    pending_space = true;
                }
            }
            ')' | ']' | '}' => {
                pending_space = false;
                out.push(c);
            }
            _ => {
                let after_open = matches!(out.chars().last(), Some('(' | '[' | '{') | None);
                if pending_space && !after_open {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

/// Checks that `value` is exactly one RON value.
fn check_value(path: &FieldPath, value: &str) -> Result<(), PathError> {
    let err = |why: String| PathError::NotAValue {
        path: path.to_string(),
        value: value.to_string(),
        why,
    };
    let mut s = Scanner {
        text: value,
        pos: 0,
    };
    s.value().map_err(err)?;
    s.skip_blank();
    if s.pos < value.len() {
        return Err(err(format!(
            "unexpected `{}` after the value",
            &value[s.pos..].trim()
        )));
    }
    Ok(())
}

fn lookup<'n>(text: &str, root: &'n Node, path: &FieldPath) -> Result<&'n Node, PathError> {
    let mut node = root;
    let mut walked = String::new();
    for segment in &path.segments {
        // `Some(x)` is transparent.
        while let Kind::Items(Some(name), items) = &node.kind {
            if name == "Some" && items.len() == 1 {
                node = &items[0];
            } else {
                break;
            }
        }
        let here = |walked: &str| {
            let value = compact(&text[node.span.clone()]);
            let short = if let Kind::Fields(Some(name), _) = &node.kind {
                // A structure or variant: its name says enough.
                if name == "Scenario" || name.ends_with("Spec") {
                    name.clone()
                } else {
                    format!("{name}(..)")
                }
            } else if value.len() > 40 {
                let cut = value.char_indices().nth(36).map_or(value.len(), |(i, _)| i);
                format!("{}..", &value[..cut])
            } else {
                value
            };
            if walked.is_empty() {
                format!("the scenario ({short})")
            } else {
                format!("{walked} ({short})")
            }
        };
        match segment {
            Segment::Field(field) => {
                let Kind::Fields(_, fields) = &node.kind else {
                    return Err(PathError::NoField {
                        path: path.to_string(),
                        parent: here(&walked),
                        field: field.clone(),
                        available: "none: it is not a structure".into(),
                    });
                };
                match fields.iter().find(|(name, _)| name == field) {
                    Some((_, child)) => node = child,
                    None => {
                        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                        return Err(PathError::NoField {
                            path: path.to_string(),
                            parent: here(&walked),
                            field: field.clone(),
                            available: names.join(", "),
                        });
                    }
                }
                if !walked.is_empty() {
                    walked.push('.');
                }
                walked.push_str(field);
            }
            Segment::Index(index) => {
                let Kind::Items(_, items) = &node.kind else {
                    return Err(PathError::BadIndex {
                        path: path.to_string(),
                        why: format!("{} is not a list", here(&walked)),
                    });
                };
                node = items.get(*index).ok_or_else(|| PathError::BadIndex {
                    path: path.to_string(),
                    why: format!(
                        "{} has {} element{}, so [{index}] does not exist",
                        here(&walked),
                        items.len(),
                        if items.len() == 1 { "" } else { "s" }
                    ),
                })?;
                walked.push_str(&format!("[{index}]"));
            }
        }
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XOR: &str = r#"Scenario(
        name: "xor", seed: 1,
        data: Xor(samples: 40, noise: 0.1, test_fraction: 0.25),
        network: (hidden: [4, 3], activation: Tanh, output: Softmax),
        learning: (rule: Attention, optimizer: Sgd(lr: 0.1), epochs: 2),
        links: (drop_probability: 0.1, wait_timeout: 20),
        faults: [Crash(neuron: Hidden(layer: 0, index: 1), at: Sample(10), recover: None)],
    )"#;

    fn xor() -> Scenario {
        Scenario::parse(XOR, Path::new("xor.ron")).unwrap()
    }

    fn ov(text: &str) -> Override {
        text.parse().unwrap()
    }

    fn applied(overrides: &[&str]) -> Result<Scenario, PathError> {
        let o: Vec<Override> = overrides.iter().map(|t| ov(t)).collect();
        apply(&xor(), &o, Path::new("xor.ron"))
    }

    #[test]
    fn path_syntax() {
        for good in [
            "seed",
            "links.drop_probability",
            "faults[0].at",
            "network.hidden[1]",
        ] {
            assert_eq!(good.parse::<FieldPath>().unwrap().as_str(), good);
        }
        for bad in [
            "",
            ".seed",
            "links.",
            "links..x",
            "faults[x]",
            "faults[0",
            "[0]",
            "a b",
        ] {
            assert!(bad.parse::<FieldPath>().is_err(), "{bad}");
        }
        assert!("noequals".parse::<Override>().is_err());
    }

    #[test]
    fn numbers_enums_lists_and_options() {
        let s = applied(&[
            "links.drop_probability=0.2",
            "links.forward_delay=Exponential(mean: 10.0)",
            "learning.rule=GreedyAttention",
            "faults[0].at=Sample(20)",
            "network.hidden[1]=7",
            "links.wait_timeout=10",
            "links.forward_drop=0.3",
        ])
        .unwrap();
        assert_eq!(s.links.drop_probability, 0.2);
        assert_eq!(
            s.links.forward_delay,
            super::super::Delay::Exponential { mean: 10.0 }
        );
        assert_eq!(s.learning.rule, super::super::RuleSpec::GreedyAttention);
        assert_eq!(s.network.hidden, vec![4, 7]);
        assert_eq!(s.links.wait_timeout, Some(10));
        assert_eq!(s.links.forward_drop, Some(0.3));
        match &s.faults[0] {
            super::super::Fault::Crash { at, .. } => {
                assert_eq!(*at, super::super::When::Sample(20))
            }
            other => panic!("{other:?}"),
        }
        // A field inside an enum variant.
        let s = applied(&[
            "links.forward_delay=Exponential(mean: 10.0)",
            "links.forward_delay.mean=2.5",
        ])
        .unwrap();
        assert_eq!(
            s.links.forward_delay,
            super::super::Delay::Exponential { mean: 2.5 }
        );
        // Whole lists too.
        assert_eq!(
            applied(&["network.hidden=[2]"]).unwrap().network.hidden,
            vec![2]
        );
    }

    #[test]
    fn errors_name_the_path_value_and_what_is_accepted() {
        let e = applied(&["links.drop_probabilty=0.2"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("links.drop_probabilty"), "{e}");
        assert!(e.contains("drop_probability, forward_drop"), "{e}");
        let e = applied(&["data.name=\"x\""]).unwrap_err().to_string();
        assert!(e.contains("data (Xor("), "{e}");
        let e = applied(&["network.hidden[5]=2"]).unwrap_err().to_string();
        assert!(e.contains("2 elements"), "{e}");
        let e = applied(&["links.drop_probability=\"high\""])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("links.drop_probability = \"high\": ") && e.contains("0.1"),
            "{e}"
        );
        let e = applied(&["links.forward_delay=Sometimes(3)"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("Sometimes") && e.contains("Constant"), "{e}");
        let e = applied(&["links.drop_probability=0.1), seed: (3"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a RON value"), "{e}");
        // A value problem comes from validation, by path.
        let e = applied(&["links.drop_probability=1.5"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("links.drop_probability = 1.5: expected"), "{e}");
    }

    #[test]
    fn get_reads_any_field_on_one_line() {
        let text = xor().to_ron();
        let get = |p: &str| get(&text, &p.parse().unwrap()).unwrap();
        assert_eq!(get("links.drop_probability"), "0.1");
        assert_eq!(get("learning.optimizer"), "Sgd(lr: 0.1, momentum: 0.0)");
        assert_eq!(get("network.hidden"), "[4, 3]");
        assert_eq!(get("faults[0].at"), "Sample(10)");
        assert_eq!(get("name"), "\"xor\"");
    }

    #[test]
    fn compact_keeps_strings() {
        assert_eq!(
            compact("Foo(\n  a: \"x  y\",\n  b: [1, 2,],\n)"),
            "Foo(a: \"x  y\", b: [1, 2])"
        );
    }
}
