//! The hardening pass: the lowered objects in, the same objects made production-ready out
//! (probes, resources, security contexts, pod defaults, image pull policy, availability,
//! network policies, the namespace), plus a [`Report`] of what each rule did per workload and
//! a diagnostic for everything it could not do without changing what the Compose file asked.
//!
//! Each rule is a module with an id, a line of documentation and a fixture under
//! `fixtures/harden/<id>/`; [`RULES`] lists them in the order they run.

mod availability;
// Public but hidden, not API: tests/harden.rs checks docs/images.md against its table.
#[doc(hidden)]
pub mod image_contract;
mod images;
mod namespace;
mod network;
pub use network::NetworkPolicies;
mod pod;
mod probes;
mod report;
mod resources;
mod restricted;
mod security;

pub use report::{Entry, Report, WorkloadReport};

use crate::diag::{Diagnostic, Failure, Location};
use crate::hash::FastMap;
use crate::lower::{Object, ServiceFacts, Source, Sources};
use crate::quantity::Quantity;
use std::collections::BTreeMap;

/// How far the pass goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The faithful translation only.
    None,
    /// Pod Security "baseline" and hygiene, without changing how the images run.
    #[default]
    Baseline,
    /// Pod Security "restricted".
    Restricted,
}

impl Level {
    /// The level's name as `--harden` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// A level from its `--harden` name.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "none" => Some(Level::None),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
}

/// Options of the hardening pass.
#[derive(Clone, Debug)]
pub struct HardenOptions {
    /// How far the pass goes (`--harden`).
    pub level: Level,
    /// The CPU request of containers that give none.
    pub cpu_request: Quantity,
    /// The memory request of containers that give none.
    pub memory_request: Quantity,
    /// The memory limit of containers nothing else gives one (`--default-memory-limit`);
    /// none by default: an invented limit could OOM-kill the workload.
    pub memory_limit: Option<Quantity>,
    /// A default CPU limit; none unless asked (CPU limits throttle).
    pub cpu_limit: Option<Quantity>,
    /// The uid restricted pods run as when neither `user` nor `x-kubeferry.run_as_user` says.
    pub default_uid: i64,
    /// The namespace of the output; the pass emits it with its Pod Security label.
    pub namespace: Option<String>,
    /// Whether the `network-policy` rule writes NetworkPolicies (`--network-policies`).
    pub network_policies: NetworkPolicies,
    /// The Kubernetes release the output is for (`--kube-version`).
    pub kube_version: crate::target::KubeVersion,
    /// The image's own `USER` by service, from the lock file (`USER` empty: root), for
    /// services whose Compose file names no user.
    pub image_users: BTreeMap<String, String>,
}

impl Default for HardenOptions {
    fn default() -> Self {
        HardenOptions {
            level: Level::Baseline,
            cpu_request: Quantity::parse("100m").expect("a quantity"),
            memory_request: Quantity::parse("128Mi").expect("a quantity"),
            memory_limit: None,
            cpu_limit: None,
            default_uid: 65532,
            namespace: None,
            network_policies: NetworkPolicies::Isolate,
            kube_version: crate::target::KubeVersion::DEFAULT,
            image_users: BTreeMap::new(),
        }
    }
}

/// What a rule works on.
#[derive(Clone, Copy)]
pub(crate) enum Scope {
    /// One workload at a time (its pod template, or objects that belong to it).
    Workload(fn(&mut Object, &Cx<'_>, &mut Findings)),
    /// The whole output at once; returns the objects it adds.
    Project(fn(&[Object], &ProjectCx<'_>, &mut Findings) -> Vec<Object>),
}

/// A hardening rule: an id, a line of documentation, the level it starts at.
pub struct Rule {
    /// The rule's id (`x-kubeferry.disable_rules` and the report name it).
    pub id: &'static str,
    /// One line on what it does (docs/hardening.md).
    pub doc: &'static str,
    /// The lowest level it runs at.
    pub level: Level,
    pub(crate) scope: Scope,
}

/// What a workload rule knows about the workload it hardens.
pub(crate) struct Cx<'a> {
    /// What lowering says about the workloads and services.
    pub sources: &'a Sources,
    /// The Compose service the workload comes from.
    pub service: &'a str,
    pub svc: &'a ServiceFacts,
    /// The level for this service (the command line's, or its `x-kubeferry.harden`).
    pub level: Level,
    pub opts: &'a HardenOptions,
    /// Kubernetes container name → Compose service (for `network_mode: service:` sidecars).
    pub containers: &'a BTreeMap<String, String>,
    /// Where findings about a workload kubeferry added (a model runner) are located: the
    /// declaration it comes from, since it has no service of its own.
    pub origin: Option<Location>,
}

impl Cx<'_> {
    /// The location of `services.<svc>.<path>` in the user's files.
    pub fn at(&self, svc: &str, path: &[&str]) -> Location {
        match &self.origin {
            Some(at) if svc == self.service => at.clone(),
            _ => self.sources.locator.at(svc, path),
        }
    }

    /// The facts of a container's Compose service (the workload's own when it has none).
    pub fn facts_of(&self, container: &str) -> &ServiceFacts {
        self.sources
            .service(self.service_of(container))
            .unwrap_or(self.svc)
    }

    /// The Compose service of a container of this workload.
    pub fn service_of<'b>(&'b self, container: &'b str) -> &'b str {
        self.containers
            .get(container)
            .map(String::as_str)
            .unwrap_or(self.service)
    }
}

/// What a project rule knows: the options, what lowering says about the workloads and
/// services, and each workload's level.
pub(crate) struct ProjectCx<'a> {
    pub opts: &'a HardenOptions,
    /// Where each workload comes from (model runners have no Compose service of their own).
    pub sources: &'a Sources,
    /// Kubernetes workload name → (Compose service, level); services at level none and those
    /// that switched the rule off are absent.
    pub workloads: FastMap<String, (String, Level)>,
}

/// What the rules report: diagnostics, and the report entries of the current workload.
#[derive(Default)]
pub(crate) struct Findings {
    pub warnings: Vec<Diagnostic>,
    pub errors: Vec<Diagnostic>,
    rule: &'static str,
    added: Vec<Entry>,
    not_hardened: Vec<Entry>,
    /// Objects a workload rule adds (a PodDisruptionBudget).
    new_objects: Vec<Object>,
}

impl Findings {
    pub fn warn(&mut self, code: &'static str, at: Location, msg: impl Into<String>) {
        self.warnings.push(Diagnostic::warning(code, at, msg));
    }

