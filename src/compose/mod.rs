//! The front end: Compose files to a typed, resolved [`Project`].
//!
//! [`load`] takes [`LoadOptions`] (which files, which variables, which profiles) and a
//! [`FileSystem`] to read through, and returns the project plus warnings, or the errors that
//! stopped it. The stages run in Docker Compose's order: [`parse`] (YAML to nodes) →
//! [`interpolate`] → [`schema`] (keys Compose refuses) → [`canonical`] (short syntax to long) → `extends` and `include` →
//! [`merge`] of the `-f` files → profiles → [`normalize`] (defaults, env files) → [`typed`]
//! (nodes to the model) → [`validate`].

pub mod canonical;
pub mod dotenv;
pub mod files;
pub mod interpolate;
mod load;
pub mod merge;
pub mod model;
pub mod node;
pub mod normalize;
pub mod parse;
mod paths;
pub mod ports;
pub mod schema;
pub mod settings;
pub mod shell;
pub mod typed;
pub mod units;
mod unset;
pub mod validate;
pub mod volumes;
mod yaml_events;

use crate::diag::{Diagnostic, Location};
pub use files::{DirEntry, EntryKind, FileSystem, MemoryFs, RealFs};
pub use load::{LoadOptions, Loaded, UnknownKeys, compose_file_paths, load};
pub use model::Project;
use node::Pos;
pub use parse::Limits;

/// A loader error: one diagnostic (boxed: errors are rare and the happy path stays small).
pub type LoadError = Box<Diagnostic>;

/// The end of a C016 warning: a kubeferry setting Docker Compose accepts but kubeferry cannot
/// use (`convert` makes it an error).
pub const SETTING_IGNORED: &str = "; the setting is ignored";

/// What the loading passes need to turn a position into a user-facing location.
pub struct Ctx<'a> {
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
