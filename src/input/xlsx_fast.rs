//! The fast path for a dated workbook: the sheet's XML is inflated on one thread while
//! the other scans it and sums each row straight into the sink, with no text per cell.
//!
//! The scanner reads only the plain shapes spreadsheet writers produce (`<row r>`, `<c r
//! s t>` with `<v>` or `<is><t>`), and gives up on anything else (a formula, an entity,
//! a comment, an unknown style, a bad or duplicated row): the careful path (calamine,
//! cell by cell) then reads the whole sheet from the start and names every problem. So
//! whatever this path accepts, it reads exactly as the careful path does:
//! - which parts of the package are the sheet and its shared strings is observed from
//!   calamine itself (the parts it opens), never worked out a second time;
//! - a number counts as a date only under a number format calamine certainly reads as a
//!   date, and as an amount or id only under one it certainly does not;
//! - numbers become text with the careful path's own function unless their XML text is
//!   already the amount (at most two decimals, at most 15 digits: what it would print).

use super::dated::{DatedSink, Layout, View};
use super::reader::{parse_cents_bytes, parse_date_bytes, plain_cents, sha256_of, trim_bytes};
use super::source::{Cell, Kind, Numbers};
use super::split::{merge, PartSums, Whole};
use crate::window::Periods;
use calamine::{Reader, Xlsx};
use chrono::NaiveDate;
use memchr::memmem;
use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// Inflated bytes handed over at once.
const CHUNK: usize = 1 << 20;
/// Chunks in flight between the threads.
const CHUNKS_IN_FLIGHT: usize = 4;
/// Longest row (in XML bytes) the scanner waits for; a longer one goes to the careful path.
const LONGEST_ROW: usize = 16 << 20;

/// What the fast path needs to know about the table that was opened.
pub(super) struct Plan<'a> {
    /// The workbook as the careful reader read it.
    pub bytes: &'a [u8],
    /// The file, for its sha256.
    pub file: &'a File,
    pub size: u64,
    pub sheet: &'a str,
    /// The header as the careful path read it, and its sheet row.
    pub header: &'a [String],
    pub header_line: u64,
    /// Header index of each column of `layout`, in order.
    pub positions: &'a [usize],
    pub layout: &'a Layout,
    pub periods: &'a Periods,
    pub hash: bool,
    /// Inflate on a thread of its own.
    pub two_threads: bool,
}

/// A reader over the workbook's bytes that notes where it is sent: the parts calamine
/// opens are the ones whose headers it seeks to.
struct Tap<'a> {
    inner: Cursor<&'a [u8]>,
    seeks: Arc<Mutex<Vec<u64>>>,
}

impl Read for Tap<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Seek for Tap<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(pos)?;
        if let Ok(mut seeks) = self.seeks.lock() {
            seeks.push(at);
        }
        Ok(at)
    }
}

/// How calamine reads a number under a cell style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// Certainly a date or time (`DateTime`).
    Date,
    /// Certainly a plain number.
    Number,
    /// Anything else: the careful path decides.
    Unknown,
}

/// Reads the workbook; `None` when the careful path must read it instead.
pub(super) fn read<S: DatedSink>(plan: &Plan, sink: &S) -> Option<Whole<S>> {
    let bytes = plan.bytes;
    let parts = Parts::find(bytes, plan.sheet)?;
    let given_up = AtomicBool::new(false);
    let (done, sha256) = if plan.two_threads {
        // The inflating thread cuts the sheet into batches of rows; finding the cells of a
        // batch (the tags) falls to whichever thread is ahead: the inflating one while the
        // summing one has batches waiting, else the summing one. So the two share the work
        // whatever the machine and the workbook.
        let (tx, rx) = mpsc::sync_channel::<Batch>(CHUNKS_IN_FLIGHT);
        let (back_tx, back_rx) = mpsc::channel::<Batch>();
        let waiting = AtomicUsize::new(0);
        let parts = &parts;
        std::thread::scope(|scope| {
            let given_up = &given_up;
            let waiting = &waiting;
            let inflating = scope.spawn(move || {
                let found_all = batches(bytes, parts.sheet, |batch| {
                    if finds_here(waiting.load(Ordering::Relaxed)) && !batch.find(parts) {
                        return false;
                    }
                    let full = std::mem::replace(batch, back_rx.try_recv().unwrap_or_default());
                    waiting.fetch_add(1, Ordering::Relaxed);
                    tx.send(full).is_ok()
                });
                drop(tx);
                // Every other part holds too, or the careful path names the damaged one.
                let found_all = found_all && damaged_part(bytes, &parts.checked).is_none();
                if !found_all {
                    given_up.store(true, Ordering::Relaxed);
                }
                let sha256 = plan.hash.then(|| sha256_of(plan.file, plan.size, given_up));
                (found_all, sha256)
            });
            let mut summer = Summer::new(plan, parts, sink.part());
            let mut ok = true;
            for mut batch in rx.iter() {
                waiting.fetch_sub(1, Ordering::Relaxed);
                if !(batch.found || batch.find(parts)) || !summer.batch(&batch) {
                    ok = false;
                    break;
                }
                let _ = back_tx.send(batch);
            }
            drop(rx);
            if !ok {
                given_up.store(true, Ordering::Relaxed);
            }
            let (found_all, sha256) = inflating
                .join()
                .expect("the inflating thread does not panic");
            let done = if ok && found_all && !given_up.load(Ordering::Relaxed) {
                summer.finish()
            } else {
                None
            };
            (done, sha256)
        })
    } else {
        let mut summer = Summer::new(plan, &parts, sink.part());
        let found_all = batches(bytes, parts.sheet, |batch| {
            batch.find(&parts) && summer.batch(batch)
        });
        let found_all = found_all && damaged_part(bytes, &parts.checked).is_none();
        let done = if found_all { summer.finish() } else { None };
        let sha256 = plan
            .hash
            .then(|| sha256_of(plan.file, plan.size, &given_up));
        (done, sha256)
    };
    let whole = merge(std::iter::once(done), sha256);
    #[cfg(test)]
    if whole.is_some() {
        SUMMED.fetch_add(1, Ordering::Relaxed);
    }
    whole
}

/// Workbooks summed on this path (tests check that it was taken).
#[cfg(test)]
pub(super) static SUMMED: AtomicUsize = AtomicUsize::new(0);

/// Which thread finds the cells, for tests: 0 either, 1 the inflating one, 2 the summing one.
#[cfg(test)]
static FINDS: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Whether the inflating thread finds the cells of its next batch, with `waiting` batches
/// not yet taken by the summing thread: only while that one has work waiting.
fn finds_here(waiting: usize) -> bool {
    #[cfg(test)]
    match FINDS.load(Ordering::Relaxed) {
        1 => return true,
        2 => return false,
        _ => {}
    }
    waiting > 0
}

/// Inflates the sheet and cuts it into batches of complete rows: `each` gets every batch
/// (and may swap it for another) and returns false to stop. True when every row of the
/// sheet was handed over and the entry read to its end (its checksum holds).
fn batches(bytes: &[u8], sheet: usize, mut each: impl FnMut(&mut Batch) -> bool) -> bool {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return false;
    };
    let mut entry: Box<dyn Read> = match Deflated::of(&mut zip, bytes, sheet) {
        Some(deflated) => Box::new(deflated),
        None => match zip.by_index(sheet) {
            Ok(entry) => Box::new(entry),
            Err(_) => return false,
        },
    };
    let mut rows = RowBatches::new();
    let mut batch = Batch::default();
    loop {
        let Some(more) = rows.fill(&mut entry, &mut batch) else {
            return false;
        };
        if batch.len > batch.start && !each(&mut batch) {
            return false;
        }
        if !more {
            break;
        }
    }
    // What follows the rows is not read, but a damaged entry is the careful path's to name.
    rows.done && std::io::copy(&mut entry, &mut std::io::sink()).is_ok()
}

/// The first part of the package (other than those in `checked`, read whole) that does not
/// read to its end with the size and checksum its zip entry gives, and why. A workbook is
/// only read when every part holds: a changed byte in a stored part would otherwise pass
/// for data.
pub(super) fn damaged_part(bytes: &[u8], checked: &[usize]) -> Option<String> {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(zip) => zip,
        Err(e) => return Some(format!("the workbook is damaged ({e})")),
    };
    for i in (0..zip.len()).filter(|i| !checked.contains(i)) {
        let whole = zip
            .by_index(i)
            .map_err(std::io::Error::other)
            .and_then(|mut entry| {
                let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
                std::io::copy(&mut entry, &mut std::io::sink())
                    .map_err(|e| std::io::Error::new(e.kind(), format!("{name}: {e}")))
            });
        if let Err(e) = whole {
            return Some(format!(
                "the workbook is damaged: a part does not read whole ({e}); export it again"
            ));
        }
    }
    None
}

