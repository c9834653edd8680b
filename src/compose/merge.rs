//! Merging long-form trees: later `-f` files over earlier ones, and a service over the one it
//! `extends`, with the specification's per-attribute rules and the `!reset`/`!override` tags.

use super::node::{Map, Node, Tag, Value};

/// How a service attribute merges.
enum Rule {
    /// Later value wins outright.
    Replace,
    /// Mappings merge key by key, recursively.
    Mapping,
    /// Sequences append; entries with the same key replace earlier ones in place.
    Unique(fn(&Node) -> String),
}

fn service_rule(key: &str) -> Rule {
    match key {
        "command" | "entrypoint" => Rule::Replace,
        "ports" => Rule::Unique(port_key),
        "volumes" | "devices" => Rule::Unique(|n| field(n, "target")),
        "secrets" => Rule::Unique(|n| target_or(n, "/run/secrets/")),
        "configs" => Rule::Unique(|n| target_or(n, "/")),
        "env_file" => Rule::Unique(|n| field(n, "path")),
        // Two files may give one host two addresses: both are kept (compose-go appends).
        "extra_hosts"
        | "expose"
        | "cap_add"
        | "cap_drop"
        | "links"
        | "profiles"
        | "dns"
        | "dns_opt"
        | "dns_search"
        | "tmpfs"
        | "security_opt"
        | "external_links"
        | "group_add"
        | "device_cgroup_rules"
        | "volumes_from"
        | "label_file" => Rule::Unique(|n| n.scalar_string().unwrap_or_default()),
        _ => Rule::Mapping,
    }
}

fn field(n: &Node, key: &str) -> String {
    n.get(key).and_then(Node::scalar_string).unwrap_or_default()
}

fn target_or(n: &Node, prefix: &str) -> String {
    match n.get("target").and_then(Node::scalar_string) {
        Some(t) if t.starts_with('/') => t,
        Some(t) => format!("{prefix}{t}"),
        None => format!("{prefix}{}", field(n, "source")),
    }
}

fn port_key(n: &Node) -> String {
    format!(
        "{}|{}|{}|{}",
        field(n, "host_ip"),
        field(n, "target"),
        field(n, "published"),
        field(n, "protocol")
    )
}

/// Merge a whole file tree `over` into `base`.
pub fn merge_files(base: &mut Node, over: Node) {
    let (Some(b), Value::Map(o)) = (base.as_map_mut(), over.value) else {
        return;
    };
    for (key, value) in o {
        match key.as_str() {
            "services" => {
                let target = b
                    .entry(key)
                    .or_insert_with(|| Node::map(Map::default(), value.at));
                if value.tag == Tag::Reset {
                    target.value = Value::Map(Map::default());
                    continue;
                }
                if let (Some(bs), Value::Map(os)) = (target.as_map_mut(), value.value) {
                    for (name, svc) in os {
                        match bs.get_mut(&name) {
                            Some(existing) if svc.tag == Tag::None && !svc.is_null() => {
                                merge_service(existing, svc)
                            }
                            _ => {
                                bs.insert(name, svc);
                            }
                        }
                    }
                }
            }
            _ => merge_entry(b, key, value, &|_| Rule::Mapping),
        }
    }
}

/// Merge service `over` into `base` (both long form).
pub fn merge_service(base: &mut Node, over: Node) {
    if base.is_null() {
        *base = over;
        return;
    }
    let (Some(b), Value::Map(o)) = (base.as_map_mut(), over.value) else {
        return;
    };
    for (key, value) in o {
        merge_entry(b, key, value, &service_rule);
    }
}

fn merge_entry(b: &mut Map, key: String, value: Node, rule: &dyn Fn(&str) -> Rule) {
    match value.tag {
        Tag::Reset => {
            b.shift_remove(&key);
            return;
        }
        Tag::Override => {
            b.insert(key, value);
            return;
        }
        Tag::None => {}
    }
    let Some(existing) = b.get_mut(&key) else {
        b.insert(key, value);
        return;
    };
    match rule(&key) {
        Rule::Replace => *existing = value,
        Rule::Unique(key_of) => match (&mut existing.value, value.value) {
            (Value::Seq(items), Value::Seq(more)) => {
                for item in more {
                    let k = key_of(&item);
                    match items.iter().position(|i| key_of(i) == k) {
                        Some(pos) => items[pos] = item,
                        None => items.push(item),
                    }
                }
            }
            (_, v) => existing.value = v,
        },
        Rule::Mapping => merge_value(existing, value, &key),
    }
}

/// Generic merge: mappings recursively, sequences appended, scalars replaced.
fn merge_value(base: &mut Node, over: Node, key: &str) {
    match (&mut base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => {
            // `healthcheck.test` and `logging` with another driver replace rather than merge.
            if key == "logging"
                && let (Some(d1), Some(d2)) = (b.get("driver"), o.get("driver"))
                && d1 != d2
            {
                *b = o;
                return;
            }
            for (k, v) in o {
                let rule = |k: &str| {
                    if k == "test" || k == "command" {
                        Rule::Replace
                    } else if k == "aliases" || k == "constraints" || k == "preferences" {
                        Rule::Unique(|n| n.scalar_string().unwrap_or_else(|| format!("{n:?}")))
                    } else {
                        Rule::Mapping
                    }
                };
                merge_entry(b, k, v, &rule);
            }
        }
        (Value::Seq(b), Value::Seq(o)) => b.extend(o),
        (_, v) => base.value = v,
    }
}

