//! The lock file: what each image of a project declares (its config), as `kubeferry lock`
//! read it from the registry. A YAML document sorted by image reference, so a person can
//! review a change in a diff; [`parse`] reads it back, [`render`] writes it. Nothing in it
//! comes from credentials: it holds only what the registry serves to anyone who may pull.

use crate::compose::node::Node;
use crate::compose::typed::to_json;
use crate::diag::{Diagnostic, Location};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file name `kubeferry lock` writes and `convert`/`plan` look for beside the first
/// Compose file.
pub const FILE_NAME: &str = "kubeferry.lock";

/// The format version this build reads and writes.
pub const VERSION: u32 = 1;

/// A lock file: the images by reference, as written in the Compose file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The format version (1 is the only one).
    pub version: u32,
    /// Each image's declarations, by the reference the Compose file writes.
    #[serde(default)]
    pub images: BTreeMap<String, Image>,
}

/// What one image declares, for one platform.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// The digest the reference resolved to (an index's when the tag names one): what
    /// `--pin-digests` writes.
    pub digest: String,
    /// `os/architecture[/variant]` of the image read.
    pub platform: String,
    /// The platform's own manifest, when `digest` names an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// `USER`: empty when the image runs as root by default.
    #[serde(default)]
    pub user: String,
    /// `EXPOSE`: `port/protocol`, sorted.
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    /// `VOLUME` paths, sorted.
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub working_dir: String,
    #[serde(default)]
    pub entrypoint: Vec<String>,
    #[serde(default)]
    pub cmd: Vec<String>,
    #[serde(default)]
    pub stop_signal: String,
}

/// `HEALTHCHECK`, with Compose's duration syntax (`30s`, `1m30s`); an absent timing is
/// Docker's default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// `[CMD, ...]`, `[CMD-SHELL, "..."]` or `[NONE]`.
    pub test: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<String>,
}

const HEADER: &str = "# kubeferry.lock: what each image declares, read from its registry by `kubeferry lock`.\n# `kubeferry convert` and `kubeferry plan` read it offline. Run `kubeferry lock` again\n# when a tag or an image of the Compose file changes (docs/lock.md).\n";

/// Whether `d` is a digest as registries give them: `sha256:` and 64 hex digits (or
/// `sha512:` and 128). It becomes part of image references and URLs, so nothing else is.
pub fn valid_digest(d: &str) -> bool {
    let hex = |h: &str, n: usize| h.len() == n && h.bytes().all(|b| b.is_ascii_hexdigit());
    match d.split_once(':') {
        Some(("sha256", h)) => hex(h, 64),
        Some(("sha512", h)) => hex(h, 128),
        _ => false,
    }
}

/// The lock as text: a comment, then YAML with the images sorted by reference.
pub fn render(lock: &Lock) -> String {
    let body = crate::yaml::to_string(lock);
    format!("{HEADER}{body}")
}

/// Where a deserialisation error of `node` points: the key it names as unknown, searched
/// below `node`, else `node` itself.
fn locate(node: &Node, error: &str) -> (u32, u32) {
    fn find(n: &Node, key: &str) -> Option<(u32, u32)> {
        let map = n.as_map()?;
        map.get(key)
            .map(|v| (v.key_at.line, v.key_at.col))
            .or_else(|| map.values().find_map(|v| find(v, key)))
    }
    error
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .and_then(|(key, _)| find(node, key))
        .unwrap_or((node.at.line, node.at.col))
}

