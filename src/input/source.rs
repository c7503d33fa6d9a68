//! Where an input file's rows come from: a CSV file, or a table of typed cells (an Excel
//! sheet, a Parquet file). A table's cells are turned into the text the CSV grammar reads,
//! so every file type is checked by the same cell parsers, row rules and key checks; what a
//! typed cell cannot say as text (a binary float with more than two decimals, an Excel
//! error value) is an error of its cell.

use super::error::{DataError, InputError};
use super::reader::{CsvFile, Next, Row, Stamp};
use super::InputFile;
use chrono::NaiveDate;
use csv::ByteRecord;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// The file types an input may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Csv,
    Xlsx,
    Parquet,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Csv, Format::Xlsx, Format::Parquet];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Parquet => "parquet",
        }
    }
}

impl InputFile {
    /// The file's name without its extension (`gmv_daily`), as columns.toml names it.
    pub fn stem(self) -> &'static str {
        self.name().trim_end_matches(".csv")
    }

    /// The file's name in `format`.
    pub fn name_as(self, format: Format) -> &'static str {
        const NAMES: [[&str; 3]; 6] = [
            ["partners.csv", "partners.xlsx", "partners.parquet"],
            [
                "partner_tiers.csv",
                "partner_tiers.xlsx",
                "partner_tiers.parquet",
            ],
            ["creators.csv", "creators.xlsx", "creators.parquet"],
            [
                "creator_gmv_daily.csv",
                "creator_gmv_daily.xlsx",
                "creator_gmv_daily.parquet",
            ],
            ["matchmaking.csv", "matchmaking.xlsx", "matchmaking.parquet"],
            ["gmv_daily.csv", "gmv_daily.xlsx", "gmv_daily.parquet"],
        ];
        NAMES[self as usize][format as usize]
    }

    /// What each column holds, in the order of `columns()`.
    pub(super) fn kinds(self) -> &'static [Kind] {
        use Kind::*;
        match self {
            InputFile::GmvDaily => &[Date, Id, Id, Money, Money, Money, Money],
            InputFile::PartnerTiers => &[Id, Date, Integer],
            InputFile::Creators => &[Id, Id, Flag],
            InputFile::CreatorGmvDaily => &[Date, Id, Money],
            InputFile::Matchmaking => &[Date, Id, Id, Id, Money],
            InputFile::Partners => &[Id, Text],
        }
    }
}

/// What a column of the contract holds; decides how a typed cell becomes text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Date,
    Id,
    Money,
    Integer,
    Flag,
    Text,
}

/// One cell of a table, as its file types it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Cell {
    Empty,
    Text(String),
    /// An integer: whole dollars in a spreadsheet, cents in a Parquet amount column.
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(NaiveDate),
    /// A date with a time of day, shown as written (`2025-10-01 13:30:00`).
    DateTime(String),
    /// An exact decimal: `unscaled × 10^-scale`.
    Decimal {
        unscaled: i128,
        scale: u32,
    },
    /// A spreadsheet error value (`#N/A`) or anything else that has no value.
    Invalid(String),
}

/// How a table's file type says its integers and floats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Numbers {
    /// Spreadsheet numbers: integers and floats are dollars.
    Dollars,
    /// Parquet: an integer amount column holds cents.
    Cents,
}

/// Excel keeps 15 significant digits; a number id longer than that was already changed.
const MAX_NUMBER_ID: f64 = 1e15;

