//! `default-resources`: cpu and memory requests and a memory limit where Compose gave none.

use super::{Findings, HardenOptions, Level, Rule};
use crate::compose::Project;
use crate::lower::Object;
use std::collections::BTreeMap;

pub const RULE: Rule = Rule {
    id: "default-resources",
    doc: "cpu and memory requests and a memory limit on every container that has none (GPU limits untouched)",
    level: Level::Baseline,
    apply,
};

fn apply(o: &mut Object, _: &Project, opts: &HardenOptions, _: &mut Findings) {
    let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
        return;
    };
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        let r = c.resources.get_or_insert_with(Default::default);
        let limits = r.limits.get_or_insert_with(BTreeMap::new);
        limits
            .entry("memory".into())
            .or_insert_with(|| opts.memory_limit.clone());
        if let Some(cpu) = &opts.cpu_limit {
            limits.entry("cpu".into()).or_insert_with(|| cpu.clone());
        }
        let lim_mem = limits.get("memory").cloned();
        let lim_cpu = limits.get("cpu").cloned();
        let requests = r.requests.get_or_insert_with(BTreeMap::new);
        requests
            .entry("cpu".into())
            .or_insert_with(|| opts.cpu_request.clone());
        requests
            .entry("memory".into())
            .or_insert_with(|| opts.memory_request.clone());
        // A default request above an explicit limit would be rejected: cap it.
        for (key, lim) in [("memory", lim_mem), ("cpu", lim_cpu)] {
            if let (Some(l), Some(req)) = (lim, requests.get(key))
                && crate::lower::quantity_value(&req.0) > crate::lower::quantity_value(&l.0)
            {
                requests.insert(key.into(), l);
            }
        }
    }
}
