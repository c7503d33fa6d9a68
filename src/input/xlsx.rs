//! Excel workbooks (`.xlsx`): the sheet named like the file, else the first sheet; its
//! first non-empty row is the header. The sheet is read cell by cell on a thread of its
//! own (the workbook's XML is parsed while the rows before are checked and summed), and
//! handed over in batches of rows, so memory holds the workbook file and a few batches.

use super::error::{DataError, InputError};
use super::header::normalise;
use super::mapped::Mapping;
use super::source::{column_letters, Cell, Numbers, Opened, Opening, Places, Rows, Spill, Table};
use super::InputFile;
use calamine::{DataRef, Reader, Xlsx};
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;

/// Rows per batch handed from the reading thread.
const BATCH_ROWS: usize = 1024;
/// Rows of the first batch, which holds the header of most sheets: the thread then waits
/// until more rows are asked for (when the fast path reads the sheet, they never are).
const FIRST_ROWS: usize = 16;
/// Batches in flight: bounds memory whatever the sheet's size.
const BATCHES_IN_FLIGHT: usize = 4;

/// A sheet's rows and columns (Excel's limits).
const MAX_ROWS: u32 = 1 << 20;
const MAX_COLUMNS: u32 = 1 << 14;

type Batch = Vec<(u64, Vec<Cell>)>;
type Message = Result<Batch, String>;

struct SheetRows {
    rx: mpsc::Receiver<Message>,
    /// Sent (dropped) when rows past the first batch are first wanted.
    more: Option<mpsc::Sender<()>>,
    /// The first batch is not yet taken.
    first: bool,
    batch: std::vec::IntoIter<(u64, Vec<Cell>)>,
    done: bool,
}

impl Rows for SheetRows {
    fn next_row(&mut self, cells: &mut Vec<Cell>) -> Result<Option<u64>, String> {
        loop {
            if let Some((line, row)) = self.batch.next() {
                *cells = row;
                return Ok(Some(line));
            }
            if self.done {
                return Ok(None);
            }
            if !self.first {
                // The reading thread may go on: dropping the sender releases it for good.
                self.more = None;
            }
            self.first = false;
            match self.rx.recv() {
                Ok(Ok(batch)) => self.batch = batch.into_iter(),
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(None);
                }
            }
        }
    }
}

/// The workbook's bytes, shared by calamine and the fast path (one copy in memory).
struct Held(Arc<Bytes>);

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A cell of the sheet as the contract reads it.
fn cell_of(value: &DataRef) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Float(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, m, day, h, min, s, ms) = d.to_ymd_hms_milli();
            match chrono::NaiveDate::from_ymd_opt(y.into(), m.into(), day.into()) {
                Some(date) if (h, min, s, ms) == (0, 0, 0, 0) => Cell::Date(date),
                Some(date) => Cell::DateTime(format!("{date} {h:02}:{min:02}:{s:02}")),
                None => Cell::Invalid(format!("{} is not a date", d.as_f64())),
            }
        }
        DataRef::DateTime(d) => Cell::Invalid(format!(
            "{} is a duration, not a date or an amount",
            d.as_f64()
        )),
        DataRef::DateTimeIso(s) => match super::reader::parse_date(s) {
            Some(d) => Cell::Date(d),
            None => Cell::DateTime(s.clone()),
        },
        DataRef::DurationIso(s) => {
            Cell::Invalid(format!("{s} is a duration, not a date or an amount"))
        }
        DataRef::Error(e) => Cell::Invalid(format!("is the spreadsheet error {e}")),
    }
}

