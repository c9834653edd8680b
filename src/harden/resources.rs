//! `resources`: cpu and memory requests on every container, and a memory limit only where
//! something knows what the container needs: the Compose file (carried over by lowering), the
//! JVM heap it is given ([`heap`]), kubeferry's own wait container, or an explicit
//! `--default-memory-limit`. Memory-backed emptyDirs of known size (`shm_size`, sized
//! `tmpfs`) count against the limit, so their size is added to it. Elsewhere the limit stays
//! open and one warning (H012) names the services: an invented limit would OOM-kill a service
//! that runs under Compose. A CPU limit only when asked; GPU limits as lowering set them.

mod heap;

use super::{Cx, Findings, Level, Report, Rule, Scope};
use crate::diag::Diagnostic;
use crate::lower::{self, Object, Sources};
use crate::quantity::value_of;
use k8s_openapi::api::core::v1::{Container, Volume};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::{BTreeMap, BTreeSet};

pub const RULE: Rule = Rule {
    id: "resources",
    doc: "cpu and memory requests on every container; a memory limit from the Compose file, the JVM heap or --default-memory-limit, plus memory-backed /dev/shm, else none and warning H012 (a CPU limit only when asked; GPU limits untouched)",
    level: Level::Baseline,
    scope: Scope::Workload(apply),
};

/// The JVM's own memory beside its heap (metaspace, code cache, threads, direct buffers):
/// half the heap and 256 MiB more.
fn jvm_limit(heap: u64) -> u64 {
    heap + heap / 2 + (256 << 20)
}

/// kubeferry's dependency wait (a shell loop around `nc`) needs a few MiB.
const WAIT_LIMIT: u64 = 64 << 20;

fn apply(o: &mut Object, cx: &Cx<'_>, f: &mut Findings) {
    let opts = cx.opts;
    let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
        return;
    };
    let memory_volumes = memory_volumes(spec.volumes.as_deref().unwrap_or_default());
    let inits = spec.init_containers.iter_mut().flatten().map(|c| (c, true));
    for (c, init) in spec.containers.iter_mut().map(|c| (c, false)).chain(inits) {
        let mut filled = Vec::new();
        let limit = memory_limit(c, init, cx, &memory_volumes, &mut filled, f);
        let r = c.resources.get_or_insert_with(Default::default);
        let asked = r.requests.clone().unwrap_or_default();
        let limits = r.limits.get_or_insert_with(BTreeMap::new);
        if let Some(q) = limit {
            limits.insert("memory".into(), q);
        }
        if let Some(cpu) = &opts.cpu_limit
            && !limits.contains_key("cpu")
        {
            let asked = asked.get("cpu");
            let q = match asked {
                Some(a) if value_of(a) > cpu.value() => a.clone(),
                _ => cpu.to_k8s(),
            };
            filled.push(format!("cpu limit {}", q.0));
            limits.insert("cpu".into(), q);
        }
        let lim_mem = limits.get("memory").cloned();
        let lim_cpu = limits.get("cpu").cloned();
        if limits.is_empty() {
            r.limits = None;
        }
        let requests = r.requests.get_or_insert_with(BTreeMap::new);
        for (key, default) in [("cpu", &opts.cpu_request), ("memory", &opts.memory_request)] {
            if requests.contains_key(key) {
                continue;
            }
            // A default request above the limit would be rejected: take the limit instead.
            let lim = if key == "cpu" { &lim_cpu } else { &lim_mem };
            let q = match lim {
                Some(l) if default.value() > value_of(l) => l.clone(),
                _ => default.to_k8s(),
            };
            filled.push(format!("{key} request {}", q.0));
            requests.insert(key.into(), q);
        }
        if !filled.is_empty() {
            f.added(format!("{} on `{}`", filled.join(", "), c.name));
        }
    }
}

