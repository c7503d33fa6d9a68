//! Streaming CSV reading shared by every input file: header mapping, trimming, blank lines,
//! physical line numbers, and the typed cell parsers of the data contract.

use super::error::{DataError, InputError};
use crate::money::Money;
use chrono::NaiveDate;
use csv::{ByteRecord, ReaderBuilder};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Amounts at or above this many dollars in one cell are refused: no daily export holds
/// them, and the bound keeps every sum and cross-multiplication far inside Decimal's range.
const MAX_CENTS: i64 = 100_000_000_000_000; // $1,000,000,000,000.00

/// Longest record (header or row, line breaks inside quotes included) that is read. The CSV
/// parser holds a whole record in memory, so this bounds memory whatever the input: a file
/// without line breaks or with an unclosed quote fails here instead of filling memory.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// Hashes the bytes the CSV parser consumes (for the manifest) and counts them (for the
/// progress indicator), so that each file is read from disk once. It also enforces
/// `MAX_RECORD_BYTES`: the parser only asks for more bytes once it consumed all it had, so
/// when it asks with more than the limit consumed since the current record began, that
/// record is too long.
pub struct CountingReader<R> {
    inner: R,
    /// `None` when no output records the hash.
    hasher: Option<Sha256>,
    pub bytes: Arc<AtomicU64>,
    total: u64,
    /// Where the record being parsed began; `None` lifts the limit (hashing the rest).
    record_start: Option<u64>,
}

/// The I/O error that stops a record longer than `MAX_RECORD_BYTES`.
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "record is longer than {} MiB (a line break is missing or a quote is not closed); \
             the rest of the file is not read",
            MAX_RECORD_BYTES >> 20
        )
    }
}

impl std::error::Error for RecordTooLong {}

impl<R: std::io::BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self
            .record_start
            .is_some_and(|start| self.total - start > MAX_RECORD_BYTES)
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                RecordTooLong,
            ));
        }
        let n = self.inner.read(buf)?;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        self.total += n as u64;
        // A bare carriage return (an old Mac line ending) ends a line: the parser, which
        // counts line feeds, is handed a line feed in its place (same length, so every
        // byte position stays the file's), and its line numbers count it. The hash above
        // is of the bytes as they are.
        let mut from = 0;
        while let Some(found) = memchr::memchr(b'\r', &buf[from..n]) {
            let i = from + found;
            from = i + 1;
            let next = match buf[..n].get(i + 1) {
                Some(b) => Some(*b),
                None => self.inner.fill_buf()?.first().copied(),
            };
            if next != Some(b'\n') {
                buf[i] = b'\n';
            }
        }
        Ok(n)
    }
}

pub struct CsvFile {
    pub name: &'static str,
    reader: csv::Reader<CountingReader<BufReader<File>>>,
    raw: File,
    /// Position in the record of each required column, in the order asked for.
    positions: Vec<usize>,
    columns: &'static [&'static str],
    header_len: usize,
    record: ByteRecord,
    pub bytes_read: Arc<AtomicU64>,
    pub size: u64,
    /// The file as it was opened: compared again once it is read.
    pub stamp: Stamp,
    /// A record could not be read (too long, or an I/O error): the file ends there, and
    /// the rows after it were never seen.
    pub cut_short: bool,
}

/// One record, borrowed from the reader, with typed accessors that record cell errors.
pub struct Row<'a> {
    pub file: &'static str,
    pub line: u64,
    record: &'a ByteRecord,
    positions: &'a [usize],
    columns: &'static [&'static str],
    pub errors: Vec<DataError>,
    /// Byte range of the record in the file, to quote it verbatim in rejects.csv.
    pub span: (u64, u64),
    /// Cells of a table that could not be made text: their error stands for the cell.
    preset: &'a [(usize, DataError)],
}

pub enum Next<'a> {
    Row(Row<'a>),
    /// A record that cannot even be split into cells (the csv parser failed).
    Broken(DataError, (u64, u64)),
    End,
}

/// `O_NONBLOCK`: opening a FIFO for reading must not wait for a writer.
#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const O_NONBLOCK: i32 = 0x0004;

/// What is at `path` when it is not a regular file (following symbolic links).
fn kind_of(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("is a directory, not a file")
    } else if t.is_fifo() {
        Some("is a FIFO (named pipe), not a file")
    } else if t.is_socket() {
        Some("is a socket, not a file")
    } else if t.is_char_device() || t.is_block_device() {
        Some("is a device, not a file")
    } else {
        Some("is not a regular file")
    }
}

/// Refuses an input that exists but cannot be read as a file: a dangling symbolic link, a
/// directory, a FIFO, a device, no read permission. The type is checked before opening, so
/// a FIFO is never opened (and opening never blocks: see `open_regular`).
pub fn check_openable(path: &Path, name: &'static str) -> Result<(), InputError> {
    let refuse = |reason: String| InputError::NotAFile { file: name, reason };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            let link = std::fs::read_link(path)
                .map(|to| format!("is a symbolic link to {}, which ", to.display()))
                .unwrap_or_default();
            return Err(refuse(if link.is_empty() {
                format!("cannot be examined ({e})")
            } else {
                format!("{link}cannot be opened ({e})")
            }));
        }
    };
    if let Some(kind) = kind_of(&meta) {
        return Err(refuse(kind.to_string()));
    }
    open_regular(path, name).map(drop)
}

