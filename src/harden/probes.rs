//! `probes`: every long-running container with a port or a healthcheck gets liveness and
//! readiness probes. Lowering turned the healthcheck into exec probes (and a startupProbe for
//! at least Docker's patience); this rule makes a healthcheck that only fetches a local URL
//! with `curl -f` or wget an httpGet probe (no curl needed in the image; curl without `-f`
//! passes on any response, so it stays exec), gives containers without a healthcheck a TCP
//! probe on their first port behind a startupProbe (an hour for model servers), applies the
//! `x-kubeferry.probes` settings, and reports the containers it could not probe.

use super::{Cx, Findings, Level, Rule, Scope};
use crate::lower::{self, Object, ProbeOverride, ServiceFacts};
use k8s_openapi::api::core::v1::{Container, ExecAction, HTTPGetAction, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeSet;

pub const RULE: Rule = Rule {
    id: "probes",
    doc: "liveness and readiness probes: httpGet for curl -f/wget healthchecks of a local URL, TCP on the first port without a healthcheck (behind a startupProbe: 5 minutes, an hour for model servers), x-kubeferry.probes settings",
    level: Level::Baseline,
    scope: Scope::Workload(apply),
};

/// A local URL a healthcheck fetches: scheme, port, path.
#[derive(Debug, PartialEq, Eq)]
pub struct HttpCheck {
    pub scheme: &'static str,
    pub port: i32,
    pub path: String,
}

fn apply(o: &mut Object, cx: &Cx<'_>, f: &mut Findings) {
    let is_job = matches!(o, Object::Job(_) | Object::CronJob(_));
    let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
        return;
    };
    // The names the pod answers to: a check that dials them was made to dial 127.0.0.1.
    let own: Vec<String> = std::iter::once(cx.service)
        .chain(cx.containers.values().map(String::as_str))
        .filter_map(|s| cx.sources.service(s))
        .flat_map(|s| s.names.iter().cloned())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    for c in spec.containers.iter_mut() {
        let svc = cx.facts_of(&c.name);
        if is_job {
            f.not_hardened(format!(
                "`{}` runs to completion: Jobs get no liveness or readiness probes",
                c.name
            ));
            continue;
        }
        if let Some(check) = svc
            .healthcheck
            .as_ref()
            .and_then(|test| http_check(&lower::probes::dial_local(test, &own).0))
        {
            to_http(c, &check);
            f.added(format!(
                "httpGet probes on `{}` ({} GET port {} path {}): the healthcheck only fetches a local URL; the kubelet fetches it without needing curl or wget in the image",
                c.name,
                check.scheme,
                check.port,
                check.path
            ));
        }
        // `healthcheck: disable` switches off the image's check, not kubeferry's TCP probe.
        if c.liveness_probe.is_none() && c.readiness_probe.is_none() {
            default_tcp(c, f);
        }
        settings(c, svc, f);
    }
}

fn default_tcp(c: &mut Container, f: &mut Findings) {
    let port = c
        .ports
        .iter()
        .flatten()
        .find(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
        .map(|p| p.container_port);
    let Some(port) = port else {
        f.not_hardened(format!(
            "`{}` has neither a healthcheck nor a TCP port, so it gets no probe (add a healthcheck or x-kubeferry.probes)",
            c.name
        ));
        return;
    };
    let handler = Handler {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::Int(port),
            host: None,
        }),
        ..Default::default()
    };
    let probe = with_handler(
        Probe {
            period_seconds: Some(10),
            timeout_seconds: Some(5),
            failure_threshold: Some(3),
            ..Default::default()
        },
        &handler,
    );
    c.readiness_probe = Some(probe.clone());
    c.liveness_probe = Some(probe);
    // Slow starters get five minutes before liveness counts; model servers an hour.
    let model = lower::probes::container_is_model_server(c);
    let budget = lower::probes::startup_budget(model);
    let period = lower::probes::STARTUP_PERIOD;
    c.startup_probe = Some(with_handler(
        Probe {
            period_seconds: Some(period),
            timeout_seconds: Some(5),
            failure_threshold: Some(budget.div_ceil(period as u64) as i32),
            ..Default::default()
        },
        &handler,
    ));
    f.added(format!(
        "TCP liveness and readiness probes on port {port} of `{}`, behind a startupProbe allowing {} minutes{}: the Compose file has no healthcheck",
        c.name,
        budget / 60,
        if model {
            " (a model server downloads and loads its model first)"
        } else {
            ""
        }
    ));
}

