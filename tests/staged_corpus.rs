//! Staged migration over every `ok` case of the realworld corpus (skipped when ../shared is
//! absent): `kubeferry plan` exits 0 in both formats, and stage 1 then stage 2 ends in exactly
//! the objects of `--stage all`.

mod support;

use kubeferry::compose::{LoadOptions, RealFs};
use kubeferry::emit::{self, Format};
use kubeferry::lower;
use kubeferry::plan::{self, ComposeHost, Stage, StageOptions};
use kubeferry::{Conversion, Options, convert_with};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    id: String,
    dir: PathBuf,
    files: Vec<String>,
    env_files: Vec<String>,
    profiles: Vec<String>,
    vars: Vec<(String, String)>,
}

fn list(field: &str) -> Vec<String> {
    if field == "-" {
        Vec::new()
    } else {
        field.split(',').map(str::to_string).collect()
    }
}

fn cases() -> Option<Vec<Case>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    let tsv = std::fs::read_to_string(root.join("cases.tsv")).ok()?;
    let mut out = Vec::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 7 || f[6] != "ok" {
            continue;
        }
        let vars = if f[5] == "-" {
            Vec::new()
        } else {
            f[5].split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        out.push(Case {
            id: f[0].to_string(),
            dir: root.join(f[1]),
            files: list(f[2]),
            env_files: list(f[3]),
            profiles: list(f[4]),
            vars,
        });
    }
    Some(out)
}

fn args(c: &Case) -> Vec<String> {
    let mut a = Vec::new();
    for f in &c.files {
        a.extend(["-f".to_string(), f.clone()]);
    }
    for f in &c.env_files {
        a.extend(["--env-file".to_string(), f.clone()]);
    }
    for p in &c.profiles {
        a.extend(["--profile".to_string(), p.clone()]);
    }
    a
}

#[test]
fn plan_runs_on_every_ok_case() {
    let Some(cases) = cases() else {
        support::missing(
            "../shared (the corpus)",
            "check out shared/ beside the repository",
        );
        return;
    };
    assert!(
        cases.len() > 50,
        "the corpus lists {} ok cases",
        cases.len()
    );
    for c in &cases {
        for format in ["markdown", "json"] {
            let out = Command::new(env!("CARGO_BIN_EXE_kubeferry"))
                .current_dir(&c.dir)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("HOME", std::env::var("HOME").unwrap_or_else(|_| "/".into()))
                .env("PWD", &c.dir)
                .envs(c.vars.iter().map(|(k, v)| (k, v)))
                .arg("plan")
                .args(args(c))
                .args(["--format", format])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: plan --format {format} failed:\n{}",
                c.id,
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            match format {
                "json" => {
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    assert!(
                        v["classification"]
                            .as_object()
                            .is_some_and(|m| !m.is_empty()),
                        "{}",
                        c.id
                    );
                }
                _ => assert!(text.starts_with("# Staged migration plan: "), "{}", c.id),
            }
        }
    }
}

