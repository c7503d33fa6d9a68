//! What the computing commands share: reading the book and a scenario, loading the data
//! with its checks, and running the engine.

use super::flags::{DataFlags, MaxRejects};
use super::{note, AppError};
use crate::book::{Book, BookError};
use crate::engine::{self, Outcome};
use crate::input::{self, Adjust, DataSet, Mode};
use crate::payout::Figures;
use crate::report::{self, RunFiles, RunInfo};
use crate::scenario::Scenario;
use crate::window::Periods;
use chrono::NaiveDate;
use std::io::{self, Write};
use std::path::Path;

/// A program book as read, before it is checked: the embedded book or a `--book` file.
pub(crate) struct BookText {
    /// The TOML text, as written.
    pub(crate) text: String,
    /// What errors name the book by: `embedded` or the file's name.
    name: String,
}

impl BookText {
    /// The embedded book, or the file at `path`.
    pub(crate) fn read(path: Option<&Path>) -> Result<BookText, AppError> {
        match path {
            None => Ok(BookText {
                text: crate::book::EMBEDDED.to_string(),
                name: "embedded".to_string(),
            }),
            Some(p) => {
                let text = read_settings_file(p).map_err(|source| AppError::BookUnreadable {
                    path: p.to_path_buf(),
                    source,
                })?;
                let name = p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                Ok(BookText { text, name })
            }
        }
    }

