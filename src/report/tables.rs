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

/// A sum of line amounts, and whether any of them is provisional.
#[derive(Clone, Copy, Default)]
struct Sum {
    amount: Money,
    provisional: bool,
}

impl Sum {
    fn add(&mut self, line: &Line) {
        self.amount += line.amount;
        self.provisional |= line.provisional;
    }

    /// The amount with the provisional mark when any line it adds up is provisional.
    fn marked(self) -> String {
        let mut out = self.amount.human();
        if self.provisional {
            out.push_str(PROVISIONAL_MARK);
        }
        out
    }
}

/// What a table row shows of a set of lines: its cash, its ad credits, its total and
/// each program's amount (by report position in `Outcome::programs`).
struct Sums {
    cash: Sum,
    ad_credit: Sum,
    total: Sum,
    by_program: Vec<Sum>,
}

impl Sums {
    fn of<'a>(outcome: &Outcome, lines: impl Iterator<Item = &'a Line>) -> Sums {
        let mut sums = Sums {
            cash: Sum::default(),
            ad_credit: Sum::default(),
            total: Sum::default(),
            by_program: vec![Sum::default(); outcome.programs.len()],
        };
        // A partner's lines come in report order: the last program found is the likely next.
        let mut at = 0;
        for line in lines {
            match line.kind {
                Kind::Cash => sums.cash.add(line),
                Kind::AdCredit => sums.ad_credit.add(line),
            }
            sums.total.add(line);
            let same = |i: usize| {
                outcome
                    .programs
                    .get(i)
                    .is_some_and(|p| p.id == line.program)
            };
            if !same(at) {
                match outcome.programs.iter().position(|p| p.id == line.program) {
                    Some(i) => at = i,
                    None => continue,
                }
            }
            sums.by_program[at].add(line);
        }
        sums
    }
}

/// Each partner of `outcome` with its sums, in partner_id order, in one pass over the
/// lines (which the engine keeps sorted by partner).
fn partner_sums(outcome: &Outcome) -> Vec<(&String, &String, Sums)> {
    let lines = &outcome.lines;
    let mut at = 0;
    outcome
        .partners
        .iter()
        .map(|(id, name)| {
            // A line of a partner the run does not list (none is expected) is skipped.
            while at < lines.len() && lines[at].partner_id != *id && lines[at].partner_id < *id {
                at += 1;
            }
            let start = at;
            while at < lines.len() && lines[at].partner_id == *id {
                at += 1;
            }
            (id, name, Sums::of(outcome, lines[start..at].iter()))
        })
        .collect()
}

