//! `--ingress-api gateway`: the HTTPRoutes and GRPCRoutes kubeferry writes validate against
//! the Gateway API CRD schemas vendored in tests/gateway-api (kubernetes-sigs/gateway-api,
//! converted by scripts/gateway-api-schemas.py), with the jsonschema package of the
//! validator's venv; offline. Skipped (with a note) where that venv is absent.

mod support;

use kubeferry::lower::IngressApi;
use kubeferry::{Input, Object, Options};
use serde_json::Value;
use std::path::PathBuf;

const COMPOSE: &str = r#"
name: routes
services:
  api:
    image: example/api:1
    ports: ["3000"]
    labels:
      kompose.service.expose: "api.example.com/v1,api.example.com/v2,www.example.com,*.apps.example.com"
      kompose.service.expose.tls-secret: api-tls
  docs:
    image: example/docs:1
    expose: ["8000"]
    labels:
      kompose.service.expose: "true"
  inference:
    image: example/inference:1
    ports:
      - target: 9000
        app_protocol: grpc
    labels:
      kompose.service.expose: "grpc.example.com"
"#;

fn routes(gateway_namespace: Option<&str>) -> Vec<Value> {
    let mut opts = Options::default();
    opts.lower.ingress_api = IngressApi::Gateway {
        name: "public".into(),
        namespace: gateway_namespace.map(str::to_string),
    };
    opts.lower.namespace = Some("shop".into());
    let c = kubeferry::convert(&Input::new().compose_file("compose.yaml", COMPOSE), &opts)
        .expect("converts");
    assert!(
        !c.objects.iter().any(|o| o.kind() == "Ingress"),
        "no Ingress with --ingress-api gateway"
    );
    c.objects
        .iter()
        .filter(|o| matches!(o, Object::Route(_)))
        .map(|o| serde_json::to_value(o).unwrap())
        .collect()
}

/// Each document's schema errors (an empty list: valid), from the vendored schemas.
fn schema_errors(docs: &[Value]) -> Option<Vec<Vec<String>>> {
    let (python, _) = support::validator()?;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gateway-api");
    let script = r#"
import json, sys, os, jsonschema
d = sys.argv[1]
docs = json.load(sys.stdin)
out = []
for doc in docs:
    with open(os.path.join(d, doc.get("kind", "").lower() + ".v1.json")) as f:
        schema = json.load(f)
    v = jsonschema.Draft7Validator(schema)
    out.append(sorted("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in v.iter_errors(doc)))
print(json.dumps(out))
"#;
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(docs).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("JSON"))
}

#[test]
fn routes_have_the_hosts_paths_and_gateway_of_the_labels() {
    let r = routes(Some("gateways"));
    let kinds: Vec<(&str, &str)> = r
        .iter()
        .map(|v| {
            (
                v["kind"].as_str().unwrap(),
                v["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("HTTPRoute", "api"),
            ("HTTPRoute", "api-2"),
            ("HTTPRoute", "docs"),
            ("GRPCRoute", "inference")
        ]
    );
    assert_eq!(r[0]["spec"]["hostnames"][0], "api.example.com");
    assert_eq!(
        r[0]["spec"]["rules"][0]["matches"][1]["path"]["value"],
        "/v2"
    );
    assert_eq!(
        r[1]["spec"]["hostnames"],
        serde_json::json!(["www.example.com", "*.apps.example.com"])
    );
    assert_eq!(
        r[3]["spec"]["parentRefs"],
        serde_json::json!([{"name": "public", "namespace": "gateways"}])
    );
    assert_eq!(r[3]["spec"]["rules"][0]["backendRefs"][0]["port"], 9000);
}

#[test]
fn routes_validate_against_the_gateway_api_schemas() {
    let mut docs = routes(Some("gateways"));
    docs.extend(routes(None));
    let n = docs.len();
    // The check can fail: a route whose backend port is text and whose hostname is invalid.
    let mut bad = docs[0].clone();
    bad["spec"]["rules"][0]["backendRefs"][0]["port"] = "http".into();
    bad["spec"]["hostnames"][0] = "Not A Host".into();
    docs.push(bad);
    let Some(errors) = schema_errors(&docs) else {
        return;
    };
    for (doc, e) in docs.iter().zip(&errors).take(n) {
        assert!(e.is_empty(), "{doc}: {e:?}");
    }
    let bad = &errors[n];
    assert!(
        bad.iter().any(|e| e.contains("backendRefs/0/port"))
            && bad.iter().any(|e| e.contains("hostnames/0")),
        "{bad:?}"
    );
}
