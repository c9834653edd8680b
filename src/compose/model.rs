//! The typed Compose project: what the loader returns and the lowering pass reads.
//!
//! Field names follow the Compose specification. Every short syntax has been expanded, defaults
//! are filled in as Docker Compose fills them, and values are typed (durations, byte sizes,
//! counts). Serialising a [`Project`] to JSON gives the shape `docker compose config --format
//! json` prints, which is what the differential test compares.

use super::node::{Node, Pos, Value};
use crate::diag::dotted;
use indexmap::IndexMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A sorted map: Docker Compose prints its maps sorted by key.
pub type Dict<V> = BTreeMap<String, V>;

fn is_false(b: &bool) -> bool {
    !*b
}

/// A loaded Compose project: its services and top-level objects after interpolation, merging,
/// profiles and defaults (what `kubeferry config` prints).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Project {
    /// The project name (Kubernetes labels and the Helm chart use it).
    pub(crate) name: String,
    /// The active services, in file order.
    pub(crate) services: IndexMap<String, Service>,
    /// Top-level `networks:`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) networks: IndexMap<String, Network>,
    /// Top-level `volumes:`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) volumes: IndexMap<String, Volume>,
    /// Top-level `secrets:`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) secrets: IndexMap<String, FileObject>,
    /// Top-level `configs:`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) configs: IndexMap<String, FileObject>,
    /// Top-level `models:` (AI models a model runner serves).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) models: IndexMap<String, Model>,
    /// Top-level `x-*` extensions.
    #[serde(flatten)]
    pub(crate) extensions: IndexMap<String, serde_json::Value>,
    /// The project directory, absolute as given (used to resolve relative paths).
    #[serde(skip)]
    pub(crate) working_dir: String,
    /// The project environment the files were interpolated with (for `environment:`-sourced
    /// secrets and configs). Never printed.
    #[serde(skip)]
    pub(crate) environment: Dict<String>,
    /// Services dropped because none of their profiles is active.
    #[serde(skip)]
    pub(crate) disabled_services: Vec<String>,
    /// Where each service was declared (for diagnostics from later stages).
    #[serde(skip)]
    pub(crate) origins: Origins,
    /// Project-level kubeferry settings (top-level `x-kubeferry`).
    #[serde(skip)]
    pub(crate) settings: super::settings::ProjectSettings,
}

impl Project {
    /// The project's name (`name:`, `-p`, or the folder's name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of the active services, in file order. A service's settings are read from
    /// the project's Compose form (`serde_json::to_value(&project)`, what `kubeferry config`
    /// prints), not from kubeferry's model, which changes with every Compose key it learns.
    pub fn service_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    /// Where `services.<svc>.<path...>` was written, in the user's terms, for findings of
    /// later stages.
    pub(crate) fn locate(&self, svc: &str, path: &[&str]) -> crate::diag::Location {
        self.origins.locate(svc, path)
    }
}

/// Source positions of the declarations, to locate findings of later stages.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    /// File display names, indexed by [`Pos::file`].
    pub files: Vec<String>,
    /// The keys of each resolved service node and where they are ([`KeyTree`]). Shared, so
    /// that copies of a project do not copy it.
    pub services: Arc<IndexMap<String, KeyTree>>,
}

impl Origins {
    /// The location of `services.<svc>.<path...>`: where it was written, else the deepest
    /// key above it that was.
    pub fn locate(&self, svc: &str, path: &[&str]) -> crate::diag::Location {
        let mut key = dotted("services", svc);
        for p in path {
            key.push('.');
            key.push_str(p);
        }
        match self.at(svc, path) {
            Some(pos) => crate::diag::Location::new(self.file_name(pos), pos.line, pos.col, key),
            None => crate::diag::Location::new("", 0, 0, key),
        }
    }

    /// The position of `services.<svc>.<path...>` if known, else the deepest known above it.
    pub fn at(&self, service: &str, path: &[&str]) -> Option<Pos> {
        let tree = self.services.get(service)?;
        let mut parent = KeyTree::TOP;
        let mut at = tree.at;
        for key in path {
            let found = tree
                .keys
                .iter()
                .enumerate()
                .find(|(_, k)| k.parent == parent && &*k.key == *key);
            match found {
                Some((i, k)) => {
                    parent = i as u32;
                    at = k.at;
                }
                None => break,
            }
        }
        Some(at)
    }

    pub fn file_name(&self, pos: Pos) -> &str {
        self.files
            .get(pos.file as usize)
            .map(String::as_str)
            .unwrap_or("<input>")
    }
}

/// The mapping keys of a node at every depth with their positions: all that [`Origins::at`]
/// reads, a fraction of the node's size (a large project keeps one per service to the end).
#[derive(Clone, Debug, Default)]
pub struct KeyTree {
    /// Where the node's own key is.
    at: Pos,
    /// Every key below it, parents before children.
    keys: Vec<KeyEntry>,
}

