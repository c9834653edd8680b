//! The Kustomize and Helm layouts give back exactly the plain output: Helm's templates rendered
//! with the chart's default values (by the small renderer in `support`). The Kustomize base
//! built by `kubectl kustomize` over the whole corpus is `scripts/kustomize-corpus.sh`, run by
//! `.ci/run` (it took 140-200 s, most of `cargo test`).

mod support;

use kubeferry::compose::RealFs;
use kubeferry::{Conversion, Format, Input, Layout, Options, convert, convert_with};
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

/// Render the chart with its default values and the Secrets' values of `values-secrets.yaml`
/// (as `-f values-secrets.yaml`); one document per template, in file order.
fn render_chart(c: &Conversion) -> Vec<Value> {
    let files = c.files(Layout::Helm, Format::Yaml);
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
    files
        .iter()
        .filter(|f| f.path.starts_with("templates/"))
        .map(|f| {
            let text = helm_render::render(&f.contents, &values)
                .unwrap_or_else(|e| panic!("{}: {e}", f.path));
            yaml_value(&text)
        })
        .collect()
}

fn plain(c: &Conversion) -> Vec<Value> {
    serde_norway::Deserializer::from_str(&c.to_yaml())
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

#[test]
fn helm_chart_renders_the_plain_output() {
    let c = fixture();
    assert_eq!(render_chart(&c), plain(&c));
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
            "templates/db-service.yaml",
            "templates/web-service.yaml",
            "templates/db-deployment.yaml",
            "templates/model-deployment.yaml",
            "templates/web-deployment.yaml",
            "templates/web-poddisruptionbudget.yaml",
            "templates/default-deny-ingress-networkpolicy.yaml",
            "templates/network-default-networkpolicy.yaml",
            "templates/web-published-networkpolicy.yaml",
        ]
    );
    insta::assert_snapshot!("helm_values", files[1].contents);
    insta::assert_snapshot!("helm_chart", files[0].contents);
    insta::assert_snapshot!("helm_web_deployment", files[6].contents);
}

#[test]
fn template_text_of_the_compose_file_comes_through_unharmed() {
    let c = fixture();
    let rendered = render_chart(&c);
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

#[test]
fn changed_values_change_the_rendered_chart() {
    let c = fixture();
    let files = c.files(Layout::Helm, Format::Yaml);
    let mut values = yaml_value(&files[1].contents);
    values["services"]["web"]["image"]["tag"] = "2.0".into();
    values["services"]["web"]["replicas"] = 5.into();
    values["services"]["model"]["gpus"] = "4".into();
    values["services"]["web"]["serviceType"] = "LoadBalancer".into();
    let render = |path: &str| {
        let f = files.iter().find(|f| f.path == path).unwrap();
        yaml_value(&helm_render::render(&f.contents, &values).unwrap())
    };
    let web = render("templates/web-deployment.yaml");
    assert_eq!(web["spec"]["replicas"], 5);
    assert_eq!(
        web["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/example/web:2.0"
    );
    let model = render("templates/model-deployment.yaml");
    assert_eq!(
        model["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "4"
    );
    assert_eq!(
        render("templates/web-service.yaml")["spec"]["type"],
        "LoadBalancer"
    );
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
fn helm_chart_renders_the_plain_output_for_the_corpus() {
    let Some(shared) = support::shared() else {
        return;
    };
    let cases = support::ok_cases(&shared);
    assert!(!cases.is_empty());
    for case in &cases {
        let c = convert_with(&case.load, &RealFs::default(), &Options::default())
            .unwrap_or_else(|f| panic!("{}: {f}", case.id));
        assert_eq!(render_chart(&c), plain(&c), "case {}", case.id);
    }
    eprintln!(
        "helm: {} corpus cases render to the plain output",
        cases.len()
    );
}
