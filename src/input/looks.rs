//! What a refused cell looks like: a date in another order or with a time of day, a
//! spreadsheet date number, an amount with a decimal comma, a spreadsheet's totals row.
//! Only ever called once a cell was refused, so reading a good file never pays for it.
//! Nothing here changes what is accepted: it only words the reason.

use super::error::DataError;
use chrono::NaiveDate;

/// Reason of a cell that is not a date.
pub(crate) const NOT_A_DATE: &str = "is not a date (YYYY-MM-DD)";
/// Reason of a cell that is not an amount.
pub(crate) const NOT_AN_AMOUNT: &str = "is not an amount";
/// Reason of a row that holds a totals label, replacing the row's other problems.
pub(crate) const SUMMARY_ROW: &str =
    "looks like a total or summary row, not data: delete such rows from the export";
/// What a reason says of an amount written with a decimal comma.
pub(crate) const DECIMAL_COMMA: &str = "looks like a decimal comma";
/// Where a cell reason says what the value looks like.
const BUT: &str = " but looks like ";

/// What a refused value looks like, worded for its row and for the hint under a group.
struct Look {
    /// After "looks like" in the row's reason: `M/D/YYYY`, `a decimal comma (amounts use
    /// a point: 45615.49)`.
    what: String,
    /// The hint under a group of rows like it: the rule and what the value looks like.
    hint: String,
}

/// The reason for a cell that is not a date: what it looks like when that is clear.
pub(crate) fn date_reason(value: &str) -> String {
    match date_look(value) {
        Some(look) => format!("{NOT_A_DATE}{BUT}{}", look.what),
        None => NOT_A_DATE.to_string(),
    }
}

/// The reason for a cell that is not an amount (`reason` as the parser gave it).
pub(crate) fn amount_reason(value: &str, reason: &'static str) -> String {
    match amount_look(value).filter(|_| reason == NOT_AN_AMOUNT) {
        Some(look) => format!("{reason}{BUT}{}", look.what),
        None => reason.to_string(),
    }
}

/// The hint printed under a group of problems like `example`: the rule, and what the
/// example's value looks like. `None` when the value looks like nothing known.
pub(crate) fn hint(example: &DataError) -> Option<String> {
    if example.reason == SUMMARY_ROW {
        return Some(
            "totals are computed from the rows: delete total, subtotal and summary rows \
             before saving the export"
                .to_string(),
        );
    }
    if example.reason.starts_with(super::sniff::NOT_UTF8_CP1252) {
        return Some(super::sniff::RESAVE_CP1252.to_string());
    }
    let value = example.value.as_deref()?;
    let look = if example.reason.starts_with(NOT_A_DATE) {
        date_look(value)?
    } else if example.reason.starts_with(NOT_AN_AMOUNT) {
        amount_look(value)?
    } else {
        return None;
    };
    Some(look.hint)
}

/// Longest value looked at: every known look is far shorter, and a huge cell costs nothing.
const LONGEST_LOOKED_AT: usize = 64;

fn date_look(value: &str) -> Option<Look> {
    if value.len() > LONGEST_LOOKED_AT {
        return None;
    }
    let look = |what: String, like: &str| {
        Some(Look {
            what,
            hint: format!("dates must be YYYY-MM-DD; {value} looks like {like}"),
        })
    };
    if let Some(date) = date_with_time(value) {
        return look(
            format!("a date with a time of day (write the date alone: {date})"),
            "a date with a time of day",
        );
    }
    if let Some(pattern) = numeric_date_pattern(value) {
        return look(pattern.clone(), &pattern);
    }
    if let Some(date) = spreadsheet_serial(value) {
        return look(
            format!(
                "a spreadsheet date number ({value} is {date}): format the column as \
                 YYYY-MM-DD"
            ),
            &format!(
                "a spreadsheet date number ({date}): format the column as YYYY-MM-DD before \
                 saving"
            ),
        );
    }
    if has_month_name(value) {
        return look(
            "a date with a month name (write it as YYYY-MM-DD)".to_string(),
            "a date with a month name",
        );
    }
    None
}

