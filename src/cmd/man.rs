//! `man`: the manual pages, generated from the command line itself.

use super::{emit, AppError, Cli};
use clap::CommandFactory;
use std::io::Write;
use std::path::PathBuf;

/// Print the manual page (roff), e.g. `tsp-payout man > tsp-payout.1 && man ./tsp-payout.1`;
/// with --dir, write it and one page per command (tsp-payout-calc.1, …) into DIR.
#[derive(clap::Args)]
#[command(after_long_help = super::help::after(
    &[
        ("tsp-payout man | man -l -", "read the manual page"),
        ("tsp-payout man --dir /usr/local/share/man/man1", "one page per command"),
    ],
    None,
))]
pub struct Args {
    /// Directory to write every page into (created if missing).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Prints the manual page, or writes every page into --dir.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), AppError> {
    match &args.dir {
        Some(dir) => std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
            .map_err(|source| AppError::ManPages {
                dir: dir.clone(),
                source,
            }),
        None => {
            let mut text = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut text)
                .expect("rendering into memory cannot fail");
            emit(out, &String::from_utf8_lossy(&text))
        }
    }
}
