//! Storage and files: named volumes to PersistentVolumeClaims, bind mounts by strategy (files
//! to ConfigMaps), tmpfs and `shm_size` to memory emptyDirs, `secrets:` and `configs:` to
//! Secrets and ConfigMaps mounted where Compose mounts them.

use super::names::dns_label;
use super::object::Object;
use super::quantity;
use super::storage::{claim_volume, empty_dir, meta, model_cache, pvc_with, relative};
use super::{BindStrategy, Ctx, IpcHost, SecretValues};
use super::{binds, data_paths, folders};
use crate::compose::model::{FileObject, Project, Service, VolumeType};
use crate::diag::dotted;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, KeyToPath, PersistentVolumeClaim, Secret,
    SecretVolumeSource, Volume, VolumeMount,
};
use std::collections::{BTreeMap, BTreeSet};

const ACCESS_MODES: [&str; 4] = [
    "ReadWriteOnce",
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOncePod",
];

/// The services that mount each named volume (directly or through `volumes_from`), in
/// service order.
pub fn volume_users(project: &Project) -> BTreeMap<String, Vec<String>> {
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (sname, s) in &project.services {
        let mut mounted: Vec<&str> = s
            .volumes
            .iter()
            .filter(|v| v.kind == VolumeType::Volume)
            .filter_map(|v| v.source.as_deref())
            .collect();
        for from in &s.volumes_from {
            let src = from.split(':').next().unwrap_or(from);
            if let Some(o) = project.services.get(src) {
                mounted.extend(
                    o.volumes
                        .iter()
                        .filter(|v| v.kind == VolumeType::Volume)
                        .filter_map(|v| v.source.as_deref()),
                );
            }
        }
        for m in mounted {
            let list = users.entry(m.to_string()).or_default();
            if !list.contains(sname) {
                list.push(sname.clone());
            }
        }
    }
    users
}

/// Whether a named volume becomes a volumeClaimTemplate of its only user, a StatefulSet,
/// instead of a standalone PersistentVolumeClaim.
pub fn is_claim_template(cx: &Ctx<'_>, vol: &str) -> bool {
    let Some(def) = cx.project.volumes.get(vol) else {
        return false;
    };
    if def.external {
        return false;
    }
    match cx.volume_users.get(vol).map(Vec::as_slice) {
        Some([only]) => {
            let svc = &cx.project.services[only];
            super::kind::kind(cx, only, svc) == super::kind::Kind::StatefulSet
        }
        _ => false,
    }
}

/// The claim of a named volume: the volume's own size and class, then its first user's
/// service setting, then the project's, then the options.
pub fn named_claim(cx: &Ctx<'_>, vol: &str, first_user: &str) -> PersistentVolumeClaim {
    let project = cx.project;
    let def = project.volumes.get(vol);
    let user = project.services.get(first_user).map(|s| &s.settings);
    // Sizes that are not quantities were warned about (`warn_bad_sizes`) and are skipped.
    let ok = |s: &String| crate::quantity::is_size(s);
    let size = def
        .and_then(|d| d.settings.size.clone())
        .filter(ok)
        .or_else(|| user.and_then(|u| u.pvc_size.clone()).filter(ok))
        .or_else(|| project.settings.pvc_size.clone().filter(ok))
        .unwrap_or_else(|| cx.opts.pvc_size.clone());
    let class = def
        .and_then(|d| d.settings.storage_class.clone())
        .or_else(|| user.and_then(|u| u.storage_class.clone()))
        .or_else(|| project.settings.storage_class.clone())
        .or_else(|| cx.opts.storage_class.clone());
    let mode = def
        .and_then(|d| d.settings.access_mode.clone())
        .filter(|m| ACCESS_MODES.contains(&m.as_str()))
        .unwrap_or_else(|| "ReadWriteOnce".into());
    pvc_with(cx, dns_label(vol), size, class, mode)
}

