//! After merging: profiles, the defaults Docker Compose fills in, and environment resolution.

use super::dotenv;
use super::interpolate::Env;
use super::node::{Map, Node, Pos, Value};
use super::{Ctx, LoadError};
use crate::diag::Diagnostic;
use crate::hash::FastSet;

/// Drop the services none of whose profiles is active; returns their names. A dependency on a
/// dropped service that is not `required: false` is an error, as in Docker Compose.
pub fn apply_profiles(
    root: &mut Node,
    active: &[String],
    ctx: &Ctx<'_>,
) -> Result<Vec<String>, LoadError> {
    let all = active.iter().any(|p| p == "*");
    // With no profile active, a service listing the empty profile `""` is enabled.
    let none: [String; 1] = [String::new()];
    let active = if active.is_empty() { &none[..] } else { active };
    let Some(services) = root.services_mut() else {
        return Ok(Vec::new());
    };
    let mut disabled = Vec::new();
    for (name, svc) in services.iter() {
        let profiles: Vec<String> = svc
            .get("profiles")
            .and_then(Node::as_seq)
            .map(|s| s.iter().filter_map(Node::scalar_string).collect())
            .unwrap_or_default();
        let enabled = profiles.is_empty() || all || profiles.iter().any(|p| active.contains(p));
        if !enabled {
            disabled.push(name.clone());
        }
    }
    for name in &disabled {
        services.shift_remove(name);
    }
    for (name, svc) in services.iter_mut() {
        let Some(deps) = svc
            .as_map_mut()
            .and_then(|m| m.get_mut("depends_on"))
            .and_then(Node::as_map_mut)
        else {
            continue;
        };
        let drop: Vec<String> = Vec::new();
        for (dep, spec) in deps.iter() {
            if disabled.contains(dep) {
                let required = !spec
                    .get("required")
                    .and_then(Node::scalar_string)
                    .is_some_and(|s| s.eq_ignore_ascii_case("false"));
                if required {
                    return Err(ctx.error(
                        "C060",
                        spec.key_at,
                        &format!("services.{name}.depends_on.{dep}"),
                        format!("service `{name}` depends on `{dep}`, which no active profile enables (add --profile for it, or set `required: false`)"),
                    ));
                }
                // Docker Compose keeps an optional dependency on a disabled service in the
                // model; later stages skip it.
            }
        }
        for d in drop {
            deps.shift_remove(&d);
        }
    }
    Ok(disabled)
}

/// Defaults: the implicit `default` network, resource names, implied dependencies; top-level
/// networks, volumes, secrets and configs that no enabled service uses are dropped, as
/// Docker Compose drops them.
pub fn normalize(root: &mut Node, project: &str, _ctx: &Ctx<'_>) -> Result<(), LoadError> {
    let Some(top) = root.as_map_mut() else {
        return Ok(());
    };
    drop_unused(top);
    let at = Pos::default();
    let mut uses_default = false;
    if let Some(services) = top.get_mut("services").and_then(Node::as_map_mut) {
        for (_, svc) in services.iter_mut() {
            let Some(m) = svc.as_map_mut() else { continue };
            let has_mode = m.get("network_mode").is_some_and(|n| !n.is_null());
            if !has_mode && !m.contains_key("provider") {
                match m.get("networks") {
                    None => {
                        let mut nets = Map::default();
                        nets.insert("default".into(), Node::new(Value::Null, at));
                        m.insert("networks".into(), Node::map(nets, at));
                        uses_default = true;
                    }
                    Some(n) => {
                        if n.get("default").is_some() {
                            uses_default = true;
                        }
                    }
                }
            }
            // links, network_mode/ipc/pid: service:X and volumes_from imply depends_on.
            let mut implied: Vec<String> = Vec::new();
            if let Some(links) = m.get("links").and_then(Node::as_seq) {
                for l in links.iter().filter_map(Node::scalar_string) {
                    implied.push(l.split(':').next().unwrap_or_default().to_string());
                }
            }
            for key in ["network_mode", "ipc", "pid"] {
                if let Some(s) = m.get(key).and_then(Node::as_str)
                    && let Some(svc) = s.strip_prefix("service:")
                {
                    implied.push(svc.to_string());
                }
            }
            let mut from_volumes: Vec<String> = Vec::new();
            if let Some(vf) = m.get("volumes_from").and_then(Node::as_seq) {
                for v in vf.iter().filter_map(Node::scalar_string) {
                    if !v.starts_with("container:") {
                        from_volumes.push(v.split(':').next().unwrap_or_default().to_string());
                    }
                }
            }
            if !implied.is_empty() || !from_volumes.is_empty() {
                let deps = m
                    .entry("depends_on".to_string())
                    .or_insert_with(|| Node::map(Map::default(), at));
                if let Some(d) = deps.as_map_mut() {
                    // links and shared namespaces restart with their target; volumes_from does not.
                    let restarts = implied.into_iter().map(|s| (s, true));
                    for (s, restart) in restarts.chain(from_volumes.into_iter().map(|s| (s, false)))
                    {
                        d.entry(s).or_insert_with(|| {
                            let mut e = Map::default();
                            e.insert("condition".into(), Node::str("service_started", at));
                            e.insert("required".into(), Node::new(Value::Bool(true), at));
                            if restart {
                                e.insert("restart".into(), Node::new(Value::Bool(true), at));
                            }
                            Node::map(e, at)
                        });
                    }
                }
            }
            if m.get("pull_policy").and_then(Node::as_str) == Some("if_not_present") {
                m.insert("pull_policy".into(), Node::str("missing", at));
            }
        }
    }
    if uses_default {
        let nets = top
            .entry("networks".to_string())
            .or_insert_with(|| Node::map(Map::default(), at));
        if nets.is_null() {
            nets.value = Value::Map(Map::default());
        }
        if let Some(n) = nets.as_map_mut() {
            n.entry("default".to_string())
                .or_insert_with(|| Node::map(Map::default(), at));
        }
    }
    for section in ["networks", "volumes", "secrets", "configs"] {
        let Some(items) = top.get_mut(section).and_then(Node::as_map_mut) else {
            continue;
        };
        for (key, item) in items.iter_mut() {
            if item.is_null() {
                item.value = Value::Map(Map::default());
            }
            let Some(m) = item.as_map_mut() else { continue };
            // `canonical` already turned the legacy `external: {name: x}` and `"true"` forms
            // into `external: true` with `name` (conflicts there are C084).
            let external = m
                .get("external")
                .is_some_and(|e| matches!(e.value, Value::Bool(true)));
            if !m.contains_key("name") {
                let name = if external {
                    key.clone()
                } else {
                    format!("{project}_{key}")
                };
                m.insert("name".into(), Node::str(name, at));
            }
        }
    }
    Ok(())
}

