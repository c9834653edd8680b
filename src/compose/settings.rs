//! kubeferry's own per-service and per-project settings, read once here from the
//! `x-kubeferry` extension and from Kompose's `kompose.*` labels (so Kompose users' files work
//! unchanged). Later stages only see these typed values, never raw labels.
//!
//! `x-kubeferry` wins over a `kompose.*` label that sets the same thing.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The workload kind a service asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ControllerKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

/// The Service type a service asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
    /// `clusterIP: None`.
    Headless,
}

/// An Ingress for the service (`kompose.service.expose` or `x-kubeferry.ingress`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IngressSettings {
    /// `(host, path)` pairs; an empty host is a rule without host.
    pub rules: Vec<(String, String)>,
    pub tls_secret: Option<String>,
    /// TLS without a named secret (`kompose.service.expose.tls-secret: "true"`).
    pub tls: bool,
    pub class_name: Option<String>,
}

/// A HorizontalPodAutoscaler (`kompose.hpa.*` or `x-kubeferry.hpa`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HpaSettings {
    pub min: i32,
    pub max: i32,
    pub cpu: Option<i32>,
    pub memory: Option<i32>,
}

/// Probe overrides (`kompose.service.healthcheck.<kind>.*` or `x-kubeferry.probes.<kind>`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProbeSettings {
    pub disable: bool,
    /// An exec command (argv).
    pub command: Vec<String>,
    pub http_path: Option<String>,
    pub http_port: Option<i32>,
    pub tcp_port: Option<i32>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    pub retries: Option<i32>,
}

/// An extra init container (`kompose.init.containers.*`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InitContainerSettings {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
}

/// Everything kubeferry reads from `x-kubeferry` and `kompose.*` labels for one service.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServiceSettings {
    pub controller: Option<ControllerKind>,
    pub schedule: Option<String>,
    pub concurrency_policy: Option<String>,
    pub backoff_limit: Option<i32>,
    pub replicas: Option<i32>,
    pub service_type: Option<ServiceType>,
    pub node_port: Option<i32>,
    pub external_traffic_policy: Option<String>,
    pub ingress: Option<IngressSettings>,
    pub hpa: Option<HpaSettings>,
    pub image_pull_policy: Option<String>,
    pub image_pull_secret: Option<String>,
    pub service_account: Option<String>,
    pub fs_group: Option<i64>,
    /// Size and class for every PVC of this service.
    pub pvc_size: Option<String>,
    pub storage_class: Option<String>,
    /// `persistentVolumeClaim`, `emptyDir`, `hostPath` or `configMap` for bind mounts.
    pub volume_type: Option<String>,
    pub volume_subpath: Option<String>,
    pub init_container: Option<InitContainerSettings>,
    pub readiness: Option<ProbeSettings>,
    pub liveness: Option<ProbeSettings>,
    pub name_override: Option<String>,
    pub ephemeral_storage_limit: Option<String>,
    pub ephemeral_storage_request: Option<String>,
    /// Hardening level for this service only (`none`, `baseline`, `restricted`).
    pub harden: Option<String>,
    /// Hardening rule ids switched off for this service.
    pub disable_rules: Vec<String>,
    /// Writable paths under a read-only root filesystem (memory emptyDirs).
    pub writable_paths: Vec<String>,
    /// The numeric user to run as when the Compose file gives none.
    pub run_as_user: Option<i64>,
    /// Staged migration: `Some(true)` stateful, `Some(false)` stateless, `None` guess.
    pub stateful: Option<bool>,
    /// Environment variables to treat as credentials, and ones that are not (docs/secrets.md).
    pub secret_env: Vec<String>,
    pub plain_env: Vec<String>,
    /// Keys of `x-kubeferry` this version does not know (warned about by the loader).
    #[serde(skip)]
    pub unknown: Vec<String>,
}

/// Project-level settings (top-level `x-kubeferry`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProjectSettings {
    pub namespace: Option<String>,
    pub image_registry: Option<String>,
    pub pvc_size: Option<String>,
    pub storage_class: Option<String>,
    /// Environment variables every service treats as credentials, and ones that are not.
    pub secret_env: Vec<String>,
    pub plain_env: Vec<String>,
    #[serde(skip)]
    pub unknown: Vec<String>,
}

