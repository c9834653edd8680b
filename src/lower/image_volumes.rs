//! Compose `volumes: - type: image` (the filesystem of an OCI image, or the `image.subpath`
//! folder of it, mounted read-only): a Kubernetes image volume from 1.35, where the
//! ImageVolume feature is on by default; before, an emptyDir that init containers fill
//! with a copy of the image's files.
//!
//! The copy works for images without a shell or `cp` (model images built `FROM scratch`):
//! a first init container puts the static busybox of the wait image into a shared emptyDir,
//! and the copy runs that busybox inside the image. What it needs: the image is a runnable
//! container image for the node's architecture (a bare OCI artifact cannot run), busybox
//! is for the same architecture, and the pod's user can read the files.

use super::names::dns_label;
use super::{Ctx, DependencyWait};
use crate::compose::model::ServiceVolume;
use crate::target::Feature;
use k8s_openapi::api::core::v1::{Container, ImageVolumeSource, Volume, VolumeMount};

/// Where the copy's tools are mounted in the init containers.
const TOOLS: &str = "/kubeferry-tools";
/// Where the copy goes in the copying init container.
const TARGET: &str = "/kubeferry-image";
/// Busybox when the dependency wait (whose image provides it otherwise) is off.
const BUSYBOX: &str = "busybox:1.36";

/// What an image volume adds to the pod: volumes, the service's mount, init containers.
pub struct ImageMount {
    pub volumes: Vec<Volume>,
    pub mount: VolumeMount,
    pub init: Vec<Container>,
}

/// The Kubernetes pull policy of an image volume: the service's `pull_policy` where it
/// names one, else Kubernetes' own default for the reference (Always for `:latest` or no
/// tag, IfNotPresent otherwise), written out so the output says what the kubelet does.
fn pull_policy(pull: Option<&str>, reference: &str) -> String {
    match pull {
        Some("always") | Some("daily") | Some("weekly") | Some("refresh") => "Always".into(),
        Some(p) if p.starts_with("every_") => "Always".into(),
        Some("never") => "Never".into(),
        Some("missing") | Some("if_not_present") => "IfNotPresent".into(),
        _ => {
            let last = reference.rsplit('/').next().unwrap_or(reference);
            let tag = last.split_once('@').map_or(last, |(t, _)| t);
            let pinned = reference.contains('@');
            match tag.split_once(':') {
                _ if pinned => "IfNotPresent".into(),
                Some((_, "latest")) | None => "Always".into(),
                Some(_) => "IfNotPresent".into(),
            }
        }
    }
}

/// The `i`-th volume of the service `name`, of type image; `pull` is the service's
/// `pull_policy`.
pub fn lower(
    cx: &mut Ctx<'_>,
    name: &str,
    v: &ServiceVolume,
    i: usize,
    pull: Option<&str>,
) -> Option<ImageMount> {
    let Some(reference) = v.source.clone().filter(|s| !s.is_empty()) else {
        cx.warn(
            "L037",
            name,
            &["volumes"],
            format!(
                "an image volume at `{}` names no image (source); not converted",
                v.target
            ),
        );
        return None;
    };
    let vname = format!("image-{i}");
    let sub = v
        .image
        .as_ref()
        .and_then(|o| o.subpath.clone())
        .map(|s| s.trim_matches('/').to_string())
        .filter(|s| !s.is_empty());
    let version = cx.opts.kube_version;
    if version.has(Feature::ImageVolumes) {
        let volume = Volume {
            name: vname.clone(),
            image: Some(ImageVolumeSource {
                pull_policy: Some(pull_policy(pull, &reference)),
                reference: Some(reference),
            }),
            ..Default::default()
        };
        let mount = VolumeMount {
            name: vname,
            mount_path: v.target.clone(),
            read_only: Some(true),
            sub_path: sub,
            ..Default::default()
        };
        return Some(ImageMount {
            volumes: vec![volume],
            mount,
            init: Vec::new(),
        });
    }
    let busybox = match &cx.opts.dependencies {
        DependencyWait::InitContainer { image } => image.clone(),
        DependencyWait::Off => BUSYBOX.to_string(),
    };
    let from = sub.as_deref().map_or(String::new(), |s| format!("/{s}"));
    cx.warn(
        "L059",
        name,
        &["volumes"],
        format!(
            "image volume `{reference}` at `{}`: Kubernetes {version} has no image volumes (on by default from {}), so init containers copy {} of the image into an emptyDir at every pod start, which takes time and the node's disk for the image's size; the image must be a runnable container image for the node's architecture (the copy runs busybox from `{busybox}` inside it, so it needs no shell of its own) and its files readable by the pod's user. With --kube-version {} or later it becomes an image volume",
            v.target,
            Feature::ImageVolumes.since(),
            if from.is_empty() {
                "the filesystem".to_string()
            } else {
                format!("`{from}`")
            },
            Feature::ImageVolumes.since(),
        ),
    );
    let tools = dns_label(&format!("{vname}-tools"));
    let tools_mount = VolumeMount {
        name: tools.clone(),
        mount_path: TOOLS.into(),
        ..Default::default()
    };
    let provide = Container {
        name: tools.clone(),
        image: Some(busybox),
        command: Some(vec![
            "/bin/cp".into(),
            "/bin/busybox".into(),
            format!("{TOOLS}/busybox"),
        ]),
        volume_mounts: Some(vec![tools_mount.clone()]),
        ..Default::default()
    };
    // The whole filesystem leaves out the kernel's and the pod's mounts (-xdev).
    let script = if from.is_empty() {
        format!(
            "B={TOOLS}/busybox; cd / && $B find . -xdev -mindepth 1 -maxdepth 1 ! -name proc ! -name sys ! -name dev ! -name kubeferry-tools ! -name kubeferry-image -exec $B cp -R {{}} {TARGET}/ \\;"
        )
    } else {
        format!("{TOOLS}/busybox cp -R {from}/. {TARGET}/")
    };
    let copy = Container {
        name: dns_label(&format!("copy-{vname}")),
        image: Some(reference),
        command: Some(vec![
            format!("{TOOLS}/busybox"),
            "sh".into(),
            "-c".into(),
            script,
        ]),
        volume_mounts: Some(vec![
            VolumeMount {
                read_only: Some(true),
                ..tools_mount
            },
            VolumeMount {
                name: vname.clone(),
                mount_path: TARGET.into(),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    let mount = VolumeMount {
        name: vname.clone(),
        mount_path: v.target.clone(),
        read_only: Some(true),
        ..Default::default()
    };
    Some(ImageMount {
        volumes: vec![
            super::storage::empty_dir(&vname, None, None),
            super::storage::empty_dir(&tools, None, None),
        ],
        mount,
        init: vec![provide, copy],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_compose_then_kubernetes_defaults() {
        assert_eq!(pull_policy(None, "ai/model"), "Always");
        assert_eq!(pull_policy(None, "reg:5000/ai/model:latest"), "Always");
        assert_eq!(pull_policy(None, "reg:5000/ai/model:q4"), "IfNotPresent");
        assert_eq!(pull_policy(None, "ai/model@sha256:abc"), "IfNotPresent");
        assert_eq!(pull_policy(Some("never"), "ai/model"), "Never");
        assert_eq!(pull_policy(Some("daily"), "ai/model:q4"), "Always");
    }
}
