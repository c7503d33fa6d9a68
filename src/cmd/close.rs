//! `close`: records a period's payout lines as issued in the ledger, once.

use super::flags::DataFlags;
use super::ledger::{close_label, month_labels, period_window, show_issued};
use super::load::{compute_issued, load_book, resolve_as_of, Run, Shown};
use super::{emit_human, note, AppError};
use crate::engine::Issued;
use crate::ledger::HEAD_SHOWN;
use crate::ledger::{self, Balance, InputFact, IssuedLine, Ledger, NewClose, SellerIssue};
use crate::money::Money;
use crate::payout::Figures;
use crate::programs::affiliate;
use crate::report::{self, credit_statement};
use crate::window::{Periods, WindowId};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

/// Record a period's payouts as issued in the payout ledger: a month (its ad credits),
/// q4 (the quarter's cash programs) or bfcm (the three challenges). A closed period is
/// shown as issued from then on, whatever later exports say.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataFlags,
    /// The period to close: 2025-10, 2025-11, 2025-12, q4 or bfcm. It must have ended by
    /// --as-of; months close in order.
    #[arg(long)]
    period: String,
    /// Payout ledger (default: $TSP_PAYOUT_LEDGER, else tsp-payout.ledger in the current
    /// directory); the first close creates it.
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// A note recorded with the close (who, which export, approval reference).
    #[arg(long)]
    note: Option<String>,
    /// Issue a closed period again: records a reversal of its lines and the new lines.
    #[arg(long, requires = "reason")]
    reopen: bool,
    /// Why the period is reopened; recorded with the reversal.
    #[arg(long, requires = "reopen")]
    reason: Option<String>,
}

