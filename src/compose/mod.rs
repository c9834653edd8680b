//! The front end: Compose files to a typed, resolved [`Project`].
//!
//! [`load`] takes [`LoadOptions`] (which files, which variables, which profiles) and a
//! [`FileSystem`] to read through, and returns the project plus warnings, or the errors that
//! stopped it. The stages run in Docker Compose's order: `parse` (YAML to nodes) →
//! `interpolate` → `schema` (keys Compose refuses) → `canonical` (short syntax to long) → `extends` and `include` →
//! `merge` of the `-f` files → profiles → `normalize` (defaults, env files) → `typed`
//! (nodes to the model) → `validate`.

pub(crate) mod canonical;
pub(crate) mod dotenv;
pub(crate) mod files;
pub(crate) mod interpolate;
mod load;
pub(crate) mod merge;
pub(crate) mod model;
pub(crate) mod node;
pub(crate) mod normalize;
pub(crate) mod parse;
mod paths;
pub(crate) mod ports;
pub(crate) mod schema;
pub(crate) mod settings;
pub(crate) mod shell;
pub(crate) mod typed;
pub(crate) mod units;
mod unset;
pub(crate) mod validate;
pub(crate) mod volumes;
mod yaml_events;

use crate::diag::{Diagnostic, Location};
pub use files::{DirEntry, EntryKind, FileSystem, MemoryFs, RealFs};
pub(crate) use load::compose_file_paths;
pub use load::{LoadOptions, Loaded, UnknownKeys, load};
pub use model::Project;
use node::Pos;
pub use parse::Limits;

/// Parses one YAML file within `limits` and drops the nodes: public, hidden, only for
/// tests/invalid.rs's check that every corpus file fits the default limits.
#[doc(hidden)]
pub fn parse_within(bytes: &[u8], name: &str, limits: &Limits) -> Result<(), Diagnostic> {
    parse::parse(bytes, name, 0, limits).map(drop)
}

/// A loader error: one diagnostic (boxed: errors are rare and the happy path stays small).
pub(crate) type LoadError = Box<Diagnostic>;

/// The end of a C016 warning: a kubeferry setting Docker Compose accepts but kubeferry cannot
/// use (`convert` makes it an error).
pub(crate) const SETTING_IGNORED: &str = "; the setting is ignored";

/// What the loading passes need to turn a position into a user-facing location.
pub(crate) struct Ctx<'a> {
    /// Display names of the files read so far, indexed by [`Pos::file`].
    pub files: &'a [String],
    /// The home directory, for `~` in paths.
    pub home: &'a str,
    /// The directory `-f` paths are taken from; messages show paths below it relatively.
    pub working_dir: &'a str,
}

impl Ctx<'_> {
    /// How a path is shown in messages: relative to the working directory when below it, so
    /// messages do not carry the converting machine's folders.
    pub fn display(&self, path: &str) -> String {
        let wd = self.working_dir.trim_end_matches('/');
        match path.strip_prefix(wd).and_then(|r| r.strip_prefix('/')) {
            Some(rel) if !wd.is_empty() => rel.to_string(),
            _ => path.to_string(),
        }
    }

    pub fn location(&self, at: Pos, path: &str) -> Location {
        let file = self
            .files
            .get(at.file as usize)
            .cloned()
            .unwrap_or_else(|| "<input>".into());
        Location::new(file, at.line, at.col, path)
    }

    pub fn error(
        &self,
        code: &'static str,
        at: Pos,
        path: &str,
        message: impl Into<String>,
    ) -> LoadError {
        Box::new(Diagnostic::error(code, self.location(at, path), message))
    }

    pub fn warning(
        &self,
        code: &'static str,
        at: Pos,
        path: &str,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::warning(code, self.location(at, path), message)
    }
}
