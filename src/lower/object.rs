//! The Kubernetes objects a conversion produces, in their fixed output order.

use super::route::Route;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Namespace, PersistentVolumeClaim, PodSpec, PodTemplateSpec, Secret,
    Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::resource::v1::ResourceClaimTemplate;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeSet;

/// Objects the output references but does not contain, because the user creates them
/// (external volumes, secrets and configs; `--secrets external`). The output check accepts
/// references to these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct External {
    /// Secrets the pods reference and the output does not hold.
    pub secrets: BTreeSet<String>,
    /// ConfigMaps the pods reference and the output does not hold.
    pub config_maps: BTreeSet<String>,
    /// PersistentVolumeClaims the pods reference and the output does not hold.
    pub claims: BTreeSet<String>,
    /// The values of those Secrets that kubeferry knew (credentials of the environment), so
    /// the leak scan can look for them; never written.
    pub credentials: super::sensitive::Credentials,
}

/// One emitted object. The variant order is the output order (then by name).
///
/// Each object is boxed: the k8s-openapi types range from a few hundred bytes (ConfigMap)
/// to 2.6 KB (StatefulSet), and unboxed every slot of a list of objects took the largest
/// size; growing that list held the old and the new copy at once (at 1,000 services, a
/// third of the peak memory). Build one with `Object::from(deployment)`.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Object {
    /// A core/v1 Namespace.
    Namespace(Box<Namespace>),
    /// The identity of a `pre_start` wait (the only API access the output grants).
    ServiceAccount(Box<ServiceAccount>),
    /// The permission of a `pre_start` wait: `get` on the Job it waits for.
    Role(Box<Role>),
    /// Binds the `pre_start` wait's Role to its ServiceAccount.
    RoleBinding(Box<RoleBinding>),
    /// A core/v1 ConfigMap.
    ConfigMap(Box<ConfigMap>),
    /// A core/v1 Secret.
    Secret(Box<Secret>),
    /// A core/v1 PersistentVolumeClaim.
    PersistentVolumeClaim(Box<PersistentVolumeClaim>),
    /// A resource.k8s.io ResourceClaimTemplate (`--gpu-api dra`).
    ResourceClaimTemplate(Box<ResourceClaimTemplate>),
    /// A core/v1 Service.
    Service(Box<Service>),
    /// A core/v1 Endpoints (a bridge's address on the Compose host).
    Endpoints(Box<Endpoints>),
    /// A discovery.k8s.io/v1 EndpointSlice (a bridge's address on the Compose host).
    EndpointSlice(Box<EndpointSlice>),
    /// An apps/v1 Deployment.
    Deployment(Box<Deployment>),
    /// An apps/v1 StatefulSet.
    StatefulSet(Box<StatefulSet>),
    /// An apps/v1 DaemonSet.
    DaemonSet(Box<DaemonSet>),
    /// A batch/v1 Job.
    Job(Box<Job>),
    /// A batch/v1 CronJob.
    CronJob(Box<CronJob>),
    /// A networking.k8s.io/v1 Ingress.
    Ingress(Box<Ingress>),
    /// A Gateway API HTTPRoute or GRPCRoute (`--ingress-api gateway`).
    Route(Box<Route>),
    /// An autoscaling/v2 HorizontalPodAutoscaler.
    HorizontalPodAutoscaler(Box<HorizontalPodAutoscaler>),
    /// A policy/v1 PodDisruptionBudget.
    PodDisruptionBudget(Box<PodDisruptionBudget>),
    /// A networking.k8s.io/v1 NetworkPolicy.
    NetworkPolicy(Box<NetworkPolicy>),
}

impl From<Namespace> for Object {
    fn from(o: Namespace) -> Self {
        Object::Namespace(Box::new(o))
    }
}

impl From<ServiceAccount> for Object {
    fn from(o: ServiceAccount) -> Self {
        Object::ServiceAccount(Box::new(o))
    }
}

