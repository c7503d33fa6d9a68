//! `statements`: the monthly ad-credit statement of one ended month.

use super::flags::{written_text, DataFlags, Format, OutFlags};
use super::load::{load_book, resolve_as_of, Shown};
use super::{emit, emit_human, note, AppError};
use crate::money::Money;
use crate::payout::Figures;
use crate::report::{self, credit_statement, RunFiles, RunKind};
use crate::window::{Periods, WindowId};
use std::io::Write;
use std::path::PathBuf;

/// The monthly ad-credit statement: short-video, affiliate and consistency credits per
/// partner for one ended month, with the quarter to date; with --out
/// credit_statement_YYYY-MM.csv and statements/YYYY-MM/<partner_id>.md.
#[derive(clap::Args)]
#[command(after_long_help = super::help::after_data(&[
    ("tsp-payout statements exports/ --month 2025-11", "November's ad credits per partner"),
    ("tsp-payout statements exports/ --month 2025-12 --out credits --html", "December's CSV, Markdown and HTML statements into credits/ (other months there are kept)"),
    ("tsp-payout statements exports/ --month 2025-10 --format csv > oct.csv", "October's statement as CSV"),
]))]
pub struct Args {
    #[command(flatten)]
    data: DataFlags,
    /// The month (YYYY-MM), one of the program's months, ended by --as-of.
    #[arg(long)]
    month: String,
    #[command(flatten)]
    to: OutFlags,
    #[command(flatten)]
    ledger: super::ledger::LedgerFlags,
    /// Also write one HTML statement per partner and an index to DIR/html/YYYY-MM
    /// (needs --out).
    #[arg(long, requires = "out")]
    html: bool,
    /// What to print on standard output: the table, the CSV of credit_statement_YYYY-MM.csv,
    /// or JSON with the same rows and totals.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// The book month labelled `label` (`2025-11`); a usage error when it is not one, or when
/// it has not ended by the evaluation date.
fn statement_month(periods: &Periods, label: &str) -> Result<WindowId, AppError> {
    let months = WindowId::MONTHS;
    let Some(month) = months
        .iter()
        .copied()
        .find(|m| periods.full(*m).month_label() == label)
    else {
        let known: Vec<String> = months
            .iter()
            .map(|m| periods.full(*m).month_label())
            .collect();
        return Err(AppError::Usage(format!(
            "--month {label} is not a month of the program (one of {})",
            known.join(", ")
        )));
    };
    if !periods.complete(month) {
        let w = periods.full(month);
        return Err(AppError::Usage(format!(
            "month {label} has not ended by --as-of {} (it ends {}); its ad credits are not issued yet",
            periods.as_of, w.end
        )));
    }
    Ok(month)
}

/// The monthly ad-credit statement: printed, and with --out written as
/// credit_statement_YYYY-MM.csv and statements/YYYY-MM/<partner_id>.md.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    args.to.check_apart(&args.data, &[])?;
    let book = load_book(args.data.book.as_deref())?;
    // Refuse a month that is not issued before reading any data.
    let as_of = resolve_as_of(&book, args.data.as_of)?;
    let month = statement_month(&Periods::new(&book.rules.windows, as_of), &args.month)?;
    args.to.preflight(RunKind {
        command: "statements",
        month: Some(&args.month),
    })?;
    // A closed month is the statement written at its close, whatever the data says now.
    if let Some(read) = args.ledger.open(err)? {
        if let Some(closed) = read.closed.get(&args.month) {
            let how = super::ledger::StatementAsked {
                html: args.html,
                format: args.format,
            };
            return super::ledger::closed_statement(&read, closed, &args.to, how, out, err);
        }
    }
    // The statement shows the month's ad-credit lines only: no other line's figures.
    let shown = Shown {
        figures: Figures::AdCreditsOf(month),
        hashes: args.to.out.is_some(),
    };
    let (run, provenance, _) =
        super::ledger::compute_with_ledger(book, &args.data, &args.ledger, shown, err)?;
    if let Some(p) = &provenance {
        note(err, p);
    }
    let info = run.info();
    let rows = credit_statement::rows(&run.outcome, &run.periods, month);
    if let Some(dir) = &args.to.out {
        let label = run.periods.full(month).month_label();
        // Declared before the files, which render from it.
        let audit = args
            .html
            .then(|| report::html::Audit::of(&run.book, &run.data, run.skip_invalid));
        let mut files = RunFiles {
            threads: super::load::ingest_threads(),
            ..RunFiles::default()
        };
        files.add(
            format!("credit_statement_{label}.csv"),
            credit_statement::statement_csv(&rows),
        );
        let stems = report::file_stems(run.outcome.partners.keys().map(String::as_str));
        let (run, info) = (&run, &info);
        for row in &rows {
            files.add_later(
                PathBuf::from("statements")
                    .join(&label)
                    .join(format!("{}.md", stems[row.partner_id.as_str()])),
                move || {
                    let lines: Vec<&crate::engine::Line> =
                        run.outcome.lines_of(&row.partner_id).collect();
                    let facts = credit_statement::PartnerFacts {
                        periods: &run.periods,
                        month,
                        lines: &lines,
                    };
                    credit_statement::partner_markdown(row, &facts, info)
                },
            );
        }
        if let Some(audit) = &audit {
            credit_statement::html_pages(
                &run.outcome,
                &run.periods,
                month,
                &rows,
                audit,
                &mut files,
            );
        }
        // Each month keeps its own rejected rows: months accumulate in one directory.
        let rejects = format!("rejects_{label}.csv");
        let manifest = statement_manifest(&run.finish_files(&mut files, &rejects), &label, &rows);
        let kind = RunKind {
            command: "statements",
            month: Some(&label),
        };
        report::write_run(dir, kind, &files, manifest, args.to.force)?;
        if !args.data.quiet {
            let mut names = files.names();
            names.push(report::MANIFEST.to_string());
            note(err, &written_text(dir, &names));
        }
    }
    match args.format {
        Format::Table => emit_human(
            out,
            &credit_statement::statement_table(&rows, &run.periods, month, &info),
        ),
        Format::Csv => emit(out, &credit_statement::statement_csv(&rows)),
        Format::Json => emit(
            out,
            &credit_statement::statement_json(&rows, &run.periods, month, &info),
        ),
    }
}

/// The run manifest with the statement's month and totals.
fn statement_manifest(
    manifest: &str,
    label: &str,
    rows: &[credit_statement::StatementRow],
) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(manifest).expect("the manifest is JSON");
    let total: Money = rows.iter().map(|r| r.total).sum();
    let qtd: Money = rows.iter().map(|r| r.quarter_to_date).sum();
    doc["statement"] = serde_json::json!({
        "month": label,
        "partners_listed": rows.iter().filter(|r| !r.quarter_to_date.is_zero()).count(),
        "total": total,
        "quarter_to_date": qtd,
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON of plain data");
    text.push('\n');
    text
}
