//! `ledger`: what the payout ledger holds (list, show, export, verify) and how the data
//! drifted from it; and how the other commands read a ledger: `--ledger FILE`, else
//! `TSP_PAYOUT_LEDGER`, else `tsp-payout.ledger` in the current directory when it exists.
//! Only `close` creates a ledger.

use super::flags::DataFlags;
use super::load::{compute, compute_issued, load_book, resolve_as_of, Run, Shown};
use super::{emit, emit_human, note, AppError};
use crate::engine::{Issued, Kind, Line, Outcome, Step};
use crate::ledger::{self, CloseRecord, Closed, Ledger, Source};
use crate::money::Money;
use crate::payout::Figures;
use crate::report::escape::shown;
use crate::report::{csv_string, Cell};
use crate::window::{Periods, WindowId};
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The ledger a reading command takes closed periods from.
#[derive(clap::Args)]
pub(crate) struct LedgerFlags {
    /// Payout ledger: closed periods are shown as issued and the affiliate true-up is taken
    /// against it. Default: $TSP_PAYOUT_LEDGER, else tsp-payout.ledger in the current
    /// directory, each only when it exists; never created here.
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: Option<PathBuf>,
}

/// A ledger as a reading command uses it.
pub(crate) struct Read {
    pub(crate) ledger: Ledger,
    /// Every closed period as it stands.
    pub(crate) closed: BTreeMap<String, Closed>,
}

impl LedgerFlags {
    /// The ledger, if one is named or the default exists. A `--ledger` that does not exist
    /// is refused; a `TSP_PAYOUT_LEDGER` that does not exist is said on stderr (nothing is
    /// closed then).
    pub(crate) fn open(&self, err: &mut dyn Write) -> Result<Option<Read>, AppError> {
        let (path, source) = ledger::resolve(self.ledger.as_deref());
        if source != Source::Flag && std::fs::symlink_metadata(&path).is_err() {
            if source == Source::Env {
                note(
                    err,
                    &format!(
                        "note: no ledger at {} ({}): every period is computed\n",
                        path.display(),
                        ledger::ENV
                    ),
                );
            }
            return Ok(None);
        }
        let ledger = Ledger::open_existing(&path)?;
        let closed = ledger.closed()?;
        Ok(Some(Read { ledger, closed }))
    }
}

/// What a reading command took from a ledger: the closed months' issues (for the true-up)
/// and the closed periods shown as issued.
pub(crate) struct Applied {
    pub(crate) issued: Issued,
    closed: BTreeMap<String, Closed>,
    path: PathBuf,
}

impl Applied {
    /// Shows the closed periods of another run of the same data (a scenario) as issued.
    pub(crate) fn show_issued(&self, outcome: &mut Outcome, figures: bool) {
        let closed = self.closed.iter().map(|(p, c)| (p.clone(), c)).collect();
        show_issued(outcome, &closed, &self.path, figures);
    }
}

