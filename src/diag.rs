//! Diagnostics as data: every error and warning carries where it happened in the user's terms
//! (file, line, column, key path). Rendering happens at the edge (`cli`).

use std::fmt;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Where a finding points: a file, a 1-based line and column, and the Compose key path.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub path: String,
}

impl Location {
    pub fn new(file: impl Into<String>, line: u32, column: u32, path: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            line,
            column,
            path: path.into(),
        }
    }

    /// A location known only by file (a missing file, an unreadable one).
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            ..Location::default()
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        Ok(())
    }
}

/// One finding. `code` is stable: `C…` for Compose loading, `L…` lowering, `H…` hardening,
/// `E…` emitting.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub location: Location,
    pub message: String,
}

impl Diagnostic {
    pub fn error(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            location,
            message: message.into(),
        }
    }

    pub fn warning(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{sev}[{}]: {}: {}",
            self.code, self.location, self.message
        )
    }
}

impl std::error::Error for Diagnostic {}

/// The failure of a stage: one or more error diagnostics (the first is the cause; the rest are
/// further independent errors found in the same pass).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure(pub Vec<Diagnostic>);

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure(vec![d])
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// `parent.key`: a key path one level down. Built by hand because the formatting machinery
/// costs several times more for so short a string, and paths are built for every key read.
pub fn dotted(parent: &str, key: &str) -> String {
    let mut s = String::with_capacity(parent.len() + 1 + key.len());
    s.push_str(parent);
    s.push('.');
    s.push_str(key);
    s
}

/// `parent[i]`: the path of a list item.
pub fn indexed(parent: &str, i: usize) -> String {
    let mut s = String::with_capacity(parent.len() + 8);
    s.push_str(parent);
    s.push('[');
    crate::text::push_decimal(&mut s, i as u64);
    s.push(']');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_formatted() {
        assert_eq!(dotted("services.web", "ports"), "services.web.ports");
        assert_eq!(dotted("", "x"), ".x");
        for i in [0, 7, 10, 99, 12345, usize::MAX] {
            assert_eq!(indexed("a.b", i), format!("a.b[{i}]"));
        }
    }
}