/// Reads the sheet on its own thread, sending rows (header first) in batches.
fn read_sheet(
    mut book: Xlsx<Cursor<Held>>,
    workbook: Held,
    sheet: String,
    tx: mpsc::SyncSender<Message>,
    more: mpsc::Receiver<()>,
) {
    let mut reader = match book.worksheet_cells_reader(&sheet) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Err(e.to_string()));
            return;
        }
    };
    let mut batch: Batch = Vec::with_capacity(FIRST_ROWS);
    let mut rows_per_batch = FIRST_ROWS;
    let mut row: Vec<Cell> = Vec::new();
    let mut current: Option<u32> = None;
    loop {
        let next = match reader.next_cell() {
            Ok(next) => next,
            Err(e) => {
                if let Some(r) = current {
                    batch.push((u64::from(r) + 1, std::mem::take(&mut row)));
                }
                let _ = tx.send(Ok(batch));
                let _ = tx.send(Err(e.to_string()));
                return;
            }
        };
        let Some(cell) = next else { break };
        let (r, c) = cell.get_position();
        // A reference past a sheet's last cell (a damaged or hostile file): refused, before
        // a row is made that long.
        // The row it is in is not handed on: it is not whole.
        if r >= MAX_ROWS || c >= MAX_COLUMNS {
            if let Some(done) = current.filter(|done| *done != r) {
                batch.push((u64::from(done) + 1, std::mem::take(&mut row)));
            }
            let _ = tx.send(Ok(batch));
            let _ = tx.send(Err(format!(
                "a cell reference is past the last cell of a sheet, XFD1048576 (read as {}{})",
                column_letters(c as usize),
                u64::from(r) + 1
            )));
            return;
        }
        if current != Some(r) {
            if let Some(done) = current {
                batch.push((u64::from(done) + 1, std::mem::take(&mut row)));
                if batch.len() >= rows_per_batch {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
                    if tx.send(Ok(full)).is_err() {
                        return; // the rows are no longer wanted
                    }
                    if rows_per_batch == FIRST_ROWS {
                        rows_per_batch = BATCH_ROWS;
                        // Nothing is sent on `more`: it returns when more rows are wanted
                        // (its sender dropped), or the rows are dropped with it.
                        let _ = more.recv();
                        // Or never will be: an empty batch finds out before a row is read.
                        if tx.send(Ok(Vec::new())).is_err() {
                            return;
                        }
                    }
                }
            }
            current = Some(r);
        }
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, Cell::Empty);
        }
        row[c] = cell_of(cell.get_value());
    }
    if let Some(r) = current {
        batch.push((u64::from(r) + 1, row));
    }
    // calamine stops at the sheet's last cell and checks no checksum: the rows are only
    // whole when every part of the package reads whole.
    match super::xlsx_fast::damaged_part(workbook.as_ref(), &[]) {
        None => {
            let _ = tx.send(Ok(batch));
        }
        Some(damaged) => {
            let _ = tx.send(Err(damaged));
        }
    }
}

/// The workbook file's bytes, shared by calamine and the fast path (one copy in memory).
pub(super) enum Bytes {
    /// Mapped from the file: no copy. Copying a large workbook from the page cache was the
    /// longest step before its first row was read.
    Mapped(Mapping),
    /// Read, where the file cannot be mapped.
    Read(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m.bytes(),
            Bytes::Read(v) => v,
        }
    }
}

