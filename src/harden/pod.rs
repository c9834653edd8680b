//! `pod-defaults`: no service-account token and no service-link variables unless asked.

use super::{Findings, HardenOptions, Level, Rule};
use crate::compose::Project;
use crate::lower::Object;

pub const RULE: Rule = Rule {
    id: "pod-defaults",
    doc: "automountServiceAccountToken: false and enableServiceLinks: false on every pod",
    level: Level::Baseline,
    apply,
};

fn apply(o: &mut Object, _: &Project, _: &HardenOptions, _: &mut Findings) {
    if let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) {
        spec.automount_service_account_token.get_or_insert(false);
        spec.enable_service_links.get_or_insert(false);
    }
}
