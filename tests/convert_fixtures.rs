//! Snapshot tests of the conversion, one per behaviour: `fixtures/convert/<behaviour>/` holds a
//! `compose.yaml`, any files it refers to, and optionally `args`, run by the fixture driver
//! (`support/fixture.rs`: through `convert_with`, in memory, no environment) with `--harden
//! none` unless the args say otherwise. A snapshot holds the YAML stream and the warnings, or
//! the errors when the conversion fails.
//!
//! A second test checks every fixture's output with `../shared/tools/k8s-check/validate.py`
//! (0 schema and 0 semantic errors at the fixture's `--kube-version`, default 1.30, and at
//! 1.37) when `../shared` is present.

mod support;

include!("support/cli_crate.in");

use fixture::Fixture;
use kubeferry::Object;
use std::path::Path;

/// A fixture of `fixtures/convert`: `--harden none` unless its args say otherwise.
fn fixture(path: &Path) -> Fixture {
    Fixture::new(path, &["--harden", "none"])
}

/// The conversion of one fixture: its objects and warnings, or the errors.
fn convert(f: &Fixture) -> Result<(Vec<Object>, Vec<String>), Vec<String>> {
    let texts = |ds: &[kubeferry::Diagnostic]| ds.iter().map(ToString::to_string).collect();
    match f.run() {
        Ok(c) => Ok((c.objects, texts(&c.diagnostics))),
        Err(failure) => Err(texts(&failure.0)),
    }
}

fn snapshot_text(path: &Path) -> String {
    match convert(&fixture(path)) {
        Ok((objects, warnings)) => {
            let mut out = String::new();
            for w in &warnings {
                out.push_str(&format!("# {w}\n"));
            }
            if !warnings.is_empty() {
                out.push_str("---\n");
            }
            out.push_str(&emit::render(&objects, emit::Format::Yaml));
            out
        }
        Err(errors) => {
            let mut out = String::from("# conversion failed\n");
            for e in errors {
                out.push_str(&format!("# {e}\n"));
            }
            out
        }
    }
}

#[test]
fn fixtures() {
    insta::glob!("../fixtures/convert", "*/compose.yaml", |path| {
        insta::assert_snapshot!(snapshot_text(path));
    });
}

#[test]
fn conversion_is_deterministic() {
    insta::glob!("../fixtures/convert", "*/compose.yaml", |path| {
        assert_eq!(snapshot_text(path), snapshot_text(path));
    });
}

fn all() -> Vec<Fixture> {
    fixture::family("convert")
        .iter()
        .map(|d| fixture(d))
        .collect()
}

#[test]
fn fixture_outputs_pass_the_validator() {
    let Some((python, validator)) = support::validator() else {
        return;
    };
    let out = std::env::temp_dir().join(format!("kubeferry-fixtures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut converted = 0;
    for f in all() {
        let Ok((objects, _)) = convert(&f) else {
            continue;
        };
        // At the fixture's `--kube-version` (default 1.30).
        let version = f
            .arg("--kube-version")
            .unwrap_or_else(|| kubeferry::KubeVersion::DEFAULT.to_string());
        let dir = out.join(&version).join(f.name());
        std::fs::create_dir_all(&dir).unwrap();
        for file in emit::render_files(&objects, emit::Format::Yaml) {
            std::fs::write(dir.join(&file.path), &file.contents).unwrap();
        }
        converted += 1;
    }
    assert!(converted > 10, "only {converted} fixtures converted");
    // Each fixture at the release it is written for, and at the newest.
    let groups: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let runs = groups
        .iter()
        .flat_map(|g| [(g.clone(), g.clone()), (g.clone(), "1.37".to_string())]);
    for (group, version) in runs {
        let run = std::process::Command::new(&python)
            .arg(&validator)
            .arg(out.join(&group))
            .args([
                "--k8s-version",
                &version,
                "--no-checkov",
                "--scope",
                "dir",
                "--json",
            ])
            .output()
            .expect("run the validator");
        let report: serde_json::Value =
            serde_json::from_slice(&run.stdout).expect("the validator prints JSON");
        let totals = &report["totals"];
        assert!(totals["objects"].as_u64().unwrap_or(0) > 0, "{report}");
        assert_eq!(
            (
                totals["schema_errors"].as_u64(),
                totals["semantic_errors"].as_u64()
            ),
            (Some(0), Some(0)),
            "fixtures for {group} at Kubernetes {version}: {}",
            String::from_utf8_lossy(&run.stdout)
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// Pod volume names are unique, every mount has its volume, and no ConfigMap or Secret is over
/// what the API server or `kubectl apply` takes, in every fixture.
#[test]
fn fixture_pods_mount_what_they_name() {
    let mut problems = Vec::new();
    for f in all() {
        if let Ok((objects, _)) = convert(&f) {
            let dir = f.name();
            problems.extend(
                support::mount_problems(&objects)
                    .into_iter()
                    .map(|p| format!("{dir}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