/// A terminal table in the project's style, at most `TABLE_WIDTH` columns wide (long
/// cells wrap), amount columns (from `first_amount` on) right-aligned.
fn terminal_table(header: Vec<String>, mut rows: Vec<Vec<String>>, first_amount: usize) -> String {
    let columns = header.len();
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
    for row in &mut rows {
        for (i, cell) in row.iter_mut().enumerate() {
            if marked_columns[i] && !cell.ends_with(PROVISIONAL_MARK) {
                cell.push(' ');
            }
        }
    }
    if let Some(out) = plain_table(&header, &rows, first_amount) {
        return out;
    }
    let mut table = Table::new();
    table
        .load_preset(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(TABLE_WIDTH);
    table.set_header(header);
    for row in rows {
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

/// [`terminal_table`] written directly, as comfy_table writes it, when no cell needs to
/// wrap and every character is one column wide (printable ASCII; cells may span lines):
/// each column as wide as its widest line. `None` otherwise, for comfy_table to lay out.
/// The payout table of thousands of partners is the common case; comfy_table's general
/// layout costs more per cell than everything else the table takes.
fn plain_table(header: &[String], rows: &[Vec<String>], first_amount: usize) -> Option<String> {
    let columns = header.len();
    let all_rows = || std::iter::once(header).chain(rows.iter().map(Vec::as_slice));
    let mut widths = vec![1usize; columns];
    for row in all_rows() {
        if row.len() != columns {
            return None;
        }
        for (cell, width) in row.iter().zip(&mut widths) {
            if !cell
                .bytes()
                .all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
            {
                return None;
            }
            for line in cell.split('\n') {
                *width = (*width).max(line.len());
            }
        }
    }
    // Borders between and around the columns, and a space either side of each cell.
    let room = usize::from(TABLE_WIDTH).checked_sub(columns + 1 + 2 * columns)?;
    if widths.iter().sum::<usize>() > room {
        return None;
    }
    let line_width = widths.iter().sum::<usize>() + 3 * columns + 1;
    let mut out = String::with_capacity((rows.len() + 3) * (line_width + 1));
    let write_row = |out: &mut String, row: &[String]| {
        let height = row.iter().map(|c| c.split('\n').count()).max().unwrap_or(0);
        for n in 0..height {
            out.push('|');
            for (i, cell) in row.iter().enumerate() {
                let text = cell.split('\n').nth(n);
                let pad = widths[i] - text.map_or(0, str::len);
                out.push(' ');
                if i >= first_amount {
                    out.extend(std::iter::repeat_n(' ', pad));
                    out.push_str(text.unwrap_or(""));
                } else {
                    out.push_str(text.unwrap_or(""));
                    out.extend(std::iter::repeat_n(' ', pad));
                }
                out.push_str(" |");
            }
            out.push('\n');
        }
    };
    write_row(&mut out, header);
    out.push('|');
    for w in &widths {
        out.extend(std::iter::repeat_n('-', w + 2));
        out.push('|');
    }
    out.push('\n');
    for row in rows {
        write_row(&mut out, row);
    }
    Some(out)
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
    let mut partners = partner_sums(outcome);
    if let Some(top) = rows.top {
        partners.sort_by(|a, b| b.2.total.amount.cmp(&a.2.total.amount).then(a.0.cmp(b.0)));
        partners.truncate(top);
    }
    let all = Sums::of(outcome, outcome.lines.iter());
    let mut out = format!("payouts as of {as_of}\n");
    if all.total.provisional {
        out.push_str(&format!(
            "{PROVISIONAL_MARK} provisional: includes a line whose window is not complete on {as_of}; it can still change\n"
        ));
    }
    out.push('\n');

    let header = ["partner_id", "partner_name", "cash", "ad_credit", "total"]
        .map(String::from)
        .to_vec();
    let mut body: Vec<Vec<String>> = partners
        .iter()
        .map(|(id, name, sums)| {
            vec![
                shown(id).into_owned(),
                shown(name).into_owned(),
                sums.cash.marked(),
                sums.ad_credit.marked(),
                sums.total.marked(),
            ]
        })
        .collect();
    body.push(vec![
        "TOTAL".into(),
        format!("{} partners", outcome.partners.len()),
        all.cash.marked(),
        all.ad_credit.marked(),
        all.total.marked(),
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
        // Report positions of the evaluated payouts of this kind.
        let programs: Vec<usize> = outcome
            .programs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == kind && !outcome.is_skipped(p.id))
            .map(|(i, _)| i)
            .collect();
        if programs.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}\n"));
        let mut header = vec!["partner_id".to_string()];
        header.extend(programs.iter().map(|&i| heading(outcome.programs[i].id)));
        let mut body: Vec<Vec<String>> = partners
            .iter()
            .map(|(id, _, sums)| {
                let mut row = vec![shown(id).into_owned()];
                row.extend(programs.iter().map(|&i| sums.by_program[i].marked()));
                row
            })
            .collect();
        let mut total = vec!["TOTAL".to_string()];
        total.extend(programs.iter().map(|&i| all.by_program[i].marked()));
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
            r.name, t.read, t.used, t.outside, t.unmatched, t.rejected
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

    /// What comfy_table writes for the table, wrapping and all: the reference the direct
    /// writer must match.
    fn comfy(header: &[String], rows: &[Vec<String>], first_amount: usize) -> String {
        let mut table = Table::new();
        table
            .load_preset(presets::ASCII_MARKDOWN)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(TABLE_WIDTH);
        table.set_header(header.to_vec());
        for row in rows {
            table.add_row(row.clone());
        }
        for i in first_amount..header.len() {
            if let Some(col) = table.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        table.to_string() + "\n"
    }

    proptest::proptest! {
        /// Whenever the direct writer takes a table, it writes comfy_table's bytes.
        #[test]
        fn the_direct_table_is_comfy_tables(
            columns in 1usize..8,
            first_amount in 0usize..8,
            cells in proptest::collection::vec("[ -~]{0,14}(\n[a-z]{0,6})?", 8..64),
        ) {
            let header: Vec<String> = cells.iter().take(columns).cloned().collect();
            let rows: Vec<Vec<String>> = cells[columns.min(cells.len())..]
                .chunks_exact(columns)
                .map(<[String]>::to_vec)
                .collect();
            if let Some(direct) = plain_table(&header, &rows, first_amount) {
                proptest::prop_assert_eq!(direct, comfy(&header, &rows, first_amount));
            }
        }
    }

    #[test]
    fn tables_too_wide_or_not_ascii_are_left_to_comfy_table() {
        let header = ["partner_id", "partner_name"].map(String::from).to_vec();
        let wide = vec![vec!["P1".to_string(), "n".repeat(120)]];
        assert!(plain_table(&header, &wide, 2).is_none());
        let cjk = vec![vec!["P1".to_string(), "商店".to_string()]];
        assert!(plain_table(&header, &cjk, 2).is_none());
        // Long names still wrap within the width, as before.
        let table = terminal_table(header, wide, 2);
        assert!(
            table.lines().all(|l| l.len() <= usize::from(TABLE_WIDTH)),
            "{table}"
        );
        assert!(table.lines().count() > 3, "{table}");
    }

    #[test]
    fn per_program_amounts_and_totals_add_up_each_partners_lines() {
        let mut o = outcome();
        // A partner without lines shows zeros; a second program's line lands in its column.
        o.partners.insert("P0".into(), String::new());
        o.programs
            .push(crate::programs::info("short_video_top15").expect("short video"));
        let mut sv = Line::of_dollars("P2", "short_video_top15", "2025-10", Kind::AdCredit, 7);
        sv.provisional = true;
        o.lines.push(sv);
        let as_of = NaiveDate::from_ymd_opt(2025, 11, 30).expect("date");
        let table = payouts_table(&o, as_of, TableRows::default());
        assert!(
            table.contains("| P0         |              |     0.00  |     0.00  |     0.00  |"),
            "{table}"
        );
        assert!(
            table.contains("| P2         | Two          | 2,000.00  |     7.00* | 2,007.00* |"),
            "{table}"
        );
        let ad = table
            .split("ad credits by program\n")
            .nth(1)
            .expect("ad table");
        assert!(ad.contains("| P2         | 7.00* |"), "{table}");
        assert!(ad.contains("| TOTAL      | 7.00* |"), "{table}");
    }
}
