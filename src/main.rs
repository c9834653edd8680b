//! The `kubeferry` command: its arguments (`cli.rs`, part of the binary, not of the library's
//! API) mapped onto the library's `Options`, and its diagnostics rendered.

// `cli.rs` names the library's stages as `crate::…`, as it did inside the library; the tests
// that drive fixtures through its flag mapping include it the same way
// (`tests/support/cli_crate.in`).
use kubeferry::{
    Conversion, Options, compose, convert_with, diag, emit, harden, lock, lower, plan, quantity,
    report,
};

mod cli;
use kubeferry::target;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
