//! Staging: the lowered (and hardened) objects of the whole project in, the objects of one
//! stage out. Stage 1 (stateless) holds the stateless services' objects plus a bridge for each
//! stay-behind service they reach, and the Compose override file; stage 2 (stateful) holds the
//! rest, whose real Services replace the bridges; `all` is everything. Objects are never
//! rebuilt here, only partitioned, so stage 1 then stage 2 gives exactly the objects of `all`.

use super::bridge::{self, Bridge, ComposeHost, ReverseBridge};
use super::classify::Classification;
use super::override_file;
use crate::compose::model::Project;
use crate::diag::{Diagnostic, Failure, Location};
use crate::lower::{Object, names, object};
use crate::output::OutputFile;
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicySpec};
use std::collections::{BTreeMap, BTreeSet};

/// Which part of the project to emit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stage {
    /// Stage 1: the stateless services, bridged to the stateful ones left on the Compose host.
    Stateless,
    /// Stage 2: the stateful services (and what they share with stage 1).
    Stateful,
    /// Everything at once.
    #[default]
    All,
}

/// Options of the staging pass, resolved once by the caller.
#[derive(Clone, Debug, Default)]
pub struct StageOptions {
    /// Which objects to emit: stage 1, stage 2 or everything.
    pub stage: Stage,
    /// Where the stay-behind services run; required by stage 1.
    pub compose_host: Option<ComposeHost>,
    /// The address the override file publishes the stay-behind ports on.
    pub bridge_bind: Option<String>,
    /// The namespace of the output (the bridges' DNS names use it).
    pub namespace: Option<String>,
    /// Measured claim sizes (`--claim-size`), as the plan was given them.
    pub sizes: super::claims::Sizes,
    /// The storage class of the claims stage 2 adds for data folders (`--storage-class`).
    pub storage_class: Option<String>,
    /// Where the Compose host reaches the cluster (`--cluster-host`): the reverse bridges'
    /// LoadBalancer address, written into the override file's `extra_hosts`.
    pub cluster_host: Option<String>,
    /// The project's Compose files as Docker Compose uses them, for the override's usage line.
    pub compose_files: Vec<String>,
    /// Where the override file goes, as its usage line names it (default `compose.bridge.yaml`).
    pub bridge_file: Option<String>,
}

/// The objects of one stage and what goes with them.
#[derive(Debug, Default)]
pub struct Staged {
    /// The objects of the stage, in output order.
    pub objects: Vec<Object>,
    /// Stage 1: the bridges made (the hardening pass may allow egress to them).
    pub bridges: Vec<Bridge>,
    /// Stage 1: the reverse bridges (moved services that stay-behind ones reach).
    pub reverse: Vec<ReverseBridge>,
    /// Stage 2: Services it adds that `--stage all` does not make: one per alias or container
    /// name that a bridge answered to, so those names keep working after the bridges go.
    pub alias_services: Vec<String>,
    /// Stage 1: `compose.bridge.yaml`, when some port needs publishing.
    pub compose_override: Option<OutputFile>,
    /// Stage 2: bridge objects that stage 2 does not replace by name and that must be deleted
    /// after applying it, as (kind, name).
    pub retire: Vec<(String, String)>,
    /// Stage 2: the (service, target) data folders moved into claims; the lowering's warnings
    /// about them (L034, L035) no longer hold.
    pub kept_data: Vec<(String, String)>,
    /// What the staging pass had to say.
    pub warnings: Vec<Diagnostic>,
}

