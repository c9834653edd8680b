//! The project's own check of every object before it is written: names, labels, selectors,
//! ports, quantities and references between the objects.
//!
//! Takes the final objects (after hardening) and the references the lowering left for the user
//! to satisfy ([`External`]); returns nothing, or one error per problem. Objects are checked
//! in their typed form, field by field as they are written (every field of the k8s-openapi
//! types is written under its API name, which is the name the messages use). A failure is a
//! kubeferry bug (the lowering should never produce such an object), so the message says so
//! and names the object.

use crate::diag::dotted;
use crate::diag::{Diagnostic, Failure, Location};
use crate::hash::{FastMap, FastSet};
use crate::lower::{External, Object};
use crate::quantity::is_quantity;
use k8s_openapi::api::core::v1::{Container, PodSpec, Probe, Service, Volume};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, BTreeSet};

/// Check every object; `Err` lists each problem with the object it was found in.
pub fn check(objects: &[Object], external: &External) -> Result<(), Failure> {
    let mut c = Checker {
        errors: Vec::new(),
        kind: "",
        name: "",
        index: Index::new(objects, external),
    };
    for o in objects {
        c.kind = o.kind();
        c.name = o.name();
        c.object(o);
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(Failure(c.errors))
    }
}

/// A pod template's labels and its containers' named ports.
type Pod<'a> = (&'a BTreeMap<String, String>, BTreeSet<&'a str>);

/// What the references of one object may point at.
struct Index<'a> {
    names: FastSet<(&'a str, &'a str)>,
    external: &'a External,
    /// Labels of every pod template, with the container ports (by name) of that pod.
    pods: Vec<Pod<'a>>,
    /// Pods by their `app.kubernetes.io/name` label, so a selector naming it looks at its
    /// own pods only (scanning every pod per Service is quadratic in large projects).
    pods_by_name: FastMap<&'a str, Vec<usize>>,
    /// Service name → its port numbers and names.
    services: FastMap<&'a str, (BTreeSet<i32>, BTreeSet<&'a str>)>,
}

static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

/// The labels of an object's metadata (none: empty).
fn labels_of(m: Option<&ObjectMeta>) -> &BTreeMap<String, String> {
    m.and_then(|m| m.labels.as_ref()).unwrap_or(&NO_LABELS)
}

/// Init containers first, then containers, as they are written.
fn all_containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
}

impl<'a> Index<'a> {
    fn new(objects: &'a [Object], external: &'a External) -> Self {
        let mut names = FastSet::default();
        let mut pods = Vec::new();
        let mut services = FastMap::default();
        for o in objects {
            names.insert((o.kind(), o.name()));
            if let Some(t) = o.pod_template() {
                let ports = t
                    .spec
                    .iter()
                    .flat_map(all_containers)
                    .flat_map(|c| c.ports.iter().flatten())
                    .filter_map(|p| p.name.as_deref())
                    .collect();
                pods.push((labels_of(t.metadata.as_ref()), ports));
            }
            if let Object::Service(s) = o {
                let ports = s.spec.iter().flat_map(|s| s.ports.iter().flatten());
                services.insert(
                    o.name(),
                    (
                        ports.clone().map(|p| p.port).collect(),
                        ports.filter_map(|p| p.name.as_deref()).collect(),
                    ),
                );
            }
        }
        let mut pods_by_name: FastMap<&str, Vec<usize>> = Default::default();
        for (i, (labels, _)) in pods.iter().enumerate() {
            if let Some(n) = labels.get(crate::lower::names::NAME) {
                pods_by_name.entry(n.as_str()).or_default().push(i);
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
    fn selected(&self, selector: &BTreeMap<String, String>) -> Option<BTreeSet<&'a str>> {
        let mut hit = false;
        let mut ports = BTreeSet::new();
        let candidates: Box<dyn Iterator<Item = &Pod<'a>>> =
            match selector.get(crate::lower::names::NAME) {
                Some(n) => Box::new(
                    self.pods_by_name
                        .get(n.as_str())
                        .into_iter()
                        .flatten()
                        .filter_map(|&i| self.pods.get(i)),
                ),
                None => Box::new(self.pods.iter()),
            };
        for (labels, p) in candidates {
            if selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                hit = true;
                ports.extend(p.iter().copied());
            }
        }
        hit.then_some(ports)
    }
}

/// The template path of a workload kind, for messages.
fn template_path(kind: &str) -> &'static str {
    if kind == "CronJob" {
        "spec.jobTemplate.spec.template"
    } else {
        "spec.template"
    }
}