/// The memory limit a container gets, when it has none yet or a memory-backed volume raises
/// it; `filled` says where it comes from. `None` leaves the limit as it is (or open, which
/// the report records).
fn memory_limit(
    c: &Container,
    init: bool,
    cx: &Cx<'_>,
    memory_volumes: &BTreeMap<&str, u64>,
    filled: &mut Vec<String>,
    f: &mut Findings,
) -> Option<Quantity> {
    let shm: u64 = c
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| m.name.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|v| memory_volumes.get(v))
        .sum();
    let plus_shm = |bytes: u64, why: String| {
        if shm == 0 {
            return (bytes, why);
        }
        let size = lower::quantity::bytes(shm as i64).0;
        (
            bytes + shm,
            format!(
                "{why}, plus {size} of memory-backed volumes (/dev/shm, tmpfs), which count against it"
            ),
        )
    };
    let r = c.resources.as_ref();
    if let Some(l) = r
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.get("memory"))
    {
        if shm == 0 {
            return None;
        }
        let (b, why) = plus_shm(value_of(l).max(0.0) as u64, "the Compose limit".into());
        let q = mebibytes(b);
        filled.push(format!("memory limit {} ({why})", q.0));
        return Some(q);
    }
    let flag = cx.opts.memory_limit.as_ref();
    let wait = init && c.name == lower::WAIT_CONTAINER;
    let jvm = heap::heap(c).map(|(h, from)| {
        (
            jvm_limit(h),
            format!("from the JVM heap {from}, plus half of it and 256Mi for the JVM's own memory"),
        )
    });
    let (bytes, why) = match (jvm, flag) {
        (Some(j), Some(q)) if j.0 as f64 >= q.value() => j,
        (Some(j), None) => j,
        (_, Some(q)) => (
            q.value().max(0.0) as u64,
            "from --default-memory-limit".to_string(),
        ),
        (None, None) if wait => (
            WAIT_LIMIT,
            "kubeferry's dependency wait needs a few MiB".to_string(),
        ),
        (None, None) => {
            f.not_hardened(format!(
                "no memory limit on `{}`: nothing says how much memory it needs (set mem_limit or deploy.resources.limits.memory, or --default-memory-limit)",
                c.name
            ));
            return None;
        }
    };
    // A reservation above the limit becomes the limit.
    let asked = r
        .and_then(|r| r.requests.as_ref())
        .and_then(|q| q.get("memory"))
        .map_or(0, |q| value_of(q).max(0.0) as u64);
    let (bytes, why) = if asked > bytes {
        (
            asked,
            "the Compose reservation, above the limit it would get".to_string(),
        )
    } else {
        (bytes, why)
    };
    let (bytes, why) = plus_shm(bytes, why);
    // The flag as the user wrote it (`1G`), when nothing was added to it.
    let q = match flag {
        Some(q) if bytes as f64 == q.value() => q.to_k8s(),
        _ => mebibytes(bytes),
    };
    if flag.is_some() && lower::probes::container_is_model_server(c) {
        let svc = cx.service_of(&c.name).to_string();
        f.warn(
            "H011",
            cx.at(&svc, &[]),
            format!("model server `{}` gets the memory limit {} ({why}), which a model server will likely exceed: set mem_limit or deploy.resources.limits.memory in the Compose file", c.name, q.0),
        );
    }
    filled.push(format!("memory limit {} ({why})", q.0));
    Some(q)
}

/// A computed limit, rounded up to whole MiB so that it reads as one (`1978Mi`).
fn mebibytes(bytes: u64) -> Quantity {
    lower::quantity::bytes((bytes.div_ceil(1 << 20) << 20) as i64)
}

/// The size of each memory-backed emptyDir that has one, by volume name.
fn memory_volumes(volumes: &[Volume]) -> BTreeMap<&str, u64> {
    volumes
        .iter()
        .filter_map(|v| {
            let e = v.empty_dir.as_ref()?;
            (e.medium.as_deref() == Some("Memory")).then_some(())?;
            let size = value_of(e.size_limit.as_ref()?);
            (size > 0.0).then_some((v.name.as_str(), size as u64))
        })
        .collect()
}

/// One warning for the whole project naming the services whose containers were left without
/// a memory limit (the report has them per container).
pub fn open_limits(report: &Report, sources: &Sources) -> Option<Diagnostic> {
    let mut services: Vec<&str> = Vec::new();
    for w in &report.workloads {
        if w.not_hardened.iter().any(|e| e.rule == RULE.id) && !services.contains(&&*w.service) {
            services.push(&w.service);
        }
    }
    let first = services.first()?;
    let list: Vec<String> = services.iter().map(|s| format!("`{s}`")).collect();
    let (needs, gets, them) = if services.len() == 1 {
        ("it needs", "it gets", "it")
    } else {
        ("they need", "they get", "them")
    };
    Some(Diagnostic::warning(
        "H012",
        sources.locator.at(first, &[]),
        format!(
            "no memory limit on {}: nothing says how much memory {needs} (no mem_limit or deploy.resources.limits.memory, no JVM heap size), so {gets} a memory request only: an invented limit could OOM-kill a service that runs under Compose. To contain {them}, set mem_limit or deploy.resources.limits.memory, or --default-memory-limit for every such container",
            list.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jvm_gets_room_beside_its_heap() {
        assert_eq!(jvm_limit(2 << 30), (3 << 30) + (256 << 20));
        assert_eq!(jvm_limit(512 << 20), 1 << 30);
    }
}