impl Cell {
    /// The cell as CSV text for column kind `kind` (`None` for a column the contract does
    /// not read), or why it cannot be one (the reason, and whether the value is quoted).
    pub(super) fn text(&self, kind: Option<Kind>, numbers: Numbers) -> Result<String, String> {
        Ok(match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Bool(b) => b.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::DateTime(s) if kind == Some(Kind::Date) => {
                return Err(format!(
                    "{s} has a time of day; a date is required (format the column as a date)"
                ))
            }
            Cell::DateTime(s) => s.clone(),
            Cell::Int(i) => match (kind, numbers) {
                (Some(Kind::Money), Numbers::Cents) => cents_text(i128::from(*i), 2)?,
                _ => i.to_string(),
            },
            Cell::Decimal { unscaled, scale } => cents_text(*unscaled, *scale)?,
            Cell::Float(f) => {
                if !f.is_finite() {
                    return Err(format!("{f} is not a number"));
                }
                let shown = shortest(*f);
                match kind {
                    Some(Kind::Money) => {
                        let decimals = shown.split_once('.').map_or(0, |(_, d)| d.len());
                        if decimals > 2 {
                            return Err(format!("{shown} has more than two decimals"));
                        }
                        shown
                    }
                    Some(Kind::Id) if f.fract() != 0.0 || f.abs() >= MAX_NUMBER_ID => {
                        return Err(format!(
                            "{shown} is a number that is not a whole number of at most 15 \
                             digits; store ids as text"
                        ))
                    }
                    _ => shown,
                }
            }
            Cell::Invalid(what) => return Err(what.clone()),
        })
    }
}

/// The shortest text that reads back as `f` (no exponent), except that a value whose
/// 15 significant digits (what a spreadsheet shows) end in two decimals or fewer is shown
/// so: `0.1 + 0.2` is the `0.3` the sheet shows, `1234.5678` stays as it is.
fn shortest(f: f64) -> String {
    let exact = format!("{f}");
    if exact.split_once('.').is_none_or(|(_, d)| d.len() <= 2) {
        return exact;
    }
    let magnitude = if f == 0.0 {
        0
    } else {
        f.abs().log10().floor() as i32
    };
    let decimals = (14 - magnitude).clamp(0, 17) as usize;
    let rounded = format!("{f:.decimals$}");
    let trimmed = if rounded.contains('.') {
        rounded.trim_end_matches('0').trim_end_matches('.')
    } else {
        &rounded
    };
    match trimmed.split_once('.') {
        Some((_, d)) if d.len() > 2 => exact,
        _ => trimmed.to_string(),
    }
}

/// An exact decimal as amount text: trailing zeros past two decimals dropped, and an
/// error when a nonzero digit is left there.
fn cents_text(unscaled: i128, scale: u32) -> Result<String, String> {
    let negative = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale - digits.len() + 1))
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    // Zeros past two decimals say nothing: `1.0000` is `1.00`.
    let mut frac = frac;
    while frac.len() > 2 && frac.ends_with('0') {
        frac = &frac[..frac.len() - 1];
    }
    let sign = if negative { "-" } else { "" };
    let text = if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    };
    if frac.len() > 2 {
        return Err(format!("{text} has more than two decimals"));
    }
    Ok(text)
}

/// An exact decimal in full (for the raw row of rejects.csv).
fn decimal_text(unscaled: i128, scale: u32) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let sign = if unscaled < 0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// Rows of a table, in order: each with its number (the sheet's row number, or the
/// Parquet row counted from 1) and its cells from the first column on.
pub(super) trait Rows: Send {
    /// The next row into `cells`; `Ok(None)` at the end; `Err` when the file cannot be
    /// read on (it is then cut short there).
    fn next_row(&mut self, cells: &mut Vec<Cell>) -> Result<Option<u64>, String>;
    /// Bytes of the file read so far, for progress.
    fn progress(&self) -> u64 {
        0
    }
}

/// Rendered rows of a table, kept for rejects.csv (and for the second pass that finds
/// duplicates, which reads the same spans).
pub(super) struct Spill {
    file: File,
}

impl Spill {
    pub(super) fn new() -> std::io::Result<Arc<Spill>> {
        Ok(Arc::new(Spill {
            file: tempfile::tempfile()?,
        }))
    }
}

