//! What becomes of each Compose service attribute: the table behind the warnings for keys
//! Kubernetes cannot express, and behind `docs/conversion.md`.

use super::Ctx;
use crate::compose::model::Service;
use crate::target::{Feature, KubeVersion};

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
        "never in manifests; without `image` the image is named `<project>-<service>` and must be pushed",
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
    (
        "command",
        Support::Handled,
        "container args (`$` escaped where the kubelet would expand it)",
    ),
    (
        "configs",
        Support::Handled,
        "ConfigMap mounted at the target",
    ),
    (
        "container_name",
        Support::Partial,
        "the Kubernetes name comes from the service name; a container name the project dials (environment, commands, config files) gets a Service of its own with the same pods and ports",
    ),
    ("cpu_count", Support::Unsupported, "Windows-only"),
    ("cpu_percent", Support::Unsupported, "Windows-only"),
    (
        "cpu_period",
        Support::Unsupported,
        "a CFS period has no Kubernetes setting; use cpus",
    ),
    (
        "cpu_quota",
        Support::Unsupported,
        "a raw CFS quota has no Kubernetes setting; use cpus",
    ),
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
        Support::Partial,
        "replicas, mode, resources, restart policy, placement, update order; labels mark the workload object (metadata.labels, as Kompose 1.38; a value no label can hold becomes an annotation, an invalid key is dropped, L141); rollback_config, endpoint_mode and update timings are not converted",
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
    (
        "entrypoint",
        Support::Handled,
        "container command (`$` escaped where the kubelet would expand it)",
    ),
    (
        "env_file",
        Support::Handled,
        "merged into env (environment wins), or ConfigMaps read through envFrom with --env-files-to configmap; credentials in a Secret either way (docs/secrets.md)",
    ),
    (
        "environment",
        Support::Handled,
        "container env (`$` escaped where the kubelet would expand it); credentials from a Secret through secretKeyRef (docs/secrets.md); hosts that dial a service whose name is not a DNS label are rewritten to its Service name",
    ),
    (
        "expose",
        Support::Handled,
        "container ports and Service ports, plus the ports the project dials the service on (environment, commands, mounted config files); no port known and dialled: a headless Service",
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
        "GPU extended resource or DRA claim (--gpu-api dra)",
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
    (
        "ipc",
        Support::Partial,
        "host to hostIPC; containers of one pod share IPC; other modes are not converted",
    ),
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
        "`<NAME>_URL`/`<NAME>_MODEL` variables; a runner Deployment and Service with --model-runner-image, else a warning naming the variables",
    ),
    (
        "network_mode",
        Support::Partial,
        "host to hostNetwork; service:X shares X's pod, as a native sidecar (restartPolicy: Always init container, which does not hold a Job) from 1.29",
    ),
    (
        "networks",
        Support::Partial,
        "membership (NetworkPolicies: members reach each other on every port); aliases the project dials get a Service each; static addresses are not converted",
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
    (
        "ports",
        Support::Handled,
        "container ports and a Service on the container port (what other services dial), the published port, and any other port the project dials the service on",
    ),
    (
        "post_start",
        Support::Handled,
        "lifecycle.postStart: an exec in the container, as Compose's; a failure kills the container, which restarts by its policy (Compose stops it); the hook's user, privileged, working_dir and environment cannot be set on an exec handler (L142)",
    ),
    (
        "pre_start",
        Support::Handled,
        "init containers, in order, after the dependency wait: the hook's image (else the service's), its command as args (the image's entrypoint runs it), the service's environment with the hook's on top, the service's mounts, as Compose runs it with the service's volumes (once per start of the service's container, as in Compose, while the service has one pod). A hook that runs once for the service (no `per_replica: true`) in a service with several pods (replicas, an autoscaler, a DaemonSet): a Job `<service>-pre-start` runs those hooks in order (backoffLimit from `restart: on-failure:N`, else 6), and each pod waits for it in an init container (`registry.k8s.io/kubectl` of the `--kube-version`, non-root, read-only) that alone holds a token, of a ServiceAccount whose Role may `get` that one Job; a failed Job keeps the pods from starting, as a failed hook keeps Compose from starting the service; a Job cannot be changed: delete it before applying a changed hook (L143). When each pod has volumes of its own (a StatefulSet's claims, emptyDirs from bind mounts or anonymous volumes), which the Job's pod could not write for the service's pods, run-once hooks stay in each pod's init containers (L140). Newer than Docker Compose 2.40.3",
    ),
    (
        "pre_stop",
        Support::Handled,
        "lifecycle.preStop: runs before the stop signal, within the termination grace period (stop_grace_period), as in Compose; the hook's user, privileged, working_dir and environment cannot be set (L142)",
    ),
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
    (
        "pull_refresh_after",
        Support::Unsupported,
        "the kubelet has no refresh interval; pull_policy always pulls on every start",
    ),
    ("read_only", Support::Handled, "readOnlyRootFilesystem"),
    (
        "restart",
        Support::Handled,
        "workload kind and restartPolicy: a Job only for a one-shot service (`restart: no`/`on-failure` or a dependent's `service_completed_successfully`) that nothing waits on as a server (no port, published, `expose`d or implied; no healthcheck; no dependent with `service_started` or `service_healthy`); any other service is a Deployment, with a warning when `restart` asked not to restart; x-kubeferry.controller and kompose.controller.type win; `on-failure:N` (or `deploy.restart_policy.max_attempts`) is a Job's backoffLimit; a Deployment has no restart count, so its pods restart without limit (L096 says so)",
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
        "named volumes and database data paths to PersistentVolumeClaims; bind-mounted files and project folders to ConfigMaps; empty folders to emptyDirs (see Mounts below); `type: image` to a read-only image volume (with subPath and pullPolicy) from 1.35, before to an emptyDir that init containers fill with a copy of the image (L059)",
    ),
    (
        "volumes_from",
        Support::Partial,
        "the named volumes are mounted too",
    ),
    ("working_dir", Support::Handled, "container workingDir"),
];

