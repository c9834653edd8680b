//! Staged migration on the agent-stack fixture: the plan, stage 1 with its bridges and override
//! file, stage 2, and the promise that stage 1 then stage 2 ends where `--stage all` does.

mod support;

include!("support/cli_crate.in");

use fixture::Fixture;
use kubeferry::compose::{LoadOptions, MemoryFs, Project, RealFs};
use kubeferry::emit::Format;
use kubeferry::lower::Object;
use kubeferry::plan::{ComposeHost, PlanOptions, Stage, StageOptions, Staged};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/staged/agent-stack")
}

/// The agent-stack fixture with `args` (`kubeferry convert` flags), read where it is (the
/// plan's classification reads the same folder).
fn agent_stack(args: &[&str]) -> Fixture {
    Fixture::new(&fixture_dir(), args).on_disk()
}

/// The agent-stack's `file` converted without staging (`-f FILE`; none for compose.yaml): the
/// project, and the objects `plan::stage` splits.
fn converted(file: &str) -> Conversion {
    let args: &[&str] = if file == "compose.yaml" {
        &[]
    } else {
        &["-f", file]
    };
    agent_stack(args)
        .run()
        .unwrap_or_else(|f| panic!("{file}: {f}"))
}

fn load_file(file: &str) -> Project {
    converted(file).project
}

fn load_str(yaml: &str) -> (Project, MemoryFs) {
    let fs = MemoryFs::new().with("/p/compose.yaml", yaml);
    let opts = LoadOptions {
        files: vec!["compose.yaml".into()],
        working_dir: "/p".into(),
        ..LoadOptions::default()
    };
    let project = convert_with(&opts, &fs, &Options::default())
        .expect("converts")
        .project;
    (project, fs)
}

/// Stage `stage` of the agent-stack's `file`, as `kubeferry convert --stage STAGE
/// [--compose-host HOST] --bridge-bind 10.0.0.5` gives it.
fn run(file: &str, stage: &str, host: Option<&str>) -> Result<Conversion, String> {
    let mut args = vec!["--stage", stage, "--bridge-bind", "10.0.0.5"];
    if file != "compose.yaml" {
        args.extend(["-f", file]);
    }
    if let Some(h) = host {
        args.extend(["--compose-host", h]);
    }
    agent_stack(&args).run().map_err(|f| f.to_string())
}

fn ids(objects: &[Object]) -> Vec<String> {
    objects
        .iter()
        .map(|o| format!("{}/{}", o.kind(), o.name()))
        .collect()
}

/// Apply stage 1, then stage 2 (replacing by kind and name), then delete what stage 2 retires.
fn apply_in_stages(s1: &Conversion, s2: &Conversion) -> BTreeMap<String, String> {
    let mut cluster = BTreeMap::new();
    for o in s1.objects.iter().chain(&s2.objects) {
        cluster.insert(
            format!("{}/{}", o.kind(), o.name()),
            emit::render(std::slice::from_ref(o), Format::Yaml),
        );
    }
    for (kind, name) in &s2.retire {
        cluster.remove(&format!("{kind}/{name}"));
    }
    cluster
}

fn as_map(objects: &[Object]) -> BTreeMap<String, String> {
    objects
        .iter()
        .map(|o| {
            (
                format!("{}/{}", o.kind(), o.name()),
                emit::render(std::slice::from_ref(o), Format::Yaml),
            )
        })
        .collect()
}

#[test]
fn plan_markdown_and_json() {
    let project = load_file("compose.yaml");
    let opts = PlanOptions {
        compose_host: Some(ComposeHost::parse("10.0.0.5").unwrap()),
        bridge_bind: Some("10.0.0.5".into()),
        ..Default::default()
    };
    let p = plan::plan(&project, &RealFs::default(), &opts);
    let stateful: Vec<&String> = p
        .classification
        .iter()
        .filter(|(_, c)| c.stateful)
        .map(|(s, _)| s)
        .collect();
    assert_eq!(stateful, ["db", "qdrant"]);
    assert_eq!(
        p.stage1
            .iter()
            .find(|m| m.service == "agent")
            .unwrap()
            .reaches,
        ["db", "qdrant"]
    );
    insta::assert_snapshot!("plan_markdown", plan::markdown(&p));
    insta::assert_snapshot!("plan_json", serde_json::to_string_pretty(&p).unwrap());
}

