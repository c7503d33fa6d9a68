//! `explain`: one partner's programs as a tree of figures, each with the book value or
//! input it came from, so that every amount can be redone by hand.

use super::escape::shown;
use super::RunInfo;
use crate::engine::{Detail, Kind, Line, Outcome, Step};
use crate::payout::Text;

/// A node of the printed tree: a text line, then an optional preformatted block (a detail
/// table), then child nodes.
#[derive(Debug, Default)]
struct Node {
    text: String,
    block: Vec<String>,
    children: Vec<Node>,
}

impl Node {
    fn leaf(text: impl Into<String>) -> Node {
        Node {
            text: one_line(&text.into()),
            ..Node::default()
        }
    }
}

/// Text of the tree as the terminal shows it: on one line, without control or
/// bidirectional-formatting characters (`escape::shown`).
fn one_line(s: &str) -> String {
    shown(s).into_owned()
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Cash => "cash",
        Kind::AdCredit => "ad credit",
    }
}

fn step_node(step: &Step) -> Node {
    let mut text = if step.value.is_empty() {
        step.label.to_string()
    } else {
        format!("{}: {}", step.label, step.value)
    };
    if let Some(source) = &step.source {
        text.push_str(&format!("  [{source}]"));
    }
    Node {
        text: one_line(&text),
        block: Vec::new(),
        children: step.children.iter().map(step_node).collect(),
    }
}

/// A cell that reads as a figure (amount, count, rank, percentage) is right-aligned.
fn is_figure(cell: &str) -> bool {
    let t = cell.trim_start_matches(['-', '+', '$']);
    t.starts_with(|c: char| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '%'))
}