/// Volume-level settings (`x-kubeferry` on a top-level volume, or its kompose labels).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VolumeSettings {
    pub size: Option<String>,
    pub storage_class: Option<String>,
    pub access_mode: Option<String>,
    #[serde(skip)]
    pub unknown: Vec<String>,
}

fn s(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| format!("`{n}` is not an integer")),
        Value::String(t) => t
            .trim()
            .parse()
            .map_err(|_| format!("`{t}` is not an integer")),
        _ => Err("must be an integer".into()),
    }
}

/// A port number (1 to 65535): never wrapped, so `4294967376` is refused rather than read as 80.
fn port(v: &Value) -> Result<i32, String> {
    let n = int(v)?;
    if (1..=65535).contains(&n) {
        Ok(n as i32)
    } else {
        Err(format!("`{n}` is not a port number (1 to 65535)"))
    }
}

/// A count (0 to 2^31-1), as Kubernetes stores it: never wrapped into a different number.
fn count(v: &Value) -> Result<i32, String> {
    let n = int(v)?;
    i32::try_from(n)
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| format!("`{n}` is not a count from 0 to {}", i32::MAX))
}

fn boolean(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(t) if t.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(t) if t.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(s).collect(),
        other => s(other).into_iter().collect(),
    }
}

/// A list of variable names (`secret_env`, `plain_env`).
fn names(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(n) if !n.is_empty() => Ok(n.clone()),
                _ => Err("must be a list of variable names".to_string()),
            })
            .collect(),
        _ => Err("must be a list of variable names".into()),
    }
}

fn controller(v: &str) -> Result<ControllerKind, String> {
    match v.to_ascii_lowercase().as_str() {
        "deployment" => Ok(ControllerKind::Deployment),
        "statefulset" => Ok(ControllerKind::StatefulSet),
        "daemonset" => Ok(ControllerKind::DaemonSet),
        "job" => Ok(ControllerKind::Job),
        "cronjob" => Ok(ControllerKind::CronJob),
        other => Err(format!(
            "`{other}` is not a controller: use deployment, statefulset, daemonset, job or cronjob"
        )),
    }
}

fn service_type(v: &str) -> Result<ServiceType, String> {
    match v.to_ascii_lowercase().as_str() {
        "clusterip" => Ok(ServiceType::ClusterIP),
        "nodeport" => Ok(ServiceType::NodePort),
        "loadbalancer" => Ok(ServiceType::LoadBalancer),
        "headless" => Ok(ServiceType::Headless),
        other => Err(format!(
            "`{other}` is not a service type: use clusterip, nodeport, loadbalancer or headless"
        )),
    }
}

/// `kompose.service.expose` value: `"true"` or `host[/path],host2[/path]`.
fn expose_rules(v: &str) -> Vec<(String, String)> {
    if v.eq_ignore_ascii_case("true") {
        return vec![(String::new(), "/".into())];
    }
    v.split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| match h.split_once('/') {
            Some((host, path)) => (host.to_string(), format!("/{path}")),
            None => (h.to_string(), "/".into()),
        })
        .collect()
}

/// A `[a, b]`-style or plain command label value, split into argv.
fn command_value(v: &str) -> Vec<String> {
    let t = v.trim();
    if let Some(inner) = t.strip_prefix('[').and_then(|x| x.strip_suffix(']'))
        && let Ok(Value::Array(a)) = serde_json::from_str::<Value>(t)
    {
        let _ = inner;
        return a.iter().filter_map(s).collect();
    }
    super::shell::split(t).unwrap_or_else(|_| vec![t.to_string()])
}