/// A deflated zip entry inflated straight from the package's bytes: each read inflates as
/// much as it asks for in one call (the zip reader inflates 8 KB of input at a time, and
/// the inflater copies its 32 KB window after each call). Its size and checksum are
/// checked at its end, as the zip reader checks them.
struct Deflated<'a> {
    input: &'a [u8],
    inflater: flate2::Decompress,
    crc: crc32fast::Hasher,
    crc32: u32,
    size: u64,
    ended: bool,
}

impl<'a> Deflated<'a> {
    /// `None` for an entry of another kind (stored, encrypted): the zip reader reads it.
    fn of(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, bytes: &'a [u8], index: usize) -> Option<Self> {
        let raw = zip.by_index_raw(index).ok()?;
        if raw.compression() != zip::CompressionMethod::Deflated || raw.encrypted() {
            return None;
        }
        let start = usize::try_from(raw.data_start()?).ok()?;
        let len = usize::try_from(raw.compressed_size()).ok()?;
        Some(Deflated {
            input: bytes.get(start..start.checked_add(len)?)?,
            inflater: flate2::Decompress::new(false),
            crc: crc32fast::Hasher::new(),
            crc32: raw.crc32(),
            size: raw.size(),
            ended: false,
        })
    }
}

impl Read for Deflated<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::{Error, ErrorKind};
        let damaged = |what: &str| Error::new(ErrorKind::InvalidData, what.to_string());
        if self.ended || buf.is_empty() {
            return Ok(0);
        }
        loop {
            let (read_before, out_before) = (self.inflater.total_in(), self.inflater.total_out());
            let rest = usize::try_from(read_before)
                .ok()
                .and_then(|at| self.input.get(at..))
                .ok_or_else(|| damaged("entry overrun"))?;
            let status = self
                .inflater
                .decompress(rest, buf, flate2::FlushDecompress::None)
                .map_err(|e| Error::new(ErrorKind::InvalidData, e))?;
            let n = usize::try_from(self.inflater.total_out() - out_before)
                .map_err(|_| damaged("entry overrun"))?;
            self.crc.update(&buf[..n]);
            if self.inflater.total_out() > self.size {
                return Err(damaged("entry longer than its size"));
            }
            if status == flate2::Status::StreamEnd {
                self.ended = true;
                if self.inflater.total_out() != self.size
                    || self.crc.clone().finalize() != self.crc32
                {
                    return Err(damaged("entry size or checksum does not hold"));
                }
                return Ok(n);
            }
            if n > 0 {
                return Ok(n);
            }
            if self.inflater.total_in() == read_before {
                return Err(ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

/// Inflates the zip entry `index` of the package in chunks; `None` on a damaged entry
/// (calamine then says what is wrong). `each` returns false to stop.
fn inflate(bytes: &[u8], index: usize, mut each: impl FnMut(&[u8]) -> bool) -> Option<()> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut entry = zip.by_index(index).ok()?;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => return Some(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        if !each(&buf[..n]) {
            return Some(());
        }
    }
}

/// The parts of the package that calamine reads for the sheet.
struct Parts {
    /// Zip entry of the sheet.
    sheet: usize,
    /// Zip entries this reading reads to their end, size and checksum held: the sheet (as
    /// it is summed), its shared strings and styles.
    checked: Vec<usize>,
    /// The shared strings, as calamine reads them; `None` where a string has a shape the
    /// scanner does not read (rich text, entities).
    strings: Vec<Option<Vec<u8>>>,
    /// How a number of each cell style is read.
    styles: Vec<Style>,
    is_1904: bool,
}

impl Parts {
    fn find(bytes: &[u8], sheet: &str) -> Option<Parts> {
        let seeks = Arc::new(Mutex::new(Vec::new()));
        let tap = Tap {
            inner: Cursor::new(bytes),
            seeks: seeks.clone(),
        };
        let mut book: Xlsx<Tap> = Xlsx::new(tap).ok()?;
        let is_1904 = book.has_1904_epoch();
        let opened_by_new = std::mem::take(&mut *seeks.lock().ok()?);
        let calamine_styles = {
            let reader = book.worksheet_cells_reader(sheet).ok()?;
            reader.styles().len()
        };
        let opened_for_sheet = std::mem::take(&mut *seeks.lock().ok()?);
        drop(book);

        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let mut starts = Vec::with_capacity(zip.len());
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i).ok()?;
            starts.push((
                entry.header_start(),
                entry.data_start(),
                entry.name().ok()?.to_string(),
            ));
        }
        let entry_at = |at: u64| {
            let found: Vec<usize> = starts
                .iter()
                .enumerate()
                .filter(|(_, (h, d, _))| *h == at || *d == Some(at))
                .map(|(i, _)| i)
                .collect();
            (found.len() == 1).then(|| found[0])
        };
        // The sheet: the one part opened for its cells.
        let sheet = opened_for_sheet.iter().find_map(|at| entry_at(*at))?;
        // Shared strings and styles: the single part of that name, if calamine opened it.
        let opened = |suffix: &str| -> Option<Option<usize>> {
            let named: Vec<usize> = starts
                .iter()
                .enumerate()
                .filter(|(_, (_, _, n))| n.to_ascii_lowercase().ends_with(suffix))
                .map(|(i, _)| i)
                .collect();
            let read: Vec<usize> = named
                .iter()
                .copied()
                .filter(|i| {
                    opened_by_new
                        .iter()
                        .any(|at| starts[*i].0 == *at || starts[*i].1 == Some(*at))
                })
                .collect();
            match read.len() {
                0 if named.is_empty() => Some(None),
                1 => Some(Some(read[0])),
                _ => None,
            }
        };
        let whole = |index: usize| -> Option<Vec<u8>> {
            let mut out = Vec::new();
            inflate(bytes, index, |chunk| {
                out.extend_from_slice(chunk);
                true
            })?;
            Some(out)
        };
        let mut checked = vec![sheet];
        let strings = match opened("sharedstrings.xml")? {
            Some(i) => {
                checked.push(i);
                shared_strings(&whole(i)?)?
            }
            None => Vec::new(),
        };
        let styles = match opened("styles.xml")? {
            Some(i) => {
                checked.push(i);
                cell_styles(&whole(i)?)?
            }
            None => Vec::new(),
        };
        // Each style of calamine's, in its order, is one of ours.
        if styles.len() != calamine_styles {
            return None;
        }
        Some(Parts {
            sheet,
            checked,
            strings,
            styles,
            is_1904,
        })
    }

    fn style(&self, s: Option<u32>) -> Style {
        match s {
            // No style, or one past the list: calamine reads a plain number.
            None => Style::Number,
            Some(i) => self
                .styles
                .get(i as usize)
                .copied()
                .unwrap_or(Style::Number),
        }
    }
}

/// A tag at `buf[at]` (`<`): its name, raw attributes, whether it closes (`</x>`) or is
/// empty (`<x/>`), and where it ends. `None` for what the scanner does not read
/// (comments, CDATA, processing instructions) or an unfinished tag.
struct Tag<'a> {
    name: &'a [u8],
    attrs: &'a [u8],
    closing: bool,
    empty: bool,
    end: usize,
}

#[inline]
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn tag(buf: &[u8], at: usize) -> Option<Tag<'_>> {
    let mut i = at + 1;
    let closing = *buf.get(i)? == b'/';
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < buf.len() && !is_space(buf[i]) && buf[i] != b'>' && buf[i] != b'/' {
        if matches!(buf[i], b'!' | b'?' | b'<' | b'"' | b'\'' | b'=') {
            return None;
        }
        i += 1;
    }
    let name = &buf[name_start..i];
    if name.is_empty() {
        return None;
    }
    let attrs_start = i;
    // Attribute values may hold `>`: step over quoted text.
    loop {
        match *buf.get(i)? {
            b'"' | b'\'' => {
                let quote = buf[i];
                let close = memchr::memchr(quote, &buf[i + 1..])?;
                if buf[i + 1..i + 1 + close].contains(&b'<') {
                    return None;
                }
                i += close + 2;
            }
            b'>' => {
                let empty = i > attrs_start && buf[i - 1] == b'/';
                let attrs_end = if empty { i - 1 } else { i };
                if closing && (empty || !buf[attrs_start..attrs_end].iter().all(|b| is_space(*b))) {
                    return None;
                }
                return Some(Tag {
                    name,
                    attrs: &buf[attrs_start..attrs_end],
                    closing,
                    empty,
                    end: i + 1,
                });
            }
            b'<' => return None,
            _ => i += 1,
        }
    }
}

/// The named attributes of an opening tag, whether it is empty (`<x/>`), where it ends.
type OpenTag<'a, const N: usize> = ([Option<&'a [u8]>; N], bool, usize);

