//! GPUs: every Compose form that asks for one, read into a [`Gpus`] (vendor → count), then
//! written out either as device-plugin extended resources (`nvidia.com/gpu` limits, the
//! GPU taint tolerated) or, with [`GpuApi::Dra`], as a ResourceClaimTemplate the pod claims.
//!
//! The forms: `deploy.resources.reservations.devices` (capability `gpu`), `gpus:` (`all` or
//! a list), legacy `runtime: nvidia` with `NVIDIA_VISIBLE_DEVICES`, CDI names under
//! `devices:`, the `/dev/dri`, `/dev/kfd` and `/dev/nvidiaN` device nodes, and swarm
//! `generic_resources`. Requests of one service add up per vendor; a count of 0 asks for
//! nothing.

use super::names::dns_label;
use super::object::Object;
use super::{Ctx, GpuApi};
use crate::compose::model::{DeviceRequest, Service};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, PodResourceClaim, PodSpec, ResourceClaim, Toleration,
};
use k8s_openapi::api::resource::v1::{
    DeviceClaim, DeviceRequest as K8sDeviceRequest, ExactDeviceRequest, ResourceClaimSpec,
    ResourceClaimTemplate, ResourceClaimTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// The GPU makers Kubernetes has device plugins and DRA drivers for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Vendor {
    Nvidia,
    Amd,
    Intel,
}

impl Vendor {
    /// The extended resource of the vendor's device plugin.
    pub fn resource(self) -> &'static str {
        match self {
            Vendor::Nvidia => "nvidia.com/gpu",
            Vendor::Amd => "amd.com/gpu",
            Vendor::Intel => "gpu.intel.com/i915",
        }
    }

    /// The DeviceClass the vendor's DRA driver installs.
    pub fn device_class(self) -> &'static str {
        match self {
            Vendor::Nvidia => "gpu.nvidia.com",
            Vendor::Amd => "gpu.amd.com",
            Vendor::Intel => "gpu.intel.com",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Vendor::Nvidia => "nvidia",
            Vendor::Amd => "amd",
            Vendor::Intel => "intel",
        }
    }

    /// The vendor a Compose `driver` names (`nvidia`, `nvidia.com/gpu`, `amd`, `rocm`, `i915`…).
    fn from_driver(driver: &str) -> Option<Vendor> {
        let d = driver.trim().to_ascii_lowercase();
        if d.is_empty() || d.contains("nvidia") || d == "cdi" {
            Some(Vendor::Nvidia)
        } else if d.contains("amd") || d == "rocm" {
            Some(Vendor::Amd)
        } else if d.contains("intel") || d == "i915" || d == "xe" {
            Some(Vendor::Intel)
        } else {
            None
        }
    }
}

/// How many GPUs of one vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    Exact(u32),
    /// Every GPU of the host: exact only with DRA (`allocationMode: All`).
    All,
}

impl Count {
    fn add(self, other: Count) -> Count {
        match (self, other) {
            (Count::Exact(a), Count::Exact(b)) => Count::Exact(a.saturating_add(b)),
            _ => Count::All,
        }
    }
}

/// What a service asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gpus {
    pub asks: BTreeMap<Vendor, Count>,
    /// NVIDIA driver capabilities named in device requests (`utility`, `video`…), which
    /// Docker passes as `NVIDIA_DRIVER_CAPABILITIES`.
    pub driver_caps: Vec<String>,
}

impl Gpus {
    fn add(&mut self, v: Vendor, c: Count) {
        if c == Count::Exact(0) {
            return;
        }
        let e = self.asks.entry(v).or_insert(Count::Exact(0));
        *e = e.add(c);
    }
}

/// The NVIDIA driver capabilities Docker turns into `NVIDIA_DRIVER_CAPABILITIES`.
const NVIDIA_CAPS: [&str; 6] = [
    "compute", "compat32", "graphics", "utility", "video", "display",
];

const DEVICES: [&str; 4] = ["deploy", "resources", "reservations", "devices"];
const GENERIC: [&str; 4] = ["deploy", "resources", "reservations", "generic_resources"];

