//! `network-policy`: ingress as Compose allows it and no more. Default-deny ingress for the
//! project's pods; per Compose network, a policy letting its members reach each other on their
//! declared ports; per service with published `ports`, a policy open to any client on those.

use super::{Findings, Level, ProjectCx, Rule, Scope};
use crate::compose::hash::FastMap;
use crate::compose::model::Service;
use crate::lower::Object;
use crate::lower::names::{self, dns_label};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, BTreeSet};

pub const RULE: Rule = Rule {
    id: "network-policy",
    doc: "NetworkPolicies: default-deny ingress, members of each Compose network reach each other on declared ports, published ports open to all",
    level: Level::Baseline,
    scope: Scope::Project(apply),
};

/// A workload's pod as the policies see it.
struct Pod<'a> {
    service: &'a str,
    svc: &'a Service,
    /// Declared container ports (protocol, port).
    ports: BTreeSet<(String, i32)>,
    host_network: bool,
    /// Protected: a workload the rule is on for, not on the host's network.
    target: bool,
}

/// The Compose networks a service is on (`default` when it names none).
fn networks(svc: &Service) -> Vec<String> {
    if svc.network_mode.is_some() {
        return Vec::new();
    }
    if svc.networks.is_empty() {
        vec!["default".into()]
    } else {
        svc.networks.keys().cloned().collect()
    }
}

fn apply(objects: &[Object], cx: &ProjectCx<'_>, f: &mut Findings) -> Vec<Object> {
    let project = cx.project;
    let by_name: FastMap<String, &str> = project
        .services
        .keys()
        .map(|s| (names::service_name(s), s.as_str()))
        .collect();
    let mut pods: BTreeMap<String, Pod<'_>> = BTreeMap::new();
    for o in objects {
        let (Some(spec), Some(service)) = (o.pod_spec(), by_name.get(o.name())) else {
            continue;
        };
        let Some(svc) = project.services.get(*service) else {
            continue;
        };
        let ports = spec
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .map(|p| {
                (
                    p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                    p.container_port,
                )
            })
            .collect();
        pods.insert(
            o.name().to_string(),
            Pod {
                service,
                svc,
                ports,
                host_network: spec.host_network == Some(true),
                target: false,
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
    let part_of = names::label_value(&project.name);
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
        for n in networks(pod.svc) {
            nets.entry(n).or_default().push((name, pod));
        }
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for (net, members) in &nets {
        let listeners: Vec<(&String, &Pod<'_>)> = members
            .iter()
            .copied()
            .filter(|(_, p)| p.target && !p.ports.is_empty())
            .collect();
        if listeners.is_empty() {
            continue;
        }
        let ports: BTreeSet<(String, i32)> = listeners
            .iter()
            .flat_map(|(_, p)| p.ports.iter().cloned())
            .collect();
        let members_l: Vec<String> = members.iter().map(|(m, _)| names::label_value(m)).collect();
        let listeners_l: Vec<String> = listeners
            .iter()
            .map(|(m, _)| names::label_value(m))
            .collect();
        let mut name = dns_label(&format!("network-{net}"));
        while !used.insert(name.clone()) {
            name = dns_label(&format!("{name}-x"));
        }
        out.push(policy(
            cx,
            &name,
            selector(&part_of, Some(&listeners_l), &[]),
            vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(selector(&part_of, Some(&members_l), &[])),
                    ..Default::default()
                }]),
                ports: Some(policy_ports(&ports)),
            }],
        ));
        f.added(format!(
            "NetworkPolicy `{name}`: members of Compose network `{net}` ({}) reach {} on their declared ports",
            members.iter().map(|(_, p)| p.service).collect::<Vec<_>>().join(", "),
            listeners.iter().map(|(_, p)| p.service).collect::<Vec<_>>().join(", "),
        ));
    }
    for (name, pod) in pods.iter().filter(|(_, p)| p.target) {
        let published: BTreeSet<(String, i32)> = pod
            .svc
            .ports
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
        if published.is_empty() {
            continue;
        }
        let pname = dns_label(&format!("{name}-published"));
        out.push(policy(
            cx,
            &pname,
            selector(&part_of, Some(&[names::label_value(name)]), &[]),
            vec![NetworkPolicyIngressRule {
                from: None,
                ports: Some(policy_ports(&published)),
            }],
        ));
        f.added(format!(
            "NetworkPolicy `{pname}`: `{}` publishes {} in Compose, so any client may connect there",
            pod.service,
            published
                .iter()
                .map(|(proto, p)| format!("{p}/{}", proto.to_ascii_lowercase()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
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
fn selector(part_of: &str, only: Option<&[String]>, except: &[String]) -> LabelSelector {
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
    Object::from(NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: cx.opts.namespace.clone(),
            labels: Some(names::project_labels(&cx.project.name)),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pods),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: (!ingress.is_empty()).then_some(ingress),
            ..Default::default()
        }),
    })
}
