//! Snapshot tests of the conversion, one per behaviour: `fixtures/convert/<behaviour>/` holds a
//! `compose.yaml`, any files it refers to, and optionally `args` (one `kubeferry convert`
//! option per line; `--harden none` unless it says otherwise). The library runs on an
//! in-memory copy of the folder at `/project` with an explicit, empty environment, so the
//! snapshots do not depend on the machine. A snapshot holds the YAML stream and the warnings,
//! or the errors when the conversion fails.
//!
//! A second test checks every fixture's output with `../shared/tools/k8s-check/validate.py`
//! (0 schema and 0 semantic errors at the fixture's `--kube-version`, default 1.30, and at
//! 1.37) when `../shared` is present.

mod support;

include!("support/cli_crate.in");

use clap::Parser;
use cli::{Cli, Command};
use kubeferry::compose::{LoadOptions, MemoryFs};
use kubeferry::diag::Failure;
use kubeferry::lower::Object;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ROOT: &str = "/project";

/// Every file of the fixture folder (recursively) under `/project`.
fn memory_fs(dir: &Path) -> MemoryFs {
    let mut fs = MemoryFs::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                fs.insert(format!("{ROOT}/{rel}"), std::fs::read(&p).unwrap());
            }
        }
    }
    fs
}

fn args(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    let mut args: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .flat_map(|l| l.splitn(2, ' ').map(str::to_string).collect::<Vec<_>>())
        .collect();
    if !args.iter().any(|a| a == "--harden") {
        args.extend(["--harden".into(), "none".into()]);
    }
    args
}

/// The conversion of one fixture: its objects and warnings, or the errors.
fn convert(compose_file: &Path) -> Result<(Vec<Object>, Vec<String>), Vec<String>> {
    let dir = compose_file.parent().unwrap();
    let mut argv = vec!["kubeferry".to_string(), "convert".into()];
    argv.extend(args(dir));
    let cli = Cli::try_parse_from(&argv).expect("the fixture's args parse");
    let Command::Convert(a) = cli.command else {
        unreachable!("convert was given")
    };
    // The options `kubeferry convert` gives the library, resolved as the library does.
    let o = cli::options(&a).expect("the fixture's args map").resolved();
    let (lopts, hopts) = (o.lower, o.harden);
    let fs = memory_fs(dir);
    let opts = LoadOptions {
        files: vec![format!("{ROOT}/compose.yaml")],
        project_directory: Some(ROOT.into()),
        project_name: None,
        env_files: Vec::new(),
        profiles: a.input.profiles.clone(),
        environment: BTreeMap::new(),
        working_dir: ROOT.into(),
        home: Some("/home/user".into()),
        limits: compose::Limits::default(),
        unknown_keys: if a.input.lenient {
            compose::UnknownKeys::Warn
        } else {
            compose::UnknownKeys::Error
        },
    };
    let texts = |f: Failure| f.0.iter().map(ToString::to_string).collect::<Vec<_>>();
    let loaded = compose::load(&opts, &fs).map_err(texts)?;
    let mut warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    let lowered = lower::lower(&loaded.project, &lopts, &fs).map_err(texts)?;
    warnings.extend(lowered.warnings.iter().map(ToString::to_string));
    let mut objects = lowered.objects;
    let hw =
        harden::apply(&mut objects, &loaded.project, &lowered.sources, &hopts).map_err(texts)?;
    warnings.extend(hw.warnings.iter().map(ToString::to_string));
    Ok((objects, warnings))
}

fn snapshot_text(compose_file: &Path) -> String {
    match convert(compose_file) {
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

fn fixture_files() -> Vec<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/convert");
    let mut v: Vec<PathBuf> = std::fs::read_dir(base)
        .unwrap()
        .map(|e| e.unwrap().path().join("compose.yaml"))
        .filter(|p| p.exists())
        .collect();
    v.sort();
    v
}

/// The `--kube-version` a fixture's `args` give (default 1.30).
fn kube_version(dir: &Path) -> String {
    let a = args(dir);
    a.iter()
        .position(|x| x == "--kube-version")
        .and_then(|i| a.get(i + 1).cloned())
        .unwrap_or_else(|| kubeferry::KubeVersion::DEFAULT.to_string())
}

#[test]
fn fixture_outputs_pass_the_validator() {
    let Some((python, validator)) = support::validator() else {
        return;
    };
    let out = std::env::temp_dir().join(format!("kubeferry-fixtures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut converted = 0;
    for f in fixture_files() {
        let Ok((objects, _)) = convert(&f) else {
            continue;
        };
        let name = f
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let version = kube_version(f.parent().unwrap());
        let dir = out.join(&version).join(&name);
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
    for f in fixture_files() {
        if let Ok((objects, _)) = convert(&f) {
            let dir = f.parent().unwrap().file_name().unwrap().to_string_lossy();
            problems.extend(
                support::mount_problems(&objects)
                    .into_iter()
                    .map(|p| format!("{dir}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
