//! How many pods and how many retries the Compose file asks for a service: read by the
//! workload and by the Job of its run-once `pre_start` hooks.

use super::Ctx;
use crate::compose::model::Service;

/// The replica count the Compose file (or `--replicas`) asks for: `x-kubeferry.replicas`,
/// `deploy.replicas`, `scale`, the option; `None` when none says.
pub fn replicas(cx: &Ctx<'_>, svc: &Service) -> Option<i32> {
    svc.settings
        .replicas
        .map(i64::from)
        .or_else(|| svc.deploy.as_ref().and_then(|d| d.replicas))
        .or(svc.scale)
        .or(cx.opts.replicas.map(i64::from))
        .map(|r| r.clamp(0, i32::MAX as i64) as i32)
}

/// The retries of a Job: `x-kubeferry.backoff_limit`, `deploy.restart_policy.max_attempts`,
/// `restart: on-failure:N`; `None` when none says.
pub fn backoff(svc: &Service) -> Option<i32> {
    if let Some(b) = svc.settings.backoff_limit {
        return Some(b.max(0));
    }
    let from_restart = svc
        .restart
        .as_deref()
        .and_then(|r| r.strip_prefix("on-failure:"))
        .and_then(|n| n.parse::<i32>().ok());
    svc.deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
        .and_then(|r| r.max_attempts)
        .map(|n| n.clamp(0, i32::MAX as i64) as i32)
        .or(from_restart)
}