/// Opens a regular file for reading without ever blocking (a FIFO swapped in after the
/// check is opened non-blocking and then refused by its type).
pub fn open_regular(path: &Path, name: &'static str) -> Result<File, InputError> {
    use std::os::unix::fs::OpenOptionsExt;
    let refuse = |reason: String| InputError::NotAFile { file: name, reason };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                refuse("cannot be opened: no read permission".into())
            } else {
                refuse(format!("cannot be opened ({e})"))
            }
        })?;
    let meta = file
        .metadata()
        .map_err(|e| refuse(format!("cannot be examined ({e})")))?;
    if let Some(kind) = kind_of(&meta) {
        return Err(refuse(kind.to_string()));
    }
    Ok(file)
}

/// What identifies a file's content without reading it: its identity, size and change
/// times. A file that is rewritten, appended to or replaced while it is read changes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Refuses the file when `now` differs from this stamp (taken when it was opened).
    pub fn same_as(&self, now: &Stamp, name: &'static str) -> Result<(), InputError> {
        if self == now {
            return Ok(());
        }
        let what = if self.dev != now.dev || self.ino != now.ino {
            "it was replaced by another file".to_string()
        } else if self.len != now.len {
            format!("{} bytes when opened, {} bytes after", self.len, now.len)
        } else {
            "it was modified".to_string()
        };
        Err(InputError::Changed { file: name, what })
    }
}

impl CsvFile {
    /// Opens `path` and maps the header. A header problem is a `DataError` on line 1.
    pub fn open(
        path: &Path,
        name: &'static str,
        columns: &'static [&'static str],
        hash: bool,
    ) -> Result<Result<CsvFile, DataError>, InputError> {
        Self::open_mapped(path, name, columns, &[], hash)
    }

    /// `open`, where `aliases[i]` are further names of `columns[i]` (columns.toml).
    pub fn open_mapped(
        path: &Path,
        name: &'static str,
        columns: &'static [&'static str],
        aliases: &[Vec<String>],
        hash: bool,
    ) -> Result<Result<CsvFile, DataError>, InputError> {
        let io_err = |source| InputError::Io {
            file: name.to_string(),
            source,
        };
        let file = open_regular(path, name)?;
        let meta = file.metadata().map_err(io_err)?;
        let size = meta.len();
        let stamp = Stamp::of(&meta);
        if size == 0 {
            return Ok(Err(DataError::row(
                name,
                1,
                "file is empty (no header row)",
            )));
        }
        let raw = file.try_clone().map_err(io_err)?;
        let bytes_read = Arc::new(AtomicU64::new(0));
        let counting = CountingReader {
            inner: BufReader::with_capacity(1 << 16, file),
            hasher: hash.then(Sha256::new),
            bytes: bytes_read.clone(),
            total: 0,
            record_start: Some(0),
        };
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(counting);
        let mut header = ByteRecord::new();
        loop {
            let start = reader.position().clone();
            reader.get_mut().record_start = Some(start.byte());
            match reader.read_byte_record(&mut header) {
                Ok(true) if is_blank(&header) => continue,
                Ok(true) => break,
                Ok(false) => {
                    return Ok(Err(DataError::row(name, 1, "file has no header row")));
                }
                Err(e) => {
                    let line = start.line() + blank_lines_at(&raw, size, start.byte());
                    return Ok(Err(csv_error(name, line, &e)));
                }
            }
        }
        let header_line = header.position().map_or(1, |p| p.line());
        // Only ever reported: corrected for blank lines before the header.
        let header_start = header.position().map_or(0, |p| p.byte());
        let (header_line, _) =
            locate_record(&raw, header_line, (header_start, reader.position().byte()));
        let mut names = Vec::with_capacity(header.len());
        for (i, cell) in header.iter().enumerate() {
            let cell = if i == 0 {
                cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
            } else {
                cell
            };
            match std::str::from_utf8(cell) {
                Ok(s) => names.push(trim(s).to_string()),
                Err(_) => {
                    return Ok(Err(DataError::row(
                        name,
                        header_line,
                        format!("header cell {} is not valid UTF-8", i + 1),
                    )))
                }
            }
        }
        let positions =
            match super::header::resolve(columns, aliases, &names, &super::header::csv_cell) {
                Ok(positions) => positions,
                Err(problem) => return Ok(Err(problem.error(name, header_line))),
            };
        Ok(Ok(CsvFile {
            name,
            reader,
            raw,
            positions,
            columns,
            header_len: names.len(),
            record: ByteRecord::new(),
            bytes_read,
            size,
            stamp,
            cut_short: false,
        }))
    }

    pub fn next_row(&mut self) -> Next<'_> {
        if self.cut_short {
            return Next::End;
        }
        loop {
            let start = self.reader.position().byte();
            let start_line = self.reader.position().line();
            self.reader.get_mut().record_start = Some(start);
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return Next::End,
                Ok(true) if is_blank(&self.record) => continue,
                Ok(true) => {
                    let pos = self.record.position().expect("records carry positions");
                    let span = (pos.byte(), self.reader.position().byte());
                    let mut row = Row {
                        file: self.name,
                        line: pos.line(),
                        record: &self.record,
                        positions: &self.positions,
                        columns: self.columns,
                        errors: Vec::new(),
                        span,
                        preset: &[],
                    };
                    if !fits_header(&self.record, self.header_len) {
                        row.errors.push(DataError::row(
                            self.name,
                            row.line,
                            format!(
                                "row has {} cells, the header has {}",
                                self.record.len(),
                                self.header_len
                            ),
                        ));
                    }
                    return Next::Row(row);
                }
                Err(e) => {
                    // With byte records and flexible rows the parser only fails on I/O
                    // (or the record limit); the position past it is unknown, so stop.
                    self.cut_short = true;
                    let span = (start, self.reader.position().byte());
                    let line = start_line + blank_lines_at(&self.raw, self.size, start);
                    return Next::Broken(csv_error(self.name, line, &e), span);
                }
            }
        }
    }

    /// The file, for reads at given positions.
    pub fn file(&self) -> &File {
        &self.raw
    }

    /// Where the rows begin: the byte after the header record.
    pub fn data_start(&self) -> u64 {
        self.reader.position().byte()
    }

    /// Number of cells in the header (every row must have as many).
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Position in the record of each required column, in the order of the file's columns.
    pub fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// Where a record really starts. The csv parser records a position before it skips
    /// the `\n` of the previous record's CRLF ending and any blank lines, so the physical
    /// line and the byte span are corrected from the file itself. Only the rare paths that
    /// report a line (bad rows, duplicates, header problems) pay for this read.
    pub fn locate(&self, line: u64, span: (u64, u64)) -> (u64, (u64, u64)) {
        locate_record(&self.raw, line, span)
    }

    /// The record's text exactly as it stands in the file, without its line ending.
    pub fn raw_text(&self, span: (u64, u64)) -> String {
        raw_text(&self.raw, span)
    }

    /// Refuses the file when it is not, by its stamp, the file that was opened.
    pub fn check_unchanged(&self) -> Result<(), InputError> {
        let meta = self.raw.metadata().map_err(|source| InputError::Io {
            file: self.name.to_string(),
            source,
        })?;
        self.stamp.same_as(&Stamp::of(&meta), self.name)
    }

    /// The sha256 of the whole file (reading whatever the parser left unread, up to the
    /// size it had when opened), when it was opened to hash it. The file must be unchanged
    /// since it was opened: the hash is then of exactly the bytes that were read.
    pub fn finish_sha256(self) -> Result<Option<String>, InputError> {
        let (name, size) = (self.name, self.size);
        let mut inner = self.reader.into_inner();
        if inner.hasher.is_some() {
            inner.record_start = None;
            let rest = size.saturating_sub(inner.total);
            let _ = std::io::copy(&mut (&mut inner).take(rest), &mut std::io::sink());
        }
        let meta = self.raw.metadata().map_err(|source| InputError::Io {
            file: name.to_string(),
            source,
        })?;
        self.stamp.same_as(&Stamp::of(&meta), name)?;
        if inner.total != size && inner.hasher.is_some() && !self.cut_short {
            return Err(InputError::Changed {
                file: name,
                what: format!("{size} bytes when opened, {} bytes read", inner.total),
            });
        }
        Ok(inner.hasher.map(|h| hex(&h.finalize())))
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 of a file's first `size` bytes, read with its own handle; `None` once `stop`
/// is set (the hash is no longer wanted).
pub fn sha256_of(
    file: &File,
    size: u64,
    stop: &std::sync::atomic::AtomicBool,
) -> std::io::Result<Option<String>> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut pos = 0;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        // The bytes the parts read, and no more: a file grown since is refused by its stamp.
        let want = (size - pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(Some(hex(&hasher.finalize())));
        }
        let n = match file.read_at(&mut buf[..want], pos) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        pos += n as u64;
    }
}

