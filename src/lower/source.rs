//! Where each workload comes from: lowering records it as it makes the workload, and the
//! passes after it (hardening) read it instead of matching object names to service names.

use crate::compose::model::Service;
use crate::hash::FastMap;
use std::collections::BTreeMap;

/// The origin of one workload.
#[derive(Clone, Debug)]
pub enum Source {
    /// A Compose service (a key of `Project::services`).
    Service(String),
    /// A workload kubeferry adds: the runner of top-level model `key` (`models:`), made from
    /// a service of its own; `user` is the first service that uses the model (findings are
    /// located at its `models.<key>`).
    ModelRunner {
        /// The top-level `models:` key.
        key: String,
        /// The first service that uses the model.
        user: String,
        /// The runner's own service (image, ports, resources), as lowering made it.
        service: Box<Service>,
    },
}

/// The workloads' origins, and each container's Compose service: lowering's record for
/// hardening, opaque outside the library.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Workload name → its origin.
    pub(crate) workloads: FastMap<String, Source>,
    /// Workload name → (container name → Compose service), for pods that hold more than one
    /// service (`network_mode: service:` sidecars).
    pub(crate) containers: FastMap<String, BTreeMap<String, String>>,
}

impl Sources {
    /// The origin of a workload.
    pub(crate) fn of(&self, workload: &str) -> Option<&Source> {
        self.workloads.get(workload)
    }
}