/// A DNS-1123 label: lowercase alphanumerics and `-`, alphanumeric at both ends, 1–63.
pub fn is_dns_label(s: &str) -> bool {
    dns_label_bytes(s.as_bytes())
}

fn dns_label_bytes(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.first() != Some(&b'-')
        && s.last() != Some(&b'-')
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.as_bytes().split(|&b| b == b'.').all(dns_label_bytes)
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

struct Checker<'a> {
    errors: Vec<Diagnostic>,
    kind: &'static str,
    name: &'a str,
    index: Index<'a>,
}

impl<'a> Checker<'a> {
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

    fn object(&mut self, o: &'a Object) {
        self.metadata(o.metadata(), "metadata");
        let kind = self.kind;
        if let Some(t) = o.pod_template() {
            let tp = template_path(kind);
            let labels = labels_of(t.metadata.as_ref());
            self.label_map(labels, || format!("{tp}.metadata.labels"));
            // A StatefulSet's claim templates are volumes of its pods too.
            let claims: Vec<&str> = match o {
                Object::StatefulSet(s) => s
                    .spec
                    .iter()
                    .flat_map(|s| s.volume_claim_templates.iter().flatten())
                    .filter_map(|c| c.metadata.name.as_deref())
                    .collect(),
                _ => Vec::new(),
            };
            match &t.spec {
                Some(spec) => self.pod_spec(spec, &dotted(tp, "spec"), &claims),
                None => self.fail(&dotted(tp, "spec"), "the pod has no container".into()),
            }
            let selector = match o {
                Object::Deployment(d) => d.spec.as_ref().map(|s| &s.selector),
                Object::StatefulSet(d) => d.spec.as_ref().map(|s| &s.selector),
                Object::DaemonSet(d) => d.spec.as_ref().map(|s| &s.selector),
                _ => None,
            };
            if let Some(sel) = selector {
                self.workload_selector(sel.match_labels.as_ref().unwrap_or(&NO_LABELS), labels);
            }
        }
        match o {
            Object::Service(s) => self.service(s),
            Object::PersistentVolumeClaim(c) => {
                let q = c
                    .spec
                    .as_ref()
                    .and_then(|s| s.resources.as_ref())
                    .and_then(|r| r.requests.as_ref())
                    .and_then(|r| r.get("storage"));
                if let Some(q) = q {
                    self.quantity(q, || "spec.resources.requests.storage".into());
                }
            }
            Object::PodDisruptionBudget(p) => {
                let sel = p
                    .spec
                    .as_ref()
                    .and_then(|s| s.selector.as_ref())
                    .and_then(|s| s.match_labels.as_ref())
                    .unwrap_or(&NO_LABELS);
                self.label_map(sel, || "spec.selector.matchLabels".into());
                if self.index.selected(sel).is_none() {
                    self.fail(
                        "spec.selector",
                        "the selector matches no pod template".into(),
                    );
                }
            }
            Object::HorizontalPodAutoscaler(h) => {
                let (k, n) = h.spec.as_ref().map_or(("", ""), |s| {
                    (
                        s.scale_target_ref.kind.as_str(),
                        s.scale_target_ref.name.as_str(),
                    )
                });
                if !self.index.has(k, n) {
                    self.fail(
                        "spec.scaleTargetRef",
                        format!("the target {k} `{n}` is not in the output"),
                    );
                }
            }
            Object::Ingress(i) => self.ingress(i),
            Object::Route(r) => self.route(r),
            Object::NetworkPolicy(n) => {
                let sel = n
                    .spec
                    .as_ref()
                    .and_then(|s| s.pod_selector.as_ref())
                    .and_then(|s| s.match_labels.as_ref())
                    .unwrap_or(&NO_LABELS);
                self.label_map(sel, || "spec.podSelector.matchLabels".into());
            }
            _ => {}
        }
    }

