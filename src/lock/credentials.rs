//! Registry credentials from a Docker client configuration (`$DOCKER_CONFIG/config.json`,
//! else `~/.docker/config.json`): `auths` entries (base64 `user:password` in `auth`, or
//! `username`/`password`), and credential helpers (`credHelpers` per registry, `credsStore`
//! for the rest) run as `docker-credential-<name> get`. Takes the file's text and a
//! registry; returns its credentials. They are only ever sent to that registry (or the
//! token service it names) and never printed: [`Credentials`] shows no secret in `Debug`.

use base64::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or token (never printed: `Debug` hides it).
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <secret>)", self.username)
    }
}

impl Credentials {
    /// The value of an `Authorization: Basic` header.
    pub fn basic(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The parts of a Docker client configuration that name credentials.
#[derive(Debug, Default, Deserialize)]
pub struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

/// A registry as the keys of `auths` name it: `https://index.docker.io/v1/`,
/// `registry.example:5000`, `https://ghcr.io` are `docker.io`, `registry.example:5000`,
/// `ghcr.io`.
fn registry_of_key(key: &str) -> String {
    let k = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = k.split('/').next().unwrap_or(k);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".into()
        }
        h => h.to_string(),
    }
}

/// How the Docker CLI names a registry to a credential helper.
fn helper_server(registry: &str) -> String {
    if registry == "docker.io" {
        "https://index.docker.io/v1/".into()
    } else {
        registry.to_string()
    }
}

impl DockerConfig {
    /// Parse the text of a config.json; an unreadable one is an error with no content in it.
    pub fn parse(text: &str) -> Result<DockerConfig, String> {
        serde_json::from_str(text).map_err(|e| {
            format!(
                "the Docker client configuration is not valid JSON (line {})",
                e.line()
            )
        })
    }

    /// The helper for a registry, if any: its `credHelpers` entry, else `credsStore`.
    pub fn helper(&self, registry: &str) -> Option<&str> {
        self.cred_helpers
            .iter()
            .find(|(k, _)| registry_of_key(k) == registry)
            .map(|(_, v)| v.as_str())
            .or(self.creds_store.as_deref())
    }

    /// The credentials stored in `auths` for a registry.
    pub fn stored(&self, registry: &str) -> Result<Option<Credentials>, String> {
        let Some((_, e)) = self
            .auths
            .iter()
            .find(|(k, _)| registry_of_key(k) == registry)
        else {
            return Ok(None);
        };
        if let Some(auth) = e.auth.as_deref().filter(|a| !a.is_empty()) {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| {
                    format!(
                        "the `auth` of {registry} in the Docker client configuration is not base64"
                    )
                })?;
            let raw = String::from_utf8(raw).map_err(|_| {
                format!("the `auth` of {registry} in the Docker client configuration is not text")
            })?;
            let (u, p) = raw.split_once(':').ok_or_else(|| {
                format!("the `auth` of {registry} in the Docker client configuration is not user:password")
            })?;
            return Ok(Some(Credentials {
                username: u.into(),
                password: p.into(),
            }));
        }
        Ok(match (&e.username, &e.password) {
            (Some(u), Some(p)) => Some(Credentials {
                username: u.clone(),
                password: p.clone(),
            }),
            _ => None,
        })
    }

    /// The credentials for a registry: a helper's, else the stored ones.
    pub fn credentials(&self, registry: &str) -> Result<Option<Credentials>, String> {
        if let Some(helper) = self.helper(registry) {
            // A store that does not know the registry falls back to `auths`, as Docker does.
            if let Some(c) = run_helper(helper, registry)? {
                return Ok(Some(c));
            }
        }
        self.stored(registry)
    }
}

/// `docker-credential-<helper> get`, the server on standard input; `{Username, Secret}` out.
/// "credentials not found" is no credentials, not an error.
fn run_helper(helper: &str, registry: &str) -> Result<Option<Credentials>, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run the credential helper {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(helper_server(registry).as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("the credential helper {program} failed: {e}"))?;
    if !out.status.success() {
        // The helper's output may hold a secret; only its verdict is kept.
        if String::from_utf8_lossy(&out.stdout).contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!(
            "the credential helper {program} failed for {registry} ({})",
            out.status
        ));
    }
    #[derive(Deserialize)]
    struct Reply {
        #[serde(rename = "Username")]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let r: Reply = serde_json::from_slice(&out.stdout)
        .map_err(|_| format!("the credential helper {program} gave no credentials"))?;
    Ok(Some(Credentials {
        username: r.username,
        password: r.secret,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auths_by_registry() {
        let c = DockerConfig::parse(
            r#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "aHViOnMzY3JldA=="},
                "127.0.0.1:5000": {"username": "u", "password": "p"},
                "https://ghcr.io": {"auth": ""}
            }}"#,
        )
        .unwrap();
        let hub = c.credentials("docker.io").unwrap().unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.as_str()),
            ("hub", "s3cret")
        );
        assert_eq!(hub.basic(), "Basic aHViOnMzY3JldA==");
        assert_eq!(
            c.credentials("127.0.0.1:5000").unwrap().unwrap().username,
            "u"
        );
        assert_eq!(c.credentials("ghcr.io").unwrap(), None);
        assert_eq!(c.credentials("quay.io").unwrap(), None);
    }

    #[test]
    fn secrets_are_never_shown() {
        let c = Credentials {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        let bad = DockerConfig::parse(r#"{"auths": {"r": {"auth": "not base64!"}}}"#).unwrap();
        let e = bad.credentials("r").unwrap_err();
        assert!(!e.contains("not base64!"), "{e}");
    }

    #[test]
    fn helpers_per_registry_then_store() {
        let c =
            DockerConfig::parse(r#"{"credHelpers": {"gcr.io": "gcloud"}, "credsStore": "pass"}"#)
                .unwrap();
        assert_eq!(c.helper("gcr.io"), Some("gcloud"));
        assert_eq!(c.helper("docker.io"), Some("pass"));
        assert_eq!(helper_server("docker.io"), "https://index.docker.io/v1/");
    }
}
