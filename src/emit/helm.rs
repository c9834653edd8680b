//! The Helm layout: `Chart.yaml`, `values.yaml` and one template per object.
//!
//! The templates are the plain output with the values people change per environment moved to
//! `values.yaml`, per service (keyed by Kubernetes name): image repository and tag, replicas,
//! resource quantities, GPU count, Service type, Ingress hosts and environment values. With
//! the default values the chart renders exactly the plain output. The templates use only
//! three forms of action, so that any renderer of the Go template language agrees:
//! `{{ toJson (index .Values "k" …) }}` (a value of any type, written as JSON, which is YAML),
//! `{{ index .Values "k" … }}` (inside a quoted image reference) and `{{ "{{" }}` (a literal
//! `{{` of the Compose file, which must not be read as an action).
//!
//! No Secret value is in the chart: each Secret's template is wrapped in
//! `{{ if index .Values "secrets" "<name>" "create" }}` … `{{ end }}` and takes its `data`
//! from `{{ toJson (required "…" (index .Values "secretValues" "<name>")) }}`. The values are
//! written to `values-secrets.yaml`, which `.helmignore` and `.gitignore` keep out of packages
//! and commits: `helm install … -f values-secrets.yaml` renders the plain output; setting
//! `secrets.<name>.create: false` uses a Secret of that name created another way.

use super::{OutputFile, to_value, yaml};
use crate::lower::Object;
use serde_json::{Map, Value};

/// One step of a path into `values.yaml`.
#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Idx(usize),
}

/// What replaces a placeholder.
enum Action {
    /// The value at the path, as JSON.
    Json(Vec<Seg>),
    /// `"repository:tag"` from two string values.
    Image(Vec<Seg>, Vec<Seg>),
    /// The value at the path, as JSON; rendering fails with the message when it is unset.
    Required(Vec<Seg>, String),
}

/// The file with the values of the chart's Secrets, kept out of packages and commits.
pub const SECRET_VALUES: &str = "values-secrets.yaml";

struct Chart {
    values: Value,
    prefix: String,
    actions: Vec<Action>,
}

/// The chart's files for `objects` of project `project`.
pub fn files(objects: &[Object], project: &str) -> Vec<OutputFile> {
    let mut values = Value::Object(Map::new());
    let mut secret_values = Map::new();
    let mut templates = Vec::new();
    for o in objects {
        let mut v = to_value(o);
        let secret = matches!(o, Object::Secret(_));
        if secret && let Some(data) = v.get("data") {
            secret_values.insert(o.name().to_string(), data.clone());
        }
        let plain = yaml::to_string(&v);
        // A placeholder prefix that occurs nowhere in the object's own text.
        let mut prefix = "kfslot".to_string();
        while plain.contains(&prefix) {
            prefix.push('x');
        }
        let mut chart = Chart {
            values,
            prefix,
            actions: Vec::new(),
        };
        chart.object(o, &mut v);
        values = chart.values;
        let mut text = yaml::to_string(&v).replace("{{", "{{ \"{{\" }}");
        for (i, action) in chart.actions.iter().enumerate() {
            let slot = format!("{}{i}z", chart.prefix);
            text = text.replacen(&slot, &render_action(action), 1);
        }
        if secret {
            text = format!(
                "{{{{ if index {} }}}}\n{text}{{{{ end }}}}\n",
                go_args(&key(&["secrets", o.name(), "create"]))
            );
        }
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

/// Whether a key can be written inside a Go template string literal without escapes.
fn safe_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| !c.is_control() && c != '"' && c != '\\')
}

fn go_args(path: &[Seg]) -> String {
    let mut s = String::from(".Values");
    for seg in path {
        match seg {
            Seg::Key(k) => s.push_str(&format!(" \"{k}\"")),
            Seg::Idx(i) => s.push_str(&format!(" {i}")),
        }
    }
    s
}

fn render_action(a: &Action) -> String {
    match a {
        Action::Json(p) => format!("{{{{ toJson (index {}) }}}}", go_args(p)),
        Action::Required(p, msg) => format!(
            "{{{{ toJson (required \"{msg}\" (index {})) }}}}",
            go_args(p)
        ),
        Action::Image(r, t) => format!(
            "\"{{{{ index {} }}}}:{{{{ index {} }}}}\"",
            go_args(r),
            go_args(t)
        ),
    }
}

fn key(parts: &[&str]) -> Vec<Seg> {
    parts.iter().map(|p| Seg::Key(p.to_string())).collect()
}

