//! Where the loader reads files from: the real filesystem, or an in-memory set for embedders
//! and tests. The loader reads nothing else.

use std::collections::BTreeMap;

/// Where the loader reads files from ([`RealFs`], [`MemoryFs`], or an embedder's own).
pub trait FileSystem {
    /// The bytes of the file at an absolute path (or `-` for standard input).
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Whether a file exists at the path.
    fn exists(&self, path: &str) -> bool;
    /// The entries of the folder at an absolute path, sorted by name, or `None` when there
    /// is no folder there (or the file system cannot list folders).
    fn list(&self, _path: &str) -> Option<Vec<DirEntry>> {
        None
    }
}

/// One entry of a folder listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's file name (no folder).
    pub name: String,
    /// File, folder or anything else.
    pub kind: EntryKind,
}

/// What a folder entry is. Links to files count as files (their content is what a reader
/// of the folder sees); links to folders, dangling links, sockets and pipes are `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A file of this many bytes.
    File(u64),
    /// A folder.
    Dir,
    /// Anything else (a link to a folder, a dangling link, a socket, a pipe).
    Other,
}

/// The real filesystem. `-` reads the bytes given as `stdin` (the CLI reads stdin once).
#[derive(Default)]
pub struct RealFs {
    /// The bytes `-` reads, read by the caller beforehand (`None`: `-` is an error).
    pub stdin: Option<Vec<u8>>,
}

impl FileSystem for RealFs {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        if path == "-" {
            return self
                .stdin
                .clone()
                .ok_or_else(|| "standard input was not read".to_string());
        }
        std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::IsADirectory => "is a directory, not a file".to_string(),
            _ => e.to_string(),
        })
    }

    fn exists(&self, path: &str) -> bool {
        std::path::Path::new(path).is_file()
    }

    fn list(&self, path: &str) -> Option<Vec<DirEntry>> {
        let mut out: Vec<DirEntry> = std::fs::read_dir(path)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| {
                let p = e.path();
                let link = e.file_type().is_ok_and(|t| t.is_symlink());
                // `metadata` follows links: a link to a file reads as the file.
                let kind = match std::fs::metadata(&p) {
                    Ok(m) if m.is_file() => EntryKind::File(m.len()),
                    Ok(m) if m.is_dir() && !link => EntryKind::Dir,
                    _ => EntryKind::Other,
                };
                DirEntry {
                    name: e.file_name().to_string_lossy().into_owned(),
                    kind,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Some(out)
    }
}

/// Files held in memory, by absolute path.
#[derive(Clone, Debug, Default)]
pub struct MemoryFs {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemoryFs {
    /// An empty file set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file; returns `self` for chaining.
    pub fn with(mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.into(), content.into());
        self
    }

    /// Add a file at an absolute path (replacing one already there).
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), content.into());
    }
}

impl FileSystem for MemoryFs {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_string())
    }

    fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// A folder exists where some file lies below it.
    fn list(&self, path: &str) -> Option<Vec<DirEntry>> {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        let mut out: Vec<DirEntry> = Vec::new();
        for (p, bytes) in self.files.range(prefix.clone()..) {
            let Some(rest) = p.strip_prefix(&prefix) else {
                break;
            };
            let (name, kind) = match rest.split_once('/') {
                Some((dir, _)) => (dir, EntryKind::Dir),
                None => (rest, EntryKind::File(bytes.len() as u64)),
            };
            if out.last().is_none_or(|e| e.name != name) {
                out.push(DirEntry {
                    name: name.to_string(),
                    kind,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        (!out.is_empty()).then_some(out)
    }
}
