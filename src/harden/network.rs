//! `network-policy`: ingress as Compose allows it and no more. Default-deny ingress for the
//! project's pods; per Compose network, a policy letting its members reach each other on every
//! port (as a Compose network does: a port nobody declared, a Kafka listener or a port only a
//! config file names, still connects); per service reached from outside, a policy open to any
//! client on those ports: its published `ports`, and the ports of the Ingress, LoadBalancer
//! and NodePort Services kubeferry writes for it; per `internal: true` network, egress limited
//! to its members and DNS ([`internal`]). `--network-policies none` writes none.

use super::{Findings, Level, ProjectCx, Rule, Scope};
use crate::lower::names::{self, dns_label};
use crate::lower::{Object, ServiceFacts, Source};
use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, BTreeSet};

mod internal;

pub const RULE: Rule = Rule {
    id: "network-policy",
    doc: "NetworkPolicies: default-deny ingress, members of each Compose network reach each other on every port, published ports and Ingress, LoadBalancer and NodePort backends open to all; members of internal networks only reach the network and DNS",
    level: Level::Baseline,
    scope: Scope::Project(apply),
};

/// Whether the project gets NetworkPolicies at all (`--network-policies`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NetworkPolicies {
    /// Default-deny, and what Compose lets in (the `network-policy` rule).
    #[default]
    Isolate,
    /// None: every pod accepts any traffic, as without the rule.
    None,
}

/// A workload's pod as the policies see it.
pub(super) struct Pod<'a> {
    pub service: &'a str,
    svc: &'a ServiceFacts,
    /// The Compose networks the pod is on.
    pub nets: &'a [String],
    host_network: bool,
    /// Protected: a workload the rule is on for, not on the host's network.
    pub target: bool,
    /// A workload kubeferry adds for the service (its `pre_start` Job): on the service's
    /// networks, but nothing is published on it.
    aux: bool,
    /// The pod waits for its `pre_start` Job through the API server.
    pub api_wait: bool,
}

fn apply(objects: &[Object], cx: &ProjectCx<'_>, f: &mut Findings) -> Vec<Object> {
    if cx.opts.network_policies == NetworkPolicies::None {
        return Vec::new();
    }
    let sources = cx.sources;
    let mut pods: BTreeMap<String, Pod<'_>> = BTreeMap::new();
    for o in objects {
        let Some(spec) = o.pod_spec() else {
            continue;
        };
        let (service, svc) = match sources.of(o.name()) {
            Some(Source::Service(s)) => {
                let Some((service, svc)) = sources.services.get_key_value(s) else {
                    continue;
                };
                (service.as_str(), svc)
            }
            // A model runner is on the networks of the services that use its model.
            Some(Source::ModelRunner { service, .. }) => (o.name(), service.as_ref()),
            _ => continue,
        };
        // The `pre_start` Job: on the service's networks, but nothing is published on it.
        let aux = matches!(o, Object::Job(_))
            && o.metadata()
                .labels
                .as_ref()
                .and_then(|l| l.get(crate::lower::names::COMPONENT))
                .map(String::as_str)
                == Some(crate::lower::PRE_START_COMPONENT);
        pods.insert(
            o.name().to_string(),
            Pod {
                service,
                svc,
                nets: &svc.networks,
                host_network: spec.host_network == Some(true),
                target: false,
                aux,
                api_wait: spec
                    .init_containers
                    .iter()
                    .flatten()
                    .any(|c| c.name == crate::lower::PRE_START_WAIT),
            },
        );
    }
    // Marked on the pods themselves: every member of every network is asked (a list of
    // targets was quadratic, a set of names a lookup per member).
    for (name, pod) in pods.iter_mut() {
        pod.target = cx.workloads.contains_key(name) && !pod.host_network;
    }
    if !pods.values().any(|p| p.target) {
        return Vec::new();
    }
    let part_of = names::label_value(&sources.project);
    let mut out = Vec::new();
    let excluded: Vec<String> = pods
        .keys()
        .filter(|k| !cx.workloads.contains_key(*k))
        .map(|k| names::label_value(k))
        .collect();
    out.push(policy(
        cx,
        "default-deny-ingress",
        selector(&part_of, None, &excluded),
        Vec::new(),
    ));
    f.added(format!(
        "NetworkPolicy `default-deny-ingress`: the project's pods accept no traffic that Compose would not let in{}",
        if excluded.is_empty() {
            String::new()
        } else {
            format!(" (except `{}`, which switched the rule off)", excluded.join("`, `"))
        }
    ));
    let mut nets: BTreeMap<String, Vec<(&String, &Pod<'_>)>> = BTreeMap::new();
    for (name, pod) in &pods {
        for n in pod.nets {
            nets.entry(n.clone()).or_default().push((name, pod));
        }
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for (net, members) in &nets {
        let targets: Vec<(&String, &Pod<'_>)> =
            members.iter().copied().filter(|(_, p)| p.target).collect();
        if targets.is_empty() {
            continue;
        }
        let members_l: Vec<String> = members.iter().map(|(m, _)| names::label_value(m)).collect();
        let targets_l: Vec<String> = targets.iter().map(|(m, _)| names::label_value(m)).collect();
        let mut name = dns_label(&format!("network-{net}"));
        while !used.insert(name.clone()) {
            name = dns_label(&format!("{name}-x"));
        }
        // No `ports`: every port, as on the Compose network.
        out.push(policy(
            cx,
            &name,
            selector(&part_of, Some(&targets_l), &[]),
            vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(selector(&part_of, Some(&members_l), &[])),
                    ..Default::default()
                }]),
                ports: None,
            }],
        ));
        f.added(format!(
            "NetworkPolicy `{name}`: members of Compose network `{net}` ({}) reach {} on every port, as on the Compose network",
            members.iter().map(|(_, p)| p.service).collect::<Vec<_>>().join(", "),
            targets.iter().map(|(_, p)| p.service).collect::<Vec<_>>().join(", "),
        ));
    }
    out.extend(internal::policies(cx, &pods, &nets, &mut used, f));
    let exposed = exposure(objects, &pods);
    for (name, pod) in pods.iter().filter(|(_, p)| p.target && !p.aux) {
        let mut open: BTreeSet<(String, i32)> = pod
            .svc
            .published
            .iter()
            // A port Compose binds to the host's loopback is not open to other machines.
            .filter(|p| {
                !p.host_ip
                    .as_deref()
                    .is_some_and(|ip| ip.starts_with("127.") || ip == "::1" || ip == "localhost")
            })
            .map(|p| (p.protocol.to_ascii_uppercase(), p.target as i32))
            .filter(|p| p.1 > 0)
            .collect();
        let mut why: Vec<String> = Vec::new();
        if !open.is_empty() {
            why.push(format!(
                "`{}` publishes {} in Compose",
                pod.service,
                port_list(&open)
            ));
        }
        for (via, ports) in exposed.get(name.as_str()).into_iter().flatten() {
            let new: BTreeSet<(String, i32)> = ports.difference(&open).cloned().collect();
            if !new.is_empty() {
                why.push(format!("{via} sends {} to it", port_list(&new)));
                open.extend(new);
            }
        }
        if open.is_empty() {
            continue;
        }
        let pname = dns_label(&format!("{name}-published"));
        out.push(policy(
            cx,
            &pname,
            selector(&part_of, Some(&[names::label_value(name)]), &[]),
            vec![NetworkPolicyIngressRule {
                from: None,
                ports: Some(policy_ports(&open)),
            }],
        ));
        f.added(format!(
            "NetworkPolicy `{pname}`: {}, so any client may connect there",
            why.join("; ")
        ));
    }
    out
}