/// Drop nodes still tagged `!reset` (a reset with nothing under it to remove).
pub fn strip_resets(n: &mut Node) {
    match &mut n.value {
        Value::Map(m) => {
            m.retain(|_, v| v.tag != Tag::Reset);
            for v in m.values_mut() {
                strip_resets(v);
            }
        }
        Value::Seq(s) => {
            s.retain(|v| v.tag != Tag::Reset);
            for v in s {
                strip_resets(v);
            }
        }
        _ => {}
    }
}

/// Drop repeated entries inside one service's sequences, as Docker Compose's unicity rule does
/// after loading each file: an entry whose key was seen replaces the earlier one in place.
/// The keys are Docker Compose's (`override/uncity.go`); ports are handled in `ports.rs`.
pub fn enforce_unicity(root: &mut Node) {
    fn before_eq(n: &Node) -> String {
        let s = n.scalar_string().unwrap_or_default();
        s.split_once('=').map(|(k, _)| k.to_string()).unwrap_or(s)
    }
    fn mount(prefix: &'static str) -> impl Fn(&Node) -> String {
        move |n| match n.get("target").and_then(Node::scalar_string) {
            Some(t) => t,
            None => format!("{prefix}/{}", field(n, "source")),
        }
    }
    fn dedup(parent: &mut Map, key: &str, key_of: &dyn Fn(&Node) -> String) {
        let Some(Value::Seq(items)) = parent.get_mut(key).map(|n| &mut n.value) else {
            return;
        };
        let mut out: Vec<Node> = Vec::with_capacity(items.len());
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for item in items.drain(..) {
            let k = key_of(&item);
            match seen.get(&k) {
                Some(&i) => out[i] = item,
                None => {
                    seen.insert(k, out.len());
                    out.push(item);
                }
            }
        }
        *items = out;
    }
    let Some(services) = root.services_mut() else {
        return;
    };
    for svc in services.values_mut() {
        let Some(m) = svc.as_map_mut() else { continue };
        for key in [
            "cap_add",
            "cap_drop",
            "dns",
            "dns_opt",
            "dns_search",
            "links",
            "profiles",
            "tmpfs",
        ] {
            dedup(m, key, &before_eq);
        }
        dedup(m, "expose", &|n| n.scalar_string().unwrap_or_default());
        dedup(m, "volumes", &|n| field(n, "target"));
        dedup(m, "devices", &|n| field(n, "target"));
        dedup(m, "env_file", &|n| field(n, "path"));
        dedup(m, "secrets", &mount("/run/secrets"));
        dedup(m, "configs", &mount(""));
        if let Some(b) = m.get_mut("build").and_then(Node::as_map_mut) {
            dedup(b, "tags", &before_eq);
        }
        if let Some(nets) = m.get_mut("networks").and_then(Node::as_map_mut) {
            for net in nets.values_mut() {
                if let Some(n) = net.as_map_mut() {
                    dedup(n, "aliases", &before_eq);
                    dedup(n, "link_local_ips", &before_eq);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::parse::{Limits, parse};

    fn doc(s: &str) -> Node {
        parse(s.as_bytes(), "t", 0, &Limits::default())
            .unwrap()
            .remove(0)
    }

    #[test]
    fn later_files_win_and_tags_apply() {
        let mut a = doc(
            "services:\n  web:\n    image: a\n    environment: {A: '1', B: '2'}\n    command: [x, y]\n    cap_add: [NET_ADMIN]\n",
        );
        let b = doc(
            "services:\n  web:\n    image: b\n    environment: {B: '3', A: !reset null}\n    command: [z]\n    cap_add: [NET_ADMIN, SYS_TIME]\n",
        );
        merge_files(&mut a, b);
        let web = a.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("image").unwrap().as_str(), Some("b"));
        let env = web.get("environment").unwrap().as_map().unwrap();
        assert_eq!(env.len(), 1);
        assert_eq!(env["B"].as_str(), Some("3"));
        assert_eq!(web.get("command").unwrap().as_seq().unwrap().len(), 1);
        assert_eq!(web.get("cap_add").unwrap().as_seq().unwrap().len(), 2);
    }

    #[test]
    fn override_replaces_whole() {
        let mut a = doc("services:\n  web:\n    ports: [{target: 80}]\n");
        let b = doc("services:\n  web:\n    ports: !override [{target: 443}]\n");
        merge_files(&mut a, b);
        let ports = a
            .get("services")
            .unwrap()
            .get("web")
            .unwrap()
            .get("ports")
            .unwrap();
        assert_eq!(ports.as_seq().unwrap().len(), 1);
    }
}
