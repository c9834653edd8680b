//! Bridges: in stage 1, each stateful service that a moved service reaches keeps its address
//! inside the cluster (`db:5432`) through a Service of the same name that points at the Compose
//! host. This module works out the ports (the port clients dial, the port the Compose host
//! publishes) and builds the objects.

use super::classify::Classification;
use crate::compose::model::{Project, Service};
use crate::diag::{Diagnostic, Location};
use crate::lower::names;
use crate::lower::{Object, is_sidecar_of};
use k8s_openapi::api::core::v1::{Service as KService, ServicePort, ServiceSpec};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// The label that marks bridge objects, so they can be found and deleted after stage 2.
pub const BRIDGE_LABEL: &str = "kubeferry.io/bridge";
pub const BRIDGE_VALUE: &str = "compose-host";

/// Where the stay-behind services run, as the cluster reaches it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ComposeHost {
    /// An IP address the cluster can route to.
    Ip(IpAddr),
    /// A DNS name the cluster resolves.
    Name(String),
}

impl ComposeHost {
    /// Parse `--compose-host`: an IP address the cluster can route to, or a DNS name.
    pub fn parse(s: &str) -> Result<ComposeHost, String> {
        if let Ok(ip) = s.trim_matches(['[', ']']).parse::<IpAddr>() {
            let unusable = ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                || match ip {
                    IpAddr::V4(v4) => v4.is_link_local() || v4.is_broadcast(),
                    IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
                };
            if unusable {
                return Err(format!(
                    "--compose-host `{s}` is not an address the cluster's pods can reach: give the Compose host's address on the network the cluster nodes share"
                ));
            }
            return Ok(ComposeHost::Ip(ip));
        }
        let name = s.trim_end_matches('.');
        if name == "localhost" || name.ends_with(".localhost") {
            return Err(format!(
                "--compose-host `{s}` names the pod itself, not the Compose host: give the Compose host's address or DNS name"
            ));
        }
        let ok = !name.is_empty()
            && name.len() <= 253
            && name
                .split('.')
                .all(|l| !l.is_empty() && names::dns_label(l) == l);
        if ok {
            Ok(ComposeHost::Name(name.to_string()))
        } else {
            Err(format!(
                "--compose-host `{s}` is neither an IP address nor a lowercase DNS name"
            ))
        }
    }
}

impl std::fmt::Display for ComposeHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ComposeHost::Ip(ip) => write!(f, "{ip}"),
            ComposeHost::Name(n) => write!(f, "{n}"),
        }
    }
}

/// One port of a bridge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BridgePort {
    /// The port clients dial (the container port, as on the Compose network).
    pub port: u32,
    /// The port the Compose host publishes it on.
    pub host_port: u32,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// Whether the Compose file already publishes it where the cluster can reach it; if not,
    /// the override file does.
    pub published_by_compose: bool,
}

/// A stay-behind service that moved services reach.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bridge {
    /// The Compose service name.
    pub service: String,
    /// The Kubernetes name (of the Service that stands in for it).
    pub name: String,
    /// The moved services that reach it.
    pub used_by: Vec<String>,
    /// The ports the moved services use.
    pub ports: Vec<BridgePort>,
    /// Other names the moved services dial it by (its `container_name` or a network alias):
    /// each gets a bridge Service of its own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// A reverse bridge: a moved service that services staying on the Compose host reach. The
/// cluster exposes it on a LoadBalancer Service (`<name>-from-compose-host`) on the ports they
/// dial, and the override file maps its names to the cluster's address (`extra_hosts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReverseBridge {
    /// The Compose service name of the moved service.
    pub service: String,
    /// The name of its LoadBalancer Service.
    pub name: String,
    /// The Kubernetes name of the moved service (its pods' name label).
    pub target: String,
    /// The services staying on the Compose host that reach it.
    pub used_by: Vec<String>,
    /// The host names they dial it by (the service name, and any alias or container name).
    pub hosts: Vec<String>,
    /// (port, protocol): the ports they dial, served on the same ports.
    pub ports: Vec<(u32, String)>,
}

