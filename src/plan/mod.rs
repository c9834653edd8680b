//! Staged migration: move the stateless services first, bridged to the stateful ones that stay
//! on the Compose host with their data; move those later.
//!
//! [`classify`] takes a project and returns each service's verdict; [`plan`] turns it into a
//! [`Plan`] (stage 1, stage 2 with volumes and data-migration steps, the changes on the Compose
//! host), rendered by [`markdown`] or as JSON; [`stage::stage`] takes the lowered objects of the
//! whole project and returns those of one stage, with the bridges and the Compose override file.

pub(crate) mod bridge;
pub mod claims;
pub(crate) mod classify;
pub(crate) mod commands;
pub(crate) mod engine;
mod markdown;
pub(crate) mod migrate;
pub mod override_file;
mod policy;
pub(crate) mod reverse;
pub(crate) mod stage;
pub mod state;

pub use bridge::{Bridge, ComposeHost, ReverseBridge};
pub use classify::{Class, Classification, classify};
pub use markdown::markdown;
pub use stage::{Stage, StageOptions, Staged, stage};

use crate::compose::FileSystem;
use crate::compose::model::Project;
use crate::diag::Diagnostic;
use crate::lower::names;
use engine::Engine;
use indexmap::IndexMap;
use migrate::Step;
use serde::Serialize;

/// Options of the plan: the same ones the stages use.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Where the stay-behind services run, as the cluster reaches it (`--compose-host`).
    pub compose_host: Option<ComposeHost>,
    /// The address the override file publishes the stay-behind ports on (`--bridge-bind`).
    pub bridge_bind: Option<String>,
    /// The namespace of the output.
    pub namespace: Option<String>,
    /// Measured claim sizes (`--claim-size`).
    pub sizes: claims::Sizes,
    /// `--cluster-host`: where the Compose host reaches the reverse bridges.
    pub cluster_host: Option<String>,
    /// The input flags the printed commands repeat (`-f`, `--env-file`, `--profile`, `-p`,
    /// `--project-directory`), as given.
    pub input_flags: Vec<String>,
    /// The project's Compose files as Docker Compose uses them (empty: found in the project).
    pub compose_files: Vec<String>,
    /// Where stage 1 writes the override file (default `compose.bridge.yaml`).
    pub bridge_file: Option<String>,
    /// The stage-1 record the options were completed from, if any.
    pub state_file: Option<String>,
}

/// The project's Compose files as Docker Compose on the Compose host uses them: `COMPOSE_FILE`
/// when the project's environment sets it, else the top-level files kubeferry found (the
/// default file and its override file, in merge order).
pub fn compose_files(project: &Project) -> Vec<String> {
    if let Some(files) = crate::compose::compose_file_paths(&project.environment) {
        return files;
    }
    let top = |f: &&String| {
        let base = f.rsplit('/').next().unwrap_or(f);
        base.starts_with("compose.") || base.starts_with("docker-compose.")
    };
    let files: Vec<String> = project.origins.files.iter().filter(top).cloned().collect();
    if files.is_empty() {
        project.origins.files.iter().take(1).cloned().collect()
    } else {
        files
    }
}

/// A moved service of stage 1.
#[derive(Clone, Debug, Serialize)]
pub struct Moved {
    /// The Compose service.
    pub service: String,
    /// The stay-behind services it reaches (through a bridge).
    pub reaches: Vec<String>,
}

/// A data location of a stateful service and the claim it becomes.
#[derive(Clone, Debug, Serialize)]
pub struct VolumePlan {
    /// `volume` (a named volume) or `bind` (a host folder).
    pub kind: &'static str,
    /// The volume name, or the host path relative to the project folder.
    pub source: String,
    /// The path in the container.
    pub target: String,
    /// The PersistentVolumeClaim stage 2 keeps it in (none for an external volume).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    /// The claim size to request (measured with `--claim-size`, or the default).
    pub suggested_size: String,
    /// A command that measures the data on the Compose host.
    pub measure: String,
}

/// A stateful service of stage 2.
#[derive(Clone, Debug, Serialize)]
pub struct Kept {
    /// The Compose service.
    pub service: String,
    /// Its image, if it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The database or queue engine recognised from the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// Why it is stateful.
    pub reasons: Vec<String>,
    /// Its data and the claims it moves into.
    pub volumes: Vec<VolumePlan>,
    /// The migration steps, in order.
    pub steps: Vec<Step>,
}

