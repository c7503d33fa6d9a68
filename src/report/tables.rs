//! Human-readable tables for the terminal.

use super::escape::shown;
use crate::engine::{Kind, Line, Outcome};
use crate::input::{DataSet, InputFile};
use crate::money::Money;
use chrono::NaiveDate;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

/// The widest a terminal table may be: it must fit a 100-column terminal.
pub const TABLE_WIDTH: u16 = 100;

/// Marks an amount that includes a provisional line.
pub const PROVISIONAL_MARK: &str = "*";

/// How many partners the payouts table lists: all of them by partner_id, or the `top` N
/// by total (cash + ad credits, then partner_id).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableRows {
    pub top: Option<usize>,
}

/// An amount with the provisional mark when any line it adds up is provisional.
fn marked(lines: &[&Line]) -> String {
    let sum: Money = lines.iter().map(|l| l.amount).sum();
    if lines.iter().any(|l| l.provisional) {
        format!("{}{PROVISIONAL_MARK}", sum.human())
    } else {
        sum.human()
    }
}

/// A terminal table in the project's style, at most `TABLE_WIDTH` columns wide (long
/// cells wrap), amount columns (from `first_amount` on) right-aligned.
fn terminal_table(header: Vec<String>, rows: Vec<Vec<String>>, first_amount: usize) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(TABLE_WIDTH);
    let columns = header.len();
    table.set_header(header);
    // In a column with a marked amount, the others get a space in the mark's place, so
    // that the decimal points line up.
    let marked_columns: Vec<bool> = (0..columns)
        .map(|i| {
            i >= first_amount
                && rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(|c| c.ends_with(PROVISIONAL_MARK)))
        })
        .collect();
    for mut row in rows {
        for (i, cell) in row.iter_mut().enumerate() {
            if marked_columns[i] && !cell.ends_with(PROVISIONAL_MARK) {
                cell.push(' ');
            }
        }
        table.add_row(row);
    }
    for i in first_amount..columns {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = table.to_string();
    out.push('\n');
    out
}

/// A payout id as a narrow column heading: one word a line (`bfcm`, `live`, `championship`).
fn heading(id: &str) -> String {
    id.replace('_', "\n")
}

/// The payouts for the terminal, each table within `TABLE_WIDTH` columns: the evaluation
/// date; one row per partner with its cash, ad-credit and overall total; then each
/// partner's amount per program, cash programs and ad credits in a table each; a totals
/// row under every table, over all partners even when `rows.top` leaves some out; and the
/// programs that were skipped or not evaluated. An amount that includes a provisional
/// line is marked `*`, with a legend.
pub fn payouts_table(outcome: &Outcome, as_of: NaiveDate, rows: TableRows) -> String {
    let mut partners: Vec<(&String, &String)> = outcome.partners.iter().collect();
    if let Some(top) = rows.top {
        let total = |id: &str| -> Money { outcome.lines_of(id).map(|l| l.amount).sum() };
        partners.sort_by(|a, b| total(b.0).cmp(&total(a.0)).then(a.0.cmp(b.0)));
        partners.truncate(top);
    }
    let all: Vec<&Line> = outcome.lines.iter().collect();
    let provisional = all.iter().any(|l| l.provisional);
    let mut out = format!("payouts as of {as_of}\n");
    if provisional {
        out.push_str(&format!(
            "{PROVISIONAL_MARK} provisional: includes a line whose window is not complete on {as_of}; it can still change\n"
        ));
    }
    out.push('\n');

    let of = |id: &str, keep: &dyn Fn(&Line) -> bool| -> Vec<&Line> {
        outcome.lines_of(id).filter(|l| keep(l)).collect()
    };
    let all_of = |keep: &dyn Fn(&Line) -> bool| -> Vec<&Line> {
        all.iter().copied().filter(|l| keep(l)).collect()
    };
    let header = ["partner_id", "partner_name", "cash", "ad_credit", "total"]
        .map(String::from)
        .to_vec();
    let mut body: Vec<Vec<String>> = partners
        .iter()
        .map(|(id, name)| {
            vec![
                shown(id).into_owned(),
                shown(name).into_owned(),
                marked(&of(id, &|l| l.kind == Kind::Cash)),
                marked(&of(id, &|l| l.kind == Kind::AdCredit)),
                marked(&of(id, &|_| true)),
            ]
        })
        .collect();
    body.push(vec![
        "TOTAL".into(),
        format!("{} partners", outcome.partners.len()),
        marked(&all_of(&|l| l.kind == Kind::Cash)),
        marked(&all_of(&|l| l.kind == Kind::AdCredit)),
        marked(&all),
    ]);
    out.push_str(&terminal_table(header, body, 2));
    let hidden = outcome.partners.len() - partners.len();
    if hidden > 0 {
        out.push_str(&format!(
            "{} of {} partners shown, the largest totals first; {hidden} not shown (TOTAL counts every partner)\n",
            partners.len(),
            outcome.partners.len()
        ));
    }

    for (kind, title) in [
        (Kind::Cash, "cash by program"),
        (Kind::AdCredit, "ad credits by program"),
    ] {
        let programs: Vec<&str> = outcome
            .evaluated()
            .filter(|p| p.kind == kind)
            .map(|p| p.id)
            .collect();
        if programs.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}\n"));
        let mut header = vec!["partner_id".to_string()];
        header.extend(programs.iter().map(|p| heading(p)));
        let mut body: Vec<Vec<String>> = partners
            .iter()
            .map(|(id, _)| {
                let mut row = vec![shown(id).into_owned()];
                row.extend(
                    programs
                        .iter()
                        .map(|p| marked(&of(id, &|l| l.program == *p))),
                );
                row
            })
            .collect();
        let mut total = vec!["TOTAL".to_string()];
        total.extend(
            programs
                .iter()
                .map(|p| marked(&all_of(&|l| l.program == *p))),
        );
        body.push(total);
        out.push_str(&terminal_table(header, body, 1));
    }
    let skipped = skipped_text(outcome);
    if !skipped.is_empty() {
        out.push('\n');
        out.push_str(&skipped);
    }
    out
}

