//! AI models: the top-level `models:` element (Docker Model Runner) and the model caches of
//! model servers.
//!
//! [`top_level`] takes the project's models: with a model-runner image, each model becomes a
//! Deployment and Service running that image (which must speak the Docker Model Runner API on
//! port 12434, as `docker/model-runner` does); without one, a warning per model names the
//! variables its services expect. [`environment`] gives each service the `<KEY>_URL` and
//! `<KEY>_MODEL` variables (or its `endpoint_var`/`model_var`) Compose injects.
//! [`cache_kind`] tells volumes which mounts hold downloaded models.

use super::Ctx;
use super::{pod, service, workload};
use crate::compose::model::Service;
use crate::compose::settings::ControllerKind;
use k8s_openapi::api::core::v1::{EnvVar, ExecAction, Lifecycle, LifecycleHandler};

/// The port the Docker Model Runner API listens on.
const RUNNER_PORT: u32 = 12434;

/// The Compose-style name of the runner of a model (also its Kubernetes name).
fn runner_name(key: &str) -> String {
    super::names::dns_label(&format!("model-{key}"))
}

/// The variable names Compose injects for model `key` into a service: `endpoint_var` and
/// `model_var`, by default `<KEY>_URL` and `<KEY>_MODEL` (upper case, other characters `_`).
fn variables(svc: &Service, key: &str) -> (String, String) {
    let base: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let m = svc.models.get(key).and_then(Option::as_ref);
    (
        m.and_then(|m| m.endpoint_var.clone())
            .unwrap_or_else(|| format!("{base}_URL")),
        m.and_then(|m| m.model_var.clone())
            .unwrap_or_else(|| format!("{base}_MODEL")),
    )
}

/// The URL services reach the runner of model `key` at (its OpenAI-compatible API).
fn url(key: &str) -> String {
    format!("http://{}:{RUNNER_PORT}/engines/v1/", runner_name(key))
}

/// Deployments and Services for the project's models, or a warning per model.
pub fn top_level(cx: &mut Ctx<'_>) {
    let project = cx.project;
    for (key, model) in &project.models {
        let users: Vec<(&String, &Service)> = project
            .services
            .iter()
            .filter(|(_, s)| s.models.contains_key(key))
            .collect();
        let Some((first, _)) = users.first() else {
            continue;
        };
        let first = first.to_string();
        let Some(image) = cx.opts.model_runner_image.clone() else {
            let vars: Vec<String> = users
                .iter()
                .map(|(n, s)| {
                    let (u, m) = variables(s, key);
                    format!("`{n}` reads {u} and {m}")
                })
                .collect();
            cx.warn("L097", &first, &["models", key], format!(
                "model `{key}` ({}) needs a model runner, which a cluster does not have: {}; the model variables are set to `{}`, the URL variables must be set to an OpenAI-compatible endpoint serving it (or pass --model-runner-image to run one)",
                model.model,
                vars.join(", "),
                model.model
            ));
            continue;
        };
        let name = runner_name(key);
        if cx.names.values().any(|n| *n == name) {
            cx.error(
                "L098",
                &first,
                &["models", key],
                format!("the runner of model `{key}` would be named `{name}`, which a service already is; rename one of them"),
            );
            continue;
        }
        if model.context_size.is_some() || !model.runtime_flags.is_empty() {
            cx.warn("L092", &first, &["models", key], format!(
                "the context_size and runtime_flags of model `{key}` are not applied: configure them in the runner `{name}`"
            ));
        }
        cx.names.insert(name.clone(), name.clone());
        let runner = runner_service(&image);
        if let Some(mut spec) = pod::pod_spec(cx, &name, &runner) {
            let safe = model
                .model
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:/@-".contains(c));
            if !safe {
                cx.warn("L093", &first, &["models", key], format!(
                    "model reference `{}` is not a plain OCI reference; the runner `{name}` is not asked to pull it",
                    model.model
                ));
            } else if let Some(c) = spec.containers.first_mut() {
                c.lifecycle = Some(pull_hook(&model.model));
            }
            service::service(cx, &name, &runner);
            workload::workload(cx, &name, &runner, spec);
            let source = super::Source::ModelRunner {
                key: key.clone(),
                user: first.clone(),
                service: Box::new(runner),
            };
            cx.sources.workloads.insert(name, source);
        }
    }
}

/// The runner of one model as a Compose service: the image and its API port.
fn runner_service(image: &str) -> Service {
    let mut svc = Service {
        image: Some(image.to_string()),
        expose: vec![RUNNER_PORT.to_string()],
        restart: Some("always".into()),
        ..Default::default()
    };
    svc.settings.controller = Some(ControllerKind::Deployment);
    svc
}