/// The staged plan of a project.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// The project's name.
    pub project: String,
    /// Where the stay-behind services run (`--compose-host`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compose_host: Option<ComposeHost>,
    /// Each service's verdict: stateless (moves in stage 1) or stateful.
    pub classification: IndexMap<String, Class>,
    /// The services that move in stage 1.
    pub stage1: Vec<Moved>,
    /// The stay-behind services the moved ones reach, each through a bridge.
    pub bridges: Vec<Bridge>,
    /// Moved services that stay-behind services reach: exposed to the Compose host.
    pub reverse_bridges: Vec<ReverseBridge>,
    /// The services that move in stage 2, with their data.
    pub stage2: Vec<Kept>,
    /// The order of stage 2, around the per-service data migrations.
    pub stage2_order: Vec<String>,
    /// What to change on the Compose host, step by step.
    pub compose_host_changes: Vec<String>,
    /// The commands to run, with every setting the plan was given.
    pub commands: commands::Commands,
    /// The stage-1 record the plan's settings were completed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_file: Option<String>,
    /// What the plan could not work out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

/// Make the staged plan of a project.
pub fn plan(project: &Project, fs: &dyn FileSystem, opts: &PlanOptions) -> Plan {
    let cls = classify(project, fs);
    let (bridges, mut warnings) = bridge::bridges(project, &cls);
    let (reverse_bridges, reverse_warnings) = bridge::reverse_bridges(project, &cls);
    warnings.extend(reverse_warnings);
    // What stage 1 would refuse, said early.
    if let Some(host) = &opts.compose_host {
        for b in &bridges {
            if let Err(mut d) = bridge::objects(b, host, project, None) {
                d.severity = crate::diag::Severity::Warning;
                warnings.push(d);
            }
        }
    }
    let stage1: Vec<Moved> = cls
        .services
        .iter()
        .filter(|(_, c)| !c.stateful)
        .map(|(s, _)| Moved {
            service: s.clone(),
            reaches: cls.stay_behind_reached_by(s),
        })
        .collect();
    let data = claims::data_claims(project, &cls, &opts.sizes);
    let mut stage2 = Vec::new();
    // Data locations already planned, with their first stateful user.
    let mut owners: Vec<(classify::DataVolume, String)> = Vec::new();
    for (name, c) in cls.services.iter().filter(|(_, c)| c.stateful) {
        let Some(svc) = project.services.get(name) else {
            continue;
        };
        let host_port = |port: u32| {
            bridges
                .iter()
                .find(|b| &b.service == name)
                .and_then(|b| b.ports.iter().find(|p| p.port == port))
                .map(|p| p.host_port)
                .or_else(|| {
                    svc.ports
                        .iter()
                        .find(|p| p.target == port)
                        .and_then(|p| p.published.as_deref()?.parse().ok())
                })
                .unwrap_or(port)
        };
        let same = |a: &classify::DataVolume, b: &classify::DataVolume| {
            a.kind == b.kind && a.source == b.source
        };
        let shared: Vec<(classify::DataVolume, String)> = c
            .data
            .iter()
            .filter_map(|d| {
                owners
                    .iter()
                    .find(|(o, _)| same(o, d))
                    .map(|(_, owner)| (d.clone(), owner.clone()))
            })
            .collect();
        let job = svc.settings.controller.is_some_and(|k| {
            matches!(
                k,
                crate::compose::settings::ControllerKind::Job
                    | crate::compose::settings::ControllerKind::CronJob
            )
        }) || project.services.values().any(|s| {
            s.depends_on
                .get(name)
                .is_some_and(|d| d.condition == "service_completed_successfully")
        });
        let target = migrate::Target {
            project,
            service: name,
            svc,
            class: c,
            namespace: opts.namespace.as_deref(),
            host_port: &host_port,
            job,
            shared,
        };
        // A one-shot job copies nothing, so the next user of its data owns it.
        if !job {
            for d in &c.data {
                if !owners.iter().any(|(o, _)| same(o, d)) {
                    owners.push((d.clone(), name.clone()));
                }
            }
        }
        stage2.push(Kept {
            service: name.clone(),
            image: svc.image.clone(),
            engine: c.engine,
            reasons: c.reasons.clone(),
            volumes: volumes(project, name, &data),
            steps: migrate::steps(&target),
        });
    }
    let mut opts = opts.clone();
    if opts.compose_files.is_empty() {
        opts.compose_files = compose_files(project);
    }
    let moved: Vec<String> = stage1.iter().map(|m| m.service.clone()).collect();
    let kept: Vec<String> = stage2.iter().map(|k| k.service.clone()).collect();
    let mut claims: Vec<String> = stage2
        .iter()
        .flat_map(|k| k.volumes.iter().filter_map(|v| v.claim.clone()))
        .collect();
    claims.sort();
    claims.dedup();
    let commands = commands::commands(
        &project.name,
        &bridges,
        &reverse_bridges,
        &commands::Stages {
            moved: &moved,
            kept: &kept,
            claims: &claims,
        },
        &opts,
    );
    if opts.cluster_host.is_none() && !reverse_bridges.is_empty() {
        warnings.push(reverse::no_cluster_host_warning(&reverse_bridges, project));
    }
    let compose_host_changes = host_changes(
        project,
        &bridges,
        &reverse_bridges,
        &stage1,
        &stage2,
        &commands,
        &opts,
    );
    let stage2_order = order(project, &bridges, &stage2, &commands, &opts);
    Plan {
        project: project.name.clone(),
        compose_host: opts.compose_host.clone(),
        classification: cls.services.clone(),
        stage1,
        bridges,
        reverse_bridges,
        stage2,
        stage2_order,
        compose_host_changes,
        commands,
        state_file: opts.state_file.clone(),
        warnings,
    }
}