    fn metadata(&mut self, m: &ObjectMeta, path: &str) {
        let name = self.name;
        let (ok, rule) = match self.kind {
            "Namespace" => (is_dns_label(name), "a DNS-1123 label"),
            "Service" => (is_dns1035_label(name), "a DNS-1035 label"),
            // The Job controller puts the name into a label value, the CronJob controller
            // appends 11 characters to it.
            "Job" => (
                is_dns_subdomain(name) && name.len() <= 63,
                "a DNS-1123 subdomain of at most 63 characters",
            ),
            "CronJob" => (
                is_dns_subdomain(name) && name.len() <= 52,
                "a DNS-1123 subdomain of at most 52 characters",
            ),
            // Pod names derive from these; a label keeps them valid as pod hostnames.
            "StatefulSet" | "Deployment" | "DaemonSet" => (is_dns_label(name), "a DNS-1123 label"),
            _ => (is_dns_subdomain(name), "a DNS-1123 subdomain"),
        };
        if !ok {
            self.fail(
                &dotted(path, "name"),
                format!("the name `{name}` is not {rule}"),
            );
        }
        if let Some(ns) = m.namespace.as_deref()
            && !is_dns_label(ns)
        {
            self.fail(
                &dotted(path, "namespace"),
                format!("the namespace `{ns}` is not a DNS-1123 label"),
            );
        }
        self.label_map(labels_of(Some(m)), || dotted(path, "labels"));
        for k in m.annotations.iter().flat_map(|a| a.keys()) {
            if !is_qualified_key(k) {
                self.fail(
                    &dotted(path, "annotations"),
                    format!("the annotation key `{k}` is not a qualified name"),
                );
            }
        }
    }

    fn label_map(&mut self, m: &BTreeMap<String, String>, path: impl Fn() -> String) {
        for (k, val) in m {
            if !is_qualified_key(k) {
                self.fail(
                    &path(),
                    format!("the label key `{k}` is not a qualified name"),
                );
            }
            if !is_label_value(val) {
                self.fail(
                    &path(),
                    format!("the value `{val}` of label `{k}` is not a label value"),
                );
            }
        }
    }

    fn workload_selector(
        &mut self,
        sel: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
    ) {
        if sel.is_empty() {
            self.fail("spec.selector", "the selector is empty".into());
        }
        self.label_map(sel, || "spec.selector.matchLabels".into());
        for (k, val) in sel {
            if labels.get(k) != Some(val) {
                self.fail(
                    "spec.selector.matchLabels",
                    format!("the selector `{k}={val}` does not match the pod template's labels"),
                );
            }
        }
    }

    fn quantity(&mut self, q: &Quantity, path: impl FnOnce() -> String) {
        if !is_quantity(&q.0) {
            self.fail(&path(), format!("`{}` is not a quantity", q.0));
        }
    }

    fn port_number(&mut self, n: i32, path: impl FnOnce() -> String) {
        if !(1..=65535).contains(&n) {
            self.fail(&path(), format!("port {n} is outside 1–65535"));
        }
    }

    fn pod_spec(&mut self, spec: &PodSpec, path: &str, claims: &[&str]) {
        let mut vol_names: BTreeSet<&str> = claims.iter().copied().collect();
        for (i, vol) in spec.volumes.iter().flatten().enumerate() {
            let vp = || format!("{path}.volumes[{i}]");
            let n = vol.name.as_str();
            if !is_dns_label(n) {
                self.fail(
                    &vp(),
                    format!("the volume name `{n}` is not a DNS-1123 label"),
                );
            }
            if !vol_names.insert(n) {
                self.fail(&vp(), format!("two volumes are named `{n}`"));
            }
            self.volume_refs(vol, vp);
        }
        let mut container_names = BTreeSet::new();
        let mut port_names = BTreeSet::new();
        for (group, list) in [
            (
                "initContainers",
                spec.init_containers.as_deref().unwrap_or(&[]),
            ),
            ("containers", spec.containers.as_slice()),
        ] {
            for (i, c) in list.iter().enumerate() {
                let cp = format!("{path}.{group}[{i}]");
                let n = c.name.as_str();
                if !is_dns_label(n) {
                    self.fail(
                        &cp,
                        format!("the container name `{n}` is not a DNS-1123 label"),
                    );
                }
                if !container_names.insert(n) {
                    self.fail(&cp, format!("two containers are named `{n}`"));
                }
                if c.image.as_deref().is_none_or(str::is_empty) {
                    self.fail(&cp, format!("container `{n}` has no image"));
                }
                self.container(c, &cp, &vol_names, &mut port_names);
            }
        }
        if spec.containers.is_empty() {
            self.fail(path, "the pod has no container".into());
        }
    }