impl From<Role> for Object {
    fn from(o: Role) -> Self {
        Object::Role(Box::new(o))
    }
}

impl From<RoleBinding> for Object {
    fn from(o: RoleBinding) -> Self {
        Object::RoleBinding(Box::new(o))
    }
}

impl From<ConfigMap> for Object {
    fn from(o: ConfigMap) -> Self {
        Object::ConfigMap(Box::new(o))
    }
}

impl From<Secret> for Object {
    fn from(o: Secret) -> Self {
        Object::Secret(Box::new(o))
    }
}

impl From<PersistentVolumeClaim> for Object {
    fn from(o: PersistentVolumeClaim) -> Self {
        Object::PersistentVolumeClaim(Box::new(o))
    }
}

impl From<ResourceClaimTemplate> for Object {
    fn from(o: ResourceClaimTemplate) -> Self {
        Object::ResourceClaimTemplate(Box::new(o))
    }
}

impl From<Service> for Object {
    fn from(o: Service) -> Self {
        Object::Service(Box::new(o))
    }
}

impl From<Endpoints> for Object {
    fn from(o: Endpoints) -> Self {
        Object::Endpoints(Box::new(o))
    }
}

impl From<EndpointSlice> for Object {
    fn from(o: EndpointSlice) -> Self {
        Object::EndpointSlice(Box::new(o))
    }
}

impl From<Deployment> for Object {
    fn from(o: Deployment) -> Self {
        Object::Deployment(Box::new(o))
    }
}

impl From<StatefulSet> for Object {
    fn from(o: StatefulSet) -> Self {
        Object::StatefulSet(Box::new(o))
    }
}

impl From<DaemonSet> for Object {
    fn from(o: DaemonSet) -> Self {
        Object::DaemonSet(Box::new(o))
    }
}

impl From<Job> for Object {
    fn from(o: Job) -> Self {
        Object::Job(Box::new(o))
    }
}

impl From<CronJob> for Object {
    fn from(o: CronJob) -> Self {
        Object::CronJob(Box::new(o))
    }
}

impl From<Ingress> for Object {
    fn from(o: Ingress) -> Self {
        Object::Ingress(Box::new(o))
    }
}

impl From<Route> for Object {
    fn from(o: Route) -> Self {
        Object::Route(Box::new(o))
    }
}

impl From<HorizontalPodAutoscaler> for Object {
    fn from(o: HorizontalPodAutoscaler) -> Self {
        Object::HorizontalPodAutoscaler(Box::new(o))
    }
}

impl From<PodDisruptionBudget> for Object {
    fn from(o: PodDisruptionBudget) -> Self {
        Object::PodDisruptionBudget(Box::new(o))
    }
}

impl From<NetworkPolicy> for Object {
    fn from(o: NetworkPolicy) -> Self {
        Object::NetworkPolicy(Box::new(o))
    }
}

impl Object {
    /// Position of the kind in the output order.
    pub fn rank(&self) -> u8 {
        match self {
            Object::Namespace(_) => 0,
            Object::ServiceAccount(_) => 1,
            Object::Role(_) => 2,
            Object::RoleBinding(_) => 3,
            Object::ConfigMap(_) => 4,
            Object::Secret(_) => 5,
            Object::PersistentVolumeClaim(_) => 6,
            Object::ResourceClaimTemplate(_) => 7,
            Object::Service(_) => 8,
            Object::Endpoints(_) => 9,
            Object::EndpointSlice(_) => 10,
            Object::Deployment(_) => 11,
            Object::StatefulSet(_) => 12,
            Object::DaemonSet(_) => 13,
            Object::Job(_) => 14,
            Object::CronJob(_) => 15,
            Object::Ingress(_) => 16,
            Object::Route(_) => 17,
            Object::HorizontalPodAutoscaler(_) => 18,
            Object::PodDisruptionBudget(_) => 19,
            Object::NetworkPolicy(_) => 20,
        }
    }

