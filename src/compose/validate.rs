//! The checks Docker Compose makes on a loaded project: every service has an image or a build,
//! every reference names something defined.

use super::model::{Project, Service};
use super::node::{Node, Pos, Value};
use super::{Ctx, LoadError};
use crate::diag::Diagnostic;
use crate::diag::dotted;
use std::collections::HashMap;

pub fn validate(
    p: &mut Project,
    root: &Node,
    ctx: &Ctx<'_>,
    _warnings: &mut Vec<Diagnostic>,
) -> Result<(), LoadError> {
    let services = root.get("services");
    let at = |svc: &str, key: &[&str]| {
        let mut n = services.and_then(|s| s.get(svc));
        let mut pos = n.map(|n| n.key_at).unwrap_or_default();
        for k in key {
            n = n.and_then(|x| x.get(k));
            if let Some(x) = n {
                pos = x.key_at;
            }
        }
        pos
    };
    // `scale` and `deploy.replicas` must agree; `scale` then fills `deploy.replicas`.
    for (name, s) in &mut p.services {
        if let (Some(scale), Some(deploy)) = (s.scale, s.deploy.as_mut()) {
            if deploy.replicas.is_some_and(|r| r != scale) {
                return Err(ctx.error(
                    "C077",
                    at(name, &["scale"]),
                    &dotted("services", name),
                    "`scale` and `deploy.replicas` are set to different values",
                ));
            }
            deploy.replicas = Some(scale);
        }
    }
    let p = &*p;
    for (name, s) in &p.services {
        if s.image.is_none() && s.build.is_none() && s.provider.is_none() {
            return Err(ctx.error(
                "C070",
                at(name, &[]),
                &dotted("services", name),
                format!("service `{name}` has neither an image nor a build context"),
            ));
        }
        for net in s.networks.keys() {
            if !p.networks.contains_key(net) {
                return Err(ctx.error(
                    "C071",
                    at(name, &["networks", net]),
                    &format!("services.{name}.networks.{net}"),
                    format!("service `{name}` refers to undefined network `{net}`"),
                ));
            }
        }
        for v in &s.volumes {
            if v.kind == super::model::VolumeType::Volume
                && let Some(src) = &v.source
                && !p.volumes.contains_key(src)
            {
                return Err(ctx.error(
                    "C072",
                    at(name, &["volumes"]),
                    &format!("services.{name}.volumes"),
                    format!("service `{name}` refers to undefined volume `{src}`"),
                ));
            }
        }
        for (kind, refs, defined) in [
            ("secret", &s.secrets, &p.secrets),
            ("config", &s.configs, &p.configs),
        ] {
            for r in refs {
                if !defined.contains_key(&r.source) {
                    return Err(ctx.error(
                        "C073",
                        at(name, &[&format!("{kind}s")]),
                        &format!("services.{name}.{kind}s"),
                        format!("service `{name}` refers to undefined {kind} `{}`", r.source),
                    ));
                }
            }
        }
        for model in s.models.keys() {
            if !p.models.contains_key(model) {
                return Err(ctx.error(
                    "C073",
                    at(name, &["models", model]),
                    &format!("services.{name}.models.{model}"),
                    format!("service `{name}` refers to undefined model `{model}`"),
                ));
            }
        }
        for (i, v) in s.volumes.iter().enumerate() {
            if v.kind == super::model::VolumeType::Bind
                && v.source.as_deref().is_none_or(str::is_empty)
            {
                return Err(ctx.error(
                    "C085",
                    at(name, &["volumes"]),
                    &format!("services.{name}.volumes[{i}]"),
                    "a bind mount needs a `source`",
                ));
            }
        }
        for (dep, d) in &s.depends_on {
            let optional_disabled = !d.required && p.disabled_services.contains(dep);
            if !p.services.contains_key(dep) && !optional_disabled {
                return Err(ctx.error(
                    "C074",
                    at(name, &["depends_on", dep]),
                    &format!("services.{name}.depends_on.{dep}"),
                    format!("service `{name}` depends on undefined service `{dep}`"),
                ));
            }
        }
        for key in ["network_mode", "ipc", "pid"] {
            let v = match key {
                "network_mode" => &s.network_mode,
                "ipc" => &s.ipc,
                _ => &s.pid,
            };
            if let Some(target) = v.as_deref().and_then(|m| m.strip_prefix("service:"))
                && !p.services.contains_key(target)
            {
                return Err(ctx.error(
                    "C075",
                    at(name, &[key]),
                    &format!("services.{name}.{key}"),
                    format!("service `{name}` refers to undefined service `{target}` in {key}"),
                ));
            }
        }
        if s.network_mode.is_some()
            && s.networks.keys().any(|_| true)
            && root
                .get("services")
                .and_then(|x| x.get(name))
                .and_then(|x| x.get("networks"))
                .is_some_and(|n| n.at.line > 0)
        {
            return Err(ctx.error(
                "C076",
                at(name, &["network_mode"]),
                &format!("services.{name}.network_mode"),
                format!("service `{name}` sets both `network_mode` and `networks`"),
            ));
        }
        consistency(name, s, p, ctx, &at)?;
    }
    container_names(p, ctx, &at)?;
    dependency_cycle(p, ctx, &at)
}

