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

/// Appends a plain figure of `int` integer digits (see [`plain_figure_int_len`]) with `,`
/// every three of them, as `money::group_thousands` writes it.
pub fn push_grouped(out: &mut String, cell: &str, int: usize) {
    let sign = usize::from(cell.starts_with('-'));
    let first = sign
        + match int % 3 {
            0 => int.min(3),
            r => r,
        };
    out.reserve(cell.len() + int / 3);
    out.push_str(&cell[..first]);
    let mut at = first;
    while at < sign + int {
        out.push(',');
        out.push_str(&cell[at..at + 3]);
        at += 3;
    }
    out.push_str(&cell[at..]);
}

/// A cell as the partner sees it.
pub enum Shown<'c> {
    /// A plain figure of an amount column, of `int` integer digits: shown with `,` every
    /// three digits ([`push_grouped`]). It always reads as a number and holds nothing
    /// to escape.
    Figure {
        cell: &'c str,
        int: usize,
    },
    Text(Cow<'c, str>),
}

impl Shown<'_> {
    pub fn into_string(self) -> String {
        match self {
            Shown::Figure { cell, int } => {
                let mut out = String::with_capacity(cell.len() + int / 3);
                push_grouped(&mut out, cell, int);
                out
            }
            Shown::Text(t) => t.into_owned(),
        }
    }
}

/// A cell of column `i` as `Detail::human` shows it.
fn human_cell<'c>(d: &Detail, i: usize, cell: &'c str) -> Shown<'c> {
    if !d.amount_columns.contains(&i) {
        return Shown::Text(Cow::Borrowed(cell));
    }
    match plain_figure_int_len(cell) {
        Some(int) => Shown::Figure { cell, int },
        None if cell.parse::<rust_decimal::Decimal>().is_ok() => {
            Shown::Text(Cow::Owned(crate::money::group_thousands(cell)))
        }
        None => Shown::Text(Cow::Borrowed(cell)),
    }
}

/// The rows of the line's detail table that the partner may see, as [`view`] shows
/// them, read in place: a page writes each cell straight from the line.
pub struct Visible<'a> {
    detail: &'a Detail,
    pub title: Cow<'a, str>,
    /// The id column of a leaderboard, headed [`PARTNER_COLUMN`]; `None` for any other table.
    id_col: Option<usize>,
    /// The rows shown, each with whether it is the partner's own; `None`: every row, none
    /// of them marked.
    picked: Option<Vec<(&'a [Text], bool)>>,
}

impl<'a> Visible<'a> {
    /// The table of `line` as the partner sees it; `None` when the line has none.
    pub fn of(line: &'a Line) -> Option<Visible<'a>> {
        let d = line.detail.as_ref()?;
        let Some(id_col) = d.columns.iter().position(|c| c == "partner_id") else {
            return Some(Visible {
                detail: d,
                title: Cow::Borrowed(&d.title),
                id_col: None,
                picked: None,
            });
        };
        // The cells as shown, read without copying them (a leaderboard has every entrant).
        let shown_is = |i: usize, cell: &str, want: &str| -> bool {
            match human_cell(d, i, cell) {
                Shown::Text(t) => t == want,
                figure => figure.into_string() == want,
            }
        };
        let rank_col = d.columns.iter().position(|c| c == "rank");
        let rank_of = |row: &[Text]| -> Option<usize> {
            let i = rank_col?;
            match human_cell(d, i, row.get(i)?) {
                Shown::Text(t) => t.parse().ok(),
                figure => figure.into_string().parse().ok(),
            }
        };
        let is_own = |row: &[Text]| -> bool {
            row.get(id_col)
                .is_some_and(|id| shown_is(id_col, id, &line.partner_id))
        };
        let own = d.rows.iter().find(|r| is_own(r)).and_then(|r| rank_of(r));
        // The title says which rows the detail holds; the partner sees fewer.
        let title = match d.title.strip_suffix(crate::programs::bfcm::BOARD_ROWS) {
            Some(board) => Cow::Owned(format!("{board}: your rank and the ranks next to it")),
            None => Cow::Borrowed(d.title.as_str()),
        };
        let picked = match own {
            None => Vec::new(),
            Some(own) => d
                .rows
                .iter()
                .filter(|r| rank_of(r).is_some_and(|r| r + 1 >= own && r <= own + 1))
                .map(|r| (r.as_slice(), is_own(r)))
                .collect(),
        };
        Some(Visible {
            detail: d,
            title,
            id_col: Some(id_col),
            picked: Some(picked),
        })
    }

    /// The column headings.
    pub fn columns(&self) -> impl Iterator<Item = &'a str> + '_ {
        let d = self.detail;
        (0..d.columns.len()).map(move |i| {
            if Some(i) == self.id_col {
                PARTNER_COLUMN
            } else {
                &d.columns[i]
            }
        })
    }

    pub fn column_count(&self) -> usize {
        self.detail.columns.len()
    }

    /// The rows shown, each with whether it is the partner's own.
    pub fn rows(&self) -> impl Iterator<Item = (&'a [Text], bool)> + '_ {
        let (all, picked) = match &self.picked {
            None => (&self.detail.rows[..], &[][..]),
            Some(picked) => (&[][..], &picked[..]),
        };
        all.iter()
            .map(|r| (r.as_slice(), false))
            .chain(picked.iter().copied())
    }

    pub fn is_empty(&self) -> bool {
        match &self.picked {
            None => self.detail.rows.is_empty(),
            Some(picked) => picked.is_empty(),
        }
    }

    /// Cell `i` of a row (the partner's own when `mine`) as shown: another partner's id as
    /// [`UNNAMED`], an amount with separators.
    pub fn cell<'c>(&self, i: usize, cell: &'c str, mine: bool) -> Shown<'c> {
        if Some(i) == self.id_col && !mine {
            return Shown::Text(Cow::Borrowed(UNNAMED));
        }
        human_cell(self.detail, i, cell)
    }
}

/// The line's detail table as [`detail`] gives it, without copying the table.
pub fn view<'a>(line: &'a Line) -> Option<DetailView<'a>> {
    let v = Visible::of(line)?;
    let rows = v
        .rows()
        .map(|(row, mine)| {
            row.iter()
                .enumerate()
                .map(|(i, c)| match v.cell(i, c, mine) {
                    // Nothing to group: the cell as it is.
                    Shown::Figure { cell, int } if int <= 3 => Cow::Borrowed(cell),
                    Shown::Text(t) => t,
                    figure => Cow::Owned(figure.into_string()),
                })
                .collect()
        })
        .collect();
    Some(DetailView {
        columns: v.columns().collect(),
        rows,
        title: v.title,
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

    /// Grouping in place writes what `money::group_thousands` writes, for every plain
    /// figure length and sign.
    #[test]
    fn grouping_in_place_matches_group_thousands() {
        let mut cells = Vec::new();
        for int in 1..=20 {
            let digits: String = "98765432109876543210"[..int].to_string();
            for frac in ["", ".5", ".20", ".123456"] {
                cells.push(format!("{digits}{frac}"));
                cells.push(format!("-{digits}{frac}"));
            }
        }
        cells.extend(["0", "-0", "0.00", "1000", "-100"].map(String::from));
        for cell in &cells {
            let int = plain_figure_int_len(cell).expect("a plain figure");
            let mut out = "x".to_string();
            push_grouped(&mut out, cell, int);
            assert_eq!(out[1..], crate::money::group_thousands(cell), "{cell}");
        }
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
