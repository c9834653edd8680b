//! Where the loader reads files from: the real filesystem, or an in-memory set for embedders
//! and tests. The loader reads nothing else.

use std::collections::BTreeMap;

pub trait FileSystem {
    /// The bytes of the file at an absolute path (or `-` for standard input).
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Whether a file exists at the path.
    fn exists(&self, path: &str) -> bool;
}

/// The real filesystem. `-` reads the bytes given as `stdin` (the CLI reads stdin once).
#[derive(Default)]
pub struct RealFs {
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
}

/// Files held in memory, by absolute path.
#[derive(Clone, Debug, Default)]
pub struct MemoryFs {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemoryFs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file; returns `self` for chaining.
    pub fn with(mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.into(), content.into());
        self
    }

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
}
