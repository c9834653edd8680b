//! The middle: a typed Compose [`Project`] to Kubernetes objects.
//!
//! [`lower`] takes the project, [`LowerOptions`] and a [`FileSystem`] (to read the files behind
//! `secrets:` and `configs:`), and returns the objects in their fixed order plus the warnings
//! for everything that could not be expressed faithfully. Each object family has its module;
//! this one only dispatches per service.

mod binds;
mod counts;
mod data_paths;
mod deploy_labels;
mod dials;
mod env;
mod escape;
mod folders;
pub(crate) mod gateway;
mod gpu;
mod hook_container;
mod hook_losses;
mod hpa;
mod image_volumes;
mod ingress;
mod kind;
pub(crate) mod known_ports;
mod lookup;
mod mentions;
mod model_users;
mod models;
// Public but hidden, not API: tests/staged_corpus.rs names a service's label with it.
#[doc(hidden)]
pub mod names;
pub(crate) mod object;
mod pod;
mod pre_start;
mod pre_start_job;
pub(crate) mod probes;
pub(crate) mod quantity;
mod reach;
mod resources;
mod route;
pub(crate) mod sensitive;
mod service;
mod settings;
pub(crate) mod source;
mod storage;
// Public but hidden, not API: the tables docs/conversion.md and docs/kompose-users.md are
// checked against (tests/conversion_doc.rs, tests/kompose_flags.rs).
#[doc(hidden)]
pub mod support;
mod volumes;
mod workload;

use crate::compose::FileSystem;
use crate::compose::model::{Project, Service};
use crate::diag::{Diagnostic, Failure, Location};
use crate::hash::{FastMap, FastSet};
pub use gateway::Route as GatewayRoute;
pub(crate) use hook_container::PREFIX as PRE_START_PREFIX;
pub use object::{External, Object};
pub(crate) use pod::WAIT_CONTAINER;
pub use pod::{is_native_sidecar, running_containers};
pub(crate) use pre_start_job::{
    COMPONENT as PRE_START_COMPONENT, WAIT_CONTAINER as PRE_START_WAIT,
};
pub use source::Sources;
pub(crate) use source::{ProbeOverride, ServiceFacts, Source};
use std::collections::{BTreeMap, BTreeSet};

/// Which workload kind a service becomes when the Compose file does not decide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Controller {
    /// A Deployment (stateless services).
    #[default]
    Deployment,
    /// A StatefulSet (a claim per replica).
    StatefulSet,
    /// A DaemonSet (one pod per node, `deploy.mode: global`).
    DaemonSet,
}

/// What bind-mounted host directories become.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BindStrategy {
    /// An empty directory (the data of the host folder is not carried over).
    #[default]
    EmptyDir,
    /// A PersistentVolumeClaim per bind mount.
    PersistentVolumeClaim,
    /// The node's path (hostPath): only for single-node clusters.
    HostPath,
}

/// Where the values of `env_file`s go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnvFiles {
    /// Into the container's `env`, merged with `environment`.
    #[default]
    Inline,
    /// Into a ConfigMap per env file, read through `envFrom`; `environment` stays in `env`.
    ConfigMap,
}

/// How `depends_on` is expressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DependencyWait {
    /// An init container that waits until each dependency's Service accepts TCP connections.
    InitContainer {
        /// The image of the init container (it needs a shell and `nc`).
        image: String,
    },
    /// No waiting: pods start at once and retry as the services come up.
    Off,
}

/// How GPUs are requested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GpuApi {
    /// Extended resources of the device plugins (`nvidia.com/gpu`).
    DevicePlugin,
    /// Dynamic resource allocation: a ResourceClaimTemplate per GPU service, claiming from
    /// this DeviceClass (default: the vendor's, `gpu.nvidia.com`, `gpu.amd.com`, `gpu.intel.com`).
    Dra {
        /// The DeviceClass claimed from (`--gpu-device-class`).
        device_class: Option<String>,
    },
}

/// What `ipc: host` becomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IpcHost {
    /// What the hardening level calls for: [`IpcHost::SharedMemory`] when hardening,
    /// [`IpcHost::Keep`] at `none`. The library's `Options::resolved` decides; lowering
    /// alone keeps.
    #[default]
    Auto,
    /// `hostIPC: true`, as asked.
    Keep,
    /// A memory emptyDir at `/dev/shm`: the shared memory model servers use `ipc: host`
    /// for, without the node's IPC namespace (which Pod Security forbids).
    SharedMemory,
}

/// Where the values of Compose `secrets` go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecretValues {
    /// Read them and put them into Secret objects of the output.
    #[default]
    Inline,
    /// Leave them out: pods reference Secrets the user creates, and a warning says which.
    External,
}

