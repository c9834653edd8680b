//! AI models: the top-level `models:` element (Docker Model Runner). [`top_level`] takes the
//! project's models: with a model-runner image, each model becomes a Deployment and Service
//! running that image (which must speak the Docker Model Runner API on port 12434, as
//! `docker/model-runner` does); without one, a warning per model names the variables its
//! services expect. What the services that use a model see is `model_users.rs`'s.

use super::Ctx;
use super::model_users::{RUNNER_PORT, runner_name, variables};
use super::{pod, service, workload};
use crate::compose::model::Service;
use crate::compose::settings::ControllerKind;
use k8s_openapi::api::core::v1::{ExecAction, Lifecycle, LifecycleHandler};

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
            // The runner serves the services that use its model: it is on their networks.
            let mut facts = super::ServiceFacts::of(&name, &runner);
            let users = cx
                .project
                .services
                .values()
                .filter(|s| s.models.contains_key(key));
            facts.networks = users.flat_map(super::source::networks).collect();
            facts.networks.sort();
            facts.networks.dedup();
            let source = super::Source::ModelRunner {
                key: key.clone(),
                user: first.clone(),
                service: Box::new(facts),
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
