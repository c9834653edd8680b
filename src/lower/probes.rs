//! `healthcheck` to probes that actually run: `CMD` as argv, `CMD-SHELL` through `/bin/sh -c`.
//! A check that dials the service's own name dials 127.0.0.1 instead, and every probe from a
//! healthcheck sits behind a startupProbe with at least Docker's patience (Docker never kills
//! a container whose check fails). Also the start-up budgets the hardening pass reuses.

use super::Ctx;
use crate::compose::model::{Duration, Healthcheck, Service};
use crate::compose::settings::ProbeSettings;
use k8s_openapi::api::core::v1::{Container, ExecAction, HTTPGetAction, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeSet;

const SECOND: u64 = 1_000_000_000;

/// How long a container may take to start before liveness counts, in seconds: five minutes.
pub const STARTUP_BUDGET: u64 = 5 * 60;
/// The same for a model server, which may download and load gigabytes of weights first.
pub const MODEL_STARTUP_BUDGET: u64 = 60 * 60;
/// How often a startup probe runs (Docker's default `start_interval`).
pub const STARTUP_PERIOD: i32 = 5;

/// Images of inference servers (matched in the repository path), which start by fetching and
/// loading a model.
const MODEL_IMAGES: &[&str] = &[
    "vllm",
    "ollama",
    "text-generation-inference",
    "text-embeddings-inference",
    "tritonserver",
    "llama.cpp",
    "llama-cpp",
    "llamacpp",
    "localai",
    "local-ai",
    "sglang",
    "xinference",
    "lmdeploy",
    "tabbyml",
    "nvcr.io/nim/",
    "infinity-emb",
    "model-runner",
];

/// Whether a container with this image (and GPUs or not) is a model server.
pub fn is_model_server(image: &str, gpu: bool) -> bool {
    // The repository, without its tag or digest (a registry port is not a tag).
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    let repo = repo.to_ascii_lowercase();
    gpu || MODEL_IMAGES.iter().any(|m| repo.contains(m))
}

/// [`is_model_server`] of a lowered container: its image, its GPU limits or resource claims.
pub fn container_is_model_server(c: &Container) -> bool {
    let r = c.resources.as_ref();
    let gpu = r.and_then(|r| r.limits.as_ref()).is_some_and(|l| {
        l.keys()
            .any(|k| k.ends_with("/gpu") || k.starts_with("gpu."))
    }) || r
        .and_then(|r| r.claims.as_ref())
        .is_some_and(|c| !c.is_empty());
    is_model_server(c.image.as_deref().unwrap_or(""), gpu)
}

/// The least start-up time a container gets before liveness counts, in seconds.
pub fn startup_budget(model_server: bool) -> u64 {
    if model_server {
        MODEL_STARTUP_BUDGET
    } else {
        STARTUP_BUDGET
    }
}

/// The names a pod's members answer to under Compose: each service's name, its Kubernetes
/// name, `container_name`, `hostname` and network aliases.
pub fn own_names<'a>(members: impl IntoIterator<Item = (&'a str, &'a Service)>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for (name, svc) in members {
        out.insert(name.to_ascii_lowercase());
        out.insert(super::names::service_name(name));
        out.extend(svc.container_name.iter().map(|n| n.to_ascii_lowercase()));
        out.extend(svc.hostname.iter().map(|n| n.to_ascii_lowercase()));
        for n in svc.networks.values().flatten() {
            out.extend(n.aliases.iter().map(|a| a.to_ascii_lowercase()));
        }
    }
    out.retain(|n| !n.is_empty() && n != "localhost");
    out.into_iter().collect()
}

/// A healthcheck `test` with every host it dials that is one of `own` replaced by 127.0.0.1,
/// and the names replaced. In Kubernetes those names are the pod's own Service, which has no
/// endpoints until the pod is Ready: such a check could never pass.
pub fn dial_local(test: &[String], own: &[String]) -> (Vec<String>, BTreeSet<String>) {
    let mut hit = BTreeSet::new();
    let Some(kind) = test.first() else {
        return (Vec::new(), hit);
    };
    // Words of a `CMD` are its arguments; NUL (never in an argument) separates them.
    let joined = test[1..].join("\0");
    let rewritten = rewrite_hosts(&joined, own, &mut hit);
    let mut out = vec![kind.clone()];
    out.extend(rewritten.split('\0').map(str::to_string));
    (out, hit)
}

