//! `pre_start` hooks that run once for the service (no `per_replica: true`) in a service with
//! more than one pod: a Job runs them, and every pod of the service waits for it.
//!
//! [`wanted`] says whether a service gets this form. [`wait`] gives its pod the init container
//! that waits for the Job (the only container of the output that calls the Kubernetes API: a
//! projected token of its own, mounted in it alone), [`objects`] makes, from the finished pod
//! spec, the Job `<service>-pre-start` (the hooks in order: init containers, the last one as
//! its container, each as the per-replica form builds it) and the ServiceAccount, Role (`get`
//! on that one Job) and RoleBinding the wait runs as.

use super::Ctx;
use super::counts;
use super::hook_container::{self, PREFIX};
use super::kind::{self, Kind};
use super::names::{self, dns_label};
use super::source::Source;
use super::volumes;
use crate::compose::model::{Service, VolumeType};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapProjection, Container, DownwardAPIProjection, DownwardAPIVolumeFile,
    KeyToPath, ObjectFieldSelector, PodSpec, PodTemplateSpec, ProjectedVolumeSource,
    ResourceRequirements, SeccompProfile, SecurityContext, ServiceAccount,
    ServiceAccountTokenProjection, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// The `app.kubernetes.io/component` of the Job, its pod and the wait's objects.
pub const COMPONENT: &str = "pre-start";
/// The init container that waits for the Job.
pub const WAIT_CONTAINER: &str = "wait-for-pre-start";
/// Its token volume (a service-account token, the cluster CA, the namespace).
const TOKEN_VOLUME: &str = "pre-start-api-access";
/// Where client libraries and kubectl look for the in-cluster credentials.
const TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The uid and gid the wait runs as: the kubectl image has no `USER` (root), and Pod
/// Security "restricted" wants a non-root numeric one.
const WAIT_UID: i64 = 65532;
/// How many times the Job retries its pod when no `restart: on-failure:N`,
/// `deploy.restart_policy.max_attempts` or `x-kubeferry.backoff_limit` says (Kubernetes'
/// default, written out).
const BACKOFF_LIMIT: i32 = 6;

/// The wait, as a script of the kubectl image (bash): `$1` is the Job. A Job that does not
/// exist yet (applied after this pod) or cannot be read is waited for; a failed one fails the
/// init container, so the pod does not start, as Compose does not start a service whose
/// `pre_start` hook failed.
const SCRIPT: &str = r#"job="$1"
while :; do
  if state=$(kubectl get job "$job" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}' 2>&1); then
    case " $state " in
      *" Complete "*) echo "Job $job completed"; exit 0 ;;
      *" Failed "*) echo "Job $job failed: the pre_start hooks did not succeed (kubectl logs job/$job); delete the Job and apply again to run them again" >&2; exit 1 ;;
    esac
  fi
  echo "waiting for Job $job to complete ${state}"
  sleep 5
done"#;

/// Whether the service's run-once hooks go to a Job: it has one, more than one pod can run at
/// once ([`several_pods`]), and the pod has no volume of its own ([`own_volumes`]) that the
/// Job could not share with it.
pub fn wanted(cx: &Ctx<'_>, name: &str, svc: &Service, spec: &PodSpec) -> bool {
    has_once(svc) && several_pods(cx, name, svc) && own_volumes(cx, svc, spec).is_empty()
}

/// Whether a hook runs once for the service (no `per_replica: true`).
pub fn has_once(svc: &Service) -> bool {
    svc.pre_start.iter().any(|h| !h.per_replica)
}

/// Whether more than one pod of the service can run at once (replicas, an autoscaler, a
/// DaemonSet). With one pod an init container runs a run-once hook once per start of the
/// service's container, as Compose does, without API access.
pub fn several_pods(cx: &Ctx<'_>, name: &str, svc: &Service) -> bool {
    match kind::kind(cx, name, svc) {
        Kind::Job | Kind::CronJob => false,
        Kind::DaemonSet => true,
        Kind::Deployment | Kind::StatefulSet => {
            counts::replicas(cx, svc).unwrap_or(1) > 1
                || svc.settings.hpa.as_ref().is_some_and(|h| h.max > 1)
        }
    }
}

