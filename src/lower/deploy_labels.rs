//! `deploy.labels` to the workload's metadata, as Kompose 1.38 does: labels of the workload
//! object only, not of its pods (Swarm puts them on the service, not its containers), so they
//! never reach a selector.
//!
//! Takes the service and the workload's labels and annotations and adds each deploy label:
//! a valid Kubernetes label as a label; a value a label cannot hold (a space, more than 63
//! characters) as an annotation (L141); a key no label or annotation can have is dropped with a
//! warning (L141). `kompose.*` keys are Kompose settings, read by the loader. A key kubeferry
//! already sets keeps kubeferry's value (L141).

use super::Ctx;
use super::names::{is_label_value, is_qualified_key};
use crate::compose::model::Service;
use std::collections::BTreeMap;

pub fn apply(
    cx: &mut Ctx<'_>,
    name: &str,
    svc: &Service,
    labels: &mut BTreeMap<String, String>,
    annotations: &mut BTreeMap<String, String>,
) {
    let Some(deploy) = svc.deploy.as_ref() else {
        return;
    };
    for (k, v) in &deploy.labels {
        if k.starts_with("kompose.") {
            continue;
        }
        let path = ["deploy", "labels", k.as_str()];
        if !is_qualified_key(k) {
            cx.warn(
                "L141",
                name,
                &path,
                format!("`{k}` is not a valid Kubernetes label or annotation key; the deploy label is dropped"),
            );
        } else if labels.contains_key(k) {
            cx.warn(
                "L141",
                name,
                &path,
                format!("`{k}` is a label kubeferry sets; the deploy label is dropped"),
            );
        } else if is_label_value(v) {
            labels.insert(k.clone(), v.clone());
        } else {
            cx.warn(
                "L141",
                name,
                &path,
                format!("the value of `{k}` cannot be a Kubernetes label value (at most 63 of `[A-Za-z0-9._-]`); it becomes an annotation of the workload"),
            );
            annotations.insert(k.clone(), v.clone());
        }
    }
}
