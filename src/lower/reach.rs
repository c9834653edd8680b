//! After every service is lowered: the connections the output makes by name still arrive.
//!
//! Takes the lowered objects and changes them in place, with a warning for each change:
//! - Ports from converted config files. A ConfigMap a pod mounts is a config file (whatever
//!   made it: `configs:`, a bind-mounted file or folder); where it dials a service
//!   ([`dials`]: nginx `proxy_pass`/`server`, Caddy `reverse_proxy`, Envoy `address` +
//!   `port_value`, Prometheus `targets`, URLs), that service's Service serves the port and its
//!   container declares it (`L075`); one with no Service gets one (headless when no port is
//!   known, `L076`).
//! - Names. A Compose name that is not a DNS label (`relational_db`) names a Service that
//!   cannot exist; where a value or config file dials it as a host, the host is rewritten to
//!   the Kubernetes name (`relational-db`), exactly at the host's place (`L077`). Other words
//!   (`POSTGRES_DB=relational_db`) are left alone.

use super::Ctx;
use super::dials::{self, Dial, Text};
use super::names;
use super::object::Object;
use crate::hash::FastMap;
use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec};
use std::collections::{BTreeMap, BTreeSet};

/// How pods read a ConfigMap.
#[derive(Default)]
struct Readers {
    /// ConfigMap → the workloads that mount it as files.
    files: BTreeMap<String, BTreeSet<String>>,
    /// ConfigMaps read as environment (`envFrom`).
    env: BTreeSet<String>,
    /// Secrets read as environment (`secretKeyRef`, `envFrom`): credentials that dial a
    /// service (`postgres://app:pw@relational_db/...`) are values like any other.
    secret_env: BTreeSet<String>,
    /// Secrets mounted as files.
    secret_files: BTreeSet<String>,
}

fn readers(objects: &[Object]) -> Readers {
    let mut r = Readers::default();
    for o in objects {
        let Some(spec) = o.pod_spec() else { continue };
        for v in spec.volumes.iter().flatten() {
            let mut maps: Vec<&str> = Vec::new();
            if let Some(cm) = &v.config_map {
                maps.push(&cm.name);
            }
            for s in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
                if let Some(cm) = &s.config_map {
                    maps.push(&cm.name);
                }
            }
            for m in maps {
                let list = r.files.entry(m.to_string()).or_default();
                list.insert(o.name().to_string());
            }
            if let Some(name) = v.secret.as_ref().and_then(|s| s.secret_name.as_ref()) {
                r.secret_files.insert(name.clone());
            }
            for p in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
                if let Some(sec) = &p.secret {
                    r.secret_files.insert(sec.name.clone());
                }
            }
        }
        for c in containers(spec) {
            for e in c.env_from.iter().flatten() {
                if let Some(cm) = &e.config_map_ref {
                    r.env.insert(cm.name.clone());
                }
                if let Some(sec) = &e.secret_ref {
                    r.secret_env.insert(sec.name.clone());
                }
            }
            let refs = c.env.iter().flatten().filter_map(|e| e.value_from.as_ref());
            for sel in refs.filter_map(|v| v.secret_key_ref.as_ref()) {
                r.secret_env.insert(sel.name.clone());
            }
        }
    }
    r
}

fn containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
}

/// The post-pass: ports learned from config files, Services for the other names services
/// are dialled by, then names rewritten.
pub(crate) fn finish(cx: &mut Ctx<'_>) {
    let r = readers(&cx.objects);
    learn_ports(cx, &r);
    // Old host → (new host, the service it names).
    let mut renamed: FastMap<String, (String, String)> = cx
        .project
        .services
        .iter()
        .filter(|(n, s)| super::is_sidecar_of(s).is_none() && cx.names[*n] != **n)
        .map(|(n, _)| (n.clone(), (cx.names[n].clone(), n.clone())))
        .collect();
    renamed.extend(alias_services(cx, &r));
    rename(cx, &r, &renamed);
}

