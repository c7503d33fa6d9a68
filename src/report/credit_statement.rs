//! The monthly ad-credit statement: per partner, the month's short-video credit, the
//! affiliate credit issued that month, the consistency bonus (with the last month), the
//! month's total and the quarter to date — as a terminal table, a CSV, and a statement a
//! partner can read (Markdown, and HTML for screen and print).
//!
//! Everything here is rendered from the run's payout lines: the amounts, the month total
//! and the quarter to date from their amounts, every other figure from their steps and
//! detail. Nothing is recomputed from the data or the book, so a statement cannot disagree
//! with the lines it stands for; leaderboard rows show other partners' figures, never ids.

use super::escape::{md_text, shown};
use super::html::{self, Audit, IndexInput, IndexRow, PageInput};
use super::{csv_string, Cell, RunFiles, RunInfo};
use crate::engine::{Detail, Kind, Line, Outcome, Skip, Step};
use crate::money::Money;
use crate::programs::Cadence;
use crate::programs::{affiliate, short_video};
use crate::window::{Periods, WindowId};
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use std::path::PathBuf;

pub const COLUMNS: [&str; 7] = [
    "partner_id",
    "partner_name",
    "short_video",
    "affiliate",
    "consistency",
    "total",
    "quarter_to_date",
];

/// One partner's ad credits for the month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRow {
    pub partner_id: String,
    pub partner_name: String,
    pub short_video: Money,
    pub affiliate: Money,
    pub consistency: Money,
    pub total: Money,
    pub quarter_to_date: Money,
}

impl StatementRow {
    fn amounts(&self) -> [Money; 5] {
        [
            self.short_video,
            self.affiliate,
            self.consistency,
            self.total,
            self.quarter_to_date,
        ]
    }
}

/// The sum of a partner's ad-credit lines whose period is one of `periods`: the month total
/// (the month's label) and the quarter to date (every label up to the month) alike.
fn ad_credits(outcome: &Outcome, partner_id: &str, periods: &[String]) -> Money {
    outcome
        .lines_of(partner_id)
        .filter(|l| l.kind == Kind::AdCredit && periods.contains(&l.period))
        .map(|l| l.amount)
        .sum()
}

/// Every partner of the run, with the month's amounts taken from the run's lines.
pub fn rows(outcome: &Outcome, periods: &Periods, month: WindowId) -> Vec<StatementRow> {
    let label = periods.full(month).month_label();
    let through = periods.labels_through(month);
    outcome
        .partners
        .iter()
        .map(|(id, name)| {
            let amount = |program: &str| -> Money {
                outcome
                    .lines_of(id)
                    .filter(|l| l.program == program && l.period == label)
                    .map(|l| l.amount)
                    .sum()
            };
            StatementRow {
                partner_id: id.clone(),
                partner_name: name.clone(),
                short_video: amount(short_video::TOP15),
                affiliate: amount(affiliate::ID),
                consistency: amount(short_video::CONSISTENCY),
                total: ad_credits(outcome, id, std::slice::from_ref(&label)),
                quarter_to_date: ad_credits(outcome, id, &through),
            }
        })
        .collect()
}

/// credit_statement_YYYY-MM.csv: partners with a non-zero quarter to date.
pub fn statement_csv(rows: &[StatementRow]) -> String {
    csv_string(|w| {
        w.header(&COLUMNS)?;
        for r in rows.iter().filter(|r| !r.quarter_to_date.is_zero()) {
            let ids = [Cell::Text(&r.partner_id), Cell::Text(&r.partner_name)];
            w.row(
                ids.into_iter()
                    .chain(r.amounts().iter().map(|m| Cell::Figure(m.plain()))),
            )?;
        }
        Ok(())
    })
}

