//! Output you can trust: `-o DIR` is all or nothing and never leaves DIR (the writer's own
//! tests are in src/emit/write.rs), output is byte-identical whatever the environment's order
//! or the machine, and secret values go only into Secret objects (or nowhere, with `--secrets
//! external`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh temporary folder for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kubeferry-trust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file below `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/trust")
        .join(name)
}

/// Run kubeferry in `dir` with exactly the variables given, in the order given.
fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubeferry"));
    c.current_dir(dir).env_clear();
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).output().expect("run kubeferry")
}

const ENV: &[(&str, &str)] = &[
    ("HOME", "/home/alice-7q"),
    ("USER", "alice-7q"),
    ("LOGNAME", "alice-7q"),
    ("DB_PASSWORD", "env-password-5a4b3c"),
    ("API_KEY", "env-api-key-1c2d3e"),
    ("LANG", "C.UTF-8"),
    ("TZ", "Europe/Paris"),
    ("PWD", "/somewhere/else"),
];

/// A copy of a fixture under a folder whose path names a user, as a home folder would.
fn copy_fixture(name: &str, tag: &str) -> PathBuf {
    let root = scratch(tag).join("home/alice-7q/projects");
    let dst = root.join(name);
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(fixture(name)).unwrap().flatten() {
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    dst
}

#[test]
fn output_is_byte_identical_across_runs_and_environment_orders() {
    let dir = copy_fixture("secrets", "determinism");
    let mut outputs = Vec::new();
    let mut env: Vec<(&str, &str)> = ENV.to_vec();
    for round in 0..4 {
        // A different order of the same variables each round.
        env.rotate_left(3);
        if round % 2 == 1 {
            env.reverse();
        }
        let out = dir.join(format!("out-{round}"));
        let o = run(&dir, &env, &["convert", "-o", out.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let stream = run(&dir, &env, &["convert", "-q"]);
        assert_eq!(stream.status.code(), Some(0));
        outputs.push((tree(&out), stream.stdout, stream.stderr));
    }
    for o in &outputs[1..] {
        assert_eq!(o, &outputs[0]);
    }
    // Nothing of the converting machine: not its folders, not the user's name.
    let (files, stream, _) = &outputs[0];
    let machine = dir.to_string_lossy().into_owned();
    for (name, bytes) in files
        .iter()
        .map(|(n, b)| (n.as_str(), b))
        .chain([("stdout", stream)])
    {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(&machine), "{name} names {machine}");
        assert!(!text.contains("alice-7q"), "{name} names the user");
        assert!(!text.contains("/home/"), "{name} carries a home folder");
        assert!(
            !text.contains(std::env::temp_dir().to_str().unwrap()),
            "{name}"
        );
    }
}

#[test]
fn an_absolute_bind_mount_gets_a_warning_and_stays_out_of_the_output() {
    let dir = copy_fixture("secrets", "bind");
    let o = run(&dir, ENV, &["convert"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("warning[L034]") && stderr.contains("`/srv/shared/data`"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("/srv/shared/data"));
}

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &x| (acc << 8) | x as u32) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}

/// The YAML documents of a stream, with their kind.
fn documents(stream: &str) -> Vec<(String, String)> {
    stream
        .split("\n---\n")
        .map(|d| {
            let kind = d
                .lines()
                .find_map(|l| l.strip_prefix("kind: "))
                .unwrap_or("")
                .to_string();
            (kind, d.to_string())
        })
        .collect()
}

const FILE_SECRET: &str = "file-secret-value-9f8e7d\n";
const ENV_SECRET: &str = "env-api-key-1c2d3e";

#[test]
fn secret_values_go_only_into_secret_objects() {
    let dir = fixture("secrets");
    let o = run(&dir, ENV, &["convert"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let docs = documents(&stdout);
    let encoded = [b64(FILE_SECRET), b64(ENV_SECRET)];
    let raw = [FILE_SECRET.trim_end(), ENV_SECRET];
    // Both values are in a Secret, base64-encoded as `data` requires.
    for e in &encoded {
        assert!(
            docs.iter()
                .any(|(k, d)| k == "Secret" && d.contains(e.as_str())),
            "{e} in no Secret"
        );
    }
    // …and nowhere else: not in ConfigMaps, workloads, annotations, Services.
    for (kind, d) in docs.iter().filter(|(k, _)| k != "Secret") {
        for v in raw
            .iter()
            .copied()
            .chain(encoded.iter().map(String::as_str))
        {
            assert!(!d.contains(v), "a secret value in a {kind}:\n{d}");
        }
    }
    // Never in a diagnostic, nor are the values of secret-looking variables.
    for v in raw
        .iter()
        .chain(&["env-password-5a4b3c", "literal-token-value-1234"])
    {
        assert!(!stderr.contains(v), "{v} in the diagnostics:\n{stderr}");
    }
}

#[test]
fn secrets_external_references_secrets_the_user_creates() {
    let dir = fixture("secrets");
    let o = run(&dir, ENV, &["convert", "--secrets", "external"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let docs = documents(&stdout);
    assert!(docs.iter().all(|(k, _)| k != "Secret"), "{stdout}");
    for v in [FILE_SECRET.trim_end(), ENV_SECRET] {
        assert!(
            !stdout.contains(v) && !stdout.contains(&b64(v)),
            "{v} in the output"
        );
        assert!(!stderr.contains(v), "{v} in the diagnostics");
    }
    assert!(!stdout.contains(&b64(FILE_SECRET)));
    // The warning says which Secret and key to create, one per secret.
    for (secret, key) in [("db-password", "db_password"), ("api-key", "api_key")] {
        let line = stderr
            .lines()
            .find(|l| {
                l.contains(&format!(
                    "create the Secret `{secret}` with the key `{key}`"
                ))
            })
            .unwrap_or_else(|| panic!("no warning for {secret}:\n{stderr}"));
        assert!(line.starts_with("warning[L023]: "), "{line}");
    }
    // The pod needs them: the references are not optional.
    let deployment = &docs.iter().find(|(k, _)| k == "Deployment").unwrap().1;
    assert!(deployment.contains("secretName: db-password"));
    assert!(deployment.contains("secretName: api-key"));
    assert!(!deployment.contains("optional: true"), "{deployment}");
}

#[test]
fn a_missing_secret_file_becomes_a_secret_to_create() {
    let dir = fixture("secrets");
    let tmp = scratch("missing-secret-file");
    std::fs::copy(dir.join("compose.yaml"), tmp.join("compose.yaml")).unwrap();
    std::fs::copy(dir.join("app.conf"), tmp.join("app.conf")).unwrap();
    let o = run(&tmp, ENV, &["convert"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "warning[L022]: secret `db_password`: cannot read its file `./db_password.txt`"
        ) && stderr.contains("--> compose.yaml:9:5 (services.api.secrets)")
            && stderr.contains("create the Secret `db-password` with the key `db_password`"),
        "{stderr}"
    );
    let docs = documents(&stdout);
    assert!(
        !docs
            .iter()
            .any(|(k, d)| k == "Secret" && d.contains("name: db-password"))
    );
    // Required, so the pod waits for the Secret instead of starting without it.
    let deployment = &docs.iter().find(|(k, _)| k == "Deployment").unwrap().1;
    let vol = deployment
        .split("- name: secret-db-password")
        .nth(1)
        .unwrap();
    assert!(
        !vol.lines().take(7).any(|l| l.contains("optional")),
        "{deployment}"
    );
    // --strict makes it fatal, and nothing is written.
    let out = tmp.join("out");
    let o = run(
        &tmp,
        ENV,
        &["convert", "--strict", "-o", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
}

#[test]
fn a_bad_option_writes_nothing() {
    // A PVC size that is not a quantity is refused before anything is read or written.
    let dir = copy_fixture("secrets", "check");
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  db:\n    image: postgres\n    volumes: [data:/var/lib/postgresql/data]\nvolumes:\n  data: {}\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = run(
        &dir,
        ENV,
        &[
            "convert",
            "--pvc-request-size",
            "lots",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--pvc-request-size")
            && stderr.contains("`lots` is not a Kubernetes quantity"),
        "{stderr}"
    );
    for bad in [
        ["--namespace", "Team_A"],
        ["--storage-class", "Fast SSD"],
        ["--gpu-node-selector", "gpu type=a100"],
    ] {
        let mut args = vec!["convert", "-o", out.to_str().unwrap()];
        args.extend(bad);
        let o = run(&dir, ENV, &args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(bad[0]), "{stderr}");
        assert!(!out.exists());
    }
    assert!(!out.exists());
}

#[test]
fn a_folder_of_this_machine_in_the_output_is_named_in_a_warning() {
    let dir = copy_fixture("secrets", "machine-path");
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    environment:\n      CFG: ${PWD}/conf.yaml\n  db:\n    image: postgres\n",
    )
    .unwrap();
    let pwd = dir.to_str().unwrap();
    let mut env = ENV.to_vec();
    env.retain(|(k, _)| *k != "PWD");
    env.push(("PWD", pwd));
    let o = run(&dir, &env, &["convert"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let e010: Vec<&str> = stderr.lines().filter(|l| l.contains("[E010]")).collect();
    assert_eq!(e010.len(), 1, "{stderr}");
    assert!(e010[0].contains("Deployment `web` contains"), "{}", e010[0]);
    // The plain fixture carries none.
    let o = run(&fixture("secrets"), ENV, &["convert"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("[E010]"));
}

#[test]
fn a_single_output_file_is_written_whole_or_not_at_all() {
    let dir = copy_fixture("secrets", "single-file");
    let out = dir.join("all.yaml");
    let o = run(&dir, ENV, &["convert", "-q", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let stream = run(&dir, ENV, &["convert", "-q"]).stdout;
    assert_eq!(std::fs::read(&out).unwrap(), stream);
    // A folder where the file should go: the write fails and leaves no temporary file.
    let blocked = dir.join("blocked.yaml");
    std::fs::create_dir_all(blocked.join("inside")).unwrap();
    let o = run(
        &dir,
        ENV,
        &["convert", "-q", "-o", blocked.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(blocked.join("inside").is_dir());
    assert!(!dir.join("blocked.yaml.kubeferry-tmp").exists());
}
