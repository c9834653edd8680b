//! The container settings of `restricted` that depend on the image: the uid it runs as, the
//! folders it may write under a read-only root filesystem, its data folder variable, and the
//! sysctl that lets a non-root process bind the ports below 1024 it listens on. Facts come
//! from the image table ([`super::image_contract`]); a Compose `user:` or an `x-kubeferry`
//! setting always wins, and whatever kubeferry had to guess is warning `H041`.

use super::image_contract::{self, Contract};
use super::{Cx, Findings};
use crate::lower::ServiceFacts;
use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, EnvVar, PodSpec, Sysctl, Volume, VolumeMount,
};

/// The sysctl that lowers the first port a non-root process may bind (namespaced, safe).
const PORT_SYSCTL: &str = "net.ipv4.ip_unprivileged_port_start";

/// A folder a container writes: a memory emptyDir (small, lost with the pod) or, for data,
/// a disk one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Writable {
    pub path: String,
    pub memory: bool,
}

/// What was guessed for a container whose image the table does not know.
#[derive(Default)]
pub struct Guess {
    pub uid: Option<i64>,
    pub paths: Option<Vec<String>>,
    /// The lock file says the image runs as root (warning `H043`).
    pub root_image: bool,
}

/// The contract of a container's image, if known.
pub fn contract(c: &Container) -> Option<&'static Contract> {
    c.image.as_deref().and_then(image_contract::lookup)
}

/// The image's `USER` as the lock file records it.
#[derive(Debug, PartialEq, Eq)]
enum Locked {
    /// A numeric uid other than 0 (and a numeric group, if given).
    NonRoot(i64, Option<i64>),
    /// No `USER`, `root` or uid 0.
    Root,
    /// A user name: its uid is in the image's /etc/passwd, which the lock does not read.
    Name(String),
}

fn locked(user: &str) -> Locked {
    let (u, g) = user.split_once(':').unwrap_or((user, ""));
    match u.parse::<i64>() {
        Ok(0) => Locked::Root,
        Ok(uid) => Locked::NonRoot(uid, g.parse().ok()),
        Err(_) if u.is_empty() || u == "root" => Locked::Root,
        Err(_) => Locked::Name(u.to_string()),
    }
}

/// The uid (and gid) of a container that has none: `x-kubeferry.run_as_user`, else the
/// image's own non-root user from the lock file, else from the table, else the default uid
/// (a guess). Returns the reason.
pub fn user(
    contract: Option<&Contract>,
    svc_name: &str,
    svc: &ServiceFacts,
    cx: &Cx<'_>,
    guess: &mut Guess,
) -> (i64, Option<i64>, String) {
    if let Some(u) = svc.run_as_user {
        return (u, None, "x-kubeferry.run_as_user".into());
    }
    let lock = cx.opts.image_users.get(svc_name).map(|u| (u, locked(u)));
    if let Some((u, Locked::NonRoot(uid, gid))) = &lock {
        return (
            *uid,
            *gid,
            format!("the image's own user `{u}`, from the lock file"),
        );
    }
    if let Some(k) = contract {
        return (
            k.uid,
            (k.gid != 0).then_some(k.gid),
            format!(
                "the image's own user {}:{}, from the image table (docs/images.md)",
                k.uid, k.gid
            ),
        );
    }
    guess.uid = Some(cx.opts.default_uid);
    let why = match (svc.user.as_deref(), lock) {
        (Some(u), _) => format!("`user: {u}` is not numeric, so the default uid"),
        (None, Some((_, Locked::Root))) => {
            guess.root_image = true;
            "the lock file says the image runs as root, so the default uid".into()
        }
        (None, Some((_, Locked::Name(n)))) => {
            format!("the lock file names the image's user `{n}`, not its uid, so the default uid")
        }
        _ => "the Compose file names no user and the image is not in the table, so the default uid"
            .into(),
    };
    (cx.opts.default_uid, None, why)
}

/// Whether `path` is at or below a mount of the container.
fn mounted(mounts: &[VolumeMount], path: &str) -> bool {
    mounts.iter().any(|m| {
        let m = m.mount_path.trim_end_matches('/');
        path == m || path.starts_with(&format!("{m}/"))
    })
}

/// The folders a container may write under a read-only root: `/tmp`, the service's
/// `x-kubeferry.writable_paths`, and its image's run-time and data folders. Folders a volume
/// already covers are skipped. Records in `guess` when none came from the table or settings.
pub fn writable(
    k: Option<&Contract>,
    mounts: &[VolumeMount],
    svc: &ServiceFacts,
    guess: &mut Guess,
) -> Vec<Writable> {
    let memory = std::iter::once("/tmp")
        .chain(svc.writable_paths.iter().map(String::as_str))
        .chain(k.map_or(&[][..], |k| k.runtime).iter().copied())
        .map(|p| (p, true));
    let data = k.map_or(&[][..], |k| k.data).iter().map(|p| (*p, false));
    let mut out: Vec<Writable> = Vec::new();
    for (p, memory) in memory.chain(data) {
        let p = p.trim_end_matches('/');
        if p.is_empty() || mounted(mounts, p) || out.iter().any(|w| w.path == p) {
            continue;
        }
        out.push(Writable {
            path: p.to_string(),
            memory,
        });
    }
    if k.is_none() && svc.writable_paths.is_empty() {
        guess.paths = Some(out.iter().map(|w| w.path.clone()).collect());
    }
    out
}

