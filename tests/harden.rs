//! The hardening rules on their fixtures (`fixtures/harden/<rule-id>/`): each folder holds a
//! `compose.yaml` and optionally `options` (`harden=LEVEL`, `namespace=NAME`,
//! `default-memory-limit=QUANTITY`, `network-policies=none` lines); the snapshot is the
//! manifests, the diagnostics and the markdown report.

mod support;

use kubeferry::compose::{self, LoadOptions, RealFs};
use kubeferry::harden::{self, HardenOptions, Level, RULES};
use kubeferry::lower::{self, LowerOptions, Object};
use kubeferry::quantity::Quantity;
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
            Some(("default-memory-limit", q)) => {
                hopts.memory_limit = Some(Quantity::parse(q.trim()).expect("a quantity"))
            }
            Some(("network-policies", "none")) => {
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
        unknown_keys: compose::UnknownKeys::Error,
    };
    let fs = RealFs::default();
    let loaded = compose::load(&opts, &fs).expect("the fixture loads");
    let lowered = lower::lower(&loaded.project, &lopts, &fs).expect("the fixture lowers");
    let mut objects = lowered.objects;
    let mut warnings = lowered.warnings;
    match harden::apply(&mut objects, &loaded.project, &lowered.sources, &hopts) {
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

/// The generated part of a doc, between `<!-- NAME:start -->` and `<!-- NAME:end -->`, is
/// `current` (with `KUBEFERRY_BLESS_DOCS` set, it is rewritten instead).
fn assert_generated(doc: &str, name: &str, current: &str) {
    let path = root().join(doc);
    let docs = std::fs::read_to_string(&path).expect(doc);
    let start = format!("<!-- {name}:start -->\n");
    let end = format!("<!-- {name}:end -->");
    let (Some(a), Some(b)) = (docs.find(&start), docs.find(&end)) else {
        panic!("{doc} lacks the {name} markers");
    };
    if std::env::var_os("KUBEFERRY_BLESS_DOCS").is_some() {
        let fresh = format!("{}{current}{}", &docs[..a + start.len()], &docs[b..]);
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    assert_eq!(
        &docs[a + start.len()..b],
        current,
        "{doc} is stale: rerun this test with KUBEFERRY_BLESS_DOCS=1"
    );
}

#[test]
fn the_rules_table_in_the_docs_is_current() {
    assert_generated("docs/hardening.md", "rules", &harden::rules_markdown());
}

/// `docs/images.md` holds the image table as the code has it (`image_contract::TABLE`).
#[test]
fn the_image_table_in_the_docs_is_current() {
    assert_generated(
        "docs/images.md",
        "images",
        &harden::image_contract::markdown(),
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
        support::missing(
            "the validator (../shared)",
            "../shared/tools/k8s-check/setup.sh",
        );
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

/// `kubeferry convert -q -f fixtures/harden/resources/compose.yaml ARGS...`.
fn convert_resources_fixture(args: &[&str], extra: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kubeferry"))
        .args(["convert", "-q", "-f"])
        .arg(root().join("fixtures/harden/resources/compose.yaml"))
        .args(args)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn the_command_line_writes_the_report_and_checks_its_flags() {
    let tmp = std::env::temp_dir().join(format!("kubeferry-report-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let report = tmp.join("report.json");
    let out = convert_resources_fixture(
        &[
            "--default-memory-limit",
            "1Gi",
            "--default-cpu-limit",
            "1",
            "--report",
        ],
        &[report.as_os_str()],
    );
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
    let bad = convert_resources_fixture(&["--default-cpu-request", "lots"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("--default-cpu-request")
            && stderr.contains("`lots` is not a Kubernetes quantity"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `--default-memory-limit 1G` is 10^9 bytes to every rule that compares it (issue 22: it was
/// read as 0, and the request became 1G); without the flag, no limit is invented.
#[test]
fn the_default_memory_limit_flag_takes_every_quantity_form() {
    let run = |extra: &[&str]| {
        let args: Vec<&str> = ["--format", "json"].iter().chain(extra).copied().collect();
        let out = convert_resources_fixture(&args, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let bare = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "bare")
            .expect("the bare Deployment")
            .clone();
        bare["spec"]["template"]["spec"]["containers"][0]["resources"].clone()
    };
    let r = run(&["--default-memory-limit", "1G"]);
    assert_eq!(r["limits"]["memory"], "1G");
    assert_eq!(r["requests"]["memory"], "128Mi");
    let r = run(&[
        "--default-memory-limit",
        "1e9",
        "--default-memory-request",
        "2Gi",
    ]);
    assert_eq!(
        (&r["limits"]["memory"], &r["requests"]["memory"]),
        (&"1e9".into(), &"1e9".into()),
        "a request never exceeds the limit"
    );
    let r = run(&[]);
    assert!(r["limits"].get("memory").is_none(), "{r}");
    assert_eq!(r["requests"]["memory"], "128Mi");
    let bad = convert_resources_fixture(&["--default-memory-limit", "1GB"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Every quantity flag takes the same forms (one grammar, checked by clap at the flag) and
/// refuses the same ones.
#[test]
fn every_quantity_flag_takes_the_same_forms() {
    let flags = [
        "--default-cpu-request",
        "--default-memory-request",
        "--default-memory-limit",
        "--default-cpu-limit",
        "--pvc-request-size",
    ];
    let mut args: Vec<&str> = Vec::new();
    for flag in flags {
        args.extend([flag, "1e3"]);
    }
    let ok = convert_resources_fixture(&args, &[]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for flag in flags {
        for (bad, why) in [
            ("1GB", "is not a Kubernetes quantity"),
            ("-1Gi", "is negative"),
        ] {
            let out = convert_resources_fixture(&[&format!("{flag}={bad}")], &[]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{flag} {bad}: {stderr}");
            assert!(stderr.contains(flag) && stderr.contains(why), "{stderr}");
        }
    }
}

/// Every workload goes through the same hardening, the model runners kubeferry adds
/// (`models:`) included: at restricted each of their containers meets Pod Security.
#[test]
fn model_runners_are_hardened_as_every_workload() {
    use kubeferry::{Input, Options, convert};
    let compose = "services:\n  agent:\n    image: example/agent:1.0\n    models: [llm]\nmodels:\n  llm:\n    model: ai/smollm2\n";
    let mut options = Options::default();
    options.lower.model_runner_image = Some("docker/model-runner:v0.1.40".into());
    options.harden.level = Level::Restricted;
    options.harden.namespace = Some("ai".into());
    let c = convert(
        &Input::new().compose_file("compose.yaml", compose),
        &options,
    )
    .expect("converts");
    let pods: Vec<_> = c
        .objects
        .iter()
        .filter_map(|o| o.pod_spec().map(|p| (o.name().to_string(), p)))
        .collect();
    assert!(pods.iter().any(|(n, _)| n == "model-llm"), "no runner");
    for (name, pod) in pods {
        let psc = pod.security_context.as_ref().expect(&name);
        assert_eq!(psc.run_as_non_root, Some(true), "{name}");
        assert_eq!(pod.automount_service_account_token, Some(false), "{name}");
        for ct in &pod.containers {
            let sc = ct.security_context.as_ref().expect(&name);
            let drop = sc.capabilities.as_ref().and_then(|c| c.drop.clone());
            assert_eq!(drop, Some(vec!["ALL".to_string()]), "{name}");
            assert_eq!(sc.allow_privilege_escalation, Some(false), "{name}");
            assert!(sc.run_as_user.is_some_and(|u| u > 0), "{name}");
            // The resources rule ran: requests are set (a memory limit only where something
            // knows the workload's needs, which nothing here does).
            assert!(
                ct.resources.as_ref().is_some_and(|r| r.requests.is_some()),
                "{name}"
            );
        }
    }
}

/// The runtime fixtures (`fixtures/runtime/<image>/`, played by runtime-check) use images of
/// the table only: at restricted nothing is guessed (no H041), and they convert at every level.
#[test]
fn runtime_fixtures_guess_nothing_at_restricted() {
    use kubeferry::compose::RealFs;
    use kubeferry::{Options, convert_with};
    let base = root().join("fixtures/runtime");
    let mut seen = 0;
    for entry in std::fs::read_dir(&base).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("compose.yaml").is_file() {
            continue;
        }
        seen += 1;
        for level in [Level::None, Level::Baseline, Level::Restricted] {
            let load = LoadOptions {
                files: vec!["compose.yaml".into()],
                working_dir: dir.to_string_lossy().into_owned(),
                ..LoadOptions::default()
            };
            let mut options = Options::default();
            options.harden.level = level;
            let c = convert_with(&load, &RealFs::default(), &options)
                .unwrap_or_else(|f| panic!("{}: {f}", dir.display()));
            let guessed: Vec<_> = c.diagnostics.iter().filter(|d| d.code == "H041").collect();
            assert!(guessed.is_empty(), "{}: {guessed:?}", dir.display());
        }
    }
    assert!(seen >= 9, "the runtime fixtures are missing");
}
