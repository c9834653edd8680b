//! The claims of stage 2: every data location the plan calls stateful (a named volume or a
//! bind-mounted data folder of a stateful service) is kept in a PersistentVolumeClaim of the
//! size the plan suggests (or a measured size given with `--claim-size`), whatever `--volumes`
//! says. [`data_claims`] takes the project and its classification and returns those claims;
//! [`keep_data`] takes the lowered objects and makes them use the claims: an emptyDir, hostPath
//! or ConfigMap at a data path becomes the claim, and existing claims get the planned size.

use super::classify::Classification;
use crate::compose::model::{Project, VolumeType};
use crate::diag::Diagnostic;
use crate::lower::{Object, names};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, Volume,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;

/// A data location of a stateful service and the claim stage 2 keeps it in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataClaim {
    /// The Compose service.
    pub service: String,
    /// `volume` or `bind`.
    pub kind: &'static str,
    /// The volume name, or the host path relative to the project folder.
    pub source: String,
    /// The path in the container.
    pub target: String,
    /// `None` for an external named volume (it is not made by kubeferry).
    pub claim: Option<String>,
    /// The claim's requested size (measured with `--claim-size`, or the default).
    pub size: String,
}

/// Measured sizes (`--claim-size KEY=SIZE`): KEY is a volume name, a bind source as the plan
/// shows it, or a service name (all its data).
pub type Sizes = BTreeMap<String, String>;

/// The claims of every stateful service's data, in service order. A location shared by several
/// stateful services has one claim, named after its first user.
pub fn data_claims(project: &Project, cls: &Classification, sizes: &Sizes) -> Vec<DataClaim> {
    let mut out: Vec<DataClaim> = Vec::new();
    for (name, c) in cls.services.iter().filter(|(_, c)| c.stateful) {
        let Some(svc) = project.services.get(name) else {
            continue;
        };
        for d in &c.data {
            let def = (d.kind == "volume")
                .then(|| project.volumes.get(&d.source))
                .flatten();
            // Sizes that are not quantities were warned about by the lowering: skipped.
            let ok = |s: &String| crate::quantity::is_size(s);
            let size = sizes
                .get(&d.source)
                .or_else(|| sizes.get(name))
                .cloned()
                .or_else(|| def.and_then(|v| v.settings.size.clone()).filter(ok))
                .or_else(|| svc.settings.pvc_size.clone().filter(ok))
                .or_else(|| c.engine.map(|e| e.suggested_size().to_string()))
                .or_else(|| project.settings.pvc_size.clone().filter(ok))
                .unwrap_or_else(|| "5Gi".into());
            let shared = out
                .iter()
                .find(|o| o.kind == d.kind && o.source == d.source)
                .map(|o| (o.claim.clone(), o.size.clone()));
            // One location, one claim: its first user's name and size.
            let size = shared.as_ref().map_or(size, |(_, s)| s.clone());
            let claim = match (d.kind, shared.map(|(c, _)| c)) {
                (_, Some(first)) => first,
                ("volume", None) => def
                    .filter(|v| !v.external)
                    .map(|_| names::dns_label(&d.source)),
                (_, None) => {
                    // The name `--volumes persistentVolumeClaim` gives the same mount.
                    let i = svc
                        .volumes
                        .iter()
                        .position(|v| v.kind == VolumeType::Bind && v.target == d.target)
                        .unwrap_or(0);
                    Some(names::dns_label(&format!(
                        "{}-bind-{i}",
                        names::service_name(name)
                    )))
                }
            };
            out.push(DataClaim {
                service: name.clone(),
                kind: d.kind,
                source: d.source.clone(),
                target: d.target.clone(),
                claim,
                size,
            });
        }
    }
    out
}

