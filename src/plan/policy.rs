//! The pieces the bridge NetworkPolicies share: the project's pods named in a list, the
//! Compose host as an `ipBlock`, and a sorted list of ports.

use crate::compose::model::Project;
use crate::lower::names;
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// The project's pods whose name label is one of `members`.
pub fn members(project: &Project, members: Vec<String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(
            names::PART_OF.to_string(),
            names::label_value(&project.name),
        )])),
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: names::NAME.into(),
            operator: "In".into(),
            values: Some(members),
        }]),
    }
}

/// The Compose host's address alone (`/32` or `/128`).
pub fn host(host_ip: &str) -> NetworkPolicyPeer {
    let prefix = if host_ip.contains(':') { 128 } else { 32 };
    NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: format!("{host_ip}/{prefix}"),
            except: None,
        }),
        ..Default::default()
    }
}

/// (port, protocol) pairs as policy ports, without duplicates, in a fixed order.
pub fn ports<'a>(list: impl Iterator<Item = (u32, &'a str)>) -> Vec<NetworkPolicyPort> {
    let mut out: Vec<NetworkPolicyPort> = Vec::new();
    for (port, protocol) in list {
        let np = NetworkPolicyPort {
            port: Some(IntOrString::Int(port as i32)),
            protocol: Some(protocol.to_string()),
            end_port: None,
        };
        if !out.contains(&np) {
            out.push(np);
        }
    }
    out.sort_by_key(|p| (p.protocol.clone(), format!("{:?}", p.port)));
    out
}
