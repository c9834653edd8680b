//! The command line: clap arguments (low level) resolved once into the library's typed options
//! (high level), then the library called. Diagnostics are rendered here.

use crate::compose::{self, LoadOptions, RealFs};
use crate::diag::{Diagnostic, Failure, Severity};
use crate::emit;
use crate::harden::{self, HardenOptions, Level};
use crate::lower::{
    self, BindStrategy, Controller, DependencyWait, GpuApi, LowerOptions, SecretValues,
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{Read, Write};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "kubeferry",
    version,
    about = "Translate Docker Compose projects into Kubernetes manifests",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process; the size difference between the arguments does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Convert a Compose project into Kubernetes manifests
    #[command(
        after_help = "Examples:\n  kubeferry convert -f compose.yaml\n  kubeferry convert -f compose.yaml -f compose.gpu.yaml -o k8s/\n  kubeferry convert --profile gpu --harden restricted --namespace agents -o manifests.yaml"
    )]
    Convert(ConvertArgs),
    /// Print the loaded, resolved Compose model (as `docker compose config` does)
    #[command(
        after_help = "Examples:\n  kubeferry config -f compose.yaml --format json\n  kubeferry config --profile gpu"
    )]
    Config(ConfigArgs),
}

/// Which Compose files and variables to load.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Compose file(s), merged in order; `-` reads standard input
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<String>,
    /// Folder that relative paths are taken from (default: the first file's folder)
    #[arg(long, value_name = "DIR")]
    pub project_directory: Option<String>,
    /// Project name (default: `name:` in the file, else the folder name)
    #[arg(short = 'p', long, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Variables file(s) for interpolation (default: `.env` in the project folder)
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<String>,
    /// Enable services of this profile (repeatable; `*` enables all)
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Treat warnings as errors (exit 1)
    #[arg(long)]
    pub strict: bool,
    /// Largest Compose file (also `include`d and `extends` files) read, in bytes; suffixes k, m, g are 1024-based
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "64m")]
    pub max_file_size: usize,
    /// Deepest nesting of YAML sequences and mappings
    #[arg(long, value_name = "N", default_value_t = compose::Limits::default().max_depth)]
    pub max_depth: usize,
    /// Most YAML nodes that aliases may expand to in one file (the alias-bomb guard)
    #[arg(long, value_name = "N", default_value_t = compose::Limits::default().max_alias_nodes)]
    pub max_alias_nodes: usize,
}

