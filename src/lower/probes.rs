//! `healthcheck` to probes that actually run: `CMD` as argv, `CMD-SHELL` through `/bin/sh -c`.

use crate::compose::model::{Duration, Healthcheck};
use crate::compose::settings::ProbeSettings;
use k8s_openapi::api::core::v1::{ExecAction, HTTPGetAction, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

const SECOND: u64 = 1_000_000_000;

/// (readiness/liveness probe, startup probe) for a healthcheck; `None` when it is disabled or
/// has no test.
pub fn from_healthcheck(hc: &Healthcheck) -> Option<(Probe, Option<Probe>)> {
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
    let probe = Probe {
        exec: Some(ExecAction {
            command: Some(super::pod::escape_all(&command)),
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(secs(hc.timeout, 30)),
        failure_threshold: Some(
            hc.retries
                .filter(|r| *r > 0)
                .unwrap_or(3)
                .min(i32::MAX as i64) as i32,
        ),
        ..Default::default()
    };
    let startup = hc.start_period.filter(|d| d.0 > 0).map(|start| {
        let every = secs(hc.start_interval, 5);
        let tries = start.0.div_ceil(every as u64 * SECOND).max(1) as i32;
        Probe {
            period_seconds: Some(every),
            failure_threshold: Some(tries + probe.failure_threshold.unwrap_or(3)),
            ..probe.clone()
        }
    });
    Some((probe, startup))
}

/// A probe from `kompose.service.healthcheck.<kind>.*` / `x-kubeferry.probes.<kind>`: its own
/// action (exec, httpGet or tcpSocket) replaces the healthcheck's; timings alone adjust the
/// healthcheck's probe. `Err` explains a timing that is not a duration.
pub fn with_settings(base: Option<Probe>, st: &ProbeSettings) -> Result<Option<Probe>, String> {
    if st.disable {
        return Ok(None);
    }
    let has_action = !st.command.is_empty()
        || st.http_path.is_some()
        || st.http_port.is_some()
        || st.tcp_port.is_some();
    let mut probe = match (has_action, base) {
        (true, _) => Probe::default(),
        (false, Some(p)) => p,
        (false, None) => return Ok(None),
    };
    if has_action {
        if !st.command.is_empty() {
            probe.exec = Some(ExecAction {
                command: Some(super::pod::escape_all(&st.command)),
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