/// What a probe runs (k8s-openapi flattens it into [`Probe`]).
#[derive(Clone, Default)]
struct Handler {
    exec: Option<ExecAction>,
    http_get: Option<HTTPGetAction>,
    tcp_socket: Option<TCPSocketAction>,
}

fn with_handler(p: Probe, h: &Handler) -> Probe {
    Probe {
        exec: h.exec.clone(),
        http_get: h.http_get.clone(),
        tcp_socket: h.tcp_socket.clone(),
        grpc: None,
        ..p
    }
}

fn to_http(c: &mut Container, check: &HttpCheck) {
    let action = HTTPGetAction {
        path: Some(check.path.clone()),
        port: IntOrString::Int(check.port),
        scheme: Some(check.scheme.into()),
        ..Default::default()
    };
    for p in [
        &mut c.liveness_probe,
        &mut c.readiness_probe,
        &mut c.startup_probe,
    ]
    .into_iter()
    .flatten()
    {
        if p.exec.is_some() {
            p.exec = None;
            p.http_get = Some(action.clone());
        }
    }
}

/// `x-kubeferry.probes.readiness` / `.liveness` (or the kompose labels) over the probes.
fn settings(c: &mut Container, svc: &ServiceFacts, f: &mut Findings) {
    let port = c.ports.iter().flatten().next().map(|p| p.container_port);
    for (kind, s) in [("readiness", &svc.readiness), ("liveness", &svc.liveness)] {
        let Some(s) = s else {
            continue;
        };
        let slot = if kind == "readiness" {
            &mut c.readiness_probe
        } else {
            &mut c.liveness_probe
        };
        if s.disable {
            *slot = None;
            f.added(format!(
                "no {kind} probe on `{}`: x-kubeferry.probes.{kind} disables it",
                c.name
            ));
        } else {
            *slot = Some(overridden(slot.take(), s, port));
            f.added(format!(
                "{kind} probe of `{}` from x-kubeferry.probes.{kind}",
                c.name
            ));
        }
        if kind == "liveness" {
            c.startup_probe =
                lower::probes::guarding(c.startup_probe.take(), c.liveness_probe.as_ref());
        }
    }
}

fn overridden(base: Option<Probe>, s: &ProbeOverride, port: Option<i32>) -> Probe {
    let mut p = base.unwrap_or(Probe {
        period_seconds: Some(10),
        timeout_seconds: Some(5),
        failure_threshold: Some(3),
        ..Default::default()
    });
    let handler = if !s.command.is_empty() {
        Some(Handler {
            exec: Some(ExecAction {
                command: Some(s.command.clone()),
            }),
            ..Default::default()
        })
    } else if let Some(path) = &s.http_path {
        s.http_port.or(port).map(|port| Handler {
            http_get: Some(HTTPGetAction {
                path: Some(path.clone()),
                port: IntOrString::Int(port),
                ..Default::default()
            }),
            ..Default::default()
        })
    } else {
        s.tcp_port.map(|port| Handler {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::Int(port),
                host: None,
            }),
            ..Default::default()
        })
    };
    if let Some(h) = handler {
        p = with_handler(p, &h);
    }
    if let Some(v) = s.period_seconds {
        p.period_seconds = Some(v);
    }
    if let Some(v) = s.timeout_seconds {
        p.timeout_seconds = Some(v);
    }
    if let Some(v) = s.initial_delay_seconds {
        p.initial_delay_seconds = Some(v);
    }
    if let Some(r) = s.retries.filter(|r| *r > 0) {
        p.failure_threshold = Some(r);
    }
    p
}

