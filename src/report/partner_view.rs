//! What a partner-facing output (the HTML pages, the Markdown statements) may show of a
//! line: the partner's own figures, and of a leaderboard only the ranks next to its own,
//! without names. The auditor's view (explain, the JSON statements, payouts.csv) keeps
//! every id.

use crate::engine::{Detail, Line};

/// The heading of the id column of a leaderboard as a partner sees it.
pub const PARTNER_COLUMN: &str = "partner";

/// What stands for another partner's id.
pub const UNNAMED: &str = "—";

/// The line's basis without other partners' ids.
pub fn basis(line: &Line) -> &str {
    line.partner_basis.as_deref().unwrap_or(&line.basis)
}

/// The line's detail table as the partner may see it, amounts with thousands separators.
/// A leaderboard (a table with a `partner_id` column) keeps only the partner's own row
/// and the ranks just above and below it, its id column headed `partner` and the others
/// shown as `—`; a partner not on the board sees no row of it.
pub fn detail(line: &Line) -> Option<Detail> {
    let d = line.detail.as_ref()?.human();
    let Some(id_col) = d.columns.iter().position(|c| c == "partner_id") else {
        return Some(d);
    };
    let rank_col = d.columns.iter().position(|c| c == "rank");
    let rank_of = |row: &[String]| -> Option<usize> { row.get(rank_col?)?.parse().ok() };
    let own = d
        .rows
        .iter()
        .find(|r| r.get(id_col).is_some_and(|id| *id == line.partner_id))
        .and_then(|r| rank_of(r));
    let mut shown = d.clone();
    shown.columns[id_col] = PARTNER_COLUMN.into();
    // The title says which rows the detail holds; the partner sees fewer.
    if let Some(board) = d.title.strip_suffix(crate::programs::bfcm::BOARD_ROWS) {
        shown.title = format!("{board}: your rank and the ranks next to it");
    }
    shown.rows = match own {
        None => Vec::new(),
        Some(own) => d
            .rows
            .iter()
            .filter(|r| rank_of(r).is_some_and(|r| r + 1 >= own && r <= own + 1))
            .cloned()
            .map(|mut r| {
                if r[id_col] != line.partner_id {
                    r[id_col] = UNNAMED.into();
                }
                r
            })
            .collect(),
    };
    Some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Kind;

    fn board(partner: &str) -> Line {
        let mut line = Line::of_dollars(partner, "bfcm_matchmaking", "bfcm", Kind::Cash, 8_000);
        let rows = (1..=6)
            .map(|r| {
                vec![
                    r.to_string(),
                    format!("P{r}"),
                    format!("{}.50", 100_000 - r * 1_000),
                    "8000.00".to_string(),
                ]
            })
            .collect();
        line.detail = Some(
            Detail::new("board", &["rank", "partner_id", "gmv", "amount"], rows)
                .amounts(&["gmv", "amount"]),
        );
        line
    }

    #[test]
    fn a_leaderboard_shows_only_the_neighbouring_ranks_unnamed() {
        let d = detail(&board("P4")).expect("detail");
        assert_eq!(d.columns, ["rank", "partner", "gmv", "amount"]);
        assert_eq!(
            d.rows,
            [
                ["3", "—", "97,000.50", "8,000.00"],
                ["4", "P4", "96,000.50", "8,000.00"],
                ["5", "—", "95,000.50", "8,000.00"],
            ]
        );
        let first = detail(&board("P1")).expect("detail");
        assert_eq!(first.rows.len(), 2);
        assert_eq!(first.rows[1][1], "—");
        // A partner not on the board sees none of it.
        assert!(detail(&board("P9")).expect("detail").rows.is_empty());
    }

    #[test]
    fn other_tables_keep_their_rows_with_separators() {
        let mut line = Line::of_dollars("P1", "gmv_growth", "q4", Kind::Cash, 0);
        line.detail = Some(
            Detail::new(
                "sellers",
                &["seller_id", "q4_gmv"],
                vec![vec!["1000.00".into(), "96540.20".into()]],
            )
            .amounts(&["q4_gmv"]),
        );
        // The seller id is not an amount, whatever it looks like.
        assert_eq!(
            detail(&line).expect("detail").rows,
            [["1000.00", "96,540.20"]]
        );
    }

    #[test]
    fn the_partner_basis_stands_in_for_a_basis_naming_others() {
        let mut line = Line::of_dollars("P1", "bfcm_matchmaking", "bfcm", Kind::Cash, 0);
        line.basis = "tied with P2".into();
        assert_eq!(basis(&line), "tied with P2");
        line.partner_basis = Some("tied with 1 other partner".into());
        assert_eq!(basis(&line), "tied with 1 other partner");
    }
}
