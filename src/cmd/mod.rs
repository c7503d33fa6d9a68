//! The commands, one file each: its clap arguments with their help text on top, and its
//! `run`. `main.rs` parses the command line into [`Cli`], calls the command's `run` and
//! maps an [`AppError`] to an exit code.

pub mod book;
pub mod calc;
pub mod close;
pub mod completions;
mod error;
pub mod explain;
mod flags;
mod help;
pub mod ledger;
mod load;
pub mod man;
pub mod statements;
pub mod validate;
pub mod verify;
pub mod whatif;

pub use error::AppError;

use crate::report;
use clap::{Parser, Subcommand};
use std::io::{self, Write};

/// Computes TikTok Shop Partner Q4 incentive payouts from daily-GMV CSV exports.
#[derive(Parser)]
#[command(name = "tsp-payout", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    Calc(calc::Args),
    Statements(statements::Args),
    Whatif(whatif::Args),
    Close(close::Args),
    Ledger(ledger::Args),
    Explain(explain::Args),
    Validate(validate::Args),
    Verify(verify::Args),
    Book(book::Args),
    Completions(completions::Args),
    Man(man::Args),
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn emit(out: &mut dyn Write, text: &str) -> Result<(), AppError> {
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(AppError::Stdout(e)),
        _ => Ok(()),
    }
}

/// A report for people (a table, a tree, a list of problems) to stdout: every value in it
/// is already `escape::shown`; this pass catches any control or bidirectional-formatting
/// character that a message quotes from the input all the same. CSV and JSON go out
/// through [`emit`] as the files hold them.
fn emit_human(out: &mut dyn Write, text: &str) -> Result<(), AppError> {
    emit(out, &report::escape::shown_lines(text))
}

/// Diagnostics go to stderr; failing to write them changes nothing. Control and
/// bidirectional-formatting characters quoted from the input are shown escaped.
fn note(err: &mut dyn Write, text: &str) {
    let _ = err.write_all(report::escape::shown_lines(text).as_bytes());
}