    /// The object's kind, as in its `kind:` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "Namespace",
            Object::ServiceAccount(_) => "ServiceAccount",
            Object::Role(_) => "Role",
            Object::RoleBinding(_) => "RoleBinding",
            Object::ConfigMap(_) => "ConfigMap",
            Object::Secret(_) => "Secret",
            Object::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
            Object::ResourceClaimTemplate(_) => "ResourceClaimTemplate",
            Object::Service(_) => "Service",
            Object::Endpoints(_) => "Endpoints",
            Object::EndpointSlice(_) => "EndpointSlice",
            Object::Deployment(_) => "Deployment",
            Object::StatefulSet(_) => "StatefulSet",
            Object::DaemonSet(_) => "DaemonSet",
            Object::Job(_) => "Job",
            Object::CronJob(_) => "CronJob",
            Object::Ingress(_) => "Ingress",
            Object::Route(r) => r.kind.name(),
            Object::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
            Object::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Object::NetworkPolicy(_) => "NetworkPolicy",
        }
    }

    /// The object's `metadata.name` (empty when unset).
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Object::Namespace(o) => &o.metadata,
            Object::ServiceAccount(o) => &o.metadata,
            Object::Role(o) => &o.metadata,
            Object::RoleBinding(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::Secret(o) => &o.metadata,
            Object::PersistentVolumeClaim(o) => &o.metadata,
            Object::ResourceClaimTemplate(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::Endpoints(o) => &o.metadata,
            Object::EndpointSlice(o) => &o.metadata,
            Object::Deployment(o) => &o.metadata,
            Object::StatefulSet(o) => &o.metadata,
            Object::DaemonSet(o) => &o.metadata,
            Object::Job(o) => &o.metadata,
            Object::CronJob(o) => &o.metadata,
            Object::Ingress(o) => &o.metadata,
            Object::Route(o) => &o.metadata,
            Object::HorizontalPodAutoscaler(o) => &o.metadata,
            Object::PodDisruptionBudget(o) => &o.metadata,
            Object::NetworkPolicy(o) => &o.metadata,
        }
    }

    /// The pod template of a workload, for the hardening pass.
    pub fn pod_template_mut(&mut self) -> Option<&mut PodTemplateSpec> {
        match self {
            Object::Deployment(d) => d.spec.as_mut().map(|s| &mut s.template),
            Object::StatefulSet(d) => d.spec.as_mut().map(|s| &mut s.template),
            Object::DaemonSet(d) => d.spec.as_mut().map(|s| &mut s.template),
            Object::Job(j) => j.spec.as_mut().map(|s| &mut s.template),
            Object::CronJob(c) => c
                .spec
                .as_mut()
                .and_then(|s| s.job_template.spec.as_mut())
                .map(|s| &mut s.template),
            _ => None,
        }
    }

    /// The pod template of a workload.
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        match self {
            Object::Deployment(d) => d.spec.as_ref().map(|s| &s.template),
            Object::StatefulSet(d) => d.spec.as_ref().map(|s| &s.template),
            Object::DaemonSet(d) => d.spec.as_ref().map(|s| &s.template),
            Object::Job(j) => j.spec.as_ref().map(|s| &s.template),
            Object::CronJob(c) => c
                .spec
                .as_ref()
                .and_then(|s| s.job_template.spec.as_ref())
                .map(|s| &s.template),
            _ => None,
        }
    }

    /// The pod spec of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob).
    pub fn pod_spec(&self) -> Option<&PodSpec> {
        self.pod_template().and_then(|t| t.spec.as_ref())
    }
}

/// Sort into the fixed output order: by kind rank, then by name (stable). The keys are sorted
/// and the objects moved once each: objects are large, and moving them at every step of a
/// merge sort dominated the sort.
pub fn sort(objects: &mut [Object]) {
    objects.sort_by_cached_key(|o| (o.rank(), o.name().to_string()));
}