    pub fn error(&mut self, code: &'static str, at: Location, msg: impl Into<String>) {
        self.errors.push(Diagnostic::error(code, at, msg));
    }

    /// Record what the current rule added, and why.
    pub fn added(&mut self, what: impl Into<String>) {
        self.added.push(Entry {
            rule: self.rule,
            what: what.into(),
        });
    }

    /// Record what the current rule could not harden, and why.
    pub fn not_hardened(&mut self, what: impl Into<String>) {
        self.not_hardened.push(Entry {
            rule: self.rule,
            what: what.into(),
        });
    }

    pub fn add_object(&mut self, o: Object) {
        self.new_objects.push(o);
    }
}

/// Every rule, in the order the pass runs them.
pub const RULES: &[Rule] = &[
    pod::RULE,
    images::RULE,
    security::RULE,
    resources::RULE,
    probes::RULE,
    availability::RULE,
    network::RULE,
    namespace::RULE,
];

/// The hardened output: warnings and the report.
#[derive(Debug, Default)]
pub struct Hardened {
    /// Warnings of the rules, in rule order.
    pub warnings: Vec<Diagnostic>,
    /// What each rule added or could not do, per workload.
    pub report: Report,
}

/// The level a service gets: its own `x-kubeferry.harden`, else the command line's.
pub(crate) fn service_level(svc: &ServiceFacts, opts: &HardenOptions) -> Level {
    svc.harden
        .as_deref()
        .and_then(Level::parse)
        .unwrap_or(opts.level)
}

fn rule_on(rule: &Rule, svc: &ServiceFacts, level: Level) -> bool {
    level != Level::None && level >= rule.level && !svc.disable_rules.iter().any(|r| r == rule.id)
}

/// A rule id in `disable_rules` that names no rule is a typo, not a silent no-op.
fn check_rule_ids(sources: &Sources, f: &mut Findings) {
    let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    for (name, svc) in &sources.services {
        for id in &svc.disable_rules {
            if !known.contains(&id.as_str()) {
                f.warn(
                    "H030",
                    sources.locator.at(name, &["x-kubeferry", "disable_rules"]),
                    format!(
                        "`{id}` is not a hardening rule; known rules: {}",
                        known.join(", ")
                    ),
                );
            }
        }
    }
}

/// Harden every workload in place and add the objects the rules call for. `sources` is what
/// lowering says about the objects: where each workload comes from and the facts of each
/// Compose service (the pass reads nothing else of the Compose project); workloads without a
/// source are left as they are. A service whose Compose file demands what its level forbids
/// is an error (nothing is written).
pub fn apply(
    objects: &mut Vec<Object>,
    sources: &Sources,
    opts: &HardenOptions,
) -> Result<Hardened, Failure> {
    let mut report = Report {
        level: opts.level.as_str(),
        ..Report::default()
    };
    let mut f = Findings::default();
    check_rule_ids(sources, &mut f);
    // A large project's workloads are hardened in two halves on two threads, each with its
    // own findings, joined in object order: the same output as one pass.
    let workloads = objects.iter().filter(|o| o.pod_spec().is_some()).count();
    let (mut added, mut reports) = if workloads >= PARALLEL_MIN_WORKLOADS {
        let mid = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.pod_spec().is_some())
            .nth(workloads / 2)
            .map_or(objects.len(), |(i, _)| i);
        let (first, second) = objects.split_at_mut(mid);
        let mut f2 = Findings::default();
        let ((mut added, mut reports), (added2, reports2)) = crate::parallel::both(
            || harden_workloads(first, sources, opts, &mut f),
            || harden_workloads(second, sources, opts, &mut f2),
        );
        f.warnings.append(&mut f2.warnings);
        f.errors.append(&mut f2.errors);
        added.extend(added2);
        reports.extend(reports2);
        (added, reports)
    } else {
        harden_workloads(objects, sources, opts, &mut f)
    };
    report.workloads.append(&mut reports);
    f.warnings.extend(resources::open_limits(&report, sources));
    objects.append(&mut added);
    for rule in RULES {
        let Scope::Project(run) = rule.scope else {
            continue;
        };
        let pcx = ProjectCx {
            opts,
            sources,
            workloads: report
                .workloads
                .iter()
                .filter_map(|w| {
                    let svc = match sources.of(&w.name) {
                        Some(Source::ModelRunner { service, .. }) => service.as_ref(),
                        _ => sources.service(&w.service)?,
                    };
                    let level = service_level(svc, opts);
                    rule_on(rule, svc, level).then(|| (w.name.clone(), (w.service.clone(), level)))
                })
                .collect(),
        };
        if opts.level == Level::None && pcx.workloads.is_empty() {
            continue;
        }
        f.rule = rule.id;
        let mut new = run(objects, &pcx, &mut f);
        report.project.append(&mut f.added);
        report.project.append(&mut f.not_hardened);
        objects.append(&mut new);
    }
    crate::lower::object::sort(objects);
    if f.errors.is_empty() {
        Ok(Hardened {
            warnings: f.warnings,
            report,
        })
    } else {
        Err(Failure(f.errors))
    }
}

