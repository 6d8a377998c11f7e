//! [`Problem`]: one thing wrong with a scenario, where it is, and what would be accepted.

use std::fmt;

/// One thing wrong with a scenario: where, what was written, and what is accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Field path, e.g. `network.hidden[1]` or `expect[0].at_least`; empty for the scenario as a
    /// whole.
    pub path: String,
    /// The value found, written as in RON, e.g. `0` or `Uniform(min: 5, max: 2)`; `(missing)` for a
    /// required field that is not there.
    pub value: String,
    /// What would be accepted instead.
    pub accepted: String,
    /// Where the value is in the scenario file (or, for a field that is not written, the nearest
    /// enclosing one that is), when the problem was found in a file.
    pub position: Option<Position>,
}

impl Problem {
    /// A problem not yet placed in a file.
    pub fn new(
        path: impl Into<String>,
        value: impl fmt::Display,
        accepted: impl Into<String>,
    ) -> Problem {
        Problem {
            path: path.into(),
            value: value.to_string(),
            accepted: accepted.into(),
            position: None,
        }
    }

    /// Whether the problem is about `path` or a field inside it.
    pub fn is_within(&self, path: &str) -> bool {
        path.is_empty()
            || self.path == path
            || self
                .path
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    }
}

impl fmt::Display for Problem {
    /// `path = value: expected accepted`, without the position.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "scenario"
        } else {
            &self.path
        };
        write!(f, "{path} = {}: expected {}", self.value, self.accepted)
    }
}

/// A place in a text file: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, counted in characters.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` of `text` (clamped to the text, and to a character boundary).
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: 1 + before.matches('\n').count(),
            column: 1 + before[line_start..].chars().count(),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The lines of a problem list under a file name: `  - file:line:column: problem`.
pub(super) struct ProblemList<'a> {
    pub file: &'a std::path::Path,
    pub problems: &'a [Problem],
    pub more: usize,
}

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.position {
                Some(at) => write!(f, "  - {}:{at}: {p}", self.file.display())?,
                None => write!(f, "  - {p}")?,
            }
        }
        if self.more > 0 {
            write!(
                f,
                "\n  ... and more: the list stops after {} type errors",
                self.problems.len()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_and_without_position() {
        let mut p = Problem::new("learning.batch_size", 0, "an integer ≥ 1");
        assert_eq!(
            p.to_string(),
            "learning.batch_size = 0: expected an integer ≥ 1"
        );
        p.position = Some(Position { line: 3, column: 7 });
        let list = ProblemList {
            file: std::path::Path::new("t.ron"),
            problems: &[p, Problem::new("", "42", "Scenario(..)")],
            more: 2,
        };
        assert_eq!(
            list.to_string(),
            "  - t.ron:3:7: learning.batch_size = 0: expected an integer ≥ 1\n  \
             - scenario = 42: expected Scenario(..)\n  ... and more: the list stops after 2 type \
             errors"
        );
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\nçd\n\nx";
        assert_eq!(
            Position::of_offset(text, 0),
            Position { line: 1, column: 1 }
        );
        assert_eq!(
            Position::of_offset(text, 3),
            Position { line: 2, column: 1 }
        );
        // 'ç' is two bytes, one column.
        assert_eq!(
            Position::of_offset(text, 5),
            Position { line: 2, column: 2 }
        );
        assert_eq!(
            Position::of_offset(text, 4),
            Position { line: 2, column: 1 }
        );
        assert_eq!(
            Position::of_offset(text, 99),
            Position { line: 4, column: 2 }
        );
    }

    #[test]
    fn within_a_path() {
        let p = Problem::new("links.overrides[1].forward_drop", "2", "x");
        assert!(p.is_within("links"));
        assert!(p.is_within("links.overrides"));
        assert!(p.is_within("links.overrides[1]"));
        assert!(p.is_within(""));
        assert!(!p.is_within("links.overrides[10]"));
        assert!(!p.is_within("link"));
    }
}
