//! The Kustomize layout: one folder per group of objects (`base/` for a plain conversion, one
//! per stage after a staged one), each with a `kustomization.yaml` that lists every resource
//! file of the folder in the fixed object order.
//!
//! Secrets are not resource files: their values stay out of the folder users commit. Each
//! becomes a `secretGenerator` reading one file per key under `secrets/<name>/`, which the
//! folder's `.gitignore` leaves out of version control; the built output is the same Secret
//! (same name, labels and data) as the plain output's.

use super::{Format, OutputFile, render_files, to_value};
use crate::lower::Object;
use crate::yaml;
use serde_json::{Value, json};

/// Objects that go into one Kustomize folder.
pub struct Group<'a> {
    /// Folder name, relative to the output folder.
    pub folder: &'a str,
    pub objects: &'a [Object],
}

/// The folder, beside `kustomization.yaml`, that holds the values of the Secrets.
pub const SECRETS_DIR: &str = "secrets";

/// The files of every group's folder.
pub fn files(groups: &[Group<'_>], format: Format) -> Vec<OutputFile> {
    let mut out = Vec::new();
    for g in groups {
        let (secrets, others): (Vec<Object>, Vec<Object>) = g
            .objects
            .iter()
            .cloned()
            .partition(|o| matches!(o, Object::Secret(_)));
        let resources = render_files(&others, format);
        let mut kustomization = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": resources.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
        });
        let mut value_files = Vec::new();
        let mut generators = Vec::new();
        for s in &secrets {
            match generator(s, g.folder, &mut value_files) {
                Some(entry) => generators.push(entry),
                // Bytes that are not text cannot be a file of this text-only output: the
                // whole Secret goes to the ignored folder, as a resource.
                None => {
                    let f = &render_files(std::slice::from_ref(s), format)[0];
                    let rel = format!("{SECRETS_DIR}/{}", f.path);
                    if let Some(r) = kustomization["resources"].as_array_mut() {
                        r.push(Value::String(rel.clone()));
                    }
                    value_files.push(OutputFile {
                        path: format!("{}/{rel}", g.folder),
                        contents: f.contents.clone(),
                    });
                }
            }
        }
        if !generators.is_empty() {
            kustomization["secretGenerator"] = Value::Array(generators);
        }
        out.push(OutputFile {
            path: format!("{}/kustomization.yaml", g.folder),
            contents: yaml::to_string(&kustomization),
        });
        out.extend(resources.into_iter().map(|f| OutputFile {
            path: format!("{}/{}", g.folder, f.path),
            contents: f.contents,
        }));
        if !value_files.is_empty() {
            out.push(OutputFile {
                path: format!("{}/.gitignore", g.folder),
                contents: format!(
                    "# The values of the Secrets (read by the secretGenerator): never commit them.\n/{SECRETS_DIR}/\n"
                ),
            });
            out.extend(value_files);
        }
    }
    out
}

/// The `secretGenerator` entry that rebuilds Secret `o`, pushing one file per key to `files`;
/// `None` when a value is not text.
fn generator(o: &Object, folder: &str, files: &mut Vec<OutputFile>) -> Option<Value> {
    let Object::Secret(secret) = o else {
        return None;
    };
    let name = o.name();
    let mut texts = Vec::new();
    for (key, bytes) in secret.data.iter().flatten() {
        texts.push((key, std::str::from_utf8(&bytes.0).ok()?));
    }
    let mut sources = Vec::new();
    for (key, text) in texts {
        let rel = format!("{SECRETS_DIR}/{name}/{key}");
        sources.push(Value::String(format!("{key}={rel}")));
        files.push(OutputFile {
            path: format!("{folder}/{rel}"),
            contents: text.to_string(),
        });
    }
    let v = to_value(o);
    let meta = &v["metadata"];
    let mut options = json!({ "disableNameSuffixHash": true });
    for k in ["labels", "annotations"] {
        if let Some(m) = meta.get(k) {
            options[k] = m.clone();
        }
    }
    let mut g = json!({ "name": name });
    if let Some(ns) = meta.get("namespace") {
        g["namespace"] = ns.clone();
    }
    if let Some(t) = v.get("type") {
        g["type"] = t.clone();
    }
    g["files"] = Value::Array(sources);
    g["options"] = options;
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn secret(name: &str, value: &[u8]) -> Object {
        Object::from(Secret {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            data: Some([("k".to_string(), ByteString(value.to_vec()))].into()),
            type_: Some("Opaque".into()),
            ..Default::default()
        })
    }

    #[test]
    fn secrets_leave_the_committed_files() {
        let objects = [secret("text", b"pa ss\n"), secret("bytes", &[0xff, 0xfe])];
        let files = files(
            &[Group {
                folder: "base",
                objects: &objects,
            }],
            Format::Yaml,
        );
        let get = |p: &str| &files.iter().find(|f| f.path == p).unwrap().contents;
        // Text: a generator reading the exact bytes from the ignored folder.
        assert_eq!(get("base/secrets/text/k"), "pa ss\n");
        let k: Value = serde_norway::from_str(get("base/kustomization.yaml")).unwrap();
        assert_eq!(k["secretGenerator"][0]["files"][0], "k=secrets/text/k");
        // Bytes that are not text: the Secret itself, as a resource in the ignored folder.
        assert_eq!(k["resources"], json!(["secrets/bytes-secret.yaml"]));
        assert!(get("base/secrets/bytes-secret.yaml").contains("kind: Secret"));
        assert_eq!(get("base/.gitignore").lines().last(), Some("/secrets/"));
        for f in files
            .iter()
            .filter(|f| !f.path.starts_with("base/secrets/"))
        {
            assert!(!f.contents.contains("pa ss"), "{}", f.path);
        }
    }
}
