//! The workload kind of a service: Deployment, StatefulSet, DaemonSet, Job or CronJob. The
//! choice is made here only; [`super::workload`] builds the object, and the pod, its Services
//! and its volumes read the kind from here.

use super::{Controller, Ctx};
use crate::compose::model::Service;
use crate::compose::settings::ControllerKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

/// What a service becomes.
pub fn kind(cx: &Ctx<'_>, name: &str, svc: &Service) -> Kind {
    decide(cx, name, svc).0
}

/// Why a service whose `restart:` asks to run once is kept running: what waits on it as a
/// server. `None` when nothing does (or `restart:` does not ask to run once).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Serves {
    /// The key that asks to run once: `restart` or `deploy.restart_policy.condition`.
    pub(super) key: &'static [&'static str],
    /// The Compose value of that key.
    pub(super) value: String,
    /// What makes the service a server, for the message.
    pub(super) because: String,
}

/// The kind, and (for the warning) the run-once request it overrides. A Job only for a
/// one-shot service: `restart:` asks to run once, or a dependent waits for it to complete,
/// and nothing waits on it as a server (no port, no healthcheck, no dependent that waits
/// for it to start or be healthy). A Job gives up after a few failures, is never restarted
/// after it completes and cannot be changed by the next `kubectl apply`: a server in a Job
/// stops serving for good.
pub(super) fn decide(cx: &Ctx<'_>, name: &str, svc: &Service) -> (Kind, Option<Serves>) {
    if let Some(k) = svc.settings.controller {
        let kind = match k {
            ControllerKind::Deployment => Kind::Deployment,
            ControllerKind::StatefulSet => Kind::StatefulSet,
            ControllerKind::DaemonSet => Kind::DaemonSet,
            ControllerKind::Job => Kind::Job,
            ControllerKind::CronJob => Kind::CronJob,
        };
        return (kind, None);
    }
    if schedule(svc).is_some() {
        return (Kind::CronJob, None);
    }
    if let Some(c) = cx.opts.controller {
        let kind = match c {
            Controller::Deployment => Kind::Deployment,
            Controller::StatefulSet => Kind::StatefulSet,
            Controller::DaemonSet => Kind::DaemonSet,
        };
        return (kind, None);
    }
    if svc.deploy.as_ref().and_then(|d| d.mode.as_deref()) == Some("global") {
        return (Kind::DaemonSet, None);
    }
    // Compose starts the dependent only once this service has exited 0: it runs once.
    if cx.completed_targets.contains(name) {
        return (Kind::Job, None);
    }
    let Some((key, value)) = run_once(svc) else {
        return (Kind::Deployment, None);
    };
    match server_reason(cx, name, svc) {
        None => (Kind::Job, None),
        Some(because) => (
            Kind::Deployment,
            Some(Serves {
                key,
                value,
                because,
            }),
        ),
    }
}

/// The restart setting that asks Compose not to restart the container after it exits 0, and
/// its value: `restart: no | on-failure[:N]` or `deploy.restart_policy.condition: none |
/// on-failure` (which wins over `restart`, as in Compose).
fn run_once(svc: &Service) -> Option<(&'static [&'static str], String)> {
    let condition = svc
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
        .and_then(|r| r.condition.as_deref());
    match condition {
        Some(c @ ("none" | "on-failure")) => {
            return Some((&["deploy", "restart_policy", "condition"], c.to_string()));
        }
        Some(_) => return None,
        None => {}
    }
    let r = svc.restart.as_deref()?;
    (r == "no" || r == "on-failure" || r.starts_with("on-failure:"))
        .then(|| (&["restart"][..], r.to_string()))
}

/// What makes others wait on this service as a server, if anything: a port (published,
/// `expose`d or implied by the project), a healthcheck, or a dependent that waits for it to
/// start or to be healthy.
fn server_reason(cx: &Ctx<'_>, name: &str, svc: &Service) -> Option<String> {
    if !svc.ports.is_empty() || !cx.expose(name, svc).is_empty() {
        return Some("it listens on a port".into());
    }
    if svc.healthcheck.as_ref().is_some_and(|h| !h.is_disabled()) {
        return Some("it has a healthcheck".into());
    }
    // `service_started` (also the short form) counts: a server taken for a one-shot stops
    // serving for good, a one-shot taken for a server only runs again.
    let (other, condition) = cx.awaited.get(name)?;
    Some(format!(
        "`{other}` depends on it (`condition: {condition}`)"
    ))
}

pub(super) fn schedule(svc: &Service) -> Option<String> {
    svc.settings.schedule.clone()
}