/// The local URL a healthcheck fetches, when the whole check is one curl or wget of it.
pub fn http_check(test: &[String]) -> Option<HttpCheck> {
    let argv: Vec<String> = match test.first().map(String::as_str) {
        Some("CMD") => test[1..].to_vec(),
        Some("CMD-SHELL") => shell_words(&test[1..].join(" "))?,
        _ => return None,
    };
    let tool = argv.first()?.rsplit('/').next()?;
    let (value_flags, deny_flags, long_values): (&str, &str, &[&str]) = match tool {
        "curl" => (
            "omwAerY",
            "XHduFbTKxE",
            &[
                "--output",
                "--max-time",
                "--connect-timeout",
                "--retry",
                "--retry-delay",
                "--retry-max-time",
                "--write-out",
                "--user-agent",
            ],
        ),
        "wget" => (
            "OoTtUaw",
            "eY",
            &[
                "--output-document",
                "--timeout",
                "--tries",
                "--user-agent",
                "--output-file",
                "--wait",
            ],
        ),
        _ => return None,
    };
    const LONG_DENY: &[&str] = &[
        "--request",
        "--header",
        "--user",
        "--form",
        "--cookie",
        "--upload-file",
        "--proxy",
        "--post-data",
        "--post-file",
        "--method",
        "--body-data",
        "--config",
        "--unix-socket",
        "--abstract-unix-socket",
        "--http-user",
        "--password",
        "--resolve",
        "--connect-to",
        "--execute",
    ];
    // curl passes on any HTTP response unless `-f`; httpGet fails on >= 400. Without it, the
    // check stays an exec probe, as Docker runs it.
    let mut fails_on_error = tool == "wget";
    let mut url = None;
    let mut args = argv[1..].iter();
    while let Some(a) = args.next() {
        if a.starts_with("http://") || a.starts_with("https://") {
            if url.replace(a.as_str()).is_some() {
                return None;
            }
        } else if let Some(long) = a.strip_prefix("--") {
            let name = format!("--{}", long.split('=').next().unwrap_or(long));
            if LONG_DENY.contains(&name.as_str()) || name.starts_with("--data") {
                return None;
            }
            fails_on_error |= matches!(name.as_str(), "--fail" | "--fail-with-body");
            if !a.contains('=') && long_values.contains(&name.as_str()) {
                args.next()?;
            }
        } else if let Some(short) = a.strip_prefix('-').filter(|s| !s.is_empty()) {
            for (i, ch) in short.char_indices() {
                if deny_flags.contains(ch) {
                    return None;
                }
                fails_on_error |= tool == "curl" && ch == 'f';
                if value_flags.contains(ch) {
                    if i + ch.len_utf8() == short.len() {
                        args.next()?;
                    }
                    break;
                }
            }
        } else {
            return None;
        }
    }
    if !fails_on_error {
        return None;
    }
    parse_local_url(url?)
}

