//! Classification: each service of a [`Project`] is stateful (it stays on the Compose host in
//! stage 1) or stateless (it moves first), with the reasons recorded, and the services it
//! reaches by name.
//!
//! Rules, in order: an explicit `x-kubeferry: {stateful: …}` or `kubeferry.stateful` label wins;
//! else a read-write named volume or a read-write bind-mounted data directory makes a service
//! stateful, and so does a well-known datastore image (Redis, Valkey and NATS only with
//! persistence switched on). A sidecar (`network_mode: service:X`) shares its pod, so it shares
//! the stage of `X`.

use super::engine::Engine;
use crate::compose::FileSystem;
use crate::compose::model::{Project, Service, ServiceVolume, VolumeType};
use crate::lower::{is_sidecar_of, mentions_host};
use indexmap::IndexMap;
use serde::Serialize;

/// Where a service keeps data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataVolume {
    /// `volume` (a named volume) or `bind` (a host directory).
    pub kind: &'static str,
    /// The volume name, or the host path relative to the project folder.
    pub source: String,
    /// The path in the container.
    pub target: String,
}

/// The verdict on one service.
#[derive(Clone, Debug, Serialize)]
pub struct Class {
    /// Whether the service keeps state, and so stays on the Compose host in stage 1.
    pub stateful: bool,
    /// Why, in the order the rules matched; never empty.
    pub reasons: Vec<String>,
    /// The database or queue engine recognised from the image, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// Where the service keeps data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<DataVolume>,
    /// Other services this one reaches by name (depends_on, links, environment, command).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reaches: Vec<String>,
}

/// Every service's verdict, in the project's service order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Classification {
    /// Each service's verdict, by service name.
    pub services: IndexMap<String, Class>,
}

impl Classification {
    /// Whether `svc` keeps state (an unknown service does not).
    pub fn is_stateful(&self, svc: &str) -> bool {
        self.services.get(svc).is_some_and(|c| c.stateful)
    }

