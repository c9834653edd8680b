//! The report of the hardening pass, as data: per workload, what each rule added and why,
//! and what it could not harden. Rendering (markdown, JSON) is the emitter's job.

use serde::Serialize;

/// One thing a rule did or could not do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The rule's id.
    pub rule: &'static str,
    /// What it added, or why it could not.
    pub what: String,
}

/// The pass's account of one workload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorkloadReport {
    /// The workload's kind (`Deployment`, ...).
    pub kind: &'static str,
    /// The workload's name.
    pub name: String,
    /// The Compose service it comes from.
    pub service: String,
    /// The level it was hardened at (`none`, `baseline`, `restricted`).
    pub level: &'static str,
    /// Rules the service switched off (`x-kubeferry.disable_rules`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<String>,
    /// What the rules added.
    pub added: Vec<Entry>,
    /// What the rules could not do without risking the workload.
    pub not_hardened: Vec<Entry>,
}

/// The whole report: the level, each workload, and the project-wide objects added.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The level asked for.
    pub level: &'static str,
    /// Each workload, in output order.
    pub workloads: Vec<WorkloadReport>,
    /// Project-wide objects the pass added (the Namespace, NetworkPolicies).
    pub project: Vec<Entry>,
}