/// The volume name of a writable path: `tmp` for `/tmp`, else `writable-<path>`.
pub fn volume_name(path: &str) -> String {
    if path == "/tmp" {
        "tmp".into()
    } else {
        crate::lower::names::dns_label(&format!("writable{}", path.replace('/', "-")))
    }
}

/// The emptyDir volume of a writable path.
pub fn volume(w: &Writable) -> Volume {
    Volume {
        name: volume_name(&w.path),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: w.memory.then(|| "Memory".into()),
            size_limit: None,
        }),
        ..Default::default()
    }
}

/// The image's data folder variable (`PGDATA`) on a mounted folder: pointed to a sub-folder,
/// since the server must own and `chmod` its data folder and a volume's root belongs to root
/// (the official postgres image documents `PGDATA=/var/lib/postgresql/data/pgdata` for
/// this). A value the Compose file sets wins; at a volume's root it is warning `H042`.
pub fn data_env(c: &mut Container, cx: &Cx<'_>, svc_name: &str, f: &mut Findings) {
    let Some((var, default)) = contract(c).and_then(|k| k.data_env) else {
        return;
    };
    let roots: Vec<String> = c
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| m.mount_path.trim_end_matches('/').to_string())
        .collect();
    let env = c.env.get_or_insert_with(Vec::new);
    if let Some(set) = env.iter().find(|e| e.name == var) {
        let value = set
            .value
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/');
        if roots.iter().any(|r| r == value) {
            f.warn("H042", cx.at(svc_name, &["environment", var]), format!(
                "{var} `{value}` is the root of a volume, which belongs to root: the server cannot make it its own and fails at restricted; point {var} to a sub-folder (`{value}/data`)"
            ));
        }
        return;
    }
    if roots.iter().any(|r| r == default) {
        let value = format!("{default}/pgdata");
        f.added(format!(
            "{var}={value} on `{}`: the server owns and chmods its data folder, and the volume's root belongs to root (the image's documented setting for mounted volumes)",
            c.name
        ));
        env.push(EnvVar {
            name: var.into(),
            value: Some(value),
            value_from: None,
        });
    }
}

/// The pod's `net.ipv4.ip_unprivileged_port_start`, lowered to the lowest port below 1024
/// that a container declares or its image binds, so that it binds as non-root. A sysctl
/// the Compose file sets wins.
pub fn low_ports(spec: &mut PodSpec, f: &mut Findings) {
    let lowest = spec
        .containers
        .iter()
        .flat_map(|c| {
            let declared = c.ports.iter().flatten().map(|p| p.container_port);
            let image = contract(c).map_or(&[][..], |k| k.low_ports).iter().copied();
            declared.chain(image)
        })
        .filter(|p| (1..1024).contains(p))
        .min();
    let Some(port) = lowest else {
        return;
    };
    let psc = spec.security_context.get_or_insert_with(Default::default);
    let sysctls = psc.sysctls.get_or_insert_with(Vec::new);
    if sysctls.iter().any(|s| s.name == PORT_SYSCTL) {
        return;
    }
    sysctls.push(Sysctl {
        name: PORT_SYSCTL.into(),
        value: port.to_string(),
    });
    f.added(format!(
        "sysctl {PORT_SYSCTL}={port}: the pod runs as non-root and listens on port {port} (a namespaced sysctl Pod Security allows; runtimes default to 1024, containerd 2 to 0)"
    ));
}

/// Warning `H041`: what kubeferry guessed for a container whose image it does not know, and
/// the Compose settings that settle it.
pub fn warn_guess(cx: &Cx<'_>, svc_name: &str, c: &Container, guess: Guess, f: &mut Findings) {
    let image = c.image.as_deref().unwrap_or_default();
    let mut parts = Vec::new();
    let mut settle = Vec::new();
    if let Some(uid) = guess.uid {
        parts.push(format!("runs as uid {uid}"));
        settle.push("`user: UID:GID` (or `x-kubeferry: {run_as_user: UID}`)");
    }
    if let Some(paths) = guess.paths {
        parts.push(format!(
            "has a read-only root filesystem, writable only at {}",
            paths
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        settle.push("`x-kubeferry: {writable_paths: [...]}`");
    }
    if parts.is_empty() {
        return;
    }
    if guess.root_image {
        f.warn("H043", cx.at(svc_name, &["image"]), format!(
            "the lock file says image `{image}` runs as root, and restricted pods must not: container `{}` runs as uid {} instead, which may not be able to read or write what the image's root owns; set `user: UID:GID` if it runs as another user, or `x-kubeferry: {{harden: baseline}}` to leave it root",
            c.name,
            guess.uid.unwrap_or(cx.opts.default_uid),
        ));
    }
    let settle = if cx.origin.is_some() {
        // A model runner has no Compose service whose settings could say it.
        "use a runner image that runs as a numeric non-root USER and pass its uid with --run-as-user".to_string()
    } else {
        format!("set {}", settle.join(" and "))
    };
    f.warn("H041", cx.at(svc_name, &["image"]), format!(
        "image `{image}` is not in kubeferry's image table (docs/images.md), so at restricted container `{}` {} (guessed); if the image needs its own user or writes elsewhere, {settle}",
        c.name,
        parts.join(" and "),
    ));
}
