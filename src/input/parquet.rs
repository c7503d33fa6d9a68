//! Parquet files (`.parquet`), read one row group at a time (memory holds one row group's
//! columns). Amounts may be decimals (exact), integers (cents) or text; a floating-point
//! amount column is refused whole: its values are not the cents that were meant. Dates may
//! be `date32`, timestamps at midnight, or ISO text. Rows are counted from 1.

use super::error::{DataError, InputError};
use super::source::{Cell, Numbers, Opened, Opening, Places, Rows, Spill, Table};
use super::InputFile;
use chrono::NaiveDate;
use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as Physical};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType, FixedLenByteArray};
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use parquet::schema::types::ColumnDescPtr;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

mod pages;

/// The file for the Parquet reader, read at given positions (`pread`): readers on several
/// threads never move one another's position, as handles cloned from one `File` would.
/// Its length is the size the file had when opened (a file changed since is refused by its
/// stamp).
pub(super) struct PreadFile {
    file: Arc<File>,
    len: u64,
}

impl PreadFile {
    pub(super) fn new(file: &File, len: u64) -> std::io::Result<PreadFile> {
        Ok(PreadFile {
            file: Arc::new(file.try_clone()?),
            len,
        })
    }
}

pub(super) struct PreadReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl std::io::Read for PreadReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let want = (self.end.saturating_sub(self.pos)).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl parquet::file::reader::Length for PreadFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl parquet::file::reader::ChunkReader for PreadFile {
    type T = std::io::BufReader<PreadReader>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(std::io::BufReader::with_capacity(
            1 << 16,
            PreadReader {
                file: self.file.clone(),
                pos: start,
                end: self.len,
            },
        ))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        use std::os::unix::fs::FileExt;
        if start.saturating_add(length as u64) > self.len {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "{length} bytes at {start} are past the file's end"
            )));
        }
        let mut buf = vec![0u8; length];
        self.file
            .read_exact_at(&mut buf, start)
            .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))?;
        Ok(bytes::Bytes::from(buf))
    }
}

/// How a column's values read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Meaning {
    Date,
    Decimal(u32),
    /// Integers; cents in an amount column.
    Integer,
    /// Unsigned integers (INT32 or INT64): read as their bits say, never as negatives.
    Unsigned,
    Text,
    Bool,
    Float,
    /// A timestamp in units per second since the epoch.
    Timestamp(i64),
    Other,
}

pub(super) fn meaning(col: &ColumnDescPtr) -> Meaning {
    let physical = col.physical_type();
    match col.logical_type_ref() {
        Some(LogicalType::Date) => return Meaning::Date,
        Some(LogicalType::Decimal(d)) => return Meaning::Decimal(d.scale.max(0) as u32),
        Some(LogicalType::Timestamp(t)) => {
            return Meaning::Timestamp(match t.unit {
                TimeUnit::MILLIS => 1_000,
                TimeUnit::MICROS => 1_000_000,
                TimeUnit::NANOS => 1_000_000_000,
            })
        }
        Some(LogicalType::String | LogicalType::Enum | LogicalType::Json) => return Meaning::Text,
        Some(LogicalType::Integer(int)) if !int.is_signed => return Meaning::Unsigned,
        _ => {}
    }
    match col.converted_type() {
        ConvertedType::DATE => return Meaning::Date,
        ConvertedType::UINT_8
        | ConvertedType::UINT_16
        | ConvertedType::UINT_32
        | ConvertedType::UINT_64 => return Meaning::Unsigned,
        ConvertedType::DECIMAL => return Meaning::Decimal(col.type_scale().max(0) as u32),
        ConvertedType::TIMESTAMP_MILLIS => return Meaning::Timestamp(1_000),
        ConvertedType::TIMESTAMP_MICROS => return Meaning::Timestamp(1_000_000),
        _ => {}
    }
    match physical {
        Physical::INT32 | Physical::INT64 => Meaning::Integer,
        Physical::BYTE_ARRAY => Meaning::Text,
        Physical::BOOLEAN => Meaning::Bool,
        Physical::FLOAT | Physical::DOUBLE => Meaning::Float,
        _ => Meaning::Other,
    }
}

/// One column of a row group: its values (nulls left out) and definition levels.
pub(super) enum Values {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bytes(Vec<ByteArray>),
    Fixed(Vec<FixedLenByteArray>),
    None,
}

pub(super) struct Column {
    pub values: Values,
    /// Empty when the column has no nulls to tell (required columns).
    pub defs: Vec<i16>,
    pub max_def: i16,
    pub meaning: Meaning,
}

fn read_all<T: DataType>(
    mut reader: ColumnReaderImpl<T>,
    rows: usize,
    defs: &mut Vec<i16>,
    nullable: bool,
) -> parquet::errors::Result<Vec<T::T>> {
    let mut values = Vec::with_capacity(rows);
    let mut read = 0;
    while read < rows {
        let (records, _, _) = reader.read_records(
            rows - read,
            nullable.then_some(&mut *defs),
            None,
            &mut values,
        )?;
        if records == 0 {
            break;
        }
        read += records;
    }
    Ok(values)
}

