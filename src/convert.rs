//! The library's entry point: Compose sources in, Kubernetes objects and diagnostics out.
//!
//! [`convert`] takes an [`Input`] (file texts by path and an explicit variable map, held in
//! memory) and [`Options`] (typed; `Default` is what `kubeferry convert` does with no flags)
//! and runs the whole pipeline. [`convert_with`] is the same over any [`FileSystem`]; the
//! command line calls it with the real one. Neither prints, exits, keeps state between calls
//! or reads the process environment: variables come only from [`Input::variables`]
//! (or [`Input::with_process_environment`], when the embedder asks for it).

use crate::compose::{self, FileSystem, LoadOptions, MemoryFs, Project};
use crate::diag::{Diagnostic, Failure};
use crate::emit::{self, Format, Layout, OutputFile};
use crate::harden::{self, HardenOptions};
use crate::lower::{self, IpcHost, LowerOptions, Object};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Compose sources held in memory.
#[derive(Clone, Debug)]
pub struct Input {
    /// The folder the sources live in (absolute; relative paths are taken from it).
    pub working_dir: String,
    /// File contents by path (relative to `working_dir`, or absolute): Compose files, `.env`
    /// files, and the files behind `secrets:`, `configs:` and `env_file:`.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The Compose files to load, in merge order (`-f`). Empty: look for `compose.yaml` and
    /// its friends in `working_dir`, as Docker Compose does.
    pub compose_files: Vec<String>,
    /// The variables interpolation sees in place of the process environment.
    pub variables: BTreeMap<String, String>,
}

impl Default for Input {
    fn default() -> Self {
        Input {
            working_dir: "/project".into(),
            files: BTreeMap::new(),
            compose_files: Vec::new(),
            variables: BTreeMap::new(),
        }
    }
}

impl Input {
    /// No files, no variables, working folder `/project`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file (builder style).
    pub fn file(mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.into(), contents.into());
        self
    }

    /// Add a Compose file: it is stored and loaded, in the order of the calls.
    pub fn compose_file(mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        let path = path.into();
        self.compose_files.push(path.clone());
        self.files.insert(path, contents.into());
        self
    }

    /// Set a variable for interpolation.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Add every variable of the process environment (only when the embedder asks).
    pub fn with_process_environment(mut self) -> Self {
        self.variables.extend(std::env::vars());
        self
    }

    fn absolute(&self, path: &str) -> String {
        if path.starts_with('/') {
            path.to_string()
        } else {
            format!("{}/{}", self.working_dir.trim_end_matches('/'), path)
        }
    }
}

/// Which project to load out of the sources: the loader's choices other than the files.
#[derive(Clone, Debug, Default)]
pub struct ProjectOptions {
    /// Project name (default: `name:` in the file, else the folder name).
    pub name: Option<String>,
    /// Folder relative paths in the files are taken from (default: the first file's folder).
    pub directory: Option<String>,
    /// Variables files (default: `.env` in the project folder).
    pub env_files: Vec<String>,
    /// Profiles to enable (`*` for all).
    pub profiles: Vec<String>,
}

/// Every choice of a conversion; `Default` is `kubeferry convert` without flags.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The namespace of every object (`--namespace`): set here, once; [`Options::resolved`]
    /// hands it to the stages (a namespace set in one stage's options still applies
    /// everywhere, for embedders that set it there).
    pub namespace: Option<String>,
    /// How the project is loaded: files, variables, profiles, limits.
    pub project: ProjectOptions,
    /// Options of the lowering stage (controllers, volumes, GPUs, exposure, ...).
    pub lower: LowerOptions,
    /// Options of the hardening stage (level, resources, NetworkPolicies, ...).
    pub harden: HardenOptions,
    /// Which stage of a staged migration to emit (default: everything).
    pub stage: crate::plan::StageOptions,
    /// The lock file of image declarations (`--lock`, `--pin-digests`; docs/lock.md).
    pub lock: crate::lock::LockOptions,
}

