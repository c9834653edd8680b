//! Bind mounts of one service: a file becomes a ConfigMap key; a folder with content becomes
//! a ConfigMap with `items` (see [`folders`]); a database's data folder becomes a claim (see
//! [`data_paths`]); a file the service writes (SQLite, `acme.json`) gets a claim seeded once
//! from its ConfigMap; what is too large for a ConfigMap becomes an emptyDir with the
//! `kubectl cp` step that seeds it. Every loss is a warning naming the path. An explicit
//! `--volumes hostPath|persistentVolumeClaim` or `x-kubeferry` `volume_type` wins over all
//! of this, except files, which are always ConfigMaps.

use super::data_paths;
use super::folders::{self, Content, OBJECT_BUDGET};
use super::names::dns_label;
use super::object::Object;
use super::storage::{claim_size, claim_volume, empty_dir, meta, model_cache, pvc, relative};
use super::{BindStrategy, Ctx, DependencyWait};
use crate::compose::model::{Service, ServiceVolume, VolumeType};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, HostPathVolumeSource, Volume, VolumeMount,
};

const DOCKER_SOCKET: [&str; 2] = ["/var/run/docker.sock", "/run/docker.sock"];

/// The image of seeding init containers when dependency waits are off.
const SEED_IMAGE: &str = "busybox:1.36";

/// How this service's bind-mounted folders are lowered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strategy {
    pub binds: BindStrategy,
    /// The user chose it (option or label): content and data paths do not override it.
    pub explicit: bool,
}

/// A bind mount as a pod volume.
pub struct Placed {
    pub volume: Volume,
    /// `Some` = exactly this subPath (`None` inside = none); `None` = the usual defaults.
    pub sub_path: Option<Option<String>>,
    /// `Some` = this, whatever Compose says; `None` = Compose's `:ro`.
    pub read_only: Option<bool>,
    /// Volumes only `init` mounts.
    pub extra: Vec<Volume>,
    pub init: Option<Container>,
}

impl Placed {
    fn plain(volume: Volume) -> Self {
        Placed {
            volume,
            sub_path: None,
            read_only: None,
            extra: Vec::new(),
            init: None,
        }
    }
}

/// The bind mount `v` (the `i`th volume of the service), or `None` when it is not mounted.
/// Mounts that Compose leaves writable but become read-only ConfigMaps are added to
/// `read_only`, for one warning per service.
pub fn lower(
    cx: &mut Ctx<'_>,
    name: &str,
    svc: &Service,
    v: &ServiceVolume,
    i: usize,
    strategy: Strategy,
    read_only: &mut Vec<(String, String)>,
) -> Option<Placed> {
    let src = v.source.clone().unwrap_or_default();
    if DOCKER_SOCKET.contains(&src.as_str()) {
        cx.warn("L033", name, &["volumes"], format!(
            "the Docker socket `{src}` is not mounted: a cluster has no Docker engine to hand to a pod, and mounting the node's container runtime gives root on the node"
        ));
        return None;
    }
    let vname = format!("bind-{i}");
    let rel = relative(&src, &cx.project.working_dir);
    if cx.fs.exists(&src) {
        return file(cx, name, v, &vname, &rel, read_only);
    }
    let wd = cx.project.working_dir.trim_end_matches('/');
    let in_project = src == wd || src.starts_with(&format!("{wd}/"));
    if strategy.binds == BindStrategy::EmptyDir {
        let what = format!("bind mount `{rel}`");
        if let Some(vol) = model_cache(cx, name, svc, &vname, &v.target, i, &what) {
            return Some(Placed::plain(vol));
        }
    }
    // Only the project's own folders are content to carry; a host path outside it (`/`,
    // `/var/log`) is the node's, not something to copy from the machine that converts.
    let listing = folders::list(cx.fs, &src).filter(|l| in_project && !l.is_empty());
    if !strategy.explicit {
        let image = svc.image.as_deref().unwrap_or_default();
        if let Some(db) = data_paths::database(image, &v.target) {
            let mut what = format!("bind mount `{rel}` → `{}`", v.target);
            let vol = data_claim(cx, name, svc, &vname, &what, &db);
            if let Some(l) = &listing {
                let claim = claim_name(vol.persistent_volume_claim.as_ref());
                what = format!(
                    "the {} in `{rel}` are not copied into the PersistentVolumeClaim `{claim}`: the database starts empty (copy them with `kubectl cp` if they are data to keep)",
                    folders::size(l.bytes())
                );
                cx.warn("L048", name, &["volumes"], what);
            }
            return Some(Placed::plain(vol));
        }
    }
    let Some(listing) = listing.filter(|_| !strategy.explicit) else {
        let why = if !in_project && cx.fs.list(&src).is_some() {
            Empty::OutsideProject
        } else if strategy.explicit {
            Empty::Chosen
        } else {
            Empty::NoContent
        };
        return Some(by_strategy(cx, name, v, i, strategy, &vname, &rel, why));
    };
    let placed = match folders::read(cx.fs, &src, &listing) {
        Ok(content) => content_folder(cx, name, v, vname, &rel, &listing, content, read_only),
        Err(why) => {
            let k8s = cx.names[name].clone();
            // `/.`: kubectl copies a folder into an existing one under its own name otherwise.
            cx.warn("L047", name, &["volumes"], format!(
                "bind-mounted folder `{rel}` → `{t}` holds {more}{n} file{s}, {why}: it becomes an emptyDir, empty over the image's own files at `{t}` (and writable, so it can be seeded); seed it once the pod runs with `kubectl cp {rel}/. <pod of {k8s}>:{t} -c {k8s}` (again after each restart), or keep it with --volumes persistentVolumeClaim and seed the claim once",
                t = v.target,
                n = listing.files.len(),
                more = if listing.truncated { "at least " } else { "" },
                s = if listing.files.len() == 1 { "" } else { "s" },
            ));
            let mut p = Placed::plain(empty_dir(&vname, None, None));
            p.read_only = Some(false);
            p
        }
    };
    Some(placed)
}