/// Reads a file named by a key (`None` when it does not exist).
pub type ReadFile<'a> = dyn FnMut(&str, Pos, &str) -> Result<Option<Vec<u8>>, LoadError> + 'a;

/// Read `env_file`s and `label_file`s into `environment` and `labels` (explicit entries win),
/// and resolve bare `environment` keys from the project environment.
pub fn resolve_environment(
    root: &mut Node,
    env: &Env,
    ctx: &Ctx<'_>,
    read: &mut ReadFile<'_>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), LoadError> {
    let Some(services) = root.services_mut() else {
        return Ok(());
    };
    for (name, svc) in services.iter_mut() {
        let Some(m) = svc.as_map_mut() else { continue };
        let at = m.get("environment").map(|n| n.at).unwrap_or_default();
        // Taken, not copied: the entry is replaced below whenever it exists.
        let mut explicit: Map = match m.get_mut("environment").map(|n| &mut n.value) {
            Some(Value::Map(e)) => std::mem::take(e),
            _ => Map::default(),
        };
        // Bare keys take the project environment's value.
        for (k, v) in explicit.iter_mut() {
            if v.is_null()
                && let Some(val) = env.get(k)
            {
                v.value = Value::Str(val.clone());
            }
        }
        if let Some(args) = m
            .get_mut("build")
            .and_then(Node::as_map_mut)
            .and_then(|b| b.get_mut("args"))
            .and_then(Node::as_map_mut)
        {
            for (k, v) in args.iter_mut() {
                if v.is_null()
                    && let Some(val) = env.get(k)
                {
                    v.value = Value::Str(val.clone());
                }
            }
        }
        let mut from_files = Map::default();
        // Each file's own entries, kept for lowering (`--env-files configmap`).
        let mut per_file: Vec<Node> = Vec::new();
        if let Some(files) = m
            .get("env_file")
            .and_then(Node::as_seq)
            .map(<[Node]>::to_vec)
        {
            for (i, f) in files.iter().enumerate() {
                let key = format!("services.{name}.env_file[{i}]");
                let Some(path) = f.get("path").and_then(Node::scalar_string) else {
                    continue;
                };
                let required = !f
                    .get("required")
                    .and_then(Node::scalar_string)
                    .is_some_and(|s| s.eq_ignore_ascii_case("false"));
                let raw = f.get("format").and_then(Node::as_str) == Some("raw");
                let Some(bytes) = read(&path, f.at, &key)? else {
                    if required {
                        return Err(ctx.error(
                            "C022",
                            f.at,
                            &key,
                            format!("env file `{}` not found", ctx.display(&path)),
                        ));
                    }
                    continue;
                };
                let text = String::from_utf8_lossy(&bytes);
                let lookup = |k: &str| {
                    env.get(k).cloned().or_else(|| {
                        explicit
                            .get(k)
                            .and_then(Node::scalar_string)
                            .or_else(|| from_files.get(k).and_then(Node::scalar_string))
                    })
                };
                let entries = dotenv::parse(&text, &lookup, raw).map_err(|e| {
                    ctx.error(
                        "C021",
                        f.at,
                        &key,
                        format!("in env file `{path}` line {}: {}", e.line, e.message),
                    )
                })?;
                let mut own = Map::default();
                for e in entries {
                    let v = match e.value {
                        Some(v) => Node::str(v, f.at),
                        None => Node::new(Value::Null, f.at),
                    };
                    own.insert(e.key.clone(), v.clone());
                    // A bare `KEY` that nothing defines is dropped, as compose-go does
                    // (in `environment:` it stays, as null).
                    if !v.is_null() {
                        from_files.insert(e.key, v);
                    }
                }
                let mut rec = Map::default();
                rec.insert("path".into(), Node::str(path.clone(), f.at));
                rec.insert("values".into(), Node::map(own, f.at));
                per_file.push(Node::map(rec, f.at));
            }
        }
        if !from_files.is_empty() || m.contains_key("environment") {
            for (k, v) in explicit {
                from_files.insert(k, v);
            }
            m.insert("environment".into(), Node::map(from_files, at));
        }
        m.shift_remove("env_file");
        if !per_file.is_empty() {
            m.insert("env_file".into(), Node::seq(per_file, at));
        }
        if let Some(files) = m.shift_remove("label_file")
            && let Some(list) = files.as_seq()
        {
            let mut labels = Map::default();
            for (i, f) in list.iter().enumerate() {
                let key = format!("services.{name}.label_file[{i}]");
                let Some(path) = f.scalar_string() else {
                    continue;
                };
                let Some(bytes) = read(&path, f.at, &key)? else {
                    return Err(ctx.error(
                        "C022",
                        f.at,
                        &key,
                        format!("label file `{}` not found", ctx.display(&path)),
                    ));
                };
                let text = String::from_utf8_lossy(&bytes);
                let entries =
                    dotenv::parse(&text, &|k| env.get(k).cloned(), false).map_err(|e| {
                        ctx.error(
                            "C021",
                            f.at,
                            &key,
                            format!("in label file `{path}` line {}: {}", e.line, e.message),
                        )
                    })?;
                for e in entries {
                    labels.insert(e.key, Node::str(e.value.unwrap_or_default(), f.at));
                }
            }
            if let Some(existing) = m.get("labels").and_then(Node::as_map) {
                for (k, v) in existing {
                    labels.insert(k.clone(), v.clone());
                }
            }
            m.insert("labels".into(), Node::map(labels, files.at));
        }
    }
    let _ = warnings;
    Ok(())
}