/// `2025-10-01T00:00:00`, `2025-10-01 00:00:00`, with seconds, fractions or a zone.
fn date_with_time(value: &str) -> Option<NaiveDate> {
    let date = super::reader::parse_date(value.get(..10)?)?;
    let rest = value.get(10..)?;
    let time = rest.strip_prefix(['T', ' '])?;
    let starts_with_clock =
        time.len() >= 4 && time.as_bytes()[0].is_ascii_digit() && time[..3].contains(':');
    let clock_chars = time
        .bytes()
        .all(|b| b.is_ascii_digit() || b":.+-Z ".contains(&b));
    (starts_with_clock && clock_chars).then_some(date)
}

/// `7/1/2025` → `M/D/YYYY`; `13.01.25` → `D.M.YY`; `2025/7/1` → `YYYY/M/D`. With a slash
/// the month is taken to come first (as US spreadsheets write it) unless it cannot; with a
/// point or hyphen the day (as European ones do). `None` when no order makes a date.
fn numeric_date_pattern(value: &str) -> Option<String> {
    let sep = value.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let parts: Vec<&str> = value.split(sep).collect();
    let [a, b, c] = parts[..] else {
        return None;
    };
    let number = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        (lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let valid = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).is_some();
    if let (Some(y), Some(m), Some(d)) = (number(a, 4..=4), number(b, 1..=2), number(c, 1..=2)) {
        return valid(y as i32, m, d).then(|| format!("YYYY{sep}M{sep}D"));
    }
    let (x, y, year) = (number(a, 1..=2)?, number(b, 1..=2)?, c);
    let year_digits = match number(year, 2..=2).or(number(year, 4..=4)) {
        Some(_) if year.len() == 2 => "YY",
        Some(_) => "YYYY",
        None => return None,
    };
    let full_year = year.parse::<i32>().ok()? + if year.len() == 2 { 2000 } else { 0 };
    let month_first = valid(full_year, x, y);
    let day_first = valid(full_year, y, x);
    let order = match (month_first, day_first) {
        (true, true) if sep == '/' => "M{s}D",
        (true, true) => "D{s}M",
        (true, false) => "M{s}D",
        (false, true) => "D{s}M",
        (false, false) => return None,
    };
    Some(format!(
        "{}{sep}{year_digits}",
        order.replace("{s}", &sep.to_string())
    ))
}

/// A spreadsheet's date number (days since 1899-12-30) for a date of 1982..2064.
fn spreadsheet_serial(value: &str) -> Option<NaiveDate> {
    let whole = value.strip_suffix(".0").unwrap_or(value);
    if whole.len() != 5 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = whole.parse().ok()?;
    if !(30_000..=60_000).contains(&n) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::TimeDelta::days(n))
}

fn has_month_name(value: &str) -> bool {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = value.to_ascii_lowercase();
    value.bytes().any(|b| b.is_ascii_digit())
        && lower
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| word.len() >= 3 && MONTHS.iter().any(|m| word.starts_with(m)))
}

fn amount_look(value: &str) -> Option<Look> {
    if value.len() > LONGEST_LOOKED_AT {
        return None;
    }
    let body = value.strip_prefix('$').unwrap_or(value);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // The same export may hold values that are also valid with a thousands comma.
    let decimal_comma = |what: String, point: String| {
        Some(Look {
            hint: format!(
                "{value} looks like {what}; amounts use a point: {point}; re-export the whole \
                 file with points, as a value such as 1,500 is read as one thousand five hundred"
            ),
            what: format!("{what} (amounts use a point: {point})"),
        })
    };
    if let Some((int, cents)) = body.rsplit_once(',') {
        // One or two digits after the comma: never a group of thousands.
        if (1..=2).contains(&cents.len()) && digits(cents) {
            if digits(int) {
                return decimal_comma("a decimal comma".into(), format!("{int}.{cents}"));
            }
            for (sep, name) in [
                ('.', "points"),
                (' ', "spaces"),
                ('\u{a0}', "spaces"),
                ('\u{202f}', "spaces"),
            ] {
                if let Some(whole) = thousands(int, sep) {
                    return decimal_comma(
                        format!("a decimal comma with {name} between thousands"),
                        format!("{whole}.{cents}"),
                    );
                }
            }
        }
    }
    // `1.234.567`: points between thousands (one point could be a decimal point).
    if body.matches('.').count() >= 2 {
        if let Some(whole) = thousands(body, '.') {
            let grouped = crate::money::human_decimal(whole.parse().ok()?);
            return Some(Look {
                what: format!("points between thousands (write {whole} or {grouped})"),
                hint: format!(
                    "thousands are separated by commas or not at all; {value} looks like \
                     {grouped} with points between thousands"
                ),
            });
        }
    }
    None
}

