//! `calc`: every program's payouts, as a table, CSV or JSON; with --out the run's files.

use super::flags::{written_text, DataFlags, Format, OutFlags};
use super::load::{load_book, Run, Shown};
use super::{emit, emit_human, note, AppError};
use crate::engine;
use crate::payout::Figures;
use crate::report::{self, RunFiles, RunKind};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Compute every program's payouts: a per-partner table, and with --out payouts.csv,
/// statements/<partner_id>.json and manifest.json.
#[derive(clap::Args)]
#[command(after_long_help = super::help::after_data(&[
    ("tsp-payout calc exports/", "the payout table, evaluated at the end of the program"),
    ("tsp-payout calc exports/ --as-of 2025-11-30 --top 20", "the 20 largest totals so far (amounts marked * are provisional)"),
    ("tsp-payout calc exports/ --out run-q4 --html", "write payouts.csv, the statements and HTML pages to run-q4/"),
]))]
pub struct Args {
    #[command(flatten)]
    data: DataFlags,
    #[command(flatten)]
    to: OutFlags,
    #[command(flatten)]
    ledger: super::ledger::LedgerFlags,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write one HTML statement per partner and an index to DIR/html (needs --out).
    #[arg(long, requires = "out")]
    html: bool,
    /// In the table, list only the N partners with the largest totals (cash + ad credits),
    /// largest first; the TOTAL rows still count every partner.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
}

/// Computes every program, writes the run's files with --out, and prints the payouts.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    args.to.check_apart(&args.data, &[])?;
    args.to.preflight(KIND)?;
    let book = load_book(args.data.book.as_deref())?;
    // Statements and the manifest (written with --out) show figures and hashes; the
    // table, CSV and JSON do not.
    let written = args.to.out.is_some();
    let shown = Shown {
        figures: written.into(),
        hashes: written,
    };
    let (run, provenance, _) =
        super::ledger::compute_with_ledger(book, &args.data, &args.ledger, shown, err)?;
    let stdout_text = || stdout_text(args.format, args.top, &run, provenance.as_deref());
    let text = match &args.to.out {
        Some(dir) => {
            // The report for stdout is made while the files are written (the writing
            // threads leave room on the cores), and printed after them as before.
            let (names, text) = std::thread::scope(|scope| {
                let text = scope.spawn(stdout_text);
                let names = write_calc_files(&run, dir, args.to.force, args.html);
                (names, text.join().expect("the report does not panic"))
            });
            let names = names?;
            if !args.data.quiet {
                note(err, &written_text(dir, &names));
            }
            text
        }
        None => stdout_text(),
    };
    if let (Some(p), Format::Csv | Format::Json) = (&provenance, args.format) {
        note(err, p);
    }
    let result = match args.format {
        Format::Table => emit_human(out, &text),
        Format::Csv => {
            // The CSV has no room for them: programs without lines are listed on stderr.
            if !args.data.quiet {
                note(err, &report::skipped_text(&run.outcome));
            }
            emit(out, &text)
        }
        Format::Json => emit(out, &text),
    };
    // The run's data is freed by the process exit; freeing it piece by piece first costs
    // a noticeable share of a large run.
    std::mem::forget(run);
    result
}

/// What `calc` prints to stdout in `format`.
fn stdout_text(format: Format, top: Option<usize>, run: &Run, provenance: Option<&str>) -> String {
    match format {
        Format::Table => {
            report::payouts_table(&run.outcome, run.periods.as_of, report::TableRows { top })
                + provenance.unwrap_or("")
        }
        Format::Csv => report::payouts_csv(&run.outcome),
        Format::Json => report::payouts_json(&run.outcome, &run.info()),
    }
}

const KIND: RunKind = RunKind {
    command: "calc",
    month: None,
};