fn volumes(project: &Project, name: &str, data: &[claims::DataClaim]) -> Vec<VolumePlan> {
    data.iter()
        .filter(|d| d.service == name)
        .map(|d| {
            let def = (d.kind == "volume")
                .then(|| project.volumes.get(&d.source))
                .flatten();
            let measure = match def {
                Some(v) => format!(
                    "docker run --rm -v {}:/v:ro alpine du -sh /v",
                    v.name
                        .clone()
                        .unwrap_or_else(|| format!("{}_{}", project.name, d.source))
                ),
                None => format!("du -sh {}", d.source),
            };
            VolumePlan {
                kind: d.kind,
                source: d.source.clone(),
                target: d.target.clone(),
                claim: d.claim.clone(),
                suggested_size: d.size.clone(),
                measure,
            }
        })
        .collect()
}

/// Stage 2 in order: stop the writers, dump, apply, restore, drop the bridges, start again.
fn order(
    project: &Project,
    bridges: &[Bridge],
    stage2: &[Kept],
    commands: &commands::Commands,
    opts: &PlanOptions,
) -> Vec<String> {
    if stage2.is_empty() {
        return Vec::new();
    }
    let kc = match &opts.namespace {
        Some(ns) => format!("kubectl -n {ns}"),
        None => "kubectl".into(),
    };
    let mut writers: Vec<String> = bridges
        .iter()
        .flat_map(|b| &b.used_by)
        .map(|u| names::label_value(&names::service_name(u)))
        .collect();
    writers.sort();
    writers.dedup();
    let part_of = format!("{}={}", names::PART_OF, names::label_value(&project.name));
    let mut out = Vec::new();
    let scale = |n: u32| {
        format!(
            "`{kc} scale deployment,statefulset -l '{} in ({}),{part_of}' --replicas={n}`",
            names::NAME,
            writers.join(",")
        )
    };
    if !writers.is_empty() {
        out.push(format!(
            "Stop the services that write through the bridges: {} (note their replica counts first).",
            scale(0)
        ));
    }
    out.push("Dump or archive each stateful service's data on the Compose host (the first steps of each data migration below).".into());
    out.push(format!(
        "Convert and apply stage 2: `{}`, then `{kc} apply -f stage2/`; the real Services replace the bridges of the same name, and every data location above gets its claim.",
        commands.stage2
    ));
    out.push(format!(
        "Delete what is left of the bridges, so no traffic goes to the Compose host any more: `{}`.",
        delete_bridges(&kc, &part_of)
    ));
    out.push("Restore the data into the new pods (the remaining steps below).".into());
    if !writers.is_empty() {
        out.push(format!(
            "Start the writers again: {} (or their previous counts).",
            scale(1)
        ));
    }
    out
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The command that deletes every bridge object of the project still in the cluster. After
/// stage 2 the real Services no longer carry the bridge label, so `service` is safe here.
fn delete_bridges(kc: &str, part_of: &str) -> String {
    format!(
        "{kc} delete service,endpointslice,networkpolicy -l {}={},{part_of}",
        bridge::BRIDGE_LABEL,
        bridge::BRIDGE_VALUE
    )
}

fn host_changes(
    project: &Project,
    bridges: &[Bridge],
    reverse: &[ReverseBridge],
    stage1: &[Moved],
    stage2: &[Kept],
    commands: &commands::Commands,
    opts: &PlanOptions,
) -> Vec<String> {
    let mut out = Vec::new();
    let host = opts
        .compose_host
        .as_ref()
        .map(|h| h.to_string())
        .unwrap_or_else(|| "HOST".into());
    let unpublished: Vec<String> = bridges
        .iter()
        .flat_map(|b| {
            b.ports
                .iter()
                .filter(|p| !p.published_by_compose)
                .map(move |p| format!("{} {}→{}", b.service, p.port, p.host_port))
        })
        .collect();
    if let Some(up) = &commands.compose_up {
        let bind = opts
            .bridge_bind
            .as_deref()
            .map(|b| format!(" on {b}"))
            .unwrap_or_else(|| " on every interface (set --bridge-bind to narrow it)".into());
        let ports = if unpublished.is_empty() {
            String::new()
        } else {
            format!(
                "publishes the bridged ports{bind} ({}) and ",
                unpublished.join(", ")
            )
        };
        out.push(format!(
            "Apply the override file of stage 1 with the project's own Compose files: `{up}`. It {ports}recreates only the services it names; `up -d` without them would recreate or start every service whose settings differ, including the moved ones. Every later `docker compose` command on this host needs the same `-f` list."
        ));
    }
    if !bridges.is_empty() {
        let mut ports: Vec<String> = bridges
            .iter()
            .flat_map(|b| {
                b.ports
                    .iter()
                    .map(|p| format!("{}/{}", p.host_port, p.protocol))
            })
            .collect();
        ports.sort();
        ports.dedup();
        out.push(format!(
            "Let the cluster's nodes reach {host} on {} (host firewall, security group).",
            ports.join(", ")
        ));
    }
    if let Some(p) = &commands.preflight {
        out.push(format!(
            "After applying stage 1, check from the cluster that every bridged port answers: `{p}`."
        ));
    }
    let moved: Vec<String> = stage1.iter().map(|m| m.service.clone()).collect();
    if !moved.is_empty() {
        out.push(format!(
            "Once stage 1 runs in the cluster, stop the moved services on the Compose host: `docker compose{} stop {}`.",
            opts.compose_files
                .iter()
                .map(|f| format!(" -f {f}"))
                .collect::<String>(),
            moved.join(" ")
        ));
    }
    let cluster = opts.cluster_host.as_deref().unwrap_or("CLUSTER_HOST");
    for r in reverse {
        let ports: Vec<String> = r
            .ports
            .iter()
            .map(|(p, proto)| format!("{p}/{proto}"))
            .collect();
        out.push(format!(
            "{} {} on the Compose host and {} {} ({}): stage 1 exposes it as the LoadBalancer Service `{}` on {} (give it the address {cluster} through your load balancer; `externalTrafficPolicy: Local` keeps the Compose host's address for the NetworkPolicy), and the override file maps {} to {cluster} with `extra_hosts`, so the same URLs keep working. The entry takes effect when the override is applied, so apply stage 1 right after it. Check from the Compose host: `nc -z -w 5 {cluster} {}`.",
            list(&r.used_by),
            if r.used_by.len() == 1 { "stays" } else { "stay" },
            if r.used_by.len() == 1 { "reaches" } else { "reach" },
            format_args!("`{}`", r.service),
            r.hosts.join(", "),
            r.name,
            ports.join(", "),
            list(&r.hosts),
            r.ports.first().map(|p| p.0).unwrap_or(0),
        ));
    }
    if !stage2.is_empty() {
        let kept: Vec<String> = stage2.iter().map(|k| k.service.clone()).collect();
        let kc = match &opts.namespace {
            Some(n) => format!("kubectl -n {n}"),
            None => "kubectl".into(),
        };
        let part_of = format!("{}={}", names::PART_OF, names::label_value(&project.name));
        out.push(format!(
            "After stage 2 and its data migration: stop {} on the Compose host (`docker compose{} stop {}`), drop the override file, and delete what is left of the bridges: `{}`.",
            list(&kept),
            opts.compose_files
                .iter()
                .map(|f| format!(" -f {f}"))
                .collect::<String>(),
            kept.join(" "),
            delete_bridges(&kc, &part_of)
        ));
    }
    out
}
