//! `kubeferry lock`: every image of a loaded project read from its registry into a
//! [`Lock`]. Takes the project and a registry [`Client`]; returns the lock, an error per
//! image that could not be read (`K010`, at the service's `image`), and notes for the
//! services that have no registry image (only `build:`, or a built image not pushed yet).

use super::file::{Lock, VERSION};
use super::reference::Reference;
use super::registry::Client;
use crate::compose::Project;
use crate::diag::Diagnostic;

/// What locking a project gave.
#[derive(Debug, Default)]
pub struct Locked {
    /// The lock file: each image read.
    pub lock: Lock,
    /// Images that could not be read (L-codes with the service's location).
    pub errors: Vec<Diagnostic>,
    /// Images not locked for a reason that is not an error (a service that only builds).
    pub notes: Vec<String>,
}

/// Read every image of the project, each once, in the order of the services.
pub fn lock_project(project: &Project, client: &mut Client<'_>) -> Locked {
    let mut out = Locked {
        lock: Lock {
            version: VERSION,
            ..Lock::default()
        },
        ..Locked::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for (name, svc) in &project.services {
        let Some(image) = &svc.image else {
            out.notes.push(format!(
                "service `{name}` has only `build:`: no registry image to lock"
            ));
            continue;
        };
        if !seen.insert(image.clone()) {
            continue;
        }
        let read = Reference::parse(image)
            .ok_or_else(|| format!("`{image}` is not an image reference"))
            .and_then(|r| client.image(&r));
        match read {
            Ok(i) => {
                out.lock.images.insert(image.clone(), i);
            }
            // A service that builds its image may lock before the image is pushed.
            Err(e) if svc.build.is_some() => out.notes.push(format!(
                "service `{name}` builds `{image}`, which its registry does not give yet ({e}): not locked"
            )),
            Err(e) => out.errors.push(Diagnostic::error(
                "K010",
                project.locate(name, &["image"]),
                format!("cannot read image `{image}` from its registry: {e}"),
            )),
        }
    }
    out
}
