//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod helm_render;

use kubeferry::compose::LoadOptions;
use std::path::PathBuf;

/// The one policy for what tests need from outside the repository (the corpus in ../shared,
/// the validator's virtualenv, kubectl): `.ci/run` sets them all up before `cargo test`, so in
/// CI (`CI` set) a missing one fails the test with what to run; elsewhere the test is skipped
/// with a note.
pub fn missing(what: &str, setup: &str) {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("{what} is missing, and CI must run this test: {setup}");
    }
    eprintln!("note: {what} is missing; skipped (to run it: {setup})");
}

/// The shared corpus folder, or `None` (see [`missing`]) when it is not beside the project.
pub fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("corpus/realworld/cases.tsv").exists() {
        Some(p)
    } else {
        missing(
            "../shared (the corpus)",
            "check out shared/ beside the repository",
        );
        None
    }
}

/// `kubectl` on the PATH, or `false` (see [`missing`]).
pub fn kubectl() -> bool {
    let ok = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        missing("kubectl", "apt-get install kubectl (as .ci/run does)");
    }
    ok
}

/// The offline validator: the Python of its virtualenv and `validate.py`, or `None` (with a
/// note) when ../shared or the venv (`../shared/tools/k8s-check/setup.sh`) is absent.
pub fn validator() -> Option<(PathBuf, PathBuf)> {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/k8s-check/validate.py");
    let python = std::env::var("HOME")
        .map(|h| PathBuf::from(h).join(".cache/k8s-check-venv/bin/python"))
        .unwrap_or_default();
    if script.exists() && python.exists() {
        Some((python, script))
    } else {
        missing(
            "the validator (../shared/tools/k8s-check and its virtualenv)",
            "../shared/tools/k8s-check/setup.sh",
        );
        None
    }
}

/// One `ok` case of the realworld corpus, as loader options (what `convert-corpus.sh` runs).
pub struct Case {
    pub id: String,
    pub load: LoadOptions,
}

pub fn ok_cases(shared: &std::path::Path) -> Vec<Case> {
    let root = shared.join("corpus/realworld");
    let tsv = std::fs::read_to_string(root.join("cases.tsv")).expect("cases.tsv");
    let list = |s: &str| -> Vec<String> {
        if s == "-" {
            Vec::new()
        } else {
            s.split(',').map(str::to_string).collect()
        }
    };
    let mut cases = Vec::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 7 || f[6] != "ok" {
            continue;
        }
        let dir = root.join(f[1]).to_string_lossy().into_owned();
        let mut environment: std::collections::BTreeMap<String, String> = [
            (
                "PATH".to_string(),
                std::env::var("PATH").unwrap_or_default(),
            ),
            (
                "HOME".to_string(),
                std::env::var("HOME").unwrap_or("/".into()),
            ),
            ("PWD".to_string(), dir.clone()),
        ]
        .into();
        if f[5] != "-" {
            for kv in f[5].split_whitespace() {
                if let Some((k, v)) = kv.split_once('=') {
                    environment.insert(k.into(), v.into());
                }
            }
        }
        cases.push(Case {
            id: f[0].to_string(),
            load: LoadOptions {
                files: list(f[2]),
                env_files: list(f[3]),
                profiles: list(f[4]),
                home: environment.get("HOME").cloned(),
                environment,
                working_dir: dir,
                ..LoadOptions::default()
            },
        });
    }
    cases
}

/// What is wrong with the pods' volumes and the file objects of a conversion: two volumes (or
/// containers) of one name in a pod, a mount of a volume the pod does not have, a ConfigMap or Secret over the
/// API server's 1 MiB of data or over the 256 KiB of JSON that `kubectl apply` can record.
pub fn mount_problems(objects: &[kubeferry::lower::Object]) -> Vec<String> {
    use kubeferry::lower::Object;
    let mut out = Vec::new();
    for o in objects {
        if let Some(spec) = o.pod_spec() {
            let mut names = std::collections::BTreeSet::new();
            // A StatefulSet's claim templates are pod volumes too.
            let templates = match o {
                Object::StatefulSet(s) => s
                    .spec
                    .as_ref()
                    .and_then(|s| s.volume_claim_templates.as_ref()),
                _ => None,
            };
            let template_names = templates
                .into_iter()
                .flatten()
                .filter_map(|t| t.metadata.name.as_deref());
            let volume_names = spec.volumes.iter().flatten().map(|v| v.name.as_str());
            for name in volume_names.chain(template_names) {
                if !names.insert(name) {
                    out.push(format!("{}: two volumes named `{name}`", o.name()));
                }
            }
            let containers = spec
                .containers
                .iter()
                .chain(spec.init_containers.iter().flatten());
            let mut container_names = std::collections::BTreeSet::new();
            for c in containers {
                if !container_names.insert(c.name.as_str()) {
                    out.push(format!("{}: two containers named `{}`", o.name(), c.name));
                }
                for m in c.volume_mounts.iter().flatten() {
                    if !names.contains(m.name.as_str()) {
                        out.push(format!(
                            "{}: `{}` mounts no volume `{}`",
                            o.name(),
                            c.name,
                            m.name
                        ));
                    }
                }
            }
        }
        let (data, json) = match o {
            Object::ConfigMap(cm) => {
                let text = cm.data.iter().flatten().map(|(k, v)| k.len() + v.len());
                let bin = cm
                    .binary_data
                    .iter()
                    .flatten()
                    .map(|(k, v)| k.len() + v.0.len());
                (
                    text.chain(bin).sum::<usize>(),
                    serde_json::to_vec(cm).unwrap().len(),
                )
            }
            Object::Secret(s) => {
                let data = s.data.iter().flatten().map(|(k, v)| k.len() + v.0.len());
                let string = s
                    .string_data
                    .iter()
                    .flatten()
                    .map(|(k, v)| k.len() + v.len());
                (
                    data.chain(string).sum::<usize>(),
                    serde_json::to_vec(s).unwrap().len(),
                )
            }
            _ => continue,
        };
        if data > 1024 * 1024 {
            out.push(format!(
                "{} `{}`: {data} bytes of data, over 1 MiB",
                o.kind(),
                o.name()
            ));
        }
        if json > 256 * 1024 {
            out.push(format!(
                "{} `{}`: {json} bytes of JSON, over 256 KiB",
                o.kind(),
                o.name()
            ));
        }
    }
    out
}