#[test]
fn stage1_with_an_ip_host() {
    let s1 = run("compose.yaml", "stateless", Some("10.0.0.5")).unwrap();
    assert_eq!(
        ids(&s1.objects),
        [
            "ConfigMap/gateway-nginx-conf",
            "Secret/agent-env",
            "PersistentVolumeClaim/hf-cache",
            "Service/agent",
            "Service/cache",
            "Service/db",
            "Service/gateway",
            "Service/model",
            "Service/qdrant",
            "EndpointSlice/db-compose-host",
            "EndpointSlice/qdrant-compose-host",
            "Deployment/agent",
            "Deployment/cache",
            "Deployment/gateway",
            "Deployment/model",
            "NetworkPolicy/default-deny-ingress",
            "NetworkPolicy/gateway-published",
            "NetworkPolicy/network-default",
        ]
    );
    let file = s1
        .compose_override
        .as_ref()
        .expect("db's port needs publishing");
    assert_eq!(file.path, "compose.bridge.yaml");
    insta::assert_snapshot!("stage1_ip", emit::render(&s1.objects, Format::Yaml));
    insta::assert_snapshot!("stage1_compose_bridge", file.contents);
    // The override file is a Compose file that loads on top of the project's.
    let dir = tempdir("override");
    std::fs::copy(fixture_dir().join("compose.yaml"), dir.join("compose.yaml")).unwrap();
    std::fs::write(dir.join("compose.bridge.yaml"), &file.contents).unwrap();
    let opts = LoadOptions {
        files: vec!["compose.yaml".into(), "compose.bridge.yaml".into()],
        working_dir: dir.to_string_lossy().into_owned(),
        ..LoadOptions::default()
    };
    let merged = convert_with(&opts, &RealFs::default(), &Options::default())
        .unwrap()
        .project;
    // The merged project as `kubeferry config` prints it.
    let merged = serde_json::to_value(&merged).unwrap();
    let db = &merged["services"]["db"]["ports"];
    assert_eq!(db.as_array().map(Vec::len), Some(1), "{db}");
    assert_eq!(
        (&db[0]["target"], &db[0]["published"], &db[0]["host_ip"]),
        (
            &serde_json::json!(5432),
            &serde_json::json!("5432"),
            &serde_json::json!("10.0.0.5")
        )
    );
    // Qdrant is already published: the override leaves it alone.
    let qdrant = &merged["services"]["qdrant"]["ports"];
    assert_eq!(qdrant.as_array().map(Vec::len), Some(1), "{qdrant}");
}

#[test]
fn stage1_with_a_dns_host() {
    let s1 = run(
        "compose.yaml",
        "stateless",
        Some("compose-host.internal.example"),
    )
    .unwrap();
    assert!(
        !ids(&s1.objects)
            .iter()
            .any(|i| i.starts_with("EndpointSlice/"))
    );
    let bridges: Vec<String> = s1
        .objects
        .iter()
        .filter(|o| ["db", "qdrant"].contains(&o.name()) && o.kind() == "Service")
        .map(|o| emit::render(std::slice::from_ref(o), Format::Yaml))
        .collect();
    insta::assert_snapshot!("stage1_dns_bridges", bridges.join("---\n"));
}

#[test]
fn stage2_replaces_the_bridges() {
    let s2 = run("compose.yaml", "stateful", None).unwrap();
    assert_eq!(
        ids(&s2.objects),
        [
            "Secret/db-env",
            "PersistentVolumeClaim/pgdata",
            "PersistentVolumeClaim/qdrant-data",
            "Service/db",
            "Service/qdrant",
            "Deployment/db",
            "Deployment/qdrant",
            "NetworkPolicy/default-deny-ingress",
            "NetworkPolicy/network-default",
            "NetworkPolicy/qdrant-published",
        ]
    );
    assert_eq!(
        s2.retire,
        [
            ("EndpointSlice".to_string(), "db-compose-host".to_string()),
            (
                "EndpointSlice".to_string(),
                "qdrant-compose-host".to_string()
            ),
        ]
    );
    assert!(s2.compose_override.is_none());
    insta::assert_snapshot!("stage2", emit::render(&s2.objects, Format::Yaml));
}

#[test]
fn stage1_then_stage2_equals_all() {
    let project = load_file("compose.yaml");
    let all = run("compose.yaml", "all", None).unwrap();
    let s2 = run("compose.yaml", "stateful", None).unwrap();
    for host in ["10.0.0.5", "fd00::5", "compose-host.internal.example"] {
        let s1 = run("compose.yaml", "stateless", Some(host)).unwrap();
        let staged = apply_in_stages(&s1, &s2);
        // Both stages give the planned data its claims of the planned sizes; `all` does not.
        let mut kept = all.objects.clone();
        let cls = plan::classify(&project, &RealFs::default());
        let claims = plan::claims::data_claims(&project, &cls, &Default::default());
        plan::claims::keep_data(&project, &claims, &mut kept, None, None);
        let everything = as_map(&kept);
        assert_eq!(
            staged.keys().collect::<Vec<_>>(),
            everything.keys().collect::<Vec<_>>(),
            "{host}"
        );
        assert_eq!(staged, everything, "{host}");
        assert!(
            !staged.values().any(|y| y.contains("kubeferry.io/bridge")),
            "a bridge is left ({host})"
        );
    }
    // Without --stage, convert emits exactly what --stage all does.
    assert_eq!(
        emit::render(&all.objects, Format::Yaml),
        emit::render(&converted("compose.yaml").objects, Format::Yaml)
    );
}