/// The sha256 of `bytes`, telling `hashed` how far it got after each step; `None` once
/// `stop` is set (the hash is no longer wanted).
pub fn sha256_of_bytes(
    bytes: &[u8],
    stop: &std::sync::atomic::AtomicBool,
    mut hashed: impl FnMut(usize),
) -> Option<String> {
    const STEP: usize = 1 << 20;
    let mut hasher = Sha256::new();
    for (i, chunk) in bytes.chunks(STEP).enumerate() {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        hasher.update(chunk);
        hashed(i * STEP + chunk.len());
    }
    Some(hex(&hasher.finalize()))
}

/// See `CsvFile::locate`.
fn locate_record(file: &File, line: u64, (start, end): (u64, u64)) -> (u64, (u64, u64)) {
    let (mut line, mut pos) = (line, start);
    let mut ends = LineEnds::default();
    let mut buf = [0u8; 256];
    while pos < end {
        let want = ((end - pos) as usize).min(buf.len());
        let n = match file.read_at(&mut buf[..want], pos) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let skip = buf[..n]
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .count();
        line += ends.feed(&buf[..skip]);
        pos += skip as u64;
        if skip < n {
            break;
        }
    }
    (line + ends.finish(), (pos, end))
}

pub fn raw_text(file: &File, (start, end): (u64, u64)) -> String {
    // A record is quoted whole; a pathological one is cut to keep rejects.csv readable.
    const MAX: u64 = 1 << 20;
    let len = end.saturating_sub(start).min(MAX) as usize;
    let mut buf = vec![0u8; len];
    if file.read_exact_at(&mut buf, start).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&buf);
    text.trim_end_matches(['\r', '\n']).to_string()
}

