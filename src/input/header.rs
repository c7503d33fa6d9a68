//! Header resolution, one for every file type (CSV, .xlsx, .parquet): which cell of the
//! header holds each column the contract requires. Names match after trimming, ignoring
//! letter case, with spaces and hyphens read as underscores (`Partner ID` = `partner_id`),
//! under this tool's name or any name columns.toml gives the column.

use super::error::DataError;

/// A header name as it is matched: trimmed of spaces and tabs (and the no-break spaces
/// spreadsheets leave), lower case, spaces and hyphens as underscores.
pub fn normalise(name: &str) -> String {
    let blank = |c: char| c == ' ' || c == '\t' || c == '\u{a0}';
    name.trim_matches(blank)
        .chars()
        .map(|c| if blank(c) || c == '-' { '_' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

/// What is wrong with a header: the column it is about (when one) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub column: Option<String>,
    pub reason: String,
}

impl Problem {
    /// The problem as a data error of the header at `line`.
    pub fn error(self, file: &'static str, line: u64) -> DataError {
        DataError {
            column: self.column,
            ..DataError::row(file, line, self.reason)
        }
    }
}

/// Header cells quoted in a message at most: a header of thousands of cells is shown in part.
const MAX_SHOWN: usize = 30;
/// Longest header cell compared for a suggestion (edit distance is quadratic).
const MAX_SUGGESTED_LEN: usize = 100;

/// Position in `header` of each of `columns`, in order. `aliases[i]` are the further names
/// of `columns[i]` (from columns.toml; empty when none). `cell_name(j)` names the `j`th
/// header cell in messages (`cell 4`, `D1`).
pub fn resolve(
    columns: &[&str],
    aliases: &[Vec<String>],
    header: &[String],
    cell_name: &dyn Fn(usize) -> String,
) -> Result<Vec<usize>, Problem> {
    let normalised: Vec<String> = header.iter().map(|h| normalise(h)).collect();
    let mut found: Vec<Vec<usize>> = Vec::with_capacity(columns.len());
    for (i, col) in columns.iter().enumerate() {
        let mut names = vec![normalise(col)];
        if let Some(more) = aliases.get(i) {
            names.extend(more.iter().map(|a| normalise(a)));
        }
        found.push(
            (0..header.len())
                .filter(|&j| names.contains(&normalised[j]))
                .collect(),
        );
    }
    if let Some((i, cells)) = found.iter().enumerate().find(|(_, f)| f.len() > 1) {
        let places = cells
            .iter()
            .map(|&j| format!("{:?} in {}", header[j], cell_name(j)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Problem {
            column: Some(columns[i].to_string()),
            reason: format!(
                "required column appears {} times in the header ({places}); keep one",
                cells.len()
            ),
        });
    }
    let missing: Vec<usize> = (0..columns.len())
        .filter(|&i| found[i].is_empty())
        .collect();
    if missing.is_empty() {
        return Ok(found.into_iter().map(|f| f[0]).collect());
    }
    let used: Vec<usize> = found.into_iter().flatten().collect();
    let detail = details(columns, &missing, header, &normalised, &used);
    Err(match missing.as_slice() {
        [one] => Problem {
            column: Some(columns[*one].to_string()),
            reason: format!("required column is missing from the header{detail}"),
        },
        _ => Problem {
            column: None,
            reason: format!(
                "required columns are missing from the header: {}{detail}",
                missing
                    .iter()
                    .map(|&i| columns[i])
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    })
}

/// The header as found, and for each missing column the unread header name closest to it.
fn details(
    columns: &[&str],
    missing: &[usize],
    header: &[String],
    normalised: &[String],
    used: &[usize],
) -> String {
    let mut shown: Vec<String> = header
        .iter()
        .take(MAX_SHOWN)
        .map(|h| format!("{h:?}"))
        .collect();
    if header.len() > MAX_SHOWN {
        shown.push(format!("… ({} more)", header.len() - MAX_SHOWN));
    }
    let mut text = format!("; the header is: {}", shown.join(", "));
    for &i in missing {
        let want = normalise(columns[i]);
        let closest = (0..header.len())
            .filter(|j| !used.contains(j) && normalised[*j].chars().count() <= MAX_SUGGESTED_LEN)
            .filter_map(|j| {
                let have = &normalised[j];
                let distance = super::edit_distance(have, &want);
                let near = distance <= (want.len() / 3).max(2)
                    || (have.len() >= 3
                        && have.len() <= 2 * want.len()
                        && (have.contains(&want) || want.contains(have.as_str())));
                near.then_some((distance, j))
            })
            .min();
        if let Some((_, j)) = closest {
            text.push_str(&format!("; {:?} may be {}", header[j], columns[i]));
        }
    }
    text.push_str(" (columns.toml in the data directory can map other names)");
    text
}

/// `cell 4`: how a CSV header cell is named in messages.
pub fn csv_cell(j: usize) -> String {
    format!("cell {}", j + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::InputFile;

    const GMV: &[&str] = InputFile::GmvDaily.columns();

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn names_match_ignoring_case_spaces_and_hyphens() {
        assert_eq!(normalise("  Partner ID\t"), "partner_id");
        assert_eq!(normalise("Short-Video GMV"), "short_video_gmv");
        assert_eq!(normalise("Live\u{a0}GMV"), "live_gmv");
        let h = header(&[
            "Affiliate GMV",
            "Note",
            "DATE",
            "Partner ID",
            "seller-id",
            " GMV ",
            "Short Video GMV",
            "live_gmv",
        ]);
        assert_eq!(
            resolve(GMV, &[], &h, &csv_cell),
            Ok(vec![2, 3, 4, 5, 6, 7, 0])
        );
    }

    #[test]
    fn every_missing_column_is_named_with_the_header_and_the_closest_name() {
        let h = header(&["date", "Partner", "seller_id", "GMV", "Live GMV $"]);
        let p = resolve(GMV, &[], &h, &csv_cell).unwrap_err();
        assert_eq!(p.column, None);
        assert!(
            p.reason.starts_with(
                "required columns are missing from the header: partner_id, short_video_gmv, \
                 live_gmv, affiliate_gmv; the header is: \"date\", \"Partner\", \"seller_id\", \"GMV\", \
                 \"Live GMV $\""
            ),
            "{}",
            p.reason
        );
        assert!(
            p.reason.contains("\"Partner\" may be partner_id"),
            "{}",
            p.reason
        );
        assert!(
            p.reason.contains("\"Live GMV $\" may be live_gmv"),
            "{}",
            p.reason
        );
        let h = header(&[
            "date",
            "partner_id",
            "seller_id",
            "GMV",
            "SV GMV",
            "live_gmv",
            "Affiliate GMV",
        ]);
        let p = resolve(GMV, &[], &h, &csv_cell).unwrap_err();
        assert_eq!(p.column.as_deref(), Some("short_video_gmv"));
        assert!(p
            .reason
            .starts_with("required column is missing from the header; the header is"));
    }

    #[test]
    fn a_column_found_twice_is_refused_naming_both_cells() {
        let h = header(&[
            "date",
            "partner_id",
            "seller_id",
            "GMV",
            "gmv",
            "short_video_gmv",
            "live_gmv",
            "affiliate_gmv",
        ]);
        let p = resolve(GMV, &[], &h, &csv_cell).unwrap_err();
        assert_eq!(p.column.as_deref(), Some("gmv"));
        assert_eq!(
            p.reason,
            "required column appears 2 times in the header (\"GMV\" in cell 4, \"gmv\" in cell 5); keep one"
        );
    }

    #[test]
    fn aliases_are_further_names_and_may_not_clash_with_the_own_name() {
        let mut aliases = vec![Vec::new(); GMV.len()];
        aliases[3] = vec!["Total GMV".to_string()];
        aliases[6] = vec!["Affiliate GMV".into(), "Creator-attributed GMV".into()];
        let h = header(&[
            "date",
            "partner_id",
            "seller_id",
            "total gmv",
            "short_video_gmv",
            "live_gmv",
            "Creator attributed GMV",
        ]);
        assert_eq!(
            resolve(GMV, &aliases, &h, &csv_cell),
            Ok(vec![0, 1, 2, 3, 4, 5, 6])
        );
        let h = header(&[
            "date",
            "partner_id",
            "seller_id",
            "Total GMV",
            "gmv",
            "short_video_gmv",
            "live_gmv",
            "affiliate_gmv",
        ]);
        assert!(resolve(GMV, &aliases, &h, &csv_cell).is_err());
    }
}
