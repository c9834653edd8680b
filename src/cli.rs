//! The command line: clap arguments (low level) resolved once into the library's typed options
//! (high level), then the library called. Diagnostics are rendered here.

use crate::compose::{self, LoadOptions, RealFs};
use crate::diag::{Diagnostic, Failure, Severity};
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

#[derive(Subcommand, Debug)]
pub enum Command {
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
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
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
        limits: compose::Limits::default(),
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
