//! What `convert` and `plan` take from a lock: the project gains what Docker would have
//! taken from the image when Compose says nothing (its HEALTHCHECK, EXPOSE and VOLUMEs), and
//! `--pin-digests` adds the locked digest to each image. Takes the loaded project and the
//! lock; changes the project in place and returns the warnings and the image users (by
//! service) for the hardening pass. Offline: nothing here reads more than the lock.

use super::file::{Healthcheck as LockedCheck, Image, Lock};
use super::reference::Reference;
use crate::compose::model::{Duration, Healthcheck, Project, Service, ServiceVolume, VolumeType};
use crate::compose::units::parse_duration;
use crate::diag::Diagnostic;
use std::collections::BTreeMap;

/// What applying a lock found.
#[derive(Debug, Default)]
pub struct Applied {
    /// Images whose lock entry is missing or does not match, and unknown platforms.
    pub warnings: Vec<Diagnostic>,
    /// The image's `USER` by service, for services whose Compose file names no user.
    pub users: BTreeMap<String, String>,
}

/// The lock entry of an image: by the reference as written, else by its full form
/// (`nginx` and `docker.io/library/nginx:latest` are one image).
pub fn find<'l>(lock: &'l Lock, image: &str) -> Option<&'l Image> {
    if let Some(i) = lock.images.get(image) {
        return Some(i);
    }
    let want = Reference::parse(image)?.canonical();
    lock.images
        .iter()
        .find(|(k, _)| Reference::parse(k).is_some_and(|r| r.canonical() == want))
        .map(|(_, i)| i)
}

/// Apply `lock` to every service with an image; `pin` adds digests.
pub fn apply(project: &mut Project, lock: &Lock, lock_name: &str, pin: bool) -> Applied {
    let mut out = Applied::default();
    let names: Vec<String> = project.services.keys().cloned().collect();
    for name in names {
        let Some(image) = project.services[&name].image.clone() else {
            continue;
        };
        let Some(facts) = find(lock, &image) else {
            // An image built here may not be in a registry yet: `kubeferry lock` noted it.
            if project.services[&name].build.is_some() {
                continue;
            }
            out.warnings.push(Diagnostic::warning(
                "K002",
                project.locate(&name, &["image"]),
                format!("image `{image}` is not in {lock_name}: what it declares (user, ports, health check, volumes) is unknown; run `kubeferry lock` again"),
            ));
            continue;
        };
        let svc = project.services.get_mut(&name).expect("a listed service");
        if let Some(hc) = &facts.healthcheck {
            healthcheck(svc, hc);
        }
        let sidecar = svc
            .network_mode
            .as_deref()
            .is_some_and(|m| m.starts_with("service:"));
        if svc.ports.is_empty() && svc.expose.is_empty() && !sidecar {
            svc.expose.clone_from(&facts.exposed_ports);
        }
        for path in &facts.volumes {
            let target = path.trim_end_matches('/');
            let covered = svc
                .volumes
                .iter()
                .any(|v| v.target.trim_end_matches('/') == target)
                || svc
                    .tmpfs
                    .iter()
                    .any(|t| t.split(':').next() == Some(target));
            if !covered && !target.is_empty() {
                svc.volumes.push(ServiceVolume {
                    kind: VolumeType::Volume,
                    source: None,
                    target: target.to_string(),
                    ..ServiceVolume::default()
                });
            }
        }
        if svc.user.is_none() {
            out.users.insert(name.clone(), facts.user.clone());
        }
        if pin && !facts.digest.is_empty() && !image.contains('@') {
            svc.image = Some(format!("{image}@{}", facts.digest));
        }
    }
    out
}

/// Docker's rule: the image's HEALTHCHECK runs unless Compose replaces or disables it; a
/// Compose healthcheck without `test` keeps the image's test, and timings it leaves out
/// stay the image's.
fn healthcheck(svc: &mut Service, locked: &LockedCheck) {
    let dur = |v: &Option<String>| v.as_deref().and_then(parse_duration).map(Duration);
    let image = Healthcheck {
        test: locked.test.clone(),
        interval: dur(&locked.interval),
        timeout: dur(&locked.timeout),
        retries: locked.retries,
        start_period: dur(&locked.start_period),
        start_interval: dur(&locked.start_interval),
        disable: false,
    };
    match &mut svc.healthcheck {
        None => {
            if !image.test.is_empty() && !image.is_disabled() {
                svc.healthcheck = Some(image);
            }
        }
        Some(hc) if hc.is_disabled() => {}
        Some(hc) => {
            if hc.test.is_empty() {
                hc.test = image.test;
            }
            hc.interval = hc.interval.or(image.interval);
            hc.timeout = hc.timeout.or(image.timeout);
            hc.retries = hc.retries.or(image.retries);
            hc.start_period = hc.start_period.or(image.start_period);
            hc.start_interval = hc.start_interval.or(image.start_interval);
        }
    }
}
