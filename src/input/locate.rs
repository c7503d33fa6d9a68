//! How a message names the rows of a file in its text: `line 12` in a CSV file, `Sheet1
//! row 12` in a workbook, `row 1,041` in a Parquet file. A message's own place (before
//! its text) is `Places`' business; this is for the other rows it points to (the rows
//! sharing a duplicate key).

use super::source::Places;
use crate::money::human_decimal;

/// How rows of one file are named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Locator {
    /// Physical lines of a CSV file.
    Line,
    /// Rows of a sheet, by the sheet's own row numbers.
    SheetRow { sheet: String },
    /// Rows of a Parquet file, counted from 1.
    ParquetRow,
}

impl Locator {
    /// The locator of a file whose messages name places as `places` (`None`: CSV).
    pub fn of(places: Option<&Places>) -> Locator {
        match places {
            None => Locator::Line,
            Some(Places::Sheet { sheet, .. }) => Locator::SheetRow {
                sheet: sheet.clone(),
            },
            Some(Places::Rows | Places::Schema) => Locator::ParquetRow,
        }
    }

    /// One row: `line 12`, `Sheet1 row 12`, `row 1,041`.
    pub fn row(&self, n: u64) -> String {
        self.rows(&[n])
    }

    /// Several rows in one phrase: `lines 3, 5`, `Sheet1 rows 3, 5`, `row 3, row 1,041`.
    pub fn rows(&self, numbers: &[u64]) -> String {
        let plural = numbers.len() > 1;
        let listed = |each: &dyn Fn(u64) -> String| {
            numbers
                .iter()
                .map(|n| each(*n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Locator::Line => {
                let word = if plural { "lines" } else { "line" };
                format!("{word} {}", listed(&|n| n.to_string()))
            }
            Locator::SheetRow { sheet } => {
                let word = if plural { "rows" } else { "row" };
                format!(
                    "{} {word} {}",
                    super::source::sheet_ref(sheet),
                    listed(&|n| n.to_string())
                )
            }
            // Each number keeps its word: `rows 3, 1,041` would read as three rows.
            Locator::ParquetRow => listed(&|n| format!("row {}", human_decimal(n.into()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_type_names_its_rows_its_own_way() {
        assert_eq!(Locator::Line.row(12), "line 12");
        assert_eq!(Locator::Line.rows(&[3, 5]), "lines 3, 5");
        let sheet = Locator::SheetRow {
            sheet: "Sheet1".into(),
        };
        assert_eq!(sheet.row(12), "Sheet1 row 12");
        assert_eq!(sheet.rows(&[3, 1041]), "Sheet1 rows 3, 1041");
        let quoted = Locator::SheetRow {
            sheet: "GMV daily".into(),
        };
        assert_eq!(quoted.row(7), "'GMV daily' row 7");
        assert_eq!(Locator::ParquetRow.rows(&[3, 1041]), "row 3, row 1,041");
        assert_eq!(Locator::ParquetRow.row(1041), "row 1,041");
    }
}
