//! The real-world corpus through the built binary: every `ok` case of
//! `../shared/corpus/realworld/cases.tsv` must load, every `error` case must fail with a
//! diagnostic that names a file.
//!
//! The corpus lives outside this repository (in the `shared/` checkout that sits beside it in
//! CI and on developer machines): a checkout without it skips this test with a note, and CI,
//! where `.ci/run` provides it, fails. Each case runs as `../shared/corpus/run-oracle.sh`
//! runs the reference loader: from the case folder, with an environment holding only `PATH`,
//! `HOME`, `PWD` (the case folder) and the case's variables.

mod support;

use std::path::PathBuf;
use std::process::Command;

/// One row of `cases.tsv`.
struct Case {
    id: String,
    dir: String,
    files: Vec<String>,
    env_files: Vec<String>,
    profiles: Vec<String>,
    vars: Vec<(String, String)>,
    expect_ok: bool,
}

/// A `,`-separated list where `-` means none.
fn list(field: &str) -> Vec<String> {
    if field == "-" {
        Vec::new()
    } else {
        field.split(',').map(str::to_string).collect()
    }
}

fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 8 {
            return Err(format!(
                "cases.tsv line {}: expected 8 tab-separated fields, got {}",
                n + 1,
                f.len()
            ));
        }
        let vars = if f[5] == "-" {
            Vec::new()
        } else {
            f[5].split_whitespace()
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => Ok((k.to_string(), v.to_string())),
                    None => Err(format!("cases.tsv line {}: bad variable `{kv}`", n + 1)),
                })
                .collect::<Result<_, _>>()?
        };
        let expect_ok = match f[6] {
            "ok" => true,
            "error" => false,
            other => {
                return Err(format!(
                    "cases.tsv line {}: expect must be ok or error, got `{other}`",
                    n + 1
                ));
            }
        };
        cases.push(Case {
            id: f[0].to_string(),
            dir: f[1].to_string(),
            files: list(f[2]),
            env_files: list(f[3]),
            profiles: list(f[4]),
            vars,
            expect_ok,
        });
    }
    Ok(cases)
}

/// Whether stderr names a Compose or env file and carries an `error[...]` diagnostic.
fn names_a_file(stderr: &str) -> bool {
    let has_file = stderr
        .split(|c: char| c.is_whitespace() || matches!(c, ':' | '`' | '\'' | '"' | ','))
        .any(|w| {
            let w = w.trim_end_matches(['.', ')']);
            w.ends_with(".yml") || w.ends_with(".yaml") || w.ends_with(".env") || w == ".env"
        });
    has_file && stderr.contains("error[")
}

#[test]
fn realworld_corpus() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    let tsv = root.join("cases.tsv");
    if !tsv.is_file() {
        support::missing(
            &tsv.display().to_string(),
            "check out shared/ beside the repository",
        );
        return;
    }
    let root = root.canonicalize().expect("corpus folder");
    let text = std::fs::read_to_string(&tsv).expect("read cases.tsv");
    let cases = parse_cases(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(!cases.is_empty(), "cases.tsv has no cases");

    let bin = env!("CARGO_BIN_EXE_kubeferry");
    let path = std::env::var("PATH").unwrap_or_default();
    let home = std::env::var("HOME").unwrap_or_else(|_| "/".into());

    let mut failures: Vec<String> = Vec::new();
    let (mut ok_total, mut ok_pass, mut err_total, mut err_pass) = (0, 0, 0, 0);
    for case in &cases {
        let dir: PathBuf = root.join(&case.dir);
        let mut cmd = Command::new(bin);
        cmd.arg("config");
        for f in &case.files {
            cmd.args(["-f", f]);
        }
        for e in &case.env_files {
            cmd.args(["--env-file", e]);
        }
        for p in &case.profiles {
            cmd.args(["--profile", p]);
        }
        cmd.args(["--format", "json"])
            .current_dir(&dir)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", &home)
            .env("PWD", &dir)
            .envs(case.vars.iter().map(|(k, v)| (k, v)));
        let out = match cmd.output() {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!(
                    "{}: cannot run {bin} in {}: {e}",
                    case.id,
                    dir.display()
                ));
                continue;
            }
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first_error = stderr
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or_else(|| stderr.lines().next().unwrap_or(""));
        let code = out.status.code();
        if case.expect_ok {
            ok_total += 1;
            if code == Some(0) {
                ok_pass += 1;
            } else {
                failures.push(format!(
                    "{}: expected ok, exit {code:?}: {first_error}",
                    case.id
                ));
            }
        } else {
            err_total += 1;
            if code != Some(1) {
                failures.push(format!(
                    "{}: expected error (exit 1), got exit {code:?}",
                    case.id
                ));
            } else if !names_a_file(&stderr) {
                failures.push(format!(
                    "{}: error without an `error[...]` diagnostic naming a .yml/.yaml/.env file: {}",
                    case.id,
                    stderr.trim()
                ));
            } else {
                err_pass += 1;
            }
        }
    }
    println!(
        "corpus: {} cases; ok cases passing {ok_pass}/{ok_total}; error cases passing {err_pass}/{err_total}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} corpus case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn names_a_file_needs_a_file_and_an_error() {
    assert!(names_a_file(
        "error[C071]: extensions/fleet/fleet-compose.yml:39:9: services.x: bad"
    ));
    assert!(names_a_file("error[C021]: .env:3:1: bad line"));
    assert!(names_a_file(
        "error[C020]: cannot read env file `ci.env`: no such file"
    ));
    assert!(!names_a_file("error[C070]: services.x: no image"));
    assert!(!names_a_file("compose.yaml: something went wrong"));
}
