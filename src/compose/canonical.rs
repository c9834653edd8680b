//! Short syntax to long syntax, on the node tree, before files are merged.
//!
//! Takes one interpolated file tree; returns it with every short form expanded the way Docker
//! Compose expands it (lists of `K=V` to maps, port and volume strings to objects, `command`
//! strings split into argv, relative paths made absolute against the base directory). Merging
//! and `extends` then only ever see the long form, as the specification requires.

use super::node::{Map, Node, Pos, Tag, Value};
// The path rules are paths.rs's; their public path stays here.
use super::paths::absolute;
use super::shell;
use super::{Ctx, LoadError};
use crate::diag::{dotted, indexed};

/// Keys whose list form `K=V` becomes a map. `true` = a bare key keeps a null value
/// (environment-like), `false` = a bare key gets an empty string (label-like).
const DICT_KEYS: &[(&str, bool)] = &[
    ("environment", true),
    ("labels", false),
    ("annotations", false),
    ("sysctls", false),
    ("storage_opt", false),
];

/// Expand the whole file. `base_dir` resolves relative paths.
pub fn canonicalize(root: &mut Node, ctx: &Ctx<'_>, base_dir: &str) -> Result<(), LoadError> {
    let Some(top) = root.as_map_mut() else {
        return Ok(());
    };
    if let Some(services) = top.get_mut("services")
        && let Some(services) = services.as_map_mut()
    {
        for (name, svc) in services.iter_mut() {
            if svc.is_null() {
                continue;
            }
            let path = dotted("services", name);
            if svc.as_map().is_none() {
                return Err(ctx.error(
                    "C010",
                    svc.at,
                    &path,
                    format!("services.{name} must be a mapping, not {}", svc.kind_name()),
                ));
            }
            service(svc, ctx, &path, base_dir)?;
        }
    }
    for section in ["networks", "volumes", "secrets", "configs", "models"] {
        if let Some(sec) = top.get_mut(section)
            && let Some(items) = sec.as_map_mut()
        {
            for (name, item) in items.iter_mut() {
                if item.is_null() {
                    item.value = Value::Map(Map::default());
                }
                let path = dotted(section, name);
                let Some(m) = item.as_map_mut() else {
                    continue;
                };
                for key in ["labels", "driver_opts"] {
                    if let Some(n) = m.get_mut(key) {
                        to_dict(n, ctx, &dotted(&path, key), false)?;
                    }
                }
                if section != "models" {
                    legacy_external(m, ctx, &path)?;
                }
                if matches!(section, "secrets" | "configs")
                    && let Some(f) = m.get_mut("file")
                    && let Some(p) = f.as_str()
                {
                    f.value = Value::Str(absolute(base_dir, p, ctx));
                }
                if section == "volumes"
                    && let Some(opts) = m.get("driver_opts")
                    && opts
                        .get("o")
                        .and_then(Node::as_str)
                        .is_some_and(|o| o.contains("bind"))
                    && let Some(dev) = m
                        .get_mut("driver_opts")
                        .and_then(|o| o.as_map_mut())
                        .and_then(|o| o.get_mut("device"))
                    && let Some(p) = dev.as_str()
                {
                    dev.value = Value::Str(absolute(base_dir, p, ctx));
                }
            }
        }
    }
    Ok(())
}