/// Warn about claim sizes that are not Kubernetes quantities (`10GB`, `lots`).
fn warn_bad_sizes(cx: &mut Ctx<'_>) {
    let project = cx.project;
    let bad = |s: &Option<String>| s.as_ref().filter(|s| !crate::quantity::is_size(s)).cloned();
    for (name, svc) in &project.services {
        if let Some(s) = bad(&svc.settings.pvc_size) {
            cx.warn("L046", name, &["labels"], format!(
                "volume size `{s}` is not a Kubernetes quantity (like 10Gi); the default size applies"
            ));
        }
    }
    for (vol, def) in &project.volumes {
        if let Some(m) = def
            .settings
            .access_mode
            .as_ref()
            .filter(|m| !ACCESS_MODES.contains(&m.as_str()))
        {
            cx.warn_top(
                "L046",
                format!("volumes.{vol}.x-kubeferry.access_mode"),
                format!(
                    "access mode `{m}` is not one of {}; ReadWriteOnce applies",
                    ACCESS_MODES.join(", ")
                ),
            );
        }
        if let Some(s) = bad(&def.settings.size) {
            cx.warn_top("L046", dotted("volumes", vol), format!("volume size `{s}` is not a Kubernetes quantity (like 10Gi); the default size applies"));
        }
    }
}

/// PVCs, Secrets and ConfigMaps of the project.
pub fn top_level(cx: &mut Ctx<'_>) {
    warn_bad_sizes(cx);
    let project = cx.project;
    let users = cx.volume_users.clone();
    for (vol, svcs) in &users {
        let Some(def) = project.volumes.get(vol) else {
            continue;
        };
        if def.external || is_claim_template(cx, vol) {
            continue;
        }
        if svcs.len() > 1 {
            let list: Vec<String> = svcs.iter().map(|s| format!("`{s}`")).collect();
            let msg = format!(
                "volume `{vol}` is shared by {}: one PersistentVolumeClaim serves them all, which needs a ReadWriteMany storage class if their pods land on different nodes",
                list.join(", ")
            );
            cx.warn("L030", &svcs[0], &["volumes"], msg);
        }
        let pvc = named_claim(cx, vol, &svcs[0]);
        cx.objects.push(Object::from(pvc));
    }
    let mut used_secrets = BTreeSet::new();
    let mut used_configs = BTreeSet::new();
    for s in project.services.values() {
        used_secrets.extend(s.secrets.iter().map(|r| r.source.clone()));
        used_configs.extend(s.configs.iter().map(|r| r.source.clone()));
    }
    for name in used_secrets {
        let Some(def) = project.secrets.get(&name) else {
            continue;
        };
        if cx.opts.secrets == SecretValues::External && !def.external {
            // The value is never read: the user creates the Secret.
            let (obj, key) = (secret_name(&name), key_name(&name));
            let first = first_user(cx, &name);
            cx.warn("L023", &first, &["secrets"], format!(
                "secret `{name}` is not inlined (--secrets external): create the Secret `{obj}` with the key `{key}` before applying, e.g. `kubectl create secret generic {obj} --from-file={key}=<file>`"
            ));
            cx.external.secrets.insert(obj);
            continue;
        }
        if let Some(data) = content(cx, def, &name, "secret") {
            let obj = Secret {
                metadata: meta(cx, secret_name(&name)),
                data: Some(BTreeMap::from([(key_name(&name), ByteString(data))])),
                type_: Some("Opaque".into()),
                ..Default::default()
            };
            cx.objects.push(Object::from(obj));
        }
    }
    for name in used_configs {
        let Some(def) = project.configs.get(&name) else {
            continue;
        };
        if let Some(data) = content(cx, def, &name, "config") {
            let mut cm = ConfigMap {
                metadata: meta(cx, config_name(&name)),
                ..Default::default()
            };
            match String::from_utf8(data) {
                Ok(text) => cm.data = Some(BTreeMap::from([(key_name(&name), text)])),
                Err(e) => {
                    cm.binary_data = Some(BTreeMap::from([(
                        key_name(&name),
                        ByteString(e.into_bytes()),
                    )]))
                }
            }
            cx.objects.push(Object::from(cm));
        }
    }
}

pub fn secret_name(compose: &str) -> String {
    dns_label(compose)
}

pub fn config_name(compose: &str) -> String {
    dns_label(compose)
}

/// The key inside a Secret or ConfigMap: `[-._a-zA-Z0-9]+`.
fn key_name(compose: &str) -> String {
    let k: String = compose
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if k.is_empty() || k == "." || k == ".." {
        "value".into()
    } else {
        k
    }
}

/// The first service (by name) that uses the secret or config `name`.
fn first_user(cx: &Ctx<'_>, name: &str) -> String {
    cx.project
        .services
        .iter()
        .find(|(_, s)| s.secrets.iter().chain(&s.configs).any(|r| r.source == name))
        .map(|(n, _)| n.clone())
        .unwrap_or_default()
}