/// Make the objects keep every planned data location in its claim. Returns a note for each
/// data folder that moved from another volume kind into a claim (code S005), and the
/// (service, target) pairs concerned, whose lowering warnings no longer hold.
pub fn keep_data(
    project: &Project,
    claims: &[DataClaim],
    objects: &mut Vec<Object>,
    namespace: Option<&str>,
    storage_class: Option<&str>,
) -> (Vec<Diagnostic>, Vec<(String, String)>) {
    let mut notes = Vec::new();
    let mut moved = Vec::new();
    let mut new_claims: Vec<Object> = Vec::new();
    let mut sized: BTreeMap<String, String> = BTreeMap::new();
    for dc in claims {
        let Some(claim) = &dc.claim else { continue };
        let label = names::label_value(&names::service_name(&dc.service));
        for o in objects.iter_mut() {
            let owned = o
                .metadata()
                .labels
                .as_ref()
                .and_then(|l| l.get(names::NAME))
                .is_some_and(|n| *n == label);
            if !owned {
                continue;
            }
            let templates = match o {
                Object::StatefulSet(s) => s
                    .spec
                    .as_mut()
                    .and_then(|s| s.volume_claim_templates.as_mut()),
                _ => None,
            }
            .map(std::mem::take);
            let Some(pod) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
                continue;
            };
            let mount = pod
                .containers
                .iter()
                .chain(pod.init_containers.iter().flatten())
                .flat_map(|c| c.volume_mounts.iter().flatten())
                .find(|m| m.mount_path.trim_end_matches('/') == dc.target.trim_end_matches('/'))
                .map(|m| m.name.clone());
            let Some(vname) = mount else {
                restore_templates(o, templates);
                continue;
            };
            let volume = pod.volumes.iter_mut().flatten().find(|v| v.name == vname);
            match volume {
                Some(v) => match &v.persistent_volume_claim {
                    Some(p) => {
                        sized.insert(p.claim_name.clone(), dc.size.clone());
                    }
                    None => {
                        *v = Volume {
                            name: vname.clone(),
                            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                                claim_name: claim.clone(),
                                read_only: None,
                            }),
                            ..Default::default()
                        };
                        sized.insert(claim.clone(), dc.size.clone());
                        if !new_claims.iter().any(|c| c.name() == claim) {
                            new_claims.push(Object::from(pvc(
                                claim,
                                &dc.size,
                                project,
                                namespace,
                                storage_class,
                            )));
                        }
                        moved.push((dc.service.clone(), dc.target.clone()));
                        notes.push(Diagnostic::warning(
                            "S005",
                            project.locate(&dc.service, &["volumes"]),
                            format!(
                                "stage 2 keeps the data folder `{}` → `{}` in the PersistentVolumeClaim `{claim}` ({}): copy its content in with the plan's data migration",
                                dc.source, dc.target, dc.size
                            ),
                        ));
                    }
                },
                None => {
                    // A StatefulSet's claim template of that name.
                    let mut templates = templates;
                    if let Some(t) = templates
                        .iter_mut()
                        .flatten()
                        .find(|t| t.metadata.name.as_deref() == Some(vname.as_str()))
                    {
                        set_size(t, &dc.size);
                    }
                    restore_templates(o, templates);
                    continue;
                }
            }
            restore_templates(o, templates);
        }
    }
    for o in objects.iter_mut() {
        if let Object::PersistentVolumeClaim(p) = o
            && let Some(size) = p.metadata.name.as_ref().and_then(|n| sized.get(n))
        {
            set_size(p, size);
        }
    }
    for c in new_claims {
        if !objects
            .iter()
            .any(|o| o.kind() == c.kind() && o.name() == c.name())
        {
            objects.push(c);
        }
    }
    (notes, moved)
}

fn restore_templates(o: &mut Object, templates: Option<Vec<PersistentVolumeClaim>>) {
    if let (Object::StatefulSet(s), Some(t)) = (o, templates)
        && let Some(spec) = s.spec.as_mut()
    {
        spec.volume_claim_templates = Some(t);
    }
}

fn set_size(p: &mut PersistentVolumeClaim, size: &str) {
    let spec = p.spec.get_or_insert_with(Default::default);
    spec.resources
        .get_or_insert_with(Default::default)
        .requests
        .get_or_insert_with(Default::default)
        .insert("storage".into(), Quantity(size.to_string()));
}

fn pvc(
    name: &str,
    size: &str,
    project: &Project,
    namespace: Option<&str>,
    storage_class: Option<&str>,
) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: namespace.map(str::to_string),
            labels: Some(names::project_labels(&project.name)),
            ..Default::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(size.to_string()),
                )])),
                ..Default::default()
            }),
            storage_class_name: storage_class.map(str::to_string),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Whether a lowering warning about a volume (L034 emptyDir, L035 hostPath) is about a data
/// folder that stage 2 keeps in a claim instead.
pub fn superseded(d: &Diagnostic, kept: &[(String, String)]) -> bool {
    matches!(d.code, "L034" | "L035")
        && kept.iter().any(|(svc, target)| {
            d.location.path == format!("services.{svc}.volumes")
                && (d.message.contains(&format!("→ `{target}`")) || d.code == "L035")
        })
}
