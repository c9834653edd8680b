//! The single-file output (`-o FILE.yaml`): the stream is written beside the target and renamed
//! over it, so the target is never partial. When the target already holds exactly these
//! bytes it is left alone: regenerating unchanged manifests (an editor, a pre-commit hook)
//! keeps the file's time, and skips the rename, which on ext4 flushes the new file to disk
//! before replacing the old one (most of the time of a small conversion).

use super::{Format, render_to};
use crate::lower::Object;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Write `objects` to `path` as one stream, atomically, unless it already holds them.
pub fn write_file(path: &Path, objects: &[Object], format: Format) -> io::Result<()> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".kubeferry-tmp");
    let tmp = Path::new(&tmp_name);
    let result = write_via(path, tmp, objects, format);
    if result.is_err() {
        // No half-written file is left behind.
        let _ = std::fs::remove_file(tmp);
    }
    result
}

fn write_via(path: &Path, tmp: &Path, objects: &[Object], format: Format) -> io::Result<()> {
    let old = File::open(path).ok().map(BufReader::new);
    let mut out = Compare {
        same: old.is_some(),
        old,
        new: BufWriter::new(File::create(tmp)?),
        scratch: Vec::new(),
    };
    render_to(objects, format, &mut out)?;
    out.new.flush()?;
    let unchanged = out.same
        && out
            .old
            .as_mut()
            .is_some_and(|r| matches!(r.fill_buf(), Ok([])));
    if unchanged {
        std::fs::remove_file(tmp)
    } else {
        std::fs::rename(tmp, path)
    }
}

/// Writes to `new` while checking the bytes against `old`, the file's current content.
struct Compare<R, W> {
    old: Option<R>,
    new: W,
    same: bool,
    scratch: Vec<u8>,
}

impl<R: Read, W: Write> Write for Compare<R, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.new.write(buf)?;
        if self.same
            && let Some(old) = &mut self.old
        {
            self.scratch.resize(n, 0);
            self.same = old.read_exact(&mut self.scratch).is_ok() && self.scratch == buf[..n];
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.new.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn objects(name: &str) -> Vec<Object> {
        vec![Object::ConfigMap(ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            ..Default::default()
        })]
    }

    fn modified(p: &Path) -> std::time::SystemTime {
        std::fs::metadata(p).unwrap().modified().unwrap()
    }

    #[test]
    fn writes_replaces_and_leaves_an_unchanged_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.yaml");
        write_file(&path, &objects("a"), Format::Yaml).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, super::super::render(&objects("a"), Format::Yaml));

        // Same bytes: the file is not replaced (its time stays), no temporary file is left.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        write_file(&path, &objects("a"), Format::Yaml).unwrap();
        assert_eq!(modified(&path), old);

        // Different bytes, or the old file longer than the new output: replaced.
        write_file(&path, &objects("b"), Format::Yaml).unwrap();
        assert_ne!(modified(&path), old);
        assert!(std::fs::read_to_string(&path).unwrap().contains("name: b"));
        std::fs::write(&path, text.clone() + "---\nkind: Extra\n").unwrap();
        write_file(&path, &objects("a"), Format::Yaml).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.yaml"]);
    }
}