/// `statements --format json`: the month, the evaluation date, the book, the rows of the
/// CSV (partners with a non-zero quarter to date) with plain amounts, and their totals.
pub fn statement_json(
    rows: &[StatementRow],
    periods: &Periods,
    month: WindowId,
    info: &RunInfo,
) -> String {
    let window = periods.full(month);
    let amounts = |r: &StatementRow| {
        let [short_video, affiliate, consistency, total, quarter_to_date] = r.amounts();
        serde_json::json!({
            "short_video": short_video,
            "affiliate": affiliate,
            "consistency": consistency,
            "total": total,
            "quarter_to_date": quarter_to_date,
        })
    };
    let listed: Vec<serde_json::Value> = rows
        .iter()
        .filter(|r| !r.quarter_to_date.is_zero())
        .map(|r| {
            let mut v = amounts(r);
            v["partner_id"] = serde_json::json!(r.partner_id);
            v["partner_name"] = serde_json::json!(r.partner_name);
            v
        })
        .collect();
    let sum = |i: usize| rows.iter().map(|r| r.amounts()[i]).sum::<Money>();
    let doc = serde_json::json!({
        "month": window.month_label(),
        "start": window.start.to_string(),
        "end": window.end.to_string(),
        "as_of": info.as_of.to_string(),
        "book_sha256": info.book.sha256,
        "totals": {
            "short_video": sum(0),
            "affiliate": sum(1),
            "consistency": sum(2),
            "total": sum(3),
            "quarter_to_date": sum(4),
        },
        "partners_not_listed": rows.len() - listed.len(),
        "partners": listed,
    });
    super::pretty(&doc)
}

/// The statement for the terminal: the CSV's rows with thousands separators and a total.
pub fn statement_table(
    rows: &[StatementRow],
    periods: &Periods,
    month: WindowId,
    info: &RunInfo,
) -> String {
    let window = periods.full(month);
    let mut out = format!(
        "ad-credit statement {} ({}..{}), as of {}, book sha256 {}\n",
        window.month_label(),
        window.start,
        window.end,
        info.as_of,
        info.book.sha256
    );
    let listed: Vec<&StatementRow> = rows
        .iter()
        .filter(|r| !r.quarter_to_date.is_zero())
        .collect();
    let mut table = Table::new();
    table
        .load_preset(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(COLUMNS);
    for r in &listed {
        let mut row = vec![
            shown(&r.partner_id).into_owned(),
            shown(&r.partner_name).into_owned(),
        ];
        row.extend(r.amounts().iter().map(|m| m.human()));
        table.add_row(row);
    }
    let mut total = vec!["TOTAL".to_string(), format!("{} partners", listed.len())];
    total.extend((0..5).map(|i| rows.iter().map(|r| r.amounts()[i]).sum::<Money>().human()));
    table.add_row(total);
    for i in 2..COLUMNS.len() {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    out.push_str(&table.to_string());
    out.push('\n');
    let without = rows.len() - listed.len();
    if without > 0 {
        out.push_str(&format!(
            "{without} partner(s) without ad credits in the quarter to date are not listed\n"
        ));
    }
    out
}

/// A Markdown table. Cells are Markdown already: every text that comes from the input or
/// the book passes through [`md_text`] where the cell is made, and the rest is the
/// statement's own wording and figures (with its own `**` emphasis).
fn table_md(out: &mut String, header: &[&str], right: &[bool], rows: &[Vec<String>]) {
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    let align: Vec<&str> = right
        .iter()
        .map(|r| if *r { "---:" } else { "---" })
        .collect();
    out.push_str(&format!("|{}|\n", align.join("|")));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
}

/// What one partner's statement shows besides the amounts: the partner's lines of the run,
/// whose basis, steps and detail carry every figure the statement prints. The statement
/// recomputes nothing; a figure a line does not carry is not shown.
pub struct PartnerFacts<'a> {
    pub periods: &'a Periods,
    pub month: WindowId,
    /// The partner's lines (any program and period; the statement picks the month's).
    pub lines: &'a [&'a Line],
}

impl<'a> PartnerFacts<'a> {
    /// The partner's line of `program` for the statement month.
    fn line(&self, program: &str) -> Option<&'a Line> {
        let label = self.periods.full(self.month).month_label();
        self.lines
            .iter()
            .copied()
            .find(|l| l.program == program && l.period == label)
    }
}

/// The step labelled `label`, among `steps` and their children (depth first).
fn find_step<'s>(steps: &'s [Step], label: &str) -> Option<&'s Step> {
    steps.iter().find_map(|s| {
        if s.label == label {
            Some(s)
        } else {
            find_step(&s.children, label)
        }
    })
}

/// The value of the line's step labelled `label`; `n/a` when the line does not carry it.
fn figure<'l>(steps: &'l [Step], label: &str) -> &'l str {
    find_step(steps, label).map_or("n/a", |s| &*s.value)
}

