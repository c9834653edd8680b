//! What becomes of each Compose service attribute: the table behind the warnings for keys
//! Kubernetes cannot express, and behind `docs/conversion.md`.

use super::Ctx;
use crate::compose::model::Service;

/// How well an attribute converts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Handled,
    Partial,
    Unsupported,
}

/// Every service attribute, its support level and what it becomes (or why not).
pub const SERVICE_KEYS: &[(&str, Support, &str)] = &[
    (
        "annotations",
        Support::Handled,
        "workload and pod annotations",
    ),
    (
        "attach",
        Support::Unsupported,
        "log attachment is a local Compose concern",
    ),
    (
        "blkio_config",
        Support::Unsupported,
        "no per-container block I/O limits in Kubernetes",
    ),
    (
        "build",
        Support::Partial,
        "never in manifests; the image is named `<project>-<service>` and must be pushed",
    ),
    (
        "cap_add",
        Support::Handled,
        "securityContext.capabilities.add",
    ),
    (
        "cap_drop",
        Support::Handled,
        "securityContext.capabilities.drop",
    ),
    (
        "cgroup",
        Support::Unsupported,
        "no cgroup namespace setting",
    ),
    (
        "cgroup_parent",
        Support::Unsupported,
        "the kubelet manages cgroups",
    ),
    ("command", Support::Handled, "container args"),
    (
        "configs",
        Support::Handled,
        "ConfigMap mounted at the target",
    ),
    (
        "container_name",
        Support::Partial,
        "the Kubernetes name comes from the service name",
    ),
    ("cpu_count", Support::Unsupported, "Windows-only"),
    ("cpu_percent", Support::Unsupported, "Windows-only"),
    ("cpu_period", Support::Unsupported, "use cpus"),
    ("cpu_quota", Support::Unsupported, "use cpus"),
    (
        "cpu_rt_period",
        Support::Unsupported,
        "no real-time scheduling settings",
    ),
    (
        "cpu_rt_runtime",
        Support::Unsupported,
        "no real-time scheduling settings",
    ),
    (
        "cpu_shares",
        Support::Partial,
        "cpu request of shares/1024 cores",
    ),
    ("cpus", Support::Handled, "cpu limit"),
    (
        "cpuset",
        Support::Unsupported,
        "needs the static CPU manager policy",
    ),
    ("credential_spec", Support::Unsupported, "Windows gMSA"),
    (
        "depends_on",
        Support::Handled,
        "init container that waits for the dependencies' Services",
    ),
    (
        "deploy",
        Support::Handled,
        "replicas, resources, restart policy, placement, update order",
    ),
    ("develop", Support::Unsupported, "development loop only"),
    (
        "device_cgroup_rules",
        Support::Unsupported,
        "no device cgroup rules",
    ),
    (
        "devices",
        Support::Partial,
        "GPU devices become GPU resources; other host devices are not passed",
    ),
    ("dns", Support::Handled, "dnsConfig.nameservers"),
    ("dns_opt", Support::Handled, "dnsConfig.options"),
    ("dns_search", Support::Handled, "dnsConfig.searches"),
    (
        "domainname",
        Support::Unsupported,
        "needs a headless Service and subdomain",
    ),
    ("entrypoint", Support::Handled, "container command"),
    (
        "env_file",
        Support::Handled,
        "merged into env, environment wins",
    ),
    ("environment", Support::Handled, "container env"),
    (
        "expose",
        Support::Handled,
        "container ports and Service ports",
    ),
    ("extends", Support::Handled, "resolved when loading"),
    (
        "external_links",
        Support::Unsupported,
        "no containers outside the project in a cluster",
    ),
    ("extra_hosts", Support::Handled, "hostAliases"),
    (
        "gpus",
        Support::Handled,
        "GPU extended resource or DRA claim",
    ),
    (
        "group_add",
        Support::Partial,
        "numeric groups to supplementalGroups",
    ),
    (
        "healthcheck",
        Support::Handled,
        "liveness, readiness and startup probes",
    ),
    ("hostname", Support::Handled, "pod hostname"),
    ("image", Support::Handled, "container image"),
    ("init", Support::Unsupported, "no init process injection"),
    ("ipc", Support::Partial, "host to hostIPC"),
    ("isolation", Support::Unsupported, "Windows-only"),
    ("label_file", Support::Handled, "merged into labels"),
    ("labels", Support::Handled, "annotations"),
    (
        "links",
        Support::Partial,
        "implied depends_on; aliases are not created",
    ),
    (
        "logging",
        Support::Unsupported,
        "cluster logging is node-level",
    ),
    (
        "mac_address",
        Support::Unsupported,
        "pods get addresses from the network plugin",
    ),
    ("mem_limit", Support::Handled, "memory limit"),
    ("mem_reservation", Support::Handled, "memory request"),
    ("mem_swappiness", Support::Unsupported, "swap is node-level"),
    ("memswap_limit", Support::Unsupported, "swap is node-level"),
    (
        "models",
        Support::Partial,
        "model variables; a model server with --model-runner-image",
    ),
    (
        "network_mode",
        Support::Partial,
        "host to hostNetwork; service:X shares X's pod",
    ),
    (
        "networks",
        Support::Partial,
        "membership; aliases and static addresses are not converted",
    ),
    (
        "oom_kill_disable",
        Support::Unsupported,
        "the kubelet manages OOM",
    ),
    (
        "oom_score_adj",
        Support::Unsupported,
        "the kubelet sets OOM scores by QoS class",
    ),
    (
        "pid",
        Support::Partial,
        "host to hostPID; service:X shares the process namespace",
    ),
    (
        "pids_limit",
        Support::Unsupported,
        "podPidsLimit is node-level",
    ),
    ("platform", Support::Handled, "node selector on os and arch"),
    ("ports", Support::Handled, "container ports and a Service"),
    ("post_start", Support::Handled, "lifecycle.postStart"),
    ("pre_start", Support::Unsupported, "not converted yet"),
    ("pre_stop", Support::Handled, "lifecycle.preStop"),
    ("privileged", Support::Handled, "securityContext.privileged"),
    (
        "profiles",
        Support::Handled,
        "selects services when loading",
    ),
    (
        "provider",
        Support::Unsupported,
        "an external component manages the service",
    ),
    ("pull_policy", Support::Handled, "imagePullPolicy"),
    ("read_only", Support::Handled, "readOnlyRootFilesystem"),
    (
        "restart",
        Support::Handled,
        "workload kind and restartPolicy",
    ),
    (
        "runtime",
        Support::Partial,
        "runtimeClassName; nvidia to a GPU request",
    ),
    ("scale", Support::Handled, "replicas"),
    ("secrets", Support::Handled, "Secret mounted at the target"),
    (
        "security_opt",
        Support::Partial,
        "no-new-privileges to allowPrivilegeEscalation: false",
    ),
    ("shm_size", Support::Handled, "memory emptyDir at /dev/shm"),
    ("stdin_open", Support::Handled, "container stdin"),
    (
        "stop_grace_period",
        Support::Handled,
        "terminationGracePeriodSeconds",
    ),
    (
        "stop_signal",
        Support::Unsupported,
        "needs the ContainerStopSignals feature",
    ),
    (
        "storage_opt",
        Support::Unsupported,
        "no per-container storage driver options",
    ),
    ("sysctls", Support::Handled, "pod securityContext.sysctls"),
    ("tmpfs", Support::Handled, "memory emptyDir"),
    ("tty", Support::Handled, "container tty"),
    (
        "ulimits",
        Support::Unsupported,
        "ulimits are set by the container runtime",
    ),
    (
        "use_api_socket",
        Support::Unsupported,
        "no Docker engine in a cluster",
    ),
    (
        "user",
        Support::Partial,
        "numeric uid and gid to runAsUser and runAsGroup",
    ),
    (
        "userns_mode",
        Support::Unsupported,
        "user namespaces are a pod-level feature",
    ),
    ("uts", Support::Unsupported, "no UTS namespace setting"),
    (
        "volumes",
        Support::Handled,
        "PersistentVolumeClaims, ConfigMaps for files, emptyDirs",
    ),
    (
        "volumes_from",
        Support::Partial,
        "the named volumes are mounted too",
    ),
    ("working_dir", Support::Handled, "container workingDir"),
];

