//! Diagnostics as data: every error and warning carries where it happened in the user's terms
//! (file, line, column, key path). Rendering happens at the edge (`cli`).

use std::fmt;

pub mod codes;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops the conversion: nothing is written.
    Error,
    /// Converted, but not faithfully or not safely: the user should look (`--strict` stops on it).
    Warning,
}

/// Where a finding points: a file, a 1-based line and column, and the Compose key path.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    /// The file as the user named it (empty: no file, e.g. a command-line error).
    pub file: String,
    /// 1-based line (0: unknown).
    pub line: u32,
    /// 1-based column (0: unknown).
    pub column: u32,
    /// The dotted key path in the Compose file (`services.web.ports[0]`).
    pub path: String,
}

impl Location {
    /// A location from its parts.
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
    /// Whether it stops the conversion.
    pub severity: Severity,
    /// The registered code (`src/diag/codes.rs`, `kubeferry explain CODE`).
    pub code: &'static str,
    /// Where it points.
    pub location: Location,
    /// What is wrong and what to do, in one or two sentences.
    pub message: String,
    /// Further places with the same finding (one warning per cause, however often it
    /// occurs): `location` is the first, or the one that matters most. Boxed: diagnostics
    /// travel in `Result`s, where every byte of the error type counts.
    #[serde(skip_serializing_if = "<[Location]>::is_empty")]
    pub also: Box<[Location]>,
}

impl Diagnostic {
    /// An error (it stops the conversion).
    pub fn error(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            location,
            message: message.into(),
            also: Box::default(),
        }
    }

    /// A warning (the conversion goes on).
    pub fn warning(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            location,
            message: message.into(),
            also: Box::default(),
        }
    }
}

impl Diagnostic {
    /// This finding, also found where `more` are (and their own further places).
    pub fn with_also(mut self, more: impl IntoIterator<Item = Diagnostic>) -> Self {
        let mut also = std::mem::take(&mut self.also).into_vec();
        for d in more {
            also.push(d.location);
            also.extend(d.also);
        }
        self.also = also.into_boxed_slice();
        self
    }

    /// `also` in a few words: the first `ALSO_SHOWN` key paths (or files) and how many more.
    pub fn also_summary(&self) -> Option<String> {
        if self.also.is_empty() {
            return None;
        }
        let mut out = String::from("also at ");
        for (i, l) in self.also.iter().take(ALSO_SHOWN).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(if l.path.is_empty() { &l.file } else { &l.path });
        }
        let rest = self.also.len().saturating_sub(ALSO_SHOWN);
        if rest > 0 {
            out.push_str(&format!(" and {rest} more"));
        }
        Some(out)
    }
}

/// How many further places a rendered diagnostic names (the data holds them all).
pub const ALSO_SHOWN: usize = 3;

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
        )?;
        if let Some(also) = self.also_summary() {
            write!(f, " ({also})")?;
        }
        Ok(())
    }
}

/// Fold the items for which `key` gives a key into one per key, made by `merge` from the
/// group (in order; one member or more) at the place of its first member. The others keep
/// their places. Items are diagnostics, or diagnostics with what their key is read from.
pub fn group_by<T, K: Ord>(
    items: Vec<T>,
    key: impl Fn(&T) -> Option<K>,
    merge: impl Fn(Vec<T>) -> T,
) -> Vec<T> {
    let mut slot_of: std::collections::BTreeMap<K, usize> = std::collections::BTreeMap::new();
    // Each slot: an item left as it is, or the members of a group.
    let mut slots: Vec<Result<T, Vec<T>>> = Vec::with_capacity(items.len());
    for item in items {
        let Some(k) = key(&item) else {
            slots.push(Ok(item));
            continue;
        };
        match slot_of.get(&k) {
            Some(&i) => {
                if let Err(members) = &mut slots[i] {
                    members.push(item);
                }
            }
            None => {
                slot_of.insert(k, slots.len());
                slots.push(Err(vec![item]));
            }
        }
    }
    slots
        .into_iter()
        .map(|s| s.unwrap_or_else(&merge))
        .collect()
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
    fn groups_fold_in_place_and_keep_every_location() {
        let w = |code, path: &str| Diagnostic::warning(code, Location::new("f", 1, 1, path), "m");
        let items = vec![w("A", "a1"), w("B", "b"), w("A", "a2"), w("A", "a3")];
        let out = group_by(
            items,
            |d| (d.code == "A").then_some(()),
            |mut g| {
                let head = g.remove(0);
                head.with_also(g)
            },
        );
        let paths: Vec<&str> = out.iter().map(|d| d.location.path.as_str()).collect();
        assert_eq!(paths, ["a1", "b"]);
        let also: Vec<&str> = out[0].also.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(also, ["a2", "a3"]);
        assert_eq!(
            out[0].to_string(),
            "warning[A]: f:1:1: a1: m (also at a2, a3)"
        );
        let many = w("A", "x").with_also((0..5).map(|i| w("A", &format!("y{i}"))));
        assert_eq!(
            many.also_summary().unwrap(),
            "also at y0, y1, y2 and 2 more"
        );
        assert_eq!(out[1].also_summary(), None);
    }

    #[test]
    fn paths_read_as_formatted() {
        assert_eq!(dotted("services.web", "ports"), "services.web.ports");
        assert_eq!(dotted("", "x"), ".x");
        for i in [0, 7, 10, 99, 12345, usize::MAX] {
            assert_eq!(indexed("a.b", i), format!("a.b[{i}]"));
        }
    }
}
