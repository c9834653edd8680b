//! Staged migration: move the stateless services first, bridged to the stateful ones that stay
//! on the Compose host with their data; move those later.
//!
//! [`classify`] takes a project and returns each service's verdict; [`plan`] turns it into a
//! [`Plan`] (stage 1, stage 2 with volumes and data-migration steps, the changes on the Compose
//! host), rendered by [`markdown`] or as JSON; [`stage::stage`] takes the lowered objects of the
//! whole project and returns those of one stage, with the bridges and the Compose override file.

pub mod bridge;
pub mod classify;
pub mod engine;
mod markdown;
pub mod migrate;
pub mod override_file;
pub mod stage;

pub use bridge::{Bridge, ComposeHost};
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
    pub compose_host: Option<ComposeHost>,
    pub bridge_bind: Option<String>,
    pub namespace: Option<String>,
}

/// A moved service of stage 1.
#[derive(Clone, Debug, Serialize)]
pub struct Moved {
    pub service: String,
    /// The stay-behind services it reaches (through a bridge).
    pub reaches: Vec<String>,
}

/// A data location of a stateful service and the claim it becomes.
#[derive(Clone, Debug, Serialize)]
pub struct VolumePlan {
    pub kind: &'static str,
    pub source: String,
    pub target: String,
    /// The PersistentVolumeClaim of a named volume; bind mounts get one only with
    /// `--volumes persistentVolumeClaim`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    pub suggested_size: String,
    /// A command that measures the data on the Compose host.
    pub measure: String,
}

/// A stateful service of stage 2.
#[derive(Clone, Debug, Serialize)]
pub struct Kept {
    pub service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    pub reasons: Vec<String>,
    pub volumes: Vec<VolumePlan>,
    pub steps: Vec<Step>,
}

/// The staged plan of a project.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub project: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compose_host: Option<ComposeHost>,
    pub classification: IndexMap<String, Class>,
    pub stage1: Vec<Moved>,
    pub bridges: Vec<Bridge>,
    pub stage2: Vec<Kept>,
    /// The order of stage 2, around the per-service data migrations.
    pub stage2_order: Vec<String>,
    pub compose_host_changes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

/// Make the staged plan of a project.
pub fn plan(project: &Project, fs: &dyn FileSystem, opts: &PlanOptions) -> Plan {
    let cls = classify(project, fs);
    let (bridges, mut warnings) = bridge::bridges(project, &cls);
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
            volumes: volumes(project, name, c),
            steps: migrate::steps(&target),
        });
    }
    let compose_host_changes = host_changes(project, &cls, &bridges, &stage1, &stage2, opts);
    let stage2_order = order(project, &bridges, &stage2, opts);
    Plan {
        project: project.name.clone(),
        compose_host: opts.compose_host.clone(),
        classification: cls.services.clone(),
        stage1,
        bridges,
        stage2,
        stage2_order,
        compose_host_changes,
        warnings,
    }
}

fn volumes(project: &Project, name: &str, c: &Class) -> Vec<VolumePlan> {
    let svc = &project.services[name];
    c.data
        .iter()
        .map(|d| {
            let def = (d.kind == "volume")
                .then(|| project.volumes.get(&d.source))
                .flatten();
            let size = def
                .and_then(|v| v.settings.size.clone())
                .or_else(|| svc.settings.pvc_size.clone())
                .or_else(|| c.engine.map(|e| e.suggested_size().to_string()))
                .or_else(|| project.settings.pvc_size.clone())
                .unwrap_or_else(|| "5Gi".into());
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
                claim: def
                    .filter(|v| !v.external)
                    .map(|_| names::dns_label(&d.source)),
                suggested_size: size,
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
        "Convert and apply stage 2: `kubeferry convert --stage stateful -o stage2/`, then `{kc} apply -f stage2/`; the real Services replace the bridges of the same name."
    ));
    out.push(format!(
        "Delete what is left of the bridges, so no traffic goes to the Compose host any more: `{kc} delete endpointslice,networkpolicy -l {}={},{part_of}`.",
        bridge::BRIDGE_LABEL,
        bridge::BRIDGE_VALUE
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

fn host_changes(
    project: &Project,
    cls: &Classification,
    bridges: &[Bridge],
    stage1: &[Moved],
    stage2: &[Kept],
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
    if !unpublished.is_empty() {
        let bind = opts
            .bridge_bind
            .as_deref()
            .map(|b| format!(" on {b}"))
            .unwrap_or_else(|| " on every interface (set --bridge-bind to narrow it)".into());
        out.push(format!(
            "Publish the bridged ports{bind} with the override file of stage 1: `docker compose -f compose.yaml -f {} up -d` ({}).",
            override_file::FILE_NAME,
            unpublished.join(", ")
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
    let moved: Vec<String> = stage1.iter().map(|m| m.service.clone()).collect();
    if !moved.is_empty() {
        out.push(format!(
            "Once stage 1 runs in the cluster, stop the moved services on the Compose host: `docker compose stop {}`.",
            moved.join(" ")
        ));
    }
    for (name, c) in cls.services.iter().filter(|(_, c)| c.stateful) {
        let calls: Vec<String> = c
            .reaches
            .iter()
            .filter(|r| !cls.is_stateful(r))
            .cloned()
            .collect();
        if !calls.is_empty() {
            out.push(format!(
                "`{name}` stays but reaches {}, which {}: until stage 2, point it at the cluster (an Ingress, or a NodePort or LoadBalancer Service).",
                list(&calls),
                if calls.len() == 1 { "moves" } else { "move" }
            ));
        }
    }
    if stage2
        .iter()
        .any(|k| k.volumes.iter().any(|v| v.kind == "bind"))
    {
        out.push("Convert stage 2 with `--volumes persistentVolumeClaim`: bind-mounted data directories otherwise become empty directories in the cluster.".into());
    }
    if !stage2.is_empty() {
        let kept: Vec<String> = stage2.iter().map(|k| k.service.clone()).collect();
        let ns = opts
            .namespace
            .as_deref()
            .map(|n| format!(" -n {n}"))
            .unwrap_or_default();
        out.push(format!(
            "After stage 2 and its data migration: stop {} on the Compose host (`docker compose stop {}`), drop {}, and delete what is left of the bridges: `kubectl{ns} delete endpointslice,networkpolicy -l {}={},{}={}`.",
            list(&kept),
            kept.join(" "),
            override_file::FILE_NAME,
            bridge::BRIDGE_LABEL,
            bridge::BRIDGE_VALUE,
            names::PART_OF,
            names::label_value(&project.name)
        ));
    }
    out
}