/// Every host `is_name` accepts that the output dials: in env values, commands and arguments,
/// and the ConfigMaps pods read.
fn dialled(objects: &[Object], r: &Readers, is_name: &dyn Fn(&str) -> bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |text: &str, kind: Text<'_>| {
        out.extend(
            dials::dials(text, kind, is_name)
                .into_iter()
                .map(|d| d.host.to_string()),
        );
    };
    for o in objects {
        match o {
            Object::ConfigMap(cm) if r.files.contains_key(o.name()) || r.env.contains(o.name()) => {
                let as_file = r.files.contains_key(o.name());
                for (key, text) in cm.data.iter().flatten() {
                    add(text, if as_file { Text::File } else { Text::Env(key) });
                }
            }
            _ => {
                for c in o.pod_spec().into_iter().flat_map(containers) {
                    for e in c.env.iter().flatten() {
                        if let Some(v) = &e.value {
                            add(v, Text::Env(&e.name));
                        }
                    }
                    for w in c.command.iter().chain(c.args.iter()).flatten() {
                        add(w, Text::Arg);
                    }
                }
            }
        }
    }
    out
}

/// A Service under each `container_name` and network alias others dial (Compose's DNS answers
/// to those too): the same pods and ports as the service's own. Returns the aliases that are
/// not DNS labels, with the name their Service got and the service, for [`rename`].
fn alias_services(cx: &mut Ctx<'_>, r: &Readers) -> Vec<(String, (String, String))> {
    let mut taken: BTreeSet<String> = cx.project.services.keys().cloned().collect();
    taken.extend(cx.names.values().cloned());
    taken.extend(
        cx.objects
            .iter()
            .filter(|o| o.kind() == "Service")
            .map(|o| o.name().to_string()),
    );
    // Alias → the service it names (the first one, when two claim it).
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    for (name, svc) in &cx.project.services {
        if super::is_sidecar_of(svc).is_some() {
            continue;
        }
        let nets = svc
            .networks
            .values()
            .flatten()
            .flat_map(|n| n.aliases.iter());
        for a in svc.container_name.iter().chain(nets) {
            if !taken.contains(a) {
                aliases.entry(a.clone()).or_insert_with(|| name.clone());
            }
        }
    }
    if aliases.is_empty() {
        return Vec::new();
    }
    let used = dialled(&cx.objects, r, &|h| aliases.contains_key(h));
    let mut renamed = Vec::new();
    for alias in used {
        let svc = &aliases[&alias];
        let k8s = cx.names[svc].clone();
        let object_name = names::service_name(&alias);
        if taken.contains(&object_name) {
            continue;
        }
        if served_ports(&cx.objects, &k8s).is_none() {
            let compose = &cx.project.services[svc];
            super::service::learned(cx, svc, compose, &[]);
        }
        let Some(mut copy) = cx
            .objects
            .iter()
            .find(|o| o.kind() == "Service" && o.name() == k8s)
            .cloned()
        else {
            continue;
        };
        if let Object::Service(s) = &mut copy {
            s.metadata.name = Some(object_name.clone());
        }
        cx.objects.push(copy);
        taken.insert(object_name.clone());
        cx.warn("L078", svc, &[], format!(
            "the project dials `{svc}` as `{alias}` (its container name or network alias, which Compose resolves); a Service `{object_name}` with the same pods and ports makes that name resolve"
        ));
        if object_name != alias {
            renamed.push((alias, (object_name, svc.clone())));
        }
    }
    renamed
}