/// Container names follow Docker's pattern and are unique in a project (services in name
/// order, so the second of two is the one reported, as Docker Compose does).
fn container_names(
    p: &Project,
    ctx: &Ctx<'_>,
    at: &dyn Fn(&str, &[&str]) -> Pos,
) -> Result<(), LoadError> {
    let mut names: Vec<&str> = p.services.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for name in names {
        let Some(cn) = p.services[name].container_name.as_deref() else {
            continue;
        };
        let path = format!("services.{name}.container_name");
        let valid = cn.len() >= 2
            && cn.starts_with(|c: char| c.is_ascii_alphanumeric())
            && cn
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return Err(ctx.error(
                "C011",
                at(name, &["container_name"]),
                &path,
                format!("`{cn}` does not match the pattern `[a-zA-Z0-9][a-zA-Z0-9_.-]+`"),
            ));
        }
        if let Some(first) = seen.insert(cn, name) {
            return Err(ctx.error(
                "C086",
                at(name, &["container_name"]),
                &path,
                format!("container name `{cn}` is already used by service `{first}`"),
            ));
        }
    }
    Ok(())
}

/// Docker Compose's remaining per-service consistency checks (`loader/validate.go`).
fn consistency(
    name: &str,
    s: &Service,
    p: &Project,
    ctx: &Ctx<'_>,
    at: &dyn Fn(&str, &[&str]) -> Pos,
) -> Result<(), LoadError> {
    let err = |code, keys: &[&str], msg: String| {
        let mut path = dotted("services", name);
        for k in keys {
            path.push('.');
            path.push_str(k);
        }
        Err(ctx.error(code, at(name, keys), &path, msg))
    };
    if let Some(b) = &s.build {
        if b.dockerfile_inline.is_some() && b.dockerfile.is_some() {
            return err(
                "C083",
                &["build"],
                "`build.dockerfile` and `build.dockerfile_inline` are mutually exclusive".into(),
            );
        }
        if let Some(ctxs) = b
            .other
            .get("additional_contexts")
            .and_then(|v| v.as_object())
        {
            for (key, c) in ctxs {
                if let Some(target) = c.as_str().and_then(|c| c.strip_prefix("service:")) {
                    match p.services.get(target) {
                        None => {
                            return err(
                                "C075",
                                &["build", "additional_contexts"],
                                format!(
                                    "additional context `{key}` names undefined service `{target}`"
                                ),
                            );
                        }
                        Some(t) if t.build.is_none() => {
                            return err(
                                "C075",
                                &["build", "additional_contexts"],
                                format!(
                                    "additional context `{key}` names service `{target}`, which has no `build`"
                                ),
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
        if let Some(platform) = &s.platform
            && !b.platforms.is_empty()
            && !b.platforms.contains(platform)
        {
            return err(
                "C083",
                &["build", "platforms"],
                format!("`build.platforms` must include the service's platform `{platform}`"),
            );
        }
        if let Some(secrets) = b.other.get("secrets").and_then(|v| v.as_array()) {
            for sec in secrets {
                let src = sec
                    .get("source")
                    .and_then(|v| v.as_str())
                    .or_else(|| sec.as_str())
                    .unwrap_or_default();
                if !p.secrets.contains_key(src) {
                    return err(
                        "C073",
                        &["build", "secrets"],
                        format!("service `{name}` refers to undefined build secret `{src}`"),
                    );
                }
            }
        }
    }
    let limits = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.limits.as_ref());
    let reservations = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.reservations.as_ref());
    if s.scale.is_some_and(|v| v < 0) {
        return err(
            "C011",
            &["scale"],
            "must be greater than or equal to 0".into(),
        );
    }
    if let Some(r) = s.deploy.as_ref().and_then(|d| d.replicas)
        && r < 0
    {
        return err(
            "C011",
            &["deploy", "replicas"],
            "must be greater than or equal to 0".into(),
        );
    }
    // As Docker Compose does: once a `limits` (or `reservations`) block exists, its value must
    // equal the service-level one, and a missing value counts as 0.
    let distinct = |legacy: &str, modern: &str| {
        err(
            "C077",
            &[legacy],
            format!("`{legacy}` and `deploy.resources.{modern}` are set to different values"),
        )
    };
    if let (Some(c), Some(l)) = (s.cpus.filter(|c| *c != 0.0), limits)
        && l.cpus.unwrap_or(0.0) != c
    {
        return distinct("cpus", "limits.cpus");
    }
    if let (Some(m), Some(l)) = (s.mem_limit.filter(|m| m.0 != 0), limits)
        && l.memory.unwrap_or_default() != m
    {
        return distinct("mem_limit", "limits.memory");
    }
    if let (Some(m), Some(r)) = (s.mem_reservation.filter(|m| m.0 != 0), reservations)
        && r.memory.unwrap_or_default() != m
    {
        return distinct("mem_reservation", "reservations.memory");
    }
    if let (Some(n), Some(l)) = (s.pids_limit.filter(|n| *n != 0), limits)
        && l.pids.unwrap_or(0) != n
    {
        return distinct("pids_limit", "limits.pids");
    }
    let scale = s
        .scale
        .or_else(|| s.deploy.as_ref().and_then(|d| d.replicas))
        .unwrap_or(1);
    if scale > 1 && s.container_name.is_some() {
        return err(
            "C078",
            &["container_name"],
            format!(
                "`container_name` cannot be set with {scale} replicas: container names must be unique"
            ),
        );
    }
    if let Some(watch) = s
        .develop
        .as_ref()
        .and_then(|d| d.get("watch"))
        .and_then(|w| w.as_array())
    {
        for w in watch {
            let target = w.get("target").and_then(|t| t.as_str()).unwrap_or_default();
            let action = w.get("action").and_then(|a| a.as_str()).unwrap_or_default();
            if target.is_empty() && action != "rebuild" && action != "restart" {
                return err(
                    "C083",
                    &["develop", "watch"],
                    format!("a `{action}` watch rule needs a `target`"),
                );
            }
        }
    }
    let mut mounts: HashMap<&str, String> = HashMap::new();
    for (i, t) in s.tmpfs.iter().enumerate() {
        let path = t.split(':').next().unwrap_or_default();
        if let Some(prev) = mounts.get(path) {
            return Err(ctx.error(
                "C079",
                at(name, &["tmpfs"]),
                &format!("services.{name}.tmpfs[{i}]"),
                format!("target `{path}` is already mounted by `{prev}`"),
            ));
        }
        mounts.insert(path, format!("tmpfs[{i}]"));
    }
    for (i, v) in s.volumes.iter().enumerate() {
        if let Some(prev) = mounts.get(v.target.as_str()) {
            return Err(ctx.error(
                "C079",
                at(name, &["volumes"]),
                &format!("services.{name}.volumes[{i}]"),
                format!("target `{}` is already mounted by `{prev}`", v.target),
            ));
        }
        mounts.insert(&v.target, format!("volumes[{i}]"));
    }
    Ok(())
}

/// The types Docker Compose's schema checks on the merged tree before unused top-level entries
/// are dropped (so a wrong type there is still reported): `services` is a mapping when given,
/// top-level entries are mappings or null, and the sources of secrets and configs are strings.
pub fn shapes(root: &Node, ctx: &Ctx<'_>) -> Result<(), LoadError> {
    if let Some(s) = root.get("services")
        && s.is_null()
    {
        return Err(ctx.error("C011", s.at, "services", "must be a mapping, not null"));
    }
    for section in ["volumes", "networks", "secrets", "configs", "models"] {
        let Some(entries) = root.get(section).and_then(Node::as_map) else {
            continue;
        };
        for (name, n) in entries {
            let path = dotted(section, name);
            if !n.is_null() && n.as_map().is_none() {
                let msg = format!("must be a mapping or null, not {}", n.kind_name());
                return Err(ctx.error("C011", n.at, &path, msg));
            }
            if !matches!(section, "secrets" | "configs") {
                continue;
            }
            for key in ["name", "file", "environment", "content"] {
                if let Some(v) = n.get(key)
                    && v.scalar_string().is_none()
                    && !v.is_null()
                {
                    let msg = format!("must be a string, not {}", v.kind_name());
                    return Err(ctx.error("C011", v.at, &dotted(&path, key), msg));
                }
            }
        }
    }
    Ok(())
}

/// Top-level secrets and configs need exactly one source; an external volume takes no other
/// attribute than `name`. Runs on the merged tree before unused entries are dropped, as Docker
/// Compose checks every declared entry.
pub fn file_objects(root: &Node, ctx: &Ctx<'_>) -> Result<(), LoadError> {
    for (section, keys) in [
        ("secrets", &["file", "environment"][..]),
        ("configs", &["file", "environment", "content"][..]),
    ] {
        let Some(entries) = root.get(section).and_then(Node::as_map) else {
            continue;
        };
        for (name, n) in entries {
            let Some(m) = n.as_map() else { continue };
            let set: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| m.contains_key(*k))
                .collect();
            let external = m
                .get("external")
                .is_some_and(|e| matches!(e.value, Value::Bool(true)));
            let path = dotted(section, name);
            if set.len() > 1 {
                return Err(ctx.error(
                    "C081",
                    n.key_at,
                    &path,
                    format!("{} are mutually exclusive", set.join(", ")),
                ));
            }
            if set.is_empty() && !external {
                return Err(ctx.error(
                    "C081",
                    n.key_at,
                    &path,
                    format!("one of {} must be set", keys.join(", ")),
                ));
            }
        }
    }
    if let Some(volumes) = root.get("volumes").and_then(Node::as_map) {
        for (name, n) in volumes {
            let Some(m) = n.as_map() else { continue };
            if !m
                .get("external")
                .is_some_and(|e| matches!(e.value, Value::Bool(true)))
            {
                continue;
            }
            if let Some((k, v)) = m
                .iter()
                .find(|(k, _)| !matches!(k.as_str(), "name" | "external") && !k.starts_with("x-"))
            {
                return Err(ctx.error(
                    "C082",
                    v.key_at,
                    &format!("volumes.{name}.{k}"),
                    format!("an external volume cannot set `{k}`"),
                ));
            }
        }
    }
    Ok(())
}

/// `depends_on` must not loop (services visited in name order, as Docker Compose does).
fn dependency_cycle(
    p: &Project,
    ctx: &Ctx<'_>,
    at: &dyn Fn(&str, &[&str]) -> Pos,
) -> Result<(), LoadError> {
    fn search<'a>(p: &'a Project, path: &mut Vec<&'a str>) -> Option<String> {
        let s = p.services.get(*path.last()?)?;
        let mut deps: Vec<&str> = s.depends_on.keys().map(String::as_str).collect();
        deps.sort_unstable();
        for d in deps {
            if !p.services.contains_key(d) {
                continue;
            }
            if let Some(i) = path.iter().position(|x| *x == d) {
                return Some(format!("{} -> {d}", path[i..].join(" -> ")));
            }
            path.push(d);
            if let Some(c) = search(p, path) {
                return Some(c);
            }
            path.pop();
        }
        None
    }
    let mut names: Vec<&str> = p.services.keys().map(String::as_str).collect();
    names.sort_unstable();
    for name in names {
        if let Some(cycle) = search(p, &mut vec![name]) {
            return Err(ctx.error(
                "C080",
                at(name, &["depends_on"]),
                &format!("services.{name}.depends_on"),
                format!("dependency cycle: {cycle}"),
            ));
        }
    }
    Ok(())
}
