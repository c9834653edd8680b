//! The workload object of a service: Deployment, StatefulSet, DaemonSet, Job or CronJob, of
//! the kind [`super::kind`] chooses.

use super::Ctx;
use super::counts::{backoff, replicas};
use super::kind::{Kind, decide, schedule};
use super::names;
use super::object::Object;
use super::volumes;
use crate::compose::model::{Service, VolumeType};
use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, DeploymentStrategy,
    RollingUpdateDeployment, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    PersistentVolumeClaim, PodSpec, PodTemplateSpec, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// Record the Compose service of a workload and of each of its containers (the main one,
/// then its `network_mode: service:` sidecars, in the order the pod lists them).
fn record_source(cx: &mut Ctx<'_>, name: &str, k8s: &str, pod: &PodSpec) {
    let project = cx.project;
    if !project.services.contains_key(name) {
        return;
    }
    let sidecars = cx.sidecars.get(name).into_iter().flatten();
    let services = std::iter::once(name)
        .chain(sidecars.map(String::as_str))
        .filter(|s| project.services.contains_key(*s))
        .map(str::to_string);
    let containers = super::pod::running_containers(pod)
        .map(|c| c.name.clone())
        .zip(services);
    cx.sources
        .containers
        .insert(k8s.to_string(), containers.collect());
    cx.sources
        .workloads
        .insert(k8s.to_string(), super::Source::Service(name.to_string()));
}

pub fn workload(cx: &mut Ctx<'_>, name: &str, svc: &Service, mut pod: PodSpec) {
    let k8s = cx.names[name].clone();
    record_source(cx, name, &k8s, &pod);
    let labels = cx.labels(name);
    let selector = LabelSelector {
        match_labels: Some(names::selector(&k8s, &cx.project.name)),
        ..Default::default()
    };
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in svc.labels.iter().chain(&svc.annotations) {
        if k.starts_with("kompose.") {
            // Kompose's settings, read by the loader and applied (or warned about).
            continue;
        }
        if names::is_qualified_key(k) {
            annotations.insert(k.clone(), v.clone());
        } else {
            cx.warn(
                "L080",
                name,
                &["labels"],
                format!("label `{k}` is not a valid Kubernetes annotation key; dropped"),
            );
        }
    }
    // `deploy.labels` mark the workload object only, not its pods.
    let (mut workload_labels, mut workload_annotations) = (labels.clone(), annotations.clone());
    super::deploy_labels::apply(
        cx,
        name,
        svc,
        &mut workload_labels,
        &mut workload_annotations,
    );
    let meta = ObjectMeta {
        name: Some(k8s.clone()),
        namespace: cx.opts.namespace.clone(),
        labels: Some(workload_labels),
        annotations: (!workload_annotations.is_empty()).then_some(workload_annotations),
        ..Default::default()
    };
    placement(cx, name, svc, &mut pod);
    // The Job of the run-once `pre_start` hooks runs where the service's pods may run.
    if super::pre_start_job::wanted(cx, name, svc, &pod) {
        super::pre_start_job::objects(cx, name, svc, &pod);
    }
    let (kind, serves) = decide(cx, name, svc);
    if let Some(s) = serves {
        let compose = if s.value.starts_with("on-failure") {
            "restarts the container only when it fails"
        } else {
            "leaves the container stopped once it exits"
        };
        cx.warn("L096", name, s.key, format!(
            "`{}: {}` {compose}, but {}: it becomes a Deployment, whose pods Kubernetes restarts after every exit (x-kubeferry.controller: job makes it a Job)",
            s.key.join("."), s.value, s.because
        ));
    }
    let restart_on_failure = svc
        .restart
        .as_deref()
        .is_some_and(|r| r.starts_with("on-failure"))
        || svc
            .deploy
            .as_ref()
            .and_then(|d| d.restart_policy.as_ref())
            .and_then(|r| r.condition.as_deref())
            == Some("on-failure");
    if matches!(kind, Kind::Job | Kind::CronJob) {
        pod.restart_policy = Some(
            if restart_on_failure {
                "OnFailure"
            } else {
                "Never"
            }
            .into(),
        );
    }
    let mut template = PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..Default::default()
        }),
        spec: Some(pod),
    };
    let replicas = replicas(cx, svc);
    let object = match kind {
        Kind::Deployment => Object::from(Deployment {
            metadata: meta,
            spec: Some(DeploymentSpec {
                replicas,
                selector,
                template,
                strategy: strategy(svc),
                ..Default::default()
            }),
            ..Default::default()
        }),
        Kind::StatefulSet => Object::from(StatefulSet {
            metadata: meta,
            spec: Some(StatefulSetSpec {
                replicas,
                selector,
                service_name: Some(super::service::governing_name(cx, name, svc)),
                volume_claim_templates: claim_templates(cx, name, &mut template),
                template,
                ..Default::default()
            }),
            ..Default::default()
        }),
        Kind::DaemonSet => Object::from(DaemonSet {
            metadata: meta,
            spec: Some(DaemonSetSpec {
                selector,
                template,
                ..Default::default()
            }),
            ..Default::default()
        }),
        Kind::Job => Object::from(Job {
            metadata: meta,
            spec: Some(JobSpec {
                template,
                backoff_limit: backoff(svc),
                ..Default::default()
            }),
            ..Default::default()
        }),
        Kind::CronJob => {
            let sched = schedule(svc).unwrap_or_else(|| {
                cx.warn("L091", name, &["labels"], "a CronJob without a schedule (kompose.cronjob.schedule or x-kubeferry.schedule) runs daily");
                "@daily".into()
            });
            // The CronJob controller appends 11 characters to name its Jobs (63 at most).
            let mut meta = meta;
            if k8s.len() > 52 {
                let short = k8s[..52].trim_end_matches('-').to_string();
                cx.warn("L094", name, &[], format!(
                    "the CronJob is named `{short}`: `{k8s}` is longer than the 52 characters a CronJob name may have"
                ));
                meta.name = Some(short);
            }
            Object::from(CronJob {
                metadata: meta,
                spec: Some(CronJobSpec {
                    schedule: sched,
                    concurrency_policy: svc.settings.concurrency_policy.clone(),
                    job_template: JobTemplateSpec {
                        metadata: None,
                        spec: Some(JobSpec {
                            template,
                            backoff_limit: backoff(svc),
                            ..Default::default()
                        }),
                    },
                    ..Default::default()
                }),
                ..Default::default()
            })
        }
    };
    cx.objects.push(object);
}

