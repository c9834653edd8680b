//! An OCI distribution API client, just enough to read what an image declares: the
//! manifest (through an index or manifest list for the platform) and the image config blob.
//! It answers registry challenges (a bearer token from the realm `WWW-Authenticate` names,
//! as Docker Hub does, or basic authentication), speaks HTTPS, and plain HTTP only to the
//! registries named as insecure. Each request has timeouts and is retried on connection
//! failures and 5xx/429 answers. Credentials go only to the registry and its token realm;
//! redirects (blob storage) never carry them; no message shows them.

use super::credentials::Credentials;
use super::file::{Image, valid_digest};
use super::manifest::{self, Manifest, Platform};
use super::reference::Reference;
use std::collections::BTreeMap;
use std::time::Duration;

/// Largest manifest and config blob read.
const MAX_DOCUMENT: u64 = 16 << 20;

/// How the registries are reached.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The platform whose image is read from a multi-platform index.
    pub platform: Platform,
    /// `HOST:PORT` of registries spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// Attempts per request (the first included).
    pub attempts: u32,
    /// Timeout of a connection.
    pub connect_timeout: Duration,
    /// Timeout of a whole request.
    pub request_timeout: Duration,
}

impl Settings {
    /// HTTPS only, three attempts, 10 s to connect, 60 s per request.
    pub fn new(platform: Platform) -> Settings {
        Settings {
            platform,
            insecure: Vec::new(),
            attempts: 3,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// A client; it keeps the tokens it was given for the repositories it read.
pub struct Client<'a> {
    agent: ureq::Agent,
    settings: Settings,
    /// Credentials by registry (`None`: anonymous).
    credentials: &'a dyn Fn(&str) -> Result<Option<Credentials>, String>,
    /// `Authorization` values by `registry/repository`.
    auth: BTreeMap<String, String>,
}

/// One HTTP answer: status, the headers used here, the body.
struct Answer {
    status: u16,
    challenge: Option<String>,
    digest: Option<String>,
    body: Vec<u8>,
}

impl<'a> Client<'a> {
    /// A client with these settings; `credentials` gives a registry's login (`None`: anonymous).
    pub fn new(
        settings: Settings,
        credentials: &'a dyn Fn(&str) -> Result<Option<Credentials>, String>,
    ) -> Client<'a> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.request_timeout))
            .user_agent(concat!("kubeferry/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client {
            agent,
            settings,
            credentials,
            auth: BTreeMap::new(),
        }
    }

    fn base(&self, r: &Reference) -> String {
        let scheme = if self.settings.insecure.contains(&r.registry) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}/v2/{}", r.api_host(), r.repository)
    }

    /// What the image of a reference declares, for the platform.
    pub fn image(&mut self, r: &Reference) -> Result<Image, String> {
        let url = format!("{}/manifests/{}", self.base(r), r.manifest_ref());
        let top = self.get(r, &url, Some(manifest::ACCEPT))?;
        let digest = top
            .digest
            .clone()
            .or_else(|| r.digest.clone())
            .ok_or("the registry did not say the manifest's digest (Docker-Content-Digest)")?;
        let checked = |d: String| {
            if valid_digest(&d) {
                Ok(d)
            } else {
                Err(format!("the registry gave `{d}`, which is not a digest"))
            }
        };
        let digest = checked(digest)?;
        let (config, platform_manifest) =
            match manifest::read_manifest(&top.body, &self.settings.platform)? {
                Manifest::Image { config } => (checked(config)?, None),
                Manifest::Index { platform_manifest } => {
                    let platform_manifest = checked(platform_manifest)?;
                    let url = format!("{}/manifests/{platform_manifest}", self.base(r));
                    let m = self.get(r, &url, Some(manifest::ACCEPT))?;
                    match manifest::read_manifest(&m.body, &self.settings.platform)? {
                        Manifest::Image { config } => (checked(config)?, Some(platform_manifest)),
                        Manifest::Index { .. } => {
                            return Err("the index names another index for the platform".into());
                        }
                    }
                }
            };
        let url = format!("{}/blobs/{config}", self.base(r));
        let blob = self.get(r, &url, None)?;
        let mut image = manifest::read_config(&blob.body)?;
        // A tag of one manifest runs whatever platform it is: say so when it is not the asked one.
        if platform_manifest.is_none() && !platform_fits(&image.platform, &self.settings.platform) {
            return Err(format!(
                "no {} image: the tag names a single {} image",
                self.settings.platform, image.platform
            ));
        }
        image.digest = digest;
        image.manifest = platform_manifest;
        Ok(image)
    }

    /// GET with authentication and retries; any status but 200 is an error that says what it
    /// means for the image.
    fn get(&mut self, r: &Reference, url: &str, accept: Option<&str>) -> Result<Answer, String> {
        let key = format!("{}/{}", r.registry, r.repository);
        let mut a = self.send(url, accept, self.auth.get(&key).cloned())?;
        if a.status == 401 && !self.auth.contains_key(&key) {
            let challenge = a.challenge.clone().unwrap_or_default();
            let value = self.authorize(r, &challenge)?;
            self.auth.insert(key.clone(), value.clone());
            a = self.send(url, accept, Some(value))?;
        }
        match a.status {
            200 => Ok(a),
            401 => Err(format!(
                "401 unauthorized: {} refuses {} (no credentials for it in the Docker client configuration, or they are wrong)",
                r.registry, r.repository
            )),
            403 => Err(format!(
                "403 forbidden: the credentials for {} may not pull {}",
                r.registry, r.repository
            )),
            404 => Err(format!(
                "404 not found: {} has no {} (a typo, a tag not pushed, or a private repository the registry hides)",
                r.registry,
                r.canonical()
            )),
            s => Err(format!("the registry answered HTTP {s} for {url}")),
        }
    }

    /// One request, retried on connection errors, 429 and 5xx.
    fn send(
        &self,
        url: &str,
        accept: Option<&str>,
        auth: Option<String>,
    ) -> Result<Answer, String> {
        let mut last = String::new();
        for attempt in 0..self.settings.attempts.max(1) {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(500 << attempt));
            }
            let mut req = self.agent.get(url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            match req.call() {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    if status == 429 || status >= 500 {
                        last = format!("the registry answered HTTP {status}");
                        continue;
                    }
                    let header = |n: &str| {
                        resp.headers()
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    let challenge = header("www-authenticate");
                    let digest = header("docker-content-digest");
                    let body = if status == 200 {
                        resp.body_mut()
                            .with_config()
                            .limit(MAX_DOCUMENT)
                            .read_to_vec()
                            .map_err(|e| format!("cannot read the registry's answer: {e}"))?
                    } else {
                        Vec::new()
                    };
                    return Ok(Answer {
                        status,
                        challenge,
                        digest,
                        body,
                    });
                }
                Err(e) => last = transport_error(url, &e),
            }
        }
        Err(last)
    }

