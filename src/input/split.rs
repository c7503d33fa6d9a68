//! The fast path for a plain dated file: it is cut at line breaks into one part per thread,
//! each part is parsed and summed on its own thread, and the parts' sums are merged in file
//! order while the first thread hashes the file.
//!
//! Cutting at a line break is only safe when no field can hold one, and a part cannot know
//! its line numbers, so the fast path only finishes on files where nothing needs them: no
//! quote other than around a whole cell (and none inside it), no carriage return outside a CRLF line ending, no line over 64 KiB
//! (counting the empty lines before it), no bad row and no duplicate key. On anything else it gives up before touching the results,
//! and the careful path reads the file from the start. Sums are exact integer cents and keys
//! are merged in order of first appearance, so both paths give identical results.

use super::coverage::DayCounts;
use super::dated::{CentTally, DatedSink, DayRow, Layout, Presence, View, LOOKUP_BATCH};
use super::mapped::{leaves_room, Mapping};
use super::reader::{cents_in, sha256_of, sha256_of_bytes, CsvFile, SpanDays, MAX_RECORD_BYTES};
use crate::progress::Progress;
use crate::window::Periods;
use chrono::NaiveDate;
use memchr::memrchr;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Bytes read at once by a part; a full buffer without a line break holds a line longer
/// than any a part reads.
const BLOCK: usize = 2 * MAX_RECORD_BYTES as usize;

/// Longest line the parts read (with the empty lines before it), far past any real row and
/// far below the record length limit (`MAX_RECORD_BYTES`): longer ones go to the careful
/// path, which alone applies that limit.
const LONGEST_PLAIN_LINE: usize = 64 << 10;

/// What every part needs to know about the file.
pub(super) struct Plan<'a> {
    /// The file's name in messages.
    pub name: &'static str,
    pub file: &'a File,
    pub size: u64,
    pub data_start: u64,
    pub header_len: usize,
    /// Cell index of each column of `layout`, in order.
    pub positions: &'a [usize],
    pub layout: &'a Layout,
    pub periods: &'a Periods,
    /// Dates read straight to their day of `periods.span`.
    pub days: SpanDays,
    pub progress: &'a Progress,
    /// Compute the file's sha256 (on the calling thread, while the parts are read).
    pub hash: bool,
    /// gmv_daily's own seven columns in their order, and nothing else: plain lines are
    /// then read by `plain_row` without listing their cells.
    pub standard_layout: bool,
}

impl<'a> Plan<'a> {
    /// The plan for `csv`, whose header is read.
    pub fn of(
        csv: &'a CsvFile,
        layout: &'a Layout,
        periods: &'a Periods,
        progress: &'a Progress,
        hash: bool,
    ) -> Plan<'a> {
        Plan {
            name: csv.name,
            file: csv.file(),
            size: csv.size,
            data_start: csv.data_start(),
            header_len: csv.header_len(),
            positions: csv.positions(),
            layout,
            periods,
            days: SpanDays::new(periods.span),
            progress,
            hash,
            standard_layout: (layout.ids, layout.amounts) == (2, 4)
                && layout.channels_within_gmv
                && csv.header_len() == 7
                && csv.positions().iter().copied().eq(0..7),
        }
    }
}

/// A finished file: its merged sums and tallies, and its sha256 when asked for.
pub(super) struct Whole<S> {
    pub sink: S,
    /// The (key, day) pairs on an accepted row.
    pub presence: Presence,
    pub tally: CentTally,
    /// Accepted rows per day, over all parts.
    pub days: DayCounts,
    pub sha256: Option<String>,
}

/// What the parts share while they run.
struct Shared {
    /// Bytes parsed, for the progress bar.
    parsed: AtomicU64,
    /// A part found something for the careful path.
    given_up: AtomicBool,
    /// The next range of the file no part has taken.
    next_range: AtomicUsize,
}

/// Ranges per part. A part's sums do not depend on which rows it read (the merged sums
/// are the same for any cut, as they are for any number of parts), so ranges go to
/// whichever part is free.
const RANGES_PER_PART: usize = 16;

struct Part<S> {
    sums: PartSums<S>,
    /// Bytes of the empty lines since the last line with content.
    empty_run: usize,
    dates: DateCache,
}

/// Dates read lately by `plain_row`, by their ten bytes: a file holds few distinct dates,
/// and finding one here costs a fraction of reading it.
struct DateCache {
    entries: [Option<DateEntry>; DATE_CACHE],
}

/// A date's ten bytes (as two words) and what `SpanDays::read` makes of them.
#[derive(Clone, Copy)]
struct DateEntry {
    head: u64,
    tail: u16,
    date: NaiveDate,
    day: Option<usize>,
}

const DATE_CACHE: usize = 32;

impl DateCache {
    fn new() -> DateCache {
        DateCache {
            entries: [None; DATE_CACHE],
        }
    }

    /// `days.read(cell)`, for a cell of ten bytes.
    #[inline(always)]
    fn read(&mut self, days: &SpanDays, cell: &[u8]) -> Option<(NaiveDate, Option<usize>)> {
        let (head, tail) = cell.split_at(8);
        let head = u64::from_le_bytes(head.try_into().expect("ten bytes"));
        let tail = u16::from_le_bytes(tail.try_into().expect("ten bytes"));
        let mixed = (head ^ u64::from(tail) << 8).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = &mut self.entries[(mixed >> 59) as usize % DATE_CACHE];
        match slot {
            Some(e) if e.head == head && e.tail == tail => Some((e.date, e.day)),
            _ => {
                // Only dates read whole are kept: a refused one goes to `add_line`.
                let (date, day) = days.read(cell)?;
                *slot = Some(DateEntry {
                    head,
                    tail,
                    date,
                    day,
                });
                Some((date, day))
            }
        }
    }
}

/// Reads the file in `parts` parts; `None` when the careful path must read it instead.
/// `sink` only provides empty sinks of its kind and is left as it was.
pub(super) fn read<S: DatedSink>(plan: &Plan, sink: &S, parts: usize) -> Option<Whole<S>> {
    // Parts and hash read the file's pages where they lie instead of each copying them.
    let mapping = leaves_room(plan.size)
        .then(|| Mapping::of(plan.file, plan.size, plan.name))
        .flatten();
    read_from(plan, sink, parts, mapping.as_ref())
}

