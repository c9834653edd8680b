//! The Kustomize and Helm layouts give back exactly the plain output: the chart rendered by Helm
//! itself with its default values (helm-python-sdk, through `support`; skipped where it is not
//! installed; scripts/helm-check.sh does the same over the corpus, with lint and changed
//! values). The Kustomize base built by `kubectl kustomize` over the whole corpus is
//! `scripts/kustomize-corpus.sh`, run by `.ci/run`.

mod support;

use kubeferry::{Conversion, Format, Input, Layout, Options, convert};
use serde_json::Value;
use support::helm_render;

const COMPOSE: &str = r#"services:
  web:
    image: ghcr.io/example/web:1.2
    ports: ["8080:80"]
    command: ["sh", "-c", "echo '{{ .Values.x }}' && echo {{{{raw}}}} && sleep 1"]
    environment:
      DB: postgres://db:5432/app
      TEMPLATE: "{{ template \"x\" }}"
    labels:
      kompose.service.type: nodeport
      kompose.service.nodeport.port: "30080"
      kompose.service.expose: "a.example.com,b.example.com"
      kompose.service.expose.tls-secret: web-tls
      note: "{{- trimmed -}}"
    deploy:
      replicas: 2
      resources:
        limits: {memory: 1g, cpus: "0.5"}
  model:
    image: vllm/vllm-openai@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, count: 2, capabilities: [gpu]}]
  db:
    image: postgres:16
"#;

fn fixture() -> Conversion {
    let input = Input::new().compose_file("compose.yaml", COMPOSE);
    convert(&input, &Options::default()).expect("fixture converts")
}

fn yaml_value(text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The chart's default values with the Secrets' values of `values-secrets.yaml` (as
/// `-f values-secrets.yaml`).
fn default_values(files: &[kubeferry::OutputFile]) -> Value {
    let file = |path: &str| {
        files
            .iter()
            .find(|f| f.path == path)
            .map(|f| yaml_value(&f.contents))
    };
    let mut values = file("values.yaml").unwrap();
    if let Some(secrets) = file("values-secrets.yaml") {
        values["secretValues"] = secrets["secretValues"].clone();
    }
    values
}

/// The chart rendered by Helm with `values`, as sorted JSON texts (Helm orders templates by
/// path); `None` without Helm.
fn render_with(c: &Conversion, values: &Value) -> Option<Result<Vec<Value>, String>> {
    let python = helm_render::helm()?;
    let files = c.files(Layout::Helm, Format::Yaml);
    let chart = files.iter().map(|f| (f.path.as_str(), f.contents.as_str()));
    Some(helm_render::render(&python, chart, values, "default").map(|t| docs(&t)))
}

fn render_chart(c: &Conversion) -> Option<Vec<Value>> {
    let values = default_values(&c.files(Layout::Helm, Format::Yaml));
    render_with(c, &values).map(|r| r.unwrap())
}

fn docs(text: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|d: &Value| !d.is_null())
        .collect()
}

/// `v` with every map's keys in order (Helm writes them sorted, kubeferry in its own order).
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        _ => v.clone(),
    }
}

fn sorted(docs: Vec<Value>) -> Vec<String> {
    let mut v: Vec<String> = docs.iter().map(|d| canonical(d).to_string()).collect();
    v.sort();
    v
}

fn plain(c: &Conversion) -> Vec<Value> {
    docs(&c.to_yaml())
}

#[test]
fn helm_chart_renders_the_plain_output() {
    let c = fixture();
    if let Some(rendered) = render_chart(&c) {
        assert_eq!(sorted(rendered), sorted(plain(&c)));
    }
}

#[test]
fn helm_values_hold_what_changes_per_environment() {
    let c = fixture();
    let files = c.files(Layout::Helm, Format::Yaml);
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Chart.yaml",
            "values.yaml",
            "values.schema.json",
            "README.md",
            "templates/NOTES.txt",
            "templates/_helpers.tpl",
            "templates/db-service.yaml",
            "templates/web-service.yaml",
            "templates/db-deployment.yaml",
            "templates/model-deployment.yaml",
            "templates/web-deployment.yaml",
            "templates/web-ingress.yaml",
            "templates/web-poddisruptionbudget.yaml",
            "templates/default-deny-ingress-networkpolicy.yaml",
            "templates/network-default-networkpolicy.yaml",
            "templates/web-published-networkpolicy.yaml",
        ]
    );
    let file = |p: &str| &files.iter().find(|f| f.path == p).unwrap().contents;
    insta::assert_snapshot!("helm_values", file("values.yaml"));
    insta::assert_snapshot!("helm_chart", file("Chart.yaml"));
    insta::assert_snapshot!("helm_web_deployment", file("templates/web-deployment.yaml"));
    insta::assert_snapshot!("helm_web_service", file("templates/web-service.yaml"));
    insta::assert_snapshot!("helm_web_ingress", file("templates/web-ingress.yaml"));
    insta::assert_snapshot!("helm_readme", file("README.md"));
    // The schema names every per-service key the templates read.
    let schema = yaml_value(file("values.schema.json"));
    let keys = &schema["properties"]["services"]["additionalProperties"]["properties"];
    for k in [
        "replicas",
        "image",
        "resources",
        "gpus",
        "env",
        "service",
        "ingress",
        "nodeSelector",
        "tolerations",
        "affinity",
        "podAnnotations",
    ] {
        assert!(keys.get(k).is_some(), "{k}");
    }
}

