//! Diagnostics: a located message (`path:line:col: message`) and the accumulator that keeps
//! every one of them so a single build reports all problems at once.

use std::fmt;

/// One problem in one spec file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Path as shown to the user, e.g. `operations/users/LoadUser.yaml`.
    pub path: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub col: u64,
    pub message: String,
}

impl Diagnostic {
    pub fn at(path: impl Into<String>, loc: Loc, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: loc.line,
            col: loc.col,
            message: message.into(),
        }
    }

    /// A problem with the file as a whole (reported at 1:1 so editors can still jump to it).
    pub fn file(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: 1,
            col: 1,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.col, self.message
        )
    }
}

/// A source position, 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub line: u64,
    pub col: u64,
}

/// Every diagnostic of one run, kept in a stable order.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn single(d: Diagnostic) -> Self {
        Self { items: vec![d] }
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// The diagnostics sorted by file, line and column, without duplicates.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut v = self.items.clone();
        v.sort();
        v.dedup();
        v
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.sorted() {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}
