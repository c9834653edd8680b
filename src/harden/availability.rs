//! `availability`: an explicit rolling-update strategy on every long-running workload; for two
//! replicas or more, a PodDisruptionBudget and a topology spread over nodes, so a drain or a
//! lost node does not take every replica at once.

use super::{Cx, Findings, Level, Rule, Scope};
use crate::lower::Object;
use k8s_openapi::api::apps::v1::{
    DaemonSetUpdateStrategy, DeploymentStrategy, RollingUpdateDaemonSet, RollingUpdateDeployment,
    RollingUpdateStatefulSetStrategy, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::TopologySpreadConstraint;
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub const RULE: Rule = Rule {
    id: "availability",
    doc: "an explicit RollingUpdate strategy; for 2+ replicas a PodDisruptionBudget (maxUnavailable 1) and a topology spread over nodes",
    level: Level::Baseline,
    scope: Scope::Workload(apply),
};

fn apply(o: &mut Object, _: &Cx<'_>, f: &mut Findings) {
    let (replicas, selector, meta) = match o {
        Object::Deployment(d) => {
            let Some(spec) = d.spec.as_mut() else { return };
            if spec.strategy.is_none() {
                // With a volume claim a second pod could not attach it: replace in place.
                let claims = spec
                    .template
                    .spec
                    .iter()
                    .flat_map(|s| s.volumes.iter().flatten())
                    .any(|v| v.persistent_volume_claim.is_some());
                let (surge, unavailable, why) = if claims {
                    (
                        0,
                        1,
                        "the pod mounts a volume claim that a second pod could not attach, so the old pod goes first",
                    )
                } else {
                    (1, 0, "a new pod is ready before an old one goes")
                };
                spec.strategy = Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(IntOrString::Int(surge)),
                        max_unavailable: Some(IntOrString::Int(unavailable)),
                    }),
                });
                f.added(format!(
                    "strategy RollingUpdate (maxSurge {surge}, maxUnavailable {unavailable}): {why}"
                ));
            }
            (
                spec.replicas.unwrap_or(1),
                spec.selector.clone(),
                d.metadata.clone(),
            )
        }
        Object::StatefulSet(s) => {
            let Some(spec) = s.spec.as_mut() else { return };
            if spec.update_strategy.is_none() {
                spec.update_strategy = Some(StatefulSetUpdateStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateStatefulSetStrategy {
                        max_unavailable: None,
                        partition: Some(0),
                    }),
                });
                f.added("updateStrategy RollingUpdate: pods are replaced one at a time, in order");
            }
            (
                spec.replicas.unwrap_or(1),
                spec.selector.clone(),
                s.metadata.clone(),
            )
        }
        Object::DaemonSet(d) => {
            let Some(spec) = d.spec.as_mut() else { return };
            if spec.update_strategy.is_none() {
                spec.update_strategy = Some(DaemonSetUpdateStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDaemonSet {
                        max_unavailable: Some(IntOrString::Int(1)),
                        max_surge: None,
                    }),
                });
                f.added("updateStrategy RollingUpdate (maxUnavailable 1): one node at a time");
            }
            return;
        }
        _ => return,
    };
    if replicas < 2 {
        return;
    }
    if let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut())
        && spec.topology_spread_constraints.is_none()
    {
        spec.topology_spread_constraints = Some(vec![TopologySpreadConstraint {
            max_skew: 1,
            topology_key: "kubernetes.io/hostname".into(),
            when_unsatisfiable: "ScheduleAnyway".into(),
            label_selector: Some(LabelSelector {
                match_labels: selector.match_labels.clone(),
                match_expressions: None,
            }),
            ..Default::default()
        }]);
        f.added(format!("topologySpreadConstraints over kubernetes.io/hostname: the {replicas} replicas prefer different nodes"));
    }
    f.add_object(Object::from(PodDisruptionBudget {
        metadata: ObjectMeta {
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            labels: meta.labels.clone(),
            ..Default::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: selector.match_labels,
                match_expressions: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }));
    f.added(format!("PodDisruptionBudget (maxUnavailable 1): voluntary disruptions such as node drains keep {} of {replicas} replicas running", replicas - 1));
}