/// Every top-level element, its support level and what it becomes (or why not).
pub const TOP_LEVEL_KEYS: &[(&str, Support, &str)] = &[
    (
        "version",
        Support::Handled,
        "obsolete; ignored as Docker Compose does",
    ),
    (
        "name",
        Support::Handled,
        "`app.kubernetes.io/part-of` and built image names",
    ),
    ("include", Support::Handled, "resolved when loading"),
    (
        "services",
        Support::Handled,
        "a workload each, with Service, ConfigMaps and Secrets",
    ),
    (
        "networks",
        Support::Partial,
        "every pod shares the cluster network; hardening (default) isolates each Compose network with a NetworkPolicy, and members of `internal: true` networks reach only the network and DNS (egress policy); `--harden none` or `--network-policies none` does not",
    ),
    (
        "volumes",
        Support::Handled,
        "PersistentVolumeClaims or volumeClaimTemplates",
    ),
    (
        "configs",
        Support::Handled,
        "ConfigMaps (external: referenced by name; over 240 KiB: not converted, warned)",
    ),
    (
        "secrets",
        Support::Handled,
        "Secrets (external: referenced by name; over 240 KiB: not converted, warned)",
    ),
    (
        "models",
        Support::Partial,
        "a runner Deployment and Service per model with --model-runner-image, else a warning naming the variables services expect",
    ),
    ("x-kubeferry", Support::Handled, "kubeferry's own settings"),
    (
        "x-*",
        Support::Handled,
        "extension fields; ignored as Docker Compose does",
    ),
];