/// The detail's column named `name`, for each row (empty cells when it has no such column).
fn column<'d>(detail: &'d Detail, name: &str) -> Vec<&'d str> {
    let i = detail.columns.iter().position(|c| c == name);
    detail
        .rows
        .iter()
        .map(|r| i.and_then(|i| r.get(i)).map_or("", |c| c.as_str()))
        .collect()
}

/// statements/YYYY-MM/<partner_id>.md: the month's credits and the figures behind them.
pub fn partner_markdown(row: &StatementRow, facts: &PartnerFacts, info: &RunInfo) -> String {
    let periods = facts.periods;
    let window = periods.full(facts.month);
    let label = window.month_label();
    let last = *WindowId::MONTHS.last().expect("months");
    let last_label = periods.full(last).month_label();
    let through = periods.labels_through(facts.month);
    let mut out = format!(
        "# Ad-credit statement {} ({label})\n\n",
        window.start.format("%B %Y")
    );
    let partner = if row.partner_name.is_empty() {
        md_text(&row.partner_id)
    } else {
        format!(
            "{} — {}",
            md_text(&row.partner_id),
            md_text(&row.partner_name)
        )
    };
    table_md(
        &mut out,
        &["", ""],
        &[false, false],
        &[
            vec!["Partner".into(), partner],
            vec![
                "Month".into(),
                format!(
                    "{label} ({}..{}, {} days)",
                    window.start,
                    window.end,
                    window.days()
                ),
            ],
            vec!["As of".into(), info.as_of.to_string()],
            vec!["Program book".into(), md_text(&info.book.rules.book.name)],
            vec!["Book sha256".into(), md_text(&info.book.sha256)],
        ],
    );
    out.push_str(&format!(
        "\n## Credits ({})\n\n",
        md_text(&info.book.rules.book.currency)
    ));
    let consistency_label = if facts.month == last {
        "Short-video consistency bonus".to_string()
    } else {
        format!("Short-video consistency bonus (issued with {last_label})")
    };
    let qtd_label = match through.first() {
        Some(first) if *first != label => format!("Quarter to date ({first}..{label})"),
        _ => format!("Quarter to date ({label})"),
    };
    table_md(
        &mut out,
        &["credit", "amount"],
        &[false, true],
        &[
            vec!["Short-video top 15".into(), row.short_video.human()],
            vec![
                "Affiliate credits issued this month".into(),
                row.affiliate.human(),
            ],
            vec![consistency_label, row.consistency.human()],
            vec![
                format!("**Total for {label}**"),
                format!("**{}**", row.total.human()),
            ],
            vec![qtd_label, row.quarter_to_date.human()],
        ],
    );
    gaps_note(&mut out, facts);
    short_video_section(&mut out, row, facts);
    if facts.month == last {
        consistency_section(&mut out, facts);
    }
    affiliate_section(&mut out, facts);
    out
}

/// Days without gmv_daily.csv rows that the month's credits counted as days without sales
/// (accepted with --allow-gaps), one line per credit they touch.
fn gaps_note(out: &mut String, facts: &PartnerFacts) {
    let label = facts.periods.full(facts.month).month_label();
    let notes: Vec<String> = facts
        .lines
        .iter()
        .filter(|l| l.period == label && l.kind == Kind::AdCredit)
        .filter_map(|l| {
            let step = find_step(&l.steps, crate::engine::GAP_STEP)?;
            Some(format!(
                "- {}: {}\n",
                crate::programs::title(l.program),
                step.value
            ))
        })
        .collect();
    if !notes.is_empty() {
        out.push_str("\nIncomplete data: days without rows in the export were counted as days without sales.\n\n");
        out.push_str(&notes.concat());
    }
}