/// `read`, from the file's `mapping` or, without one, by reading the file.
fn read_from<S: DatedSink>(
    plan: &Plan,
    sink: &S,
    parts: usize,
    mapping: Option<&Mapping>,
) -> Option<Whole<S>> {
    // More ranges than parts, taken in turn: a part that runs slower (its share of the
    // cores went to the hash, or to another program) leaves its ranges to the others
    // instead of the whole file waiting for its last half.
    let ranges = cut(plan, parts * RANGES_PER_PART)?;
    let shared = Shared {
        parsed: AtomicU64::new(0),
        given_up: AtomicBool::new(false),
        next_range: AtomicUsize::new(0),
    };
    let bytes = match mapping {
        Some(mapping) => Bytes::Mapped(mapping),
        None => Bytes::Read(plan.file),
    };
    let (done, sha256) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..parts.min(ranges.len()))
            .map(|_| {
                let part = sink.part();
                let (shared, ranges) = (&shared, &ranges);
                scope.spawn(move || {
                    let done = read_part(plan, bytes, ranges, part, shared);
                    if done.is_none() {
                        // The careful path reads the whole file anyway: stop the others.
                        shared.given_up.store(true, Ordering::Relaxed);
                    }
                    done
                })
            })
            .collect();
        let sha256 = plan.hash.then(|| match bytes {
            Bytes::Mapped(mapping) => {
                let mut released = 0;
                Ok(sha256_of_bytes(mapping.bytes(), &shared.given_up, |to| {
                    released = mapping.release(released, to);
                }))
            }
            Bytes::Read(file) => sha256_of(file, plan.size, &shared.given_up),
        });
        let done: Vec<_> = workers
            .into_iter()
            .map(|w| w.join().expect("a part's thread does not panic"))
            .collect();
        (done, sha256)
    });
    merge(done.into_iter().map(|p| p.map(|p| p.sums)), sha256)
}

/// One part's (or run's) sums of clean rows: its sink, (key, day) pairs, tally and rows
/// per day.
pub(super) struct PartSums<S> {
    pub sink: S,
    pub presence: Presence,
    pub tally: CentTally,
    pub days: DayCounts,
}

impl<S: DatedSink> PartSums<S> {
    pub fn new(sink: S, periods: &Periods) -> PartSums<S> {
        PartSums {
            sink,
            presence: Presence::new(periods),
            tally: CentTally::default(),
            days: DayCounts::default(),
        }
    }

    /// Folds in one clean row; false when the careful path must read the file: a new
    /// key whose ids are not text, or a (key, day) already read (a duplicate it names).
    #[inline]
    pub fn add_row(&mut self, view: &View, periods: &Periods) -> bool {
        self.tally.add_read(view.amounts[0]);
        match self.sink.key(view) {
            Some(key) => self.add_keyed(key, view, periods),
            None => false,
        }
    }

    /// `add_row` for a row already counted as read, whose key is `key`.
    #[inline]
    pub fn add_keyed(&mut self, key: usize, view: &View, periods: &Periods) -> bool {
        if !self.presence.insert(key, view.date, periods) {
            return false;
        }
        let d = self.sink.apply(key, view, periods, 1);
        self.tally.add_disposed(d, view.amounts[0]);
        self.days.mark(view.date, periods);
        true
    }
}

/// Merges the parts in file order with the file's sha256; `None` when a part gave up, a
/// key and day is in two parts (a duplicate: the careful path names its lines), or the
/// hash could not be taken (a read error the careful path reports, or the parts gave up).
pub(super) fn merge<S: DatedSink>(
    mut done: impl Iterator<Item = Option<PartSums<S>>>,
    sha256: Option<std::io::Result<Option<String>>>,
) -> Option<Whole<S>> {
    let PartSums {
        mut sink,
        mut presence,
        mut tally,
        mut days,
    } = done.next()??;
    for part in done {
        let PartSums {
            sink: part_sink,
            presence: part_presence,
            tally: part_tally,
            days: part_days,
        } = part?;
        let map = sink.absorb(part_sink);
        if !presence.absorb(&part_presence, &map) {
            return None;
        }
        tally.absorb(&part_tally);
        days.absorb(&part_days);
    }
    Some(Whole {
        sink,
        presence,
        tally,
        days,
        sha256: match sha256 {
            None => None,
            Some(Ok(Some(hash))) => Some(hash),
            Some(_) => return None,
        },
    })
}

/// Byte ranges of the parts: each after the previous one's last line break.
fn cut(plan: &Plan, parts: usize) -> Option<Vec<(u64, u64)>> {
    let len = plan.size.checked_sub(plan.data_start)?;
    let mut starts = vec![plan.data_start];
    let mut buf = vec![0u8; 64 << 10];
    for k in 1..parts as u64 {
        let guess = plan.data_start + len * k / parts as u64;
        if guess <= *starts.last().expect("starts is never empty") {
            continue;
        }
        let n = read_fully(plan.file, &mut buf, guess).ok()?;
        // No line break near the guess: a very long line; fewer parts will do.
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            let start = guess + i as u64 + 1;
            if start < plan.size {
                starts.push(start);
            }
        }
    }
    let ends = starts.iter().skip(1).copied().chain([plan.size]);
    Some(starts.iter().copied().zip(ends).collect())
}