/// Reads leaf column `i` of a row group whole.
pub(super) fn read_column(
    group: &dyn RowGroupReader,
    i: usize,
    desc: &ColumnDescPtr,
    rows: usize,
) -> parquet::errors::Result<Column> {
    let max_def = desc.max_def_level();
    let nullable = max_def > 0;
    let mut defs = Vec::new();
    let values = match group.get_column_reader(i)? {
        ColumnReader::BoolColumnReader(r) => Values::Bool(read_all(r, rows, &mut defs, nullable)?),
        ColumnReader::Int32ColumnReader(r) => Values::I32(read_all(r, rows, &mut defs, nullable)?),
        ColumnReader::Int64ColumnReader(r) => Values::I64(read_all(r, rows, &mut defs, nullable)?),
        ColumnReader::FloatColumnReader(r) => Values::F32(read_all(r, rows, &mut defs, nullable)?),
        ColumnReader::DoubleColumnReader(r) => Values::F64(read_all(r, rows, &mut defs, nullable)?),
        ColumnReader::ByteArrayColumnReader(r) => {
            Values::Bytes(read_all(r, rows, &mut defs, nullable)?)
        }
        ColumnReader::FixedLenByteArrayColumnReader(r) => {
            Values::Fixed(read_all(r, rows, &mut defs, nullable)?)
        }
        ColumnReader::Int96ColumnReader(_) => Values::None,
    };
    Ok(Column {
        values,
        defs,
        max_def,
        meaning: meaning(desc),
    })
}

/// A big-endian two's-complement integer (a decimal's unscaled value); `None` past i128.
pub(super) fn be_int(bytes: &[u8]) -> Option<i128> {
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    let negative = bytes[0] & 0x80 != 0;
    let mut buf = [if negative { 0xFF } else { 0 }; 16];
    buf[16 - bytes.len()..].copy_from_slice(bytes);
    Some(i128::from_be_bytes(buf))
}

pub(super) fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch")
}

fn date_of_days(days: i64) -> Cell {
    epoch()
        .checked_add_signed(chrono::TimeDelta::days(days))
        .map_or_else(
            || Cell::Invalid(format!("{days} is not a date")),
            Cell::Date,
        )
}

