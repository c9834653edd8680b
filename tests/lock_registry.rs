//! The registry client against a fake registry on loopback that speaks Docker Hub's token
//! flow (a 401 with a bearer challenge, a token realm that wants basic credentials), serves
//! an index, and fails once with 503. Checks what is read, that credentials go only to the
//! token realm, and the errors. (scripts/lock-registry-check.sh runs the real registry.)

use kubeferry::lock::{Client, Credentials, Platform, Reference, Settings};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

type Log = Arc<Mutex<Vec<(String, String)>>>;

const INDEX: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","platform":{"os":"linux","architecture":"arm64"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","platform":{"os":"linux","architecture":"amd64"}}]}"#;
const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444","size":1},"layers":[]}"#;
const CONFIG: &str = r#"{"os":"linux","architecture":"amd64","config":{"User":"1000","ExposedPorts":{"3000/tcp":{}},"Healthcheck":{"Test":["CMD-SHELL","wget -qO- http://127.0.0.1:3000/health"],"Interval":10000000000},"Volumes":{"/srv/data":{}}}}"#;

/// Serve forever on a free port; returns the port and the log of (path, Authorization).
fn fake_registry() -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let seen = log.clone();
    std::thread::spawn(move || {
        let mut blob_tries = 0;
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split(' ').nth(1).unwrap_or_default().to_string();
            let mut auth = String::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
                if let Some(v) = h
                    .strip_prefix("authorization: ")
                    .or(h.strip_prefix("Authorization: "))
                {
                    auth = v.trim().to_string();
                }
            }
            seen.lock().unwrap().push((path.clone(), auth.clone()));
            let bearer = auth == "Bearer tok-123";
            let basic = Credentials {
                username: "hub".into(),
                password: "pw".into(),
            }
            .basic();
            let (status, headers, body): (&str, String, &str) = if path.starts_with("/token?") {
                if auth == basic && path.contains("scope=repository%3Aacme%2Fapp%3Apull") {
                    ("200 OK", String::new(), r#"{"token":"tok-123"}"#)
                } else {
                    ("401 Unauthorized", String::new(), "")
                }
            } else if !bearer {
                let challenge = format!(
                    "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\",scope=\"repository:acme/app:pull\"\r\n"
                );
                ("401 Unauthorized", challenge, "")
            } else if path == "/v2/acme/app/manifests/1" {
                (
                    "200 OK",
                    "Docker-Content-Digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\r\n".into(),
                    INDEX,
                )
            } else if path
                == "/v2/acme/app/manifests/sha256:2222222222222222222222222222222222222222222222222222222222222222"
            {
                (
                    "200 OK",
                    "Docker-Content-Digest: sha256:2222222222222222222222222222222222222222222222222222222222222222\r\n".into(),
                    MANIFEST,
                )
            } else if path
                == "/v2/acme/app/blobs/sha256:4444444444444444444444444444444444444444444444444444444444444444"
            {
                blob_tries += 1;
                if blob_tries == 1 {
                    ("503 Service Unavailable", String::new(), "")
                } else {
                    ("200 OK", String::new(), CONFIG)
                }
            } else {
                ("404 Not Found", String::new(), "")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, log)
}

fn settings(port: u16) -> Settings {
    let mut s = Settings::new(Platform::parse("linux/amd64").unwrap());
    s.insecure = vec![format!("127.0.0.1:{port}")];
    s
}

#[test]
fn token_flow_index_and_retry() {
    let (port, log) = fake_registry();
    let creds = |registry: &str| {
        Ok(
            (registry == format!("127.0.0.1:{port}")).then(|| Credentials {
                username: "hub".into(),
                password: "pw".into(),
            }),
        )
    };
    let mut client = Client::new(settings(port), &creds);
    let r = Reference::parse(&format!("127.0.0.1:{port}/acme/app:1")).unwrap();
    let image = client.image(&r).unwrap();
    assert_eq!(
        image.digest,
        "sha256:1111111111111111111111111111111111111111111111111111111111111111"
    );
    assert_eq!(
        image.manifest.as_deref(),
        Some("sha256:2222222222222222222222222222222222222222222222222222222222222222")
    );
    assert_eq!(image.platform, "linux/amd64");
    assert_eq!(image.user, "1000");
    assert_eq!(image.exposed_ports, ["3000/tcp"]);
    assert_eq!(image.volumes, ["/srv/data"]);
    assert_eq!(image.healthcheck.unwrap().interval.as_deref(), Some("10s"));
    let log = log.lock().unwrap();
    // The basic credentials went to the token realm only; the registry saw the token.
    for (path, auth) in log.iter() {
        if auth.starts_with("Basic") {
            assert!(path.starts_with("/token?"), "{path}");
        }
    }
    let blob_requests = log.iter().filter(|(p, _)| p.contains("/blobs/")).count();
    assert_eq!(blob_requests, 2, "the 503 is retried once: {log:?}");
}

#[test]
fn anonymous_clients_get_a_clear_401() {
    let (port, _) = fake_registry();
    let none = |_: &str| Ok(None);
    let mut client = Client::new(settings(port), &none);
    let r = Reference::parse(&format!("127.0.0.1:{port}/acme/app:1")).unwrap();
    let e = client.image(&r).unwrap_err();
    assert!(
        e.contains("401 unauthorized") && e.contains("anonymous"),
        "{e}"
    );
}

#[test]
fn missing_platforms_and_tags_are_clear_errors() {
    let (port, _) = fake_registry();
    let creds = |_: &str| {
        Ok(Some(Credentials {
            username: "hub".into(),
            password: "pw".into(),
        }))
    };
    let mut s = settings(port);
    s.platform = Platform::parse("linux/ppc64le").unwrap();
    let mut client = Client::new(s, &creds);
    let r = Reference::parse(&format!("127.0.0.1:{port}/acme/app:1")).unwrap();
    assert_eq!(
        client.image(&r).unwrap_err(),
        "no linux/ppc64le image: the index has linux/amd64, linux/arm64"
    );
    let mut client = Client::new(settings(port), &creds);
    let r = Reference::parse(&format!("127.0.0.1:{port}/acme/app:2")).unwrap();
    assert!(client.image(&r).unwrap_err().starts_with("404 not found"));
}
