//! Kompose's spellings of `convert` flags (Kompose 1.38, `cmd/convert.go` and `cmd/root.go`),
//! hidden from `--help`: [`apply`] turns each into kubeferry's own flag, or refuses it with a
//! sentence that says why and what to do instead. docs/kompose-users.md lists every one, and
//! tests/kompose_flags.rs runs that table through the parser.

use super::{ControllerArg, ConvertArgs, Format, LayoutArg, VolumesArg};
use crate::diag::{Diagnostic, Failure, Location};
use clap::Args;

/// Kompose flags kubeferry does not list. A flag that takes a value takes any, so that the
/// refusal, not clap, explains.
#[derive(Args, Debug, Default, Clone, PartialEq, Eq)]
pub struct KomposeArgs {
    /// Kompose `-j/--json`: `--format json`
    #[arg(short = 'j', long = "json", hide = true)]
    json: bool,
    /// Kompose `-y/--yaml`: YAML is the default
    #[arg(short = 'y', long = "yaml", hide = true)]
    yaml: bool,
    /// Kompose `--stdout`: standard output is the default without `-o`
    #[arg(long, hide = true)]
    stdout: bool,
    /// Kompose `-c/--chart`: `--layout helm`
    #[arg(short = 'c', long = "chart", hide = true)]
    chart: bool,
    /// Kompose `-d/--deployment`: `--controller deployment`
    #[arg(short = 'd', long = "deployment", hide = true)]
    deployment: bool,
    /// Kompose `--daemon-set`: `--controller daemonset`
    #[arg(long = "daemon-set", hide = true)]
    daemon_set: bool,
    /// Kompose `--emptyvols`: `--volumes emptyDir`
    #[arg(long, hide = true)]
    emptyvols: bool,
    /// Kompose `--error-on-warning`: `--strict`
    #[arg(long = "error-on-warning", hide = true)]
    error_on_warning: bool,
    /// Kompose `--suppress-warnings`: `-q`
    #[arg(long = "suppress-warnings", hide = true)]
    suppress_warnings: bool,
    /// Kompose `-v/--verbose`: kubeferry prints every warning already
    #[arg(short = 'v', long = "verbose", hide = true)]
    verbose: bool,
    /// Kompose `--secrets-as-files`: the default
    #[arg(long = "secrets-as-files", hide = true)]
    secrets_as_files: bool,
    /// Kompose `--generate-network-policies`: the default (`--network-policies isolate`)
    #[arg(long = "generate-network-policies", hide = true)]
    generate_network_policies: bool,
    /// Kompose `--with-kompose-annotation[=false]`: kubeferry writes no such annotation
    #[arg(long = "with-kompose-annotation", hide = true, num_args = 0..=1, default_missing_value = "true")]
    with_kompose_annotation: Option<String>,
    /// Kompose `--indent N`: 2 is what kubeferry writes
    #[arg(long, hide = true)]
    indent: Option<String>,
    /// Kompose `--provider kubernetes|openshift`
    #[arg(long, hide = true)]
    provider: Option<String>,
    /// Refused: see [`REFUSED`].
    #[arg(long = "build", hide = true)]
    build: Option<String>,
    #[arg(long = "push-image", hide = true, num_args = 0..=1, default_missing_value = "true")]
    push_image: Option<String>,
    #[arg(long = "build-command", hide = true)]
    build_command: Option<String>,
    #[arg(long = "push-command", hide = true)]
    push_command: Option<String>,
    #[arg(long = "push-image-registry", hide = true)]
    push_image_registry: Option<String>,
    #[arg(long = "build-repo", hide = true)]
    build_repo: Option<String>,
    #[arg(long = "build-branch", hide = true)]
    build_branch: Option<String>,
    #[arg(long = "insecure-repository", hide = true, num_args = 0..=1, default_missing_value = "true")]
    insecure_repository: Option<String>,
    #[arg(long = "deployment-config", hide = true, num_args = 0..=1, default_missing_value = "true")]
    deployment_config: Option<String>,
    #[arg(long = "replication-controller", hide = true)]
    replication_controller: bool,
    #[arg(long = "multiple-container-mode", hide = true)]
    multiple_container_mode: bool,
    #[arg(long = "service-group-mode", hide = true)]
    service_group_mode: Option<String>,
    #[arg(long = "service-group-name", hide = true)]
    service_group_name: Option<String>,
    #[arg(long = "no-interpolate", hide = true)]
    no_interpolate: bool,
}

