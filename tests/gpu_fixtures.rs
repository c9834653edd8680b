//! GPU and AI-workload fixtures: each `fixtures/gpu/<case>/` (with the convert flags of its
//! `args` file) through the fixture driver (`support/fixture.rs`), its YAML and warnings
//! snapshotted; and the same output checked by the shared validator.

mod support;

include!("support/cli_crate.in");

use fixture::Fixture;
use kubeferry::lower::GpuApi;
use std::path::{Path, PathBuf};
use std::process;

/// Convert one fixture (its args as given, no defaults): (YAML, warnings, options).
fn convert(compose_file: &Path) -> (String, Vec<String>, Options) {
    let f = Fixture::new(compose_file, &[]).named();
    let c = f
        .run()
        .unwrap_or_else(|e| panic!("{}: {e}", f.dir.display()));
    let warnings = c.diagnostics.iter().map(ToString::to_string).collect();
    (c.to_yaml(), warnings, f.options())
}

#[test]
fn gpu_fixtures() {
    insta::glob!("../fixtures/gpu", "*/compose.yaml", |path| {
        let (yaml, warnings, _) = convert(path);
        let args = Fixture::new(path, &[]).args;
        let mut text = format!("# args: {}\n# warnings:\n", args.join(" "));
        for w in &warnings {
            text.push_str(&format!("#   {w}\n"));
        }
        text.push_str(&yaml);
        insta::assert_snapshot!(text);
    });
}

/// The same conversion twice gives the same bytes.
#[test]
fn gpu_output_is_deterministic() {
    for case in [
        "multiple-requests",
        "models-runner",
        "dra-exact",
        "model-cache",
    ] {
        let p = fixtures().join(case).join("compose.yaml");
        assert_eq!(convert(&p).0, convert(&p).0, "{case}");
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gpu")
}

/// Every fixture's output passes the shared validator with no schema and no semantic
/// error: device-plugin output at Kubernetes 1.30 and 1.37, DRA output (`--kube-version
/// 1.34`: DRA's `resource.k8s.io/v1` is GA from 1.34, and refused below) at 1.34 and 1.37.
#[test]
fn gpu_fixtures_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let validator = root.join("../shared/tools/k8s-check/validate.py");
    if !validator.exists() {
        support::missing(
            "the validator (../shared)",
            "../shared/tools/k8s-check/setup.sh",
        );
        return;
    }
    let out = std::env::temp_dir().join(format!("kubeferry-gpu-validate-{}", process::id()));
    let mut dra = Vec::new();
    let mut plugin = Vec::new();
    for case in fixture::family("gpu") {
        let (yaml, _, opts) = convert(&case.join("compose.yaml"));
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let (set, sub) = match opts.lower.gpu_api {
            GpuApi::Dra { .. } => (&mut dra, "dra"),
            GpuApi::DevicePlugin => (&mut plugin, "plugin"),
        };
        // One folder per case: each is its own project, checked on its own (--scope dir).
        let d = out.join(sub).join(&name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("all.yaml"), yaml).unwrap();
        set.push(name);
    }
    assert!(!dra.is_empty() && !plugin.is_empty());
    let run = |sub: &str, version: &str| {
        let o = process::Command::new(&validator)
            .arg(out.join(sub))
            .args([
                "--k8s-version",
                version,
                "--no-checkov",
                "--summary",
                "--scope",
                "dir",
            ])
            .output()
            .expect("the validator runs");
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "{sub} output at {version} has schema or semantic errors:\n{text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        for total in ["schema_errors", "semantic_errors"] {
            let line = text.lines().find(|l| l.trim_start().starts_with(total));
            if let Some(l) = line {
                assert!(l.trim_end().ends_with(" 0"), "{sub} at {version}: {l}");
            }
        }
    };
    run("plugin", "1.30");
    run("plugin", "1.37");
    run("dra", "1.34");
    run("dra", "1.37");
    let _ = std::fs::remove_dir_all(&out);
}