#[derive(Clone, Debug)]
struct KeyEntry {
    /// Index of the parent key in `keys`, or [`KeyTree::TOP`].
    parent: u32,
    key: Box<str>,
    at: Pos,
}

impl KeyTree {
    const TOP: u32 = u32::MAX;

    pub fn of(node: &Node) -> KeyTree {
        let mut tree = KeyTree {
            at: node.key_at,
            keys: Vec::new(),
        };
        tree.add(node, KeyTree::TOP);
        tree.keys.shrink_to_fit();
        tree
    }

    fn add(&mut self, node: &Node, parent: u32) {
        if let Value::Map(m) = &node.value {
            for (k, v) in m {
                let i = self.keys.len() as u32;
                self.keys.push(KeyEntry {
                    parent,
                    key: k.as_str().into(),
                    at: v.key_at,
                });
                self.add(v, i);
            }
        }
    }
}

/// A duration, printed as Go prints `time.Duration` (`1m30s`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub u64 /* nanoseconds */);

impl Duration {
    pub fn as_secs_ceil(&self) -> u64 {
        self.0.div_ceil(1_000_000_000)
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::units::format_duration(self.0))
    }
}

/// A byte count, printed as Docker Compose prints it (a string of digits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub i64);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Service {
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub annotations: Dict<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blkio_config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup_parent: Option<String>,
    /// `None` = the image's CMD. `Some([])` = explicitly cleared.
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<FileReference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_rt_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_rt_runtime: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_spec: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub depends_on: IndexMap<String, Dependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    /// The development loop (`develop`, or the older `x-develop`); never reaches manifests.
    #[serde(skip)]
    pub develop: Option<serde_json::Value>,
    /// `develop` as `config` prints it, in Docker Compose's form (which leaves `x-develop` out).
    #[serde(rename = "develop", skip_serializing_if = "Option::is_none")]
    pub develop_config: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    /// `None` = the image's ENTRYPOINT. `Some([])` = explicitly cleared.
    pub entrypoint: Option<Vec<String>>,
    /// The resolved container environment (env_file entries merged under `environment`).
    /// `None` values are keys whose value is unset in the project environment.
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub environment: Dict<Option<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<String>,
    /// `host=ip` entries, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<DeviceRequest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub labels: Dict<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_reservation: Option<Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_swappiness: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memswap_limit: Option<Bytes>,
    /// `None` for a model listed without options (the list form), printed `null` as Compose does.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub models: IndexMap<String, Option<ServiceModel>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Networks the service joins; `None` = joined with no options.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub networks: IndexMap<String, Option<ServiceNetwork>>,
    #[serde(skip_serializing_if = "is_false")]
    pub oom_kill_disable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_start: Vec<Hook>,
    /// Run to completion before the service container starts (compose-spec, newer than
    /// Docker Compose 2.40.3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_start: Vec<Hook>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_stop: Vec<Hook>,
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<FileReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<Bytes>,
    #[serde(skip_serializing_if = "is_false")]
    pub stdin_open: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub storage_opt: Dict<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub sysctls: Dict<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub tty: bool,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub ulimits: Dict<Ulimit>,
    #[serde(skip_serializing_if = "is_false")]
    pub use_api_socket: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userns_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uts: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<ServiceVolume>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `x-*` extensions, including `x-kubeferry`.
    #[serde(flatten)]
    pub extensions: IndexMap<String, serde_json::Value>,
    /// kubeferry's settings from `x-kubeferry` and `kompose.*` labels, read once.
    #[serde(skip)]
    pub settings: super::settings::ServiceSettings,
    /// The `env_file`s as read, in order (their entries are already merged into
    /// `environment`); kept so lowering can carry them as ConfigMaps.
    #[serde(skip)]
    pub env_files: Vec<EnvFile>,
}