/// Fills `buf` from `pos` as far as the file goes; returns the bytes read.
fn read_fully(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], pos + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Where the parts' bytes come from: the file's mapping, or reads of the file into a
/// buffer of each part's own (a file the system would not map).
#[derive(Clone, Copy)]
enum Bytes<'a> {
    Mapped(&'a Mapping),
    Read(&'a File),
}

fn read_part<S: DatedSink>(
    plan: &Plan,
    bytes: Bytes,
    ranges: &[(u64, u64)],
    sink: S,
    shared: &Shared,
) -> Option<Part<S>> {
    let mut part = Part {
        sums: PartSums::new(sink, plan.periods),
        empty_run: 0,
        dates: DateCache::new(),
    };
    while let Some(&range) = ranges.get(shared.next_range.fetch_add(1, Ordering::Relaxed)) {
        read_range(plan, bytes, range, &mut part, shared)?;
    }
    Some(part)
}

/// Reads the lines of one range (from a line's start) into `part`; `None` when the
/// careful path must read the file.
fn read_range<S: DatedSink>(
    plan: &Plan,
    bytes: Bytes,
    (start, end): (u64, u64),
    part: &mut Part<S>,
    shared: &Shared,
) -> Option<()> {
    // Empty lines are measured with the line after them, also across ranges.
    part.empty_run = empty_run_before(plan, bytes, start)?;
    // A part smaller than a block is read whole.
    let block_len = BLOCK.min((end - start) as usize);
    let mut buf = match bytes {
        Bytes::Mapped(_) => Vec::new(),
        Bytes::Read(_) => vec![0u8; block_len],
    };
    let mut cells = Vec::with_capacity(plan.header_len);
    let (mut pos, mut kept) = (start, 0);
    // Where this part's pages of a mapping are released to.
    let mut released = start as usize;
    while pos < end {
        if shared.given_up.load(Ordering::Relaxed) {
            return None;
        }
        let want = (block_len - kept).min((end - pos) as usize);
        // The `kept` bytes of an unfinished line, then `want` more.
        let block = match bytes {
            Bytes::Mapped(mapping) => &mapping.bytes()[(pos as usize - kept)..pos as usize + want],
            Bytes::Read(file) => {
                let n = read_fully(file, &mut buf[kept..kept + want], pos).ok()?;
                if n < want {
                    return None; // the file shrank while read
                }
                &buf[..kept + want]
            }
        };
        pos += want as u64;
        let filled = kept + want;
        let at_end = pos == end;
        // Whole lines only; the last part's final line may lack its line break.
        let upto = match memrchr(b'\n', block) {
            Some(i) if !at_end => i + 1,
            _ if at_end => filled,
            _ => return None, // a line longer than a block
        };
        let text = &block[..upto];
        if !plain(text, at_end && plan.size == end) {
            return None;
        }
        // Spreadsheet exports quote every cell: only a block with a quote pays for them.
        let quoted = memchr::memchr(b'"', text).is_some();
        // One scan finds every cell and line end of the block.
        let mut cell_start = 0;
        // In a block with quotes: where the line starts, and its cells in quotes.
        let (mut line_start, mut quoted_cells) = (0, 0);
        // Parsed rows wait to be folded in together (`Part::fold_in`).
        let mut rows: Vec<DayRow> = Vec::with_capacity(LOOKUP_BATCH);
        let mut separator = |i: usize| {
            let line_end = i == upto || text[i] == b'\n';
            if quoted {
                match cell_ends(text, cell_start, i, line_end) {
                    Cell::Whole => {}
                    Cell::Quoted => quoted_cells += 1,
                    Cell::GoesOn => return true,
                    Cell::Careful => return false,
                }
                // Every quote of the line must be an end of a cell in quotes.
                if line_end {
                    if count_quotes(&text[line_start..i]) != 2 * quoted_cells {
                        return false;
                    }
                    (line_start, quoted_cells) = (i + 1, 0);
                }
            }
            cells.push((cell_start, i));
            cell_start = i + 1;
            let fine = !line_end || part.add_line(text, &mut cells, plan, &mut rows);
            if line_end {
                cells.clear();
            }
            fine
        };
        let unterminated = upto > 0 && text[upto - 1] != b'\n';
        let fine = if plan.standard_layout {
            part.add_plain_lines(text, quoted, &mut cells, plan, &mut rows)
        } else {
            each_separator(text, &mut separator) && (!unterminated || separator(upto))
        };
        if !fine || !part.fold_in(&mut rows, plan) {
            return None;
        }
        kept = filled - upto;
        match bytes {
            Bytes::Mapped(mapping) => released = mapping.release(released, pos as usize - kept),
            Bytes::Read(_) => buf.copy_within(upto..filled, 0),
        }
        shared.parsed.fetch_add(upto as u64, Ordering::Relaxed);
        plan.progress.tick(&shared.parsed);
    }
    Some(())
}

/// Bytes of the empty lines (`\n` or `\r\n`) just before `start` (a line's start), as a
/// part reading on from before would hold them; past `LONGEST_PLAIN_LINE` it stops
/// counting, as that part would then have gone to the careful path.
fn empty_run_before(plan: &Plan, bytes: Bytes, start: u64) -> Option<usize> {
    let from = start
        .saturating_sub(LONGEST_PLAIN_LINE as u64 + 3)
        .max(plan.data_start);
    let mut buf = Vec::new();
    let before = match bytes {
        Bytes::Mapped(mapping) => &mapping.bytes()[from as usize..start as usize],
        Bytes::Read(file) => {
            buf.resize((start - from) as usize, 0);
            if read_fully(file, &mut buf, from).ok()? < buf.len() {
                return None; // the file shrank while read
            }
            &buf[..]
        }
    };
    // `before` ends with the line break of the line before `start`; whether a line is
    // empty depends on the byte before it, so the window's first line is never counted
    // unless it starts the data.
    let starts_data = from == plan.data_start;
    let mut end = before.len();
    let mut run = 0;
    while run <= LONGEST_PLAIN_LINE {
        let len = match before[..end] {
            [.., b'\r', b'\n'] => 2,
            [.., b'\n'] => 1,
            _ => break,
        };
        let line_start = end - len;
        let empty = if line_start == 0 {
            starts_data
        } else {
            before[line_start - 1] == b'\n'
        };
        if !empty {
            break;
        }
        run += len;
        end = line_start;
    }
    Some(run)
}

/// Calls `f` with the position of every comma and line feed of `text`, in order, until it
/// returns false; returns whether it never did. Separators come every few bytes in a CSV
/// row, so this tests eight bytes at a time rather than searching from each one.
#[inline(always)]
fn each_separator(text: &[u8], mut f: impl FnMut(usize) -> bool) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The top bit of each zero byte of `v`, exactly (no carry crosses bytes).
    let zero_bytes = |v: u64| !(((v & LOW7) + LOW7) | v | LOW7);
    let (comma, line_feed) = (ONES * u64::from(b','), ONES * u64::from(b'\n'));
    let mut chunks = text.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
        let mut found = zero_bytes(word ^ comma) | zero_bytes(word ^ line_feed);
        while found != 0 {
            if !f(base + found.trailing_zeros() as usize / 8) {
                return false;
            }
            found &= found - 1;
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .enumerate()
        .all(|(i, b)| !matches!(b, b',' | b'\n') || f(base + i))
}

/// Every carriage return ends a line (or the file).
fn plain(text: &[u8], ends_file: bool) -> bool {
    memchr::memchr_iter(b'\r', text).all(|i| match text.get(i + 1) {
        Some(next) => *next == b'\n',
        None => ends_file,
    })
}

/// What a separator at `end` makes of the cell from `start` in a block holding quotes,
/// judged by the cell's ends alone; a quote anywhere else is caught per line, where all
/// of a line's quotes must be the ends of its cells in quotes (`count_quotes`).
#[derive(Debug, PartialEq, Eq)]
enum Cell {
    /// The cell ends here, without quotes around it.
    Whole,
    /// The cell ends here, in quotes.
    Quoted,
    /// A comma inside a quoted cell: the cell goes on.
    GoesOn,
    /// Anything the careful path must read: text after the closing quote, a line break
    /// inside quotes.
    Careful,
}

/// Only the simplest quoting is read here: a cell that is `"`, text without a quote, `"`
/// (then the separator, or CR LF). The cell's text is then what the csv crate reads from
/// it on the careful path, commas included.
#[inline(always)]
fn cell_ends(text: &[u8], start: usize, end: usize, line_end: bool) -> Cell {
    let raw = &text[start..end];
    if raw.first() != Some(&b'"') {
        return Cell::Whole;
    }
    match raw {
        [_, .., b'"'] => Cell::Quoted,
        [_, .., b'"', b'\r'] if line_end => Cell::Quoted,
        _ if line_end => Cell::Careful,
        _ => Cell::GoesOn,
    }
}

/// The quotes in `bytes`, eight bytes at a time.
fn count_quotes(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let quotes = ONES * u64::from(b'"');
    let mut chunks = bytes.chunks_exact(8);
    let mut count = 0;
    for chunk in &mut chunks {
        let v = u64::from_le_bytes(chunk.try_into().expect("chunks of eight")) ^ quotes;
        // The top bit of each zero byte of `v`, exactly (no carry crosses bytes).
        count += (!(((v & LOW7) + LOW7) | v | LOW7)).count_ones() as usize;
    }
    count + chunks.remainder().iter().filter(|c| **c == b'"').count()
}

/// Bytes of a line `Part::add_plain_lines` reads straight from its separators (with its
/// line break): gmv_daily rows are about sixty.
const WINDOW: usize = 64;

/// For each byte of `bytes`, where `window` holds it, one bit per byte of the window.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn byte_masks<const N: usize>(window: &[u8; WINDOW], bytes: [u8; N]) -> [u64; N] {
    use std::arch::x86_64::*;
    let mut masks = [0u64; N];
    for (k, chunk) in window.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of every x86-64 target, and the load reads the sixteen
        // bytes of `chunk`.
        let x = unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) };
        for (mask, b) in masks.iter_mut().zip(bytes) {
            // SAFETY: as above; these work on registers only.
            let m = unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b as i8))) };
            *mask |= u64::from(m as u16) << (16 * k);
        }
    }
    masks
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn byte_masks<const N: usize>(window: &[u8; WINDOW], bytes: [u8; N]) -> [u64; N] {
    let mut masks = [0u64; N];
    for (k, chunk) in window.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of eight"));
        for (mask, b) in masks.iter_mut().zip(bytes) {
            *mask |= byte_bits(equal_bytes(word, b)) << (8 * k);
        }
    }
    masks
}

