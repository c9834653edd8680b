//! The documents of the OCI distribution API, read without the network: a manifest list
//! or index (pick the platform's manifest), an image manifest (find its config blob), and
//! the image config (what the image declares, as a lock [`Image`]).

use super::file::{Healthcheck, Image};
use crate::compose::units::format_duration;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What the registry is asked to return: indexes and manifests, OCI and Docker.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// `os/architecture[/variant]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`.
    pub architecture: String,
    /// `v8` of `linux/arm64/v8`.
    pub variant: Option<String>,
}

impl Platform {
    /// Parse `os/architecture[/variant]` (`--platform`).
    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: (*os).into(),
                architecture: (*arch).into(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: (*os).into(),
                architecture: (*arch).into(),
                variant: Some((*v).into()),
            }),
            _ => Err(format!(
                "`{s}` is not a platform: use os/architecture[/variant], e.g. linux/amd64"
            )),
        }
    }

    fn matches(&self, p: &PlatformJson) -> bool {
        // arm64 images often leave out their only variant, v8.
        let variant = |v: Option<&str>| match (self.architecture.as_str(), v) {
            ("arm64", None) => Some("v8".to_string()),
            (_, v) => v.map(str::to_string),
        };
        p.os == self.os
            && p.architecture == self.architecture
            && (self.variant.is_none()
                || variant(self.variant.as_deref()) == variant(p.variant.as_deref()))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct PlatformJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl PlatformJson {
    fn name(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{}/{v}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    platform: Option<PlatformJson>,
}

/// A manifest endpoint's answer.
#[derive(Debug, Deserialize)]
struct Document {
    #[serde(default, rename = "mediaType")]
    media_type: String,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
}

/// What a manifest endpoint returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Manifest {
    /// An index or manifest list: the digest of the platform's manifest.
    Index { platform_manifest: String },
    /// An image manifest: the digest of its config blob.
    Image { config: String },
}

/// Read a manifest or index; `platform` picks from an index.
pub fn read_manifest(body: &[u8], platform: &Platform) -> Result<Manifest, String> {
    let doc: Document = serde_json::from_slice(body)
        .map_err(|e| format!("the registry's manifest is not JSON: {e}"))?;
    if let Some(list) = doc.manifests {
        let found = list
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| platform.matches(p)));
        return match found {
            Some(d) => Ok(Manifest::Index {
                platform_manifest: d.digest.clone(),
            }),
            None => {
                let mut have: Vec<String> = list
                    .iter()
                    .filter_map(|d| d.platform.as_ref())
                    .filter(|p| p.os != "unknown")
                    .map(PlatformJson::name)
                    .collect();
                have.sort();
                have.dedup();
                Err(format!(
                    "no {platform} image: the index has {}",
                    if have.is_empty() {
                        "no platform".into()
                    } else {
                        have.join(", ")
                    }
                ))
            }
        };
    }
    match doc.config {
        Some(c) => Ok(Manifest::Image { config: c.digest }),
        None => Err(format!(
            "the registry's manifest ({}) is neither an image manifest nor an index{}",
            if doc.media_type.is_empty() {
                "no media type"
            } else {
                &doc.media_type
            },
            if doc.media_type.contains("v1+prettyjws") || doc.media_type.contains("manifest.v1") {
                " (schema 1 manifests are not read)"
            } else {
                ""
            }
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HealthJson {
    #[serde(default)]
    test: Vec<String>,
    #[serde(default)]
    interval: u64,
    #[serde(default)]
    timeout: u64,
    #[serde(default)]
    start_period: u64,
    #[serde(default)]
    start_interval: u64,
    #[serde(default)]
    retries: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConfigJson {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    healthcheck: Option<HealthJson>,
    #[serde(default)]
    volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    stop_signal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ImageConfigJson {
    #[serde(flatten)]
    platform: PlatformJson,
    #[serde(default)]
    config: Option<ConfigJson>,
}

/// The image config blob as a lock entry (without its digest). Docker's zero timings mean
/// its defaults, so they are left out.
pub fn read_config(body: &[u8]) -> Result<Image, String> {
    let cfg: ImageConfigJson =
        serde_json::from_slice(body).map_err(|e| format!("the image config is not JSON: {e}"))?;
    let c = cfg.config.unwrap_or_default();
    let duration = |ns: u64| (ns > 0).then(|| format_duration(ns));
    let platform = cfg.platform;
    let mut exposed: Vec<String> = c
        .exposed_ports
        .unwrap_or_default()
        .into_keys()
        .map(|p| {
            if p.contains('/') {
                p
            } else {
                format!("{p}/tcp")
            }
        })
        .collect();
    // By number, so that 8080 comes after 443.
    exposed.sort_by_key(|p| {
        let (n, proto) = p.split_once('/').unwrap_or((p, ""));
        (n.parse::<u32>().unwrap_or(u32::MAX), proto.to_string())
    });
    Ok(Image {
        platform: platform.name(),
        user: c.user.unwrap_or_default(),
        exposed_ports: exposed,
        healthcheck: c
            .healthcheck
            .filter(|h| !h.test.is_empty())
            .map(|h| Healthcheck {
                test: h.test,
                interval: duration(h.interval),
                timeout: duration(h.timeout),
                retries: (h.retries > 0).then_some(h.retries),
                start_period: duration(h.start_period),
                start_interval: duration(h.start_interval),
            }),
        volumes: c.volumes.unwrap_or_default().into_keys().collect(),
        working_dir: c.working_dir.unwrap_or_default(),
        entrypoint: c.entrypoint.unwrap_or_default(),
        cmd: c.cmd.unwrap_or_default(),
        stop_signal: c.stop_signal.unwrap_or_default(),
        ..Image::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amd64() -> Platform {
        Platform::parse("linux/amd64").unwrap()
    }

    const INDEX: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:arm","platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:amd","platform":{"architecture":"amd64","os":"linux"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:att","platform":{"architecture":"unknown","os":"unknown"}}]}"#;

    #[test]
    fn indexes_pick_the_platform() {
        assert_eq!(
            read_manifest(INDEX.as_bytes(), &amd64()).unwrap(),
            Manifest::Index {
                platform_manifest: "sha256:amd".into()
            }
        );
        let arm = Platform::parse("linux/arm64").unwrap();
        assert_eq!(
            read_manifest(INDEX.as_bytes(), &arm).unwrap(),
            Manifest::Index {
                platform_manifest: "sha256:arm".into()
            }
        );
        let e =
            read_manifest(INDEX.as_bytes(), &Platform::parse("linux/s390x").unwrap()).unwrap_err();
        assert_eq!(
            e,
            "no linux/s390x image: the index has linux/amd64, linux/arm64/v8"
        );
        assert!(Platform::parse("linux").is_err());
    }

    #[test]
    fn manifests_name_their_config() {
        let m = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:cfg","size":1},"layers":[]}"#;
        assert_eq!(
            read_manifest(m.as_bytes(), &amd64()).unwrap(),
            Manifest::Image {
                config: "sha256:cfg".into()
            }
        );
        let v1 = r#"{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"}"#;
        assert!(
            read_manifest(v1.as_bytes(), &amd64())
                .unwrap_err()
                .contains("schema 1")
        );
    }

    #[test]
    fn configs_give_every_field() {
        let cfg = r#"{"architecture":"amd64","os":"linux","config":{
            "User":"101:101","ExposedPorts":{"8080/tcp":{},"443/tcp":{},"53/udp":{}},
            "Healthcheck":{"Test":["CMD","/bin/check"],"Interval":30000000000,"Timeout":5000000000,"StartPeriod":90000000000,"Retries":3},
            "Volumes":{"/var/lib/b":{},"/var/lib/a":{}},"WorkingDir":"/srv",
            "Entrypoint":["/init"],"Cmd":["serve","--port","8080"],"StopSignal":"SIGQUIT"}}"#;
        let i = read_config(cfg.as_bytes()).unwrap();
        assert_eq!(i.platform, "linux/amd64");
        assert_eq!(i.user, "101:101");
        assert_eq!(i.exposed_ports, ["53/udp", "443/tcp", "8080/tcp"]);
        let h = i.healthcheck.unwrap();
        assert_eq!(h.test, ["CMD", "/bin/check"]);
        assert_eq!(
            (
                h.interval.as_deref(),
                h.timeout.as_deref(),
                h.start_period.as_deref()
            ),
            (Some("30s"), Some("5s"), Some("1m30s"))
        );
        assert_eq!((h.retries, h.start_interval), (Some(3), None));
        assert_eq!(i.volumes, ["/var/lib/a", "/var/lib/b"]);
        assert_eq!(i.working_dir, "/srv");
        assert_eq!(i.entrypoint, ["/init"]);
        assert_eq!(i.cmd, ["serve", "--port", "8080"]);
        assert_eq!(i.stop_signal, "SIGQUIT");
        // A bare config: root, nothing declared.
        let bare = read_config(br#"{"os":"linux","architecture":"arm64","variant":"v8"}"#).unwrap();
        assert_eq!(
            (bare.user.as_str(), bare.platform.as_str()),
            ("", "linux/arm64/v8")
        );
        assert!(bare.healthcheck.is_none() && bare.exposed_ports.is_empty());
    }
}
