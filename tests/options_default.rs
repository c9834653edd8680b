//! `Options::default()` is `kubeferry convert` without flags: the library and the command
//! line give the same bytes for the same project (options are resolved once, in the library).

use kubeferry::compose::{LoadOptions, RealFs};
use kubeferry::{Options, convert_with};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `kubeferry convert -q -f compose.yaml ARGS...` in the fixture folder, with an empty
/// environment: its standard output.
fn command_line(dir: &Path, args: &[&str]) -> String {
    let cli = Command::new(env!("CARGO_BIN_EXE_kubeferry"))
        .args(["convert", "-q", "-f", "compose.yaml"])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .expect("kubeferry runs");
    assert!(
        cli.status.success(),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&cli.stderr)
    );
    String::from_utf8_lossy(&cli.stdout).into_owned()
}

/// The library on the same folder with `options`: its YAML stream.
fn library(dir: &Path, options: &Options) -> String {
    let load = LoadOptions {
        files: vec!["compose.yaml".into()],
        working_dir: dir.to_string_lossy().into_owned(),
        ..LoadOptions::default()
    };
    convert_with(&load, &RealFs::default(), options)
        .unwrap_or_else(|f| panic!("{}: {f}", dir.display()))
        .to_yaml()
}

#[test]
fn the_library_default_is_the_command_line_without_flags() {
    for fixture in [
        "fixtures/convert/host-namespaces",
        "fixtures/convert/secrets-configs",
        "fixtures/convert/depends-on",
        "fixtures/gpu/ipc-host",
        "fixtures/examples/agent-stack",
    ] {
        let dir = root().join(fixture);
        assert_eq!(
            library(&dir, &Options::default()),
            command_line(&dir, &[]),
            "{fixture}: the library's default differs from the command line's"
        );
    }
}

/// `--namespace` is one field of the library's `Options`: the command line maps the flag and
/// nothing more, so both give the same bytes.
#[test]
fn the_namespace_flag_is_the_library_namespace() {
    let dir = root().join("fixtures/convert/depends-on");
    let options = Options {
        namespace: Some("team-a".into()),
        ..Options::default()
    };
    let yaml = library(&dir, &options);
    assert!(yaml.contains("namespace: team-a"), "{yaml}");
    assert_eq!(yaml, command_line(&dir, &["--namespace", "team-a"]));
}