/// Line breaks at `byte` before anything else: the parser skips empty lines silently, so
/// a record that fails before it is parsed starts this many lines after `byte`.
fn blank_lines_at(file: &File, size: u64, mut byte: u64) -> u64 {
    let mut lines = 0;
    let mut ends = LineEnds::default();
    let mut buf = [0u8; 4096];
    while byte < size {
        let n = (size - byte).min(buf.len() as u64) as usize;
        if file.read_exact_at(&mut buf[..n], byte).is_err() {
            break;
        }
        match buf[..n].iter().position(|b| !matches!(b, b'\r' | b'\n')) {
            Some(i) => return lines + ends.feed(&buf[..i]) + ends.finish(),
            None => lines += ends.feed(&buf[..n]),
        }
        byte += n as u64;
    }
    lines + ends.finish()
}

/// Counts line endings in a run of `\r` and `\n` bytes fed in pieces: LF, CRLF and a
/// bare CR each end one line.
#[derive(Default)]
struct LineEnds {
    after_cr: bool,
}

impl LineEnds {
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        let mut lines = 0;
        for b in bytes {
            match b {
                b'\n' => {
                    lines += 1;
                    self.after_cr = false;
                }
                b'\r' => {
                    lines += u64::from(self.after_cr);
                    self.after_cr = true;
                }
                _ => {}
            }
        }
        lines
    }

    /// The run ended: a CR at its end was a bare one.
    fn finish(&mut self) -> u64 {
        std::mem::take(&mut self.after_cr).into()
    }
}

/// `line` is where the record began: I/O errors carry no position of their own.
fn csv_error(name: &'static str, line: u64, e: &csv::Error) -> DataError {
    let line = e.position().map_or(line, |p| p.line());
    let reason = match e.kind() {
        csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|e| e.is::<RecordTooLong>()) => {
            io.to_string()
        }
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => format!("malformed CSV: {e}"),
    };
    DataError::row(name, line, reason)
}

/// A record has the header's cells, and maybe empty cells after them (spreadsheets write
/// them).
fn fits_header(record: &ByteRecord, header_len: usize) -> bool {
    record.len() == header_len
        || (record.len() > header_len
            && record
                .iter()
                .skip(header_len)
                .all(|c| trim_bytes(c).is_empty()))
}

/// Blank lines are skipped: a record with a single cell of only spaces/tabs.
fn is_blank(record: &ByteRecord) -> bool {
    record.len() == 1
        && record[0]
            .iter()
            .all(|b| *b == b' ' || *b == b'\t' || *b == b'\r')
}

pub fn trim(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

pub fn trim_bytes(b: &[u8]) -> &[u8] {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    // Most cells have nothing to trim.
    if !b.first().is_some_and(blank) && !b.last().is_some_and(blank) {
        return b;
    }
    let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !blank(c)).map_or(start, |i| i + 1);
    &b[start..end]
}

impl<'a> Row<'a> {
    /// A row of a table (a sheet or Parquet file) whose cells are given as text; `preset`
    /// holds the errors of cells that have none.
    pub(super) fn of_table(
        file: &'static str,
        line: u64,
        record: &'a ByteRecord,
        positions: &'a [usize],
        columns: &'static [&'static str],
        preset: &'a [(usize, DataError)],
        span: (u64, u64),
    ) -> Row<'a> {
        Row {
            file,
            line,
            record,
            positions,
            columns,
            errors: Vec::new(),
            span,
            preset,
        }
    }

    /// The cell's bytes, trimmed of spaces and tabs; a missing cell is an error.
    fn raw_cell(&mut self, col: usize) -> Option<&'a [u8]> {
        if let Some((_, e)) = self.preset.iter().find(|(c, _)| *c == col) {
            self.errors.push(e.clone());
            return None;
        }
        match self.record.get(self.positions[col]) {
            Some(bytes) => Some(trim_bytes(bytes)),
            None => {
                self.errors.push(DataError::cell(
                    self.file,
                    self.line,
                    self.columns[col],
                    "",
                    "is missing (row too short)",
                ));
                None
            }
        }
    }

    /// The cell as text; invalid UTF-8 is an error.
    fn cell(&mut self, col: usize) -> Option<&'a str> {
        let bytes = self.raw_cell(col)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(_) => {
                self.fail_bytes(col, bytes, &super::sniff::not_utf8_reason(bytes));
                None
            }
        }
    }

    /// Records `reason` against a cell whose bytes are shown as (lossy) text.
    fn fail_bytes(&mut self, col: usize, value: &[u8], reason: &str) {
        let value = String::from_utf8_lossy(value).into_owned();
        self.fail(col, &value, reason);
    }

    fn fail(&mut self, col: usize, value: &str, reason: &str) {
        self.errors.push(DataError::cell(
            self.file,
            self.line,
            self.columns[col],
            value,
            reason,
        ));
    }

    /// The row's problems, taken out of it. A refused row that holds a totals label (a
    /// spreadsheet's `Total` row) has one problem that says so.
    pub fn take_errors(&mut self) -> Vec<DataError> {
        let mut errors = std::mem::take(&mut self.errors);
        if !errors.is_empty() {
            let (record, positions) = (self.record, self.positions);
            let cell = |i: usize| record.get(positions[i]).map(trim_bytes);
            super::looks::summary_row(self.file, self.line, self.columns, cell, &mut errors);
        }
        errors
    }

    /// The amount in a cell if it parses, without recording an error (for reconciliation
    /// of rows that are rejected for another reason).
    pub fn peek_cents(&self, col: usize) -> Option<i64> {
        let bytes = self.record.get(self.positions[col])?;
        parse_cents_bytes(trim_bytes(bytes)).ok()
    }

    /// A non-empty id appended to `text`; returns its byte range there.
    pub fn id_into(&mut self, col: usize, text: &mut String) -> Option<(u32, u32)> {
        let value = self.cell(col)?;
        if value.is_empty() {
            self.fail(col, "", "is empty (an id is required)");
            return None;
        }
        let start = text.len();
        text.push_str(value);
        Some((start as u32, text.len() as u32))
    }

    /// An amount in whole cents.
    pub fn cents(&mut self, col: usize) -> Option<i64> {
        let value = self.raw_cell(col)?;
        match parse_cents_bytes(value) {
            Ok(cents) => Some(cents),
            Err(reason) => {
                let text = String::from_utf8_lossy(value);
                self.fail(col, &text, &super::looks::amount_reason(&text, reason));
                None
            }
        }
    }

    /// A non-empty id.
    pub fn id(&mut self, col: usize) -> Option<String> {
        let value = self.cell(col)?.to_string();
        if value.is_empty() {
            self.fail(col, &value, "is empty (an id is required)");
            return None;
        }
        Some(value)
    }

    /// Any text, possibly empty.
    pub fn text(&mut self, col: usize) -> Option<String> {
        self.cell(col).map(str::to_string)
    }

    pub fn date(&mut self, col: usize) -> Option<NaiveDate> {
        let value = self.raw_cell(col)?;
        let parsed = parse_date_bytes(value);
        if parsed.is_none() {
            let text = String::from_utf8_lossy(value);
            self.fail(col, &text, &super::looks::date_reason(&text));
        }
        parsed
    }

    pub fn flag(&mut self, col: usize) -> Option<bool> {
        let value = self.cell(col)?.to_string();
        match value.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.fail(col, &value, "is not true or false");
                None
            }
        }
    }

    pub fn integer_in(&mut self, col: usize, low: u8, high: u8) -> Option<u8> {
        let value = self.cell(col)?.to_string();
        match value.parse::<u8>() {
            Ok(n) if (low..=high).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => {
                Some(n)
            }
            _ => {
                self.fail(
                    col,
                    &value,
                    &format!("is not an integer from {low} to {high}"),
                );
                None
            }
        }
    }

    /// Flags column `col` when its amount exceeds column `limit_col`'s (a channel above
    /// the row's gmv).
    pub fn require_at_most(&mut self, col: usize, cents: i64, limit_col: usize, limit: i64) {
        if cents > limit {
            let reason = format!(
                "exceeds {} {}",
                self.columns[limit_col],
                Money::from_cents(limit).plain()
            );
            let value = self.cell(col).unwrap_or_default().to_string();
            self.fail(col, &value, &reason);
        }
    }
}

