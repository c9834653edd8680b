//! Kubernetes names and labels derived from Compose names, deterministically.

use std::collections::BTreeMap;

pub const NAME: &str = "app.kubernetes.io/name";
pub const PART_OF: &str = "app.kubernetes.io/part-of";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const COMPONENT: &str = "app.kubernetes.io/component";

/// A DNS-1123 label (lowercase alphanumerics and `-`, at most 63 characters, alphanumeric at
/// both ends). `_` and `.` become `-`; other characters are dropped.
pub fn dns_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if (c == '-' || c == '_' || c == '.' || c == ' ') && !out.ends_with('-') {
            out.push('-');
        }
    }
    // Only ASCII was pushed: bytes are characters.
    let lead = out.len() - out.trim_start_matches('-').len();
    out.drain(..lead);
    out.truncate(63);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "x".into() } else { out }
}

/// A DNS-1035 label (as [`dns_label`], and starting with a letter): Service names.
pub fn service_name(s: &str) -> String {
    let l = dns_label(s);
    if l.starts_with(|c: char| c.is_ascii_digit()) {
        dns_label(&format!("s-{l}"))
    } else {
        l
    }
}

/// A label value: at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends.
pub fn label_value(s: &str) -> String {
    let mut v = String::with_capacity(s.len().min(63));
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(63)
        .for_each(|c| v.push(c));
    let end = v
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .len();
    v.truncate(end);
    let lead = v.len()
        - v.trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
            .len();
    v.drain(..lead);
    v
}

/// Whether `s` is a valid label value.
pub fn is_label_value(s: &str) -> bool {
    s.len() <= 63 && label_value(s) == s
}

/// Whether `k` is a qualified label or annotation key (`[prefix/]name`).
pub fn is_qualified_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty() && p.len() <= 253 && p.split('.').all(|l| !l.is_empty() && dns_label(l) == l)
    });
    name_ok && prefix_ok
}

/// The labels every object of a service carries; the selector uses the first two only.
pub fn labels(service: &str, project: &str) -> BTreeMap<String, String> {
    let mut m = selector(service, project);
    m.insert(MANAGED_BY.into(), "kubeferry".into());
    m
}

/// The stable labels a selector matches on.
pub fn selector(service: &str, project: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert(NAME.into(), label_value(service));
    m.insert(PART_OF.into(), label_value(project));
    m
}

/// Labels of project-level objects (volumes, secrets, policies).
pub fn project_labels(project: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert(PART_OF.into(), label_value(project));
    m.insert(MANAGED_BY.into(), "kubeferry".into());
    m
}

/// A port name: IANA service name rules (at most 15 characters, lowercase alphanumerics and
/// single `-`, at least one letter).
pub fn port_name(protocol: &str, port: u32) -> String {
    let p = match protocol {
        "udp" => "udp",
        "sctp" => "sctp",
        _ => "tcp",
    };
    format!("{p}-{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid() {
        assert_eq!(dns_label("My_Service.v2"), "my-service-v2");
        assert_eq!(dns_label("__x__"), "x");
        assert_eq!(service_name("3proxy"), "s-3proxy");
        assert_eq!(dns_label(&"a".repeat(80)).len(), 63);
        assert!(is_qualified_key("kompose.service.type"));
        assert!(is_qualified_key("example.com/x"));
        assert!(!is_qualified_key("bad key"));
        assert_eq!(label_value("-abc_"), "abc");
        assert_eq!(dns_label(&format!("{}-bc", "a".repeat(62))), "a".repeat(62));
        assert_eq!(label_value("\u{e9}-x.y_"), "x.y");
        assert_eq!(
            label_value(&format!("{}.b", "a".repeat(62))),
            "a".repeat(62)
        );
    }
}