/// A project folder with content: one ConfigMap, read-only, each key placed at its path.
#[allow(clippy::too_many_arguments)]
fn content_folder(
    cx: &mut Ctx<'_>,
    name: &str,
    v: &ServiceVolume,
    vname: String,
    rel: &str,
    listing: &folders::Listing,
    content: Content,
    read_only: &mut Vec<(String, String)>,
) -> Placed {
    if !listing.skipped.is_empty() {
        let list: Vec<String> = listing.skipped.iter().map(|p| format!("`{p}`")).collect();
        cx.warn("L043", name, &["volumes"], format!(
            "bind-mounted folder `{rel}` → `{}` becomes a ConfigMap without {} (links to folders, dangling links, sockets and pipes cannot be ConfigMap keys)",
            v.target, list.join(", ")
        ));
    }
    // Named after the folder, not the service: the services that mount one folder
    // (Sentry's `./sentry` in twenty of them) share one ConfigMap.
    let folder = rel.trim_start_matches("./").trim_start_matches('.');
    let want = if folder.is_empty() {
        format!("{}-files", cx.project.name)
    } else {
        folder.replace('/', "-")
    };
    let (cm, items) = config_map(cx, &want, content);
    if !v.read_only {
        let src = v.source.clone().unwrap_or_default();
        read_only.push((src, format!("`{rel}` → `{}`", v.target)));
    }
    Placed {
        volume: Volume {
            name: vname,
            config_map: Some(ConfigMapVolumeSource {
                name: cm,
                items: Some(items),
                ..Default::default()
            }),
            ..Default::default()
        },
        sub_path: Some(None),
        read_only: Some(true),
        extra: Vec::new(),
        init: None,
    }
}

/// A claim for a database's data folder.
pub fn data_claim(
    cx: &mut Ctx<'_>,
    name: &str,
    svc: &Service,
    vname: &str,
    what: &str,
    db: &str,
) -> Volume {
    // `<service>-bind-<i>`: the name `--volumes persistentVolumeClaim` gives a bind mount and
    // the one the staged-migration plan announces; `<service>-anon-<i>` for anonymous volumes.
    let claim = dns_label(&format!("{}-{vname}", cx.names[name]));
    let (size, class) = claim_size(cx, svc);
    cx.warn("L048", name, &["volumes"], format!(
        "{what} is where {db} keeps its data: it becomes the PersistentVolumeClaim `{claim}` of {size} (not an emptyDir), so the data survives restarts"
    ));
    let p = pvc(cx, claim.clone(), size, class);
    cx.objects.push(p);
    claim_volume(vname, claim)
}

fn claim_name(c: Option<&k8s_openapi::api::core::v1::PersistentVolumeClaimVolumeSource>) -> &str {
    c.map_or("", |c| c.claim_name.as_str())
}