/// Read every GPU form of a service; `None` when it asks for no GPU.
pub fn detect(cx: &mut Ctx<'_>, name: &str, svc: &Service) -> Option<Gpus> {
    let mut g = Gpus::default();
    let resv = svc
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.reservations.as_ref());
    for r in resv.map(|r| r.devices.as_slice()).unwrap_or_default() {
        request(cx, name, r, &DEVICES, false, &mut g);
    }
    for r in &svc.gpus {
        request(cx, name, r, &["gpus"], true, &mut g);
    }
    for gr in resv
        .map(|r| r.generic_resources.as_slice())
        .unwrap_or_default()
    {
        let spec = &gr.discrete_resource_spec;
        match generic_kind(&spec.kind) {
            Some(v) => g.add(v, Count::Exact(spec.value.max(0) as u32)),
            None => cx.warn("L052", name, &GENERIC, format!(
                "generic resource kind `{}` is not a GPU kind kubeferry knows (NVIDIA-GPU, AMD-GPU, INTEL-GPU); it is dropped",
                spec.kind
            )),
        }
    }
    device_nodes(cx, name, svc, &mut g);
    if svc.runtime.as_deref() == Some("nvidia") && !g.asks.contains_key(&Vendor::Nvidia) {
        let visible = svc
            .environment
            .get("NVIDIA_VISIBLE_DEVICES")
            .cloned()
            .flatten();
        let count = match visible.as_deref().map(str::trim) {
            // CUDA images set `all` themselves; the runtime then hands over every GPU.
            None | Some("all") => Count::All,
            Some("none") | Some("void") | Some("") => Count::Exact(0),
            Some(list) => {
                Count::Exact(list.split(',').filter(|s| !s.trim().is_empty()).count() as u32)
            }
        };
        g.add(Vendor::Nvidia, count);
    }
    if g.asks.is_empty() {
        return None;
    }
    if cx.opts.gpu_api == GpuApi::DevicePlugin {
        let n = cx.opts.gpus_all;
        for (v, c) in &g.asks {
            if *c == Count::All {
                cx.warn("L053", name, &[], format!(
                    "the service asks for all GPUs of the host; Kubernetes has no such request, so it gets {n} {} (set --gpus-all N, or --gpu-api dra for every GPU of a node)",
                    v.resource()
                ));
            }
        }
    }
    Some(g)
}