fn drop_unused(top: &mut Map) {
    let mut used: [Vec<String>; 4] = Default::default();
    if let Some(services) = top.get("services").and_then(Node::as_map) {
        for svc in services.values() {
            match svc.get("networks").map(|n| &n.value) {
                Some(Value::Map(m)) => used[0].extend(m.keys().cloned()),
                _ => {
                    let has_mode = svc.get("network_mode").is_some_and(|n| !n.is_null());
                    if !has_mode {
                        used[0].push("default".into());
                    }
                }
            }
            for v in svc
                .get("volumes")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                if let Some(src) = v.get("source").and_then(Node::scalar_string) {
                    used[1].push(src);
                }
            }
            for (i, key) in [(2, "secrets"), (3, "configs")] {
                for r in svc.get(key).and_then(Node::as_seq).unwrap_or_default() {
                    if let Some(src) = r.get("source").and_then(Node::scalar_string) {
                        used[i].push(src);
                    }
                }
            }
            // Secrets used only by the build are kept too.
            let build_secrets = svc.get("build").and_then(|b| b.get("secrets"));
            for r in build_secrets.and_then(Node::as_seq).unwrap_or_default() {
                if let Some(src) = r.get("source").unwrap_or(r).scalar_string() {
                    used[2].push(src);
                }
            }
        }
    }
    for (i, section) in ["networks", "volumes", "secrets", "configs"]
        .iter()
        .enumerate()
    {
        if let Some(m) = top.get_mut(*section).and_then(Node::as_map_mut) {
            // A set: a list searched per key was quadratic in the number of volumes.
            let used: FastSet<&str> = used[i].iter().map(String::as_str).collect();
            m.retain(|k, _| used.contains(k.as_str()));
        }
    }
}