/// `skipped: tier_upgrade (no partner_tiers.csv)` and `not evaluated: …`, one per line.
pub fn skipped_text(outcome: &Outcome) -> String {
    let mut out = String::new();
    for s in &outcome.skipped {
        out.push_str(&format!("skipped: {} ({})\n", s.program, shown(&s.reason)));
    }
    for s in &outcome.not_evaluated {
        out.push_str(&format!(
            "not evaluated: {} ({})\n",
            s.program,
            shown(&s.reason)
        ));
    }
    out
}

/// A dated file's dates and days with rows, and the evaluated windows' missing days.
fn coverage_text(c: &crate::input::Coverage) -> String {
    use crate::input::coverage::ranges_text;
    let (Some(first), Some(last)) = (c.first, c.last) else {
        return format!("  {:<22} no accepted row\n", "");
    };
    let mut out = format!(
        "  {:<22} dates {first}..{last}; rows on {} of the {} days {}..{}",
        "",
        c.days_with_rows(),
        c.span.days(),
        c.span.start,
        c.span.end
    );
    let with_rows = c.ranges_with_rows();
    if with_rows.len() > 1 {
        out.push_str(&format!(": {}", ranges_text(&with_rows)));
    }
    out.push('\n');
    for gap in &c.gaps {
        out.push_str(&format!(
            "  {:<22} window {} ({}..{}): no rows on {}\n",
            "",
            gap.window.key(),
            gap.evaluated.start,
            gap.evaluated.end,
            ranges_text(&gap.missing)
        ));
    }
    out
}

/// The reconciliation, one line per file, for stderr.
pub fn reconciliation_text(data: &DataSet) -> String {
    let mut out = String::from("reconciliation: read = used + outside + unmatched + rejected\n");
    for file in InputFile::ALL {
        let Some(r) = data.files.get(&file) else {
            continue;
        };
        if !r.present {
            out.push_str(&format!("  {:<22} absent\n", file.name()));
            continue;
        }
        let t = &r.rows;
        out.push_str(&format!(
            "  {:<22} rows {} = {} + {} + {} + {}",
            file.name(),
            t.read,
            t.used,
            t.outside,
            t.unmatched,
            t.rejected
        ));
        if file.has_gmv() {
            let g = &r.gmv;
            out.push_str(&format!(
                "; gmv {} = {} + {} + {} + {}",
                g.read.human(),
                g.used.human(),
                g.outside.human(),
                g.unmatched.human(),
                g.rejected.human()
            ));
        }
        if r.unreadable && t.read == 0 {
            out.push_str(" (header unusable: no row read)");
        } else if r.unreadable {
            out.push_str(" (cut short: the rows after the unreadable one were not read)");
        } else if !r.balances() {
            out.push_str(" (DOES NOT BALANCE)");
        }
        out.push('\n');
        if let Some(c) = &r.coverage {
            out.push_str(&coverage_text(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Outcome;

    fn outcome() -> Outcome {
        let growth = |partner: &str, dollars: i64, provisional: bool| {
            let mut l = Line::of_dollars(partner, "gmv_growth", "q4", Kind::Cash, dollars);
            l.provisional = provisional;
            l
        };
        Outcome {
            lines: vec![growth("P1", 100, true), growth("P2", 2_000, false)],
            skipped: Vec::new(),
            not_evaluated: Vec::new(),
            partners: [("P1", "One"), ("P2", "Two")]
                .map(|(id, name)| (id.to_string(), name.to_string()))
                .into_iter()
                .collect(),
            programs: vec![crate::programs::info("gmv_growth").expect("gmv_growth")],
        }
    }

    #[test]
    fn marked_and_unmarked_amounts_line_up() {
        let as_of = NaiveDate::from_ymd_opt(2025, 11, 30).expect("date");
        let table = payouts_table(&outcome(), as_of, TableRows::default());
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| P")).collect();
        assert_eq!(
            rows[..2],
            [
                "| P1         | One          |   100.00* |      0.00 |   100.00* |",
                "| P2         | Two          | 2,000.00  |      0.00 | 2,000.00  |",
            ],
            "{table}"
        );
        assert!(
            table.contains("| TOTAL      | 2 partners   | 2,100.00* |      0.00 | 2,100.00* |"),
            "{table}"
        );
        let top = payouts_table(&outcome(), as_of, TableRows { top: Some(1) });
        assert!(
            top.contains("1 of 2 partners shown, the largest totals first; 1 not shown"),
            "{top}"
        );
        assert!(top.contains("| P2 ") && !top.contains("| P1 "), "{top}");
    }
}
