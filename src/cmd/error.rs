//! What a command fails with, and the exit code each failure maps to.

use crate::book::BookError;
use crate::input::InputError;
use crate::report::{OutputError, VerifyError};
use crate::scenario::ScenarioError;
use std::io;
use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("{0}")]
    Usage(String),
    #[error("book {0}")]
    Book(#[from] BookError),
    #[error("cannot read book {path}: {source}")]
    BookUnreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{count} problem(s) in the input data; nothing was written (see above, or run `tsp-payout validate`)")]
    BadData { count: usize },
    #[error("{count} problem(s) found")]
    ProblemsFound { count: usize },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("cannot write to standard output: {0}")]
    Stdout(io::Error),
    #[error("cannot write the manual pages into {dir}: {source}")]
    ManPages {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("cannot read scenario {path}: {source}")]
    ScenarioUnreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl AppError {
    /// The message as printed: it may quote input (a partner id, a value), so it is shown
    /// without control or bidirectional-formatting characters.
    pub fn shown(&self) -> String {
        crate::report::escape::shown_lines(&self.to_string()).into_owned()
    }

    /// sysexits-style codes: 2 usage, 65 bad data, 66 missing input, 74 output error.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Usage(_)
            | AppError::Book(_)
            | AppError::Scenario(_)
            | AppError::Input(InputError::Scenario(_)) => 2,
            AppError::BookUnreadable { .. } | AppError::ScenarioUnreadable { .. } => 66,
            AppError::Input(InputError::OutOfRange(_))
            | AppError::Input(InputError::Ambiguous(_))
            | AppError::BadData { .. }
            | AppError::ProblemsFound { .. } => 65,
            AppError::Input(_) => 66,
            AppError::Output(_) | AppError::Stdout(_) | AppError::ManPages { .. } => 74,
            AppError::Verify(VerifyError::Missing(_)) => 66,
            AppError::Verify(VerifyError::Unusable(..)) => 65,
            AppError::Ledger(e) => e.exit_code(),
        }
    }
}