#[test]
fn template_text_of_the_compose_file_comes_through_unharmed() {
    let c = fixture();
    let Some(rendered) = render_chart(&c) else {
        return;
    };
    let web = rendered
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "web")
        .unwrap();
    let container = &web["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["args"][2],
        "echo '{{ .Values.x }}' && echo {{{{raw}}}} && sleep 1"
    );
    assert_eq!(container["env"][1]["value"], "{{ template \"x\" }}");
    assert_eq!(web["metadata"]["annotations"]["note"], "{{- trimmed -}}");
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name}"))
}

#[test]
fn changed_values_change_the_rendered_chart() {
    let c = fixture();
    let mut values = default_values(&c.files(Layout::Helm, Format::Yaml));
    let web = &mut values["services"]["web"];
    web["image"]["tag"] = "2.0".into();
    web["image"]["digest"] = "sha256:abc".into();
    web["replicas"] = 5.into();
    web["service"]["type"] = "LoadBalancer".into();
    web["env"]["ADDED"] = 7.into();
    web["resources"]["limits"]["cpu"] = "2".into();
    web["ingress"]["hosts"] =
        serde_json::json!(["a.example.com", "b.example.com", "c.example.com"]);
    web["nodeSelector"] = serde_json::json!({"disk": "ssd"});
    web["podAnnotations"] = serde_json::json!({"x/y": "z"});
    values["services"]["model"]["gpus"] = "4".into();
    values["services"]["db"]["replicas"] = 0.into();
    let Some(docs) = render_with(&c, &values) else {
        return;
    };
    let docs = docs.unwrap();
    let web = find(&docs, "Deployment", "web");
    assert_eq!(web["spec"]["replicas"], 5);
    assert_eq!(
        web["spec"]["template"]["metadata"]["annotations"]["x/y"],
        "z"
    );
    assert_eq!(
        web["spec"]["template"]["spec"]["nodeSelector"]["disk"],
        "ssd"
    );
    let container = &web["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "ghcr.io/example/web:2.0@sha256:abc");
    assert_eq!(
        container["env"][2],
        serde_json::json!({"name": "ADDED", "value": "7"})
    );
    assert_eq!(container["resources"]["limits"]["cpu"], "2");
    assert_eq!(
        container["resources"]["limits"]["memory"], "1Gi",
        "merged over"
    );
    // A replica count the plain output leaves out (1) is written when set, even 0.
    assert_eq!(find(&docs, "Deployment", "db")["spec"]["replicas"], 0);
    let model = find(&docs, "Deployment", "model");
    assert_eq!(
        model["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "4"
    );
    let svc = find(&docs, "Service", "web");
    assert_eq!(svc["spec"]["type"], "LoadBalancer");
    assert_eq!(svc["spec"]["ports"][1]["nodePort"], 30080);
    let ingress = find(&docs, "Ingress", "web");
    let hosts: Vec<&Value> = ingress["spec"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["host"])
        .collect();
    assert_eq!(hosts, ["a.example.com", "b.example.com", "c.example.com"]);
    assert_eq!(
        ingress["spec"]["rules"][2]["http"],
        ingress["spec"]["rules"][0]["http"]
    );
    assert_eq!(
        ingress["spec"]["tls"][0]["hosts"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn null_and_clusterip_values_render_a_valid_chart() {
    let c = fixture();
    let mut values = default_values(&c.files(Layout::Helm, Format::Yaml));
    values["services"]["web"]["env"] = Value::Null;
    values["services"]["web"]["resources"] = Value::Null;
    values["services"]["web"]["service"]["type"] = "ClusterIP".into();
    values["services"]["web"]["ingress"]["tlsSecretName"] = "".into();
    let Some(docs) = render_with(&c, &values) else {
        return;
    };
    let docs = docs.unwrap();
    let plain = plain(&c);
    // `null` means the converted setting.
    let container = |d: &[Value]| {
        find(d, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0].clone()
    };
    assert_eq!(container(&docs)["env"], container(&plain)["env"]);
    assert_eq!(
        container(&docs)["resources"],
        container(&plain)["resources"]
    );
    // ClusterIP: no node port, which the API server refuses for that type.
    let svc = find(&docs, "Service", "web");
    assert_eq!(svc["spec"]["type"], "ClusterIP");
    assert!(
        svc["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("nodePort").is_none())
    );
    assert!(find(&docs, "Ingress", "web")["spec"].get("tls").is_none());
}

#[test]
fn kustomization_lists_every_resource() {
    let c = fixture();
    let files = c.files(Layout::Kustomize, Format::Yaml);
    let k = yaml_value(&files[0].contents);
    assert_eq!(files[0].path, "base/kustomization.yaml");
    assert_eq!(k["kind"], "Kustomization");
    let listed: Vec<String> = k["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("base/{}", r.as_str().unwrap()))
        .collect();
    let present: Vec<String> = files[1..].iter().map(|f| f.path.clone()).collect();
    assert_eq!(listed, present);
    assert_eq!(listed.len(), c.objects.len());
}

#[test]
fn release_prefix_renames_every_object_and_what_refers_to_it() {
    let c = fixture();
    let mut values = default_values(&c.files(Layout::Helm, Format::Yaml));
    values["releasePrefix"] = true.into();
    let Some(docs) = render_with(&c, &values) else {
        return;
    };
    let docs = docs.unwrap();
    assert_eq!(docs.len(), plain(&c).len());
    for d in &docs {
        let name = d["metadata"]["name"].as_str().unwrap();
        assert!(name.starts_with("test-"), "{name}");
        assert_eq!(
            d["metadata"]["labels"]["app.kubernetes.io/instance"], "test",
            "{name}"
        );
    }
    let web = find(&docs, "Deployment", "test-web");
    assert_eq!(
        web["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"],
        "test"
    );
    assert_eq!(
        web["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/instance"],
        "test"
    );
    // The Service dialled in the environment follows; other text does not.
    let env = &web["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env[0]["value"], "postgres://test-db:5432/app");
    assert_eq!(env[1]["value"], "{{ template \"x\" }}");
    let svc = find(&docs, "Service", "test-db");
    assert_eq!(
        svc["spec"]["selector"]["app.kubernetes.io/instance"],
        "test"
    );
    let ingress = find(&docs, "Ingress", "test-web");
    for rule in ingress["spec"]["rules"].as_array().unwrap() {
        assert_eq!(
            rule["http"]["paths"][0]["backend"]["service"]["name"],
            "test-web"
        );
    }
    let policy = find(&docs, "NetworkPolicy", "test-network-default");
    assert_eq!(
        policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"],
        "test"
    );
}

/// A run-once `pre_start` hook of a service with replicas: its Job, ServiceAccount, Role and
/// RoleBinding render as the plain output, and with the release prefix every reference among
/// them follows (the wait's argument, the Role's resourceNames, the binding's role and subject).
#[test]
fn pre_start_job_objects_follow_the_release_prefix() {
    let compose = r#"services:
  api:
    image: example/api:1
    deploy: {replicas: 3}
    pre_start:
      - command: ["./migrate"]
"#;
    let input = Input::new().compose_file("compose.yaml", compose);
    let c = convert(&input, &Options::default()).expect("converts");
    let Some(rendered) = render_chart(&c) else {
        return;
    };
    assert_eq!(sorted(rendered), sorted(plain(&c)));
    let mut values = default_values(&c.files(Layout::Helm, Format::Yaml));
    values["releasePrefix"] = true.into();
    let docs = render_with(&c, &values).unwrap().unwrap();
    find(&docs, "Job", "test-api-pre-start");
    find(&docs, "ServiceAccount", "test-api-pre-start");
    let role = find(&docs, "Role", "test-api-pre-start");
    assert_eq!(role["rules"][0]["resourceNames"][0], "test-api-pre-start");
    let binding = find(&docs, "RoleBinding", "test-api-pre-start");
    assert_eq!(binding["roleRef"]["name"], "test-api-pre-start");
    assert_eq!(binding["subjects"][0]["name"], "test-api-pre-start");
    let pod = &find(&docs, "Deployment", "test-api")["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "test-api-pre-start");
    let wait = pod["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "wait-for-pre-start")
        .unwrap();
    assert_eq!(wait["args"][1], "test-api-pre-start");
}
