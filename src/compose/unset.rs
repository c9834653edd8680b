//! The warnings about variables interpolated while unset (C031): the uses the loader met
//! in, one warning per variable out, and one per file for the variables used only in
//! `environment` values. A blank in an environment value is the container's business; a
//! blank image tag, port or path decides the conversion, so such a variable keeps a warning
//! of its own that points at that use.

use crate::diag::{Diagnostic, group_by};

/// One reference to an unset variable, as the loader met it.
pub(super) struct Use {
    pub var: String,
    /// In an `environment` value (of a service or an extension field).
    pub in_environment: bool,
    pub warning: Diagnostic,
}

/// Whether a key path, as interpolation records it, names an `environment` value
/// (`….environment.KEY` or `….environment[3]`).
pub(super) fn in_environment(path: &str) -> bool {
    let parent = match path.strip_suffix(']') {
        Some(p) => p.rsplit_once('[').map(|(p, _)| p),
        None => path.rsplit_once('.').map(|(p, _)| p),
    };
    // Not `services.environment.<key>`: a service named `environment`.
    parent.is_some_and(|p| p.ends_with(".environment") && p != "services.environment")
}

/// How many variable names a grouped warning lists (its `also` holds every use).
const NAMES_SHOWN: usize = 8;

/// The warnings for all the uses, in the order of each group's first use.
pub(super) fn warnings(uses: Vec<Use>) -> Vec<Diagnostic> {
    let per_var = group_by(
        uses.into_iter()
            .map(|u| (vec![u.var], u.in_environment, u.warning))
            .collect(),
        |(var, _, _)| Some(var[0].clone()),
        |mut uses| {
            // At the first use outside `environment` when there is one.
            let env_only = uses.iter().all(|(_, env, _)| *env);
            let first = uses.iter().position(|(_, env, _)| !env).unwrap_or(0);
            let (var, _, head) = uses.remove(first);
            (
                var,
                env_only,
                head.with_also(uses.into_iter().map(|(_, _, d)| d)),
            )
        },
    );
    let per_file = group_by(
        per_var,
        |(_, env_only, d)| env_only.then(|| d.location.file.clone()),
        |mut vars| {
            if vars.len() == 1 {
                return vars.remove(0);
            }
            let names: Vec<String> = vars.iter().flat_map(|(v, _, _)| v.clone()).collect();
            let (_, _, head) = vars.remove(0);
            let mut d = head.with_also(vars.into_iter().map(|(_, _, d)| d));
            d.message = format!(
                "{} variables used in `environment` values are not set; each defaults to a blank string: {}",
                names.len(),
                crate::text::names_list(&names, NAMES_SHOWN)
            );
            (names, true, d)
        },
    );
    per_file.into_iter().map(|(_, _, d)| d).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_values_are_told_from_other_keys() {
        for p in [
            "services.a.environment.KEY",
            "services.a.environment[3]",
            "services.environment.environment.KEY",
            "x-common.environment.A_B",
        ] {
            assert!(in_environment(p), "{p}");
        }
        for p in [
            "services.a.image",
            "services.a.environment",
            "services.environment.image",
            "services.a.ports[0]",
            "services.a.build.args[0]",
        ] {
            assert!(!in_environment(p), "{p}");
        }
    }
}