fn probe_from_labels(
    labels: &BTreeMap<String, String>,
    kind: &str,
) -> Result<Option<ProbeSettings>, (String, String)> {
    let prefix = format!("kompose.service.healthcheck.{kind}.");
    let mut p = ProbeSettings::default();
    let mut any = false;
    for (k, v) in labels.iter().filter(|(k, _)| k.starts_with(&prefix)) {
        any = true;
        let field = &k[prefix.len()..];
        let e = |m: String| (k.clone(), m);
        match field {
            "disable" => p.disable = boolean(&Value::String(v.clone())).map_err(e)?,
            "test" => {
                let mut argv = command_value(v);
                if argv.first().is_some_and(|a| a == "NONE") {
                    p.disable = true;
                    argv.clear();
                }
                if argv.first().is_some_and(|a| a == "CMD") {
                    argv.remove(0);
                } else if argv.first().is_some_and(|a| a == "CMD-SHELL") {
                    let rest = argv[1..].join(" ");
                    argv = vec!["/bin/sh".into(), "-c".into(), rest];
                }
                p.command = argv;
            }
            "http_get_path" => p.http_path = Some(v.clone()),
            "http_get_port" => p.http_port = Some(port(&Value::String(v.clone())).map_err(e)?),
            "tcp_port" => p.tcp_port = Some(port(&Value::String(v.clone())).map_err(e)?),
            "interval" => p.interval = Some(v.clone()),
            "timeout" => p.timeout = Some(v.clone()),
            "start_period" => p.start_period = Some(v.clone()),
            "retries" => p.retries = Some(count(&Value::String(v.clone())).map_err(e)?),
            _ => {}
        }
    }
    Ok(any.then_some(p))
}

fn probe_from_ext(v: &Value) -> Result<ProbeSettings, String> {
    let mut p = ProbeSettings::default();
    let Value::Object(m) = v else {
        return Err("a probe setting must be a mapping".into());
    };
    for (k, v) in m {
        match k.as_str() {
            "disable" => p.disable = boolean(v)?,
            "command" => p.command = strings(v),
            "http_path" | "path" => p.http_path = s(v),
            "http_port" | "port" => p.http_port = Some(port(v)?),
            "tcp_port" => p.tcp_port = Some(port(v)?),
            "interval" => p.interval = s(v),
            "timeout" => p.timeout = s(v),
            "start_period" => p.start_period = s(v),
            "retries" => p.retries = Some(count(v)?),
            other => return Err(format!("unknown probe setting `{other}`")),
        }
    }
    Ok(p)
}