/// Ports the mounted config files dial services on, served by their Services.
fn learn_ports(cx: &mut Ctx<'_>, r: &Readers) {
    // A host a config file may dial: a service's Compose or Kubernetes name.
    let mut hosts: FastMap<&str, &str> = FastMap::default();
    for (name, svc) in &cx.project.services {
        if super::is_sidecar_of(svc).is_none() {
            hosts.insert(name, name);
            hosts.insert(&cx.names[name], name);
        }
    }
    // Service → port (None: none written) → the first file that dials it there.
    let mut wanted: BTreeMap<&str, BTreeMap<Option<u32>, String>> = BTreeMap::new();
    for o in &cx.objects {
        let Object::ConfigMap(cm) = o else { continue };
        if !r.files.contains_key(o.name()) {
            continue;
        }
        for (key, text) in cm.data.iter().flatten() {
            for d in dials::dials(text, Text::File, &|h| hosts.contains_key(h)) {
                let svc = hosts[d.host];
                let file = format!("`{key}` (ConfigMap `{}`)", o.name());
                wanted.entry(svc).or_default().entry(d.port).or_insert(file);
            }
        }
    }
    for (svc, ports) in wanted {
        let k8s = cx.names[svc].clone();
        let known: Vec<(u32, &String)> =
            ports.iter().filter_map(|(p, f)| Some(((*p)?, f))).collect();
        let served = served_ports(&cx.objects, &k8s);
        let Some(served) = served else {
            let compose = &cx.project.services[svc];
            let list: Vec<u32> = known.iter().map(|(p, _)| *p).collect();
            let file = ports.values().next().cloned().unwrap_or_default();
            super::service::learned(cx, svc, compose, &list);
            add_container_ports(&mut cx.objects, &k8s, &list);
            let msg = if list.is_empty() {
                format!(
                    "the config file {file} dials `{svc}`, which declares no port and none is known: a headless Service gives the name to the pod, any port (declare `expose` to give the Service its ports)"
                )
            } else {
                format!(
                    "the config file {file} dials `{svc}` on {}, which it does not declare: its container and a Service expose it",
                    join(&list)
                )
            };
            cx.warn(if list.is_empty() { "L076" } else { "L075" }, svc, &[], msg);
            continue;
        };
        let missing: Vec<(u32, &String)> = known
            .into_iter()
            .filter(|(p, _)| !served.contains(p))
            .collect();
        // A headless Service without ports already reaches the pod on any port.
        if missing.is_empty() || served.is_empty() {
            continue;
        }
        let list: Vec<u32> = missing.iter().map(|(p, _)| *p).collect();
        let files: BTreeSet<&String> = missing.iter().map(|(_, f)| *f).collect();
        add_service_ports(&mut cx.objects, &k8s, &list);
        add_container_ports(&mut cx.objects, &k8s, &list);
        let files: Vec<&str> = files.into_iter().map(String::as_str).collect();
        cx.warn("L075", svc, &[], format!(
            "the config file {} dials `{svc}` on {}, which it does not declare: its container and Service expose {} too (add them to `expose` to say so)",
            files.join(", "),
            join(&list),
            join(&list)
        ));
    }
}

