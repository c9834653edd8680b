//! `environment` and `env_file` to a container's `env` and `envFrom`.
//!
//! Compose gives `environment` precedence over `env_file`. Kubernetes gives `env` precedence
//! over `envFrom`, so with [`EnvFiles::ConfigMap`] the env files become ConfigMaps read through
//! `envFrom` and every value set (or overridden) by `environment` stays in `env`: the result
//! is the same as Compose's.
//!
//! Credentials ([`super::sensitive`]) never go into `env` values or ConfigMaps: `environment`
//! values become `secretKeyRef`s to one Secret per service, each in its variable's place (the
//! order, and so what `$(VAR)` sees, is unchanged), and env-file values one Secret per env file
//! read through `envFrom` beside its ConfigMap. With `--secrets external` no Secret is written
//! and a warning lists the Secrets and keys to create, never a value.

use super::escape::escape;
use super::names::dns_label;
use super::object::Object;
use super::sensitive::{self, Why};
use super::{Ctx, EnvFiles, SecretValues};
use crate::compose::model::Service;
use crate::diag::{Diagnostic, group_by};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapEnvSource, EnvFromSource, EnvVar, EnvVarSource, Secret, SecretEnvSource,
    SecretKeySelector,
};
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
    let sensitive = classify(cx, svc);
    // Values an env file provides and `environment` does not change go to ConfigMaps (their
    // credentials to a Secret of the same name).
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
            let mut secret = BTreeMap::new();
            for (k, v) in &f.values {
                let Some(v) = v else { continue };
                // Kept only where the merged environment still has this file's value.
                if env_name_ok(k)
                    && svc.environment.get(k).and_then(|x| x.as_deref()) == Some(v.as_str())
                    && last.get(k.as_str()) == Some(&v.as_str())
                {
                    if sensitive.contains_key(k) {
                        secret.insert(k.clone(), v.clone());
                    } else {
                        data.insert(k.clone(), v.clone());
                    }
                    in_configmap.insert(k, v);
                }
            }
            let cm_name = configmap_name(&k8s, &f.path);
            if !secret.is_empty() {
                let secret_name = env_secret(cx, name, &cm_name, secret, "env_file");
                env_from.push(EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: secret_name,
                        optional: None,
                    }),
                    ..Default::default()
                });
            }
            if data.is_empty() {
                continue;
            }
            let exists = cx.find_object("ConfigMap", &cm_name).is_some();
            if exists {
                cx.error("L045", name, &["env_file"], format!(
                    "two env files of this service both become the ConfigMap `{cm_name}`; rename one of them"
                ));
                continue;
            }
            cx.objects.push(Object::from(ConfigMap {
                metadata: meta(cx, name, &cm_name),
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
    let k8s = cx.names[name].clone();
    let secret_name = unique_secret_name(cx, &format!("{k8s}-env"));
    let mut secret = BTreeMap::new();
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
            Some(v) if sensitive.contains_key(k) => {
                secret.insert(k.clone(), v.clone());
                env.push(EnvVar {
                    name: k.clone(),
                    value: None,
                    value_from: Some(EnvVarSource {
                        secret_key_ref: Some(SecretKeySelector {
                            name: secret_name.clone(),
                            key: k.clone(),
                            optional: None,
                        }),
                        ..Default::default()
                    }),
                });
            }
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
    if !secret.is_empty() {
        env_secret(cx, name, &secret_name, secret, "environment");
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

/// The metadata of an object `name` that holds environment values of service `svc`.
fn meta(cx: &Ctx<'_>, svc: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: cx.opts.namespace.clone(),
        labels: Some(cx.labels(svc)),
        ..Default::default()
    }
}

/// The sensitive variables of the service, by the project's and the service's lists.
fn classify(cx: &Ctx<'_>, svc: &Service) -> BTreeMap<String, Why> {
    let p = &cx.project.settings;
    let s = &svc.settings;
    let lists = [
        sensitive::Lists {
            add: &p.secret_env,
            exempt: &p.plain_env,
        },
        sensitive::Lists {
            add: &s.secret_env,
            exempt: &s.plain_env,
        },
    ];
    sensitive::classify(&svc.environment, &cx.interpolated_credentials, &lists)
}

/// `base`, or `base-2`, `base-3`… when a Secret of that name is already written or expected
/// (a Compose secret, another env file).
fn unique_secret_name(cx: &mut Ctx<'_>, base: &str) -> String {
    let base = dns_label(base);
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            base.clone()
        } else {
            let suffix = format!("-{n}");
            let stem = &base[..base.len().min(63 - suffix.len())];
            format!("{}{suffix}", stem.trim_end_matches('-'))
        };
        if cx.find_object("Secret", &candidate).is_none()
            && !cx.external.secrets.contains(&candidate)
        {
            return candidate;
        }
        n += 1;
    }
}

/// Writes the Secret `name_wanted` (or a free name near it) holding `data` for service `svc`
/// or, with `--secrets external`, warns which Secret and keys to create. Returns its name.
fn env_secret(
    cx: &mut Ctx<'_>,
    svc: &str,
    name_wanted: &str,
    data: BTreeMap<String, String>,
    key: &str,
) -> String {
    let secret_name = unique_secret_name(cx, name_wanted);
    if cx.opts.secrets == SecretValues::External {
        let keys: Vec<String> = data.keys().map(|k| format!("`{k}`")).collect();
        let literals: Vec<String> = data
            .keys()
            .map(|k| format!("--from-literal={k}=…"))
            .collect();
        cx.warn("L024", svc, &[key], format!(
            "credentials of the {key} are not written (--secrets external): create the Secret `{secret_name}` with the keys {} before applying, e.g. `kubectl create secret generic {secret_name} {}`",
            keys.join(", "),
            literals.join(" ")
        ));
        cx.external.secrets.insert(secret_name.clone());
        for (k, v) in data {
            let what = format!("key `{k}` of Secret `{secret_name}`");
            cx.external.credentials.0.push((what, v));
        }
        return secret_name;
    }
    cx.objects.push(Object::from(Secret {
        metadata: meta(cx, svc, &secret_name),
        data: Some(
            data.into_iter()
                .map(|(k, v)| (k, ByteString(v.into_bytes())))
                .collect(),
        ),
        type_: Some("Opaque".into()),
        ..Default::default()
    }));
    secret_name
}

/// The checkov check that asks for Secrets as files rather than variables (CIS 5.4.1), and why
/// it is skipped on workloads that read credentials from the environment.
const FILES_CHECK: &str = "CKV_K8S_35";
const FILES_CHECK_REASON: &str = "the image reads these credentials from environment variables, as under Compose; files would change its interface";

/// Marks each workload whose containers read a Secret through `env` or `envFrom` with
/// checkov's skip annotation for [`FILES_CHECK`]: its advice cannot be followed without
/// changing what the container sees, so the annotation says so where a reviewer looks.
pub fn mark_secret_env(objects: &mut [Object]) {
    for o in objects.iter_mut() {
        let reads_secret = o.pod_spec().is_some_and(|spec| {
            spec.containers
                .iter()
                .chain(spec.init_containers.iter().flatten())
                .any(|c| {
                    c.env.iter().flatten().any(|e| {
                        e.value_from
                            .as_ref()
                            .is_some_and(|f| f.secret_key_ref.is_some())
                    }) || c.env_from.iter().flatten().any(|f| f.secret_ref.is_some())
                })
        });
        let meta = match o {
            Object::Deployment(d) if reads_secret => &mut d.metadata,
            Object::StatefulSet(d) if reads_secret => &mut d.metadata,
            Object::DaemonSet(d) if reads_secret => &mut d.metadata,
            Object::Job(j) if reads_secret => &mut j.metadata,
            Object::CronJob(c) if reads_secret => &mut c.metadata,
            _ => continue,
        };
        let annotations = meta.annotations.get_or_insert_with(BTreeMap::new);
        // The first free `checkov.io/skipN`: the Compose file's labels may hold some.
        let key = (1..)
            .map(|n| format!("checkov.io/skip{n}"))
            .find(|k| !annotations.contains_key(k))
            .unwrap_or_default();
        annotations.insert(key, format!("{FILES_CHECK}={FILES_CHECK_REASON}"));
    }
}
