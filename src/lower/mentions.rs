//! Who reaches whom: an index, built once per lowering, of the services whose environment
//! names another service as a host and of the `depends_on` edges, so that asking "who uses
//! service X" costs a lookup instead of a scan of every value of every service.
//!
//! A host mention is what [`super::mentions_host`] accepts: the name between a delimiter
//! that may precede a host (`/ @ = space , " '`, or the start) and one that may follow it
//! (`: / space , " ' ?`, or the end). Compose service names contain none of those
//! delimiters, so each mention is exactly one delimiter-free segment of a value and the index
//! keys on segments; a name that does contain one (possible only for a project built by
//! hand) falls back to the scan.

use super::mentions_host;
use crate::compose::model::Project;
use std::collections::HashMap;

const BEFORE: &[u8] = b"/@= ,\"'";
const AFTER: &[u8] = b":/ ,\"'?";

fn is_delimiter(b: u8) -> bool {
    BEFORE.contains(&b) || AFTER.contains(&b)
}

pub(crate) struct Mentions<'a> {
    project: &'a Project,
    /// Host segment → indices (in service order, once each) of the services naming it.
    by_host: HashMap<&'a str, Vec<usize>>,
    /// Service name → indices of the services that depend on it.
    dependents: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Mentions<'a> {
    pub fn new(project: &'a Project) -> Self {
        let mut by_host: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut dependents: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, svc) in project.services.values().enumerate() {
            for value in svc.environment.values().flatten() {
                for host in hosts(value) {
                    let list = by_host.entry(host).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
            for dep in svc.depends_on.keys() {
                dependents.entry(dep.as_str()).or_default().push(i);
            }
        }
        Mentions {
            project,
            by_host,
            dependents,
        }
    }

    /// The indices of the services whose environment names `host`, in service order.
    fn naming(&self, host: &str) -> Vec<usize> {
        if host.is_empty() || host.bytes().any(is_delimiter) {
            return self
                .project
                .services
                .values()
                .enumerate()
                .filter(|(_, s)| {
                    s.environment
                        .values()
                        .flatten()
                        .any(|v| mentions_host(v, host))
                })
                .map(|(i, _)| i)
                .collect();
        }
        self.by_host.get(host).cloned().unwrap_or_default()
    }

    /// Whether any service (the named one included) names `host` in its environment.
    pub fn is_named(&self, host: &str) -> bool {
        !self.naming(host).is_empty()
    }

    /// The other services that depend on `name` or name it as a host, in service order.
    pub fn users(&self, name: &str) -> Vec<&'a String> {
        let mut idx = self.naming(name);
        idx.extend(self.dependents.get(name).into_iter().flatten());
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter()
            .filter_map(|i| self.project.services.get_index(i).map(|(n, _)| n))
            .filter(|n| *n != name)
            .collect()
    }
}

/// The segments of `value` that stand where a host name can: preceded by the start or a
/// `BEFORE` delimiter, followed by the end or an `AFTER` one, no delimiter inside.
fn hosts(value: &str) -> impl Iterator<Item = &str> {
    let bytes = value.as_bytes();
    let mut start = 0;
    let mut out = Vec::new();
    for end in 0..=bytes.len() {
        if end < bytes.len() && !is_delimiter(bytes[end]) {
            continue;
        }
        let before_ok = start == 0 || BEFORE.contains(&bytes[start - 1]);
        let after_ok = end == bytes.len() || AFTER.contains(&bytes[end]);
        if end > start && before_ok && after_ok {
            out.push(&value[start..end]);
        }
        start = end + 1;
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_agree_with_the_scan() {
        let values = [
            "postgres://app:pw@db:5432/x?sslmode=disable",
            "redis://cache_1:6379/0",
            "db",
            "http://api-1/healthz",
            "x=db,y=\"cache\"",
            "db?x",
            "dbx:1 adb:2 db.local:3",
            "@@db@",
            "",
        ];
        for v in values {
            for host in [
                "db", "cache_1", "api-1", "cache", "db.local", "x", "app", "pw",
            ] {
                assert_eq!(
                    hosts(v).any(|h| h == host),
                    mentions_host(v, host),
                    "{v:?} / {host:?}"
                );
            }
        }
    }
}
