//! `kompose.hpa.*` / `x-kubeferry.hpa` to an autoscaling/v2 HorizontalPodAutoscaler on the
//! service's Deployment or StatefulSet.

use super::Ctx;
use super::kind::{self, Kind};
use super::object::Object;
use crate::compose::model::Service;
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub fn hpa(cx: &mut Ctx<'_>, name: &str, svc: &Service) {
    let Some(st) = &svc.settings.hpa else {
        return;
    };
    let kind = match kind::kind(cx, name, svc) {
        Kind::Deployment => "Deployment",
        Kind::StatefulSet => "StatefulSet",
        other => {
            cx.warn(
                "L130",
                name,
                &["labels"],
                format!("a {other:?} cannot be scaled by a HorizontalPodAutoscaler; none is made"),
            );
            return;
        }
    };
    let min = st.min.max(1);
    let max = st.max.max(min);
    if (min, max) != (st.min, st.max) {
        cx.warn(
            "L131",
            name,
            &["labels"],
            format!(
                "autoscaling bounds {}..{} adjusted to {min}..{max} (at least one replica, max not below min)",
                st.min, st.max
            ),
        );
    }
    let mut metrics = Vec::new();
    for (resource, target) in [("cpu", st.cpu), ("memory", st.memory)] {
        let Some(t) = target else { continue };
        if !(1..=100).contains(&t) {
            cx.warn(
                "L131",
                name,
                &["labels"],
                format!("{resource} utilization target {t}% is not between 1 and 100; left out"),
            );
            continue;
        }
        metrics.push(MetricSpec {
            type_: "Resource".into(),
            resource: Some(ResourceMetricSource {
                name: resource.into(),
                target: MetricTarget {
                    type_: "Utilization".into(),
                    average_utilization: Some(t),
                    ..Default::default()
                },
            }),
            ..Default::default()
        });
    }
    let k8s = cx.names[name].clone();
    cx.objects.push(Object::from(HorizontalPodAutoscaler {
        metadata: ObjectMeta {
            name: Some(k8s.clone()),
            namespace: cx.opts.namespace.clone(),
            labels: Some(cx.labels(name)),
            ..Default::default()
        },
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: kind.into(),
                name: k8s,
            },
            min_replicas: Some(min),
            max_replicas: max,
            metrics: (!metrics.is_empty()).then_some(metrics),
            behavior: None,
        }),
        ..Default::default()
    }));
}
