//! `resources`: cpu and memory requests and a memory limit on every container. Compose's
//! reservations and limits were carried over by lowering; this fills in the defaults of the
//! command line where Compose gave none (a CPU limit only when asked). GPU limits are left as
//! lowering set them.

use super::{Cx, Findings, Level, Rule, Scope};
use crate::lower::{Object, quantity_value};
use std::collections::BTreeMap;

pub const RULE: Rule = Rule {
    id: "resources",
    doc: "cpu and memory requests and a memory limit on every container that has none (--default-* flags; a CPU limit only when asked; GPU limits untouched)",
    level: Level::Baseline,
    scope: Scope::Workload(apply),
};

fn apply(o: &mut Object, cx: &Cx<'_>, f: &mut Findings) {
    let opts = cx.opts;
    let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
        return;
    };
    // Model servers hold weights in memory: a default limit sized for web services is flagged.
    let mut gpu_limit_warnings: Vec<(String, String)> = Vec::new();
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        let r = c.resources.get_or_insert_with(Default::default);
        let asked = r.requests.clone().unwrap_or_default();
        let limits = r.limits.get_or_insert_with(BTreeMap::new);
        let mut filled = Vec::new();
        if !limits.contains_key("memory") {
            // An explicit reservation above the default limit becomes the limit.
            let asked = asked.get("memory");
            let q = match asked {
                Some(a) if quantity_value(&a.0) > quantity_value(&opts.memory_limit.0) => a.clone(),
                _ => opts.memory_limit.clone(),
            };
            filled.push(format!("memory limit {}", q.0));
            let gpu = limits
                .keys()
                .any(|k| k.ends_with("/gpu") || k.starts_with("gpu."))
                || r.claims.as_ref().is_some_and(|c| !c.is_empty());
            if gpu {
                gpu_limit_warnings.push((c.name.clone(), q.0.clone()));
            }
            limits.insert("memory".into(), q);
        }
        if let Some(cpu) = &opts.cpu_limit
            && !limits.contains_key("cpu")
        {
            let asked = asked.get("cpu");
            let q = match asked {
                Some(a) if quantity_value(&a.0) > quantity_value(&cpu.0) => a.clone(),
                _ => cpu.clone(),
            };
            filled.push(format!("cpu limit {}", q.0));
            limits.insert("cpu".into(), q);
        }
        let lim_mem = limits.get("memory").cloned();
        let lim_cpu = limits.get("cpu").cloned();
        let requests = r.requests.get_or_insert_with(BTreeMap::new);
        for (key, default) in [("cpu", &opts.cpu_request), ("memory", &opts.memory_request)] {
            if requests.contains_key(key) {
                continue;
            }
            // A default request above the limit would be rejected: take the limit instead.
            let lim = if key == "cpu" { &lim_cpu } else { &lim_mem };
            let q = match lim {
                Some(l) if quantity_value(&default.0) > quantity_value(&l.0) => l.clone(),
                _ => default.clone(),
            };
            filled.push(format!("{key} request {}", q.0));
            requests.insert(key.into(), q);
        }
        if !filled.is_empty() {
            f.added(format!(
                "{} on `{}`: the Compose file gives none, and the scheduler needs requests to place the pod and a memory limit to contain it",
                filled.join(", "),
                c.name
            ));
        }
    }
    for (container, limit) in gpu_limit_warnings {
        let svc = cx.service_of(&container).to_string();
        f.warn(
            "H011",
            cx.at(&svc, &[]),
            format!("GPU container `{container}` gets the default memory limit {limit}, which a model server will likely exceed: set mem_limit or deploy.resources.limits.memory in the Compose file, or --default-memory-limit"),
        );
    }
}