fn parse_local_url(url: &str) -> Option<HttpCheck> {
    let (scheme, rest, default_port) = if let Some(r) = url.strip_prefix("https://") {
        ("HTTPS", r, 443)
    } else {
        ("HTTP", url.strip_prefix("http://")?, 80)
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let (h, p) = h.split_once(']')?;
        (h, p.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if !matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "::1") {
        return None;
    }
    let port = match port {
        Some(p) => p.parse::<i32>().ok().filter(|p| (1..=65535).contains(p))?,
        None => default_port,
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Some(HttpCheck { scheme, port, path })
}

/// Split a shell line into words when it is one plain command, optionally followed by
/// `|| exit 1` and output redirections; `None` for anything else (pipes, `&&`, expansions).
fn shell_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    if matches!(c, '$' | '`' | '\\') {
                        return None;
                    }
                    cur.push(c);
                }
            }
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '$' | '`' | '\\' | ';' | '(' | ')' | '*' | '?' | '[' => return None,
            _ => {
                in_word = true;
                cur.push(ch);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    // `|| exit 1` at the end keeps the exit status meaning; drop it.
    if let Some(i) = words.iter().position(|w| w == "||") {
        let tail: Vec<&str> = words[i + 1..].iter().map(String::as_str).collect();
        if !matches!(tail.as_slice(), ["exit"] | ["exit", "1"] | ["false"]) {
            return None;
        }
        words.truncate(i);
    }
    let mut out = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            ">/dev/null" | "2>/dev/null" | "2>&1" | "&>/dev/null" | "1>/dev/null" => {}
            ">" | "2>" | "1>" | "&>" => {
                if it.next()? != "/dev/null" {
                    return None;
                }
            }
            _ if w.contains(['|', '&', '<', '>']) => return None,
            _ => out.push(w),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(s: &str) -> Option<HttpCheck> {
        http_check(&["CMD-SHELL".to_string(), s.to_string()])
    }

    fn cmd(v: &[&str]) -> Option<HttpCheck> {
        let mut t = vec!["CMD".to_string()];
        t.extend(v.iter().map(|s| s.to_string()));
        http_check(&t)
    }

    #[test]
    fn local_fetches_become_http_checks() {
        let c = shell("curl -f http://localhost:8080/health || exit 1").unwrap();
        assert_eq!(
            (c.scheme, c.port, c.path.as_str()),
            ("HTTP", 8080, "/health")
        );
        let c = cmd(&["wget", "-q", "--spider", "http://127.0.0.1:3000/api/ping"]).unwrap();
        assert_eq!((c.port, c.path.as_str()), (3000, "/api/ping"));
        let c = shell("wget -qO- http://localhost/ > /dev/null 2>&1").unwrap();
        assert_eq!((c.port, c.path.as_str()), (80, "/"));
        let c = cmd(&[
            "curl",
            "-fsS",
            "-o",
            "/dev/null",
            "https://[::1]:8443?ready=1",
        ])
        .unwrap();
        assert_eq!(
            (c.scheme, c.port, c.path.as_str()),
            ("HTTPS", 8443, "/?ready=1")
        );
        let c = shell("curl --fail --max-time 5 http://0.0.0.0:9000/minio/health/live").unwrap();
        assert_eq!(c.port, 9000);
    }

    #[test]
    fn other_checks_stay_exec() {
        assert_eq!(shell("curl -f http://db:5432/"), None, "remote host");
        assert_eq!(shell("curl -X POST http://localhost/x"), None, "method");
        assert_eq!(shell("curl -H 'a: b' http://localhost/x"), None, "header");
        assert_eq!(
            shell("curl http://localhost/x && echo ok"),
            None,
            "two commands"
        );
        assert_eq!(shell("curl http://localhost:$PORT/x"), None, "expansion");
        assert_eq!(shell("curl -s http://localhost/x | grep ok"), None, "pipe");
        assert_eq!(cmd(&["pg_isready", "-U", "postgres"]), None, "not http");
        assert_eq!(
            shell("curl --unix-socket /s http://localhost/x"),
            None,
            "socket"
        );
        assert_eq!(shell("curl http://localhost/x || echo bad"), None);
    }

    #[test]
    fn curl_without_fail_passes_on_any_response_so_stays_exec() {
        assert_eq!(shell("curl http://localhost:8080/ || exit 1"), None);
        assert_eq!(
            cmd(&["curl", "-s", "-o", "/dev/null", "http://localhost/"]),
            None
        );
        assert_eq!(shell("curl -o /f http://localhost/"), None, "f is a value");
        for ok in [
            "curl -sf http://localhost/",
            "curl --fail-with-body http://localhost/",
            "curl -s --fail http://localhost/",
        ] {
            assert!(shell(ok).is_some(), "{ok}");
        }
        assert!(
            shell("wget -q -O- http://localhost/").is_some(),
            "wget fails on >= 400"
        );
    }
}
