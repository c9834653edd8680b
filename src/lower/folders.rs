//! Bind-mounted content read for ConfigMaps: a folder's regular files (nested folders too)
//! become the keys of one ConfigMap, with `items` that put each key back at its relative path
//! (keys cannot hold `/`). Takes a path on the loader's [`FileSystem`]; returns the content
//! or why it cannot be carried in one object. Everything is in name order, so the output is
//! the same on every run.

use crate::compose::{EntryKind, FileSystem};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::KeyToPath;
use std::collections::BTreeMap;

/// The most a ConfigMap built from files may weigh, as JSON (keys, escaped text, base64 of
/// binary data). The API server takes 1 MiB of data, but `kubectl apply` copies the object
/// into the `last-applied-configuration` annotation, and annotations are capped at 256 KiB:
/// the budget keeps room below that for the object's metadata.
pub const OBJECT_BUDGET: u64 = 240 * 1024;
/// More files than this make a pod spec of `items` too long to read; the folder is seeded
/// instead.
pub const MAX_FILES: usize = 200;
/// Folders deeper than this are not walked (link loops, generated trees).
const MAX_DEPTH: usize = 12;

/// Files whose only purpose is to keep an empty folder in Git.
const PLACEHOLDERS: [&str; 4] = [".gitkeep", ".keep", ".gitignore", ".placeholder"];

/// What a bind-mounted folder holds, before reading it.
#[derive(Debug, Default)]
pub struct Listing {
    /// Regular files (links to files included): path relative to the folder, size.
    pub files: Vec<(String, u64)>,
    /// Entries that a ConfigMap cannot reproduce (links to folders, dangling links,
    /// sockets, pipes, folders deeper than [`MAX_DEPTH`]).
    pub skipped: Vec<String>,
    /// The walk stopped at more than [`MAX_FILES`] files or [`OBJECT_BUDGET`] bytes: the
    /// counts are lower bounds.
    pub truncated: bool,
}

impl Listing {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, n)| n).sum()
    }

    /// No content beyond Git placeholders: the folder is as good as empty, and is likely
    /// written to (logs, uploads), so it stays a writable empty folder.
    pub fn is_empty(&self) -> bool {
        !self.truncated
            && self.skipped.is_empty()
            && self
                .files
                .iter()
                .all(|(p, n)| *n == 0 || PLACEHOLDERS.contains(&p.rsplit('/').next().unwrap_or(p)))
    }
}

/// The listing of the folder at `root`, or `None` when there is no folder there. The walk
/// stops early (with [`Listing::truncated`]) once the folder cannot fit a ConfigMap.
pub fn list(fs: &dyn FileSystem, root: &str) -> Option<Listing> {
    let mut out = Listing::default();
    walk(fs, root, "", 0, &mut out)?;
    Some(out)
}

fn walk(fs: &dyn FileSystem, root: &str, rel: &str, depth: usize, out: &mut Listing) -> Option<()> {
    let dir = if rel.is_empty() {
        root.to_string()
    } else {
        format!("{root}/{rel}")
    };
    for e in fs.list(&dir)? {
        if out.files.len() > MAX_FILES || out.bytes() > OBJECT_BUDGET {
            out.truncated = true;
            return Some(());
        }
        let path = if rel.is_empty() {
            e.name.clone()
        } else {
            format!("{rel}/{}", e.name)
        };
        match e.kind {
            EntryKind::File(n) => out.files.push((path, n)),
            EntryKind::Dir if depth < MAX_DEPTH => {
                // A folder that cannot be listed any more is left out, not fatal.
                if walk(fs, root, &path, depth + 1, out).is_none() {
                    out.skipped.push(path);
                }
            }
            EntryKind::Dir | EntryKind::Other => out.skipped.push(path),
        }
    }
    Some(())
}