    /// The `Authorization` value that answers a challenge.
    fn authorize(&self, r: &Reference, challenge: &str) -> Result<String, String> {
        let creds = (self.credentials)(&r.registry)?;
        let (scheme, params) = parse_challenge(challenge);
        if scheme.eq_ignore_ascii_case("basic") {
            return creds.map(|c| c.basic()).ok_or_else(|| {
                format!(
                    "401 unauthorized: {} asks for a user name and password, and the Docker client configuration has none for it (docker login {})",
                    r.registry, r.registry
                )
            });
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(format!(
                "401 unauthorized: {} asks for `{scheme}` authentication, which kubeferry does not speak",
                r.registry
            ));
        }
        let realm = params
            .get("realm")
            .ok_or("the registry's bearer challenge names no realm")?;
        if !realm.starts_with("https://")
            && !self
                .settings
                .insecure
                .iter()
                .any(|h| realm.starts_with(&format!("http://{h}/")))
        {
            return Err(format!(
                "the token realm {realm} is not HTTPS: credentials are not sent there"
            ));
        }
        let mut url = format!(
            "{realm}?scope={}",
            encode(&format!("repository:{}:pull", r.repository))
        );
        if let Some(s) = params.get("service") {
            url.push_str(&format!("&service={}", encode(s)));
        }
        let a = self.send(&url, None, creds.as_ref().map(Credentials::basic))?;
        match a.status {
            200 => {}
            401 | 403 => {
                return Err(format!(
                    "401 unauthorized: the token service of {} refuses {} to {}",
                    r.registry,
                    r.repository,
                    if creds.is_some() {
                        "the credentials of the Docker client configuration"
                    } else {
                        "anonymous clients (docker login)"
                    }
                ));
            }
            s => {
                return Err(format!(
                    "the token service of {} answered HTTP {s}",
                    r.registry
                ));
            }
        }
        #[derive(serde::Deserialize)]
        struct Token {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(&a.body)
            .map_err(|_| "the token service's answer is not JSON".to_string())?;
        t.token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .map(|t| format!("Bearer {t}"))
            .ok_or_else(|| "the token service gave no token".into())
    }
}

fn platform_fits(have: &str, want: &Platform) -> bool {
    let want_s = want.to_string();
    have == want_s
        || (want.variant.is_none()
            && have.starts_with(&format!("{}/{}/", want.os, want.architecture)))
        || (have == format!("{}/{}", want.os, want.architecture)
            && (want.variant.as_deref() == Some("v8") || want.variant.is_none()))
}

/// A transport failure, without anything of the request but its host.
fn transport_error(url: &str, e: &ureq::Error) -> String {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or(url);
    match e {
        ureq::Error::Timeout(_) => format!("{host} did not answer in time"),
        ureq::Error::HostNotFound => format!("{host}: no such host"),
        ureq::Error::Io(io) => format!("cannot reach {host}: {io}"),
        other => format!(
            "cannot talk to {host}: {other} (a registry on plain HTTP needs --insecure-registry)"
        ),
    }
}

/// `Bearer realm="https://auth",service="registry",scope="..."` → ("Bearer", params).
pub fn parse_challenge(header: &str) -> (String, BTreeMap<String, String>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = BTreeMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let Some((k, after)) = s.split_once('=') else {
            break;
        };
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        params.insert(k, v.to_string());
        s = next.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
    }
    (scheme.to_string(), params)
}

