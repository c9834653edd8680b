//! The Kubernetes release the output is written for (`--kube-version X.Y`).
//!
//! A [`KubeVersion`] is parsed once into the options; every choice that depends on what the
//! cluster offers asks it through [`KubeVersion::has`] with a [`Feature`], so the version
//! boundaries live in one table ([`Feature::since`]) and docs/conversion.md can list them.

use std::fmt;

/// A Kubernetes minor release (`1.Y`), within [`KubeVersion::OLDEST`]..=[`KubeVersion::NEWEST`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    minor: u32,
}

impl KubeVersion {
    /// The oldest release the output is checked against (the validator's oldest schemas).
    pub const OLDEST: KubeVersion = KubeVersion { minor: 25 };
    /// The newest release the output is checked against.
    pub const NEWEST: KubeVersion = KubeVersion { minor: 37 };
    /// The default target: the oldest minor release managed clusters still run
    /// (docs/decisions.md, "validation floor"). Output for it also runs on every newer one.
    pub const DEFAULT: KubeVersion = KubeVersion { minor: 30 };

    /// `1.Y`, refusing releases outside the supported range.
    pub fn new(minor: u32) -> Result<KubeVersion, String> {
        let v = KubeVersion { minor };
        if v < Self::OLDEST || v > Self::NEWEST {
            return Err(format!(
                "Kubernetes {v} is outside the supported range {} to {}",
                Self::OLDEST,
                Self::NEWEST
            ));
        }
        Ok(v)
    }

    /// Parse `1.Y` (a patch level, `1.Y.Z`, and a leading `v` are accepted and ignored).
    pub fn parse(s: &str) -> Result<KubeVersion, String> {
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        let (major, minor) = (parts.next(), parts.next());
        let patch_ok =
            parts.next().is_none_or(|p| p.parse::<u32>().is_ok()) && parts.next().is_none();
        match (major, minor.and_then(|m| m.parse::<u32>().ok())) {
            (Some("1"), Some(minor)) if patch_ok => Self::new(minor),
            _ => Err(format!(
                "`{s}` is not a Kubernetes version (give the minor release, e.g. 1.30)"
            )),
        }
    }

    /// The minor release (`30` of 1.30).
    pub fn minor(self) -> u32 {
        self.minor
    }

    /// Whether the release offers the feature (on by default, without feature gates).
    pub fn has(self, f: Feature) -> bool {
        self >= f.since()
    }

    /// The official kubectl image for this release, pinned to a patch release (the newest
    /// known when the table was written). The image (Debian base with bash, entrypoint
    /// `/bin/kubectl`, no `USER`: root) exists from 1.28; older targets get 1.28's, which
    /// reads a `batch/v1` Job from those servers as well.
    pub fn kubectl_image(self) -> &'static str {
        match self.minor {
            ..=28 => "registry.k8s.io/kubectl:v1.28.15",
            29 => "registry.k8s.io/kubectl:v1.29.15",
            30 => "registry.k8s.io/kubectl:v1.30.14",
            31 => "registry.k8s.io/kubectl:v1.31.12",
            32 => "registry.k8s.io/kubectl:v1.32.12",
            33 => "registry.k8s.io/kubectl:v1.33.8",
            34 => "registry.k8s.io/kubectl:v1.34.4",
            35 => "registry.k8s.io/kubectl:v1.35.1",
            36 => "registry.k8s.io/kubectl:v1.36.0",
            _ => "registry.k8s.io/kubectl:v1.37.0",
        }
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

/// The version-dependent features kubeferry uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Init containers with `restartPolicy: Always` (beta and on by default in 1.29).
    NativeSidecars,
    /// `resource.k8s.io/v1` (DRA GA in 1.34): `--gpu-api dra`.
    DynamicResourceAllocation,
    /// `volumes[].image` (the ImageVolume gate is on by default from 1.35).
    ImageVolumes,
    /// `hostUsers: false` (user namespaces, GA in 1.36), which Pod Security "restricted"
    /// accepts for containers that run as root.
    UserNamespaces,
}