/// What `x-kubeferry.ingress` / `kompose.service.expose` become.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IngressApi {
    /// networking.k8s.io/v1 Ingress objects.
    #[default]
    Ingress,
    /// Gateway API (gateway.networking.k8s.io/v1) HTTPRoute or GRPCRoute objects attached
    /// to this Gateway (its namespace: the routes' own when `None`).
    Gateway {
        /// The Gateway's name.
        name: String,
        /// The Gateway's namespace.
        namespace: Option<String>,
    },
}

/// Options of the lowering pass, resolved once from the command line or by an embedder.
#[derive(Clone, Debug)]
pub struct LowerOptions {
    /// The workload kind for services whose Compose file does not decide (`--controller`).
    pub controller: Option<Controller>,
    /// What bind-mounted host folders become (`--binds`).
    pub binds: BindStrategy,
    /// Where `env_file` values go (`--env-files`).
    pub env_files: EnvFiles,
    /// Size of PersistentVolumeClaims when the Compose file gives none.
    pub pvc_size: String,
    /// The storage class of the claims (default: the cluster's).
    pub storage_class: Option<String>,
    /// Prefix for images of services that only have `build`.
    pub image_registry: Option<String>,
    /// How `depends_on` is waited for.
    pub dependencies: DependencyWait,
    /// How GPUs are requested (`--gpu-api`).
    pub gpu_api: GpuApi,
    /// How many GPUs `count: all` becomes with the device plugin.
    pub gpus_all: u32,
    /// Whether GPU pods tolerate the `NoSchedule` taint of the GPU resource they ask for.
    pub gpu_toleration: bool,
    /// A `KEY=VALUE` node selector for GPU pods.
    pub gpu_node_selector: Option<(String, String)>,
    /// The RuntimeClass of GPU pods (`--runtime-class`).
    pub runtime_class: Option<String>,
    /// What `ipc: host` becomes.
    pub ipc_host: IpcHost,
    /// Image of the model server each top-level `models:` entry runs as; `None` = no
    /// Deployment, only a warning naming the variables the services expect.
    pub model_runner_image: Option<String>,
    /// The namespace of the objects (also set through `Options::namespace`).
    pub namespace: Option<String>,
    /// Where the values of Compose `secrets` go.
    pub secrets: SecretValues,
    /// Replica count of Deployments and StatefulSets whose Compose file gives none.
    pub replicas: Option<u32>,
    /// The Kubernetes release the output is for (`--kube-version`).
    pub kube_version: crate::target::KubeVersion,
    /// What exposes HTTP services (`--ingress-api`, `--gateway`).
    pub ingress_api: IngressApi,
}

impl Default for LowerOptions {
    fn default() -> Self {
        LowerOptions {
            controller: None,
            binds: BindStrategy::default(),
            env_files: EnvFiles::default(),
            pvc_size: "1Gi".into(),
            storage_class: None,
            image_registry: None,
            dependencies: DependencyWait::InitContainer {
                image: "busybox:1.36".into(),
            },
            gpu_api: GpuApi::DevicePlugin,
            gpus_all: 1,
            gpu_toleration: true,
            gpu_node_selector: None,
            runtime_class: None,
            ipc_host: IpcHost::Auto,
            model_runner_image: None,
            namespace: None,
            secrets: SecretValues::Inline,
            replicas: None,
            kube_version: crate::target::KubeVersion::DEFAULT,
            ingress_api: IngressApi::Ingress,
        }
    }
}

/// The objects of a conversion and what the pass had to say.
#[derive(Debug, Default)]
pub struct Lowered {
    /// The objects, in their fixed order (kind, then name).
    pub objects: Vec<Object>,
    /// What could not be expressed faithfully.
    pub warnings: Vec<Diagnostic>,
    /// What the objects reference that the user creates.
    pub external: External,
    /// Where each workload comes from (read by hardening).
    pub sources: Sources,
}