/// An opening tag `<name ...>` or `<name .../>` at `buf[at]` in one pass, with the named
/// attributes (as `pick` reads them); returns them, whether the tag is empty, and where it
/// ends. `None` for another tag or anything malformed.
fn open_tag<'a, const N: usize>(
    buf: &'a [u8],
    at: usize,
    name: &[u8],
    names: [&[u8]; N],
) -> Option<OpenTag<'a, N>> {
    let mut i = at + 1 + name.len();
    if buf.get(at + 1..i)? != name {
        return None;
    }
    let mut out = [None; N];
    loop {
        let b = *buf.get(i)?;
        if is_space(b) {
            i += 1;
            continue;
        }
        match b {
            b'>' => return Some((out, false, i + 1)),
            b'/' => return (*buf.get(i + 1)? == b'>').then_some((out, true, i + 2)),
            _ => {}
        }
        // An attribute must follow white space.
        if !is_space(buf[i - 1]) {
            return None;
        }
        let start = i;
        while i < buf.len() && !matches!(buf[i], b'=' | b'>' | b'<' | b'/') && !is_space(buf[i]) {
            i += 1;
        }
        let attr = &buf[start..i];
        while i < buf.len() && is_space(buf[i]) {
            i += 1;
        }
        if buf.get(i) != Some(&b'=') || attr.is_empty() {
            return None;
        }
        i += 1;
        while i < buf.len() && is_space(buf[i]) {
            i += 1;
        }
        let quote = *buf.get(i)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        // Values are a few bytes: a plain loop beats a vector search here.
        let close = buf[i + 1..]
            .iter()
            .position(|b| *b == quote || *b == b'<')?;
        if buf[i + 1 + close] != quote {
            return None;
        }
        let value = &buf[i + 1..i + 1 + close];
        i += close + 2;
        let local = match memchr::memrchr(b':', attr) {
            Some(k) => &attr[k + 1..],
            None => attr,
        };
        if let Some(k) = names.iter().position(|n| *n == local) {
            if local.len() != attr.len() || out[k].is_some() {
                return None;
            }
            out[k] = Some(value);
        }
    }
}

/// White space from `at` on skipped.
#[inline]
fn skip_space(buf: &[u8], mut at: usize) -> usize {
    while at < buf.len() && is_space(buf[at]) {
        at += 1;
    }
    at
}

/// A closing tag `</name>` at `buf[at]`; returns where it ends.
#[inline(always)]
fn close_tag(buf: &[u8], at: usize, name: &[u8]) -> Option<usize> {
    let rest = buf.get(at..)?;
    if rest.len() >= name.len() + 3
        && rest.starts_with(b"</")
        && &rest[2..2 + name.len()] == name
        && rest[2 + name.len()] == b'>'
    {
        return Some(at + name.len() + 3);
    }
    // `</name >`
    let t = tag(buf, at)?;
    (t.closing && t.name == name).then_some(t.end)
}

/// Calls `each` with every attribute of a tag as (name, value); `None` when malformed
/// or `each` says so.
fn attributes<'a>(
    raw: &'a [u8],
    mut each: impl FnMut(&'a [u8], &'a [u8]) -> Option<()>,
) -> Option<()> {
    let mut i = 0;
    loop {
        while i < raw.len() && is_space(raw[i]) {
            i += 1;
        }
        if i == raw.len() {
            return Some(());
        }
        let start = i;
        while i < raw.len() && raw[i] != b'=' && !is_space(raw[i]) {
            i += 1;
        }
        let name = &raw[start..i];
        while i < raw.len() && is_space(raw[i]) {
            i += 1;
        }
        if raw.get(i) != Some(&b'=') || name.is_empty() {
            return None;
        }
        i += 1;
        while i < raw.len() && is_space(raw[i]) {
            i += 1;
        }
        let quote = *raw.get(i)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let close = memchr::memchr(quote, &raw[i + 1..])?;
        each(name, &raw[i + 1..i + 1 + close])?;
        i += close + 2;
    }
}

/// The named attributes of a tag, each at most once; `None` when malformed, repeated, or
/// given with a namespace prefix (which calamine might read as the plain name).
fn pick<'a, const N: usize>(raw: &'a [u8], names: [&[u8]; N]) -> Option<[Option<&'a [u8]>; N]> {
    let mut out = [None; N];
    attributes(raw, |name, value| {
        let local = match memchr::memrchr(b':', name) {
            Some(i) => &name[i + 1..],
            None => name,
        };
        if let Some(k) = names.iter().position(|n| *n == local) {
            if local.len() != name.len() || out[k].is_some() {
                return None;
            }
            out[k] = Some(value);
        }
        Some(())
    })?;
    Some(out)
}

/// Digits as a number (at most 18 of them, so nothing overflows).
#[inline]
fn number<T: TryFrom<u64>>(b: &[u8]) -> Option<T> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut n = 0u64;
    for d in b {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(d - b'0');
    }
    T::try_from(n).ok()
}

/// Text between tags as calamine keeps it; `None` when it holds an entity or a carriage
/// return (which XML rewrites).
fn plain_text(b: &[u8]) -> Option<&[u8]> {
    // Ids are a few bytes: a loop beats a vector search.
    let plain = if b.len() <= 32 {
        !b.iter().any(|c| matches!(c, b'&' | b'\r'))
    } else {
        memchr::memchr2(b'&', b'\r', b).is_none()
    };
    plain.then_some(b)
}

/// The text of a `<t>` element calamine reads: trimmed of XML white space unless it keeps
/// its spaces.
fn t_text<'a>(attrs: &[u8], text: &'a [u8]) -> Option<&'a [u8]> {
    // No attribute, or `xml:space` alone.
    let mut space = None;
    attributes(attrs, |name, value| {
        if name != b"xml:space" || space.is_some() {
            return None;
        }
        space = Some(value);
        Some(())
    })?;
    let text = plain_text(text)?;
    match space {
        Some(b"preserve") => Some(text),
        Some(_) => None,
        None => {
            let start = text
                .iter()
                .position(|b| !is_space(*b))
                .unwrap_or(text.len());
            let end = text
                .iter()
                .rposition(|b| !is_space(*b))
                .map_or(start, |i| i + 1);
            Some(&text[start..end])
        }
    }
}

/// `<si>` strings of sharedStrings.xml, in order; a string of another shape is `None`.
/// `None` overall when the count itself could be off (comments, prefixed names).
fn shared_strings(xml: &[u8]) -> Option<Vec<Option<Vec<u8>>>> {
    if memmem::find(xml, b"<!").is_some() || memmem::find(xml, b":si").is_some() {
        return None;
    }
    let mut out = Vec::new();
    let finder = memmem::Finder::new(b"<si");
    let mut at = 0;
    while let Some(i) = finder.find(&xml[at..]) {
        let start = at + i;
        let open = tag(xml, start)?;
        if open.name != b"si" {
            at = start + 3;
            continue;
        }
        if open.empty {
            out.push(Some(Vec::new()));
            at = open.end;
            continue;
        }
        let close = memmem::find(&xml[open.end..], b"</si>")? + open.end;
        out.push(simple_string(&xml[open.end..close]));
        at = close + 5;
    }
    Some(out)
}

/// `<t>text</t>` (with white space around) as calamine reads it; `None` for other shapes.
fn simple_string(body: &[u8]) -> Option<Vec<u8>> {
    let lt = memchr::memchr(b'<', body)?;
    if !body[..lt].iter().all(|b| is_space(*b)) {
        return None;
    }
    let t = tag(body, lt)?;
    if t.name != b"t" || t.closing {
        return None;
    }
    if t.empty {
        return (body[t.end..].iter().all(|b| is_space(*b))).then(Vec::new);
    }
    let end = memchr::memchr(b'<', &body[t.end..])? + t.end;
    let text = t_text(t.attrs, &body[t.end..end])?;
    let close = tag(body, end)?;
    if close.name != b"t" || !close.closing || !body[close.end..].iter().all(|b| is_space(*b)) {
        return None;
    }
    Some(text.to_vec())
}

