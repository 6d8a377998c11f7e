//! A forgiving reading of a scenario file: the type errors of every field, each with its path and
//! place in the text, instead of the parser's first error.
//!
//! The reading is serde's own: the schema's `Deserialize` impls run over `ron`, wrapped so that every
//! field's text is first captured as a [`RawValue`] (which gives its place in the file) and then read
//! on its own, with its field path tracked. When a field fails, the reason is recorded and the field is
//! *skipped* on the next pass, so the pass gets further; a struct whose required field was skipped
//! fails as a whole and is skipped in turn (silently: its fields have been read). Passes repeat until
//! one succeeds or nothing is left to skip. Unknown and repeated fields are recorded and skipped on
//! the spot.
//!
//! `serde_path_to_error` tracks paths the same way, but it stops at the first error and cannot skip a
//! field, which is what collecting every error needs.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

use ron::value::RawValue;
use serde::de::{DeserializeSeed, IgnoredAny};
use serde::Deserialize;

use super::accepted;

mod wrap;

use wrap::Wrap;

/// Most passes over the text; each one that fails skips one more field, so this bounds the work on
/// hostile input.
const MAX_PASSES: usize = 200;
/// Most findings kept; the rest are counted.
pub(super) const MAX_FINDINGS: usize = 50;

/// What the first `deserialize_*` call for a field asked for: its type as serde sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) enum Seen {
    /// Nothing yet.
    #[default]
    Nothing,
    /// A struct of this name.
    Struct(&'static str),
    /// An enum of this name, with these variants.
    Enum(&'static str, &'static [&'static str]),
    /// A list.
    Seq,
    /// A primitive: `"u64"`, `"f64"`, `"bool"`, `"string"`, ...
    Primitive(&'static str),
}

/// A field: its path, the struct (or `Enum::Variant`) it belongs to, and its name there (`name[]` for
/// the elements of a list).
#[derive(Clone, Debug, Default)]
struct Field {
    path: String,
    container: String,
    name: String,
}

/// Something wrong with one field, at a byte offset of the text.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Finding {
    /// Field path, e.g. `learning.epochs`; empty for the whole scenario.
    pub path: String,
    /// The text found there (shortened), or `(missing)`.
    pub value: String,
    /// What would be accepted.
    pub accepted: String,
    /// Byte offset of the value (or of the struct missing a field) in the text.
    pub offset: usize,
}

/// The outcome of [`walk`].
pub(super) struct Walked<T> {
    /// Every problem found, in the order met (at most [`MAX_FINDINGS`]).
    pub findings: Vec<Finding>,
    /// Findings beyond [`MAX_FINDINGS`].
    pub more: usize,
    /// The value of the last pass, when it succeeded: the fields that were skipped have their
    /// defaults.
    pub value: Option<T>,
    /// Paths skipped in the last pass.
    pub skipped: BTreeSet<String>,
    /// Whether the last pass skipped an element of a list (so later indices moved).
    pub skipped_element: bool,
    /// Byte offset of every field read, by path.
    pub offsets: BTreeMap<String, usize>,
    /// Every field read: its container, name and type (for tests of the accepted texts).
    #[cfg(test)]
    pub visited: Vec<(String, String, Seen)>,
}

/// Reads `text` as a `T` as far as it can, recording every field that does not fit. `options` are
/// the parser options (extensions enabled in the file itself are added); `required` are the fields
/// `T` cannot do without (serde names only the first missing one, so the others are looked for here).
pub(super) fn walk<'t, T: Deserialize<'t>>(
    text: &'t str,
    options: &ron::Options,
    required: &[&str],
) -> Walked<T> {
    let walk = Walk {
        text,
        options: options.clone(),
        skipped: RefCell::default(),
        findings: RefCell::default(),
        more: Cell::new(0),
        offsets: RefCell::default(),
        stopped: Cell::new(false),
        skipped_element: Cell::new(false),
        closed: RefCell::default(),
        top_keys: RefCell::default(),
        #[cfg(test)]
        visited: RefCell::default(),
    };
    let mut value = None;
    for _ in 0..MAX_PASSES {
        walk.stopped.set(false);
        walk.skipped_element.set(false);
        let skipped_before = walk.skipped.borrow().len();
        match walk.pass::<T>() {
            Ok(v) => {
                value = Some(v);
                break;
            }
            Err(e) => {
                if !walk.stopped.get() {
                    // An error no field explains (should not happen once the syntax is valid): say so
                    // at the start rather than loop.
                    walk.record(String::new(), String::new(), e.to_string(), 0);
                    break;
                }
            }
        }
        let done =
            walk.skipped.borrow().contains("") || walk.skipped.borrow().len() == skipped_before;
        if done || walk.more.get() > 0 {
            break;
        }
    }
    let start = walk.offsets.borrow().get("").copied().unwrap_or(0);
    for name in required {
        let reported = walk.findings.borrow().iter().any(|f| f.path == *name);
        if !reported && !walk.top_keys.borrow().iter().any(|k| k == name) {
            let accepted = accepted::for_field("Scenario", name).unwrap_or("a value");
            walk.record(
                name.to_string(),
                "(missing)".to_string(),
                format!("{accepted} (the field is required)"),
                start,
            );
        }
    }
    Walked {
        findings: walk.findings.take(),
        more: walk.more.get(),
        value,
        skipped: walk.skipped.take(),
        skipped_element: walk.skipped_element.get(),
        offsets: walk.offsets.take(),
        #[cfg(test)]
        visited: walk.visited.take(),
    }
}

/// The state of a walk, shared by the wrappers of one pass.
struct Walk<'t> {
    text: &'t str,
    options: ron::Options,
    /// Paths to skip.
    skipped: RefCell<BTreeSet<String>>,
    findings: RefCell<Vec<Finding>>,
    more: Cell<usize>,
    offsets: RefCell<BTreeMap<String, usize>>,
    /// Set when a field has explained the error that is unwinding the pass.
    stopped: Cell<bool>,
    skipped_element: Cell<bool>,
    /// The container of the struct whose fields ran out last (the one a "missing field" is about).
    closed: RefCell<String>,
    /// The field names written at the top level.
    top_keys: RefCell<Vec<String>>,
    #[cfg(test)]
    visited: RefCell<Vec<(String, String, Seen)>>,
}

impl<'t> Walk<'t> {
    fn pass<T: Deserialize<'t>>(&self) -> Result<T, ron::Error> {
        let mut de = ron::Deserializer::from_str_with_options(self.text, &self.options)
            .map_err(|e| e.code)?;
        let start = skip_blank(de.remainder());
        self.read(&mut de, start, &Field::default(), PhantomData::<T>)
    }

    fn is_skipped(&self, path: &str) -> bool {
        self.skipped.borrow().contains(path)
    }

    fn skip(&self, path: &str) {
        self.skipped.borrow_mut().insert(path.to_string());
    }

    /// Byte offset of `part`, a slice of the text.
    fn offset(&self, part: &str) -> usize {
        (part.as_ptr() as usize)
            .checked_sub(self.text.as_ptr() as usize)
            .filter(|&o| o <= self.text.len())
            .unwrap_or(0)
    }

    fn record(&self, path: String, value: String, accepted: String, offset: usize) {
        let mut findings = self.findings.borrow_mut();
        if findings
            .iter()
            .any(|f| f.path == path && f.offset == offset)
        {
            return;
        }
        if findings.len() < MAX_FINDINGS {
            findings.push(Finding {
                path,
                value,
                accepted,
                offset,
            });
        } else {
            self.more.set(self.more.get() + 1);
        }
    }

    /// Reads the field `field`, whose text is `raw` (what `de` reads), as `seed` asks.
    fn read<S: DeserializeSeed<'t>>(
        &self,
        de: &mut ron::Deserializer<'t>,
        raw: &'t str,
        field: &Field,
        seed: S,
    ) -> Result<S::Value, ron::Error> {
        self.offsets
            .borrow_mut()
            .entry(field.path.clone())
            .or_insert_with(|| self.offset(raw));
        let seen = Cell::new(Seen::Nothing);
        let wrapped = Wrap {
            de: &mut *de,
            walk: self,
            field,
            raw,
            seen: &seen,
        };
        let result = seed.deserialize(wrapped).and_then(|v| de.end().map(|()| v));
        match &result {
            Ok(_) => {
                #[cfg(test)]
                self.visited.borrow_mut().push((
                    field.container.clone(),
                    field.name.clone(),
                    seen.get(),
                ));
            }
            Err(e) if !self.stopped.get() => self.explain(e, field, raw, seen.get()),
            Err(_) => {}
        }
        result
    }

    /// Reads a field from its own text (captured by the enclosing struct or list).
    fn capture<S: DeserializeSeed<'t>>(
        &self,
        raw: &'t RawValue,
        field: &Field,
        seed: S,
    ) -> Result<S::Value, ron::Error> {
        let raw = skip_blank(raw.get_ron());
        let mut de =
            ron::Deserializer::from_str_with_options(raw, &self.options).map_err(|e| e.code)?;
        self.read(&mut de, raw, field, seed)
    }

    /// Records why `field` failed with `error` (the first field to see an error it did not get from a
    /// field inside it) and skips it on the next pass.
    fn explain(&self, error: &ron::Error, field: &Field, raw: &'t str, seen: Seen) {
        self.stopped.set(true);
        let offset = self.offset(raw);
        if let ron::Error::MissingStructField { field: missing, .. } = error {
            let child = join(&field.path, missing);
            let suggested = format!("(did you mean {missing}?)");
            let misspelled = self.findings.borrow().iter().any(|f| {
                f.path.rsplit_once('.').map_or("", |(parent, _)| parent) == field.path
                    && f.accepted.ends_with(&suggested)
            });
            if misspelled || self.is_skipped(&child) {
                // The field was skipped for a reason already given: the struct is done with.
                self.skip(&field.path);
            } else {
                let container = self.closed.borrow().clone();
                let accepted = accepted::for_field(&container, missing)
                    .map_or_else(|| "a value".to_string(), str::to_string);
                self.record(
                    child.clone(),
                    "(missing)".to_string(),
                    format!("{accepted} (the field is required)"),
                    offset,
                );
                self.skip(&child);
            }
            return;
        }
        let accepted = accepted::describe(&field.container, &field.name, seen, raw);
        self.record(
            field.path.clone(),
            shown(raw, &self.options),
            accepted,
            offset,
        );
        self.skip(&field.path);
    }
}