const BUILD: &str = "kubeferry converts; it does not build or push images: build and push them with `docker compose build` and `docker compose push` (or your CI), and give `--image-registry` for services that only have `build:`";
const OPENSHIFT: &str = "kubeferry writes Kubernetes objects only, which OpenShift runs as they are; it makes no DeploymentConfig, BuildConfig or ImageStream: drop `--provider openshift`";

/// Kompose's flag and why kubeferry refuses it, for each refused flag that is set.
fn refused(k: &KomposeArgs) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut check = |set: bool, flag: &'static str, why: &str| {
        if set {
            out.push((flag, why.to_string()));
        }
    };
    check(
        k.provider
            .as_deref()
            .is_some_and(|p| !p.eq_ignore_ascii_case("kubernetes")),
        "--provider",
        OPENSHIFT,
    );
    check(
        k.build.as_deref().is_some_and(|b| b != "none"),
        "--build",
        BUILD,
    );
    check(
        k.push_image.as_deref().is_some_and(|v| v != "false"),
        "--push-image",
        BUILD,
    );
    for (v, flag) in [
        (&k.build_command, "--build-command"),
        (&k.push_command, "--push-command"),
        (&k.push_image_registry, "--push-image-registry"),
    ] {
        check(v.is_some(), flag, BUILD);
    }
    for (set, flag) in [
        (k.build_repo.is_some(), "--build-repo"),
        (k.build_branch.is_some(), "--build-branch"),
        (k.insecure_repository.is_some(), "--insecure-repository"),
        (k.deployment_config.is_some(), "--deployment-config"),
    ] {
        check(set, flag, OPENSHIFT);
    }
    check(
        k.replication_controller,
        "--replication-controller",
        "ReplicationControllers are superseded by Deployments: use `--controller deployment` (the default)",
    );
    let group = "kubeferry puts containers in one pod when Compose says they share a network namespace: write `network_mode: service:NAME` on the services that belong with NAME";
    check(
        k.multiple_container_mode,
        "--multiple-container-mode",
        group,
    );
    check(
        k.service_group_mode.is_some(),
        "--service-group-mode",
        group,
    );
    check(
        k.service_group_name.is_some(),
        "--service-group-name",
        group,
    );
    check(
        k.no_interpolate,
        "--no-interpolate",
        "kubeferry interpolates `${VAR}` exactly as Docker Compose does, so the output is what Compose runs; write `$${VAR}` in the file for a literal `${VAR}`",
    );
    check(
        k.indent.as_deref().is_some_and(|i| i != "2"),
        "--indent",
        "kubeferry always indents by 2 spaces (the only width kubectl and Helm users see in its output): drop `--indent`",
    );
    out
}

/// Turn the Kompose spellings in `a.kompose` into kubeferry's flags; `Err` with an `A003`
/// error per refused flag, saying why. Afterwards `a.kompose` is empty, so `a` is what
/// kubeferry's own flags would have given.
pub fn apply(a: &mut ConvertArgs) -> Result<(), Failure> {
    let error = |message: String| Diagnostic::error("A003", Location::default(), message);
    let k = std::mem::take(&mut a.kompose);
    let refused = refused(&k);
    if !refused.is_empty() {
        return Err(Failure(
            refused
                .iter()
                .map(|(flag, why)| {
                    error(format!("{flag} (a Kompose flag) is not supported: {why}"))
                })
                .collect(),
        ));
    }
    let conflict = |message: &str| Err(Failure(vec![error(message.into())]));
    if k.json {
        if k.yaml {
            return conflict("-j/--json and -y/--yaml ask for different formats: give one");
        }
        a.format = Format::Json;
    }
    if k.stdout && a.out.is_some() {
        return conflict("--stdout and -o both say where to write: give one");
    }
    if k.chart {
        a.layout = Some(LayoutArg::Helm);
    }
    let controllers = [
        (k.deployment, ControllerArg::Deployment),
        (k.daemon_set, ControllerArg::Daemonset),
    ];
    for (set, c) in controllers {
        if set {
            if a.controller.is_some_and(|x| x != c) {
                return conflict(
                    "-d/--deployment, --daemon-set and --controller ask for different controllers: give one",
                );
            }
            a.controller = Some(c);
        }
    }
    if k.emptyvols {
        a.volumes = VolumesArg::EmptyDir;
    }
    a.input.strict |= k.error_on_warning;
    a.input.quiet |= k.suppress_warnings;
    Ok(())
}
