//! Renders a chart with Helm itself: the PyPI package helm-python-sdk (Helm v4's SDK) in the
//! virtualenv that scripts/secrets-check.sh and scripts/helm-check.sh set up
//! (`HELM_CHECK_VENV`, default ~/.cache/kubeferry-helm-venv). Where it is absent, [`helm`]
//! gives `None` with a note and the caller skips.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const SCRIPT: &str = r#"
import json, sys
import helm_python as helm
chart, values, ns = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
try:
    r = helm.Chart.load(chart).render(values=values, name="test", namespace=ns)
    text = "".join("---\n" + t + "\n" for p, t in sorted(r.items()) if not p.endswith(".txt"))
    print(json.dumps({"ok": text}))
except helm.HelmError as e:
    print(json.dumps({"err": str(e)}))
"#;

/// The virtualenv's Python, or `None` (with a note) when helm-python-sdk is not installed.
pub fn helm() -> Option<PathBuf> {
    let venv = std::env::var("HELM_CHECK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/kubeferry-helm-venv")
        });
    let python = venv.join("bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import helm_python"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else {
        eprintln!(
            "note: helm-python-sdk is absent ({}); Helm renders skipped",
            python.display()
        );
        None
    }
}

/// Render the chart made of `files` (relative path, text) with `values` into `namespace`: the
/// templates' output as one YAML stream, or Helm's error.
pub fn render<'a>(
    python: &std::path::Path,
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    values: &Value,
    namespace: &str,
) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    for (path, text) in files {
        let p = chart.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let vals = dir.path().join("values.json");
    std::fs::write(&vals, values.to_string()).unwrap();
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(&chart)
        .arg(&vals)
        .arg(namespace)
        .output()
        .expect("python runs");
    let r: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    match (&r["ok"], &r["err"]) {
        (Value::String(t), _) => Ok(t.clone()),
        (_, Value::String(e)) => Err(e.clone()),
        _ => Err(r.to_string()),
    }
}