/// Where the service's container mounts volumes that are each pod's own: the named volumes
/// that become a claim per pod (a StatefulSet's volumeClaimTemplates) and the disk emptyDirs
/// (bind mounts, anonymous volumes). A Job's pod would write its own copy, which the
/// service's pods never see, where Compose's hook writes the folder the replicas share.
pub fn own_volumes(cx: &Ctx<'_>, svc: &Service, spec: &PodSpec) -> Vec<String> {
    let mut own: Vec<String> = svc
        .volumes
        .iter()
        .filter(|v| v.kind == VolumeType::Volume)
        .filter(|v| {
            v.source
                .as_deref()
                .is_some_and(|src| volumes::is_claim_template(cx, src))
        })
        .map(|v| v.target.clone())
        .collect();
    let mounted = spec
        .containers
        .first()
        .into_iter()
        .flat_map(|c| c.volume_mounts.iter().flatten());
    for m in mounted {
        let disk = spec.volumes.iter().flatten().any(|v| {
            v.name == m.name
                && v.empty_dir
                    .as_ref()
                    .is_some_and(|e| e.medium.as_deref() != Some("Memory"))
        });
        if disk && !own.contains(&m.mount_path) {
            own.push(m.mount_path.clone());
        }
    }
    own
}

/// The Job's name: `<service>-pre-start`, at most 63 characters.
pub fn job_name(k8s: &str) -> String {
    let base: String = k8s.chars().take(63 - "-pre-start".len()).collect();
    dns_label(&format!("{}-pre-start", base.trim_end_matches('-')))
}

/// The wait's identity: the service's own account when it names one, else the one made here.
fn account(k8s: &str, svc: &Service) -> (String, bool) {
    match &svc.settings.service_account {
        Some(sa) => (sa.clone(), false),
        None => (job_name(k8s), true),
    }
}

/// Give the pod its wait for the Job: the init container, its token volume and the account.
/// The pod mounts no token otherwise (`automountServiceAccountToken: false`), unless the
/// service names its own account, whose token its containers may use.
pub fn wait(cx: &mut Ctx<'_>, name: &str, svc: &Service, spec: &mut PodSpec) {
    let k8s = cx.names[name].clone();
    let job = job_name(&k8s);
    let (sa, own) = account(&k8s, svc);
    if own {
        spec.service_account_name = Some(sa.clone());
        spec.automount_service_account_token = Some(false);
    }
    let quantity = |s: &str| Quantity(s.to_string());
    let container = Container {
        name: WAIT_CONTAINER.into(),
        image: Some(cx.opts.kube_version.kubectl_image().into()),
        command: Some(vec![
            "/bin/bash".into(),
            "-c".into(),
            super::escape::escape(SCRIPT),
        ]),
        args: Some(vec![WAIT_CONTAINER.into(), job.clone()]),
        volume_mounts: Some(vec![VolumeMount {
            name: TOKEN_VOLUME.into(),
            mount_path: TOKEN_PATH.into(),
            read_only: Some(true),
            ..Default::default()
        }]),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), quantity("10m")),
                ("memory".to_string(), quantity("64Mi")),
            ])),
            limits: Some(BTreeMap::from([
                ("cpu".to_string(), quantity("200m")),
                ("memory".to_string(), quantity("128Mi")),
            ])),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: None,
            }),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            run_as_user: Some(WAIT_UID),
            run_as_group: Some(WAIT_UID),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                localhost_profile: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    spec.init_containers
        .get_or_insert_with(Vec::new)
        .push(container);
    spec.volumes
        .get_or_insert_with(Vec::new)
        .push(token_volume());
    cx.warn(
        "L143",
        name,
        &["pre_start"],
        format!(
            "`pre_start` without `per_replica: true` runs once for the service: the Job `{job}` runs it, and each pod of `{k8s}` waits for the Job to complete in the init container `{WAIT_CONTAINER}` ({}), the only container given API access: a token of the ServiceAccount `{sa}`{}, which the Role `{job}` lets read that one Job and nothing else.{} A Job cannot be changed: when a hook or the image changes, delete the Job (`kubectl delete job {job}`) before applying",
            cx.opts.kube_version.kubectl_image(),
            if own { "" } else { " (the service's own)" },
            if per_replica_first(svc) {
                " The per-replica hooks listed before a run-once one run after the Job, in each pod."
            } else {
                ""
            }
        ),
    );
}

/// Whether a per-replica hook comes before a run-once one in the list: the Job runs the
/// run-once hooks first, so their order changes.
fn per_replica_first(svc: &Service) -> bool {
    let first = svc.pre_start.iter().position(|h| h.per_replica);
    let last_once = svc.pre_start.iter().rposition(|h| !h.per_replica);
    matches!((first, last_once), (Some(f), Some(l)) if f < l)
}

/// The projected volume the kubelet would mount for a token, for the wait container only.
fn token_volume() -> Volume {
    Volume {
        name: TOKEN_VOLUME.into(),
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(0o444),
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        path: "token".into(),
                        expiration_seconds: Some(3607),
                        audience: None,
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: "kube-root-ca.crt".into(),
                        items: Some(vec![KeyToPath {
                            key: "ca.crt".into(),
                            path: "ca.crt".into(),
                            mode: None,
                        }]),
                        optional: None,
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    downward_api: Some(DownwardAPIProjection {
                        items: Some(vec![DownwardAPIVolumeFile {
                            path: "namespace".into(),
                            field_ref: Some(ObjectFieldSelector {
                                api_version: Some("v1".into()),
                                field_path: "metadata.namespace".into(),
                            }),
                            ..Default::default()
                        }]),
                    }),
                    ..Default::default()
                },
            ]),
        }),
        ..Default::default()
    }
}

