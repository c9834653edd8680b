use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    kubeferry::cli::run(kubeferry::cli::Cli::parse())
}
