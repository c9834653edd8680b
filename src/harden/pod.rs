//! `pod-defaults`: no service-account token and no service-link variables unless asked.

use super::{Cx, Findings, Level, Rule, Scope};
use crate::lower::Object;

pub const RULE: Rule = Rule {
    id: "pod-defaults",
    doc: "automountServiceAccountToken: false and enableServiceLinks: false on every pod",
    level: Level::Baseline,
    scope: Scope::Workload(apply),
};

fn apply(o: &mut Object, _: &Cx<'_>, f: &mut Findings) {
    let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
        return;
    };
    if spec.automount_service_account_token.is_none() {
        spec.automount_service_account_token = Some(false);
        f.added("automountServiceAccountToken: false: the app does not call the Kubernetes API");
    }
    if spec.enable_service_links.is_none() {
        spec.enable_service_links = Some(false);
        f.added("enableServiceLinks: false: Compose injects no *_SERVICE_HOST variables, and they can shadow the app's own");
    }
}
