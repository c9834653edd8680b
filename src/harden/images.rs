//! `images`: a warning for images on `latest` or without a tag (they change under you); a pull
//! policy for pinned tags and digests: `IfNotPresent` at baseline, `Always` at restricted.
//!
//! Why restricted differs: with `IfNotPresent`, a pod can start from an image that is already
//! on the node because another pod, with other pull credentials, pulled it. Restricted is the
//! level for shared clusters, where that matters (it is why Kubernetes has the
//! `AlwaysPullImages` admission plugin, and why checkov and kube-score ask for `Always`).
//! `Always` asks the registry for the manifest only: cached layers are not downloaded again.
//! A `pull_policy` in the Compose file or `x-kubeferry.image_pull_policy` wins over both.

use super::{Cx, Findings, Level, Rule, Scope};
use crate::lower::Object;

pub const RULE: Rule = Rule {
    id: "images",
    doc: "warns about `latest` or missing image tags; imagePullPolicy for pinned tags: IfNotPresent (baseline), Always (restricted)",
    level: Level::Baseline,
    scope: Scope::Workload(apply),
};

/// The tag of an image reference (`None` without one), and whether it has a digest.
pub fn tag(image: &str) -> (Option<&str>, bool) {
    if image.contains('@') {
        return (None, true);
    }
    // A `:` after the last `/` separates the tag; one before it is a registry port.
    let last = image.rsplit('/').next().unwrap_or(image);
    (last.split_once(':').map(|(_, t)| t), false)
}

fn apply(o: &mut Object, cx: &Cx<'_>, f: &mut Findings) {
    let Some(spec) = o.pod_template_mut().and_then(|t| t.spec.as_mut()) else {
        return;
    };
    let mut warn = Vec::new();
    let mut bad_policy = Vec::new();
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        let Some(image) = c.image.as_deref() else {
            continue;
        };
        let own = cx.sources.service(cx.service_of(&c.name));
        let asked = own.and_then(|s| s.image_pull_policy.as_deref());
        if let Some(policy) = asked.filter(|p| !matches!(*p, "Always" | "IfNotPresent" | "Never")) {
            bad_policy.push((c.name.clone(), policy.to_string()));
        } else if let Some(policy) = asked
            && c.image_pull_policy.is_none()
        {
            c.image_pull_policy = Some(policy.to_string());
            f.added(format!(
                "imagePullPolicy: {policy} on `{}`, as the service's settings ask",
                c.name
            ));
            continue;
        }
        match tag(image) {
            (Some("latest") | None, false) => {
                warn.push((c.name.clone(), image.to_string()));
                f.not_hardened(format!(
                    "container `{}` runs `{image}`, which is not pinned: pin a tag or digest",
                    c.name
                ));
            }
            _ if c.image_pull_policy.is_none() && cx.level == Level::Restricted => {
                c.image_pull_policy = Some("Always".into());
                f.added(format!(
                    "imagePullPolicy: Always on `{}`: at restricted every pod start checks its pull credentials against the registry, even when `{image}` is already on the node",
                    c.name
                ));
            }
            _ if c.image_pull_policy.is_none() => {
                c.image_pull_policy = Some("IfNotPresent".into());
                f.added(format!(
                    "imagePullPolicy: IfNotPresent on `{}`: `{image}` is pinned, so pulling again buys nothing",
                    c.name
                ));
            }
            _ => {}
        }
    }
    for (container, policy) in bad_policy {
        let svc = cx.service_of(&container).to_string();
        let at = cx.at(&svc, &["x-kubeferry", "image_pull_policy"]);
        f.warn(
            "H021",
            at,
            format!("`{policy}` is not a pull policy (Always, IfNotPresent or Never); ignored"),
        );
    }
    for (container, image) in warn {
        let svc = cx.service_of(&container).to_string();
        let at = cx.at(&svc, &["image"]);
        f.warn(
            "H020",
            at,
            format!(
                "image `{image}` {}: what runs changes with every pull; pin a version",
                if tag(&image).0.is_some() {
                    "uses the tag `latest`"
                } else {
                    "has no tag"
                }
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::tag;

    #[test]
    fn tags_are_found_after_the_last_slash() {
        assert_eq!(tag("redis:7"), (Some("7"), false));
        assert_eq!(tag("localhost:5000/app"), (None, false));
        assert_eq!(tag("localhost:5000/app:1.2"), (Some("1.2"), false));
        assert_eq!(tag("nginx@sha256:abc"), (None, true));
        assert_eq!(tag("nginx"), (None, false));
    }
}
