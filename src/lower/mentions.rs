//! Who reaches whom: an index, built once per lowering, of the services whose environment
//! names another service as a host and of the `depends_on` edges, so that asking "who uses
//! service X" costs a lookup instead of a scan of every value of every service.
//!
//! The ports others dial a service on (`http://ollama:11434`, `PLAINTEXT://kafka:29092`,
//! `--advertise-addr kafka:33145`, `postgres://db/x` by its scheme) are recorded too, from the
//! environment and the command and entrypoint ([`super::dials`]): it is where the others
//! expect the named service to listen.
//!
//! A host mention is what [`super::mentions_host`] accepts: the name between a delimiter
//! that may precede a host (`/ @ = space , " '`, or the start) and one that may follow it
//! (`: / space , " ' ?`, or the end). Compose service names contain none of those
//! delimiters, so each mention is exactly one delimiter-free segment of a value and the index
//! keys on the segments that are service names (the only hosts asked about); a name that
//! does contain one (possible only for a project built by hand) falls back to the scan.

use super::dials::{self, Text};
use super::mentions_host;
use crate::compose::model::Project;
use crate::hash::{FastMap, FastSet};

const BEFORE: &[u8] = b"/@= ,\"'";
const AFTER: &[u8] = b":/ ,\"'?";

fn is_delimiter(b: u8) -> bool {
    BEFORE.contains(&b) || AFTER.contains(&b)
}

pub(crate) struct Mentions<'a> {
    project: &'a Project,
    /// Service name → indices (in service order, once each) of the services naming it as a
    /// host.
    by_host: FastMap<&'a str, Vec<usize>>,
    /// Service name → indices of the services that depend on it.
    dependents: FastMap<&'a str, Vec<usize>>,
    /// Service name → the ports it is dialled on, in order, once each.
    ports: FastMap<&'a str, Vec<u32>>,
    /// Service names dialled as a host in any form (with or without a port).
    dialled: FastSet<&'a str>,
}

impl<'a> Mentions<'a> {
    pub fn new(project: &'a Project) -> Self {
        let mut by_host: FastMap<&str, Vec<usize>> = FastMap::default();
        let mut dependents: FastMap<&str, Vec<usize>> = FastMap::default();
        let mut ports: FastMap<&str, Vec<u32>> = FastMap::default();
        let mut dialled: FastSet<&str> = FastSet::default();
        // Only services are ever asked about: the other segments of a value (schemes, users,
        // paths, words) are not kept.
        let services: FastSet<&str> = project.services.keys().map(String::as_str).collect();
        let is_service = |h: &str| services.contains(h);
        for (i, svc) in project.services.values().enumerate() {
            for value in svc.environment.values().flatten() {
                for host in hosts(value) {
                    if !services.contains(host) {
                        continue;
                    }
                    let list = by_host.entry(host).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
            let env = svc
                .environment
                .iter()
                .filter_map(|(k, v)| Some((v.as_deref()?, Text::Env(k))));
            let words = [&svc.command, &svc.entrypoint]
                .into_iter()
                .flatten()
                .flatten()
                .map(|w| (w.as_str(), Text::Arg));
            for (text, kind) in env.chain(words) {
                for d in dials::dials(text, kind, &is_service) {
                    let Some((host, _)) = project.services.get_key_value(d.host) else {
                        continue;
                    };
                    dialled.insert(host.as_str());
                    if let Some(p) = d.port {
                        let list = ports.entry(host.as_str()).or_default();
                        if !list.contains(&p) {
                            list.push(p);
                        }
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
            ports,
            dialled,
        }
    }

    /// The ports the environment, command or entrypoint of any service (the named one
    /// included) dials the service `host` on, in the order they first appear.
    pub fn ports_of(&self, host: &str) -> &[u32] {
        self.ports.get(host).map_or(&[], Vec::as_slice)
    }

    /// Whether any service dials `host` as a host ([`dials`]), or another service names it
    /// in its environment.
    pub fn is_dialled(&self, host: &str) -> bool {
        self.dialled.contains(host)
            || self.naming(host).into_iter().any(|i| {
                self.project
                    .services
                    .get_index(i)
                    .is_some_and(|(n, _)| n != host)
            })
    }

    /// Whether another service depends on `host`.
    pub fn has_dependents(&self, host: &str) -> bool {
        self.dependents.contains_key(host)
    }

    /// The indices of the services whose environment names the service `host`, in service
    /// order. Only service names are indexed: any other host names nobody.
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
    let mut end = 0;
    // Lazily, segment by segment: every environment value of every service goes through here.
    std::iter::from_fn(move || {
        while end <= bytes.len() {
            let at = end;
            end += 1;
            if at < bytes.len() && !is_delimiter(bytes[at]) {
                continue;
            }
            let from = start;
            start = at + 1;
            let before_ok = from == 0 || BEFORE.contains(&bytes[from - 1]);
            let after_ok = at == bytes.len() || AFTER.contains(&bytes[at]);
            if at > from && before_ok && after_ok {
                return Some(&value[from..at]);
            }
        }
        None
    })
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