/// The service's own named volumes as volumeClaimTemplates (each pod of the StatefulSet gets
/// its own claim), taken out of the pod's volumes.
fn claim_templates(
    cx: &Ctx<'_>,
    name: &str,
    template: &mut PodTemplateSpec,
) -> Option<Vec<PersistentVolumeClaim>> {
    let svc = cx.project.services.get(name)?;
    let spec = template.spec.as_mut()?;
    let mut claims = Vec::new();
    for v in &svc.volumes {
        let Some(src) = v.source.as_deref() else {
            continue;
        };
        if v.kind != VolumeType::Volume || !volumes::is_claim_template(cx, src) {
            continue;
        }
        let claim = volumes::named_claim(cx, src, name);
        let vname = claim.metadata.name.clone().unwrap_or_default();
        if claims
            .iter()
            .any(|c: &PersistentVolumeClaim| c.metadata.name == claim.metadata.name)
        {
            continue;
        }
        if let Some(vols) = spec.volumes.as_mut() {
            vols.retain(|pv| pv.name != vname);
        }
        let mut claim = claim;
        // A template's claims are named by the StatefulSet; labels and namespace come from it.
        claim.metadata = ObjectMeta {
            name: Some(vname),
            ..Default::default()
        };
        claims.push(claim);
    }
    if spec.volumes.as_ref().is_some_and(Vec::is_empty) {
        spec.volumes = None;
    }
    (!claims.is_empty()).then_some(claims)
}

fn strategy(svc: &Service) -> Option<DeploymentStrategy> {
    let order = svc
        .deploy
        .as_ref()
        .and_then(|d| d.update_config.as_ref())
        .and_then(|u| u.order.as_deref())?;
    Some(match order {
        "start-first" => DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateDeployment {
                max_surge: Some(IntOrString::Int(1)),
                max_unavailable: Some(IntOrString::Int(0)),
            }),
        },
        _ => DeploymentStrategy {
            type_: Some("Recreate".into()),
            rolling_update: None,
        },
    })
}

/// `deploy.placement` to node affinity and topology spread.
fn placement(cx: &mut Ctx<'_>, name: &str, svc: &Service, pod: &mut PodSpec) {
    let Some(p) = svc.deploy.as_ref().map(|d| &d.placement) else {
        return;
    };
    let mut reqs = Vec::new();
    for c in &p.constraints {
        let (k, op, v) = if let Some((k, v)) = c.split_once("==") {
            (k.trim(), "In", v.trim())
        } else if let Some((k, v)) = c.split_once("!=") {
            (k.trim(), "NotIn", v.trim())
        } else if let Some((k, v)) = c.split_once('=') {
            (k.trim(), "In", v.trim())
        } else {
            cx.warn(
                "L090",
                name,
                &["deploy", "placement", "constraints"],
                format!("placement constraint `{c}` is not understood; dropped"),
            );
            continue;
        };
        let key = match k {
            "node.hostname" => "kubernetes.io/hostname".to_string(),
            "node.platform.os" => "kubernetes.io/os".to_string(),
            "node.platform.arch" => "kubernetes.io/arch".to_string(),
            _ if k.starts_with("node.labels.") => k.trim_start_matches("node.labels.").to_string(),
            _ if !k.contains(' ') && !k.starts_with("node.") && !k.starts_with("engine.") => {
                k.to_string()
            }
            _ => {
                cx.warn(
                    "L090",
                    name,
                    &["deploy", "placement", "constraints"],
                    format!("placement constraint `{c}` has no Kubernetes equivalent; dropped"),
                );
                continue;
            }
        };
        if !names::is_qualified_key(&key) || !names::is_label_value(v) {
            cx.warn(
                "L090",
                name,
                &["deploy", "placement", "constraints"],
                format!("placement constraint `{c}` is not a valid node label selector; dropped"),
            );
            continue;
        }
        reqs.push(NodeSelectorRequirement {
            key,
            operator: op.into(),
            values: Some(vec![v.to_string()]),
        });
    }
    if !reqs.is_empty() {
        pod.affinity = Some(Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(reqs),
                        ..Default::default()
                    }],
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    let mut spreads = Vec::new();
    for pref in &p.preferences {
        let key = pref.spread.trim_start_matches("node.labels.").to_string();
        if names::is_qualified_key(&key) {
            spreads.push(TopologySpreadConstraint {
                max_skew: 1,
                topology_key: key,
                when_unsatisfiable: "ScheduleAnyway".into(),
                label_selector: Some(LabelSelector {
                    match_labels: Some(names::selector(&cx.names[name], &cx.project.name)),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
    }
    if !spreads.is_empty() {
        pod.topology_spread_constraints = Some(spreads);
    }
}
