//! The container of a `pre_start` hook, from the service's container: the hook's image (else
//! the service's), its command as the container's arguments (the image's entrypoint runs it),
//! the service's environment with the hook's on top, its `envFrom`, mounts, working folder,
//! resources and security context with the hook's user and privilege. The per-pod init
//! containers and the run-once Job both run hooks as these.

use super::escape::{escape, escape_all};
use crate::compose::model::Hook;
use k8s_openapi::api::core::v1::{Container, EnvVar, SecurityContext};

/// The name of each hook's container: `pre-start-<index in the list>`.
pub const PREFIX: &str = "pre-start-";

/// The container of hook `i`, from the service's container `main`.
pub fn container(i: usize, h: &Hook, main: &Container) -> Container {
    let mut env: Vec<EnvVar> = main.env.clone().unwrap_or_default();
    for (k, v) in &h.environment {
        env.retain(|e| &e.name != k);
        if let Some(v) = v {
            env.push(EnvVar {
                name: k.clone(),
                value: Some(escape(v)),
                ..Default::default()
            });
        }
    }
    let mut sc = main.security_context.clone().unwrap_or_default();
    if let Some(u) = h.user.as_deref() {
        let (user, group) = u.split_once(':').unwrap_or((u, ""));
        sc.run_as_user = user.parse().ok().or(sc.run_as_user);
        sc.run_as_group = group.parse().ok().or(sc.run_as_group);
    }
    if h.privileged {
        sc.privileged = Some(true);
        sc.allow_privilege_escalation = None;
    }
    Container {
        name: format!("{PREFIX}{i}"),
        image: h.image.clone().or_else(|| main.image.clone()),
        image_pull_policy: main.image_pull_policy.clone(),
        args: (!h.command.is_empty()).then(|| escape_all(&h.command)),
        env: (!env.is_empty()).then_some(env),
        env_from: main.env_from.clone(),
        volume_mounts: main.volume_mounts.clone(),
        working_dir: h.working_dir.clone().or_else(|| main.working_dir.clone()),
        resources: main.resources.clone(),
        security_context: (sc != SecurityContext::default()).then_some(sc),
        ..Default::default()
    }
}