/// The calc outputs, and with `html` the HTML statements and their index; the names of
/// the files written.
fn write_calc_files(
    run: &Run,
    dir: &Path,
    force: bool,
    html: bool,
) -> Result<Vec<String>, AppError> {
    assert!(
        run.shown.figures == Figures::All && run.shown.hashes,
        "statements show figures and the inputs' sha256"
    );
    let mut files = RunFiles {
        threads: super::load::ingest_threads(),
        ..RunFiles::default()
    };
    // Rendered by a writing thread, like the statements: not before the first file starts.
    files.add_later("payouts.csv", || report::payouts_csv(&run.outcome));
    let stems = report::file_stems(run.outcome.partners.keys().map(String::as_str));
    for partner in run.outcome.partners.keys() {
        let info = run.info();
        files.add_rendered(
            PathBuf::from("statements").join(format!("{}.json", stems[partner.as_str()])),
            move |buf| report::statement_json_into(&run.outcome, &info, partner, buf),
        );
    }
    if html {
        add_calc_html(run, &mut files);
    }
    let manifest = run.finish_files(&mut files, "rejects.csv");
    report::write_run(dir, KIND, &files, manifest, force)?;
    let mut names = files.names();
    names.push(report::MANIFEST.to_string());
    Ok(names)
}

/// A partner's row of html/index.html: its cash and ad credit totals, each marked
/// provisional when one of its lines is.
fn index_row<'a>(
    run: &'a Run,
    id: &'a str,
    name: &'a str,
    stem: &str,
) -> report::html::IndexRow<'a> {
    // One search for the partner's lines, not one per figure.
    let lines = run.outcome.lines_of(id).as_slice();
    let kinds = [engine::Kind::Cash, engine::Kind::AdCredit];
    report::html::IndexRow {
        partner_id: id,
        partner_name: name,
        href: report::html::page_href_of(stem),
        amounts: kinds
            .map(|kind| {
                lines
                    .iter()
                    .filter(|l| l.kind == kind)
                    .map(|l| l.amount)
                    .sum()
            })
            .to_vec(),
        provisional: kinds
            .map(|kind| lines.iter().any(|l| l.kind == kind && l.provisional))
            .to_vec(),
    }
}

/// html/<partner>.html for every partner of the run, and html/index.html.
fn add_calc_html<'a>(run: &'a Run, files: &mut RunFiles<'a>) {
    use report::html::{self, Audit, IndexInput, IndexRow, PageInput};
    let audit = Audit::of(&run.book, &run.data, run.skip_invalid);
    let program = run.book.rules.windows.program;
    let title = format!("{} payout statement", run.book.rules.book.name);
    let period = format!("{} to {}", program.start, program.end);
    let skipped: Vec<engine::Skip> = run
        .outcome
        .skipped
        .iter()
        .chain(&run.outcome.not_evaluated)
        .cloned()
        .collect();
    // Shared by the pages, each rendered only when it is written.
    let page_context = std::sync::Arc::new((audit, title, period.clone(), skipped));
    let stems = report::file_stems(run.outcome.partners.keys().map(String::as_str));
    for (id, name) in &run.outcome.partners {
        let context = page_context.clone();
        let stem = &stems[id.as_str()];
        files.add_rendered(
            PathBuf::from("html").join(html::page_file_of(stem)),
            move |buf| {
                let (audit, title, period, skipped) = &*context;
                let lines: Vec<&engine::Line> = run.outcome.lines_of(id).collect();
                let page = PageInput {
                    title,
                    period,
                    as_of: run.periods.as_of,
                    partner_id: id,
                    partner_name: name,
                    lines: &lines,
                    extra_totals: &[],
                    skipped,
                    index_href: Some("index.html"),
                    audit,
                };
                html::partner_page_into(&page, buf);
            },
        );
    }
    let index_title = format!("{} payout statements", run.book.rules.book.name);
    files.add_later(PathBuf::from("html").join("index.html"), move || {
        let (audit, _, _, skipped) = &*page_context;
        // Summed here, by a writing thread, rather than before the first file starts.
        let rows: Vec<IndexRow> = run
            .outcome
            .partners
            .iter()
            .map(|(id, name)| index_row(run, id, name, &stems[id.as_str()]))
            .collect();
        html::index_page(&IndexInput {
            title: &index_title,
            period: &period,
            as_of: run.periods.as_of,
            columns: &["Cash", "Ad credits"],
            rows: &rows,
            skipped,
            audit,
        })
    });
}
