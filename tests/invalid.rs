//! The catalogue of bad input (`fixtures/invalid/<case>/compose.yaml`, extra `convert` flags in
//! an optional `args` file, run by the fixture driver `support/fixture.rs`): each case fails with errors that name the file, line, column and
//! key path (snapshotted), exits 1 through the binary, and writes nothing.

mod support;

include!("support/cli_crate.in");

use fixture::Fixture;
use kubeferry::Failure;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The errors of converting the case in `dir` (with `extra` flags besides its `args`), one
/// per line. With `--strict` among its args, warnings count as errors, as the command line
/// has it.
fn errors(dir: &Path, extra: &[&str]) -> Option<String> {
    let f = Fixture::new(dir, extra).named();
    match f.run() {
        Err(failure) => Some(failure.to_string()),
        Ok(c) if f.strict() && !c.diagnostics.is_empty() => {
            Some(Failure(c.diagnostics).to_string())
        }
        Ok(_) => None,
    }
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid");
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("fixtures/invalid")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("compose.yaml").exists())
        .collect();
    v.sort();
    v
}

#[test]
fn catalogue_snapshots() {
    insta::glob!("../fixtures/invalid", "*/compose.yaml", |path| {
        let dir = path.parent().expect("case folder");
        let errs = errors(dir, &[])
            .unwrap_or_else(|| panic!("{} converted without an error", dir.display()));
        // Every error says where: `file:line:col` (or at least the file).
        for line in errs.lines() {
            assert!(
                line.contains(".yaml") || line.contains(".env") || line.contains(".txt"),
                "{line}"
            );
        }
        assert!(
            !errs.contains(env!("CARGO_MANIFEST_DIR")),
            "an absolute path of this machine in: {errs}"
        );
        insta::assert_snapshot!(errs);
    });
}

#[test]
fn catalogue_covers_the_issue() {
    let names: Vec<String> = cases()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "malformed-yaml",
        "tabs",
        "duplicate-keys",
        "wrong-type-root",
        "wrong-type-top",
        "wrong-type-service",
        "wrong-type-field",
        "wrong-type-nested",
        "wrong-type-list-item",
        "wrong-type-volume",
        "alias-bomb",
        "deep-nesting",
        "invalid-utf8",
        "utf16-bom",
        "nul-byte",
        "empty-file",
        "services-null",
        "extends-cycle",
        "include-cycle",
        "include-missing",
        "env-file-missing",
        "secret-file-missing",
        "unset-required",
        "port-out-of-range",
        "memory-out-of-range",
        "names-collide",
        "name-path-separator",
    ] {
        assert!(names.iter().any(|n| n == want), "no case `{want}`");
    }
}

fn kubeferry(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kubeferry"))
        .current_dir(dir)
        .env_clear()
        .env("HOME", "/home/user")
        .args(args)
        .output()
        .expect("run kubeferry")
}