/// The month's short-video line: its figures, its rank and band, and the leaderboard rows
/// of its detail with the other partners' ids left out.
fn short_video_section(out: &mut String, row: &StatementRow, facts: &PartnerFacts) {
    let periods = facts.periods;
    let label = periods.full(facts.month).month_label();
    out.push_str("\n## Short-video top 15\n\n");
    let Some(line) = facts.line(short_video::TOP15) else {
        out.push_str("No short-video figures for this partner.\n");
        return;
    };
    let steps = &line.steps;
    let q3_days = periods.cut(WindowId::Q3).map_or(0, |w| w.days());
    out.push_str(&format!(
        "- Increment: **{}** = average daily short-video GMV in {label} {} ({} over {} days) − in Q3 {} ({} over {q3_days} days)\n",
        figure(steps, "increment"),
        figure(steps, &format!("{label} average daily short_video_gmv")),
        figure(steps, &format!("{label} short_video_gmv sum")),
        periods.full(facts.month).days(),
        figure(steps, "Q3 average daily short_video_gmv"),
        figure(steps, "Q3 short_video_gmv sum"),
    ));
    let paid = figure(steps, "ranks paid");
    // Only a ranked partner's line names its band.
    match find_step(steps, "band") {
        Some(band) => out.push_str(&format!(
            "- Rank: **{}** (top {paid} paid) → {}: **{}**\n",
            figure(steps, "rank"),
            band.value,
            line.amount.human()
        )),
        None => out.push_str(&format!(
            "- Rank: not ranked — only a positive increment is ranked ({} partners ranked, top {paid} paid)\n",
            figure(steps, "partners ranked")
        )),
    }
    out.push_str(&format!(
        "- Bands: {}\n- Order: increment, then the month's short-video GMV, then partner id\n",
        figure(steps, "bands")
    ));
    let Some(detail) = super::partner_view::detail(line).filter(|d| !d.rows.is_empty()) else {
        return;
    };
    let detail = &detail;
    out.push_str("\nLeaderboard around your rank (other partners are not named):\n\n");
    let ids = column(detail, super::partner_view::PARTNER_COLUMN);
    let increments = column(detail, "increment");
    let amounts = column(detail, "amount");
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut previous = 0;
    for (i, rank) in column(detail, "rank").into_iter().enumerate() {
        // The detail lists ranks best first; a jump is shown as a gap.
        let r: usize = rank.parse().unwrap_or(previous + 1);
        if r > previous + 1 {
            rows.push(vec!["…".into(), "…".into(), "…".into()]);
        }
        previous = r;
        let who = if ids[i] == row.partner_id {
            format!("{r} (you)")
        } else {
            r.to_string()
        };
        rows.push(vec![who, increments[i].into(), amounts[i].into()]);
    }
    table_md(
        out,
        &["rank", "increment", "credit"],
        &[true, true, true],
        &rows,
    );
}

/// The consistency line of the last month: the bonus and the partner's rank in each month.
fn consistency_section(out: &mut String, facts: &PartnerFacts) {
    out.push_str("\n## Short-video consistency bonus\n\n");
    let Some(line) = facts.line(short_video::CONSISTENCY) else {
        out.push_str("No consistency figures for this partner.\n");
        return;
    };
    let top = figure(&line.steps, "last rank counted");
    out.push_str(&format!(
        "{} for a rank from 1 to {top} in every month: **{}**\n\n",
        figure(&line.steps, "bonus"),
        line.amount.human()
    ));
    let rows: Vec<Vec<String>> = match &super::partner_view::detail(line) {
        Some(d) => {
            let (ranks, in_top) = (column(d, "rank"), column(d, "in top"));
            column(d, "month")
                .into_iter()
                .enumerate()
                .map(|(i, m)| vec![m.to_string(), ranks[i].into(), in_top[i].into()])
                .collect()
        }
        None => Vec::new(),
    };
    table_md(
        out,
        &["month", "rank", &format!("top {top}")],
        &[false, true, false],
        &rows,
    );
}

