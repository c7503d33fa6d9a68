//! `validate`: every problem of every input file, without computing payouts.

use super::flags::{parse_date, MaxRejects};
use super::load::{
    errors_text, every_error_text, gap_problems, ingest_threads, load_book, reject_problems,
    resolve_as_of,
};
use super::{emit_human, note, AppError};
use crate::input::{self, Mode};
use crate::report;
use crate::window::Periods;
use std::io::Write;
use std::path::PathBuf;

/// Check every input file and print every problem found.
#[derive(clap::Args)]
#[command(after_long_help = super::help::after_data(&[
    ("tsp-payout validate exports/", "every problem of every input file (exit 65 if there is one)"),
    ("tsp-payout validate exports/ --as-of 2025-11-30", "the same, for a run evaluated on 30 November"),
]))]
pub struct Args {
    /// Directory holding gmv_daily.csv and the optional input files.
    data_dir: PathBuf,
    /// Program book (TOML) whose windows decide which rows are outside.
    #[arg(long)]
    book: Option<PathBuf>,
    /// Evaluation date (YYYY-MM-DD) inside the program period; defaults to its end.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<chrono::NaiveDate>,
    /// Report days without gmv_daily.csv rows as accepted, not as problems.
    #[arg(long)]
    allow_gaps: bool,
    /// List every problem row by row; without it, many alike (the same reason in the
    /// same column) are counted together on one line with their first lines and a hint.
    #[arg(long)]
    all: bool,
}

/// Checks every file and prints every problem; exit 65 when there is any.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    let book = load_book(args.book.as_deref())?;
    let as_of = resolve_as_of(&book, args.as_of)?;
    let periods = Periods::new(&book.rules.windows, as_of);
    let opts = input::Options {
        mode: Mode::Strict,
        progress: true,
        adjust: None,
        threads: ingest_threads(),
        // validate shows no hashes.
        hashes: false,
        every_error: args.all,
    };
    let data = input::load(&args.data_dir, &periods, &opts)?;
    for n in &data.notes {
        note(err, &format!("note: {n}\n"));
    }
    note(err, &report::reconciliation_text(&data));
    let mut text = if args.all {
        every_error_text(&data)
    } else {
        errors_text(&data)
    };
    // Whole-file problems: no accepted row, missing days (unless accepted).
    let mut problems = if data.error_count == 0 {
        reject_problems(&data, false, MaxRejects::default())
    } else {
        Vec::new()
    };
    let (gaps, warnings) = gap_problems(&data, &periods);
    for w in &warnings {
        note(err, &format!("warning: {w}\n"));
    }
    if args.allow_gaps {
        for m in &gaps {
            note(err, &format!("accepted with --allow-gaps: {m}\n"));
        }
    } else {
        problems.extend(gaps);
    }
    for p in &problems {
        text.push_str(p);
        text.push('\n');
    }
    let problem_count = data.error_count + problems.len();
    let files = data.files.values().filter(|f| f.present).count();
    if problem_count == 0 {
        text.push_str(&format!("ok: {files} file(s) checked, no problems\n"));
    } else {
        text.push_str(&format!(
            "{problem_count} problem(s) in {files} file(s) checked\n"
        ));
    }
    emit_human(out, &text)?;
    if problem_count > 0 {
        return Err(AppError::ProblemsFound {
            count: problem_count,
        });
    }
    Ok(())
}