/// The reverse bridges of stage 1, and a warning for each moved service reached from the
/// Compose host without a known port.
pub fn reverse_bridges(
    project: &Project,
    cls: &Classification,
) -> (Vec<ReverseBridge>, Vec<Diagnostic>) {
    let implied = crate::lower::implied_ports_by_service(project);
    let mut out: Vec<ReverseBridge> = Vec::new();
    let mut warnings = Vec::new();
    for (name, svc) in &project.services {
        if cls.is_stateful(name) || is_sidecar_of(svc).is_some() {
            continue;
        }
        let used_by: Vec<String> = cls
            .services
            .iter()
            .filter(|(_, c)| c.stateful && c.reaches.iter().any(|r| r == name))
            .map(|(s, _)| s.clone())
            .collect();
        if used_by.is_empty() {
            continue;
        }
        let ports: Vec<(u32, String)> =
            client_ports(svc, implied.get(name).map_or(&[], Vec::as_slice))
                .into_iter()
                .map(|(p, proto)| (p, proto.to_ascii_uppercase()))
                .collect();
        if ports.is_empty() {
            warnings.push(Diagnostic::warning(
                "S006",
                location(project, name, &[]),
                format!(
                    "{} {} `{name}`, which moves to the cluster, but it declares no port: no reverse bridge is made (declare the port with `expose`)",
                    quoted(&used_by),
                    if used_by.len() == 1 { "stays on the Compose host and reaches" } else { "stay on the Compose host and reach" }
                ),
            ));
            continue;
        }
        let mut hosts = vec![name.clone()];
        for u in &used_by {
            for h in super::classify::names_used(&project.services[u.as_str()], name, svc) {
                if !hosts.contains(&h) {
                    hosts.push(h);
                }
            }
        }
        let k8s = names::service_name(name);
        out.push(ReverseBridge {
            service: name.clone(),
            name: names::dns_label(&format!("{k8s}-from-compose-host")),
            target: k8s,
            used_by,
            hosts,
            ports,
        });
    }
    (out, warnings)
}

/// The bridges stage 1 needs, and a warning for each reached service without a known port.
pub fn bridges(project: &Project, cls: &Classification) -> (Vec<Bridge>, Vec<Diagnostic>) {
    let mut warnings = Vec::new();
    let mut users: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (name, c) in &cls.services {
        if c.stateful {
            continue;
        }
        for r in cls.stay_behind_reached_by(name) {
            if let Some((k, _)) = project.services.get_key_value(&r) {
                users.entry(k.as_str()).or_default().push(name.clone());
            }
        }
    }
    // Host ports in use on the Compose host, on any interface: new publications avoid them.
    let mut taken: BTreeSet<(u32, String)> = project
        .services
        .values()
        .flat_map(|s| &s.ports)
        .filter_map(|p| Some((single(p.published.as_deref()?)?, p.protocol.clone())))
        .collect();
    let implied = crate::lower::implied_ports_by_service(project);
    let mut out = Vec::new();
    for (name, svc) in &project.services {
        let Some(used_by) = users.get(name.as_str()) else {
            continue;
        };
        if is_sidecar_of(svc).is_some() {
            continue;
        }
        let dialed = client_ports(svc, implied.get(name).map_or(&[], Vec::as_slice));
        if dialed.is_empty() {
            warnings.push(Diagnostic::warning(
                "S002",
                location(project, name, &[]),
                format!(
                    "{} {} `{name}`, which stays on the Compose host, but it declares no port, no environment names it with one (`{name}:PORT`) and its image is not a known server: no bridge is made (declare the port with `expose`)",
                    quoted(used_by),
                    if used_by.len() == 1 { "reaches" } else { "reach" }
                ),
            ));
            continue;
        }
        let mut ports = Vec::new();
        for (port, proto) in dialed {
            let ports_entry = svc.ports.iter().find(|p| {
                p.target == port
                    && p.protocol == proto
                    && !p.host_ip.as_deref().is_some_and(is_loopback)
                    && p.published.as_deref().and_then(single).is_some()
            });
            let (host_port, published_by_compose) =
                match ports_entry.and_then(|p| p.published.as_deref().and_then(single)) {
                    Some(h) => (h, true),
                    None => {
                        let mut h = port;
                        while taken.contains(&(h, proto.clone())) && h < 65535 {
                            h += 1;
                        }
                        taken.insert((h, proto.clone()));
                        (h, false)
                    }
                };
            ports.push(BridgePort {
                port,
                host_port,
                protocol: proto.to_ascii_uppercase(),
                published_by_compose,
            });
        }
        let k8s = names::service_name(name);
        let mut aliases: Vec<String> = Vec::new();
        for u in used_by {
            for h in super::classify::names_used(&project.services[u.as_str()], name, svc) {
                let h = names::service_name(&h);
                if h != k8s && !aliases.contains(&h) {
                    aliases.push(h);
                }
            }
        }
        out.push(Bridge {
            service: name.clone(),
            name: k8s,
            used_by: used_by.clone(),
            ports,
            aliases,
        });
    }
    (out, warnings)
}

fn quoted(list: &[String]) -> String {
    list.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_loopback(ip: &str) -> bool {
    ip == "localhost"
        || ip
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// A single port number (not a range).
fn single(published: &str) -> Option<u32> {
    published.parse().ok().filter(|p| *p > 0 && *p <= 65535)
}

/// The ports clients dial on the Compose network: `ports` targets, `expose`, or, with
/// neither, the ports the lowering implies (`implied`: written after the service's name in
/// the project's environment, or the known port of a server image); (port, lowercase
/// protocol), without duplicates.
pub fn client_ports(svc: &Service, implied: &[u32]) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    let mut push = |p: u32, proto: &str| {
        let e = (p, proto.to_string());
        if p > 0 && p <= 65535 && !out.contains(&e) {
            out.push(e);
        }
    };
    for p in &svc.ports {
        push(p.target, &p.protocol);
    }
    for e in &svc.expose {
        let (port, proto) = e.split_once('/').unwrap_or((e.as_str(), "tcp"));
        let (a, b) = port.split_once('-').unwrap_or((port, port));
        if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
            for p in a..=b.min(a + 100) {
                push(p, proto);
            }
        }
    }
    let empty = svc.ports.is_empty() && svc.expose.is_empty();
    if empty {
        for &p in implied {
            push(p, "tcp");
        }
    }
    out
}

