//! The project's own check of every object before it is written: names, labels, selectors,
//! ports, quantities and references between the objects.
//!
//! Takes the final objects (after hardening) and the references the lowering left for the user
//! to satisfy ([`External`]); returns nothing, or one error per problem. Objects are checked in
//! their serialised form, so what is checked is exactly what would be written. A failure is a
//! kubeferry bug (the lowering should never produce such an object), so the message says so
//! and names the object.

use super::to_value;
use crate::diag::{Diagnostic, Failure, Location};
use crate::lower::{External, Object};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Check every object; `Err` lists each problem with the object it was found in.
pub fn check(objects: &[Object], external: &External) -> Result<(), Failure> {
    check_each(objects, external, |_, _| {})
}

/// [`check`], where `each` sees every object's serialised form once, right after it was checked: the other
/// output scans ([`super::leaks`]) share the one serialisation instead of making their own,
/// and only one object's tree is alive at a time.
pub fn check_each(
    objects: &[Object],
    external: &External,
    mut each: impl FnMut(&Object, &Value),
) -> Result<(), Failure> {
    let mut c = Checker {
        errors: Vec::new(),
        kind: "",
        name: String::new(),
        index: Index::new(objects, external),
    };
    for o in objects {
        let v = to_value(o);
        c.kind = o.kind();
        c.name = o.name().to_string();
        c.object(&v);
        each(o, &v);
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(Failure(c.errors))
    }
}

/// A pod template's labels and its containers' named ports.
type Pod = (BTreeMap<String, String>, BTreeSet<String>);

/// What the references of one object may point at, read from the typed objects.
struct Index<'a> {
    names: BTreeSet<(&'a str, &'a str)>,
    external: &'a External,
    /// Labels of every pod template, with the container ports (by name) of that pod.
    pods: Vec<Pod>,
    /// Pods by their `app.kubernetes.io/name` label, so a selector naming it looks at its
    /// own pods only (scanning every pod per Service is quadratic in large projects).
    pods_by_name: std::collections::HashMap<String, Vec<usize>>,
    /// Service name → its port numbers and names.
    services: BTreeMap<&'a str, (BTreeSet<i64>, BTreeSet<String>)>,
}

impl<'a> Index<'a> {
    fn new(objects: &'a [Object], external: &'a External) -> Self {
        let mut names = BTreeSet::new();
        let mut pods = Vec::new();
        let mut services = BTreeMap::new();
        for o in objects {
            names.insert((o.kind(), o.name()));
            if let Some(t) = o.pod_template() {
                let labels = t
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.clone())
                    .unwrap_or_default();
                let ports = t
                    .spec
                    .iter()
                    .flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers))
                    .flat_map(|c| c.ports.iter().flatten())
                    .filter_map(|p| p.name.clone())
                    .collect();
                pods.push((labels, ports));
            }
            if let Object::Service(s) = o {
                let ports = s.spec.iter().flat_map(|s| s.ports.iter().flatten());
                services.insert(
                    o.name(),
                    (
                        ports.clone().map(|p| i64::from(p.port)).collect(),
                        ports.filter_map(|p| p.name.clone()).collect(),
                    ),
                );
            }
        }
        let mut pods_by_name: std::collections::HashMap<String, Vec<usize>> = Default::default();
        for (i, (labels, _)) in pods.iter().enumerate() {
            if let Some(n) = labels.get(crate::lower::names::NAME) {
                pods_by_name.entry(n.clone()).or_default().push(i);
            }
        }
        Index {
            names,
            external,
            pods,
            pods_by_name,
            services,
        }
    }

    fn has(&self, kind: &str, name: &str) -> bool {
        self.names.contains(&(kind, name))
    }

    /// The named container ports of the pods a selector picks (`None`: it picks none).
    fn selected(&self, selector: &BTreeMap<String, String>) -> Option<BTreeSet<String>> {
        let mut hit = false;
        let mut ports = BTreeSet::new();
        let candidates: Box<dyn Iterator<Item = &Pod>> =
            match selector.get(crate::lower::names::NAME) {
                Some(n) => Box::new(
                    self.pods_by_name
                        .get(n)
                        .into_iter()
                        .flatten()
                        .filter_map(|&i| self.pods.get(i)),
                ),
                None => Box::new(self.pods.iter()),
            };
        for (labels, p) in candidates {
            if selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                hit = true;
                ports.extend(p.iter().cloned());
            }
        }
        hit.then_some(ports)
    }
}

