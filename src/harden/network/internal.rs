//! Egress of Compose `internal: true` networks, for the `network-policy` rule: a container
//! whose networks are all internal reaches only their members under Docker (no route out).
//! Per internal network, a policy selecting those confined members lets them reach the
//! network's members and the cluster DNS (kube-system's kube-dns, port 53 UDP and TCP), and
//! nothing else. A pod that is also on a network that is not internal keeps its way out,
//! as under Compose, and gets no egress policy. A confined pod that waits for its `pre_start`
//! Job asks the API server, which no selector can name (its address is the cluster's): a
//! policy lets it out on the API server's ports, 443 and 6443 over TCP, to any address.

use super::{Pod, policy_of, selector};
use crate::harden::{Findings, ProjectCx};
use crate::lower::Object;
use crate::lower::names::{self, dns_label};
use k8s_openapi::api::networking::v1::{
    NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, BTreeSet};

/// The cluster DNS: the `kube-dns` pods of `kube-system` (CoreDNS keeps that label).
fn dns_peer() -> NetworkPolicyPeer {
    let labels = |k: &str, v: &str| LabelSelector {
        match_labels: Some(BTreeMap::from([(k.to_string(), v.to_string())])),
        match_expressions: None,
    };
    NetworkPolicyPeer {
        namespace_selector: Some(labels("kubernetes.io/metadata.name", "kube-system")),
        pod_selector: Some(labels("k8s-app", "kube-dns")),
        ip_block: None,
    }
}

fn dns_ports() -> Vec<NetworkPolicyPort> {
    ["UDP", "TCP"]
        .into_iter()
        .map(|p| NetworkPolicyPort {
            port: Some(IntOrString::Int(53)),
            protocol: Some(p.into()),
            end_port: None,
        })
        .collect()
}

/// The egress policies of the project's internal networks.
pub fn policies(
    cx: &ProjectCx<'_>,
    pods: &BTreeMap<String, Pod<'_>>,
    members: &BTreeMap<String, Vec<(&String, &Pod<'_>)>>,
    used: &mut BTreeSet<String>,
    f: &mut Findings,
) -> Vec<Object> {
    let internal = |n: &str| cx.sources.internal_networks.contains(n);
    let part_of = names::label_value(&cx.sources.project);
    let mut out = Vec::new();
    let mut waiting: BTreeSet<&str> = BTreeSet::new();
    for (net, list) in members.iter().filter(|(n, _)| internal(n)) {
        // Confined: every network of the pod is internal (one that is not is a way out).
        let confined: Vec<&str> = list
            .iter()
            .filter(|(_, p)| p.target && p.nets.iter().all(|n| internal(n)))
            .map(|(m, _)| m.as_str())
            .collect();
        if confined.is_empty() {
            continue;
        }
        waiting.extend(
            confined
                .iter()
                .copied()
                .filter(|m| pods.get(*m).is_some_and(|p| p.api_wait)),
        );
        let confined_l: Vec<String> = confined.iter().map(|m| names::label_value(m)).collect();
        let members_l: Vec<String> = list.iter().map(|(m, _)| names::label_value(m)).collect();
        let mut name = dns_label(&format!("network-{net}-egress"));
        while !used.insert(name.clone()) {
            name = dns_label(&format!("{name}-x"));
        }
        let rules = vec![
            NetworkPolicyEgressRule {
                to: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(selector(&part_of, Some(&members_l), &[])),
                    ..Default::default()
                }]),
                ports: None,
            },
            NetworkPolicyEgressRule {
                to: Some(vec![dns_peer()]),
                ports: Some(dns_ports()),
            },
        ];
        let mut p = policy_of(cx, &name, selector(&part_of, Some(&confined_l), &[]));
        if let Object::NetworkPolicy(np) = &mut p
            && let Some(spec) = np.spec.as_mut()
        {
            spec.policy_types = Some(vec!["Egress".into()]);
            spec.egress = Some(rules);
        }
        out.push(p);
        let service = |m: &str| pods.get(m).map_or(m.to_string(), |p| p.service.to_string());
        f.added(format!(
            "NetworkPolicy `{name}`: Compose network `{net}` is internal, so {} reach only its members ({}) and the cluster DNS, as under Compose",
            confined.iter().map(|m| service(m)).collect::<Vec<_>>().join(", "),
            list.iter().map(|(m, _)| service(m)).collect::<Vec<_>>().join(", "),
        ));
    }
    for pod in waiting {
        out.push(api_server_policy(cx, pod, &part_of, used, f));
    }
    out
}

/// Egress to the API server for a confined pod that waits for its `pre_start` Job.
fn api_server_policy(
    cx: &ProjectCx<'_>,
    pod: &str,
    part_of: &str,
    used: &mut BTreeSet<String>,
    f: &mut Findings,
) -> Object {
    let mut name = dns_label(&format!("{pod}-api-server"));
    while !used.insert(name.clone()) {
        name = dns_label(&format!("{name}-x"));
    }
    let ports = [443, 6443]
        .into_iter()
        .map(|p| NetworkPolicyPort {
            port: Some(IntOrString::Int(p)),
            protocol: Some("TCP".into()),
            end_port: None,
        })
        .collect();
    let only = [names::label_value(pod)];
    let mut p = policy_of(cx, &name, selector(part_of, Some(&only), &[]));
    if let Object::NetworkPolicy(np) = &mut p
        && let Some(spec) = np.spec.as_mut()
    {
        spec.policy_types = Some(vec!["Egress".into()]);
        spec.egress = Some(vec![NetworkPolicyEgressRule {
            to: None,
            ports: Some(ports),
        }]);
    }
    f.added(format!(
        "NetworkPolicy `{name}`: `{pod}` waits for its `pre_start` Job through the Kubernetes API, so it may leave its internal network on the API server's ports (443 and 6443 over TCP, any address: the API server's address is the cluster's)"
    ));
    p
}
