//! `Options::default()` is `kubeferry convert` without flags: the library and the command
//! line give the same bytes for the same project (options are resolved once, in the library).

use kubeferry::compose::{LoadOptions, RealFs};
use kubeferry::convert::{Options, convert_with};
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
        let cli = Command::new(env!("CARGO_BIN_EXE_kubeferry"))
            .args(["convert", "-q", "-f", "compose.yaml"])
            .current_dir(&dir)
            .env_clear()
            .output()
            .expect("kubeferry runs");
        assert!(
            cli.status.success(),
            "{fixture}: {}",
            String::from_utf8_lossy(&cli.stderr)
        );
        let load = LoadOptions {
            files: vec!["compose.yaml".into()],
            working_dir: dir.to_string_lossy().into_owned(),
            ..LoadOptions::default()
        };
        let lib = convert_with(&load, &RealFs::default(), &Options::default())
            .unwrap_or_else(|f| panic!("{fixture}: {f}"));
        assert_eq!(
            lib.to_yaml(),
            String::from_utf8_lossy(&cli.stdout),
            "{fixture}: the library's default differs from the command line's"
        );
    }
}

/// `--namespace` is one field of the library's `Options`: the command line maps the flag and
/// nothing more, so both give the same bytes.
#[test]
fn the_namespace_flag_is_the_library_namespace() {
    let dir = root().join("fixtures/convert/depends-on");
    let cli = Command::new(env!("CARGO_BIN_EXE_kubeferry"))
        .args([
            "convert",
            "-q",
            "-f",
            "compose.yaml",
            "--namespace",
            "team-a",
        ])
        .current_dir(&dir)
        .env_clear()
        .output()
        .expect("kubeferry runs");
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let load = LoadOptions {
        files: vec!["compose.yaml".into()],
        working_dir: dir.to_string_lossy().into_owned(),
        ..LoadOptions::default()
    };
    let options = Options {
        namespace: Some("team-a".into()),
        ..Options::default()
    };
    let lib = convert_with(&load, &RealFs::default(), &options).expect("converts");
    let yaml = lib.to_yaml();
    assert!(yaml.contains("namespace: team-a"), "{yaml}");
    assert_eq!(yaml, String::from_utf8_lossy(&cli.stdout));
}