#[test]
fn dns_host_cannot_remap_a_port() {
    let project = load_file("mismatch.yaml");
    let err = run(
        "mismatch.yaml",
        "stateless",
        Some("compose-host.internal.example"),
    )
    .unwrap_err();
    assert!(err.contains("error[S003]"), "{err}");
    assert!(err.contains("services.db.ports"), "{err}");
    assert!(
        err.contains("clients dial `db:5432`, but the Compose host serves it on port 15432"),
        "{err}"
    );
    assert!(err.contains("give --compose-host as an IP address, or publish `db` on the same port"));
    // The plan says so early, as a warning.
    let p = plan::plan(
        &project,
        &RealFs::default(),
        &PlanOptions {
            compose_host: Some(ComposeHost::parse("compose-host.internal.example").unwrap()),
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        p.warnings.iter().map(|w| w.code).collect::<Vec<_>>(),
        ["S003"]
    );
    // An IP address can: the Service keeps 5432 and the endpoint is the published 15432.
    let s1 = run("mismatch.yaml", "stateless", Some("10.0.0.5")).unwrap();
    let slice = s1
        .objects
        .iter()
        .find(|o| o.kind() == "EndpointSlice")
        .unwrap();
    let v = serde_json::to_value(slice).unwrap();
    assert_eq!(v["ports"][0]["port"], 15432);
    let svc = s1
        .objects
        .iter()
        .find(|o| o.kind() == "Service" && o.name() == "db")
        .unwrap();
    let v = serde_json::to_value(svc).unwrap();
    assert_eq!(v["spec"]["ports"][0]["port"], 5432);
    assert_eq!(v["spec"]["ports"][0]["targetPort"], 15432);
    assert!(s1.compose_override.is_none(), "db is already published");
}

#[test]
fn stage1_needs_a_compose_host() {
    // The command line refuses it at the flag; the library, given such options, says S001.
    let usage = agent_stack(&["--stage", "stateless"]).try_options();
    assert!(usage.unwrap_err().contains("--compose-host"));
    let mut options = agent_stack(&[]).options();
    options.stage.stage = Stage::Stateless;
    let err = agent_stack(&[]).run_with(&options).unwrap_err().to_string();
    assert!(
        err.contains("S001") && err.contains("--compose-host"),
        "{err}"
    );
    assert!(ComposeHost::parse("127.0.0.1").is_err());
    assert!(ComposeHost::parse("localhost").is_err());
    assert!(ComposeHost::parse("Not A Host").is_err());
    assert_eq!(
        ComposeHost::parse("10.1.2.3").unwrap(),
        ComposeHost::Ip("10.1.2.3".parse().unwrap())
    );
}

#[test]
fn classification_rules() {
    let (project, fs) = load_str(
        r#"
services:
  app:
    image: example/app
    environment:
      DB_HOST: pg
      PG_USER: cache
    command: ["serve", "--broker", "queue"]
    volumes:
      - shared:/srv/shared:ro
      - ./app.conf:/app/app.conf
      - /var/run/docker.sock:/var/run/docker.sock
  uploads:
    image: example/uploads
    volumes:
      - ./uploads:/srv/uploads
  pg:
    image: postgres:16
  cache:
    image: valkey/valkey:8
    command: valkey-server --appendonly yes
  memo:
    image: redis:7
  queue:
    image: nats:2
    command: ["-js"]
  pinned:
    image: postgres:16
    labels:
      kubeferry.stateful: "false"
  sidecar:
    image: example/logger
    network_mode: service:uploads
  minio:
    image: example/silo:2026
    volumes:
      - objects:/data
  logger:
    image: example/logger
    volumes:
      - ./logs:/app/logs
      - ./conf:/app/conf
volumes:
  shared:
  objects:
"#,
    );
    let cls = plan::classify(&project, &fs);
    let verdict = |s: &str| {
        let c = &cls.services[s];
        (c.stateful, c.reasons.join("; "))
    };
    assert_eq!(
        verdict("app"),
        (false, "no data volume and no datastore image".into())
    );
    assert_eq!(
        verdict("uploads"),
        (
            true,
            "host directory ./uploads bind-mounted read-write at /srv/uploads".into()
        )
    );
    assert_eq!(
        verdict("pg"),
        (true, "PostgreSQL image: a datastore".into())
    );
    assert_eq!(
        verdict("cache"),
        (
            true,
            "Valkey image with persistence (--appendonly yes)".into()
        )
    );
    assert!(!verdict("memo").0);
    assert_eq!(
        verdict("queue"),
        (
            true,
            "NATS image with persistence (JetStream enabled)".into()
        )
    );
    assert_eq!(
        verdict("pinned"),
        (
            false,
            "label kubeferry.stateful: false (set in the Compose file)".into()
        )
    );
    assert!(verdict("sidecar").0, "a sidecar moves with its pod");
    assert_eq!(
        verdict("minio"),
        (
            true,
            "named volume `objects` mounted read-write at /data; named `minio` (image example/silo:2026 is not one kubeferry knows): taken for MinIO"
                .into()
        )
    );
    assert_eq!(
        verdict("logger"),
        (
            false,
            "mounts only caches, logs or configuration (/app/logs), and no datastore image".into()
        )
    );
    // `DB_HOST: pg` names a host; `PG_USER: cache` does not; `--broker queue` does.
    assert_eq!(cls.services["app"].reaches, ["pg", "queue"]);
    assert_eq!(cls.stay_behind_reached_by("app"), ["pg", "queue"]);
}

#[test]
fn shared_data_is_copied_once_and_jobs_copy_nothing() {
    let (project, fs) = load_str(
        r#"
services:
  init:
    image: busybox
    command: ["chown", "-R", "1000", "/storage"]
    volumes:
      - ./storage:/storage
  api:
    image: example/api
    volumes:
      - ./storage:/app/storage
    depends_on:
      init:
        condition: service_completed_successfully
  worker:
    image: example/api
    volumes:
      - ./storage:/app/storage
"#,
    );
    let p = plan::plan(&project, &fs, &PlanOptions::default());
    let steps = |s: &str| -> Vec<String> {
        p.stage2
            .iter()
            .find(|k| k.service == s)
            .unwrap()
            .steps
            .iter()
            .map(|x| format!("{} {:?}", x.description, x.commands))
            .collect()
    };
    assert_eq!(
        steps("init"),
        ["`init` runs once to completion (a Job): there is nothing to restore into it. []"]
    );
    let api = steps("api");
    assert_eq!(api.len(), 2);
    assert!(
        api[0].contains("tar -C ./storage -czf api-app-storage.tgz ."),
        "{api:?}"
    );
    assert_eq!(
        steps("worker"),
        [
            "The host directory `./storage` at /app/storage is also mounted by `api` and is copied with it (in the cluster both need the same claim, ReadWriteMany if their pods can land on different nodes). []"
        ]
    );
}

#[test]
fn egress_to_the_compose_host_is_allowed_when_egress_is_restricted() {
    use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicySpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
    let Conversion {
        project, objects, ..
    } = converted("compose.yaml");
    let cls = plan::classify(&project, &RealFs::default());
    let opts = StageOptions {
        stage: Stage::Stateless,
        compose_host: Some(ComposeHost::parse("10.0.0.5").unwrap()),
        bridge_bind: None,
        ..Default::default()
    };
    // Without an egress restriction no egress policy is made: alone it would close all other
    // egress (the hardening pass's ingress policies do not restrict egress).
    let s1 = plan::stage(&project, &cls, objects.clone(), &opts).unwrap();
    assert!(
        !ids(&s1.objects)
            .iter()
            .any(|i| i == "NetworkPolicy/allow-egress-to-compose-host")
    );
    // With a default-deny egress policy (as a hardening pass makes), the bridges are let out.
    let mut all = objects;
    all.push(default_deny());
    // A policy for the pods of `db` goes with `db`.
    all.push(Object::from(NetworkPolicy {
        metadata: ObjectMeta {
            name: Some("db-ingress".into()),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(
                    [("app.kubernetes.io/name".to_string(), "db".to_string())].into(),
                ),
                ..Default::default()
            }),
            policy_types: Some(vec!["Ingress".into()]),
            ..Default::default()
        }),
    }));
    let s2 = plan::stage(
        &project,
        &cls,
        all.clone(),
        &StageOptions {
            stage: Stage::Stateful,
            ..opts.clone()
        },
    )
    .unwrap();
    let s2_ids = ids(&s2.objects);
    assert!(s2_ids.contains(&"NetworkPolicy/default-deny".to_string()));
    assert!(s2_ids.contains(&"NetworkPolicy/db-ingress".to_string()));
    assert!(s2.retire.contains(&(
        "NetworkPolicy".into(),
        "allow-egress-to-compose-host".into()
    )));
    let s1 = plan::stage(&project, &cls, all, &opts).unwrap();
    let names = ids(&s1.objects);
    assert!(names.contains(&"NetworkPolicy/default-deny".to_string()));
    assert!(!names.contains(&"NetworkPolicy/db-ingress".to_string()));
    let allow = s1
        .objects
        .iter()
        .find(|o| o.name() == "allow-egress-to-compose-host")
        .expect("an allow policy");
    insta::assert_snapshot!(
        "stage1_egress_policy",
        emit::render(std::slice::from_ref(allow), Format::Yaml)
    );
}

