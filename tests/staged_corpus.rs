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
use std::process::Command;

/// The `kubeferry` input flags of a corpus case.
fn args(load: &LoadOptions) -> Vec<String> {
    let flag = |f: &str, values: &[String]| -> Vec<String> {
        values
            .iter()
            .flat_map(|v| [f.to_string(), v.clone()])
            .collect()
    };
    [
        flag("-f", &load.files),
        flag("--env-file", &load.env_files),
        flag("--profile", &load.profiles),
    ]
    .concat()
}

#[test]
fn plan_runs_on_every_ok_case() {
    let Some(shared) = support::shared() else {
        return;
    };
    let cases = support::ok_cases(&shared);
    assert!(
        cases.len() > 50,
        "the corpus lists {} ok cases",
        cases.len()
    );
    for c in &cases {
        for format in ["markdown", "json"] {
            let out = Command::new(env!("CARGO_BIN_EXE_kubeferry"))
                .current_dir(&c.load.working_dir)
                .env_clear()
                .envs(&c.load.environment)
                .arg("plan")
                .args(args(&c.load))
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
    let Some(shared) = support::shared() else {
        return;
    };
    let cases = support::ok_cases(&shared);
    let fs = RealFs::default();
    let mut checked = 0;
    let mut in_claims_without_staging = 0;
    for c in &cases {
        // Converted without staging; the plan splits the objects as `--stage` does.
        let Conversion {
            project, objects, ..
        } = convert_with(&c.load, &fs, &Options::default())
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
