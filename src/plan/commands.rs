//! The commands of a staged migration, as the plan prints them: the two conversions with every
//! setting the plan was given (files, env files, profiles, project name, namespace, bridge
//! addresses, claim sizes), the Compose command that applies the override, the preflight check
//! of the bridges, and the way back from each stage.

use super::PlanOptions;
use super::bridge::{Bridge, ComposeHost, ReverseBridge};
use super::override_file::{self, Usage};
use crate::lower::names;
use serde::Serialize;

/// The commands of the plan.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Commands {
    pub stage1: String,
    pub stage2: String,
    /// On the Compose host, after converting stage 1: publish the bridged ports and point the
    /// stay-behind services at the cluster (`None` when the override changes nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compose_up: Option<String>,
    /// A pod that checks, from the cluster, that every bridged port of the Compose host
    /// answers (run after applying stage 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preflight: Option<String>,
    /// The way back from stage 1, then from stage 2.
    pub rollback_stage1: Vec<String>,
    pub rollback_stage2: Vec<String>,
}

fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn kubectl(opts: &PlanOptions) -> String {
    match &opts.namespace {
        Some(ns) => format!("kubectl -n {ns}"),
        None => "kubectl".into(),
    }
}

/// The kinds a project's objects come in, for deleting them by label.
const KINDS: &str = "deployment,statefulset,daemonset,job,cronjob,service,endpointslice,ingress,horizontalpodautoscaler,poddisruptionbudget,networkpolicy,configmap,secret,persistentvolumeclaim,serviceaccount,role,rolebinding";

/// The services of each stage and the claims of stage 2.
pub struct Stages<'a> {
    pub moved: &'a [String],
    pub kept: &'a [String],
    pub claims: &'a [String],
}

/// The commands for a plan's bridges and services.
pub fn commands(
    project: &str,
    bridges: &[Bridge],
    reverse: &[ReverseBridge],
    stages: &Stages<'_>,
    opts: &PlanOptions,
) -> Commands {
    let Stages {
        moved,
        kept,
        claims,
    } = *stages;
    let mut common: Vec<String> = opts.input_flags.iter().map(|f| shell_word(f)).collect();
    if let Some(ns) = &opts.namespace {
        common.push(format!("--namespace {}", shell_word(ns)));
    }
    for (k, v) in &opts.sizes {
        common.push(format!("--claim-size {}", shell_word(&format!("{k}={v}"))));
    }
    let host = opts
        .compose_host
        .as_ref()
        .map(|h| h.to_string())
        .unwrap_or_else(|| "HOST".into());
    let mut s1 = vec!["kubeferry convert".to_string()];
    s1.extend(common.iter().cloned());
    s1.push(format!("--stage stateless --compose-host {host}"));
    if let Some(b) = &opts.bridge_bind {
        s1.push(format!("--bridge-bind {b}"));
    }
    if let Some(c) = &opts.cluster_host {
        s1.push(format!("--cluster-host {c}"));
    }
    if let Some(f) = &opts.bridge_file {
        s1.push(format!("--bridge-file {}", shell_word(f)));
    }
    s1.push("-o stage1/".into());
    let mut s2 = vec!["kubeferry convert".to_string()];
    s2.extend(common);
    s2.push("--stage stateful -o stage2/".into());
    let usage = Usage::new(
        opts.compose_files.clone(),
        opts.bridge_file.as_deref(),
        opts.bridge_bind.as_deref(),
        opts.cluster_host.as_deref(),
    );
    let changed = override_file::changed(bridges, reverse, &usage);
    let compose_up = (!changed.is_empty()).then(|| {
        format!(
            "{} up -d --no-deps {}",
            usage.compose(true),
            changed.join(" ")
        )
    });
    let kc = kubectl(opts);
    let part_of = format!("{}={}", names::PART_OF, names::label_value(project));
    let preflight = preflight(bridges, opts, &kc, &part_of);
    let bridged: Vec<String> = changed.clone();
    let mut rollback_stage1 = Vec::new();
    if !moved.is_empty() {
        rollback_stage1.push(format!(
            "On the Compose host, start the moved services again: `{} up -d --no-deps {}`.",
            usage.compose(false),
            moved.join(" ")
        ));
    }
    rollback_stage1.push(format!(
        "Delete stage 1 from the cluster, by the project's label rather than `-f stage1/`, which would delete the Namespace and whatever else it holds: `{kc} delete {KINDS} -l {part_of}` (data in the claims of moved services goes with them; copy out what you need first)."
    ));
    if !bridged.is_empty() {
        rollback_stage1.push(format!(
            "Drop the override: `{} up -d --no-deps {}` recreates those services without the bridge ports and hosts.",
            usage.compose(false),
            bridged.join(" ")
        ));
    }
    let selected = kept
        .iter()
        .map(|k| names::label_value(&names::service_name(k)))
        .collect::<Vec<_>>()
        .join(",");
    let mut rollback_stage2 = vec![
        "Until you delete the Compose host's volumes and folders, they still hold the data as it was when you dumped it; anything written in the cluster since is lost unless you dump it back (the data-migration steps, the other way round).".to_string(),
        format!(
            "Delete stage 2's workloads and Services (not `-f stage2/`: it also holds the Namespace and the objects stage 1 shares): `{kc} delete deployment,statefulset,daemonset,job,cronjob,service,serviceaccount,role,rolebinding -l '{} in ({selected}),{part_of}'`{}.",
            names::NAME,
            if claims.is_empty() {
                String::new()
            } else {
                format!(
                    ", then, once their data is safe, their claims: `{kc} delete pvc {}`",
                    claims.join(" ")
                )
            }
        ),
        format!("Bring the bridges back: `{kc} apply -f stage1/`."),
    ];
    if !kept.is_empty() {
        rollback_stage2.push(format!(
            "On the Compose host, start the stateful services again with the override: `{} up -d --no-deps {}`.",
            usage.compose(true),
            kept.join(" ")
        ));
    }
    Commands {
        stage1: s1.join(" "),
        stage2: s2.join(" "),
        compose_up,
        preflight,
        rollback_stage1,
        rollback_stage2,
    }
}

/// The name label of the preflight pod; stage 1's egress policy lets it out like a bridge user.
pub const PREFLIGHT: &str = "kubeferry-preflight";

/// A throw-away pod that opens each bridged port of the Compose host and fails on the first
/// that does not answer.
fn preflight(bridges: &[Bridge], opts: &PlanOptions, kc: &str, part_of: &str) -> Option<String> {
    bridges.first()?;
    let host = match &opts.compose_host {
        Some(ComposeHost::Ip(ip)) => ip.to_string(),
        Some(ComposeHost::Name(n)) => n.clone(),
        None => "HOST".into(),
    };
    let mut ports: Vec<u32> = bridges
        .iter()
        .flat_map(|b| &b.ports)
        .filter(|p| p.protocol == "TCP")
        .map(|p| p.host_port)
        .collect();
    ports.sort();
    ports.dedup();
    if ports.is_empty() {
        return None;
    }
    let checks: Vec<String> = ports
        .iter()
        .map(|p| format!("nc -z -w 5 {host} {p} && echo {host}:{p} ok"))
        .collect();
    Some(format!(
        "{kc} run {PREFLIGHT} --rm -i --restart=Never --image=busybox:1.36 --labels={}={PREFLIGHT},{part_of} -- sh -c '{}'",
        names::NAME,
        checks.join(" && ")
    ))
}
