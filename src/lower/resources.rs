//! CPU and memory requests and limits: `deploy.resources`, `mem_limit`, `mem_reservation`,
//! `cpus`, `cpu_shares`. GPUs are [`super::gpu`]'s.

use super::Ctx;
use super::quantity;
use crate::compose::model::Service;
use crate::quantity::value_of;
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;

/// The cpu and memory requirements of a service's container; `gpus` adds its GPU limits.
pub fn requirements(
    cx: &mut Ctx<'_>,
    name: &str,
    svc: &Service,
    gpus: Option<&super::gpu::Gpus>,
) -> ResourceRequirements {
    let mut limits: BTreeMap<String, Quantity> = BTreeMap::new();
    let mut requests: BTreeMap<String, Quantity> = BTreeMap::new();
    let res = svc.deploy.as_ref().and_then(|d| d.resources.as_ref());
    let lim = res.and_then(|r| r.limits.as_ref());
    let resv = res.and_then(|r| r.reservations.as_ref());
    if let Some(m) = lim
        .and_then(|l| l.memory)
        .or(svc.mem_limit)
        .filter(|b| b.0 > 0)
    {
        limits.insert("memory".into(), quantity::bytes(m.0));
    }
    if let Some(c) = lim.and_then(|l| l.cpus).or(svc.cpus).filter(|c| *c > 0.0) {
        limits.insert("cpu".into(), quantity::cpus(c));
    }
    if let Some(m) = resv
        .and_then(|r| r.memory)
        .or(svc.mem_reservation)
        .filter(|b| b.0 > 0)
    {
        requests.insert("memory".into(), quantity::bytes(m.0));
    }
    if let Some(c) = resv.and_then(|r| r.cpus).filter(|c| *c > 0.0) {
        requests.insert("cpu".into(), quantity::cpus(c));
    } else if let Some(shares) = svc.cpu_shares.filter(|s| *s > 0) {
        requests.insert("cpu".into(), quantity::cpus(shares as f64 / 1024.0));
        cx.warn(
            "L040",
            name,
            &["cpu_shares"],
            "cpu_shares is a relative weight; it becomes a cpu request of shares/1024 cores",
        );
    }
    // A request above its limit is rejected by the API server: cap it.
    for key in ["memory", "cpu"] {
        if let (Some(r), Some(l)) = (requests.get(key), limits.get(key))
            && value_of(r) > value_of(l)
        {
            let l = l.clone();
            requests.insert(key.into(), l);
            cx.warn(
                "L041",
                name,
                &["deploy", "resources"],
                format!(
                    "the {key} reservation is above the limit; the request is lowered to the limit"
                ),
            );
        }
    }
    if let Some(p) = lim.and_then(|l| l.pids) {
        let _ = p;
        cx.warn("L042", name, &["deploy", "resources", "limits", "pids"], "a pids limit has no per-container equivalent in Kubernetes (kubelet podPidsLimit is node-wide)");
    }
    if let Some(g) = gpus {
        super::gpu::limits(cx, g, &mut limits);
    }
    ResourceRequirements {
        limits: (!limits.is_empty()).then_some(limits),
        requests: (!requests.is_empty()).then_some(requests),
        ..Default::default()
    }
}