#[test]
fn stage1_then_stage2_equals_all_on_the_corpus() {
    let Some(cases) = cases() else {
        support::missing(
            "../shared (the corpus)",
            "check out shared/ beside the repository",
        );
        return;
    };
    let fs = RealFs::default();
    let mut checked = 0;
    let mut in_claims_without_staging = 0;
    for c in &cases {
        let dir = c.dir.to_string_lossy().into_owned();
        let mut environment: BTreeMap<String, String> = c.vars.iter().cloned().collect();
        environment.insert("PWD".into(), dir.clone());
        let opts = LoadOptions {
            files: c.files.clone(),
            env_files: c.env_files.clone(),
            profiles: c.profiles.clone(),
            environment,
            working_dir: dir,
            ..LoadOptions::default()
        };
        // Converted without staging; the plan splits the objects as `--stage` does.
        let Conversion {
            project, objects, ..
        } = convert_with(&opts, &fs, &Options::default())
            .unwrap_or_else(|e| panic!("{}: {e}", c.id));
        let cls = plan::classify(&project, &fs);
        let staged = |stage: Stage| {
            let o = StageOptions {
                stage,
                compose_host: Some(ComposeHost::parse("10.0.0.5").unwrap()),
                bridge_bind: None,
                ..Default::default()
            };
            plan::stage(&project, &cls, objects.clone(), &o)
                .unwrap_or_else(|e| panic!("{}: {e}", c.id))
        };
        let render = |o: &lower::Object| emit::render(std::slice::from_ref(o), Format::Yaml);
        // Stage 2 keeps every planned data location in a claim of the planned size, which
        // `--stage all` (a plain convert) does not: compare with `all` given the same claims.
        let mut all_objects = staged(Stage::All).objects;
        let claims = plan::claims::data_claims(&project, &cls, &Default::default());
        plan::claims::keep_data(&project, &claims, &mut all_objects, None, None);
        let all: BTreeMap<String, String> = all_objects
            .iter()
            .map(|o| (format!("{}/{}", o.kind(), o.name()), render(o)))
            .collect();
        let (s1, s2) = (staged(Stage::Stateless), staged(Stage::Stateful));
        let mut cluster = BTreeMap::new();
        for o in s1.objects.iter().chain(&s2.objects) {
            cluster.insert(format!("{}/{}", o.kind(), o.name()), render(o));
        }
        for (k, n) in &s2.retire {
            cluster.remove(&format!("{k}/{n}"));
        }
        // Every data location the plan lists is mounted from a claim in stage 2.
        let claims_kept = data_in_claims(&s2.objects, &claims);
        assert_eq!(
            claims_kept,
            claims.len(),
            "{}: data left outside a claim",
            c.id
        );
        checked += claims.len();
        in_claims_without_staging += data_in_claims(&staged(Stage::All).objects, &claims);
        // Names a bridge answered to (aliases, container names) stay Services in stage 2.
        for a in &s2.alias_services {
            assert!(
                cluster.remove(&format!("Service/{a}")).is_some(),
                "{}",
                c.id
            );
        }
        assert_eq!(
            cluster.keys().collect::<Vec<_>>(),
            all.keys().collect::<Vec<_>>(),
            "{}",
            c.id
        );
        assert!(
            cluster == all,
            "{}: an object differs between the stages and all",
            c.id
        );
    }
    // A plain convert leaves the bind-mounted ones in emptyDirs: the check tells them apart.
    eprintln!(
        "stage 2 keeps {checked} planned data locations in claims; a plain convert, {in_claims_without_staging}"
    );
    assert!(checked > 300, "only {checked} data locations checked");
    assert!(in_claims_without_staging < checked);
}

/// How many of the planned data locations are mounted, in their service's workload, from a
/// PersistentVolumeClaim or a StatefulSet claim template.
fn data_in_claims(objects: &[lower::Object], claims: &[plan::claims::DataClaim]) -> usize {
    claims
        .iter()
        .filter(|d| {
            let label = kubeferry::lower::names::label_value(
                &kubeferry::lower::names::service_name(&d.service),
            );
            objects.iter().any(|o| {
                let v = serde_json::to_value(o).unwrap();
                let owned = v["metadata"]["labels"]["app.kubernetes.io/name"] == label.as_str();
                let Some(pod) = o.pod_spec() else {
                    return false;
                };
                if !owned {
                    return false;
                }
                let Some(m) = pod
                    .containers
                    .iter()
                    .flat_map(|c| c.volume_mounts.iter().flatten())
                    .find(|m| m.mount_path.trim_end_matches('/') == d.target.trim_end_matches('/'))
                else {
                    return false;
                };
                let volume = pod.volumes.iter().flatten().find(|x| x.name == m.name);
                match volume {
                    Some(x) => x.persistent_volume_claim.is_some(),
                    None => v["spec"]["volumeClaimTemplates"]
                        .as_array()
                        .is_some_and(|t| {
                            t.iter().any(|t| t["metadata"]["name"] == m.name.as_str())
                        }),
                }
            })
        })
        .count()
}