/// Select the objects of a stage. `objects` are the whole project's, in output order.
pub fn stage(
    project: &Project,
    cls: &Classification,
    mut objects: Vec<Object>,
    opts: &StageOptions,
) -> Result<Staged, Failure> {
    if opts.stage == Stage::All {
        return Ok(Staged {
            objects,
            ..Staged::default()
        });
    }
    // Both stages see the same claims, so an object they share is the same in both.
    let claims = super::claims::data_claims(project, cls, &opts.sizes);
    let (notes, kept_data) = super::claims::keep_data(
        project,
        &claims,
        &mut objects,
        opts.namespace.as_deref(),
        opts.storage_class.as_deref(),
    );
    let (bridges, mut warnings) = bridge::bridges(project, cls);
    let (reverse, reverse_warnings) = bridge::reverse_bridges(project, cls);
    warnings.extend(reverse_warnings);
    let ingress_restricted = restricts(&objects, "Ingress");
    let homes = homes(project, cls, &objects);
    let want = |h: &Home| match (opts.stage, h) {
        (_, Home::Both) => true,
        (Stage::Stateless, Home::One(stateful)) => !stateful,
        (_, Home::One(stateful)) => *stateful,
    };
    let mut out: Vec<Object> = objects
        .into_iter()
        .zip(homes)
        .filter(|(_, h)| want(h))
        .map(|(o, _)| o)
        .collect();
    let mut staged = Staged::default();
    match opts.stage {
        Stage::Stateless => {
            let Some(host) = &opts.compose_host else {
                return Err(Failure(vec![Diagnostic::error(
                    "S001",
                    Location::default(),
                    "stage 1 (stateless) bridges to the services left on the Compose host: give its address with --compose-host",
                )]));
            };
            let mut errors = Vec::new();
            for b in &bridges {
                match bridge::objects(b, host, project, opts.namespace.as_deref()) {
                    Ok(objs) => out.extend(objs),
                    Err(d) => errors.push(d),
                }
            }
            if !errors.is_empty() {
                return Err(Failure(errors));
            }
            if let ComposeHost::Ip(ip) = host
                && let Some(p) = egress_policy(&out, &bridges, &ip.to_string(), project, opts)
            {
                out.push(Object::from(p));
            }
            let ns = opts.namespace.as_deref();
            for r in &reverse {
                out.push(Object::from(super::reverse::service(
                    r,
                    project,
                    opts.cluster_host.as_deref(),
                    ns,
                )));
            }
            match host {
                ComposeHost::Ip(ip) if ingress_restricted => {
                    out.extend(
                        super::reverse::ingress_policy(&reverse, &ip.to_string(), project, ns)
                            .map(Object::from),
                    );
                }
                ComposeHost::Name(n) if ingress_restricted && !reverse.is_empty() => {
                    warnings.push(super::reverse::dns_host_warning(&reverse, n, project));
                }
                _ => {}
            }
            if opts.cluster_host.is_none() && !reverse.is_empty() {
                warnings.push(super::reverse::no_cluster_host_warning(&reverse, project));
            }
            let compose_files = if opts.compose_files.is_empty() {
                super::compose_files(project)
            } else {
                opts.compose_files.clone()
            };
            let usage = override_file::Usage::new(
                compose_files,
                opts.bridge_file.as_deref(),
                opts.bridge_bind.as_deref(),
                opts.cluster_host.as_deref(),
            );
            staged.compose_override =
                override_file::render(&bridges, &reverse, &usage).map(|contents| OutputFile {
                    path: override_file::FILE_NAME.into(),
                    contents,
                });
            staged.bridges = bridges;
            staged.reverse = reverse;
            staged.warnings = warnings;
        }
        Stage::Stateful => {
            staged.warnings = notes;
            staged.kept_data = kept_data;
            for b in &bridges {
                // A bridge Service is replaced by the real one of the same name, if any.
                let replaced = out
                    .iter()
                    .any(|o| matches!(o, Object::Service(_)) && o.name() == b.name);
                if !replaced {
                    staged.retire.push(("Service".into(), b.name.clone()));
                }
                staged
                    .retire
                    .push(("EndpointSlice".into(), bridge::slice_name(b)));
                // An alias keeps answering: as a Service of the real pods, unless one exists.
                let real = out
                    .iter()
                    .find(|o| matches!(o, Object::Service(_)) && o.name() == b.name)
                    .cloned();
                for a in &b.aliases {
                    staged
                        .retire
                        .push(("EndpointSlice".into(), bridge::slice_of(a)));
                    let exists = out
                        .iter()
                        .any(|o| matches!(o, Object::Service(_)) && o.name() == a);
                    if let (Some(Object::Service(mut svc)), false) = (real.clone(), exists) {
                        svc.metadata.name = Some(a.clone());
                        out.push(Object::Service(svc));
                        staged.alias_services.push(a.clone());
                    } else if !exists {
                        staged.retire.push(("Service".into(), a.clone()));
                    }
                }
            }
            for r in &reverse {
                staged.retire.push(("Service".into(), r.name.clone()));
            }
            if restricts(&out, "Egress") {
                staged
                    .retire
                    .push(("NetworkPolicy".into(), EGRESS_POLICY.into()));
            }
            if ingress_restricted && !reverse.is_empty() {
                staged.retire.push((
                    "NetworkPolicy".into(),
                    super::reverse::INGRESS_POLICY.into(),
                ));
            }
        }
        Stage::All => {}
    }
    object::sort(&mut out);
    staged.objects = out;
    Ok(staged)
}