/// A start hook that asks the runner to pull its model, retrying while the server starts
/// and never failing (a failed hook would kill the container).
fn pull_hook(model: &str) -> Lifecycle {
    let body = format!("{{\"from\":\"{model}\"}}");
    let url = format!("http://localhost:{RUNNER_PORT}/models/create");
    let script = format!(
        "for i in `seq 60`; do \
         curl -fsS -X POST -d '{body}' {url} >/dev/null 2>&1 && exit 0; \
         wget -q -O /dev/null --post-data='{body}' {url} && exit 0; \
         sleep 5; done; exit 0"
    );
    Lifecycle {
        post_start: Some(LifecycleHandler {
            exec: Some(ExecAction {
                command: Some(vec!["/bin/sh".into(), "-c".into(), script]),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The model variables of a service's container. A variable the service sets itself wins.
pub fn environment(cx: &Ctx<'_>, svc: &Service, env: &mut Vec<EnvVar>) {
    for key in svc.models.keys() {
        let Some(model) = cx.project.models.get(key) else {
            continue;
        };
        let (url_var, model_var) = variables(svc, key);
        let mut set = |name: String, value: String| {
            if !env.iter().any(|e| e.name == name) {
                env.push(EnvVar {
                    name,
                    value: Some(value),
                    value_from: None,
                });
            }
        };
        if cx.opts.model_runner_image.is_some() {
            set(url_var, url(key));
        }
        set(model_var, model.model.clone());
    }
}

/// Whether a mount target is where a model server keeps downloaded models, and whose.
pub fn cache_kind(svc: &Service, target: &str) -> Option<&'static str> {
    let t = target.trim_end_matches('/');
    // A path set by one of the cache variables, at or under the mount.
    for (var, kind) in [
        ("HF_HOME", "Hugging Face"),
        ("HF_HUB_CACHE", "Hugging Face"),
        ("HUGGINGFACE_HUB_CACHE", "Hugging Face"),
        ("TRANSFORMERS_CACHE", "Hugging Face"),
        ("SENTENCE_TRANSFORMERS_HOME", "Hugging Face"),
        ("OLLAMA_MODELS", "Ollama"),
        ("TORCH_HOME", "Torch"),
        ("VLLM_CACHE_ROOT", "vLLM"),
        ("NIM_CACHE_PATH", "NVIDIA NIM"),
    ] {
        if let Some(Some(v)) = svc.environment.get(var) {
            let v = v.trim_end_matches('/');
            if !t.is_empty() && (v == t || v.starts_with(&format!("{t}/"))) {
                return Some(kind);
            }
        }
    }
    let ends = |s: &str| t.ends_with(s) || t.contains(&format!("{s}/"));
    if ends("/.cache/huggingface") {
        Some("Hugging Face")
    } else if ends("/.ollama") {
        Some("Ollama")
    } else if ends("/.cache/torch") {
        Some("Torch")
    } else if ends("/.cache/vllm") {
        Some("vLLM")
    } else if t == "/opt/nim/.cache" {
        Some("NVIDIA NIM")
    } else if t == "/root/.cache" {
        Some("Hugging Face and Torch")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::model::ServiceModel;

    #[test]
    fn default_and_custom_variables() {
        let mut svc = Service::default();
        assert_eq!(
            variables(&svc, "embedding-model"),
            ("EMBEDDING_MODEL_URL".into(), "EMBEDDING_MODEL_MODEL".into())
        );
        svc.models.insert(
            "llm".into(),
            Some(ServiceModel {
                endpoint_var: Some("AI_URL".into()),
                model_var: None,
            }),
        );
        assert_eq!(
            variables(&svc, "llm"),
            ("AI_URL".into(), "LLM_MODEL".into())
        );
    }

    #[test]
    fn model_caches() {
        let mut svc = Service::default();
        assert_eq!(
            cache_kind(&svc, "/root/.cache/huggingface/"),
            Some("Hugging Face")
        );
        assert_eq!(
            cache_kind(&svc, "/home/app/.cache/huggingface/hub"),
            Some("Hugging Face")
        );
        assert_eq!(cache_kind(&svc, "/root/.ollama"), Some("Ollama"));
        assert_eq!(cache_kind(&svc, "/data"), None);
        svc.environment
            .insert("HF_HOME".into(), Some("/data/hf".into()));
        assert_eq!(cache_kind(&svc, "/data"), Some("Hugging Face"));
        assert_eq!(cache_kind(&svc, "/dat"), None);
    }
}