fn table_lines(detail: &Detail) -> Vec<String> {
    let columns: Vec<Text> = detail
        .columns
        .iter()
        .map(|c| Text::from(c.clone()))
        .collect();
    let ncols = detail
        .rows
        .iter()
        .map(Vec::len)
        .chain(std::iter::once(detail.columns.len()))
        .max()
        .unwrap_or(0);
    let cell = |row: &[Text], i: usize| row.get(i).map_or(String::new(), |c| one_line(c));
    let width = |i: usize| {
        detail
            .rows
            .iter()
            .map(|r| cell(r, i).chars().count())
            .chain(std::iter::once(cell(&columns, i).chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..ncols).map(width).collect();
    let right: Vec<bool> = (0..ncols)
        .map(|i| {
            let cells: Vec<String> = detail
                .rows
                .iter()
                .map(|r| cell(r, i))
                .filter(|c| !c.is_empty())
                .collect();
            !cells.is_empty() && cells.iter().all(|c| is_figure(c))
        })
        .collect();
    let render = |row: &[Text]| {
        let cells: Vec<String> = (0..ncols)
            .map(|i| {
                let c = cell(row, i);
                let pad = widths[i].saturating_sub(c.chars().count());
                if right[i] {
                    format!("{}{c}", " ".repeat(pad))
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect();
        cells.join("  ").trim_end().to_string()
    };
    let mut lines = vec![render(&columns)];
    lines.extend(detail.rows.iter().map(|r| render(r)));
    lines
}

fn line_node(line: &Line) -> Node {
    let mut text = format!(
        "{} {}: {} {}",
        line.program,
        line.period,
        line.amount.human(),
        kind_name(line.kind)
    );
    if line.provisional {
        text.push_str(" (provisional)");
    }
    let mut children = vec![Node::leaf(format!("basis: {}", line.basis))];
    children.extend(line.steps.iter().map(step_node));
    if let Some(d) = &line.detail {
        let rows = d.rows.len();
        children.push(Node {
            text: one_line(&format!(
                "{} ({rows} row{})",
                d.title,
                if rows == 1 { "" } else { "s" }
            )),
            block: table_lines(&d.human()),
            children: Vec::new(),
        });
    }
    Node {
        text: one_line(&text),
        block: Vec::new(),
        children,
    }
}

fn render(node: &Node, prefix: &str, last: bool, out: &mut String) {
    out.push_str(prefix);
    out.push_str(if last { "└─ " } else { "├─ " });
    out.push_str(&node.text);
    out.push('\n');
    let inner = format!("{prefix}{}", if last { "   " } else { "│  " });
    for l in &node.block {
        let text = format!("{inner}{l}");
        out.push_str(text.trim_end());
        out.push('\n');
    }
    render_children(&node.children, &inner, out);
}

fn render_children(children: &[Node], prefix: &str, out: &mut String) {
    for (i, child) in children.iter().enumerate() {
        render(child, prefix, i + 1 == children.len(), out);
    }
}

/// Every program for one partner, line by line and figure by figure; programs that did not
/// run say why.
pub fn explain_text(outcome: &Outcome, info: &RunInfo, partner_id: &str) -> String {
    let name = outcome.partners.get(partner_id).map_or("", String::as_str);
    let who = if name.is_empty() {
        one_line(partner_id)
    } else {
        format!("{} {}", one_line(partner_id), one_line(name))
    };
    let mut out = format!(
        "{who} — as of {}, book \"{}\" ({}) sha256 {}\n",
        info.as_of,
        one_line(&info.book.rules.book.name),
        one_line(&info.book.source_name),
        info.book.sha256
    );
    out.push_str(&format!(
        "totals: cash {}, ad credits {}\n",
        outcome.total(Some(partner_id), Kind::Cash).human(),
        outcome.total(Some(partner_id), Kind::AdCredit).human()
    ));
    let reason = |list: &[crate::engine::Skip], p: &str| {
        list.iter()
            .find(|s| s.program == p)
            .map(|s| s.reason.clone())
    };
    let mut nodes = Vec::new();
    for program in outcome.programs.iter().map(|p| p.id) {
        let lines: Vec<&Line> = outcome
            .lines_of(partner_id)
            .filter(|l| l.program == program)
            .collect();
        if !lines.is_empty() {
            nodes.extend(lines.into_iter().map(line_node));
        } else if let Some(r) = reason(&outcome.skipped, program) {
            nodes.push(Node::leaf(format!("{program}: skipped ({r})")));
        } else if let Some(r) = reason(&outcome.not_evaluated, program) {
            nodes.push(Node::leaf(format!("{program}: not evaluated ({r})")));
        } else {
            nodes.push(Node::leaf(format!("{program}: no line for this partner")));
        }
    }
    render_children(&nodes, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_and_table_layout() {
        let line = Line {
            partner_id: "P1".into(),
            program: "affiliate_credits",
            period: "2025-10".into(),
            kind: Kind::AdCredit,
            amount: crate::money::Money::dollars(750),
            provisional: true,
            basis: "two sellers".into(),
            partner_basis: None,
            steps: vec![Step::new("cap", "70")
                .source("book affiliate_credits.max_sellers")
                .child(Step::new("sellers qualifying", "2"))],
            detail: Some(Detail {
                title: "sellers".into(),
                columns: vec!["seller_id".into(), "affiliate gmv".into(), "credit".into()],
                rows: vec![
                    vec!["S1".into(), "12,000.00".into(), "500.00".into()],
                    vec!["S22".into(), "2,000.00".into(), "250.00".into()],
                ],
                amount_columns: Vec::new(),
            }),
        };
        let node = line_node(&line);
        let mut out = String::new();
        render_children(
            &[
                node,
                Node::leaf("bfcm_matchmaking: skipped (no matchmaking.csv)"),
            ],
            "",
            &mut out,
        );
        let expected = "\
├─ affiliate_credits 2025-10: 750.00 ad credit (provisional)
│  ├─ basis: two sellers
│  ├─ cap: 70  [book affiliate_credits.max_sellers]
│  │  └─ sellers qualifying: 2
│  └─ sellers (2 rows)
│     seller_id  affiliate gmv  credit
│     S1             12,000.00  500.00
│     S22             2,000.00  250.00
└─ bfcm_matchmaking: skipped (no matchmaking.csv)
";
        assert_eq!(out, expected);
    }
}
