//! The pieces of pod storage that `volumes.rs`, `binds.rs` and `image_volumes.rs` all build:
//! claims (a PersistentVolumeClaim sized by the service or the options, and its pod volume,
//! model caches among them), emptyDirs, the metadata of the objects they add, and host paths
//! as messages show them.

use super::names::{self, dns_label};
use super::object::Object;
use super::{Ctx, model_users};
use crate::compose::model::Service;
use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, Volume, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

pub(super) fn meta(cx: &Ctx<'_>, name: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: cx.opts.namespace.clone(),
        labels: Some(names::project_labels(&cx.project.name)),
        ..Default::default()
    }
}

pub(super) fn pvc(cx: &Ctx<'_>, name: String, size: String, class: Option<String>) -> Object {
    Object::from(pvc_with(cx, name, size, class, "ReadWriteOnce".into()))
}

pub(super) fn pvc_with(
    cx: &Ctx<'_>,
    name: String,
    size: String,
    class: Option<String>,
    mode: String,
) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta(cx, name),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec![mode]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_string(), Quantity(size))])),
                ..Default::default()
            }),
            storage_class_name: class,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A PersistentVolumeClaim for a volume mounted where model servers keep downloaded models
/// (which would otherwise be an emptyDir, downloading gigabytes again on every restart).
#[allow(clippy::too_many_arguments)]
pub(super) fn model_cache(
    cx: &mut Ctx<'_>,
    name: &str,
    svc: &Service,
    vname: &str,
    target: &str,
    i: usize,
    what: &str,
) -> Option<Volume> {
    let cache = model_users::cache_kind(svc, target)?;
    let claim = dns_label(&format!("{}-model-cache-{i}", cx.names[name]));
    let (size, class) = claim_size(cx, svc);
    cx.warn("L039", name, &["volumes"], format!(
        "{what} at `{target}` holds downloaded models ({cache} cache): it becomes the PersistentVolumeClaim `{claim}` of {size}, so models are not downloaded again on every restart; models are often tens of GB, so set the size (x-kubeferry pvc_size or --pvc-request-size)"
    ));
    let p = pvc(cx, claim.clone(), size, class);
    cx.objects.push(p);
    Some(claim_volume(vname, claim))
}

/// Size and class of a claim the service's mounts need: its own setting, else the options.
/// A size that is not a quantity was warned about (`warn_bad_sizes`) and is skipped.
pub(super) fn claim_size(cx: &Ctx<'_>, svc: &Service) -> (String, Option<String>) {
    let size = svc
        .settings
        .pvc_size
        .clone()
        .filter(|s| crate::quantity::is_size(s))
        .unwrap_or_else(|| cx.opts.pvc_size.clone());
    let class = svc
        .settings
        .storage_class
        .clone()
        .or_else(|| cx.opts.storage_class.clone());
    (size, class)
}

pub(super) fn empty_dir(name: &str, medium: Option<&str>, size: Option<Quantity>) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: medium.map(str::to_string),
            size_limit: size,
        }),
        ..Default::default()
    }
}

/// A host path shown relative to the project folder, so messages do not carry host paths.
pub(super) fn relative(path: &str, base: &str) -> String {
    match path.strip_prefix(base) {
        Some("") => ".".into(),
        Some(rest) if rest.starts_with('/') => format!(".{rest}"),
        _ => path.to_string(),
    }
}

/// A pod volume backed by a PersistentVolumeClaim.
pub(super) fn claim_volume(name: &str, claim: String) -> Volume {
    Volume {
        name: name.to_string(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: claim,
            read_only: None,
        }),
        ..Default::default()
    }
}
