//! Per-file reconciliation: every row read is used, outside every window, unmatched, or
//! rejected — and the same for GMV dollars.

use super::InputFile;
use crate::money::Money;
use serde::Serialize;
use std::ops::Add;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally<T> {
    pub read: T,
    pub used: T,
    pub outside: T,
    pub unmatched: T,
    pub rejected: T,
}

impl<T: Copy + Add<Output = T> + PartialEq> Tally<T> {
    /// read = used + outside + unmatched + rejected.
    pub fn balances(&self) -> bool {
        self.used + self.outside + self.unmatched + self.rejected == self.read
    }

    pub fn absorb(&mut self, other: &Tally<T>) {
        self.read = self.read + other.read;
        self.used = self.used + other.used;
        self.outside = self.outside + other.outside;
        self.unmatched = self.unmatched + other.unmatched;
        self.rejected = self.rejected + other.rejected;
    }
}

#[derive(Clone, Debug)]
pub struct FileReport {
    pub file: InputFile,
    /// The file's name as read (`gmv_daily.xlsx`); the contract's CSV name when absent.
    pub name: &'static str,
    pub present: bool,
    /// The file could not be read through (a bad header, a record over the size limit, an
    /// I/O error): rows past that point were never seen, so no mode may go on.
    pub unreadable: bool,
    pub sha256: Option<String>,
    pub rows: Tally<u64>,
    /// GMV dollars; meaningful for files with a gmv column.
    pub gmv: Tally<Money>,
    /// Dated files: the dates and days with accepted rows, and the evaluated windows' gaps.
    pub coverage: Option<super::coverage::Coverage>,
}

impl FileReport {
    pub fn absent(file: InputFile) -> FileReport {
        FileReport {
            file,
            name: file.name(),
            present: false,
            unreadable: false,
            sha256: None,
            rows: Tally::default(),
            gmv: Tally::default(),
            coverage: None,
        }
    }

    pub fn present(file: InputFile) -> FileReport {
        FileReport {
            present: true,
            ..FileReport::absent(file)
        }
    }

    pub fn balances(&self) -> bool {
        self.rows.balances() && self.gmv.balances()
    }
}