/// A default-deny policy, as a hardening pass that restricts egress makes.
fn default_deny() -> Object {
    use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicySpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
    Object::from(NetworkPolicy {
        metadata: ObjectMeta {
            name: Some("default-deny".into()),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ..Default::default()
        }),
    })
}

/// Run the binary in `dir`.
fn kubeferry(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kubeferry"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kubeferry-staged-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every stage's output passes the offline validator at 1.30 and 1.37 with 0 schema and 0
/// semantic errors (skipped when ../shared is absent).
#[test]
fn every_stage_validates() {
    let Some((python, validator)) = support::validator() else {
        return;
    };
    let mut outputs = vec![
        ("all", run("compose.yaml", "all", None).unwrap().objects),
        (
            "stage2",
            run("compose.yaml", "stateful", None).unwrap().objects,
        ),
    ];
    for (tag, host) in [
        ("stage1-ip", "10.0.0.5"),
        ("stage1-ipv6", "fd00::5"),
        ("stage1-dns", "compose-host.internal.example"),
    ] {
        let s1 = run("compose.yaml", "stateless", Some(host)).unwrap();
        outputs.push((tag, s1.objects));
    }
    let Conversion {
        project, objects, ..
    } = converted("compose.yaml");
    let mut restricted = objects;
    restricted.push(default_deny());
    let egress = plan::stage(
        &project,
        &plan::classify(&project, &RealFs::default()),
        restricted,
        &StageOptions {
            stage: Stage::Stateless,
            compose_host: Some(ComposeHost::parse("10.0.0.5").unwrap()),
            ..StageOptions::default()
        },
    )
    .unwrap();
    assert!(ids(&egress.objects).contains(&"NetworkPolicy/allow-egress-to-compose-host".into()));
    outputs.push(("stage1-egress", egress.objects));
    for (tag, objects) in outputs {
        let dir = tempdir(tag);
        // The manifests only: the override file is a Compose file.
        for f in emit::render_files(&objects, Format::Yaml) {
            std::fs::write(dir.join(&f.path), &f.contents).unwrap();
        }
        for version in ["1.30", "1.37"] {
            let out = std::process::Command::new(&python)
                .arg(&validator)
                .arg(&dir)
                .args(["--k8s-version", version, "--no-checkov", "--summary"])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains("(0 schema errors, 0 semantic errors)"),
                "{tag} at {version}:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The command line writes the override file and the stage record beside the manifests,
/// refuses stage 1 without an output folder, and tells what to delete after stage 2, even
/// with -q.
#[test]
fn command_line() {
    let out = tempdir("cli");
    let dir = out.join("stage1");
    let cli = |args: &[&str]| kubeferry(&fixture_dir(), args);
    let o = cli(&[
        "convert",
        "-q",
        "--stage",
        "stateless",
        "--compose-host",
        "10.0.0.5",
        "--bridge-bind",
        "10.0.0.5",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The manifests folder holds Kubernetes objects only; the override file and the record of
    // the stage go beside it, and -q does not hide where the override went.
    assert!(dir.join("db-compose-host-endpointslice.yaml").exists());
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        // What `kubectl apply -f DIR` reads.
        if !path.to_string_lossy().ends_with(".yaml") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("\nkind: "), "{text}");
    }
    let bridge = out.join("compose.bridge.yaml");
    let text = std::fs::read_to_string(&bridge).unwrap();
    assert!(
        text.contains(&format!(
            "#   docker compose -f compose.yaml -f {} up -d --no-deps db\n",
            bridge.display()
        )),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("on the Compose host run:"));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("kubeferry-stage.json")).unwrap()).unwrap();
    assert_eq!(record["compose_host"], "10.0.0.5");
    assert_eq!(record["compose_files"], serde_json::json!(["compose.yaml"]));
    let o = cli(&[
        "convert",
        "-q",
        "--stage",
        "stateless",
        "--compose-host",
        "10.0.0.5",
        "--bridge-file",
        out.join("elsewhere.yaml").to_str().unwrap(),
        "-o",
        out.join("stage1b").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(out.join("elsewhere.yaml").exists());
    let o = cli(&[
        "convert",
        "-q",
        "--stage",
        "stateless",
        "--compose-host",
        "10.0.0.5",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error[E002]"));
    let o = cli(&["convert", "-q", "--stage", "stateless"]);
    assert_eq!(o.status.code(), Some(2));
    let o = cli(&[
        "convert",
        "-q",
        "--stage",
        "stateful",
        "-o",
        out.join("stage2").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains(
        "kubectl delete --ignore-not-found endpointslice/db-compose-host endpointslice/qdrant-compose-host"
    ));
    let o = cli(&["plan", "--format", "json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["bridges"][0]["service"], "db");
    let _ = std::fs::remove_dir_all(&out);
}

// --- The bind-data fixture: MariaDB in a bind-mounted folder, an override file, a stateful
// indexer that calls the moved bot, and a container name used as a host name. ---

fn bind_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/staged/bind-data")
}

/// The bind-data fixture as Docker Compose finds it (docker-compose.yml, then its override
/// file), converted without staging with `args`.
fn converted_bind(args: &[&str]) -> Conversion {
    Fixture::new(&bind_dir(), args)
        .on_disk()
        .run()
        .unwrap_or_else(|f| panic!("{f}"))
}

fn load_bind() -> Project {
    converted_bind(&[]).project
}

/// A stage of the bind-data fixture, split by the plan from the conversion in `agents`.
fn stage_bind(stage: Stage, sizes: &[(&str, &str)]) -> Staged {
    let Conversion {
        project, objects, ..
    } = converted_bind(&["--namespace", "agents"]);
    let opts = StageOptions {
        stage,
        compose_host: Some(ComposeHost::parse("10.0.0.5").unwrap()),
        cluster_host: Some("10.0.0.9".into()),
        namespace: Some("agents".into()),
        sizes: sizes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    let cls = plan::classify(&project, &RealFs::default());
    plan::stage(&project, &cls, objects, &opts).unwrap()
}

fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> &'a Object {
    objects
        .iter()
        .find(|o| o.kind() == kind && o.name() == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in {:?}", ids(objects)))
}

fn yaml(o: &Object) -> String {
    emit::render(std::slice::from_ref(o), Format::Yaml)
}

/// Stage 2, converted without `--volumes`, keeps MariaDB's bind-mounted folder and the
/// indexer's in claims of the plan's sizes, never in an emptyDir; a measured size given with
/// `--claim-size` wins.
#[test]
fn stage2_keeps_bind_mounted_data_in_claims() {
    let project = load_bind();
    let p = plan::plan(&project, &RealFs::default(), &PlanOptions::default());
    let db = p.stage2.iter().find(|k| k.service == "db").unwrap();
    assert_eq!(db.volumes[0].claim.as_deref(), Some("db-bind-0"));
    assert_eq!(db.volumes[0].suggested_size, "10Gi");
    let s2 = stage_bind(Stage::Stateful, &[]);
    let pod = find(&s2.objects, "Deployment", "db").pod_spec().unwrap();
    let mount = |target: &str| {
        let m = pod.containers[0]
            .volume_mounts
            .iter()
            .flatten()
            .find(|m| m.mount_path == target)
            .unwrap();
        pod.volumes
            .iter()
            .flatten()
            .find(|v| v.name == m.name)
            .unwrap()
            .clone()
    };
    let data = mount("/var/lib/mysql");
    assert_eq!(
        data.persistent_volume_claim.unwrap().claim_name,
        "db-bind-0"
    );
    // Every data location of the plan is a claim in stage 2.
    for k in &p.stage2 {
        for v in &k.volumes {
            let claim = find(
                &s2.objects,
                "PersistentVolumeClaim",
                v.claim.as_deref().unwrap(),
            );
            assert!(yaml(claim).contains(&format!("storage: {}", v.suggested_size)));
        }
    }
    insta::assert_snapshot!(
        "bind_data_stage2_claims",
        ["db-bind-0", "indexer-bind-0", "queue-data"]
            .iter()
            .map(|n| yaml(find(&s2.objects, "PersistentVolumeClaim", n)))
            .collect::<String>()
    );
    // One folder moved into a claim by the plan (the indexer's); MariaDB's data folder is a
    // claim already (lowering's database data paths, L048), resized to the plan's size.
    let notes: Vec<&str> = s2.warnings.iter().map(|w| w.code).collect();
    assert_eq!(notes, ["S005"]);
    assert_eq!(s2.kept_data.len(), 1, "{:?}", s2.kept_data);
    assert!(
        !s2.kept_data
            .contains(&("db".into(), "/var/lib/mysql".into()))
    );
    // Measured sizes given to the plan and the stages.
    let s2 = stage_bind(Stage::Stateful, &[("db", "3Gi"), ("queue-data", "1Gi")]);
    assert!(yaml(find(&s2.objects, "PersistentVolumeClaim", "db-bind-0")).contains("storage: 3Gi"));
    assert!(
        yaml(find(&s2.objects, "PersistentVolumeClaim", "queue-data")).contains("storage: 1Gi")
    );
}

/// compose.bridge.yaml names docker-compose.yml and its override file, starts only the
/// services it changes, and, read with them, keeps the override's password and points the
/// indexer at the cluster.
#[test]
fn override_keeps_the_project_files_and_routes_back_to_the_cluster() {
    let s1 = stage_bind(Stage::Stateless, &[]);
    let file = s1.compose_override.clone().unwrap();
    assert!(file.contents.contains(
        "#   docker compose -f docker-compose.yml -f docker-compose.override.yml -f compose.bridge.yaml up -d --no-deps db queue indexer\n"
    ));
    insta::assert_snapshot!("bind_data_compose_bridge", file.contents);
    let dir = tempdir("bind-override");
    for f in ["docker-compose.yml", "docker-compose.override.yml"] {
        std::fs::copy(bind_dir().join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("compose.bridge.yaml"), &file.contents).unwrap();
    let opts = LoadOptions {
        files: vec![
            "docker-compose.yml".into(),
            "docker-compose.override.yml".into(),
            "compose.bridge.yaml".into(),
        ],
        working_dir: dir.to_string_lossy().into_owned(),
        ..LoadOptions::default()
    };
    let merged = convert_with(&opts, &RealFs::default(), &Options::default())
        .unwrap()
        .project;
    // The merged project as `kubeferry config` prints it.
    let merged = serde_json::to_value(&merged).unwrap();
    let db = &merged["services"]["db"];
    assert_eq!(db["environment"]["MARIADB_PASSWORD"], "chatbot");
    assert_eq!(db["ports"][0]["published"], "3306");
    let indexer = &merged["services"]["indexer"];
    // The loader writes `host=address`, as `docker compose config` does.
    assert_eq!(indexer["extra_hosts"], serde_json::json!(["bot=10.0.0.9"]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The moved bot, called by the indexer that stays, is exposed on a LoadBalancer Service and
/// let in from the Compose host's address; stage 2 retires both.
#[test]
fn reverse_bridges_expose_moved_services_to_the_compose_host() {
    let s1 = stage_bind(Stage::Stateless, &[]);
    assert_eq!(s1.reverse.len(), 1);
    assert_eq!(s1.reverse[0].used_by, ["indexer"]);
    let lb = yaml(find(&s1.objects, "Service", "bot-from-compose-host"));
    let policy = yaml(find(
        &s1.objects,
        "NetworkPolicy",
        "allow-ingress-from-compose-host",
    ));
    insta::assert_snapshot!("bind_data_reverse_bridge", format!("{lb}---\n{policy}"));
    let s2 = stage_bind(Stage::Stateful, &[]);
    for r in [
        ("Service", "bot-from-compose-host"),
        ("NetworkPolicy", "allow-ingress-from-compose-host"),
    ] {
        assert!(
            s2.retire.contains(&(r.0.into(), r.1.into())),
            "{:?}",
            s2.retire
        );
    }
}

/// `bot` dials MariaDB by its container name: stage 1 bridges that name too, and stage 2 keeps
/// it as a Service of the real pods (the lowering's, or its own copy).
#[test]
fn container_names_and_aliases_are_bridged() {
    let s1 = stage_bind(Stage::Stateless, &[]);
    let db = s1.bridges.iter().find(|b| b.service == "db").unwrap();
    assert_eq!(db.aliases, ["mariadb-primary"]);
    let slice = yaml(find(
        &s1.objects,
        "EndpointSlice",
        "mariadb-primary-compose-host",
    ));
    assert!(slice.contains("kubernetes.io/service-name: mariadb-primary"));
    assert!(slice.contains("10.0.0.5"));
    // The lowering gives the dialled container name a Service of the real pods, which
    // replaces the bridge in stage 2.
    let s2 = stage_bind(Stage::Stateful, &[]);
    assert!(s2.alias_services.is_empty());
    assert!(
        yaml(find(&s2.objects, "Service", "mariadb-primary"))
            .contains("selector:\n    app.kubernetes.io/name: db\n")
    );
    assert!(s2.retire.contains(&(
        "EndpointSlice".into(),
        "mariadb-primary-compose-host".into()
    )));
    // Where the lowering makes none, stage 2 adds one, a copy of the service's own.
    let Conversion {
        project,
        objects: mut objs,
        ..
    } = converted_bind(&[]);
    let fs = RealFs::default();
    objs.retain(|o| o.name() != "mariadb-primary");
    let opts = StageOptions {
        stage: Stage::Stateful,
        ..Default::default()
    };
    let s2 = plan::stage(&project, &plan::classify(&project, &fs), objs, &opts).unwrap();
    assert_eq!(s2.alias_services, ["mariadb-primary"]);
    let real = yaml(find(&s2.objects, "Service", "db"));
    let alias = yaml(find(&s2.objects, "Service", "mariadb-primary"));
    assert_eq!(alias.replace("name: mariadb-primary", "name: db"), real);
}

/// The plan's commands carry the files, namespace and sizes it was given, and give the
/// override command, the preflight check and the way back from each stage.
#[test]
fn plan_commands_repeat_the_settings() {
    let project = load_bind();
    let opts = PlanOptions {
        compose_host: Some(ComposeHost::parse("10.0.0.5").unwrap()),
        cluster_host: Some("10.0.0.9".into()),
        namespace: Some("agents".into()),
        input_flags: [
            "-f",
            "docker-compose.yml",
            "-f",
            "docker-compose.override.yml",
        ]
        .map(String::from)
        .to_vec(),
        compose_files: vec![
            "docker-compose.yml".into(),
            "docker-compose.override.yml".into(),
        ],
        sizes: [("db".to_string(), "3Gi".to_string())].into(),
        ..Default::default()
    };
    let p = plan::plan(&project, &RealFs::default(), &opts);
    assert_eq!(
        p.commands.stage2,
        "kubeferry convert -f docker-compose.yml -f docker-compose.override.yml --namespace agents --claim-size db=3Gi --stage stateful -o stage2/"
    );
    assert!(
        p.stage2_order
            .iter()
            .any(|s| s.contains(&p.commands.stage2))
    );
    assert_eq!(
        p.stage2.iter().find(|k| k.service == "db").unwrap().volumes[0].suggested_size,
        "3Gi"
    );
    insta::assert_snapshot!("bind_data_plan_markdown", plan::markdown(&p));
}

/// Stage 2 run as the plan prints it (no flags but the stage and the folder) reads stage 1's
/// record: same files and namespace, data in claims; a differing namespace is refused.
#[test]
fn stage2_reads_the_record_of_stage1() {
    let out = tempdir("record");
    let cli = |args: &[&str]| kubeferry(&bind_dir(), args);
    let s1 = out.join("stage1");
    let o = cli(&[
        "convert",
        "-q",
        "-f",
        "docker-compose.yml",
        "-f",
        "docker-compose.override.yml",
        "--namespace",
        "agents",
        "--stage",
        "stateless",
        "--compose-host",
        "10.0.0.5",
        "--cluster-host",
        "10.0.0.9",
        "-o",
        s1.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let record = std::fs::read_to_string(out.join("kubeferry-stage.json")).unwrap();
    let record = plan::state::StageState::from_json(&record).unwrap();
    assert_eq!(record.namespace.as_deref(), Some("agents"));
    assert_eq!(record.files.len(), 2);
    let o = cli(&[
        "convert",
        "--stage",
        "stateful",
        "-o",
        out.join("stage2").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("`/var/lib/mysql` becomes an emptyDir"),
        "{err}"
    );
    let claim =
        std::fs::read_to_string(out.join("stage2/db-bind-0-persistentvolumeclaim.yaml")).unwrap();
    assert!(claim.contains("namespace: agents") && claim.contains("storage: 10Gi"));
    // The override file's password is in stage 2: the override file was read.
    let db = std::fs::read_to_string(out.join("stage2/db-deployment.yaml")).unwrap();
    assert!(db.contains("MARIADB_PASSWORD"), "{db}");
    let o = cli(&[
        "convert",
        "--stage",
        "stateful",
        "--namespace",
        "other",
        "-o",
        out.join("stage2b").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--namespace: stage 1 `agents`"));
    // The plan reads the record too.
    let o = cli(&[
        "plan",
        "--state",
        out.join("kubeferry-stage.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["commands"]["stage2"]
            .as_str()
            .unwrap()
            .contains("--namespace agents --stage stateful"),
        "{}",
        v["commands"]
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// Both stages of the bind-data fixture pass the validator (skipped without ../shared).
#[test]
fn bind_data_stages_validate() {
    let Some((python, validator)) = support::validator() else {
        return;
    };
    for (tag, staged) in [
        ("bind-s1", stage_bind(Stage::Stateless, &[])),
        ("bind-s2", stage_bind(Stage::Stateful, &[])),
    ] {
        let dir = tempdir(tag);
        for f in emit::render_files(&staged.objects, Format::Yaml) {
            std::fs::write(dir.join(&f.path), &f.contents).unwrap();
        }
        let out = std::process::Command::new(&python)
            .arg(&validator)
            .arg(&dir)
            .args(["--k8s-version", "1.37", "--no-checkov", "--summary"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("(0 schema errors, 0 semantic errors)"),
            "{tag}:\n{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Without `--cluster-host` the stay-behind caller gets no host entry (S008, in the plan too);
/// with a DNS `--compose-host` no ingress policy can name the host (S007).
#[test]
fn reverse_bridge_warnings() {
    let Conversion {
        project, objects, ..
    } = converted_bind(&[]);
    let fs = RealFs::default();
    let cls = plan::classify(&project, &fs);
    let run = |host: &str| {
        let opts = StageOptions {
            stage: Stage::Stateless,
            compose_host: Some(ComposeHost::parse(host).unwrap()),
            ..Default::default()
        };
        plan::stage(&project, &cls, objects.clone(), &opts).unwrap()
    };
    let s1 = run("10.0.0.5");
    let codes: Vec<&str> = s1.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["S008"]);
    assert!(s1.warnings[0].message.contains("`indexer` stays"));
    let text = s1.compose_override.unwrap().contents;
    assert!(!text.contains("extra_hosts"), "{text}");
    // The LoadBalancer Service is made all the same, without an address.
    assert!(
        !yaml(find(&s1.objects, "Service", "bot-from-compose-host")).contains("loadBalancerIP")
    );
    let s1 = run("compose.example.internal");
    let codes: Vec<&str> = s1.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["S007", "S008"]);
    assert!(!ids(&s1.objects).contains(&"NetworkPolicy/allow-ingress-from-compose-host".into()));
    let p = plan::plan(&project, &fs, &PlanOptions::default());
    assert!(p.warnings.iter().any(|w| w.code == "S008"));
}

/// The override's usage line takes the project's Compose files from `COMPOSE_FILE` when the
/// environment sets it (with its separator), else the files found: the default file, then its
/// override file. (The loader reads `COMPOSE_FILE` too, so the files it names exist.)
#[test]
fn compose_files_of_the_usage_line() {
    assert_eq!(
        plan::compose_files(&load_bind()),
        ["docker-compose.yml", "docker-compose.override.yml"]
    );
    let opts = LoadOptions {
        working_dir: bind_dir().to_string_lossy().into_owned(),
        environment: [
            (
                "COMPOSE_FILE".to_string(),
                "docker-compose.override.yml;docker-compose.yml".to_string(),
            ),
            ("COMPOSE_PATH_SEPARATOR".to_string(), ";".to_string()),
        ]
        .into(),
        ..LoadOptions::default()
    };
    let project = convert_with(&opts, &RealFs::default(), &Options::default())
        .unwrap()
        .project;
    assert_eq!(
        plan::compose_files(&project),
        ["docker-compose.override.yml", "docker-compose.yml"]
    );
}
