//! `security-context`: seccomp RuntimeDefault, no privilege escalation, NET_RAW dropped; in
//! restricted, also all capabilities dropped (NET_BIND_SERVICE kept when `cap_add` lists it),
//! a non-root numeric user, a read-only root filesystem with emptyDirs where the image writes,
//! the port sysctl for ports below 1024, and an fsGroup for mounted volumes; what depends on
//! the image is in [`super::restricted`]. What the Compose file demands that the level forbids is
//! a warning in baseline and an error, naming the Compose key, in restricted.

use super::{Cx, Findings, Level, Rule, Scope, restricted};
use crate::lower::{self, Object};
use crate::target::Feature;
use k8s_openapi::api::core::v1::{
    Capabilities, PodSecurityContext, PodSpec, SeccompProfile, SecurityContext, VolumeMount,
};

pub const RULE: Rule = Rule {
    id: "security-context",
    doc: "seccomp RuntimeDefault, allowPrivilegeEscalation: false, NET_RAW dropped; restricted adds drop ALL, runAsNonRoot with the image's uid (docs/images.md) or a default, readOnlyRootFilesystem with emptyDirs for /tmp and the paths the image writes, the port sysctl for ports below 1024, fsGroup",
    level: Level::Baseline,
    scope: Scope::Workload(apply),
};

/// Capabilities the Pod Security "baseline" profile allows to be added.
const BASELINE_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls Kubernetes deems safe (namespaced, isolated) on every version we target.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Something the Compose file demands that Pod Security forbids: the service, its key, why.
struct Demand {
    service: String,
    key: &'static str,
    what: String,
}

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".into(),
        localhost_profile: None,
    }
}