impl Options {
    /// The options with every derived choice made: a namespace given in one place applies
    /// everywhere, and `ipc: host` follows the hardening level (hardening forbids hostIPC,
    /// so the shared memory it was for becomes a /dev/shm emptyDir). [`convert_with`]
    /// resolves once, so `Options::default()` is `kubeferry convert` without flags.
    pub fn resolved(&self) -> Options {
        let mut o = self.clone();
        let namespace = o
            .namespace
            .clone()
            .or_else(|| o.lower.namespace.clone())
            .or_else(|| o.harden.namespace.clone())
            .or_else(|| o.stage.namespace.clone());
        o.lower.namespace.clone_from(&namespace);
        o.harden.namespace.clone_from(&namespace);
        o.stage.namespace.clone_from(&namespace);
        o.namespace = namespace;
        // One target release for every stage: the lowering options carry it.
        o.harden.kube_version = o.lower.kube_version;
        if o.lower.ipc_host == IpcHost::Auto {
            o.lower.ipc_host = if o.harden.level == harden::Level::None {
                IpcHost::Keep
            } else {
                IpcHost::SharedMemory
            };
        }
        o
    }
}

/// A staged migration plan. This is the hook the staged conversion fills in: until then
/// [`Conversion::plan`] is always `None`.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The stages in the order they are applied.
    pub stages: Vec<Stage>,
}

/// One stage of a [`Plan`]: a name (a folder name in the Kustomize layout) and its objects.
#[derive(Clone, Debug)]
pub struct Stage {
    pub name: String,
    pub objects: Vec<Object>,
}

/// The result of a conversion.
#[derive(Debug)]
pub struct Conversion {
    /// The loaded Compose project (what `kubeferry config` prints).
    pub project: Project,
    /// The Kubernetes objects, in their fixed order (kind, then name).
    pub objects: Vec<Object>,
    /// Warnings from every stage, in pipeline order.
    pub diagnostics: Vec<Diagnostic>,
    /// The staged plan, when a staged conversion was asked for.
    pub plan: Option<Plan>,
    /// What the hardening pass added to each workload, and what it could not harden.
    pub report: harden::Report,
    /// Stage 1: the bridges to the services left on the Compose host.
    pub bridges: Vec<crate::plan::Bridge>,
    /// Stage 1: `compose.bridge.yaml`, the override that publishes the stay-behind ports.
    pub compose_override: Option<OutputFile>,
    /// Stage 2: bridge objects it does not replace, to delete after applying, as (kind, name).
    pub retire: Vec<(String, String)>,
    /// How long each stage took (`kubeferry convert --timings`, docs/performance.md).
    pub timings: StageTimes,
}

/// Wall-clock time of each stage of a conversion. Measured, never part of the output.
#[derive(Clone, Copy, Debug, Default)]
pub struct StageTimes {
    /// Loading the Compose files.
    pub load: Duration,
    /// Lowering to Kubernetes objects.
    pub lower: Duration,
    /// Hardening, the output checks included.
    pub harden: Duration,
}

impl Conversion {
    /// All objects as one YAML stream (`---` between documents), as `kubeferry convert` prints.
    pub fn to_yaml(&self) -> String {
        emit::render(&self.objects, Format::Yaml)
    }

    /// All objects as a JSON `v1` List.
    pub fn to_json(&self) -> String {
        emit::render(&self.objects, Format::Json)
    }

    /// The files of an output layout (paths relative to the output folder).
    pub fn files(&self, layout: Layout, format: Format) -> Vec<OutputFile> {
        // The Compose override of stage 1 is not a manifest: the caller writes it beside them.
        let parts = emit::Parts {
            objects: &self.objects,
            project_name: &self.project.name,
            stages: self
                .plan
                .iter()
                .flat_map(|p| &p.stages)
                .map(|s| emit::kustomize::Group {
                    folder: &s.name,
                    objects: &s.objects,
                })
                .collect(),
        };
        emit::layout(&parts, layout, format)
    }
}

/// Convert in-memory Compose sources.
pub fn convert(input: &Input, options: &Options) -> Result<Conversion, Failure> {
    let mut fs = MemoryFs::new();
    for (path, contents) in &input.files {
        fs.insert(input.absolute(path), contents.clone());
    }
    let load = LoadOptions {
        files: input.compose_files.clone(),
        environment: input.variables.clone(),
        working_dir: input.working_dir.clone(),
        ..LoadOptions::default()
    };
    convert_with(&load, &fs, options)
}

