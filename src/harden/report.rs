//! The report of the hardening pass, as data: per workload, what each rule added and why,
//! and what it could not harden. Rendering (markdown, JSON) is the emitter's job.

use serde::Serialize;

/// One thing a rule did or could not do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub rule: &'static str,
    pub what: String,
}

/// The pass's account of one workload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorkloadReport {
    pub kind: &'static str,
    pub name: String,
    /// The Compose service it comes from.
    pub service: String,
    pub level: &'static str,
    /// Rules the service switched off (`x-kubeferry.disable_rules`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<String>,
    pub added: Vec<Entry>,
    pub not_hardened: Vec<Entry>,
}

/// The whole report: the level, each workload, and the project-wide objects added.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub level: &'static str,
    pub workloads: Vec<WorkloadReport>,
    pub project: Vec<Entry>,
}