/// How calamine reads a number under each `<xf>` of `<cellXfs>` in styles.xml.
fn cell_styles(xml: &[u8]) -> Option<Vec<Style>> {
    if memmem::find(xml, b"<!").is_some() {
        return None;
    }
    // Custom number formats by their id as written.
    let mut custom: Vec<(&[u8], Option<&[u8]>)> = Vec::new();
    if let Some(start) = memmem::find(xml, b"<numFmts") {
        let end = memmem::find(&xml[start..], b"</numFmts>").map_or(xml.len(), |e| start + e);
        let mut at = start;
        while let Some(i) = memmem::find(&xml[at..end], b"<numFmt ") {
            let t = tag(xml, at + i)?;
            let [id, code] = pick(t.attrs, [b"numFmtId".as_slice(), b"formatCode"])?;
            if let (Some(id), Some(code)) = (id, code) {
                custom.retain(|(known, _)| *known != id);
                custom.push((id, (!code.contains(&b'&')).then_some(code)));
            }
            at = t.end;
        }
    }
    let start = memmem::find(xml, b"<cellXfs")?;
    let end = memmem::find(&xml[start..], b"</cellXfs>")? + start;
    // calamine knows only the formats given before the styles that use them.
    if memmem::find(&xml[start..], b"<numFmt").is_some() {
        return None;
    }
    let mut out = Vec::new();
    let mut at = tag(xml, start)?.end;
    while let Some(i) = memchr::memchr(b'<', &xml[at..end]) {
        let t = tag(xml, at + i)?;
        at = t.end;
        if t.closing || t.name != b"xf" {
            continue;
        }
        let [id] = pick(t.attrs, [b"numFmtId".as_slice()])?;
        out.push(match id {
            None => Style::Number,
            Some(id) => match custom.iter().find(|(known, _)| *known == id) {
                Some((_, Some(code))) => custom_style(code),
                Some((_, None)) => Style::Unknown,
                None => builtin_style(id),
            },
        });
    }
    Some(out)
}

/// A built-in format by its id as written (calamine matches the text).
fn builtin_style(id: &[u8]) -> Style {
    let Some(n) = std::str::from_utf8(id).ok().and_then(|s| {
        // `014` is not `14` to calamine: only plain numbers are known.
        (!s.starts_with('0') || s == "0").then(|| s.parse::<u32>().ok())?
    }) else {
        return Style::Unknown;
    };
    match n {
        14..=22 | 27..=36 | 45 | 47 | 50..=58 => Style::Date,
        46 => Style::Unknown,
        _ => Style::Number,
    }
}

/// A custom format: a date when it is only day, month and year parts; a plain number when
/// it holds none of the letters or brackets that make calamine read a date or duration.
fn custom_style(code: &[u8]) -> Style {
    let date_part = |b: &u8| matches!(b, b'd' | b'm' | b'y' | b'D' | b'M' | b'Y');
    if code.iter().any(date_part)
        && code
            .iter()
            .all(|b| date_part(b) || matches!(b, b'-' | b'/' | b'.' | b' ' | b','))
    {
        return Style::Date;
    }
    if code.iter().any(|b| b"dmhysapDMHYSAP[]".contains(b)) {
        Style::Unknown
    } else {
        Style::Number
    }
}

/// A cell's value as the scanner saw it.
#[derive(Clone, Copy)]
enum Val<'a> {
    Empty,
    /// A number's XML text and the cell's style.
    Number(&'a [u8], Option<u32>),
    Text(&'a [u8]),
}

/// A cell as the row finder read it: places in its batch's bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    Empty,
    /// A number's XML text (not yet seen to be a number: the summing thread checks it,
    /// which evens out the two threads' work) and the cell's style.
    Number(u32, u32, Option<u32>),
    /// Inline text.
    Text(u32, u32),
    /// A shared string (one the scanner reads).
    Shared(u32),
}

/// Complete rows of the sheet in inflated bytes and, once found (by either thread), each
/// row's number and where its cells end in `cells`; each cell's column and slot.
#[derive(Default)]
struct Batch {
    /// Inflated XML: the rows are `bytes[start..len]`.
    bytes: Vec<u8>,
    start: usize,
    len: usize,
    found: bool,
    rows: Vec<(u64, u32)>,
    cells: Vec<(u32, Slot)>,
}

impl Batch {
    /// Finds the rows and cells; false to give up.
    fn find(&mut self, parts: &Parts) -> bool {
        self.rows.clear();
        self.cells.clear();
        self.found = true;
        find_rows_in(
            parts,
            &self.bytes[..self.len],
            self.start,
            &mut self.rows,
            &mut self.cells,
        )
    }
}

/// Cuts the sheet's XML, as it is inflated, into batches of complete rows.
struct RowBatches {
    /// Bytes not yet handed over: the tail after the last complete row.
    pending: Vec<u8>,
    in_data: bool,
    done: bool,
    row_end: memmem::FinderRev<'static>,
}

impl RowBatches {
    fn new() -> Self {
        RowBatches {
            pending: Vec::new(),
            in_data: false,
            done: false,
            row_end: memmem::FinderRev::new(b"</row>"),
        }
    }