/// The Job and the wait's account, Role and RoleBinding, from the service's finished pod
/// spec: the Job's pod keeps the pod's volumes, settings and the init containers that come
/// before the hooks (the user's, volume seeding, the dependency wait), and runs the run-once
/// hooks in order, each as [`hook_container::container`] builds it.
pub fn objects(cx: &mut Ctx<'_>, name: &str, svc: &Service, spec: &PodSpec) {
    let Some(main) = spec.containers.first() else {
        return;
    };
    let k8s = cx.names[name].clone();
    let job = job_name(&k8s);
    let mut hooks: Vec<Container> = svc
        .pre_start
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.per_replica)
        .map(|(i, h)| hook_container::container(i, h, main))
        .collect();
    let Some(last) = hooks.pop() else {
        return;
    };
    let mut pod = spec.clone();
    let before: Vec<Container> = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| {
            c.name != WAIT_CONTAINER
                && !c.name.starts_with(PREFIX)
                // Native sidecars (`restartPolicy: Always`) serve the service's container.
                && c.restart_policy.as_deref() != Some("Always")
        })
        .cloned()
        .collect();
    let inits: Vec<Container> = before.into_iter().chain(hooks).collect();
    pod.init_containers = (!inits.is_empty()).then_some(inits);
    pod.containers = vec![last];
    if let Some(v) = pod.volumes.as_mut() {
        v.retain(|v| v.name != TOKEN_VOLUME);
    }
    if pod.volumes.as_ref().is_some_and(Vec::is_empty) {
        pod.volumes = None;
    }
    let (sa, own) = account(&k8s, svc);
    if own {
        pod.service_account_name = None;
    }
    pod.restart_policy = Some("Never".into());
    let project = cx.project.name.clone();
    // The Job's pod has a name of its own: the service's Service and selectors must not pick it.
    let mut pod_labels = names::labels(&job, &project);
    pod_labels.insert(names::COMPONENT.into(), COMPONENT.into());
    // The objects carry the service's name: they belong to it (a staged move keeps them
    // together).
    let mut labels = cx.labels(name);
    labels.insert(names::COMPONENT.into(), COMPONENT.into());
    let meta = |n: &str| ObjectMeta {
        name: Some(n.to_string()),
        namespace: cx.opts.namespace.clone(),
        labels: Some(labels.clone()),
        ..Default::default()
    };
    let containers = pod
        .init_containers
        .iter()
        .flatten()
        .chain(&pod.containers)
        .filter(|c| c.name.starts_with(PREFIX))
        .map(|c| (c.name.clone(), name.to_string()))
        .collect();
    cx.sources.containers.insert(job.clone(), containers);
    cx.sources
        .workloads
        .insert(job.clone(), Source::Service(name.to_string()));
    cx.objects.push(
        Job {
            metadata: meta(&job),
            spec: Some(JobSpec {
                backoff_limit: Some(counts::backoff(svc).unwrap_or(BACKOFF_LIMIT)),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(pod_labels),
                        ..Default::default()
                    }),
                    spec: Some(pod),
                },
                ..Default::default()
            }),
            ..Default::default()
        }
        .into(),
    );
    if own {
        cx.objects.push(
            ServiceAccount {
                metadata: meta(&sa),
                automount_service_account_token: Some(false),
                ..Default::default()
            }
            .into(),
        );
    }
    cx.objects.push(
        Role {
            metadata: meta(&job),
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec!["batch".into()]),
                resources: Some(vec!["jobs".into()]),
                resource_names: Some(vec![job.clone()]),
                verbs: vec!["get".into()],
                ..Default::default()
            }]),
        }
        .into(),
    );
    cx.objects.push(
        RoleBinding {
            metadata: meta(&job),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: job.clone(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: sa,
                namespace: cx.opts.namespace.clone(),
                api_group: None,
            }]),
        }
        .into(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_stay_within_63_characters() {
        assert_eq!(job_name("api"), "api-pre-start");
        let long = "a".repeat(63);
        let n = job_name(&long);
        assert_eq!(n.len(), 63);
        assert!(n.ends_with("-pre-start"));
        assert_eq!(
            job_name(&format!("{}-b", "a".repeat(52))),
            format!("{}-pre-start", "a".repeat(52))
        );
    }
}