fn join(ports: &[u32]) -> String {
    ports
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The TCP ports the Service `name` serves, or None when there is no such Service.
fn served_ports(objects: &[Object], name: &str) -> Option<BTreeSet<u32>> {
    objects.iter().find_map(|o| match o {
        Object::Service(s) if o.name() == name => Some(
            s.spec
                .iter()
                .flat_map(|s| s.ports.iter().flatten())
                .filter(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
                .map(|p| p.port as u32)
                .collect(),
        ),
        _ => None,
    })
}

fn add_service_ports(objects: &mut [Object], name: &str, ports: &[u32]) {
    for o in objects.iter_mut() {
        if let Object::Service(s) = o
            && s.metadata.name.as_deref() == Some(name)
            && let Some(spec) = s.spec.as_mut()
        {
            let list = spec.ports.get_or_insert_with(Vec::new);
            list.extend(ports.iter().map(|&p| super::service::tcp_port(p)));
        }
    }
}

fn add_container_ports(objects: &mut [Object], workload: &str, ports: &[u32]) {
    for o in objects.iter_mut() {
        if o.pod_spec().is_none() || o.name() != workload {
            continue;
        }
        let Some(c) = o
            .pod_template_mut()
            .and_then(|t| t.spec.as_mut())
            .and_then(|s| s.containers.first_mut())
        else {
            continue;
        };
        let list = c.ports.get_or_insert_with(Vec::new);
        for &p in ports {
            if !list.iter().any(|c| c.container_port == p as i32) {
                list.push(ContainerPort {
                    container_port: p as i32,
                    name: Some(names::port_name("tcp", p)),
                    protocol: Some("TCP".into()),
                    ..Default::default()
                });
            }
        }
    }
}

/// Rewrite the hosts that dial a name which is not its Service's name (`renamed`: old → new).
fn rename(cx: &mut Ctx<'_>, r: &Readers, renamed: &FastMap<String, (String, String)>) {
    if renamed.is_empty() {
        return;
    }
    let is_name = |h: &str| renamed.contains_key(h);
    // Compose name → where its dials were rewritten.
    let mut done: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in cx.objects.iter_mut() {
        let name = o.name().to_string();
        match o {
            Object::ConfigMap(cm) => {
                let as_file = r.files.contains_key(&name);
                if !as_file && !r.env.contains(&name) {
                    continue;
                }
                for (key, text) in cm.data.iter_mut().flatten() {
                    let kind = if as_file { Text::File } else { Text::Env(key) };
                    for host in rewrite(text, kind, &is_name, renamed) {
                        let list = done.entry(host).or_default();
                        list.insert(format!("ConfigMap `{name}`"));
                    }
                }
            }
            Object::Secret(sec) => {
                let as_env = r.secret_env.contains(&name);
                if !as_env && !r.secret_files.contains(&name) {
                    continue;
                }
                for (key, bytes) in sec.data.iter_mut().flatten() {
                    let Ok(mut text) = String::from_utf8(bytes.0.clone()) else {
                        continue;
                    };
                    let kind = if as_env { Text::Env(key) } else { Text::File };
                    let hosts = rewrite(&mut text, kind, &is_name, renamed);
                    if hosts.is_empty() {
                        continue;
                    }
                    bytes.0 = text.into_bytes();
                    for host in hosts {
                        let list = done.entry(host).or_default();
                        list.insert(format!("Secret `{name}`"));
                    }
                }
            }
            _ => {
                let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
                    continue;
                };
                let all = spec
                    .init_containers
                    .iter_mut()
                    .flatten()
                    .chain(spec.containers.iter_mut());
                for c in all {
                    let mut hit = Vec::new();
                    for e in c.env.iter_mut().flatten() {
                        if let Some(v) = e.value.as_mut() {
                            hit.extend(rewrite(v, Text::Env(&e.name), &is_name, renamed));
                        }
                    }
                    for w in c.command.iter_mut().chain(c.args.iter_mut()).flatten() {
                        hit.extend(rewrite(w, Text::Arg, &is_name, renamed));
                    }
                    for host in hit {
                        let list = done.entry(host).or_default();
                        list.insert(format!("`{name}`"));
                    }
                }
            }
        }
    }
    for (old, places) in done {
        let (new, at) = &renamed[&old];
        let places: Vec<&str> = places.iter().map(String::as_str).collect();
        cx.warn("L077", at, &[], format!(
            "`{old}` is not a valid Service name, so the hosts that dial it in {} are rewritten to `{new}`, the Service's name (URL hosts, `{old}:PORT`, host variables and proxy entries; other words are left alone)",
            places.join(", ")
        ));
    }
}

/// Rewrite the dialled hosts of `text` in place; the old names rewritten.
fn rewrite(
    text: &mut String,
    kind: Text<'_>,
    is_name: &dyn Fn(&str) -> bool,
    renamed: &FastMap<String, (String, String)>,
) -> Vec<String> {
    let mut found: Vec<(usize, usize, String)> = dials::dials(text, kind, is_name)
        .into_iter()
        .map(|d: Dial<'_>| (d.start, d.end(), d.host.to_string()))
        .collect();
    found.dedup_by_key(|f| f.0);
    // From the end, so earlier spans keep their place.
    for (start, end, host) in found.iter().rev() {
        text.replace_range(*start..*end, &renamed[host].0);
    }
    found.into_iter().map(|(_, _, h)| h).collect()
}