/// The bytes of a secret or config, or `None` (with a warning) when they live outside the
/// Compose project.
fn content(cx: &mut Ctx<'_>, def: &FileObject, name: &str, what: &str) -> Option<Vec<u8>> {
    let bytes = raw_content(cx, def, name, what)?;
    // A Secret's data is base64; a ConfigMap's text is counted as JSON.
    let weight = if what == "secret" {
        (bytes.len() as u64).div_ceil(3) * 4
    } else {
        folders::fields(vec![(key_name(name), bytes.clone())]).weight
    };
    if weight <= folders::OBJECT_BUDGET {
        return Some(bytes);
    }
    let first = first_user(cx, name);
    cx.warn("L044", &first, &[&format!("{what}s")], format!(
        "{what} `{name}` is {}: a {} may weigh {} for `kubectl apply` (1 MiB for the API server), so it is not converted and the services that use it start without it; build it into the image or mount it from a claim",
        folders::size(weight),
        if what == "secret" { "Secret" } else { "ConfigMap" },
        folders::size(folders::OBJECT_BUDGET)
    ));
    None
}

fn raw_content(cx: &mut Ctx<'_>, def: &FileObject, name: &str, what: &str) -> Option<Vec<u8>> {
    let first = first_user(cx, name);
    if def.external {
        let obj = dns_label(def.name.as_deref().unwrap_or(name));
        if what == "secret" {
            cx.external.secrets.insert(obj);
        } else {
            cx.external.config_maps.insert(obj);
        }
        let msg = format!(
            "{what} `{name}` is external: create the {} `{}` in the cluster before applying",
            if what == "secret" {
                "Secret"
            } else {
                "ConfigMap"
            },
            dns_label(def.name.as_deref().unwrap_or(name))
        );
        cx.warn("L020", &first, &[&format!("{what}s")], msg);
        return None;
    }
    if let Some(c) = &def.content {
        return Some(c.clone().into_bytes());
    }
    if let Some(var) = &def.environment {
        return match cx.project.environment.get(var) {
            Some(v) => Some(v.clone().into_bytes()),
            None => {
                let msg = format!(
                    "{what} `{name}` comes from the variable `{var}`, which is not set; create it in the cluster"
                );
                cx.warn("L021", &first, &[&format!("{what}s")], msg);
                None
            }
        };
    }
    if let Some(path) = &def.file {
        return match cx.fs.read(path) {
            Ok(b) => Some(b),
            Err(e) => {
                // Docker Compose accepts it (projects ship without their secret files), but
                // an optional reference would start pods without the value: the object
                // becomes one the user creates, and the pod waits for it.
                let shown = relative(path, &cx.project.working_dir);
                let (obj, key) = (dns_label(name), key_name(name));
                let kind = if what == "secret" {
                    cx.external.secrets.insert(obj.clone());
                    "Secret"
                } else {
                    cx.external.config_maps.insert(obj.clone());
                    "ConfigMap"
                };
                let msg = format!(
                    "{what} `{name}`: cannot read its file `{shown}` ({e}); create the {kind} `{obj}` with the key `{key}` before applying (or create the file and convert again)"
                );
                cx.warn("L022", &first, &[&format!("{what}s")], msg);
                None
            }
        };
    }
    None
}

