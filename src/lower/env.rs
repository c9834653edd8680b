//! `environment` and `env_file` to a container's `env` and `envFrom`.
//!
//! Compose gives `environment` precedence over `env_file`. Kubernetes gives `env` precedence
//! over `envFrom`, so with [`EnvFiles::ConfigMap`] the env files become ConfigMaps read through
//! `envFrom` and every value set (or overridden) by `environment` stays in `env`: the result
//! is the same as Compose's.

use super::names::dns_label;
use super::object::Object;
use super::pod::escape;
use super::{Ctx, EnvFiles};
use crate::compose::model::Service;
use crate::diag::{Diagnostic, group_by};
use k8s_openapi::api::core::v1::{ConfigMap, ConfigMapEnvSource, EnvFromSource, EnvVar};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// Valid environment variable names for every Kubernetes version we target.
fn env_name_ok(k: &str) -> bool {
    !k.is_empty()
        && !k.starts_with(|c: char| c.is_ascii_digit())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The name of the ConfigMap holding one env file of a service.
fn configmap_name(k8s: &str, path: &str) -> String {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    dns_label(&format!("{k8s}-{base}"))
}

/// `env` and `envFrom` of the service's container (ConfigMaps are pushed to `cx.objects`).
pub fn env(cx: &mut Ctx<'_>, name: &str, svc: &Service) -> (Vec<EnvVar>, Vec<EnvFromSource>) {
    // Values an env file provides and `environment` does not change go to ConfigMaps.
    let mut in_configmap: BTreeMap<&str, &str> = BTreeMap::new();
    let mut env_from = Vec::new();
    if cx.opts.env_files == EnvFiles::ConfigMap {
        let k8s = cx.names[name].clone();
        let mut last: BTreeMap<&str, &str> = BTreeMap::new();
        for f in &svc.env_files {
            for (k, v) in &f.values {
                if let Some(v) = v {
                    last.insert(k, v);
                }
            }
        }
        for f in &svc.env_files {
            let mut data = BTreeMap::new();
            for (k, v) in &f.values {
                let Some(v) = v else { continue };
                // Kept only where the merged environment still has this file's value.
                if env_name_ok(k)
                    && svc.environment.get(k).and_then(|x| x.as_deref()) == Some(v.as_str())
                    && last.get(k.as_str()) == Some(&v.as_str())
                {
                    data.insert(k.clone(), v.clone());
                    in_configmap.insert(k, v);
                }
            }
            if data.is_empty() {
                continue;
            }
            let cm_name = configmap_name(&k8s, &f.path);
            let exists = cx.find_object("ConfigMap", &cm_name).is_some();
            if exists {
                cx.error("L045", name, &["env_file"], format!(
                    "two env files of this service both become the ConfigMap `{cm_name}`; rename one of them"
                ));
                continue;
            }
            cx.objects.push(Object::from(ConfigMap {
                metadata: ObjectMeta {
                    name: Some(cm_name.clone()),
                    namespace: cx.opts.namespace.clone(),
                    labels: Some(cx.labels(name)),
                    ..Default::default()
                },
                data: Some(data),
                ..Default::default()
            }));
            env_from.push(EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: cm_name,
                    optional: None,
                }),
                ..Default::default()
            });
        }
    }
    let mut env = Vec::new();
    for (k, v) in &svc.environment {
        if !env_name_ok(k) {
            cx.warn(
                "L011",
                name,
                &["environment"],
                format!("environment variable `{k}` has a name Kubernetes rejects; it is dropped"),
            );
            continue;
        }
        match v {
            Some(v) if in_configmap.get(k.as_str()) == Some(&v.as_str()) => {}
            Some(v) => env.push(EnvVar {
                name: k.clone(),
                value: Some(escape(v)),
                value_from: None,
            }),
            None => cx.warn(
                "L012",
                name,
                &["environment", k],
                format!("`{k}` has no value (it is unset in the environment); it is left out"),
            ),
        }
    }
    // Kept for the whole run, once per service: no spare capacity.
    env.shrink_to_fit();
    (env, env_from)
}

/// How many variable names the grouped L012 warning lists (its `also` holds every entry).
const NAMES_SHOWN: usize = 8;

/// The L012 warnings (an `environment` entry without a value, unset where kubeferry runs)
/// folded into one per file: Compose leaves such entries out too, so they are one finding
/// about the converting environment, not one per entry. Every entry stays in `also`.
pub fn group_unset(warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    group_by(
        warnings,
        |d| (d.code == "L012").then(|| d.location.file.clone()),
        |mut group| {
            if group.len() == 1 {
                return group.remove(0);
            }
            let mut names: Vec<String> = Vec::new();
            for d in &group {
                let var = d.location.path.split_once(".environment.").map(|(_, v)| v);
                if let Some(v) = var.filter(|v| !names.iter().any(|n| n == v)) {
                    names.push(v.to_string());
                }
            }
            let head = group.remove(0);
            let mut d = head.with_also(group);
            d.message = format!(
                "{} `environment` entries have no value and their variables are unset in the environment, so they are left out (as Compose leaves them out; set them when converting to keep them): {}",
                d.also.len() + 1,
                crate::text::names_list(&names, NAMES_SHOWN)
            );
            d
        },
    )
}