/// The top bit of each byte of `word` equal to `b`, exactly (no carry crosses bytes).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn equal_bytes(word: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let v = word ^ (0x0101_0101_0101_0101 * u64::from(b));
    !(((v & LOW7) + LOW7) | v | LOW7)
}

/// The top bits of the eight bytes of `marks` (`equal_bytes`) as eight bits, byte 0 lowest.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn byte_bits(marks: u64) -> u64 {
    // Bit 8i moves to bit 56 + i; no two products meet in the top byte.
    ((marks >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// The cells of the line from `start` whose line feed is the first bit of `line_feeds`
/// (counted from `start`), as `add_line` would get them, when the line has seven cells and
/// is read here: the cells' ranges and the line's length. `quotes`: the bits of the
/// line's quotes, when the block has any; every cell must then be in quotes and hold none
/// (the ranges are then inside them), as spreadsheet exports write them.
#[inline(always)]
fn seven_cells(
    text: &[u8],
    start: usize,
    mut commas: u128,
    line_feeds: u128,
    quotes: Option<u128>,
) -> Option<([(usize, usize); 7], usize)> {
    let len = line_feeds.trailing_zeros() as usize;
    if len >= 128 {
        return None;
    }
    let within = !(u128::MAX << len);
    commas &= within;
    if commas.count_ones() != 6 {
        return None;
    }
    let mut cells = [(0usize, 0usize); 7];
    let mut cell_start = start;
    for cell in &mut cells[..6] {
        let end = start + commas.trailing_zeros() as usize;
        commas &= commas - 1;
        *cell = (cell_start, end);
        cell_start = end + 1;
    }
    // A CRLF line's last cell ends before its CR, as in `add_line`.
    let mut last = start + len;
    if last > cell_start && text[last - 1] == b'\r' {
        last -= 1;
    }
    cells[6] = (cell_start, last);
    if let Some(quotes) = quotes {
        // The quotes `cell_ends` and `count_quotes` accept, and no other: one at each end
        // of every cell (fourteen places, all apart) and as many in the line as that.
        if (quotes & within).count_ones() as usize != 2 * cells.len() {
            return None;
        }
        for (a, b) in &mut cells {
            if *b - *a < 2 || text[*a] != b'"' || text[*b - 1] != b'"' {
                return None;
            }
            (*a, *b) = (*a + 1, *b - 1);
        }
    }
    Some((cells, len))
}

/// The row of the seven `cells` (`seven_cells`) when it is one `clean_row` reads as it
/// stands: a ten-byte date, ids without blanks at their ends, amounts in a spelling
/// `cents_in` reads. `None` for anything else, which `add_line` then reads, so what is
/// accepted here is exactly what it accepts, with the same figures.
#[inline(always)]
fn plain_row<'t>(
    text: &'t [u8],
    cells: &[(usize, usize); 7],
    plan: &Plan,
    dates: &mut DateCache,
) -> Option<DayRow<'t>> {
    let (a, b) = cells[0];
    if b - a != 10 {
        return None;
    }
    let (date, day) = dates.read(&plan.days, &text[a..b])?;
    let blank = |c: u8| c == b' ' || c == b'\t';
    let mut ids: [&[u8]; 3] = [b""; 3];
    for (id, &(a, b)) in ids[..2].iter_mut().zip(&cells[1..3]) {
        if a == b || blank(text[a]) || blank(text[b - 1]) {
            return None;
        }
        *id = &text[a..b];
    }
    // A blank around an amount fails `cents_in`, and `add_line` trims it.
    let mut amounts = [0; 4];
    for (amount, &(a, b)) in amounts.iter_mut().zip(&cells[3..]) {
        *amount = cents_in(text, a, b).ok()?;
    }
    if plan.layout.channel_over_gmv(&amounts, 4) {
        return None;
    }
    Some((View { date, ids, amounts }, day))
}

/// Where the cells of the line `text[start..end]` (without its line feed) are, as the
/// scan of a whole block finds them (see `read_range`); false when the careful path must
/// read the line.
fn line_cells(
    text: &[u8],
    (start, end): (usize, usize),
    quoted: bool,
    cells: &mut Vec<(usize, usize)>,
) -> bool {
    cells.clear();
    let (mut cell_start, mut quoted_cells) = (start, 0);
    let commas = memchr::memchr_iter(b',', &text[start..end]).map(|i| start + i);
    for i in commas.chain([end]) {
        if quoted {
            match cell_ends(text, cell_start, i, i == end) {
                Cell::Whole => {}
                Cell::Quoted => quoted_cells += 1,
                Cell::GoesOn => continue,
                Cell::Careful => return false,
            }
        }
        cells.push((cell_start, i));
        cell_start = i + 1;
    }
    // Every quote of the line must be an end of a cell in quotes.
    !quoted || count_quotes(&text[start..end]) == 2 * quoted_cells
}

