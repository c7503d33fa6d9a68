//! Problems grouped for people: an export with a systematic fault (US dates, decimal
//! commas) has the same problem on every row, and thousands of identical lines hide the
//! one thing to fix. Problems are grouped by file, column and reason (numbers and quoted
//! text aside); a group of more than `LISTED_UP_TO` rows is shown as one line with its
//! count, its first lines and an example, then a hint. Every problem is counted, however
//! many; `validate --all` and rejects.csv still list every row.

use super::error::DataError;
use rustc_hash::FxHashMap;

/// A group of at most this many problems is listed problem by problem.
const LISTED_UP_TO: u64 = 3;
/// Lines named in a group's summary.
const LINES_SHOWN: usize = 5;
/// Groups tracked; the problems of further groups are only counted (memory stays bounded
/// whatever the number of distinct problems).
const MAX_GROUPS: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    file: &'static str,
    column: Option<String>,
    reason: String,
}

#[derive(Debug)]
struct Group {
    /// Order of the file among the files with problems (files are read one after another).
    file_rank: usize,
    count: u64,
    /// The problems of the group's first lines, in line order (then order of arrival).
    first: Vec<(u64, DataError)>,
}

/// Every problem of a run, grouped.
#[derive(Debug, Default)]
pub struct ErrorSummary {
    groups: Vec<Group>,
    index: FxHashMap<Key, usize>,
    files: Vec<&'static str>,
    /// Problems of groups past `MAX_GROUPS`.
    untracked: u64,
    arrivals: u64,
}

impl ErrorSummary {
    pub(crate) fn add(&mut self, e: &DataError) {
        self.arrivals += 1;
        let key = Key {
            file: e.file,
            column: e.column.clone(),
            reason: group_reason(&e.reason),
        };
        let group = match self.index.get(&key) {
            Some(&i) => &mut self.groups[i],
            None if self.groups.len() >= MAX_GROUPS => {
                self.untracked += 1;
                return;
            }
            None => {
                let file_rank = match self.files.iter().position(|f| *f == e.file) {
                    Some(rank) => rank,
                    None => {
                        self.files.push(e.file);
                        self.files.len() - 1
                    }
                };
                self.index.insert(key, self.groups.len());
                self.groups.push(Group {
                    file_rank,
                    count: 0,
                    first: Vec::new(),
                });
                self.groups.last_mut().expect("just pushed")
            }
        };
        group.count += 1;
        // Duplicate keys are found after their file was read: keep the smallest lines.
        let order = |(seq, e): &(u64, DataError)| (e.line, *seq);
        let entry = (self.arrivals, e.clone());
        if group.first.len() < LINES_SHOWN {
            group.first.push(entry);
        } else if group
            .first
            .last()
            .is_some_and(|last| order(&entry) < order(last))
        {
            *group.first.last_mut().expect("full") = entry;
        } else {
            return;
        }
        group.first.sort_by_key(order);
    }

    /// The problems as people read them: line by line where few are alike, one line per
    /// group (with a hint when the values look like something known) where many are.
    pub fn text(&self) -> String {
        // (file rank, line, arrival) → text, so that groups and single problems interleave
        // in line order.
        let mut entries: Vec<((usize, u64, u64), String)> = Vec::new();
        let mut grouped = false;
        for g in &self.groups {
            if g.count <= LISTED_UP_TO {
                for (seq, e) in &g.first {
                    entries.push(((g.file_rank, e.line, *seq), format!("{e}\n")));
                }
                continue;
            }
            grouped = true;
            let (seq, example) = &g.first[0];
            // A workbook's or Parquet file's problems are named by their place.
            let place = |e: &DataError| e.at.clone().unwrap_or_else(|| e.line.to_string());
            let mut lines: Vec<String> = g.first.iter().map(|(_, e)| place(e)).collect();
            lines.dedup();
            let more = if g.count > lines.len() as u64 {
                ", …"
            } else {
                ""
            };
            let (like, listed) = match example.at {
                Some(_) => ("", ""),
                None => ("line ", "lines "),
            };
            let mut text = format!(
                "{}: {} rows like {like}{}: {}; {listed}{}{more}\n",
                example.file,
                crate::money::human_decimal(g.count.into()),
                place(example),
                example.describe(),
                lines.join(", "),
            );
            if let Some(hint) = super::looks::hint(example) {
                text.push_str(&format!("  hint: {hint}\n"));
            }
            entries.push(((g.file_rank, example.line, *seq), text));
        }
        entries.sort_by_key(|(order, _)| *order);
        let mut out: String = entries.into_iter().map(|(_, text)| text).collect();
        if self.untracked > 0 {
            out.push_str(&format!(
                "… and {} more problem(s) of other kinds\n",
                crate::money::human_decimal(self.untracked.into())
            ));
        }
        if grouped || self.untracked > 0 {
            out.push_str(
                "(problems alike are counted together; `tsp-payout validate --all` lists \
                 every one)\n",
            );
        }
        out
    }
}

