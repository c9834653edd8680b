//! CPU, memory and GPU requests: `deploy.resources`, `mem_limit`, `cpus`, and every Compose
//! GPU form (device reservations, `gpus:`, `runtime: nvidia`, CDI names, `/dev/dri` and
//! `/dev/kfd`, swarm generic resources).

use super::quantity;
use super::{Ctx, GpuApi};
use crate::compose::model::{DeviceRequest, Service};
use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;

/// A GPU ask, in Kubernetes terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gpu {
    /// The extended resource (`nvidia.com/gpu`, `amd.com/gpu`, `gpu.intel.com/i915`).
    pub resource: &'static str,
    /// How many; `None` = all the node has (exact only with DRA).
    pub count: Option<u32>,
}

pub fn requirements(
    cx: &mut Ctx<'_>,
    name: &str,
    svc: &Service,
) -> (ResourceRequirements, Option<Gpu>) {
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
            && parse_quantity(&r.0) > parse_quantity(&l.0)
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
    let gpu = gpu(cx, name, svc);
    if let Some(g) = &gpu
        && cx.opts.gpu_api == GpuApi::DevicePlugin
    {
        let n = g.count.unwrap_or(cx.opts.gpus_all);
        limits.insert(g.resource.into(), Quantity(n.to_string()));
    }
    let rr = ResourceRequirements {
        limits: (!limits.is_empty()).then_some(limits),
        requests: (!requests.is_empty()).then_some(requests),
        ..Default::default()
    };
    (rr, gpu)
}

/// Compare two quantities of the forms this module writes.
pub fn parse_quantity(q: &str) -> f64 {
    let (num, mult) = if let Some(n) = q.strip_suffix('m') {
        (n, 0.001)
    } else if let Some(n) = q.strip_suffix("Ki") {
        (n, 1024.0)
    } else if let Some(n) = q.strip_suffix("Mi") {
        (n, 1024.0 * 1024.0)
    } else if let Some(n) = q.strip_suffix("Gi") {
        (n, 1024.0 * 1024.0 * 1024.0)
    } else if let Some(n) = q.strip_suffix("Ti") {
        (n, 1024f64.powi(4))
    } else {
        (q, 1.0)
    };
    num.parse::<f64>().unwrap_or(0.0) * mult
}

fn vendor_resource(driver: Option<&str>, caps: &[String]) -> Option<&'static str> {
    let d = driver.unwrap_or("").to_ascii_lowercase();
    let gpu_cap = caps
        .iter()
        .any(|c| c == "gpu" || c.starts_with("nvidia") || c == "compute" || c == "utility");
    match d.as_str() {
        "nvidia" => Some("nvidia.com/gpu"),
        "amd" | "rocm" => Some("amd.com/gpu"),
        "intel" | "i915" => Some("gpu.intel.com/i915"),
        "" | "cdi" if gpu_cap => Some("nvidia.com/gpu"),
        _ if gpu_cap => Some("nvidia.com/gpu"),
        _ => None,
    }
}

