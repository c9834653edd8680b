//! What `post_start` and `pre_stop` hooks lose as Kubernetes lifecycle handlers: an exec
//! handler runs the command in the container as the container's user, in its working folder,
//! with its environment. A hook's own `user`, `privileged`, `working_dir` or `environment`
//! cannot be given, so each one set is a warning (L142), not a silent drop.

use super::Ctx;
use crate::compose::model::Service;

pub fn warn(cx: &mut Ctx<'_>, name: &str, svc: &Service) {
    for (key, hooks) in [("post_start", &svc.post_start), ("pre_stop", &svc.pre_stop)] {
        for h in hooks.iter() {
            let lost: Vec<&str> = [
                ("user", h.user.is_some()),
                ("privileged", h.privileged),
                ("working_dir", h.working_dir.is_some()),
                ("environment", !h.environment.is_empty()),
            ]
            .into_iter()
            .filter_map(|(k, set)| set.then_some(k))
            .collect();
            if lost.is_empty() {
                continue;
            }
            cx.warn(
                "L142",
                name,
                &[key],
                format!(
                    "a Kubernetes lifecycle hook runs as the container runs (its user, folder and environment): the hook's {} {} not applied",
                    lost.join(", "),
                    if lost.len() == 1 { "is" } else { "are" }
                ),
            );
        }
    }
}