struct Checker<'a> {
    errors: Vec<Diagnostic>,
    kind: &'static str,
    name: String,
    index: Index<'a>,
}

fn items(v: &Value) -> Vec<&Value> {
    v.as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The pod template of a workload kind.
fn template<'v>(kind: &str, v: &'v Value) -> Option<&'v Value> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some(&v["spec"]["template"]),
        "CronJob" => Some(&v["spec"]["jobTemplate"]["spec"]["template"]),
        _ => None,
    }
}

/// The template path of [`template`], for messages.
fn template_path(kind: &str) -> &'static str {
    if kind == "CronJob" {
        "spec.jobTemplate.spec.template"
    } else {
        "spec.template"
    }
}

/// A DNS-1123 label: lowercase alphanumerics and `-`, alphanumeric at both ends, 1–63.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A DNS-1035 label: a DNS-1123 label that starts with a letter.
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// An IANA service name (container and Service port names): 1–15 lowercase alphanumerics and
/// `-`, at least one letter, no `-` at either end or twice in a row.
pub fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// A label value: empty, or 1–63 of `[A-Za-z0-9._-]`, alphanumeric at both ends.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A label or annotation key: `[DNS subdomain/]name`, name 1–63 of `[A-Za-z0-9._-]`,
/// alphanumeric at both ends.
pub fn is_qualified_key(k: &str) -> bool {
    let (prefix, name) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    !name.is_empty() && is_label_value(name) && prefix.is_none_or(is_dns_subdomain)
}

