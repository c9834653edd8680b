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

/// `-o DIR` is all or nothing and never leaves DIR.
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn file(path: &str, contents: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: contents.into(),
        }
    }

    /// The files of `dir` (name → bytes): the tests write no subfolders.
    fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read(e.path()).unwrap())
            })
            .collect()
    }

    /// The names of the files of `dir`.
    fn names(dir: &Path) -> Vec<String> {
        tree(dir).into_keys().collect()
    }

    /// A fresh folder (removed on drop) and the output folder `k8s` in it.
    fn k8s() -> (tempfile::TempDir, PathBuf) {
        let scratch = tempfile::tempdir().unwrap();
        let out = scratch.path().join("k8s");
        (scratch, out)
    }

    fn siblings(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_a_complete_folder_with_its_marker() {
        let (_scratch, out) = k8s();
        write_dir(
            &out,
            &[file("a.yaml", "a: 1\n"), file("b.yaml", "b: 2\n")],
            false,
        )
        .unwrap();
        let t = tree(&out);
        assert_eq!(
            t.keys().collect::<Vec<_>>(),
            [".kubeferry", "a.yaml", "b.yaml"]
        );
        assert_eq!(t["a.yaml"], b"a: 1\n");
        // Nothing but the folder is left beside it.
        assert_eq!(siblings(&out), ["k8s"]);
        // A second run replaces our own folder: stale files go.
        write_dir(&out, &[file("c.yaml", "c: 3\n")], false).unwrap();
        assert_eq!(names(&out), [".kubeferry", "c.yaml"]);
        assert_eq!(siblings(&out), ["k8s"]);
    }

    #[test]
    fn a_failure_midway_leaves_the_old_folder_intact() {
        let (scratch, out) = k8s();
        let root = scratch.path();
        write_dir(&out, &[file("old.yaml", "old\n")], false).unwrap();
        let before = tree(&out);
        // The second file cannot be written: its parent is the first file.
        let err = write_dir(
            &out,
            &[file("a.yaml", "a\n"), file("a.yaml/b.yaml", "b\n")],
            false,
        )
        .unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }), "{err}");
        assert_eq!(tree(&out), before);
        assert_eq!(siblings(&out), ["k8s"], "no temporary folder left behind");
        // Into a folder that does not exist yet: it stays absent.
        let fresh = root.join("fresh");
        write_dir(
            &fresh,
            &[file("x.yaml", "x\n"), file("x.yaml/y", "y\n")],
            false,
        )
        .unwrap_err();
        assert!(!fresh.exists());
    }

    #[test]
    fn leftovers_of_an_interrupted_run_are_cleared() {
        let (scratch, out) = k8s();
        let root = scratch.path();
        // What a killed run leaves: a half-written temporary folder beside the target.
        let stale = root.join(".k8s.kubeferry-tmp-99999");
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("half.yaml"), "kind: Depl").unwrap();
        write_dir(&out, &[file("a.yaml", "a\n")], false).unwrap();
        assert_eq!(siblings(&out), ["k8s"]);
    }

    #[test]
    fn a_foreign_folder_is_not_replaced_without_force() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path();
        let out = root.join("mine");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("notes.txt"), "my notes\n").unwrap();
        let err = write_dir(&out, &[file("a.yaml", "a\n")], false).unwrap_err();
        assert!(matches!(err, WriteError::NotOurs(_)), "{err}");
        assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"my notes\n");
        // An empty folder is fine; --force replaces the foreign one.
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        write_dir(&empty, &[file("a.yaml", "a\n")], false).unwrap();
        write_dir(&out, &[file("a.yaml", "a\n")], true).unwrap();
        assert!(!out.join("notes.txt").exists());
        assert!(out.join("a.yaml").exists());
        // A regular file in the way is never replaced.
        let f = root.join("plain-file");
        std::fs::write(&f, "data").unwrap();
        let err = write_dir(&f, &[file("a.yaml", "a\n")], true).unwrap_err();
        assert!(matches!(err, WriteError::BadTarget(_)), "{err}");
        assert_eq!(std::fs::read(&f).unwrap(), b"data");
    }

    #[test]
    fn no_path_leaves_the_folder() {
        let (_scratch, out) = k8s();
        write_dir(&out, &[file("keep.yaml", "keep\n")], false).unwrap();
        for bad in [
            "../evil.yaml",
            "a/../../evil.yaml",
            "/tmp/evil.yaml",
            "./../evil.yaml",
            "..",
            "",
        ] {
            let err =
                write_dir(&out, &[file("ok.yaml", "ok\n"), file(bad, "evil\n")], true).unwrap_err();
            assert!(matches!(err, WriteError::Escape(_)), "{bad}: {err}");
            assert_eq!(names(&out), [".kubeferry", "keep.yaml"], "{bad}");
        }
        assert_eq!(siblings(&out), ["k8s"]);
        assert!(!Path::new("/tmp/evil.yaml").exists());
    }

    #[test]
    fn dot_and_dotdot_targets_resolve_to_a_named_folder() {
        let (_scratch, out) = k8s();
        write_dir(&out, &[file("a.yaml", "a\n")], false).unwrap();
        // `k8s/sub/..` is `k8s`: replaced in place, its parent untouched.
        std::fs::create_dir_all(out.join("sub")).unwrap();
        write_dir(&out.join("sub/.."), &[file("b.yaml", "b\n")], false).unwrap();
        assert_eq!(names(&out), [".kubeferry", "b.yaml"]);
        assert_eq!(siblings(&out), ["k8s"]);
        let err = write_dir(Path::new("/"), &[file("a.yaml", "a\n")], true).unwrap_err();
        assert!(matches!(err, WriteError::BadTarget(_)), "{err}");
    }
}
