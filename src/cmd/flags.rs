//! Flags several commands share, each defined once and flattened into the commands.

use clap::ValueEnum;
use std::path::{Path, PathBuf};

/// The data, evaluation date and book every computing command reads.
#[derive(clap::Args)]
pub(crate) struct DataFlags {
    /// Directory holding gmv_daily.csv and the optional input files.
    pub(crate) data_dir: PathBuf,
    /// Evaluation date (YYYY-MM-DD) inside the program period; defaults to its end.
    #[arg(long, value_parser = parse_date)]
    pub(crate) as_of: Option<chrono::NaiveDate>,
    /// Program book (TOML) to use instead of the embedded Q4 2025 book.
    #[arg(long)]
    pub(crate) book: Option<PathBuf>,
    /// Reject bad rows (into rejects.csv with --out) and go on, instead of stopping.
    #[arg(long)]
    pub(crate) skip_invalid: bool,
    /// With --skip-invalid: the most rows of one file that may be rejected, as a count (50)
    /// or a share of its rows (0.5%); more stops the run (exit 65). Default 1%.
    #[arg(long, requires = "skip_invalid", value_parser = parse_max_rejects)]
    pub(crate) max_rejects: Option<MaxRejects>,
    /// Accept days without gmv_daily.csv rows as days without sales; every line whose
    /// windows hold such a day says so in its basis.
    #[arg(long)]
    pub(crate) allow_gaps: bool,
    /// Print no progress, reconciliation, notes or summary of the files written on
    /// standard error; warnings and errors still print.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl DataFlags {
    /// How many rows of one file `--skip-invalid` may reject.
    pub(crate) fn max_rejects(&self) -> MaxRejects {
        self.max_rejects.unwrap_or_default()
    }
}

/// Where a command writes its files.
#[derive(clap::Args)]
pub(crate) struct OutFlags {
    /// Write the command's files into this directory (created if missing; a file there is
    /// refused). Problems with it are found before any data is read.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Replace the previous run in the --out directory (for statements: only the same
    /// month's files), or everything in a directory that holds files but no manifest.json.
    #[arg(long)]
    pub(crate) force: bool,
}

impl OutFlags {
    /// Refuses an --out that is, or holds, one of the run's inputs (the data directory,
    /// the book, and `more`, e.g. a scenario), before any data is read: replacing it would
    /// delete them.
    pub(crate) fn check_apart(
        &self,
        data: &DataFlags,
        more: &[&Path],
    ) -> Result<(), crate::report::OutputError> {
        let Some(dir) = &self.out else {
            return Ok(());
        };
        let mut inputs = vec![data.data_dir.as_path()];
        inputs.extend(data.book.as_deref());
        inputs.extend_from_slice(more);
        crate::report::check_apart(dir, &inputs)
    }

    /// Refuses, before any data is read, an --out that the run could not be written into
    /// (see `report::preflight`).
    pub(crate) fn preflight(
        &self,
        kind: crate::report::RunKind,
    ) -> Result<(), crate::report::OutputError> {
        match &self.out {
            Some(dir) => crate::report::preflight(dir, kind, self.force),
            None => Ok(()),
        }
    }
}

/// What a run wrote into `dir`, for stderr: the number of files, then each top-level file
/// and each directory with its count of files, in the order written.
pub(crate) fn written_text(dir: &Path, names: &[String]) -> String {
    let mut groups: Vec<(String, usize)> = Vec::new();
    for name in names {
        let group = match name.split_once('/') {
            Some((top, _)) => format!("{top}/"),
            None => name.clone(),
        };
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, n)) => *n += 1,
            None => groups.push((group, 1)),
        }
    }
    let mut out = format!(
        "wrote {} file{} to {}:\n",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        dir.display()
    );
    for (group, n) in groups {
        if group.ends_with('/') {
            out.push_str(&format!(
                "  {group} ({n} file{})\n",
                if n == 1 { "" } else { "s" }
            ));
        } else {
            out.push_str(&format!("  {group}\n"));
        }
    }
    out
}

/// What `calc` and `whatif` print on standard output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

pub(crate) fn parse_max_rejects(s: &str) -> Result<MaxRejects, String> {
    s.parse()
}

pub(crate) fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    crate::input::reader::parse_date(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// `--max-rejects`: how many rows of one file `--skip-invalid` may reject before the run
/// stops, as a count (`N`) or a share of the rows read (`P%`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MaxRejects {
    Rows(u64),
    /// Percent, 0 to 100.
    Percent(rust_decimal::Decimal),
}

impl Default for MaxRejects {
    /// 1 % of a file's rows.
    fn default() -> MaxRejects {
        MaxRejects::Percent(rust_decimal::Decimal::ONE)
    }
}

impl std::str::FromStr for MaxRejects {
    type Err = String;

    fn from_str(s: &str) -> Result<MaxRejects, String> {
        let bad = || {
            format!("{s:?} is not a limit: give a number of rows (e.g. 50) or a percentage from 0% to 100% (e.g. 0.5%)")
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        match s.strip_suffix('%') {
            Some(p) => {
                let (whole, frac) = p.split_once('.').unwrap_or((p, "0"));
                if !digits(whole) || !digits(frac) || whole.len() > 3 || frac.len() > 6 {
                    return Err(bad());
                }
                let value: rust_decimal::Decimal = p.parse().map_err(|_| bad())?;
                if value > rust_decimal::Decimal::ONE_HUNDRED {
                    return Err(bad());
                }
                Ok(MaxRejects::Percent(value.normalize()))
            }
            None if digits(s) => s.parse().map(MaxRejects::Rows).map_err(|_| bad()),
            None => Err(bad()),
        }
    }
}

impl std::fmt::Display for MaxRejects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaxRejects::Rows(n) => write!(f, "{n}"),
            MaxRejects::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl MaxRejects {
    /// Whether `rejected` of `read` rows is more than the limit allows (exact).
    pub fn exceeded(self, rejected: u64, read: u64) -> bool {
        match self {
            MaxRejects::Rows(n) => rejected > n,
            MaxRejects::Percent(p) => {
                use rust_decimal::Decimal;
                Decimal::from(rejected) * Decimal::ONE_HUNDRED > p * Decimal::from(read)
            }
        }
    }
}