    /// Reads the next inflated bytes of `entry` into `batch`, after the tail of the last
    /// one, up to the last complete row (the rows and cells are found later). Returns
    /// whether more is to come; `None` to give up (a damaged entry, a sheet not read here).
    fn fill(&mut self, entry: &mut impl Read, batch: &mut Batch) -> Option<bool> {
        batch.rows.clear();
        batch.cells.clear();
        batch.start = 0;
        batch.len = 0;
        batch.found = false;
        let tail = self.pending.len();
        // The buffer stays its full length between uses: inflating writes straight into
        // it, with no copy and no clearing.
        let want = tail + CHUNK;
        if batch.bytes.len() < want {
            batch.bytes.resize(want, 0);
        }
        batch.bytes[..tail].copy_from_slice(&self.pending);
        self.pending.clear();
        let mut filled = tail;
        while filled < want {
            match entry.read(&mut batch.bytes[filled..want]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        let more = filled == want;
        let buf = &batch.bytes[..filled];
        let mut start = 0;
        // `</sheetData>` can only end in what came now (or straddle into it).
        let mut search_from = tail.saturating_sub(b"</sheetData>".len());
        if !self.in_data {
            let Some(i) = memmem::find(buf, b"<sheetData>") else {
                self.pending.extend_from_slice(buf);
                return (more && self.pending.len() < LONGEST_ROW).then_some(true);
            };
            if memmem::find(&buf[..i], b"<!").is_some() {
                return None;
            }
            start = i + b"<sheetData>".len();
            search_from = start;
            self.in_data = true;
        }
        // Complete rows only; `</sheetData>` ends them.
        let cut = match memmem::find(&buf[search_from..], b"</sheetData>") {
            Some(end) => {
                self.done = true;
                search_from + end
            }
            None => match self.row_end.rfind(&buf[start..]) {
                Some(i) => start + i + b"</row>".len(),
                None => start,
            },
        };
        batch.start = start;
        batch.len = cut;
        batch.found = false;
        if self.done {
            return Some(false);
        }
        self.pending.extend_from_slice(&buf[cut..]);
        // The sheet ends inside `<sheetData>`, or a row longer than the scanner waits for.
        (more && self.pending.len() < LONGEST_ROW).then_some(true)
    }
}

/// Finds the complete rows of `buf` from `at` on (rows are checked to come in order by
/// the summing thread, which sees every batch).
fn find_rows_in(
    parts: &Parts,
    buf: &[u8],
    mut at: usize,
    rows: &mut Vec<(u64, u32)>,
    cells: &mut Vec<(u32, Slot)>,
) -> bool {
    loop {
        while at < buf.len() && is_space(buf[at]) {
            at += 1;
        }
        if at == buf.len() {
            return true;
        }
        if buf[at] != b'<' {
            return false;
        }
        let Some(([Some(r)], empty, end)) =
            quick_row(buf, at).or_else(|| open_tag(buf, at, b"row", [b"r".as_slice()]))
        else {
            return false;
        };
        let Some(line) = number::<u64>(r) else {
            return false;
        };
        at = end;
        let first = cells.len();
        if !empty {
            let Some(next) = find_cells(parts, buf, at, (r, line), first, cells) else {
                return false;
            };
            at = next;
        }
        let Ok(cells_end) = u32::try_from(cells.len()) else {
            return false;
        };
        rows.push((line, cells_end));
    }
}

/// The cells of a row up to its `</row>`; returns where that ends.
fn find_cells(
    parts: &Parts,
    buf: &[u8],
    mut at: usize,
    (digits, line): (&[u8], u64),
    first: usize,
    row: &mut Vec<(u32, Slot)>,
) -> Option<usize> {
    loop {
        at = skip_space(buf, at);
        if buf.get(at + 1) == Some(&b'/') {
            return close_tag(buf, at, b"row");
        }
        let (col, cell_line, slot, end) = match quick_cell(parts, buf, at, (digits, line)) {
            Some(cell) => cell,
            None => any_cell(parts, buf, at)?,
        };
        at = end;
        if cell_line != line
            || (row.len() > first && row.last().is_some_and(|(last, _)| *last >= col))
        {
            return None;
        }
        row.push((col, slot));
    }
}

/// The first `<` from `at` on. Values are a few bytes: eight at a time in a word beats
/// both a byte loop and a vector search here.
#[inline(always)]
fn find_lt(b: &[u8], mut at: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    while let Some(word) = b.get(at..at + 8) {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ (ONES * u64::from(b'<'));
        // The lowest byte flagged is the first zero byte of `x` (flags above it may be
        // false, never below).
        let zero = x.wrapping_sub(ONES) & !x & (ONES << 7);
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    b[at..].iter().position(|c| *c == b'<').map(|k| at + k)
}

/// `<row r="12">` as `open_tag` reads it; `None` for any other shape.
#[inline(always)]
fn quick_row(buf: &[u8], at: usize) -> Option<OpenTag<'_, 1>> {
    let b = buf.get(at..)?;
    if !b.starts_with(b"<row r=\"") {
        return None;
    }
    let digits = b[8..].iter().take_while(|c| c.is_ascii_digit()).count();
    let end = 8 + digits;
    (b.get(end..end + 2)? == b"\">").then_some(([Some(&b[8..end])], false, at + end + 2))
}

/// A cell read: its column, its row, what it holds, and where it ends.
type FoundCell = (u32, u64, Slot, usize);

/// A cell in the shapes writers put them in, read byte by byte without a tag reader:
/// `<c r="B2"[ s="1"][ t="s|n|inlineStr"]>` with `<v>text</v></c>` or
/// `<is><t>text</t></is></c>`, or `<c r="B2" .../>`, its reference's row written as its
/// row's `r` is (`digits`, read as `line`). `None` for any other shape (or anything
/// wrong): `any_cell` then reads it, so this reads only what that reads, alike.
#[inline(always)]
fn quick_cell(
    parts: &Parts,
    buf: &[u8],
    at: usize,
    (digits, line): (&[u8], u64),
) -> Option<FoundCell> {
    let b = buf.get(at..)?;
    if !b.starts_with(b"<c r=\"") {
        return None;
    }
    let mut i = 6;
    let mut col = 0u32;
    // At most three letters (and one more, to refuse four).
    while let Some(c @ b'A'..=b'Z') = b.get(i) {
        if i == 10 {
            return None;
        }
        col = col * 26 + u32::from(c - b'A') + 1;
        i += 1;
    }
    if !(7..=9).contains(&i) {
        return None;
    }
    // The row's own digits, compared as bytes (the same bytes are the same number), in a
    // loop: a few bytes, where a call to compare them costs more.
    if !digits
        .iter()
        .enumerate()
        .all(|(k, d)| b.get(i + k) == Some(d))
        || *b.get(i + digits.len())? != b'"'
    {
        return None;
    }
    i += digits.len() + 1;
    let mut style = None;
    if b[i..].starts_with(b" s=\"") {
        i += 4;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        style = Some(number::<u32>(&b[start..i])?);
        if *b.get(i)? != b'"' {
            return None;
        }
        i += 1;
    }
    #[derive(PartialEq)]
    enum Holds {
        Number,
        Shared,
        Inline,
    }
    let mut holds = Holds::Number;
    if b[i..].starts_with(b" t=\"") {
        i += 4;
        let rest = &b[i..];
        (holds, i) = if rest.starts_with(b"s\"") {
            (Holds::Shared, i + 2)
        } else if rest.starts_with(b"n\"") {
            (Holds::Number, i + 2)
        } else if rest.starts_with(b"inlineStr\"") {
            (Holds::Inline, i + 10)
        } else {
            return None;
        };
    }
    let col = col - 1;
    match b.get(i..i + 2)? {
        [b'/', b'>'] => return Some((col, line, Slot::Empty, at + i + 2)),
        [b'>', _] => i += 1,
        _ => return None,
    }
    if b[i..].starts_with(b"</c>") {
        return Some((col, line, Slot::Empty, at + i + 4));
    }
    // Each shape's tags compared as constants (no call to compare them).
    let close_len = if holds == Holds::Inline {
        if !b[i..].starts_with(b"<is><t>") {
            return None;
        }
        i += 7;
        13
    } else {
        if !b[i..].starts_with(b"<v>") {
            return None;
        }
        i += 3;
        8
    };
    let start = i;
    i = find_lt(b, i)?;
    let text = &b[start..i];
    let closed = if holds == Holds::Inline {
        b[i..].starts_with(b"</t></is></c>")
    } else {
        b[i..].starts_with(b"</v></c>")
    };
    if !closed {
        return None;
    }
    let end = at + i + close_len;
    let slot = match holds {
        Holds::Shared => {
            let k = number::<u32>(text)?;
            parts.strings.get(k as usize)?.as_deref()?;
            Slot::Shared(k)
        }
        // Whether the text is a number is seen by the summing thread (see `Slot`).
        Holds::Number if !text.is_empty() => Slot::Number(
            u32::try_from(at + start).ok()?,
            u32::try_from(at + i).ok()?,
            style,
        ),
        Holds::Number => return None,
        Holds::Inline => {
            // As `t_text` reads a `<t>` without attributes: plain text, trimmed.
            let text = plain_text(text)?;
            let lead = text.iter().take_while(|c| is_space(**c)).count();
            let trail = text[lead..]
                .iter()
                .rev()
                .take_while(|c| is_space(**c))
                .count();
            Slot::Text(
                u32::try_from(at + start + lead).ok()?,
                u32::try_from(at + i - trail).ok()?,
            )
        }
    };
    Some((col, line, slot, end))
}

/// A cell in any shape the scanner reads (see `quick_cell` for the usual ones).
fn any_cell(parts: &Parts, buf: &[u8], mut at: usize) -> Option<FoundCell> {
    let place = |text: &[u8]| -> Option<(u32, u32)> {
        let start = text.as_ptr() as usize - buf.as_ptr() as usize;
        Some((
            u32::try_from(start).ok()?,
            u32::try_from(start + text.len()).ok()?,
        ))
    };
    let ([r, s, t], empty, end) = open_tag(buf, at, b"c", [b"r".as_slice(), b"s", b"t"])?;
    at = end;
    let (col, cell_line) = cell_ref(r?)?;
    let col = u32::try_from(col).ok()?;
    let style = match s {
        Some(s) => Some(number::<u32>(s)?),
        None => None,
    };
    let inline = match t {
        None | Some(b"n") | Some(b"s") => false,
        Some(b"inlineStr") => true,
        Some(_) => return None,
    };
    if empty {
        return Some((col, cell_line, Slot::Empty, at));
    }
    at = skip_space(buf, at);
    if let Some(end) = close_tag(buf, at, b"c") {
        // `<c r="A1"></c>`
        return Some((col, cell_line, Slot::Empty, end));
    }
    let slot = if !inline {
        let ([], false, end) = open_tag(buf, at, b"v", [])? else {
            return None;
        };
        let text_end = memchr::memchr(b'<', &buf[end..])? + end;
        let text = &buf[end..text_end];
        at = close_tag(buf, text_end, b"v")?;
        if text.is_empty() {
            return None;
        }
        if t == Some(b"s") {
            let i = number::<u32>(text)?;
            parts.strings.get(i as usize)?.as_deref()?;
            Slot::Shared(i)
        } else {
            let (a, b) = place(text)?;
            Slot::Number(a, b, style)
        }
    } else {
        let ([], false, end) = open_tag(buf, at, b"is", [])? else {
            return None;
        };
        at = skip_space(buf, end);
        let t_open = tag(buf, at)?;
        if t_open.name != b"t" || t_open.closing || t_open.empty {
            return None;
        }
        let text_start = t_open.end;
        let text_end = memchr::memchr(b'<', &buf[text_start..])? + text_start;
        let text = t_text(t_open.attrs, &buf[text_start..text_end])?;
        at = close_tag(buf, text_end, b"t")?;
        at = close_tag(buf, skip_space(buf, at), b"is")?;
        let (a, b) = place(text)?;
        Slot::Text(a, b)
    };
    at = close_tag(buf, skip_space(buf, at), b"c")?;
    Some((col, cell_line, slot, at))
}

/// Sums the rows found into the sink.
struct Summer<'p, S> {
    plan: &'p Plan<'p>,
    parts: &'p Parts,
    sums: PartSums<S>,
    header_checked: bool,
    /// Contract column of each header cell (`usize::MAX`: not read).
    contract_of: Vec<usize>,
    /// Text of ids that were numbers.
    scratch: Vec<u8>,
    /// The last row summed.
    last_line: u64,
    /// Dates of whole date serials seen, by serial: (serial + 1, date); 0 is unused.
    serial_dates: Box<[(u32, Option<NaiveDate>); SERIAL_DATES]>,
}

/// Date serials remembered (a year and a half of days).
const SERIAL_DATES: usize = 512;

impl<'p, S: DatedSink> Summer<'p, S> {
    fn new(plan: &'p Plan<'p>, parts: &'p Parts, sink: S) -> Self {
        let mut contract_of = vec![usize::MAX; plan.header.len()];
        for (c, p) in plan.positions.iter().enumerate() {
            contract_of[*p] = c;
        }
        Summer {
            plan,
            parts,
            sums: PartSums::new(sink, plan.periods),
            header_checked: false,
            contract_of,
            scratch: Vec::new(),
            last_line: 0,
            serial_dates: Box::new([(0, None); SERIAL_DATES]),
        }
    }

    fn finish(self) -> Option<PartSums<S>> {
        self.header_checked.then_some(self.sums)
    }

