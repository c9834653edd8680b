//! `pre_start` hooks (compose-spec, newer than Docker Compose 2.40.3) to init containers.
//!
//! Takes a service and its pod spec (the service container first) and adds one init container
//! per hook ([`super::hook_container`]), in order, after any dependency wait. A hook meant to run once for the service (`per_replica: false`, the default) is one of these
//! too while the service has one pod; when more can run at once, those hooks go to a Job the
//! pods wait for ([`super::pre_start_job`]) and only the per-replica ones stay here, unless
//! each pod has volumes of its own (a StatefulSet's claims, emptyDirs) that a Job could not
//! write for them: then they run in each pod (L140).

use super::Ctx;
use super::hook_container::container;
use super::pre_start_job;
use crate::compose::model::Service;
use k8s_openapi::api::core::v1::{Container, PodSpec};

pub fn add(cx: &mut Ctx<'_>, name: &str, svc: &Service, spec: &mut PodSpec) {
    if svc.pre_start.is_empty() {
        return;
    }
    let once_in_job = pre_start_job::wanted(cx, name, svc, spec);
    if once_in_job {
        pre_start_job::wait(cx, name, svc, spec);
    } else if pre_start_job::has_once(svc) && pre_start_job::several_pods(cx, name, svc) {
        let own = pre_start_job::own_volumes(cx, svc, spec).join("`, `");
        cx.warn(
            "L140",
            name,
            &["pre_start"],
            format!(
                "`pre_start` without `per_replica: true` runs once for the service in Compose, where the replicas share its volumes; here each pod has its own volume at `{own}` (a claim per pod, or an emptyDir), which a Job's pod could not write for them, so the hook runs in each pod's init containers (make it safe to run in each pod, or set `per_replica: true` to say so)"
            ),
        );
    }
    let Some(main) = spec.containers.first() else {
        return;
    };
    let hooks: Vec<Container> = svc
        .pre_start
        .iter()
        .enumerate()
        .filter(|(_, h)| h.per_replica || !once_in_job)
        .map(|(i, h)| container(i, h, main))
        .collect();
    spec.init_containers
        .get_or_insert_with(Vec::new)
        .extend(hooks);
}