/// A run with the ledger applied: closed periods as issued, open ones computed with the
/// affiliate true-up against the ledger; which is which (`None` without a ledger); and
/// what was taken from the ledger.
pub(crate) fn compute_with_ledger(
    book: crate::book::Book,
    data: &DataFlags,
    flags: &LedgerFlags,
    shown: Shown,
    err: &mut dyn Write,
) -> Result<(Run, Option<String>, Option<Applied>), AppError> {
    let Some(read) = flags.open(err)? else {
        let run = compute(book, data, None, shown, err)?;
        return Ok((run, None, None));
    };
    let as_of = resolve_as_of(&book, data.as_of)?;
    let periods = Periods::new(&book.rules.windows, as_of);
    // Closed periods stand under the book they were closed with; open ones use this run's.
    let others: std::collections::BTreeSet<(&str, &str)> = read
        .closed
        .values()
        .map(|c| (c.close.book_name.as_str(), c.close.book_sha256.as_str()))
        .filter(|(_, sha)| *sha != book.sha256)
        .collect();
    for (name, sha) in others {
        note(
            err,
            &format!(
                "warning: ledger {} holds closes under book {name} (sha256 {sha}); this run uses book {} (sha256 {}): closed periods are shown as issued under their book\n",
                read.ledger.path().display(),
                book.rules.book.name,
                book.sha256
            ),
        );
    }
    let issued = read.issued(&periods)?;
    let mut run = compute_issued(book, data, None, shown, &issued, err)?;
    let closed = read.closed_in(&run.periods);
    show_issued(
        &mut run.outcome,
        &closed,
        read.ledger.path(),
        shown.figures != Figures::None,
    );
    let provenance = provenance_text(&closed, &run.periods, read.ledger.path());
    run.ledger = Some(serde_json::json!({
        "path": read.ledger.path().display().to_string(),
        "closed": closed
            .iter()
            .map(|(p, c)| {
                let c = &c.close;
                (p.clone(), serde_json::json!({
                    "close": c.id,
                    "closed_at": c.closed_at,
                    "as_of": c.as_of,
                    "close_sha256": c.close_sha256,
                }))
            })
            .collect::<serde_json::Map<_, _>>(),
    }));
    let applied = Applied {
        issued,
        closed: closed.into_iter().map(|(p, c)| (p, c.clone())).collect(),
        path: read.ledger.path().to_path_buf(),
    };
    Ok((run, Some(provenance), Some(applied)))
}

/// `statements --month M` for a closed month: the files and table its close stored, as
/// they were; the data is not read.
/// What `statements` asked of a closed month.
pub(crate) struct StatementAsked {
    pub(crate) html: bool,
    pub(crate) format: super::flags::Format,
}

pub(crate) fn closed_statement(
    read: &Read,
    closed: &Closed,
    to: &super::flags::OutFlags,
    how: StatementAsked,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), AppError> {
    let html = how.html;
    let c = &closed.close;
    note(
        err,
        &format!(
            "{} is closed: the statement issued at {} from ledger {}; the data is not read\n",
            c.period,
            close_label(c),
            read.ledger.path().display()
        ),
    );
    let stored = read.ledger.files(c.id)?;
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let stored_text = |name: &str| stored.iter().find(|(p, _)| p == name).map(|(_, b)| text(b));
    let csv_name = format!("credit_statement_{}.csv", c.period);
    if let Some(dir) = &to.out {
        let mut files = crate::report::RunFiles::default();
        for (path, bytes) in &stored {
            if super::close::STDOUT_FILES.contains(&path.as_str())
                || (!html && path.starts_with("html/"))
            {
                continue;
            }
            // The paths come from the file: one that could leave --out is an edit.
            let plain = !path.is_empty()
                && !path.starts_with('/')
                && !path.contains('\\')
                && path
                    .split('/')
                    .all(|c| !c.is_empty() && c != "." && c != "..");
            if !plain {
                return Err(ledger::LedgerError::Foreign {
                    path: read.ledger.path().to_path_buf(),
                    why: format!(
                        "close #{} stores a statement file named {path:?}; run `tsp-payout ledger verify`",
                        c.id
                    ),
                }
                .into());
            }
            files.add(path.as_str(), text(bytes));
        }
        let inputs: serde_json::Map<String, serde_json::Value> = read
            .ledger
            .inputs(c.id)?
            .into_iter()
            .map(|f| (f.file, serde_json::json!(f.sha256)))
            .collect();
        let lines = &closed.lines;
        let doc = serde_json::json!({
            "tool": "tsp-payout",
            "version": env!("CARGO_PKG_VERSION"),
            "as_of": c.as_of,
            "book": {"name": c.book_name, "sha256": c.book_sha256},
            "inputs": inputs,
            "statement": {
                "month": c.period,
                "total": lines.iter().map(|l| l.amount).sum::<Money>(),
            },
            "ledger": {
                "path": read.ledger.path().display().to_string(),
                "close": c.id,
                "closed_at": c.closed_at,
                "close_sha256": c.close_sha256,
            },
        });
        let mut manifest = serde_json::to_string_pretty(&doc).expect("JSON of plain data");
        manifest.push('\n');
        let kind = crate::report::RunKind {
            command: "statements",
            month: Some(&c.period),
        };
        crate::report::write_run(dir, kind, &files, manifest, to.force)?;
    }
    use super::flags::Format;
    let (name, human) = match how.format {
        Format::Table => (super::close::TABLE_FILE, true),
        Format::Csv => (csv_name.as_str(), false),
        Format::Json => (super::close::JSON_FILE, false),
    };
    let Some(shown) = stored_text(name) else {
        return Err(AppError::Usage(format!(
            "close #{} of {} did not store its statement as {name}",
            c.id, c.period
        )));
    };
    if human {
        emit_human(out, &shown)
    } else {
        emit(out, &shown)
    }
}

