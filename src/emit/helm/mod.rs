//! The Helm layout: `Chart.yaml`, `values.yaml` (with `values.schema.json` and a README
//! listing them), `templates/NOTES.txt`, `templates/_helpers.tpl` and one template per object.
//!
//! The templates are the plain output with the settings people change per environment read
//! from the values ([`template`] says how): per service (keyed by Kubernetes name) replicas,
//! image (repository, tag, digest, pull policy), resources merged over the converted ones,
//! GPU count, environment variables merged over the converted ones, Service type and node
//! ports, Ingress hosts and TLS, node selector, tolerations, affinity and pod annotations; per
//! claim its size and storage class. Objects go to `.Release.Namespace` when the plain output
//! names a namespace; the Namespace object itself renders only with `createNamespace: true`.
//! With the default values the chart renders exactly the plain output (without the Namespace).
//!
//! No Secret value is in the chart: each Secret's template is wrapped in
//! `{{ if dig "secrets" "<name>" "create" true .Values.AsMap }}` … `{{ end }}` and takes its
//! `data` from `secretValues.<name>`, which rendering requires. The values are written to
//! `values-secrets.yaml`, which `.helmignore` and `.gitignore` keep out of packages and
//! commits: `helm install … -f values-secrets.yaml` renders the plain output; setting
//! `secrets.<name>.create: false` uses a Secret of that name created another way.

mod dialled;
mod meta;
mod prefix;
mod template;

use super::{OutputFile, to_value};
use crate::lower::Object;
use crate::yaml;
use serde_json::{Map, Value};
use template::Template;

/// The file with the values of the chart's Secrets, kept out of packages and commits.
pub const SECRET_VALUES: &str = "values-secrets.yaml";

/// The chart's files for `objects` of project `project`.
pub fn files(objects: &[Object], project: &str) -> Vec<OutputFile> {
    let mut values = Value::Object(Map::new());
    let mut secret_values = Map::new();
    let mut templates = Vec::new();
    let mut has_namespace = false;
    let mut names = prefix::Names::default();
    for o in objects {
        names.all.insert(o.name().to_string());
        if matches!(o, Object::Service(_)) {
            names.services.insert(o.name().to_string());
        }
    }
    for o in objects {
        let mut v = to_value(o);
        let secret = matches!(o, Object::Secret(_));
        if secret && let Some(data) = v.get("data") {
            secret_values.insert(o.name().to_string(), data.clone());
        }
        let plain = yaml::to_string(&v);
        let mut t = Template::new(&mut values, &names.services, &plain);
        t.prefix(&mut v, &names);
        if matches!(o, Object::ConfigMap(_)) {
            t.prefix_data(&mut v, &names);
        }
        let kind = o.kind();
        let wrapped = match o {
            Object::Secret(_) => t.secret(o.name(), &mut v),
            _ => false,
        };
        t.object(kind, o.name(), &mut v);
        let mut text = t.text(&v);
        if wrapped {
            text = format!(
                "{{{{ if {} }}}}\n{text}{{{{ end }}}}\n",
                dig_str(&["secrets", o.name(), "create"], "true")
            );
        }
        if matches!(o, Object::Namespace(_)) {
            // Helm's `--create-namespace` usually makes it; this one carries the Pod Security
            // labels.
            text = format!(
                "{{{{ if {} }}}}\n{text}{{{{ end }}}}\n",
                dig_str(&["createNamespace"], "false")
            );
            has_namespace = true;
        }
        text.insert_str(0, prefix::HEADER);
        templates.push(OutputFile {
            path: format!(
                "templates/{}-{}.yaml",
                o.name(),
                o.kind().to_ascii_lowercase()
            ),
            contents: text,
        });
    }
    sort_services(&mut values);
    values["releasePrefix"] = Value::Bool(false);
    if has_namespace {
        values["createNamespace"] = Value::Bool(false);
    }
    let chart = serde_json::json!({
        "apiVersion": "v2",
        "name": chart_name(project),
        "description": format!("The Compose project `{project}`, converted by kubeferry"),
        "type": "application",
        "version": "0.1.0",
    });
    let mut out = vec![
        OutputFile {
            path: "Chart.yaml".into(),
            contents: yaml::to_string(&chart),
        },
        OutputFile {
            path: "values.yaml".into(),
            contents: format!(
                "# Per-service settings, keyed by Kubernetes name. With these defaults the chart\n# renders exactly what `kubeferry convert` prints{}.\n{}",
                if secret_values.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (with `-f {SECRET_VALUES}`, which holds the\n# Secrets' values: this file holds none)"
                    )
                },
                yaml::to_string(&values)
            ),
        },
    ];
    out.push(OutputFile {
        path: "values.schema.json".into(),
        contents: meta::schema(&values),
    });
    out.push(OutputFile {
        path: "README.md".into(),
        contents: meta::readme(project, &values, !secret_values.is_empty()),
    });
    out.push(OutputFile {
        path: "templates/NOTES.txt".into(),
        contents: meta::notes(project),
    });
    out.push(OutputFile {
        path: "templates/_helpers.tpl".into(),
        contents: meta::HELPERS.into(),
    });
    out.extend(templates);
    if !secret_values.is_empty() {
        let ignore = format!(
            "# The values of the Secrets: never packaged nor committed.\n{SECRET_VALUES}\n"
        );
        out.push(OutputFile {
            path: ".helmignore".into(),
            contents: ignore.clone(),
        });
        out.push(OutputFile {
            path: ".gitignore".into(),
            contents: ignore,
        });
        out.push(OutputFile {
            path: SECRET_VALUES.into(),
            contents: format!(
                "# The values of the chart's Secrets, base64 as in a Secret's `data`. Keep this file out of\n# version control; install with `-f {SECRET_VALUES}`, or create the Secrets another way\n# and set `secrets.<name>.create: false` in values.yaml.\n{}",
                yaml::to_string(&serde_json::json!({ "secretValues": secret_values }))
            ),
        });
    }
    out
}

/// Services in name order, whatever order their objects came in.
fn sort_services(values: &mut Value) {
    if let Some(Value::Object(m)) = values.get_mut("services") {
        let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        m.extend(entries);
    }
}

/// Chart names are lowercase DNS-like words.
fn chart_name(project: &str) -> String {
    let n: String = project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let n = n.trim_matches('-');
    if n.is_empty() {
        "kubeferry".into()
    } else {
        n.to_string()
    }
}

/// A Go template string literal (JSON's escapes are Go's).
fn go_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// `v` as a Go template expression.
fn lit(v: &Value) -> String {
    let json = || go_str(&serde_json::to_string(v).unwrap_or_default());
    match v {
        Value::Null => "nil".into(),
        Value::Object(_) => format!("(fromJson {})", json()),
        Value::Array(_) => format!("(fromJsonArray {})", json()),
        _ => serde_json::to_string(v).unwrap_or_default(),
    }
}

/// `dig "k1" … DEFAULT .Values.AsMap`, for an `if`.
fn dig_str(path: &[&str], default: &str) -> String {
    let keys: Vec<String> = path.iter().map(|k| go_str(k)).collect();
    format!("dig {} {default} $.Values.AsMap", keys.join(" "))
}