fn port_list(ports: &BTreeSet<(String, i32)>) -> String {
    ports
        .iter()
        .map(|(proto, p)| format!("{p}/{}", proto.to_ascii_lowercase()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// (protocol, port) of a pod.
type Ports = BTreeSet<(String, i32)>;

/// What reaches a pod from outside the namespace (an Ingress, a Service), and on which ports.
type Exposure = Vec<(String, Ports)>;

/// Pod name → (what reaches it from outside the namespace, the pod ports it reaches): the
/// LoadBalancer and NodePort Services and the Ingress and Gateway API route backends of the
/// output. Named target
/// ports are resolved through the pod's container ports.
fn exposure<'o>(
    objects: &'o [Object],
    pods: &BTreeMap<String, Pod<'_>>,
) -> BTreeMap<&'o str, Exposure> {
    let mut services: BTreeMap<&str, &Service> = BTreeMap::new();
    for o in objects {
        if let Object::Service(s) = o {
            services.insert(o.name(), s);
        }
    }
    // The pod a Service selects: kubeferry's selectors name the pod's service label. Indexed
    // once (the first workload with that label wins, as a scan in object order would find).
    let mut by_label: BTreeMap<String, &'o str> = BTreeMap::new();
    for o in objects.iter().filter(|o| o.pod_spec().is_some()) {
        by_label
            .entry(names::label_value(o.name()))
            .or_insert(o.name());
    }
    let pod_of = |s: &Service| -> Option<&'o str> {
        let sel = s.spec.as_ref()?.selector.as_ref()?;
        let name = sel.get(names::NAME)?;
        by_label
            .get(name.as_str())
            .copied()
            .filter(|o| pods.contains_key(*o))
    };
    let target = |pod: &str, sp: &ServicePort| -> (String, i32) {
        let proto = sp.protocol.clone().unwrap_or_else(|| "TCP".into());
        let port = match &sp.target_port {
            Some(IntOrString::Int(p)) => *p,
            Some(IntOrString::String(n)) => objects
                .iter()
                .find(|o| o.name() == pod)
                .and_then(|o| o.pod_spec())
                .into_iter()
                .flat_map(|s| &s.containers)
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| p.name.as_deref() == Some(n.as_str()))
                .map_or(sp.port, |p| p.container_port),
            None => sp.port,
        };
        (proto, port)
    };
    let mut out: BTreeMap<&str, Exposure> = BTreeMap::new();
    for (name, s) in &services {
        let type_ = s.spec.as_ref().and_then(|s| s.type_.as_deref());
        let (Some(kind @ ("LoadBalancer" | "NodePort")), Some(pod)) = (type_, pod_of(s)) else {
            continue;
        };
        let ports = s
            .spec
            .iter()
            .flat_map(|s| s.ports.iter().flatten())
            .map(|sp| target(pod, sp))
            .collect();
        out.entry(pod)
            .or_default()
            .push((format!("the {kind} Service `{name}`"), ports));
    }
    for o in objects {
        let Object::Route(r) = o else { continue };
        for b in r.spec.rules.iter().flat_map(|r| &r.backend_refs) {
            let Some(s) = services.get(b.name.as_str()) else {
                continue;
            };
            let Some(pod) = pod_of(s) else { continue };
            let ports: BTreeSet<(String, i32)> = s
                .spec
                .iter()
                .flat_map(|s| s.ports.iter().flatten())
                .filter(|sp| sp.port == b.port)
                .map(|sp| target(pod, sp))
                .collect();
            out.entry(pod)
                .or_default()
                .push((format!("the {} `{}`", o.kind(), o.name()), ports));
        }
    }
    for o in objects {
        let Object::Ingress(ing) = o else { continue };
        let backends = ing.spec.iter().flat_map(|s| {
            let rules = s.rules.iter().flatten().filter_map(|r| r.http.as_ref());
            let paths = rules.flat_map(|h| h.paths.iter().map(|p| &p.backend));
            paths.chain(s.default_backend.as_ref())
        });
        for b in backends {
            let Some(sb) = &b.service else { continue };
            let Some(s) = services.get(sb.name.as_str()) else {
                continue;
            };
            let Some(pod) = pod_of(s) else { continue };
            let wanted = sb.port.as_ref();
            let ports: BTreeSet<(String, i32)> = s
                .spec
                .iter()
                .flat_map(|s| s.ports.iter().flatten())
                .filter(|sp| {
                    wanted.is_none_or(|w| {
                        w.number == Some(sp.port) || (w.name.is_some() && w.name == sp.name)
                    })
                })
                .map(|sp| target(pod, sp))
                .collect();
            out.entry(pod)
                .or_default()
                .push((format!("the Ingress `{}`", o.name()), ports));
        }
    }
    out
}

