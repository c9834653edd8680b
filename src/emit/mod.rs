//! The back end: objects to output files. [`check`] validates every object before anything is
//! written; [`render`] is pure; [`write`] is the only place that touches the filesystem.

mod check;
mod leaks;
mod write;
pub mod yaml;

use crate::lower::Object;
pub use check::{
    check, is_dns_label, is_dns_subdomain, is_label_value, is_qualified_key, is_quantity,
};
pub use leaks::machine_paths;
pub use write::{WriteError, write_dir};

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

fn to_value(o: &Object) -> serde_json::Value {
    serde_json::to_value(o).unwrap_or(serde_json::Value::Null)
}

/// One YAML document per object, separated by `---`.
pub fn yaml_stream(objects: &[Object]) -> String {
    let mut out = String::new();
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&yaml::to_string(&to_value(o)));
    }
    out
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
                    contents: yaml::to_string(&to_value(o)),
                },
                Format::Json => OutputFile {
                    path: format!("{base}.json"),
                    contents: serde_json::to_string_pretty(&to_value(o)).unwrap_or_default() + "\n",
                },
            }
        })
        .collect()
}
