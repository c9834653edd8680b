//! The converting machine in the output: folders of this machine (the working directory, the
//! project folder, the home folder) that reached an object, usually through `${PWD}` or
//! `${HOME}` in the Compose file or a hostPath. Manifests that carry them differ from machine to
//! machine, so each object that does gets a warning.
//!
//! Takes the objects and the machine's folders; returns one warning per object and folder.

use super::to_value;
use crate::diag::{Diagnostic, Location};
use crate::lower::Object;

/// Warnings for the objects whose text contains one of `folders`.
pub fn machine_paths(objects: &[Object], folders: &[String]) -> Vec<Diagnostic> {
    let mut folders: Vec<&str> = folders
        .iter()
        .map(|f| f.trim_end_matches('/'))
        // The root alone, or a one-letter folder, would match every absolute path.
        .filter(|f| f.len() > 2 && f.starts_with('/'))
        .collect();
    // Longest first: a folder inside another is reported once, as the longer one.
    folders.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = Vec::new();
    for o in objects {
        let text = to_value(o).to_string();
        let mut seen: Vec<&str> = Vec::new();
        for f in &folders {
            let found = text.contains(&format!("{f}/")) || text.contains(&format!("{f}\""));
            if !found || seen.iter().any(|s| s.contains(f)) {
                continue;
            }
            seen.push(f);
            out.push(Diagnostic::warning(
                "E010",
                Location::new("<output>", 0, 0, format!("{} {}", o.kind(), o.name())),
                format!(
                    "{} `{}` contains `{f}`, a folder of this machine (from a host path, or `${{PWD}}`/`${{HOME}}` in the Compose file): the manifests will not be the same on another machine",
                    o.kind(),
                    o.name()
                ),
            ));
        }
    }
    out
}