    /// The stateful services that `svc` reaches (the ones it needs a bridge to in stage 1).
    pub fn stay_behind_reached_by(&self, svc: &str) -> Vec<String> {
        self.services
            .get(svc)
            .map(|c| {
                c.reaches
                    .iter()
                    .filter(|r| self.is_stateful(r))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Classify every service of the project. `fs` tells bind-mounted files from directories.
pub fn classify(project: &Project, fs: &dyn FileSystem) -> Classification {
    let mut services: IndexMap<String, Class> = project
        .services
        .iter()
        .map(|(name, svc)| (name.clone(), one(project, name, svc, fs)))
        .collect();
    // A sidecar runs in its host's pod: the pod is stateful if either container is.
    for (name, svc) in &project.services {
        let Some(host) = is_sidecar_of(svc) else {
            continue;
        };
        let (Some(side), Some(h)) = (services.get(name).cloned(), services.get(host).cloned())
        else {
            continue;
        };
        if side.stateful && !h.stateful {
            let hc = &mut services[host];
            hc.stateful = true;
            hc.reasons = vec![format!(
                "its pod also runs `{name}` (network_mode: service:{host}), which is stateful"
            )];
        }
        let host_stateful = services[host].stateful;
        let sc = &mut services[name.as_str()];
        if sc.stateful != host_stateful {
            sc.stateful = host_stateful;
            sc.reasons = vec![format!(
                "runs in the pod of `{host}` (network_mode: service:{host}), so it moves with it"
            )];
        }
    }
    Classification { services }
}

fn one(project: &Project, name: &str, svc: &Service, fs: &dyn FileSystem) -> Class {
    let by_image = svc.image.as_deref().and_then(Engine::of_image);
    // A fork or a private build of a datastore often keeps the service name (`minio`).
    let by_name = Engine::of_image(name).filter(|_| by_image.is_none());
    let engine = by_image.or(by_name);
    let data: Vec<DataVolume> = svc
        .volumes
        .iter()
        .filter_map(|v| data_volume(project, v, fs))
        .collect();
    let reaches = reaches(project, name, svc);
    if let Some(explicit) = svc.settings.stateful {
        let source = if svc.labels.contains_key("kubeferry.stateful") {
            "label kubeferry.stateful"
        } else {
            "x-kubeferry.stateful"
        };
        return Class {
            stateful: explicit,
            reasons: vec![format!("{source}: {explicit} (set in the Compose file)")],
            engine,
            data,
            reaches,
        };
    }
    let mut reasons = Vec::new();
    for d in &data {
        reasons.push(match d.kind {
            "volume" => format!(
                "named volume `{}` mounted read-write at {}",
                d.source, d.target
            ),
            _ => format!(
                "host directory {} bind-mounted read-write at {}",
                d.source, d.target
            ),
        });
    }
    if let (Some(e), Some(image)) = (by_name, svc.image.as_deref())
        && (!e.persistence_optional() || !data.is_empty())
    {
        reasons.push(format!(
            "named `{name}` (image {image} is not one kubeferry knows): taken for {}",
            e.title()
        ));
    }
    if let Some(e) = by_image {
        if !e.persistence_optional() {
            reasons.push(format!("{} image: a datastore", e.title()));
        } else if let Some(why) = persistence(svc, e, !data.is_empty()) {
            reasons.push(format!("{} image with persistence ({why})", e.title()));
        }
    }
    if reasons.is_empty() {
        let scratch: Vec<String> = svc
            .volumes
            .iter()
            .filter(|v| !v.read_only && v.source.is_some() && scratch(&v.target))
            .map(|v| v.target.clone())
            .collect();
        let why = match engine {
            Some(Engine::Nats) => "NATS without JetStream (no -js): keeps no data".to_string(),
            Some(e) => format!(
                "{} without persistence (no volume, no --appendonly yes or --save): a cache",
                e.title()
            ),
            None if !scratch.is_empty() => format!(
                "mounts only caches, logs or configuration ({}), and no datastore image",
                scratch.join(", ")
            ),
            None => "no data volume and no datastore image".to_string(),
        };
        return Class {
            stateful: false,
            reasons: vec![why],
            engine,
            data,
            reaches,
        };
    }
    Class {
        stateful: true,
        reasons,
        engine,
        data,
        reaches,
    }
}

/// How a Redis, Valkey or NATS service persists, if it does.
fn persistence(svc: &Service, e: Engine, has_volume: bool) -> Option<String> {
    // Exec-form arguments stay whole (`--save ""` is an empty argument); a shell-form string
    // is split on whitespace.
    let args: Vec<&str> = svc
        .entrypoint
        .iter()
        .flatten()
        .chain(svc.command.iter().flatten())
        .flat_map(|a| {
            if a.contains(char::is_whitespace) {
                a.split_whitespace().collect()
            } else {
                vec![a.as_str()]
            }
        })
        .collect();
    if e == Engine::Nats {
        return args
            .iter()
            .any(|a| matches!(*a, "-js" | "--jetstream"))
            .then(|| "JetStream enabled".to_string());
    }
    let flag_value = |flag: &str| {
        args.iter()
            .position(|a| *a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.trim_matches(['"', '\'']))
            .filter(|v| !v.starts_with("--"))
    };
    if flag_value("--appendonly").is_some_and(|v| v.eq_ignore_ascii_case("yes")) {
        return Some("--appendonly yes".into());
    }
    if flag_value("--save").is_some_and(|v| !v.is_empty()) {
        return Some("--save".into());
    }
    has_volume.then(|| "a data volume".to_string())
}

/// Whether a mount holds data: a read-write named volume, or a read-write bind of a host
/// directory that is not a socket, a device or configuration.
fn data_volume(project: &Project, v: &ServiceVolume, fs: &dyn FileSystem) -> Option<DataVolume> {
    if v.read_only || scratch(&v.target) {
        return None;
    }
    let source = v.source.as_deref()?;
    match v.kind {
        VolumeType::Volume => Some(DataVolume {
            kind: "volume",
            source: source.to_string(),
            target: v.target.clone(),
        }),
        VolumeType::Bind if bind_holds_data(source, &v.target, fs) => Some(DataVolume {
            kind: "bind",
            source: relative(source, &project.working_dir),
            target: v.target.clone(),
        }),
        _ => None,
    }
}

/// A mount target that holds caches, logs or scratch files: losing it loses no data.
fn scratch(target: &str) -> bool {
    const PARTS: &[&str] = &["cache", ".cache", "caches", "log", "logs", "tmp", "temp"];
    const PREFIXES: &[&str] = &["/var/log", "/var/cache", "/tmp"];
    target.split('/').any(|c| PARTS.contains(&c))
        || PREFIXES
            .iter()
            .any(|p| target == *p || target.starts_with(&format!("{p}/")))
}

fn bind_holds_data(source: &str, target: &str, fs: &dyn FileSystem) -> bool {
    const SYSTEM: &[&str] = &["/var/run/", "/run/", "/dev/", "/proc/", "/sys/", "/etc/"];
    const CONFIG_TARGETS: &[&str] = &["/etc/", "/docker-entrypoint-initdb.d", "/usr/share/"];
    const CONFIG_DIRS: &[&str] = &["conf", "config", "configs", "conf.d", "certs", "ssl"];
    let last = target
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let looks_like_file = |p: &str| {
        let last = p.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        // `nginx.conf`, `init.sql`; not `.git` or `data`.
        last.rfind('.')
            .is_some_and(|i| i > 0 && last[i + 1..].chars().any(|c| c.is_ascii_alphabetic()))
    };
    let is_system = |p: &str| {
        SYSTEM
            .iter()
            .any(|s| p.starts_with(s) || p == s.trim_end_matches('/'))
    };
    !(fs.exists(source)
        || is_system(source)
        || source.ends_with(".sock")
        || CONFIG_TARGETS.iter().any(|t| target.starts_with(t))
        || CONFIG_DIRS.contains(&last)
        || looks_like_file(source)
        || looks_like_file(target))
}

fn relative(path: &str, base: &str) -> String {
    match path.strip_prefix(base) {
        Some("") => ".".into(),
        Some(rest) if rest.starts_with('/') => format!(".{rest}"),
        _ => path.to_string(),
    }
}

/// The other services `svc` reaches: depends_on, links, or its name as a host in an environment
/// value, the command or the entrypoint.
fn reaches(project: &Project, name: &str, svc: &Service) -> Vec<String> {
    let args = arguments(svc);
    project
        .services
        .keys()
        .filter(|other| *other != name)
        .filter(|other| {
            let other_svc = &project.services[other.as_str()];
            let by_name = |host: &str| uses_host(svc, &args, host);
            // Waiting for a one-shot job to finish is not reaching it over the network.
            svc.depends_on
                .get(*other)
                .is_some_and(|d| d.condition != "service_completed_successfully")
                || svc
                    .links
                    .iter()
                    .any(|l| l.split(':').next() == Some(other.as_str()))
                || by_name(other)
                || host_names(other, other_svc).iter().any(|h| by_name(h))
        })
        .cloned()
        .collect()
}

/// The other names a service answers to on its Compose networks: its `container_name` and its
/// network aliases, without duplicates and without the service name itself.
pub fn host_names(name: &str, svc: &Service) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let aliases = svc.networks.values().flatten().flat_map(|n| &n.aliases);
    for h in svc.container_name.iter().chain(aliases) {
        if h != name && !out.contains(h) {
            out.push(h.clone());
        }
    }
    out
}

/// The names of `target` (its service name, container name or aliases) that `user` uses as
/// host names in its environment, command or entrypoint.
pub fn names_used(user: &Service, target: &str, target_svc: &Service) -> Vec<String> {
    let args = arguments(user);
    host_names(target, target_svc)
        .into_iter()
        .filter(|h| uses_host(user, &args, h))
        .collect()
}

/// The entrypoint, then the command.
fn arguments(svc: &Service) -> Vec<&String> {
    svc.entrypoint
        .iter()
        .flatten()
        .chain(svc.command.iter().flatten())
        .collect()
}

/// Whether the service's environment or arguments (`args`: entrypoint then command) name
/// `host` as a host.
fn uses_host(svc: &Service, args: &[&String], host: &str) -> bool {
    svc.environment.iter().any(|(k, v)| {
        v.as_deref()
            .is_some_and(|v| names_host(v, host, || host_key(k)))
    }) || args
        .iter()
        .enumerate()
        .any(|(i, a)| names_host(a, host, || i > 0 && host_flag(args[i - 1])))
}

/// Whether `value` names `host`. A value that is exactly the name (`POSTGRES_USER=agent`) counts
/// only where the context says it is a host (`DB_HOST=db`, `--host db`).
fn names_host(value: &str, host: &str, host_context: impl Fn() -> bool) -> bool {
    if value == host {
        return host_context();
    }
    mentions_host(value, host)
}

fn host_key(key: &str) -> bool {
    const HINTS: &[&str] = &[
        "HOST", "ADDR", "URL", "URI", "SERVER", "ENDPOINT", "DSN", "BROKER", "NODE", "PEER",
        "UPSTREAM", "BACKEND", "REMOTE", "SERVICE",
    ];
    let k = key.to_ascii_uppercase();
    HINTS.iter().any(|h| k.contains(h))
}

fn host_flag(arg: &str) -> bool {
    let a = arg.trim_start_matches('-').to_ascii_lowercase();
    arg.starts_with('-')
        && (a == "h"
            || [
                "host", "server", "url", "addr", "broker", "endpoint", "peer", "upstream",
            ]
            .iter()
            .any(|h| a.contains(h)))
}
