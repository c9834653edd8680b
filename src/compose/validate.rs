//! The checks Docker Compose makes on a loaded project: every service has an image or a build,
//! every reference names something defined.

use super::model::Project;
use super::node::Node;
use super::{Ctx, LoadError};
use crate::diag::Diagnostic;

pub fn validate(
    p: &Project,
    root: &Node,
    ctx: &Ctx<'_>,
    _warnings: &mut Vec<Diagnostic>,
) -> Result<(), LoadError> {
    let services = root.get("services");
    let at = |svc: &str, key: &[&str]| {
        let mut n = services.and_then(|s| s.get(svc));
        let mut pos = n.map(|n| n.key_at).unwrap_or_default();
        for k in key {
            n = n.and_then(|x| x.get(k));
            if let Some(x) = n {
                pos = x.key_at;
            }
        }
        pos
    };
    for (name, s) in &p.services {
        if s.image.is_none() && s.build.is_none() && s.provider.is_none() {
            return Err(ctx.error(
                "C070",
                at(name, &[]),
                &format!("services.{name}"),
                format!("service `{name}` has neither an image nor a build context"),
            ));
        }
        for net in s.networks.keys() {
            if !p.networks.contains_key(net) {
                return Err(ctx.error(
                    "C071",
                    at(name, &["networks", net]),
                    &format!("services.{name}.networks.{net}"),
                    format!("service `{name}` refers to undefined network `{net}`"),
                ));
            }
        }
        for v in &s.volumes {
            if v.kind == super::model::VolumeType::Volume
                && let Some(src) = &v.source
                && !p.volumes.contains_key(src)
            {
                return Err(ctx.error(
                    "C072",
                    at(name, &["volumes"]),
                    &format!("services.{name}.volumes"),
                    format!("service `{name}` refers to undefined volume `{src}`"),
                ));
            }
        }
        for (kind, refs, defined) in [
            ("secret", &s.secrets, &p.secrets),
            ("config", &s.configs, &p.configs),
        ] {
            for r in refs {
                if !defined.contains_key(&r.source) {
                    return Err(ctx.error(
                        "C073",
                        at(name, &[&format!("{kind}s")]),
                        &format!("services.{name}.{kind}s"),
                        format!("service `{name}` refers to undefined {kind} `{}`", r.source),
                    ));
                }
            }
        }
        for (dep, d) in &s.depends_on {
            let optional_disabled = !d.required && p.disabled_services.contains(dep);
            if !p.services.contains_key(dep) && !optional_disabled {
                return Err(ctx.error(
                    "C074",
                    at(name, &["depends_on", dep]),
                    &format!("services.{name}.depends_on.{dep}"),
                    format!("service `{name}` depends on undefined service `{dep}`"),
                ));
            }
        }
        for key in ["network_mode", "ipc", "pid"] {
            let v = match key {
                "network_mode" => &s.network_mode,
                "ipc" => &s.ipc,
                _ => &s.pid,
            };
            if let Some(target) = v.as_deref().and_then(|m| m.strip_prefix("service:"))
                && !p.services.contains_key(target)
            {
                return Err(ctx.error(
                    "C075",
                    at(name, &[key]),
                    &format!("services.{name}.{key}"),
                    format!("service `{name}` refers to undefined service `{target}` in {key}"),
                ));
            }
        }
        if s.network_mode.is_some()
            && s.networks.keys().any(|_| true)
            && root
                .get("services")
                .and_then(|x| x.get(name))
                .and_then(|x| x.get("networks"))
                .is_some_and(|n| n.at.line > 0)
        {
            return Err(ctx.error(
                "C076",
                at(name, &["network_mode"]),
                &format!("services.{name}.network_mode"),
                format!("service `{name}` sets both `network_mode` and `networks`"),
            ));
        }
    }
    Ok(())
}