/// The digits of `int` when it is groups of three joined by `sep` (the first 1-3 long).
fn thousands(int: &str, sep: char) -> Option<String> {
    let groups: Vec<&str> = int.split(sep).collect();
    let ok = groups.len() >= 2
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| groups.concat())
}

/// How a spreadsheet labels a totals row: `Total` (the whole cell), or `Total GMV` (a
/// label that starts so, counted only in a cell that was refused itself, so that a row of
/// a partner named "Total Wellness" is not taken for one).
fn is_summary_label(cell: &str, refused: bool) -> bool {
    // Every label starts with one of these letters: most cells are passed over unread.
    if !cell
        .trim_start()
        .starts_with(['t', 'T', 'g', 'G', 's', 'S'])
    {
        return false;
    }
    let label = cell
        .trim()
        .trim_end_matches(':')
        .trim_end()
        .to_ascii_lowercase();
    matches!(
        label.as_str(),
        "total" | "totals" | "grand total" | "subtotal" | "sub-total" | "sum" | "summary"
    ) || (refused
        && ["total ", "totals ", "grand total ", "subtotal ", "summary "]
            .iter()
            .any(|p| label.starts_with(p)))
}

/// An id that is a totals label (`TOTAL`, `Grand Total:`): an export's totals row whose
/// other cells all read as data, which would otherwise be paid as a partner or seller.
pub(crate) fn is_totals_id(id: &str) -> bool {
    is_summary_label(id, false)
}