/// The GPU the service asks for, from whichever Compose form it uses (the first found).
fn gpu(cx: &mut Ctx<'_>, name: &str, svc: &Service) -> Option<Gpu> {
    let from_request =
        |cx: &mut Ctx<'_>, r: &DeviceRequest, path: &[&str], implicit_gpu: bool| -> Option<Gpu> {
            let mut caps = r.capabilities.clone();
            if implicit_gpu {
                caps.push("gpu".into());
            }
            let resource = vendor_resource(r.driver.as_deref(), &caps)?;
            let count = if !r.device_ids.is_empty() {
                cx.warn("L050", name, path, format!(
                "device_ids {:?} become a count of {}: the device plugin cannot pin specific GPUs",
                r.device_ids, r.device_ids.len()
            ));
                Some(r.device_ids.len() as u32)
            } else {
                match r.count {
                    Some(n) if n >= 0 => Some(n as u32),
                    _ => None,
                }
            };
            if !r.options.is_empty() {
                cx.warn(
                    "L051",
                    name,
                    path,
                    "GPU driver options have no Kubernetes equivalent and are dropped",
                );
            }
            Some(Gpu { resource, count })
        };
    let mut found: Option<Gpu> = None;
    if let Some(devs) = svc
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.reservations.as_ref())
        .map(|r| r.devices.clone())
    {
        for d in &devs {
            if let Some(g) = from_request(
                cx,
                d,
                &["deploy", "resources", "reservations", "devices"],
                false,
            ) {
                found.get_or_insert(g);
            }
        }
    }
    for d in svc.gpus.clone() {
        if let Some(g) = from_request(cx, &d, &["gpus"], true) {
            found.get_or_insert(g);
        }
    }
    if found.is_none()
        && let Some(generic) = svc
            .deploy
            .as_ref()
            .and_then(|d| d.resources.as_ref())
            .and_then(|r| r.reservations.as_ref())
            .map(|r| r.generic_resources.clone())
    {
        for g in generic {
            let kind = g.discrete_resource_spec.kind.to_ascii_uppercase();
            let resource = if kind.contains("NVIDIA") || kind == "GPU" {
                Some("nvidia.com/gpu")
            } else if kind.contains("AMD") {
                Some("amd.com/gpu")
            } else {
                None
            };
            match resource {
                Some(r) => {
                    found.get_or_insert(Gpu {
                        resource: r,
                        count: Some(g.discrete_resource_spec.value.max(0) as u32),
                    });
                }
                None => cx.warn("L052", name, &["deploy", "resources", "reservations", "generic_resources"], format!(
                    "generic resource kind `{}` has no known Kubernetes extended resource; it is dropped",
                    g.discrete_resource_spec.kind
                )),
            }
        }
    }
    for d in &svc.devices {
        if let Some((vendor, id)) = d.source.split_once('=')
            && vendor.contains('/')
        {
            // CDI device name, `nvidia.com/gpu=all` or `=0`.
            let resource = if vendor.starts_with("nvidia.com") {
                "nvidia.com/gpu"
            } else if vendor.starts_with("amd.com") {
                "amd.com/gpu"
            } else if vendor.contains("intel") {
                "gpu.intel.com/i915"
            } else {
                continue;
            };
            let count = if id == "all" { None } else { Some(1) };
            match &mut found {
                Some(g) if g.resource == resource => {
                    if let (Some(c), Some(_)) = (g.count, count) {
                        g.count = Some(c + 1);
                    }
                }
                None => found = Some(Gpu { resource, count }),
                _ => {}
            }
        } else if d.source.starts_with("/dev/dri") && found.is_none() {
            found = Some(Gpu {
                resource: "gpu.intel.com/i915",
                count: Some(1),
            });
        } else if d.source == "/dev/kfd" {
            found = Some(Gpu {
                resource: "amd.com/gpu",
                count: Some(1),
            });
        }
    }
    if found.is_none() && svc.runtime.as_deref() == Some("nvidia") {
        let visible = svc
            .environment
            .get("NVIDIA_VISIBLE_DEVICES")
            .cloned()
            .flatten()
            .unwrap_or_else(|| "all".into());
        let count = match visible.as_str() {
            "all" => None,
            "none" | "void" | "" => Some(0),
            list => Some(list.split(',').filter(|s| !s.trim().is_empty()).count() as u32),
        };
        if count != Some(0) {
            found = Some(Gpu {
                resource: "nvidia.com/gpu",
                count,
            });
        }
    }
    if let Some(g) = &found
        && g.count.is_none()
        && cx.opts.gpu_api == GpuApi::DevicePlugin
    {
        let n = cx.opts.gpus_all;
        cx.warn("L053", name, &[], format!(
            "the service asks for all GPUs of the host; it gets {n} {} (set --gpus-all N, or use --gpu-api dra for all GPUs of a node)",
            g.resource
        ));
    }
    found
}
