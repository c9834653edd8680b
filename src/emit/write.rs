//! Writing an output folder all or nothing: files go to a temporary folder beside the target,
//! which then takes its place (the old folder is moved aside first and restored if the swap
//! fails). Paths never leave the folder, and a folder kubeferry did not write is not replaced
//! without `force`.

use super::OutputFile;
use std::path::{Component, Path, PathBuf};

/// Why an output folder was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file system refused a file or folder.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: String,
        /// The operating system's error.
        message: String,
    },
    /// The folder exists and holds files kubeferry did not write (`--force` replaces it).
    #[error("{0}: the folder exists and was not written by kubeferry; use --force to replace it")]
    NotOurs(String),
    /// An output path would leave the output folder.
    #[error("{0}: an output path would leave the output folder")]
    Escape(String),
    /// The target is not a folder that can be replaced (a file, or a path without a final
    /// name such as `/` or `..`).
    #[error("{0}: not a folder that can be replaced (give a named folder)")]
    BadTarget(String),
}

/// The file that marks a folder as written by kubeferry.
pub const MARKER: &str = ".kubeferry";

fn io(path: &Path, e: std::io::Error) -> WriteError {
    WriteError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The target as an absolute path with a final name, so `.`, `..` or a trailing `/` can never
/// make the swap remove the folder the temporary one sits in.
fn resolve(dir: &Path) -> Result<(PathBuf, String), WriteError> {
    let bad = || WriteError::BadTarget(dir.display().to_string());
    let abs = if dir.exists() {
        std::fs::canonicalize(dir).map_err(|e| io(dir, e))?
    } else {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        let name = match dir.components().next_back() {
            Some(Component::Normal(n)) => n.to_owned(),
            _ => return Err(bad()),
        };
        std::fs::canonicalize(parent)
            .map_err(|e| io(parent, e))?
            .join(name)
    };
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(bad)?;
    Ok((abs, name))
}

/// Write `files` into `dir`, replacing it atomically.
pub fn write_dir(dir: &Path, files: &[OutputFile], force: bool) -> Result<(), WriteError> {
    // Refuse escaping paths before touching anything.
    for f in files {
        let rel = Path::new(&f.path);
        if f.path.is_empty() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(WriteError::Escape(f.path.clone()));
        }
    }
    if dir.exists() {
        if !dir.is_dir() {
            return Err(WriteError::BadTarget(dir.display().to_string()));
        }
        let ours = dir.join(MARKER).is_file();
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !ours && !empty && !force {
            return Err(WriteError::NotOurs(dir.display().to_string()));
        }
    }
    let (target, name) = resolve(dir)?;
    let parent = target
        .parent()
        .ok_or_else(|| WriteError::BadTarget(dir.display().to_string()))?;
    // Leftovers of an interrupted run of kubeferry for this same target.
    let prefix = format!(".{name}.kubeferry-");
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let tmp = parent.join(format!("{prefix}tmp-{}", std::process::id()));
    let old = parent.join(format!("{prefix}old-{}", std::process::id()));
    let result = (|| {
        std::fs::create_dir(&tmp).map_err(|e| io(&tmp, e))?;
        for f in files {
            let p = tmp.join(&f.path);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
            }
            std::fs::write(&p, &f.contents).map_err(|e| io(&p, e))?;
        }
        std::fs::write(tmp.join(MARKER), "written by kubeferry\n").map_err(|e| io(&tmp, e))?;
        let had_old = target.exists();
        if had_old {
            std::fs::rename(&target, &old).map_err(|e| io(&target, e))?;
        }
        if let Err(e) = std::fs::rename(&tmp, &target) {
            if had_old {
                let _ = std::fs::rename(&old, &target);
            }
            return Err(io(&target, e));
        }
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}