/// One env file of a service and the entries it set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvFile {
    pub path: String,
    pub values: Dict<Option<String>>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Build {
    pub context: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_inline: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub args: Dict<Option<String>>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub labels: Dict<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_from: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_to: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// The rest of the build keys, as written (nothing of `build` reaches the manifests).
    #[serde(flatten)]
    pub other: IndexMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub condition: String,
    #[serde(skip_serializing_if = "is_false")]
    pub restart: bool,
    pub required: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Deploy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub labels: Dict<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    pub placement: Placement,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_mode: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UpdateConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_failure_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Resources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Resource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Resource>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Resource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceRequest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generic_resources: Vec<GenericResource>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DeviceRequest {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// `-1` = all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub options: Dict<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GenericResource {
    pub discrete_resource_spec: DiscreteResource,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DiscreteResource {
    pub kind: String,
    pub value: i64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RestartPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Placement {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<PlacementPreference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replicas_per_node: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PlacementPreference {
    pub spread: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Device {
    pub source: String,
    pub target: String,
    pub permissions: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Healthcheck {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
    #[serde(skip_serializing_if = "is_false")]
    pub disable: bool,
}

impl Healthcheck {
    /// No check runs: `disable: true` or `test: [NONE]`.
    pub fn is_disabled(&self) -> bool {
        self.disable || self.test.first().is_some_and(|t| t == "NONE")
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Logging {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub options: Dict<Option<String>>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ServiceModel {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_var: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_var: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ServiceNetwork {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gw_priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub driver_opts: Dict<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Port {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    pub target: u32,
    /// A port or a range (`8000-8010`), as Compose prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Hook {
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub environment: Dict<Option<String>>,
    /// `pre_start` only: the image the hook runs in (default: the service's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `pre_start` only: once per replica, or once for the service (the default).
    #[serde(skip_serializing_if = "is_false")]
    pub per_replica: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FileReference {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "octal")]
    pub mode: Option<u32>,
}

/// File modes print in octal with a leading zero, as Docker Compose prints them.
fn octal<S: serde::Serializer>(mode: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match mode {
        Some(m) => s.serialize_str(&format!("0{m:o}")),
        None => s.serialize_none(),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ulimit {
    pub single: Option<i64>,
    pub soft: i64,
    pub hard: i64,
}

impl Serialize for Ulimit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.single {
            Some(v) => s.serialize_i64(v),
            None => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("soft", &self.soft)?;
                m.serialize_entry("hard", &self.hard)?;
                m.end()
            }
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VolumeType {
    #[default]
    Volume,
    Bind,
    Tmpfs,
    Image,
    Npipe,
    Cluster,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ServiceVolume {
    #[serde(rename = "type")]
    pub kind: VolumeType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub target: String,
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<BindOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<TmpfsOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageOptions>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct BindOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagation: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub create_host_path: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selinux: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recursive: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct VolumeOptions {
    #[serde(skip_serializing_if = "is_false")]
    pub nocopy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub labels: Dict<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TmpfsOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ImageOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Network {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub driver_opts: Dict<String>,
    pub ipam: serde_json::Value,
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub internal: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv4: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv6: Option<bool>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub labels: Dict<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Volume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub driver_opts: Dict<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub labels: Dict<String>,
    /// `x-*` extensions (`x-kubeferry` sizes and classes).
    #[serde(flatten)]
    pub extensions: IndexMap<String, serde_json::Value>,
    #[serde(skip)]
    pub settings: super::settings::VolumeSettings,
}

/// A top-level secret or config.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileObject {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub labels: Dict<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Dict::is_empty")]
    pub driver_opts: Dict<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_driver: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Model {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_size: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runtime_flags: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::node::Map;

    fn pos(line: u32) -> Pos {
        Pos {
            file: 0,
            line,
            col: 3,
        }
    }

    /// `key: value` at `line`, as the parser keys it.
    fn keyed(mut node: Node, line: u32) -> Node {
        node.key_at = pos(line);
        node
    }

    #[test]
    fn at_walks_the_keys_to_the_deepest_known() {
        // web:              (line 2)
        //   image: x        (line 3)
        //   deploy:         (line 4)
        //     resources: {} (line 5)
        //   ports: [a]      (line 6)
        let mut deploy = Map::default();
        deploy.insert(
            "resources".into(),
            keyed(Node::map(Map::default(), pos(5)), 5),
        );
        let mut web = Map::default();
        web.insert("image".into(), keyed(Node::str("x", pos(3)), 3));
        web.insert("deploy".into(), keyed(Node::map(deploy, pos(4)), 4));
        web.insert(
            "ports".into(),
            keyed(Node::seq(vec![Node::str("a", pos(6))], pos(6)), 6),
        );
        let web = keyed(Node::map(web, pos(2)), 2);
        let origins = Origins {
            files: vec!["compose.yaml".into()],
            services: Arc::new(
                [("web".to_string(), KeyTree::of(&web))]
                    .into_iter()
                    .collect(),
            ),
        };
        let line = |path: &[&str]| origins.at("web", path).map(|p| p.line);
        assert_eq!(line(&[]), Some(2));
        assert_eq!(line(&["image"]), Some(3));
        assert_eq!(line(&["deploy", "resources"]), Some(5));
        assert_eq!(line(&["deploy", "resources", "limits"]), Some(5));
        assert_eq!(
            line(&["resources"]),
            Some(2),
            "not a key of the service itself"
        );
        assert_eq!(line(&["ports", "0"]), Some(6), "sequences are not entered");
        assert_eq!(origins.at("db", &["image"]), None);
    }
}