/// The month labels of the program, in order.
pub(crate) fn month_labels(periods: &Periods) -> Vec<String> {
    WindowId::MONTHS
        .iter()
        .map(|m| periods.full(*m).month_label())
        .collect()
}

/// The window a period label stands for: a month (`2025-10`), `q4` or `bfcm`.
pub(crate) fn period_window(periods: &Periods, label: &str) -> Option<WindowId> {
    match label {
        "q4" => Some(WindowId::Q4),
        "bfcm" => Some(WindowId::Bfcm),
        _ => WindowId::MONTHS
            .into_iter()
            .find(|m| periods.full(*m).month_label() == label),
    }
}

impl Read {
    /// What the closed months issued, for the programs.
    pub(crate) fn issued(&self, periods: &Periods) -> Result<Issued, AppError> {
        Ok(self.ledger.issued(&month_labels(periods))?)
    }

    /// The closed periods that have ended by the run's evaluation date: those shown as
    /// issued (a run as of an earlier date computes what it would have shown then).
    pub(crate) fn closed_in(&self, periods: &Periods) -> BTreeMap<String, &Closed> {
        self.closed
            .iter()
            .filter(|(p, _)| period_window(periods, p).is_some_and(|w| periods.complete(w)))
            .map(|(p, c)| (p.clone(), c))
            .collect()
    }
}

/// The `program` of a line read back: the registered id (an id this version does not know
/// is kept as read).
fn program_id(id: &str) -> &'static str {
    match crate::programs::info(id) {
        Some(p) => p.id,
        None => Box::leak(id.to_string().into_boxed_str()),
    }
}

/// `close #3 (2025-11-30T09:00:00Z, as of 2025-11-30)`.
pub(crate) fn close_label(c: &CloseRecord) -> String {
    format!("close #{} ({}, as of {})", c.id, c.closed_at, c.as_of)
}