    /// The checked book; with a scenario that has `[book]` overrides, the book with them
    /// merged in and checked again, and the overridden keys. `--book` and a scenario's
    /// overrides are read by this one function, their numbers by `number::decimal`.
    pub(crate) fn book(
        &self,
        scenario: Option<&Scenario>,
    ) -> Result<(Book, Vec<String>), AppError> {
        let (text, name) = (&self.text, &self.name);
        let Some(scenario) = scenario.filter(|s| s.book.is_some()) else {
            return Ok((Book::from_toml(text, name)?, Vec::new()));
        };
        let value: toml::Value = toml::from_str(text).map_err(|e| BookError::Parse {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        let (merged, overrides) = scenario.merge_book(value)?;
        let merged_text = toml::to_string(&merged).map_err(|e| BookError::Parse {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        let alt = Book::from_value(
            merged,
            &merged_text,
            &format!("{name} + {} [book]", scenario.source_name),
        )?;
        Ok((alt, overrides.iter().map(ToString::to_string).collect()))
    }
}

/// The checked book: the embedded one, or the `--book` file.
pub(crate) fn load_book(path: Option<&Path>) -> Result<Book, AppError> {
    Ok(BookText::read(path)?.book(None)?.0)
}

pub(crate) fn load_scenario(path: &Path) -> Result<Scenario, AppError> {
    let text = read_settings_file(path).map_err(|source| AppError::ScenarioUnreadable {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Scenario::from_toml(&text, &path.display().to_string())?)
}

/// Longest book or scenario file read: far past any real one, and a device or a huge
/// file named by mistake cannot fill memory.
const MAX_SETTINGS_BYTES: u64 = 16 << 20;

/// Reads a `--book` or `--scenario` file: a regular file (a FIFO or device is refused
/// without waiting on it) of at most `MAX_SETTINGS_BYTES`, in UTF-8.
fn read_settings_file(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let refuse = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(refuse("not a regular file".into()));
    }
    let file = input::reader::open_regular(path, "settings")
        .map_err(|e| refuse(e.to_string().replacen("settings: ", "", 1)))?;
    let mut text = String::new();
    file.take(MAX_SETTINGS_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(refuse(format!(
            "longer than {} MiB",
            MAX_SETTINGS_BYTES >> 20
        )));
    }
    Ok(text)
}

/// The evaluation date: the book's program end by default; must fall inside the program.
pub(crate) fn resolve_as_of(book: &Book, as_of: Option<NaiveDate>) -> Result<NaiveDate, AppError> {
    let program = book.rules.windows.program;
    let d = as_of.unwrap_or(program.end);
    if !program.contains(d) {
        return Err(AppError::Usage(format!(
            "--as-of {d} is outside the book's program period {}..{}",
            program.start, program.end
        )));
    }
    Ok(d)
}

/// Threads for ingest: `TSP_PAYOUT_THREADS` when set to 1–64 (1 runs everything on one
/// thread, for measuring), else one per core up to four (more parts only cost memory). The
/// results are the same either way.
pub(crate) fn ingest_threads() -> usize {
    std::env::var("TSP_PAYOUT_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=64).contains(n))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
}
/// `37 of 1,000 rows (3.70%)`; the share rounded up, so a share over a limit never reads
/// as within it.
fn share_text(rejected: u64, read: u64) -> String {
    use rust_decimal::{Decimal, RoundingStrategy};
    let share = if read == 0 {
        Decimal::ZERO
    } else {
        (Decimal::from(rejected) * Decimal::ONE_HUNDRED / Decimal::from(read))
            .round_dp_with_strategy(2, RoundingStrategy::AwayFromZero)
    };
    format!(
        "{} of {} rows ({:.2}%)",
        crate::money::human_decimal(Decimal::from(rejected)),
        crate::money::human_decimal(Decimal::from(read)),
        share
    )
}

/// The required file must hold an accepted row, in every mode; with `--skip-invalid` no
/// file may lose more rows than `--max-rejects` allows. The messages, one per file.
pub(crate) fn reject_problems(
    data: &DataSet,
    skip_invalid: bool,
    max_rejects: MaxRejects,
) -> Vec<String> {
    let mut out = totals_rows(data);
    for (file, r) in &data.files {
        if !r.present || r.unreadable {
            continue;
        }
        let (read, rejected) = (r.rows.read, r.rows.rejected);
        if file.required() && read == rejected {
            out.push(format!(
                "{} has no accepted row ({}): there is nothing to pay on",
                r.name,
                if read == 0 {
                    "it holds no data rows".to_string()
                } else {
                    format!("{} rejected", share_text(rejected, read))
                }
            ));
        } else if let Some(first) = decimal_comma_rows(data, *file).next() {
            // In a file written with decimal commas, "1,500" means 1.5 but reads as 1500.00:
            // its accepted rows cannot be trusted either, whatever --max-rejects allows.
            out.push(format!(
                "{}: amounts are written with decimal commas ({} row(s), first at line {}): an \
                 amount like 1,500 in it would be read as 1500.00; re-export the file with a \
                 point as the decimal separator",
                file.name(),
                crate::money::human_decimal(rust_decimal::Decimal::from(
                    decimal_comma_rows(data, *file).count()
                )),
                first.line
            ));
        } else if skip_invalid && max_rejects.exceeded(rejected, read) {
            out.push(format!(
                "{}: {} rejected, more than --max-rejects {} allows: fix the export, or raise the limit",
                r.name,
                share_text(rejected, read),
                max_rejects
            ));
        }
    }
    out
}

/// Partners and sellers whose id is a totals label (`TOTAL`): a totals row whose date and
/// amounts read as data would be paid as one more partner, in every mode.
fn totals_rows(data: &DataSet) -> Vec<String> {
    let mut out = Vec::new();
    for (partner_id, partner) in &data.partners {
        let sellers = partner
            .sellers
            .keys()
            .filter(|s| input::looks::is_totals_id(s));
        let named: Vec<String> = std::iter::once(partner_id)
            .filter(|p| input::looks::is_totals_id(p))
            .map(|p| format!("partner_id {p:?}"))
            .chain(sellers.map(|s| format!("seller_id {s:?} of partner {partner_id:?}")))
            .collect();
        for what in named {
            out.push(format!(
                "{what} looks like a total or summary row, not data: delete such rows from \
                 the export (totals are computed from the rows)"
            ));
        }
    }
    out
}

/// The rejected rows of `file` refused for an amount written with a decimal comma.
fn decimal_comma_rows(
    data: &DataSet,
    file: input::InputFile,
) -> impl Iterator<Item = &input::Reject> {
    data.rejects
        .iter()
        .filter(move |r| r.file == file && r.reason.contains(input::looks::DECIMAL_COMMA))
}

/// Missing days of the dated files: gmv_daily's (refused unless --allow-gaps) and the
/// optional files' (warnings).
pub(crate) fn gap_problems(data: &DataSet, periods: &Periods) -> (Vec<String>, Vec<String>) {
    let (mut required, mut optional) = (Vec::new(), Vec::new());
    for (file, r) in &data.files {
        let Some(coverage) = &r.coverage else {
            continue;
        };
        if r.unreadable {
            continue;
        }
        let messages = input::coverage::gap_messages(*file, r.name, coverage, periods);
        if file.required() {
            required.extend(messages);
        } else {
            optional.extend(messages);
        }
    }
    (required, optional)
}

/// Prints the gap warnings, and refuses missing gmv_daily days unless `allow_gaps`.
fn check_gaps(
    data: &DataSet,
    periods: &Periods,
    allow_gaps: bool,
    err: &mut dyn Write,
) -> Result<(), AppError> {
    let (required, optional) = gap_problems(data, periods);
    for w in &optional {
        note(err, &format!("warning: {w}\n"));
    }
    if required.is_empty() {
        return Ok(());
    }
    if allow_gaps {
        for m in &required {
            note(err, &format!("accepted with --allow-gaps: {m}\n"));
        }
        return Ok(());
    }
    for m in &required {
        note(err, &format!("{m}\n"));
    }
    note(
        err,
        "(--allow-gaps accepts days without rows as days without sales, noted on every line they touch)\n",
    );
    Err(AppError::BadData {
        count: required.len(),
    })
}

/// A loaded, computed run.
pub(crate) struct Run {
    pub book: Book,
    pub periods: Periods,
    pub data: DataSet,
    pub outcome: Outcome,
    pub skip_invalid: bool,
    pub allow_gaps: bool,
    /// What was computed beyond amounts and bases.
    pub shown: Shown,
    /// The ledger the run took closed periods from, for its manifest.
    pub ledger: Option<serde_json::Value>,
}

impl Run {
    /// Adds rejects.csv (with --skip-invalid) to a command's files and returns the run's
    /// manifest over all of them: the last step of every command that writes `--out`.
    pub(crate) fn finish_files(&self, files: &mut RunFiles, rejects: &str) -> String {
        // A manifest without the inputs' sha256 would read as if no file was supplied.
        assert!(
            self.shown.hashes,
            "a run that writes files hashes its inputs"
        );
        if self.skip_invalid {
            files.add(rejects, report::rejects_csv(&self.data.rejects));
        }
        let manifest = report::manifest_json(
            &self.outcome,
            &self.info(),
            &self.data,
            self.skip_invalid,
            &files.names(),
        );
        let mut doc: serde_json::Value =
            serde_json::from_str(&manifest).expect("the manifest is JSON");
        doc["allow_gaps"] = serde_json::json!(self.allow_gaps);
        if let Some(ledger) = &self.ledger {
            doc["ledger"] = ledger.clone();
        }
        let mut text = serde_json::to_string_pretty(&doc).expect("JSON of plain data");
        text.push('\n');
        text
    }

    pub(crate) fn info(&self) -> RunInfo<'_> {
        RunInfo {
            as_of: self.periods.as_of,
            book: &self.book,
        }
    }
}

/// The problems for people: alike ones counted together (see `input::summary`).
pub(crate) fn errors_text(data: &DataSet) -> String {
    data.error_summary.text()
}

/// Every kept problem, one per line, and how many more there were (`validate --all`
/// keeps every one).
pub(crate) fn every_error_text(data: &DataSet) -> String {
    let mut text = String::new();
    for e in &data.errors {
        text.push_str(&e.to_string());
        text.push('\n');
    }
    if data.error_count > data.errors.len() {
        text.push_str(&format!(
            "… and {} more\n",
            data.error_count - data.errors.len()
        ));
    }
    text
}

fn print_errors(err: &mut dyn Write, data: &DataSet) {
    note(err, &errors_text(data));
}

/// What a command's outputs show beyond amounts and bases; what none shows is not computed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shown {
    /// Which lines carry their figure tree and detail table (statements, `explain`).
    pub figures: Figures,
    /// The inputs' sha256 (manifest.json and HTML statements, written with --out).
    pub hashes: bool,
}

/// Loads the data with `book`, reports the reconciliation on stderr, refuses bad data in
/// strict mode, and runs every program.
pub(crate) fn compute(
    book: Book,
    args: &DataFlags,
    adjust: Option<&dyn Adjust>,
    shown: Shown,
    err: &mut dyn Write,
) -> Result<Run, AppError> {
    compute_issued(book, args, adjust, shown, &engine::Issued::NONE, err)
}

/// [`compute`] with what a ledger records as issued in closed periods.
pub(crate) fn compute_issued(
    book: Book,
    args: &DataFlags,
    adjust: Option<&dyn Adjust>,
    shown: Shown,
    issued: &engine::Issued,
    err: &mut dyn Write,
) -> Result<Run, AppError> {
    let as_of = resolve_as_of(&book, args.as_of)?;
    let periods = Periods::new(&book.rules.windows, as_of);
    let opts = input::Options {
        mode: if args.skip_invalid {
            Mode::SkipInvalid
        } else {
            Mode::Strict
        },
        progress: !args.quiet,
        adjust,
        threads: ingest_threads(),
        hashes: shown.hashes,
        every_error: false,
    };
    let data = input::load(&args.data_dir, &periods, &opts)?;
    if !args.quiet {
        for n in &data.notes {
            note(err, &format!("note: {n}\n"));
        }
        note(err, &report::reconciliation_text(&data));
    }
    let unreadable = data.files.values().any(|f| f.unreadable);
    if data.error_count > 0 && (!args.skip_invalid || unreadable) {
        print_errors(err, &data);
        return Err(AppError::BadData {
            count: data.error_count,
        });
    }
    if data.error_count > 0 {
        // rejects.csv exists only with --out; without it the problems go to stderr.
        print_errors(err, &data);
        note(
            err,
            &format!(
                "{} row(s) rejected (--skip-invalid); with --out they are written to rejects.csv\n",
                data.rejects.len()
            ),
        );
    }
    let refused = reject_problems(&data, args.skip_invalid, args.max_rejects());
    if !refused.is_empty() {
        for m in &refused {
            note(err, &format!("{m}\n"));
        }
        return Err(AppError::BadData {
            count: refused.len(),
        });
    }
    check_gaps(&data, &periods, args.allow_gaps, err)?;
    let outcome = engine::run_issued(&book.rules, &periods, &data, shown.figures, issued);
    Ok(Run {
        book,
        periods,
        data,
        outcome,
        skip_invalid: args.skip_invalid,
        allow_gaps: args.allow_gaps,
        shown,
        ledger: None,
    })
}
