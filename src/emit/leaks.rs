//! The converting machine in the output: folders of this machine (the working directory, the
//! project folder, the home folder) that reached an object, usually through `${PWD}` or
//! `${HOME}` in the Compose file or a hostPath. Manifests that carry them differ from machine to
//! machine, so each object that does gets a warning.
//!
//! Takes the objects and the machine's folders; returns one warning per object and folder.
//!
//! The other leak is a credential in plain text: [`credentials`] looks for the values of the
//! Secrets (those written, and those the user creates) in every other object, where a command,
//! a healthcheck or a label may repeat one, and warns without showing the value.

use crate::diag::{Diagnostic, Location};
use crate::hash::FastMap;
use crate::lower::{External, Object};

/// Warnings for the objects whose text contains one of `folders`.
pub fn machine_paths(objects: &[Object], folders: &[String]) -> Vec<Diagnostic> {
    let mut folders: Vec<&str> = folders
        .iter()
        .map(|f| f.trim_end_matches('/'))
        // The root alone, or a one-letter folder, would match every absolute path.
        .filter(|f| f.len() > 2 && f.starts_with('/'))
        .collect();
    // Longest first: a folder inside another is reported once, as the longer one.
    folders.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = Vec::new();
    if folders.is_empty() {
        return out;
    }
    let mut found = vec![false; folders.len()];
    for o in objects {
        found.fill(false);
        super::strings::each(o, &mut |s| {
            // Every folder starts with `/`: one pass over the string's slashes tries them all.
            // Most strings have no slash (memchr says so at once); in the others, a byte loop:
            // they are short, where a searcher costs more to start than it saves.
            if !s.as_bytes().contains(&b'/') {
                return;
            }
            for (at, _) in s.bytes().enumerate().filter(|&(_, b)| b == b'/') {
                for (i, f) in folders.iter().enumerate() {
                    found[i] |= holds_at(&s[at..], f);
                }
            }
        });
        let mut seen: Vec<&str> = Vec::new();
        for (i, f) in folders.iter().enumerate() {
            if !found[i] || seen.iter().any(|s| s.contains(f)) {
                continue;
            }
            seen.push(f);
            out.push(in_output(
                "E010",
                o,
                format!(
                    "contains `{f}`, a folder of this machine (from a host path, or `${{PWD}}`/`${{HOME}}` in the Compose file): the manifests will not be the same on another machine"
                ),
            ));
        }
    }
    out
}

/// A warning about object `o` of the output: ``<Kind> `<name>` <what>``.
fn in_output(code: &'static str, o: &Object, what: String) -> Diagnostic {
    Diagnostic::warning(
        code,
        Location::new("<output>", 0, 0, format!("{} {}", o.kind(), o.name())),
        format!("{} `{}` {what}", o.kind(), o.name()),
    )
}

/// The bytes of a value's prefix the scan indexes (a u64); no shorter value is looked for.
const CREDENTIAL_MIN: usize = crate::lower::sensitive::HOLD_MIN;
const _: () = assert!(CREDENTIAL_MIN == 8, "the index keys are u64 prefixes");

