//! What lowering hands the passes after it (hardening) beside the objects: where each workload
//! comes from, and the facts of each Compose service those passes read, typed once here. The
//! passes read these instead of the Compose project, and never match object names to service
//! names.

use crate::compose::Project;
use crate::compose::model::{Origins, Service};
use crate::compose::settings::ProbeSettings;
use crate::diag::Location;
use crate::hash::FastMap;
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet};

/// The origin of one workload.
#[derive(Clone, Debug)]
pub enum Source {
    /// A Compose service (a key of [`Sources::services`]).
    Service(String),
    /// A workload kubeferry adds: the runner of top-level model `key` (`models:`), made from
    /// a service of its own; `user` is the first service that uses the model (findings are
    /// located at its `models.<key>`).
    ModelRunner {
        /// The top-level `models:` key.
        key: String,
        /// The first service that uses the model.
        user: String,
        service: Box<ServiceFacts>,
    },
}

/// What the passes after lowering read of one Compose service (or of a model runner's own
/// service): its `x-kubeferry` hardening settings and the Compose keys the rules depend on.
#[derive(Clone, Debug, Default)]
pub struct ServiceFacts {
    /// `x-kubeferry.harden`: the level the service asks for, as written.
    pub harden: Option<String>,
    /// `x-kubeferry.disable_rules`.
    pub disable_rules: Vec<String>,
    /// `x-kubeferry.run_as_user`.
    pub run_as_user: Option<i64>,
    /// `x-kubeferry.fs_group`.
    pub fs_group: Option<i64>,
    /// `x-kubeferry.writable_paths`.
    pub writable_paths: Vec<String>,
    /// `x-kubeferry.image_pull_policy`, as written (not checked).
    pub image_pull_policy: Option<String>,
    /// `x-kubeferry.probes.readiness` / `.liveness` (or the kompose labels).
    pub readiness: Option<ProbeOverride>,
    pub liveness: Option<ProbeOverride>,
    /// Compose `user`.
    pub user: Option<String>,
    /// The healthcheck's `test`, unless the healthcheck is disabled.
    pub healthcheck: Option<Vec<String>>,
    /// The names the service answers to under Compose ([`super::probes::own_names`]).
    pub names: Vec<String>,
    /// The Compose networks it is on (`default` when it names none, none with a
    /// `network_mode`); a model runner is on the networks of the services that use its model.
    pub networks: Vec<String>,
    /// Its `ports`.
    pub published: Vec<Published>,
}

/// A port a service publishes (`ports`).
#[derive(Clone, Debug)]
pub struct Published {
    /// As Compose writes it (`tcp`, `udp`).
    pub protocol: String,
    /// The container port.
    pub target: u32,
    /// The host address it binds (`127.0.0.1`), if any.
    pub host_ip: Option<String>,
}

/// A probe override with its timings in whole seconds (at least 1; a timing that is not a
/// duration is left out).
#[derive(Clone, Debug, Default)]
pub struct ProbeOverride {
    pub disable: bool,
    /// An exec command (argv).
    pub command: Vec<String>,
    pub http_path: Option<String>,
    pub http_port: Option<i32>,
    pub tcp_port: Option<i32>,
    pub period_seconds: Option<i32>,
    pub timeout_seconds: Option<i32>,
    pub initial_delay_seconds: Option<i32>,
    pub retries: Option<i32>,
}

impl From<&ProbeSettings> for ProbeOverride {
    fn from(s: &ProbeSettings) -> Self {
        let secs = |d: &Option<String>| {
            d.as_deref()
                .and_then(crate::compose::units::parse_duration)
                .map(|ns| ns.div_ceil(1_000_000_000).clamp(1, i32::MAX as u64) as i32)
        };
        ProbeOverride {
            disable: s.disable,
            command: s.command.clone(),
            http_path: s.http_path.clone(),
            http_port: s.http_port,
            tcp_port: s.tcp_port,
            period_seconds: secs(&s.interval),
            timeout_seconds: secs(&s.timeout),
            initial_delay_seconds: secs(&s.start_period),
            retries: s.retries,
        }
    }
}

impl ServiceFacts {
    /// The facts of service `name`.
    pub fn of(name: &str, svc: &Service) -> ServiceFacts {
        let st = &svc.settings;
        ServiceFacts {
            harden: st.harden.clone(),
            disable_rules: st.disable_rules.clone(),
            run_as_user: st.run_as_user,
            fs_group: st.fs_group,
            writable_paths: st.writable_paths.clone(),
            image_pull_policy: st.image_pull_policy.clone(),
            readiness: st.readiness.as_ref().map(ProbeOverride::from),
            liveness: st.liveness.as_ref().map(ProbeOverride::from),
            user: svc.user.clone(),
            healthcheck: svc
                .healthcheck
                .as_ref()
                .filter(|h| !h.is_disabled())
                .map(|h| h.test.clone()),
            names: super::probes::own_names([(name, svc)]),
            networks: networks(svc),
            published: svc
                .ports
                .iter()
                .map(|p| Published {
                    protocol: p.protocol.clone(),
                    target: p.target,
                    host_ip: p.host_ip.clone(),
                })
                .collect(),
        }
    }
}

/// The Compose networks a service is on: `default` when it names none, none with a
/// `network_mode`.
pub(crate) fn networks(svc: &Service) -> Vec<String> {
    if svc.network_mode.is_some() {
        Vec::new()
    } else if svc.networks.is_empty() {
        vec!["default".into()]
    } else {
        svc.networks.keys().cloned().collect()
    }
}

/// Where findings about a Compose service are located: `services.<svc>.<path>` in the user's
/// files, as lowering locates its own.
#[derive(Clone, Debug, Default)]
pub struct Locator(Origins);

impl Locator {
    /// The location of `services.<svc>.<path>` (the deepest key above it that was written).
    pub fn at(&self, svc: &str, path: &[&str]) -> Location {
        self.0.locate(svc, path)
    }
}

/// The workloads' origins, each container's Compose service, and the facts of the project
/// the passes after lowering read: lowering's record for hardening, opaque outside the
/// library.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Workload name → its origin.
    pub(crate) workloads: FastMap<String, Source>,
    /// Workload name → (container name → Compose service), for pods that hold more than one
    /// service (`network_mode: service:` sidecars).
    pub(crate) containers: FastMap<String, BTreeMap<String, String>>,
    /// Every Compose service (those without a workload of their own too), in the project's
    /// order.
    pub(crate) services: IndexMap<String, ServiceFacts>,
    /// The project's name (`app.kubernetes.io/part-of`).
    pub(crate) project: String,
    /// The Compose networks declared `internal: true`.
    pub(crate) internal_networks: BTreeSet<String>,
    /// Where each service's keys were written.
    pub(crate) locator: Locator,
}

impl Sources {
    /// The origin of a workload.
    pub(crate) fn of(&self, workload: &str) -> Option<&Source> {
        self.workloads.get(workload)
    }

    /// The facts of a Compose service.
    pub(crate) fn service(&self, name: &str) -> Option<&ServiceFacts> {
        self.services.get(name)
    }

    /// Record the project-wide facts: every service's, the project's name, its internal
    /// networks and where its keys are.
    pub(crate) fn record_project(&mut self, project: &Project) {
        self.services = project
            .services
            .iter()
            .map(|(name, svc)| (name.clone(), ServiceFacts::of(name, svc)))
            .collect();
        self.project = project.name.clone();
        self.internal_networks = project
            .networks
            .iter()
            .filter(|(_, n)| n.internal)
            .map(|(k, _)| k.clone())
            .collect();
        self.locator = Locator(project.origins.clone());
    }
}
