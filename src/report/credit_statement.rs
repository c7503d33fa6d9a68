//! The monthly ad-credit statement: per partner, the month's short-video credit, the
//! affiliate credit issued that month, the consistency bonus (with the last month), the
//! month's total and the quarter to date — as a terminal table, a CSV, and a statement a
//! partner can read (Markdown, and HTML for screen and print).

use super::escape::{md_text, shown};
use super::html::{self, Audit, IndexInput, IndexRow, PageInput};
use super::{csv_string, Cell, RunInfo};
use crate::book::Rules;
use crate::engine::{Kind, Line, Outcome, Skip};
use crate::input::PartnerData;
use crate::money::Money;
use crate::programs::affiliate::{self, Entitlement};
use crate::programs::short_video::{self, band_ranks, Board, Standing};
use crate::programs::Cadence;
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

/// The period labels of the months up to and including `month`.
fn labels_through(periods: &Periods, month: WindowId) -> Vec<String> {
    let (through, _) = affiliate::span(periods, month);
    through
        .iter()
        .map(|m| periods.full(*m).month_label())
        .collect()
}

/// Every partner of the run, with the month's amounts taken from the run's lines.
pub fn rows(outcome: &Outcome, periods: &Periods, month: WindowId) -> Vec<StatementRow> {
    let label = periods.full(month).month_label();
    let through = labels_through(periods, month);
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
            let short_video = amount(short_video::TOP15);
            let affiliate = amount(affiliate::ID);
            let consistency = amount(short_video::CONSISTENCY);
            // Every ad credit issued with the month, whichever program issues it.
            let month_total = outcome
                .lines_of(id)
                .filter(|l| l.kind == Kind::AdCredit && l.period == label)
                .map(|l| l.amount)
                .sum();
            let quarter_to_date = outcome
                .lines_of(id)
                .filter(|l| l.kind == Kind::AdCredit && through.contains(&l.period))
                .map(|l| l.amount)
                .sum();
            StatementRow {
                partner_id: id.clone(),
                partner_name: name.clone(),
                short_video,
                affiliate,
                consistency,
                total: month_total,
                quarter_to_date,
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

/// What one partner's statement shows besides the amounts.
pub struct PartnerFacts<'a> {
    pub rules: &'a Rules,
    pub periods: &'a Periods,
    pub month: WindowId,
    /// This month's short-video leaderboard.
    pub board: &'a Board,
    /// Every month's leaderboard so far (for the consistency section of the last month).
    pub boards: &'a [Board],
    pub partner: Option<&'a PartnerData>,
}

/// statements/YYYY-MM/<partner_id>.md: the month's credits and the figures behind them.
pub fn partner_markdown(row: &StatementRow, facts: &PartnerFacts, info: &RunInfo) -> String {
    let periods = facts.periods;
    let window = periods.full(facts.month);
    let label = window.month_label();
    let last = *WindowId::MONTHS.last().expect("months");
    let last_label = periods.full(last).month_label();
    let through = labels_through(periods, facts.month);
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
    short_video_section(&mut out, row, facts);
    if facts.month == last {
        consistency_section(&mut out, row, facts);
    }
    affiliate_section(&mut out, row, facts);
    out
}

fn short_video_section(out: &mut String, row: &StatementRow, facts: &PartnerFacts) {
    let rules = &facts.rules.short_video_top15;
    let board = facts.board;
    let label = board.label();
    out.push_str("\n## Short-video top 15\n\n");
    let Some(standing) = board.standing(&row.partner_id) else {
        out.push_str("No short-video figures for this partner.\n");
        return;
    };
    let e = standing.entry();
    out.push_str(&format!(
        "- Increment: **{}** = average daily short-video GMV in {label} {} ({} over {} days) − in Q3 {} ({} over {} days)\n",
        e.increment.human(),
        e.month_avg.human(),
        e.month_sum.human(),
        board.window.days(),
        e.q3_avg.human(),
        e.q3_sum.human(),
        board.q3.days()
    ));
    let paid = rules.bands.paid_ranks();
    match &standing {
        Standing::Ranked(r) => {
            let band = rules
                .bands
                .lookup(r.rank)
                .map_or_else(|| "no band".to_string(), |(_, b)| band_ranks(b));
            out.push_str(&format!(
                "- Rank: **{} of {}** (top {paid} paid) → {band}: **{}**\n",
                r.rank,
                board.ranked.len(),
                rules.bands.pay(r.rank).human()
            ));
        }
        Standing::Ineligible(_) => out.push_str(&format!(
            "- Rank: not ranked — only a positive increment is ranked ({} partners ranked, top {paid} paid)\n",
            board.ranked.len()
        )),
    }
    out.push_str(&format!(
        "- Bands: {}\n- Order: increment, then the month's short-video GMV, then partner id\n",
        rules.bands.describe()
    ));
    let ranks = board.neighbour_ranks(standing.rank(), paid);
    if !ranks.is_empty() {
        out.push_str("\nLeaderboard around your rank (other partners are not named):\n\n");
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut previous = 0;
        for r in ranks {
            if r > previous + 1 {
                rows.push(vec!["…".into(), "…".into(), "…".into()]);
            }
            previous = r;
            let who = if Some(r) == standing.rank() {
                format!("{r} (you)")
            } else {
                r.to_string()
            };
            rows.push(vec![
                who,
                board.ranked[r - 1].item.increment.human(),
                rules.bands.pay(r).human(),
            ]);
        }
        table_md(
            out,
            &["rank", "increment", "credit"],
            &[true, true, true],
            &rows,
        );
    }
}

fn consistency_section(out: &mut String, row: &StatementRow, facts: &PartnerFacts) {
    let rules = &facts.rules.short_video_top15;
    out.push_str(&format!(
        "\n## Short-video consistency bonus\n\n{} for a rank from 1 to {} in every month: **{}**\n\n",
        rules.consistency_amount.human(),
        rules.consistency_top,
        row.consistency.human()
    ));
    let rows: Vec<Vec<String>> = facts
        .boards
        .iter()
        .map(|b| {
            let rank = b.standing(&row.partner_id).and_then(|s| s.rank());
            vec![
                b.label(),
                rank.map_or_else(
                    || "not ranked".into(),
                    |r| format!("{r} of {}", b.ranked.len()),
                ),
                if rank.is_some_and(|r| r <= rules.consistency_top) {
                    "yes"
                } else {
                    "no"
                }
                .into(),
            ]
        })
        .collect();
    table_md(
        out,
        &["month", "rank", &format!("top {}", rules.consistency_top)],
        &[false, true, false],
        &rows,
    );
}

fn affiliate_section(out: &mut String, row: &StatementRow, facts: &PartnerFacts) {
    let rules = &facts.rules.affiliate_credits;
    let periods = facts.periods;
    let (through, span) = affiliate::span(periods, facts.month);
    let (now, before) = match facts.partner {
        Some(p) => affiliate::month_pair(rules, periods, p, facts.month),
        None => (Entitlement::default(), Entitlement::default()),
    };
    let label = periods.full(facts.month).month_label();
    out.push_str(&format!(
        "\n## Affiliate credits\n\nEach seller earns a credit by its cumulative affiliate GMV from {} to {} ({}), \
         at most {} sellers: the highest credits are kept, then the highest GMV, then seller id.\n\n",
        span.start,
        span.end,
        rules.tiers.describe(),
        rules.max_sellers
    ));
    let previous = match through.len().checked_sub(2) {
        Some(i) => format!(
            "the entitlement at the end of {}",
            periods.full(through[i]).month_label()
        ),
        None => "the entitlement before the first month".to_string(),
    };
    out.push_str(&format!(
        "- Entitlement at the end of {label}: {} ({} of {} qualifying sellers kept)\n- Minus {previous}: {}\n- Issued in {label}: **{}**\n",
        now.amount.human(),
        now.kept.len(),
        now.qualifying(),
        before.amount.human(),
        row.affiliate.human()
    ));
    if now.qualifying() == 0 {
        let best = match &now.best_unqualified {
            Some(s) => format!(
                "; the highest was {} with {}",
                md_text(&s.seller_id),
                s.cumulative.human()
            ),
            None => String::new(),
        };
        out.push_str(&format!(
            "\nNo seller reached the first credit tier{best}.\n"
        ));
        return;
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = now
        .sellers()
        .map(|(pos, s, kept)| {
            vec![
                md_text(&s.seller_id),
                s.cumulative.human(),
                s.credit.human(),
                affiliate::status(pos, kept, rules.max_sellers),
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

/// The short-video leaderboard as a partner may see it: other partners are not named,
/// as in the Markdown statement.
fn unnamed_leaderboard(line: &Line) -> Line {
    let mut line = line.clone();
    if let Some(d) = &mut line.detail {
        if let Some(i) = d.columns.iter().position(|c| c == "partner_id") {
            d.columns[i] = "partner".into();
            for row in &mut d.rows {
                if row.get(i).is_some_and(|id| *id != line.partner_id) {
                    row[i] = "—".into();
                }
            }
        }
    }
    line
}

/// html/YYYY-MM/<partner>.html for every partner of the run and html/YYYY-MM/index.html:
/// the month's ad-credit lines with their figures, the month total and the quarter to
/// date, which are the amounts of the CSV row.
pub fn html_pages(
    outcome: &Outcome,
    periods: &Periods,
    month: WindowId,
    rows: &[StatementRow],
    audit: &Audit,
) -> Vec<(PathBuf, String)> {
    let window = periods.full(month);
    let label = window.month_label();
    let (_, span) = affiliate::span(periods, month);
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
    let mut pages = Vec::with_capacity(rows.len() + 1);
    let mut index_rows = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.partner_id.as_str();
        let lines: Vec<Line> = outcome
            .lines_of(id)
            .filter(|l| l.period == label && covered(l.program, month))
            .map(|l| {
                if l.program == short_video::TOP15 {
                    unnamed_leaderboard(l)
                } else {
                    l.clone()
                }
            })
            .collect();
        let lines: Vec<&Line> = lines.iter().collect();
        let page = html::partner_page(&PageInput {
            title: &title,
            period: &period,
            as_of: periods.as_of,
            partner_id: id,
            partner_name: &row.partner_name,
            lines: &lines,
            extra_totals: &[
                ("Month total", row.total),
                (&qtd_label, row.quarter_to_date),
            ],
            skipped: &skipped,
            index_href: Some("index.html"),
            audit,
        });
        pages.push((dir.join(html::page_file(id)), page));
        index_rows.push(IndexRow {
            partner_id: id,
            partner_name: &row.partner_name,
            href: html::page_href(id),
            amounts: row.amounts().to_vec(),
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
    pages.push((dir.join("index.html"), index));
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

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
