//! A Compose service to a pod spec: the container (image, command, environment, ports,
//! probes, resources, security settings), its volumes, and the pod-level settings.

use super::escape::escape_all;
use super::gpu::{self, Gpus};
use super::model_users;
use super::names::{self, dns_label};
use super::probes;
use super::resources;
use super::volumes;
use super::{Ctx, DependencyWait, IpcHost, is_sidecar_of};
use crate::compose::model::Service;
use crate::target::Feature;
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, ExecAction, HostAlias, Lifecycle, LifecycleHandler,
    PodDNSConfig, PodDNSConfigOption, PodSecurityContext, PodSpec, SecurityContext, Sysctl,
};
use std::collections::{BTreeMap, BTreeSet};

/// The image a service runs: its `image`, or the name Compose gives a built image.
pub fn image(cx: &mut Ctx<'_>, name: &str, svc: &Service) -> String {
    if let Some(i) = svc.image.as_deref().filter(|i| !i.trim().is_empty()) {
        return i.trim().to_string();
    }
    let local = format!("{}-{}", cx.project.name, name);
    let full = match &cx.opts.image_registry {
        Some(r) => format!("{}/{local}", r.trim_end_matches('/')),
        None => local,
    };
    let what = if svc.build.is_some() {
        "is built from source"
    } else {
        "has no image"
    };
    cx.warn("L010", name, &["build"], format!(
        "the service {what}: it runs the image `{full}`, which must be built and pushed to a registry the cluster can pull from (--image-registry sets the prefix)"
    ));
    full
}