/// A Kubernetes resource quantity: a signed decimal number, then a binary (`Ki`…`Ei`), decimal
/// (`n u m k M G T P E`) or exponent (`e3`) suffix.
pub fn is_quantity(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(digits_end);
    let num_ok = !num.is_empty()
        && num != "."
        && num.matches('.').count() <= 1
        && num.bytes().any(|b| b.is_ascii_digit());
    let suffix_ok = matches!(
        suffix,
        "" | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
            | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
        .is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    num_ok && suffix_ok
}

impl Checker<'_> {
    fn fail(&mut self, path: &str, problem: String) {
        self.errors.push(Diagnostic::error(
            "E100",
            Location::new("<output>", 0, 0, format!("{} {}: {path}", self.kind, self.name)),
            format!(
                "internal error: the output check rejects {} `{}`: {problem}; nothing was written. This is a kubeferry bug: please report it with the Compose file",
                self.kind, self.name
            ),
        ));
    }

    fn object(&mut self, v: &Value) {
        self.metadata(&v["metadata"], "metadata");
        let kind = self.kind;
        if let Some(t) = template(kind, v) {
            let tp = template_path(kind);
            self.labels(&t["metadata"]["labels"], &format!("{tp}.metadata.labels"));
            // A StatefulSet's claim templates are volumes of its pods too.
            let claims: Vec<String> = items(&v["spec"]["volumeClaimTemplates"])
                .iter()
                .filter_map(|c| c["metadata"]["name"].as_str().map(str::to_string))
                .collect();
            self.pod_spec(&t["spec"], &format!("{tp}.spec"), &claims);
            if kind != "CronJob" && kind != "Job" {
                self.workload_selector(v, t);
            }
        }
        match kind {
            "Service" => self.service(v),
            "PersistentVolumeClaim" => {
                let q = &v["spec"]["resources"]["requests"]["storage"];
                self.quantity(q, "spec.resources.requests.storage");
            }
            "PodDisruptionBudget" => {
                let sel = string_map(&v["spec"]["selector"]["matchLabels"]);
                self.label_map(&sel, "spec.selector.matchLabels");
                if self.index.selected(&sel).is_none() {
                    self.fail(
                        "spec.selector",
                        "the selector matches no pod template".into(),
                    );
                }
            }
            "HorizontalPodAutoscaler" => {
                let r = &v["spec"]["scaleTargetRef"];
                let (k, n) = (
                    r["kind"].as_str().unwrap_or(""),
                    r["name"].as_str().unwrap_or(""),
                );
                if !self.index.has(k, n) {
                    self.fail(
                        "spec.scaleTargetRef",
                        format!("the target {k} `{n}` is not in the output"),
                    );
                }
            }
            "Ingress" => self.ingress(v),
            "NetworkPolicy" => {
                let sel = string_map(&v["spec"]["podSelector"]["matchLabels"]);
                self.label_map(&sel, "spec.podSelector.matchLabels");
            }
            _ => {}
        }
    }

    fn metadata(&mut self, m: &Value, path: &str) {
        let name = self.name.clone();
        let (ok, rule) = match self.kind {
            "Namespace" => (is_dns_label(&name), "a DNS-1123 label"),
            "Service" => (is_dns1035_label(&name), "a DNS-1035 label"),
            // The Job controller puts the name into a label value, the CronJob controller
            // appends 11 characters to it.
            "Job" => (
                is_dns_subdomain(&name) && name.len() <= 63,
                "a DNS-1123 subdomain of at most 63 characters",
            ),
            "CronJob" => (
                is_dns_subdomain(&name) && name.len() <= 52,
                "a DNS-1123 subdomain of at most 52 characters",
            ),
            // Pod names derive from these; a label keeps them valid as pod hostnames.
            "StatefulSet" | "Deployment" | "DaemonSet" => (is_dns_label(&name), "a DNS-1123 label"),
            _ => (is_dns_subdomain(&name), "a DNS-1123 subdomain"),
        };
        if !ok {
            self.fail(
                &format!("{path}.name"),
                format!("the name `{name}` is not {rule}"),
            );
        }
        if let Some(ns) = m["namespace"].as_str()
            && !is_dns_label(ns)
        {
            self.fail(
                &format!("{path}.namespace"),
                format!("the namespace `{ns}` is not a DNS-1123 label"),
            );
        }
        self.labels(&m["labels"], &format!("{path}.labels"));
        for k in m["annotations"]
            .as_object()
            .into_iter()
            .flat_map(|a| a.keys())
        {
            if !is_qualified_key(k) {
                self.fail(
                    &format!("{path}.annotations"),
                    format!("the annotation key `{k}` is not a qualified name"),
                );
            }
        }
    }

    fn labels(&mut self, v: &Value, path: &str) {
        self.label_map(&string_map(v), path);
    }

    fn label_map(&mut self, m: &BTreeMap<String, String>, path: &str) {
        for (k, val) in m {
            if !is_qualified_key(k) {
                self.fail(path, format!("the label key `{k}` is not a qualified name"));
            }
            if !is_label_value(val) {
                self.fail(
                    path,
                    format!("the value `{val}` of label `{k}` is not a label value"),
                );
            }
        }
    }

    fn workload_selector(&mut self, v: &Value, t: &Value) {
        let sel = string_map(&v["spec"]["selector"]["matchLabels"]);
        let labels = string_map(&t["metadata"]["labels"]);
        if sel.is_empty() {
            self.fail("spec.selector", "the selector is empty".into());
        }
        self.label_map(&sel, "spec.selector.matchLabels");
        for (k, val) in &sel {
            if labels.get(k) != Some(val) {
                self.fail(
                    "spec.selector.matchLabels",
                    format!("the selector `{k}={val}` does not match the pod template's labels"),
                );
            }
        }
    }

    fn quantity(&mut self, q: &Value, path: &str) {
        if let Some(s) = q.as_str()
            && !is_quantity(s)
        {
            self.fail(path, format!("`{s}` is not a quantity"));
        } else if !q.is_null() && !q.is_string() && !q.is_number() {
            self.fail(path, "not a quantity".into());
        }
    }

    fn port_number(&mut self, v: &Value, path: &str) {
        if let Some(n) = v.as_i64()
            && !(1..=65535).contains(&n)
        {
            self.fail(path, format!("port {n} is outside 1–65535"));
        }
    }

    fn pod_spec(&mut self, spec: &Value, path: &str, claims: &[String]) {
        let volumes: Vec<&Value> = items(&spec["volumes"]);
        let mut vol_names: BTreeSet<String> = claims.iter().cloned().collect();
        for (i, vol) in volumes.iter().enumerate() {
            let vp = format!("{path}.volumes[{i}]");
            let n = vol["name"].as_str().unwrap_or("");
            if !is_dns_label(n) {
                self.fail(
                    &vp,
                    format!("the volume name `{n}` is not a DNS-1123 label"),
                );
            }
            if !vol_names.insert(n.to_string()) {
                self.fail(&vp, format!("two volumes are named `{n}`"));
            }
            self.volume_refs(vol, &vp);
        }
        let mut container_names = BTreeSet::new();
        let mut port_names = BTreeSet::new();
        for (group, list) in [
            ("initContainers", items(&spec["initContainers"])),
            ("containers", items(&spec["containers"])),
        ] {
            for (i, c) in list.iter().enumerate() {
                let cp = format!("{path}.{group}[{i}]");
                let n = c["name"].as_str().unwrap_or("");
                if !is_dns_label(n) {
                    self.fail(
                        &cp,
                        format!("the container name `{n}` is not a DNS-1123 label"),
                    );
                }
                if !container_names.insert(n.to_string()) {
                    self.fail(&cp, format!("two containers are named `{n}`"));
                }
                if c["image"].as_str().is_none_or(str::is_empty) {
                    self.fail(&cp, format!("container `{n}` has no image"));
                }
                self.container(c, &cp, &vol_names, &mut port_names);
            }
        }
        if items(&spec["containers"]).is_empty() {
            self.fail(path, "the pod has no container".into());
        }
    }

    fn container(
        &mut self,
        c: &Value,
        cp: &str,
        vol_names: &BTreeSet<String>,
        port_names: &mut BTreeSet<String>,
    ) {
        let mut own_ports = BTreeSet::new();
        for (j, p) in items(&c["ports"]).iter().enumerate() {
            let pp = format!("{cp}.ports[{j}]");
            self.port_number(&p["containerPort"], &format!("{pp}.containerPort"));
            self.port_number(&p["hostPort"], &format!("{pp}.hostPort"));
            if let Some(n) = p["name"].as_str() {
                if !is_port_name(n) {
                    self.fail(
                        &pp,
                        format!("the port name `{n}` is not an IANA service name"),
                    );
                }
                if !port_names.insert(n.to_string()) {
                    self.fail(&pp, format!("two ports of the pod are named `{n}`"));
                }
                own_ports.insert(n.to_string());
            }
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            for how in ["httpGet", "tcpSocket", "grpc"] {
                let port = &c[probe][how]["port"];
                let at = format!("{cp}.{probe}.{how}.port");
                match port {
                    Value::String(n) if !own_ports.contains(n) => {
                        self.fail(
                            &at,
                            format!(
                                "the probe names port `{n}`, which the container does not declare"
                            ),
                        );
                    }
                    Value::Number(_) => self.port_number(port, &at),
                    _ => {}
                }
            }
        }
        for part in ["requests", "limits"] {
            for (k, q) in c["resources"][part].as_object().into_iter().flatten() {
                self.quantity(q, &format!("{cp}.resources.{part}.{k}"));
            }
        }
        let mut paths = BTreeSet::new();
        for (j, m) in items(&c["volumeMounts"]).iter().enumerate() {
            let mp = format!("{cp}.volumeMounts[{j}]");
            let n = m["name"].as_str().unwrap_or("");
            if !vol_names.contains(n) {
                self.fail(
                    &mp,
                    format!("the mount names volume `{n}`, which the pod does not have"),
                );
            }
            let path = m["mountPath"].as_str().unwrap_or("");
            if path.is_empty() || !paths.insert(path.to_string()) {
                self.fail(
                    &mp,
                    format!("the mount path `{path}` is empty or mounted twice"),
                );
            }
        }
        for (j, e) in items(&c["env"]).iter().enumerate() {
            let ep = format!("{cp}.env[{j}].valueFrom");
            for (field, kind) in [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")] {
                let r = &e["valueFrom"][field];
                if r.is_object() {
                    self.reference(kind, r["name"].as_str().unwrap_or(""), &r["optional"], &ep);
                }
            }
        }
        for (j, e) in items(&c["envFrom"]).iter().enumerate() {
            let ep = format!("{cp}.envFrom[{j}]");
            for (field, kind) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                let r = &e[field];
                if r.is_object() {
                    self.reference(kind, r["name"].as_str().unwrap_or(""), &r["optional"], &ep);
                }
            }
        }
    }

    fn volume_refs(&mut self, vol: &Value, vp: &str) {
        if let Some(s) = vol["secret"].as_object() {
            let n = s.get("secretName").and_then(Value::as_str).unwrap_or("");
            let opt = s.get("optional").cloned().unwrap_or(Value::Null);
            self.reference("Secret", n, &opt, vp);
        }
        if let Some(s) = vol["configMap"].as_object() {
            let n = s.get("name").and_then(Value::as_str).unwrap_or("");
            let opt = s.get("optional").cloned().unwrap_or(Value::Null);
            self.reference("ConfigMap", n, &opt, vp);
        }
        if let Some(s) = vol["persistentVolumeClaim"].as_object() {
            let n = s.get("claimName").and_then(Value::as_str).unwrap_or("");
            self.reference("PersistentVolumeClaim", n, &Value::Null, vp);
        }
        if let Some(q) = vol["emptyDir"].get("sizeLimit") {
            self.quantity(q, &format!("{vp}.emptyDir.sizeLimit"));
        }
    }

    /// A reference to a ConfigMap, Secret or PVC resolves in the output, is optional, or names
    /// one the user creates.
    fn reference(&mut self, kind: &str, name: &str, optional: &Value, path: &str) {
        let ext = &self.index.external;
        let external = match kind {
            "Secret" => ext.secrets.contains(name),
            "ConfigMap" => ext.config_maps.contains(name),
            _ => ext.claims.contains(name),
        };
        if !is_dns_subdomain(name) {
            self.fail(
                path,
                format!("the {kind} name `{name}` is not a DNS-1123 subdomain"),
            );
        } else if !(self.index.has(kind, name) || optional == &Value::Bool(true) || external) {
            self.fail(
                path,
                format!("the {kind} `{name}` is neither in the output, nor optional, nor one the user creates"),
            );
        }
    }

    fn service(&mut self, v: &Value) {
        let spec = &v["spec"];
        let ports = items(&spec["ports"]);
        let sel = string_map(&spec["selector"]);
        self.label_map(&sel, "spec.selector");
        let selected = if sel.is_empty() {
            None
        } else {
            let s = self.index.selected(&sel);
            if s.is_none() {
                self.fail(
                    "spec.selector",
                    "the selector matches no pod template".into(),
                );
            }
            s
        };
        let mut names = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        for (i, p) in ports.iter().enumerate() {
            let pp = format!("spec.ports[{i}]");
            self.port_number(&p["port"], &format!("{pp}.port"));
            self.port_number(&p["nodePort"], &format!("{pp}.nodePort"));
            let proto = p["protocol"].as_str().unwrap_or("TCP").to_string();
            if !numbers.insert((p["port"].as_i64(), proto)) {
                self.fail(&pp, "two ports have the same number and protocol".into());
            }
            match p["name"].as_str() {
                Some(n) => {
                    if !is_dns_label(n) {
                        self.fail(&pp, format!("the port name `{n}` is not a DNS-1123 label"));
                    }
                    if !names.insert(n.to_string()) {
                        self.fail(&pp, format!("two ports are named `{n}`"));
                    }
                }
                None if ports.len() > 1 => {
                    self.fail(&pp, "a Service with several ports must name each".into());
                }
                None => {}
            }
            match &p["targetPort"] {
                Value::String(n) => {
                    if !is_port_name(n) {
                        self.fail(&pp, format!("the targetPort `{n}` is not a port name"));
                    } else if let Some(named) = &selected
                        && !named.contains(n)
                    {
                        self.fail(
                            &format!("{pp}.targetPort"),
                            format!("no selected pod has a port named `{n}`"),
                        );
                    }
                }
                t @ Value::Number(_) => self.port_number(t, &format!("{pp}.targetPort")),
                _ => {}
            }
        }
    }

    fn ingress(&mut self, v: &Value) {
        for (i, rule) in items(&v["spec"]["rules"]).iter().enumerate() {
            for (j, p) in items(&rule["http"]["paths"]).iter().enumerate() {
                let s = &p["backend"]["service"];
                let n = s["name"].as_str().unwrap_or("");
                let at = format!("spec.rules[{i}].http.paths[{j}].backend.service");
                match self.index.services.get(n) {
                    None => self.fail(&at, format!("the Service `{n}` is not in the output")),
                    Some((numbers, names)) => {
                        let port = &s["port"];
                        let ok = port["number"]
                            .as_i64()
                            .is_some_and(|x| numbers.contains(&x))
                            || port["name"].as_str().is_some_and(|x| names.contains(x));
                        if !ok {
                            self.fail(&at, format!("the Service `{n}` has no such port"));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert!(is_dns_label("web-1"));
        assert!(!is_dns_label("Web"));
        assert!(!is_dns_label("-web"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_dns_subdomain("a.b-c"));
        assert!(!is_dns_subdomain("a..b"));
        assert!(is_dns1035_label("web"));
        assert!(!is_dns1035_label("1web"));
        assert!(is_port_name("tcp-8080"));
        assert!(!is_port_name("8080"));
        assert!(!is_port_name("a--b"));
        assert!(!is_port_name("abcdefghijklmnop"));
    }

    #[test]
    fn label_rules() {
        assert!(is_qualified_key("app.kubernetes.io/name"));
        assert!(!is_qualified_key("app.kubernetes.io/"));
        assert!(!is_qualified_key("a/b/c"));
        assert!(is_label_value(""));
        assert!(is_label_value("A.b_c-1"));
        assert!(!is_label_value("a b"));
        assert!(!is_label_value("-a"));
    }

    #[test]
    fn quantities() {
        for ok in ["1Gi", "500m", "0.5", "1e3", "2E-2", "+3k", "100", "1.5Mi"] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "Gi", "1GB", "1.2.3", ".", "1e", "lots", "1 Gi"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod object_tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Service};
    use serde_json::json;

    fn deployment(patch: impl FnOnce(&mut Value)) -> Object {
        let mut v = json!({
            "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "web", "image": "nginx",
                            "ports": [{"containerPort": 80, "name": "tcp-80"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}]
                        }],
                        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
                    }
                }
            }
        });
        patch(&mut v);
        Object::Deployment(serde_json::from_value::<Deployment>(v).unwrap())
    }

    fn service(target: Value) -> Object {
        Object::Service(
            serde_json::from_value::<Service>(json!({
                "metadata": {"name": "web"},
                "spec": {
                    "selector": {"app.kubernetes.io/name": "web"},
                    "ports": [{"name": "tcp-80", "port": 80, "targetPort": target}]
                }
            }))
            .unwrap(),
        )
    }

    fn pvc(size: &str) -> Object {
        Object::PersistentVolumeClaim(
            serde_json::from_value::<PersistentVolumeClaim>(json!({
                "metadata": {"name": "data"},
                "spec": {"resources": {"requests": {"storage": size}}}
            }))
            .unwrap(),
        )
    }

    fn problems(objects: &[Object], external: &External) -> Vec<String> {
        match check(objects, external) {
            Ok(()) => Vec::new(),
            Err(f) => f.0.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn a_consistent_set_passes() {
        let objs = [pvc("1Gi"), service(json!("tcp-80")), deployment(|_| {})];
        assert_eq!(problems(&objs, &External::default()), Vec::<String>::new());
    }

    #[test]
    fn each_broken_rule_names_the_object_and_the_field() {
        let ext = External::default();
        let cases: Vec<(Vec<Object>, &str)> = vec![
            (
                vec![
                    pvc("1Gi"),
                    deployment(|v| v["metadata"]["name"] = json!("Web_1")),
                ],
                "Deployment Web_1: metadata.name",
            ),
            (
                vec![pvc("lots"), deployment(|_| {})],
                "PersistentVolumeClaim data: spec.resources.requests.storage",
            ),
            (
                vec![deployment(|_| {})],
                "the PersistentVolumeClaim `data` is neither in the output",
            ),
            (
                vec![
                    pvc("1Gi"),
                    deployment(|v| {
                        v["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = json!("db")
                    }),
                ],
                "does not match the pod template's labels",
            ),
            (
                vec![
                    pvc("1Gi"),
                    deployment(|v| {
                        v["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"] =
                            json!("other")
                    }),
                ],
                "the mount names volume `other`",
            ),
            (
                vec![
                    pvc("1Gi"),
                    deployment(|v| {
                        v["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] =
                            json!(70000)
                    }),
                ],
                "port 70000 is outside 1–65535",
            ),
            (
                vec![
                    pvc("1Gi"),
                    deployment(|v| {
                        v["spec"]["template"]["metadata"]["labels"]["bad key!"] = json!("x")
                    }),
                ],
                "the label key `bad key!`",
            ),
            (
                vec![
                    pvc("1Gi"),
                    deployment(|v| {
                        v["spec"]["template"]["spec"]["containers"][0]["resources"] =
                            json!({"limits": {"memory": "1GB"}})
                    }),
                ],
                "`1GB` is not a quantity",
            ),
            (
                vec![pvc("1Gi"), service(json!("http")), deployment(|_| {})],
                "no selected pod has a port named `http`",
            ),
            (
                vec![
                    pvc("1Gi"),
                    deployment(|v| {
                        v["spec"]["template"]["spec"]["volumes"]
                            .as_array_mut()
                            .unwrap()
                            .push(json!({"name": "s", "secret": {"secretName": "token"}}))
                    }),
                ],
                "the Secret `token` is neither in the output",
            ),
        ];
        for (objs, want) in cases {
            let p = problems(&objs, &ext);
            assert!(
                p.iter()
                    .any(|l| l.contains(want) && l.contains("kubeferry bug")),
                "{want}: {p:?}"
            );
        }
    }

    #[test]
    fn optional_and_external_references_pass() {
        let with_secret = |optional: bool| {
            deployment(move |v| {
                let mut s = json!({"name": "s", "secret": {"secretName": "token"}});
                if optional {
                    s["secret"]["optional"] = json!(true);
                }
                v["spec"]["template"]["spec"]["volumes"]
                    .as_array_mut()
                    .unwrap()
                    .push(s)
            })
        };
        assert!(problems(&[pvc("1Gi"), with_secret(true)], &External::default()).is_empty());
        let ext = External {
            secrets: ["token".to_string()].into(),
            claims: ["data".to_string()].into(),
            ..External::default()
        };
        assert!(problems(&[with_secret(false)], &ext).is_empty());
    }
}
