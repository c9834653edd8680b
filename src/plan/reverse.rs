//! The cluster side of the reverse bridges: each moved service that a stay-behind service
//! reaches gets a LoadBalancer Service on the ports it is dialed on, and, when the objects
//! restrict ingress, a NetworkPolicy that lets the Compose host's address in. The Compose side
//! (`extra_hosts` to `--cluster-host`) is in the override file.

use super::bridge::{BRIDGE_LABEL, BRIDGE_VALUE, ReverseBridge};
use crate::compose::model::Project;
use crate::diag::{Diagnostic, Location};
use crate::lower::names;
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The policy that lets the Compose host reach the moved services.
pub const INGRESS_POLICY: &str = "allow-ingress-from-compose-host";

/// The LoadBalancer Service of a reverse bridge. `externalTrafficPolicy: Local` keeps the
/// client's address, so the ingress policy's ipBlock sees the Compose host and not a node;
/// `loadBalancerIP` asks for the `--cluster-host` address where the load balancer honours it.
pub fn service(
    r: &ReverseBridge,
    project: &Project,
    cluster_host: Option<&str>,
    namespace: Option<&str>,
) -> Service {
    let mut labels = names::labels(&r.target, &project.name);
    labels.insert(BRIDGE_LABEL.into(), BRIDGE_VALUE.into());
    let ip = cluster_host.filter(|h| h.parse::<std::net::IpAddr>().is_ok());
    Service {
        metadata: ObjectMeta {
            name: Some(r.name.clone()),
            namespace: namespace.map(str::to_string),
            labels: Some(labels),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".into()),
            selector: Some(names::selector(&r.target, &project.name)),
            external_traffic_policy: Some("Local".into()),
            load_balancer_ip: ip.map(str::to_string),
            ports: Some(
                r.ports
                    .iter()
                    .map(|(p, proto)| ServicePort {
                        name: Some(names::port_name(&proto.to_ascii_lowercase(), *p)),
                        port: *p as i32,
                        target_port: Some(IntOrString::Int(*p as i32)),
                        protocol: Some(proto.clone()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The policy that lets `host_ip` reach the reverse-bridged pods on their ports; policies add
/// up, so it only opens. `None` without reverse bridges.
pub fn ingress_policy(
    reverse: &[ReverseBridge],
    host_ip: &str,
    project: &Project,
    namespace: Option<&str>,
) -> Option<NetworkPolicy> {
    if reverse.is_empty() {
        return None;
    }
    let mut targets: Vec<String> = reverse
        .iter()
        .map(|r| names::label_value(&r.target))
        .collect();
    targets.sort();
    targets.dedup();
    let ports = super::policy::ports(
        reverse
            .iter()
            .flat_map(|r| r.ports.iter().map(|(p, proto)| (*p, proto.as_str()))),
    );
    let mut labels = names::project_labels(&project.name);
    labels.insert(BRIDGE_LABEL.into(), BRIDGE_VALUE.into());
    Some(NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(INGRESS_POLICY.into()),
            namespace: namespace.map(str::to_string),
            labels: Some(labels),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(super::policy::members(project, targets)),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![super::policy::host(host_ip)]),
                ports: Some(ports),
            }]),
            egress: None,
        }),
    })
}

fn who(reverse: &[ReverseBridge]) -> String {
    reverse
        .iter()
        .map(|r| format!("`{}`", r.service))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A DNS `--compose-host` cannot be an ipBlock: the reverse bridges stay closed by policy.
pub fn dns_host_warning(reverse: &[ReverseBridge], host: &str, project: &Project) -> Diagnostic {
    Diagnostic::warning(
        "S007",
        location(reverse, project),
        format!(
            "the Compose host `{host}` is a DNS name, which a NetworkPolicy cannot allow: the ingress policies block the Compose host from {} until you add its IP address (give --compose-host as an IP address)",
            who(reverse)
        ),
    )
}

/// Without `--cluster-host`, the override file cannot point the stay-behind services at the
/// cluster.
pub fn no_cluster_host_warning(reverse: &[ReverseBridge], project: &Project) -> Diagnostic {
    let users: Vec<String> = reverse
        .iter()
        .flat_map(|r| r.used_by.iter().map(|u| format!("`{u}`")))
        .collect();
    Diagnostic::warning(
        "S008",
        location(reverse, project),
        format!(
            "{} {} on the Compose host but reach {}, which move to the cluster: give --cluster-host ADDRESS (the address of their LoadBalancer Services) so compose.bridge.yaml points them there with extra_hosts",
            users.join(", "),
            if users.len() == 1 { "stays" } else { "stay" },
            who(reverse)
        ),
    )
}

fn location(reverse: &[ReverseBridge], project: &Project) -> Location {
    reverse
        .first()
        .and_then(|r| r.used_by.first())
        .map(|u| project.locate(u, &[]))
        .unwrap_or_default()
}