/// `YYYY-MM-DD`, exactly: four-digit year, two-digit month and day.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_date_bytes(s.as_bytes())
}

pub(super) fn parse_date_bytes(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

/// Dates of a file read in parts, straight from their ten bytes to the day of the book's
/// span they fall on: that day indexes every per-day table (duplicates, windows,
/// coverage), and a `NaiveDate` built per row costs more than the rest of the date.
pub(super) struct SpanDays {
    /// Day number (`day_number`) of the span's first day.
    start: i32,
    /// Every date of the span, by day.
    dates: Vec<NaiveDate>,
}

impl SpanDays {
    pub(super) fn new(span: crate::window::Window) -> SpanDays {
        use chrono::Datelike;
        let first = span.start;
        SpanDays {
            start: day_number(first.year() as u32, first.month(), first.day()),
            dates: span.dates().collect(),
        }
    }

    /// The date of `YYYY-MM-DD`, and its day in the span when it lies there; `None`
    /// exactly when `parse_date_bytes` refuses the bytes.
    #[inline(always)]
    pub(super) fn read(&self, b: &[u8]) -> Option<(NaiveDate, Option<usize>)> {
        let (y, m, d) = date_parts(b)?;
        let offset = day_number(y, m, d) - self.start;
        match usize::try_from(offset) {
            Ok(day) if day < self.dates.len() => Some((self.dates[day], Some(day))),
            // Outside the span (rare): the date as chrono builds it.
            _ => NaiveDate::from_ymd_opt(y as i32, m, d).map(|date| (date, None)),
        }
    }
}

/// Year, month and day of a valid `YYYY-MM-DD` (the calendar `parse_date_bytes` applies:
/// proleptic Gregorian, years 0000 to 9999).
#[inline]
fn date_parts(b: &[u8]) -> Option<(u32, u32, u32)> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = b else {
        return None;
    };
    let digit = |c: u8| {
        let v = c.wrapping_sub(b'0');
        (v <= 9).then_some(u32::from(v))
    };
    let y = digit(y0)? * 1000 + digit(y1)? * 100 + digit(y2)? * 10 + digit(y3)?;
    let m = digit(m0)? * 10 + digit(m1)?;
    let d = digit(d0)? * 10 + digit(d1)?;
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&d).then_some((y, m, d))
}

/// Consecutive days for consecutive dates (days since 1 March of year -400; only
/// differences are used): the civil-from-days inverse, on a year shifted to stay positive.
#[inline]
fn day_number(y: u32, m: u32, d: u32) -> i32 {
    // Years start in March, so a leap day ends its year.
    let y = y + 400 - u32::from(m <= 2);
    let (era, year_of_era) = (y / 400, y % 400);
    let month_from_march = if m > 2 { m - 3 } else { m + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era) as i32
}

