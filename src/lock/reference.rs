//! Image references as Docker reads them: `nginx` is `docker.io/library/nginx:latest`, the
//! first component names a registry when it has a `.` or `:` or is `localhost`. Takes the
//! string of a Compose `image:`; returns its registry, repository, tag and digest.

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// `library/nginx`, `acme/api`.
    pub repository: String,
    /// The tag; `latest` when neither a tag nor a digest is given.
    pub tag: Option<String>,
    /// The `sha256:...` digest, when the reference pins one.
    pub digest: Option<String>,
}

impl Reference {
    /// Parse a reference; `None` when it is empty or has characters no reference has.
    pub fn parse(image: &str) -> Option<Reference> {
        let image = image.trim();
        if image.is_empty() || image.contains(char::is_whitespace) || image.contains("${") {
            return None;
        }
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (image, None),
        };
        // A `:` after the last `/` starts the tag; one before it is a registry port.
        let slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[slash..].find(':') {
            Some(i) => (&name[..slash + i], Some(name[slash + i + 1..].to_string())),
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_string(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" {
            "docker.io".to_string()
        } else {
            registry
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if repository.is_empty() || tag.as_deref() == Some("") {
            return None;
        }
        let tag = tag.or_else(|| digest.is_none().then(|| "latest".to_string()));
        Some(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The full form: `docker.io/library/nginx:latest`, `ghcr.io/a/b@sha256:...`.
    pub fn canonical(&self) -> String {
        let mut s = format!("{}/{}", self.registry, self.repository);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// What the registry's manifest endpoint is asked for: the digest when given, else the
    /// tag.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The host the registry API answers on (Docker Hub's API is not at `docker.io`).
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Reference;

    #[test]
    fn docker_hub_names() {
        let r = Reference::parse("nginx").unwrap();
        assert_eq!(r.canonical(), "docker.io/library/nginx:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(
            Reference::parse("bitnami/redis:7").unwrap().canonical(),
            "docker.io/bitnami/redis:7"
        );
        assert_eq!(
            Reference::parse("index.docker.io/library/nginx:1.27")
                .unwrap()
                .canonical(),
            "docker.io/library/nginx:1.27"
        );
    }

    #[test]
    fn registries_ports_tags_and_digests() {
        let r = Reference::parse("127.0.0.1:5000/acme/api:1.0").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "acme/api", Some("1.0"))
        );
        let r = Reference::parse("localhost/api@sha256:ab").unwrap();
        assert_eq!((r.tag, r.digest.as_deref()), (None, Some("sha256:ab")));
        let r = Reference::parse("ghcr.io/a/b:2@sha256:cd").unwrap();
        assert_eq!(r.manifest_ref(), "sha256:cd");
        assert_eq!(Reference::parse(""), None);
        assert_eq!(Reference::parse("app:"), None);
        assert_eq!(Reference::parse("${IMAGE}"), None);
    }
}