/// A table opened for reading: the header resolved, rows turned into text records.
pub(super) struct Table {
    pub name: &'static str,
    rows: Box<dyn Rows>,
    numbers: Numbers,
    columns: &'static [&'static str],
    /// Column kind of each cell position (`None`: not read by the contract).
    kinds: Vec<Option<Kind>>,
    positions: Vec<usize>,
    header_len: usize,
    cells: Vec<Cell>,
    record: ByteRecord,
    /// Cells that could not be made text, by column of the contract.
    preset: Vec<(usize, DataError)>,
    /// Where rendered rows go (written on the first pass only).
    spill: Option<(Arc<Spill>, bool)>,
    spill_len: u64,
    raw: String,
    last_line: u64,
    pub file: File,
    pub size: u64,
    pub stamp: Stamp,
    pub bytes_read: Arc<AtomicU64>,
    pub cut_short: bool,
    hash: bool,
    /// Where a cell is, as messages name it (`Sheet1!E14`, `row 1,041`).
    pub places: Places,
    /// The header row's cells as text, and where it is (for a fast path to check).
    pub header: Vec<String>,
    pub header_line: u64,
    /// The whole file, when its reader holds it in memory anyway (a workbook): a fast path
    /// reads it from here rather than holding a second copy.
    pub held: Option<Arc<super::xlsx::Bytes>>,
}

