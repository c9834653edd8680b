//! The chart's files beside the templates: `values.schema.json`, the README listing the
//! values, `NOTES.txt` and `_helpers.tpl`. Each takes the chart's default values.

use serde_json::{Value, json};

/// `include "kubeferry.image" (list IMAGE-VALUES REPOSITORY TAG DIGEST)`: the image reference
/// from the values, each part defaulting to the converted one. An empty tag or digest is left
/// out.
pub const HELPERS: &str = r#"{{/* The image reference: (list .image-values "repository" "tag" "digest"), each part of the
values defaulting to the converted image's. */}}
{{- define "kubeferry.image" -}}
{{- $v := index . 0 | default dict -}}
{{- $tag := toString (dig "tag" (index . 2) $v) -}}
{{- $digest := toString (dig "digest" (index . 3) $v) -}}
{{- dig "repository" (index . 1) $v -}}
{{- with $tag }}:{{ . }}{{ end -}}
{{- with $digest }}@{{ . }}{{ end -}}
{{- end -}}
"#;

/// One per-service setting: key, JSON schema, what it does.
fn service_keys() -> Vec<(&'static str, Value, &'static str)> {
    let strings = json!({"type": ["object", "null"], "additionalProperties": {"type": "string"}});
    let quantities =
        json!({"type": ["object", "null"], "additionalProperties": {"type": ["string", "number"]}});
    vec![
        (
            "replicas",
            json!({"type": ["integer", "null"], "minimum": 0}),
            "Pod count of a Deployment or StatefulSet (unset: the converted count; leave unset where an autoscaler owns it).",
        ),
        (
            "image",
            json!({"type": ["object", "null"], "additionalProperties": false, "properties": {
                "repository": {"type": "string", "minLength": 1},
                "tag": {"type": ["string", "number"]},
                "digest": {"type": "string"},
                "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}}}),
            "`repository`, `tag`, `digest` (`sha256:…`; empty tag or digest left out) and `pullPolicy`.",
        ),
        (
            "resources",
            json!({"type": ["object", "null"], "additionalProperties": false, "properties": {
                "requests": quantities.clone(), "limits": quantities}}),
            "`requests` and `limits`, merged over the converted ones (set one quantity, keep the rest).",
        ),
        (
            "gpus",
            json!({"type": ["string", "integer"]}),
            "GPU count (the vendor's `…/gpu` resource).",
        ),
        (
            "env",
            json!({"type": ["object", "null"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}),
            "Environment variables merged over the converted ones: a converted name takes its new value, other names are added. `null` keeps the converted ones.",
        ),
        (
            "service",
            json!({"type": ["object", "null"], "additionalProperties": false, "properties": {
                "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
                "nodePorts": {"type": ["object", "null"], "additionalProperties": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535}}}}),
            "`type` of the Service, and `nodePorts` per port name; node ports, `externalTrafficPolicy` and load-balancer fields render only for the types that allow them.",
        ),
        (
            "ingress",
            json!({"type": ["object", "null"], "additionalProperties": false, "properties": {
                "hosts": {"type": ["array", "null"], "items": {"type": "string", "minLength": 1}},
                "tlsSecretName": {"type": "string"}}}),
            "`hosts`: one rule each (a host beyond the converted ones takes the last one's paths); `tlsSecretName`: TLS for all hosts with that Secret (empty: none).",
        ),
        (
            "nodeSelector",
            strings.clone(),
            "Replaces the pod's node selector.",
        ),
        (
            "tolerations",
            json!({"type": ["array", "null"], "items": {"type": "object"}}),
            "Replaces the pod's tolerations.",
        ),
        (
            "affinity",
            json!({"type": ["object", "null"]}),
            "Replaces the pod's affinity.",
        ),
        (
            "podAnnotations",
            strings,
            "Added to the pod template's annotations.",
        ),
    ]
}

/// A JSON schema of the values: every key the templates read, with its type.
pub fn schema(values: &Value) -> String {
    let mut props = serde_json::Map::new();
    for (k, s, d) in service_keys() {
        let mut s = s;
        s["description"] = d.into();
        props.insert(k.into(), s);
    }
    let mut top = json!({
        "services": {"type": ["object", "null"], "additionalProperties": {
            "type": ["object", "null"], "additionalProperties": false, "properties": props}},
        "persistence": {"type": ["object", "null"], "additionalProperties": {
            "type": ["object", "null"], "additionalProperties": false, "properties": {
                "size": {"type": "string", "pattern": "^[0-9.]+([EPTGMK]i?|[mk])?$"},
                "storageClass": {"type": "string"}}}},
    });
    top["releasePrefix"] = json!({"type": "boolean",
        "description": "Name every object <release>-<name>, with references, dialled hosts and an app.kubernetes.io/instance label to match, so that releases share a namespace."});
    if values.get("secrets").is_some() {
        top["secrets"] = json!({"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": false,
            "properties": {"create": {"type": "boolean"}}}});
        top["secretValues"] = json!({"type": ["object", "null"], "additionalProperties": {
            "type": ["object", "null"], "additionalProperties": {"type": "string"}}});
    }
    if values.get("createNamespace").is_some() {
        top["createNamespace"] = json!({"type": "boolean",
            "description": "Render the Namespace (with its Pod Security labels), named after the release's."});
    }
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "properties": top,
    });
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// The chart's README: how to install it and every value.
pub fn readme(project: &str, values: &Value, secrets: bool) -> String {
    let mut s = format!(
        "# {project}\n\nThe Compose project `{project}`, converted by kubeferry. With the default values the chart\nrenders exactly what `kubeferry convert` prints.\n\n```sh\nhelm install {name} .{extra}\n```\n",
        name = super::chart_name(project),
        extra = if secrets {
            format!(" -f {}", super::SECRET_VALUES)
        } else {
            String::new()
        }
    );
    if secrets {
        s.push_str(&format!(
            "\n`{}` holds the Secrets' values and is never packaged nor committed. To use Secrets made\nanother way, set `secrets.<name>.create: false`.\n",
            super::SECRET_VALUES
        ));
    }
    s.push_str("\n## Values per service\n\nUnder `services.<name>` (the Kubernetes name). Unset, or `null`, means the converted setting.\n\n| Key | Type | Description |\n|---|---|---|\n");
    for (k, schema, d) in service_keys() {
        let ty = schema["type"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .collect::<Vec<_>>()
                    .join(" or ")
            })
            .or_else(|| schema["type"].as_str().map(str::to_string))
            .unwrap_or_else(|| "string".into());
        s.push_str(&format!("| `{k}` | {ty} | {d} |\n"));
    }
    s.push_str("\n## Other values\n\n| Key | Description |\n|---|---|\n| `persistence.<claim>.size`, `.storageClass` | Size and storage class of a PersistentVolumeClaim. |\n");
    s.push_str("| `releasePrefix` | `true`: every object is named `<release>-<name>`; references, Service names dialled in environment values, commands and ConfigMaps, and selectors (with `app.kubernetes.io/instance: <release>`) follow, so that two releases can share a namespace. Hosts inside Secret values keep their plain names. Default `false`. |\n");
    if secrets {
        s.push_str("| `secrets.<name>.create` | `false`: the Secret is made another way. |\n| `secretValues.<name>` | The Secret's `data` (in `values-secrets.yaml`). |\n");
    }
    if values.get("createNamespace").is_some() {
        s.push_str("| `createNamespace` | `true`: render the Namespace (with its Pod Security labels), named after the release's. Default `false` (`helm install --create-namespace`). |\n");
    }
    s.push_str("\n## Defaults\n\n| Key | Default |\n|---|---|\n");
    let mut leaves = Vec::new();
    flatten("", values, &mut leaves);
    for (k, v) in leaves {
        if k.starts_with("secretValues") {
            continue;
        }
        s.push_str(&format!("| `{k}` | `{v}` |\n"));
    }
    s
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        _ => out.push((
            prefix.to_string(),
            serde_json::to_string(v)
                .unwrap_or_default()
                .replace('|', "\\|")
                .replace('`', "'"),
        )),
    }
}

/// What `helm install` prints.
pub fn notes(project: &str) -> String {
    let project = project.replace("{{", "{{ \"{{\" }}");
    format!(
        "The Compose project `{project}` is installed as {{{{ .Release.Name }}}} in namespace {{{{ .Release.Namespace }}}}.\n\n  kubectl get pods,services -n {{{{ .Release.Namespace }}}} -l app.kubernetes.io/part-of={project}\n\nThe chart's README lists the values (replicas, image, resources, env, service, ingress,\npersistence, nodeSelector, tolerations, affinity, podAnnotations per service).\n"
    )
}
