//! `completions`: a shell completion script, generated from the command line itself.

use super::{emit, AppError, Cli};
use clap::CommandFactory;
use std::io::Write;

/// Print a shell completion script, e.g. `tsp-payout completions bash >
/// ~/.local/share/bash-completion/completions/tsp-payout`.
#[derive(clap::Args)]
#[command(after_long_help = super::help::after(
    &[("tsp-payout completions bash > ~/.local/share/bash-completion/completions/tsp-payout", "install bash completions")],
    None,
))]
pub struct Args {
    /// The shell to complete for.
    shell: clap_complete::Shell,
}

/// Prints the completion script for the shell.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), AppError> {
    let mut text = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "tsp-payout", &mut text);
    emit(out, &String::from_utf8_lossy(&text))
}