/// The pod volumes and the container's mounts for a service.
pub fn mounts(cx: &mut Ctx<'_>, name: &str, svc: &Service) -> Mounts {
    let mut vols: Vec<Volume> = Vec::new();
    let mut mnts: Vec<VolumeMount> = Vec::new();
    let mut paths: BTreeSet<String> = BTreeSet::new();
    let mut init: Vec<Container> = Vec::new();
    let mut read_only: Vec<(String, String)> = Vec::new();
    // The volume's name in the pod (renamed when another volume has its name), or `None`
    // when something is already mounted at the path.
    let mut add = |vols: &mut Vec<Volume>,
                   mnts: &mut Vec<VolumeMount>,
                   v: Volume,
                   mut m: VolumeMount|
     -> Option<String> {
        if !paths.insert(m.mount_path.clone()) {
            return None;
        }
        m.name = place(vols, v);
        let placed = m.name.clone();
        mnts.push(m);
        Some(placed)
    };
    let binds = bind_strategy(cx, name, svc);
    let subpath = svc.settings.volume_subpath.clone();
    let mut volumes = svc.volumes.clone();
    for from in &svc.volumes_from {
        let (src, ro) = match from.rsplit_once(':') {
            Some((s, "ro")) => (s, true),
            Some((s, "rw")) => (s, false),
            _ => (from.as_str(), false),
        };
        if let Some(other) = cx.project.services.get(src) {
            for v in &other.volumes {
                if v.kind == VolumeType::Volume && v.source.is_some() {
                    let mut v = v.clone();
                    v.read_only |= ro;
                    volumes.push(v);
                }
            }
            cx.warn("L031", name, &["volumes_from"], format!("volumes_from `{src}`: its named volumes are mounted here too (the pods share their PersistentVolumeClaims)"));
        } else {
            cx.warn(
                "L031",
                name,
                &["volumes_from"],
                format!("volumes_from `{from}` names no service of the project; ignored"),
            );
        }
    }
    for (i, v) in volumes.iter().enumerate() {
        let mount = |vname: &str, sub: Option<String>| VolumeMount {
            name: vname.to_string(),
            mount_path: v.target.clone(),
            read_only: v.read_only.then_some(true),
            sub_path: sub
                .or_else(|| v.volume.as_ref().and_then(|o| o.subpath.clone()))
                .or_else(|| subpath.clone()),
            ..Default::default()
        };
        match v.kind {
            VolumeType::Volume => match &v.source {
                Some(src) => {
                    let def = cx.project.volumes.get(src);
                    let claim = match def {
                        Some(d) if d.external => {
                            let c = dns_label(d.name.as_deref().unwrap_or(src));
                            cx.external.claims.insert(c.clone());
                            c
                        }
                        _ => dns_label(src),
                    };
                    let vname = dns_label(src);
                    let vol = claim_volume(&vname, claim);
                    add(&mut vols, &mut mnts, vol, mount(&vname, None));
                }
                None => {
                    let vname = format!("anon-{i}");
                    if let Some(vol) =
                        model_cache(cx, name, svc, &vname, &v.target, i, "anonymous volume")
                    {
                        add(&mut vols, &mut mnts, vol, mount(&vname, None));
                        continue;
                    }
                    let image = svc.image.as_deref().unwrap_or_default();
                    if let Some(db) = data_paths::database(image, &v.target) {
                        let what = format!("anonymous volume at `{}`", v.target);
                        let vol = binds::data_claim(cx, name, svc, &vname, &what, &db);
                        add(&mut vols, &mut mnts, vol, mount(&vname, None));
                        continue;
                    }
                    cx.warn("L032", name, &["volumes"], format!("anonymous volume at `{}` becomes an emptyDir: its data does not survive the pod", v.target));
                    add(
                        &mut vols,
                        &mut mnts,
                        empty_dir(&vname, None, None),
                        mount(&vname, None),
                    );
                }
            },
            VolumeType::Tmpfs => {
                let vname = format!("tmpfs-{i}");
                let size = v
                    .tmpfs
                    .as_ref()
                    .and_then(|t| t.size)
                    .map(|b| quantity::bytes(b.0));
                add(
                    &mut vols,
                    &mut mnts,
                    empty_dir(&vname, Some("Memory"), size),
                    mount(&vname, None),
                );
            }
            VolumeType::Bind => {
                let Some(p) = binds::lower(cx, name, svc, v, i, binds, &mut read_only) else {
                    continue;
                };
                let vname = p.volume.name.clone();
                let mut m = mount(&vname, None);
                if let Some(sub) = p.sub_path {
                    m.sub_path = sub;
                }
                if let Some(ro) = p.read_only {
                    m.read_only = ro.then_some(true);
                }
                if let Some(final_name) = add(&mut vols, &mut mnts, p.volume, m)
                    && let Some(mut c) = p.init
                {
                    rename_in(c.volume_mounts.iter_mut().flatten(), &vname, &final_name);
                    for x in p.extra {
                        let was = x.name.clone();
                        let now = place(&mut vols, x);
                        rename_in(c.volume_mounts.iter_mut().flatten(), &was, &now);
                    }
                    init.push(c);
                }
            }
            VolumeType::Image => {
                let Some(im) =
                    super::image_volumes::lower(cx, name, v, i, svc.pull_policy.as_deref())
                else {
                    continue;
                };
                let vname = im.mount.name.clone();
                let mut volumes = im.volumes.into_iter();
                let Some(first) = volumes.next() else {
                    continue;
                };
                if let Some(final_name) = add(&mut vols, &mut mnts, first, im.mount) {
                    let mut copy = im.init;
                    let mut renames = vec![(vname, final_name)];
                    for x in volumes {
                        let was = x.name.clone();
                        renames.push((was, place(&mut vols, x)));
                    }
                    for c in &mut copy {
                        for (was, now) in &renames {
                            rename_in(c.volume_mounts.iter_mut().flatten(), was, now);
                        }
                    }
                    init.extend(copy);
                }
            }
            VolumeType::Npipe | VolumeType::Cluster => {
                cx.warn(
                    "L037",
                    name,
                    &["volumes"],
                    format!(
                        "a volume of type {:?} at `{}` is not converted",
                        v.kind, v.target
                    ),
                );
            }
        }
    }
    for (i, t) in svc.tmpfs.iter().enumerate() {
        let (path, opts) = t.split_once(':').unwrap_or((t.as_str(), ""));
        if path.is_empty() {
            // Docker Compose accepts it; Kubernetes rejects a mount without a path.
            cx.warn(
                "L037",
                name,
                &["tmpfs"],
                "an empty tmpfs path mounts nothing; skipped",
            );
            continue;
        }
        let size = opts
            .split(',')
            .find_map(|o| o.strip_prefix("size="))
            .and_then(crate::compose::units::parse_bytes)
            .map(quantity::bytes);
        let vname = format!("tmpfs-s{i}");
        let m = VolumeMount {
            name: vname.clone(),
            mount_path: path.to_string(),
            ..Default::default()
        };
        add(
            &mut vols,
            &mut mnts,
            empty_dir(&vname, Some("Memory"), size),
            m,
        );
    }
    // `ipc: host` in model servers is there for shared memory: without hostIPC, /dev/shm.
    let ipc_shm = svc.ipc.as_deref() == Some("host") && cx.opts.ipc_host == IpcHost::SharedMemory;
    if svc.shm_size.is_some() || ipc_shm {
        let size = svc.shm_size.map(|b| quantity::bytes(b.0));
        let m = VolumeMount {
            name: "dshm".into(),
            mount_path: "/dev/shm".into(),
            ..Default::default()
        };
        add(
            &mut vols,
            &mut mnts,
            empty_dir("dshm", Some("Memory"), size),
            m,
        );
    }
    for (kind, refs) in [("secret", &svc.secrets), ("config", &svc.configs)] {
        for r in refs.iter() {
            let def = if kind == "secret" {
                cx.project.secrets.get(&r.source)
            } else {
                cx.project.configs.get(&r.source)
            };
            let Some(def) = def else { continue };
            let obj_name = if def.external {
                dns_label(def.name.as_deref().unwrap_or(&r.source))
            } else {
                dns_label(&r.source)
            };
            let object_kind = if kind == "secret" {
                "Secret"
            } else {
                "ConfigMap"
            };
            let emitted = cx.find_object(object_kind, &obj_name).is_some();
            let key = if def.external {
                r.source.clone()
            } else {
                key_name(&r.source)
            };
            let target = match &r.target {
                Some(t) if t.starts_with('/') => t.clone(),
                Some(t) if kind == "secret" => format!("/run/secrets/{t}"),
                Some(t) => format!("/{t}"),
                None if kind == "secret" => format!("/run/secrets/{}", r.source),
                None => format!("/{}", r.source),
            };
            let vname = dns_label(&format!("{kind}-{}", r.source));
            let mode = r.mode.map(|m| m as i32);
            let items = Some(vec![KeyToPath {
                key: key.clone(),
                path: key.clone(),
                mode,
            }]);
            // An object the user must create (--secrets external, a missing file) is required,
            // not optional.
            let must_create = if kind == "secret" {
                &cx.external.secrets
            } else {
                &cx.external.config_maps
            };
            let required = !def.external && must_create.contains(&obj_name);
            let optional = (!emitted && !required).then_some(true);
            let vol = if kind == "secret" {
                Volume {
                    name: vname.clone(),
                    secret: Some(SecretVolumeSource {
                        secret_name: Some(obj_name),
                        items,
                        optional,
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            } else {
                Volume {
                    name: vname.clone(),
                    config_map: Some(ConfigMapVolumeSource {
                        name: obj_name,
                        items,
                        optional,
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            };
            if r.uid.is_some() || r.gid.is_some() {
                cx.warn("L038", name, &[&format!("{kind}s")], format!("the uid/gid of {kind} `{}` cannot be set per file in Kubernetes (fsGroup sets the group of all volumes)", r.source));
            }
            let m = VolumeMount {
                name: vname,
                mount_path: target,
                sub_path: Some(key),
                read_only: Some(true),
                ..Default::default()
            };
            add(&mut vols, &mut mnts, vol, m);
        }
    }
    binds::warn_read_only(cx, name, &read_only);
    // Kept for the whole run, once per service: no spare capacity.
    vols.shrink_to_fit();
    mnts.shrink_to_fit();
    Mounts {
        volumes: vols,
        mounts: mnts,
        init,
    }
}

/// A service's pod volumes, its container's mounts, and the init containers that seed them.
#[derive(Debug, Default)]
pub struct Mounts {
    pub volumes: Vec<Volume>,
    pub mounts: Vec<VolumeMount>,
    pub init: Vec<Container>,
}

/// Add a volume to the pod's and return its name there: an equal volume of the same name is
/// shared when it stands for one object (a claim, a ConfigMap); an emptyDir (each
/// container's own scratch space under Compose) or a different volume under a taken name gets
/// the first free `<name>-<n>`, so two containers never read each other's volume by accident.
fn place(vols: &mut Vec<Volume>, mut v: Volume) -> String {
    let base = v.name.clone();
    let mut n = 1;
    loop {
        match vols.iter().find(|x| x.name == v.name) {
            None => {
                let name = v.name.clone();
                vols.push(v);
                return name;
            }
            Some(x) if *x == v && v.empty_dir.is_none() => return v.name,
            Some(_) => {
                n += 1;
                v.name = dns_label(&format!("{base}-{n}"));
            }
        }
    }
}

fn rename_in<'m>(mounts: impl Iterator<Item = &'m mut VolumeMount>, from: &str, to: &str) {
    if from != to {
        for m in mounts.filter(|m| m.name == from) {
            m.name = to.to_string();
        }
    }
}

/// Join a sidecar's (`network_mode: service:`) volumes to the pod's, renaming the sidecar's
/// volumes whose names the pod already uses for something else. Returns the sidecar
/// container's mounts.
pub fn merge(pod: &mut Mounts, other: Mounts) -> Vec<VolumeMount> {
    let Mounts {
        volumes,
        mut mounts,
        mut init,
    } = other;
    for v in volumes {
        let was = v.name.clone();
        let now = place(&mut pod.volumes, v);
        let in_init = init
            .iter_mut()
            .flat_map(|c| c.volume_mounts.iter_mut().flatten());
        rename_in(mounts.iter_mut().chain(in_init), &was, &now);
    }
    // Container names are unique in a pod: a sidecar's `seed-bind-0` beside its host's.
    for c in &mut init {
        let base = c.name.clone();
        let mut n = 1;
        while pod.init.iter().any(|x| x.name == c.name) {
            n += 1;
            c.name = dns_label(&format!("{base}-{n}"));
        }
    }
    pod.init.append(&mut init);
    mounts
}

/// The strategy for this service's bind-mounted folders: its own volume type, else the option.
/// `configMap` is what kubeferry does anyway (files and folders with content become
/// ConfigMaps), so it is not an explicit choice.
fn bind_strategy(cx: &mut Ctx<'_>, name: &str, svc: &Service) -> binds::Strategy {
    let option = binds::Strategy {
        binds: cx.opts.binds,
        explicit: cx.opts.binds != BindStrategy::EmptyDir,
    };
    let Some(t) = svc.settings.volume_type.as_deref() else {
        return option;
    };
    let chosen = |binds| binds::Strategy {
        binds,
        explicit: true,
    };
    match t.to_ascii_lowercase().as_str() {
        "persistentvolumeclaim" => chosen(BindStrategy::PersistentVolumeClaim),
        "emptydir" => chosen(BindStrategy::EmptyDir),
        "hostpath" => chosen(BindStrategy::HostPath),
        "configmap" => binds::Strategy {
            binds: BindStrategy::EmptyDir,
            explicit: false,
        },
        other => {
            cx.warn("L114", name, &["labels"], format!(
                "volume type `{other}` is not persistentVolumeClaim, emptyDir, hostPath or configMap; --volumes applies"
            ));
            option
        }
    }
}
