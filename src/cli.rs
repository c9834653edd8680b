//! The command line: clap arguments (low level) resolved once into the library's typed options
//! (high level), then the library called. Diagnostics are rendered here.

use crate::Options;
use crate::compose::{self, LoadOptions, RealFs};
use crate::diag::{Diagnostic, Failure, Location, Severity};
use crate::emit;
use crate::harden::{HardenOptions, Level, NetworkPolicies};
use crate::lower::{
    BindStrategy, Controller, DependencyWait, EnvFiles, GpuApi, IngressApi, IpcHost, LowerOptions,
    SecretValues,
};
use crate::plan::{self, ComposeHost, PlanOptions, Stage, StageOptions};
use crate::quantity::Quantity;
use crate::target::{Feature, KubeVersion};
use clap::{Args, Parser, Subcommand, ValueEnum};

// Spelled out so that the tests that include this file by path find it too.
#[path = "cli/kompose_flags.rs"]
pub mod kompose_flags;
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
        after_help = "Examples:\n  kubeferry convert -f compose.yaml\n  kubeferry convert -f compose.yaml -f compose.gpu.yaml -o k8s/\n  kubeferry convert --profile gpu --harden restricted --namespace agents -o manifests.yaml\n  kubeferry convert --layout kustomize -o deploy/    # then: kubectl apply -k deploy/base\n  kubeferry convert --layout helm -o chart/          # then: helm install app chart/\n  kubeferry convert --gpu-api dra --kube-version 1.34 --volumes persistentVolumeClaim -o k8s/\n  kubeferry convert --kube-version 1.35 --ingress-api gateway --gateway public.gateways -o k8s/\n  cat compose.yaml | kubeferry convert -f - --format json"
    )]
    Convert(ConvertArgs),
    /// Print the loaded, resolved Compose model (as `docker compose config` does)
    #[command(
        after_help = "Examples:\n  kubeferry config -f compose.yaml --format json\n  kubeferry config --profile gpu\n  kubeferry config -f compose.yaml -f compose.prod.yaml --env-file prod.env"
    )]
    Config(ConfigArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  kubeferry completions bash > /etc/bash_completion.d/kubeferry\n  kubeferry completions zsh > \"${fpath[1]}/_kubeferry\"\n  kubeferry completions fish > ~/.config/fish/completions/kubeferry.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the staged migration plan: stateless services first, stateful ones later
    #[command(
        after_help = "Examples:\n  kubeferry plan -f compose.yaml\n  kubeferry plan -f compose.yaml --compose-host 10.0.0.5 --format json"
    )]
    Plan(PlanArgs),
    /// Read what each image declares (user, ports, health check, volumes, digest) from its
    /// registry into a lock file that convert and plan read offline
    #[command(
        after_help = "Examples:\n  kubeferry lock -f compose.yaml\n  kubeferry lock --platform linux/arm64 -o arm64.lock\n  kubeferry lock --insecure-registry 127.0.0.1:5000"
    )]
    Lock(LockCommandArgs),
    /// Explain a warning or error code; without a code, list them all
    #[command(after_help = "Examples:\n  kubeferry explain H012\n  kubeferry explain | grep ^L0")]
    Explain(ExplainArgs),
}

/// The arguments of `lock`.
#[derive(Args, Debug)]
pub struct LockCommandArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the lock here (default: kubeferry.lock beside the first Compose file)
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<String>,
    /// The platform whose image is read from multi-platform tags
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub platform: String,
    /// A registry spoken to over plain HTTP (repeatable), as Docker's setting of that name
    #[arg(long = "insecure-registry", value_name = "HOST:PORT")]
    pub insecure_registries: Vec<String>,
}

/// The arguments of `explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The code, as printed in `warning[H012]`
    pub code: Option<String>,
}

/// The arguments of `plan`.
#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub bridge: BridgeArgs,
    /// Namespace the commands of the plan use
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = PlanFormat::Markdown)]
    pub format: PlanFormat,
}