impl Feature {
    /// Every feature, in declaration order.
    pub const ALL: [Feature; 4] = [
        Feature::NativeSidecars,
        Feature::DynamicResourceAllocation,
        Feature::ImageVolumes,
        Feature::UserNamespaces,
    ];

    /// What kubeferry writes with the feature.
    pub fn what(self) -> &'static str {
        match self {
            Feature::NativeSidecars => {
                "`network_mode: service:X` helpers as native sidecars (init containers with `restartPolicy: Always`, a startupProbe from their healthcheck): they start before X's container, and a Job completes when X exits"
            }
            Feature::DynamicResourceAllocation => {
                "`--gpu-api dra`: a `resource.k8s.io/v1` ResourceClaimTemplate per GPU service"
            }
            Feature::ImageVolumes => {
                "`volumes: - type: image` as an image volume: read-only, `subPath` from `image.subpath`, `pullPolicy` from `pull_policy`"
            }
            Feature::UserNamespaces => {
                "`--harden restricted`: a service with `user: 0` runs as root in a user namespace (`hostUsers: false`, no runAsNonRoot), which Pod Security \"restricted\" accepts"
            }
        }
    }

    /// What older releases get instead.
    pub fn before(self) -> &'static str {
        match self {
            Feature::NativeSidecars => {
                "plain second containers (a Job completes only once they exit too: L018 says so)"
            }
            Feature::DynamicResourceAllocation => "refused: use `--gpu-api device-plugin`",
            Feature::ImageVolumes => {
                "an emptyDir filled at every pod start by init containers that copy the image's files with busybox from `--wait-image` (the image needs no shell, but must be runnable on the node; L058)"
            }
            Feature::UserNamespaces => {
                "refused at restricted (error H001: convert the service at baseline)"
            }
        }
    }

    /// The cell of the conversion table.
    pub fn doc(self) -> &'static str {
        match self {
            Feature::NativeSidecars => {
                "`service:` helpers as native sidecars (plain containers before)"
            }
            Feature::DynamicResourceAllocation => "with `--gpu-api dra` (refused before)",
            Feature::ImageVolumes => {
                "`type: image` as image volumes (an init-container copy before)"
            }
            Feature::UserNamespaces => {
                "with `--harden restricted`, `user: 0` in a user namespace (refused before)"
            }
        }
    }

    /// The first release that has the feature on by default.
    pub const fn since(self) -> KubeVersion {
        let minor = match self {
            Feature::NativeSidecars => 29,
            Feature::DynamicResourceAllocation => 34,
            Feature::ImageVolumes => 35,
            Feature::UserNamespaces => 36,
        };
        KubeVersion { minor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minor_releases_and_refuses_the_rest() {
        assert_eq!(KubeVersion::parse("1.33").unwrap().minor(), 33);
        assert_eq!(KubeVersion::parse("v1.29.4").unwrap().minor(), 29);
        assert!(
            KubeVersion::parse("1.24")
                .unwrap_err()
                .contains("1.25 to 1.37")
        );
        assert!(KubeVersion::parse("1.38").unwrap_err().contains("outside"));
        for bad in ["2.0", "1", "1.x", "1.30.1.2", ""] {
            assert!(KubeVersion::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn features_start_at_their_release() {
        let v = |m| KubeVersion::new(m).unwrap();
        assert!(!v(28).has(Feature::NativeSidecars));
        assert!(v(29).has(Feature::NativeSidecars));
        assert!(!v(34).has(Feature::ImageVolumes));
        assert!(v(35).has(Feature::ImageVolumes));
        assert!(!v(33).has(Feature::DynamicResourceAllocation));
        assert_eq!(KubeVersion::default().to_string(), "1.30");
    }
}