/// `--max-file-size`: bytes, or a number with a 1024-based k, m or g suffix.
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase();
    let (digits, unit) = match t.as_bytes().last() {
        Some(b'k') => (&t[..t.len() - 1], 1usize << 10),
        Some(b'm') => (&t[..t.len() - 1], 1 << 20),
        Some(b'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (&t[..], 1),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| format!("`{s}` is not a size (bytes, or a number with k, m or g)"))
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write here: a folder (one file per object) or a .yaml/.json file; default standard output
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    pub out: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// Replace an output folder that kubeferry did not write
    #[arg(long)]
    pub force: bool,
    /// Hardening level
    #[arg(long, value_enum, default_value_t = HardenArg::Baseline)]
    pub harden: HardenArg,
    /// Workload kind for every long-running service
    #[arg(long, value_enum)]
    pub controller: Option<ControllerArg>,
    /// What bind-mounted host folders become
    #[arg(long = "volumes", value_enum, default_value_t = VolumesArg::EmptyDir)]
    pub volumes: VolumesArg,
    /// Size of PersistentVolumeClaims when the Compose file gives none
    #[arg(long, value_name = "SIZE", default_value = "1Gi")]
    pub pvc_request_size: String,
    /// storageClassName of PersistentVolumeClaims
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,
    /// Registry prefix for images of services that are built from source
    #[arg(long, value_name = "REGISTRY")]
    pub image_registry: Option<String>,
    /// Do not add init containers that wait for depends_on targets
    #[arg(long)]
    pub no_wait: bool,
    /// Image of the init container that waits for dependencies
    #[arg(long, value_name = "IMAGE", default_value = "busybox:1.36")]
    pub wait_image: String,
    /// How GPUs are requested
    #[arg(long, value_enum, default_value_t = GpuApiArg::DevicePlugin)]
    pub gpu_api: GpuApiArg,
    /// DRA device class for GPU claims
    #[arg(long, value_name = "CLASS", default_value = "gpu.nvidia.com")]
    pub gpu_device_class: String,
    /// GPUs given to a service that asks for all of them (device plugin)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub gpus_all: u32,
    /// Do not add a toleration for the GPU taint
    #[arg(long)]
    pub no_gpu_toleration: bool,
    /// Node selector for GPU pods
    #[arg(long, value_name = "KEY=VALUE")]
    pub gpu_node_selector: Option<String>,
    /// runtimeClassName for GPU pods
    #[arg(long, value_name = "NAME")]
    pub runtime_class: Option<String>,
    /// Namespace of every object
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Where the values of Compose `secrets` go: into Secret objects, or nowhere (pods
    /// reference Secrets you create; a warning names each Secret and key)
    #[arg(long, value_enum, default_value_t = SecretsArg::Inline)]
    pub secrets: SecretsArg,
    /// Print only errors
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HardenArg {
    None,
    Baseline,
    Restricted,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerArg {
    Deployment,
    Statefulset,
    Daemonset,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumesArg {
    #[value(name = "emptyDir")]
    EmptyDir,
    #[value(name = "persistentVolumeClaim")]
    PersistentVolumeClaim,
    #[value(name = "hostPath")]
    HostPath,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretsArg {
    Inline,
    External,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuApiArg {
    DevicePlugin,
    Dra,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// Run a parsed command line; the exit code is the only thing returned.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Config(args) => config(args),
        Command::Convert(args) => convert(args),
    }
}

fn load_options(input: &InputArgs) -> Result<(LoadOptions, RealFs), Failure> {
    let cwd = std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| ".".into());
    let mut fs = RealFs::default();
    if input.files.iter().any(|f| f == "-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| {
            Failure(vec![Diagnostic::error(
                "C020",
                crate::diag::Location::file("-"),
                format!("cannot read standard input: {e}"),
            )])
        })?;
        fs.stdin = Some(buf);
    }
    let opts = LoadOptions {
        files: input.files.clone(),
        project_directory: input.project_directory.clone(),
        project_name: input.project_name.clone(),
        env_files: input.env_files.clone(),
        profiles: input.profiles.clone(),
        environment: std::env::vars().collect(),
        working_dir: cwd,
        home: std::env::var("HOME").ok(),
        limits: compose::Limits {
            max_file_bytes: input.max_file_size,
            max_depth: input.max_depth,
            max_alias_nodes: input.max_alias_nodes,
        },
    };
    Ok((opts, fs))
}

fn report(diags: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{d}");
    }
}

fn fail(f: Failure) -> ExitCode {
    report(&f.0);
    ExitCode::from(1)
}

fn warnings_exit(warnings: &[Diagnostic], strict: bool) -> Option<ExitCode> {
    report(warnings);
    (strict && warnings.iter().any(|w| w.severity == Severity::Warning)).then(|| ExitCode::from(1))
}

fn config(args: ConfigArgs) -> ExitCode {
    let (opts, fs) = match load_options(&args.input) {
        Ok(x) => x,
        Err(f) => return fail(f),
    };
    let loaded = match compose::load(&opts, &fs) {
        Ok(l) => l,
        Err(f) => return fail(f),
    };
    if let Some(code) = warnings_exit(&loaded.warnings, args.input.strict) {
        return code;
    }
    let text = serde_json::to_value(&loaded.project).map(|mut v| {
        // Like `docker compose config`, print `$` as `$$` so the output reads back unchanged.
        escape_dollars(&mut v);
        match args.format {
            Format::Json => serde_json::to_string_pretty(&v).unwrap_or_default() + "\n",
            Format::Yaml => serde_yaml::to_string(&v).unwrap_or_default(),
        }
    });
    match text {
        Ok(t) => {
            let _ = std::io::stdout().lock().write_all(t.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot render the project: {e}");
            ExitCode::from(1)
        }
    }
}

fn escape_dollars(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        serde_json::Value::Array(a) => a.iter_mut().for_each(escape_dollars),
        serde_json::Value::Object(o) => o.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

/// Resolve the command line into the library's options (once, here).
fn lower_options(a: &ConvertArgs) -> Result<(LowerOptions, HardenOptions), String> {
    let gpu_node_selector = match &a.gpu_node_selector {
        Some(s) => Some(
            s.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("--gpu-node-selector `{s}` must be KEY=VALUE"))?,
        ),
        None => None,
    };
    // Values that go into objects as they are: refused here rather than by the output check.
    if let Some(ns) = a.namespace.as_deref().filter(|n| !emit::is_dns_label(n)) {
        return Err(format!(
            "--namespace `{ns}` is not a DNS-1123 label (lowercase letters, digits and `-`, at most 63)"
        ));
    }
    for (flag, v) in [
        ("--storage-class", &a.storage_class),
        ("--runtime-class", &a.runtime_class),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !emit::is_dns_subdomain(v)) {
            return Err(format!("{flag} `{v}` is not a DNS-1123 subdomain"));
        }
    }
    if let Some((k, v)) = &gpu_node_selector
        && !(emit::is_qualified_key(k) && emit::is_label_value(v))
    {
        return Err(format!(
            "--gpu-node-selector `{k}={v}` is not a label key and value"
        ));
    }
    if !emit::is_quantity(&a.pvc_request_size) {
        return Err(format!(
            "--pvc-request-size `{}` is not a Kubernetes quantity (e.g. 1Gi, 500Mi)",
            a.pvc_request_size
        ));
    }
    let lower = LowerOptions {
        controller: a.controller.map(|c| match c {
            ControllerArg::Deployment => Controller::Deployment,
            ControllerArg::Statefulset => Controller::StatefulSet,
            ControllerArg::Daemonset => Controller::DaemonSet,
        }),
        binds: match a.volumes {
            VolumesArg::EmptyDir => BindStrategy::EmptyDir,
            VolumesArg::PersistentVolumeClaim => BindStrategy::PersistentVolumeClaim,
            VolumesArg::HostPath => BindStrategy::HostPath,
        },
        pvc_size: a.pvc_request_size.clone(),
        storage_class: a.storage_class.clone(),
        image_registry: a.image_registry.clone(),
        dependencies: if a.no_wait {
            DependencyWait::Off
        } else {
            DependencyWait::InitContainer {
                image: a.wait_image.clone(),
            }
        },
        gpu_api: match a.gpu_api {
            GpuApiArg::DevicePlugin => GpuApi::DevicePlugin,
            GpuApiArg::Dra => GpuApi::Dra {
                device_class: a.gpu_device_class.clone(),
            },
        },
        gpus_all: a.gpus_all,
        gpu_toleration: !a.no_gpu_toleration,
        gpu_node_selector,
        runtime_class: a.runtime_class.clone(),
        namespace: a.namespace.clone(),
        secrets: match a.secrets {
            SecretsArg::Inline => SecretValues::Inline,
            SecretsArg::External => SecretValues::External,
        },
    };
    let harden = HardenOptions {
        level: match a.harden {
            HardenArg::None => Level::None,
            HardenArg::Baseline => Level::Baseline,
            HardenArg::Restricted => Level::Restricted,
        },
        ..HardenOptions::default()
    };
    Ok((lower, harden))
}

fn convert(args: ConvertArgs) -> ExitCode {
    let (lopts, hopts) = match lower_options(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (opts, fs) = match load_options(&args.input) {
        Ok(x) => x,
        Err(f) => return fail(f),
    };
    let loaded = match compose::load(&opts, &fs) {
        Ok(l) => l,
        Err(f) => return fail(f),
    };
    let mut warnings = loaded.warnings;
    let lowered = match lower::lower(&loaded.project, &lopts, &fs) {
        Ok(l) => l,
        Err(f) => {
            report(&warnings);
            return fail(f);
        }
    };
    warnings.extend(lowered.warnings);
    let external = lowered.external;
    let mut objects = lowered.objects;
    match harden::apply(&mut objects, &loaded.project, &hopts) {
        Ok(w) => warnings.extend(w),
        Err(f) => {
            report(&warnings);
            return fail(f);
        }
    }
    if let Err(f) = emit::check(&objects, &external) {
        report(&warnings);
        return fail(f);
    }
    let folders: Vec<String> = [
        Some(opts.working_dir.clone()),
        Some(loaded.project.working_dir.clone()),
        std::env::var("PWD").ok(),
        // `/root` is also where images keep their own files (`/root/.cache`): not a sign.
        std::env::var("HOME").ok().filter(|h| h != "/root"),
    ]
    .into_iter()
    .flatten()
    .collect();
    warnings.extend(emit::machine_paths(&objects, &folders));
    if !args.quiet {
        report(&warnings);
    }
    if args.input.strict && !warnings.is_empty() {
        eprintln!(
            "error: {} warning(s) and --strict: nothing written",
            warnings.len()
        );
        return ExitCode::from(1);
    }
    let format = match args.format {
        Format::Yaml => emit::Format::Yaml,
        Format::Json => emit::Format::Json,
    };
    let written = match &args.out {
        None => {
            let text = emit::render(&objects, format);
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string())
        }
        Some(path)
            if path.ends_with(".yaml") || path.ends_with(".yml") || path.ends_with(".json") =>
        {
            let text = emit::render(&objects, format);
            let tmp = format!("{path}.kubeferry-tmp");
            std::fs::write(&tmp, text)
                .and_then(|_| std::fs::rename(&tmp, path))
                .map_err(|e| {
                    // No half-written file is left behind.
                    let _ = std::fs::remove_file(&tmp);
                    format!("{path}: {e}")
                })
        }
        Some(dir) => {
            let files = emit::render_files(&objects, format);
            emit::write_dir(std::path::Path::new(dir), &files, args.force)
                .map_err(|e| e.to_string())
        }
    };
    if let Err(e) = written {
        eprintln!("error[E001]: cannot write the output: {e}");
        return ExitCode::from(1);
    }
    if !args.quiet {
        eprintln!(
            "kubeferry: {} services read, {} objects written, {} warnings",
            loaded.project.services.len(),
            objects.len(),
            warnings.len()
        );
    }
    ExitCode::SUCCESS
}