fn apply(o: &mut Object, cx: &Cx<'_>, f: &mut Findings) {
    let restricted = cx.level >= Level::Restricted;
    let job = matches!(o, Object::Job(_));
    let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
        return;
    };
    let mut demands = Vec::new();
    for (flag, key, what) in [
        (
            spec.host_network,
            "network_mode",
            "`network_mode: host` (hostNetwork)",
        ),
        (spec.host_pid, "pid", "`pid: host` (hostPID)"),
        (spec.host_ipc, "ipc", "`ipc: host` (hostIPC)"),
    ] {
        if flag == Some(true) {
            demands.push(Demand {
                service: cx.service.to_string(),
                key,
                what: format!("{what} shares the node's namespace"),
            });
        }
    }
    if spec.volumes.iter().flatten().any(|v| v.host_path.is_some()) {
        demands.push(Demand {
            service: cx.service.to_string(),
            key: "volumes",
            what: "bind mounts become hostPath volumes (--volumes hostPath), which expose the node's files".into(),
        });
    }
    let psc = spec
        .security_context
        .get_or_insert_with(PodSecurityContext::default);
    let unsafe_sysctls: Vec<&str> = psc
        .sysctls
        .iter()
        .flatten()
        .map(|s| s.name.as_str())
        .filter(|n| !SAFE_SYSCTLS.contains(n))
        .collect();
    if !unsafe_sysctls.is_empty() {
        demands.push(Demand {
            service: cx.service.to_string(),
            key: "sysctls",
            what: format!(
                "sysctls {} are outside Kubernetes' safe set (the kubelet must allow them)",
                unsafe_sysctls.join(", ")
            ),
        });
    }
    if psc.seccomp_profile.is_none() {
        psc.seccomp_profile = Some(runtime_default());
        f.added("seccompProfile RuntimeDefault: the container runtime's syscall filter, as Docker applies by default");
    }
    let mut writable: Vec<restricted::Writable> = Vec::new();
    // Root containers run in a user namespace instead of being refused (`hostUsers: false`).
    let userns = restricted && cx.opts.kube_version.has(Feature::UserNamespaces);
    let mut in_userns = false;
    let main = cx.service.to_string();
    let mut main_uid = None;
    let regular = spec.containers.len();
    for (i, c) in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
        .enumerate()
    {
        // Init containers take the pod's uid rather than one of their own; native sidecars
        // run beside the main container and are treated as regular containers.
        let is_init = i >= regular && !lower::is_native_sidecar(c);
        let svc_name = cx.service_of(&c.name).to_string();
        let svc = cx.facts_of(&c.name);
        let contract = restricted::contract(c);
        let sc = c
            .security_context
            .get_or_insert_with(SecurityContext::default);
        if sc.privileged == Some(true) {
            demands.push(Demand {
                service: svc_name,
                key: "privileged",
                what: format!(
                    "container `{}` is privileged: full access to the node",
                    c.name
                ),
            });
            continue;
        }
        if sc.allow_privilege_escalation.is_none() {
            sc.allow_privilege_escalation = Some(false);
            f.added(format!(
                "allowPrivilegeEscalation: false on `{}`: no setuid gain of privileges",
                c.name
            ));
        }
        let caps = sc.capabilities.get_or_insert_with(Capabilities::default);
        let added: Vec<String> = caps.add.clone().unwrap_or_default();
        let beyond: Vec<&String> = added
            .iter()
            .filter(|c| {
                if restricted {
                    c.as_str() != "NET_BIND_SERVICE"
                } else {
                    !BASELINE_CAPS.contains(&c.as_str())
                }
            })
            .collect();
        if !beyond.is_empty() {
            demands.push(Demand {
                service: svc_name.clone(),
                key: "cap_add",
                what: format!(
                    "container `{}` adds the capabilities {}",
                    c.name,
                    beyond
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            });
        }
        let drop = caps.drop.get_or_insert_with(Vec::new);
        if restricted {
            if !drop.iter().any(|d| d == "ALL") {
                *drop = vec!["ALL".into()];
                f.added(format!(
                    "capabilities drop ALL on `{}`{}",
                    c.name,
                    if added.iter().any(|a| a == "NET_BIND_SERVICE") {
                        ", NET_BIND_SERVICE added back as cap_add asks"
                    } else {
                        ""
                    }
                ));
            }
            let keep: Vec<String> = added
                .into_iter()
                .filter(|c| c == "NET_BIND_SERVICE")
                .collect();
            caps.add = (!keep.is_empty()).then_some(keep);
        } else if !drop.iter().any(|d| d == "ALL" || d == "NET_RAW")
            && !added.iter().any(|a| a == "NET_RAW")
        {
            drop.push("NET_RAW".into());
            f.added(format!("capabilities drop NET_RAW on `{}`: raw sockets allow spoofing inside the cluster; the other Docker default capabilities stay, so the image runs as it does under Docker", c.name));
        }
        if !restricted {
            continue;
        }
        let root = sc.run_as_user == Some(0);
        if root && userns {
            // Pod Security accepts root in a user namespace: uid 0 there is not the node's.
            in_userns = true;
            f.added(format!("hostUsers: false for `{}`, which runs as root (`user: 0`): a user namespace maps its uid 0 to an unprivileged uid of the node, which Pod Security \"restricted\" accepts from Kubernetes {} (the nodes need a runtime and filesystems that support idmapped mounts)", c.name, Feature::UserNamespaces.since()));
        } else if root {
            demands.push(Demand {
                service: svc_name.clone(),
                key: "user",
                what: format!("container `{}` runs as root (`user: 0`)", c.name),
            });
        }
        let mut guess = restricted::Guess::default();
        if sc.run_as_user.is_none() && !is_init {
            let (uid, gid, why) = restricted::user(contract, &svc_name, svc, cx, &mut guess);
            sc.run_as_user = Some(uid);
            if sc.run_as_group.is_none() {
                sc.run_as_group = gid;
            }
            f.added(format!(
                "runAsUser {uid} on `{}` ({why}): restricted pods must not run as root",
                c.name
            ));
            if guess.uid.is_some() {
                f.not_hardened(format!("`{}`: the uid the image expects is unknown; if it needs its own user or root, set x-kubeferry.run_as_user or writable paths", c.name));
            }
        }
        if svc_name == main && !is_init {
            main_uid = sc.run_as_user;
        }
        if sc.run_as_non_root.is_none() && !(root && userns) {
            sc.run_as_non_root = Some(true);
            f.added(format!(
                "runAsNonRoot on `{}`: the kubelet refuses to start it as root",
                c.name
            ));
        }
        if sc.seccomp_profile.is_none() {
            sc.seccomp_profile = Some(runtime_default());
        }
        let writes_image = contract.is_some_and(|k| !k.read_only_root);
        if writes_image && sc.read_only_root_filesystem.is_none() {
            f.not_hardened(format!(
                "`{}`: the root filesystem stays writable: the image writes beside files it ships (docs/images.md)",
                c.name
            ));
        }
        if sc.read_only_root_filesystem.is_none() {
            let mounts = c.volume_mounts.as_deref().unwrap_or_default();
            let paths = restricted::writable(contract, mounts, svc, &mut guess);
            if !writes_image {
                sc.read_only_root_filesystem = Some(true);
            }
            let mounts = c.volume_mounts.get_or_insert_with(Vec::new);
            for w in &paths {
                mounts.push(VolumeMount {
                    name: restricted::volume_name(&w.path),
                    mount_path: w.path.clone(),
                    ..Default::default()
                });
                if !writable.contains(w) {
                    writable.push(w.clone());
                }
            }
            let list = |memory: bool| {
                paths
                    .iter()
                    .filter(|w| w.memory == memory)
                    .map(|w| format!("`{}`", w.path))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (mem, disk) = (list(true), list(false));
            f.added(format!(
                "{} on `{}`, with memory emptyDirs at {mem}{}",
                if writes_image {
                    "a writable root filesystem"
                } else {
                    "readOnlyRootFilesystem"
                },
                c.name,
                if disk.is_empty() {
                    String::new()
                } else {
                    format!(" and disk emptyDirs for the image's data at {disk}")
                }
            ));
        }
        if !is_init {
            restricted::data_env(c, cx, &svc_name, f);
            // The last hook of a `pre_start` Job: the service's own container says it.
            if !(job && c.name.starts_with(lower::PRE_START_PREFIX)) {
                restricted::warn_guess(cx, &svc_name, c, guess, f);
            }
        }
    }
    if !writable.is_empty() {
        let vols = spec.volumes.get_or_insert_with(Vec::new);
        for w in &writable {
            let v = restricted::volume(w);
            if !vols.iter().any(|x| x.name == v.name) {
                vols.push(v);
            }
        }
    }
    if in_userns {
        spec.host_users = Some(false);
    }
    if restricted {
        restricted_pod(spec, cx, main_uid, f);
        restricted::low_ports(spec, f);
    }
    for d in demands {
        let at = cx.at(&d.service, &[d.key]);
        if restricted {
            f.error("H001", at, format!(
                "{}; Pod Security \"restricted\" forbids it (set `x-kubeferry: {{harden: baseline}}` on the service to convert it at baseline, or drop the setting)",
                d.what
            ));
        } else {
            f.not_hardened(format!("{} (Compose `{}`)", d.what, d.key));
            f.warn("H002", at, format!("{}; Pod Security \"baseline\" forbids it, so the pod needs a privileged namespace", d.what));
        }
    }
}

/// The pod-level settings of restricted: non-root, the uid, fsGroup for mounted volumes.
fn restricted_pod(spec: &mut PodSpec, cx: &Cx<'_>, uid: Option<i64>, f: &mut Findings) {
    let has_data = spec.volumes.iter().flatten().any(|v| {
        v.persistent_volume_claim.is_some()
            || v.empty_dir.as_ref().is_some_and(|e| e.medium.is_none())
    });
    let gid = spec
        .containers
        .first()
        .and_then(|c| c.security_context.as_ref())
        .and_then(|s| s.run_as_group);
    let userns = spec.host_users == Some(false);
    let psc = spec
        .security_context
        .get_or_insert_with(PodSecurityContext::default);
    if !userns {
        psc.run_as_non_root.get_or_insert(true);
    }
    if psc.run_as_user.is_none() && uid.is_some() {
        psc.run_as_user = uid;
    }
    // Root in a user namespace writes its volumes as root: no group to give them.
    if has_data && psc.fs_group.is_none() && !(userns && uid == Some(0)) {
        psc.fs_group = cx.svc.fs_group.or(gid).or(uid);
        if let Some(g) = psc.fs_group {
            f.added(format!(
                "fsGroup {g}: mounted volumes are made writable for the pod's group"
            ));
        }
    }
}
