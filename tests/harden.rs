//! The hardening rules on their fixtures (`fixtures/harden/<rule-id>/`): each folder holds a
//! `compose.yaml` and optionally `options` (`harden=LEVEL`, `namespace=NAME`,
//! `network_policies=none` lines); the snapshot is the manifests, the diagnostics and the
//! markdown report.

use kubeferry::compose::{self, LoadOptions, RealFs};
use kubeferry::harden::{self, HardenOptions, Level, RULES};
use kubeferry::lower::{self, LowerOptions, Object};
use kubeferry::{diag::Diagnostic, emit};
use std::path::{Path, PathBuf};

/// The fixture's output: objects, or the errors that refused it; warnings; the report.
fn convert(
    dir: &Path,
) -> (
    Result<Vec<Object>, Vec<Diagnostic>>,
    Vec<Diagnostic>,
    String,
) {
    let options = std::fs::read_to_string(dir.join("options")).unwrap_or_default();
    let mut hopts = HardenOptions::default();
    for line in options.lines() {
        match line.split_once('=') {
            Some(("harden", l)) => hopts.level = Level::parse(l.trim()).expect("a level"),
            Some(("namespace", n)) => hopts.namespace = Some(n.trim().to_string()),
            Some(("network_policies", "none")) => {
                hopts.network_policies = harden::NetworkPolicies::None
            }
            _ => {}
        }
    }
    let lopts = LowerOptions {
        namespace: hopts.namespace.clone(),
        ..LowerOptions::default()
    };
    let opts = LoadOptions {
        files: vec!["compose.yaml".into()],
        project_directory: None,
        project_name: None,
        env_files: Vec::new(),
        profiles: Vec::new(),
        environment: Default::default(),
        working_dir: dir.to_string_lossy().into_owned(),
        home: None,
        limits: compose::Limits::default(),
    };
    let fs = RealFs::default();
    let loaded = compose::load(&opts, &fs).expect("the fixture loads");
    let lowered = lower::lower(&loaded.project, &lopts, &fs).expect("the fixture lowers");
    let mut objects = lowered.objects;
    let mut warnings = lowered.warnings;
    match harden::apply(&mut objects, &loaded.project, &hopts) {
        Ok(h) => {
            warnings.extend(h.warnings);
            (Ok(objects), warnings, emit::report_markdown(&h.report))
        }
        Err(f) => (Err(f.0), warnings, String::new()),
    }
}

fn snapshot_text(dir: &Path) -> String {
    let (out, warnings, report) = convert(dir);
    let mut s = String::new();
    match out {
        Ok(objects) => s.push_str(&emit::yaml_stream(&objects)),
        Err(errors) => {
            s.push_str("# refused\n");
            for e in errors {
                s.push_str(&format!("{e}\n"));
            }
        }
    }
    s.push_str("\n# diagnostics\n");
    for w in warnings.iter().filter(|w| w.code.starts_with('H')) {
        s.push_str(&format!("{w}\n"));
    }
    s.push_str("\n# report\n");
    s.push_str(&report);
    s
}

#[test]
fn rules_on_their_fixtures() {
    insta::glob!("../fixtures/harden", "*/compose.yaml", |path| {
        let dir = path.parent().unwrap();
        insta::assert_snapshot!(snapshot_text(dir));
    });
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_rule_has_a_fixture_and_documentation() {
    let docs =
        std::fs::read_to_string(root().join("docs/hardening.md")).expect("docs/hardening.md");
    let mut ids = std::collections::BTreeSet::new();
    for r in RULES {
        assert!(ids.insert(r.id), "rule id `{}` twice", r.id);
        assert!(
            !r.doc.trim().is_empty() && !r.doc.contains('\n'),
            "rule `{}` needs a one-line doc",
            r.id
        );
        let fixture = root()
            .join("fixtures/harden")
            .join(r.id)
            .join("compose.yaml");
        assert!(
            fixture.is_file(),
            "rule `{}` has no fixture at {}",
            r.id,
            fixture.display()
        );
        assert!(
            docs.contains(&format!("### `{}`", r.id)),
            "docs/hardening.md has no section for `{}`",
            r.id
        );
    }
}

#[test]
fn the_rules_table_in_the_docs_is_current() {
    let docs =
        std::fs::read_to_string(root().join("docs/hardening.md")).expect("docs/hardening.md");
    let start = "<!-- rules:start -->\n";
    let end = "<!-- rules:end -->";
    let (Some(a), Some(b)) = (docs.find(start), docs.find(end)) else {
        panic!("docs/hardening.md lacks the rules markers");
    };
    let current = harden::rules_markdown();
    if std::env::var_os("KUBEFERRY_BLESS_DOCS").is_some() {
        let fresh = format!("{}{current}{}", &docs[..a + start.len()], &docs[b..]);
        std::fs::write(root().join("docs/hardening.md"), fresh).unwrap();
        return;
    }
    assert_eq!(
        &docs[a + start.len()..b],
        current,
        "docs/hardening.md is stale: rerun this test with KUBEFERRY_BLESS_DOCS=1"
    );
}

#[test]
fn same_input_same_output() {
    let dir = root().join("fixtures/harden/network-policy");
    assert_eq!(snapshot_text(&dir), snapshot_text(&dir));
}

/// The fixtures' manifests pass the offline validator (schema and semantic errors fail it).
#[test]
fn fixture_output_passes_the_validator() {
    let validator = root().join("../shared/tools/k8s-check/validate.py");
    if !validator.is_file() {
        eprintln!("note: ../shared is absent; the validator check is skipped");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("kubeferry-harden-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for entry in std::fs::read_dir(root().join("fixtures/harden")).unwrap() {
        let dir = entry.unwrap().path();
        if let (Ok(objects), _, _) = convert(&dir) {
            let out = tmp.join(dir.file_name().unwrap());
            std::fs::create_dir_all(&out).unwrap();
            std::fs::write(out.join("all.yaml"), emit::yaml_stream(&objects)).unwrap();
        }
    }
    let status = std::process::Command::new(&validator)
        .arg(&tmp)
        .args([
            "--k8s-version",
            "1.30",
            "--no-checkov",
            "--scope",
            "dir",
            "--summary",
        ])
        .status();
    let _ = std::fs::remove_dir_all(&tmp);
    match status {
        Ok(s) => assert!(s.success(), "the validator found schema or semantic errors"),
        Err(e) => eprintln!("note: the validator did not run ({e}); skipped"),
    }
}

#[test]
fn the_command_line_writes_the_report_and_checks_its_flags() {
    let bin = env!("CARGO_BIN_EXE_kubeferry");
    let fixture = root().join("fixtures/harden/resources/compose.yaml");
    let tmp = std::env::temp_dir().join(format!("kubeferry-report-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let report = tmp.join("report.json");
    let out = std::process::Command::new(bin)
        .args(["convert", "-q", "-f"])
        .arg(&fixture)
        .args([
            "--default-memory-limit",
            "1Gi",
            "--default-cpu-limit",
            "1",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifests = String::from_utf8_lossy(&out.stdout);
    assert!(manifests.contains("memory: 1Gi") && manifests.contains("cpu: \"1\""));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["level"], "baseline");
    assert!(v["workloads"].as_array().is_some_and(|w| w.len() == 5));
    let bad = std::process::Command::new(bin)
        .args(["convert", "-q", "-f"])
        .arg(&fixture)
        .args(["--default-cpu-request", "lots"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--default-cpu-request `lots`"));
    let _ = std::fs::remove_dir_all(&tmp);
}
