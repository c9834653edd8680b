//! Loader fixtures: each `fixtures/load/<case>/compose.yaml` is loaded through the library and
//! the result is snapshotted.
//!
//! A case folder holds `compose.yaml`, any files it refers to (a `.env` for the variables it
//! interpolates, env files, extended or included files) and, when the case needs command-line
//! flags, an `args` file with one argument per line (`-f`, `--env-file`, `--profile`,
//! `--project-name`, `--project-directory`, `--lenient`, and `--env NAME=VALUE` for a variable of
//! the process environment). Without `-f` the loader discovers `compose.yaml` in
//! the case folder, as `kubeferry config` does.
//!
//! The snapshot is what `kubeferry config --format json` prints (with `$` written `$$`), as
//! YAML, followed by the warnings; for a case that fails to load it is the errors. Absolute
//! paths under the case folder are written relative to it (`./…`) so snapshots do not depend
//! on where the repository is checked out. Every snapshot was checked against Docker Compose
//! 2.40.3 (`compose config --format json` run from the case folder with HOME=/home/user).

use kubeferry::compose::{LoadOptions, RealFs, load};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// The `args` file of a case, read into the options the CLI would build from it.
fn options(case_dir: &Path) -> LoadOptions {
    let dir = case_dir.to_str().expect("UTF-8 fixture path").to_string();
    let mut opts = LoadOptions {
        working_dir: dir,
        // Only what the case needs: variables come from the case's `.env`.
        environment: BTreeMap::from([("HOME".to_string(), "/home/user".to_string())]),
        ..LoadOptions::default()
    };
    let args = match std::fs::read_to_string(case_dir.join("args")) {
        Ok(text) => text,
        Err(_) => return opts,
    };
    let mut it = args.lines().map(str::trim).filter(|l| !l.is_empty());
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| panic!("{}: `{flag}` needs a value", case_dir.display()))
                .to_string()
        };
        match flag {
            "-f" | "--file" => opts.files.push(value()),
            "--env-file" => opts.env_files.push(value()),
            "--profile" => opts.profiles.push(value()),
            "-p" | "--project-name" => opts.project_name = Some(value()),
            "--project-directory" => opts.project_directory = Some(value()),
            "--lenient" => opts.unknown_keys = kubeferry::compose::UnknownKeys::Warn,
            // A variable of the process environment (`--env NAME=VALUE`, test-only).
            "--env" => {
                let kv = value();
                let (k, v) = kv.split_once('=').expect("--env NAME=VALUE");
                opts.environment.insert(k.into(), v.into());
            }
            other => panic!(
                "{}: unsupported argument `{other}` in args",
                case_dir.display()
            ),
        }
    }
    opts
}

/// Replace the case folder's absolute path by `.` in every string and key.
fn relativize(v: &mut Value, dir: &str) {
    match v {
        Value::String(s) if s.contains(dir) => *s = s.replace(dir, "."),
        Value::Array(a) => a.iter_mut().for_each(|x| relativize(x, dir)),
        Value::Object(o) => {
            let old = std::mem::take(o);
            *o = old
                .into_iter()
                .map(|(k, mut x)| {
                    relativize(&mut x, dir);
                    (k.replace(dir, "."), x)
                })
                .collect::<Map<_, _>>();
        }
        _ => {}
    }
}

/// As `kubeferry config` prints it: `$` doubled so the output reads back unchanged.
fn escape_dollars(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        Value::Array(a) => a.iter_mut().for_each(escape_dollars),
        Value::Object(o) => o.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

fn render(case_dir: &Path) -> Value {
    let opts = options(case_dir);
    let dir = opts.working_dir.clone();
    let mut out = match load(&opts, &RealFs::default()) {
        Ok(loaded) => {
            let mut project = serde_json::to_value(&loaded.project).expect("project to JSON");
            escape_dollars(&mut project);
            let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
            json!({ "project": project, "warnings": warnings })
        }
        Err(failure) => {
            let errors: Vec<String> = failure.0.iter().map(|e| e.to_string()).collect();
            json!({ "errors": errors })
        }
    };
    relativize(&mut out, &dir);
    out
}

#[test]
fn load_fixtures() {
    insta::glob!("../fixtures", "load/*/compose.yaml", |path| {
        let case_dir = path.parent().expect("case folder");
        insta::assert_yaml_snapshot!(render(case_dir));
    });
}