/// Options whose value is a host name.
const HOST_FLAGS: &[&str] = &["-h", "--host", "-host", "--hostname", "--server"];

fn rewrite_hosts(s: &str, own: &[String], hit: &mut BTreeSet<String>) -> String {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    'scan: while i < s.len() {
        for n in own {
            if lower[i..].starts_with(n.as_str()) && is_host_at(s, i, n.len()) {
                out.push_str("127.0.0.1");
                hit.insert(s[i..i + n.len()].to_string());
                i += n.len();
                continue 'scan;
            }
        }
        let ch = s[i..].chars().next().unwrap_or_default();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Whether `s[at..at + len]` is a whole host name in a position that dials it: a URL host,
/// `host:port`, `/dev/tcp/host/`, the value of a host option, or `host port` (nc, telnet).
fn is_host_at(s: &str, at: usize, len: usize) -> bool {
    let sep = |c: char| c.is_whitespace() || c == '\0';
    let before = &s[..at];
    let after = &s[at + len..];
    let left = before.chars().next_back();
    let right = after.chars().next();
    let left_ok = left.is_none_or(|c| sep(c) || "'\"=@/,(".contains(c))
        || (before.ends_with("-h")
            && before[..before.len() - 2]
                .chars()
                .next_back()
                .is_none_or(sep));
    let right_ok = right.is_none_or(|c| sep(c) || "'\":/,?);&|".contains(c));
    if !left_ok || !right_ok {
        return false;
    }
    let port_follows = |rest: &str| {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0
            && rest[digits..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric())
    };
    if before.ends_with("://")
        || before.ends_with('@')
        || before.ends_with("/dev/tcp/")
        || before.ends_with("/dev/udp/")
        || before.ends_with("-h")
        || after.strip_prefix(':').is_some_and(port_follows)
    {
        return true;
    }
    if let Some(key) = before.strip_suffix('=') {
        let key = key.rsplit(|c: char| sep(c) || "'\";&".contains(c)).next();
        return key.is_some_and(|k| k.to_ascii_lowercase().ends_with("host"));
    }
    let unquoted = before.trim_end_matches(['\'', '"']);
    let word_before = unquoted.trim_end_matches(sep);
    if word_before.len() < unquoted.len() {
        let flag = word_before.rsplit(sep).next().unwrap_or("");
        if HOST_FLAGS.contains(&flag) {
            return true;
        }
        // `nc -z db 5432`: a bare name, then a port.
        if let Some(rest) = after.strip_prefix(sep) {
            return port_follows(rest.trim_start_matches(sep));
        }
    }
    false
}

/// The probes of a service's healthcheck: (readiness/liveness, startup). Hosts it dials that
/// are the pod's own names become 127.0.0.1 (warning L047).
pub fn from_service(
    cx: &mut Ctx<'_>,
    name: &str,
    svc: &Service,
    image: &str,
    gpu: bool,
) -> (Option<Probe>, Option<Probe>) {
    let Some(hc) = svc.healthcheck.as_ref().filter(|h| !h.is_disabled()) else {
        return (None, None);
    };
    let (test, hit) = dial_local(&hc.test, &pod_names(cx, name, svc));
    if !hit.is_empty() {
        let names: Vec<String> = hit.iter().map(|h| format!("`{h}`")).collect();
        cx.warn(
            "L057",
            name,
            &["healthcheck", "test"],
            format!(
                "the healthcheck dials {}, which names this service itself: in Kubernetes that is its Service, which has no endpoints until the pod is Ready, so the probe could never pass; it dials 127.0.0.1 instead",
                names.join(", ")
            ),
        );
    }
    let hc = Healthcheck { test, ..hc.clone() };
    match from_healthcheck(&hc, startup_budget(is_model_server(image, gpu))) {
        Some((p, s)) => (Some(p), Some(s)),
        None => (None, None),
    }
}

/// The own names of the pod `name` runs in: its service and the services that share its
/// network namespace (`network_mode: service:`).
fn pod_names(cx: &Ctx<'_>, name: &str, svc: &Service) -> Vec<String> {
    let main = super::is_sidecar_of(svc).unwrap_or(name);
    let members = std::iter::once(main)
        .chain(
            cx.sidecars
                .get(main)
                .into_iter()
                .flatten()
                .map(String::as_str),
        )
        .chain(std::iter::once(name))
        .filter_map(|m| cx.project.services.get_key_value(m))
        .map(|(k, v)| (k.as_str(), v));
    own_names(members)
}

/// (readiness/liveness probe, startup probe) for a healthcheck; `None` when it is disabled or
/// has no test. The startup probe runs every `start_interval` (else every 5 s, or `interval`
/// when shorter) for the healthcheck's `start_period` plus `retries` intervals, and at least
/// `budget` seconds: Docker never kills a container whose check fails, so a slow start must
/// not be killed here either.
pub fn from_healthcheck(hc: &Healthcheck, budget: u64) -> Option<(Probe, Probe)> {
    if hc.is_disabled() {
        return None;
    }
    let command = match hc.test.first().map(String::as_str) {
        Some("CMD") => hc.test[1..].to_vec(),
        Some("CMD-SHELL") => vec!["/bin/sh".into(), "-c".into(), hc.test[1..].join(" ")],
        _ => return None,
    };
    if command.is_empty() || command.iter().all(|c| c.trim().is_empty()) {
        return None;
    }
    let secs = |d: Option<Duration>, default: u64| -> i32 {
        let s = d.map(|d| d.as_secs_ceil()).unwrap_or(default).max(1);
        s.min(i32::MAX as u64) as i32
    };
    let period = secs(hc.interval, 30);
    let retries = hc
        .retries
        .filter(|r| *r > 0)
        .unwrap_or(3)
        .min(i32::MAX as i64) as i32;
    let probe = Probe {
        exec: Some(ExecAction {
            command: Some(super::escape::escape_all(&command)),
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(secs(hc.timeout, 30)),
        failure_threshold: Some(retries),
        ..Default::default()
    };
    let every = match hc.start_interval {
        Some(_) => secs(hc.start_interval, 5),
        None => period.min(STARTUP_PERIOD),
    };
    let start = hc.start_period.map_or(0, |d| d.as_secs_ceil());
    let patience = start
        .saturating_add(retries as u64 * period as u64)
        .max(budget);
    let tries = patience.div_ceil(every as u64).clamp(1, i32::MAX as u64) as i32;
    let startup = Probe {
        period_seconds: Some(every),
        failure_threshold: Some(tries),
        ..probe.clone()
    };
    Some((probe, startup))
}

/// The startup probe that guards `liveness` once settings replaced or removed it: `startup`'s
/// timing with liveness's action, so that the user's own check decides; none without a
/// liveness probe (there is nothing to hold back, and a stale check could still kill).
pub fn guarding(startup: Option<Probe>, liveness: Option<&Probe>) -> Option<Probe> {
    let (s, l) = (startup?, liveness?);
    Some(Probe {
        exec: l.exec.clone(),
        http_get: l.http_get.clone(),
        tcp_socket: l.tcp_socket.clone(),
        grpc: l.grpc.clone(),
        ..s
    })
}

/// A probe from `kompose.service.healthcheck.<kind>.*` / `x-kubeferry.probes.<kind>`: its own
/// action (exec, httpGet or tcpSocket) replaces the healthcheck's, which keeps its timings (as
/// Kompose does); timings alone adjust the healthcheck's probe. `Err` explains a timing that
/// is not a duration.
pub fn with_settings(base: Option<Probe>, st: &ProbeSettings) -> Result<Option<Probe>, String> {
    if st.disable {
        return Ok(None);
    }
    let has_action = !st.command.is_empty()
        || st.http_path.is_some()
        || st.http_port.is_some()
        || st.tcp_port.is_some();
    let mut probe = match (has_action, base) {
        (true, Some(p)) => Probe {
            exec: None,
            http_get: None,
            tcp_socket: None,
            grpc: None,
            ..p
        },
        (true, None) => Probe::default(),
        (false, Some(p)) => p,
        (false, None) => return Ok(None),
    };
    if has_action {
        if !st.command.is_empty() {
            probe.exec = Some(ExecAction {
                command: Some(super::escape::escape_all(&st.command)),
            });
        } else if st.http_path.is_some() || st.http_port.is_some() {
            let port = st
                .http_port
                .ok_or("an HTTP probe needs a port (http_get_port)")?;
            probe.http_get = Some(HTTPGetAction {
                path: Some(st.http_path.clone().unwrap_or_else(|| "/".into())),
                port: IntOrString::Int(port_number(port)?),
                ..Default::default()
            });
        } else if let Some(port) = st.tcp_port {
            probe.tcp_socket = Some(TCPSocketAction {
                port: IntOrString::Int(port_number(port)?),
                host: None,
            });
        }
    }
    let secs = |d: &Option<String>| -> Result<Option<i32>, String> {
        match d {
            None => Ok(None),
            Some(t) => {
                let ns = crate::compose::units::parse_duration(t)
                    .ok_or_else(|| format!("`{t}` is not a duration"))?;
                Ok(Some(
                    (ns.div_ceil(SECOND).max(1)).min(i32::MAX as u64) as i32
                ))
            }
        }
    };
    if let Some(s) = secs(&st.interval)? {
        probe.period_seconds = Some(s);
    }
    if let Some(s) = secs(&st.timeout)? {
        probe.timeout_seconds = Some(s);
    }
    if let Some(s) = secs(&st.start_period)? {
        probe.initial_delay_seconds = Some(s);
    }
    if let Some(r) = st.retries {
        probe.failure_threshold = Some(r.max(1));
    }
    Ok(Some(probe))
}

fn port_number(p: i32) -> Result<i32, String> {
    if (1..=65535).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not a port number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> Vec<String> {
        ["api", "db", "mongodb", "redis", "postgres"]
            .map(String::from)
            .to_vec()
    }

    fn shell(s: &str) -> (String, Vec<String>) {
        let (t, hit) = dial_local(&["CMD-SHELL".into(), s.into()], &own());
        (t[1].clone(), hit.into_iter().collect())
    }

    #[test]
    fn own_names_in_host_positions_dial_loopback() {
        for (check, want) in [
            (
                "mongosh mongodb://mongodb:27017 --eval 'db.runCommand({ping:1})'",
                "mongosh mongodb://127.0.0.1:27017 --eval 'db.runCommand({ping:1})'",
            ),
            (
                "curl -f http://api:8080/health || exit 1",
                "curl -f http://127.0.0.1:8080/health || exit 1",
            ),
            (
                "pg_isready -h db -U postgres",
                "pg_isready -h 127.0.0.1 -U postgres",
            ),
            ("redis-cli -h redis ping", "redis-cli -h 127.0.0.1 ping"),
            ("mysqladmin ping -hdb", "mysqladmin ping -h127.0.0.1"),
            ("nc -z db 5432", "nc -z 127.0.0.1 5432"),
            (
                "psql postgres://u:p@db/x -c 'select 1'",
                "psql postgres://u:p@127.0.0.1/x -c 'select 1'",
            ),
            ("cat < /dev/tcp/db/5432", "cat < /dev/tcp/127.0.0.1/5432"),
            (
                "kafka-topics --bootstrap-server=API:9092 --list",
                "kafka-topics --bootstrap-server=127.0.0.1:9092 --list",
            ),
            ("PGHOST=db pg_isready", "PGHOST=127.0.0.1 pg_isready"),
            (
                "wget -qO- \"http://api:80/\"",
                "wget -qO- \"http://127.0.0.1:80/\"",
            ),
        ] {
            assert_eq!(shell(check).0, want, "{check}");
        }
        assert_eq!(shell("nc -z db 5432").1, vec!["db".to_string()]);
    }

    #[test]
    fn other_words_stay() {
        for check in [
            "pg_isready -U postgres -d postgres",
            "mongosh mongodb --quiet",
            "curl -f http://api-gateway:8080/",
            "curl -f http://db.example.com/",
            "curl -f http://localhost:8080/api",
            "redis-cli ping",
            "test -f /data/db/ready",
            "grep api /etc/hosts",
        ] {
            assert_eq!(shell(check), (check.to_string(), vec![]), "{check}");
        }
    }

    #[test]
    fn cmd_arguments_keep_their_boundaries() {
        let test: Vec<String> = ["CMD", "pg_isready", "-h", "db", "-U", "db"]
            .map(String::from)
            .to_vec();
        let (t, hit) = dial_local(&test, &own());
        assert_eq!(t, ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "db"]);
        assert_eq!(hit.len(), 1);
    }

    fn hc(start_period: Option<u64>, start_interval: Option<u64>) -> Healthcheck {
        Healthcheck {
            test: vec!["CMD".into(), "true".into()],
            interval: Some(Duration(10 * SECOND)),
            retries: Some(5),
            start_period: start_period.map(|s| Duration(s * SECOND)),
            start_interval: start_interval.map(|s| Duration(s * SECOND)),
            ..Default::default()
        }
    }

    #[test]
    fn a_startup_probe_with_at_least_dockers_patience() {
        let budget = |p: &Probe| p.period_seconds.unwrap() * p.failure_threshold.unwrap();
        // No start_period: the five-minute floor, every 5 s.
        let (live, start) = from_healthcheck(&hc(None, None), STARTUP_BUDGET).unwrap();
        assert_eq!(
            (live.period_seconds, live.failure_threshold),
            (Some(10), Some(5))
        );
        assert_eq!((start.period_seconds, budget(&start)), (Some(5), 300));
        // A long start_period and its start_interval: the period plus Docker's retries.
        let (_, start) = from_healthcheck(&hc(Some(600), Some(2)), STARTUP_BUDGET).unwrap();
        assert_eq!((start.period_seconds, budget(&start)), (Some(2), 650));
        // Model servers: an hour.
        let (_, start) = from_healthcheck(&hc(Some(60), None), MODEL_STARTUP_BUDGET).unwrap();
        assert_eq!(budget(&start), 3600);
        assert_eq!(start.exec, live.exec);
    }

    #[test]
    fn the_startup_probe_follows_the_liveness_that_settings_chose() {
        let (live, start) = from_healthcheck(&hc(None, None), STARTUP_BUDGET).unwrap();
        let own = Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::Int(80),
                host: None,
            }),
            period_seconds: Some(7),
            ..Default::default()
        };
        let s = guarding(Some(start.clone()), Some(&own)).unwrap();
        assert_eq!((s.exec, s.tcp_socket), (None, own.tcp_socket.clone()));
        assert_eq!(s.failure_threshold, start.failure_threshold);
        assert_eq!(
            guarding(Some(start.clone()), Some(&live)),
            Some(start.clone())
        );
        assert_eq!(
            guarding(Some(start), None),
            None,
            "no liveness, nothing to guard"
        );
        assert_eq!(guarding(None, Some(&own)), None);
    }

    #[test]
    fn model_servers_by_image_or_gpu() {
        for image in [
            "vllm/vllm-openai:v0.6.0",
            "ollama/ollama",
            "ghcr.io/huggingface/text-generation-inference:2.0",
            "nvcr.io/nvidia/tritonserver:24.01-py3",
            "ghcr.io/ggerganov/llama.cpp:server",
            "localai/localai:latest-aio-cpu",
            "registry:5000/team/ollama",
        ] {
            assert!(is_model_server(image, false), "{image}");
        }
        assert!(!is_model_server("postgres:16", false));
        assert!(
            !is_model_server("registry:5000/app:ollama", false),
            "a tag is not the image"
        );
        assert!(is_model_server("example/trainer:1", true));
    }

    #[test]
    fn a_label_action_keeps_the_healthchecks_timings() {
        let base = Probe {
            exec: Some(ExecAction {
                command: Some(vec!["true".into()]),
            }),
            period_seconds: Some(30),
            timeout_seconds: Some(7),
            failure_threshold: Some(5),
            ..Default::default()
        };
        let st = crate::compose::settings::ProbeSettings {
            tcp_port: Some(8080),
            ..Default::default()
        };
        let p = with_settings(Some(base), &st).unwrap().unwrap();
        assert!(p.exec.is_none());
        assert_eq!(p.tcp_socket.unwrap().port, IntOrString::Int(8080));
        assert_eq!(
            (p.period_seconds, p.timeout_seconds, p.failure_threshold),
            (Some(30), Some(7), Some(5))
        );
        // Without a healthcheck, the label's probe has Kubernetes' defaults.
        let p = with_settings(None, &st).unwrap().unwrap();
        assert_eq!(p.period_seconds, None);
    }
}