#[test]
fn every_case_exits_1_and_writes_nothing() {
    let tmp = std::env::temp_dir().join(format!("kubeferry-invalid-{}", std::process::id()));
    for dir in cases() {
        let out = tmp.join(dir.file_name().unwrap());
        let extra = Fixture::new(&dir, &[]).args;
        let mut args = vec!["convert", "-f", "compose.yaml", "-o", out.to_str().unwrap()];
        args.extend(extra.iter().map(String::as_str));
        let o = kubeferry(&dir, &args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{}: {stderr}", dir.display());
        assert!(
            stderr.contains("error[") || stderr.contains("error:"),
            "{}: {stderr}",
            dir.display()
        );
        assert!(!out.exists(), "{}: output written", dir.display());
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A huge file is generated here (never committed) and stopped by a small configured limit.
#[test]
fn huge_file_stops_at_the_configured_limit() {
    let dir = std::env::temp_dir().join(format!("kubeferry-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = String::from("services:\n  web:\n    image: nginx\n    environment:\n");
    for i in 0..40_000 {
        text.push_str(&format!("      VAR_{i}: value-{i}\n"));
    }
    assert!(text.len() > 1 << 20);
    std::fs::write(dir.join("compose.yaml"), &text).unwrap();
    let errs = errors(&dir, &["--max-file-size", "1m"]).expect("over the limit");
    assert!(
        errs.starts_with("error[C002]: compose.yaml: file is "),
        "{errs}"
    );
    assert!(errs.contains("over the limit of 1048576 bytes"), "{errs}");
    let o = kubeferry(
        &dir,
        &["convert", "--max-file-size", "1m", "-f", "compose.yaml"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--max-file-size"));
    // Raised, the same file converts.
    let o = kubeferry(
        &dir,
        &["convert", "--max-file-size", "2m", "-f", "compose.yaml"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The depth and alias limits are configurable from the command line both ways.
#[test]
fn depth_and_alias_limits_are_configurable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid");
    let deep = root.join("deep-nesting");
    let o = kubeferry(&deep, &["config", "--max-depth", "400"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = kubeferry(&deep, &["config", "--max-depth", "100"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("deeper than 100 levels"));
    let tmp = std::env::temp_dir().join(format!("kubeferry-alias-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(
        tmp.join("compose.yaml"),
        "x-env: &env {A: \"1\", B: \"2\", C: \"3\"}\nservices:\n  web:\n    image: nginx\n    environment: *env\n  db:\n    image: postgres\n    environment: *env\n",
    )
    .unwrap();
    let o = kubeferry(&tmp, &["config", "--max-alias-nodes", "5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("more than 5 nodes"));
    let o = kubeferry(&tmp, &["config", "--max-alias-nodes", "100"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A UTF-8 byte-order mark is not an error: the file reads as without it.
#[test]
fn utf8_bom_is_accepted() {
    let tmp = std::env::temp_dir().join(format!("kubeferry-bom-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(
        tmp.join("compose.yaml"),
        "\u{feff}services:\n  web:\n    image: nginx\n",
    )
    .unwrap();
    assert_eq!(errors(&tmp, &[]), None);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Every YAML file of the shared corpus parses within the default limits (skipped, with a note,
/// when `../shared` is absent).
#[test]
fn corpus_files_fit_the_default_limits() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.exists() {
        support::missing(
            "../shared/corpus",
            "check out shared/ beside the repository",
        );
        return;
    }
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert!(files.len() > 100, "{} files", files.len());
    let limits = compose::Limits::default();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        if let Err(d) = compose::parse_within(&bytes, "f.yaml", &limits) {
            // Only the limits are under test here; files that are not YAML at all are the
            // loader's business.
            assert!(
                !d.message.contains("--max-"),
                "{}: {}",
                f.display(),
                d.message
            );
        }
    }
}

/// Numbers in settings are never wrapped: a probe port of 2^32 + 80 is refused with its
/// file, line and key, not read as port 80; `convert` stops on a bad setting value (as the
/// docs say of label values), so nothing is written.
#[test]
fn out_of_range_setting_numbers_are_refused_with_their_location() {
    let compose = "services:\n  web:\n    image: nginx\n    x-kubeferry:\n      probes:\n        readiness:\n          http_port: 4294967376\n    labels:\n      kompose.service.nodeport.port: \"70000\"\n      kompose.cronjob.backoff_limit: \"-1\"\n";
    let input = kubeferry::Input::new().compose_file("compose.yaml", compose);
    let failure = kubeferry::convert(&input, &kubeferry::Options::default())
        .expect_err("bad setting values stop the conversion");
    let diagnostics = &failure.0;
    let found = |key: &str, words: &str| {
        diagnostics.iter().find(|d| {
            d.location.path.ends_with(key)
                && d.message.contains(words)
                && d.location.file.ends_with("compose.yaml")
                && d.location.line > 0
        })
    };
    let probe = found("x-kubeferry.probes", "`4294967376` is not a port number")
        .unwrap_or_else(|| panic!("{diagnostics:#?}"));
    assert_eq!((probe.code, probe.location.line), ("C016", 5));
    assert!(
        found(
            "kompose.service.nodeport.port",
            "`70000` is not a port number"
        )
        .is_some()
    );
    assert!(found("kompose.cronjob.backoff_limit", "`-1` is not a count").is_some());
}