/// State shared by the per-service lowering functions.
pub(crate) struct Ctx<'a> {
    pub project: &'a Project,
    pub opts: &'a LowerOptions,
    pub fs: &'a dyn FileSystem,
    pub warnings: Vec<Diagnostic>,
    pub errors: Vec<Diagnostic>,
    /// Kubernetes name of each Compose service.
    pub names: FastMap<String, String>,
    /// Services that are run to completion (targets of `service_completed_successfully`).
    pub completed_targets: BTreeSet<String>,
    /// Services a dependent waits for to start or be healthy: the first such dependent and
    /// its condition.
    pub awaited: BTreeMap<String, (String, String)>,
    pub objects: Vec<Object>,
    pub external: External,
    /// Where each object of `objects` is, by kind and name (see [`Ctx::find_object`]).
    index: lookup::ObjectIndex,
    /// The services that mount each named volume ([`volumes::volume_users`]), computed once.
    pub volume_users: BTreeMap<String, Vec<String>>,
    /// The services that join each service's pod (`network_mode: service:X`), in order.
    pub sidecars: FastMap<String, Vec<String>>,
    /// `expose` of the services whose port is implied by their image or the project's
    /// dials ([`implied_ports`]), their own `expose` included.
    implied_expose: FastMap<String, Vec<String>>,
    /// Where each workload made so far comes from.
    pub sources: Sources,
    /// Services others reach on no port anyone knows: a headless Service gives them their
    /// name ([`Implied::Unknown`]).
    pub portless: FastSet<String>,
    /// Credentials among the interpolation variables ([`sensitive::interpolated`]), once.
    pub interpolated_credentials: Vec<(String, String)>,
}

impl Ctx<'_> {
    /// The ports a service exposes without publishing them: its `expose`, or the port its
    /// image implies when it declares none and others reach it.
    pub fn expose<'s>(&'s self, name: &str, svc: &'s Service) -> &'s [String] {
        self.implied_expose
            .get(name)
            .map_or(svc.expose.as_slice(), Vec::as_slice)
    }

    /// The first object of this kind and name pushed so far.
    pub fn find_object(&mut self, kind: &str, name: &str) -> Option<&Object> {
        let i = self.index.find(&self.objects, kind, name)?;
        self.objects.get(i)
    }

    /// The location of `services.<svc>.<path>` in the user's files.
    pub fn at(&self, svc: &str, path: &[&str]) -> Location {
        self.project.locate(svc, path)
    }

    /// A warning about a top-level key (`networks`, `volumes.<name>`), located by file.
    pub fn warn_top(&mut self, code: &'static str, key: String, msg: impl Into<String>) {
        let file = self
            .project
            .origins
            .files
            .first()
            .cloned()
            .unwrap_or_default();
        let at = Location::new(file, 0, 0, key);
        self.warnings.push(Diagnostic::warning(code, at, msg));
    }

    pub fn warn(&mut self, code: &'static str, svc: &str, path: &[&str], msg: impl Into<String>) {
        let at = self.at(svc, path);
        self.warnings.push(Diagnostic::warning(code, at, msg));
    }

    pub fn error(&mut self, code: &'static str, svc: &str, path: &[&str], msg: impl Into<String>) {
        let at = self.at(svc, path);
        self.errors.push(Diagnostic::error(code, at, msg));
    }

    pub fn labels(&self, svc: &str) -> BTreeMap<String, String> {
        names::labels(&self.names[svc], &self.project.name)
    }
}