impl<S: DatedSink> Part<S> {
    /// Folds in the lines of `text`, a block of a file in the standard layout: a usual
    /// row is read straight from its separators (`seven_cells`, `plain_row`), any other
    /// line through `add_line` as in other files. `quoted`: the block holds a quote.
    /// False when the careful path must read the file.
    fn add_plain_lines<'t>(
        &mut self,
        text: &'t [u8],
        quoted: bool,
        cells: &mut Vec<(usize, usize)>,
        plan: &Plan,
        rows: &mut Vec<DayRow<'t>>,
    ) -> bool {
        let mut start = 0;
        while start < text.len() {
            // After empty lines the row is measured with them: `add_line` does that.
            if self.empty_run == 0 {
                let found = if quoted {
                    text.get(start..start + 2 * WINDOW).and_then(|window| {
                        let (low, high) = window.split_at(WINDOW);
                        let [c0, l0, q0] = byte_masks(low.try_into().ok()?, [b',', b'\n', b'"']);
                        let [c1, l1, q1] = byte_masks(high.try_into().ok()?, [b',', b'\n', b'"']);
                        let wide = |low: u64, high: u64| u128::from(low) | u128::from(high) << 64;
                        seven_cells(text, start, wide(c0, c1), wide(l0, l1), Some(wide(q0, q1)))
                    })
                } else {
                    text.get(start..start + WINDOW).and_then(|window| {
                        let [c, l] = byte_masks(window.try_into().ok()?, [b',', b'\n']);
                        seven_cells(text, start, c.into(), l.into(), None)
                    })
                };
                let row = found.and_then(|(seven, len)| {
                    plain_row(text, &seven, plan, &mut self.dates).map(|row| (row, len))
                });
                if let Some((row, len)) = row {
                    rows.push(row);
                    if rows.len() == LOOKUP_BATCH && !self.fold_in(rows, plan) {
                        return false;
                    }
                    start += len + 1;
                    continue;
                }
            }
            let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
            if !line_cells(text, (start, end), quoted, cells)
                || !self.add_line(text, cells, plan, rows)
            {
                return false;
            }
            start = end + 1;
        }
        cells.clear();
        true
    }

    /// Folds in one line, given as the byte ranges of its cells in `text`; false when the
    /// line needs the careful path.
    fn add_line<'t>(
        &mut self,
        text: &'t [u8],
        cells: &mut [(usize, usize)],
        plan: &Plan,
        rows: &mut Vec<DayRow<'t>>,
    ) -> bool {
        let (Some(&(start, _)), Some(&(_, end))) = (cells.first(), cells.last()) else {
            return true;
        };
        // The careful path measures a record together with the empty lines its parser
        // skipped before it: so are lines measured here.
        let measured = self.empty_run + (end - start);
        if measured > LONGEST_PLAIN_LINE {
            return false;
        }
        // A CRLF line's last cell ends before its CR (`plain` allows no other CR).
        if let Some(last) = cells.last_mut() {
            if last.1 > last.0 && text[last.1 - 1] == b'\r' {
                last.1 -= 1;
            }
        }
        if let [(a, b)] = cells {
            if a == b {
                self.empty_run = measured + 1; // with its line break
                return true;
            }
        }
        self.empty_run = 0;
        if cells.len() != plan.header_len {
            let trailing = cells.get(plan.header_len..).unwrap_or_default();
            if trailing.is_empty()
                || !trailing
                    .iter()
                    .all(|(a, b)| super::reader::trim_bytes(&text[*a..*b]).is_empty())
            {
                // Blank lines are skipped, as the careful path does.
                return match cells {
                    [(a, b)] => text[*a..*b].iter().all(|c| *c == b' ' || *c == b'\t'),
                    _ => false,
                };
            }
        }
        let Some((view, day)) = clean_row(text, cells, plan) else {
            return false;
        };
        rows.push((view, day));
        rows.len() < LOOKUP_BATCH || self.fold_in(rows, plan)
    }

    /// Folds in the parsed `rows` (in file order) and clears them; false when one needs
    /// the careful path. Their keys are looked up together (`DatedSink::keys_of`); a
    /// failure drops the whole part, so nothing depends on the order within the batch.
    fn fold_in(&mut self, rows: &mut Vec<DayRow>, plan: &Plan) -> bool {
        let mut keys = [0usize; LOOKUP_BATCH];
        let keys = &mut keys[..rows.len()];
        let sums = &mut self.sums;
        for (view, _) in rows.iter() {
            sums.tally.add_read(view.amounts[0]);
        }
        // A new key's ids must be text, else the careful path reports them.
        if !sums.sink.keys_of(rows, keys) {
            return false;
        }
        for ((view, day), &key) in rows.iter().zip(keys.iter()) {
            if !sums.presence.insert_day(key, *day) {
                return false;
            }
            let d = sums
                .sink
                .add_in(key, view, plan.periods.day_mask(*day), plan.periods);
            sums.tally.add_disposed(d, view.amounts[0]);
            sums.days.mark_day(view.date, *day, plan.periods);
        }
        rows.clear();
        true
    }
}

/// A cell's range in `text` without its quotes (`cell_ends` checked their form) and
/// blanks around it.
#[inline(always)]
fn clean_range(text: &[u8], (mut a, mut b): (usize, usize)) -> (usize, usize) {
    if b - a >= 2 && text[a] == b'"' && text[b - 1] == b'"' {
        a += 1;
        b -= 1;
    }
    let blank = |c: u8| c == b' ' || c == b'\t';
    // Most cells have nothing to trim.
    if a < b && !blank(text[a]) && !blank(text[b - 1]) {
        return (a, b);
    }
    while a < b && blank(text[a]) {
        a += 1;
    }
    while a < b && blank(text[b - 1]) {
        b -= 1;
    }
    (a, b)
}

/// A row whose every cell is valid, as the careful path would read it, with the day of
/// the span its date falls on; `None` at the first problem (the careful path then names
/// every problem of the row).
#[inline]
fn clean_row<'t>(
    text: &'t [u8],
    cells: &[(usize, usize)],
    plan: &Plan,
) -> Option<(View<'t>, Option<usize>)> {
    // gmv_daily's counts as constants, so that its loops unroll.
    match (plan.layout.ids, plan.layout.amounts) {
        (2, 4) => clean_row_of::<2, 4>(text, cells, plan),
        _ => clean_row_of::<3, 4>(text, cells, plan),
    }
}

