//! `pre_start` hooks (compose-spec, newer than Docker Compose 2.40.3) to init containers.
//!
//! Takes a service and its pod spec (the service container first) and adds one init container
//! per hook, in order, after any dependency wait: the hook's image (else the service's), its
//! command as the container's arguments (the image's entrypoint runs it, as the spec says), the
//! service's environment with the hook's on top, the service's mounts and working folder. A
//! hook meant to run once for the service (`per_replica: false`, the default) runs in every
//! replica's pod: with one replica that is the same, with more it is a warning (L140), since
//! waiting for a run-once Job needs API access from the pod, which kubeferry does not grant.

use super::Ctx;
use super::escape::{escape, escape_all};
use crate::compose::model::{Hook, Service};
use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, SecurityContext};

pub fn add(cx: &mut Ctx<'_>, name: &str, svc: &Service, spec: &mut PodSpec) {
    if svc.pre_start.is_empty() {
        return;
    }
    let Some(main) = spec.containers.first() else {
        return;
    };
    let replicas = svc
        .scale
        .or_else(|| svc.deploy.as_ref().and_then(|d| d.replicas))
        .unwrap_or(1);
    let hooks: Vec<Container> = svc
        .pre_start
        .iter()
        .enumerate()
        .map(|(i, h)| container(i, h, main))
        .collect();
    if replicas > 1 && svc.pre_start.iter().any(|h| !h.per_replica) {
        cx.warn(
            "L140",
            name,
            &["pre_start"],
            format!(
                "`pre_start` without `per_replica: true` runs once for the service in Compose; here it runs as an init container in each of the {replicas} replicas (make it safe to run concurrently, or set `per_replica: true` to say so)"
            ),
        );
    }
    spec.init_containers
        .get_or_insert_with(Vec::new)
        .extend(hooks);
}

fn container(i: usize, h: &Hook, main: &Container) -> Container {
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
        name: format!("pre-start-{i}"),
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
