//! The back end: objects to output files. [`render`] and `layout` are pure; [`write_dir`]
//! is the only place that touches the filesystem. Each layout other than the plain ones has
//! its module (`kustomize`, `helm`).

mod check;
pub(crate) mod helm;
pub(crate) mod kustomize;
mod leaks;
mod report;
mod single;
mod strings;
mod write;

use crate::lower::Object;
pub use crate::output::OutputFile;
use crate::parallel::both;
/// The YAML writer (below the stages; plan and the lock file write with it too).
pub use crate::yaml;
pub use check::{check, is_dns_label, is_dns_subdomain, is_label_value, is_qualified_key};
pub use report::{report_json, report_markdown};
pub use single::write_file;
pub use write::{WriteError, write_dir};

/// How the output is laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// One file per object, `<name>-<kind>.yaml`.
    Files,
    /// One stream (`manifests.yaml`), or a JSON `List`.
    #[default]
    Single,
    /// A Kustomize base: `base/kustomization.yaml` and one file per object (after a staged
    /// conversion, one such folder per stage).
    Kustomize,
    /// A Helm chart whose default values render the plain output.
    Helm,
}

/// The text format of the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// YAML documents (`---` between objects).
    #[default]
    Yaml,
    /// JSON: a `v1` `List` of the objects, or one object per file.
    Json,
}

/// The output checks: the check that refuses what Kubernetes would ([`check`], errors), then
/// the warnings for this machine's `folders` found in the objects ([`leaks::machine_paths`]) and for
/// credentials in plain text (`leaks::credentials`).
pub(crate) fn inspect(
    objects: &[Object],
    external: &crate::lower::External,
    folders: &[String],
) -> Result<Vec<crate::diag::Diagnostic>, crate::diag::Failure> {
    let leaks = || {
        let mut w = leaks::machine_paths(objects, folders);
        w.extend(leaks::credentials(objects, external));
        w
    };
    if objects.len() < PARALLEL_MIN {
        check::check(objects, external)?;
        return Ok(leaks());
    }
    // Both only read the objects.
    let (checked, paths) = both(|| check::check(objects, external), leaks);
    checked.map(|()| paths)
}

pub(crate) fn to_value(o: &Object) -> serde_json::Value {
    serde_json::to_value(o).unwrap_or(serde_json::Value::Null)
}

/// One object as a YAML document appended to `out`.
fn object_yaml(out: &mut String, o: &Object) {
    yaml::write(out, o);
}

/// One YAML document per object, separated by `---`.
pub fn yaml_stream(objects: &[Object]) -> String {
    if objects.len() < PARALLEL_MIN {
        return yaml_docs(objects, true);
    }
    let (a, b) = objects.split_at(objects.len() / 2);
    let (mut first, second) = both(|| yaml_docs(a, true), || yaml_docs(b, false));
    first.push_str(&second);
    first
}

/// From this many objects on, the output checks and the YAML rendering each run on two
/// threads: below it, starting a thread costs more than it saves.
const PARALLEL_MIN: usize = 256;

/// The whole output as one stream, written to `w`: the same bytes as [`render`]. A small
/// project is written an object at a time; a large one is rendered in two halves on two
/// threads, then written.
pub fn render_to(
    objects: &[Object],
    format: Format,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    if format == Format::Json {
        return w.write_all(json_list(objects).as_bytes());
    }
    if objects.len() < PARALLEL_MIN {
        return write_docs(objects, true, w);
    }
    // In two rounds, each over half the objects: this thread writes the first quarter of the
    // round as it renders it, while the other renders the second quarter, one string per
    // object; then that quarter is written. At most a quarter of the text is ever held.
    let quarter = objects.len().div_ceil(4);
    for (round, pair) in objects.chunks(2 * quarter).enumerate() {
        let (a, b) = pair.split_at(quarter.min(pair.len()));
        let (written, rendered) = both(
            || write_docs(a, round == 0, w),
            || {
                b.iter()
                    .map(|o| yaml_docs(std::slice::from_ref(o), false))
                    .collect::<Vec<_>>()
            },
        );
        written?;
        rendered
            .iter()
            .try_for_each(|d| w.write_all(d.as_bytes()))?;
    }
    Ok(())
}

/// Writes the YAML documents of `objects` an object at a time ([`push_docs`]).
fn write_docs(
    objects: &[Object],
    starts_stream: bool,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut doc = String::new();
    for (i, o) in objects.iter().enumerate() {
        doc.clear();
        push_docs(&mut doc, std::slice::from_ref(o), starts_stream && i == 0);
        w.write_all(doc.as_bytes())?;
    }
    Ok(())
}

/// The YAML documents of `objects` ([`push_docs`]).
fn yaml_docs(objects: &[Object], starts_stream: bool) -> String {
    let mut out = String::new();
    push_docs(&mut out, objects, starts_stream);
    out
}