/// The content of files as ConfigMap fields: text in `data` (readers of the config, such as
/// the port inference, look there), the rest in `binaryData`, and the `items` that place
/// each key at its path.
#[derive(Debug, Default, PartialEq)]
pub struct Content {
    pub data: BTreeMap<String, String>,
    pub binary: BTreeMap<String, ByteString>,
    pub items: Vec<KeyToPath>,
    /// The weight counted against [`OBJECT_BUDGET`].
    pub weight: u64,
}

/// Why content does not become a ConfigMap.
#[derive(Debug, PartialEq, Eq)]
pub enum TooBig {
    /// Over [`OBJECT_BUDGET`]: the weight it would have.
    Bytes(u64),
    /// Over [`MAX_FILES`]: the number of files.
    Files(usize),
    /// A file that cannot be read: its path and the reason.
    Unreadable(String, String),
}

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TooBig::Bytes(n) => write!(
                f,
                "{} as a ConfigMap, over the {} a ConfigMap may weigh for `kubectl apply`",
                size(*n),
                size(OBJECT_BUDGET)
            ),
            TooBig::Files(_) => write!(f, "more files than the {MAX_FILES} a ConfigMap takes"),
            TooBig::Unreadable(p, e) => write!(f, "`{p}` cannot be read ({e})"),
        }
    }
}

/// A size for messages: `512 B`, `3.4 KiB`, `1.9 MiB`.
pub fn size(n: u64) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1024 * 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0)),
    }
}

/// Read the listed files under `root` into ConfigMap fields, or say why they do not fit.
/// The sizes of the listing are checked before anything is read.
pub fn read(fs: &dyn FileSystem, root: &str, listing: &Listing) -> Result<Content, TooBig> {
    if listing.files.len() > MAX_FILES {
        return Err(TooBig::Files(listing.files.len()));
    }
    // Base64 is the worst case of either encoding (JSON escapes of text are rarely larger).
    let bound: u64 = listing.files.iter().map(|(p, n)| p.len() as u64 + n).sum();
    if bound > OBJECT_BUDGET {
        return Err(TooBig::Bytes(bound));
    }
    let mut files = Vec::with_capacity(listing.files.len());
    for (rel, _) in &listing.files {
        let bytes = fs
            .read(&format!("{root}/{rel}"))
            .map_err(|e| TooBig::Unreadable(rel.clone(), e))?;
        files.push((rel.clone(), bytes));
    }
    let content = fields(files);
    if content.weight > OBJECT_BUDGET {
        return Err(TooBig::Bytes(content.weight));
    }
    Ok(content)
}

/// ConfigMap fields of files given by relative path. Keys are the paths with `/` as `_` and
/// other characters a key cannot hold as `-`, made unique in path order.
pub fn fields(files: Vec<(String, Vec<u8>)>) -> Content {
    let mut out = Content::default();
    let mut taken: Vec<String> = Vec::new();
    for (rel, bytes) in files {
        let key = unique_key(&rel, &taken);
        taken.push(key.clone());
        out.weight += key.len() as u64 + 8;
        match String::from_utf8(bytes) {
            Ok(text) => {
                out.weight += json_len(&text);
                out.data.insert(key.clone(), text);
            }
            Err(e) => {
                let raw = e.into_bytes();
                out.weight += (raw.len() as u64).div_ceil(3) * 4;
                out.binary.insert(key.clone(), ByteString(raw));
            }
        }
        out.weight += rel.len() as u64 + 24;
        out.items.push(KeyToPath {
            key,
            path: rel,
            mode: None,
        });
    }
    out
}

/// The length of a string as a JSON string body.
fn json_len(s: &str) -> u64 {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\t' | '\r' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8() as u64,
        })
        .sum()
}

