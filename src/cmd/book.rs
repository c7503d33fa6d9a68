//! `book`: the program book, as TOML or as the Rules page.

use super::load::BookText;
use super::{emit, AppError};
use clap::ValueEnum;
use std::io::Write;
use std::path::PathBuf;

/// Print the embedded program book (or check and print another with --book), as TOML
/// or as the Rules page (Markdown) rendered from it.
#[derive(clap::Args)]
#[command(after_long_help = super::help::after(
    &[
        ("tsp-payout book > my-book.toml", "the embedded book, to edit"),
        ("tsp-payout book --book my-book.toml --format md", "check an edited book and print its Rules page"),
    ],
    Some("Input: --book FILE, a program book (TOML) with the sections of the embedded one.".into()),
))]
pub struct Args {
    /// Program book (TOML) to check and print instead of the embedded Q4 2025 book.
    #[arg(long)]
    book: Option<PathBuf>,
    /// `toml`: the book as written; `md`: the Rules page, every number marked (P)
    /// published or (A) assumed, with its sources.
    #[arg(long, value_enum, default_value_t = BookFormat::Toml)]
    format: BookFormat,
}

/// How `tsp-payout book` prints the book: the TOML text as it is, or the Rules page
/// (Markdown) rendered from it. (No doc comments on the variants: they would become
/// the values' help text.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BookFormat {
    Toml,
    Md,
}

/// Prints the embedded book, or checks and prints another one.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), AppError> {
    let text = BookText::read(args.book.as_deref())?;
    let (book, _) = text.book(None)?;
    match args.format {
        BookFormat::Md => emit(out, &crate::report::rules_page::render(&book)),
        BookFormat::Toml => emit(out, &text.text),
    }
}