/// Appends the YAML documents of `objects`, each after a `---` line except the first of the
/// stream.
fn push_docs(out: &mut String, objects: &[Object], starts_stream: bool) {
    for (i, o) in objects.iter().enumerate() {
        if i > 0 || !starts_stream {
            out.push_str("---\n");
        }
        object_yaml(out, o);
    }
}

/// A `v1` List holding every object.
pub fn json_list(objects: &[Object]) -> String {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": objects.iter().map(to_value).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
}

/// The whole output as one stream.
pub fn render(objects: &[Object], format: Format) -> String {
    match format {
        Format::Yaml => yaml_stream(objects),
        Format::Json => json_list(objects),
    }
}

// A stage's files are rendered here, not in `plan`, which only returns the data.
impl crate::plan::Staged {
    /// Every output file of a folder: one per object, then the override file.
    pub fn files(&self, format: Format) -> Vec<OutputFile> {
        let mut files = render_files(&self.objects, format);
        files.extend(self.compose_override.clone());
        files
    }
}

/// One file per object, `<name>-<kind>.yaml` as Kompose names them.
pub fn render_files(objects: &[Object], format: Format) -> Vec<OutputFile> {
    objects
        .iter()
        .map(|o| {
            let base = format!("{}-{}", o.name(), o.kind().to_ascii_lowercase());
            match format {
                Format::Yaml => OutputFile {
                    path: format!("{base}.yaml"),
                    contents: {
                        let mut text = String::new();
                        object_yaml(&mut text, o);
                        text
                    },
                },
                Format::Json => OutputFile {
                    path: format!("{base}.json"),
                    contents: serde_json::to_string_pretty(&to_value(o)).unwrap_or_default() + "\n",
                },
            }
        })
        .collect()
}

/// What a layout is made of: emit reads these, never the conversion that made them.
pub(crate) struct Parts<'a> {
    /// Every object, in the output's order.
    pub objects: &'a [Object],
    /// The Compose project's name (a Helm chart's name).
    pub project_name: &'a str,
    /// After a staged conversion, the objects of each stage, one Kustomize folder each;
    /// empty: one `base` folder of every object.
    pub stages: Vec<kustomize::Group<'a>>,
}

/// The files of a layout, paths relative to the output folder. Helm charts are always YAML.
pub(crate) fn layout(c: &Parts<'_>, layout: Layout, format: Format) -> Vec<OutputFile> {
    match layout {
        Layout::Files => render_files(c.objects, format),
        Layout::Single => vec![OutputFile {
            path: match format {
                Format::Yaml => "manifests.yaml".into(),
                Format::Json => "manifests.json".into(),
            },
            contents: render(c.objects, format),
        }],
        Layout::Kustomize if c.stages.is_empty() => kustomize::files(
            &[kustomize::Group {
                folder: "base",
                objects: c.objects,
            }],
            format,
        ),
        Layout::Kustomize => kustomize::files(&c.stages, format),
        Layout::Helm => helm::files(c.objects, c.project_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn config_maps(n: usize, data: &str) -> Vec<Object> {
        (0..n)
            .map(|i| {
                Object::from(ConfigMap {
                    metadata: ObjectMeta {
                        name: Some(format!("cm-{i:04}")),
                        ..Default::default()
                    },
                    data: Some([("path".to_string(), data.to_string())].into()),
                    ..Default::default()
                })
            })
            .collect()
    }

    #[test]
    fn two_threads_write_what_one_writes() {
        for n in [
            1,
            PARALLEL_MIN - 1,
            PARALLEL_MIN,
            PARALLEL_MIN + 1,
            3 * PARALLEL_MIN,
        ] {
            let objects = config_maps(n, "x");
            let mut one = Vec::new();
            write_docs(&objects, true, &mut one).unwrap();
            let mut streamed = Vec::new();
            render_to(&objects, Format::Yaml, &mut streamed).unwrap();
            assert_eq!(String::from_utf8(streamed).unwrap(), yaml_stream(&objects));
            assert_eq!(
                String::from_utf8(one).unwrap(),
                yaml_stream(&objects),
                "{n}"
            );
            assert_eq!(yaml_stream(&objects).matches("---\n").count(), n - 1);
        }
    }

    #[test]
    fn the_checks_find_the_same_on_two_threads() {
        let folders = ["/home/ann".to_string()];
        for n in [3, PARALLEL_MIN + 3] {
            let objects = config_maps(n, "/home/ann/data");
            let warnings = inspect(&objects, &Default::default(), &folders).unwrap();
            assert_eq!(warnings.len(), n);
            assert_eq!(warnings, leaks::machine_paths(&objects, &folders));
        }
    }
}