/// Where the services left on the Compose host are reached from the cluster.
#[derive(Args, Debug, Clone)]
pub struct BridgeArgs {
    /// Address (IP or DNS name) of the Compose host, as the cluster's pods reach it
    #[arg(long, value_name = "HOST")]
    pub compose_host: Option<String>,
    /// Address the Compose override publishes the stay-behind services' ports on
    #[arg(long, value_name = "ADDRESS")]
    pub bridge_bind: Option<String>,
    /// Address the Compose host reaches the cluster on (the LoadBalancer address of the
    /// reverse bridges), for the `extra_hosts` of the services that stay behind
    #[arg(long, value_name = "ADDRESS")]
    pub cluster_host: Option<String>,
    /// Where stage 1 writes compose.bridge.yaml (default: beside the output folder)
    #[arg(long, value_name = "FILE")]
    pub bridge_file: Option<String>,
    /// The record of stage 1 (default: kubeferry-stage.json beside the output folder; `plan`
    /// reads ./kubeferry-stage.json)
    #[arg(long, value_name = "FILE")]
    pub state: Option<String>,
    /// Measured size of a stateful service's data claim: VOLUME=SIZE, BIND_SOURCE=SIZE or SERVICE=SIZE (repeatable)
    #[arg(long = "claim-size", value_name = "KEY=SIZE", value_parser = claim_size)]
    pub claim_sizes: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    Markdown,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageArg {
    /// Stage 1: stateless services, bridged to the stateful ones on the Compose host
    Stateless,
    /// Stage 2: the stateful services, replacing the bridges
    Stateful,
    /// Everything
    All,
}

/// The lock file of image declarations that `convert` and `plan` read (docs/lock.md).
#[derive(Args, Debug, Clone)]
pub struct LockArgs {
    /// Lock file of what the images declare (default: kubeferry.lock beside the first
    /// Compose file, when present); written by `kubeferry lock`
    #[arg(long = "lock", value_name = "FILE")]
    pub lock: Option<String>,
    /// Write each image as image@sha256:... with the digest from the lock file
    #[arg(long)]
    pub pin_digests: bool,
}

impl LockArgs {
    pub fn options(&self) -> crate::lock::LockOptions {
        crate::lock::LockOptions {
            file: self.lock.clone(),
            pin_digests: self.pin_digests,
        }
    }
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
    /// Keys the Compose schema does not know are warnings (C100), not errors (C017)
    #[arg(long)]
    pub lenient: bool,
    /// Print only errors
    #[arg(short, long)]
    pub quiet: bool,
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
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
    #[command(flatten)]
    pub lock: LockArgs,
    /// Write here: a folder (one file per object) or a .yaml/.json file; default standard output
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    pub out: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// How the output is laid out (default: `single` for standard output or a .yaml/.json
    /// file, `files` for a folder)
    #[arg(long, value_enum)]
    pub layout: Option<LayoutArg>,
    /// Replace an output folder that kubeferry did not write
    #[arg(long)]
    pub force: bool,
    /// Hardening level
    #[arg(long, value_enum, default_value_t = HardenArg::Baseline)]
    pub harden: HardenArg,
    /// NetworkPolicies: `isolate` (default-deny; Compose network members reach each other on
    /// every port; published and Ingress/LoadBalancer/NodePort ports open) or `none`
    #[arg(long, value_enum, default_value_t = NetworkPoliciesArg::Isolate)]
    pub network_policies: NetworkPoliciesArg,
    /// Workload kind for every long-running service (any case: Kompose's `daemonSet` too)
    #[arg(long, value_enum, ignore_case = true)]
    pub controller: Option<ControllerArg>,
    /// What bind-mounted host folders become
    #[arg(long = "volumes", value_enum, default_value_t = VolumesArg::EmptyDir)]
    pub volumes: VolumesArg,
    /// Where env_file values go: the container's env, or a ConfigMap per file read through
    /// envFrom (values set in `environment` stay in env and win either way)
    #[arg(long = "env-files-to", value_enum, default_value_t = EnvFilesArg::Env)]
    pub env_files_to: EnvFilesArg,
    /// Size of PersistentVolumeClaims when the Compose file gives none
    #[arg(long, value_name = "SIZE", default_value = "1Gi", value_parser = Quantity::non_negative)]
    pub pvc_request_size: Quantity,
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
    /// Kubernetes release the output is for, 1.25 to 1.37 (default 1.30, the oldest minor
    /// release managed clusters still run): decides native sidecars (1.29), DRA (1.34) and
    /// image volumes (1.35)
    #[arg(long, value_name = "X.Y", value_parser = KubeVersion::parse, default_value_t = KubeVersion::DEFAULT)]
    pub kube_version: KubeVersion,
    /// What exposes HTTP services: Ingress objects, or Gateway API HTTPRoute/GRPCRoute
    /// objects attached to the Gateway named by --gateway
    #[arg(long, value_enum, default_value_t = IngressApiArg::Ingress)]
    pub ingress_api: IngressApiArg,
    /// The Gateway routes attach to, NAME or NAME.NAMESPACE (with --ingress-api gateway)
    #[arg(long, value_name = "NAME[.NAMESPACE]")]
    pub gateway: Option<String>,
    /// How GPUs are requested
    #[arg(long, value_enum, default_value_t = GpuApiArg::DevicePlugin)]
    pub gpu_api: GpuApiArg,
    /// DRA device class for GPU claims (default: the vendor's, gpu.nvidia.com for NVIDIA)
    #[arg(long, value_name = "CLASS")]
    pub gpu_device_class: Option<String>,
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
    /// Model-server image each top-level `models:` entry runs as (Deployment + Service)
    #[arg(long, value_name = "IMAGE")]
    pub model_runner_image: Option<String>,
    /// Namespace of every object; hardening also emits it with its Pod Security label
    #[arg(short = 'n', long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// cpu request of containers whose Compose file gives none
    #[arg(long, value_name = "QUANTITY", default_value = "100m", value_parser = Quantity::non_negative)]
    pub default_cpu_request: Quantity,
    /// memory request of containers whose Compose file gives none
    #[arg(long, value_name = "QUANTITY", default_value = "128Mi", value_parser = Quantity::non_negative)]
    pub default_memory_request: Quantity,
    /// memory limit of containers that nothing else sizes (no Compose limit, no JVM heap);
    /// default: none, and warning H012 names them
    #[arg(long, value_name = "QUANTITY", value_parser = Quantity::non_negative)]
    pub default_memory_limit: Option<Quantity>,
    /// cpu limit of containers whose Compose file gives none (default: no cpu limit)
    #[arg(long, value_name = "QUANTITY", value_parser = Quantity::non_negative)]
    pub default_cpu_limit: Option<Quantity>,
    /// uid that restricted pods run as when the Compose file names no numeric user
    #[arg(long, value_name = "UID", default_value_t = 65532)]
    pub run_as_user: i64,
    /// Write the hardening report here: markdown (.md) or JSON (.json)
    #[arg(long, value_name = "FILE")]
    pub report: Option<String>,
    /// Which stage of a staged migration to emit
    #[arg(long, value_enum, default_value_t = StageArg::All)]
    pub stage: StageArg,
    #[command(flatten)]
    pub bridge: BridgeArgs,
    /// Where the values of Compose `secrets` go: into Secret objects, or nowhere (pods
    /// reference Secrets you create; a warning names each Secret and key)
    #[arg(long, value_enum, default_value_t = SecretsArg::Inline)]
    pub secrets: SecretsArg,
    /// Replica count of every Deployment and StatefulSet whose Compose file gives none
    #[arg(long, value_name = "N")]
    pub replicas: Option<u32>,
    #[command(flatten)]
    pub kompose: kompose_flags::KomposeArgs,
    /// Print the time each stage took to standard error (for benchmarks; not in --help)
    #[arg(long, hide = true)]
    pub timings: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HardenArg {
    None,
    Baseline,
    Restricted,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkPoliciesArg {
    Isolate,
    None,
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
pub enum EnvFilesArg {
    Env,
    #[value(name = "configmap")]
    ConfigMap,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretsArg {
    Inline,
    External,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IngressApiArg {
    Ingress,
    Gateway,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuApiArg {
    DevicePlugin,
    Dra,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutArg {
    /// One file per object
    Files,
    /// One stream
    Single,
    /// A Kustomize base (`base/kustomization.yaml`)
    Kustomize,
    /// A Helm chart (`Chart.yaml`, `values.yaml`, `templates/`)
    Helm,
}

impl From<LayoutArg> for emit::Layout {
    fn from(l: LayoutArg) -> Self {
        match l {
            LayoutArg::Files => emit::Layout::Files,
            LayoutArg::Single => emit::Layout::Single,
            LayoutArg::Kustomize => emit::Layout::Kustomize,
            LayoutArg::Helm => emit::Layout::Helm,
        }
    }
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
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "kubeferry", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Plan(args) => plan_command(args),
        Command::Lock(args) => lock_command(args),
        Command::Explain(args) => explain(args),
    }
}

fn explain(args: ExplainArgs) -> ExitCode {
    use crate::diag::codes;
    let line = |c: &codes::Code| format!("{}: {}\n", c.code, c.summary);
    let text = match args.code.as_deref() {
        None => codes::CODES.iter().map(line).collect(),
        Some(code) => match codes::explain(code) {
            Some(c) => line(c),
            None => {
                return usage(format!(
                    "`{code}` is not a kubeferry code (`kubeferry explain` lists them)"
                ));
            }
        },
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
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
        environment: std::env::vars().collect(),
        home: std::env::var("HOME").ok(),
        ..input_load_options(input, cwd)
    };
    Ok((opts, fs))
}

/// What the input flags tell the loader, run from `working_dir` with no environment (the
/// command line adds the process's; the tests' fixture driver, none).
pub fn input_load_options(input: &InputArgs, working_dir: String) -> LoadOptions {
    LoadOptions {
        files: input.files.clone(),
        project_directory: input.project_directory.clone(),
        project_name: input.project_name.clone(),
        env_files: input.env_files.clone(),
        profiles: input.profiles.clone(),
        environment: Default::default(),
        working_dir,
        home: None,
        limits: compose::Limits {
            max_file_bytes: input.max_file_size,
            max_depth: input.max_depth,
            max_alias_nodes: input.max_alias_nodes,
        },
        unknown_keys: if input.lenient {
            compose::UnknownKeys::Warn
        } else {
            compose::UnknownKeys::Error
        },
    }
}

/// Print diagnostics with their source lines; colour only on a terminal and without
/// `NO_COLOR` (https://no-color.org: any non-empty value).
fn report(diags: &[Diagnostic]) {
    use std::io::IsTerminal;
    let err = std::io::stderr();
    let color = err.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let read = |f: &str| std::fs::read_to_string(f).ok();
    let _ = err
        .lock()
        .write_all(crate::report::render_all(diags, &read, color).as_bytes());
}

/// A command-line error (a flag's value, a stage record): rendered as every diagnostic is,
/// with exit code 2 as clap's own argument errors.
fn usage(message: impl Into<String>) -> ExitCode {
    report(&[Diagnostic::error("A001", Location::default(), message)]);
    ExitCode::from(2)
}

/// An output that cannot be written: `E001` the manifests, `E002` the files beside them.
fn unwritten(code: &'static str, message: impl Into<String>) -> ExitCode {
    report(&[Diagnostic::error(code, Location::default(), message)]);
    ExitCode::from(1)
}

fn fail(f: Failure) -> ExitCode {
    report(&f.0);
    ExitCode::from(1)
}

fn warnings_exit(warnings: &[Diagnostic], strict: bool, quiet: bool) -> Option<ExitCode> {
    if !quiet {
        report(warnings);
    }
    (strict && warnings.iter().any(|w| w.severity == Severity::Warning)).then(|| ExitCode::from(1))
}

/// Load the project of `config`, `plan` and `lock`, its warnings reported; `Err` is the exit
/// code (errors, or warnings under --strict).
fn load_project(input: &InputArgs) -> Result<(compose::Loaded, LoadOptions, RealFs), ExitCode> {
    let (opts, fs) = load_options(input).map_err(fail)?;
    let loaded = compose::load(&opts, &fs).map_err(fail)?;
    match warnings_exit(&loaded.warnings, input.strict, input.quiet) {
        Some(code) => Err(code),
        None => Ok((loaded, opts, fs)),
    }
}

fn config(args: ConfigArgs) -> ExitCode {
    let loaded = match load_project(&args.input) {
        Ok((l, _, _)) => l,
        Err(code) => return code,
    };
    let text = serde_json::to_value(&loaded.project).map(|mut v| {
        // Like `docker compose config`, print `$` as `$$` so the output reads back unchanged.
        escape_dollars(&mut v);
        match args.format {
            Format::Json => serde_json::to_string_pretty(&v).unwrap_or_default() + "\n",
            Format::Yaml => emit::yaml::to_string(&v),
        }
    });
    match text {
        Ok(t) => {
            let _ = std::io::stdout().lock().write_all(t.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => unwritten("E001", format!("cannot render the project: {e}")),
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
fn compose_host(b: &BridgeArgs) -> Result<Option<ComposeHost>, String> {
    b.compose_host
        .as_deref()
        .map(ComposeHost::parse)
        .transpose()
}

/// `--claim-size KEY=SIZE`, checked at the flag: KEY a volume, a bind source or a service,
/// SIZE a quantity as every other quantity flag takes it.
fn claim_size(kv: &str) -> Result<String, String> {
    match kv.split_once('=') {
        Some((k, v)) if !k.is_empty() => Quantity::non_negative(v).map(|_| kv.to_string()),
        _ => Err(
            "must be KEY=SIZE (a volume, a bind source or a service, and a quantity such as 20Gi)"
                .into(),
        ),
    }
}

/// The measured sizes of `--claim-size` (stage 2 also reads them back from stage 1's record).
fn claim_sizes(b: &BridgeArgs) -> Result<plan::claims::Sizes, String> {
    b.claim_sizes
        .iter()
        .map(|kv| {
            claim_size(kv).map_err(|e| format!("--claim-size `{kv}`: {e}"))?;
            let (k, v) = kv.split_once('=').unwrap_or_default();
            Ok((k.into(), v.into()))
        })
        .collect()
}

fn stage_options(a: &ConvertArgs) -> Result<StageOptions, String> {
    let stage = match a.stage {
        StageArg::Stateless => Stage::Stateless,
        StageArg::Stateful => Stage::Stateful,
        StageArg::All => Stage::All,
    };
    let compose_host = compose_host(&a.bridge)?;
    if stage == Stage::Stateless && compose_host.is_none() {
        return Err(
            "--stage stateless needs --compose-host HOST (where the stateful services stay)".into(),
        );
    }
    Ok(StageOptions {
        stage,
        compose_host,
        bridge_bind: a.bridge.bridge_bind.clone(),
        namespace: None,
        sizes: claim_sizes(&a.bridge)?,
        storage_class: a.storage_class.clone(),
        cluster_host: a.bridge.cluster_host.clone(),
        compose_files: a.input.files.clone(),
        bridge_file: bridge_path(a).map(|p| p.to_string_lossy().into_owned()),
    })
}

/// Where stage 1 writes the override file: `--bridge-file`, else beside the output folder.
fn bridge_path(a: &ConvertArgs) -> Option<std::path::PathBuf> {
    match (&a.bridge.bridge_file, &a.out) {
        (Some(f), _) => Some(f.into()),
        (None, Some(out)) => Some(plan::state::beside(out).join(plan::override_file::FILE_NAME)),
        (None, None) => None,
    }
}

/// Where stage 1 records itself: `--state`, else beside the output folder.
fn state_path(bridge: &BridgeArgs, out: Option<&str>) -> Option<std::path::PathBuf> {
    match (&bridge.state, out) {
        (Some(f), _) => Some(f.into()),
        (None, Some(out)) => Some(plan::state::beside(out).join(plan::state::FILE_NAME)),
        (None, None) => None,
    }
}

fn absolute(p: &str) -> String {
    if p == "-" || p.starts_with('/') {
        return p.to_string();
    }
    std::env::current_dir()
        .map(|d| d.join(p).to_string_lossy().into_owned())
        .unwrap_or_else(|_| p.to_string())
}

/// What this command line says about the settings a staged migration keeps the same.
fn stage_state(
    input: &InputArgs,
    bridge: &BridgeArgs,
    namespace: Option<&str>,
) -> plan::state::StageState {
    plan::state::StageState {
        kubeferry: env!("CARGO_PKG_VERSION").into(),
        files: input.files.iter().map(|f| absolute(f)).collect(),
        env_files: input.env_files.iter().map(|f| absolute(f)).collect(),
        profiles: input.profiles.clone(),
        project_name: input.project_name.clone(),
        project_directory: input.project_directory.as_deref().map(absolute),
        namespace: namespace.map(str::to_string),
        compose_host: bridge.compose_host.clone(),
        bridge_bind: bridge.bridge_bind.clone(),
        cluster_host: bridge.cluster_host.clone(),
        claim_sizes: bridge.claim_sizes.clone(),
        ..Default::default()
    }
}

/// Complete a command line from the stage-1 record: what it leaves out is taken from there;
/// what it gives must agree.
fn complete_from(
    recorded: &plan::state::StageState,
    input: &mut InputArgs,
    bridge: &mut BridgeArgs,
    namespace: &mut Option<String>,
) -> Result<(), String> {
    let given = stage_state(input, bridge, namespace.as_deref());
    let diff = recorded.differences(&given);
    if !diff.is_empty() {
        return Err(format!(
            "this command differs from stage 1 as recorded: {} (repeat stage 1's settings, or give another record with --state)",
            diff.join("; ")
        ));
    }
    let fill = |v: &mut Vec<String>, r: &[String]| {
        if v.is_empty() {
            *v = r.to_vec();
        }
    };
    fill(&mut input.files, &recorded.files);
    fill(&mut input.env_files, &recorded.env_files);
    fill(&mut input.profiles, &recorded.profiles);
    fill(&mut bridge.claim_sizes, &recorded.claim_sizes);
    input.project_name = input.project_name.take().or(recorded.project_name.clone());
    input.project_directory = input
        .project_directory
        .take()
        .or(recorded.project_directory.clone());
    *namespace = namespace.take().or(recorded.namespace.clone());
    bridge.compose_host = bridge.compose_host.take().or(recorded.compose_host.clone());
    bridge.bridge_bind = bridge.bridge_bind.take().or(recorded.bridge_bind.clone());
    bridge.cluster_host = bridge.cluster_host.take().or(recorded.cluster_host.clone());
    Ok(())
}

fn read_state(path: &std::path::Path) -> Result<plan::state::StageState, String> {
    std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| plan::state::StageState::from_json(&t))
        .map_err(|e| format!("cannot read the stage-1 record {}: {e}", path.display()))
}

/// The input flags as given, for the commands the plan prints.
fn input_flags(input: &InputArgs) -> Vec<String> {
    let mut out = Vec::new();
    for f in &input.files {
        out.extend(["-f".to_string(), f.clone()]);
    }
    if let Some(d) = &input.project_directory {
        out.extend(["--project-directory".to_string(), d.clone()]);
    }
    if let Some(p) = &input.project_name {
        out.extend(["-p".to_string(), p.clone()]);
    }
    for f in &input.env_files {
        out.extend(["--env-file".to_string(), f.clone()]);
    }
    for p in &input.profiles {
        out.extend(["--profile".to_string(), p.clone()]);
    }
    out
}

fn plan_command(mut args: PlanArgs) -> ExitCode {
    // After stage 1, its record completes the plan's settings.
    let state = args.bridge.state.clone().or_else(|| {
        std::path::Path::new(plan::state::FILE_NAME)
            .exists()
            .then(|| plan::state::FILE_NAME.to_string())
    });
    if let Some(path) = &state {
        let done = read_state(std::path::Path::new(path)).and_then(|r| {
            complete_from(&r, &mut args.input, &mut args.bridge, &mut args.namespace)
        });
        if let Err(e) = done {
            return usage(e);
        }
    }
    let opts =
        match compose_host(&args.bridge).and_then(|h| claim_sizes(&args.bridge).map(|s| (h, s))) {
            Ok((compose_host, sizes)) => PlanOptions {
                compose_host,
                bridge_bind: args.bridge.bridge_bind.clone(),
                namespace: args.namespace.clone(),
                sizes,
                cluster_host: args.bridge.cluster_host.clone(),
                input_flags: input_flags(&args.input),
                compose_files: args.input.files.clone(),
                bridge_file: args.bridge.bridge_file.clone(),
                state_file: state.clone(),
            },
            Err(e) => {
                return usage(e);
            }
        };
    let (mut loaded, lopts, fs) = match load_project(&args.input) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match crate::lock::read_and_apply(
        &mut loaded.project,
        &args.lock.options(),
        &lopts.working_dir,
        &fs,
    ) {
        Ok(a) => {
            if let Some(code) = warnings_exit(&a.warnings, args.input.strict, args.input.quiet) {
                return code;
            }
        }
        Err(e) => return fail(Failure(vec![e])),
    }
    let p = plan::plan(&loaded.project, &fs, &opts);
    report(&p.warnings);
    let text = match args.format {
        PlanFormat::Markdown => plan::markdown(&p),
        PlanFormat::Json => serde_json::to_string_pretty(&p).unwrap_or_default() + "\n",
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

/// `kubeferry lock`: credentials from the Docker client configuration, images from their
/// registries, the lock file written (also when some images failed: those are errors).
fn lock_command(args: LockCommandArgs) -> ExitCode {
    use crate::lock::{Client, DockerConfig, Platform, Settings};
    let platform = match Platform::parse(&args.platform) {
        Ok(p) => p,
        Err(e) => return usage(format!("--platform {e}")),
    };
    let (loaded, lopts, _) = match load_project(&args.input) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let config_dir = std::env::var("DOCKER_CONFIG")
        .ok()
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.docker")));
    let docker = match config_dir.map(|d| std::fs::read_to_string(format!("{d}/config.json"))) {
        Some(Ok(text)) => DockerConfig::parse(&text),
        _ => Ok(DockerConfig::default()),
    };
    let docker = match docker {
        Ok(d) => d,
        Err(e) => return usage(e.to_string()),
    };
    let credentials = |registry: &str| docker.credentials(registry);
    let mut settings = Settings::new(platform);
    settings.insecure = args.insecure_registries.clone();
    let mut client = Client::new(settings, &credentials);
    let locked = crate::lock::lock_project(&loaded.project, &mut client);
    if !args.input.quiet {
        for n in &locked.notes {
            eprintln!("note: {n}");
        }
    }
    report(&locked.errors);
    let path = args
        .out
        .clone()
        .unwrap_or_else(|| crate::lock::default_path(&loaded.project, &lopts.working_dir));
    if let Err(e) = std::fs::write(&path, crate::lock::render(&locked.lock)) {
        return unwritten("E002", format!("cannot write the lock file {path}: {e}"));
    }
    if !args.input.quiet {
        eprintln!(
            "wrote {path}: {} image(s){}",
            locked.lock.images.len(),
            if locked.errors.is_empty() {
                String::new()
            } else {
                format!(", {} could not be read", locked.errors.len())
            }
        );
    }
    if locked.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The library's `Options` for `convert`'s flags: each flag mapped to its field, nothing
/// resolved here (the library resolves once, in `Options::resolved`).
pub fn options(a: &ConvertArgs) -> Result<Options, String> {
    let (lower, harden) = lower_options(a)?;
    Ok(Options {
        namespace: a.namespace.clone(),
        lower,
        harden,
        stage: stage_options(a)?,
        lock: a.lock.options(),
        ..Options::default()
    })
}

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
    if a.gpu_api == GpuApiArg::Dra && !a.kube_version.has(Feature::DynamicResourceAllocation) {
        return Err(format!(
            "--gpu-api dra needs resource.k8s.io/v1, which Kubernetes {} lacks (it has it from {}); raise --kube-version or use --gpu-api device-plugin",
            a.kube_version,
            Feature::DynamicResourceAllocation.since()
        ));
    }
    let ingress_api = match (a.ingress_api, a.gateway.as_deref()) {
        (IngressApiArg::Ingress, None) => IngressApi::Ingress,
        (IngressApiArg::Ingress, Some(_)) => {
            return Err("--gateway applies to --ingress-api gateway".into());
        }
        (IngressApiArg::Gateway, None) => {
            return Err("--ingress-api gateway needs the Gateway the routes attach to: --gateway NAME[.NAMESPACE]".into());
        }
        (IngressApiArg::Gateway, Some(g)) => {
            let (name, namespace) = match g.split_once('.') {
                Some((n, ns)) => (n, Some(ns)),
                None => (g, None),
            };
            if !emit::is_dns_subdomain(name) || namespace.is_some_and(|ns| !emit::is_dns_label(ns))
            {
                return Err(format!(
                    "--gateway `{g}` is not NAME or NAME.NAMESPACE (DNS names)"
                ));
            }
            IngressApi::Gateway {
                name: name.to_string(),
                namespace: namespace.map(str::to_string),
            }
        }
    };
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
        env_files: match a.env_files_to {
            EnvFilesArg::Env => EnvFiles::Inline,
            EnvFilesArg::ConfigMap => EnvFiles::ConfigMap,
        },
        pvc_size: a.pvc_request_size.to_string(),
        replicas: a.replicas,
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
        // Resolved from the hardening level by the library (`Options::resolved`).
        ipc_host: IpcHost::Auto,
        model_runner_image: a.model_runner_image.clone(),
        // Set once, on `Options` (`convert`); the library hands it to every stage.
        namespace: None,
        secrets: match a.secrets {
            SecretsArg::Inline => SecretValues::Inline,
            SecretsArg::External => SecretValues::External,
        },
        kube_version: a.kube_version,
        ingress_api,
    };
    if a.run_as_user <= 0 {
        return Err(format!(
            "--run-as-user {} must be a non-root uid",
            a.run_as_user
        ));
    }
    if let Some(r) = &a.report
        && !(r.ends_with(".md") || r.ends_with(".json"))
    {
        return Err(format!("--report `{r}` must end in .md or .json"));
    }
    let harden = HardenOptions {
        level: match a.harden {
            HardenArg::None => Level::None,
            HardenArg::Baseline => Level::Baseline,
            HardenArg::Restricted => Level::Restricted,
        },
        // Parsed by clap with the one quantity grammar: `1G` is 10^9 bytes everywhere.
        cpu_request: a.default_cpu_request.clone(),
        memory_request: a.default_memory_request.clone(),
        memory_limit: a.default_memory_limit.clone(),
        cpu_limit: a.default_cpu_limit.clone(),
        default_uid: a.run_as_user,
        namespace: None,
        network_policies: match a.network_policies {
            NetworkPoliciesArg::Isolate => NetworkPolicies::Isolate,
            NetworkPoliciesArg::None => NetworkPolicies::None,
        },
        kube_version: a.kube_version,
        ..HardenOptions::default()
    };
    Ok((lower, harden))
}

fn convert(mut args: ConvertArgs) -> ExitCode {
    if let Err(f) = kompose_flags::apply(&mut args) {
        report(&f.0);
        return ExitCode::from(2);
    }
    // Stage 2 repeats stage 1's settings, as recorded beside stage 1's output.
    if args.stage == StageArg::Stateful
        && let Some(path) = state_path(&args.bridge, args.out.as_deref())
            .filter(|p| args.bridge.state.is_some() || p.exists())
    {
        let done = read_state(&path).and_then(|r| {
            complete_from(&r, &mut args.input, &mut args.bridge, &mut args.namespace)
        });
        if let Err(e) = done {
            return usage(e);
        }
    }
    let options = match options(&args) {
        Ok(o) => o,
        Err(e) => return usage(e),
    };
    let format = match args.format {
        Format::Yaml => emit::Format::Yaml,
        Format::Json => emit::Format::Json,
    };
    let is_file = |p: &str| p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json");
    let layout = match (args.layout, args.out.as_deref()) {
        (Some(l), _) => l.into(),
        (None, Some(p)) if !is_file(p) => emit::Layout::Files,
        (None, _) => emit::Layout::Single,
    };
    if layout != emit::Layout::Single && args.out.is_none() {
        return usage(format!(
            "--layout {} writes a folder: give it with -o DIR",
            layout_name(layout)
        ));
    }
    if layout == emit::Layout::Helm && format == emit::Format::Json {
        return usage("a Helm chart is YAML: --format json does not apply to --layout helm");
    }
    let (opts, fs) = match load_options(&args.input) {
        Ok(x) => x,
        Err(f) => return fail(f),
    };
    let namespace = args.namespace.clone();
    let conversion = match crate::convert_with(&opts, &fs, &options) {
        Ok(c) => c,
        Err(f) => return fail(f),
    };
    let reporting = std::time::Instant::now();
    let warnings = &conversion.diagnostics;
    if !args.input.quiet {
        report(warnings);
    }
    let reporting = reporting.elapsed();
    if args.input.strict && !warnings.is_empty() {
        report(&[Diagnostic::error(
            "A002",
            Location::default(),
            format!(
                "{} warning(s) and --strict: nothing written",
                warnings.len()
            ),
        )]);
        return ExitCode::from(1);
    }
    // The report goes to a temporary file first, so a bad path fails before any output.
    let report_tmp = match &args.report {
        Some(path) => {
            let text = if path.ends_with(".json") {
                emit::report_json(&conversion.report)
            } else {
                emit::report_markdown(&conversion.report)
            };
            let tmp = format!("{path}.kubeferry-tmp");
            if let Err(e) = std::fs::write(&tmp, text) {
                return unwritten("E002", format!("cannot write the report {path}: {e}"));
            }
            Some((tmp, path.clone()))
        }
        None => None,
    };
    let bridge_file = bridge_path(&args);
    if conversion.compose_override.is_some() && bridge_file.is_none() {
        return unwritten(
            "E002",
            format!(
                "stage 1 writes {} beside the manifests: give an output folder with -o DIR, or the file with --bridge-file",
                plan::override_file::FILE_NAME
            ),
        );
    }
    let emitting = std::time::Instant::now();
    let written = match (&args.out, layout) {
        (None, _) => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            emit::render_to(&conversion.objects, format, &mut out)
                .and_then(|_| out.flush())
                .map_err(|e| e.to_string())
        }
        (Some(path), emit::Layout::Single) => {
            emit::write_file(std::path::Path::new(path), &conversion.objects, format)
                .map_err(|e| format!("{path}: {e}"))
        }
        (Some(dir), layout) => {
            let files = conversion.files(layout, format);
            emit::write_dir(std::path::Path::new(dir), &files, args.force)
                .map_err(|e| e.to_string())
        }
    };
    if let Err(e) = written {
        if let Some((tmp, _)) = &report_tmp {
            let _ = std::fs::remove_file(tmp);
        }
        return unwritten("E001", format!("cannot write the output: {e}"));
    }
    if let Some((tmp, path)) = &report_tmp
        && let Err(e) = std::fs::rename(tmp, path)
    {
        return unwritten("E002", format!("cannot write the report {path}: {e}"));
    }
    if let Err(e) = write_stage_files(&args, &conversion, bridge_file.as_deref()) {
        return unwritten("E002", e);
    }
    if args.timings {
        let t = conversion.timings;
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "kubeferry timings: load {:.1} ms, lower {:.1} ms, harden {:.1} ms, warnings {:.1} ms, emit {:.1} ms",
            ms(t.load),
            ms(t.lower),
            ms(t.harden),
            ms(reporting),
            ms(emitting.elapsed())
        );
    }
    if !args.input.quiet {
        eprintln!(
            "kubeferry: {} services read, {} objects written, {} warnings",
            conversion.project.service_names().len(),
            conversion.objects.len(),
            warnings.len()
        );
    }
    // Not hidden by -q: this is what to do next, not a warning.
    if !conversion.retire.is_empty() {
        let list: Vec<String> = conversion
            .retire
            .iter()
            .map(|(k, n)| format!("{}/{n}", k.to_ascii_lowercase()))
            .collect();
        let ns = namespace
            .as_deref()
            .map(|n| format!(" -n {n}"))
            .unwrap_or_default();
        eprintln!(
            "kubeferry: after applying stage 2, delete the bridges it does not replace: kubectl{ns} delete --ignore-not-found {}",
            list.join(" ")
        );
    }
    // The process ends here: the OS takes the memory back at once, where dropping the
    // conversion would free its hundreds of thousands of allocations one by one.
    std::mem::forget(conversion);
    ExitCode::SUCCESS
}

/// Stage 1: the override file and the record of the stage, beside the output folder; then
/// what to run on the Compose host (printed even with -q).
fn write_stage_files(
    args: &ConvertArgs,
    conversion: &crate::Conversion,
    bridge_file: Option<&std::path::Path>,
) -> Result<(), String> {
    if args.stage != StageArg::Stateless {
        return Ok(());
    }
    let mut record = stage_state(&args.input, &args.bridge, args.namespace.as_deref());
    record.project = conversion.project.name().to_string();
    record.compose_files = if args.input.files.is_empty() {
        plan::compose_files(&conversion.project)
    } else {
        args.input.files.clone()
    };
    if let (Some(o), Some(path)) = (&conversion.compose_override, bridge_file) {
        std::fs::write(path, &o.contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        record.bridge_file = Some(absolute(&path.to_string_lossy()));
        if let Some(usage) = o
            .contents
            .lines()
            .find(|l| l.starts_with("#   docker compose"))
        {
            eprintln!(
                "kubeferry: wrote {}; on the Compose host run:{}",
                path.display(),
                usage.trim_start_matches('#')
            );
        }
    }
    if let Some(path) = state_path(&args.bridge, args.out.as_deref()) {
        std::fs::write(&path, record.to_json())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn layout_name(l: emit::Layout) -> &'static str {
    match l {
        emit::Layout::Files => "files",
        emit::Layout::Single => "single",
        emit::Layout::Kustomize => "kustomize",
        emit::Layout::Helm => "helm",
    }
}