fn policy_ports(ports: &BTreeSet<(String, i32)>) -> Vec<NetworkPolicyPort> {
    ports
        .iter()
        .map(|(proto, p)| NetworkPolicyPort {
            port: Some(IntOrString::Int(*p)),
            protocol: Some(proto.clone()),
            end_port: None,
        })
        .collect()
}

/// Pods of the project, optionally only the named ones, minus the excluded ones.
pub(super) fn selector(part_of: &str, only: Option<&[String]>, except: &[String]) -> LabelSelector {
    let mut exprs = Vec::new();
    if let Some(only) = only {
        exprs.push(LabelSelectorRequirement {
            key: names::NAME.into(),
            operator: "In".into(),
            values: Some(only.to_vec()),
        });
    }
    if !except.is_empty() {
        exprs.push(LabelSelectorRequirement {
            key: names::NAME.into(),
            operator: "NotIn".into(),
            values: Some(except.to_vec()),
        });
    }
    LabelSelector {
        match_labels: Some(BTreeMap::from([(
            names::PART_OF.to_string(),
            part_of.to_string(),
        )])),
        match_expressions: (!exprs.is_empty()).then_some(exprs),
    }
}

fn policy(
    cx: &ProjectCx<'_>,
    name: &str,
    pods: LabelSelector,
    ingress: Vec<NetworkPolicyIngressRule>,
) -> Object {
    let mut p = policy_of(cx, name, pods);
    if let Object::NetworkPolicy(np) = &mut p
        && let Some(spec) = np.spec.as_mut()
    {
        spec.policy_types = Some(vec!["Ingress".into()]);
        spec.ingress = (!ingress.is_empty()).then_some(ingress);
    }
    p
}

/// A NetworkPolicy of the project selecting `pods`, its rules and types left to the caller.
pub(super) fn policy_of(cx: &ProjectCx<'_>, name: &str, pods: LabelSelector) -> Object {
    Object::from(NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: cx.opts.namespace.clone(),
            labels: Some(names::project_labels(&cx.sources.project)),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pods),
            ..Default::default()
        }),
    })
}