/// Lower a project to Kubernetes objects.
pub fn lower(
    project: &Project,
    opts: &LowerOptions,
    fs: &dyn FileSystem,
) -> Result<Lowered, Failure> {
    let mentions = mentions::Mentions::new(project);
    let implied = implied_ports(project, &mentions);
    let mut cx = Ctx {
        project,
        opts,
        fs,
        warnings: Vec::new(),
        errors: Vec::new(),
        names: FastMap::default(),
        completed_targets: BTreeSet::new(),
        awaited: BTreeMap::new(),
        // Room for the usual two or three objects per service (and one per volume, secret
        // and config) up front (objects are boxed, so a slot is two words).
        objects: Vec::with_capacity(
            4 * project.services.len()
                + project.volumes.len()
                + project.secrets.len()
                + project.configs.len()
                + 8,
        ),
        index: lookup::ObjectIndex::default(),
        volume_users: volumes::volume_users(project),
        sidecars: FastMap::default(),
        external: External::default(),
        sources: Sources::default(),
        implied_expose: implied
            .iter()
            .filter(|(_, ports, _)| !ports.is_empty())
            .map(|(svc, ports, _)| {
                let own = project.services.get(svc).map_or(&[][..], |s| &s.expose[..]);
                let all = own.iter().cloned().chain(ports.iter().map(u32::to_string));
                (svc.clone(), all.collect())
            })
            .collect(),
        portless: implied
            .iter()
            .filter(|(_, _, why)| *why == Implied::Unknown)
            .map(|(svc, _, _)| svc.clone())
            .collect(),
        interpolated_credentials: sensitive::interpolated(&project.environment),
    };
    for (name, svc) in &project.services {
        if let Some(host) = is_sidecar_of(svc) {
            let list = cx.sidecars.entry(host.to_string()).or_default();
            list.push(name.clone());
        }
    }
    assign_names(&mut cx, &mentions);
    // Two services with one Kubernetes name: every later step looks names up, so stop here.
    if !cx.errors.is_empty() {
        return Err(Failure(cx.errors));
    }
    for (svc, ports, why) in implied {
        let list = ports
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let message = match why {
            Implied::Mentioned => format!(
                "no port declared; the project's environment or commands dial `{svc}` on {list} (`{svc}:PORT`, or a URL's default port), so the container and its Service expose {list} (declare `expose` to change it)"
            ),
            Implied::KnownImage => format!(
                "no port declared; the image is a known server listening on {list}, so the Service exposes {list} (declare `expose` to change it)"
            ),
            Implied::Undeclared => {
                cx.warn("L075", &svc, &[], format!(
                    "the project's environment or commands dial `{svc}` on {list}, which it does not declare (`{svc}:PORT`); the container and its Service expose {list} too (add them to `expose` to say so)"
                ));
                continue;
            }
            Implied::Unknown => {
                cx.warn("L076", &svc, &[], format!(
                    "others reach `{svc}`, but it declares no port and none is known (no `{svc}:PORT` in the project, not a known image): a headless Service gives the name to the pod, any port, and the network's NetworkPolicy admits its members on every port (declare `expose` to give the Service its ports)"
                ));
                continue;
            }
        };
        cx.warn("L071", &svc, &[], message);
    }
    for (name, svc) in &project.services {
        for (dep, d) in &svc.depends_on {
            if d.condition == "service_completed_successfully" {
                cx.completed_targets.insert(dep.clone());
            } else if is_sidecar_of(svc) != Some(dep.as_str()) {
                // A `network_mode: service:` helper runs in its target's pod: it waits on
                // nothing, so it does not make a one-shot target a server.
                let first = (name.clone(), d.condition.clone());
                cx.awaited.entry(dep.clone()).or_insert(first);
            }
        }
    }
    support::warn_top_level(&mut cx);
    volumes::top_level(&mut cx);
    models::top_level(&mut cx);
    for (name, svc) in &project.services {
        if is_sidecar_of(svc).is_some() {
            continue;
        }
        lower_service(&mut cx, name, svc);
    }
    reach::finish(&mut cx);
    if !cx.errors.is_empty() {
        return Err(Failure(cx.errors));
    }
    let mut sources = cx.sources;
    sources.record_project(project);
    let mut objects = cx.objects;
    env::mark_secret_env(&mut objects);
    // Reserved generously above; what follows (hardening, emitting) needs only its length.
    objects.shrink_to_fit();
    object::sort(&mut objects);
    check_unique(&objects)?;
    Ok(Lowered {
        objects,
        warnings: env::group_unset(cx.warnings),
        external: cx.external,
        sources,
    })
}

/// `network_mode: service:X` puts the service's container into X's pod.
pub(crate) fn is_sidecar_of(svc: &Service) -> Option<&str> {
    svc.network_mode
        .as_deref()
        .and_then(|m| m.strip_prefix("service:"))
}

fn lower_service(cx: &mut Ctx<'_>, name: &str, svc: &Service) {
    support::warn_unsupported(cx, name, svc);
    let Some(pod) = pod::pod_spec(cx, name, svc) else {
        return;
    };
    service::service(cx, name, svc);
    workload::workload(cx, name, svc, pod);
    ingress::ingress(cx, name, svc);
    hpa::hpa(cx, name, svc);
}

/// Give every service a Kubernetes name; two services whose names sanitise to the same one
/// are an error, not a silent overwrite.
fn assign_names(cx: &mut Ctx<'_>, mentions: &mentions::Mentions<'_>) {
    let mut seen: FastMap<String, String> = FastMap::default();
    let project = cx.project;
    for (name, svc) in &project.services {
        let k = names::service_name(svc.settings.name_override.as_deref().unwrap_or(name));
        if let Some(other) = seen.get(&k) {
            let msg = format!(
                "services `{other}` and `{name}` both become the Kubernetes name `{k}`; rename one of them"
            );
            cx.error("L001", name, &[], msg);
            continue;
        }
        if k != *name {
            let users = mentions.users(name);
            let mut msg = format!("service `{name}` is named `{k}` in Kubernetes");
            if !users.is_empty() {
                let list: Vec<String> = users.iter().map(|u| format!("`{u}`")).collect();
                msg.push_str(&format!(
                    "; {} {} it by its Compose name, which cannot resolve: where it is dialled as a host it is rewritten to `{k}` (L077), any other use must be pointed at `{k}`",
                    list.join(", "),
                    if list.len() == 1 { "names" } else { "name" }
                ));
            }
            cx.warn("L002", name, &[], msg);
        }
        seen.insert(k.clone(), name.clone());
        cx.names.insert(name.clone(), k);
    }
}