/// `clean_row` for at most `IDS` ids and `AMOUNTS` amounts (the layout's, when they are
/// exactly its counts).
#[inline(always)]
fn clean_row_of<'t, const IDS: usize, const AMOUNTS: usize>(
    text: &'t [u8],
    cells: &[(usize, usize)],
    plan: &Plan,
) -> Option<(View<'t>, Option<usize>)> {
    let layout = plan.layout;
    let (ids_n, amounts_n) = (layout.ids.min(IDS), layout.amounts.min(AMOUNTS));
    #[inline(always)]
    fn cell_of(text: &[u8], cells: &[(usize, usize)], plan: &Plan, col: usize) -> (usize, usize) {
        clean_range(text, cells[plan.positions[col]])
    }
    let (a, b) = cell_of(text, cells, plan, 0);
    let (date, day) = plan.days.read(&text[a..b])?;
    let mut ids: [&[u8]; 3] = [b""; 3];
    for (i, id) in ids.iter_mut().enumerate().take(ids_n) {
        let (a, b) = cell_of(text, cells, plan, 1 + i);
        // UTF-8 is checked once per key, when the sink interns it.
        if a == b {
            return None;
        }
        *id = &text[a..b];
    }
    let first_amount = 1 + layout.ids;
    let mut amounts = [0; 4];
    for (i, amount) in amounts.iter_mut().enumerate().take(amounts_n) {
        let (a, b) = cell_of(text, cells, plan, first_amount + i);
        *amount = cents_in(text, a, b).ok()?;
    }
    if layout.channel_over_gmv(&amounts, amounts_n) {
        return None;
    }
    Some((View { date, ids, amounts }, day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::dated::{layout, GmvSink};
    use crate::input::InputFile;

    const HEADER: &str = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n";

    fn rows(n: u32) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "2025-10-{:02},P{},S{},{}.25,1.00,0,0\n",
                    i % 31 + 1,
                    i / 31 % 5,
                    i / 31,
                    i + 1
                )
            })
            .collect()
    }

    /// Opens `path` as gmv_daily.csv under the embedded book and hands its part plan, and
    /// the opened file, to `f`.
    fn with_plan<T>(path: &std::path::Path, f: impl FnOnce(&Plan, &CsvFile) -> T) -> T {
        let file = InputFile::GmvDaily;
        let csv = CsvFile::open(path, file.name(), file.columns(), true)
            .unwrap()
            .unwrap();
        let book = crate::book::Book::embedded();
        let periods = Periods::new(&book.rules.windows, book.rules.windows.program.end);
        let progress = Progress::new(false, 0, "");
        let layout = layout(file);
        let mut plan = Plan::of(&csv, &layout, &periods, &progress, true);
        assert!(plan.standard_layout);
        plan.standard_layout = STANDARD_LAYOUT.get();
        f(&plan, &csv)
    }

    thread_local! {
        /// Whether `with_plan` lets plain lines be read by `plain_row`.
        static STANDARD_LAYOUT: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    }

    /// `split_result` with and without `plain_row`, which must agree.
    fn split_result_both(body: &str, parts: usize) -> Option<String> {
        let fast = split_result(body, parts);
        STANDARD_LAYOUT.set(false);
        let general = split_result(body, parts);
        STANDARD_LAYOUT.set(true);
        assert_eq!(fast, general, "{body:?}");
        fast
    }

    /// A line in quotes is read straight from its separators only when every cell has a
    /// quote at each end and the line has no other quote, however many quotes it holds.
    #[test]
    fn quoted_cells_need_their_quotes_at_their_ends() {
        fn seven(line: &str) -> Option<[&str; 7]> {
            let bits = |b: u8| {
                (line.bytes().enumerate())
                    .filter(|&(_, c)| c == b)
                    .fold(0u128, |m, (i, _)| m | 1 << i)
            };
            seven_cells(
                line.as_bytes(),
                0,
                bits(b','),
                bits(b'\n'),
                Some(bits(b'"')),
            )
            .map(|(cells, _)| cells.map(|(a, b)| &line[a..b]))
        }
        assert_eq!(
            seven("\"2025-10-01\",\"P1\",\"S1\",\"1.00\",\"2\",\"3\",\"4\"\n"),
            Some(["2025-10-01", "P1", "S1", "1.00", "2", "3", "4"])
        );
        // Fourteen quotes, as seven cells in quotes have, but the partner's closing quote
        // opens the seller's cell.
        assert_eq!(
            seven("\"2025-10-01\",\"P1,\"\"S1\",\"1.00\",\"2\",\"3\",\"4\"\n"),
            None
        );
        // A quote inside a cell, or a cell without its quotes.
        assert_eq!(
            seven("\"2025-10-01\",\"P\"1\",\"S1\",\"1.00\",\"2\",\"3\",\"4\"\n"),
            None
        );
        assert_eq!(
            seven("\"2025-10-01\",P1,\"S1\",\"1.00\",\"2\",\"3\",\"4\"\n"),
            None
        );
    }

    #[test]
    fn byte_bits_gathers_the_top_bits() {
        for bits in 0u64..256 {
            let marks = (0..8).fold(0u64, |m, i| m | ((bits >> i) & 1) << (8 * i + 7));
            assert_eq!(byte_bits(marks), bits);
        }
        let word = u64::from_le_bytes(*b",a\n,\xac,,\x8a");
        assert_eq!(byte_bits(equal_bytes(word, b',')), 0b0110_1001);
        assert_eq!(byte_bits(equal_bytes(word, b'\n')), 0b0000_0100);
    }

    proptest::proptest! {
        #[test]
        fn separator_masks_mark_every_comma_and_line_feed(
            window in proptest::collection::vec(
                proptest::sample::select(vec![b',', b'\n', b'a', 0x2c | 0x80, 0x8a, b'\r']),
                WINDOW,
            ),
        ) {
            let mask = |b: u8| (0..WINDOW).fold(0u64, |m, i| m | u64::from(window[i] == b) << i);
            let window: &[u8; WINDOW] = window[..].try_into().unwrap();
            proptest::prop_assert_eq!(byte_masks(window, [b',', b'\n']), [mask(b','), mask(b'\n')]);
        }

        /// Lines read straight from their separators give the sums, tallies and refusals
        /// the general reading of their cells gives.
        #[test]
        fn plain_rows_are_read_as_their_cells_are(
            lines in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "2025-10-01", "2025-10-31", "2025-02-29", "2024-02-29", "2025-13-01",
                        "2025-1-01", " 2025-10-02", "2025-10-02 ", "2019-05-05", "",
                    ]),
                    proptest::sample::select(vec!["P1", "P2", " P1", "P1\t", "", "P\u{e9}", "P\"1"]),
                    proptest::sample::select(vec!["S1", "S2", "S3 ", "\tS1", "S\u{e9}x", ""]),
                    proptest::collection::vec(
                        proptest::sample::select(vec![
                            "0", "1.00", "12345.67", "99999.99", "123456.78", "1234567.89",
                            "5.5", " 1.00", "1.00 ", "$1.00", "1,000.00", "1.", ".5", "",
                            "00000001.25", "999999999999.99", "1.234", "12345678901.23",
                        ]),
                        4,
                    ),
                    proptest::sample::select(vec!["\n", "\r\n", ",\n", "\n\n", ",,\n", "\n \n"]),
                    // Every cell in quotes, or none, or one cell's quote left open, or the
                    // partner's closing quote moved to the start of the seller's cell (as
                    // many quotes as cells in quotes have, but not at their ends).
                    proptest::sample::select(vec!["", "\"", "open", "moved"]),
                ),
                1..12,
            ),
        ) {
            let mut body = String::new();
            for (date, partner, seller, amounts, end, quote) in &lines {
                let mut cells = vec![date.to_string(), partner.to_string(), seller.to_string()];
                cells.extend(amounts.iter().map(|a| a.to_string()));
                match *quote {
                    "open" => cells[2].insert(0, '"'),
                    "moved" => {
                        cells.iter_mut().for_each(|c| *c = format!("\"{c}\""));
                        cells[1].pop();
                        cells[2].insert(0, '"');
                    }
                    q => cells.iter_mut().for_each(|c| *c = format!("{q}{c}{q}")),
                }
                body.push_str(&format!("{}{end}", cells.join(",")));
            }
            // Rows after them, so that each line above has a full window after its start
            // (two for a block with quotes).
            body.push_str(&rows(5).replace("2025-10", "2025-12"));
            for parts in 1..=2 {
                split_result_both(&body, parts);
            }
        }
    }

    /// Rows read when the fast path finishes the file, `None` when it hands it over.
    fn split_rows(body: &str, parts: usize) -> Option<u64> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gmv_daily.csv");
        std::fs::write(&path, format!("{HEADER}{body}")).unwrap();
        with_plan(&path, |plan, _| {
            let rows = |mapping: Option<&Mapping>| {
                read_from(plan, &GmvSink::new(None, plan.periods), parts, mapping)
                    .map(|whole| whole.tally.rows.read)
            };
            let mapping = Mapping::of(plan.file, plan.size, plan.name);
            let read = rows(None);
            assert_eq!(rows(mapping.as_ref()), read, "mapped and read alike");
            read
        })
    }

    proptest::proptest! {
        #[test]
        fn separators_are_found_as_a_byte_scan_finds_them(
            text in proptest::collection::vec(
                proptest::sample::select(vec![b',', b'\n', b'a', b'\0', 0x2c | 0x80, 0x8a, b'\r']),
                0..100,
            ),
            stop_after in 0usize..40,
        ) {
            let expected: Vec<usize> =
                (0..text.len()).filter(|&i| matches!(text[i], b',' | b'\n')).collect();
            let mut seen = Vec::new();
            let finished = each_separator(&text, |i| {
                seen.push(i);
                seen.len() < stop_after
            });
            let shown = expected.len().min(stop_after.max(1));
            proptest::prop_assert_eq!(&seen[..], &expected[..shown]);
            proptest::prop_assert_eq!(finished, expected.len() < stop_after.max(1));
        }
    }

    /// The parts and the hash read the size the file had when opened; growth after that
    /// is caught by the file's stamp, so the hash is never of bytes the parts did not read.
    #[test]
    fn a_file_grown_while_read_is_hashed_as_opened_and_then_refused() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gmv_daily.csv");
        let original = format!("{HEADER}{}", rows(500));
        std::fs::write(&path, &original).unwrap();
        with_plan(&path, |plan, csv| {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            f.write_all(rows(40).replace("2025-10", "2025-11").as_bytes())
                .unwrap();
            let whole = read(plan, &GmvSink::new(None, plan.periods), 2).expect("plain file");
            assert_eq!(whole.tally.rows.read, 500);
            use sha2::Digest;
            let digest = sha2::Sha256::digest(original.as_bytes());
            let expected: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(whole.sha256, Some(expected));
            let err = csv.check_unchanged().unwrap_err().to_string();
            assert!(err.contains("changed while it was read"), "{err}");
        });
    }

    #[test]
    fn plain_files_are_read_in_parts() {
        for parts in 1..=4 {
            assert_eq!(split_rows(&rows(1000), parts), Some(1000));
        }
        let crlf = rows(300).replace('\n', "\r\n");
        assert_eq!(split_rows(&crlf, 2), Some(300));
        let unterminated = rows(300);
        assert_eq!(split_rows(unterminated.trim_end(), 2), Some(300));
        let blanks = format!("\n  \n{}\n\t\n{}", rows(10), rows(0));
        assert_eq!(split_rows(&blanks, 2), Some(10));
        assert_eq!(split_rows("", 2), Some(0));
    }

    /// Every cell of `body` in quotes, as spreadsheet exports write them.
    fn all_quoted(body: &str) -> String {
        body.lines()
            .map(|line| {
                let cells: Vec<String> = line.split(',').map(|c| format!("\"{c}\"")).collect();
                format!("{}\r\n", cells.join(","))
            })
            .collect()
    }

    /// The sums, tallies and days a fast read of `body` finishes with.
    fn split_result(body: &str, parts: usize) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gmv_daily.csv");
        std::fs::write(&path, format!("{HEADER}{body}")).unwrap();
        with_plan(&path, |plan, _| {
            let result = |mapping: Option<&Mapping>| {
                read_from(plan, &GmvSink::new(None, plan.periods), parts, mapping).map(|whole| {
                    let mut data = crate::input::DataSet::default();
                    whole.sink.finish(&mut data);
                    let sums = format!("{:?} {:?}", data.partners, whole.tally.rows);
                    (sums, whole.sha256)
                })
            };
            let mapping = Mapping::of(plan.file, plan.size, plan.name);
            let read = result(None);
            assert_eq!(result(mapping.as_ref()), read, "mapped and read alike");
            read.map(|(sums, _)| sums)
        })
    }

    /// Files of several blocks per part: lines cut by a block's end are carried into the
    /// next block alike whether the part reads the file or its mapping.
    #[test]
    fn files_of_many_blocks_are_read_alike_from_their_mapping() {
        let body = rows(150_000);
        assert!(body.len() > 2 * BLOCK);
        let one = split_result_both(&body, 1).unwrap();
        assert_eq!(split_result(&body, 2).unwrap(), one);
        assert_eq!(split_result(&body, 3).unwrap(), one);
    }

    #[test]
    fn quoted_cells_are_read_in_parts_as_the_plain_ones() {
        let body = rows(1000);
        let plain = split_result(&body, 1).unwrap();
        // Thousands separators are quoted in exports because of their comma.
        let with_commas = body.replace(",1000.25,", ",\"$1,000.25\",");
        assert_ne!(with_commas, body);
        for parts in 1..=3 {
            assert_eq!(split_result(&all_quoted(&body), parts).unwrap(), plain);
            assert_eq!(split_result(&with_commas, parts).unwrap(), plain);
        }
        let padded = body.replace(",P1,", ",\" P1 \",");
        assert_eq!(split_result(&padded, 2).unwrap(), plain);
    }

    /// The first definition of `quoted_cell`: the first quote after the opening one
    /// must close the cell.
    fn quoted_cell_by_search(text: &[u8], start: usize, end: usize) -> Cell {
        let raw = &text[start..end];
        if raw.first() != Some(&b'"') {
            return if memchr::memchr(b'"', raw).is_some() {
                Cell::Careful
            } else {
                Cell::Whole
            };
        }
        let separator = text.get(end).copied();
        let Some(close) = memchr::memchr(b'"', &raw[1..]).map(|j| j + 1) else {
            return match separator {
                Some(b',') => Cell::GoesOn,
                _ => Cell::Careful,
            };
        };
        let line_end = separator != Some(b',');
        let closes_cell = close + 1 == raw.len()
            || (line_end && close + 2 == raw.len() && raw[close + 1] == b'\r');
        if closes_cell {
            Cell::Whole
        } else {
            Cell::Careful
        }
    }

    /// The cells of `line` (without its line feed) as the parts split it, judging each
    /// cell with `judge`; `None` when the careful path must read it.
    fn split_line(
        line: &[u8],
        judge: impl Fn(&[u8], usize, usize) -> Cell,
        quotes_counted: bool,
    ) -> Option<Vec<(usize, usize)>> {
        let (mut cells, mut start, mut quoted) = (Vec::new(), 0, 0);
        let separators = (0..line.len()).filter(|&i| line[i] == b',');
        for i in separators.chain([line.len()]) {
            match judge(line, start, i) {
                Cell::Whole => {}
                Cell::Quoted => quoted += 1,
                Cell::GoesOn => continue,
                Cell::Careful => return None,
            }
            cells.push((start, i));
            start = i + 1;
        }
        (!quotes_counted || count_quotes(line) == 2 * quoted).then_some(cells)
    }

    proptest::proptest! {
        /// Judging cells by their ends and counting the line's quotes splits every line
        /// as looking for each cell's quotes does, and refuses the same lines.
        #[test]
        fn lines_are_split_as_by_a_quote_search(
            line in proptest::collection::vec(
                proptest::sample::select(b"\"\"\",,\ra".to_vec()), 0..14),
        ) {
            let by_ends = |text: &[u8], start, end| cell_ends(text, start, end, end == text.len());
            proptest::prop_assert_eq!(
                split_line(&line, by_ends, true),
                split_line(&line, quoted_cell_by_search, false)
            );
        }

        #[test]
        fn quotes_are_counted(text in proptest::collection::vec(
            proptest::sample::select(b"\"a\xa2".to_vec()), 0..40)) {
            let expected = text.iter().filter(|c| **c == b'"').count();
            proptest::prop_assert_eq!(count_quotes(&text), expected);
        }
    }

    #[test]
    fn cells_by_their_quotes() {
        let cell = |text: &str, end: usize| {
            let line_end = text.as_bytes().get(end) != Some(&b',');
            cell_ends(text.as_bytes(), 0, end, line_end)
        };
        assert_eq!(cell("\"a\",", 3), Cell::Quoted);
        assert_eq!(cell("\"a\"\r\n", 4), Cell::Quoted);
        assert_eq!(cell("\"a\"\r,", 4), Cell::GoesOn);
        assert_eq!(cell("\"1,2\",", 2), Cell::GoesOn);
        assert_eq!(cell("\"1,2\",", 5), Cell::Quoted);
        assert_eq!(cell("\"1\n", 2), Cell::Careful);
        assert_eq!(cell("\"1", 2), Cell::Careful);
        assert_eq!(cell("ab,", 2), Cell::Whole);
        let line = |text: &str| {
            let by_ends = |t: &[u8], start, end| cell_ends(t, start, end, end == t.len());
            split_line(text.as_bytes(), by_ends, true).map(|cells| cells.len())
        };
        assert_eq!(line("\"a\",\"1,2\",b,\"\"\r"), Some(4));
        assert_eq!(line("a\"b,c"), None);
        assert_eq!(line("\"a\"\"b\",c"), None);
        assert_eq!(line("\"a\"b,c"), None);
        assert_eq!(line("\"a\"\r,c"), None);
        assert_eq!(line("\"a,c"), None);
        fn cleaned(text: &str) -> &str {
            let (a, b) = clean_range(text.as_bytes(), (0, text.len()));
            &text[a..b]
        }
        assert_eq!(cleaned("\"x\""), "x");
        assert_eq!(cleaned("x"), "x");
        assert_eq!(cleaned("\" x\t\""), "x");
        assert_eq!(cleaned(" \t "), "");
        assert_eq!(cleaned("\""), "\"");
        assert_eq!(cleaned("\"\""), "");
    }

    #[test]
    fn anything_needing_a_line_number_goes_to_the_careful_path() {
        let body = rows(1000);
        let with = |line: &str| format!("{body}{line}\n");
        for tricky in [
            "2025-10-01,\"P\"\"1\",S9,1.00,0,0,0",
            "2025-10-01,P\"1\",S9,1.00,0,0,0",
            "2025-10-01, \"P1\",S9,1.00,0,0,0",
            "2025-10-01,\"P1\" ,S9,1.00,0,0,0",
            "2025-10-01,\"P1\"x,S9,1.00,0,0,0",
            "2025-10-01,P1,S9,1.00,0,0,\"0\n\"",
            "2025-10-01,P1,S9,1.00,0,0,\"0",
            "2025-10-01,P1,S9,\"\",0,0,0",
            "2025-10-01,P1,S9,12.3.4,0,0,0",
            "2025-10-01,P1,S9,1.00,0,0",
            "2025-10-01,P1,S9\r,1.00,0,0,0",
            "2025-10-01,P1,S9,1.00,2.00,0,0",
            "2025-10-01,,S9,1.00,0,0,0",
            // The first row again: a duplicate key across parts.
            "2025-10-01,P0,S0,1.25,1.00,0,0",
        ] {
            for parts in 1..=3 {
                assert_eq!(split_rows(&with(tricky), parts), None, "{tricky:?}");
            }
        }
        let long = format!("{body}{}\n", "x".repeat(3 << 20));
        assert_eq!(split_rows(&long, 2), None);
        // A valid row after more than a megabyte of empty lines: the careful path counts
        // them into the row's record, which is then too long.
        for empty in ["\n", "\r\n"] {
            let after_empties = format!(
                "{body}{}2025-10-01,P1,S9,1.00,0,0,0\n",
                empty.repeat(1 << 20)
            );
            for parts in 1..=3 {
                assert_eq!(split_rows(&after_empties, parts), None, "{empty:?}");
            }
            let trailing = format!("{body}{}", empty.repeat(1 << 20));
            assert_eq!(split_rows(&trailing, 2), None, "{empty:?}");
        }
        // Empty lines past the longest line read here, cut into ranges of any size: the
        // careful path reads them, as it does when one part reads them all.
        for empty in ["\n", "\r\n", "\n\r\n"] {
            let text = format!(
                "{body}{}2025-10-01,P1,S9,1.00,0,0,0\n",
                empty.repeat(LONGEST_PLAIN_LINE / empty.len() + 1)
            );
            for parts in 1..=3 {
                assert_eq!(split_rows(&text, parts), None, "{empty:?}");
            }
        }
        // Fewer empty lines are read here, wherever a range starts among them.
        let text = format!("{body}{}2025-10-01,P1,S9,1.00,0,0,0\n", "\n".repeat(9000));
        for parts in 1..=3 {
            assert_eq!(split_rows(&text, parts), Some(1001));
        }
        // A valid row just over the limit the careful path applies.
        let id = "S".repeat(MAX_RECORD_BYTES as usize);
        let long_row = format!("{body}2025-10-01,P1,{id},1.00,0,0,0\n");
        for parts in 1..=3 {
            assert_eq!(split_rows(&long_row, parts), None);
        }
    }
}
