//! Reading a scenario file: syntax, then types, then values, with every problem placed at its line
//! and column.
//!
//! 1. The text must be RON. A syntax error (an unclosed bracket, a missing comma between fields)
//!    stops here, as [`ScenarioError::Parse`] with the parser's line and column: nothing after it can
//!    be trusted.
//! 2. Each field must have the schema's type. When the plain parse fails, [`walk`] reads the file
//!    field by field and reports every field that does not fit (negative counts, fractions where a
//!    whole number is expected, unknown variants and fields, missing required fields), naming its
//!    path, the text found and what is accepted.
//! 3. The values must be acceptable ([`super::validate`]). They are checked even when some fields had
//!    type errors, on the scenario read with those fields left at their defaults, unless a default
//!    could make another field look wrong; problems about the fields with type errors are not
//!    repeated.

mod accepted;
mod walk;

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ron::extensions::Extensions;
use serde::de::IgnoredAny;

use super::problem::Problem;
use super::{validate, Position, Scenario, ScenarioError};

/// The parser options: `implicit_some` is always on, so optional values may be written bare.
pub(super) fn options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Largest scenario file read, in bytes: scenarios are a page of text; anything this big is not one.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// The fields of [`Scenario`] without a default.
const REQUIRED: [&str; 4] = ["name", "data", "network", "learning"];

/// Fields whose default, taken when the field has a type error, could make another field look wrong:
/// while one of them is unread, the value checks wait.
const VALUE_CHECK_INPUTS: [&str; 1] = ["network.skip"];
/// Likewise for the checks that need the data: the data itself and the length of the run.
const DATA_CHECK_INPUTS: [&str; 2] = ["data", "learning.epochs"];

/// A scenario file as read: the scenario (when the text has its shape, even if some values are
/// wrong), every problem found, and where each field is.
#[derive(Debug)]
pub struct Draft {
    file: PathBuf,
    text: String,
    scenario: Option<Scenario>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    more: usize,
    /// Paths of the fields that had type errors (read at their defaults, if at all).
    unread: Vec<String>,
    /// Whether the value checks ran on the scenario.
    values_checked: bool,
    /// Byte offset of every field written, by path (found on demand).
    offsets: OnceCell<BTreeMap<String, usize>>,
}

impl Draft {
    /// Reads and checks the scenario file at `file`. A relative `Csv` path is resolved against the
    /// file's folder (and made absolute, so the resolved scenario finds the data from anywhere).
    /// Fails only when the file cannot be read or is not RON at all; every other problem is in
    /// [`Draft::problems`].
    pub fn read(file: &Path) -> Result<Draft, ScenarioError> {
        let read_error = |error| ScenarioError::Read {
            path: file.to_path_buf(),
            error,
        };
        let size = std::fs::metadata(file).map_err(read_error)?.len();
        if size > MAX_SCENARIO_BYTES {
            return Err(ScenarioError::TooLarge {
                path: file.to_path_buf(),
                bytes: size,
            });
        }
        let text = std::fs::read_to_string(file).map_err(read_error)?;
        let mut draft = Draft::parse(text, file)?;
        if let Some(scenario) = &mut draft.scenario {
            if let Some(csv) = scenario.data.csv_path_mut() {
                if csv.is_relative() {
                    let base = file.parent().unwrap_or(Path::new(""));
                    let joined = base.join(&*csv);
                    *csv = std::path::absolute(&joined).unwrap_or(joined);
                }
            }
        }
        Ok(draft)
    }

    /// Parses and checks scenario text; `file` only names it in messages.
    pub fn parse(text: impl Into<String>, file: &Path) -> Result<Draft, ScenarioError> {
        let options = options();
        let mut draft = Draft {
            file: file.to_path_buf(),
            text: text.into(),
            scenario: None,
            problems: Vec::new(),
            warnings: Vec::new(),
            more: 0,
            unread: Vec::new(),
            values_checked: true,
            offsets: OnceCell::new(),
        };
        let strict = match options.from_str::<Scenario>(&draft.text) {
            Ok(scenario) => {
                let found = validate::validate(&scenario);
                draft.add_located(found);
                draft.set_warnings(validate::warnings(&scenario));
                draft.scenario = Some(scenario);
                return Ok(draft);
            }
            Err(e) => e,
        };
        if let Err(e) = options.from_str::<IgnoredAny>(&draft.text) {
            return Err(parse_error(file, &draft.text, &e));
        }
        let walked = walk::walk::<Scenario>(&draft.text, &options, &REQUIRED);
        if walked.findings.is_empty() {
            // Nothing to add to the parser's own message.
            return Err(parse_error(file, &draft.text, &strict));
        }
        let text = &draft.text;
        draft.problems = walked
            .findings
            .iter()
            .map(|f| Problem {
                path: f.path.clone(),
                value: f.value.clone(),
                accepted: f.accepted.clone(),
                position: Some(Position::of_offset(text, f.offset)),
            })
            .collect();
        let _ = draft.offsets.set(walked.offsets);
        draft.more = walked.more;
        draft.unread = walked.skipped.into_iter().collect();
        draft.values_checked =
            !walked.skipped_element && !VALUE_CHECK_INPUTS.iter().any(|p| draft.is_unread(p));
        if let Some(scenario) = walked.value {
            if draft.values_checked {
                let found = validate::validate(&scenario);
                draft.add_located(found);
                draft.set_warnings(validate::warnings(&scenario));
            }
            draft.scenario = Some(scenario);
        }
        Ok(draft)
    }