fn timestamp(value: i64, per_second: i64) -> Cell {
    let per_day = per_second * 86_400;
    let (days, rest) = (value.div_euclid(per_day), value.rem_euclid(per_day));
    match date_of_days(days) {
        Cell::Date(d) if rest == 0 => Cell::Date(d),
        Cell::Date(d) => {
            let secs = rest / per_second;
            Cell::DateTime(format!(
                "{d} {:02}:{:02}:{:02}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            ))
        }
        other => other,
    }
}

impl Column {
    /// The `k`th value's cell (`k` counts non-null values).
    fn cell(&self, k: usize) -> Cell {
        let m = self.meaning;
        let int = |v: i64| match m {
            Meaning::Date => date_of_days(v),
            Meaning::Decimal(scale) => Cell::Decimal {
                unscaled: v.into(),
                scale,
            },
            Meaning::Timestamp(per_second) => timestamp(v, per_second),
            _ => Cell::Int(v),
        };
        let bytes = |b: &[u8]| match m {
            Meaning::Decimal(scale) => match be_int(b) {
                Some(unscaled) => Cell::Decimal { unscaled, scale },
                None => Cell::Invalid("is a decimal too large to be an amount".into()),
            },
            _ => match std::str::from_utf8(b) {
                Ok(s) => Cell::Text(s.to_string()),
                Err(_) => Cell::Invalid(format!(
                    "{:?} is not valid UTF-8",
                    String::from_utf8_lossy(b)
                )),
            },
        };
        match &self.values {
            Values::Bool(v) => Cell::Bool(v[k]),
            Values::I32(v) if m == Meaning::Unsigned => int((v[k] as u32).into()),
            Values::I32(v) => int(v[k].into()),
            Values::I64(v) if m == Meaning::Unsigned => match i64::try_from(v[k] as u64) {
                Ok(v) => int(v),
                // Past i64: never an amount, and an id as its digits.
                Err(_) => Cell::Text((v[k] as u64).to_string()),
            },
            Values::I64(v) => int(v[k]),
            Values::F32(v) => Cell::Float(v[k].into()),
            Values::F64(v) => Cell::Float(v[k]),
            Values::Bytes(v) => bytes(v[k].data()),
            Values::Fixed(v) => bytes(v[k].data()),
            Values::None => Cell::Invalid("is of a type that is not read (INT96)".into()),
        }
    }
}

struct ParquetRows {
    reader: SerializedFileReader<PreadFile>,
    leaves: Vec<(usize, ColumnDescPtr)>,
    group: usize,
    columns: Vec<Column>,
    /// Next value of each column, and rows of the group read.
    next_value: Vec<usize>,
    row_in_group: usize,
    rows_in_group: usize,
    row: u64,
    bytes: u64,
}

impl ParquetRows {
    fn load_group(&mut self) -> Result<bool, String> {
        let meta = self.reader.metadata();
        if self.group >= meta.num_row_groups() {
            return Ok(false);
        }
        let group_meta = meta.row_group(self.group);
        let rows = group_meta.num_rows().max(0) as usize;
        self.bytes += group_meta.compressed_size().max(0) as u64;
        let group = self
            .reader
            .get_row_group(self.group)
            .map_err(|e| format!("row group {}: {e}", self.group + 1))?;
        self.columns.clear();
        for (i, desc) in &self.leaves {
            self.columns.push(
                read_column(&*group, *i, desc, rows)
                    .map_err(|e| format!("row group {}: {e}", self.group + 1))?,
            );
        }
        self.next_value = vec![0; self.columns.len()];
        self.row_in_group = 0;
        self.rows_in_group = rows;
        self.group += 1;
        Ok(true)
    }
}

impl Rows for ParquetRows {
    fn next_row(&mut self, cells: &mut Vec<Cell>) -> Result<Option<u64>, String> {
        while self.row_in_group >= self.rows_in_group {
            if !self.load_group()? {
                return Ok(None);
            }
        }
        cells.clear();
        let r = self.row_in_group;
        for (c, column) in self.columns.iter().enumerate() {
            let present = column.defs.is_empty() || column.defs.get(r) == Some(&column.max_def);
            if present {
                let k = self.next_value[c];
                self.next_value[c] += 1;
                cells.push(column.cell(k));
            } else {
                cells.push(Cell::Empty);
            }
        }
        self.row_in_group += 1;
        self.row += 1;
        Ok(Some(self.row))
    }

    fn progress(&self) -> u64 {
        self.bytes
    }
}

/// The file's top-level leaf columns (nested ones are not read): index and descriptor.
pub(super) fn leaves(reader: &SerializedFileReader<PreadFile>) -> Vec<(usize, ColumnDescPtr)> {
    let schema = reader.metadata().file_metadata().schema_descr();
    (0..schema.num_columns())
        .map(|i| (i, schema.column(i)))
        .filter(|(_, c)| c.max_rep_level() == 0 && c.path().parts().len() == 1)
        .collect()
}

/// Opens `path` as a Parquet file and resolves its columns.
pub(super) fn open(
    path: &Path,
    name: &'static str,
    file: InputFile,
    aliases: &[Vec<String>],
    spill: Option<(Arc<Spill>, bool)>,
    hash: bool,
) -> Result<Opening, InputError> {
    let raw = super::reader::open_regular(path, name)?;
    let io_err = |source| InputError::Io {
        file: name.to_string(),
        source,
    };
    let size = raw.metadata().map_err(io_err)?.len();
    let for_reader = PreadFile::new(&raw, size).map_err(io_err)?;
    let schema_error =
        |reason: String| Ok(Err((DataError::row(name, 1, reason), Some(Places::Schema))));
    let reader = match SerializedFileReader::new(for_reader) {
        Ok(r) => r,
        Err(e) => return schema_error(format!("is not a readable Parquet file ({e})")),
    };
    let leaves = leaves(&reader);
    let header: Vec<String> = leaves.iter().map(|(_, c)| c.name().to_string()).collect();
    let refuse = leaves
        .iter()
        .filter(|(_, c)| meaning(c) == Meaning::Float)
        .map(|(_, c)| {
            (
                c.name().to_string(),
                format!(
                    "column {:?} holds floating-point numbers, which cannot hold cents \
                     exactly; export amounts as decimal, integer cents or text",
                    c.name()
                ),
            )
        })
        .collect();
    let rows = ParquetRows {
        reader,
        leaves,
        group: 0,
        columns: Vec::new(),
        next_value: Vec::new(),
        row_in_group: 0,
        rows_in_group: 0,
        row: 0,
        bytes: 0,
    };
    let opened = Opened {
        rows: Box::new(rows),
        header,
        header_line: 1,
        numbers: Numbers::Cents,
        cell_name: Box::new(|j| format!("column {}", j + 1)),
        places_for: Box::new(|_| Places::Rows),
        refuse,
    };
    match Table::new(opened, name, file, aliases, raw, spill, hash)? {
        Ok(table) => Ok(Ok((table, None))),
        Err(e) => Ok(Err((e, Some(Places::Schema)))),
    }
}

/// The fast path for a dated Parquet file: row groups are cut into one run per thread,
/// each run's columns decoded a batch at a time straight into the sums (no text), and the
/// runs' sums merged in file order while the calling thread hashes the file. As with CSV
/// (`split`), it only finishes on files where nothing needs a row number: no null, no
/// value the careful path would refuse or show differently, no duplicate key. On anything
/// else it gives up, and the careful path reads the file from the start.
pub(super) mod fast {
    use super::super::dated::{DatedSink, Layout, View};
    use super::super::reader::{parse_cents_bytes, parse_date_bytes, sha256_of, trim_bytes};
    use super::super::split::{merge, PartSums, Whole};
    use super::{be_int, epoch, leaves, meaning, Meaning, PreadFile};
    use crate::window::Periods;
    use chrono::NaiveDate;
    use parquet::column::reader::ColumnReader;
    use parquet::data_type::{ByteArray, FixedLenByteArray};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use std::fs::File;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Rows decoded at once per column: bounds memory whatever the row group's size.
    const BATCH: usize = 1 << 16;

    use super::pages::{push_digits, scaled_cents, Chunk, Converted, Role, MAX_CENTS};

    enum Buf {
        I32(Vec<i32>),
        I64(Vec<i64>),
        Bytes(Vec<ByteArray>),
        Fixed(Vec<FixedLenByteArray>),
    }

    struct Col {
        reader: ColumnReader,
        buf: Buf,
        meaning: Meaning,
    }

    impl Col {
        /// Reads up to `n` values; `None` on an error or an unexpected type.
        fn fill(&mut self, n: usize) -> Option<usize> {
            // A call may stop at a page's end: read on until `n` or the column's end.
            macro_rules! read {
                ($r:expr, $v:expr) => {{
                    $v.clear();
                    let mut read = 0;
                    while read < n {
                        let (records, values, _) =
                            $r.read_records(n - read, None, None, $v).ok()?;
                        if records == 0 {
                            break;
                        }
                        if records != values {
                            return None;
                        }
                        read += records;
                    }
                    Some(read)
                }};
            }
            match (&mut self.reader, &mut self.buf) {
                (ColumnReader::Int32ColumnReader(r), Buf::I32(v)) => read!(r, v),
                (ColumnReader::Int64ColumnReader(r), Buf::I64(v)) => read!(r, v),
                (ColumnReader::ByteArrayColumnReader(r), Buf::Bytes(v)) => read!(r, v),
                (ColumnReader::FixedLenByteArrayColumnReader(r), Buf::Fixed(v)) => read!(r, v),
                _ => None,
            }
        }

        /// Skips `n` rows; returns how many were skipped.
        fn skip(&mut self, n: usize) -> Option<usize> {
            if n == 0 {
                return Some(0);
            }
            match &mut self.reader {
                ColumnReader::Int32ColumnReader(r) => r.skip_records(n).ok(),
                ColumnReader::Int64ColumnReader(r) => r.skip_records(n).ok(),
                ColumnReader::ByteArrayColumnReader(r) => r.skip_records(n).ok(),
                ColumnReader::FixedLenByteArrayColumnReader(r) => r.skip_records(n).ok(),
                _ => None,
            }
        }

        fn bytes(&self, i: usize) -> Option<&[u8]> {
            match &self.buf {
                Buf::Bytes(v) => Some(v[i].data()),
                Buf::Fixed(v) => Some(v[i].data()),
                _ => None,
            }
        }

        /// An integer id's text as the careful path shows it, appended to `out`.
        fn id_digits(&self, i: usize, out: &mut Vec<u8>) -> Option<()> {
            match (&self.buf, self.meaning) {
                (Buf::I32(v), Meaning::Integer) => {
                    push_digits(out, v[i] < 0, v[i].unsigned_abs().into())
                }
                (Buf::I32(v), Meaning::Unsigned) => push_digits(out, false, (v[i] as u32).into()),
                (Buf::I64(v), Meaning::Integer) => push_digits(out, v[i] < 0, v[i].unsigned_abs()),
                (Buf::I64(v), Meaning::Unsigned) => push_digits(out, false, v[i] as u64),
                _ => return None,
            }
            Some(())
        }

        fn int(&self, i: usize) -> Option<i64> {
            match &self.buf {
                Buf::I32(v) if self.meaning == Meaning::Unsigned => Some((v[i] as u32).into()),
                Buf::I32(v) => Some(v[i].into()),
                // An unsigned value past i64 is for the careful path to name.
                Buf::I64(v) if self.meaning == Meaning::Unsigned => i64::try_from(v[i] as u64).ok(),
                Buf::I64(v) => Some(v[i]),
                _ => None,
            }
        }

        fn date(&self, i: usize, days_from_ce: i32) -> Option<NaiveDate> {
            match self.meaning {
                Meaning::Date => {
                    let days = i32::try_from(self.int(i)?).ok()?;
                    // The careful path reads the date's text, `YYYY-MM-DD`.
                    NaiveDate::from_num_days_from_ce_opt(days.checked_add(days_from_ce)?)
                        .filter(|d| (0..=9999).contains(&chrono::Datelike::year(d)))
                }
                Meaning::Text => parse_date_bytes(trim_bytes(self.bytes(i)?)),
                _ => None,
            }
        }

        fn cents(&self, i: usize) -> Option<i64> {
            match self.meaning {
                Meaning::Integer | Meaning::Unsigned => {
                    Some(self.int(i)?).filter(|c| (0..MAX_CENTS).contains(c))
                }
                Meaning::Decimal(scale) => {
                    let unscaled = match &self.buf {
                        Buf::I32(_) | Buf::I64(_) => i128::from(self.int(i)?),
                        _ => be_int(self.bytes(i)?)?,
                    };
                    scaled_cents(unscaled, scale)
                }
                Meaning::Text => parse_cents_bytes(trim_bytes(self.bytes(i)?))
                    .ok()
                    .filter(|c| (0..MAX_CENTS).contains(c)),
                _ => None,
            }
        }
    }

    /// A run's sums of its rows.
    type Run<S> = PartSums<S>;

    /// What every run needs to know.
    pub(in crate::input) struct Plan<'a> {
        pub file: &'a File,
        pub size: u64,
        /// Header (leaf) index of each column of the file's layout, in order.
        pub positions: &'a [usize],
        pub layout: &'a Layout,
        pub periods: &'a Periods,
        pub hash: bool,
    }

    /// Whether every chunk of the columns at `positions` uses encodings `pages` decodes.
    pub(super) fn by_pages(reader: &SerializedFileReader<PreadFile>, positions: &[usize]) -> bool {
        let leaves = leaves(reader);
        reader.metadata().row_groups().iter().all(|g| {
            positions.iter().all(|&p| {
                g.column(leaves[p].0)
                    .encodings()
                    .all(super::pages::readable)
            })
        })
    }

    /// Reads the file in up to `parts` runs of row groups; `None` when the careful path
    /// must read it instead. `sink` only provides empty sinks of its kind.
    pub(in crate::input) fn read<S: DatedSink>(
        plan: &Plan,
        sink: &S,
        parts: usize,
    ) -> Option<Whole<S>> {
        let reader = SerializedFileReader::new(PreadFile::new(plan.file, plan.size).ok()?).ok()?;
        let rows: usize = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| usize::try_from(g.num_rows()).unwrap_or(0))
            .sum();
        // Runs of equal rows, whatever the row groups: a run may start inside one.
        let parts = parts.clamp(1, rows.max(1));
        let given_up = AtomicBool::new(false);
        // Pages are decoded here when every chunk read uses encodings this reader knows;
        // else the parquet crate's value readers decode them.
        let by_pages = by_pages(&reader, plan.positions);
        let (done, sha256) = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..parts)
                .map(|k| {
                    let range = (k * rows / parts)..((k + 1) * rows / parts);
                    let part = sink.part();
                    let given_up = &given_up;
                    scope.spawn(move || {
                        let done = if by_pages {
                            read_run_pages(plan, range, part, given_up)
                        } else {
                            read_run(plan, range, part, given_up)
                        };
                        if done.is_none() {
                            given_up.store(true, Ordering::Relaxed);
                        }
                        done
                    })
                })
                .collect();
            let sha256 = plan
                .hash
                .then(|| sha256_of(plan.file, plan.size, &given_up));
            let done: Vec<_> = workers
                .into_iter()
                .map(|w| w.join().expect("a run's thread does not panic"))
                .collect();
            (done, sha256)
        });
        merge(done.into_iter(), sha256)
    }

    /// The row groups holding rows of `range`: each group's index, its rows and the part
    /// of `range` in it (rows counted from 0 over all groups).
    #[allow(clippy::type_complexity)]
    fn groups_in(
        reader: &SerializedFileReader<PreadFile>,
        range: &std::ops::Range<usize>,
    ) -> Option<Vec<(usize, std::ops::Range<usize>, usize, usize)>> {
        let mut groups = Vec::new();
        let mut first_row = 0;
        for g in 0..reader.metadata().num_row_groups() {
            let group_rows = usize::try_from(reader.metadata().row_group(g).num_rows()).ok()?;
            let group_range = first_row..first_row + group_rows;
            first_row += group_rows;
            let (from, to) = (
                range.start.max(group_range.start),
                range.end.min(group_range.end),
            );
            if from < to {
                groups.push((g, group_range, from, to));
            }
        }
        Some(groups)
    }

    /// A run's own reader of the file (its reads at given positions, so runs on other
    /// threads never move its offset), the file's columns and empty sums.
    #[allow(clippy::type_complexity)]
    fn open_run<S: DatedSink>(
        plan: &Plan,
        sink: S,
    ) -> Option<(
        SerializedFileReader<PreadFile>,
        Vec<(usize, parquet::schema::types::ColumnDescPtr)>,
        Run<S>,
    )> {
        let reader = SerializedFileReader::new(PreadFile::new(plan.file, plan.size).ok()?).ok()?;
        let leaves = leaves(&reader);
        Some((reader, leaves, Run::new(sink, plan.periods)))
    }

    /// Reads the file's rows `range` (counted from 0 over all row groups).
    fn read_run<S: DatedSink>(
        plan: &Plan,
        range: std::ops::Range<usize>,
        sink: S,
        given_up: &AtomicBool,
    ) -> Option<Run<S>> {
        let (reader, leaves, mut run) = open_run(plan, sink)?;
        let layout = plan.layout;
        let days_from_ce = chrono::Datelike::num_days_from_ce(&epoch());
        let id_range = 1..1 + layout.ids;
        // Text of the row's integer ids.
        let mut digits = Vec::new();
        for (g, group_range, from, to) in groups_in(&reader, &range)? {
            let group = reader.get_row_group(g).ok()?;
            let mut cols = Vec::with_capacity(plan.positions.len());
            for &p in plan.positions {
                let (index, desc) = &leaves[p];
                // A null would be an empty cell: the careful path names its row.
                if desc.max_def_level() > 0
                    && group
                        .metadata()
                        .column(*index)
                        .statistics()
                        .is_none_or(|s| s.null_count_opt() != Some(0))
                {
                    return None;
                }
                let reader = group.get_column_reader(*index).ok()?;
                let buf = match &reader {
                    ColumnReader::Int32ColumnReader(_) => Buf::I32(Vec::new()),
                    ColumnReader::Int64ColumnReader(_) => Buf::I64(Vec::new()),
                    ColumnReader::ByteArrayColumnReader(_) => Buf::Bytes(Vec::new()),
                    ColumnReader::FixedLenByteArrayColumnReader(_) => Buf::Fixed(Vec::new()),
                    _ => return None,
                };
                let mut col = Col {
                    reader,
                    buf,
                    meaning: meaning(desc),
                };
                let skip = from - group_range.start;
                if col.skip(skip)? != skip {
                    return None;
                }
                cols.push(col);
            }
            let mut left = to - from;
            while left > 0 {
                if given_up.load(Ordering::Relaxed) {
                    return None;
                }
                let want = left.min(BATCH);
                for col in &mut cols {
                    if col.fill(want)? != want {
                        return None;
                    }
                }
                for i in 0..want {
                    let date = cols[0].date(i, days_from_ce)?;
                    digits.clear();
                    let mut in_digits = [None; 3];
                    for (at, c) in in_digits.iter_mut().zip(id_range.clone()) {
                        if matches!(cols[c].buf, Buf::I32(_) | Buf::I64(_)) {
                            let from = digits.len();
                            cols[c].id_digits(i, &mut digits)?;
                            *at = Some((from, digits.len()));
                        }
                    }
                    let mut ids: [&[u8]; 3] = [b""; 3];
                    for ((slot, c), at) in ids.iter_mut().zip(id_range.clone()).zip(in_digits) {
                        let id = match at {
                            Some((from, to)) => &digits[from..to],
                            None => trim_bytes(cols[c].bytes(i)?),
                        };
                        if id.is_empty() {
                            return None;
                        }
                        *slot = id;
                    }
                    let mut amounts = [0i64; 4];
                    for (k, amount) in amounts.iter_mut().enumerate().take(layout.amounts) {
                        *amount = cols[1 + layout.ids + k].cents(i)?;
                    }
                    if layout.channel_over_gmv(&amounts, layout.amounts) {
                        return None;
                    }
                    let view = View { date, ids, amounts };
                    if !run.add_row(&view, plan.periods) {
                        return None;
                    }
                }
                left -= want;
            }
        }
        Some(run)
    }

    /// Reads the file's rows `range` page by page (see `pages`): dictionary entries are
    /// converted once per row group, and a row whose ids are all dictionary entries finds
    /// its key by their indices (the key of the last id's entry, checked against the
    /// others), without hashing its bytes.
    fn read_run_pages<S: DatedSink>(
        plan: &Plan,
        range: std::ops::Range<usize>,
        sink: S,
        given_up: &AtomicBool,
    ) -> Option<Run<S>> {
        let (reader, leaves, mut run) = open_run(plan, sink)?;
        let layout = plan.layout;
        let ids = layout.ids;
        // Key of each entry of the last id's dictionary, with the other ids' entries.
        let mut memo: Vec<([u32; 2], usize)> = Vec::new();
        for (g, group_range, from, to) in groups_in(&reader, &range)? {
            let group = reader.get_row_group(g).ok()?;
            let mut chunks = Vec::with_capacity(plan.positions.len());
            for (c, &p) in plan.positions.iter().enumerate() {
                let (index, desc) = &leaves[p];
                let role = match c {
                    0 => Role::Date,
                    c if c <= ids => Role::Id,
                    _ => Role::Amount,
                };
                let fixed = match desc.physical_type() {
                    parquet::basic::Type::FIXED_LEN_BYTE_ARRAY => {
                        usize::try_from(desc.type_length()).ok()?
                    }
                    _ => 0,
                };
                let mut chunk = Chunk::new(
                    group.get_column_page_reader(*index).ok()?,
                    role,
                    meaning(desc),
                    desc.physical_type(),
                    fixed,
                    desc.max_def_level(),
                );
                chunk.skip_to(from - group_range.start)?;
                chunks.push(chunk);
            }
            let mut outs: Vec<Converted> = chunks.iter().map(Chunk::empty_out).collect();
            let mut from_dict = vec![false; chunks.len()];
            memo.clear();
            let mut left = to - from;
            while left > 0 {
                if given_up.load(Ordering::Relaxed) {
                    return None;
                }
                for chunk in &mut chunks {
                    if chunk.left() == 0 {
                        chunk.next_page()?;
                    }
                }
                let n = chunks.iter().map(Chunk::left).min()?.min(left).min(BATCH);
                if n == 0 {
                    return None;
                }
                for ((chunk, out), dict) in chunks.iter_mut().zip(&mut outs).zip(&mut from_dict) {
                    *dict = chunk.take(n, out)?;
                }
                let Converted::Dates(dates) = &outs[0] else {
                    return None;
                };
                let mut spans: [&[Option<(u32, u32)>]; 3] = [&[]; 3];
                let mut bases: [&[u8]; 3] = [&[]; 3];
                let mut codes: [&[u32]; 3] = [&[]; 3];
                for c in 0..ids {
                    let Converted::Ids(v) = &outs[1 + c] else {
                        return None;
                    };
                    spans[c] = v.as_slice();
                    bases[c] = chunks[1 + c].id_bytes(from_dict[1 + c]);
                    if from_dict[1 + c] {
                        codes[c] = chunks[1 + c].indices(n);
                    }
                }
                let by_codes = from_dict[1..1 + ids].iter().all(|d| *d);
                if by_codes && memo.is_empty() {
                    memo = vec![([0; 2], usize::MAX); chunks[ids].dict_len()];
                }
                let mut cents: [&[Option<i64>]; 4] = [&[]; 4];
                for (k, slot) in cents.iter_mut().enumerate().take(layout.amounts) {
                    let Converted::Cents(v) = &outs[1 + ids + k] else {
                        return None;
                    };
                    *slot = v.as_slice();
                }
                for i in 0..n {
                    let date = dates[i]?;
                    let mut id: [&[u8]; 3] = [b""; 3];
                    for c in 0..ids {
                        let (a, b) = spans[c][i]?;
                        id[c] = bases[c].get(a as usize..b as usize)?;
                    }
                    let mut amounts = [0i64; 4];
                    for (k, amount) in amounts.iter_mut().enumerate().take(layout.amounts) {
                        *amount = cents[k][i]?;
                    }
                    if layout.channel_over_gmv(&amounts, layout.amounts) {
                        return None;
                    }
                    let view = View {
                        date,
                        ids: id,
                        amounts,
                    };
                    run.tally.add_read(amounts[0]);
                    let key = if by_codes {
                        let mut others = [0u32; 2];
                        for (slot, c) in others.iter_mut().zip(0..ids - 1) {
                            *slot = codes[c][i];
                        }
                        let entry = memo.get_mut(codes[ids - 1][i] as usize)?;
                        if entry.1 != usize::MAX && entry.0 == others {
                            entry.1
                        } else {
                            let key = run.sink.key(&view)?;
                            *entry = (others, key);
                            key
                        }
                    } else {
                        run.sink.key(&view)?
                    };
                    if !run.add_keyed(key, &view, plan.periods) {
                        return None;
                    }
                }
                left -= n;
            }
        }
        Some(run)
    }
}