/// The reason a problem is grouped by: numbers and quoted text stand for any, so that
/// `exceeds gmv 5.00` and `exceeds gmv 7.10` are one kind of problem.
fn group_reason(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut chars = reason.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|n| n.is_ascii_digit() || *n == '.' || *n == ',')
            {
                chars.next();
            }
            out.push('#');
        } else if c == '"' {
            for n in chars.by_ref() {
                if n == '"' {
                    break;
                }
            }
            out.push_str("\"…\"");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::looks::{date_reason, NOT_AN_AMOUNT};

    fn us_date(line: u64) -> DataError {
        let value = format!("7/{}/2025", line % 28 + 1);
        let reason = date_reason(&value);
        DataError::cell("gmv_daily.csv", line, "date", &value, reason)
    }

    #[test]
    fn thousands_of_one_problem_make_one_line_with_a_hint() {
        let mut s = ErrorSummary::default();
        for line in 2..=9_305 {
            s.add(&us_date(line));
        }
        s.add(&DataError::cell(
            "gmv_daily.csv",
            40,
            "gmv",
            "oops",
            NOT_AN_AMOUNT,
        ));
        assert_eq!(
            s.text(),
            "gmv_daily.csv: 9,304 rows like line 2: column date: \"7/3/2025\" is not a date \
             (YYYY-MM-DD) but looks like M/D/YYYY; lines 2, 3, 4, 5, 6, …\n\
             \x20 hint: dates must be YYYY-MM-DD; 7/3/2025 looks like M/D/YYYY\n\
             gmv_daily.csv:40: column gmv: \"oops\" is not an amount\n\
             (problems alike are counted together; `tsp-payout validate --all` lists every one)\n"
        );
    }

    #[test]
    fn a_workbook_group_names_sheet_cells() {
        let mut s = ErrorSummary::default();
        for line in 2..=9 {
            let mut e = DataError::cell("gmv_daily.xlsx", line, "gmv", "x", NOT_AN_AMOUNT);
            e.at = Some(format!("Daily!D{line}"));
            s.add(&e);
        }
        assert!(
            s.text().starts_with(
                "gmv_daily.xlsx: 8 rows like Daily!D2: column gmv: \"x\" is not an amount; \
                 Daily!D2, Daily!D3, Daily!D4, Daily!D5, Daily!D6, …\n"
            ),
            "{}",
            s.text()
        );
    }

    #[test]
    fn few_alike_are_listed_in_line_order_as_before() {
        let mut s = ErrorSummary::default();
        // Duplicate keys arrive after the rows of their file; a second file follows.
        s.add(&DataError::cell("a.csv", 5, "gmv", "x", NOT_AN_AMOUNT));
        s.add(&DataError::cell("a.csv", 9, "gmv", "y", NOT_AN_AMOUNT));
        s.add(&DataError::row(
            "a.csv",
            7,
            "duplicate key (P1), also on line 8",
        ));
        s.add(&DataError::row(
            "a.csv",
            8,
            "duplicate key (P1), also on line 7",
        ));
        s.add(&DataError::row(
            "b.csv",
            2,
            "row has 3 cells, the header has 2",
        ));
        assert_eq!(
            s.text(),
            "a.csv:5: column gmv: \"x\" is not an amount\n\
             a.csv:7: duplicate key (P1), also on line 8\n\
             a.csv:8: duplicate key (P1), also on line 7\n\
             a.csv:9: column gmv: \"y\" is not an amount\n\
             b.csv:2: row has 3 cells, the header has 2\n"
        );
    }

    #[test]
    fn a_group_keeps_its_smallest_lines_whatever_the_order_of_arrival() {
        let mut s = ErrorSummary::default();
        for line in [90, 80, 70, 60, 50, 40, 30, 20, 10, 11] {
            s.add(&DataError::row(
                "a.csv",
                line,
                format!("exceeds gmv {line}.00"),
            ));
        }
        let text = s.text();
        assert!(
            text.starts_with(
                "a.csv: 10 rows like line 10: exceeds gmv 10.00; lines 10, 11, 20, 30, 40, …\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn groups_are_bounded_and_every_problem_counted() {
        let mut s = ErrorSummary::default();
        // Ids of letters only: digits would not tell groups apart.
        let letters = |mut i: usize| {
            let mut id = String::new();
            loop {
                id.push(char::from(b'a' + (i % 26) as u8));
                i /= 26;
                if i == 0 {
                    return id;
                }
            }
        };
        for i in 0..MAX_GROUPS + 7 {
            let reason = format!("duplicate key (partner_id {})", letters(i));
            s.add(&DataError::row("a.csv", i as u64 + 2, reason));
        }
        assert_eq!(s.groups.len(), MAX_GROUPS);
        assert!(s
            .text()
            .contains("… and 7 more problem(s) of other kinds\n"));
    }

    #[test]
    fn numbers_and_quoted_text_do_not_split_a_group() {
        assert_eq!(
            group_reason("exceeds gmv 1,234.50"),
            group_reason("exceeds gmv 7.10")
        );
        assert_eq!(
            group_reason("is not valid UTF-8 (as Windows-1252 it reads \"Café\": save)"),
            group_reason("is not valid UTF-8 (as Windows-1252 it reads \"Zoë\": save)")
        );
        assert_ne!(
            group_reason("duplicate key (partner_id PA)"),
            group_reason("duplicate key (partner_id PB)")
        );
    }
}
