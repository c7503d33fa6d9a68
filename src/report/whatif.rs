//! What-if comparison: per partner and program, the baseline amount, the scenario amount
//! and the difference, with the budget impact in cash and ad credits.

use super::escape::shown;
use super::{csv_string, pretty, skips, RunInfo};
use crate::engine::{Kind, Outcome, Skip};
use crate::input::Channels;
use crate::money::Money;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const WHATIF_COLUMNS: [&str; 7] = [
    "partner_id",
    "partner_name",
    "program",
    "kind",
    "baseline",
    "scenario",
    "difference",
];

/// One partner × program, summed over its periods.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareRow {
    pub partner_id: String,
    pub partner_name: String,
    pub program: &'static str,
    pub kind: Kind,
    pub baseline: Money,
    pub scenario: Money,
    pub difference: Money,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Change {
    pub baseline: Money,
    pub scenario: Money,
    pub difference: Money,
}

impl Change {
    fn add(&mut self, baseline: Money, scenario: Money) {
        self.baseline += baseline;
        self.scenario += scenario;
        self.difference += scenario - baseline;
    }
}

#[derive(Debug)]
pub struct Comparison {
    pub rows: Vec<CompareRow>,
    pub cash: Change,
    pub ad_credit: Change,
    pub by_program: BTreeMap<(usize, &'static str), Change>,
}

/// Lines of both runs matched by (partner, program). A partner or program present in one
/// run only counts as zero in the other.
pub fn compare(baseline: &Outcome, scenario: &Outcome) -> Comparison {
    let mut acc: BTreeMap<(String, usize, &'static str), (Kind, Money, Money)> = BTreeMap::new();
    // Both runs list the same programs; a program only one of them ran sorts by its place
    // in that one.
    let order = |p: &str| baseline.order(p).min(scenario.order(p));
    for (side, outcome) in [(0, baseline), (1, scenario)] {
        for l in &outcome.lines {
            let e = acc
                .entry((l.partner_id.clone(), order(l.program), l.program))
                .or_insert((l.kind, Money::ZERO, Money::ZERO));
            if side == 0 {
                e.1 += l.amount;
            } else {
                e.2 += l.amount;
            }
        }
    }
    let name = |p: &str| {
        baseline
            .partners
            .get(p)
            .or_else(|| scenario.partners.get(p))
            .cloned()
            .unwrap_or_default()
    };
    let mut cmp = Comparison {
        rows: Vec::with_capacity(acc.len()),
        cash: Change::default(),
        ad_credit: Change::default(),
        by_program: BTreeMap::new(),
    };
    for ((partner_id, order, program), (kind, b, s)) in acc {
        match kind {
            Kind::Cash => cmp.cash.add(b, s),
            Kind::AdCredit => cmp.ad_credit.add(b, s),
        }
        cmp.by_program
            .entry((order, program))
            .or_default()
            .add(b, s);
        cmp.rows.push(CompareRow {
            partner_name: name(&partner_id),
            partner_id,
            program,
            kind,
            baseline: b,
            scenario: s,
            difference: s - b,
        });
    }
    cmp
}

/// What the report says about the scenario besides the amounts.
pub struct WhatifInfo<'a> {
    pub name: &'a str,
    pub source: &'a str,
    pub sha256: &'a str,
    pub description: Option<&'a str>,
    /// One line per adjustment, added rows and dropped partners.
    pub changes: &'a [String],
    /// One line per overridden book key.
    pub overrides: &'a [String],
    pub baseline: RunInfo<'a>,
    pub scenario: RunInfo<'a>,
    /// Input sums over Q4 (cut at the evaluation date), baseline and scenario.
    pub inputs: (Channels, Channels),
    pub baseline_skips: (&'a [Skip], &'a [Skip]),
    pub scenario_skips: (&'a [Skip], &'a [Skip]),
}

fn signed(m: Money) -> String {
    if m.is_positive() {
        format!("+{}", m.human())
    } else {
        m.human()
    }
}

fn input_rows(inputs: &(Channels, Channels)) -> [(&'static str, Money, Money); 4] {
    let (b, s) = inputs;
    [
        ("gmv", b.gmv, s.gmv),
        ("short_video_gmv", b.short_video, s.short_video),
        ("live_gmv", b.live, s.live),
        ("affiliate_gmv", b.affiliate, s.affiliate),
    ]
}

fn right_align(table: &mut Table, from: usize, to: usize) {
    for i in from..to {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn markdown_table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled);
    t
}

fn skip_lines(out: &mut String, prefix: &str, (skipped, not_evaluated): (&[Skip], &[Skip])) {
    for s in skipped {
        out.push_str(&format!(
            "{prefix}skipped: {} ({})\n",
            s.program,
            shown(&s.reason)
        ));
    }
    for s in not_evaluated {
        out.push_str(&format!(
            "{prefix}not evaluated: {} ({})\n",
            s.program,
            shown(&s.reason)
        ));
    }
}

/// Which partner × program rows the what-if table lists.
#[derive(Clone, Copy, Debug, Default)]
pub struct WhatifRows {
    /// Every row, not only those whose amount changes.
    pub all: bool,
}

/// The terminal report: what the scenario changes, the input sums it moves, the partner ×
/// program rows whose amount changes (every row with `rows.all`), and the budget impact
/// by program and by kind.
pub fn whatif_table(cmp: &Comparison, info: &WhatifInfo, rows: WhatifRows) -> String {
    let mut out = format!(
        "scenario: {} ({}, sha256 {})\n",
        shown(info.name),
        shown(info.source),
        info.sha256
    );
    if let Some(d) = info.description {
        for line in d.trim().lines() {
            out.push_str(&format!("  {}\n", shown(line.trim())));
        }
    }
    for c in info.changes.iter().chain(info.overrides) {
        out.push_str(&format!("  {}\n", shown(c)));
    }
    if info.changes.is_empty() && info.overrides.is_empty() {
        out.push_str("  (changes nothing)\n");
    }
    out.push_str(&format!(
        "as of {}; baseline book sha256 {}; scenario book sha256 {}\n\n",
        info.baseline.as_of, info.baseline.book.sha256, info.scenario.book.sha256
    ));

    let mut inputs = markdown_table();
    inputs.set_header(["Q4 input sums", "baseline", "scenario", "difference"]);
    for (column, b, s) in input_rows(&info.inputs) {
        inputs.add_row([column.to_string(), b.human(), s.human(), signed(s - b)]);
    }
    right_align(&mut inputs, 1, 4);
    out.push_str(&inputs.to_string());
    out.push_str("\n\n");

    let shown_rows: Vec<&CompareRow> = cmp
        .rows
        .iter()
        .filter(|r| rows.all || !r.difference.is_zero())
        .collect();
    let unchanged = cmp.rows.iter().filter(|r| r.difference.is_zero()).count();
    if rows.all {
        out.push_str(&format!(
            "every partner × program ({} rows, {unchanged} unchanged)\n",
            cmp.rows.len()
        ));
    } else {
        out.push_str(&format!(
            "partner × program amounts that change: {} of {} rows ({unchanged} unchanged not shown; --all lists every row)\n",
            shown_rows.len(),
            cmp.rows.len()
        ));
    }
    if !shown_rows.is_empty() {
        let mut table = markdown_table();
        table.set_header([
            "partner_id",
            "partner_name",
            "program",
            "baseline",
            "scenario",
            "difference",
        ]);
        for r in shown_rows {
            table.add_row([
                shown(&r.partner_id).into_owned(),
                shown(&r.partner_name).into_owned(),
                r.program.to_string(),
                r.baseline.human(),
                r.scenario.human(),
                signed(r.difference),
            ]);
        }
        right_align(&mut table, 3, 6);
        out.push_str(&table.to_string());
        out.push('\n');
    }

    out.push_str("\nbudget impact by program and kind\n");
    let mut budget = markdown_table();
    budget.set_header(["program", "kind", "baseline", "scenario", "difference"]);
    for ((_, program), c) in &cmp.by_program {
        let kind = cmp
            .rows
            .iter()
            .find(|r| r.program == *program)
            .map_or("", |r| r.kind.as_str());
        budget.add_row([
            program.to_string(),
            kind.to_string(),
            c.baseline.human(),
            c.scenario.human(),
            signed(c.difference),
        ]);
    }
    for (kind, c) in [("cash", &cmp.cash), ("ad_credit", &cmp.ad_credit)] {
        budget.add_row([
            "TOTAL".to_string(),
            kind.to_string(),
            c.baseline.human(),
            c.scenario.human(),
            signed(c.difference),
        ]);
    }
    right_align(&mut budget, 2, 5);
    out.push_str(&budget.to_string());
    out.push('\n');
    out.push_str(&format!(
        "budget impact: cash {}, ad credits {}\n",
        signed(cmp.cash.difference),
        signed(cmp.ad_credit.difference)
    ));
    skip_lines(&mut out, "", info.baseline_skips);
    if info.scenario_skips != info.baseline_skips {
        skip_lines(&mut out, "scenario ", info.scenario_skips);
    }
    out
}

/// whatif.csv: one row per partner × program.
pub fn whatif_csv(cmp: &Comparison) -> String {
    use super::Cell::{Figure, Text};
    csv_string(|w| {
        w.header(&WHATIF_COLUMNS)?;
        for r in &cmp.rows {
            w.row([
                Text(&r.partner_id),
                Text(&r.partner_name),
                Text(r.program),
                Text(r.kind.as_str()),
                Figure(r.baseline.plain()),
                Figure(r.scenario.plain()),
                Figure(r.difference.plain()),
            ])?;
        }
        Ok(())
    })
}

fn info_json(cmp: &Comparison, info: &WhatifInfo) -> serde_json::Map<String, Value> {
    let by_program: serde_json::Map<String, Value> = cmp
        .by_program
        .iter()
        .map(|((_, p), c)| (p.to_string(), json!(c)))
        .collect();
    let inputs: serde_json::Map<String, Value> = input_rows(&info.inputs)
        .into_iter()
        .map(|(col, b, s)| {
            (
                col.to_string(),
                json!({"baseline": b, "scenario": s, "difference": s - b}),
            )
        })
        .collect();
    let doc = json!({
        "scenario": {
            "name": info.name,
            "source": info.source,
            "sha256": info.sha256,
            "description": info.description,
            "changes": info.changes,
            "book_overrides": info.overrides,
        },
        "as_of": info.baseline.as_of.to_string(),
        "baseline_book": { "source": info.baseline.book.source_name, "sha256": info.baseline.book.sha256 },
        "scenario_book": { "source": info.scenario.book.source_name, "sha256": info.scenario.book.sha256 },
        "q4_input_sums": inputs,
        "totals": { "cash": cmp.cash, "ad_credit": cmp.ad_credit },
        "by_program": by_program,
        "skipped": { "baseline": skips(info.baseline_skips.0), "scenario": skips(info.scenario_skips.0) },
        "not_evaluated": { "baseline": skips(info.baseline_skips.1), "scenario": skips(info.scenario_skips.1) },
    });
    match doc {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// `--format json`: the scenario, the totals and every partner × program.
pub fn whatif_json(cmp: &Comparison, info: &WhatifInfo) -> String {
    let mut doc = info_json(cmp, info);
    doc.insert("rows".into(), json!(cmp.rows));
    pretty(&Value::Object(doc))
}

/// manifest.json of a what-if run: the baseline's manifest (inputs, reconciliation) with
/// the scenario and the compared totals.
pub fn whatif_manifest(base_manifest: &str, cmp: &Comparison, info: &WhatifInfo) -> String {
    let mut doc: Value = serde_json::from_str(base_manifest).expect("the manifest is JSON");
    if let Value::Object(map) = &mut doc {
        map.insert("command".into(), json!("whatif"));
        for (k, v) in info_json(cmp, info) {
            if k != "as_of" {
                map.insert(k, v);
            }
        }
    }
    pretty(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Line;
    use std::collections::BTreeMap;

    fn line(p: &str, program: &'static str, period: &str, kind: Kind, dollars: i64) -> Line {
        Line::of_dollars(p, program, period, kind, dollars)
    }

    fn outcome(lines: Vec<Line>, partners: &[&str]) -> Outcome {
        Outcome {
            lines,
            skipped: Vec::new(),
            not_evaluated: Vec::new(),
            partners: partners
                .iter()
                .map(|p| (p.to_string(), format!("name {p}")))
                .collect::<BTreeMap<_, _>>(),
            programs: crate::programs::registry().to_vec(),
        }
    }

    #[test]
    fn periods_sum_and_missing_sides_count_zero() {
        let base = outcome(
            vec![
                line("P1", "gmv_growth", "q4", Kind::Cash, 10_000),
                line("P1", "affiliate_credits", "2025-10", Kind::AdCredit, 500),
                line("P1", "affiliate_credits", "2025-11", Kind::AdCredit, 250),
                line("P2", "gmv_growth", "q4", Kind::Cash, 5_000),
            ],
            &["P1", "P2"],
        );
        // P2 dropped; P1 moves up a tier and loses a month of credits.
        let alt = outcome(
            vec![
                line("P1", "gmv_growth", "q4", Kind::Cash, 20_000),
                line("P1", "affiliate_credits", "2025-10", Kind::AdCredit, 500),
            ],
            &["P1"],
        );
        let cmp = compare(&base, &alt);
        let rows: Vec<(&str, &str, String, String, String)> = cmp
            .rows
            .iter()
            .map(|r| {
                (
                    r.partner_id.as_str(),
                    r.program,
                    r.baseline.plain(),
                    r.scenario.plain(),
                    r.difference.plain(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "P1",
                    "gmv_growth",
                    "10000.00".into(),
                    "20000.00".into(),
                    "10000.00".into()
                ),
                (
                    "P1",
                    "affiliate_credits",
                    "750.00".into(),
                    "500.00".into(),
                    "-250.00".into()
                ),
                (
                    "P2",
                    "gmv_growth",
                    "5000.00".into(),
                    "0.00".into(),
                    "-5000.00".into()
                ),
            ]
        );
        assert_eq!(cmp.rows[2].partner_name, "name P2");
        assert_eq!(cmp.cash.difference, Money::dollars(5_000));
        assert_eq!(cmp.ad_credit.difference, Money::dollars(-250));
        assert_eq!(
            whatif_csv(&cmp).lines().nth(2),
            Some("P1,name P1,affiliate_credits,ad_credit,750.00,500.00,-250.00")
        );
    }
}
