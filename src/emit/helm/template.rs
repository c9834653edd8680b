//! One object to one template: the plain object with the settings people change per
//! environment read from the values. Takes an object as JSON and the values built so far;
//! returns the template text and adds the object's defaults to the values.
//!
//! Every action reads the values with `dig … DEFAULT .Values.AsMap`, where DEFAULT is the
//! plain output's own setting: a value that is unset, or set to `null` (which Helm turns into
//! unset), renders the plain output, and nothing fails on a missing key (`helm lint
//! --strict`). Settings the plain output lacks (a node selector, an extra variable) are
//! whole lines that render only when set. The placeholders are words that occur nowhere
//! in the object's text, replaced after the text is written.

use super::{go_str, lit};
use serde_json::{Map, Value};

/// What replaces a placeholder.
enum Action {
    /// The scalar placeholder becomes this text.
    Inline(String),
    /// The line holding the placeholder (as a key, or as a list item) becomes this text, with
    /// `{ind}` the line's indentation; the text ends in a newline where it writes one.
    Line(String),
}

pub(super) struct Template<'a> {
    values: &'a mut Value,
    /// The chart's Service names, which environment values may dial.
    services: &'a std::collections::BTreeSet<String>,
    prefix: String,
    actions: Vec<Action>,
}

/// `(dig "k1" "k2" … DEFAULT .Values.AsMap)`.
fn dig(path: &[&str], default: &str) -> String {
    let keys: Vec<String> = path.iter().map(|k| go_str(k)).collect();
    format!("(dig {} {default} $.Values.AsMap)", keys.join(" "))
}