/// Convert with explicit loader options over any [`FileSystem`]. The files, variables and
/// working folder come from `load`; its project name, folder, env files and profiles are
/// replaced by `options.project` when set there.
///
/// A `kompose.*` label or `x-kubeferry` value kubeferry cannot use (C016) is a warning when
/// loading, as Docker Compose accepts any label and `config` prints what it prints; converting
/// without the setting would change the output the file asks for, so here it is an error.
fn bad_settings(warnings: Vec<Diagnostic>) -> Result<Vec<Diagnostic>, Failure> {
    let (bad, rest): (Vec<Diagnostic>, Vec<Diagnostic>) =
        warnings.into_iter().partition(|d| d.code == "C016");
    if bad.is_empty() {
        return Ok(rest);
    }
    let errors = bad.into_iter().map(|d| Diagnostic {
        severity: crate::diag::Severity::Error,
        message: d
            .message
            .strip_suffix(compose::SETTING_IGNORED)
            .unwrap_or(&d.message)
            .to_string(),
        ..d
    });
    Err(Failure(errors.chain(rest).collect()))
}

/// On failure the [`Failure`] holds the errors first, then the warnings found before them.
pub fn convert_with(
    load: &LoadOptions,
    fs: &dyn FileSystem,
    options: &Options,
) -> Result<Conversion, Failure> {
    let options = &options.resolved();
    let mut load = load.clone();
    let p = &options.project;
    if p.name.is_some() {
        load.project_name = p.name.clone();
    }
    if p.directory.is_some() {
        load.project_directory = p.directory.clone();
    }
    if !p.env_files.is_empty() {
        load.env_files = p.env_files.clone();
    }
    if !p.profiles.is_empty() {
        load.profiles = p.profiles.clone();
    }
    let start = Instant::now();
    let mut loaded = compose::load(&load, fs)?;
    let mut timings = StageTimes {
        load: start.elapsed(),
        ..StageTimes::default()
    };
    let mut diagnostics = bad_settings(loaded.warnings)?;
    let with_warnings =
        |f: Failure, w: &[Diagnostic]| Failure(f.0.into_iter().chain(w.iter().cloned()).collect());
    // What the images declare, from the lock file: offline, before anything is lowered.
    let applied =
        crate::lock::read_and_apply(&mut loaded.project, &options.lock, &load.working_dir, fs)
            .map_err(|e| with_warnings(Failure(vec![e]), &diagnostics))?;
    diagnostics.extend(applied.warnings);
    let harden_options = HardenOptions {
        image_users: applied.users,
        ..options.harden.clone()
    };
    let mut lowered = match lower::lower(&loaded.project, &options.lower, fs) {
        Ok(l) => l,
        Err(f) => return Err(with_warnings(f, &diagnostics)),
    };
    // Moved, not copied: a large project has thousands of warnings.
    diagnostics.append(&mut lowered.warnings);
    let mut objects = lowered.objects;
    timings.lower = start.elapsed() - timings.load;
    let report = match harden::apply(&mut objects, &lowered.sources, &harden_options) {
        Ok(h) => {
            diagnostics.extend(h.warnings);
            h.report
        }
        Err(f) => return Err(with_warnings(f, &diagnostics)),
    };
    // Nothing after hardening reads what lowering said about the objects.
    drop(lowered.sources);
    // Folders of the converting machine must not end up in manifests (E010 names them).
    let folders: Vec<String> = [
        Some(load.working_dir.clone()),
        Some(loaded.project.working_dir.clone()),
        load.environment.get("PWD").cloned(),
        // `/root` is also where images keep their own files (`/root/.cache`): not a sign.
        load.environment
            .get("HOME")
            .cloned()
            .filter(|h| h != "/root"),
    ]
    .into_iter()
    .flatten()
    .filter(|f| !f.is_empty() && f != "/")
    .collect();
    // Every object is checked before anything can be written: a failure is a bug report.
    match emit::inspect(&objects, &lowered.external, &folders) {
        Ok(w) => diagnostics.extend(w),
        Err(f) => return Err(with_warnings(f, &diagnostics)),
    }
    let stage = options.stage.stage;
    let staged = if stage == crate::plan::Stage::All {
        crate::plan::Staged {
            objects,
            ..Default::default()
        }
    } else {
        let cls = crate::plan::classify(&loaded.project, fs);
        match crate::plan::stage(&loaded.project, &cls, objects, &options.stage) {
            Ok(s) => s,
            Err(f) => return Err(with_warnings(f, &diagnostics)),
        }
    };
    diagnostics.retain(|d| !crate::plan::claims::superseded(d, &staged.kept_data));
    diagnostics.extend(staged.warnings.iter().cloned());
    // A staged conversion is one stage of the plan: the Kustomize layout gives it its folder.
    let plan = (stage != crate::plan::Stage::All).then(|| Plan {
        stages: vec![Stage {
            name: match stage {
                crate::plan::Stage::Stateless => "stage-1-stateless".into(),
                _ => "stage-2-stateful".into(),
            },
            objects: staged.objects.clone(),
        }],
    });
    timings.harden = start.elapsed() - timings.load - timings.lower;
    Ok(Conversion {
        project: loaded.project,
        objects: staged.objects,
        diagnostics,
        plan,
        report,
        bridges: staged.bridges,
        compose_override: staged.compose_override,
        retire: staged.retire,
        timings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n    environment:\n      GREETING: ${GREETING:-hi}\n";

    /// The namespace is given once, on `Options`, and every object lands in it (the
    /// hardening's Namespace object names it too).
    #[test]
    fn the_namespace_is_given_in_one_place() {
        let input = Input::new().compose_file("compose.yaml", COMPOSE);
        let options = Options {
            namespace: Some("team-a".into()),
            ..Options::default()
        };
        let c = convert(&input, &options).unwrap();
        let yaml = c.to_yaml();
        assert!(yaml.contains("kind: Namespace"), "{yaml}");
        for o in c.objects.iter().filter(|o| o.kind() != "Namespace") {
            let v = serde_json::to_value(o).unwrap();
            assert_eq!(
                v["metadata"]["namespace"],
                "team-a",
                "{} {}",
                o.kind(),
                o.name()
            );
        }
        let r = options.resolved();
        assert_eq!(
            [&r.lower.namespace, &r.harden.namespace, &r.stage.namespace],
            [&options.namespace; 3]
        );
    }

    #[test]
    fn converts_in_memory_sources_with_explicit_variables() {
        let input = Input::new()
            .compose_file("compose.yaml", COMPOSE)
            .variable("GREETING", "hello");
        let c = convert(&input, &Options::default()).unwrap();
        let kinds: Vec<_> = c.objects.iter().map(|o| (o.kind(), o.name())).collect();
        assert_eq!(
            kinds,
            [
                ("Service", "web"),
                ("Deployment", "web"),
                ("NetworkPolicy", "default-deny-ingress"),
                ("NetworkPolicy", "network-default"),
                ("NetworkPolicy", "web-published"),
            ]
        );
        assert!(c.to_yaml().contains("value: hello"));
        assert_eq!(c.project.name, "project");
        assert!(c.plan.is_none());
    }

    #[test]
    fn does_not_read_the_process_environment() {
        // HOME is set in any test process; it must not leak into interpolation.
        let compose =
            "services:\n  web:\n    image: nginx\n    environment:\n      H: ${HOME:-unset}\n";
        let c = convert(
            &Input::new().compose_file("compose.yaml", compose),
            &Options::default(),
        )
        .unwrap();
        assert!(c.to_yaml().contains("value: unset"), "{}", c.to_yaml());
    }

    #[test]
    fn deterministic() {
        let input = Input::new().compose_file("compose.yaml", COMPOSE);
        let a = convert(&input, &Options::default()).unwrap();
        let b = convert(&input, &Options::default()).unwrap();
        assert_eq!(a.to_yaml(), b.to_yaml());
        assert_eq!(a.to_json(), b.to_json());
    }

    #[test]
    fn failure_is_data() {
        let input = Input::new().compose_file("compose.yaml", "services: [");
        let f = convert(&input, &Options::default()).unwrap_err();
        assert_eq!(f.0[0].severity, crate::diag::Severity::Error);
        assert_eq!(f.0[0].location.file, "compose.yaml");
    }
}
