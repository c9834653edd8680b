//! The release prefix (`releasePrefix: true`, off by default): every object's name becomes
//! `<release>-<name>`, every reference to it follows (ConfigMap, Secret, claim, Service and
//! ServiceAccount references, scale targets), labels and selectors gain
//! `app.kubernetes.io/instance: <release>` so that two releases in one namespace select only
//! their own pods, and Service names dialled in environment values, commands and ConfigMap
//! data (`postgres://db:5432`, `nc -z db 5432`, `DB_HOST: db`) gain the prefix too. Secret
//! values are data Helm does not read: a host inside one keeps its plain name.

use super::dialled::dialled;
use super::go_str;
use super::template::Template;
use crate::lower::PRE_START_WAIT;
use serde_json::Value;
use std::collections::BTreeSet;

/// The template's first line: `$p`, the prefix (empty by default).
pub const HEADER: &str = "{{- $p := ternary (printf \"%s-\" $.Release.Name) \"\" (dig \"releasePrefix\" false $.Values.AsMap) }}\n";

/// The chart's object names: all of them, and the Services'.
#[derive(Default)]
pub struct Names {
    pub all: BTreeSet<String>,
    pub services: BTreeSet<String>,
}

/// Keys whose string value names another object of the chart.
const REF_KEYS: [&str; 4] = [
    "claimName",
    "secretName",
    "serviceName",
    "serviceAccountName",
];
/// Objects whose `name` names another object of the chart.
const REF_PARENTS: [&str; 10] = [
    "configMapKeyRef",
    "secretKeyRef",
    "configMapRef",
    "secretRef",
    "configMap",
    "secret",
    "service",
    "scaleTargetRef",
    "roleRef",
    "subjects",
];
const SKIP: [&str; 5] = [
    "affinity",
    "nodeSelector",
    "tolerations",
    "resources",
    "annotations",
];
impl Template<'_> {
    /// Prefix the names, references, selectors and dialled hosts of object `v`.
    pub(super) fn prefix(&mut self, v: &mut Value, names: &Names) {
        if v.get("kind").and_then(Value::as_str) == Some("Namespace") {
            return;
        }
        if let Some(n) = v.pointer_mut("/metadata/name") {
            let t = format!("{{{{ print $p {} | toJson }}}}", super::lit(n));
            self.inline(n, t);
        }
        self.walk(v, None, names);
    }

    fn walk(&mut self, v: &mut Value, key: Option<&str>, names: &Names) {
        match v {
            Value::Object(m) => {
                if m.contains_key("app.kubernetes.io/part-of") {
                    let t = "{{ if $p }}{ind}app.kubernetes.io/instance: {{ toJson $.Release.Name }}\n{{ end }}".to_string();
                    self.line(v, t);
                    return;
                }
                let Value::Object(m) = v else { return };
                let parent = key;
                // The `pre_start` wait is given its Job's name as an argument.
                let wait = m.get("name").and_then(Value::as_str) == Some(PRE_START_WAIT);
                let keys: Vec<String> = m.keys().cloned().collect();
                for k in keys {
                    // Settings the chart writes as literals from the values.
                    if SKIP.contains(&k.as_str()) {
                        continue;
                    }
                    let Some(child) = m.get_mut(&k) else { continue };
                    let refers = REF_KEYS.contains(&k.as_str())
                        || (k == "name" && parent.is_some_and(|p| REF_PARENTS.contains(&p)));
                    if wait && k == "args" {
                        self.names_in(child, names);
                        continue;
                    }
                    match child {
                        Value::String(s) if refers && names.all.contains(s.as_str()) => {
                            let t = format!("{{{{ print $p {} | toJson }}}}", go_str(s));
                            self.inline(child, t);
                        }
                        _ => self.walk(child, Some(&k), names),
                    }
                }
            }
            Value::Array(_) if key == Some("resourceNames") => self.names_in(v, names),
            Value::Array(a) => {
                let dials = matches!(key, Some("command" | "args"));
                for item in a.iter_mut() {
                    match item {
                        Value::String(s) if dials => {
                            if let Some(e) = dialled(s, None, &names.services) {
                                self.inline(item, format!("{{{{ toJson {e} }}}}"));
                            }
                        }
                        _ => self.walk(item, key, names),
                    }
                }
            }
            _ => {}
        }
    }

    /// The items of a list that name an object of the chart (a Role's `resourceNames`).
    fn names_in(&mut self, list: &mut Value, names: &Names) {
        for item in list.as_array_mut().into_iter().flatten() {
            if let Value::String(s) = item
                && names.all.contains(s.as_str())
            {
                let t = format!("{{{{ print $p {} | toJson }}}}", go_str(s));
                self.inline(item, t);
            }
        }
    }

    /// A ConfigMap's data values that dial a Service.
    pub(super) fn prefix_data(&mut self, v: &mut Value, names: &Names) {
        if let Some(Value::Object(data)) = v.get_mut("data") {
            for (k, val) in data.iter_mut() {
                if let Some(s) = val.as_str()
                    && let Some(e) = dialled(s, Some(k), &names.services)
                {
                    self.inline(val, format!("{{{{ toJson {e} }}}}"));
                }
            }
        }
    }
}
