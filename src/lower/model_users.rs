//! What the services that use the top-level `models:` element see, and the model caches of
//! model servers. [`environment`] gives each service the `<KEY>_URL` and `<KEY>_MODEL`
//! variables (or its `endpoint_var`/`model_var`) Compose injects, pointing at the runners
//! `models.rs` makes. [`cache_kind`] tells volumes which mounts hold downloaded models.

use super::Ctx;
use crate::compose::model::Service;
use k8s_openapi::api::core::v1::EnvVar;

/// The port the Docker Model Runner API listens on.
pub(super) const RUNNER_PORT: u32 = 12434;

/// The Compose-style name of the runner of a model (also its Kubernetes name).
pub(super) fn runner_name(key: &str) -> String {
    super::names::dns_label(&format!("model-{key}"))
}

/// The variable names Compose injects for model `key` into a service: `endpoint_var` and
/// `model_var`, by default `<KEY>_URL` and `<KEY>_MODEL` (upper case, other characters `_`).
pub(super) fn variables(svc: &Service, key: &str) -> (String, String) {
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