impl Chart {
    /// Put `v` at `path` in the values; false when the path already holds something else (or
    /// cannot be written), in which case the leaf stays literal.
    fn set(&mut self, path: &[Seg], v: &Value) -> bool {
        if !path.iter().all(|s| match s {
            Seg::Key(k) => safe_key(k),
            Seg::Idx(_) => true,
        }) {
            return false;
        }
        let mut cur = &mut self.values;
        for (i, seg) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let next = match (seg, cur) {
                (Seg::Key(k), Value::Object(m)) => {
                    if !m.contains_key(k) {
                        let fresh = match (last, &path.get(i + 1)) {
                            (true, _) => v.clone(),
                            (false, Some(Seg::Idx(_))) => Value::Array(Vec::new()),
                            (false, _) => Value::Object(Map::new()),
                        };
                        m.insert(k.clone(), fresh);
                    }
                    m.get_mut(k)
                }
                (Seg::Idx(n), Value::Array(a)) => {
                    if a.len() == *n {
                        a.push(if last {
                            v.clone()
                        } else {
                            Value::Object(Map::new())
                        });
                    }
                    a.get_mut(*n)
                }
                _ => None,
            };
            match next {
                Some(n) => cur = n,
                None => return false,
            }
        }
        *cur == *v
    }

    fn placeholder(&self) -> Value {
        Value::String(format!("{}{}z", self.prefix, self.actions.len()))
    }

    /// Move `leaf` to the values at `path`, leaving a placeholder in the template.
    fn slot(&mut self, leaf: &mut Value, path: Vec<Seg>) {
        if self.set(&path, leaf) {
            *leaf = self.placeholder();
            self.actions.push(Action::Json(path));
        }
    }

    fn object(&mut self, o: &Object, v: &mut Value) {
        let name = o.name().to_string();
        match o {
            Object::Deployment(_) | Object::StatefulSet(_) => {
                if let Some(r) = v.pointer_mut("/spec/replicas") {
                    self.slot(r, key(&["services", &name, "replicas"]));
                }
                self.pod(v.pointer_mut("/spec/template/spec"));
            }
            Object::DaemonSet(_) | Object::Job(_) => {
                self.pod(v.pointer_mut("/spec/template/spec"));
            }
            Object::CronJob(_) => {
                self.pod(v.pointer_mut("/spec/jobTemplate/spec/template/spec"));
            }
            Object::Service(_) => {
                if let Some(t) = v.pointer_mut("/spec/type") {
                    self.slot(t, key(&["services", &name, "serviceType"]));
                }
            }
            Object::Ingress(_) => self.ingress(&name, v),
            Object::Secret(_) => self.secret(&name, v),
            _ => {}
        }
    }

    /// The Secret's `data` read from `secretValues` (never in values.yaml), created unless
    /// `secrets.<name>.create` is false.
    fn secret(&mut self, name: &str, v: &mut Value) {
        let create = key(&["secrets", name, "create"]);
        if !safe_key(name) || !self.set(&create, &Value::Bool(true)) {
            return;
        }
        self.set(&key(&["secretValues"]), &Value::Object(Map::new()));
        if let Some(data) = v.get_mut("data") {
            *data = self.placeholder();
            self.actions.push(Action::Required(
                key(&["secretValues", name]),
                format!("the values of Secret {name}: install with -f {SECRET_VALUES}, or set secrets.{name}.create=false and create it"),
            ));
        }
    }

    fn pod(&mut self, spec: Option<&mut Value>) {
        let Some(Value::Array(containers)) = spec.and_then(|s| s.get_mut("containers")) else {
            return;
        };
        for c in containers {
            let Some(cname) = c.get("name").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            let base = ["services", cname.as_str()];
            if let Some(image) = c.get_mut("image") {
                self.image(image, &base);
            }
            for kind in ["limits", "requests"] {
                if let Some(Value::Object(q)) = c.pointer_mut(&format!("/resources/{kind}")) {
                    for (res, amount) in q.iter_mut() {
                        let path = if res.ends_with("/gpu") {
                            key(&["services", &cname, "gpus"])
                        } else {
                            key(&["services", &cname, "resources", kind, res])
                        };
                        self.slot(amount, path);
                    }
                }
            }
            if let Some(Value::Array(env)) = c.get_mut("env") {
                for e in env {
                    let Some(n) = e.get("name").and_then(Value::as_str).map(str::to_string) else {
                        continue;
                    };
                    if let Some(val) = e.get_mut("value") {
                        self.slot(val, key(&["services", &cname, "env", &n]));
                    }
                }
            }
        }
    }

    fn image(&mut self, image: &mut Value, base: &[&str; 2]) {
        let Some(s) = image.as_str().map(str::to_string) else {
            return;
        };
        let simple = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':'));
        let split = s
            .rfind(':')
            .filter(|&i| simple && !s[i..].contains('/') && i > 0 && i + 1 < s.len());
        let Some(i) = split else {
            return self.slot(image, key(&[base[0], base[1], "image"]));
        };
        let repo = key(&[base[0], base[1], "image", "repository"]);
        let tag = key(&[base[0], base[1], "image", "tag"]);
        if self.set(&repo, &Value::String(s[..i].into()))
            && self.set(&tag, &Value::String(s[i + 1..].into()))
        {
            *image = self.placeholder();
            self.actions.push(Action::Image(repo, tag));
        }
    }

    fn ingress(&mut self, name: &str, v: &mut Value) {
        let mut hosts: Vec<String> = Vec::new();
        if let Some(Value::Array(rules)) = v.pointer_mut("/spec/rules") {
            for r in rules {
                if let Some(h) = r.get_mut("host") {
                    let i = hosts.len();
                    hosts.push(h.as_str().unwrap_or_default().to_string());
                    self.slot(
                        h,
                        vec![
                            Seg::Key("services".into()),
                            Seg::Key(name.into()),
                            Seg::Key("ingressHosts".into()),
                            Seg::Idx(i),
                        ],
                    );
                }
            }
        }
        // TLS hosts follow the rule host they repeat, so one value changes both.
        if let Some(Value::Array(tls)) = v.pointer_mut("/spec/tls") {
            for t in tls {
                if let Some(Value::Array(th)) = t.get_mut("hosts") {
                    for h in th {
                        if let Some(i) = hosts.iter().position(|x| Some(x.as_str()) == h.as_str()) {
                            self.slot(
                                h,
                                vec![
                                    Seg::Key("services".into()),
                                    Seg::Key(name.into()),
                                    Seg::Key("ingressHosts".into()),
                                    Seg::Idx(i),
                                ],
                            );
                        }
                    }
                }
            }
        }
    }
}
