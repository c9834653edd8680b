//! The back end: objects to output files. [`render`] and [`layout`] are pure; [`write_dir`]
//! is the only place that touches the filesystem. Each layout other than the plain ones has
//! its module ([`kustomize`], [`helm`]).

mod check;
pub mod helm;
pub mod kustomize;
mod leaks;
mod report;
mod single;
mod write;
pub mod yaml;
mod yaml_direct;

use crate::convert::Conversion;
use crate::lower::Object;
pub use check::{
    check, is_dns_label, is_dns_subdomain, is_label_value, is_qualified_key, is_quantity,
};
pub use leaks::machine_paths;
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Yaml,
    Json,
}

/// One file of output: a relative path and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: String,
}

/// The output checks: the check that refuses what Kubernetes would ([`check`], errors), then
/// the warnings for this machine's `folders` found in the objects ([`machine_paths`]).
pub fn inspect(
    objects: &[Object],
    external: &crate::lower::External,
    folders: &[String],
) -> Result<Vec<crate::diag::Diagnostic>, crate::diag::Failure> {
    check::check(objects, external)?;
    Ok(leaks::machine_paths(objects, folders))
}

pub(crate) fn to_value(o: &Object) -> serde_json::Value {
    serde_json::to_value(o).unwrap_or(serde_json::Value::Null)
}

/// One object as a YAML document appended to `out`: written directly, or through the value
/// tree for what the direct writer refuses (the same bytes either way).
fn object_yaml(out: &mut String, o: &Object) {
    if !yaml_direct::write(out, o) {
        yaml::write(out, &to_value(o));
    }
}

/// One YAML document per object, separated by `---`.
pub fn yaml_stream(objects: &[Object]) -> String {
    let mut out = String::new();
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        object_yaml(&mut out, o);
    }
    out
}

/// The whole output as one stream, written to `w` an object at a time: the same bytes as
/// [`render`] without holding all of them.
pub fn render_to(
    objects: &[Object],
    format: Format,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    if format == Format::Json {
        return w.write_all(json_list(objects).as_bytes());
    }
    let mut doc = String::new();
    for (i, o) in objects.iter().enumerate() {
        doc.clear();
        if i > 0 {
            doc.push_str("---\n");
        }
        object_yaml(&mut doc, o);
        w.write_all(doc.as_bytes())?;
    }
    Ok(())
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

/// The files of a layout, paths relative to the output folder. Helm charts are always YAML.
pub fn layout(c: &Conversion, layout: Layout, format: Format) -> Vec<OutputFile> {
    match layout {
        Layout::Files => render_files(&c.objects, format),
        Layout::Single => vec![OutputFile {
            path: match format {
                Format::Yaml => "manifests.yaml".into(),
                Format::Json => "manifests.json".into(),
            },
            contents: render(&c.objects, format),
        }],
        Layout::Kustomize => {
            let groups: Vec<kustomize::Group<'_>> = match &c.plan {
                Some(plan) => plan
                    .stages
                    .iter()
                    .map(|s| kustomize::Group {
                        folder: &s.name,
                        objects: &s.objects,
                    })
                    .collect(),
                None => vec![kustomize::Group {
                    folder: "base",
                    objects: &c.objects,
                }],
            };
            kustomize::files(&groups, format)
        }
        Layout::Helm => helm::files(&c.objects, &c.project.name),
    }
}
