//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod helm_render;

use kubeferry::compose::LoadOptions;
use std::path::PathBuf;

/// The shared corpus folder, or `None` (with a note) when it is not beside the project.
pub fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("corpus/realworld/cases.tsv").exists() {
        Some(p)
    } else {
        eprintln!("note: ../shared is absent; corpus checks skipped");
        None
    }
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
        eprintln!("note: ../shared or the validator's venv is absent; validation skipped");
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
