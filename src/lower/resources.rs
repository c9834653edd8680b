//! CPU and memory requests and limits: `deploy.resources`, `mem_limit`, `mem_reservation`,
//! `cpus`, `cpu_shares`. GPUs are [`super::gpu`]'s.

use super::Ctx;
use super::quantity;
use crate::compose::model::Service;
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
    if let Some(g) = gpus {
        super::gpu::limits(cx, g, &mut limits);
    }
    ResourceRequirements {
        limits: (!limits.is_empty()).then_some(limits),
        requests: (!requests.is_empty()).then_some(requests),
        ..Default::default()
    }
}

/// The value of a Kubernetes quantity (`1G`, `1Gi`, `500m`, `1e3`, `1.5Ti`, `+2E`), for
/// comparing: every form the API server and the `--default-*` flags accept; 0 for anything
/// else.
pub fn parse_quantity(q: &str) -> f64 {
    let (sign, body) = match q.strip_prefix('-') {
        Some(b) => (-1.0, b),
        None => (1.0, q.strip_prefix('+').unwrap_or(q)),
    };
    let end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(end);
    let Ok(num) = num.parse::<f64>() else {
        return 0.0;
    };
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp => match exp.strip_prefix(['e', 'E']).map(str::parse::<i32>) {
            Some(Ok(e)) => 10f64.powi(e),
            _ => return 0.0,
        },
    };
    sign * num * mult
}

#[cfg(test)]
mod tests {
    use super::parse_quantity;

    #[test]
    fn every_quantity_form_has_its_value() {
        let gi = 1024.0 * 1024.0 * 1024.0;
        for (q, v) in [
            ("1G", 1e9),
            ("1Gi", gi),
            ("1.5Gi", 1.5 * gi),
            ("512Mi", 512.0 * 1024.0 * 1024.0),
            ("500m", 0.5),
            ("2", 2.0),
            ("1e3", 1000.0),
            ("1E3", 1000.0),
            ("2E", 2e18),
            ("1Pi", 1024f64.powi(5)),
            ("100k", 1e5),
            ("+1M", 1e6),
            ("-1Ki", -1024.0),
            ("1Gb", 0.0),
            ("", 0.0),
        ] {
            assert_eq!(parse_quantity(q), v, "{q}");
        }
        // The bug of issue 22: `1G` read as 0 and lost to any request.
        assert!(parse_quantity("1G") > parse_quantity("128Mi"));
    }
}