/// Opens `path` as a workbook and resolves its header. Outer error: the file cannot be
/// used at all; inner error: a data error of the file (with how its places are named).
pub(super) fn open(
    path: &Path,
    name: &'static str,
    file: InputFile,
    aliases: &[Vec<String>],
    spill: Option<(Arc<Spill>, bool)>,
    hash: bool,
) -> Result<Opening, InputError> {
    let io_err = |source| InputError::Io {
        file: name.to_string(),
        source,
    };
    let raw = super::reader::open_regular(path, name)?;
    let size = raw.metadata().map_err(io_err)?.len();
    if size == 0 {
        return Ok(Err((
            DataError::row(name, 1, "file is empty (no workbook)"),
            None,
        )));
    }
    let bytes = Arc::new(match Mapping::of(&raw, size, name) {
        Some(mapped) => Bytes::Mapped(mapped),
        None => {
            let mut bytes = Vec::with_capacity(size.min(1 << 30) as usize);
            (&raw).take(size).read_to_end(&mut bytes).map_err(io_err)?;
            Bytes::Read(bytes)
        }
    });
    let book = match Xlsx::new(Cursor::new(Held(bytes.clone()))) {
        Ok(book) => book,
        Err(e) => {
            return Ok(Err((
                DataError::row(name, 1, format!("is not a readable .xlsx workbook ({e})")),
                None,
            )))
        }
    };
    let sheets = book.sheet_names();
    let stem = file.stem();
    let Some(sheet) = sheets
        .iter()
        .find(|s| normalise(s) == stem)
        .or_else(|| sheets.first())
        .cloned()
    else {
        return Ok(Err((
            DataError::row(name, 1, "workbook has no sheet"),
            None,
        )));
    };
    let note = (sheets.len() > 1).then(|| {
        format!(
            "{name}: sheet {sheet:?} is read, of {} sheets (a sheet named {stem} is read, else the first)",
            sheets.len()
        )
    });
    let (tx, rx) = mpsc::sync_channel(BATCHES_IN_FLIGHT);
    let (more_tx, more_rx) = mpsc::channel();
    let thread_sheet = sheet.clone();
    let workbook = Held(bytes.clone());
    std::thread::Builder::new()
        .name(format!("read {name}"))
        .spawn(move || {
            // A panic inside the workbook reader must not pass for the sheet's end: the
            // rows after it would be dropped without a word.
            let failed = tx.clone();
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                read_sheet(book, workbook, thread_sheet, tx, more_rx)
            }));
            if read.is_err() {
                let _ = failed.send(Err(
                    "the workbook reader failed on this sheet; it cannot be read to its end"
                        .to_string(),
                ));
            }
        })
        .map_err(io_err)?;
    let mut rows = SheetRows {
        rx,
        more: Some(more_tx),
        first: true,
        batch: Vec::new().into_iter(),
        done: false,
    };
    let sheet_places = |letters| Places::Sheet {
        sheet: sheet.clone(),
        letters,
    };
    // The header: the first row with a non-empty cell.
    let mut cells = Vec::new();
    let header_line = loop {
        match rows.next_row(&mut cells) {
            Ok(Some(line)) if cells.iter().any(|c| !matches!(c, Cell::Empty)) => break line,
            Ok(Some(_)) => continue,
            Ok(None) => {
                return Ok(Err((
                    DataError::row(name, 1, format!("sheet {sheet:?} has no header row")),
                    Some(sheet_places(Vec::new())),
                )))
            }
            Err(e) => {
                return Ok(Err((
                    DataError::row(name, 1, format!("cannot read sheet {sheet:?}: {e}")),
                    Some(sheet_places(Vec::new())),
                )))
            }
        }
    };
    let header: Vec<String> = cells
        .iter()
        .map(|c| match c {
            Cell::Text(s) => s.clone(),
            other => other.text(None, Numbers::Dollars).unwrap_or_default(),
        })
        .collect();
    let sheet_for_places = sheet.clone();
    let opened = Opened {
        rows: Box::new(rows),
        header,
        header_line,
        numbers: Numbers::Dollars,
        cell_name: Box::new(move |j| format!("{}{header_line}", column_letters(j))),
        places_for: Box::new(move |placed| Places::Sheet {
            sheet: sheet_for_places.clone(),
            letters: placed
                .iter()
                .map(|(c, p)| (*c, column_letters(*p)))
                .collect(),
        }),
        refuse: Vec::new(),
    };
    let places = sheet_places(Vec::new());
    match Table::new(opened, name, file, aliases, raw, spill, hash)? {
        Ok(mut table) => {
            table.held = Some(bytes);
            Ok(Ok((table, note)))
        }
        Err(e) => Ok(Err((e, Some(places)))),
    }
}

/// Reads a dated sheet on the fast path (see `xlsx_fast`); `None` when the careful path
/// must read it.
pub(super) fn fast_read<S: super::dated::DatedSink>(
    table: &Table,
    layout: &super::dated::Layout,
    periods: &crate::window::Periods,
    opts: &super::Options,
    sink: &S,
) -> Option<super::split::Whole<S>> {
    // Tests compare the two paths on the same workbook.
    if std::env::var_os("TSP_PAYOUT_TEST_CAREFUL").is_some() {
        return None;
    }
    let Places::Sheet { sheet, .. } = &table.places else {
        return None;
    };
    let plan = super::xlsx_fast::Plan {
        bytes: table.held.as_deref()?,
        file: &table.file,
        size: table.size,
        sheet,
        header: &table.header,
        header_line: table.header_line,
        positions: table.positions(),
        layout,
        periods,
        hash: opts.hashes,
        two_threads: opts.threads > 1,
    };
    super::xlsx_fast::read(&plan, sink)
}
