//! Human-readable tables for the terminal.

use super::escape::shown;
use crate::engine::{Kind, Line, Outcome};
use crate::input::{DataSet, InputFile};
use crate::money::Money;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

/// One row per partner: cash total, ad-credit total and each evaluated program's amount,
/// then a totals row and the programs that were skipped or not evaluated.
pub fn payouts_table(outcome: &Outcome) -> String {
    let programs: Vec<&str> = outcome.evaluated().map(|p| p.id).collect();
    let mut table = Table::new();
    table
        .load_preset(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled);
    let mut header = vec!["partner_id", "partner_name", "cash", "ad_credit"];
    header.extend(&programs);
    table.set_header(header);
    for (id, name) in &outcome.partners {
        let lines = outcome.lines_of(id).as_slice();
        let sum = |keep: &dyn Fn(&Line) -> bool| -> Money {
            lines.iter().filter(|l| keep(l)).map(|l| l.amount).sum()
        };
        let mut row = vec![
            shown(id).into_owned(),
            shown(name).into_owned(),
            sum(&|l| l.kind == Kind::Cash).human(),
            sum(&|l| l.kind == Kind::AdCredit).human(),
        ];
        row.extend(programs.iter().map(|p| sum(&|l| l.program == *p).human()));
        table.add_row(row);
    }
    let mut total = vec![
        "TOTAL".to_string(),
        format!("{} partners", outcome.partners.len()),
        outcome.total(None, Kind::Cash).human(),
        outcome.total(None, Kind::AdCredit).human(),
    ];
    total.extend(programs.iter().map(|p| {
        outcome
            .lines
            .iter()
            .filter(|l| l.program == *p)
            .map(|l| l.amount)
            .sum::<Money>()
            .human()
    }));
    table.add_row(total);
    for i in 2..4 + programs.len() {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = table.to_string();
    out.push('\n');
    out.push_str(&skipped_text(outcome));
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
