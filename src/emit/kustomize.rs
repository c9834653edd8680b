//! The Kustomize layout: one folder per group of objects (`base/` for a plain conversion, one
//! per stage after a staged one), each with a `kustomization.yaml` that lists every resource
//! file of the folder in the fixed object order.

use super::{Format, OutputFile, render_files, yaml};
use crate::lower::Object;

/// Objects that go into one Kustomize folder.
pub struct Group<'a> {
    /// Folder name, relative to the output folder.
    pub folder: &'a str,
    pub objects: &'a [Object],
}

/// The files of every group's folder.
pub fn files(groups: &[Group<'_>], format: Format) -> Vec<OutputFile> {
    let mut out = Vec::new();
    for g in groups {
        let resources = render_files(g.objects, format);
        let kustomization = serde_json::json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": resources.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
        });
        out.push(OutputFile {
            path: format!("{}/kustomization.yaml", g.folder),
            contents: yaml::to_string(&kustomization),
        });
        out.extend(resources.into_iter().map(|f| OutputFile {
            path: format!("{}/{}", g.folder, f.path),
            contents: f.contents,
        }));
    }
    out
}