/// Which stage an object belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Home {
    /// `true`: stage 2.
    One(bool),
    /// Needed by both stages (the namespace, objects both stages' pods use, shared policies).
    Both,
}

fn homes(project: &Project, cls: &Classification, objects: &[Object]) -> Vec<Home> {
    // Services' objects carry the service's name label.
    let owner: BTreeMap<String, bool> = project
        .services
        .keys()
        .map(|s| {
            (
                names::label_value(&names::service_name(s)),
                cls.is_stateful(s),
            )
        })
        .collect();
    let by_name: BTreeMap<String, bool> = project
        .services
        .keys()
        .map(|s| (names::service_name(s), cls.is_stateful(s)))
        .collect();
    // The service's name label; else, for kinds made per service, what they point at: the
    // pods a NetworkPolicy selects, the Service an Ingress routes to, the workload an
    // autoscaler or disruption budget is named after.
    let owned = |o: &Object| -> Option<bool> {
        let v = serde_json::to_value(o).ok()?;
        let label = |p: &str| {
            v.pointer(p)
                .and_then(|l| l.get(names::NAME))
                .and_then(|n| n.as_str())
                .and_then(|n| owner.get(n).copied())
        };
        label("/metadata/labels").or_else(|| match o {
            Object::NetworkPolicy(_) => label("/spec/podSelector/matchLabels").or_else(|| {
                // The hardening pass selects members with `name In [...]`: the policy goes
                // with them when they all move in the same stage.
                let exprs = v
                    .pointer("/spec/podSelector/matchExpressions")?
                    .as_array()?;
                let values = exprs.iter().find_map(|e| {
                    (e.get("key")?.as_str()? == names::NAME && e.get("operator")?.as_str()? == "In")
                        .then(|| e.get("values")?.as_array())
                        .flatten()
                })?;
                let homes: BTreeSet<bool> = values
                    .iter()
                    .filter_map(|n| owner.get(n.as_str()?).copied())
                    .collect();
                (homes.len() == 1).then(|| *homes.iter().next().unwrap_or(&false))
            }),
            Object::Ingress(_) => v
                .pointer("/spec/rules/0/http/paths/0/backend/service/name")
                .or_else(|| v.pointer("/spec/defaultBackend/service/name"))
                .and_then(|n| n.as_str())
                .and_then(|n| by_name.get(n).copied()),
            Object::Route(_) => v
                .pointer("/spec/rules/0/backendRefs/0/name")
                .and_then(|n| n.as_str())
                .and_then(|n| by_name.get(n).copied()),
            Object::HorizontalPodAutoscaler(_) | Object::PodDisruptionBudget(_) => {
                by_name.get(o.name()).copied()
            }
            _ => None,
        })
    };
    // Project-level objects go where the pods that use them go.
    let mut used: [BTreeSet<(&'static str, String)>; 2] = Default::default();
    for o in objects {
        if let (Some(stateful), Some(_)) = (owned(o), o.pod_spec()) {
            let v = serde_json::to_value(o).unwrap_or_default();
            references(&v, None, &mut used[stateful as usize]);
        }
    }
    objects
        .iter()
        .map(|o| {
            if let Some(stateful) = owned(o) {
                return Home::One(stateful);
            }
            let key = (o.kind(), o.name().to_string());
            match (used[0].contains(&key), used[1].contains(&key)) {
                (true, true) => Home::Both,
                (true, false) => Home::One(false),
                (false, true) => Home::One(true),
                (false, false) => match o {
                    Object::Namespace(_) | Object::NetworkPolicy(_) => Home::Both,
                    _ => Home::One(true),
                },
            }
        })
        .collect()
}

/// Collect the (kind, name) of the ConfigMaps, Secrets, claims and claim templates a pod
/// template refers to.
fn references(
    v: &serde_json::Value,
    parent: Option<&str>,
    out: &mut BTreeSet<(&'static str, String)>,
) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, child) in m {
                let s = child.as_str().map(str::to_string);
                match (k.as_str(), parent, s) {
                    ("claimName", _, Some(n)) => {
                        out.insert(("PersistentVolumeClaim", n));
                    }
                    ("secretName", _, Some(n)) => {
                        out.insert(("Secret", n));
                    }
                    ("resourceClaimTemplateName", _, Some(n)) => {
                        out.insert(("ResourceClaimTemplate", n));
                    }
                    ("name", Some("configMap" | "configMapRef" | "configMapKeyRef"), Some(n)) => {
                        out.insert(("ConfigMap", n));
                    }
                    (
                        "name",
                        Some("secret" | "secretRef" | "secretKeyRef" | "imagePullSecrets"),
                        Some(n),
                    ) => {
                        out.insert(("Secret", n));
                    }
                    _ => references(child, Some(k), out),
                }
            }
        }
        serde_json::Value::Array(a) => {
            for child in a {
                references(child, parent, out);
            }
        }
        _ => {}
    }
}