/// Kompose's labels, read by the loader into typed settings.
pub const KOMPOSE_LABELS: &[(&str, Support, &str)] = &[
    (
        "kompose.controller.port.expose",
        Support::Unsupported,
        "hostPort ties a pod to a node port; use kompose.service.type nodeport",
    ),
    (
        "kompose.controller.type",
        Support::Handled,
        "workload kind (deployment, statefulset, daemonset, job, cronjob)",
    ),
    (
        "kompose.cronjob.backoff_limit",
        Support::Handled,
        "Job backoffLimit",
    ),
    (
        "kompose.cronjob.concurrency_policy",
        Support::Handled,
        "CronJob concurrencyPolicy",
    ),
    (
        "kompose.cronjob.schedule",
        Support::Handled,
        "CronJob schedule",
    ),
    (
        "kompose.ephemeral-storage.limit",
        Support::Handled,
        "ephemeral-storage limit (deploy.labels)",
    ),
    (
        "kompose.ephemeral-storage.request",
        Support::Handled,
        "ephemeral-storage request (deploy.labels)",
    ),
    (
        "kompose.hpa.cpu",
        Support::Handled,
        "HorizontalPodAutoscaler cpu utilization",
    ),
    (
        "kompose.hpa.memory",
        Support::Handled,
        "HorizontalPodAutoscaler memory utilization",
    ),
    (
        "kompose.hpa.replicas.max",
        Support::Handled,
        "HorizontalPodAutoscaler maxReplicas",
    ),
    (
        "kompose.hpa.replicas.min",
        Support::Handled,
        "HorizontalPodAutoscaler minReplicas",
    ),
    (
        "kompose.image-pull-policy",
        Support::Handled,
        "imagePullPolicy",
    ),
    (
        "kompose.image-pull-secret",
        Support::Handled,
        "imagePullSecrets",
    ),
    (
        "kompose.init.containers.command",
        Support::Handled,
        "its command",
    ),
    (
        "kompose.init.containers.image",
        Support::Handled,
        "an extra init container",
    ),
    ("kompose.init.containers.name", Support::Handled, "its name"),
    (
        "kompose.security-context.fsgroup",
        Support::Handled,
        "pod securityContext.fsGroup",
    ),
    (
        "kompose.service.expose",
        Support::Handled,
        "Ingress (pathType Prefix) to the first Service port; with --ingress-api gateway an HTTPRoute (GRPCRoute for `app_protocol: grpc`) attached to --gateway",
    ),
    (
        "kompose.service.expose.ingress-class-name",
        Support::Handled,
        "ingressClassName",
    ),
    (
        "kompose.service.expose.tls-secret",
        Support::Handled,
        "Ingress tls",
    ),
    (
        "kompose.service.external-traffic-policy",
        Support::Handled,
        "externalTrafficPolicy (NodePort and LoadBalancer)",
    ),
    (
        "kompose.service.group",
        Support::Unsupported,
        "use network_mode: service:X to put containers in one pod",
    ),
    (
        "kompose.service.healthcheck.liveness.*",
        Support::Handled,
        "livenessProbe: exec, httpGet or tcpSocket, timings",
    ),
    (
        "kompose.service.healthcheck.readiness.*",
        Support::Handled,
        "readinessProbe: exec, httpGet or tcpSocket, timings",
    ),
    (
        "kompose.service.name_override",
        Support::Handled,
        "the Kubernetes name of the service's objects",
    ),
    (
        "kompose.service.nodeport.port",
        Support::Handled,
        "nodePort of the single Service port",
    ),
    (
        "kompose.service.type",
        Support::Handled,
        "Service type: clusterip, nodeport, loadbalancer, headless",
    ),
    (
        "kompose.serviceaccount-name",
        Support::Handled,
        "serviceAccountName",
    ),
    (
        "kompose.volume.selector",
        Support::Unsupported,
        "claims bind by storage class; a selector on Kompose's own labels matches nothing here",
    ),
    (
        "kompose.volume.size",
        Support::Handled,
        "PersistentVolumeClaim size (service or top-level volume label)",
    ),
    (
        "kompose.volume.storage-class-name",
        Support::Handled,
        "storageClassName",
    ),
    (
        "kompose.volume.subpath",
        Support::Handled,
        "subPath of the service's volume mounts",
    ),
    (
        "kompose.volume.type",
        Support::Handled,
        "per-service --volumes strategy for bind-mounted folders (`configMap`: the default behaviour)",
    ),
];