/// A bind-mounted file: a ConfigMap key; a file the service writes, a claim seeded from it.
fn file(
    cx: &mut Ctx<'_>,
    name: &str,
    v: &ServiceVolume,
    vname: &str,
    rel: &str,
    read_only: &mut Vec<(String, String)>,
) -> Option<Placed> {
    let src = v.source.as_deref().unwrap_or_default();
    let bytes = match cx.fs.read(src) {
        Ok(b) => b,
        Err(e) => {
            cx.warn("L047", name, &["volumes"], format!(
                "bind-mounted file `{rel}` cannot be read ({e}): not mounted, so `{}` is the image's own (if any)",
                v.target
            ));
            return None;
        }
    };
    let base = src.rsplit('/').next().unwrap_or("file");
    let k8s = cx.names[name].clone();
    let content = folders::fields(vec![(base.to_string(), bytes)]);
    if content.weight > OBJECT_BUDGET {
        cx.warn("L047", name, &["volumes"], format!(
            "bind-mounted file `{rel}` is {}: a ConfigMap may weigh {} for `kubectl apply`, so it is not mounted and `{}` is the image's own (if any); build it into the image, or mount a claim (--volumes persistentVolumeClaim) and `kubectl cp` it there",
            folders::size(content.weight),
            folders::size(OBJECT_BUDGET),
            v.target
        ));
        return None;
    }
    let (cm, items) = config_map(cx, &format!("{k8s}-{base}"), content);
    let key = items[0].key.clone();
    let source = Volume {
        name: vname.to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: cm.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    if !v.read_only && writable_file(base) {
        return Some(seeded_file(cx, name, v, vname, rel, source, &cm, &key));
    }
    if !v.read_only {
        read_only.push((
            src.to_string(),
            format!("`{rel}` → `{}` (key `{key}` of `{cm}`)", v.target),
        ));
    }
    Some(Placed {
        volume: source,
        sub_path: Some(Some(key)),
        read_only: Some(true),
        extra: Vec::new(),
        init: None,
    })
}

/// Files the service is known to write: SQLite databases, Traefik's certificate store.
fn writable_file(base: &str) -> bool {
    let lower = base.to_ascii_lowercase();
    lower == "acme.json"
        || [".db", ".sqlite", ".sqlite3", ".db3"]
            .iter()
            .any(|e| lower.ends_with(e))
}

/// A writable home for a file the service writes: a claim, seeded from the ConfigMap by an
/// init container when the file is not there yet, so writes survive restarts as on the host.
#[allow(clippy::too_many_arguments)]
fn seeded_file(
    cx: &mut Ctx<'_>,
    name: &str,
    v: &ServiceVolume,
    vname: &str,
    rel: &str,
    mut source: Volume,
    cm: &str,
    key: &str,
) -> Placed {
    let svc = &cx.project.services[name];
    let i: usize = vname.trim_start_matches("bind-").parse().unwrap_or(0);
    let claim = dns_label(&format!("{}-file-{i}", cx.names[name]));
    let (size, class) = claim_size(cx, svc);
    let p = pvc(cx, claim.clone(), size, class);
    cx.objects.push(p);
    source.name = format!("{vname}-seed");
    // Traefik refuses an acme.json readable by others; the rest may be written by any user
    // of the pod (the init container's user is not the service's).
    let mode = if key.eq_ignore_ascii_case("acme.json") {
        "600"
    } else {
        "666"
    };
    let init = Container {
        name: format!("seed-{vname}"),
        image: Some(match &cx.opts.dependencies {
            DependencyWait::InitContainer { image } => image.clone(),
            DependencyWait::Off => SEED_IMAGE.to_string(),
        }),
        command: Some(vec![
            "/bin/sh".into(),
            "-c".into(),
            format!(
                "[ -e /seed/to/{key} ] || {{ cp /seed/from/{key} /seed/to/{key} && chmod {mode} /seed/to/{key}; }}"
            ),
        ]),
        volume_mounts: Some(vec![
            VolumeMount {
                name: source.name.clone(),
                mount_path: "/seed/from".into(),
                read_only: Some(true),
                ..Default::default()
            },
            VolumeMount {
                name: vname.to_string(),
                mount_path: "/seed/to".into(),
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    cx.warn("L049", name, &["volumes"], format!(
        "bind-mounted file `{rel}` → `{}` is written by the service: it lives on the PersistentVolumeClaim `{claim}`, where the init container `seed-{vname}` copies it from the ConfigMap `{cm}` (key `{key}`) when it is not there yet",
        v.target
    ));
    Placed {
        volume: claim_volume(vname, claim),
        sub_path: Some(Some(key.to_string())),
        read_only: Some(false),
        extra: vec![source],
        init: Some(init),
    }
}

/// Push a ConfigMap of `content` named after `want`, or reuse an equal one; another
/// ConfigMap of that name (a second folder with the same base name) gets a numbered name.
/// Returns its name and the items.
fn config_map(
    cx: &mut Ctx<'_>,
    want: &str,
    content: Content,
) -> (String, Vec<k8s_openapi::api::core::v1::KeyToPath>) {
    let base = dns_label(want);
    let mut n = 1;
    loop {
        let cm_name = if n == 1 {
            base.clone()
        } else {
            dns_label(&format!("{base}-{n}"))
        };
        let cm = ConfigMap {
            metadata: meta(cx, cm_name.clone()),
            data: (!content.data.is_empty()).then(|| content.data.clone()),
            binary_data: (!content.binary.is_empty()).then(|| content.binary.clone()),
            ..Default::default()
        };
        match cx.find_object("ConfigMap", &cm_name) {
            None => {
                cx.objects.push(Object::from(cm));
                return (cm_name, content.items);
            }
            Some(Object::ConfigMap(old)) if **old == cm => return (cm_name, content.items),
            Some(_) => n += 1,
        }
    }
}

/// Why a bind-mounted folder is lowered by the strategy alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Empty {
    /// Empty, only Git placeholders, or missing (Compose creates it).
    NoContent,
    /// The user chose the strategy.
    Chosen,
    /// A host folder outside the project.
    OutsideProject,
}

/// A folder without content, one outside the project, or one the user chose the strategy
/// for.
#[allow(clippy::too_many_arguments)]
fn by_strategy(
    cx: &mut Ctx<'_>,
    name: &str,
    v: &ServiceVolume,
    i: usize,
    strategy: Strategy,
    vname: &str,
    rel: &str,
    why: Empty,
) -> Placed {
    let src = v.source.clone().unwrap_or_default();
    let k8s = cx.names[name].clone();
    match strategy.binds {
        BindStrategy::EmptyDir => {
            let why = match why {
                Empty::NoContent => {
                    "the host folder is empty or missing, so the container starts with an empty folder there, as under Compose; what it writes there does not survive the pod"
                }
                Empty::Chosen => {
                    "the host folder's content is not carried over (use --volumes persistentVolumeClaim or hostPath)"
                }
                Empty::OutsideProject => {
                    "the host folder is outside the project, so its content is the node's, not carried over (use --volumes hostPath to mount the node's folder)"
                }
            };
            cx.warn(
                "L034",
                name,
                &["volumes"],
                format!(
                    "bind mount `{rel}` → `{}` becomes an emptyDir: {why}",
                    v.target
                ),
            );
            Placed::plain(empty_dir(vname, None, None))
        }
        BindStrategy::HostPath => {
            cx.warn("L035", name, &["volumes"], format!(
                "bind mount `{rel}` becomes a hostPath: the path must exist on every node the pod can run on"
            ));
            Placed::plain(Volume {
                name: vname.to_string(),
                host_path: Some(HostPathVolumeSource {
                    path: src,
                    type_: None,
                }),
                ..Default::default()
            })
        }
        BindStrategy::PersistentVolumeClaim => {
            let claim = dns_label(&format!("{k8s}-bind-{i}"));
            cx.warn("L036", name, &["volumes"], format!(
                "bind mount `{rel}` becomes the PersistentVolumeClaim `{claim}`: copy the folder's content into it"
            ));
            // The service's `kompose.volume.size` / storage class, as for its named volumes
            // (sizes that are not quantities were warned about and are skipped).
            let own = cx.project.services.get(name).map(|s| &s.settings);
            let ok = |s: &String| crate::quantity::is_quantity(s);
            let size = own
                .and_then(|s| s.pvc_size.clone())
                .filter(ok)
                .or_else(|| cx.project.settings.pvc_size.clone().filter(ok))
                .unwrap_or_else(|| cx.opts.pvc_size.clone());
            let class = own
                .and_then(|s| s.storage_class.clone())
                .or_else(|| cx.project.settings.storage_class.clone())
                .or_else(|| cx.opts.storage_class.clone());
            let p = pvc(cx, claim.clone(), size, class);
            cx.objects.push(p);
            Placed::plain(claim_volume(vname, claim))
        }
    }
}

/// One warning for the mounts Compose leaves writable that are read-only now, given by
/// (host path, description): each path is said once, by the first service (in the project's order)
/// that mounts it so, naming the others.
pub fn warn_read_only(cx: &mut Ctx<'_>, name: &str, mounts: &[(String, String)]) {
    let mut said = Vec::new();
    for (src, text) in mounts {
        let users: Vec<&String> = cx
            .project
            .services
            .iter()
            .filter(|(_, s)| {
                s.volumes.iter().any(|v| {
                    v.kind == VolumeType::Bind && !v.read_only && v.source.as_ref() == Some(src)
                })
            })
            .map(|(n, _)| n)
            .collect();
        if users.first().is_some_and(|first| *first != name) {
            continue;
        }
        let others: Vec<String> = users[1..].iter().map(|u| format!("`{u}`")).collect();
        said.push(match others.len() {
            0 => text.clone(),
            1..=3 => format!("{text} (also in {})", others.join(", ")),
            n => format!(
                "{text} (also in {} and {} more)",
                others[..3].join(", "),
                n - 3
            ),
        });
    }
    if said.is_empty() {
        return;
    }
    cx.warn("L049", name, &["volumes"], format!(
        "mounted without `:ro`, these become read-only ConfigMap content: {}; a service that writes there fails (give it a claim with x-kubeferry volume_type: persistentVolumeClaim and seed it)",
        said.join(", ")
    ));
}