/// From this many workloads on, the workload rules run on two threads.
const PARALLEL_MIN_WORKLOADS: usize = 64;

/// The workload rules over `objects`, in order: the objects they add and each workload's
/// report, with their diagnostics in `f`.
fn harden_workloads(
    objects: &mut [Object],
    sources: &Sources,
    opts: &HardenOptions,
    f: &mut Findings,
) -> (Vec<Object>, Vec<WorkloadReport>) {
    let mut added = Vec::new();
    let mut reports = Vec::new();
    for o in objects.iter_mut() {
        if o.pod_spec().is_none() {
            continue;
        }
        let (service, svc, origin) = match sources.of(o.name()) {
            Some(Source::Service(s)) => match sources.services.get_key_value(s) {
                Some((name, svc)) => (name.clone(), svc, None),
                None => continue,
            },
            Some(Source::ModelRunner { key, user, service }) => (
                o.name().to_string(),
                service.as_ref(),
                Some(sources.locator.at(user, &["models", key])),
            ),
            None => continue,
        };
        let service = &service;
        let level = service_level(svc, opts);
        let empty = BTreeMap::new();
        let containers = sources.containers.get(o.name()).unwrap_or(&empty);
        let cx = Cx {
            sources,
            service,
            svc,
            level,
            opts,
            containers,
            origin,
        };
        for rule in RULES {
            if let Scope::Workload(run) = rule.scope
                && rule_on(rule, svc, level)
            {
                f.rule = rule.id;
                run(o, &cx, f);
            }
        }
        added.append(&mut f.new_objects);
        reports.push(WorkloadReport {
            kind: o.kind(),
            name: o.name().to_string(),
            service: service.clone(),
            level: level.as_str(),
            disabled: RULES
                .iter()
                .filter(|r| svc.disable_rules.iter().any(|d| d == r.id))
                .map(|r| r.id.to_string())
                .collect(),
            added: std::mem::take(&mut f.added),
            not_hardened: std::mem::take(&mut f.not_hardened),
        });
    }
    (added, reports)
}

/// The rules as a markdown table (the generated part of `docs/hardening.md`).
pub fn rules_markdown() -> String {
    let mut s = String::from("| id | level | what it does |\n| --- | --- | --- |\n");
    for r in RULES {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.id,
            r.level.as_str(),
            r.doc
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The lines of the Rust files under `dir` that name a `compose::` path, with their file
    /// and line (comments left out; the needle is built so that this test does not name it).
    fn compose_paths(dir: &Path, out: &mut Vec<String>) {
        let needle = ["compose", "::"].concat();
        for entry in std::fs::read_dir(dir).expect("src/harden is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                compose_paths(&path, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if code.contains(&needle) {
                    out.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
    }

    /// Hardening reads only what lowering hands it (the objects and `lower::Sources`), never
    /// the Compose project: no file of `src/harden/` names a `crate::compose` module.
    #[test]
    fn harden_imports_nothing_of_compose() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/harden");
        let mut found = Vec::new();
        compose_paths(&dir, &mut found);
        assert!(
            found.is_empty(),
            "src/harden reads the Compose project; read lower::Sources instead:\n{}",
            found.join("\n")
        );
    }
}