/// Warn for each attribute the service sets that Kubernetes cannot express.
pub(crate) fn warn_unsupported(cx: &mut Ctx<'_>, name: &str, s: &Service) {
    let set: [(&str, bool); 24] = [
        ("attach", false),
        ("blkio_config", s.blkio_config.is_some()),
        ("cgroup", s.cgroup.is_some()),
        ("cgroup_parent", s.cgroup_parent.is_some()),
        ("cpu_count", s.cpu_count.is_some()),
        ("cpu_percent", s.cpu_percent.is_some()),
        ("cpu_period", s.cpu_period.is_some()),
        ("cpu_quota", s.cpu_quota.is_some()),
        ("cpuset", s.cpuset.is_some()),
        ("device_cgroup_rules", !s.device_cgroup_rules.is_empty()),
        ("external_links", !s.external_links.is_empty()),
        ("init", s.init == Some(true)),
        (
            "logging",
            s.logging
                .as_ref()
                .is_some_and(|l| l.driver.is_some() || !l.options.is_empty()),
        ),
        ("mac_address", s.mac_address.is_some()),
        ("mem_swappiness", s.mem_swappiness.is_some()),
        ("memswap_limit", s.memswap_limit.is_some()),
        ("oom_kill_disable", s.oom_kill_disable),
        ("oom_score_adj", s.oom_score_adj.is_some()),
        ("pids_limit", s.pids_limit.is_some()),
        ("stop_signal", s.stop_signal.is_some()),
        ("storage_opt", !s.storage_opt.is_empty()),
        ("ulimits", !s.ulimits.is_empty()),
        ("use_api_socket", s.use_api_socket),
        ("userns_mode", s.userns_mode.is_some()),
    ];
    for (key, present) in set {
        if present {
            let why = SERVICE_KEYS
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, _, w)| *w)
                .unwrap_or("");
            cx.warn(
                "L100",
                name,
                &[key],
                format!("`{key}` is not converted: {why}"),
            );
        }
    }
    for d in &s.devices {
        let gpu_like = d.source.contains('=')
            || d.source.starts_with("/dev/dri")
            || d.source == "/dev/kfd"
            || d.source.starts_with("/dev/nvidia");
        if !gpu_like {
            cx.warn("L101", name, &["devices"], format!("host device `{}` is not passed to the pod (it would need privileged mode and a hostPath)", d.source));
        }
    }
    if let Some(net) = s
        .networks
        .values()
        .flatten()
        .find(|n| n.ipv4_address.is_some() || n.ipv6_address.is_some() || !n.aliases.is_empty())
    {
        let _ = net;
        cx.warn("L102", name, &["networks"], "network aliases and static addresses are not converted; the service is reachable by its Service name");
    }
    if s.uts.is_some() {
        cx.warn(
            "L100",
            name,
            &["uts"],
            "`uts` is not converted: no UTS namespace setting",
        );
    }
    if !s.links.iter().all(|l| !l.contains(':')) {
        cx.warn(
            "L103",
            name,
            &["links"],
            "link aliases are not converted; reach the service by its name",
        );
    }
}

/// `docs/conversion.md`, generated from [`SERVICE_KEYS`].
pub fn conversion_table() -> String {
    let mut out = String::from(
        "# Conversion table\n\nGenerated from `src/lower/support.rs` (`cargo test` fails when this file is stale; regenerate with `kubeferry docs conversion > docs/conversion.md`).\n\nWhat each Compose service attribute becomes in Kubernetes. Every attribute that is set and not handled produces a warning; none is dropped silently.\n\n| Compose key | Support | Kubernetes |\n| --- | --- | --- |\n",
    );
    for (k, s, what) in SERVICE_KEYS {
        let s = match s {
            Support::Handled => "handled",
            Support::Partial => "partial",
            Support::Unsupported => "unsupported",
        };
        out.push_str(&format!("| `{k}` | {s} | {what} |\n"));
    }
    out
}
