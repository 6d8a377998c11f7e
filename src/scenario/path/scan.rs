//! A small RON scanner: just enough structure (named fields, lists, tuples) to find the span of a
//! field's value in a scenario's text. Strings, raw strings, characters, comments and attributes are
//! skipped correctly; values themselves are not interpreted.

use std::ops::Range;

#[derive(Debug)]
pub(super) struct Node {
    pub(super) span: Range<usize>,
    pub(super) kind: Kind,
}

#[derive(Debug)]
pub(super) enum Kind {
    /// `Name(a: .., b: ..)` or `(a: .., b: ..)`.
    Fields(Option<String>, Vec<(String, Node)>),
    /// `Name(x, y)`, `(x, y)`, `[x, y]`.
    Items(Option<String>, Vec<Node>),
    /// A number, string, character, bare identifier or map.
    Atom,
}

pub(super) struct Scanner<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

pub(super) type Scan<T> = Result<T, String>;

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(super) fn skip_blank(&mut self) {
        loop {
            let rest = &self.text[self.pos..];
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if trimmed.starts_with("/*") {
                let mut depth = 0usize;
                let bytes = self.text.as_bytes();
                while self.pos < bytes.len() {
                    if bytes[self.pos..].starts_with(b"/*") {
                        depth += 1;
                        self.pos += 2;
                    } else if bytes[self.pos..].starts_with(b"*/") {
                        depth -= 1;
                        self.pos += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        self.pos += 1;
                    }
                }
            } else if trimmed.starts_with("#!") || trimmed.starts_with("#[") {
                // An attribute such as `#![enable(implicit_some)]`.
                let close = trimmed.find(']').map_or(trimmed.len(), |c| c + 1);
                self.pos += close;
            } else {
                return;
            }
        }
    }

    fn ident(&mut self) -> Option<String> {
        let rest = &self.text[self.pos..];
        let raw = rest.starts_with("r#") && rest[2..].starts_with(|c: char| c.is_alphabetic());
        let start = if raw { 2 } else { 0 };
        if !rest[start..].starts_with(|c: char| c.is_alphabetic() || c == '_') {
            return None;
        }
        let len = rest[start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len() - start);
        self.pos += start + len;
        Some(rest[start..start + len].to_string())
    }

    pub(super) fn value(&mut self) -> Scan<Node> {
        self.skip_blank();
        let start = self.pos;
        let kind = match self.peek() {
            None => return Err("a value is missing".into()),
            Some(b'(') => self.group(None)?,
            Some(b'[') => {
                self.pos += 1;
                Kind::Items(None, self.items(b']')?)
            }
            Some(b'{') => {
                self.pos += 1;
                self.items(b'}')?;
                Kind::Atom
            }
            Some(b'"') => {
                self.string()?;
                Kind::Atom
            }
            Some(b'r')
                if self.text[self.pos..].starts_with("r\"")
                    || self.text[self.pos..].starts_with("r#\"") =>
            {
                self.raw_string()?;
                Kind::Atom
            }
            Some(b'b') if self.text[self.pos..].starts_with("b\"") => {
                self.pos += 1;
                self.string()?;
                Kind::Atom
            }
            Some(b'\'') => {
                self.character()?;
                Kind::Atom
            }
            Some(c) if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.') => {
                let rest = &self.text[self.pos + 1..];
                let len = rest
                    .find(|c: char| {
                        !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
                    })
                    .unwrap_or(rest.len());
                self.pos += 1 + len;
                Kind::Atom
            }
            Some(_) => {
                let name = self
                    .ident()
                    .ok_or_else(|| format!("unexpected `{}`", self.char_here()))?;
                let after = self.pos;
                self.skip_blank();
                if self.peek() == Some(b'(') {
                    self.group(Some(name))?
                } else {
                    self.pos = after;
                    Kind::Atom
                }
            }
        };
        Ok(Node {
            span: start..self.pos,
            kind,
        })
    }

    fn char_here(&self) -> char {
        self.text[self.pos..].chars().next().unwrap_or(' ')
    }

    /// `( ... )` after an optional name: named fields or positional items.
    fn group(&mut self, name: Option<String>) -> Scan<Kind> {
        self.pos += 1;
        self.skip_blank();
        let save = self.pos;
        if self.ident().is_some() {
            self.skip_blank();
            if self.peek() == Some(b':') {
                self.pos = save;
                return Ok(Kind::Fields(name, self.fields()?));
            }
        }
        self.pos = save;
        Ok(Kind::Items(name, self.items(b')')?))
    }

    fn fields(&mut self) -> Scan<Vec<(String, Node)>> {
        let mut fields = Vec::new();
        loop {
            self.skip_blank();
            if self.peek() == Some(b')') {
                self.pos += 1;
                return Ok(fields);
            }
            let name = self
                .ident()
                .ok_or_else(|| format!("expected a field name, found `{}`", self.char_here()))?;
            self.skip_blank();
            if self.peek() != Some(b':') {
                return Err(format!("expected `:` after the field `{name}`"));
            }
            self.pos += 1;
            let value = self.value()?;
            fields.push((name, value));
            self.skip_blank();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {}
                _ => return Err("expected `,` or `)` after a field".into()),
            }
        }
    }

    /// Comma-separated values up to `close` (map entries `k: v` are scanned as two values).
    fn items(&mut self, close: u8) -> Scan<Vec<Node>> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.value()?);
            self.skip_blank();
            if close == b'}' && self.peek() == Some(b':') {
                self.pos += 1;
                self.value()?;
                self.skip_blank();
            }
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err(format!("expected `,` or `{}`", close as char)),
            }
        }
    }

    fn string(&mut self) -> Scan<()> {
        let bytes = self.text.as_bytes();
        self.pos += 1;
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => self.pos += 1,
            }
        }
        Err("a string is not closed".into())
    }

    fn raw_string(&mut self) -> Scan<()> {
        let rest = &self.text[self.pos + 1..];
        let hashes = rest.len() - rest.trim_start_matches('#').len();
        let close = format!("\"{}", "#".repeat(hashes));
        let body = self.pos + 1 + hashes + 1;
        let end = self.text[body..]
            .find(&close)
            .ok_or("a raw string is not closed")?;
        self.pos = body + end + close.len();
        Ok(())
    }

    fn character(&mut self) -> Scan<()> {
        let bytes = self.text.as_bytes();
        self.pos += 1;
        if bytes.get(self.pos) == Some(&b'\\') {
            self.pos += 1;
        }
        self.pos += self.text[self.pos..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        while self.pos < bytes.len() && bytes[self.pos] != b'\'' {
            self.pos += 1;
        }
        if self.pos >= bytes.len() {
            return Err("a character is not closed".into());
        }
        self.pos += 1;
        Ok(())
    }
}

/// The root value of a scenario's resolved text (which always scans).
pub(super) fn parse_root(text: &str) -> Node {
    let mut s = Scanner { text, pos: 0 };
    s.value().unwrap_or(Node {
        span: 0..text.len(),
        kind: Kind::Atom,
    })
}