/// Whether a `kompose.*` label is one of [`KOMPOSE_LABELS`] that kubeferry applies.
fn kompose_label_handled(key: &str) -> bool {
    KOMPOSE_LABELS.iter().any(|(k, support, _)| {
        *support != Support::Unsupported
            && (*k == key || k.strip_suffix('*').is_some_and(|p| key.starts_with(p)))
    })
}

fn why(key: &str) -> &'static str {
    SERVICE_KEYS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, _, w)| *w)
        .unwrap_or("")
}

/// Warn for each attribute the service sets that Kubernetes cannot express.
pub(crate) fn warn_unsupported(cx: &mut Ctx<'_>, name: &str, s: &Service) {
    let set: [(&str, bool); 31] = [
        ("attach", s.attach.is_some()),
        ("blkio_config", s.blkio_config.is_some()),
        ("cgroup", s.cgroup.is_some()),
        ("cgroup_parent", s.cgroup_parent.is_some()),
        ("container_name", s.container_name.is_some()),
        ("cpu_count", s.cpu_count.is_some()),
        ("cpu_percent", s.cpu_percent.is_some()),
        ("cpu_period", s.cpu_period.is_some()),
        ("cpu_quota", s.cpu_quota.is_some()),
        ("cpu_rt_period", s.cpu_rt_period.is_some()),
        ("cpu_rt_runtime", s.cpu_rt_runtime.is_some()),
        ("cpuset", s.cpuset.is_some()),
        ("credential_spec", s.credential_spec.is_some()),
        ("develop", s.develop.is_some()),
        ("device_cgroup_rules", !s.device_cgroup_rules.is_empty()),
        ("external_links", !s.external_links.is_empty()),
        ("init", s.init == Some(true)),
        ("isolation", s.isolation.is_some()),
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
        ("provider", s.provider.is_some()),
        ("stop_signal", s.stop_signal.is_some()),
        ("storage_opt", !s.storage_opt.is_empty()),
        ("ulimits", !s.ulimits.is_empty()),
        ("use_api_socket", s.use_api_socket),
        ("userns_mode", s.userns_mode.is_some()),
    ];
    for (key, present) in set {
        if present {
            cx.warn(
                "L100",
                name,
                &[key],
                format!("`{key}` is not converted: {}", why(key)),
            );
        }
    }
    if s.build.is_some() && s.image.is_some() {
        cx.warn(
            "L104",
            name,
            &["build"],
            "`build` is not run: the cluster pulls `image`, which must be built and pushed first",
        );
    }
    if let Some(ipc) = s
        .ipc
        .as_deref()
        .filter(|i| !matches!(*i, "host" | "private"))
    {
        cx.warn(
            "L100",
            name,
            &["ipc"],
            format!("ipc `{ipc}` is not converted: {}", why("ipc")),
        );
    }
    if let Some(d) = &s.deploy {
        if d.rollback_config.is_some() {
            cx.warn(
                "L105",
                name,
                &["deploy", "rollback_config"],
                "rollback_config is not converted: roll back with `kubectl rollout undo`",
            );
        }
        if d.endpoint_mode.as_deref().is_some_and(|m| m != "vip") {
            cx.warn("L105", name, &["deploy", "endpoint_mode"], "endpoint_mode dnsrr is not converted: the Service has a cluster IP (kompose.service.type headless gives DNS round robin)");
        }
        if let Some(u) = &d.update_config
            && (u.parallelism.is_some()
                || u.delay.is_some()
                || u.failure_action.is_some()
                || u.monitor.is_some()
                || u.max_failure_ratio.is_some())
        {
            cx.warn("L105", name, &["deploy", "update_config"], "update_config parallelism, delay, failure_action, monitor and max_failure_ratio are not converted; only order is");
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
    if s.networks
        .values()
        .flatten()
        .any(|n| n.ipv4_address.is_some() || n.ipv6_address.is_some() || !n.aliases.is_empty())
    {
        cx.warn("L102", name, &["networks"], "static addresses are not converted; the service is reachable by its Service name, and a network alias the project dials by a Service of that name (L078)");
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
    for key in s.labels.keys().filter(|k| k.starts_with("kompose.")) {
        if !kompose_label_handled(key) {
            let reason = KOMPOSE_LABELS
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, _, w)| *w)
                .unwrap_or("kubeferry does not know this label");
            cx.warn(
                "L106",
                name,
                &["labels", key],
                format!("label `{key}` is not applied: {reason}"),
            );
        }
    }
}

/// Warnings about top-level elements that are not converted in full.
pub(crate) fn warn_top_level(cx: &mut Ctx<'_>) {
    let project = cx.project;
    let own: Vec<&String> = project
        .networks
        .iter()
        .filter(|(n, net)| *n != "default" && !net.external)
        .map(|(n, _)| n)
        .collect();
    if own.len() > 1 {
        let list: Vec<String> = own.iter().map(|n| format!("`{n}`")).collect();
        cx.warn_top("L107", "networks".into(), format!(
                "networks {} are not converted: every pod can reach every Service in the namespace, unless hardening (the default) writes a NetworkPolicy per network",
                list.join(", ")
            ));
    }
}

fn section(out: &mut String, title: &str, intro: &str, rows: &[(&str, Support, &str)]) {
    out.push_str(&format!(
        "## {title}\n\n{intro}\n\n| Key | Support | Kubernetes | From version |\n| --- | --- | --- | --- |\n"
    ));
    for (k, s, what) in rows {
        let s = match s {
            Support::Handled => "handled",
            Support::Partial => "partial",
            Support::Unsupported => "unsupported",
        };
        out.push_str(&format!("| `{k}` | {s} | {what} | {} |\n", from_version(k)));
    }
    out.push('\n');
}

/// The "From version" cell of a key: the `--kube-version` from which it converts in full
/// (and what older releases get), else `any` (every release from 1.25).
fn from_version(key: &str) -> String {
    let feature = match key {
        "network_mode" => Feature::NativeSidecars,
        "volumes" => Feature::ImageVolumes,
        "gpus" => Feature::DynamicResourceAllocation,
        "user" => Feature::UserNamespaces,
        _ => return "any".into(),
    };
    format!("{}: {}", feature.since(), feature.doc())
}

/// The section on `--kube-version`: every version-dependent feature and its release.
fn target_section(out: &mut String) {
    out.push_str(&format!(
        "## Target version\n\n`--kube-version X.Y` names the Kubernetes release the output is for: {} to {}, default {} (the oldest minor release managed clusters still run); other releases are refused. Each fixture of `fixtures/convert` is validated at its own `--kube-version` and at 1.37. Gateway API routes (`--ingress-api gateway`) depend on the Gateway API CRDs being installed, not on the release: kubeferry writes `gateway.networking.k8s.io/v1`, checked against the CRD schemas of Gateway API v1.6.1 (tests/gateway-api).\n\n| Feature | From version | Before |\n| --- | --- | --- |\n",
        KubeVersion::OLDEST,
        KubeVersion::NEWEST,
        KubeVersion::DEFAULT
    ));
    for f in Feature::ALL {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            f.what(),
            f.since(),
            f.before()
        ));
    }
    out.push('\n');
}