/// The location of `services.<svc>.<path>` in the user's files.
pub(crate) fn location(project: &Project, svc: &str, path: &[&str]) -> Location {
    project.locate(svc, path)
}

fn meta(b: &Bridge, name: String, project: &str, namespace: Option<&str>) -> ObjectMeta {
    let mut labels = names::labels(&b.name, project);
    labels.insert(BRIDGE_LABEL.into(), BRIDGE_VALUE.into());
    ObjectMeta {
        name: Some(name),
        namespace: namespace.map(str::to_string),
        labels: Some(labels),
        ..Default::default()
    }
}

/// The name of a bridge's EndpointSlice.
pub fn slice_name(b: &Bridge) -> String {
    slice_of(&b.name)
}

/// The EndpointSlice of the bridge Service `name`.
pub fn slice_of(name: &str) -> String {
    names::dns_label(&format!("{name}-compose-host"))
}

/// The objects of a bridge: those of its Service, then those of each alias.
pub fn objects(
    b: &Bridge,
    host: &ComposeHost,
    project: &Project,
    namespace: Option<&str>,
) -> Result<Vec<Object>, Diagnostic> {
    let mut out = objects_named(b, &b.name, host, project, namespace)?;
    for a in &b.aliases {
        out.extend(objects_named(b, a, host, project, namespace)?);
    }
    Ok(out)
}

/// The objects of one bridge: a Service without selector and an EndpointSlice for an IP
/// address; an ExternalName Service for a DNS name, which cannot remap ports (an error then).
fn objects_named(
    b: &Bridge,
    svc_name: &str,
    host: &ComposeHost,
    project: &Project,
    namespace: Option<&str>,
) -> Result<Vec<Object>, Diagnostic> {
    let service_ports: Vec<ServicePort> = b
        .ports
        .iter()
        .map(|p| ServicePort {
            name: Some(names::port_name(&p.protocol.to_ascii_lowercase(), p.port)),
            port: p.port as i32,
            target_port: Some(IntOrString::Int(p.host_port as i32)),
            protocol: Some(p.protocol.clone()),
            ..Default::default()
        })
        .collect();
    match host {
        ComposeHost::Ip(ip) => {
            let service = KService {
                metadata: meta(b, svc_name.to_string(), &project.name, namespace),
                spec: Some(ServiceSpec {
                    ports: Some(service_ports),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let mut slice_meta = meta(b, slice_of(svc_name), &project.name, namespace);
            let labels = slice_meta.labels.get_or_insert_with(Default::default);
            labels.insert("kubernetes.io/service-name".into(), svc_name.to_string());
            labels.insert(
                "endpointslice.kubernetes.io/managed-by".into(),
                "kubeferry".into(),
            );
            let slice = EndpointSlice {
                metadata: slice_meta,
                address_type: if ip.is_ipv4() { "IPv4" } else { "IPv6" }.into(),
                endpoints: vec![Endpoint {
                    addresses: vec![ip.to_string()],
                    ..Default::default()
                }],
                ports: Some(
                    b.ports
                        .iter()
                        .map(|p| EndpointPort {
                            name: Some(names::port_name(&p.protocol.to_ascii_lowercase(), p.port)),
                            port: Some(p.host_port as i32),
                            protocol: Some(p.protocol.clone()),
                            ..Default::default()
                        })
                        .collect(),
                ),
            };
            Ok(vec![Object::from(service), Object::from(slice)])
        }
        ComposeHost::Name(dns) => {
            if let Some(p) = b.ports.iter().find(|p| p.port != p.host_port) {
                return Err(Diagnostic::error(
                    "S003",
                    location(project, &b.service, &["ports"]),
                    format!(
                        "clients dial `{}:{}`, but the Compose host serves it on port {}; an ExternalName Service (for the DNS name `{dns}`) cannot change ports: give --compose-host as an IP address, or publish `{}` on the same port ({}:{})",
                        b.service, p.port, p.host_port, b.service, p.port, p.port
                    ),
                ));
            }
            let service = KService {
                metadata: meta(b, svc_name.to_string(), &project.name, namespace),
                spec: Some(ServiceSpec {
                    type_: Some("ExternalName".into()),
                    external_name: Some(dns.clone()),
                    ports: Some(
                        service_ports
                            .into_iter()
                            .map(|mut p| {
                                p.target_port = None;
                                p
                            })
                            .collect(),
                    ),
                    ..Default::default()
                }),
                ..Default::default()
            };
            Ok(vec![Object::from(service)])
        }
    }
}