/// A refused row whose cell `i` (of the file's columns, trimmed) is a totals label: its
/// problems become one, on that cell. `cell` gives `None` past the row's end.
pub(crate) fn summary_row<'a>(
    file: &'static str,
    line: u64,
    columns: &[&str],
    cell: impl Fn(usize) -> Option<&'a [u8]>,
    errors: &mut Vec<DataError>,
) {
    for (i, column) in columns.iter().enumerate() {
        let Some(text) = cell(i).and_then(|b| std::str::from_utf8(b).ok()) else {
            continue;
        };
        let refused = errors.iter().any(|e| e.column.as_deref() == Some(*column));
        if is_summary_label(text, refused) {
            *errors = vec![DataError::cell(file, line, column, text, SUMMARY_ROW)];
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::reader::parse_cents;

    #[test]
    fn dates_say_what_they_look_like() {
        let cases = [
            ("7/1/2025", Some("M/D/YYYY")),
            ("12/31/2025", Some("M/D/YYYY")),
            ("31/12/2025", Some("D/M/YYYY")),
            ("01.07.2025", Some("D.M.YYYY")),
            ("7/1/25", Some("M/D/YY")),
            ("2025/7/1", Some("YYYY/M/D")),
            ("2025-7-1", Some("YYYY-M-D")),
            ("13/13/2025", None),
            ("2025-13-03", None),
            ("7/1", None),
            ("hello", None),
            (
                "2025-10-01T00:00:00",
                Some("a date with a time of day (write the date alone: 2025-10-01)"),
            ),
            (
                "2025-10-01 00:00:00",
                Some("a date with a time of day (write the date alone: 2025-10-01)"),
            ),
            (
                "2025-10-01T23:59:59.5+02:00",
                Some("a date with a time of day (write the date alone: 2025-10-01)"),
            ),
            ("2025-10-01 x", None),
            ("2025-10-01T", None),
            (
                "45839",
                Some("a spreadsheet date number (45839 is 2025-07-01): format the column as YYYY-MM-DD"),
            ),
            ("12345", None),
            (
                "1-Jul-25",
                Some("a date with a month name (write it as YYYY-MM-DD)"),
            ),
            ("July", None),
            (&"7/1/2025 ".repeat(20), None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                date_look(value).map(|l| l.what),
                expected.map(String::from),
                "{value}"
            );
        }
        assert_eq!(
            date_reason("7/1/2025"),
            "is not a date (YYYY-MM-DD) but looks like M/D/YYYY"
        );
        assert_eq!(date_reason("2025-13-03"), "is not a date (YYYY-MM-DD)");
    }

    #[test]
    fn decimal_commas_are_named_and_thousands_commas_stay_accepted() {
        let comma = |v: &str| amount_look(v).map(|l| l.what);
        assert_eq!(
            comma("45615,49").as_deref(),
            Some("a decimal comma (amounts use a point: 45615.49)")
        );
        assert_eq!(
            comma("$12,5").as_deref(),
            Some("a decimal comma (amounts use a point: 12.5)")
        );
        assert_eq!(
            comma("1.234,56").as_deref(),
            Some("a decimal comma with points between thousands (amounts use a point: 1234.56)")
        );
        assert_eq!(
            comma("1 234 567,8").as_deref(),
            Some("a decimal comma with spaces between thousands (amounts use a point: 1234567.8)")
        );
        assert_eq!(
            comma("1.234.567").as_deref(),
            Some("points between thousands (write 1234567 or 1,234,567)")
        );
        // Not a decimal comma: a group of three, or a malformed group.
        for v in ["1234,567", "12,3x", ",12", "1,2,34", "1.234", "12.345,678"] {
            assert_eq!(comma(v), None, "{v}");
        }
        // What is accepted does not change: a comma then three digits is thousands.
        assert_eq!(parse_cents("1,234"), Ok(123_400));
        assert_eq!(parse_cents("45,615"), Ok(4_561_500));
        assert!(parse_cents("45615,49").is_err());
        assert_eq!(
            amount_reason("45615,49", NOT_AN_AMOUNT),
            "is not an amount but looks like a decimal comma (amounts use a point: 45615.49)"
        );
        assert_eq!(
            amount_reason("45615,49", "is out of range"),
            "is out of range"
        );
    }

    #[test]
    fn hints_state_the_rule_and_the_look() {
        let date = DataError::cell("g.csv", 2, "date", "7/1/2025", date_reason("7/1/2025"));
        assert_eq!(
            hint(&date).as_deref(),
            Some("dates must be YYYY-MM-DD; 7/1/2025 looks like M/D/YYYY")
        );
        let amount = DataError::cell(
            "g.csv",
            2,
            "gmv",
            "45615,49",
            amount_reason("45615,49", NOT_AN_AMOUNT),
        );
        assert_eq!(
            hint(&amount).as_deref(),
            Some(
                "45615,49 looks like a decimal comma; amounts use a point: 45615.49; re-export \
                 the whole file with points, as a value such as 1,500 is read as one thousand \
                 five hundred"
            )
        );
        let serial = DataError::cell("g.csv", 2, "date", "45839", date_reason("45839"));
        assert_eq!(
            hint(&serial).as_deref(),
            Some(
                "dates must be YYYY-MM-DD; 45839 looks like a spreadsheet date number \
                 (2025-07-01): format the column as YYYY-MM-DD before saving"
            )
        );
        let plain = DataError::cell("g.csv", 2, "gmv", "oops", NOT_AN_AMOUNT);
        assert_eq!(hint(&plain), None);
    }

    #[test]
    fn a_totals_label_makes_one_problem_of_the_row() {
        let cells: [&[u8]; 4] = [b"", b"Grand Total:", b"", b"100.00"];
        let mut errors = vec![
            DataError::cell("g.csv", 9, "date", "", NOT_A_DATE),
            DataError::cell("g.csv", 9, "seller_id", "", "is empty"),
        ];
        let columns = ["date", "partner_id", "seller_id", "gmv"];
        summary_row("g.csv", 9, &columns, |i| cells.get(i).copied(), &mut errors);
        assert_eq!(
            errors,
            [DataError::cell(
                "g.csv",
                9,
                "partner_id",
                "Grand Total:",
                SUMMARY_ROW
            )]
        );
        for label in ["Total", "TOTALS", "summary", "subtotal", "Total:"] {
            assert!(is_summary_label(label, false), "{label}");
        }
        assert!(is_summary_label("Total GMV", true));
        assert!(!is_summary_label("Total Wellness", false));
        for label in ["Totally Legit LLC", "P1", "", "sums"] {
            assert!(!is_summary_label(label, true), "{label}");
        }
    }
}