/// The stored statement files holding what `statements` prints for a closed month (the
/// table, and `--format json`); the CSV is the statement's own file.
pub(crate) const TABLE_FILE: &str = "statement_table.txt";
pub(crate) const JSON_FILE: &str = "statement.json";
pub(crate) const STDOUT_FILES: [&str; 2] = [TABLE_FILE, JSON_FILE];

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    // A reopen re-issues paid money: the ledger keeps why, and a blank reason is none.
    if args.reason.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(AppError::Usage(
            "--reason is blank: say why the period is reopened (it is recorded with the reversal)"
                .to_string(),
        ));
    }
    let book = load_book(args.data.book.as_deref())?;
    let as_of = resolve_as_of(&book, args.data.as_of)?;
    let periods = Periods::new(&book.rules.windows, as_of);
    let period = args.period.as_str();
    let Some(window) = period_window(&periods, period) else {
        let mut known = month_labels(&periods);
        known.extend(["q4".to_string(), "bfcm".to_string()]);
        return Err(AppError::Usage(format!(
            "--period {period} is not a period of the program (one of {})",
            known.join(", ")
        )));
    };
    if !periods.complete(window) {
        return Err(AppError::Usage(format!(
            "{period} has not ended by --as-of {as_of} (it ends {}); a period is closed once it has ended",
            periods.full(window).end
        )));
    }
    let (path, _) = ledger::resolve(args.ledger.as_deref());
    // An existing ledger is checked before the data is read; a new one is created only
    // when the close is recorded.
    let existing = if std::fs::symlink_metadata(&path).is_ok() {
        Some(Ledger::open_for_close(&path)?)
    } else {
        None
    };
    let closed = match &existing {
        Some(l) => l.closed()?,
        None => BTreeMap::new(),
    };
    match (closed.get(period), args.reopen) {
        (Some(c), false) => {
            return Err(ledger::LedgerError::AlreadyClosed {
                period: period.to_string(),
                id: c.close.id,
                closed_at: c.close.closed_at.clone(),
                as_of: c.close.as_of.clone(),
            }
            .into())
        }
        (None, true) => {
            return Err(ledger::LedgerError::NotClosed {
                period: period.to_string(),
                path: path.clone(),
            }
            .into())
        }
        _ => {}
    }
    // The true-up of a month is taken against the months before it as issued: they must
    // be closed first.
    if let Some(i) = WindowId::MONTHS.iter().position(|m| *m == window) {
        let open: Vec<String> = month_labels(&periods)[..i]
            .iter()
            .filter(|m| !closed.contains_key(*m))
            .cloned()
            .collect();
        if !open.is_empty() {
            return Err(AppError::Usage(format!(
                "{period} cannot be closed before {}: months close in order (its affiliate true-up is taken against what they issued)",
                open.join(", ")
            )));
        }
    }
    // A later month's true-up was taken against this month as issued: reopening this one
    // would pay the change a second time. The next open month's true-up takes it up.
    if let (true, Some(i)) = (
        args.reopen,
        WindowId::MONTHS.iter().position(|m| *m == window),
    ) {
        let later: Vec<String> = month_labels(&periods)[i + 1..]
            .iter()
            .filter(|m| closed.contains_key(*m))
            .cloned()
            .collect();
        if !later.is_empty() {
            return Err(AppError::Usage(format!(
                "{period} cannot be reopened while {} is closed: the later true-up was taken against {period} as issued, so the change would be paid twice; the next open month's affiliate true-up takes a restatement of {period} up",
                later.join(", ")
            )));
        }
    }
    // Closes under another book make one quarter's ledger mix rules: say so before paying.
    if let Some(l) = &existing {
        let others: BTreeSet<(String, String)> = l
            .closes()?
            .into_iter()
            .filter(|c| c.book_sha256 != book.sha256)
            .map(|c| (c.book_name, c.book_sha256))
            .collect();
        for (name, sha) in others {
            note(
                err,
                &format!(
                    "warning: ledger {} holds closes under book {name} (sha256 {sha}); this close uses book {} (sha256 {}): closed periods stand as issued under their book\n",
                    path.display(),
                    book.rules.book.name,
                    book.sha256
                ),
            );
        }
    }
    let issued = match &existing {
        Some(l) => l.issued(&month_labels(&periods))?,
        None => Issued::default(),
    };
    let shown = Shown {
        figures: Figures::All,
        hashes: true,
    };
    let mut run = compute_issued(book, &args.data, None, shown, &issued, err)?;
    let lines: Vec<IssuedLine> = run
        .outcome
        .lines
        .iter()
        .filter(|l| l.period == period)
        .map(|l| IssuedLine {
            partner_id: l.partner_id.clone(),
            partner_name: run
                .outcome
                .partners
                .get(&l.partner_id)
                .cloned()
                .unwrap_or_default(),
            program: l.program.to_string(),
            period: l.period.clone(),
            kind: l.kind.as_str().to_string(),
            amount: l.amount,
            basis: l.basis.clone(),
        })
        .collect();
    if let Some(l) = run
        .outcome
        .lines
        .iter()
        .find(|l| l.period == period && l.provisional)
    {
        return Err(AppError::Usage(format!(
            "{period} has a provisional line ({} {}): only final lines are closed",
            l.partner_id, l.program
        )));
    }
    let (sellers, balances) = if WindowId::MONTHS.contains(&window) {
        affiliate_records(&run, window, &issued)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut files = Vec::new();
    if WindowId::MONTHS.contains(&window) {
        // The statement as it stands at the close: earlier months as issued, this one as
        // computed now.
        let others: BTreeMap<String, &ledger::Closed> = closed
            .iter()
            .filter(|(p, _)| p.as_str() != period)
            .map(|(p, c)| (p.clone(), c))
            .collect();
        show_issued(&mut run.outcome, &others, &path, false);
        files = statement_files(&run, window);
    }
    let new = NewClose {
        period: period.to_string(),
        as_of: as_of.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        book_name: run.book.rules.book.name.clone(),
        book_sha256: run.book.sha256.clone(),
        note: args.note.clone(),
        reason: args.reason.clone(),
        inputs: input_facts(&run),
        lines,
        sellers,
        balances,
        files,
    };
    let mut ledger = match existing {
        Some(l) => l,
        None => Ledger::open_for_close(&path)?,
    };
    let record = ledger.record(&new, &ledger::now_utc())?;
    // A first close is also what a close from the wrong directory (the default ledger is
    // the current one's) or into an emptied ledger looks like: name the file in full.
    if record.id == 1 {
        let full = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
        note(
            err,
            &format!(
                "note: {} held no closes before this one: a new ledger\n",
                full.display()
            ),
        );
    }
    let last_month = WindowId::MONTHS.last() == Some(&window);
    emit_human(out, &summary(&record, &new, &path, last_month))
}

/// Every input file with its sha256 and reconciliation.
fn input_facts(run: &Run) -> Vec<InputFact> {
    run.data
        .files
        .values()
        .map(|r| InputFact {
            file: r.file.name().to_string(),
            present: r.present,
            sha256: r.sha256.clone(),
            rows: [
                r.rows.read,
                r.rows.used,
                r.rows.outside,
                r.rows.unmatched,
                r.rows.rejected,
            ],
            gmv: [
                r.gmv.read,
                r.gmv.used,
                r.gmv.outside,
                r.gmv.unmatched,
                r.gmv.rejected,
            ],
        })
        .collect()
}