/// Read a service's settings. `Err((key, message))` names the label or `x-kubeferry.<key>`
/// that is wrong.
pub fn service(
    labels: &BTreeMap<String, String>,
    deploy_labels: &BTreeMap<String, String>,
    ext: Option<&Value>,
) -> Result<ServiceSettings, (String, String)> {
    let mut st = ServiceSettings::default();
    // Kompose labels first, so x-kubeferry can override them.
    for (k, v) in labels {
        let e = |m: String| (k.clone(), m);
        let vv = Value::String(v.clone());
        match k.as_str() {
            "kompose.controller.type" => st.controller = Some(controller(v).map_err(e)?),
            "kompose.cronjob.schedule" => st.schedule = Some(v.clone()),
            "kompose.cronjob.concurrency_policy" => st.concurrency_policy = Some(v.clone()),
            "kompose.cronjob.backoff_limit" => st.backoff_limit = Some(count(&vv).map_err(e)?),
            "kompose.service.type" => st.service_type = Some(service_type(v).map_err(e)?),
            "kompose.service.nodeport.port" => st.node_port = Some(port(&vv).map_err(e)?),
            "kompose.service.external-traffic-policy" => {
                st.external_traffic_policy = Some(v.clone())
            }
            "kompose.service.expose" => {
                st.ingress.get_or_insert_with(Default::default).rules = expose_rules(v);
            }
            "kompose.service.expose.tls-secret" => {
                let ing = st.ingress.get_or_insert_with(Default::default);
                if v.eq_ignore_ascii_case("true") {
                    ing.tls = true;
                } else {
                    ing.tls = true;
                    ing.tls_secret = Some(v.clone());
                }
            }
            "kompose.service.expose.ingress-class-name" => {
                st.ingress.get_or_insert_with(Default::default).class_name = Some(v.clone());
            }
            "kompose.image-pull-policy" => {
                if !matches!(v.as_str(), "Always" | "IfNotPresent" | "Never") {
                    return Err(e(format!(
                        "`{v}` is not a pull policy: use Always, IfNotPresent or Never"
                    )));
                }
                st.image_pull_policy = Some(v.clone());
            }
            "kompose.image-pull-secret" => st.image_pull_secret = Some(v.clone()),
            "kompose.serviceaccount-name" => st.service_account = Some(v.clone()),
            "kompose.security-context.fsgroup" => st.fs_group = Some(int(&vv).map_err(e)?),
            "kompose.volume.size" => st.pvc_size = Some(v.clone()),
            "kompose.volume.storage-class-name" => st.storage_class = Some(v.clone()),
            "kompose.volume.type" => st.volume_type = Some(v.clone()),
            "kompose.volume.subpath" => st.volume_subpath = Some(v.clone()),
            "kompose.service.name_override" => st.name_override = Some(v.clone()),
            "kubeferry.stateful" => st.stateful = Some(boolean(&vv).map_err(e)?),
            "kompose.init.containers.image" => {
                st.init_container
                    .get_or_insert_with(|| InitContainerSettings {
                        name: "init-service".into(),
                        ..Default::default()
                    })
                    .image = v.clone();
            }
            "kompose.init.containers.name" => {
                st.init_container
                    .get_or_insert_with(|| InitContainerSettings {
                        name: "init-service".into(),
                        ..Default::default()
                    })
                    .name = v.clone();
            }
            "kompose.init.containers.command" => {
                st.init_container
                    .get_or_insert_with(|| InitContainerSettings {
                        name: "init-service".into(),
                        ..Default::default()
                    })
                    .command = command_value(v);
            }
            _ => {}
        }
    }
    let hpa_keys = [
        "kompose.hpa.replicas.min",
        "kompose.hpa.replicas.max",
        "kompose.hpa.cpu",
        "kompose.hpa.memory",
    ];
    if hpa_keys.iter().any(|k| labels.contains_key(*k)) {
        let get = |k: &str, d: Option<i32>| -> Result<Option<i32>, (String, String)> {
            match labels.get(k) {
                Some(v) => count(&Value::String(v.trim_end_matches('%').to_string()))
                    .map(Some)
                    .map_err(|m| (k.to_string(), m)),
                None => Ok(d),
            }
        };
        let min = get("kompose.hpa.replicas.min", Some(1))?.unwrap_or(1);
        let max = get("kompose.hpa.replicas.max", Some(3))?.unwrap_or(3);
        st.hpa = Some(HpaSettings {
            min,
            max: max.max(min),
            cpu: get("kompose.hpa.cpu", Some(50))?,
            memory: get("kompose.hpa.memory", Some(70))?,
        });
    }
    st.readiness = probe_from_labels(labels, "readiness")?;
    st.liveness = probe_from_labels(labels, "liveness")?;
    if let Some(v) = deploy_labels.get("kompose.ephemeral-storage.limit") {
        st.ephemeral_storage_limit = Some(v.clone());
    }
    if let Some(v) = deploy_labels.get("kompose.ephemeral-storage.request") {
        st.ephemeral_storage_request = Some(v.clone());
    }
    let Some(ext) = ext else { return Ok(st) };
    let Value::Object(m) = ext else {
        return Err(("x-kubeferry".into(), "must be a mapping".into()));
    };
    for (k, v) in m {
        let e = |m: String| (format!("x-kubeferry.{k}"), m);
        match k.as_str() {
            "controller" => st.controller = Some(controller(&s(v).unwrap_or_default()).map_err(e)?),
            "schedule" => st.schedule = s(v),
            "concurrency_policy" => st.concurrency_policy = s(v),
            "backoff_limit" => st.backoff_limit = Some(count(v).map_err(e)?),
            "replicas" => st.replicas = Some(count(v).map_err(e)?),
            "service_type" => {
                st.service_type = Some(service_type(&s(v).unwrap_or_default()).map_err(e)?)
            }
            "node_port" => st.node_port = Some(port(v).map_err(e)?),
            "external_traffic_policy" => st.external_traffic_policy = s(v),
            "ingress" => {
                let ing = st.ingress.get_or_insert_with(Default::default);
                match v {
                    Value::Object(o) => {
                        if let Some(h) = o.get("hosts") {
                            ing.rules = strings(h).iter().flat_map(|h| expose_rules(h)).collect();
                        }
                        ing.tls_secret = o.get("tls_secret").and_then(s);
                        ing.tls = ing.tls_secret.is_some()
                            || o.get("tls")
                                .map(boolean)
                                .transpose()
                                .map_err(e)?
                                .unwrap_or(false);
                        ing.class_name = o.get("class_name").and_then(s);
                    }
                    other => ing.rules = expose_rules(&s(other).unwrap_or_default()),
                }
            }
            "hpa" => {
                let Value::Object(o) = v else {
                    return Err(e("must be a mapping".into()));
                };
                let g = |k: &str| o.get(k).map(count).transpose();
                let min = g("min").map_err(e)?.unwrap_or(1);
                let max = g("max").map_err(e)?.unwrap_or(3);
                st.hpa = Some(HpaSettings {
                    min,
                    max: max.max(min),
                    cpu: g("cpu").map_err(e)?,
                    memory: g("memory").map_err(e)?,
                });
            }
            "image_pull_policy" => st.image_pull_policy = s(v),
            "image_pull_secret" => st.image_pull_secret = s(v),
            "service_account" => st.service_account = s(v),
            "fs_group" => st.fs_group = Some(int(v).map_err(e)?),
            "pvc_size" => st.pvc_size = s(v),
            "storage_class" => st.storage_class = s(v),
            "volume_type" => st.volume_type = s(v),
            "probes" => {
                let Value::Object(o) = v else {
                    return Err(e("must be a mapping".into()));
                };
                for (pk, pv) in o {
                    let p = probe_from_ext(pv).map_err(e)?;
                    match pk.as_str() {
                        "readiness" => st.readiness = Some(p),
                        "liveness" => st.liveness = Some(p),
                        other => {
                            return Err(e(format!(
                                "`{other}` is not a probe: use readiness or liveness"
                            )));
                        }
                    }
                }
            }
            "name" => st.name_override = s(v),
            "harden" => {
                let l = s(v).unwrap_or_default();
                if !matches!(l.as_str(), "none" | "baseline" | "restricted") {
                    return Err(e(format!(
                        "`{l}` is not a hardening level: use none, baseline or restricted"
                    )));
                }
                st.harden = Some(l);
            }
            "disable_rules" => st.disable_rules = strings(v),
            "writable_paths" => st.writable_paths = strings(v),
            "run_as_user" | "user" => st.run_as_user = Some(int(v).map_err(e)?),
            "stateful" => st.stateful = Some(boolean(v).map_err(e)?),
            "secret_env" => st.secret_env = names(v).map_err(e)?,
            "plain_env" => st.plain_env = names(v).map_err(e)?,
            other => st.unknown.push(other.to_string()),
        }
    }
    Ok(st)
}

