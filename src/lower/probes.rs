//! `healthcheck` to probes that actually run: `CMD` as argv, `CMD-SHELL` through `/bin/sh -c`.

use crate::compose::model::{Duration, Healthcheck};
use k8s_openapi::api::core::v1::{ExecAction, Probe};

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