/// `path.name`, or `name` at the top.
fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// `s` without leading whitespace and comments.
fn skip_blank(mut s: &str) -> &str {
    loop {
        let trimmed = s.trim_start();
        if let Some(rest) = trimmed.strip_prefix("//") {
            s = rest.find('\n').map_or("", |i| &rest[i..]);
        } else if trimmed.starts_with("/*") {
            // Block comments nest in RON.
            let mut depth = 0usize;
            let mut end = trimmed.len();
            let bytes = trimmed.as_bytes();
            let mut i = 0;
            while i + 1 < bytes.len() {
                match &bytes[i..i + 2] {
                    b"/*" => {
                        depth += 1;
                        i += 2;
                    }
                    b"*/" => {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => i += 1,
                }
            }
            s = &trimmed[end..];
        } else {
            return trimmed;
        }
    }
}

/// The value at the start of `raw` as the user wrote it, on one line and shortened.
fn shown(raw: &str, options: &ron::Options) -> String {
    const MAX_CHARS: usize = 60;
    let text = ron::Deserializer::from_str_with_options(raw, options)
        .ok()
        .and_then(|mut de| {
            IgnoredAny::deserialize(&mut de).ok()?;
            Some(&raw[..raw.len() - de.remainder().len()])
        })
        .unwrap_or_else(|| raw.lines().next().unwrap_or(""));
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_CHARS {
        let cut: String = one_line.chars().take(MAX_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// The variant a value's text names: `Crash` for `Crash(neuron: ...)` (looking through `Some(..)`).
fn variant_name(raw: &str) -> &str {
    let ident = |s: &str| -> usize {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let name = &raw[..ident(raw)];
    if name == "Some" {
        let rest = skip_blank(&raw[name.len()..]);
        if let Some(inner) = rest.strip_prefix('(') {
            let inner = skip_blank(inner);
            return &inner[..ident(inner)];
        }
    }
    name
}