/// `docs/conversion.md`, generated from [`TOP_LEVEL_KEYS`], [`SERVICE_KEYS`],
/// [`KOMPOSE_LABELS`] and the table of database data paths.
pub fn conversion_table() -> String {
    let mut out = String::from(
        "# Conversion table\n\nGenerated from `src/lower/support.rs`; `cargo test` fails when this file is stale (regenerate with `KUBEFERRY_BLESS=1 cargo test --test conversion_doc`).\n\nWhat each Compose key becomes in Kubernetes. Every key that is set and not handled in full produces a warning; none is dropped silently.\n\n",
    );
    section(
        &mut out,
        "Top-level elements",
        "The elements of a Compose file.",
        TOP_LEVEL_KEYS,
    );
    section(
        &mut out,
        "Service attributes",
        "The attributes of a service (`services.<name>.<key>`).",
        SERVICE_KEYS,
    );
    section(
        &mut out,
        "Kompose labels",
        "Kompose's `kompose.*` service labels, so Kompose users' files work unchanged (the `x-kubeferry` extension sets the same things).",
        KOMPOSE_LABELS,
    );
    target_section(&mut out);
    out.push_str(&super::data_paths::doc_section());
    out.trim_end().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field names of `compose::model::Service`, read from its source.
    fn model_fields() -> Vec<String> {
        let src = include_str!("../compose/model.rs");
        let body = src
            .split("pub struct Service {")
            .nth(1)
            .and_then(|b| b.split("\n}").next())
            .expect("model.rs has pub struct Service");
        body.lines()
            .filter_map(|l| l.trim().strip_prefix("pub "))
            .filter_map(|l| l.split(':').next())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_model_attribute_is_in_the_table() {
        let fields = model_fields();
        assert!(fields.len() > 80, "read {} fields", fields.len());
        for f in fields {
            let key = match f.as_str() {
                // Not Compose keys: kubeferry's own typed views of what the loader read.
                "extensions" | "settings" => continue,
                "env_files" => "env_file".to_string(),
                "develop_config" => "develop".to_string(),
                other => other.to_string(),
            };
            assert!(
                SERVICE_KEYS.iter().any(|(k, _, _)| *k == key),
                "`{key}` of the Service model is missing from SERVICE_KEYS"
            );
        }
    }

    #[test]
    fn every_spec_attribute_is_in_the_table() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/docs/compose-and-peers.md"
        );
        let Ok(doc) = std::fs::read_to_string(path) else {
            eprintln!("note: ../shared is absent; the spec attribute list is not checked");
            return;
        };
        let a3 = doc
            .split("## A3.")
            .nth(1)
            .and_then(|s| s.split("## A4.").next())
            .unwrap();
        let mut n = 0;
        for line in a3.lines().filter(|l| l.starts_with("| `")) {
            let cell = line.split('|').nth(1).unwrap();
            let keys = cell.split('`').skip(1).step_by(2);
            for key in keys.filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
                n += 1;
                assert!(
                    SERVICE_KEYS.iter().any(|(k, _, _)| *k == key),
                    "spec attribute `{key}` is missing from SERVICE_KEYS"
                );
            }
        }
        assert!(n >= 90, "read {n} attributes");
    }

    #[test]
    fn tables_are_sorted_and_unique() {
        for table in [SERVICE_KEYS, KOMPOSE_LABELS] {
            for w in table.windows(2) {
                assert!(w[0].0 < w[1].0, "`{}` before `{}`", w[0].0, w[1].0);
            }
            assert!(table.iter().all(|(_, _, why)| !why.is_empty()));
        }
    }

    #[test]
    fn unsupported_kompose_labels_are_not_handled() {
        assert!(kompose_label_handled(
            "kompose.service.healthcheck.readiness.test"
        ));
        assert!(kompose_label_handled("kompose.hpa.cpu"));
        assert!(!kompose_label_handled("kompose.service.group"));
        assert!(!kompose_label_handled("kompose.something.else"));
    }
}
