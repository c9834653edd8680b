//! The hardening pass: objects in, the same objects made production-ready out, plus a
//! diagnostic for everything it could not do without changing what the Compose file asked.
//!
//! Each rule is a module with an id; [`RULES`] lists them in the order they run.

mod pod;
mod probes;
mod resources;
mod security;

use crate::compose::Project;
use crate::diag::{Diagnostic, Failure, Location};
use crate::lower::Object;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

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

/// Options of the hardening pass.
#[derive(Clone, Debug)]
pub struct HardenOptions {
    pub level: Level,
    pub cpu_request: Quantity,
    pub memory_request: Quantity,
    pub memory_limit: Quantity,
    pub cpu_limit: Option<Quantity>,
}

impl Default for HardenOptions {
    fn default() -> Self {
        HardenOptions {
            level: Level::Baseline,
            cpu_request: Quantity("100m".into()),
            memory_request: Quantity("128Mi".into()),
            memory_limit: Quantity("512Mi".into()),
            cpu_limit: None,
        }
    }
}

/// A hardening rule: an id, a line of documentation, the level it starts at.
pub struct Rule {
    pub id: &'static str,
    pub doc: &'static str,
    pub level: Level,
    pub apply: fn(&mut Object, &Project, &HardenOptions, &mut Findings),
}

/// What the rules report.
#[derive(Default)]
pub struct Findings {
    pub warnings: Vec<Diagnostic>,
    pub errors: Vec<Diagnostic>,
}

impl Findings {
    pub fn warn(&mut self, code: &'static str, object: &Object, msg: impl Into<String>) {
        self.warnings
            .push(Diagnostic::warning(code, object_location(object), msg));
    }

    pub fn error(&mut self, code: &'static str, object: &Object, msg: impl Into<String>) {
        self.errors
            .push(Diagnostic::error(code, object_location(object), msg));
    }
}

fn object_location(o: &Object) -> Location {
    Location::new(format!("{}/{}", o.kind(), o.name()), 0, 0, "")
}

pub const RULES: &[Rule] = &[pod::RULE, security::RULE, resources::RULE, probes::RULE];

/// Harden every workload in place.
pub fn apply(
    objects: &mut [Object],
    project: &Project,
    opts: &HardenOptions,
) -> Result<Vec<Diagnostic>, Failure> {
    let mut f = Findings::default();
    if opts.level == Level::None {
        return Ok(Vec::new());
    }
    for o in objects.iter_mut() {
        if o.pod_template_mut().is_none() {
            continue;
        }
        for rule in RULES {
            if opts.level >= rule.level {
                (rule.apply)(o, project, opts, &mut f);
            }
        }
    }
    if f.errors.is_empty() {
        Ok(f.warnings)
    } else {
        Err(Failure(f.errors))
    }
}
