//! The lock file on its fixtures (`fixtures/lock/<case>/`): each holds a `compose.yaml`, a
//! lock file and optionally `args` (`kubeferry convert` options, one per line; `--harden
//! none` unless given). The whole pipeline runs offline on an in-memory copy at `/project`;
//! the snapshot is the warnings and the YAML stream, or the errors.

mod support;

include!("support/cli_crate.in");

use clap::Parser;
use cli::{Cli, Command};
use kubeferry::compose::{LoadOptions, MemoryFs};
use std::path::Path;

const ROOT: &str = "/project";

fn memory_fs(dir: &Path) -> MemoryFs {
    let mut fs = MemoryFs::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        fs.insert(format!("{ROOT}/{name}"), std::fs::read(&p).unwrap());
    }
    fs
}

fn snapshot_text(compose_file: &Path) -> String {
    let dir = compose_file.parent().unwrap();
    let text = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    let mut argv: Vec<String> = vec!["kubeferry".into(), "convert".into()];
    argv.extend(text.split_whitespace().map(str::to_string));
    if !argv.iter().any(|a| a == "--harden") {
        argv.extend(["--harden".into(), "none".into()]);
    }
    let Command::Convert(a) = Cli::try_parse_from(&argv).unwrap().command else {
        unreachable!()
    };
    let options = cli::options(&a).unwrap();
    let load = LoadOptions {
        files: vec![format!("{ROOT}/compose.yaml")],
        working_dir: ROOT.into(),
        ..LoadOptions::default()
    };
    match convert_with(&load, &memory_fs(dir), &options) {
        Ok(c) => {
            let mut out: String = c.diagnostics.iter().map(|d| format!("# {d}\n")).collect();
            out.push_str("---\n");
            out.push_str(&c.to_yaml());
            out
        }
        Err(f) => f.0.iter().map(|d| format!("# {d}\n")).collect(),
    }
}

#[test]
fn fixtures() {
    insta::glob!("../fixtures/lock", "*/compose.yaml", |path| {
        insta::assert_snapshot!(snapshot_text(path));
    });
}

#[test]
fn deterministic() {
    insta::glob!("../fixtures/lock", "*/compose.yaml", |path| {
        assert_eq!(snapshot_text(path), snapshot_text(path));
    });
}

/// Every field of the format, read and written back: the lock a person reviews.
#[test]
fn every_field_round_trips() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lock/declared/kubeferry.lock");
    let lock = kubeferry::lock::parse(&std::fs::read(path).unwrap(), "kubeferry.lock").unwrap();
    let text = kubeferry::lock::render(&lock);
    assert_eq!(kubeferry::lock::parse(text.as_bytes(), "l").unwrap(), lock);
    insta::assert_snapshot!(text);
}

/// Without a lock file the output is what it was: the lock only adds.
#[test]
fn no_lock_no_change() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lock/declared");
    let fs = memory_fs(&dir);
    let load = LoadOptions {
        files: vec![format!("{ROOT}/compose.yaml")],
        working_dir: ROOT.into(),
        ..LoadOptions::default()
    };
    let with = convert_with(&load, &fs, &Options::default()).unwrap();
    let mut plain = MemoryFs::new();
    plain.insert(
        format!("{ROOT}/compose.yaml"),
        std::fs::read(dir.join("compose.yaml")).unwrap(),
    );
    let without = convert_with(&load, &plain, &Options::default()).unwrap();
    assert_ne!(with.to_yaml(), without.to_yaml());
    assert!(!without.to_yaml().contains("/var/cache/api"));
    assert!(with.to_yaml().contains("/var/cache/api"));
}

/// `plan` reads the lock too: the port a stay-behind service's image exposes is bridged,
/// where without the lock no port is known (S002).
#[test]
fn plan_bridges_the_locked_port() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: ghcr.io/acme/web:1\n    ports: [\"8080:8080\"]\n    depends_on: [store]\n  store:\n    image: ghcr.io/acme/store:1\n    volumes: [data:/var/lib/store]\nvolumes:\n  data: {}\n",
    )
    .unwrap();
    let plan = |lock: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kubeferry"));
        cmd.current_dir(dir.path())
            .args(["plan", "-f", "compose.yaml"]);
        if let Some(l) = lock {
            cmd.args(["--lock", l]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (without, warnings) = plan(None);
    assert!(warnings.contains("S002") && !without.contains("store:7000"));
    std::fs::write(
        dir.path().join("images.lock"),
        "version: 1\nimages:\n  ghcr.io/acme/store:1:\n    digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\n    platform: linux/amd64\n    exposed_ports: [7000/tcp]\n",
    )
    .unwrap();
    let (with, warnings) = plan(Some("images.lock"));
    assert!(with.contains("store:7000/TCP"), "{with}");
    assert!(!warnings.contains("S002"), "{warnings}");
}