pub fn container(cx: &mut Ctx<'_>, name: &str, svc: &Service) -> (Container, Option<Gpus>) {
    let image = image(cx, name, svc);
    let gpu = gpu::detect(cx, name, svc);
    let (mut env, env_from) = super::env::env(cx, name, svc);
    let mut ports: Vec<ContainerPort> = Vec::new();
    let mut add_port = |port: u32, proto: &str| {
        let protocol = proto.to_ascii_uppercase();
        if port == 0
            || ports.iter().any(|p| {
                p.container_port == port as i32 && p.protocol.as_deref() == Some(protocol.as_str())
            })
        {
            return;
        }
        ports.push(ContainerPort {
            container_port: port as i32,
            name: Some(names::port_name(proto, port)),
            protocol: Some(protocol),
            ..Default::default()
        });
    };
    for p in &svc.ports {
        add_port(p.target, &p.protocol);
    }
    for e in cx.expose(name, svc).to_vec() {
        let (port, proto) = e.split_once('/').unwrap_or((e.as_str(), "tcp"));
        let (a, b) = port.split_once('-').unwrap_or((port, port));
        match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) if (1..=65535).contains(&a) && (a..=65535).contains(&b) => {
                for p in a..=b.min(a + 100) {
                    add_port(p, proto);
                }
            }
            _ => cx.error(
                "L095",
                name,
                &["expose"],
                format!("`{e}` is not a port or a port range within 1-65535"),
            ),
        }
    }
    if svc.ports.iter().any(|p| p.mode == "host") {
        cx.warn(
            "L013",
            name,
            &["ports"],
            "`mode: host` ports are published through the Service, not as hostPort",
        );
    }
    if let Some(g) = &gpu {
        gpu::environment(cx, name, g, &mut env);
    }
    model_users::environment(cx, svc, &mut env);
    let resources = resources::requirements(cx, name, svc, gpu.as_ref());
    let (liveness, startup) = probes::from_service(cx, name, svc, &image, gpu.is_some());
    let mut sc = SecurityContext::default();
    if svc.privileged {
        sc.privileged = Some(true);
        cx.warn(
            "L014",
            name,
            &["privileged"],
            "privileged: the container gets full access to the node",
        );
    }
    if !svc.cap_add.is_empty() || !svc.cap_drop.is_empty() {
        let caps = |v: &[String]| -> Option<Vec<String>> {
            (!v.is_empty()).then(|| {
                v.iter()
                    .map(|c| c.trim_start_matches("CAP_").to_ascii_uppercase())
                    .collect()
            })
        };
        sc.capabilities = Some(Capabilities {
            add: caps(&svc.cap_add),
            drop: caps(&svc.cap_drop),
        });
    }
    if svc.read_only {
        sc.read_only_root_filesystem = Some(true);
    }
    if let Some(user) = &svc.user {
        let (u, g) = user.split_once(':').unwrap_or((user.as_str(), ""));
        match u.parse::<i64>() {
            Ok(uid) => sc.run_as_user = Some(uid),
            Err(_) if !u.is_empty() => cx.warn("L015", name, &["user"], format!("user `{u}` is a name; Kubernetes needs a numeric uid, so the image's default user runs")),
            Err(_) => {}
        }
        if let Ok(gid) = g.parse::<i64>() {
            sc.run_as_group = Some(gid);
        }
    }
    for opt in &svc.security_opt {
        if opt.starts_with("no-new-privileges") && !opt.ends_with("false") {
            sc.allow_privilege_escalation = Some(false);
        } else {
            cx.warn(
                "L016",
                name,
                &["security_opt"],
                format!("security_opt `{opt}` is not converted"),
            );
        }
    }
    let lifecycle = {
        let hook = |hooks: &[crate::compose::model::Hook]| -> Option<LifecycleHandler> {
            let run: Vec<&Vec<String>> = hooks
                .iter()
                .map(|h| &h.command)
                .filter(|c| !c.is_empty())
                .collect();
            // One hook runs as given; several run one after the other through a shell.
            let argv = match run.as_slice() {
                [] => return None,
                [one] => (*one).clone(),
                many => vec![
                    "/bin/sh".into(),
                    "-c".into(),
                    many.iter()
                        .map(|c| shell_join(c))
                        .collect::<Vec<_>>()
                        .join(" && "),
                ],
            };
            Some(LifecycleHandler {
                // The kubelet runs hooks as written: no expansion, so no escaping.
                exec: Some(ExecAction {
                    command: Some(argv),
                }),
                ..Default::default()
            })
        };
        let post = hook(&svc.post_start);
        let pre = hook(&svc.pre_stop);
        (post.is_some() || pre.is_some()).then_some(Lifecycle {
            post_start: post,
            pre_stop: pre,
            ..Default::default()
        })
    };
    let pull = match svc.pull_policy.as_deref() {
        Some("always") => Some("Always".to_string()),
        Some("never") => Some("Never".to_string()),
        Some("missing") | Some("if_not_present") | Some("build") => {
            Some("IfNotPresent".to_string())
        }
        Some(p) if p == "daily" || p == "weekly" || p.starts_with("every_") || p == "refresh" => {
            Some("Always".to_string())
        }
        _ => None,
    };
    let c = Container {
        name: cx.names[name].clone(),
        image: Some(image),
        image_pull_policy: pull,
        command: svc
            .entrypoint
            .as_ref()
            .filter(|e| !e.is_empty())
            .map(|e| escape_all(e)),
        args: svc
            .command
            .as_ref()
            .filter(|e| !e.is_empty())
            .map(|e| escape_all(e)),
        working_dir: svc.working_dir.clone(),
        env: (!env.is_empty()).then_some(env),
        env_from: (!env_from.is_empty()).then_some(env_from),
        ports: (!ports.is_empty()).then_some(ports),
        readiness_probe: liveness.clone(),
        liveness_probe: liveness,
        startup_probe: startup,
        resources: Some(resources).filter(|r| r.limits.is_some() || r.requests.is_some()),
        security_context: Some(sc).filter(|s| *s != SecurityContext::default()),
        lifecycle,
        stdin: svc.stdin_open.then_some(true),
        tty: svc.tty.then_some(true),
        ..Default::default()
    };
    if svc.entrypoint.as_ref().is_some_and(Vec::is_empty)
        || svc.command.as_ref().is_some_and(Vec::is_empty)
    {
        cx.warn("L017", name, &["entrypoint"], "an empty entrypoint or command clears the image's default in Compose; Kubernetes cannot express that and keeps the image's default");
    }
    (c, gpu)
}