/// The cents of the amount at `text[start..end]`, as `parse_cents_bytes` reads it. The
/// usual spelling (up to eight integer digits, a point, two decimals) is read as one word
/// loaded from the text in place: the bytes before the cell are masked off, not copied.
#[inline(always)]
pub(super) fn cents_in(text: &[u8], start: usize, end: usize) -> Result<i64, &'static str> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let cell = &text[start..end];
    // Up to five integer digits: the word ending with the cell holds them, the point and
    // both decimals. Dropping the point makes seven digits that read as the cents.
    if (4..=8).contains(&cell.len()) && end >= 8 {
        let word = u64::from_le_bytes(text[end - 8..end].try_into().expect("eight bytes"));
        if (word >> 40) as u8 == b'.' {
            let int_len = cell.len() - 3;
            let digits = ((word & 0xFF_FFFF_FFFF) << 8) | (word & 0xFFFF << 48) | u64::from(b'0');
            // The integer digits are bytes 6 - int_len to 5; the rest becomes '0's.
            let keep = !0u64 << (8 * (6 - int_len));
            if let Some(cents) = eight_digits(((digits & keep) | (ZEROS & !keep)).to_le_bytes()) {
                return Ok(cents as i64);
            }
        }
    }
    if let [.., b'.', d1, d2] = *cell {
        let int_len = cell.len() - 3;
        let point = end - 3;
        if (1..=8).contains(&int_len) && point >= 8 {
            let word = u64::from_le_bytes(
                text[point - 8..point]
                    .try_into()
                    .expect("eight bytes before the point"),
            );
            // The integer digits are the word's top bytes; the rest becomes '0's.
            let keep = !0u64 << (64 - 8 * int_len);
            let word = (word & keep) | (ZEROS & !keep);
            let (d1, d2) = (d1.wrapping_sub(b'0'), d2.wrapping_sub(b'0'));
            if let Some(int) = eight_digits(word.to_le_bytes()) {
                if d1 <= 9 && d2 <= 9 {
                    return Ok(int as i64 * 100 + i64::from(d1 * 10 + d2));
                }
            }
        }
    }
    parse_cents_bytes(cell)
}

/// Parses an amount per the data contract into whole cents:
/// `^\$?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]{1,2})?$`.
pub fn parse_cents(s: &str) -> Result<i64, &'static str> {
    parse_cents_bytes(s.as_bytes())
}

pub(super) fn parse_cents_bytes(s: &[u8]) -> Result<i64, &'static str> {
    const NOT_AMOUNT: &str = super::looks::NOT_AN_AMOUNT;
    if s.is_empty() {
        return Err("is empty (an amount is required)");
    }
    // The common spelling first: plain digits, at most two decimals.
    if let Some(cents) = plain_cents(s) {
        return Ok(cents);
    }
    let body = s.strip_prefix(b"$").unwrap_or(s);
    let (int, frac) = match body.iter().position(|&c| c == b'.') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if int.is_empty() {
        return Err(NOT_AMOUNT);
    }
    let has_commas = int.contains(&b',');
    if has_commas {
        let groups: Vec<&[u8]> = int.split(|&c| c == b',').collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
        if !first_ok || !rest_ok {
            return Err(NOT_AMOUNT);
        }
    }
    let mut dollars: i64 = 0;
    for &c in int {
        if c == b',' {
            continue;
        }
        if !c.is_ascii_digit() {
            return Err(NOT_AMOUNT);
        }
        dollars = dollars
            .checked_mul(10)
            .and_then(|d| d.checked_add(i64::from(c - b'0')))
            .ok_or("is out of range")?;
        if dollars >= MAX_CENTS / 100 {
            return Err("is out of range (at most 999,999,999,999.99)");
        }
    }
    let cents = match frac {
        None => 0,
        Some(f) if (1..=2).contains(&f.len()) && f.iter().all(u8::is_ascii_digit) => {
            let v = f.iter().fold(0i64, |acc, c| acc * 10 + i64::from(c - b'0'));
            if f.len() == 1 {
                v * 10
            } else {
                v
            }
        }
        Some(_) => return Err(NOT_AMOUNT),
    };
    Ok(dollars * 100 + cents)
}

/// `123`, `123.4` or `123.45` with at most 12 integer digits; `None` for anything else.
pub(super) fn plain_cents(s: &[u8]) -> Option<i64> {
    // The usual spelling, up to six integer digits and two decimals, is eight digits: read
    // them as one word, without a branch per digit.
    if let [int @ .., b'.', d1, d2] = s {
        if (1..=6).contains(&int.len()) {
            // Shifted in from the right, behind leading '0's (a copy would call memcpy).
            let mut word = u64::from_le_bytes([b'0'; 8]);
            for c in int {
                word = (word >> 8) | u64::from(*c) << 56;
            }
            word = (word >> 16) | u64::from(*d1) << 48 | u64::from(*d2) << 56;
            return eight_digits(word.to_le_bytes()).map(|v| v as i64);
        }
    }
    // 12 integer digits, a point and 2 decimals at most: the value fits an i64.
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    let (mut value, mut point) = (0i64, None);
    for (i, &c) in s.iter().enumerate() {
        let digit = c.wrapping_sub(b'0');
        if digit <= 9 {
            value = value * 10 + i64::from(digit);
        } else if c == b'.' && point.is_none() {
            point = Some(i);
        } else {
            return None;
        }
    }
    let (int_digits, decimals) = match point {
        Some(i) => (i, s.len() - i - 1),
        None => (s.len(), 0),
    };
    if int_digits == 0 || int_digits > 12 || (point.is_some() && decimals == 0) || decimals > 2 {
        return None;
    }
    Some(value * [100, 10, 1][decimals])
}

