//! The single-file output (`-o FILE.yaml`): the stream is written beside the target and renamed
//! over it, so the target is never partial. When the target already holds exactly these
//! bytes it is left alone: regenerating unchanged manifests (an editor, a pre-commit hook)
//! keeps the file's time, and skips creating, renaming or removing a file, which is most of
//! the time of a small conversion (on ext4 the rename flushes the new file to disk first).

use super::{Format, render_to};
use crate::lower::Object;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Write `objects` to `path` as one stream, atomically, unless it already holds them.
///
/// The stream is rendered twice when the file changed (once against the old bytes, stopping
/// at the first difference, once into the new file) rather than held in memory: for a large
/// project the text is megabytes, and peak memory is a goal (docs/performance.md).
pub fn write_file(path: &Path, objects: &[Object], format: Format) -> io::Result<()> {
    if holds(path, objects, format) {
        return Ok(());
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".kubeferry-tmp");
    let tmp = Path::new(&tmp_name);
    let result = write_new(path, tmp, objects, format);
    if result.is_err() {
        // No half-written file is left behind.
        let _ = std::fs::remove_file(tmp);
    }
    result
}

fn write_new(path: &Path, tmp: &Path, objects: &[Object], format: Format) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(tmp)?);
    render_to(objects, format, &mut out)?;
    out.flush()?;
    drop(out);
    std::fs::rename(tmp, path)
}

/// Whether the file at `path` already holds exactly the rendered `objects`.
fn holds(path: &Path, objects: &[Object], format: Format) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut old = Compare {
        old: BufReader::new(file),
        scratch: Vec::new(),
    };
    // A difference ends the rendering with an error: the rest need not be rendered.
    render_to(objects, format, &mut old).is_ok() && matches!(old.old.fill_buf(), Ok([]))
}

/// A writer that checks the bytes written against `old`, and fails at the first difference.
struct Compare<R> {
    old: R,
    scratch: Vec<u8>,
}

impl<R: Read> Write for Compare<R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.scratch.resize(buf.len(), 0);
        self.old.read_exact(&mut self.scratch)?;
        if self.scratch != buf {
            return Err(io::Error::other("the file differs"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn objects(name: &str) -> Vec<Object> {
        vec![Object::from(ConfigMap {
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