fn svc<'p>(name: &'p str, rest: &[&'p str]) -> Vec<&'p str> {
    let mut p = vec!["services", name];
    p.extend_from_slice(rest);
    p
}

/// The Service fields the API server accepts only for some types.
const NODE_PORT_TYPES: &str = "(list \"NodePort\" \"LoadBalancer\")";
const LB_ONLY: [&str; 3] = [
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "allocateLoadBalancerNodePorts",
];

impl<'a> Template<'a> {
    pub(super) fn new(
        values: &'a mut Value,
        services: &'a std::collections::BTreeSet<String>,
        plain: &str,
    ) -> Self {
        let mut prefix = "kfslot".to_string();
        while plain.contains(&prefix) {
            prefix.push('x');
        }
        Template {
            values,
            services,
            prefix,
            actions: Vec::new(),
        }
    }

    /// The template text of `v` after the rules changed it.
    pub(super) fn text(&self, v: &Value) -> String {
        let mut text = crate::yaml::to_string(v).replace("{{", "{{ \"{{\" }}");
        // Lines first: a line's text may hold an inline slot (an Ingress rule's backend name).
        let mut order: Vec<usize> = (0..self.actions.len()).collect();
        order.sort_by_key(|&i| matches!(self.actions[i], Action::Inline(_)));
        for i in order {
            let action = &self.actions[i];
            let slot = format!("{}{i}z", self.prefix);
            match action {
                Action::Inline(t) => {
                    // Inside a JSON literal (an Ingress rule's paths) the slot is quoted.
                    let quoted = format!("\"{slot}\"");
                    if text.contains(&quoted) {
                        text = text.replacen(&quoted, t, 1);
                    } else {
                        text = text.replacen(&slot, t, 1);
                    }
                }
                Action::Line(t) => {
                    // Found as a key or as a list item; a line before may end in an action.
                    let item = format!("- {slot}\n");
                    let (start, end) = if let Some(i) = text.find(&item) {
                        (i, i + item.len())
                    } else if let Some(i) = text.find(&format!("{slot}:")) {
                        (i, text[i..].find('\n').map_or(text.len(), |j| i + j + 1))
                    } else {
                        continue;
                    };
                    let from = text[..start].trim_end_matches(' ').len();
                    let ind = " ".repeat(start - from);
                    text.replace_range(from..end, &t.replace("{ind}", &ind));
                }
            }
        }
        text
    }

    /// Put `v` at `path` in the values unless something is there; whether the values now
    /// hold `v` there.
    pub(super) fn set(&mut self, path: &[&str], v: &Value) -> bool {
        let mut cur = &mut *self.values;
        for (i, k) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let Value::Object(m) = cur else {
                return false;
            };
            cur = m.entry(k.to_string()).or_insert_with(|| {
                if last {
                    v.clone()
                } else {
                    Value::Object(Map::new())
                }
            });
        }
        *cur == *v
    }

    fn placeholder(&mut self, a: Action) -> String {
        let p = format!("{}{}z", self.prefix, self.actions.len());
        self.actions.push(a);
        p
    }

    /// Replace `leaf` by an action.
    pub(super) fn inline(&mut self, leaf: &mut Value, text: String) {
        *leaf = Value::String(self.placeholder(Action::Inline(text)));
    }

    /// A line added to map `m`.
    pub(super) fn line(&mut self, m: &mut Value, text: String) {
        if let Value::Object(m) = m {
            let p = self.placeholder(Action::Line(text));
            m.insert(p, Value::Null);
        }
    }

    /// `leaf` read from the values at `path`, its plain value the default (and the value in
    /// values.yaml).
    fn pick(&mut self, leaf: &mut Value, path: &[&str]) {
        if self.set(path, leaf) {
            let t = format!("{{{{ toJson {} }}}}", dig(path, &lit(leaf)));
            self.inline(leaf, t);
        }
    }

    /// A setting the plain output may have at `m[field]`: read from the values at `path`
    /// (its default the plain value, else rendered only when set).
    fn optional(&mut self, m: &mut Value, field: &str, path: &[&str]) {
        match m.get_mut(field) {
            Some(leaf) => self.pick(leaf, path),
            None => {
                let t = format!(
                    "{{{{ with {} }}}}{{ind}}{field}: {{{{ toJson . }}}}\n{{{{ end }}}}",
                    dig(path, "nil")
                );
                self.line(m, t);
            }
        }
    }

    pub(super) fn object(&mut self, kind: &str, name: &str, v: &mut Value) {
        if let Some(ns) = v.pointer_mut("/metadata/namespace") {
            self.inline(ns, "{{ toJson .Release.Namespace }}".into());
        }
        match kind {
            "Deployment" | "StatefulSet" => {
                self.optional_replicas(name, v);
                self.pod(name, v.pointer_mut("/spec/template"));
            }
            // A `pre_start` Job keeps its hooks as written, as the per-replica ones in the
            // service's init containers: its values are the service's.
            "Job" if is_pre_start(v) => {}
            "DaemonSet" | "Job" => self.pod(name, v.pointer_mut("/spec/template")),
            "CronJob" => self.pod(name, v.pointer_mut("/spec/jobTemplate/spec/template")),
            "Service" => self.service(name, v),
            "Ingress" => self.ingress(name, v),
            "PersistentVolumeClaim" => self.claim(name, v),
            "Namespace" => {
                if let Some(n) = v.pointer_mut("/metadata/name") {
                    self.inline(n, "{{ toJson .Release.Namespace }}".into());
                }
            }
            _ => {}
        }
    }

    fn optional_replicas(&mut self, name: &str, v: &mut Value) {
        let path = svc(name, &["replicas"]);
        match v.pointer_mut("/spec/replicas") {
            Some(r) => self.pick(r, &path),
            None => {
                // Left out on purpose (an autoscaler owns the count): rendered only when set.
                if let Some(spec) = v.get_mut("spec") {
                    // `if`, not `with`: 0 is a count.
                    let r = dig(&path, "nil");
                    let t = format!(
                        "{{{{ if not (kindIs \"invalid\" {r}) }}}}{{ind}}replicas: {{{{ toJson {r} }}}}\n{{{{ end }}}}"
                    );
                    self.line(spec, t);
                }
            }
        }
    }

    /// Pod-level settings (keyed by the workload's name) and each container's (keyed by the
    /// container's name, which is its service's).
    fn pod(&mut self, name: &str, template: Option<&mut Value>) {
        let Some(template) = template else {
            return;
        };
        if let Some(meta) = template.get_mut("metadata") {
            let path = svc(name, &["podAnnotations"]);
            match meta.get_mut("annotations") {
                Some(a) => {
                    let t = format!(
                        "{{{{ toJson (mergeOverwrite {} {}) }}}}",
                        lit(a),
                        dig(&path, "(dict)")
                    );
                    self.inline(a, t);
                }
                None => {
                    let t = format!(
                        "{{{{ with {} }}}}{{ind}}annotations: {{{{ toJson . }}}}\n{{{{ end }}}}",
                        dig(&path, "nil")
                    );
                    self.line(meta, t);
                }
            }
        }
        let Some(spec) = template.get_mut("spec") else {
            return;
        };
        for field in ["nodeSelector", "tolerations", "affinity"] {
            self.optional(spec, field, &svc(name, &[field]));
        }
        let Some(Value::Array(containers)) = spec.get_mut("containers") else {
            return;
        };
        for c in containers {
            let Some(cname) = c.get("name").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            if let Some(image) = c.get_mut("image") {
                self.image(image, &cname);
            }
            self.optional(c, "imagePullPolicy", &svc(&cname, &["image", "pullPolicy"]));
            self.resources(c, &cname);
            self.env(c, &cname);
        }
    }

    fn image(&mut self, image: &mut Value, service: &str) {
        let Some(s) = image.as_str().map(str::to_string) else {
            return;
        };
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r.to_string(), d.to_string()),
            None => (s.clone(), String::new()),
        };
        let (repo, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') && i > 0 => {
                (rest[..i].to_string(), rest[i + 1..].to_string())
            }
            _ => (rest, String::new()),
        };
        let parts = [("repository", repo), ("tag", tag), ("digest", digest)];
        let mut ok = true;
        for (k, v) in &parts {
            ok &= self.set(&svc(service, &["image", k]), &Value::String(v.clone()));
        }
        if ok {
            let t = format!(
                "{{{{ include \"kubeferry.image\" (list {} {} {} {}) | toJson }}}}",
                dig(&svc(service, &["image"]), "(dict)"),
                go_str(&parts[0].1),
                go_str(&parts[1].1),
                go_str(&parts[2].1)
            );
            self.inline(image, t);
        }
    }

    /// Requests and limits merged over the plain ones; the GPU count is its own value.
    fn resources(&mut self, c: &mut Value, service: &str) {
        let path = svc(service, &["resources"]);
        let Some(r) = c.get_mut("resources") else {
            let t = format!(
                "{{{{ with {} }}}}{{ind}}resources: {{{{ toJson . }}}}\n{{{{ end }}}}",
                dig(&path, "nil")
            );
            return self.line(c, t);
        };
        let mut plain = r.clone();
        let mut gpu = Vec::new();
        for kind in ["limits", "requests"] {
            if let Some(Value::Object(q)) = plain.get_mut(kind) {
                let keys: Vec<String> = q.keys().filter(|k| k.ends_with("/gpu")).cloned().collect();
                for k in keys {
                    let amount = q.remove(&k).unwrap_or_default();
                    gpu.push((kind, k, amount));
                }
                if q.is_empty() {
                    plain.as_object_mut().map(|m| m.remove(kind));
                }
            }
        }
        if !self.set(&path, &plain) {
            return;
        }
        let mut gpus = String::new();
        for (kind, k, amount) in &gpu {
            let gp = svc(service, &["gpus"]);
            self.set(&gp, amount);
            gpus.push_str(&format!(
                " (dict {} (dict {} {}))",
                go_str(kind),
                go_str(k),
                dig(&gp, &lit(amount))
            ));
        }
        let t = format!(
            "{{{{ toJson (mergeOverwrite {} {}{gpus}) }}}}",
            lit(r),
            dig(&path, "(dict)")
        );
        self.inline(r, t);
    }

    /// Each variable's value from `env.<NAME>` (its plain value the default), and the names
    /// the plain output lacks appended.
    fn env(&mut self, c: &mut Value, service: &str) {
        let path = svc(service, &["env"]);
        // The map must be in values.yaml: `env: null` then unsets it instead of leaving a nil
        // that `dig` cannot walk through.
        self.set(&path, &Value::Object(Map::new()));
        let extra = |names: &[String], ind_item: &str| {
            let list: Vec<String> = names.iter().map(|n| go_str(n)).collect();
            format!(
                "{{{{ range $k, $v := {} }}}}{{{{ if and (not (has $k (list {}))) (not (kindIs \"invalid\" $v)) }}}}{{ind}}{ind_item}- name: {{{{ toJson $k }}}}\n{{ind}}{ind_item}  value: {{{{ toJson (toString $v) }}}}\n{{{{ end }}}}{{{{ end }}}}",
                dig(&path, "(dict)"),
                list.join(" ")
            )
        };
        let Some(Value::Array(env)) = c.get_mut("env") else {
            let t = format!(
                "{{{{ if {} }}}}{{ind}}env:\n{}{{{{ end }}}}",
                dig(&path, "(dict)"),
                extra(&[], "  ")
            );
            return self.line(c, t);
        };
        let mut names = Vec::new();
        for e in env.iter_mut() {
            let Some(n) = e.get("name").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            if let Some(val) = e.get_mut("value") {
                let p = svc(service, &["env", &n]);
                if self.set(&p, val) {
                    let plain = lit(val);
                    let got = dig(&p, &plain);
                    // A value that dials a Service takes the release prefix while unchanged.
                    let t = match val
                        .as_str()
                        .and_then(|v| super::dialled::dialled(v, Some(&n), self.services))
                    {
                        Some(e) => format!(
                            "{{{{ toJson (ternary {e} (toString {got}) (eq (toString {got}) {plain})) }}}}"
                        ),
                        None => format!("{{{{ toJson (toString {got}) }}}}"),
                    };
                    self.inline(val, t);
                }
            }
            names.push(n);
        }
        let p = self.placeholder(Action::Line(extra(&names, "")));
        env.push(Value::String(p));
    }

    fn service(&mut self, name: &str, v: &mut Value) {
        let Some(spec) = v.get_mut("spec") else {
            return;
        };
        if spec.get("clusterIP").and_then(Value::as_str) == Some("None") {
            return; // headless: no other type makes sense
        }
        let tpath = svc(name, &["service", "type"]);
        let plain_type = spec
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string();
        if !self.set(&tpath, &Value::String(plain_type.clone())) {
            return;
        }
        let ty = dig(&tpath, &go_str(&plain_type));
        match spec.get_mut("type") {
            Some(t) => self.inline(t, format!("{{{{ toJson {ty} }}}}")),
            None => {
                let t = format!(
                    "{{{{ if ne {ty} \"ClusterIP\" }}}}{{ind}}type: {{{{ toJson {ty} }}}}\n{{{{ end }}}}"
                );
                self.line(spec, t);
            }
        }
        // Fields the API server refuses for other types follow the type.
        let fields: Vec<(String, &str)> =
            std::iter::once(("externalTrafficPolicy".to_string(), NODE_PORT_TYPES))
                .chain(
                    LB_ONLY
                        .iter()
                        .map(|f| (f.to_string(), "(list \"LoadBalancer\")")),
                )
                .collect();
        for (field, types) in fields {
            if let Some(val) = spec.as_object_mut().and_then(|m| m.remove(&field)) {
                let t = format!(
                    "{{{{ if has {ty} {types} }}}}{{ind}}{field}: {}\n{{{{ end }}}}",
                    serde_json::to_string(&val)
                        .unwrap_or_default()
                        .replace("{{", "{{ \"{{\" }}")
                );
                self.line(spec, t);
            }
        }
        let Some(Value::Array(ports)) = spec.get_mut("ports") else {
            return;
        };
        for port in ports {
            let Some(pname) = port.get("name").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            let np = svc(name, &["service", "nodePorts", &pname]);
            let plain = port.get("nodePort").cloned();
            if let Some(n) = &plain
                && !self.set(&np, n)
            {
                continue;
            }
            port.as_object_mut().map(|m| m.remove("nodePort"));
            let t = format!(
                "{{{{ if has {ty} {NODE_PORT_TYPES} }}}}{{{{ with {} }}}}{{ind}}nodePort: {{{{ toJson . }}}}\n{{{{ end }}}}{{{{ end }}}}",
                dig(&np, &plain.as_ref().map_or("nil".into(), lit))
            );
            self.line(port, t);
        }
    }

    /// All hosts from `ingress.hosts` (a host beyond the plain ones takes the last rule's
    /// paths), TLS for all of them with `ingress.tlsSecretName`.
    fn ingress(&mut self, name: &str, v: &mut Value) {
        let Some(spec) = v.get_mut("spec") else {
            return;
        };
        let Some(Value::Array(rules)) = spec.get("rules") else {
            return;
        };
        let mut hosts = Vec::new();
        let mut https = Vec::new();
        for r in rules {
            let (Some(h), Some(http)) = (r.get("host").and_then(Value::as_str), r.get("http"))
            else {
                return;
            };
            if r.as_object().is_some_and(|m| m.len() != 2) {
                return;
            }
            hosts.push(Value::String(h.into()));
            https.push(
                serde_json::to_string(http)
                    .unwrap_or_default()
                    .replace("{{", "{{ \"{{\" }}"),
            );
        }
        let tls_secret = match spec.get("tls") {
            None => Some(String::new()),
            Some(Value::Array(t)) if t.len() == 1 => {
                let same_hosts = t[0].get("hosts") == Some(&Value::Array(hosts.clone()));
                let secret = t[0].get("secretName").and_then(Value::as_str);
                match (
                    same_hosts && t[0].as_object().is_some_and(|m| m.len() == 2),
                    secret,
                ) {
                    (true, Some(s)) => Some(s.to_string()),
                    _ => None,
                }
            }
            _ => None,
        };
        let hpath = svc(name, &["ingress", "hosts"]);
        let hosts = Value::Array(hosts);
        if https.is_empty() || !self.set(&hpath, &hosts) {
            return;
        }
        let all = dig(&hpath, &lit(&hosts));
        if https.iter().all(|h| *h == https[0]) {
            https.truncate(1);
        }
        let mut http = String::new();
        for (i, h) in https.iter().enumerate().take(https.len() - 1) {
            http.push_str(&format!(
                "{{{{ {}if eq $i {i} }}}}{h}",
                if i == 0 { "" } else { "else " }
            ));
        }
        if https.len() > 1 {
            http.push_str(&format!(
                "{{{{ else }}}}{}{{{{ end }}}}",
                https[https.len() - 1]
            ));
        } else {
            http.push_str(&https[0]);
        }
        spec.as_object_mut().map(|m| m.remove("rules"));
        let t = format!(
            "{{ind}}rules:\n{{{{ range $i, $h := {all} }}}}{{ind}}  - host: {{{{ toJson $h }}}}\n{{ind}}    http: {http}\n{{{{ end }}}}"
        );
        self.line(spec, t);
        if let Some(secret) = tls_secret {
            let sp = svc(name, &["ingress", "tlsSecretName"]);
            let secret = Value::String(secret);
            if self.set(&sp, &secret) {
                spec.as_object_mut().map(|m| m.remove("tls"));
                let t = format!(
                    "{{{{ with {} }}}}{{ind}}tls:\n{{ind}}  - hosts: {{{{ toJson {all} }}}}\n{{ind}}    secretName: {{{{ toJson . }}}}\n{{{{ end }}}}",
                    dig(&sp, &lit(&secret))
                );
                self.line(spec, t);
            }
        }
    }

    /// A claim's size and storage class from `persistence.<claim>`.
    fn claim(&mut self, name: &str, v: &mut Value) {
        if let Some(size) = v.pointer_mut("/spec/resources/requests/storage") {
            self.pick(size, &["persistence", name, "size"]);
        }
        if let Some(spec) = v.get_mut("spec") {
            self.optional(
                spec,
                "storageClassName",
                &["persistence", name, "storageClass"],
            );
        }
    }

    /// The Secret's `data` read from `secretValues` (never in values.yaml), created unless
    /// `secrets.<name>.create` is false; whether it is templated so.
    pub(super) fn secret(&mut self, name: &str, v: &mut Value) -> bool {
        if !self.set(&["secrets", name, "create"], &Value::Bool(true)) {
            return false;
        }
        self.set(&["secretValues"], &Value::Object(Map::new()));
        if let Some(data) = v.get_mut("data") {
            let msg = format!(
                "the values of Secret {name}: install with -f {}, or set secrets.{name}.create=false and create it",
                super::SECRET_VALUES
            );
            let t = format!(
                "{{{{ toJson (required {} {}) }}}}",
                go_str(&msg),
                dig(&["secretValues", name], "nil")
            );
            self.inline(data, t);
        }
        true
    }
}

/// Whether `v` is the Job of a service's run-once `pre_start` hooks.
fn is_pre_start(v: &Value) -> bool {
    let component = crate::lower::names::COMPONENT;
    v.pointer("/metadata/labels")
        .and_then(|l| l.get(component))
        .and_then(Value::as_str)
        == Some(crate::lower::PRE_START_COMPONENT)
}