/// Whether `value` names `host` as a host (`host:5432`, `//host/`, `@host`, or the whole value).
pub(crate) fn mentions_host(value: &str, host: &str) -> bool {
    let bytes = value.as_bytes();
    let mut start = 0;
    while let Some(i) = value[start..].find(host) {
        let s = start + i;
        let e = s + host.len();
        let before_ok = s == 0
            || matches!(
                bytes[s - 1],
                b'/' | b'@' | b'=' | b' ' | b',' | b'"' | b'\''
            );
        let after_ok =
            e == bytes.len() || matches!(bytes[e], b':' | b'/' | b' ' | b',' | b'"' | b'\'' | b'?');
        if before_ok && after_ok {
            return true;
        }
        start = e;
    }
    false
}

fn check_unique(objects: &[Object]) -> Result<(), Failure> {
    // Hashed: an ordered set compared a dozen names per object at 5,000 services.
    let mut seen = FastSet::default();
    for o in objects {
        if !seen.insert((o.kind(), o.name())) {
            return Err(Failure(vec![Diagnostic::error(
                "L003",
                Location::default(),
                format!(
                    "two {} objects are both named `{}`; rename one of the Compose resources",
                    o.kind(),
                    o.name()
                ),
            )]));
        }
    }
    Ok(())
}

/// Where the ports of a service that declares none, or not all it is dialled on, come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Implied {
    /// It declares no port; the project dials it as `host:port` (or by a URL's scheme).
    Mentioned,
    /// It declares no port; its image is a known server ([`known_ports`]) and others reach it.
    KnownImage,
    /// It declares ports, and the project dials it on others as well (a Kafka listener).
    Undeclared,
    /// It declares no port, others reach it, and no port is known: no ports, a headless
    /// Service.
    Unknown,
}

/// The ports a service declares: container ports, single published ports and `expose`.
fn declared_ports(svc: &Service) -> FastSet<u32> {
    let mut out: FastSet<u32> = FastSet::default();
    for p in &svc.ports {
        out.insert(p.target);
        if let Some(published) = p.published.as_deref().and_then(|s| s.parse().ok()) {
            out.insert(published);
        }
    }
    for e in &svc.expose {
        let port = e.split('/').next().unwrap_or(e);
        let (a, b) = port.split_once('-').unwrap_or((port, port));
        if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
            out.extend(a..=b.min(a + 100));
        }
    }
    out
}

/// The services reached on ports they do not declare: the ports the project dials them on
/// (`http://ollama:11434`, `PLAINTEXT://kafka:29092`), else, for a service that declares none,
/// the port of its image when it is a known server and others reach it, else nothing known
/// ([`Implied::Unknown`]). They expose those ports ([`Ctx::expose`]); without, no Service
/// would carry their name or port.
pub(crate) fn implied_ports(
    project: &Project,
    mentions: &mentions::Mentions<'_>,
) -> Vec<(String, Vec<u32>, Implied)> {
    let mut implied = Vec::new();
    for (name, svc) in &project.services {
        if is_sidecar_of(svc).is_some() {
            continue;
        }
        let declared = declared_ports(svc);
        let mut ports: Vec<u32> = mentions
            .ports_of(name)
            .iter()
            .copied()
            .filter(|p| !declared.contains(p))
            .collect();
        ports.sort_unstable();
        if !svc.ports.is_empty() || !svc.expose.is_empty() {
            if !ports.is_empty() {
                implied.push((name.clone(), ports, Implied::Undeclared));
            }
            continue;
        }
        if !ports.is_empty() {
            implied.push((name.clone(), ports, Implied::Mentioned));
            continue;
        }
        let known = svc.image.as_deref().and_then(known_ports::port_of);
        if let Some(port) = known
            && (mentions.has_dependents(name) || mentions.is_named(name))
        {
            implied.push((name.clone(), vec![port], Implied::KnownImage));
        } else if known.is_none() && mentions.is_dialled(name) {
            implied.push((name.clone(), Vec::new(), Implied::Unknown));
        }
    }
    implied
}

/// [`implied_ports`] by service, for the stages after lowering (bridges of a staged move).
pub(crate) fn implied_ports_by_service(project: &Project) -> FastMap<String, Vec<u32>> {
    let mentions = mentions::Mentions::new(project);
    implied_ports(project, &mentions)
        .into_iter()
        .filter(|(_, p, _)| !p.is_empty())
        .map(|(s, p, _)| (s, p))
        .collect()
}
