//! Image declarations from a lock file. `kubeferry lock` asks each image's registry what the
//! image declares (user, ports, health check, volumes, ...) and writes [`file::Lock`];
//! `convert` and `plan` read it offline ([`load`]) and [`apply::apply`] gives the project
//! what Docker would have taken from the image.

pub(crate) mod apply;
pub(crate) mod credentials;
pub(crate) mod file;
pub(crate) mod manifest;
pub(crate) mod reference;
pub(crate) mod registry;
pub(crate) mod run;

use crate::compose::{FileSystem, Project};
use crate::diag::{Diagnostic, Location};

pub use apply::{Applied, apply};
pub use credentials::{Credentials, DockerConfig};
pub use file::{Lock, parse, render};
pub use manifest::Platform;
pub use reference::Reference;
pub use registry::{Client, Settings};
pub use run::{Locked, lock_project};

/// How `convert` and `plan` use a lock file.
#[derive(Clone, Debug, Default)]
pub struct LockOptions {
    /// The lock file (`--lock`); default: `kubeferry.lock` beside the first Compose file,
    /// when there is one.
    pub file: Option<String>,
    /// Write `image@sha256:...` (`--pin-digests`).
    pub pin_digests: bool,
}

/// Where the lock of a project is by default: beside its first Compose file (the project
/// folder when the file came from standard input). `working_dir` is the loader's.
pub fn default_path(project: &Project, working_dir: &str) -> String {
    let folder = match project.origins.files.first().map(String::as_str) {
        Some(f) if f != "-" => {
            let abs = absolute(working_dir, f);
            abs.rsplit_once('/')
                .map_or_else(|| project.working_dir.clone(), |(d, _)| d.to_string())
        }
        _ => project.working_dir.clone(),
    };
    format!("{}/{}", folder.trim_end_matches('/'), file::FILE_NAME)
}

fn absolute(working_dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", working_dir.trim_end_matches('/'))
    }
}

/// Read the project's lock: the named one (which must exist), else the default one when it
/// exists. `Ok(None)`: no lock. Returns the lock and how diagnostics name it.
pub fn load(
    project: &Project,
    opts: &LockOptions,
    working_dir: &str,
    fs: &dyn FileSystem,
) -> Result<Option<(Lock, String)>, Diagnostic> {
    let (path, named) = match &opts.file {
        Some(f) => (absolute(working_dir, f), true),
        None => (default_path(project, working_dir), false),
    };
    let display = path
        .strip_prefix(&format!("{}/", working_dir.trim_end_matches('/')))
        .unwrap_or(&path)
        .to_string();
    if !named && !fs.exists(&path) {
        if opts.pin_digests {
            return Err(Diagnostic::error(
                "K003",
                Location::file(display),
                "--pin-digests takes the digests from a lock file, and there is none: run `kubeferry lock` first, or name one with --lock",
            ));
        }
        return Ok(None);
    }
    let text = fs.read(&path).map_err(|e| {
        Diagnostic::error(
            "K001",
            Location::file(display.clone()),
            format!("cannot read the lock file: {e}"),
        )
    })?;
    Ok(Some((parse(&text, &display)?, display)))
}

/// Read the lock (if any) and apply it to the project: what `convert` and `plan` do first.
pub fn read_and_apply(
    project: &mut Project,
    opts: &LockOptions,
    working_dir: &str,
    fs: &dyn FileSystem,
) -> Result<Applied, Diagnostic> {
    Ok(match load(project, opts, working_dir, fs)? {
        Some((lock, name)) => apply(project, &lock, &name, opts.pin_digests),
        None => Applied::default(),
    })
}