/// The month's affiliate line: the entitlement now and before, what was issued, and every
/// qualifying seller of its detail, kept or dropped by the cap the line states.
fn affiliate_section(out: &mut String, facts: &PartnerFacts) {
    let periods = facts.periods;
    let (through, span) = periods.months_through(facts.month);
    let label = periods.full(facts.month).month_label();
    out.push_str("\n## Affiliate credits\n\n");
    let Some(line) = facts.line(affiliate::ID) else {
        out.push_str("No affiliate figures for this partner.\n");
        return;
    };
    let steps = &line.steps;
    out.push_str(&format!(
        "Each seller earns a credit by its cumulative affiliate GMV from {} to {} ({}), \
         at most {} sellers: the highest credits are kept, then the highest GMV, then seller id.\n\n",
        span.start,
        span.end,
        figure(steps, "credit tiers per seller"),
        figure(steps, "seller cap")
    ));
    // Trued up against a ledger, the month is set against what was issued before it.
    let ledger = find_step(steps, affiliate::ISSUED_BEFORE);
    let (previous, before) = match through.len().checked_sub(2) {
        _ if ledger.is_some() => (
            format!(
                "what was issued before ({})",
                ledger.and_then(|s| s.source.as_deref()).unwrap_or("")
            ),
            figure(steps, affiliate::ISSUED_BEFORE),
        ),
        Some(i) => {
            let p = periods.full(through[i]).month_label();
            (
                format!("the entitlement at the end of {p}"),
                figure(steps, &format!("entitlement at end of {p}")),
            )
        }
        None => (
            "the entitlement before the first month".to_string(),
            figure(steps, "entitlement before the first month"),
        ),
    };
    out.push_str(&format!(
        "- Entitlement at the end of {label}: {} ({} of {} qualifying sellers kept)\n- Minus {previous}: {before}\n- Issued in {label}: **{}**\n",
        figure(steps, &format!("entitlement at end of {label}")),
        figure(steps, "kept sellers"),
        figure(steps, "qualifying sellers"),
        line.amount.human()
    ));
    for (label, text) in [
        (
            affiliate::OVER_ISSUED,
            "Over-issued, carried against later issues",
        ),
        (
            affiliate::RECOVERABLE,
            "Over-issued, recoverable at the quarter's close",
        ),
    ] {
        if let Some(step) = find_step(steps, label) {
            out.push_str(&format!("- {text}: **{}**\n", step.value));
        }
    }
    let sellers = super::partner_view::detail(line).filter(|d| !d.rows.is_empty());
    let Some(detail) = &sellers else {
        let best = match find_step(steps, "highest seller below the first tier") {
            Some(s) => format!(
                "; the highest was {} with {}",
                md_text(&s.value),
                figure(&s.children, "cumulative affiliate GMV")
            ),
            None => String::new(),
        };
        out.push_str(&format!(
            "\nNo seller reached the first credit tier{best}.\n"
        ));
        return;
    };
    out.push('\n');
    let (cumulative, credit, status) = (
        column(detail, "cumulative_affiliate_gmv"),
        column(detail, "credit"),
        column(detail, "status"),
    );
    let rows: Vec<Vec<String>> = column(detail, "seller_id")
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                md_text(s),
                cumulative[i].into(),
                credit[i].into(),
                status[i].into(),
            ]
        })
        .collect();
    table_md(
        out,
        &[
            "seller",
            "cumulative affiliate GMV",
            "credit",
            "kept or dropped by the cap",
        ],
        &[false, true, true, false],
        &rows,
    );
}

/// The programs a month's statement covers: the ad credits issued monthly, and those
/// issued once with the last month (the short-video consistency bonus).
fn covered(program: &str, month: WindowId) -> bool {
    crate::programs::info(program).is_some_and(|p| {
        p.kind == Kind::AdCredit
            && match p.cadence {
                Cadence::Month => true,
                Cadence::Quarter => Some(&month) == WindowId::MONTHS.last(),
                Cadence::Bfcm => false,
            }
    })
}