/// The value of eight ASCII digits (most significant first); `None` unless all are digits.
fn eight_digits(digits: [u8; 8]) -> Option<u64> {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let x = u64::from_le_bytes(digits);
    // Every byte 0x30..=0x3F, and adding 6 keeps it there only if it is at most 0x39.
    if x & HIGH_NIBBLES != ZEROS || (x + 0x0606_0606_0606_0606) & HIGH_NIBBLES != ZEROS {
        return None;
    }
    // Combine neighbours: digit pairs, then groups of four, then all eight.
    let v = x - ZEROS;
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((v * 10_000 + (v >> 32)) & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_of_the_contract() {
        assert_eq!(parse_cents("1234.56"), Ok(123456));
        assert_eq!(parse_cents("$1,234.56"), Ok(123456));
        assert_eq!(parse_cents("1,234,567"), Ok(123456700));
        assert_eq!(parse_cents("0"), Ok(0));
        assert_eq!(parse_cents("5.5"), Ok(550));
        assert_eq!(parse_cents("007"), Ok(700));
        for bad in [
            "",
            "-5",
            "+5",
            ".5",
            "5.",
            "NaN",
            "1e5",
            "12,3x",
            "1,23",
            "1234,567",
            ",123",
            "$",
            "$$5",
            "5.123",
            "1,234.5.6",
            "1 000",
            "inf",
            "١٢",
        ] {
            assert!(parse_cents(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(parse_cents("999999999999.99").is_ok());
        assert!(parse_cents("1000000000000").is_err());
        assert!(parse_cents("99999999999999999999999999999").is_err());
    }

    #[test]
    fn eight_digits_match_a_digit_loop() {
        for n in [
            0u64, 1, 9, 10, 99, 1_234_567, 12_345_678, 87_654_321, 99_999_999,
        ] {
            assert_eq!(
                eight_digits(*format!("{n:08}").as_bytes().first_chunk().unwrap()),
                Some(n)
            );
        }
        for bad in [
            *b"1234567/",
            *b"1234567:",
            *b"12 45678",
            *b"\x0012345a6",
            *b"123456\xb8\xb9",
        ] {
            assert_eq!(eight_digits(bad), None, "{bad:?}");
        }
        for s in [
            "0.01",
            "1.5",
            "12.34",
            "999999.99",
            "1000000.00",
            "0000.00",
            "1.234",
            "a.12",
            "1.a2",
        ] {
            let slow = s.parse::<rust_decimal::Decimal>().ok().filter(|_| {
                let (int, frac) = s.split_once('.').unwrap();
                int.bytes().all(|b| b.is_ascii_digit())
                    && (1..=2).contains(&frac.len())
                    && frac.bytes().all(|b| b.is_ascii_digit())
            });
            let expected =
                slow.map(|d| (d * rust_decimal::Decimal::ONE_HUNDRED).try_into().unwrap());
            assert_eq!(plain_cents(s.as_bytes()), expected, "{s}");
        }
    }

    /// A file that grows between the rows read and the end of the read: the hash would
    /// be of bytes that were never counted, so the file is refused.
    #[test]
    fn a_file_that_changes_while_read_is_refused() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("partners.csv");
        let columns: &'static [&'static str] = &["partner_id", "partner_name"];
        for hash in [true, false] {
            std::fs::write(&path, "partner_id,partner_name\nP1,One\n").unwrap();
            let mut csv = CsvFile::open(&path, "partners.csv", columns, hash)
                .unwrap()
                .unwrap();
            while !matches!(csv.next_row(), Next::End) {}
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            f.write_all(b"P2,Two\n").unwrap();
            let err = csv.finish_sha256().unwrap_err().to_string();
            assert!(
                err.contains("partners.csv changed while it was read"),
                "{err}"
            );
        }
        // Rewritten in place, same size: the modification time tells.
        std::fs::write(&path, "partner_id,partner_name\nP1,One\n").unwrap();
        let csv = CsvFile::open(&path, "partners.csv", columns, true)
            .unwrap()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, "partner_id,partner_name\nP9,Nin\n").unwrap();
        assert!(csv.check_unchanged().is_err());
        // Unchanged: the hash is the file's.
        let csv = CsvFile::open(&path, "partners.csv", columns, true)
            .unwrap()
            .unwrap();
        let expected = hex(&Sha256::digest(std::fs::read(&path).unwrap()));
        assert_eq!(csv.finish_sha256().unwrap(), Some(expected));
    }

    /// The book's span, read by `SpanDays` as the fast path reads dates.
    fn span_days() -> (crate::window::Periods, SpanDays) {
        let book = crate::book::Book::embedded();
        let periods =
            crate::window::Periods::new(&book.rules.windows, book.rules.windows.program.end);
        let days = SpanDays::new(periods.span);
        (periods, days)
    }

    #[test]
    fn span_days_read_dates_as_chrono_and_the_span_do() {
        let (periods, days) = span_days();
        // Every day of the years around the span and of the calendar's edges (leap years
        // of every kind: 2024, 2000, 1900 and 0000 is one, 2100 not).
        let years = (0..=3)
            .chain(1896..=2105)
            .chain(2396..=2404)
            .chain(9996..=9999);
        for year in years {
            for month in 0..=13 {
                for day in 0..=32 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    let expected = parse_date_bytes(text.as_bytes())
                        .map(|date| (date, periods.span_offset(date)));
                    assert_eq!(days.read(text.as_bytes()), expected, "{text}");
                }
            }
        }
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let first = periods.span.start;
        assert_eq!(days.read(b"2025-07-01"), Some((first, Some(0))));
        assert_eq!(first, date("2025-07-01"));
        let last = periods.span.days() as usize - 1;
        assert_eq!(
            days.read(b"2025-12-31"),
            Some((date("2025-12-31"), Some(last)))
        );
        assert_eq!(days.read(b"2025-06-30"), Some((date("2025-06-30"), None)));
        assert_eq!(days.read(b"2026-01-01"), Some((date("2026-01-01"), None)));
        assert_eq!(days.read(b"2024-02-29"), Some((date("2024-02-29"), None)));
        for bad in [
            "2025-02-29",
            "2100-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-10-00",
            "2025-10-32",
            "2025-04-31",
            "2025-1a-01",
            "2025-10-0\u{0}",
            "2025-10-0:",
            "2025-10-0/",
            "202 -10-01",
            "+025-10-01",
            "2025/10/01",
            "2025-10-1 ",
            "2025-10-001",
            "2025-10-1",
            "",
        ] {
            assert_eq!(parse_date_bytes(bad.as_bytes()), None, "{bad:?}");
            assert_eq!(days.read(bad.as_bytes()), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any ten bytes near a date's form: read as chrono reads them.
        #[test]
        fn span_days_agree_with_chrono_on_any_bytes(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"0123456789-/: a\xb0".to_vec()),
                10,
            ),
        ) {
            let (periods, days) = span_days();
            let expected = parse_date_bytes(&bytes).map(|d| (d, periods.span_offset(d)));
            proptest::prop_assert_eq!(days.read(&bytes), expected);
        }

        /// An amount read in place, whatever comes before it, is read as on its own.
        #[test]
        fn amounts_in_place_are_read_as_alone(
            before in proptest::collection::vec(
                proptest::sample::select(b"0123456789.,$\"x".to_vec()), 0..12),
            cell in proptest::collection::vec(
                proptest::sample::select(b"0123456789.,$ /:".to_vec()), 0..16),
            after in proptest::collection::vec(
                proptest::sample::select(b"0123456789.,\n".to_vec()), 0..3),
        ) {
            let text: Vec<u8> = [&before[..], &cell[..], &after[..]].concat();
            let (start, end) = (before.len(), before.len() + cell.len());
            proptest::prop_assert_eq!(cents_in(&text, start, end), parse_cents_bytes(&cell));
        }
    }

    proptest::proptest! {
        /// Amounts of the usual spelling, of every length, after any text.
        #[test]
        fn usual_amounts_in_place(
            dollars in 0u64..10_000_000_000,
            cents in 0u64..100,
            decimals in 0usize..4,
            before in proptest::collection::vec(
                proptest::sample::select(b"0123456789.,\"x".to_vec()), 0..12),
        ) {
            let cell = match decimals {
                0 => format!("{dollars}"),
                1 => format!("{dollars}.{}", cents / 10),
                2 => format!("{dollars}.{cents:02}"),
                _ => format!("{dollars}.{cents:02}0"),
            };
            let text = [&before[..], cell.as_bytes(), b","].concat();
            let (start, end) = (before.len(), before.len() + cell.len());
            let read = cents_in(&text, start, end);
            proptest::prop_assert_eq!(read, parse_cents_bytes(cell.as_bytes()));
            let expected = match decimals {
                0 => Some(dollars * 100),
                1 => Some(dollars * 100 + cents / 10 * 10),
                2 => Some(dollars * 100 + cents),
                _ => None,
            };
            proptest::prop_assert_eq!(read.ok(), expected.map(|c| c as i64));
        }
    }

    #[test]
    fn amounts_in_place_edge_cases() {
        for cell in [
            "0.00",
            "1.5",
            "12.34",
            "99999999.99",
            "100000000.00",
            "999999999999.99",
            "1000000000000.00",
            "00000000.00",
            "1,234.56",
            "$12.34",
            "12.3",
            "12.",
            ".12",
            "1.234",
            "1.2a",
            "a.12",
            "1:.12",
            "12/45678.90",
            "-1.00",
            "",
            "7",
        ] {
            for pad in ["", "x", "12345678,", "\"\"\"\"\"\"\"\"\"\"", "99999999"] {
                let text = format!("{pad}{cell},");
                let (start, end) = (pad.len(), pad.len() + cell.len());
                assert_eq!(
                    cents_in(text.as_bytes(), start, end),
                    parse_cents_bytes(cell.as_bytes()),
                    "{pad:?} {cell:?}"
                );
            }
        }
        assert_eq!(cents_in(b"12345678,99999999.99", 9, 20), Ok(9_999_999_999));
        assert_eq!(cents_in(b"12345678,0.07", 9, 13), Ok(7));
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(
            parse_date("2025-10-01"),
            NaiveDate::from_ymd_opt(2025, 10, 1)
        );
        for bad in [
            "2025-1-01",
            "2025-02-30",
            "25-10-01",
            "2025/10/01",
            "2025-10-01T00",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad:?}");
        }
    }
}