/// Read the project's top-level `x-kubeferry`.
pub fn project(ext: Option<&Value>) -> Result<ProjectSettings, (String, String)> {
    let mut p = ProjectSettings::default();
    let Some(Value::Object(m)) = ext else {
        return match ext {
            None => Ok(p),
            Some(_) => Err(("x-kubeferry".into(), "must be a mapping".into())),
        };
    };
    for (k, v) in m {
        match k.as_str() {
            "namespace" => p.namespace = s(v),
            "image_registry" => p.image_registry = s(v),
            "pvc_size" => p.pvc_size = s(v),
            "storage_class" => p.storage_class = s(v),
            "secret_env" | "plain_env" => {
                let list = names(v).map_err(|m| (format!("x-kubeferry.{k}"), m))?;
                if k == "secret_env" {
                    p.secret_env = list;
                } else {
                    p.plain_env = list;
                }
            }
            other => p.unknown.push(other.to_string()),
        }
    }
    Ok(p)
}

/// Read a top-level volume's settings from its labels and `x-kubeferry`.
pub fn volume(
    labels: &BTreeMap<String, String>,
    ext: Option<&Value>,
) -> Result<VolumeSettings, (String, String)> {
    let mut st = VolumeSettings {
        size: labels.get("kompose.volume.size").cloned(),
        storage_class: labels.get("kompose.volume.storage-class-name").cloned(),
        ..Default::default()
    };
    if let Some(Value::Object(m)) = ext {
        for (k, v) in m {
            match k.as_str() {
                "size" => st.size = s(v),
                "storage_class" => st.storage_class = s(v),
                "access_mode" => st.access_mode = s(v),
                other => st.unknown.push(other.to_string()),
            }
        }
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_out_of_range_are_refused_not_wrapped() {
        let probe = json!({"probes": {"readiness": {"http_port": 4294967376u64}}});
        let (key, msg) = service(&BTreeMap::new(), &BTreeMap::new(), Some(&probe)).unwrap_err();
        assert_eq!(key, "x-kubeferry.probes");
        assert_eq!(msg, "`4294967376` is not a port number (1 to 65535)");
        let replicas = json!({"replicas": 2147483648u64});
        let (_, msg) = service(&BTreeMap::new(), &BTreeMap::new(), Some(&replicas)).unwrap_err();
        assert_eq!(msg, "`2147483648` is not a count from 0 to 2147483647");
        let ok = json!({"node_port": 30080, "probes": {"liveness": {"tcp_port": "5432"}}});
        let st = service(&BTreeMap::new(), &BTreeMap::new(), Some(&ok)).unwrap();
        assert_eq!(st.node_port, Some(30080));
        assert_eq!(st.liveness.unwrap().tcp_port, Some(5432));
    }

    #[test]
    fn labels_and_extension() {
        let labels: BTreeMap<String, String> = [
            ("kompose.service.type", "NodePort"),
            (
                "kompose.service.expose",
                "app.example.com/api,other.example.com",
            ),
            ("kompose.hpa.cpu", "60"),
            (
                "kompose.service.healthcheck.readiness.test",
                "CMD-SHELL curl -f http://localhost",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let ext =
            json!({"controller": "statefulset", "service_type": "loadbalancer", "stateful": true});
        let st = service(&labels, &BTreeMap::new(), Some(&ext)).unwrap();
        assert_eq!(st.controller, Some(ControllerKind::StatefulSet));
        assert_eq!(st.service_type, Some(ServiceType::LoadBalancer));
        assert_eq!(
            st.ingress.unwrap().rules,
            vec![
                ("app.example.com".to_string(), "/api".to_string()),
                ("other.example.com".to_string(), "/".to_string())
            ]
        );
        let hpa = st.hpa.unwrap();
        assert_eq!(
            (hpa.min, hpa.max, hpa.cpu, hpa.memory),
            (1, 3, Some(60), Some(70))
        );
        assert_eq!(
            st.readiness.unwrap().command,
            vec!["/bin/sh", "-c", "curl -f http://localhost"]
        );
        assert_eq!(st.stateful, Some(true));
    }

    #[test]
    fn bad_values_name_the_key() {
        let labels: BTreeMap<String, String> =
            [("kompose.service.type".to_string(), "weird".to_string())].into();
        let (key, msg) = service(&labels, &BTreeMap::new(), None).unwrap_err();
        assert_eq!(key, "kompose.service.type");
        assert!(msg.contains("weird"));
        let (key, _) = service(
            &BTreeMap::new(),
            &BTreeMap::new(),
            Some(&json!({"controller": "pod"})),
        )
        .unwrap_err();
        assert_eq!(key, "x-kubeferry.controller");
    }

    #[test]
    fn credential_lists_at_both_levels() {
        let ext = json!({"secret_env": ["LICENSE"], "plain_env": ["TOKEN_BUCKET"]});
        let st = service(&BTreeMap::new(), &BTreeMap::new(), Some(&ext)).unwrap();
        assert_eq!(
            (st.secret_env, st.plain_env),
            (
                vec!["LICENSE".to_string()],
                vec!["TOKEN_BUCKET".to_string()]
            )
        );
        let p = project(Some(&json!({"secret_env": ["A"]}))).unwrap();
        assert_eq!(p.secret_env, ["A"]);
        let (key, _) = project(Some(&json!({"plain_env": "A"}))).unwrap_err();
        assert_eq!(key, "x-kubeferry.plain_env");
    }
}
