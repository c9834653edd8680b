//! `namespace`: with `--namespace NAME`, the Namespace itself, labelled so that Pod Security
//! admission enforces the level the output was hardened to.

use super::{Findings, Level, ProjectCx, Rule, Scope};
use crate::lower::Object;
use crate::lower::names;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub const RULE: Rule = Rule {
    id: "namespace",
    doc: "with --namespace, the Namespace object labelled pod-security.kubernetes.io/enforce at the level every service meets",
    level: Level::Baseline,
    scope: Scope::Project(apply),
};

fn apply(objects: &[Object], cx: &ProjectCx<'_>, f: &mut Findings) -> Vec<Object> {
    let Some(ns) = &cx.opts.namespace else {
        return Vec::new();
    };
    if objects.iter().any(|o| matches!(o, Object::Namespace(_))) {
        return Vec::new();
    }
    // Admission enforces one level for the whole namespace: the lowest any service is at.
    let lowest = cx
        .sources
        .services
        .values()
        .map(|s| super::service_level(s, cx.opts))
        .min()
        .unwrap_or(cx.opts.level);
    let mut labels = names::project_labels(&cx.sources.project);
    let enforce = match lowest {
        Level::None => None,
        l => Some(l.as_str()),
    };
    if let Some(l) = enforce {
        labels.insert("pod-security.kubernetes.io/enforce".into(), l.into());
    }
    if cx.opts.level > lowest {
        labels.insert(
            "pod-security.kubernetes.io/warn".into(),
            cx.opts.level.as_str().into(),
        );
        f.not_hardened(format!(
            "Namespace `{ns}` enforces only `{}`: a service is hardened below `{}` (x-kubeferry.harden); admission warns about the rest",
            lowest.as_str(),
            cx.opts.level.as_str()
        ));
    }
    f.added(format!(
        "Namespace `{ns}`{}",
        match enforce {
            Some(l) => format!(" with pod-security.kubernetes.io/enforce: {l}: admission rejects pods that fall below it"),
            None => String::new(),
        }
    ));
    vec![Object::from(Namespace {
        metadata: ObjectMeta {
            name: Some(ns.clone()),
            labels: Some(labels),
            ..Default::default()
        },
        ..Default::default()
    })]
}