/// A ConfigMap key (`[-._a-zA-Z0-9]{1,253}`, not `.` or `..`) for a relative path, not in
/// `taken`.
fn unique_key(rel: &str, taken: &[String]) -> String {
    let mut base: String = rel
        .chars()
        .map(|c| match c {
            '/' => '_',
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') => c,
            _ => '-',
        })
        .collect();
    if base.chars().all(|c| c == '.') {
        base = format!("file{base}");
    }
    base.truncate(240);
    let mut key = base.clone();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}-{n}");
        n += 1;
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::MemoryFs;

    fn fs() -> MemoryFs {
        MemoryFs::new()
            .with("/p/conf/default.conf", "server {}\n")
            .with("/p/conf/sites/a b.conf", "x")
            .with("/p/conf/sites_a-b.conf", "y")
            .with("/p/conf/.hidden", "")
            .with("/p/conf/logo.png", vec![0x89, 0x50, 0xff, 0x00])
            .with("/p/empty/.gitkeep", "")
    }

    #[test]
    fn nested_files_become_keys_with_paths() {
        let fs = fs();
        let l = list(&fs, "/p/conf").unwrap();
        assert!(!l.is_empty());
        let c = read(&fs, "/p/conf", &l).unwrap();
        let pairs: Vec<(&str, &str)> = c
            .items
            .iter()
            .map(|i| (i.key.as_str(), i.path.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                (".hidden", ".hidden"),
                ("default.conf", "default.conf"),
                ("logo.png", "logo.png"),
                ("sites_a-b.conf", "sites/a b.conf"),
                ("sites_a-b.conf-2", "sites_a-b.conf"),
            ]
        );
        assert_eq!(c.data[".hidden"], "");
        assert_eq!(c.binary["logo.png"].0, vec![0x89, 0x50, 0xff, 0x00]);
        assert!(!c.data.contains_key("logo.png"));
    }

    #[test]
    fn placeholders_only_is_empty_and_no_folder_is_none() {
        let fs = fs();
        assert!(list(&fs, "/p/empty").unwrap().is_empty());
        assert!(list(&fs, "/p/none").is_none());
    }

    #[test]
    fn over_the_budget_is_refused_before_reading() {
        let big = vec![b'a'; OBJECT_BUDGET as usize];
        let fs = MemoryFs::new().with("/p/d/big.log", big);
        let l = list(&fs, "/p/d").unwrap();
        assert!(matches!(read(&fs, "/p/d", &l), Err(TooBig::Bytes(_))));
    }

    #[test]
    fn binary_weighs_its_base64() {
        // Three quarters of the budget in binary is over it once encoded.
        let bin = vec![0xffu8; (OBJECT_BUDGET as usize) * 4 / 5];
        let c = fields(vec![("b.bin".into(), bin)]);
        assert!(c.weight > OBJECT_BUDGET);
    }

    /// On disk: a link to a file reads as the file; a link to a folder and a dangling link
    /// are left out, and said to be.
    #[cfg(unix)]
    #[test]
    fn links_on_the_real_file_system() {
        use std::os::unix::fs::symlink;
        let dir = std::env::temp_dir().join(format!("kubeferry-folders-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("conf/sub")).unwrap();
        std::fs::write(dir.join("conf/a.conf"), "a").unwrap();
        std::fs::write(dir.join("conf/sub/b.conf"), "bb").unwrap();
        symlink(dir.join("conf/a.conf"), dir.join("conf/link.conf")).unwrap();
        symlink(dir.join("conf/sub"), dir.join("conf/linked-dir")).unwrap();
        symlink(dir.join("missing"), dir.join("conf/dangling")).unwrap();
        let fs = crate::compose::RealFs::default();
        let root = dir.join("conf").to_string_lossy().into_owned();
        let l = list(&fs, &root).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let files: Vec<(&str, u64)> = l.files.iter().map(|(p, n)| (p.as_str(), *n)).collect();
        assert_eq!(files, [("a.conf", 1), ("link.conf", 1), ("sub/b.conf", 2)]);
        assert_eq!(l.skipped, ["dangling", "linked-dir"]);
    }

    #[test]
    fn too_many_files_are_refused() {
        let mut fs = MemoryFs::new();
        for i in 0..=MAX_FILES {
            fs.insert(format!("/p/d/{i:04}"), "x");
        }
        let l = list(&fs, "/p/d").unwrap();
        assert_eq!(read(&fs, "/p/d", &l), Err(TooBig::Files(MAX_FILES + 1)));
    }
}