/// Read a lock file; `path` is how the file is named in diagnostics. Errors are `K001`.
pub fn parse(text: &[u8], path: &str) -> Result<Lock, Diagnostic> {
    let err = |at: (u32, u32), msg: String| {
        Diagnostic::error("K001", Location::new(path, at.0, at.1, ""), msg)
    };
    let parsed = crate::compose::parse::parse(text, path, 0, &crate::compose::Limits::default())
        .map_err(|d| Diagnostic {
            code: "K001",
            message: format!("not a kubeferry lock file: {}", d.message),
            ..d
        })?;
    let root = parsed
        .into_iter()
        .next()
        .unwrap_or_else(|| Node::new(crate::compose::node::Value::Null, Default::default()));
    // Each image on its own first, so that an error names the image (and the unknown key's
    // own line when serde names one).
    if let Some(images) = root.get("images").and_then(Node::as_map) {
        for (reference, node) in images {
            serde_json::from_value::<Image>(to_json(node)).map_err(|e| {
                let e = e.to_string();
                err(locate(node, &e), format!("images.{reference}: {e}"))
            })?;
        }
    }
    let lock: Lock = serde_json::from_value(to_json(&root)).map_err(|e| {
        let e = e.to_string();
        err(locate(&root, &e), format!("not a kubeferry lock file: {e}"))
    })?;
    if lock.version != VERSION {
        return Err(err(
            (0, 0),
            format!(
                "lock file version {} is not the one this kubeferry reads ({VERSION}): run `kubeferry lock` again",
                lock.version
            ),
        ));
    }
    for (reference, image) in &lock.images {
        for d in std::iter::once(&image.digest).chain(&image.manifest) {
            if !valid_digest(d) {
                return Err(err(
                    (0, 0),
                    format!("images.{reference}: `{d}` is not a digest (sha256:<64 hex digits>)"),
                ));
            }
        }
        if let Some(hc) = &image.healthcheck {
            for (key, value) in [
                ("interval", &hc.interval),
                ("timeout", &hc.timeout),
                ("start_period", &hc.start_period),
                ("start_interval", &hc.start_interval),
            ] {
                if let Some(v) = value
                    && crate::compose::units::parse_duration(v).is_none()
                {
                    return Err(err(
                        (0, 0),
                        format!("images.{reference}.healthcheck.{key}: `{v}` is not a duration"),
                    ));
                }
            }
        }
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lock {
        let mut images = BTreeMap::new();
        images.insert(
            "ghcr.io/acme/web:1".to_string(),
            Image {
                digest: format!("sha256:{}", "a".repeat(64)),
                platform: "linux/amd64".into(),
                user: "101".into(),
                exposed_ports: vec!["8080/tcp".into()],
                healthcheck: Some(Healthcheck {
                    test: vec!["CMD".into(), "true".into()],
                    interval: Some("10s".into()),
                    ..Healthcheck::default()
                }),
                volumes: vec!["/data".into()],
                ..Image::default()
            },
        );
        Lock {
            version: VERSION,
            images,
        }
    }

    #[test]
    fn round_trips() {
        let text = render(&sample());
        assert_eq!(parse(text.as_bytes(), "kubeferry.lock").unwrap(), sample());
        assert!(text.starts_with("# kubeferry.lock"));
    }

    #[test]
    fn refuses_unknown_keys_other_versions_and_bad_durations() {
        let e = parse(b"version: 1\nimages: {}\nextra: 1\n", "l").unwrap_err();
        assert_eq!(e.code, "K001");
        assert!(e.message.contains("extra"), "{}", e.message);
        let e = parse(b"version: 2\n", "l").unwrap_err();
        assert!(e.message.contains("version 2"), "{}", e.message);
        let e = parse(
            b"version: 1\nimages:\n  a:\n    digest: sha256:x/../y\n    platform: p\n",
            "l",
        )
        .unwrap_err();
        assert!(e.message.contains("not a digest"), "{}", e.message);
        assert!(valid_digest(&format!("sha256:{}", "0f".repeat(32))));
        let e = parse(
            b"version: 1\nimages:\n  a:\n    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n    platform: p\n    healthcheck:\n      test: [NONE]\n      interval: soon\n",
            "l",
        )
        .unwrap_err();
        assert!(e.message.contains("`soon`"), "{}", e.message);
    }
}
