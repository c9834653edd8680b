//! Writing an output folder all or nothing: files go to a temporary folder beside the target,
//! which then replaces it. Paths never leave the folder.

use super::OutputFile;
use std::path::{Component, Path};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{0}: the folder exists and was not written by kubeferry; use --force to replace it")]
    NotOurs(String),
    #[error("{0}: an output path would leave the output folder")]
    Escape(String),
}

const MARKER: &str = ".kubeferry";

fn io(path: &Path, e: std::io::Error) -> WriteError {
    WriteError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Write `files` into `dir`, replacing it atomically.
pub fn write_dir(dir: &Path, files: &[OutputFile], force: bool) -> Result<(), WriteError> {
    if dir.exists() {
        let ours = dir.join(MARKER).exists();
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !ours && !empty && !force {
            return Err(WriteError::NotOurs(dir.display().to_string()));
        }
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{name}.kubeferry-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| {
        std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
        for f in files {
            let rel = Path::new(&f.path);
            if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(WriteError::Escape(f.path.clone()));
            }
            let p = tmp.join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
            }
            std::fs::write(&p, &f.contents).map_err(|e| io(&p, e))?;
        }
        std::fs::write(tmp.join(MARKER), "written by kubeferry\n").map_err(|e| io(&tmp, e))?;
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        std::fs::rename(&tmp, dir).map_err(|e| io(dir, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}