/// Percent-encoding of a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenge() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["service"], "registry.docker.io");
        assert_eq!(p["scope"], "repository:library/nginx:pull");
        let (scheme, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(
            (scheme.as_str(), p["realm"].as_str()),
            ("Basic", "Registry Realm")
        );
        assert_eq!(encode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
    }

    #[test]
    fn platforms_fit() {
        let amd = Platform::parse("linux/amd64").unwrap();
        assert!(platform_fits("linux/amd64", &amd));
        assert!(!platform_fits("linux/arm64", &amd));
        let arm = Platform::parse("linux/arm64/v8").unwrap();
        assert!(platform_fits("linux/arm64", &arm));
        assert!(platform_fits(
            "linux/arm/v7",
            &Platform::parse("linux/arm").unwrap()
        ));
    }

    #[test]
    fn unreachable_registries_are_a_clear_error() {
        // A port nothing listens on, on loopback: refused at once, never retried for long.
        let none = |_: &str| Ok(None);
        let mut s = Settings::new(Platform::parse("linux/amd64").unwrap());
        s.attempts = 1;
        s.insecure = vec!["127.0.0.1:9".into()];
        let mut c = Client::new(s, &none);
        let e = c
            .image(&Reference::parse("127.0.0.1:9/a/b:1").unwrap())
            .unwrap_err();
        assert!(e.starts_with("cannot reach 127.0.0.1:9"), "{e}");
    }
}