/// How a table's messages name a place.
#[derive(Clone, Debug)]
pub enum Places {
    /// A sheet: cells `Sheet1!E14`, rows `Sheet1 row 14`; the column letter of each column
    /// of the contract.
    Sheet {
        sheet: String,
        letters: Vec<(&'static str, String)>,
    },
    /// Parquet rows, counted from 1.
    Rows,
    /// A Parquet file's schema (its columns).
    Schema,
}

impl Places {
    /// Where `e` is, for its message.
    pub fn of(&self, e: &DataError) -> String {
        match self {
            Places::Sheet { sheet, letters } => {
                let sheet = sheet_ref(sheet);
                let letter = e
                    .column
                    .as_deref()
                    .and_then(|c| letters.iter().find(|(name, _)| *name == c))
                    .map(|(_, l)| l);
                match letter {
                    Some(l) => format!("{sheet}!{l}{}", e.line),
                    None => format!("{sheet} row {}", e.line),
                }
            }
            Places::Schema => "schema".to_string(),
            Places::Rows => format!(
                "row {}",
                crate::money::human_decimal(rust_decimal::Decimal::from(e.line))
            ),
        }
    }
}

/// A sheet name as a reference writes it: quoted when it holds anything but letters,
/// digits and underscores.
pub(super) fn sheet_ref(sheet: &str) -> String {
    if !sheet.is_empty() && sheet.chars().all(|c| c.is_alphanumeric() || c == '_') {
        sheet.to_string()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    }
}

/// `A`, `B`, … `Z`, `AA`: a spreadsheet column's letters (`col` from 0).
pub fn column_letters(col: usize) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// How a table names places, given each contract column's header cell.
pub(super) type PlacesFor = dyn Fn(&[(&'static str, usize)]) -> Places;

/// A table opened with its header resolved, and a remark on how it was read (which
/// sheet); or the data error that makes it unreadable, with how its places are named.
pub(super) type Opening = Result<(Table, Option<String>), (DataError, Option<Places>)>;

/// What a table reader found before its rows.
pub(super) struct Opened {
    pub rows: Box<dyn Rows>,
    pub header: Vec<String>,
    pub header_line: u64,
    pub numbers: Numbers,
    /// How the header's `j`th cell is named in messages.
    pub cell_name: Box<dyn Fn(usize) -> String>,
    pub places_for: Box<PlacesFor>,
    /// Columns refused as amounts (floating-point Parquet columns): header name, reason.
    pub refuse: Vec<(String, String)>,
}

impl Table {
    /// Resolves the header of an opened table; a header problem is a `DataError`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        opened: Opened,
        name: &'static str,
        file: InputFile,
        aliases: &[Vec<String>],
        raw_file: File,
        spill: Option<(Arc<Spill>, bool)>,
        hash: bool,
    ) -> Result<Result<Table, DataError>, InputError> {
        let meta = raw_file.metadata().map_err(|source| InputError::Io {
            file: name.to_string(),
            source,
        })?;
        let columns = file.columns();
        let positions =
            match super::header::resolve(columns, aliases, &opened.header, &*opened.cell_name) {
                Ok(p) => p,
                Err(problem) => return Ok(Err(problem.error(name, opened.header_line))),
            };
        let placed: Vec<(&'static str, usize)> = columns
            .iter()
            .zip(&positions)
            .map(|(c, p)| (*c, *p))
            .collect();
        let places = (opened.places_for)(&placed);
        for (column, reason) in opened.refuse {
            let Some(i) = opened.header.iter().position(|h| *h == column) else {
                continue;
            };
            let Some(col) = positions.iter().position(|p| *p == i) else {
                continue;
            };
            if file.kinds()[col] == Kind::Money {
                let mut e = DataError::row(name, opened.header_line, reason);
                e.column = Some(columns[col].to_string());
                return Ok(Err(e));
            }
        }
        let header_line = opened.header_line;
        let mut kinds = vec![None; opened.header.len()];
        for (col, p) in positions.iter().enumerate() {
            kinds[*p] = Some(file.kinds()[col]);
        }
        Ok(Ok(Table {
            name,
            rows: opened.rows,
            numbers: opened.numbers,
            columns,
            kinds,
            positions,
            header_len: opened.header.len(),
            cells: Vec::new(),
            record: ByteRecord::new(),
            preset: Vec::new(),
            spill,
            spill_len: 0,
            raw: String::new(),
            last_line: opened.header_line,
            size: meta.len(),
            stamp: Stamp::of(&meta),
            file: raw_file,
            bytes_read: Arc::new(AtomicU64::new(0)),
            cut_short: false,
            hash,
            places,
            header: opened.header,
            header_line,
            held: None,
        }))
    }

    pub(super) fn next_row(&mut self) -> Next<'_> {
        if self.cut_short {
            return Next::End;
        }
        loop {
            let line = match self.rows.next_row(&mut self.cells) {
                Ok(Some(line)) => line,
                Ok(None) => return Next::End,
                Err(reason) => {
                    self.cut_short = true;
                    let e = DataError::row(
                        self.name,
                        self.last_line + 1,
                        format!("cannot read: {reason}; the rest of the file is not read"),
                    );
                    return Next::Broken(e, (0, 0));
                }
            };
            self.last_line = line;
            self.bytes_read
                .store(self.rows.progress(), std::sync::atomic::Ordering::Relaxed);
            if self.cells.iter().all(is_blank) {
                continue;
            }
            break;
        }
        self.record.clear();
        self.preset.clear();
        let width = self.cells.len().max(self.header_len);
        let mut too_long = false;
        for j in 0..width {
            let cell = self.cells.get(j).unwrap_or(&Cell::Empty);
            let kind = self.kinds.get(j).copied().flatten();
            too_long |= j >= self.header_len && !is_blank(cell);
            match cell.text(kind, self.numbers) {
                Ok(text) => self.record.push_field(text.as_bytes()),
                Err(reason) => {
                    self.record.push_field(b"");
                    if let Some(col) = self.positions.iter().position(|p| *p == j) {
                        let mut e = DataError::row(self.name, self.last_line, reason);
                        e.column = Some(self.columns[col].to_string());
                        self.preset.push((col, e));
                    }
                }
            }
        }
        let span = self.spill_row();
        let line = self.last_line;
        let mut row = Row::of_table(
            self.name,
            line,
            &self.record,
            &self.positions,
            self.columns,
            &self.preset,
            span,
        );
        if too_long {
            let cells = self
                .cells
                .iter()
                .rposition(|c| !is_blank(c))
                .map_or(0, |i| i + 1);
            row.errors.push(DataError::row(
                self.name,
                line,
                format!("row has {cells} cells, the header has {}", self.header_len),
            ));
        }
        Next::Row(row)
    }

    /// Writes the current row's text to the spill (first pass), returning its span there.
    fn spill_row(&mut self) -> (u64, u64) {
        let Some((spill, write)) = &self.spill else {
            return (0, 0);
        };
        self.raw.clear();
        for (j, cell) in self.cells.iter().enumerate() {
            if j > 0 {
                self.raw.push(',');
            }
            let text = match cell {
                Cell::Decimal { unscaled, scale } => decimal_text(*unscaled, *scale),
                Cell::Invalid(what) => what.clone(),
                other => other.text(None, self.numbers).unwrap_or_else(|why| why),
            };
            push_csv_field(&mut self.raw, &text);
        }
        let start = self.spill_len;
        if *write {
            // A row that cannot be kept is quoted as empty in rejects.csv; nothing else.
            let _ = spill.file.write_all_at(self.raw.as_bytes(), start);
        }
        self.spill_len += self.raw.len() as u64;
        (start, self.spill_len)
    }

    /// Header index of each column of the contract, in order.
    pub(super) fn positions(&self) -> &[usize] {
        &self.positions
    }

    pub(super) fn raw_text(&self, span: (u64, u64)) -> String {
        match &self.spill {
            Some((spill, _)) => super::reader::raw_text(&spill.file, span),
            None => String::new(),
        }
    }

    pub(super) fn check_unchanged(&self) -> Result<(), InputError> {
        let meta = self.file.metadata().map_err(|source| InputError::Io {
            file: self.name.to_string(),
            source,
        })?;
        self.stamp.same_as(&Stamp::of(&meta), self.name)
    }

    /// The file's sha256 (when asked for), once it is read, unchanged since it was opened.
    pub(super) fn finish_sha256(self) -> Result<Option<String>, InputError> {
        self.check_unchanged()?;
        if !self.hash {
            return Ok(None);
        }
        let never = std::sync::atomic::AtomicBool::new(false);
        let hash = super::reader::sha256_of(&self.file, self.size, &never).map_err(|source| {
            InputError::Io {
                file: self.name.to_string(),
                source,
            }
        })?;
        self.check_unchanged()?;
        Ok(hash)
    }
}

fn is_blank(cell: &Cell) -> bool {
    match cell {
        Cell::Empty => true,
        Cell::Text(s) => s.trim_matches(|c| c == ' ' || c == '\t').is_empty(),
        _ => false,
    }
}

/// Appends `text` as one CSV field, quoted when it must be.
fn push_csv_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// Rows of any file type, as the ingest reads them.
#[allow(clippy::large_enum_variant)] // one per file read, never in a collection
pub(super) enum Source {
    Csv(CsvFile),
    Table(Box<Table>),
}

impl Source {
    pub(super) fn next_row(&mut self) -> Next<'_> {
        match self {
            Source::Csv(c) => c.next_row(),
            Source::Table(t) => t.next_row(),
        }
    }

    /// See `CsvFile::locate`; a table's rows are where they say.
    pub(super) fn locate(&self, line: u64, span: (u64, u64)) -> (u64, (u64, u64)) {
        match self {
            Source::Csv(c) => c.locate(line, span),
            Source::Table(_) => (line, span),
        }
    }

    pub(super) fn raw_text(&self, span: (u64, u64)) -> String {
        match self {
            Source::Csv(c) => c.raw_text(span),
            Source::Table(t) => t.raw_text(span),
        }
    }

    pub(super) fn cut_short(&self) -> bool {
        match self {
            Source::Csv(c) => c.cut_short,
            Source::Table(t) => t.cut_short,
        }
    }

    pub(super) fn size(&self) -> u64 {
        match self {
            Source::Csv(c) => c.size,
            Source::Table(t) => t.size,
        }
    }

    pub(super) fn stamp(&self) -> Stamp {
        match self {
            Source::Csv(c) => c.stamp,
            Source::Table(t) => t.stamp,
        }
    }

    pub(super) fn bytes_read(&self) -> &Arc<AtomicU64> {
        match self {
            Source::Csv(c) => &c.bytes_read,
            Source::Table(t) => &t.bytes_read,
        }
    }

    pub(super) fn check_unchanged(&self) -> Result<(), InputError> {
        match self {
            Source::Csv(c) => c.check_unchanged(),
            Source::Table(t) => t.check_unchanged(),
        }
    }

    pub(super) fn finish_sha256(self) -> Result<Option<String>, InputError> {
        match self {
            Source::Csv(c) => c.finish_sha256(),
            Source::Table(t) => t.finish_sha256(),
        }
    }
}

/// Where one input file is: its path, type and name.
#[derive(Clone, Debug)]
pub struct Located {
    pub path: std::path::PathBuf,
    pub format: Format,
    pub name: &'static str,
}

/// Finds `file` in `dir` under any of its file types: `None` when none is there, an error
/// when two are (which one is meant is not for the tool to guess).
pub(super) fn locate(dir: &Path, file: InputFile) -> Result<Option<Located>, InputError> {
    let found: Vec<Located> = Format::ALL
        .iter()
        .map(|f| Located {
            path: dir.join(file.name_as(*f)),
            format: *f,
            name: file.name_as(*f),
        })
        .filter(|l| super::exists(&l.path))
        .collect();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.into_iter().next()),
        _ => Err(InputError::Ambiguous(format!(
            "{} are all in {}: keep one of them (each is the same input)",
            found
                .iter()
                .map(|l| l.name)
                .collect::<Vec<_>>()
                .join(" and "),
            dir.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_amounts_are_taken_as_shown_when_they_have_two_decimals() {
        let money = |f: f64| Cell::Float(f).text(Some(Kind::Money), Numbers::Dollars);
        assert_eq!(money(1234.56), Ok("1234.56".into()));
        assert_eq!(money(0.1 + 0.2), Ok("0.3".into()));
        assert_eq!(money(1e6), Ok("1000000".into()));
        assert_eq!(money(999999999999.99), Ok("999999999999.99".into()));
        assert_eq!(
            money(1234.5678),
            Err("1234.5678 has more than two decimals".into())
        );
        assert_eq!(money(0.001), Err("0.001 has more than two decimals".into()));
        assert_eq!(money(-5.0), Ok("-5".into()));
        assert!(money(f64::NAN).is_err());
    }

    #[test]
    fn decimals_and_cents_are_exact() {
        let dec = |unscaled: i128, scale: u32| {
            Cell::Decimal { unscaled, scale }.text(Some(Kind::Money), Numbers::Cents)
        };
        assert_eq!(dec(123456, 2), Ok("1234.56".into()));
        assert_eq!(dec(12345600, 4), Ok("1234.56".into()));
        assert_eq!(dec(5, 2), Ok("0.05".into()));
        assert_eq!(dec(7, 0), Ok("7".into()));
        assert_eq!(dec(-10000, 4), Ok("-1.00".into()));
        assert_eq!(
            dec(12345678, 4),
            Err("1234.5678 has more than two decimals".into())
        );
        assert_eq!(dec(-100, 2), Ok("-1.00".into()));
        assert_eq!(
            Cell::Int(123456).text(Some(Kind::Money), Numbers::Cents),
            Ok("1234.56".into())
        );
        assert_eq!(
            Cell::Int(1234).text(Some(Kind::Money), Numbers::Dollars),
            Ok("1234".into())
        );
    }

    #[test]
    fn number_ids_must_be_whole_and_short_enough_to_be_kept() {
        let id = |f: f64| Cell::Float(f).text(Some(Kind::Id), Numbers::Dollars);
        assert_eq!(id(100234.0), Ok("100234".into()));
        assert!(id(1.5).is_err());
        assert!(id(1234567890123456.0).is_err());
    }

    #[test]
    fn column_letters_run_as_a_spreadsheet_names_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