/// Per partner, the month's affiliate true-up and the change of each seller's issued
/// credit: what later months are trued up against.
fn affiliate_records(
    run: &Run,
    month: WindowId,
    issued: &Issued,
) -> (Vec<SellerIssue>, Vec<Balance>) {
    if run.outcome.is_skipped(affiliate::ID) {
        return (Vec::new(), Vec::new());
    }
    let label = run.periods.full(month).month_label();
    let rules = &run.book.rules.affiliate_credits;
    let (mut sellers, mut balances) = (Vec::new(), Vec::new());
    let none = crate::input::PartnerData::default();
    for (partner_id, partner) in affiliate::trued_up_partners(&run.data.partners, issued, &none) {
        let months = affiliate::partner_months(rules, &run.periods, partner_id, partner, issued);
        let Some(m) = months.into_iter().find(|m| m.month == month) else {
            continue;
        };
        let t = &m.true_up;
        balances.push(Balance {
            partner_id: partner_id.clone(),
            month: label.clone(),
            entitlement: m.now.amount,
            issued_before: t.issued_before,
            issued: t.issued,
            over_issued: t.over_issued,
        });
        sellers.extend(t.sellers.iter().map(|(seller_id, amount)| SellerIssue {
            partner_id: partner_id.clone(),
            seller_id: seller_id.clone(),
            month: label.clone(),
            amount: *amount,
        }));
    }
    (sellers, balances)
}

/// The month's statement as `statements --month` writes and prints it: the CSV, each
/// partner's Markdown and HTML statement, and the printed table.
fn statement_files(run: &Run, month: WindowId) -> Vec<(String, Vec<u8>)> {
    let info = run.info();
    let label = run.periods.full(month).month_label();
    let rows = credit_statement::rows(&run.outcome, &run.periods, month);
    let mut files: Vec<(String, Vec<u8>)> = vec![(
        format!("credit_statement_{label}.csv"),
        credit_statement::statement_csv(&rows).into_bytes(),
    )];
    for row in &rows {
        let lines: Vec<&crate::engine::Line> = run.outcome.lines_of(&row.partner_id).collect();
        let facts = credit_statement::PartnerFacts {
            periods: &run.periods,
            month,
            lines: &lines,
        };
        let path = PathBuf::from("statements")
            .join(&label)
            .join(format!("{}.md", report::file_stem(&row.partner_id)));
        files.push((
            path.to_string_lossy().into_owned(),
            credit_statement::partner_markdown(row, &facts, &info).into_bytes(),
        ));
    }
    let audit = report::html::Audit::of(&run.book, &run.data, run.skip_invalid);
    let mut pages = report::RunFiles::default();
    credit_statement::html_pages(&run.outcome, &run.periods, month, &rows, &audit, &mut pages);
    for (path, page) in &pages.files {
        files.push((
            path.to_string_lossy().into_owned(),
            page.rendered().into_bytes(),
        ));
    }
    files.push((
        TABLE_FILE.to_string(),
        credit_statement::statement_table(&rows, &run.periods, month, &info).into_bytes(),
    ));
    files.push((
        JSON_FILE.to_string(),
        credit_statement::statement_json(&rows, &run.periods, month, &info).into_bytes(),
    ));
    files
}

fn summary(
    record: &ledger::CloseRecord,
    new: &NewClose,
    path: &std::path::Path,
    last: bool,
) -> String {
    let sum = |kind: &str| -> Money {
        new.lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.amount)
            .sum()
    };
    let verb = if record.replaces.is_some() {
        "reopened"
    } else {
        "closed"
    };
    let mut text = format!(
        "{verb} {} in ledger {} as {}: {} line(s), cash {}, ad credits {}\n",
        record.period,
        path.display(),
        close_label(record),
        new.lines.len(),
        sum("cash").human(),
        sum("ad_credit").human()
    );
    text.push_str(&format!(
        "ledger head: {} (keep it: `tsp-payout ledger verify --head {}` shows the ledger still holds this close)\n",
        record.close_sha256,
        &record.close_sha256[..HEAD_SHOWN]
    ));
    if let Some(old) = record.replaces {
        text.push_str(&format!(
            "the lines of close #{old} are reversed; reason: {}\n",
            record.reason.as_deref().unwrap_or("")
        ));
    }
    let over: Vec<&Balance> = new
        .balances
        .iter()
        .filter(|b| b.over_issued.is_positive())
        .collect();
    if !over.is_empty() {
        text.push_str(&format!(
            "affiliate credits over-issued before this month ({}):\n",
            if last {
                "recoverable: the quarter is closed"
            } else {
                "carried against later issues"
            }
        ));
        for b in over {
            text.push_str(&format!(
                "  {}: {} (issued before {}, entitlement {})\n",
                b.partner_id,
                b.over_issued.human(),
                b.issued_before.human(),
                b.entitlement.human()
            ));
        }
    }
    text
}
