//! What a partner-facing output (the HTML pages, the Markdown statements) may show of a
//! line: the partner's own figures, and of a leaderboard only the ranks next to its own,
//! without names. The auditor's view (explain, the JSON statements, payouts.csv) keeps
//! every id.

use crate::engine::{Detail, Line};
use crate::payout::Text;
use std::borrow::Cow;

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
    let d = line.detail.as_ref()?;
    let v = view(line)?;
    Some(Detail {
        title: v.title.into_owned(),
        columns: v
            .columns
            .iter()
            .map(|c| Cow::Owned(c.to_string()))
            .collect(),
        rows: v
            .rows
            .into_iter()
            .map(|r| r.into_iter().map(|c| Text::from(c.into_owned())).collect())
            .collect(),
        amount_columns: d.amount_columns.clone(),
    })
}

/// A figure as the programs write them (`-96540.20`, `7`): one that a decimal always
/// parses, told apart without parsing it.
#[cfg(test)]
fn is_plain_figure(cell: &str) -> bool {
    plain_figure_int_len(cell).is_some()
}

/// The number of integer digits of a figure as the programs write them (`-96540.20`:
/// 5), `None` for any other cell. Every amount cell of every page goes through it.
fn plain_figure_int_len(cell: &str) -> Option<usize> {
    let bytes = cell.as_bytes();
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let (int, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, &b"0"[..]),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    (all_digits(int) && all_digits(frac) && int.len() <= 20 && frac.len() <= 6).then_some(int.len())
}

/// [`detail`] borrowing the line's table: only the cells it changes are new text.
pub struct DetailView<'a> {
    pub title: Cow<'a, str>,
    pub columns: Vec<&'a str>,
    pub rows: Vec<Vec<Cow<'a, str>>>,
}

/// The line's detail table as [`detail`] gives it, without copying the table.
pub fn view<'a>(line: &'a Line) -> Option<DetailView<'a>> {
    let d = line.detail.as_ref()?;
    // A cell as `Detail::human` shows it.
    fn human<'c>(d: &Detail, i: usize, cell: &'c str) -> Cow<'c, str> {
        if !d.amount_columns.contains(&i) {
            return Cow::Borrowed(cell);
        }
        match plain_figure_int_len(cell) {
            // Nothing to group: the cell as it is.
            Some(int) if int <= 3 => Cow::Borrowed(cell),
            Some(_) => Cow::Owned(crate::money::group_thousands(cell)),
            None if cell.parse::<rust_decimal::Decimal>().is_ok() => {
                Cow::Owned(crate::money::group_thousands(cell))
            }
            None => Cow::Borrowed(cell),
        }
    }
    let shown = |i: usize, cell: &'a str| human(d, i, cell);
    let mut columns: Vec<&str> = d.columns.iter().map(|c| &**c).collect();
    let Some(id_col) = d.columns.iter().position(|c| c == "partner_id") else {
        return Some(DetailView {
            title: Cow::Borrowed(&d.title),
            columns,
            rows: d
                .rows
                .iter()
                .map(|r| r.iter().enumerate().map(|(i, c)| shown(i, c)).collect())
                .collect(),
        });
    };
    let rank_col = d.columns.iter().position(|c| c == "rank");
    let rank_of = |row: &'a [Text]| -> Option<usize> {
        let i = rank_col?;
        shown(i, row.get(i)?).parse().ok()
    };
    let is_own = |row: &'a [Text]| -> bool {
        row.get(id_col)
            .is_some_and(|id| shown(id_col, id) == line.partner_id.as_str())
    };
    let own = d.rows.iter().find(|r| is_own(r)).and_then(|r| rank_of(r));
    columns[id_col] = PARTNER_COLUMN;
    // The title says which rows the detail holds; the partner sees fewer.
    let title = match d.title.strip_suffix(crate::programs::bfcm::BOARD_ROWS) {
        Some(board) => Cow::Owned(format!("{board}: your rank and the ranks next to it")),
        None => Cow::Borrowed(d.title.as_str()),
    };
    let rows = match own {
        None => Vec::new(),
        Some(own) => d
            .rows
            .iter()
            .filter(|r| rank_of(r).is_some_and(|r| r + 1 >= own && r <= own + 1))
            .map(|r| {
                let mine = is_own(r);
                r.iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if i == id_col && !mine {
                            Cow::Borrowed(UNNAMED)
                        } else {
                            shown(i, c)
                        }
                    })
                    .collect()
            })
            .collect(),
    };
    Some(DetailView {
        title,
        columns,
        rows,
    })
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
                .into_iter()
                .map(Text::from)
                .collect()
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

    /// The figures told apart without parsing are ones the decimal parser takes, and
    /// the table shows every amount cell as `Detail::human` does.
    #[test]
    fn plain_figures_are_what_the_decimal_parser_takes() {
        let cells = [
            "0",
            "7",
            "-3",
            "1000",
            "96540.20",
            "-96540.20",
            "123.4",
            "999",
            "-999.99",
            "12345678901234567890.123456",
            "1.",
            ".5",
            "-",
            "",
            "1,000.00",
            "1e5",
            "+5",
            "1_000",
            "00012",
            "-0",
            "１２",
            " 12",
            "12 ",
            "$5",
            "123456789012345678901234567890",
            "1.1234567",
        ];
        for cell in cells {
            if is_plain_figure(cell) {
                assert!(cell.parse::<rust_decimal::Decimal>().is_ok(), "{cell:?}");
            }
        }
        let mut line = Line::of_dollars("P1", "gmv_growth", "q4", Kind::Cash, 0);
        let rows: Vec<Vec<Text>> = cells
            .iter()
            .map(|c| vec![Text::copy(c), Text::copy(c)])
            .collect();
        line.detail = Some(Detail::new("t", &["id", "gmv"], rows).amounts(&["gmv"]));
        let want = line.detail.as_ref().unwrap().human();
        let got = detail(&line).unwrap();
        assert_eq!(got.rows, want.rows);
        assert_eq!(got.rows[4], ["96540.20", "96,540.20"]);
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