    /// Sums the rows of a batch; false to give up.
    fn batch(&mut self, batch: &Batch) -> bool {
        let parts = self.parts;
        let bytes = &batch.bytes[..];
        // A number's text is not yet seen to be a number: `sum` sees to it for the cells it
        // reads (each reader of a number checks it, most at no cost), `val` for the others.
        let unchecked = |slot: &Slot| -> Option<Val> {
            Some(match *slot {
                Slot::Empty => Val::Empty,
                Slot::Number(a, b, style) => Val::Number(&bytes[a as usize..b as usize], style),
                Slot::Text(a, b) => Val::Text(&bytes[a as usize..b as usize]),
                Slot::Shared(i) => Val::Text(parts.strings.get(i as usize)?.as_deref()?),
            })
        };
        let val = |slot: &Slot| -> Option<Val> {
            let v = unchecked(slot)?;
            match v {
                Val::Number(text, _) if !is_number(text) => None,
                _ => Some(v),
            }
        };
        let layout = self.plan.layout;
        let columns = 1 + layout.ids + layout.amounts;
        let mut first = 0usize;
        for &(line, end) in &batch.rows {
            // Rows come in order (a repeated or earlier row is the careful path's to read).
            if line <= self.last_line {
                return false;
            }
            self.last_line = line;
            let slots = &batch.cells[first..end as usize];
            first = end as usize;
            if line <= self.plan.header_line {
                let Some(row) = slots
                    .iter()
                    .map(|(col, slot)| Some((*col as usize, val(slot)?)))
                    .collect::<Option<Vec<_>>>()
                else {
                    return false;
                };
                if line == self.plan.header_line {
                    self.header_checked = self.header_matches(&row);
                    if !self.header_checked {
                        return false;
                    }
                }
                // Rows above the header are blank (the header is the first that is not).
                continue;
            }
            if !self.header_checked {
                return false;
            }
            // The contract's cells, straight from the slots.
            let mut cells: [Val; 8] = [Val::Empty; 8];
            let mut blank_row = true;
            for (col, slot) in slots {
                let contract = self.contract_of.get(*col as usize).copied();
                let read = contract.is_some_and(|c| c < columns);
                let Some(v) = (if read { unchecked(slot) } else { val(slot) }) else {
                    return false;
                };
                let blank = is_blank(&v);
                blank_row &= blank;
                match contract {
                    Some(c) if read => cells[c] = v,
                    Some(_) => {}
                    // A cell past the header: the careful path names it.
                    None if !blank => return false,
                    None => {}
                }
            }
            if !blank_row && !self.sum(cells) {
                return false;
            }
        }
        true
    }

    /// Sums one row's cells (in the contract's order); false to give up.
    fn sum(&mut self, cells: [Val; 8]) -> bool {
        let layout = self.plan.layout;
        self.scratch.clear();
        let Some(date) = self.date(cells[0]) else {
            return false;
        };
        let mut id_ranges = [(0usize, 0usize); 3];
        let mut ids: [&[u8]; 3] = [b""; 3];
        for (i, range) in id_ranges.iter_mut().enumerate().take(layout.ids) {
            match cells[1 + i] {
                Val::Text(t) => {
                    let t = trim_bytes(t);
                    if t.is_empty() {
                        return false;
                    }
                    ids[i] = t;
                }
                Val::Number(text, style) if self.parts.style(style) == Style::Number => {
                    if !is_number(text) {
                        return false;
                    }
                    let Some(f) = float(text) else { return false };
                    let Ok(shown) = Cell::Float(f).text(Some(Kind::Id), Numbers::Dollars) else {
                        return false;
                    };
                    let shown = trim_bytes(shown.as_bytes());
                    if shown.is_empty() {
                        return false;
                    }
                    let start = self.scratch.len();
                    self.scratch.extend_from_slice(shown);
                    *range = (start, self.scratch.len());
                }
                _ => return false,
            }
        }
        for (i, (a, b)) in id_ranges.iter().enumerate().take(layout.ids) {
            if b > a {
                ids[i] = &self.scratch[*a..*b];
            }
        }
        let mut amounts = [0i64; 4];
        for (k, amount) in amounts.iter_mut().enumerate().take(layout.amounts) {
            let Some(cents) = self.cents(cells[1 + layout.ids + k]) else {
                return false;
            };
            *amount = cents;
        }
        if layout.channel_over_gmv(&amounts, layout.amounts) {
            return false;
        }
        let view = View { date, ids, amounts };
        self.sums.add_row(&view, self.plan.periods)
    }

    /// The header row agrees with the header the careful path read (text cells).
    fn header_matches(&self, row: &[(usize, Val)]) -> bool {
        row.iter().all(|(col, v)| match v {
            Val::Text(t) => self
                .plan
                .header
                .get(*col)
                .is_some_and(|h| h.as_bytes() == *t),
            Val::Empty => self.plan.header.get(*col).is_none_or(|h| h.is_empty()),
            Val::Number(..) => true,
        })
    }

    fn date(&mut self, v: Val) -> Option<NaiveDate> {
        match v {
            Val::Text(t) => parse_date_bytes(trim_bytes(t)),
            Val::Number(text, style) if self.parts.style(style) == Style::Date => {
                // A whole serial is a day; the days of a file are few: remember them.
                // Digits are a number; anything else is checked.
                let Some(serial) = number::<u32>(text).filter(|_| text.len() <= 7) else {
                    return is_number(text).then(|| self.serial_date(text))?;
                };
                let slot = serial as usize % SERIAL_DATES;
                if self.serial_dates[slot].0 != serial + 1 {
                    self.serial_dates[slot] = (serial + 1, self.serial_date(text));
                }
                self.serial_dates[slot].1
            }
            _ => None,
        }
    }

    /// A date serial as calamine reads it, if it is a whole day.
    fn serial_date(&self, text: &[u8]) -> Option<NaiveDate> {
        let f = float(text)?;
        let d = calamine::ExcelDateTime::new(
            f,
            calamine::ExcelDateTimeType::DateTime,
            self.parts.is_1904,
        );
        let (y, m, day, h, min, s, ms) = d.to_ymd_hms_milli();
        if (h, min, s, ms) != (0, 0, 0, 0) {
            return None;
        }
        NaiveDate::from_ymd_opt(y.into(), m.into(), day.into())
    }

