//! The lock file on its fixtures (`fixtures/lock/<case>/`): each holds a `compose.yaml`, a
//! lock file and optionally `args`, run by the fixture driver (`support/fixture.rs`: offline,
//! in memory; `--harden none` unless given); the snapshot is the warnings and the YAML stream,
//! or the errors.

mod support;

include!("support/cli_crate.in");

use fixture::{Fixture, ROOT};
use kubeferry::compose::MemoryFs;
use std::path::Path;

fn snapshot_text(compose_file: &Path) -> String {
    match Fixture::new(compose_file, &["--harden", "none"]).run() {
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
    let f = Fixture::new(&dir, &[]);
    let with = f.run_with(&Options::default()).unwrap();
    let mut plain = MemoryFs::new();
    plain.insert(
        format!("{ROOT}/compose.yaml"),
        std::fs::read(dir.join("compose.yaml")).unwrap(),
    );
    let without = convert_with(&f.load_options(), &plain, &Options::default()).unwrap();
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