/// html/YYYY-MM/<partner>.html for every partner of the run and html/YYYY-MM/index.html:
/// the month's ad-credit lines with their figures, the month total and the quarter to
/// date, which are the amounts of the CSV row.
/// The pages are added to `files` and rendered when they are written.
pub fn html_pages<'a>(
    outcome: &'a Outcome,
    periods: &'a Periods,
    month: WindowId,
    rows: &'a [StatementRow],
    audit: &'a Audit,
    files: &mut RunFiles<'a>,
) {
    let window = periods.full(month);
    let label = window.month_label();
    let (_, span) = periods.months_through(month);
    let title = format!("Ad-credit statement, {}", html::period_label(&label));
    let period = format!("{} to {}", window.start, window.end);
    let qtd_label = format!("Quarter to date ({} to {})", span.start, span.end);
    let skipped: Vec<Skip> = outcome
        .skipped
        .iter()
        .chain(&outcome.not_evaluated)
        .filter(|s| covered(s.program, month))
        .cloned()
        .collect();
    let dir = PathBuf::from("html").join(&label);
    let mut index_rows = Vec::with_capacity(rows.len());
    // Shared by the pages, each rendered only when it is written.
    let context = std::sync::Arc::new((
        title,
        period.clone(),
        qtd_label,
        skipped.clone(),
        label.clone(),
    ));
    let stems = super::file_stems(outcome.partners.keys().map(String::as_str));
    for row in rows {
        let id = row.partner_id.as_str();
        let stem = stems
            .get(id)
            .cloned()
            .unwrap_or_else(|| super::file_stem(id));
        let context = context.clone();
        files.add_rendered(dir.join(html::page_file_of(&stem)), move |buf| {
            let (title, period, qtd_label, skipped, label) = &*context;
            // Every ad-credit line of the month: the lines the month total adds up. The page
            // renderer leaves other partners' ids out of the leaderboards.
            let lines: Vec<&Line> = outcome
                .lines_of(id)
                .filter(|l| l.kind == Kind::AdCredit && l.period == *label)
                .collect();
            let page = PageInput {
                title,
                period,
                as_of: periods.as_of,
                partner_id: id,
                partner_name: &row.partner_name,
                lines: &lines,
                extra_totals: &[("Month total", row.total), (qtd_label, row.quarter_to_date)],
                skipped,
                index_href: Some("index.html"),
                audit,
            };
            html::partner_page_into(&page, buf);
        });
        index_rows.push(IndexRow {
            partner_id: id,
            partner_name: &row.partner_name,
            href: html::page_href_of(&stem),
            amounts: row.amounts().to_vec(),
            // A month's credits are issued only once it has ended.
            provisional: Vec::new(),
        });
    }
    let index_title = format!("Ad-credit statements, {}", html::period_label(&label));
    let index = html::index_page(&IndexInput {
        title: &index_title,
        period: &period,
        as_of: periods.as_of,
        columns: &[
            "Short video",
            "Affiliate",
            "Consistency",
            "Total",
            "Quarter to date",
        ],
        rows: &index_rows,
        skipped: &skipped,
        audit,
    });
    files.add(dir.join("index.html"), index);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Book;
    use std::collections::BTreeMap;

    fn line(program: &'static str, period: &str, kind: Kind, dollars: i64) -> Line {
        Line::of_dollars("P1", program, period, kind, dollars)
    }

    #[test]
    fn month_total_and_quarter_to_date_add_the_same_lines() {
        let book = Book::embedded();
        let as_of = "2025-12-31".parse().unwrap();
        let periods = Periods::new(&book.rules.windows, as_of);
        // A monthly credit no column names counts in the month total and the quarter to
        // date alike; cash and other months' lines count in neither the month total.
        let outcome = Outcome {
            lines: vec![
                line("gmv_growth", "q4", Kind::Cash, 5_000),
                line(short_video::TOP15, "2025-10", Kind::AdCredit, 1_000),
                line(short_video::TOP15, "2025-11", Kind::AdCredit, 2_000),
                line(affiliate::ID, "2025-11", Kind::AdCredit, 250),
                line("another_monthly_credit", "2025-11", Kind::AdCredit, 40),
                line(short_video::TOP15, "2025-12", Kind::AdCredit, 3_000),
            ],
            skipped: Vec::new(),
            not_evaluated: Vec::new(),
            partners: BTreeMap::from([("P1".to_string(), String::new())]),
            programs: crate::programs::registry().to_vec(),
        };
        let row = &rows(&outcome, &periods, WindowId::Nov)[0];
        assert_eq!(row.short_video, Money::dollars(2_000));
        assert_eq!(row.affiliate, Money::dollars(250));
        assert_eq!(row.total, Money::dollars(2_290));
        assert_eq!(row.quarter_to_date, Money::dollars(3_290));
    }

    #[test]
    fn markdown_rows_keep_their_cells() {
        let mut out = String::new();
        table_md(
            &mut out,
            &["a", "b"],
            &[false, true],
            &[vec![md_text("x|y\nz"), "**1.00**".into()]],
        );
        assert_eq!(
            out,
            "| a | b |\n|---|---:|\n| x\\|y\\\\u\\{a\\}z | **1.00** |\n"
        );
    }
}
