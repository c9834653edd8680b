//! Credentials never in plain text (docs/secrets.md). The fixture `fixtures/convert/credentials`
//! gives credentials every way Compose allows, each value a unique `cred-…` word. The command
//! line converts it to every output form; each value must appear only inside Secret objects
//! (or, in Kustomize and Helm, only in the git-ignored value files), nowhere with
//! `--secrets external`, and never in standard error, the report or the plan. The chart
//! rendered by Helm itself is checked by `scripts/secrets-check.sh` (it needs Helm's SDK).

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::helm_render;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/convert/credentials")
}

/// Every `cred-…` word of the fixture's files.
fn credentials() -> Vec<String> {
    let mut out = Vec::new();
    for f in ["compose.yaml", ".env", "api.env", "webhook.key"] {
        let text = std::fs::read_to_string(fixture().join(f)).unwrap();
        for (i, _) in text.match_indices("cred-") {
            let word: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if !out.contains(&word) {
                out.push(word);
            }
        }
    }
    assert!(out.len() >= 12, "{out:?}");
    out
}

/// The values that reach a container: all but the env-file value `environment` overrides.
fn delivered() -> Vec<String> {
    credentials()
        .into_iter()
        .filter(|c| c != "cred-smtp-file-2323")
        .collect()
}

fn base64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(s: &str) -> String {
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').chars() {
        bits = (bits << 6) | A.find(c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8(out).unwrap()
}

/// The credentials (plain or base64) found in `text`.
fn found_in(text: &str) -> Vec<String> {
    credentials()
        .into_iter()
        .filter(|c| text.contains(c.as_str()) || text.contains(&base64(c)))
        .collect()
}

/// Runs `kubeferry` with no environment but `PATH` (interpolation sees only `.env`).
fn kubeferry(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeferry"))
        .args(args)
        .current_dir(fixture())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// Converts to a fresh folder with `args`; returns the folder, its files, and standard error.
fn convert_to(args: &[&str]) -> (tempfile::TempDir, Vec<(String, String)>, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let report = dir.path().join("report.md");
    let mut all = vec![
        "convert",
        "-f",
        "compose.yaml",
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    all.extend(args);
    let (stdout, stderr) = kubeferry(&all);
    assert_eq!(
        found_in(&stdout),
        Vec::<String>::new(),
        "stdout of {args:?}"
    );
    assert_eq!(
        found_in(&stderr),
        Vec::<String>::new(),
        "stderr of {args:?}"
    );
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(report.contains("hardening report"));
    assert_eq!(
        found_in(&report),
        Vec::<String>::new(),
        "report of {args:?}"
    );
    let files = read_tree(&out, &out);
    (dir, files, stderr)
}

fn read_tree(root: &Path, dir: &Path) -> Vec<(String, String)> {
    if dir.is_file() {
        return vec![("out".into(), std::fs::read_to_string(dir).unwrap())];
    }
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(read_tree(root, &p));
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

fn docs(text: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|d: &Value| !d.is_null())
        .collect()
}

/// Checks objects: no credential outside Secrets; returns the decoded Secret values.
fn split_objects(objects: &[Value], form: &str) -> Vec<String> {
    let mut in_secrets = Vec::new();
    for o in objects {
        if o["kind"] == "Secret" {
            for v in o["data"].as_object().into_iter().flat_map(|m| m.values()) {
                in_secrets.push(unbase64(v.as_str().unwrap()));
            }
        } else {
            let text = serde_json::to_string(o).unwrap();
            assert_eq!(
                found_in(&text),
                Vec::<String>::new(),
                "{form}: {} {}",
                o["kind"],
                o["metadata"]["name"]
            );
        }
    }
    in_secrets
}

/// Every delivered credential is in some Secret value.
fn all_delivered(in_secrets: &[String], form: &str) {
    for c in delivered() {
        assert!(
            in_secrets.iter().any(|v| v.contains(&c)),
            "{form}: {c} is in no Secret"
        );
    }
}

#[test]
fn plain_yaml_json_and_files_hold_credentials_only_in_secrets() {
    let (_d, files, _) = convert_to(&["--layout", "single"]);
    let paths: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(paths, ["out"]);
    let yaml = &files[0].1;
    let plain = docs(yaml);
    all_delivered(&split_objects(&plain, "yaml"), "yaml");

    let (_d, files, _) = convert_to(&["--layout", "single", "--format", "json"]);
    let json: Value = serde_json::from_str(&files[0].1).unwrap();
    let items = json["items"].as_array().unwrap();
    assert_eq!(items, &plain);
    all_delivered(&split_objects(items, "json"), "json");

    let (_d, files, _) = convert_to(&["--layout", "files"]);
    let mut objects = Vec::new();
    for (path, text) in &files {
        if path.ends_with(".yaml") {
            objects.extend(docs(text));
        } else {
            assert_eq!(found_in(text), Vec::<String>::new(), "{path}");
        }
    }
    all_delivered(&split_objects(&objects, "files"), "files");

    // Env files as ConfigMaps: their credentials go to a Secret beside each ConfigMap.
    let (_d, files, _) = convert_to(&["--layout", "single", "--env-files-to", "configmap"]);
    let objects = docs(&files[0].1);
    assert!(objects.iter().any(|o| o["kind"] == "ConfigMap"));
    let api = objects
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "api")
        .unwrap();
    assert_eq!(
        api["spec"]["template"]["spec"]["containers"][0]["envFrom"],
        serde_json::json!([{"secretRef": {"name": "api-api-env"}}, {"configMapRef": {"name": "api-api-env"}}])
    );
    all_delivered(&split_objects(&objects, "configmap"), "configmap");
}

#[test]
fn kustomize_base_keeps_values_in_ignored_files() {
    let (dir, files, _) = convert_to(&["--layout", "kustomize"]);
    for (path, text) in &files {
        if !path.starts_with("base/secrets/") {
            assert_eq!(found_in(text), Vec::<String>::new(), "{path}");
        }
    }
    let ignore = &files.iter().find(|f| f.0 == "base/.gitignore").unwrap().1;
    assert!(ignore.lines().any(|l| l == "/secrets/"), "{ignore}");
    if !support::kubectl() {
        return;
    }
    let built = Command::new("kubectl")
        .args(["kustomize", dir.path().join("out/base").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let mut built = docs(&String::from_utf8(built.stdout).unwrap());
    // Kustomize wraps long base64 values; the API server ignores the line breaks.
    for o in built.iter_mut().filter(|o| o["kind"] == "Secret") {
        for v in o["data"].as_object_mut().unwrap().values_mut() {
            *v = v.as_str().unwrap().replace('\n', "").into();
        }
    }
    all_delivered(&split_objects(&built, "kustomize"), "kustomize");
    let (_d, plain, _) = convert_to(&["--layout", "single"]);
    let mut plain = docs(&plain[0].1);
    let key = |v: &Value| serde_json::to_string(v).unwrap();
    built.sort_by_key(key);
    plain.sort_by_key(key);
    assert_eq!(built, plain);
}

#[test]
fn helm_values_hold_no_credential_and_the_chart_renders_them_from_the_ignored_file() {
    let (_d, files, _) = convert_to(&["--layout", "helm"]);
    for (path, text) in &files {
        if path != "values-secrets.yaml" {
            assert_eq!(found_in(text), Vec::<String>::new(), "{path}");
        }
    }
    for ignore in [".helmignore", ".gitignore"] {
        let text = &files.iter().find(|f| f.0 == ignore).unwrap().1;
        assert!(text.lines().any(|l| l == "values-secrets.yaml"), "{ignore}");
    }
    let file = |p: &str| -> Value {
        serde_norway::from_str(&files.iter().find(|f| f.0 == p).unwrap().1).unwrap()
    };
    let mut values = file("values.yaml");
    let Some(python) = helm_render::helm() else {
        return;
    };
    let render = |values: &Value| -> Result<Vec<Value>, String> {
        let chart = files.iter().map(|(p, t)| (p.as_str(), t.as_str()));
        Ok(docs(&helm_render::render(
            &python, chart, values, "default",
        )?))
    };
    // Without the values file the chart refuses to render, naming it.
    let err = render(&values).unwrap_err();
    assert!(err.contains("values-secrets.yaml"), "{err}");
    values["secretValues"] = file("values-secrets.yaml")["secretValues"].clone();
    all_delivered(&split_objects(&render(&values).unwrap(), "helm"), "helm");
    // Secrets created another way (`create: false`): none rendered, no value needed.
    let mut existing = file("values.yaml");
    for (_, s) in existing["secrets"].as_object_mut().unwrap() {
        s["create"] = false.into();
    }
    let rendered = render(&existing).unwrap();
    assert!(rendered.iter().all(|o| o["kind"] != "Secret"));
    assert_eq!(
        split_objects(&rendered, "helm existing"),
        Vec::<String>::new()
    );
}

#[test]
fn external_secrets_write_no_value_and_name_every_secret_and_key() {
    for layout in ["single", "files", "kustomize", "helm"] {
        let (_d, files, stderr) = convert_to(&["--secrets", "external", "--layout", layout]);
        for (path, text) in &files {
            assert_eq!(found_in(text), Vec::<String>::new(), "{layout}: {path}");
        }
        for expected in [
            "create the Secret `api-env` with the keys `AWS_SECRET_ACCESS_KEY`, `DATABASE_URL`, `JWT_SECRET`, `LICENSE_BLOB`, `OPENAI_API_KEY`, `SMTP_PASSWORD`, `SQLSERVER`, `STRIPE_SECRET_KEY`",
            "create the Secret `worker-env` with the keys `HF_TOKEN`, `REDIS_URL`",
            "create the Secret `db-env` with the keys `POSTGRES_PASSWORD`",
            "create the Secret `webhook-key` with the key `webhook_key`",
        ] {
            assert!(stderr.contains(expected), "{layout}: {expected}\n{stderr}");
        }
    }
}

#[test]
fn plan_and_staged_conversions_print_no_credential() {
    let (plan, stderr) = kubeferry(&["plan", "-f", "compose.yaml"]);
    assert!(plan.contains("pg_dump"), "{plan}");
    assert_eq!(found_in(&plan), Vec::<String>::new());
    assert_eq!(found_in(&stderr), Vec::<String>::new());
    for stage in ["stateless", "stateful"] {
        let (_d, files, _) = convert_to(&[
            "--stage",
            stage,
            "--compose-host",
            "compose.internal",
            "--layout",
            "files",
        ]);
        let mut objects = Vec::new();
        for (path, text) in &files {
            if path.ends_with(".yaml") && !path.starts_with("compose") {
                objects.extend(docs(text));
            } else {
                assert_eq!(found_in(text), Vec::<String>::new(), "{stage}: {path}");
            }
        }
        split_objects(&objects, stage);
        // Each stage carries the Secrets its pods read.
        let secrets: Vec<&str> = objects
            .iter()
            .filter(|o| o["kind"] == "Secret")
            .filter_map(|o| o["metadata"]["name"].as_str())
            .collect();
        let expected: &[&str] = if stage == "stateless" {
            &["api-env", "signing-key", "webhook-key", "worker-env"]
        } else {
            &["db-env"]
        };
        assert_eq!(secrets, expected, "{stage}");
    }
}