    /// The file the scenario was read from (or the name given to [`Draft::parse`]).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The scenario, when the text has its shape. Fields that had type errors hold their defaults.
    pub fn scenario(&self) -> Option<&Scenario> {
        self.scenario.as_ref()
    }

    /// Every problem found so far, in the order found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// What is not wrong but probably not meant (see [`Scenario::warnings`]), placed in the file.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Whether the checks that need the data can run on [`Draft::scenario`] without false alarms:
    /// the data spec and the run length were read as written, and the value checks ran.
    pub fn can_check_with_data(&self) -> bool {
        self.scenario.is_some()
            && self.values_checked
            && !DATA_CHECK_INPUTS.iter().any(|p| self.is_unread(p))
            && !self.problems.iter().any(|p| p.is_within("data"))
    }

    /// Adds problems found later (for instance by [`super::validate_with_data`]), placing each one in
    /// the file; problems about fields that had type errors are left out.
    pub fn add(&mut self, problems: Vec<Problem>) {
        self.add_located(problems);
    }

    /// Adds warnings found later (for instance by [`super::warnings_with_data`]), placing each one
    /// in the file; warnings about fields that had type errors are left out.
    pub fn add_warnings(&mut self, warnings: Vec<Problem>) {
        let located: Vec<Problem> = warnings
            .into_iter()
            .filter(|w| !self.unread.iter().any(|u| w.is_within(u)))
            .map(|mut w| {
                w.position = w.position.or_else(|| self.position_of(&w.path));
                w
            })
            .collect();
        self.warnings.extend(located);
    }

    /// The scenario if it has no problem, else every problem.
    pub fn into_result(self) -> Result<Scenario, ScenarioError> {
        match self.scenario {
            Some(scenario) if self.problems.is_empty() => Ok(scenario),
            _ => Err(ScenarioError::Invalid {
                path: self.file,
                problems: self.problems,
                more: self.more,
            }),
        }
    }

    fn is_unread(&self, path: &str) -> bool {
        self.unread.iter().any(|u| {
            u == path
                || u.strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }

    fn set_warnings(&mut self, warnings: Vec<Problem>) {
        self.warnings = warnings
            .into_iter()
            .map(|mut w| {
                w.position = self.position_of(&w.path);
                w
            })
            .collect();
    }

    fn add_located(&mut self, problems: Vec<Problem>) {
        let located: Vec<Problem> = problems
            .into_iter()
            .filter(|p| !self.unread.iter().any(|u| p.is_within(u)))
            .map(|mut p| {
                if p.position.is_none() {
                    p.position = self.position_of(&p.path);
                }
                p
            })
            .collect();
        for p in located {
            if !self.problems.contains(&p) {
                self.problems.push(p);
            }
        }
    }

    /// Where the field at `path` is written, or else the nearest enclosing field that is (not the
    /// whole scenario).
    fn position_of(&self, path: &str) -> Option<Position> {
        let offsets = self
            .offsets
            .get_or_init(|| walk::walk::<Scenario>(&self.text, &options(), &REQUIRED).offsets);
        let mut path = path;
        while !path.is_empty() {
            if let Some(&at) = offsets.get(path) {
                return Some(Position::of_offset(&self.text, at));
            }
            path = &path[..path.rfind(['.', '[']).unwrap_or(0)];
        }
        None
    }
}

/// A syntax error in `text`, with a hint where the parser's words alone may puzzle.
fn parse_error(file: &Path, text: &str, e: &ron::error::SpannedError) -> ScenarioError {
    // Where the parser stopped, as a byte offset (its column counts characters).
    let line_start: usize = text
        .split_inclusive('\n')
        .take(e.span.start.line.saturating_sub(1))
        .map(str::len)
        .sum();
    let offset = text[line_start.min(text.len())..]
        .char_indices()
        .nth(e.span.start.col.saturating_sub(1))
        .map_or(text.len(), |(i, _)| line_start + i);
    let at_end = e.code == ron::Error::Eof || text[offset..].trim().is_empty();
    let hint = match e.code {
        _ if at_end => ": the file ends inside a value (a bracket is not closed)",
        ron::Error::ExpectedComma => {
            ": a comma is missing before this point (perhaps at the end of the previous line)"
        }
        _ => "",
    };
    ScenarioError::Parse {
        path: file.to_path_buf(),
        position: format!("{}:{}", e.span.start.line, e.span.start.col),
        message: format!("{}{hint}", e.code),
    }
}

#[cfg(test)]
mod tests;