/// The name of the policy that lets stage 1's pods reach the Compose host.
pub const EGRESS_POLICY: &str = "allow-egress-to-compose-host";

/// Whether a NetworkPolicy among the objects restricts `direction` (`Ingress`, `Egress`).
fn restricts(objects: &[Object], direction: &str) -> bool {
    objects.iter().any(|o| match o {
        Object::NetworkPolicy(p) => p
            .spec
            .as_ref()
            .and_then(|s| s.policy_types.as_ref())
            .is_some_and(|t| t.iter().any(|t| t == direction)),
        _ => false,
    })
}

/// When the objects already restrict egress (a NetworkPolicy with policy type Egress), a
/// policy that lets the pods that use a bridge reach the Compose host on the bridged ports.
/// NetworkPolicies add up, so this one only opens; without an egress restriction it is not
/// made, since on its own it would close everything else.
fn egress_policy(
    objects: &[Object],
    bridges: &[Bridge],
    host_ip: &str,
    project: &Project,
    opts: &StageOptions,
) -> Option<NetworkPolicy> {
    if !restricts(objects, "Egress") || bridges.is_empty() {
        return None;
    }
    let mut users: BTreeSet<String> = bridges
        .iter()
        .flat_map(|b| &b.used_by)
        .map(|u| names::label_value(&names::service_name(u)))
        .collect();
    // The plan's preflight pod checks the bridges from the cluster.
    users.insert(super::commands::PREFLIGHT.into());
    let ports = super::policy::ports(
        bridges
            .iter()
            .flat_map(|b| &b.ports)
            .map(|p| (p.host_port, p.protocol.as_str())),
    );
    Some(NetworkPolicy {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(EGRESS_POLICY.into()),
            namespace: opts.namespace.clone(),
            labels: Some({
                let mut l = names::project_labels(&project.name);
                l.insert(bridge::BRIDGE_LABEL.into(), bridge::BRIDGE_VALUE.into());
                l
            }),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(super::policy::members(project, users.into_iter().collect())),
            policy_types: Some(vec!["Egress".into()]),
            egress: Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![super::policy::host(host_ip)]),
                ports: Some(ports),
            }]),
            ingress: None,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::references;
    use serde_json::json;

    #[test]
    fn pod_references() {
        let v = json!({"spec": {"volumes": [
            {"name": "a", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "b", "configMap": {"name": "cfg"}},
            {"name": "c", "secret": {"secretName": "s1"}},
            {"name": "d", "projected": {"sources": [{"secret": {"name": "s2"}}]}}
        ], "containers": [{"name": "x", "env": [{"name": "E", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "k"}}}]}]}});
        let mut out = Default::default();
        references(&v, None, &mut out);
        let names: Vec<String> = out.iter().map(|(k, n)| format!("{k}/{n}")).collect();
        assert_eq!(
            names,
            [
                "ConfigMap/cfg",
                "PersistentVolumeClaim/data",
                "Secret/s1",
                "Secret/s2",
                "Secret/s3"
            ]
        );
    }
}
