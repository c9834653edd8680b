//! Service `volumes:` short syntax (`[SOURCE:]TARGET[:OPTIONS]`) to the long form.

use super::node::{Map, Node, Pos, Value};
use super::paths::absolute;
use super::{Ctx, LoadError};
use crate::diag::indexed;

pub fn canonicalize(n: &mut Node, ctx: &Ctx<'_>, path: &str, base: &str) -> Result<(), LoadError> {
    let Value::Seq(items) = &mut n.value else {
        if n.is_null() {
            n.value = Value::Seq(Vec::new());
            return Ok(());
        }
        return Err(ctx.error(
            "C011",
            n.at,
            path,
            format!("must be a list, not {}", n.kind_name()),
        ));
    };
    for (i, item) in items.iter_mut().enumerate() {
        let p = indexed(path, i);
        match &mut item.value {
            Value::Str(s) => {
                let m =
                    short(s, item.at, base, ctx).map_err(|e| ctx.error("C014", item.at, &p, e))?;
                item.value = Value::Map(m);
            }
            Value::Map(m) => {
                let kind = m
                    .get("type")
                    .and_then(Node::as_str)
                    .unwrap_or("volume")
                    .to_string();
                if kind == "bind"
                    && let Some(src) = m.get_mut("source")
                    && let Some(s) = src.as_str()
                {
                    src.value = Value::Str(absolute(base, s, ctx));
                }
                if kind == "volume" && !m.contains_key("volume") {
                    m.insert("volume".into(), Node::map(Map::default(), item.at));
                }
                if let Some(t) = m.get_mut("target")
                    && let Some(s) = t.as_str()
                    && !s.is_empty()
                {
                    t.value = Value::Str(super::paths::clean_path(s));
                }
            }
            _ => {
                return Err(ctx.error(
                    "C011",
                    item.at,
                    &p,
                    format!(
                        "must be a volume string or mapping, not {}",
                        item.kind_name()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn is_path(s: &str) -> bool {
    s.starts_with('.')
        || s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with('\\')
        || (s.len() > 1 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic())
}

fn short(spec: &str, at: Pos, base: &str, ctx: &Ctx<'_>) -> Result<Map, String> {
    let parts = split_colons(spec);
    let (source, target, opts) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, o] => (Some(*s), *t, Some(*o)),
        _ => return Err(format!("invalid volume `{spec}`: too many colons")),
    };
    if target.is_empty() {
        return Err(format!("invalid volume `{spec}`: empty target"));
    }
    if source == Some("") {
        // Docker Compose too: `${UNSET}:/path` is no anonymous volume.
        return Err(format!(
            "invalid volume `{spec}`: empty source before the first colon (an unset variable?)"
        ));
    }
    let mut m = Map::default();
    let kind = match source {
        None => "volume",
        Some(s) if is_path(s) => "bind",
        Some(_) => "volume",
    };
    m.insert("type".into(), Node::str(kind, at));
    if let Some(s) = source {
        let s = if kind == "bind" {
            absolute(base, s, ctx)
        } else {
            s.to_string()
        };
        m.insert("source".into(), Node::str(s, at));
    }
    m.insert(
        "target".into(),
        Node::str(super::paths::clean_path(target), at),
    );
    let mut bind = Map::default();
    let mut volume = Map::default();
    for opt in opts.unwrap_or("").split(',').filter(|o| !o.is_empty()) {
        match opt {
            "ro" => {
                m.insert("read_only".into(), Node::new(Value::Bool(true), at));
            }
            "rw" => {}
            "z" | "Z" => {
                bind.insert("selinux".into(), Node::str(opt, at));
            }
            "nocopy" => {
                volume.insert("nocopy".into(), Node::new(Value::Bool(true), at));
            }
            "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => {
                bind.insert("propagation".into(), Node::str(opt, at));
            }
            "cached" | "delegated" | "consistent" => {
                m.insert("consistency".into(), Node::str(opt, at));
            }
            other => return Err(format!("invalid volume option `{other}` in `{spec}`")),
        }
    }
    if kind == "bind" {
        bind.insert("create_host_path".into(), Node::new(Value::Bool(true), at));
    }
    if !bind.is_empty() {
        m.insert("bind".into(), Node::map(bind, at));
    }
    if kind == "volume" {
        m.insert("volume".into(), Node::map(volume, at));
    }
    Ok(m)
}

/// Split on `:` but keep Windows drive letters (`C:\\x`, `D:/y`) whole.
fn split_colons(spec: &str) -> Vec<&str> {
    let b = spec.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 0..b.len() {
        if b[i] != b':' {
            continue;
        }
        let drive = i == start + 1
            && b[start].is_ascii_alphabetic()
            && matches!(b.get(i + 1), Some(b'\\') | Some(b'/'));
        if !drive {
            parts.push(&spec[start..i]);
            start = i + 1;
        }
    }
    parts.push(&spec[start..]);
    parts
}
