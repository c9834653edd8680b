//! `security-context`: seccomp RuntimeDefault, no privilege escalation; in restricted, also
//! non-root, all capabilities dropped, a read-only root filesystem with memory-backed `/tmp`.

use super::{Findings, HardenOptions, Level, Rule};
use crate::compose::Project;
use crate::lower::Object;
use k8s_openapi::api::core::v1::{
    Capabilities, EmptyDirVolumeSource, PodSecurityContext, SeccompProfile, SecurityContext,
    Volume, VolumeMount,
};

pub const RULE: Rule = Rule {
    id: "security-context",
    doc: "seccomp RuntimeDefault and allowPrivilegeEscalation: false; restricted adds runAsNonRoot, drop ALL, readOnlyRootFilesystem",
    level: Level::Baseline,
    apply,
};

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

fn apply(o: &mut Object, _: &Project, opts: &HardenOptions, f: &mut Findings) {
    let restricted = opts.level >= Level::Restricted;
    let mut findings: Vec<(bool, String)> = Vec::new();
    let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
        return;
    };
    for (flag, what) in [
        (spec.host_network, "network_mode: host (hostNetwork)"),
        (spec.host_pid, "pid: host (hostPID)"),
        (spec.host_ipc, "ipc: host (hostIPC)"),
    ] {
        if flag == Some(true) {
            findings.push((
                restricted,
                format!("the Compose file asks for {what}, which Pod Security forbids"),
            ));
        }
    }
    if spec.volumes.iter().flatten().any(|v| v.host_path.is_some()) {
        findings.push((
            restricted,
            "hostPath volumes (from --volumes hostPath) break Pod Security".into(),
        ));
    }
    let psc = spec
        .security_context
        .get_or_insert_with(PodSecurityContext::default);
    psc.seccomp_profile.get_or_insert(SeccompProfile {
        type_: "RuntimeDefault".into(),
        localhost_profile: None,
    });
    if restricted {
        psc.run_as_non_root.get_or_insert(true);
        if spec
            .volumes
            .iter()
            .flatten()
            .any(|v| v.persistent_volume_claim.is_some())
        {
            let psc = spec
                .security_context
                .get_or_insert_with(PodSecurityContext::default);
            if psc.fs_group.is_none() {
                psc.fs_group = spec
                    .containers
                    .first()
                    .and_then(|c| c.security_context.as_ref())
                    .and_then(|s| s.run_as_group.or(s.run_as_user));
            }
        }
    }
    let mut needs_tmp = false;
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        let sc = c
            .security_context
            .get_or_insert_with(SecurityContext::default);
        if sc.privileged == Some(true) {
            findings.push((true, format!("container `{}` is privileged (Compose `privileged: true`), which Pod Security forbids", c.name)));
            continue;
        }
        sc.allow_privilege_escalation.get_or_insert(false);
        let added: Vec<String> = sc
            .capabilities
            .as_ref()
            .and_then(|c| c.add.clone())
            .unwrap_or_default();
        let extra: Vec<&String> = added
            .iter()
            .filter(|c| {
                if restricted {
                    c.as_str() != "NET_BIND_SERVICE"
                } else {
                    !BASELINE_CAPS.contains(&c.as_str())
                }
            })
            .collect();
        if !extra.is_empty() {
            findings.push((restricted, format!("container `{}` adds capabilities {:?} (Compose `cap_add`), beyond what Pod Security allows", c.name, extra)));
        }
        if restricted {
            if sc.run_as_user == Some(0) {
                findings.push((
                    true,
                    format!("container `{}` runs as root (Compose `user: 0`)", c.name),
                ));
            }
            let keep: Vec<String> = added
                .into_iter()
                .filter(|c| c == "NET_BIND_SERVICE")
                .collect();
            sc.capabilities = Some(Capabilities {
                add: (!keep.is_empty()).then_some(keep),
                drop: Some(vec!["ALL".into()]),
            });
            sc.run_as_non_root.get_or_insert(true);
            sc.seccomp_profile.get_or_insert(SeccompProfile {
                type_: "RuntimeDefault".into(),
                localhost_profile: None,
            });
            if sc.read_only_root_filesystem.is_none() {
                sc.read_only_root_filesystem = Some(true);
                let mounts = c.volume_mounts.get_or_insert_with(Vec::new);
                if !mounts.iter().any(|m| m.mount_path == "/tmp") {
                    mounts.push(VolumeMount {
                        name: "tmp".into(),
                        mount_path: "/tmp".into(),
                        ..Default::default()
                    });
                    needs_tmp = true;
                }
            }
        }
    }
    if needs_tmp {
        let vols = spec.volumes.get_or_insert_with(Vec::new);
        if !vols.iter().any(|v| v.name == "tmp") {
            vols.push(Volume {
                name: "tmp".into(),
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: Some("Memory".into()),
                    size_limit: None,
                }),
                ..Default::default()
            });
        }
    }
    for (is_error, msg) in findings {
        if is_error && restricted {
            f.error("H001", o, format!("{msg}; --harden restricted cannot meet it (set x-kubeferry.harden: baseline on the service, or drop the setting)"));
        } else {
            f.warn("H002", o, msg);
        }
    }
}
