//! The hardening rules on their fixtures (`fixtures/harden/<rule-id>[-case]/`, each a
//! `compose.yaml` and optionally `args`, run by the fixture driver `support/fixture.rs`). The
//! snapshot shows what the fixture's rule did and nothing else: the conversion as the args
//! give it, against the same input with the rule switched off for every service (a Compose
//! override with `x-kubeferry.disable_rules: [RULE]`), as the diagnostics only the rule gave,
//! its lines of the hardening report, and every field it changed (`path: old → new`).

mod support;

include!("support/cli_crate.in");

use fixture::Fixture;
use kubeferry::harden::{Level, RULES};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The rule a fixture folder is for: the longest rule id its name starts with.
fn rule_of(f: &Fixture) -> &'static str {
    let name = f.name();
    RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| name == *id || name.starts_with(&format!("{id}-")))
        .max_by_key(|id| id.len())
        .unwrap_or_else(|| panic!("fixtures/harden/{name} names no rule"))
}

/// The objects of a conversion as JSON by `Kind/name`.
fn by_name(c: &Conversion) -> BTreeMap<String, Value> {
    c.objects
        .iter()
        .map(|o| {
            let v = serde_json::to_value(o).unwrap();
            (format!("{}/{}", o.kind(), o.name()), v)
        })
        .collect()
}

/// The leaves of a JSON value by path (`a.b[name].c`): list items that have a `name` are
/// keyed by it, other lists of objects by index; a list of scalars, and an empty object, is
/// one leaf.
fn leaves(v: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    let join = |p: &str, k: &str| {
        if p.is_empty() {
            k.to_string()
        } else {
            format!("{p}.{k}")
        }
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                leaves(x, join(&path, k), out);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            for (i, x) in a.iter().enumerate() {
                let Some(name) = x["name"].as_str() else {
                    leaves(x, format!("{path}[{i}]"), out);
                    continue;
                };
                // Keyed by its name, the item does not repeat it.
                let mut rest = x.clone();
                rest.as_object_mut().unwrap().remove("name");
                leaves(&rest, format!("{path}[{name}]"), out);
            }
        }
        _ => {
            out.insert(path, v.clone());
        }
    }
}

/// Every field that differs between `before` and `after`, object by object: `path: old →
/// new`, `∅` where there is none; a whole object added or removed is marked `+` or `-`.
fn changes(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> String {
    let mut out = String::new();
    let names: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for name in names {
        let (mut old, mut new) = (BTreeMap::new(), BTreeMap::new());
        if let Some(v) = before.get(name) {
            leaves(v, String::new(), &mut old);
        }
        if let Some(v) = after.get(name) {
            leaves(v, String::new(), &mut new);
        }
        let mark = match (before.contains_key(name), after.contains_key(name)) {
            (false, true) => "+ ",
            (true, false) => "- ",
            _ => "",
        };
        let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        let mut lines = Vec::new();
        for p in paths {
            let (o, n) = (old.get(p), new.get(p));
            if o == n {
                continue;
            }
            let show = |v: Option<&Value>| v.map_or("∅".to_string(), Value::to_string);
            lines.push(match (mark, o, n) {
                ("+ ", _, Some(n)) => format!("  {p}: {n}"),
                ("- ", Some(o), _) => format!("  {p}: {o}"),
                _ => format!("  {p}: {} → {}", show(o), show(n)),
            });
        }
        if !lines.is_empty() {
            out.push_str(&format!("{mark}{name}\n{}\n", lines.join("\n")));
        }
    }
    out
}

/// The report's lines of one rule: `Kind/name: what`, and what it could not harden.
fn report_lines(c: &Conversion, rule: &str) -> String {
    let mut out = String::new();
    for w in &c.report.workloads {
        for (how, entries) in [("", &w.added), ("not hardened: ", &w.not_hardened)] {
            for e in entries.iter().filter(|e| e.rule == rule) {
                out.push_str(&format!("{}/{}: {how}{}\n", w.kind, w.name, e.what));
            }
        }
    }
    for e in c.report.project.iter().filter(|e| e.rule == rule) {
        out.push_str(&format!("project: {}\n", e.what));
    }
    out
}

/// The fixture with `rules` switched off for every service (a Compose override).
fn switched_off(f: &Fixture, c: &Conversion, rules: &[&str]) -> Conversion {
    let mut text = String::from("services:\n");
    for name in c.project.service_names() {
        text.push_str(&format!(
            "  {name}:\n    x-kubeferry:\n      disable_rules: [{}]\n",
            rules.join(", ")
        ));
    }
    f.run_with_overrides(&[("rules-off.yaml", text)])
        .unwrap_or_else(|e| panic!("{} without {rules:?}: {e}", f.dir.display()))
}

fn section(s: &mut String, title: &str, body: &str) {
    s.push_str(&format!("\n# {title}\n"));
    s.push_str(if body.is_empty() { "(none)\n" } else { body });
}

fn snapshot_text(dir: &Path) -> String {
    let f = Fixture::new(dir, &[]).named();
    let rule = rule_of(&f);
    let mut s = format!("# args: {}\n# rule: {rule}\n", f.args.join(" "));
    let c = match f.run() {
        Ok(c) => c,
        Err(failure) => {
            let errors: String = failure
                .0
                .iter()
                .filter(|d| d.severity == kubeferry::diag::Severity::Error)
                .map(|d| format!("{d}\n"))
                .collect();
            section(&mut s, "refused", &errors);
            return s;
        }
    };
    let off = switched_off(&f, &c, &[rule]);
    let said: String = c
        .diagnostics
        .iter()
        .filter(|d| !off.diagnostics.contains(d))
        .map(|d| format!("{d}\n"))
        .collect();
    section(&mut s, "diagnostics of the rule", &said);
    let report = report_lines(&c, rule);
    section(&mut s, "report", &report);
    let mut against = "the rule switched off for every service";
    let mut changed = changes(&by_name(&off), &by_name(&c));
    if changed.is_empty() && !report.is_empty() {
        // A project-wide rule that no service's switch turns off (`namespace`): the rule alone
        // (every other rule switched off) against no hardening at all.
        let others: Vec<&str> = RULES.iter().map(|r| r.id).filter(|r| *r != rule).collect();
        let alone = switched_off(&f, &c, &others);
        let mut options = f.options();
        options.harden.level = Level::None;
        let none = f.run_with(&options).expect("converts without hardening");
        against = "--harden none; the rule alone, every other switched off";
        changed = changes(&by_name(&none), &by_name(&alone));
    }
    section(&mut s, &format!("changed (against {against})"), &changed);
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
    for dir in fixture::family("harden") {
        let f = Fixture::new(&dir, &[]).named();
        if let Ok(c) = f.run() {
            let out = tmp.join(f.name());
            std::fs::create_dir_all(&out).unwrap();
            std::fs::write(out.join("all.yaml"), c.to_yaml()).unwrap();
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
    use kubeferry::{Input, convert};
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
    let mut seen = 0;
    for dir in fixture::family("runtime") {
        seen += 1;
        for level in ["none", "baseline", "restricted"] {
            let c = Fixture::new(&dir, &["--harden", level])
                .named()
                .run()
                .unwrap_or_else(|f| panic!("{}: {f}", dir.display()));
            let guessed: Vec<_> = c.diagnostics.iter().filter(|d| d.code == "H041").collect();
            assert!(guessed.is_empty(), "{}: {guessed:?}", dir.display());
        }
    }
    assert!(seen >= 9, "the runtime fixtures are missing");
}
