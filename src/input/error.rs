//! Input errors. A row-level problem is data (`DataError`), collected so that one run can
//! report every bad row; a file-level problem stops ingest of that file.

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// One bad row or header, with where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: &'static str,
    pub line: u64,
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: String,
    /// Where the problem is when a line number does not say it: a sheet's cell
    /// (`Sheet1!E14`) or a Parquet row (`row 1,041`).
    pub at: Option<String>,
}

impl DataError {
    pub fn row(file: &'static str, line: u64, reason: impl Into<String>) -> DataError {
        DataError {
            file,
            line,
            column: None,
            value: None,
            reason: reason.into(),
            at: None,
        }
    }

    pub fn cell(
        file: &'static str,
        line: u64,
        column: &str,
        value: &str,
        reason: impl Into<String>,
    ) -> DataError {
        DataError {
            file,
            line,
            column: Some(column.to_string()),
            value: Some(value.to_string()),
            reason: reason.into(),
            at: None,
        }
    }

    /// The reason as written to rejects.csv (without the file and line prefix).
    pub fn describe(&self) -> String {
        match (&self.column, &self.value) {
            (Some(c), Some(v)) => format!("column {c}: {} {}", quote(v), self.reason),
            (Some(c), None) => format!("column {c}: {}", self.reason),
            _ => self.reason.clone(),
        }
    }
}

/// The reasons of one row's problems, as one rejects.csv reason.
pub fn reasons(errors: &[DataError]) -> String {
    errors
        .iter()
        .map(DataError::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A cell value in an error message, quoted and cut short when huge.
fn quote(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() > MAX {
        let head: String = value.chars().take(MAX).collect();
        format!("{head:?}… ({} bytes)", value.len())
    } else {
        format!("{value:?}")
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{}: {at}: {}", self.file, self.describe()),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.describe()),
        }
    }
}

/// Problems that stop a run before any payout is computed.
#[derive(Debug, Error)]
pub enum InputError {
    #[error("data directory {0} does not exist or is not a directory")]
    MissingDir(PathBuf),
    #[error("{file}: required file is missing from {dir}")]
    MissingFile { file: &'static str, dir: PathBuf },
    #[error("{file}: {reason} (only a name that does not exist at all counts as absent)")]
    NotAFile { file: &'static str, reason: String },
    #[error("{file} changed while it was read ({what}); nothing was computed from it: run again once the export is complete")]
    Changed { file: &'static str, what: String },
    #[error("{0}")]
    Scenario(String),
    #[error("{0}")]
    OutOfRange(String),
    /// Two files of the data directory are the same input, or columns.toml cannot be used.
    #[error("{0}")]
    Ambiguous(String),
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}