/// Warnings for the objects other than Secrets that contain the value of a Secret's key.
pub fn credentials(objects: &[Object], external: &External) -> Vec<Diagnostic> {
    let mut needles: Vec<(String, &[u8])> = Vec::new();
    for o in objects {
        if let Object::Secret(s) = o {
            for (k, v) in s.data.iter().flatten() {
                // A file's last newline is not part of what a command would repeat.
                let v = v.0.strip_suffix(b"\n").unwrap_or(&v.0);
                needles.push((format!("key `{k}` of Secret `{}`", o.name()), v));
            }
        }
    }
    for (what, v) in &external.credentials.0 {
        needles.push((what.clone(), v.as_bytes()));
    }
    // Short values and plain words (`temporal`) are also names, labels and commands.
    needles.retain(|(_, v)| crate::lower::sensitive::worth_finding(v));
    // One value shared by several keys is one finding: named by its first key and a count.
    needles.sort_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(&b.0)));
    let mut shared: Vec<usize> = Vec::new();
    let mut unique: Vec<(String, &[u8])> = Vec::new();
    for (what, v) in needles {
        match unique.last() {
            Some((_, last)) if *last == v => {
                if let Some(n) = shared.last_mut() {
                    *n += 1;
                }
            }
            _ => {
                unique.push((what, v));
                shared.push(0);
            }
        }
    }
    let needles = unique;
    let mut out = Vec::new();
    if needles.is_empty() {
        return out;
    }
    // Indexed by their first 8 bytes: each string is read once, whatever the number of
    // values, and most positions are passed over on their first byte alone.
    let prefix = |b: &[u8]| u64::from_le_bytes(b[..CREDENTIAL_MIN].try_into().unwrap_or_default());
    let mut by_prefix: FastMap<u64, Vec<usize>> = FastMap::default();
    let mut starts = [false; 256];
    for (i, (_, v)) in needles.iter().enumerate() {
        by_prefix.entry(prefix(v)).or_default().push(i);
        starts[usize::from(v[0])] = true;
    }
    let mut found: Vec<usize> = Vec::new();
    for o in objects.iter().filter(|o| !matches!(o, Object::Secret(_))) {
        found.clear();
        super::strings::each(o, &mut |s| {
            let b = s.as_bytes();
            if b.len() < CREDENTIAL_MIN {
                return;
            }
            for at in 0..=b.len() - CREDENTIAL_MIN {
                if !starts[usize::from(b[at])] {
                    continue;
                }
                let Some(list) = by_prefix.get(&prefix(&b[at..])) else {
                    continue;
                };
                for &i in list {
                    if b[at..].starts_with(needles[i].1) && !found.contains(&i) {
                        found.push(i);
                    }
                }
            }
        });
        found.sort_unstable();
        for &i in &found {
            let what = match shared.get(i).copied().unwrap_or(0) {
                0 => needles[i].0.clone(),
                n => format!(
                    "{} (and of {n} other keys that hold the same value)",
                    needles[i].0
                ),
            };
            out.push(in_output(
                "E011",
                o,
                format!(
                    "contains the value of {what} in plain text (from a command, a healthcheck or a label of the Compose file): read it from the variable instead (`$(VAR)` in command and args, `$$VAR` in a shell) so it stays in the Secret"
                ),
            ));
        }
    }
    out
}

/// Whether `rest` (a string from one of its slashes on) starts with the folder `f` itself or
/// something inside it (`f` at its end, or `f/…`), not a sibling sharing its prefix (`f-old`).
fn holds_at(rest: &str, f: &str) -> bool {
    rest.starts_with(f) && matches!(rest.as_bytes().get(f.len()), None | Some(b'/'))
}

#[cfg(test)]
mod tests {
    use super::{External, Object, credentials, holds_at};
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    fn config_map(name: &str, text: &str) -> Object {
        Object::from(ConfigMap {
            metadata: meta(name),
            data: Some([("cmd".to_string(), text.to_string())].into()),
            ..Default::default()
        })
    }

    #[test]
    fn credential_values_outside_secrets_are_named_never_shown() {
        let secret = Object::from(Secret {
            metadata: meta("db-env"),
            data: Some(
                [
                    ("PW".to_string(), ByteString(b"longsecret9\n".to_vec())),
                    ("SHORT".to_string(), ByteString(b"pw".to_vec())),
                ]
                .into(),
            ),
            ..Default::default()
        });
        let objects = [
            secret,
            config_map("a", "redis-cli -a longsecret9 ping"),
            config_map("b", "pw is short, so not looked for"),
        ];
        let w = credentials(&objects, &External::default());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "E011");
        assert!(w[0].message.contains("key `PW` of Secret `db-env`"));
        assert!(!w[0].message.contains("longsecret9"));
        // The values of Secrets the user creates are looked for too.
        let mut ext = External::default();
        ext.credentials
            .0
            .push(("key `T` of Secret `x`".into(), "tok-123456".into()));
        let w = credentials(&[config_map("c", "--token=tok-123456")], &ext);
        assert_eq!(w.len(), 1);
        assert!(format!("{:?}", ext.credentials).contains("key `T`"));
        assert!(!format!("{:?}", ext.credentials).contains("tok-123456"));
    }

    /// `holds_at` at each slash of `s`, as the scan tries it.
    fn holds(s: &str, f: &str) -> bool {
        s.match_indices('/').any(|(i, _)| holds_at(&s[i..], f))
    }

    #[test]
    fn a_folder_is_found_itself_or_as_a_parent_but_not_as_a_prefix() {
        assert!(holds("/home/ann/app", "/home/ann"));
        assert!(holds("/home/ann", "/home/ann"));
        assert!(holds("file:///home/ann/x", "/home/ann"));
        assert!(holds("a=/x,b=/home/ann", "/home/ann"));
        assert!(!holds("/home/anna/app", "/home/ann"));
        assert!(!holds("home/ann", "/home/ann"));
        assert!(!holds("/srv/home/ann2", "/home/ann"));
    }
}