/// Join argv back into one shell line (for lifecycle hooks that run through `sh -c`).
fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The pod spec of a service (with its `network_mode: service:` sidecars), or `None` when
/// the service cannot be converted (an error was recorded).
pub fn pod_spec(cx: &mut Ctx<'_>, name: &str, svc: &Service) -> Option<PodSpec> {
    let (mut main, gpu) = container(cx, name, svc);
    let mut pod_mounts = volumes::mounts(cx, name, svc);
    let mounts = std::mem::take(&mut pod_mounts.mounts);
    main.volume_mounts = (!mounts.is_empty()).then_some(mounts);
    let mut spec = PodSpec::default();
    let project = cx.project;
    // Services that share this one's network namespace join the pod as extra containers.
    let mut containers = vec![main];
    let sidecars = cx.sidecars.get(name).cloned().unwrap_or_default();
    let native_sidecars = cx.opts.kube_version.has(Feature::NativeSidecars);
    let one_shot = !sidecars.is_empty()
        && matches!(
            super::kind::kind(cx, name, svc),
            super::kind::Kind::Job | super::kind::Kind::CronJob
        );
    for (other, osvc) in sidecars
        .iter()
        .filter_map(|o| project.services.get_key_value(o))
    {
        let (mut c, _) = container(cx, other, osvc);
        let om = volumes::mounts(cx, other, osvc);
        let om = volumes::merge(&mut pod_mounts, om);
        c.volume_mounts = (!om.is_empty()).then_some(om);
        // One network namespace: a port another container of the pod declares is that
        // container's, and port names must be unique in a pod.
        let taken: BTreeSet<String> = containers
            .iter()
            .flat_map(|x| x.ports.iter().flatten())
            .filter_map(|p| p.name.clone())
            .collect();
        if let Some(ports) = c.ports.as_mut() {
            let before = ports.len();
            ports.retain(|p| p.name.as_ref().is_none_or(|n| !taken.contains(n)));
            if ports.len() < before {
                cx.warn(
                    "L018",
                    other,
                    &["ports"],
                    format!("ports that the pod of `{name}` already declares are listed once, on its first container"),
                );
            }
            if ports.is_empty() {
                c.ports = None;
            }
        }
        containers.push(c);
        let how = if native_sidecars {
            " as a native sidecar (an init container with restartPolicy: Always): it starts before the pod's main container and stops after it"
        } else if one_shot {
            ", as a second container: the Job completes only once it exits too (from --kube-version 1.29 it would be a native sidecar, which does not hold the Job)"
        } else {
            ""
        };
        cx.warn(
            "L018",
            other,
            &["network_mode"],
            format!(
                "`network_mode: service:{name}`: the container runs in the pod of `{name}`{how}"
            ),
        );
    }
    spec.containers = containers;
    let vols = pod_mounts.volumes;
    spec.volumes = (!vols.is_empty()).then_some(vols);
    match svc.network_mode.as_deref() {
        Some("host") => {
            spec.host_network = Some(true);
            cx.warn("L019", name, &["network_mode"], "network_mode: host becomes hostNetwork: the pod shares the node's network");
        }
        Some("none") => cx.warn("L019", name, &["network_mode"], "network_mode: none has no pod equivalent; the pod keeps its network (a NetworkPolicy can isolate it)"),
        Some(m) if m.starts_with("container:") => cx.warn("L019", name, &["network_mode"], format!("network_mode `{m}` is not converted")),
        _ => {}
    }
    if svc.pid.as_deref() == Some("host") {
        spec.host_pid = Some(true);
        cx.warn("L019", name, &["pid"], "pid: host becomes hostPID");
    } else if svc
        .pid
        .as_deref()
        .is_some_and(|p| p.starts_with("service:"))
    {
        spec.share_process_namespace = Some(true);
    }
    if svc.ipc.as_deref() == Some("host") {
        match cx.opts.ipc_host {
            IpcHost::Keep | IpcHost::Auto => {
                spec.host_ipc = Some(true);
                cx.warn("L019", name, &["ipc"], "ipc: host becomes hostIPC: the pod shares the node's IPC namespace (with --harden baseline or restricted, a memory emptyDir at /dev/shm replaces it)");
            }
            IpcHost::SharedMemory => cx.warn("L019", name, &["ipc"], "ipc: host is not given (Pod Security forbids hostIPC): the shared memory it is used for becomes a memory emptyDir at /dev/shm; processes that talk to the node's IPC namespace will not see it"),
        }
    }
    if let Some(h) = svc.hostname.as_deref().map(dns_label) {
        spec.hostname = Some(h);
    }
    if let Some(d) = &svc.domainname {
        cx.warn(
            "L019",
            name,
            &["domainname"],
            format!("domainname `{d}` is not converted (a pod subdomain needs a headless Service)"),
        );
    }
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &svc.extra_hosts {
        if let Some((host, ip)) = e.split_once('=') {
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            if ip.parse::<std::net::IpAddr>().is_ok() {
                aliases
                    .entry(ip.to_string())
                    .or_default()
                    .push(host.to_string());
            } else {
                cx.warn("L019", name, &["extra_hosts"], format!("extra host `{host}` maps to `{ip}`, which is not an IP address (host-gateway has no cluster equivalent); dropped"));
            }
        }
    }
    if !aliases.is_empty() {
        spec.host_aliases = Some(
            aliases
                .into_iter()
                .map(|(ip, hostnames)| HostAlias {
                    ip,
                    hostnames: Some(hostnames),
                })
                .collect(),
        );
    }
    let dns_search: Vec<String> = svc
        .dns_search
        .iter()
        .filter(|s| !s.is_empty() && *s != ".")
        .cloned()
        .collect();
    if !svc.dns.is_empty() || !dns_search.is_empty() || !svc.dns_opt.is_empty() {
        spec.dns_config = Some(PodDNSConfig {
            nameservers: (!svc.dns.is_empty()).then(|| svc.dns.clone()),
            searches: (!dns_search.is_empty()).then_some(dns_search),
            options: (!svc.dns_opt.is_empty()).then(|| {
                svc.dns_opt
                    .iter()
                    .map(|o| {
                        let (n, v) = o
                            .split_once(':')
                            .map(|(n, v)| (n, Some(v.to_string())))
                            .unwrap_or((o.as_str(), None));
                        PodDNSConfigOption {
                            name: Some(n.to_string()),
                            value: v,
                        }
                    })
                    .collect()
            }),
        });
    }
    let mut psc = PodSecurityContext::default();
    if !svc.sysctls.is_empty() {
        psc.sysctls = Some(
            svc.sysctls
                .iter()
                .map(|(k, v)| Sysctl {
                    name: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        );
    }
    let groups: Vec<i64> = svc
        .group_add
        .iter()
        .filter_map(|g| g.parse().ok())
        .collect();
    if groups.len() < svc.group_add.len() {
        cx.warn(
            "L019",
            name,
            &["group_add"],
            "group names in group_add need numeric ids in Kubernetes; the names are dropped",
        );
    }
    if !groups.is_empty() {
        psc.supplemental_groups = Some(groups);
    }
    if psc != PodSecurityContext::default() {
        spec.security_context = Some(psc);
    }
    if let Some(g) = svc.stop_grace_period {
        spec.termination_grace_period_seconds = Some(g.as_secs_ceil() as i64);
    }
    if let Some(p) = &svc.platform {
        let mut sel = BTreeMap::new();
        let mut parts = p.split('/');
        if let Some(os) = parts.next().filter(|s| !s.is_empty()) {
            sel.insert("kubernetes.io/os".to_string(), os.to_string());
        }
        if let Some(arch) = parts.next().filter(|s| !s.is_empty()) {
            sel.insert("kubernetes.io/arch".to_string(), arch.to_string());
        }
        spec.node_selector = Some(sel);
    }
    if let Some(rt) = svc
        .runtime
        .as_deref()
        .filter(|r| *r != "runc" && *r != "nvidia")
    {
        spec.runtime_class_name = Some(dns_label(rt));
    }
    if let Some(g) = &gpu {
        gpu::pod(cx, name, g, &mut spec);
    }
    if let DependencyWait::InitContainer { image } = &cx.opts.dependencies {
        let image = image.clone();
        if let Some(init) = wait_container(cx, name, svc, &image) {
            spec.init_containers = Some(vec![init]);
        }
    }
    // Seeding needs no dependency: it runs first.
    if !pod_mounts.init.is_empty() {
        let wait = spec.init_containers.take().unwrap_or_default();
        spec.init_containers = Some(pod_mounts.init.into_iter().chain(wait).collect());
    }
    super::pre_start::add(cx, name, svc, &mut spec);
    super::hook_losses::warn(cx, name, svc);
    if native_sidecars && spec.containers.len() > 1 {
        // Last among the init containers: they start once seeding and waiting are done,
        // just before the main container, which waits for their startupProbe.
        let helpers = spec.containers.split_off(1);
        let inits = spec.init_containers.get_or_insert_with(Vec::new);
        inits.extend(helpers.into_iter().map(|mut c| {
            c.restart_policy = Some("Always".into());
            c
        }));
    }
    super::settings::apply(cx, name, svc, &mut spec);
    Some(spec)
}

/// Whether an init container is a native sidecar (`restartPolicy: Always`): it runs beside
/// the main container for the pod's life, so it is hardened and probed as one.
pub fn is_native_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// The containers that run for the pod's life: the regular ones, then the native sidecars.
pub fn running_containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    let sidecars = spec.init_containers.iter().flatten();
    spec.containers
        .iter()
        .chain(sidecars.filter(|c| is_native_sidecar(c)))
}

/// The name of the init container [`wait_container`] makes.
pub const WAIT_CONTAINER: &str = "wait-for-dependencies";

/// An init container that waits until every dependency's Service accepts connections.
fn wait_container(cx: &mut Ctx<'_>, name: &str, svc: &Service, image: &str) -> Option<Container> {
    let mut checks = Vec::new();
    for (dep, d) in &svc.depends_on {
        let Some(dsvc) = cx.project.services.get(dep) else {
            continue;
        };
        if !d.required {
            // Compose starts the service even when an optional dependency is absent.
            continue;
        }
        if d.condition == "service_completed_successfully" {
            cx.warn("L060", name, &["depends_on", dep], format!("waiting for `{dep}` to complete cannot be expressed in plain manifests; `{dep}` becomes a Job and this service starts without waiting"));
            continue;
        }
        let port = dsvc.ports.first().map(|p| p.target).or_else(|| {
            cx.expose(dep, dsvc)
                .first()
                .and_then(|e| e.split(['/', '-']).next())
                .and_then(|p| p.parse().ok())
        });
        let job = matches!(
            super::kind::kind(cx, dep, dsvc),
            super::kind::Kind::Job | super::kind::Kind::CronJob
        );
        match port {
            Some(_) if job => {
                // A completed Job closes its port for good: a later pod would wait forever.
                cx.warn("L062", name, &["depends_on", dep], format!("`{dep}` runs as a Job: waiting for its port would never end once it has completed, so this service starts without waiting"));
            }
            Some(p) if is_sidecar_of(dsvc).is_none() => {
                checks.push(format!(
                    "until nc -z -w 2 {} {p}; do echo waiting for {dep}; sleep 2; done",
                    cx.names[dep]
                ));
            }
            _ => {
                if d.required {
                    cx.warn("L061", name, &["depends_on", dep], format!("`{dep}` declares no port, so there is no Service to wait for; the dependency is not enforced"));
                }
            }
        }
    }
    if checks.is_empty() {
        return None;
    }
    Some(Container {
        name: WAIT_CONTAINER.into(),
        image: Some(image.to_string()),
        command: Some(vec!["/bin/sh".into(), "-c".into(), checks.join("\n")]),
        ..Default::default()
    })
}
