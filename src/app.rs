//! The commands, as library functions: load the book and data, run the engine, report.
//! `main.rs` only parses arguments and maps `AppError` to an exit code.

use crate::book::{Book, BookError};
use crate::engine::{self, Outcome};
use crate::input::{self, Adjust, DataSet, InputError, Mode};
use crate::money::Money;
use crate::report::{self, credit_statement, OutputError, RunFiles, RunInfo, RunKind, VerifyError};
use crate::scenario::{Scenario, ScenarioError};
use crate::window::{Periods, WindowId};
use chrono::NaiveDate;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("{0}")]
    Usage(String),
    #[error("book {0}")]
    Book(#[from] BookError),
    #[error("cannot read book {path}: {source}")]
    BookUnreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{count} problem(s) in the input data; nothing was written (see above, or run `tsp-payout validate`)")]
    BadData { count: usize },
    #[error("{count} problem(s) found")]
    ProblemsFound { count: usize },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("cannot write to standard output: {0}")]
    Stdout(io::Error),
    #[error("cannot write the manual pages into {dir}: {source}")]
    ManPages {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("cannot read scenario {path}: {source}")]
    ScenarioUnreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl AppError {
    /// sysexits-style codes: 2 usage, 65 bad data, 66 missing input, 74 output error.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Usage(_)
            | AppError::Book(_)
            | AppError::Scenario(_)
            | AppError::Input(InputError::Scenario(_)) => 2,
            AppError::BookUnreadable { .. } | AppError::ScenarioUnreadable { .. } => 66,
            AppError::Input(InputError::BadData(_) | InputError::OutOfRange(_))
            | AppError::BadData { .. }
            | AppError::ProblemsFound { .. } => 65,
            AppError::Input(_) => 66,
            AppError::Output(_) | AppError::Stdout(_) | AppError::ManPages { .. } => 74,
            AppError::Verify(VerifyError::Missing(_)) => 66,
            AppError::Verify(VerifyError::Unusable(..)) => 65,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn emit(out: &mut dyn Write, text: &str) -> Result<(), AppError> {
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

pub fn load_book(path: Option<&Path>) -> Result<Book, AppError> {
    match path {
        None => Ok(Book::embedded()),
        Some(_) => {
            let (text, name) = book_text(path)?;
            Ok(Book::from_toml(&text, &name)?)
        }
    }
}

/// The evaluation date: the book's program end by default; must fall inside the program.
pub fn resolve_as_of(book: &Book, as_of: Option<NaiveDate>) -> Result<NaiveDate, AppError> {
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
fn ingest_threads() -> usize {
    std::env::var("TSP_PAYOUT_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=64).contains(n))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
}

/// Input settings shared by every command that reads a data directory.
pub struct DataArgs<'a> {
    pub data_dir: &'a Path,
    pub as_of: Option<NaiveDate>,
    pub skip_invalid: bool,
    /// Accept days without gmv_daily rows as days without sales (noted on every line).
    pub allow_gaps: bool,
    /// How many rows of one file `--skip-invalid` may reject.
    pub max_rejects: MaxRejects,
}

/// `--max-rejects`: how many rows of one file `--skip-invalid` may reject before the run
/// stops, as a count (`N`) or a share of the rows read (`P%`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxRejects {
    Rows(u64),
    /// Percent, 0 to 100.
    Percent(rust_decimal::Decimal),
}

impl Default for MaxRejects {
    /// 1 % of a file's rows.
    fn default() -> MaxRejects {
        MaxRejects::Percent(rust_decimal::Decimal::ONE)
    }
}

impl std::str::FromStr for MaxRejects {
    type Err = String;

    fn from_str(s: &str) -> Result<MaxRejects, String> {
        let bad = || {
            format!("{s:?} is not a limit: give a number of rows (e.g. 50) or a percentage from 0% to 100% (e.g. 0.5%)")
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        match s.strip_suffix('%') {
            Some(p) => {
                let (whole, frac) = p.split_once('.').unwrap_or((p, "0"));
                if !digits(whole) || !digits(frac) || whole.len() > 3 || frac.len() > 6 {
                    return Err(bad());
                }
                let value: rust_decimal::Decimal = p.parse().map_err(|_| bad())?;
                if value > rust_decimal::Decimal::ONE_HUNDRED {
                    return Err(bad());
                }
                Ok(MaxRejects::Percent(value.normalize()))
            }
            None if digits(s) => s.parse().map(MaxRejects::Rows).map_err(|_| bad()),
            None => Err(bad()),
        }
    }
}

impl std::fmt::Display for MaxRejects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaxRejects::Rows(n) => write!(f, "{n}"),
            MaxRejects::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl MaxRejects {
    /// Whether `rejected` of `read` rows is more than the limit allows (exact).
    pub fn exceeded(self, rejected: u64, read: u64) -> bool {
        match self {
            MaxRejects::Rows(n) => rejected > n,
            MaxRejects::Percent(p) => {
                use rust_decimal::Decimal;
                Decimal::from(rejected) * Decimal::ONE_HUNDRED > p * Decimal::from(read)
            }
        }
    }
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
fn reject_problems(data: &DataSet, args: &DataArgs) -> Vec<String> {
    let mut out = Vec::new();
    for (file, r) in &data.files {
        if !r.present || r.unreadable {
            continue;
        }
        let (read, rejected) = (r.rows.read, r.rows.rejected);
        if file.required() && read == rejected {
            out.push(format!(
                "{} has no accepted row ({}): there is nothing to pay on",
                file.name(),
                if read == 0 {
                    "it holds no data rows".to_string()
                } else {
                    format!("{} rejected", share_text(rejected, read))
                }
            ));
        } else if args.skip_invalid && args.max_rejects.exceeded(rejected, read) {
            out.push(format!(
                "{}: {} rejected, more than --max-rejects {} allows: fix the export, or raise the limit",
                file.name(),
                share_text(rejected, read),
                args.max_rejects
            ));
        }
    }
    out
}

/// Missing days of the dated files: gmv_daily's (refused unless --allow-gaps) and the
/// optional files' (warnings).
fn gap_problems(data: &DataSet, periods: &Periods) -> (Vec<String>, Vec<String>) {
    let (mut required, mut optional) = (Vec::new(), Vec::new());
    for (file, r) in &data.files {
        let Some(coverage) = &r.coverage else {
            continue;
        };
        if r.unreadable {
            continue;
        }
        let messages = input::coverage::gap_messages(*file, coverage, periods);
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
pub struct Run {
    pub book: Book,
    pub periods: Periods,
    pub data: DataSet,
    pub outcome: Outcome,
    pub skip_invalid: bool,
    pub allow_gaps: bool,
    /// What was computed beyond amounts and bases.
    pub shown: Shown,
}

impl Run {
    /// Adds rejects.csv (with --skip-invalid) to a command's files and returns the run's
    /// manifest over all of them: the last step of every command that writes `--out`.
    fn finish_files(&self, files: &mut RunFiles, rejects: &str) -> String {
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
        let mut text = serde_json::to_string_pretty(&doc).expect("JSON of plain data");
        text.push('\n');
        text
    }

    pub fn info(&self) -> RunInfo<'_> {
        RunInfo {
            as_of: self.periods.as_of,
            book: &self.book,
        }
    }
}

/// Every kept problem, one per line, and how many more there were.
fn errors_text(data: &DataSet) -> String {
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
pub struct Shown {
    /// Each line's figure tree and detail table (statements, `explain`).
    pub figures: bool,
    /// The inputs' sha256 (manifest.json and HTML statements, written with --out).
    pub hashes: bool,
}

impl Shown {
    pub const ALL: Shown = Shown {
        figures: true,
        hashes: true,
    };
}

/// Loads the data with `book`, reports the reconciliation on stderr, refuses bad data in
/// strict mode, and runs every program.
pub fn compute(
    book: Book,
    args: &DataArgs,
    adjust: Option<&dyn Adjust>,
    shown: Shown,
    err: &mut dyn Write,
) -> Result<Run, AppError> {
    let as_of = resolve_as_of(&book, args.as_of)?;
    let periods = Periods::new(&book.rules.windows, as_of);
    let opts = input::Options {
        as_of,
        mode: if args.skip_invalid {
            Mode::SkipInvalid
        } else {
            Mode::Strict
        },
        progress: true,
        adjust,
        threads: ingest_threads(),
        hashes: shown.hashes,
    };
    let data = input::load(args.data_dir, &periods, &opts)?;
    for n in &data.notes {
        note(err, &format!("note: {n}\n"));
    }
    note(err, &report::reconciliation_text(&data));
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
    let refused = reject_problems(&data, args);
    if !refused.is_empty() {
        for m in &refused {
            note(err, &format!("{m}\n"));
        }
        return Err(AppError::BadData {
            count: refused.len(),
        });
    }
    check_gaps(&data, &periods, args.allow_gaps, err)?;
    let outcome = engine::run(&book.rules, &periods, &data, shown.figures);
    Ok(Run {
        book,
        periods,
        data,
        outcome,
        skip_invalid: args.skip_invalid,
        allow_gaps: args.allow_gaps,
        shown,
    })
}

pub struct CalcArgs<'a> {
    pub data: DataArgs<'a>,
    pub book: Option<&'a Path>,
    pub out: Option<&'a Path>,
    pub format: Format,
    pub force: bool,
    /// Also write html/<partner>.html statements and html/index.html (needs `out`).
    pub html: bool,
}

pub fn calc(args: &CalcArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    if args.html && args.out.is_none() {
        return Err(AppError::Usage(
            "--html writes files and needs --out DIR".into(),
        ));
    }
    if let Some(dir) = args.out {
        let inputs: Vec<&Path> = [Some(args.data.data_dir), args.book]
            .into_iter()
            .flatten()
            .collect();
        report::check_apart(dir, &inputs)?;
    }
    let book = load_book(args.book)?;
    // Statements and the manifest (written with --out) show figures and hashes; the
    // table, CSV and JSON do not.
    let written = args.out.is_some();
    let shown = Shown {
        figures: written,
        hashes: written,
    };
    let run = compute(book, &args.data, None, shown, err)?;
    if let Some(dir) = args.out {
        write_calc_files(&run, dir, args.force, args.html)?;
    }
    let info = run.info();
    let result = match args.format {
        Format::Table => emit_human(out, &report::payouts_table(&run.outcome)),
        Format::Csv => {
            // The CSV has no room for them: programs without lines are listed on stderr.
            note(err, &report::skipped_text(&run.outcome));
            emit(out, &report::payouts_csv(&run.outcome))
        }
        Format::Json => emit(out, &report::payouts_json(&run.outcome, &info)),
    };
    // The run's data is freed by the process exit; freeing it piece by piece first costs
    // a noticeable share of a large run.
    std::mem::forget(run);
    result
}

/// payouts.csv, statements/<partner>.json, rejects.csv (with --skip-invalid), manifest.json.
pub fn write_calc_outputs(run: &Run, dir: &Path, force: bool) -> Result<(), AppError> {
    write_calc_files(run, dir, force, false)
}

/// The calc outputs, and with `html` the HTML statements and their index.
pub fn write_calc_files(run: &Run, dir: &Path, force: bool, html: bool) -> Result<(), AppError> {
    assert!(
        run.shown.figures && run.shown.hashes,
        "statements show figures and the inputs' sha256"
    );
    let mut files = RunFiles::default();
    files.add("payouts.csv", report::payouts_csv(&run.outcome));
    for partner in run.outcome.partners.keys() {
        let info = run.info();
        files.add_later(
            PathBuf::from("statements").join(format!("{}.json", report::file_stem(partner))),
            move || report::statement_json(&run.outcome, &info, partner),
        );
    }
    if html {
        add_calc_html(run, &mut files);
    }
    let manifest = run.finish_files(&mut files, "rejects.csv");
    let kind = RunKind {
        command: "calc",
        month: None,
    };
    report::write_run(dir, kind, &files, manifest, force)?;
    Ok(())
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
    let page_context = std::rc::Rc::new((audit, title, period.clone(), skipped));
    let mut rows = Vec::new();
    for (id, name) in &run.outcome.partners {
        let context = page_context.clone();
        files.add_later(PathBuf::from("html").join(html::page_file(id)), move || {
            let (audit, title, period, skipped) = &*context;
            let lines: Vec<&engine::Line> = run.outcome.lines_of(id).collect();
            html::partner_page(&PageInput {
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
            })
        });
        rows.push(IndexRow {
            partner_id: id,
            partner_name: name,
            href: html::page_href(id),
            amounts: vec![
                run.outcome.total(Some(id), engine::Kind::Cash),
                run.outcome.total(Some(id), engine::Kind::AdCredit),
            ],
        });
    }
    let index_title = format!("{} payout statements", run.book.rules.book.name);
    let (audit, _, _, skipped) = &*page_context;
    let index = html::index_page(&IndexInput {
        title: &index_title,
        period: &period,
        as_of: run.periods.as_of,
        columns: &["Cash", "Ad credits"],
        rows: &rows,
        skipped,
        audit,
    });
    files.add(PathBuf::from("html").join("index.html"), index);
}

pub struct ValidateArgs<'a> {
    pub data_dir: &'a Path,
    pub book: Option<&'a Path>,
    pub as_of: Option<NaiveDate>,
    /// Report gmv_daily's missing days as accepted instead of as problems.
    pub allow_gaps: bool,
}

/// Checks every file and prints every problem; exit 65 when there is any.
pub fn validate(
    args: &ValidateArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), AppError> {
    let book = load_book(args.book)?;
    let as_of = resolve_as_of(&book, args.as_of)?;
    let periods = Periods::new(&book.rules.windows, as_of);
    let opts = input::Options {
        as_of,
        mode: Mode::Strict,
        progress: true,
        adjust: None,
        threads: ingest_threads(),
        // validate shows no hashes.
        hashes: false,
    };
    let data = input::load(args.data_dir, &periods, &opts)?;
    for n in &data.notes {
        note(err, &format!("note: {n}\n"));
    }
    note(err, &report::reconciliation_text(&data));
    let mut text = errors_text(&data);
    let strict = DataArgs {
        data_dir: args.data_dir,
        as_of: args.as_of,
        skip_invalid: false,
        allow_gaps: args.allow_gaps,
        max_rejects: MaxRejects::default(),
    };
    // Whole-file problems: no accepted row, missing days (unless accepted).
    let mut problems = if data.error_count == 0 {
        reject_problems(&data, &strict)
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

/// Checks a run directory against its manifest: prints each missing, extra or changed
/// file (exit 65), or that every listed file matches.
pub fn verify(dir: &Path, out: &mut dyn Write) -> Result<(), AppError> {
    let found = report::verify(dir)?;
    let mut text = String::new();
    for p in &found.problems {
        text.push_str(p);
        text.push('\n');
    }
    if found.problems.is_empty() {
        text.push_str(&format!(
            "ok: {} file(s) match {}\n",
            found.checked,
            dir.join("manifest.json").display()
        ));
    }
    emit_human(out, &text)?;
    if !found.problems.is_empty() {
        return Err(AppError::ProblemsFound {
            count: found.problems.len(),
        });
    }
    Ok(())
}

/// How `tsp-payout book` prints the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookFormat {
    /// The TOML text, as it is.
    Toml,
    /// The Rules page (Markdown) rendered from the book.
    Md,
}

/// Prints the embedded book, or checks and prints another one.
pub fn book(path: Option<&Path>, format: BookFormat, out: &mut dyn Write) -> Result<(), AppError> {
    let book = load_book(path)?;
    match format {
        BookFormat::Md => emit(out, &crate::report::rules_page::render(&book)),
        BookFormat::Toml => {
            let (text, _) = book_text(path)?;
            emit(out, &text)
        }
    }
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

/// The book's TOML text and source name, as `load_book` reads them.
fn book_text(path: Option<&Path>) -> Result<(String, String), AppError> {
    match path {
        None => Ok((crate::book::EMBEDDED.to_string(), "embedded".to_string())),
        Some(p) => {
            let text = read_settings_file(p).map_err(|source| AppError::BookUnreadable {
                path: p.to_path_buf(),
                source,
            })?;
            let name = p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Ok((text, name))
        }
    }
}

pub fn load_scenario(path: &Path) -> Result<Scenario, AppError> {
    let text = read_settings_file(path).map_err(|source| AppError::ScenarioUnreadable {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Scenario::from_toml(&text, &path.display().to_string())?)
}

/// The base book and the scenario's book: the base with the scenario's `[book]` overrides
/// merged in and validated again, and the overridden keys.
fn scenario_books(
    path: Option<&Path>,
    scenario: &Scenario,
) -> Result<(Book, Book, Vec<String>), AppError> {
    let (text, name) = book_text(path)?;
    let base = Book::from_toml(&text, &name)?;
    if scenario.book.is_none() {
        return Ok((base.clone(), base, Vec::new()));
    }
    let value: toml::Value = toml::from_str(&text).map_err(|e| BookError::Parse {
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
    Ok((
        base,
        alt,
        overrides.iter().map(ToString::to_string).collect(),
    ))
}

/// Q4 sums (cut at the evaluation date) of every partner and channel.
fn q4_inputs(data: &DataSet) -> input::Channels {
    data.partners
        .values()
        .fold(input::Channels::default(), |acc, p| {
            acc.plus(&p.total(crate::window::WindowId::Q4))
        })
}

pub struct WhatifArgs<'a> {
    pub data: DataArgs<'a>,
    pub book: Option<&'a Path>,
    pub scenario: &'a Path,
    pub out: Option<&'a Path>,
    pub format: Format,
    pub force: bool,
}

/// Runs the data as given and under the scenario, and compares the two per partner and
/// program. Writes whatif.csv and manifest.json only with --out.
pub fn whatif(args: &WhatifArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    if let Some(dir) = args.out {
        let inputs: Vec<&Path> = [Some(args.data.data_dir), args.book, Some(args.scenario)]
            .into_iter()
            .flatten()
            .collect();
        report::check_apart(dir, &inputs)?;
    }
    let scenario = load_scenario(args.scenario)?;
    let (base_book, alt_book, overrides) = scenario_books(args.book, &scenario)?;
    let shown = Shown {
        figures: false,
        hashes: args.out.is_some(),
    };
    let baseline = compute(base_book, &args.data, None, shown, err)?;
    scenario.check_partners(&baseline.data)?;
    // Same files, so the same reconciliation and errors: shown only if this run fails.
    let mut diagnostics = Vec::new();
    let alt = compute(
        alt_book,
        &args.data,
        Some(&scenario),
        shown,
        &mut diagnostics,
    )
    .inspect_err(|_| {
        note(err, &String::from_utf8_lossy(&diagnostics));
    })?;
    let cmp = report::whatif::compare(&baseline.outcome, &alt.outcome);
    let changes = scenario.describe();
    let info = report::whatif::WhatifInfo {
        name: &scenario.name,
        source: &scenario.source_name,
        sha256: &scenario.sha256,
        description: scenario.description.as_deref(),
        changes: &changes,
        overrides: &overrides,
        baseline: baseline.info(),
        scenario: alt.info(),
        inputs: (q4_inputs(&baseline.data), q4_inputs(&alt.data)),
        baseline_skips: (&baseline.outcome.skipped, &baseline.outcome.not_evaluated),
        scenario_skips: (&alt.outcome.skipped, &alt.outcome.not_evaluated),
    };
    if let Some(dir) = args.out {
        let mut files = RunFiles::default();
        files.add("whatif.csv", report::whatif::whatif_csv(&cmp));
        let base_manifest = baseline.finish_files(&mut files, "rejects.csv");
        let manifest = report::whatif::whatif_manifest(&base_manifest, &cmp, &info);
        let kind = RunKind {
            command: "whatif",
            month: None,
        };
        report::write_run(dir, kind, &files, manifest, args.force)?;
    }
    match args.format {
        Format::Table => emit_human(out, &report::whatif::whatif_table(&cmp, &info)),
        Format::Csv => emit(out, &report::whatif::whatif_csv(&cmp)),
        Format::Json => emit(out, &report::whatif::whatif_json(&cmp, &info)),
    }
}

pub struct ExplainArgs<'a> {
    pub data: DataArgs<'a>,
    pub book: Option<&'a Path>,
    pub partner: &'a str,
}

/// Every program's figures for one partner, as a tree.
pub fn explain(
    args: &ExplainArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), AppError> {
    let book = load_book(args.book)?;
    let shown = Shown {
        figures: true,
        hashes: false,
    };
    let run = compute(book, &args.data, None, shown, err)?;
    let partners = &run.outcome.partners;
    if !partners.contains_key(args.partner) {
        let known: Vec<&str> = partners.keys().map(String::as_str).take(20).collect();
        let more = if partners.len() > known.len() {
            ", …"
        } else {
            ""
        };
        return Err(AppError::Usage(format!(
            "--partner {:?} is not a partner of this run (partners: {}{more})",
            args.partner,
            known.join(", ")
        )));
    }
    emit_human(
        out,
        &report::explain_text(&run.outcome, &run.info(), args.partner),
    )
}

pub struct StatementsArgs<'a> {
    pub data: DataArgs<'a>,
    pub book: Option<&'a Path>,
    /// `YYYY-MM`: one of the book's months.
    pub month: &'a str,
    pub out: Option<&'a Path>,
    pub force: bool,
    /// Also write html/YYYY-MM/<partner>.html and html/YYYY-MM/index.html (needs `out`).
    pub html: bool,
}

/// The book month labelled `label` (`2025-11`); a usage error when it is not one, or when
/// it has not ended by the evaluation date.
pub fn statement_month(periods: &Periods, label: &str) -> Result<WindowId, AppError> {
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
pub fn statements(
    args: &StatementsArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), AppError> {
    if args.html && args.out.is_none() {
        return Err(AppError::Usage(
            "--html writes files and needs --out DIR".into(),
        ));
    }
    if let Some(dir) = args.out {
        let inputs: Vec<&Path> = [Some(args.data.data_dir), args.book]
            .into_iter()
            .flatten()
            .collect();
        report::check_apart(dir, &inputs)?;
    }
    let book = load_book(args.book)?;
    // Refuse a month that is not issued before reading any data.
    let as_of = resolve_as_of(&book, args.data.as_of)?;
    let month = statement_month(&Periods::new(&book.rules.windows, as_of), args.month)?;
    let shown = Shown {
        figures: true,
        hashes: args.out.is_some(),
    };
    let run = compute(book, &args.data, None, shown, err)?;
    let info = run.info();
    let rows = credit_statement::rows(&run.outcome, &run.periods, month);
    if let Some(dir) = args.out {
        let label = run.periods.full(month).month_label();
        let mut files = RunFiles::default();
        files.add(
            format!("credit_statement_{label}.csv"),
            credit_statement::statement_csv(&rows),
        );
        for row in &rows {
            let lines: Vec<&engine::Line> = run.outcome.lines_of(&row.partner_id).collect();
            let facts = credit_statement::PartnerFacts {
                periods: &run.periods,
                month,
                lines: &lines,
            };
            files.add(
                PathBuf::from("statements")
                    .join(&label)
                    .join(format!("{}.md", report::file_stem(&row.partner_id))),
                credit_statement::partner_markdown(row, &facts, &info),
            );
        }
        if args.html {
            let audit = report::html::Audit::of(&run.book, &run.data, run.skip_invalid);
            for (path, page) in
                credit_statement::html_pages(&run.outcome, &run.periods, month, &rows, &audit)
            {
                files.add(path, page);
            }
        }
        // Each month keeps its own rejected rows: months accumulate in one directory.
        let rejects = format!("rejects_{label}.csv");
        let manifest = statement_manifest(&run.finish_files(&mut files, &rejects), &label, &rows);
        let kind = RunKind {
            command: "statements",
            month: Some(&label),
        };
        report::write_run(dir, kind, &files, manifest, args.force)?;
    }
    emit_human(
        out,
        &credit_statement::statement_table(&rows, &run.periods, month, &info),
    )
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