/// Replaces the computed lines of every closed period with the lines the ledger issued.
/// With `figures`, each issued line carries the close it came from and what the current
/// data computes, with the computation's figures.
pub(crate) fn show_issued(
    outcome: &mut Outcome,
    closed: &BTreeMap<String, &Closed>,
    path: &Path,
    figures: bool,
) {
    if closed.is_empty() {
        return;
    }
    let mut computed: BTreeMap<(String, &'static str, String), Line> = BTreeMap::new();
    let mut kept = Vec::with_capacity(outcome.lines.len());
    for line in std::mem::take(&mut outcome.lines) {
        if closed.contains_key(&line.period) {
            computed.insert(
                (line.partner_id.clone(), line.program, line.period.clone()),
                line,
            );
        } else {
            kept.push(line);
        }
    }
    for c in closed.values() {
        for l in &c.lines {
            let program = program_id(&l.program);
            let now = computed.get(&(l.partner_id.clone(), program, l.period.clone()));
            outcome
                .partners
                .entry(l.partner_id.clone())
                .or_insert_with(|| l.partner_name.clone());
            let steps = if figures {
                let issued = Step::new("issued", l.amount.human()).source(format!(
                    "ledger {}, {}",
                    path.display(),
                    close_label(&c.close)
                ));
                let now = match now {
                    Some(n) => Step::new("computed from the current data", n.amount.human())
                        .children(n.steps.iter().cloned()),
                    None => Step::new("computed from the current data", "no line"),
                };
                vec![issued, now]
            } else {
                Vec::new()
            };
            kept.push(Line {
                partner_id: l.partner_id.clone(),
                program,
                period: l.period.clone(),
                kind: if l.kind == "cash" {
                    Kind::Cash
                } else {
                    Kind::AdCredit
                },
                amount: l.amount,
                provisional: false,
                basis: format!("issued at {}: {}", close_label(&c.close), l.basis),
                // A basis that names other partners (leaderboard ties) is not shown on the
                // partner's own statement: there the line says only where it was issued.
                partner_basis: now
                    .and_then(|n| n.partner_basis.as_ref())
                    .map(|_| format!("issued at {}", close_label(&c.close))),
                steps,
                detail: None,
            });
        }
    }
    let order = |id: &str| outcome.programs.iter().position(|p| p.id == id);
    kept.sort_by(|a, b| {
        a.partner_id
            .cmp(&b.partner_id)
            .then_with(|| order(a.program).cmp(&order(b.program)))
            .then_with(|| a.period.cmp(&b.period))
    });
    outcome.lines = kept;
}

/// Which periods a run shows as issued (with their close) and which as computed.
pub(crate) fn provenance_text(
    closed: &BTreeMap<String, &Closed>,
    periods: &Periods,
    path: &Path,
) -> String {
    let mut labels = month_labels(periods);
    labels.extend(["q4".to_string(), "bfcm".to_string()]);
    let mut out = format!("ledger {}:\n", path.display());
    for label in labels {
        match closed.get(&label) {
            Some(c) => out.push_str(&format!(
                "  {label}: closed — shown as issued at {}\n",
                close_label(&c.close)
            )),
            None => out.push_str(&format!("  {label}: open — computed from the data\n")),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The `ledger` command.

/// What the payout ledger holds: closed periods, issued lines, export, integrity, drift.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Every close and reopen, oldest first, with its facts.
    List(FileArgs),
    /// A closed period: its closes, facts, inputs and the lines issued.
    Show(ShowArgs),
    /// Write every table of the ledger as CSV into a new directory.
    Export(ExportArgs),
    /// Check the file and the hash chain over the closes; an edited row is named (exit 65).
    Verify(VerifyArgs),
    /// Per partner, program and closed period: what the current data gives against what
    /// was issued, and the difference.
    Drift(DriftArgs),
}

#[derive(clap::Args)]
struct FileArgs {
    /// Payout ledger (default: $TSP_PAYOUT_LEDGER, else tsp-payout.ledger here).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    file: FileArgs,
    /// The ledger head a close printed (its first 16 or more hex digits): the ledger must
    /// still hold that close. A chain checks itself only up to its last close; removing the
    /// last close, or the whole ledger's content, is seen only against a head kept elsewhere.
    #[arg(long, value_name = "SHA256")]
    head: Option<String>,
}

#[derive(clap::Args)]
struct ShowArgs {
    /// The period: 2025-10, 2025-11, 2025-12, q4 or bfcm.
    period: String,
    #[command(flatten)]
    file: FileArgs,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// Directory to create (it must not exist, or be empty).
    dir: PathBuf,
    #[command(flatten)]
    file: FileArgs,
}

#[derive(clap::Args)]
struct DriftArgs {
    #[command(flatten)]
    data: DataFlags,
    #[command(flatten)]
    file: FileArgs,
    /// What to print: a table, or CSV.
    #[arg(long, value_enum, default_value_t = DriftFormat::Table)]
    format: DriftFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum DriftFormat {
    Table,
    Csv,
}

impl FileArgs {
    /// The ledger, which must exist: these commands only read it.
    fn open(&self) -> Result<Ledger, AppError> {
        let (path, _) = ledger::resolve(self.ledger.as_deref());
        Ok(Ledger::open_existing(&path)?)
    }
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    match &args.action {
        Action::List(a) => list(&a.open()?, out),
        Action::Show(a) => show(&a.file.open()?, &a.period, out),
        Action::Export(a) => export(&a.file.open()?, &a.dir, out),
        Action::Verify(a) => verify(&a.file.open()?, a.head.as_deref(), out, err),
        Action::Drift(a) => drift(a, out, err),
    }
}

fn human_table(header: &[&str], right: &[usize], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    for r in rows {
        table.add_row(r.into_iter().map(|c| shown(&c).into_owned()));
    }
    for i in right {
        if let Some(col) = table.column_mut(*i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    format!("{table}\n")
}

fn total(lines: &[ledger::IssuedLine], kind: &str) -> Money {
    lines
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.amount)
        .sum()
}

fn list(l: &Ledger, out: &mut dyn Write) -> Result<(), AppError> {
    let closes = l.closes()?;
    let mut rows = Vec::new();
    for c in &closes {
        let lines = l.lines(c.id, false)?;
        rows.push(vec![
            c.id.to_string(),
            c.period.clone(),
            c.action.clone(),
            c.closed_at.clone(),
            c.as_of.clone(),
            lines.len().to_string(),
            total(&lines, "cash").human(),
            total(&lines, "ad_credit").human(),
            c.tool_version.clone(),
            c.book_sha256.chars().take(12).collect(),
            c.note.clone().or(c.reason.clone()).unwrap_or_default(),
        ]);
    }
    let mut text = format!("ledger {}: {} close(s)\n", l.path().display(), closes.len());
    text.push_str(&human_table(
        &[
            "close",
            "period",
            "action",
            "closed_at",
            "as_of",
            "lines",
            "cash",
            "ad_credit",
            "tool",
            "book",
            "note",
        ],
        &[0, 5, 6, 7],
        rows,
    ));
    emit_human(out, &text)
}

fn show(l: &Ledger, period: &str, out: &mut dyn Write) -> Result<(), AppError> {
    let closes: Vec<CloseRecord> = l
        .closes()?
        .into_iter()
        .filter(|c| c.period == period)
        .collect();
    let Some(latest) = closes.last() else {
        return Err(AppError::Usage(format!(
            "{period} is not closed in {}",
            l.path().display()
        )));
    };
    let mut text = format!("{period} in ledger {}\n", l.path().display());
    for c in &closes {
        text.push_str(&format!(
            "{} {}: {}, as of {}, tool {}, book {} (sha256 {}){}{}{}\n",
            c.action,
            c.id,
            c.closed_at,
            c.as_of,
            c.tool_version,
            c.book_name,
            c.book_sha256,
            c.note
                .as_ref()
                .map_or(String::new(), |n| format!(", note: {n}")),
            c.reason
                .as_ref()
                .map_or(String::new(), |r| format!(", reason: {r}")),
            c.replaces
                .map_or(String::new(), |r| format!(", reverses close #{r}")),
        ));
    }
    text.push_str(&format!("\ninputs read by close #{}:\n", latest.id));
    let inputs: Vec<Vec<String>> = l
        .inputs(latest.id)?
        .into_iter()
        .map(|f| {
            vec![
                f.file,
                if f.present {
                    f.sha256.unwrap_or_default()
                } else {
                    "absent".into()
                },
                f.rows[0].to_string(),
                f.rows[1].to_string(),
                f.rows[2].to_string(),
                f.rows[3].to_string(),
                f.rows[4].to_string(),
                f.gmv[0].human(),
            ]
        })
        .collect();
    text.push_str(&human_table(
        &[
            "file",
            "sha256",
            "read",
            "used",
            "outside",
            "unmatched",
            "rejected",
            "gmv read",
        ],
        &[2, 3, 4, 5, 6, 7],
        inputs,
    ));
    let lines = l.lines(latest.id, false)?;
    text.push_str(&format!(
        "\nissued by close #{} ({} lines, cash {}, ad credits {}):\n",
        latest.id,
        lines.len(),
        total(&lines, "cash").human(),
        total(&lines, "ad_credit").human()
    ));
    let rows = lines
        .iter()
        .map(|x| {
            vec![
                x.partner_id.clone(),
                x.program.clone(),
                x.period.clone(),
                x.kind.clone(),
                x.amount.human(),
                x.basis.clone(),
            ]
        })
        .collect();
    text.push_str(&human_table(
        &["partner_id", "program", "period", "kind", "amount", "basis"],
        &[4],
        rows,
    ));
    let balances: Vec<Vec<String>> = l
        .balances(latest.id)?
        .into_iter()
        .filter(|b| b.over_issued.is_positive())
        .map(|b| vec![b.partner_id, b.month, b.over_issued.human()])
        .collect();
    if !balances.is_empty() {
        // The program's last month (of the embedded book): its balance is not carried.
        let last = crate::book::Book::embedded()
            .rules
            .windows
            .months()
            .last()
            .is_some_and(|(_, w)| w.month_label() == period);
        text.push_str(&format!(
            "\naffiliate credits over-issued ({}):\n",
            if last {
                "recoverable: the quarter has closed"
            } else {
                "carried against later issues"
            }
        ));
        text.push_str(&human_table(
            &["partner_id", "month", "over_issued"],
            &[2],
            balances,
        ));
    }
    emit_human(out, &text)
}

fn export(l: &Ledger, dir: &Path, out: &mut dyn Write) -> Result<(), AppError> {
    let tables = l.export()?;
    let mut files = crate::report::RunFiles::default();
    for t in &tables {
        let csv = csv_string(|w| {
            let cols: Vec<&str> = t.columns.iter().map(String::as_str).collect();
            w.header(&cols)?;
            for r in &t.rows {
                w.row(r.iter().map(|(v, figure)| {
                    if *figure {
                        Cell::Figure(v.clone())
                    } else {
                        Cell::Text(v)
                    }
                }))?;
            }
            Ok(())
        });
        files.add(format!("{}.csv", t.name), csv);
    }
    let manifest = serde_json::json!({
        "tool": format!("tsp-payout {}", env!("CARGO_PKG_VERSION")),
        "ledger": l.path().display().to_string(),
        "tables": tables.iter().map(|t| (t.name.clone(), t.rows.len())).collect::<BTreeMap<_, _>>(),
    });
    let mut manifest = serde_json::to_string_pretty(&manifest).expect("JSON of plain data");
    manifest.push('\n');
    let kind = crate::report::RunKind {
        command: "ledger-export",
        month: None,
    };
    crate::report::write_run(dir, kind, &files, manifest, false)?;
    emit_human(
        out,
        &format!(
            "exported {} table(s) of {} to {}\n",
            tables.len(),
            l.path().display(),
            dir.display()
        ),
    )
}

fn verify(
    l: &Ledger,
    head: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), AppError> {
    let head = head.map(|h| h.trim().to_ascii_lowercase());
    if let Some(h) = &head {
        if h.len() < ledger::HEAD_SHOWN || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::Usage(format!(
                "--head {h:?}: give the head a close printed, at least {} hex digits",
                ledger::HEAD_SHOWN
            )));
        }
    }
    let mut problems = l.verify()?;
    let closes = l.closes()?;
    let mut held = String::new();
    if let Some(h) = &head {
        match closes.iter().position(|c| c.close_sha256.starts_with(h.as_str())) {
            Some(i) => {
                let c = &closes[i];
                held = format!(
                    "; head {h} is close #{} ({}), {} close(s) since",
                    c.id,
                    c.period,
                    closes.len() - 1 - i
                );
            }
            None => problems.push(format!(
                "the head given ({h}) is no close in the ledger: the close it names was removed or changed{}",
                closes.last().map_or(String::new(), |c| format!(
                    " (the ledger now ends at close #{} ({}), head {})",
                    c.id,
                    c.period,
                    &c.close_sha256[..ledger::HEAD_SHOWN]
                ))
            )),
        }
    }
    if problems.is_empty() {
        let last = closes.last().map_or(String::new(), |c| {
            format!(
                "; last close #{} ({}), head {}",
                c.id,
                c.period,
                &c.close_sha256[..ledger::HEAD_SHOWN]
            )
        });
        return emit_human(
            out,
            &format!(
                "ledger {}: integrity ok, {} close(s), hash chain intact{last}{held}\n",
                l.path().display(),
                closes.len()
            ),
        );
    }
    for p in &problems {
        note(err, &format!("{}: {p}\n", l.path().display()));
    }
    Err(AppError::ProblemsFound {
        count: problems.len(),
    })
}

/// One row of the drift list.
struct DriftRow {
    partner_id: String,
    program: String,
    period: String,
    issued: Money,
    current: Option<Money>,
}

const DRIFT_COLUMNS: [&str; 7] = [
    "partner_id",
    "program",
    "period",
    "close",
    "issued",
    "current",
    "difference",
];

fn drift(args: &DriftArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    let l = args.file.open()?;
    let closed = l.closed()?;
    let book = load_book(args.data.book.as_deref())?;
    let as_of = resolve_as_of(&book, args.data.as_of)?;
    let periods = Periods::new(&book.rules.windows, as_of);
    let issued = l.issued(&month_labels(&periods))?;
    let shown_flags = Shown {
        figures: Figures::None,
        hashes: false,
    };
    let run = compute_issued(book, &args.data, None, shown_flags, &issued, err)?;
    let mut rows: Vec<(DriftRow, i64)> = Vec::new();
    for (period, c) in &closed {
        let mut current: BTreeMap<(String, String), Money> = run
            .outcome
            .lines
            .iter()
            .filter(|x| &x.period == period)
            .map(|x| ((x.partner_id.clone(), x.program.to_string()), x.amount))
            .collect();
        for x in &c.lines {
            let now = current.remove(&(x.partner_id.clone(), x.program.clone()));
            rows.push((
                DriftRow {
                    partner_id: x.partner_id.clone(),
                    program: x.program.clone(),
                    period: period.clone(),
                    issued: x.amount,
                    current: now,
                },
                c.close.id,
            ));
        }
        // Lines the data gives now that the close did not issue (a partner new in a
        // restated export).
        for ((partner_id, program), amount) in current {
            rows.push((
                DriftRow {
                    partner_id,
                    program,
                    period: period.clone(),
                    issued: Money::ZERO,
                    current: Some(amount),
                },
                c.close.id,
            ));
        }
    }
    rows.sort_by(|(a, _), (b, _)| {
        (
            &a.partner_id,
            crate::programs::position(&a.program),
            &a.period,
        )
            .cmp(&(
                &b.partner_id,
                crate::programs::position(&b.program),
                &b.period,
            ))
    });
    let diff = |r: &DriftRow| r.current.unwrap_or(Money::ZERO) - r.issued;
    match args.format {
        DriftFormat::Csv => emit(
            out,
            &csv_string(|w| {
                w.header(&DRIFT_COLUMNS)?;
                for (r, close) in &rows {
                    w.row([
                        Cell::Text(&r.partner_id),
                        Cell::Text(&r.program),
                        Cell::Text(&r.period),
                        Cell::Figure(close.to_string()),
                        Cell::Figure(r.issued.plain()),
                        Cell::Figure(r.current.unwrap_or(Money::ZERO).plain()),
                        Cell::Figure(diff(r).plain()),
                    ])?;
                }
                Ok(())
            }),
        ),
        DriftFormat::Table => {
            let changed = rows.iter().filter(|(r, _)| !diff(r).is_zero()).count();
            let mut text = format!(
                "drift of {} against ledger {} (as of {}): {} line(s) of {} closed period(s), {changed} changed\n",
                args.data.data_dir.display(),
                l.path().display(),
                periods.as_of,
                rows.len(),
                closed.len()
            );
            let body = rows
                .iter()
                .map(|(r, close)| {
                    vec![
                        r.partner_id.clone(),
                        r.program.clone(),
                        r.period.clone(),
                        format!("#{close}"),
                        r.issued.human(),
                        r.current.map_or("no line".into(), |m| m.human()),
                        diff(r).human(),
                    ]
                })
                .collect();
            text.push_str(&human_table(&DRIFT_COLUMNS, &[4, 5, 6], body));
            emit_human(out, &text)
        }
    }
}
