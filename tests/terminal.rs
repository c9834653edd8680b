//! What a person at a terminal sees: help with examples, completions, diagnostics with the
//! source line and a caret, no colour off a terminal, --quiet, the summary line, layouts.

use std::process::{Command, Output};

fn kubeferry(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubeferry"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("runs")
}

fn project(compose: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("compose.yaml"), compose).unwrap();
    d
}

const RENAMED: &str = "services:\n  my_api:\n    image: nginx:1.27\n    ports: [\"80\"]\n";

#[test]
fn every_subcommand_has_examples_in_its_help() {
    let d = project(RENAMED);
    for sub in ["convert", "config", "completions", "explain"] {
        let out = kubeferry(d.path(), &[sub, "--help"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success());
        assert!(text.contains("Examples:\n  kubeferry "), "{sub}: {text}");
    }
}

#[test]
fn completions_for_common_shells() {
    let d = project(RENAMED);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = kubeferry(d.path(), &["completions", shell]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{shell}");
        assert!(text.contains("layout"), "{shell} completion lacks --layout");
    }
    assert_eq!(
        kubeferry(d.path(), &["completions", "tcsh"]).status.code(),
        Some(2)
    );
}

#[test]
fn warnings_show_the_line_and_a_caret_without_colour_off_a_terminal() {
    let d = project(RENAMED);
    let out = kubeferry(d.path(), &["convert"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "  --> compose.yaml:2:3 (services.my_api)\n   |\n 2 |   my_api:\n   |   ^^^^^^\n"
        ),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "colour on a pipe: {err}");
    assert!(
        // L002 for the name, H012 for the memory limit nothing gives.
        err.ends_with("kubeferry: 1 services read, 5 objects written, 2 warnings\n"),
        "{err}"
    );
}

#[test]
fn quiet_prints_no_warnings_and_no_summary() {
    let d = project(RENAMED);
    let out = kubeferry(d.path(), &["convert", "--quiet"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: Deployment"));
}

#[test]
fn errors_exit_one_with_the_location() {
    let d = project("services:\n  web:\n    image: nginx\n    ports: [\"not-a-port\"]\n");
    let out = kubeferry(d.path(), &["convert", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error["), "{err}");
    assert!(err.contains("--> compose.yaml:4:"), "{err}");
}

#[test]
fn folder_layouts_need_an_output_folder() {
    let d = project(RENAMED);
    for layout in ["files", "kustomize", "helm"] {
        let out = kubeferry(d.path(), &["convert", "-q", "--layout", layout]);
        assert_eq!(out.status.code(), Some(2), "{layout}");
    }
    let out = kubeferry(
        d.path(),
        &[
            "convert", "-q", "--layout", "helm", "--format", "json", "-o", "c",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// A refused Kompose flag is a diagnostic like any other: one `A003` error per flag, exit 2.
#[test]
fn refused_kompose_flags_are_a003_errors() {
    let d = project(RENAMED);
    let out = kubeferry(d.path(), &["convert", "--build", "local", "--indent", "4"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("error[A003]: --build (a Kompose flag) is not supported: "));
    assert!(lines[1].starts_with("error[A003]: --indent (a Kompose flag) is not supported: "));
    assert!(out.stdout.is_empty());
}

#[test]
fn layouts_write_their_files() {
    let d = project(RENAMED);
    let ok = |args: &[&str]| assert!(kubeferry(d.path(), args).status.success(), "{args:?}");
    ok(&["convert", "-q", "--layout", "kustomize", "-o", "k"]);
    ok(&["convert", "-q", "--layout", "helm", "-o", "h"]);
    ok(&["convert", "-q", "--layout", "single", "-o", "all"]);
    ok(&["convert", "-q", "-o", "files"]);
    let p = d.path();
    assert!(p.join("k/base/kustomization.yaml").is_file());
    assert!(p.join("k/base/my-api-deployment.yaml").is_file());
    assert!(p.join("h/Chart.yaml").is_file());
    assert!(p.join("h/values.yaml").is_file());
    assert!(p.join("h/templates/my-api-service.yaml").is_file());
    assert!(p.join("all").is_file());
    assert!(p.join("files/my-api-deployment.yaml").is_file());
}

/// `kubeferry explain CODE` prints the code's one line; an unknown code is an argument error
/// rendered as every diagnostic is; without a code, every code is listed.
#[test]
fn explain_prints_what_a_code_means() {
    let d = project(RENAMED);
    let out = kubeferry(d.path(), &["explain", "h012"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "H012: containers are left without a memory limit: nothing says how much memory they need\n"
    );
    let out = kubeferry(d.path(), &["explain", "X999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error[A001]: `X999` is not a kubeferry code")
    );
    let all = kubeferry(d.path(), &["explain"]);
    let text = String::from_utf8_lossy(&all.stdout);
    assert_eq!(text.lines().count(), kubeferry::diag::codes::CODES.len());
    assert!(text.contains("\nL046: ") && text.contains("\nE001: "));
}