    fn cents(&self, v: Val) -> Option<i64> {
        match v {
            Val::Text(t) => parse_cents_bytes(trim_bytes(t)).ok(),
            Val::Number(text, style) if self.parts.style(style) == Style::Number => {
                // The usual spelling (digits, at most two decimals, at most 12 before the
                // point) is a number shown as written: its cents at once.
                if let Some(cents) = plain_cents(text) {
                    return Some(cents);
                }
                if !is_number(text) {
                    return None;
                }
                if shown_as_written(text) {
                    return parse_cents_bytes(text).ok();
                }
                let shown = Cell::Float(float(text)?)
                    .text(Some(Kind::Money), Numbers::Dollars)
                    .ok()?;
                parse_cents_bytes(shown.as_bytes()).ok()
            }
            _ => None,
        }
    }
}

/// A cell a blank row may hold.
fn is_blank(v: &Val) -> bool {
    match v {
        Val::Empty => true,
        Val::Text(t) => t.iter().all(|b| *b == b' ' || *b == b'\t'),
        Val::Number(..) => false,
    }
}

/// A number as XML writes it: `-?digits[.digits][e±digits]`.
fn is_number(b: &[u8]) -> bool {
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

fn float(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether the careful path would show this number as written: digits with at most two
/// decimals and at most 15 significant digits (a double holds those exactly as shown).
fn shown_as_written(b: &[u8]) -> bool {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(i) if i + 1 < b.len() => (&b[..i], &b[i + 1..]),
        Some(_) => return false,
        None => (b, &b[..0]),
    };
    let significant = int.iter().skip_while(|d| **d == b'0').count() + frac.len();
    !int.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.len() <= 2
        && frac.iter().all(u8::is_ascii_digit)
        && significant <= 15
}

/// `B12` → (column 1, row 12).
#[inline]
fn cell_ref(r: &[u8]) -> Option<(usize, u64)> {
    let letters = r.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let mut col = 0usize;
    for b in &r[..letters] {
        col = col * 26 + usize::from(b - b'A') + 1;
    }
    let row = number::<u64>(&r[letters..])?;
    Some((col - 1, row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::InputFile;
    use std::sync::Mutex;

    /// Loads `dir` as a run would (two threads, hashes).
    fn load_any(dir: &std::path::Path) -> Result<crate::input::DataSet, crate::input::InputError> {
        let book = crate::book::Book::embedded();
        let as_of = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let periods = Periods::new(&book.rules.windows, as_of);
        let opts = crate::input::Options {
            mode: crate::input::Mode::Strict,
            progress: false,
            adjust: None,
            threads: 2,
            hashes: true,
            every_error: false,
        };
        crate::input::load(dir, &periods, &opts)
    }

    /// Loads `dir` as a run would (two threads, hashes) and returns gmv_daily's report and
    /// every seller's sums, as text to compare.
    fn load(dir: &std::path::Path) -> String {
        let data = load_any(dir).unwrap();
        assert!(data.errors.is_empty(), "{:?}", data.errors);
        let report = &data.files[&crate::input::InputFile::GmvDaily];
        let mut out = format!("{:?} {:?}\n", report.rows, report.gmv);
        for (id, p) in &data.partners {
            for (seller, sums) in &p.sellers {
                out.push_str(&format!("{id} {seller} {sums:?}\n"));
            }
        }
        out
    }

    /// Tests that count workbooks on this path (or pin `FINDS`) run one at a time.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    #[test]
    fn workbooks_are_summed_on_the_fast_path_as_their_csv_is() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        for (constant_memory, third) in [(false, "S3"), (true, "S 3"), (true, "S&3")] {
            let rows = [
                ("2025-07-01", "P1", "S1", "1234.56"),
                ("2025-10-02", "P1", "S2", "7"),
                ("2025-11-13", "P2", "S1", "10.05"),
                ("2025-12-31", "P 3", third, "999999.99"),
            ];
            let csv_dir = tempfile::tempdir().unwrap();
            let mut csv = String::from(
                "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n",
            );
            for (d, p, s, g) in rows {
                csv.push_str(&format!("{d},{p},\"{s}\",{g},0,{g},1\n"));
            }
            std::fs::write(csv_dir.path().join("gmv_daily.csv"), csv).unwrap();
            let expected = load(csv_dir.path());
            {
                let dir = tempfile::tempdir().unwrap();
                let mut book = rust_xlsxwriter::Workbook::new();
                let sheet = if constant_memory {
                    book.add_worksheet_with_constant_memory().unwrap()
                } else {
                    book.add_worksheet()
                };
                let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
                let money = rust_xlsxwriter::Format::new().set_num_format("#,##0.00");
                let header = [
                    "Date",
                    "Partner ID",
                    "seller_id",
                    "gmv",
                    "short_video_gmv",
                    "live_gmv",
                    "affiliate_gmv",
                    "note",
                ];
                for (c, h) in header.iter().enumerate() {
                    sheet.write_string(0, c as u16, *h).unwrap();
                }
                for (r, (d, p, s, g)) in rows.iter().enumerate() {
                    let line = r as u32 + 1;
                    if r % 2 == 0 {
                        let day = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
                        let serial =
                            (day - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
                        sheet
                            .write_number_with_format(line, 0, serial as f64, &date)
                            .unwrap();
                    } else {
                        sheet.write_string(line, 0, *d).unwrap();
                    }
                    sheet.write_string(line, 1, *p).unwrap();
                    sheet.write_string(line, 2, *s).unwrap();
                    sheet
                        .write_number(line, 3, g.parse::<f64>().unwrap())
                        .unwrap();
                    sheet.write_number(line, 4, 0.0).unwrap();
                    sheet
                        .write_number_with_format(line, 5, g.parse::<f64>().unwrap(), &money)
                        .unwrap();
                    sheet.write_string(line, 6, " $1.00 ").unwrap();
                    sheet.write_string(line, 7, "n/a").unwrap();
                }
                book.save(dir.path().join("gmv_daily.xlsx")).unwrap();
                let before = SUMMED.load(Ordering::Relaxed);
                let got = load(dir.path());
                let after = SUMMED.load(Ordering::Relaxed);
                // `S&3` is written with an entity: the careful path reads it.
                let fast = !third.contains('&');
                assert_eq!(after > before, fast, "{constant_memory} {third}");
                assert_eq!(got, expected, "{constant_memory} {third}");
            }
        }
    }

    #[test]
    fn amounts_written_plainly_are_what_the_careful_path_shows() {
        let careful = |text: &str| {
            let f: f64 = text.parse().unwrap();
            Cell::Float(f)
                .text(Some(Kind::Money), Numbers::Dollars)
                .ok()
                .and_then(|s| parse_cents_bytes(s.as_bytes()).ok())
        };
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let digits = (seed % 14) as u32;
            let int = (seed >> 8) % 10u64.pow(digits);
            let text = match (seed >> 60) % 3 {
                0 => format!("{int}"),
                1 => format!("{int}.{}", (seed >> 20) % 10),
                _ => format!("{int}.{:02}", (seed >> 20) % 100),
            };
            if shown_as_written(text.as_bytes()) {
                assert_eq!(
                    parse_cents_bytes(text.as_bytes()).ok(),
                    careful(&text),
                    "{text}"
                );
            }
        }
        assert!(shown_as_written(b"14285.19"));
        assert!(shown_as_written(b"0.05"));
        assert!(!shown_as_written(b"1234.5678"));
        assert!(!shown_as_written(b"1.5E3"));
        assert!(!shown_as_written(b"12."));
        assert!(!shown_as_written(b"1234567890123.456"));
    }

    #[test]
    fn tags_and_attributes_are_read_strictly() {
        let t = tag(b"<c r=\"B2\" s='1' t=\"a>b\"/>", 0).unwrap();
        assert_eq!(t.name, b"c");
        assert!(t.empty && !t.closing);
        let [r, s, ty] = pick(t.attrs, [b"r".as_slice(), b"s", b"t"]).unwrap();
        assert_eq!(
            (r, s, ty),
            (Some(&b"B2"[..]), Some(&b"1"[..]), Some(&b"a>b"[..]))
        );
        assert!(tag(b"<!-- x -->", 0).is_none());
        assert!(tag(b"<c r=\"A1\"", 0).is_none());
        assert!(pick(b" r=\"A1\" x:r=\"A2\"", [b"r".as_slice()]).is_none());
        assert!(pick(b" r=\"A1\" r=\"A2\"", [b"r".as_slice()]).is_none());
        assert_eq!(cell_ref(b"AA10"), Some((26, 10)));
        assert_eq!(cell_ref(b"a1"), None);
    }

    #[test]
    fn only_certain_formats_are_dates_or_numbers() {
        assert_eq!(custom_style(b"yyyy-mm-dd"), Style::Date);
        assert_eq!(custom_style(b"d/m/yyyy"), Style::Date);
        assert_eq!(custom_style(b"#,##0.00"), Style::Number);
        assert_eq!(custom_style(b"\"$\"#,##0.00"), Style::Number);
        assert_eq!(custom_style(b"[$$-409]#,##0.00"), Style::Unknown);
        assert_eq!(custom_style(b"yyyy-mm-dd hh:mm"), Style::Unknown);
        assert_eq!(builtin_style(b"14"), Style::Date);
        assert_eq!(builtin_style(b"014"), Style::Unknown);
        assert_eq!(builtin_style(b"4"), Style::Number);
        assert_eq!(builtin_style(b"46"), Style::Unknown);
    }

    #[test]
    fn shared_strings_keep_their_places_whatever_their_shape() {
        let xml = b"<sst><si><t>P1</t></si><si><r><t>a</t></r></si><si/>\
                    <si><t xml:space=\"preserve\"> S 1 </t></si><si><t>A&amp;B</t></si>\
                    <si><t>\n x \n</t></si></sst>";
        let strings = shared_strings(xml).unwrap();
        assert_eq!(
            strings,
            vec![
                Some(b"P1".to_vec()),
                None,
                Some(Vec::new()),
                Some(b" S 1 ".to_vec()),
                None,
                Some(b"x".to_vec()),
            ]
        );
        assert!(shared_strings(b"<sst><!-- <si> --><si><t>a</t></si></sst>").is_none());
    }

    /// A workbook package whose only sheet holds `rows` (raw XML) after a header row,
    /// with a date style (1) and a number style (2).
    fn package(path: &std::path::Path, rows: &str) {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        let mut part = |name: &str, body: &str| {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        };
        part(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        );
        part(
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        );
        part(
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Daily" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        );
        part(
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
        );
        part(
            "xl/styles.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="4"/></cellXfs></styleSheet>"#,
        );
        let header: String = InputFile::GmvDaily
            .columns()
            .iter()
            .enumerate()
            .map(|(c, h)| {
                format!(
                    r#"<c r="{}1" t="inlineStr"><is><t>{h}</t></is></c>"#,
                    (b'A' + c as u8) as char
                )
            })
            .collect();
        part(
            "xl/worksheets/sheet1.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">{header}</row>{rows}</sheetData></worksheet>"#
            ),
        );
        zip.finish().unwrap();
    }

    /// Sheet row `r` (from 2) as XML and as CSV: a day of Q4, one of 9 partners, a seller
    /// per 90 rows, cells in the shapes writers use (styles, inline text, plain numbers).
    fn generated_row(r: usize) -> (String, String) {
        let serial = 45931 + (r % 90); // 2025-10-01 on
        let day =
            NaiveDate::from_ymd_opt(2025, 10, 1).unwrap() + chrono::Days::new((r % 90) as u64);
        let (p, s) = (format!("P{}", r / 90 % 9), format!("S{}", r / 90));
        let gmv = format!("{}.{:02}", r * 7 % 100_000, r % 100);
        let xml = format!(
            r#"<row r="{r}"><c r="A{r}" s="1"><v>{serial}</v></c><c r="B{r}" t="inlineStr"><is><t>{p}</t></is></c><c r="C{r}" t="inlineStr"><is><t>{s}</t></is></c><c r="D{r}"><v>{gmv}</v></c><c r="E{r}" s="2"><v>0</v></c><c r="F{r}" t="n"><v>0</v></c><c r="G{r}" t="n"><v>0</v></c><c r="H{r}"/></row>"#
        );
        let csv = format!("{day},{p},{s},{gmv},0,0,0\n");
        (xml, csv)
    }

    #[test]
    fn either_thread_finds_the_cells_of_a_batch_and_rows_must_come_in_order() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        // About 4 MB of sheet XML: several batches.
        let rows: Vec<(String, String)> = (2..15_000).map(generated_row).collect();
        let csv_dir = tempfile::tempdir().unwrap();
        let csv: String = rows.iter().map(|(_, c)| c.as_str()).collect();
        std::fs::write(
            csv_dir.path().join("gmv_daily.csv"),
            format!("{}\n{csv}", InputFile::GmvDaily.columns().join(",")),
        )
        .unwrap();
        let expected = load(csv_dir.path());
        let dir = tempfile::tempdir().unwrap();
        let xml: String = rows.iter().map(|(x, _)| x.as_str()).collect();
        package(&dir.path().join("gmv_daily.xlsx"), &xml);
        for finds in [1, 2, 0] {
            FINDS.store(finds, Ordering::Relaxed);
            let before = SUMMED.load(Ordering::Relaxed);
            let got = load(dir.path());
            FINDS.store(0, Ordering::Relaxed);
            assert_eq!(SUMMED.load(Ordering::Relaxed), before + 1, "finds {finds}");
            assert_eq!(got, expected, "finds {finds}");
        }
        // A row number again, or an earlier one, far into the sheet (on a row of its own
        // key and day): the careful path reads it.
        for again in [14_999, 3] {
            let mut xml = xml.clone();
            xml.push_str(
                &generated_row(15_000)
                    .0
                    .replace("15000\"", &format!("{again}\"")),
            );
            package(&dir.path().join("gmv_daily.xlsx"), &xml);
            let bytes = std::fs::read(dir.path().join("gmv_daily.xlsx")).unwrap();
            let parts = Parts::find(&bytes, "Daily").unwrap();
            // Each row is found as it stands...
            assert!(batches(&bytes, parts.sheet, |batch| batch.find(&parts)));
            for finds in [1, 2] {
                FINDS.store(finds, Ordering::Relaxed);
                let before = SUMMED.load(Ordering::Relaxed);
                let _ = load_any(dir.path());
                FINDS.store(0, Ordering::Relaxed);
                // ...but the sheet is not summed here.
                assert_eq!(SUMMED.load(Ordering::Relaxed), before, "row {again} again");
            }
        }
    }

    /// Cells in the shapes `quick_cell` reads, and every one-byte change, deletion and
    /// doubling of them: whatever it reads, the general reader reads alike.
    #[test]
    fn quick_cells_are_read_exactly_as_the_general_reader_reads_them() {
        let parts = Parts {
            sheet: 0,
            checked: vec![0],
            strings: vec![Some(b"P1".to_vec()), None, Some(b"S 1".to_vec())],
            styles: vec![Style::Number, Style::Date],
            is_1904: false,
        };
        let cells: [&[u8]; 12] = [
            br#"<c r="A2" s="1"><v>45931</v></c>"#,
            br#"<c r="B2" t="inlineStr"><is><t>P00465</t></is></c>"#,
            br#"<c r="C2" t="inlineStr"><is><t> S 1 </t></is></c>"#,
            br#"<c r="D2"><v>14285.19</v></c>"#,
            br#"<c r="E2" s="0" t="n"><v>-1.5E3</v></c>"#,
            br#"<c r="F2" t="s"><v>2</v></c>"#,
            br#"<c r="F2" s="3" t="s"><v>0</v></c>"#,
            br#"<c r="G2"/>"#,
            br#"<c r="AB2" s="1"/>"#,
            br#"<c r="XFD2"></c>"#,
            br#"<c r="C2" t="inlineStr"><is><t></t></is></c>"#,
            br#"<c r="C12345" t="inlineStr"><is><t>A&amp;B</t></is></c>"#,
        ];
        let check = |cell: &[u8]| {
            // What follows a cell in a row.
            let mut buf = cell.to_vec();
            buf.extend_from_slice(b"</row>");
            if let Some(quick) = quick_cell(&parts, &buf, 0, (b"2", 2)) {
                let general = any_cell(&parts, &buf, 0);
                assert_eq!(Some(quick), general, "{}", String::from_utf8_lossy(cell));
                return true;
            }
            false
        };
        let mut quick = 0;
        for cell in cells {
            quick += usize::from(check(cell));
            for i in 0..cell.len() {
                for b in [
                    b'"', b' ', b'<', b'>', b'/', b'0', b'9', b'A', b'Z', b'a', b's', b'&', b'\r',
                    b'\n', b'\'',
                ] {
                    let mut changed = cell.to_vec();
                    changed[i] = b;
                    check(&changed);
                    changed.insert(i, b);
                    check(&changed);
                }
                let mut cut = cell.to_vec();
                cut.remove(i);
                check(&cut);
                check(&cell[..i]);
            }
        }
        // All but the one with an entity (in another row) take the quick way.
        assert_eq!(quick, cells.len() - 1);
    }

    /// The sheet inflated from memory is the entry the zip reader reads, or an error: a
    /// damaged entry (any byte of its data changed, or cut short) is never read as rows
    /// the zip reader would not give.
    #[test]
    fn the_sheet_is_inflated_as_the_zip_reader_reads_it_or_not_at_all() {
        use std::io::Write;
        let rows: String = (2..3_000).map(|r| generated_row(r).0).collect();
        for body in [Vec::new(), b"<x/>".to_vec(), rows.into_bytes()] {
            let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
            zip.start_file("s.xml", zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(&body).unwrap();
            let package = zip.finish().unwrap().into_inner();
            let read = |bytes: &[u8]| {
                let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
                let mut deflated = Deflated::of(&mut zip, bytes, 0)?;
                let mut ours = Vec::new();
                let ours = deflated.read_to_end(&mut ours).map(|_| ours);
                let mut theirs = Vec::new();
                let theirs = zip
                    .by_index(0)
                    .ok()
                    .and_then(|mut e| e.read_to_end(&mut theirs).ok().map(|_| theirs));
                Some((ours.ok(), theirs))
            };
            assert_eq!(
                read(&package),
                Some((Some(body.clone()), Some(body.clone())))
            );
            let start = package.len() - 1;
            let data = {
                let mut zip = zip::ZipArchive::new(Cursor::new(&package[..])).unwrap();
                let raw = zip.by_index_raw(0).unwrap();
                raw.data_start().unwrap() as usize..start
            };
            let step = (data.len() / 120).max(1);
            for at in data.clone().step_by(step) {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut damaged = package.clone();
                    damaged[at] ^= flip;
                    if let Some((Some(ours), theirs)) = read(&damaged) {
                        assert_eq!(Some(&ours), theirs.as_ref(), "byte {at} ^ {flip:#x}");
                        assert_eq!(ours, body, "byte {at} ^ {flip:#x}");
                    }
                }
            }
            // Deflated data cut short (the entry's size kept) is an error.
            let mut zip = zip::ZipArchive::new(Cursor::new(&package[..])).unwrap();
            let mut deflated = Deflated::of(&mut zip, &package, 0).unwrap();
            deflated.input = &deflated.input[..deflated.input.len() / 2];
            let mut out = Vec::new();
            assert!(body.len() < 100 || deflated.read_to_end(&mut out).is_err());
        }
    }

    #[test]
    fn the_word_at_a_time_search_finds_the_first_angle_bracket() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..40 {
            for _ in 0..200 {
                let buf: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        // `<` and its neighbours (`;`, `=`) and bytes past 0x80 often.
                        [b'<', b';', b'=', 0xbc, 0x3c ^ 0x80, b'1'][(seed % 6) as usize]
                    })
                    .collect();
                for at in 0..=len {
                    assert_eq!(
                        find_lt(&buf, at),
                        buf[at..].iter().position(|c| *c == b'<').map(|k| at + k),
                        "{buf:?} from {at}"
                    );
                }
            }
        }
    }
}
