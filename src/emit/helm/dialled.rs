//! Service names dialled in a string (`postgres://db:5432`, `nc -z db 5432`, `DB_HOST: db`),
//! written as a Go expression that gives each the release prefix (`prefix.rs`'s `$p`).

use super::go_str;
use std::collections::BTreeSet;

const BEFORE: &[u8] = b"/@= ,\"'";
const AFTER: &[u8] = b":/ ,\"'?";
/// Variable names that hold a bare host.
const HOST_VARS: [&str; 8] = [
    "HOST", "ADDR", "SERVER", "SERVICE", "ENDPOINT", "BROKER", "URL", "URI",
];

/// `s` as a Go expression with each dialled Service name prefixed by `$p`, or `None` when it
/// dials none. Dialled: after `//` or `@`, or before `:N` or ` N` (a port), or the whole value
/// of a variable whose name says it holds a host.
pub fn dialled(s: &str, var: Option<&str>, services: &BTreeSet<String>) -> Option<String> {
    let b = s.as_bytes();
    let host_var = var.is_some_and(|v| {
        let v = v.to_ascii_uppercase();
        HOST_VARS.iter().any(|h| v.contains(h))
    });
    let mut parts = Vec::new();
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        let start_ok = i == 0 || BEFORE.contains(&b[i - 1]);
        let end = (i..b.len())
            .find(|&j| BEFORE.contains(&b[j]) || AFTER.contains(&b[j]))
            .unwrap_or(b.len());
        if start_ok && end > i && services.contains(&s[i..end]) {
            let after = &b[end..];
            let port_after = matches!(after, [b':' | b' ', d, ..] if d.is_ascii_digit());
            let dial_before = s[..i].ends_with("//") || s[..i].ends_with('@');
            let whole = i == 0 && end == b.len() && host_var;
            if port_after || dial_before || whole {
                parts.push(go_str(&s[last..i]));
                parts.push("$p".into());
                last = i;
            }
        }
        i = end.max(i + 1);
    }
    if parts.is_empty() {
        return None;
    }
    parts.push(go_str(&s[last..]));
    Some(format!("(print {})", parts.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dialled_names_get_the_prefix() {
        let services: BTreeSet<String> = ["db".to_string(), "cache".into()].into();
        let d = |s: &str, var: Option<&str>| dialled(s, var, &services);
        assert_eq!(
            d("postgres://u:p@db:5432/app", None).as_deref(),
            Some(r#"(print "postgres://u:p@" $p "db:5432/app")"#)
        );
        assert_eq!(
            d(
                "until nc -z -w 2 db 5432; do echo waiting for db; sleep 2; done",
                None
            )
            .as_deref(),
            Some(
                r#"(print "until nc -z -w 2 " $p "db 5432; do echo waiting for db; sleep 2; done")"#
            )
        );
        assert_eq!(
            d("db", Some("DB_HOST")).as_deref(),
            Some(r#"(print "" $p "db")"#)
        );
        // A user or database name that happens to be a service name is not a host.
        assert_eq!(d("db", Some("POSTGRES_USER")), None);
        assert_eq!(d("dbx:5432", None), None);
        assert_eq!(
            d("redis://cache", None).as_deref(),
            Some(r#"(print "redis://" $p "cache")"#)
        );
    }
}
