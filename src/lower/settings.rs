//! The per-service settings of `x-kubeferry` and the `kompose.*` labels (typed by the loader)
//! applied to a pod spec: probe overrides, image pull policy and secret, service account,
//! fsGroup, the extra init container and ephemeral storage.

use super::Ctx;
use super::names::{self, dns_label};
use super::probes;
use crate::compose::model::Service;
use k8s_openapi::api::core::v1::{Container, LocalObjectReference, PodSecurityContext, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// Apply the service's settings to its pod; the service's own container is the first one.
pub fn apply(cx: &mut Ctx<'_>, name: &str, svc: &Service, spec: &mut PodSpec) {
    let st = &svc.settings;
    if let Some(main) = spec.containers.first_mut() {
        container(cx, name, svc, main);
    }
    if let Some(secret) = &st.image_pull_secret {
        if is_subdomain(secret) {
            spec.image_pull_secrets = Some(vec![LocalObjectReference {
                name: secret.clone(),
            }]);
        } else {
            cx.warn(
                "L110",
                name,
                &["labels"],
                format!("image pull secret `{secret}` is not a valid Secret name; ignored"),
            );
        }
    }
    if let Some(sa) = &st.service_account {
        if is_subdomain(sa) {
            spec.service_account_name = Some(sa.clone());
        } else {
            cx.warn(
                "L110",
                name,
                &["labels"],
                format!("service account `{sa}` is not a valid name; ignored"),
            );
        }
    }
    if let Some(g) = st.fs_group {
        spec.security_context
            .get_or_insert_with(PodSecurityContext::default)
            .fs_group = Some(g);
    }
    if let Some(init) = &st.init_container {
        if init.image.trim().is_empty() {
            cx.warn(
                "L111",
                name,
                &["labels"],
                "an init container needs an image (kompose.init.containers.image); none is added",
            );
        } else {
            let c = Container {
                name: dns_label(&init.name),
                image: Some(init.image.clone()),
                command: (!init.command.is_empty())
                    .then(|| super::escape::escape_all(&init.command)),
                ..Default::default()
            };
            // Before the dependency wait: it is the user's own preparation step.
            spec.init_containers
                .get_or_insert_with(Vec::new)
                .insert(0, c);
        }
    }
}

fn container(cx: &mut Ctx<'_>, name: &str, svc: &Service, c: &mut Container) {
    let st = &svc.settings;
    // An invalid policy is left to the hardening pass, which names it in a warning.
    if let Some(p) = st
        .image_pull_policy
        .as_deref()
        .filter(|p| matches!(*p, "Always" | "IfNotPresent" | "Never"))
    {
        c.image_pull_policy = Some(p.to_string());
    }
    // Readiness starts from the healthcheck's probe; liveness too.
    for (kind, over) in [("readiness", &st.readiness), ("liveness", &st.liveness)] {
        let Some(over) = over else { continue };
        let base = if kind == "readiness" {
            c.readiness_probe.take()
        } else {
            c.liveness_probe.take()
        };
        let keep = base.clone();
        let probe = match probes::with_settings(base, over) {
            Ok(p) => p,
            Err(e) => {
                cx.warn(
                    "L112",
                    name,
                    &["labels"],
                    format!("{kind} probe setting: {e}; the healthcheck's probe is kept"),
                );
                keep
            }
        };
        if kind == "readiness" {
            c.readiness_probe = probe;
        } else {
            c.liveness_probe = probe;
            c.startup_probe = probes::guarding(c.startup_probe.take(), c.liveness_probe.as_ref());
        }
    }
    for (which, value) in [
        ("limits", &st.ephemeral_storage_limit),
        ("requests", &st.ephemeral_storage_request),
    ] {
        let Some(v) = value else { continue };
        if !crate::quantity::is_size(v) {
            cx.warn(
                "L113",
                name,
                &["deploy", "labels"],
                format!("ephemeral storage `{v}` is not a quantity; ignored"),
            );
            continue;
        }
        let r = c.resources.get_or_insert_with(Default::default);
        let map = if which == "limits" {
            r.limits.get_or_insert_with(Default::default)
        } else {
            r.requests.get_or_insert_with(Default::default)
        };
        map.insert("ephemeral-storage".into(), Quantity(v.clone()));
    }
}

/// A DNS-1123 subdomain (names of Secrets and service accounts).
fn is_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.')
            .all(|l| !l.is_empty() && names::dns_label(l) == l)
}