#[cfg(test)]
mod tests {
    use super::super::dated::{layout, GmvSink};
    use super::super::InputFile;
    use super::*;
    use parquet::data_type::{ByteArrayType, FixedLenByteArrayType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;

    /// How the amounts of a test file are stored.
    #[derive(Clone, Copy, Debug)]
    enum Amounts {
        Decimal,
        Cents,
        Text,
        /// FIXED_LEN_BYTE_ARRAY DECIMAL(20,4).
        Fixed,
    }

    /// One row: days after 2025-10-01, partner, seller, gmv in cents.
    type Row = (i32, String, String, i64);

    fn rows(n: usize) -> Vec<Row> {
        (0..n)
            .map(|i| {
                (
                    (i % 60) as i32,
                    format!("P{}", i / 60 % 3),
                    format!("S{}", i / 60),
                    1000 + i as i64,
                )
            })
            .collect()
    }

    /// Writes `rows` as gmv_daily.parquet in row groups of `group` rows and pages of at
    /// most 10 rows; returns its path.
    fn write(
        dir: &Path,
        rows: &[Row],
        amounts: Amounts,
        dictionary: bool,
        group: usize,
    ) -> std::path::PathBuf {
        let amount = match amounts {
            Amounts::Decimal => "required int64 {} (DECIMAL(18,2));",
            Amounts::Cents => "required int64 {};",
            Amounts::Text => "required binary {} (UTF8);",
            Amounts::Fixed => "required fixed_len_byte_array(9) {} (DECIMAL(20,4));",
        };
        let amount_columns: Vec<String> = ["gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"]
            .iter()
            .map(|c| amount.replace("{}", c))
            .collect();
        let schema = format!(
            "message m {{ required int32 date (DATE); required binary partner_id (UTF8); \
             required binary seller_id (UTF8); {} }}",
            amount_columns.join(" ")
        );
        let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).unwrap());
        let props = WriterProperties::builder()
            .set_dictionary_enabled(dictionary)
            .set_data_page_row_count_limit(10)
            .set_write_batch_size(10)
            .build();
        let path = dir.join("gmv_daily.parquet");
        let file = File::create(&path).unwrap();
        let mut writer = SerializedFileWriter::new(file, schema, Arc::new(props)).unwrap();
        let start = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap() - epoch();
        for chunk in rows.chunks(group) {
            let mut g = writer.next_row_group().unwrap();
            let mut c = 0;
            while let Some(mut column) = g.next_column().unwrap() {
                let cents: Vec<i64> = chunk
                    .iter()
                    .map(|r| match c {
                        3 => r.3,
                        4 => 10,
                        5 => 0,
                        _ => r.3 % 5,
                    })
                    .collect();
                match c {
                    0 => {
                        let days: Vec<i32> = chunk
                            .iter()
                            .map(|r| start.num_days() as i32 + r.0)
                            .collect();
                        column.typed::<Int32Type>().write_batch(&days, None, None)
                    }
                    1 | 2 => {
                        let ids: Vec<ByteArray> = chunk
                            .iter()
                            .map(|r| {
                                ByteArray::from(if c == 1 { r.1.as_str() } else { r.2.as_str() })
                            })
                            .collect();
                        column
                            .typed::<ByteArrayType>()
                            .write_batch(&ids, None, None)
                    }
                    _ => match amounts {
                        Amounts::Decimal | Amounts::Cents => {
                            column.typed::<Int64Type>().write_batch(&cents, None, None)
                        }
                        Amounts::Text => {
                            let text: Vec<ByteArray> = cents
                                .iter()
                                .map(|c| {
                                    ByteArray::from(format!("{}.{:02}", c / 100, c % 100).as_str())
                                })
                                .collect();
                            column
                                .typed::<ByteArrayType>()
                                .write_batch(&text, None, None)
                        }
                        Amounts::Fixed => {
                            let fixed: Vec<FixedLenByteArray> = cents
                                .iter()
                                .map(|c| {
                                    let bytes = i128::from(*c * 100).to_be_bytes()[7..].to_vec();
                                    FixedLenByteArray::from(ByteArray::from(bytes))
                                })
                                .collect();
                            column
                                .typed::<FixedLenByteArrayType>()
                                .write_batch(&fixed, None, None)
                        }
                    },
                }
                .unwrap();
                column.close().unwrap();
                c += 1;
            }
            g.close().unwrap();
        }
        writer.close().unwrap();
        path
    }

    /// The fast path's reading of `path` in `parts` runs: rows read and gmv read in
    /// cents; `None` when it hands the file to the careful path.
    fn fast_read(path: &Path, parts: usize) -> Option<(u64, crate::money::Money)> {
        let file = File::open(path).unwrap();
        let size = file.metadata().unwrap().len();
        let book = crate::book::Book::embedded();
        let periods =
            crate::window::Periods::new(&book.rules.windows, book.rules.windows.program.end);
        let layout = layout(InputFile::GmvDaily);
        let plan = fast::Plan {
            file: &file,
            size,
            positions: &[0, 1, 2, 3, 4, 5, 6],
            layout: &layout,
            periods: &periods,
            hash: false,
        };
        let whole = fast::read(&plan, &GmvSink::new(None, &periods), parts)?;
        let mut report = super::super::FileReport::absent(InputFile::GmvDaily);
        whole.tally.into_report(&mut report);
        Some((report.rows.read, report.gmv.read))
    }

    #[test]
    fn the_fast_path_reads_every_encoding_and_split_that_warehouses_write() {
        let dir = tempfile::tempdir().unwrap();
        let all = rows(300);
        let gmv = crate::money::Money::from_cents_sum(all.iter().map(|r| i128::from(r.3)).sum());
        for amounts in [
            Amounts::Decimal,
            Amounts::Cents,
            Amounts::Text,
            Amounts::Fixed,
        ] {
            for dictionary in [true, false] {
                // One group, groups with a run boundary inside one, groups smaller than a
                // page.
                for group in [300, 64, 7] {
                    let path = write(dir.path(), &all, amounts, dictionary, group);
                    let file = File::open(&path).unwrap();
                    let size = file.metadata().unwrap().len();
                    let reader = SerializedFileReader::new(PreadFile::new(&file, size).unwrap());
                    assert!(fast::by_pages(&reader.unwrap(), &[0, 1, 2, 3, 4, 5, 6]));
                    for parts in [1, 2, 3] {
                        assert_eq!(
                            fast_read(&path, parts),
                            Some((300, gmv)),
                            "{amounts:?}, dictionary {dictionary}, groups of {group}, {parts} runs"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_fast_path_hands_over_what_needs_a_row_number() {
        let dir = tempfile::tempdir().unwrap();
        // A duplicate key across row groups: row 250 repeats row 5.
        let mut dup = rows(300);
        dup[249] = dup[4].clone();
        // An empty id, a date past year 9999, an amount with a fraction of a cent.
        let mut empty = rows(300);
        empty[123].2 = "  ".into();
        let mut far = rows(300);
        far[200].0 = 3_000_000;
        for (what, rows) in [
            ("duplicate", &dup),
            ("empty id", &empty),
            ("far date", &far),
        ] {
            for dictionary in [true, false] {
                let path = write(dir.path(), rows, Amounts::Decimal, dictionary, 64);
                for parts in [1, 2] {
                    assert_eq!(
                        fast_read(&path, parts),
                        None,
                        "{what}, {dictionary}, {parts}"
                    );
                }
            }
        }
        // A channel above its row's gmv (short_video_gmv is 10 cents).
        let mut above = rows(300);
        above[77].3 = 9;
        let path = write(dir.path(), &above, Amounts::Fixed, true, 64);
        assert_eq!(fast_read(&path, 2), None, "channel above gmv");
    }

    /// Writes gmv_daily.parquet with ids of the physical type and annotation given
    /// (`int64`, `int32 (UINT_32)`...), each id column in `encoding` (dictionary when
    /// `None`); the other columns as usual.
    fn write_int_ids(
        dir: &Path,
        ids: &[(i64, i64)],
        id_type: &str,
        encoding: Option<parquet::basic::Encoding>,
    ) -> std::path::PathBuf {
        let (physical, annotation) = id_type.split_once(' ').unwrap_or((id_type, ""));
        let schema = format!(
            "message m {{ required int32 date (DATE); \
             required {physical} partner_id {annotation}; \
             required {physical} seller_id {annotation}; required int64 gmv (DECIMAL(18,2)); \
             required int64 short_video_gmv (DECIMAL(18,2)); \
             required int64 live_gmv (DECIMAL(18,2)); \
             required int64 affiliate_gmv (DECIMAL(18,2)); }}"
        );
        let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).unwrap());
        let mut props = WriterProperties::builder()
            .set_data_page_row_count_limit(10)
            .set_write_batch_size(10);
        if let Some(encoding) = encoding {
            props = props.set_dictionary_enabled(false);
            for c in ["partner_id", "seller_id"] {
                props = props.set_column_encoding(c.into(), encoding);
            }
        }
        let path = dir.join("gmv_daily.parquet");
        let mut writer = SerializedFileWriter::new(
            File::create(&path).unwrap(),
            schema,
            Arc::new(props.build()),
        )
        .unwrap();
        let start = (NaiveDate::from_ymd_opt(2025, 10, 1).unwrap() - epoch()).num_days() as i32;
        for (k, chunk) in ids.chunks(64).enumerate() {
            let mut g = writer.next_row_group().unwrap();
            let mut c = 0;
            while let Some(mut column) = g.next_column().unwrap() {
                match c {
                    0 => {
                        // Row i is on day i % 60.
                        let days: Vec<i32> = (0..chunk.len())
                            .map(|d| start + ((k * 64 + d) % 60) as i32)
                            .collect();
                        column.typed::<Int32Type>().write_batch(&days, None, None)
                    }
                    1 | 2 => {
                        let v: Vec<i64> = chunk
                            .iter()
                            .map(|r| if c == 1 { r.0 } else { r.1 })
                            .collect();
                        if id_type.starts_with("int32") {
                            let v: Vec<i32> = v.iter().map(|i| *i as i32).collect();
                            column.typed::<Int32Type>().write_batch(&v, None, None)
                        } else {
                            column.typed::<Int64Type>().write_batch(&v, None, None)
                        }
                    }
                    _ => {
                        column
                            .typed::<Int64Type>()
                            .write_batch(&vec![100; chunk.len()], None, None)
                    }
                }
                .unwrap();
                column.close().unwrap();
                c += 1;
            }
            g.close().unwrap();
        }
        writer.close().unwrap();
        path
    }

    #[test]
    fn integer_ids_read_on_the_fast_path_as_the_digits_the_careful_path_shows() {
        use parquet::basic::Encoding;
        let dir = tempfile::tempdir().unwrap();
        // Partners by day (60 a key), sellers within: the careful path's text of each.
        let raw: Vec<(i64, i64)> = (0..300i64)
            .map(|i| {
                let seller = i / 60;
                (
                    [0, -7, 9_007_199_254_740_993, i64::MIN, -1][(seller % 5) as usize],
                    [12, i64::MAX, -2_147_483_648, 2_147_483_647, -1][(seller % 5) as usize],
                )
            })
            .collect();
        // Each id type, and the careful path's text of a value written as it.
        type Shown = fn(i64) -> String;
        let cases: [(&str, Shown); 4] = [
            ("int64", |v| v.to_string()),
            ("int64 (UINT_64)", |v| (v as u64).to_string()),
            ("int32", |v| (v as i32).to_string()),
            ("int32 (UINT_32)", |v| (v as i32 as u32).to_string()),
        ];
        let book = crate::book::Book::embedded();
        let periods =
            crate::window::Periods::new(&book.rules.windows, book.rules.windows.program.end);
        let layout = layout(InputFile::GmvDaily);
        for (id_type, text) in cases {
            let mut expected: Vec<(String, String)> =
                raw.iter().map(|(p, s)| (text(*p), text(*s))).collect();
            expected.sort();
            expected.dedup();
            for encoding in [
                None,
                Some(Encoding::PLAIN),
                Some(Encoding::DELTA_BINARY_PACKED),
            ] {
                let path = write_int_ids(dir.path(), &raw, id_type, encoding);
                let file = File::open(&path).unwrap();
                let size = file.metadata().unwrap().len();
                let reader = SerializedFileReader::new(PreadFile::new(&file, size).unwrap());
                // Delta-packed ids go through the parquet crate's value readers.
                assert_eq!(
                    fast::by_pages(&reader.unwrap(), &[0, 1, 2, 3, 4, 5, 6]),
                    encoding != Some(Encoding::DELTA_BINARY_PACKED)
                );
                for parts in [1, 2] {
                    let plan = fast::Plan {
                        file: &file,
                        size,
                        positions: &[0, 1, 2, 3, 4, 5, 6],
                        layout: &layout,
                        periods: &periods,
                        hash: false,
                    };
                    let whole = fast::read(&plan, &GmvSink::new(None, &periods), parts)
                        .unwrap_or_else(|| panic!("{id_type} {encoding:?} {parts}: not read"));
                    let mut data = super::super::DataSet::default();
                    whole.sink.finish(&mut data);
                    let mut got: Vec<(String, String)> = data
                        .partners
                        .iter()
                        .flat_map(|(p, d)| d.sellers.keys().map(|s| (p.clone(), s.clone())))
                        .collect();
                    got.sort();
                    assert_eq!(got, expected, "{id_type} {encoding:?} {parts}");
                }
            }
        }
    }
}