/// One device request (`deploy…devices[]` or `gpus[]`).
fn request(
    cx: &mut Ctx<'_>,
    name: &str,
    r: &DeviceRequest,
    path: &[&str],
    implicit_gpu: bool,
    g: &mut Gpus,
) {
    let caps: Vec<String> = r
        .capabilities
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let is_gpu = implicit_gpu
        || caps.iter().any(|c| {
            c == "gpu"
                || c == "nvidia"
                || c.starts_with("nvidia-")
                || NVIDIA_CAPS.contains(&c.as_str())
        });
    if !is_gpu {
        cx.warn(
            "L054",
            name,
            path,
            format!(
                "a device request with capabilities {:?} is not a GPU request; it is dropped",
                r.capabilities
            ),
        );
        return;
    }
    let driver = r.driver.as_deref().unwrap_or("");
    let Some(vendor) = Vendor::from_driver(driver) else {
        cx.warn(
            "L052",
            name,
            path,
            format!("GPU driver `{driver}` is not NVIDIA, AMD or Intel; the request is dropped"),
        );
        return;
    };
    // `driver: cdi` carries CDI device names in device_ids.
    if driver.eq_ignore_ascii_case("cdi") {
        for id in &r.device_ids {
            if let Some((v, c)) = cdi(id) {
                g.add(v, c);
            }
        }
        return;
    }
    let count = if !r.device_ids.is_empty() {
        cx.warn("L050", name, path, format!(
            "device_ids {:?} become a count of {}: GPU indices and UUIDs of one host mean nothing on cluster nodes, so the device plugin (or DRA driver) picks which GPUs",
            r.device_ids,
            r.device_ids.len()
        ));
        Count::Exact(r.device_ids.len() as u32)
    } else {
        match r.count {
            Some(n) if n >= 0 => Count::Exact(n as u32),
            // -1 (`all`) or no count and no ids: every GPU, as Docker does.
            _ => Count::All,
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
    if vendor == Vendor::Nvidia && count != Count::Exact(0) {
        for c in &caps {
            let c = c.strip_prefix("nvidia-").unwrap_or(c);
            if NVIDIA_CAPS.contains(&c) && !g.driver_caps.iter().any(|x| x == c) {
                g.driver_caps.push(c.to_string());
            }
        }
    }
    g.add(vendor, count);
}

/// A swarm generic resource kind to a vendor.
fn generic_kind(kind: &str) -> Option<Vendor> {
    let k = kind.trim().to_ascii_uppercase();
    match k.as_str() {
        "GPU" | "NVIDIA-GPU" | "NVIDIA.COM/GPU" => Some(Vendor::Nvidia),
        "AMD-GPU" | "AMD.COM/GPU" => Some(Vendor::Amd),
        "INTEL-GPU" | "GPU.INTEL.COM/I915" => Some(Vendor::Intel),
        _ => None,
    }
}

/// A CDI device name (`nvidia.com/gpu=all`, `=0`, `=GPU-uuid`) to a vendor and count.
fn cdi(id: &str) -> Option<(Vendor, Count)> {
    let (kind, dev) = id.split_once('=')?;
    let (vendor, class) = kind.split_once('/')?;
    if class != "gpu" {
        return None;
    }
    let v = match vendor {
        "nvidia.com" => Vendor::Nvidia,
        "amd.com" => Vendor::Amd,
        "intel.com" | "gpu.intel.com" => Vendor::Intel,
        _ => return None,
    };
    Some((
        v,
        if dev == "all" {
            Count::All
        } else {
            Count::Exact(1)
        },
    ))
}

/// CDI names and GPU device nodes under `devices:`.
fn device_nodes(cx: &mut Ctx<'_>, name: &str, svc: &Service, g: &mut Gpus) {
    let kfd = svc.devices.iter().any(|d| d.source == "/dev/kfd");
    let mut dri = false;
    for d in &svc.devices {
        let src = d.source.as_str();
        if src.contains('=') {
            match cdi(src) {
                Some((v, c)) => g.add(v, c),
                None => cx.warn(
                    "L058",
                    name,
                    &["devices"],
                    format!("CDI device `{src}` is not a GPU kubeferry knows; it is not passed to the pod"),
                ),
            }
        } else if src == "/dev/kfd" {
            // ROCm needs /dev/kfd and /dev/dri together: one AMD GPU.
            g.add(Vendor::Amd, Count::Exact(1));
        } else if src == "/dev/dri" || src.starts_with("/dev/dri/") {
            if !kfd && !dri {
                dri = true;
                g.add(Vendor::Intel, Count::Exact(1));
                cx.warn("L055", name, &["devices"], format!(
                    "`{src}` becomes one Intel GPU ({}): the Intel device plugin hands out /dev/dri; for an AMD GPU map /dev/kfd too",
                    Vendor::Intel.resource()
                ));
            }
        } else if let Some(n) = src.strip_prefix("/dev/nvidia")
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
        {
            g.add(Vendor::Nvidia, Count::Exact(1));
        }
        // /dev/nvidiactl, /dev/nvidia-uvm…: driver nodes the device plugin mounts itself.
    }
}

/// Extended-resource limits for the device plugin (DRA puts nothing in limits).
pub fn limits(cx: &Ctx<'_>, g: &Gpus, limits: &mut BTreeMap<String, Quantity>) {
    if cx.opts.gpu_api != GpuApi::DevicePlugin {
        return;
    }
    for (v, c) in &g.asks {
        let n = match c {
            Count::Exact(n) => *n,
            Count::All => cx.opts.gpus_all,
        };
        if n > 0 {
            limits.insert(v.resource().into(), Quantity(n.to_string()));
        }
    }
}

/// The container environment of a GPU service: `NVIDIA_VISIBLE_DEVICES` is the device
/// plugin's to set, and capabilities of the request become `NVIDIA_DRIVER_CAPABILITIES`.
pub fn environment(cx: &mut Ctx<'_>, name: &str, g: &Gpus, env: &mut Vec<EnvVar>) {
    if !g.asks.contains_key(&Vendor::Nvidia) {
        return;
    }
    if let Some(i) = env.iter().position(|e| e.name == "NVIDIA_VISIBLE_DEVICES") {
        let v = env.remove(i).value.unwrap_or_default();
        cx.warn("L056", name, &["environment", "NVIDIA_VISIBLE_DEVICES"], format!(
            "NVIDIA_VISIBLE_DEVICES={v} is dropped: in Kubernetes the device plugin (or DRA driver) chooses the GPUs, and a value set by hand would bypass its allocation"
        ));
    }
    if !g.driver_caps.is_empty() && !env.iter().any(|e| e.name == "NVIDIA_DRIVER_CAPABILITIES") {
        env.push(EnvVar {
            name: "NVIDIA_DRIVER_CAPABILITIES".into(),
            value: Some(g.driver_caps.join(",")),
            value_from: None,
        });
    }
}

/// Pod settings of a GPU pod: tolerations of the GPU taints, the node selector, the runtime
/// class, and with DRA the claim template the pod and its container reference.
pub fn pod(cx: &mut Ctx<'_>, name: &str, g: &Gpus, spec: &mut PodSpec) {
    if cx.opts.gpu_toleration {
        let tol = spec.tolerations.get_or_insert_with(Vec::new);
        for v in g.asks.keys() {
            tol.push(Toleration {
                key: Some(v.resource().to_string()),
                operator: Some("Exists".into()),
                effect: Some("NoSchedule".into()),
                ..Default::default()
            });
        }
    }
    if let Some((k, v)) = &cx.opts.gpu_node_selector {
        spec.node_selector
            .get_or_insert_with(BTreeMap::new)
            .insert(k.clone(), v.clone());
    }
    if let Some(rc) = &cx.opts.runtime_class {
        spec.runtime_class_name = Some(rc.clone());
    }
    if let GpuApi::Dra { device_class } = &cx.opts.gpu_api {
        let template = dns_label(&format!("{}-gpu", cx.names[name]));
        let single = g.asks.len() == 1;
        let requests = g
            .asks
            .iter()
            .map(|(v, c)| {
                let class = device_class
                    .clone()
                    .unwrap_or_else(|| v.device_class().to_string());
                let exactly = match c {
                    Count::Exact(n) => ExactDeviceRequest {
                        device_class_name: class,
                        allocation_mode: Some("ExactCount".into()),
                        count: Some(*n as i64),
                        ..Default::default()
                    },
                    Count::All => ExactDeviceRequest {
                        device_class_name: class,
                        allocation_mode: Some("All".into()),
                        ..Default::default()
                    },
                };
                K8sDeviceRequest {
                    name: if single {
                        "gpu".into()
                    } else {
                        format!("{}-gpu", v.slug())
                    },
                    exactly: Some(exactly),
                    first_available: None,
                }
            })
            .collect();
        cx.objects.push(Object::from(ResourceClaimTemplate {
            metadata: ObjectMeta {
                name: Some(template.clone()),
                namespace: cx.opts.namespace.clone(),
                labels: Some(cx.labels(name)),
                ..Default::default()
            },
            spec: ResourceClaimTemplateSpec {
                metadata: None,
                spec: ResourceClaimSpec {
                    devices: Some(DeviceClaim {
                        requests: Some(requests),
                        ..Default::default()
                    }),
                },
            },
        }));
        spec.resource_claims = Some(vec![PodResourceClaim {
            name: "gpu".into(),
            resource_claim_template_name: Some(template),
            ..Default::default()
        }]);
        if let Some(c) = spec.containers.first_mut() {
            claim(c);
        }
    }
}

/// The main container uses the pod's GPU claim.
fn claim(c: &mut Container) {
    c.resources.get_or_insert_with(Default::default).claims = Some(vec![ResourceClaim {
        name: "gpu".into(),
        request: None,
    }]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drivers_name_vendors() {
        assert_eq!(Vendor::from_driver(""), Some(Vendor::Nvidia));
        assert_eq!(Vendor::from_driver("nvidia.com/gpu"), Some(Vendor::Nvidia));
        assert_eq!(Vendor::from_driver("AMD"), Some(Vendor::Amd));
        assert_eq!(Vendor::from_driver("rocm"), Some(Vendor::Amd));
        assert_eq!(Vendor::from_driver("i915"), Some(Vendor::Intel));
        assert_eq!(Vendor::from_driver("habana"), None);
    }

    #[test]
    fn cdi_names() {
        assert_eq!(
            cdi("nvidia.com/gpu=all"),
            Some((Vendor::Nvidia, Count::All))
        );
        assert_eq!(
            cdi("nvidia.com/gpu=GPU-1234"),
            Some((Vendor::Nvidia, Count::Exact(1)))
        );
        assert_eq!(cdi("amd.com/gpu=0"), Some((Vendor::Amd, Count::Exact(1))));
        assert_eq!(cdi("vendor.com/fpga=0"), None);
        assert_eq!(cdi("nvidia.com/gpu"), None);
    }

    #[test]
    fn counts_add_up_and_all_wins() {
        let mut g = Gpus::default();
        g.add(Vendor::Nvidia, Count::Exact(1));
        g.add(Vendor::Nvidia, Count::Exact(2));
        g.add(Vendor::Amd, Count::Exact(0));
        assert_eq!(g.asks.get(&Vendor::Nvidia), Some(&Count::Exact(3)));
        assert!(!g.asks.contains_key(&Vendor::Amd));
        g.add(Vendor::Nvidia, Count::All);
        assert_eq!(g.asks.get(&Vendor::Nvidia), Some(&Count::All));
    }

    #[test]
    fn generic_kinds() {
        assert_eq!(generic_kind("NVIDIA-GPU"), Some(Vendor::Nvidia));
        assert_eq!(generic_kind("gpu"), Some(Vendor::Nvidia));
        assert_eq!(generic_kind("AMD-GPU"), Some(Vendor::Amd));
        assert_eq!(generic_kind("SSD"), None);
    }
}