/// The legacy `external: {name: x}` (names the resource) and an interpolated
/// `external: "true"` to the current `external: true` + `name`, as compose-go's
/// `transformMaybeExternal` does before validation.
fn legacy_external(m: &mut Map, ctx: &Ctx<'_>, path: &str) -> Result<(), LoadError> {
    let Some(ext) = m.get_mut("external") else {
        return Ok(());
    };
    let at = ext.at;
    match &ext.value {
        Value::Str(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
            ext.value = Value::Bool(s.eq_ignore_ascii_case("true"));
        }
        Value::Map(e) => {
            let ext_name = e.get("name").and_then(Node::scalar_string);
            ext.value = Value::Bool(true);
            if let Some(ext_name) = ext_name {
                match m.get("name").and_then(Node::scalar_string) {
                    Some(name) if name != ext_name => {
                        return Err(ctx.error(
                            "C084",
                            at,
                            &dotted(path, "external"),
                            format!(
                                "`name` (`{name}`) and `external.name` (`{ext_name}`) conflict; set only `name`"
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        m.insert("name".into(), Node::str(ext_name, at));
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn service(svc: &mut Node, ctx: &Ctx<'_>, path: &str, base: &str) -> Result<(), LoadError> {
    // A bare `key: !reset` only removes the key while merging: it is no value to check.
    let m = svc.as_map_mut().expect("checked by caller");
    let resets: Vec<String> = m
        .iter()
        .filter(|(_, v)| v.tag == Tag::Reset && v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    let resets: Vec<(String, Node)> = resets
        .into_iter()
        .filter_map(|k| m.shift_remove_entry(&k))
        .collect();
    let result = service_attrs(svc, ctx, path, base);
    if let Some(m) = svc.as_map_mut() {
        m.extend(resets);
    }
    result
}

fn service_attrs(svc: &mut Node, ctx: &Ctx<'_>, path: &str, base: &str) -> Result<(), LoadError> {
    let m = svc.as_map_mut().expect("checked by caller");
    // `develop.watch[].path` is relative to the file, like every host path.
    for key in ["develop", "x-develop"] {
        if let Some(Value::Seq(watch)) = m
            .get_mut(key)
            .and_then(|d| d.as_map_mut())
            .and_then(|d| d.get_mut("watch"))
            .map(|w| &mut w.value)
        {
            for rule in watch.iter_mut() {
                if let Some(p) = rule.as_map_mut().and_then(|r| r.get_mut("path"))
                    && let Some(s) = p.as_str()
                {
                    p.value = Value::Str(absolute(base, s, ctx));
                }
            }
        }
    }
    for (key, keep_null) in DICT_KEYS {
        if let Some(n) = m.get_mut(*key) {
            to_dict(n, ctx, &dotted(path, key), *keep_null)?;
        }
    }
    for key in ["command", "entrypoint"] {
        if let Some(n) = m.get_mut(key) {
            command(n, ctx, &dotted(path, key))?;
        }
    }
    for key in ["dns", "dns_search", "dns_opt", "tmpfs", "label_file"] {
        if let Some(n) = m.get_mut(key)
            && n.as_str().is_some()
        {
            let at = n.at;
            let single = std::mem::replace(n, Node::new(Value::Null, at));
            *n = Node::seq(vec![single], at);
            n.key_at = at;
        }
    }
    if let Some(n) = m.get_mut("label_file") {
        each_str_path(n, base, ctx);
    }
    if let Some(n) = m.get_mut("build") {
        build(n, ctx, &dotted(path, "build"), base)?;
    }
    if let Some(n) = m.get_mut("depends_on") {
        depends_on(n, ctx, &dotted(path, "depends_on"))?;
    }
    if let Some(n) = m.get_mut("networks")
        && let Some(items) = n.as_seq()
    {
        let mut map = Map::default();
        for item in items {
            let name = scalar(item, ctx, &dotted(path, "networks"))?;
            map.insert(name, Node::new(Value::Null, item.at));
        }
        n.value = Value::Map(map);
    }
    if let Some(n) = m.get_mut("extra_hosts") {
        extra_hosts(n, ctx, &dotted(path, "extra_hosts"))?;
    }
    if let Some(n) = m.get_mut("ports") {
        super::ports::canonicalize(n, ctx, &dotted(path, "ports"))?;
    }
    if let Some(n) = m.get_mut("expose")
        && let Value::Seq(items) = &mut n.value
    {
        for (i, item) in items.iter_mut().enumerate() {
            let s = scalar(item, ctx, &format!("{path}.expose[{i}]"))?;
            item.value = Value::Str(s);
        }
    }
    if let Some(n) = m.get_mut("volumes") {
        super::volumes::canonicalize(n, ctx, &dotted(path, "volumes"), base)?;
    }
    for key in ["secrets", "configs"] {
        if let Some(n) = m.get_mut(key)
            && let Value::Seq(items) = &mut n.value
        {
            for item in items.iter_mut() {
                if let Some(s) = item.as_str() {
                    let mut obj = Map::default();
                    obj.insert("source".into(), Node::str(s, item.at));
                    item.value = Value::Map(obj);
                }
            }
        }
    }
    if let Some(n) = m.get_mut("env_file") {
        env_file(n, ctx, &dotted(path, "env_file"), base)?;
    }
    if let Some(n) = m.get_mut("healthcheck")
        && let Some(hc) = n.as_map_mut()
        && let Some(test) = hc.get_mut("test")
        && let Some(s) = test.as_str()
    {
        let at = test.at;
        test.value = Value::Seq(vec![Node::str("CMD-SHELL", at), Node::str(s, at)]);
    }
    if let Some(n) = m.get_mut("devices")
        && let Value::Seq(items) = &mut n.value
    {
        for item in items.iter_mut() {
            if let Some(s) = item.as_str() {
                item.value = Value::Map(device(s, item.at));
            }
        }
    }
    if let Some(n) = m.get_mut("models")
        && let Some(items) = n.as_seq()
    {
        let mut map = Map::default();
        for item in items {
            let name = scalar(item, ctx, &dotted(path, "models"))?;
            map.insert(name, Node::new(Value::Null, item.at));
        }
        n.value = Value::Map(map);
    }
    for hooks in ["post_start", "pre_stop", "pre_start"] {
        if let Some(n) = m.get_mut(hooks)
            && let Value::Seq(items) = &mut n.value
        {
            for (i, item) in items.iter_mut().enumerate() {
                if let Some(h) = item.as_map_mut() {
                    let p = format!("{path}.{hooks}[{i}]");
                    if let Some(c) = h.get_mut("command") {
                        command(c, ctx, &dotted(&p, "command"))?;
                    }
                    if let Some(e) = h.get_mut("environment") {
                        to_dict(e, ctx, &dotted(&p, "environment"), true)?;
                    }
                }
            }
        }
    }
    if let Some(deploy) = m.get_mut("deploy").and_then(Node::as_map_mut) {
        if let Some(l) = deploy.get_mut("labels") {
            to_dict(l, ctx, &format!("{path}.deploy.labels"), false)?;
        }
        if let Some(res) = deploy.get_mut("resources").and_then(Node::as_map_mut)
            && let Some(r) = res.get_mut("reservations").and_then(Node::as_map_mut)
            && let Some(devs) = r.get_mut("devices")
            && let Value::Seq(items) = &mut devs.value
        {
            for item in items.iter_mut() {
                if let Some(o) = item.as_map_mut()
                    && let Some(opts) = o.get_mut("options")
                {
                    to_dict(
                        opts,
                        ctx,
                        &format!("{path}.deploy.resources.reservations.devices.options"),
                        false,
                    )?;
                }
            }
        }
    }
    if let Some(logging) = m.get_mut("logging").and_then(Node::as_map_mut)
        && let Some(o) = logging.get_mut("options")
    {
        to_dict(o, ctx, &format!("{path}.logging.options"), true)?;
    }
    if let Some(n) = m.get_mut("gpus")
        && n.as_str().is_some_and(|s| s.eq_ignore_ascii_case("all"))
    {
        let at = n.at;
        let mut req = Map::default();
        req.insert("count".into(), Node::new(Value::Int(-1), at));
        n.value = Value::Seq(vec![Node::map(req, at)]);
    }
    Ok(())
}

/// A scalar stringified, or an error naming the path.
pub fn scalar(n: &Node, ctx: &Ctx<'_>, path: &str) -> Result<String, LoadError> {
    n.scalar_string().ok_or_else(|| {
        ctx.error(
            "C011",
            n.at,
            path,
            format!("must be a string or number, not {}", n.kind_name()),
        )
    })
}

/// `["K=V", "K"]` or `{K: V}` to `{K: "V"}`.
pub fn to_dict(n: &mut Node, ctx: &Ctx<'_>, path: &str, keep_null: bool) -> Result<(), LoadError> {
    let bare = |at: Pos| {
        if keep_null {
            Node::new(Value::Null, at)
        } else {
            Node::str("", at)
        }
    };
    match &mut n.value {
        Value::Seq(items) => {
            let mut map = Map::default();
            for (i, item) in items.iter().enumerate() {
                let s = scalar(item, ctx, &indexed(path, i))?;
                let (k, v) = match s.split_once('=') {
                    Some((k, v)) => (k.to_string(), Node::str(v, item.at)),
                    None => (s, bare(item.at)),
                };
                let mut v = v;
                v.key_at = item.at;
                map.insert(k, v);
            }
            n.value = Value::Map(map);
        }
        Value::Map(map) => {
            for (k, v) in map.iter_mut() {
                match &v.value {
                    Value::Null => {
                        if !keep_null {
                            v.value = Value::Str(String::new());
                        }
                    }
                    Value::Seq(_) | Value::Map(_) => {
                        return Err(ctx.error(
                            "C011",
                            v.at,
                            &dotted(path, k),
                            format!("must be a string, number or boolean, not {}", v.kind_name()),
                        ));
                    }
                    _ => {
                        let s = v.scalar_string().unwrap_or_default();
                        v.value = Value::Str(s);
                    }
                }
            }
        }
        Value::Null => n.value = Value::Map(Map::default()),
        _ => {
            return Err(ctx.error(
                "C011",
                n.at,
                path,
                format!("must be a list or a mapping, not {}", n.kind_name()),
            ));
        }
    }
    Ok(())
}

/// `command`/`entrypoint`: a string is split as a shell would split words (no expansion).
fn command(n: &mut Node, ctx: &Ctx<'_>, path: &str) -> Result<(), LoadError> {
    match &mut n.value {
        Value::Str(s) => {
            let words = shell::split(s).map_err(|e| ctx.error("C012", n.at, path, e))?;
            let at = n.at;
            n.value = Value::Seq(words.into_iter().map(|w| Node::str(w, at)).collect());
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let s = scalar(item, ctx, &indexed(path, i))?;
                item.value = Value::Str(s);
            }
        }
        Value::Null => {}
        _ => {
            return Err(ctx.error(
                "C011",
                n.at,
                path,
                format!("must be a string or a list, not {}", n.kind_name()),
            ));
        }
    }
    Ok(())
}

fn build(n: &mut Node, ctx: &Ctx<'_>, path: &str, base: &str) -> Result<(), LoadError> {
    if let Some(s) = n.as_str() {
        let mut m = Map::default();
        m.insert("context".into(), Node::str(s, n.at));
        n.value = Value::Map(m);
    }
    let at = n.at;
    let kind = n.kind_name();
    let Some(m) = n.as_map_mut() else {
        return Err(ctx.error(
            "C011",
            at,
            path,
            format!("must be a string or a mapping, not {kind}"),
        ));
    };
    for key in ["args", "labels", "additional_contexts", "ssh"] {
        if let Some(a) = m.get_mut(key) {
            to_dict(a, ctx, &dotted(path, key), key == "args")?;
        }
    }
    if let Some(Value::Seq(items)) = m.get_mut("secrets").map(|n| &mut n.value) {
        for item in items.iter_mut() {
            if let Some(s) = item.as_str() {
                let mut obj = Map::default();
                obj.insert("source".into(), Node::str(s, item.at));
                item.value = Value::Map(obj);
            }
        }
    }
    // Local additional contexts are host paths; `docker-image://…`, `service:…` are not.
    if let Some(ctxs) = m.get_mut("additional_contexts").and_then(Node::as_map_mut) {
        for c in ctxs.values_mut() {
            if let Some(s) = c.as_str()
                && !s.contains("://")
                && !s.starts_with("service:")
            {
                c.value = Value::Str(absolute(base, s, ctx));
            }
        }
    }
    // No default `context` here: an override's partial `build` must merge into the base's
    // context; `default_build_context` fills it in after the merge, as compose-go does.
    if let Some(c) = m.get_mut("context")
        && let Some(s) = c.as_str()
        && !is_remote_context(s)
    {
        c.value = Value::Str(absolute(base, s, ctx));
    }
    Ok(())
}

/// After the files are merged: a `build` without `context` builds the project directory.
pub fn default_build_context(root: &mut Node, project_dir: &str) {
    let Some(services) = root.services_mut() else {
        return;
    };
    for svc in services.values_mut() {
        if let Some(b) = svc.as_map_mut().and_then(|m| m.get_mut("build")) {
            let at = b.at;
            if let Some(m) = b.as_map_mut() {
                m.entry("context".to_string())
                    .or_insert_with(|| Node::str(project_dir, at));
            }
        }
    }
}

fn is_remote_context(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.ends_with(".git") || s.contains(".git#")
}

fn depends_on(n: &mut Node, ctx: &Ctx<'_>, path: &str) -> Result<(), LoadError> {
    let entry = |at: Pos| {
        let mut m = Map::default();
        m.insert("condition".into(), Node::str("service_started", at));
        m.insert("required".into(), Node::new(Value::Bool(true), at));
        Node::map(m, at)
    };
    match &mut n.value {
        Value::Seq(items) => {
            let mut map = Map::default();
            for item in items.iter() {
                let name = scalar(item, ctx, path)?;
                let mut e = entry(item.at);
                e.key_at = item.at;
                map.insert(name, e);
            }
            n.value = Value::Map(map);
        }
        Value::Map(map) => {
            // `condition` and `required` stay unset, so that a partial override
            // (`restart: true` alone) keeps the base's; typing fills the defaults.
            for (_, v) in map.iter_mut() {
                if v.is_null() {
                    v.value = Value::Map(Map::default());
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn extra_hosts(n: &mut Node, ctx: &Ctx<'_>, path: &str) -> Result<(), LoadError> {
    let mut out = Vec::new();
    match &n.value {
        Value::Map(m) => {
            for (host, ip) in m {
                match &ip.value {
                    Value::Seq(ips) => {
                        for ip in ips {
                            out.push(Node::str(
                                format!("{host}={}", scalar(ip, ctx, path)?),
                                ip.at,
                            ));
                        }
                    }
                    _ => out.push(Node::str(
                        format!("{host}={}", scalar(ip, ctx, path)?),
                        ip.at,
                    )),
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                let s = scalar(item, ctx, path)?;
                // `host:ip` is the older separator; an IPv6 address keeps its colons.
                let s = if s.contains('=') {
                    s
                } else {
                    match s.split_once(':') {
                        Some((h, ip)) => format!("{h}={ip}"),
                        None => s,
                    }
                };
                out.push(Node::str(s, item.at));
            }
        }
        _ => return Ok(()),
    }
    // As compose-go's HostsList: `host=a,b` is two entries, and `[::1]` loses its brackets.
    let mut hosts = Vec::with_capacity(out.len());
    for entry in out {
        let Some((host, ips)) = entry.as_str().and_then(|s| s.split_once('=')) else {
            hosts.push(entry);
            continue;
        };
        for ip in ips.split(',') {
            let ip = ip
                .strip_prefix('[')
                .and_then(|i| i.strip_suffix(']'))
                .filter(|i| !i.is_empty())
                .unwrap_or(ip);
            hosts.push(Node::str(format!("{host}={ip}"), entry.at));
        }
    }
    n.value = Value::Seq(hosts);
    Ok(())
}

fn env_file(n: &mut Node, ctx: &Ctx<'_>, path: &str, base: &str) -> Result<(), LoadError> {
    let one = |item: &Node| -> Result<Node, LoadError> {
        match &item.value {
            Value::Str(s) => {
                let mut m = Map::default();
                m.insert("path".into(), Node::str(absolute(base, s, ctx), item.at));
                m.insert("required".into(), Node::new(Value::Bool(true), item.at));
                Ok(Node::map(m, item.at))
            }
            Value::Map(m) => {
                let mut m = m.clone();
                if let Some(p) = m.get_mut("path")
                    && let Some(s) = p.as_str()
                {
                    p.value = Value::Str(absolute(base, s, ctx));
                }
                if !m.contains_key("required") {
                    m.insert("required".into(), Node::new(Value::Bool(true), item.at));
                }
                Ok(Node::map(m, item.at))
            }
            _ => Err(ctx.error(
                "C011",
                item.at,
                path,
                format!("must be a path or a mapping, not {}", item.kind_name()),
            )),
        }
    };
    let items = match &n.value {
        Value::Seq(items) => items.iter().map(one).collect::<Result<Vec<_>, _>>()?,
        Value::Null => Vec::new(),
        _ => vec![one(n)?],
    };
    n.value = Value::Seq(items);
    Ok(())
}

fn each_str_path(n: &mut Node, base: &str, ctx: &Ctx<'_>) {
    if let Value::Seq(items) = &mut n.value {
        for item in items {
            if let Some(s) = item.as_str() {
                item.value = Value::Str(absolute(base, s, ctx));
            }
        }
    }
}

/// `HOST[:CONTAINER[:PERMISSIONS]]`, or a CDI device name kept whole.
fn device(s: &str, at: Pos) -> Map {
    let mut m = Map::default();
    let parts: Vec<&str> = s.split(':').collect();
    let (src, dst, perm) = if s.contains('=') && !s.starts_with('/') {
        // As Docker Compose prints it: the name is also the target (so two CDI GPUs of one
        // service stay two entries when devices merge by target).
        (s, s, "rwm")
    } else {
        match parts.as_slice() {
            [a] => (*a, *a, "rwm"),
            [a, b] => {
                if b.starts_with('/') {
                    (*a, *b, "rwm")
                } else {
                    (*a, *a, *b)
                }
            }
            [a, b, c, ..] => (*a, *b, *c),
            [] => (s, s, "rwm"),
        }
    };
    m.insert("source".into(), Node::str(src, at));
    if !dst.is_empty() {
        m.insert("target".into(), Node::str(dst, at));
    }
    if !perm.is_empty() {
        m.insert("permissions".into(), Node::str(perm, at));
    }
    m
}