    fn container<'c>(
        &mut self,
        c: &'c Container,
        cp: &str,
        vol_names: &BTreeSet<&str>,
        port_names: &mut BTreeSet<&'c str>,
    ) {
        let mut own_ports = BTreeSet::new();
        for (j, p) in c.ports.iter().flatten().enumerate() {
            let pp = || format!("{cp}.ports[{j}]");
            self.port_number(p.container_port, || format!("{}.containerPort", pp()));
            if let Some(h) = p.host_port {
                self.port_number(h, || format!("{}.hostPort", pp()));
            }
            if let Some(n) = p.name.as_deref() {
                if !is_port_name(n) {
                    self.fail(
                        &pp(),
                        format!("the port name `{n}` is not an IANA service name"),
                    );
                }
                if !port_names.insert(n) {
                    self.fail(&pp(), format!("two ports of the pod are named `{n}`"));
                }
                own_ports.insert(n);
            }
        }
        let probes: [(&str, &Option<Probe>); 3] = [
            ("livenessProbe", &c.liveness_probe),
            ("readinessProbe", &c.readiness_probe),
            ("startupProbe", &c.startup_probe),
        ];
        for (probe, p) in probes {
            let Some(p) = p else { continue };
            let ports = [
                ("httpGet", p.http_get.as_ref().map(|h| &h.port)),
                ("tcpSocket", p.tcp_socket.as_ref().map(|t| &t.port)),
            ];
            for (how, port) in ports {
                let at = || format!("{cp}.{probe}.{how}.port");
                match port {
                    Some(IntOrString::String(n)) if !own_ports.contains(n.as_str()) => {
                        self.fail(
                            &at(),
                            format!(
                                "the probe names port `{n}`, which the container does not declare"
                            ),
                        );
                    }
                    Some(IntOrString::Int(n)) => self.port_number(*n, at),
                    _ => {}
                }
            }
            if let Some(g) = &p.grpc {
                self.port_number(g.port, || format!("{cp}.{probe}.grpc.port"));
            }
        }
        if let Some(r) = &c.resources {
            for (part, map) in [("requests", &r.requests), ("limits", &r.limits)] {
                for (k, q) in map.iter().flatten() {
                    self.quantity(q, || format!("{cp}.resources.{part}.{k}"));
                }
            }
        }
        let mut paths = BTreeSet::new();
        for (j, m) in c.volume_mounts.iter().flatten().enumerate() {
            let mp = || format!("{cp}.volumeMounts[{j}]");
            let n = m.name.as_str();
            if !vol_names.contains(n) {
                self.fail(
                    &mp(),
                    format!("the mount names volume `{n}`, which the pod does not have"),
                );
            }
            let path = m.mount_path.as_str();
            if path.is_empty() || !paths.insert(path) {
                self.fail(
                    &mp(),
                    format!("the mount path `{path}` is empty or mounted twice"),
                );
            }
        }
        for (j, e) in c.env.iter().flatten().enumerate() {
            let Some(from) = &e.value_from else { continue };
            let ep = || format!("{cp}.env[{j}].valueFrom");
            if let Some(r) = &from.config_map_key_ref {
                self.reference("ConfigMap", &r.name, r.optional, ep);
            }
            if let Some(r) = &from.secret_key_ref {
                self.reference("Secret", &r.name, r.optional, ep);
            }
        }
        for (j, e) in c.env_from.iter().flatten().enumerate() {
            let ep = || format!("{cp}.envFrom[{j}]");
            if let Some(r) = &e.config_map_ref {
                self.reference("ConfigMap", &r.name, r.optional, ep);
            }
            if let Some(r) = &e.secret_ref {
                self.reference("Secret", &r.name, r.optional, ep);
            }
        }
    }

    fn volume_refs(&mut self, vol: &Volume, vp: impl Fn() -> String) {
        if let Some(s) = &vol.secret {
            let n = s.secret_name.as_deref().unwrap_or("");
            self.reference("Secret", n, s.optional, &vp);
        }
        if let Some(s) = &vol.config_map {
            self.reference("ConfigMap", &s.name, s.optional, &vp);
        }
        if let Some(s) = &vol.persistent_volume_claim {
            self.reference("PersistentVolumeClaim", &s.claim_name, None, &vp);
        }
        if let Some(q) = vol.empty_dir.as_ref().and_then(|e| e.size_limit.as_ref()) {
            self.quantity(q, || format!("{}.emptyDir.sizeLimit", vp()));
        }
    }

    /// A reference to a ConfigMap, Secret or PVC resolves in the output, is optional, or names
    /// one the user creates.
    fn reference(
        &mut self,
        kind: &str,
        name: &str,
        optional: Option<bool>,
        path: impl Fn() -> String,
    ) {
        let ext = &self.index.external;
        let external = match kind {
            "Secret" => ext.secrets.contains(name),
            "ConfigMap" => ext.config_maps.contains(name),
            _ => ext.claims.contains(name),
        };
        if !is_dns_subdomain(name) {
            self.fail(
                &path(),
                format!("the {kind} name `{name}` is not a DNS-1123 subdomain"),
            );
        } else if !(self.index.has(kind, name) || optional == Some(true) || external) {
            self.fail(
                &path(),
                format!("the {kind} `{name}` is neither in the output, nor optional, nor one the user creates"),
            );
        }
    }

    fn service(&mut self, s: &Service) {
        let Some(spec) = &s.spec else { return };
        let ports = spec.ports.as_deref().unwrap_or(&[]);
        let sel = spec.selector.as_ref().unwrap_or(&NO_LABELS);
        self.label_map(sel, || "spec.selector".into());
        let selected = if sel.is_empty() {
            None
        } else {
            let s = self.index.selected(sel);
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
            let pp = || format!("spec.ports[{i}]");
            self.port_number(p.port, || format!("{}.port", pp()));
            if let Some(n) = p.node_port {
                self.port_number(n, || format!("{}.nodePort", pp()));
            }
            let proto = p.protocol.as_deref().unwrap_or("TCP");
            if !numbers.insert((p.port, proto)) {
                self.fail(&pp(), "two ports have the same number and protocol".into());
            }
            match p.name.as_deref() {
                Some(n) => {
                    if !is_dns_label(n) {
                        self.fail(
                            &pp(),
                            format!("the port name `{n}` is not a DNS-1123 label"),
                        );
                    }
                    if !names.insert(n) {
                        self.fail(&pp(), format!("two ports are named `{n}`"));
                    }
                }
                None if ports.len() > 1 => {
                    self.fail(&pp(), "a Service with several ports must name each".into());
                }
                None => {}
            }
            match &p.target_port {
                Some(IntOrString::String(n)) => {
                    if !is_port_name(n) {
                        self.fail(&pp(), format!("the targetPort `{n}` is not a port name"));
                    } else if let Some(named) = &selected
                        && !named.contains(n.as_str())
                    {
                        self.fail(
                            &format!("{}.targetPort", pp()),
                            format!("no selected pod has a port named `{n}`"),
                        );
                    }
                }
                Some(IntOrString::Int(t)) => {
                    self.port_number(*t, || format!("{}.targetPort", pp()))
                }
                None => {}
            }
        }
    }

    /// A Gateway API route's backends are Services of the output, on ports they serve.
    fn route(&mut self, r: &crate::lower::gateway::Route) {
        for (i, rule) in r.spec.rules.iter().enumerate() {
            for (j, b) in rule.backend_refs.iter().enumerate() {
                let at = format!("spec.rules[{i}].backendRefs[{j}]");
                match self.index.services.get(b.name.as_str()) {
                    None => self.fail(
                        &at,
                        format!("the Service `{}` is not in the output", b.name),
                    ),
                    Some((numbers, _)) if !numbers.contains(&b.port) => {
                        self.fail(
                            &at,
                            format!("the Service `{}` has no port {}", b.name, b.port),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
    }

    fn ingress(&mut self, ing: &Ingress) {
        let rules = ing.spec.iter().flat_map(|s| s.rules.iter().flatten());
        for (i, rule) in rules.enumerate() {
            let paths = rule.http.iter().flat_map(|h| &h.paths);
            for (j, p) in paths.enumerate() {
                let s = p.backend.service.as_ref();
                let n = s.map_or("", |s| s.name.as_str());
                let at = format!("spec.rules[{i}].http.paths[{j}].backend.service");
                match self.index.services.get(n) {
                    None => self.fail(&at, format!("the Service `{n}` is not in the output")),
                    Some((numbers, names)) => {
                        let port = s.and_then(|s| s.port.as_ref());
                        let ok = port
                            .and_then(|p| p.number)
                            .is_some_and(|x| numbers.contains(&x))
                            || port
                                .and_then(|p| p.name.as_deref())
                                .is_some_and(|x| names.contains(x));
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

    // lower's names checked by this independent grammar (emit may read lower; not the reverse).
    proptest::proptest! {
        #[test]
        fn names_from_any_text_are_valid(s in "[a-zA-Z0-9 ._\\-\u{e9}\u{1F600}]{0,80}") {
            use crate::lower::names::{dns_label, label_value};
            proptest::prop_assert!(is_dns_label(&dns_label(&s)), "{:?}", s);
            let v = label_value(&s);
            proptest::prop_assert!(is_label_value(&v), "{:?} -> {:?}", s, v);
        }
    }

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
    use serde_json::{Value, json};

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
        Object::from(serde_json::from_value::<Deployment>(v).unwrap())
    }

    fn service(target: Value) -> Object {
        Object::from(
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
        Object::from(
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
