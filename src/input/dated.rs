//! Ingest of the dated files (gmv_daily, creator_gmv_daily, matchmaking): the hot path.
//!
//! A plain file is read in parts on several threads (`split`). Any other file, and every
//! file with one thread, takes the careful path here: one pass, row by row, where parsing
//! (CSV splitting, UTF-8, dates, amounts) can run on a second thread that hands batches of
//! parsed rows, in file order, to the thread that aggregates; the single-threaded path runs
//! the very same code in turn, so results are identical.
//! Amounts are summed as integer cents (`i64`, spilling exactly to `i128` past its range)
//! and become `Money` at the end; per seller only what the programs read is kept.
//! Duplicate keys are found with one bit per (key, day); the rare duplicate then costs a
//! second, targeted pass to find and take back the row that came first.

use super::coverage::{Coverage, DayCounts};
use super::reader::{Next, Row};
use super::source::Source;
use super::split;
use super::sums::{FIGURES, SELLER_FIGURES};
use super::{
    Channels, DataError, DataSet, Disposition, ExtraRow, FileReport, GmvRow, Ingest, InputError,
    InputFile, Mode, OnExisting, SellerSums, Tally,
};
use crate::input::Adjust;
use crate::money::Money;
use crate::window::{Periods, WindowId, WINDOW_COUNT};
use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;

const BATCH_ROWS: usize = 4096;
/// Batches in flight between the threads: bounds memory whatever the file size.
const BATCHES_IN_FLIGHT: usize = 4;

/// A parsed row: its date, up to three ids (byte ranges into the batch text) and up to four
/// amounts in cents, in the file's column order (the first amount is `gmv`).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Rec {
    date: Option<NaiveDate>,
    ids: [(u32, u32); 3],
    amounts: [i64; 4],
}

/// A row of a file read in parts, with the day of the book's span its date falls on.
pub(super) type DayRow<'a> = (View<'a>, Option<usize>);

/// A row as the sinks see it.
#[derive(Debug)]
pub(super) struct View<'a> {
    pub date: NaiveDate,
    /// Valid UTF-8 once a sink has interned them (`DatedSink::key`).
    pub ids: [&'a [u8]; 3],
    pub amounts: [i64; 4],
}

impl View<'_> {
    /// Id `i` as text (for messages and scenarios; interned ids are valid UTF-8).
    pub fn id(&self, i: usize) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.ids[i])
    }
}

impl Rec {
    fn view<'a>(&self, text: &'a str) -> View<'a> {
        let id = |(a, b): (u32, u32)| &text.as_bytes()[a as usize..b as usize];
        View {
            date: self.date.expect("parsed rows have a date"),
            ids: self.ids.map(id),
            amounts: self.amounts,
        }
    }
}

enum Item {
    Good {
        line: u64,
        span: (u64, u64),
        rec: Rec,
    },
    Bad {
        line: u64,
        errors: Vec<DataError>,
        gmv: Option<i64>,
        raw: Option<String>,
    },
}

#[derive(Default)]
struct Batch {
    text: String,
    items: Vec<Item>,
}

/// How a dated file's columns map onto `Rec`: `date`, then `ids` id columns, then amounts.
pub(super) struct Layout {
    pub(super) ids: usize,
    pub(super) amounts: usize,
    /// gmv_daily: each channel amount must be at most the row's gmv.
    pub(super) channels_within_gmv: bool,
}

impl Layout {
    /// Whether a clean row's `amounts` (its first `n`, the layout's) break gmv_daily's
    /// rule that no channel is more than the row's gmv.
    #[inline(always)]
    pub(super) fn channel_over_gmv(&self, amounts: &[i64; 4], n: usize) -> bool {
        self.channels_within_gmv && amounts[1..n].iter().any(|a| *a > amounts[0])
    }
}

pub(super) fn layout(file: InputFile) -> Layout {
    let columns = file.columns().len();
    let ids = match file {
        InputFile::GmvDaily => 2,
        InputFile::CreatorGmvDaily => 1,
        _ => 3,
    };
    Layout {
        ids,
        amounts: columns - 1 - ids,
        channels_within_gmv: file == InputFile::GmvDaily,
    }
}

fn parse(row: &mut Row, layout: &Layout, text: &mut String) -> Rec {
    let mut rec = Rec {
        date: row.date(0),
        ..Rec::default()
    };
    for i in 0..layout.ids {
        if let Some(range) = row.id_into(1 + i, text) {
            rec.ids[i] = range;
        }
    }
    let first_amount = 1 + layout.ids;
    let mut parsed = [None; 4];
    for (i, slot) in parsed.iter_mut().enumerate().take(layout.amounts) {
        *slot = row.cents(first_amount + i);
        rec.amounts[i] = slot.unwrap_or(0);
    }
    if layout.channels_within_gmv {
        if let Some(gmv) = parsed[0] {
            for (i, value) in parsed.iter().enumerate().skip(1).take(layout.amounts - 1) {
                if let Some(v) = value {
                    row.require_at_most(first_amount + i, *v, first_amount, gmv);
                }
            }
        }
    }
    rec
}

/// Turns records into batches of parsed rows.
struct BatchReader {
    csv: Source,
    layout: Layout,
    keep_raw: bool,
    progress: crate::progress::Progress,
    rows: u64,
}

impl BatchReader {
    /// Fills `batch` (cleared first); false once the file is exhausted and nothing was added.
    fn fill(&mut self, batch: &mut Batch) -> bool {
        batch.text.clear();
        batch.items.clear();
        while batch.items.len() < BATCH_ROWS {
            self.rows += 1;
            if self.rows.is_multiple_of(65_536) {
                self.progress.tick(self.csv.bytes_read());
            }
            let item = match self.csv.next_row() {
                Next::End => break,
                // Its line is already where the record starts (the reader stops there).
                Next::Broken(e, span) => {
                    let line = e.line;
                    Item::Bad {
                        line,
                        errors: vec![e],
                        gmv: None,
                        raw: self.keep_raw.then(|| self.csv.raw_text(span)),
                    }
                }
                Next::Row(mut row) => {
                    let gmv = row.peek_cents(1 + self.layout.ids);
                    let rec = parse(&mut row, &self.layout, &mut batch.text);
                    let (line, span) = (row.line, row.span);
                    let errors = row.take_errors();
                    if errors.is_empty() {
                        Item::Good { line, span, rec }
                    } else {
                        let (line, span) = self.csv.locate(line, span);
                        let mut errors = errors;
                        for e in &mut errors {
                            e.line = line;
                        }
                        Item::Bad {
                            line,
                            errors,
                            gmv,
                            raw: self.keep_raw.then(|| self.csv.raw_text(span)),
                        }
                    }
                }
            };
            batch.items.push(item);
        }
        !batch.items.is_empty()
    }
}

/// Where a dated file's rows go.
pub(super) trait DatedSink: Send + Sized {
    /// A readable form of the row's key, for duplicate-key messages.
    fn describe_key(v: &View) -> String;
    /// Interns the key (without the date) and returns its index; `None` when a new key's
    /// ids are not valid UTF-8.
    fn key(&mut self, v: &View) -> Option<usize>;
    /// Adds (`sign` 1) or takes back (`sign` -1) the row's figures.
    fn apply(&mut self, key: usize, v: &View, periods: &Periods, sign: i128) -> Disposition;
    /// The keys of `rows`, in order, as `key` one row after the other gives them; false
    /// when a new key's ids are not valid UTF-8.
    fn keys_of(&mut self, rows: &[DayRow], keys: &mut [usize]) -> bool {
        for ((v, _), key) in rows.iter().zip(keys) {
            match self.key(v) {
                Some(k) => *key = k,
                None => return false,
            }
        }
        true
    }
    /// `apply` with `sign` 1 for a row whose windows (`Periods::day_mask`) are known.
    #[inline]
    fn add_in(&mut self, key: usize, v: &View, _mask: u8, periods: &Periods) -> Disposition {
        self.apply(key, v, periods, 1)
    }
    /// An empty sink of the same kind and settings, for one part of the file.
    fn part(&self) -> Self;
    /// Adds the sums of `part` (a later part of the file); returns, for each of its keys,
    /// that key's index here.
    fn absorb(&mut self, part: Self) -> Vec<usize>;
}

/// One bit per (key, day of the book's span). Rows dated outside the span are outside every
/// window and never paid on, so their keys are not tracked: memory stays bounded by keys ×
/// days however long the history in the file.
#[derive(Default)]
pub(super) struct Presence {
    words: usize,
    bits: Vec<u64>,
}

impl Presence {
    pub(super) fn new(periods: &Periods) -> Presence {
        Presence {
            words: (periods.span.days() as usize).div_ceil(64),
            ..Presence::default()
        }
    }

    /// Marks (key, date); false when it was marked already.
    pub(super) fn insert(&mut self, key: usize, date: NaiveDate, periods: &Periods) -> bool {
        self.insert_day(key, periods.span_offset(date))
    }

    /// Marks (key, day of the span); false when it was marked already. A date outside
    /// the span (`None`) is not tracked.
    #[inline]
    pub(super) fn insert_day(&mut self, key: usize, day: Option<usize>) -> bool {
        match day {
            Some(day) => {
                let need = (key + 1) * self.words;
                if self.bits.len() < need {
                    self.bits.resize(need.max(self.bits.len() * 2), 0);
                }
                let word = &mut self.bits[key * self.words + day / 64];
                let bit = 1u64 << (day % 64);
                let fresh = *word & bit == 0;
                *word |= bit;
                fresh
            }
            None => true,
        }
    }

    /// Whether (key, date) is marked.
    pub(super) fn contains(&self, key: usize, date: NaiveDate, periods: &Periods) -> bool {
        periods.span_offset(date).is_some_and(|day| {
            self.bits
                .get(key * self.words + day / 64)
                .is_some_and(|word| word & (1u64 << (day % 64)) != 0)
        })
    }

    /// Unmarks (key, date).
    pub(super) fn remove(&mut self, key: usize, date: NaiveDate, periods: &Periods) {
        if let Some(day) = periods.span_offset(date) {
            if let Some(word) = self.bits.get_mut(key * self.words + day / 64) {
                *word &= !(1u64 << (day % 64));
            }
        }
    }

    /// Adds the marks of `part`, whose key `i` is key `map[i]` here; false when a (key, day)
    /// is marked in both.
    pub(super) fn absorb(&mut self, part: &Presence, map: &[usize]) -> bool {
        let mut fresh = true;
        for (i, words) in part.bits.chunks(self.words.max(1)).enumerate() {
            let Some(&key) = map.get(i) else { break };
            let need = (key + 1) * self.words;
            if self.bits.len() < need {
                self.bits.resize(need, 0);
            }
            for (mine, theirs) in self.bits[key * self.words..need].iter_mut().zip(words) {
                fresh &= *mine & theirs == 0;
                *mine |= theirs;
            }
        }
        fresh
    }
}

/// Row and dollar tallies kept in cents while a file streams.
#[derive(Default)]
pub(super) struct CentTally {
    pub(super) rows: Tally<u64>,
    cents: [i128; 5],
}

const READ: usize = 0;
const USED: usize = 1;
const OUTSIDE: usize = 2;
const UNMATCHED: usize = 3;
const REJECTED: usize = 4;

impl CentTally {
    fn add(&mut self, slot: usize, gmv: i64, sign: i64) {
        let rows = match slot {
            READ => &mut self.rows.read,
            USED => &mut self.rows.used,
            OUTSIDE => &mut self.rows.outside,
            UNMATCHED => &mut self.rows.unmatched,
            _ => &mut self.rows.rejected,
        };
        *rows = rows.wrapping_add_signed(sign);
        self.cents[slot] += i128::from(gmv) * i128::from(sign);
    }

    pub(super) fn add_read(&mut self, gmv: i64) {
        self.add(READ, gmv, 1);
    }

    pub(super) fn add_disposed(&mut self, d: Disposition, gmv: i64) {
        self.add(Self::slot(d), gmv, 1);
    }

    pub(super) fn absorb(&mut self, part: &CentTally) {
        self.rows.absorb(&part.rows);
        for (mine, theirs) in self.cents.iter_mut().zip(part.cents) {
            *mine += theirs;
        }
    }

    fn slot(d: Disposition) -> usize {
        match d {
            Disposition::Used => USED,
            Disposition::Outside => OUTSIDE,
            Disposition::Unmatched => UNMATCHED,
        }
    }

    pub(super) fn into_report(self, report: &mut FileReport) {
        let m = |i: usize| Money::from_cents_sum(self.cents[i]);
        report.rows = self.rows;
        report.gmv = Tally {
            read: m(READ),
            used: m(USED),
            outside: m(OUTSIDE),
            unmatched: m(UNMATCHED),
            rejected: m(REJECTED),
        };
    }
}

/// The careful path checks ids as it parses them.
const CHECKED_IDS: &str = "ids are checked UTF-8 when parsed";

/// Later rows of a duplicated (key, date): line, span and gmv.
type Duplicates = BTreeMap<(usize, NaiveDate), Vec<(u64, (u64, u64), i64)>>;

impl Ingest<'_> {
    /// Reads a dated file into `sink`, which holds nothing yet; returns the (key, day)
    /// pairs of its accepted rows inside the book's span.
    pub(super) fn dated<S: DatedSink>(
        &mut self,
        path: &Path,
        sink: &mut S,
    ) -> Result<Presence, InputError> {
        let Some(csv) = self.open(path)? else {
            return Ok(Presence::new(self.periods));
        };
        let progress = crate::progress::Progress::new(self.opts.progress, csv.size(), self.name);
        let layout = layout(self.file);
        let fast = match &csv {
            Source::Csv(csv) if self.opts.threads > 1 => {
                let plan = split::Plan::of(csv, &layout, self.periods, &progress, self.opts.hashes);
                split::read(&plan, sink, self.opts.threads)
            }
            Source::Table(table) if self.located.format == super::source::Format::Parquet => {
                let plan = super::parquet::fast::Plan {
                    file: &table.file,
                    size: table.size,
                    positions: table.positions(),
                    layout: &layout,
                    periods: self.periods,
                    hash: self.opts.hashes,
                };
                super::parquet::fast::read(&plan, sink, self.opts.threads)
            }
            Source::Table(table) if self.located.format == super::source::Format::Xlsx => {
                super::xlsx::fast_read(table, &layout, self.periods, self.opts, sink)
            }
            _ => None,
        };
        {
            if let Some(whole) = fast {
                progress.finish();
                // The parts and the hash read the size the file had when opened.
                csv.check_unchanged()?;
                // Sinks come fresh to a file: the merged parts become the sink (merging
                // them into it would briefly hold every key twice more).
                *sink = whole.sink;
                self.report.sha256 = whole.sha256;
                whole.tally.into_report(&mut self.report);
                self.report.coverage = Some(Coverage::new(whole.days, self.file, self.periods));
                return Ok(whole.presence);
            }
        }
        let mut reader = BatchReader {
            csv,
            layout,
            keep_raw: self.opts.mode == Mode::SkipInvalid,
            progress,
            rows: 0,
        };
        let mut tally = CentTally::default();
        let mut presence = Presence::new(self.periods);
        let mut days = DayCounts::default();
        let mut duplicates = Duplicates::new();
        let mut consume = |this: &mut Self, batch: &Batch| {
            for item in &batch.items {
                match item {
                    Item::Bad {
                        line,
                        errors,
                        gmv,
                        raw,
                    } => {
                        tally.add(READ, gmv.unwrap_or(0), 1);
                        tally.add(REJECTED, gmv.unwrap_or(0), 1);
                        let reason = super::error::reasons(errors);
                        for e in errors {
                            this.data.error(e.clone());
                        }
                        this.keep_reject(*line, reason, raw.clone());
                    }
                    Item::Good { line, span, rec } => {
                        let view = rec.view(&batch.text);
                        let gmv = view.amounts[0];
                        tally.add(READ, gmv, 1);
                        let key = sink.key(&view).expect(CHECKED_IDS);
                        if !presence.insert(key, view.date, this.periods) {
                            tally.add(REJECTED, gmv, 1);
                            duplicates
                                .entry((key, view.date))
                                .or_default()
                                .push((*line, *span, gmv));
                            continue;
                        }
                        let d = sink.apply(key, &view, this.periods, 1);
                        tally.add(CentTally::slot(d), gmv, 1);
                        days.mark(view.date, this.periods);
                    }
                }
            }
        };
        if self.opts.threads > 1 {
            let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
            let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
            std::thread::scope(|scope| {
                let reader = &mut reader;
                scope.spawn(move || loop {
                    let mut batch = empty_rx.try_recv().unwrap_or_default();
                    if !reader.fill(&mut batch) || full_tx.send(batch).is_err() {
                        break;
                    }
                });
                for batch in full_rx {
                    consume(self, &batch);
                    // The reader may have finished already; a lost batch is only memory.
                    let _ = empty_tx.send(batch);
                }
            });
        } else {
            let mut batch = Batch::default();
            while reader.fill(&mut batch) {
                consume(self, &batch);
            }
        }
        reader.progress.finish();
        let BatchReader { csv, layout, .. } = reader;
        self.report.unreadable |= csv.cut_short();
        let stamp = csv.stamp();
        self.report.sha256 = csv.finish_sha256()?;
        if !duplicates.is_empty() {
            self.take_back_duplicates(path, stamp, sink, &layout, &duplicates, &mut tally)?;
            // A key and day whose rows were all rejected has no accepted row: the first
            // row of each, counted when read, is taken back.
            for (key, date) in duplicates.keys() {
                presence.remove(*key, *date, self.periods);
                days.unmark(*date, self.periods);
            }
        }
        tally.into_report(&mut self.report);
        self.report.coverage = Some(Coverage::new(days, self.file, self.periods));
        Ok(presence)
    }

    fn keep_reject(&mut self, line: u64, reason: String, raw: Option<String>) {
        if self.opts.mode == Mode::SkipInvalid {
            self.data.rejects.push(super::Reject {
                file: self.file,
                line,
                reason,
                row: raw.unwrap_or_default(),
                name: self.name,
            });
        }
    }

    /// Second, targeted pass: finds the first row of each duplicated key, takes its
    /// figures back, and rejects it together with the later ones.
    fn take_back_duplicates<S: DatedSink>(
        &mut self,
        path: &Path,
        stamp: super::reader::Stamp,
        sink: &mut S,
        layout: &Layout,
        duplicates: &Duplicates,
        tally: &mut CentTally,
    ) -> Result<(), InputError> {
        let Some(mut csv) = self.reopen(path)? else {
            return Err(InputError::Changed {
                file: self.name,
                what: "its header changed".into(),
            });
        };
        // The second pass must read the very file the first one did.
        stamp.same_as(&csv.stamp(), self.name)?;
        let later_lines: FxHashSet<u64> =
            duplicates.values().flatten().map(|(l, _, _)| *l).collect();
        let mut firsts: FxHashMap<(usize, NaiveDate), u64> = FxHashMap::default();
        let mut text = String::new();
        loop {
            let mut row = match csv.next_row() {
                Next::End => break,
                Next::Broken(..) => continue,
                Next::Row(row) => row,
            };
            if later_lines.contains(&row.line) {
                continue;
            }
            text.clear();
            let rec = parse(&mut row, layout, &mut text);
            if !row.errors.is_empty() {
                continue;
            }
            let (line, span) = (row.line, row.span);
            let view = rec.view(&text);
            let key = sink.key(&view).expect(CHECKED_IDS);
            let Some(later) = duplicates.get(&(key, view.date)) else {
                continue;
            };
            if firsts.contains_key(&(key, view.date)) {
                continue;
            }
            firsts.insert((key, view.date), line);
            // Lines and spans above are the parser's, consistent between both passes;
            // what is reported is where each record really starts.
            let (line, span) = csv.locate(line, span);
            let gmv = view.amounts[0];
            let d = sink.apply(key, &view, self.periods, -1);
            tally.add(CentTally::slot(d), gmv, -1);
            tally.add(REJECTED, gmv, 1);
            // Every row of the group is rejected, each naming the others.
            let mut members = vec![(line, span)];
            members.extend(later.iter().map(|(l, sp, _)| csv.locate(*l, *sp)));
            let key_text = S::describe_key(&view);
            let locator = self.locator();
            for (i, (member_line, member_span)) in members.iter().enumerate() {
                let others: Vec<u64> = members
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, (l, _))| *l)
                    .collect();
                let reason = format!(
                    "duplicate key ({key_text}), also on {}",
                    locator.rows(&others)
                );
                self.data
                    .error(DataError::row(self.name, *member_line, reason.clone()));
                let raw = (self.opts.mode == Mode::SkipInvalid).then(|| csv.raw_text(*member_span));
                self.keep_reject(*member_line, reason, raw);
            }
        }
        csv.check_unchanged()
    }
}

/// Interns composite keys (ids each after their length, so no separator can collide) in
/// an open-addressing table over a byte arena: compact and cache-friendly, since the
/// lookup runs once per row. Per key it holds the table's slots, where the key starts and
/// its bytes, nothing more: hashes are computed again when the table grows.
#[derive(Default)]
struct Keys {
    /// Power-of-two table of slots: the high half of the key's hash above its index + 1
    /// (0 = empty), so that a probe reads the table and then only the matching key.
    slots: Vec<u64>,
    /// Every key's ids, each after its length (LEB128); checked as UTF-8 when the key is
    /// added, and read back as strings only once the file is read.
    arena: Vec<u8>,
    /// Where each key starts in `arena`; it ends where the next one starts.
    starts: Vec<u32>,
    buf: Vec<u8>,
    /// The key found last, and its hash (when found by `get_or_insert`).
    last: usize,
    last_hash: u64,
}

/// Appends `len` as LEB128: one byte for any id under 128 bytes.
fn push_len(buf: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        buf.push(len as u8 | 0x80);
        len >>= 7;
    }
    buf.push(len as u8);
}

/// Splits a length written by `push_len` off the front of `bytes`.
fn take_len(bytes: &[u8]) -> (usize, &[u8]) {
    let (mut len, mut shift) = (0usize, 0);
    for (i, b) in bytes.iter().enumerate() {
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return (len, &bytes[i + 1..]);
        }
        shift += 7;
    }
    unreachable!("lengths are written whole")
}

/// The hash of a key by its ids; the same whether they come from a row or from the arena.
#[inline]
fn hash_ids<'a>(ids: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    for id in ids {
        h.write(id);
        h.write_usize(id.len());
    }
    h.finish()
}

/// The hash of a key as stored in the arena.
fn hash_of(key: &[u8]) -> u64 {
    hash_ids(arena_ids(key))
}

/// The ids of a key as stored in the arena.
fn arena_ids(mut rest: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (len, tail) = take_len(rest);
        let (id, tail) = tail.split_at(len);
        rest = tail;
        Some(id)
    })
}

/// Whether the arena bytes `stored` hold exactly `ids`. Ids are short: each is compared
/// in at most two overlapping words rather than through a library call.
#[inline]
fn holds_ids(stored: &[u8], ids: &[&[u8]]) -> bool {
    let mut rest = stored;
    for id in ids {
        let n = id.len();
        // One length byte for ids under 128 bytes; longer ones take the general way.
        let (len, tail) = match rest.first() {
            Some(&b) if b < 0x80 => (usize::from(b), &rest[1..]),
            Some(_) => take_len(rest),
            None => return false,
        };
        if len != n || tail.len() < n {
            return false;
        }
        let (stored_id, tail) = tail.split_at(n);
        if !same_bytes(stored_id, id) {
            return false;
        }
        rest = tail;
    }
    rest.is_empty()
}

/// `a == b` for slices of equal length.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4"));
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

impl Keys {
    fn bytes(&self, i: usize) -> &[u8] {
        let start = self.starts[i] as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.arena.len(), |e| *e as usize);
        &self.arena[start..end]
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    /// Id `n` of key `i`.
    fn id(&self, i: usize, n: usize) -> &str {
        let mut rest = self.bytes(i);
        for _ in 0..n {
            let (len, tail) = take_len(rest);
            rest = &tail[len..];
        }
        let (len, tail) = take_len(rest);
        std::str::from_utf8(&tail[..len]).expect("checked when added")
    }

    /// The ids of every key, in the order the keys were added.
    fn into_ids(self) -> impl Iterator<Item = Vec<String>> {
        (0..self.len()).map(move |i| {
            let mut ids = Vec::new();
            let mut rest = self.bytes(i);
            while !rest.is_empty() {
                let (len, tail) = take_len(rest);
                let (id, tail) = tail.split_at(len);
                ids.push(
                    std::str::from_utf8(id)
                        .expect("checked when added")
                        .to_string(),
                );
                rest = tail;
            }
            ids
        })
    }

    /// The key of `ids`, added when new; `None` when new and not text. The ids are hashed
    /// and compared where they are: only a new key is copied.
    #[inline]
    fn get_or_insert(&mut self, ids: &[&[u8]]) -> Option<usize> {
        let hash = hash_ids(ids.iter().copied());
        // Exports are often grouped by seller: the same key comes in runs.
        let last = self.last;
        if hash == self.last_hash && last < self.len() && holds_ids(self.bytes(last), ids) {
            return Some(last);
        }
        self.last_hash = hash;
        self.get_or_insert_hashed(ids, hash)
    }

    /// `get_or_insert` for ids whose hash (`hash_ids`) is known.
    fn get_or_insert_hashed(&mut self, ids: &[&[u8]], hash: u64) -> Option<usize> {
        if let Some(i) = self.find(hash, |stored| holds_ids(stored, ids)) {
            return Some(i);
        }
        if !ids.iter().all(|id| std::str::from_utf8(id).is_ok()) {
            return None;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        for id in ids {
            push_len(&mut buf, id.len());
            buf.extend_from_slice(id);
        }
        let i = self.insert(&buf, hash);
        self.buf = buf;
        Some(i)
    }

    /// For each hash, the first key whose slot carries its tag (`usize::MAX`: none); the
    /// caller checks the key's bytes. Every slot is loaded first, all together.
    fn candidates(&self, hashes: &[u64], found: &mut [usize]) {
        if self.slots.is_empty() {
            return;
        }
        let mask = self.slots.len() - 1;
        let touched = hashes
            .iter()
            .fold(0u64, |acc, h| acc ^ self.slots[*h as usize & mask]);
        std::hint::black_box(touched);
        for (hash, found) in hashes.iter().zip(found) {
            let tag = Self::slot_value(*hash, 0) - 1;
            let mut slot = (*hash as usize) & mask;
            loop {
                match self.slots[slot] {
                    0 => break,
                    s if s - (s as u32 as u64) == tag => {
                        *found = (s as u32) as usize - 1;
                        break;
                    }
                    _ => {}
                }
                slot = (slot + 1) & mask;
            }
        }
    }

    /// The first stored byte of key `i` (to load its bytes ahead of use).
    fn first_byte(&self, i: usize) -> u8 {
        self.arena[self.starts[i] as usize]
    }

    /// The key with `hash` whose arena bytes satisfy `is_key`.
    #[inline]
    fn find(&mut self, hash: u64, is_key: impl Fn(&[u8]) -> bool) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let tag = Self::slot_value(hash, 0) - 1;
        let mut slot = (hash as usize) & mask;
        loop {
            match self.slots[slot] {
                0 => return None,
                s if s - (s as u32 as u64) == tag => {
                    let i = (s as u32) as usize - 1;
                    if is_key(self.bytes(i)) {
                        self.last = i;
                        return Some(i);
                    }
                }
                _ => {}
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The keys of `part` interned here, in its order; returns where each went.
    fn absorb(&mut self, part: &Keys) -> Vec<usize> {
        (0..part.len())
            .map(|i| {
                let key = part.bytes(i);
                self.find_or_insert(key, hash_of(key))
            })
            .collect()
    }

    /// The key of the arena bytes `key` (text), added when new.
    fn find_or_insert(&mut self, key: &[u8], hash: u64) -> usize {
        match self.find(hash, |stored| stored == key) {
            Some(i) => i,
            None => self.insert(key, hash),
        }
    }

    /// Adds the arena bytes `key`, which are not here yet and are text.
    fn insert(&mut self, key: &[u8], hash: u64) -> usize {
        if self.slots.is_empty() {
            self.slots = vec![0; 1024];
        }
        let mask = self.slots.len() - 1;
        let mut slot = (hash as usize) & mask;
        while self.slots[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        let i = self.len();
        let start = u32::try_from(self.arena.len()).expect("under 4 GiB of distinct keys");
        u32::try_from(i + 1).expect("under 4 billion distinct keys");
        self.arena.extend_from_slice(key);
        self.starts.push(start);
        self.slots[slot] = Self::slot_value(hash, i);
        if self.len() * 2 > self.slots.len() {
            self.grow();
        }
        self.last = i;
        i
    }

    fn slot_value(hash: u64, i: usize) -> u64 {
        (hash & !u64::from(u32::MAX)) | (i as u64 + 1)
    }

    fn grow(&mut self) {
        let mut slots = vec![0u64; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for i in 0..self.len() {
            let hash = hash_of(self.bytes(i));
            let mut slot = (hash as usize) & mask;
            while slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            slots[slot] = Self::slot_value(hash, i);
        }
        self.slots = slots;
    }
}

const CHANNELS: usize = 4;

/// Rows whose keys are looked up together (`DatedSink::keys_of`).
pub(super) const LOOKUP_BATCH: usize = 64;

/// Adds `delta` cents to an `i64` sum. An add that would leave `i64` goes whole to
/// `spill` under `slot` instead: the exact sum is always the `i64` plus its spill.
#[inline(always)]
fn add_cents(
    sum: &mut i64,
    delta: i128,
    spill: &mut FxHashMap<(u32, u8), i128>,
    slot: impl FnOnce() -> (u32, u8),
) {
    if let Some(s) = i64::try_from(delta).ok().and_then(|d| sum.checked_add(d)) {
        *sum = s;
    } else {
        *spill.entry(slot()).or_default() += delta;
    }
}

/// One key's figures (`SELLER_FIGURES`) in cents, with its accepted rows and partner.
#[derive(Clone, Copy, Default)]
struct KeyFigures {
    cents: [i64; FIGURES],
    /// Accepted rows: a key whose every row was rejected (a duplicate) makes no seller,
    /// and no partner, of the run.
    accepted: i64,
    /// Index of the key's partner in `GmvSink::partners`.
    partner: u32,
}

/// The windows a row falls in, by day: each distinct set (a class) gets a number, so
/// a partner's totals take one add per channel per row, whatever windows overlap.
#[derive(Clone)]
struct Classes {
    /// Class + 1 of each window mask (0: a mask no day has).
    of_mask: [u8; 1 << WINDOW_COUNT],
    /// The window mask of each class.
    masks: Vec<u8>,
    /// Class + 1 of each day of the span (0: a day in no window).
    of_day: Vec<u8>,
}

impl Classes {
    fn new(periods: &Periods) -> Classes {
        let mut classes = Classes {
            of_mask: [0; 1 << WINDOW_COUNT],
            masks: Vec::new(),
            of_day: Vec::new(),
        };
        for date in periods.span.dates() {
            let mask = periods.mask(date);
            if mask != 0 && classes.of_mask[mask as usize] == 0 {
                classes.masks.push(mask);
                classes.of_mask[mask as usize] = classes.masks.len() as u8;
            }
            classes.of_day.push(classes.of_mask[mask as usize]);
        }
        classes
    }

    fn of(&self, mask: u8) -> usize {
        usize::from(self.of_mask[mask as usize]) - 1
    }
}

pub(super) struct GmvSink<'a> {
    keys: Keys,
    figures: Vec<KeyFigures>,
    /// Partner ids, one per partner of the keys.
    partners: Keys,
    classes: Classes,
    /// Per partner and class, the channel sums in cents (`classes.masks.len()` per partner).
    totals: Vec<[i64; CHANNELS]>,
    /// What left `i64`: by (key, figure), and by (partner, class × channels + channel).
    spilled: FxHashMap<(u32, u8), i128>,
    spilled_totals: FxHashMap<(u32, u8), i128>,
    adjust: Option<&'a dyn Adjust>,
}

/// Whole cents of an amount (a scenario's adjusted figure), half away from zero.
fn cents_of(m: Money) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (m.as_decimal() * rust_decimal::Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(i64::MAX)
}

impl<'a> GmvSink<'a> {
    pub(super) fn new(adjust: Option<&'a dyn Adjust>, periods: &Periods) -> GmvSink<'a> {
        GmvSink {
            keys: Keys::default(),
            figures: Vec::new(),
            partners: Keys::default(),
            classes: Classes::new(periods),
            totals: Vec::new(),
            spilled: FxHashMap::default(),
            spilled_totals: FxHashMap::default(),
            adjust,
        }
    }

    /// Gives key `i`, just looked up for `v`, its figures when it is new.
    #[inline]
    fn key_added(&mut self, i: usize, v: &View) {
        if i == self.figures.len() {
            let partner = self
                .partners
                .get_or_insert(&v.ids[..1])
                .expect("the key's ids are text");
            if partner * self.classes.masks.len() == self.totals.len() {
                let more = self.totals.len() + self.classes.masks.len();
                self.totals.resize(more, [0; CHANNELS]);
            }
            self.figures.push(KeyFigures {
                partner: partner as u32,
                ..KeyFigures::default()
            });
        }
    }

    /// Folds rows that did not come from the file (a scenario's added rows). A row whose
    /// key and day the file (or an earlier added row) already has is refused unless it
    /// says how to combine them: `Replace` (the file's row was dropped as it was read, see
    /// `Adjust::gmv_row`) or `AddTo`.
    pub(super) fn add_rows(
        &mut self,
        rows: &[ExtraRow],
        presence: &mut Presence,
        periods: &Periods,
    ) -> Result<(), InputError> {
        let mut added: FxHashMap<(usize, NaiveDate), &str> = FxHashMap::default();
        for extra in rows {
            let row = &extra.row;
            let c = &row.channels;
            let view = View {
                date: row.date,
                ids: [row.partner_id.as_bytes(), row.seller_id.as_bytes(), b""],
                amounts: [c.gmv, c.short_video, c.live, c.affiliate].map(cents_of),
            };
            let key = self.key(&view).expect("a scenario's ids are text");
            let clash = || {
                format!(
                    "{}: a row for {} is ",
                    extra.entry,
                    GmvSink::describe_key(&view)
                )
            };
            if let Some(earlier) = added.get(&(key, row.date)) {
                if extra.on_existing != OnExisting::AddTo {
                    return Err(InputError::Scenario(format!(
                        "{}also added by {earlier}; say `add_to = true` to add it on top",
                        clash()
                    )));
                }
            } else if presence.contains(key, row.date, periods)
                && extra.on_existing == OnExisting::Refuse
            {
                return Err(InputError::Scenario(format!(
                    "{}already in gmv_daily.csv; say `replace = true` to put this row in \
                     its place, or `add_to = true` to add it on top",
                    clash()
                )));
            }
            added.insert((key, row.date), &extra.entry);
            presence.insert(key, row.date, periods);
            self.figures[key].accepted += 1;
            self.fold(key, &view, periods, 1);
        }
        Ok(())
    }

    #[cold]
    fn apply_adjusted_added(&mut self, key: usize, v: &View, periods: &Periods) -> Disposition {
        let adjust = self.adjust.expect("called with a scenario");
        self.apply_adjusted(adjust, key, v, periods, 1)
    }

    /// A scenario's view of a row: kept out of the hot path.
    #[cold]
    fn apply_adjusted(
        &mut self,
        adjust: &dyn Adjust,
        key: usize,
        v: &View,
        periods: &Periods,
        sign: i128,
    ) -> Disposition {
        // A scenario sees the row as read; taking back a duplicate takes back the same figures.
        let m = Money::from_cents;
        let row = GmvRow {
            date: v.date,
            partner_id: v.id(0).into_owned(),
            seller_id: v.id(1).into_owned(),
            channels: Channels {
                gmv: m(v.amounts[0]),
                short_video: m(v.amounts[1]),
                live: m(v.amounts[2]),
                affiliate: m(v.amounts[3]),
            },
        };
        let c = adjust
            .gmv_row(row)
            .map_or_else(Channels::default, |r| r.channels);
        let adjusted = View {
            date: v.date,
            ids: v.ids,
            amounts: [c.gmv, c.short_video, c.live, c.affiliate].map(cents_of),
        };
        self.fold(key, &adjusted, periods, sign)
    }

    #[inline]
    fn fold(&mut self, key: usize, v: &View, periods: &Periods, sign: i128) -> Disposition {
        let mask = periods.mask(v.date);
        if mask == 0 {
            return Disposition::Outside;
        }
        // Rows are added far more often than taken back: the add is its own code, where
        // every amount is known to fit an i64.
        if sign == 1 {
            self.fold_added(key, mask, v.amounts);
        } else {
            self.fold_mask(key, mask, v.amounts.map(|a| sign * i128::from(a)));
        }
        Disposition::Used
    }

    /// Adds a row's amounts without a branch per figure; only when a sum would leave
    /// `i64` does the row go through `fold_mask`, which spills.
    #[inline(always)]
    fn fold_added(&mut self, key: usize, mask: u8, amounts: [i64; CHANNELS]) {
        let mut overflow = false;
        let mut figures = self.figures[key].cents;
        for (i, (w, channel)) in SELLER_FIGURES.iter().enumerate() {
            // All ones when the figure's window holds the day, else zero.
            let inside = -i64::from((mask >> *w as usize) & 1);
            let (sum, o) = figures[i].overflowing_add(amounts[*channel as usize] & inside);
            figures[i] = sum;
            overflow |= o;
        }
        let at =
            self.figures[key].partner as usize * self.classes.masks.len() + self.classes.of(mask);
        let mut totals = self.totals[at];
        for (total, amount) in totals.iter_mut().zip(amounts) {
            let (sum, o) = total.overflowing_add(amount);
            *total = sum;
            overflow |= o;
        }
        if overflow {
            self.fold_mask(key, mask, amounts.map(i128::from));
        } else {
            self.figures[key].cents = figures;
            self.totals[at] = totals;
        }
    }

    #[cold]
    #[inline(never)]
    fn fold_mask(&mut self, key: usize, mask: u8, deltas: [i128; CHANNELS]) {
        let entry = &mut self.figures[key];
        for (i, (w, channel)) in SELLER_FIGURES.iter().enumerate() {
            if mask & (1 << *w as usize) != 0 {
                add_cents(
                    &mut entry.cents[i],
                    deltas[*channel as usize],
                    &mut self.spilled,
                    || (key as u32, i as u8),
                );
            }
        }
        let class = self.classes.of(mask);
        let partner = entry.partner as usize;
        let at = partner * self.classes.masks.len() + class;
        for (c, (total, delta)) in self.totals[at].iter_mut().zip(deltas).enumerate() {
            add_cents(total, delta, &mut self.spilled_totals, || {
                (partner as u32, (class * CHANNELS + c) as u8)
            });
        }
    }

    pub(super) fn finish(self, data: &mut DataSet) {
        let GmvSink {
            keys,
            figures,
            partners,
            classes,
            totals,
            spilled,
            spilled_totals,
            ..
        } = self;
        // Each partner's sellers, in one list sized to fit.
        let mut counts = vec![0usize; partners.len()];
        for entry in figures.iter().filter(|e| e.accepted != 0) {
            counts[entry.partner as usize] += 1;
        }
        let mut sellers: Vec<Vec<(String, SellerSums)>> =
            counts.into_iter().map(Vec::with_capacity).collect();
        for (key, entry) in figures.iter().enumerate() {
            if entry.accepted == 0 {
                continue;
            }
            let mut cents = entry.cents.map(i128::from);
            if !spilled.is_empty() {
                for (i, sum) in cents.iter_mut().enumerate() {
                    *sum += spilled.get(&(key as u32, i as u8)).copied().unwrap_or(0);
                }
            }
            let seller_id = keys.id(key, 1).to_string();
            sellers[entry.partner as usize].push((seller_id, SellerSums::from_cents(cents)));
        }
        drop((figures, keys));
        let per_partner = classes.masks.len();
        for (p, (ids, list)) in partners.into_ids().zip(sellers).enumerate() {
            // A partner whose every row was rejected is no partner of the run.
            if list.is_empty() {
                continue;
            }
            let mut windows = [[0i128; CHANNELS]; WINDOW_COUNT];
            for (class, mask) in classes.masks.iter().enumerate() {
                for (c, total) in totals[p * per_partner + class].iter().enumerate() {
                    let slot = (p as u32, (class * CHANNELS + c) as u8);
                    let cents =
                        i128::from(*total) + spilled_totals.get(&slot).copied().unwrap_or(0);
                    for (w, window) in windows.iter_mut().enumerate() {
                        if mask & (1 << w) != 0 {
                            window[c] += cents;
                        }
                    }
                }
            }
            let partner = data.partner(&ids[0]);
            partner.add_totals(&windows);
            partner.sellers.extend(list);
        }
    }
}

impl DatedSink for GmvSink<'_> {
    fn describe_key(v: &View) -> String {
        format!(
            "date {}, partner_id {}, seller_id {}",
            v.date,
            v.id(0),
            v.id(1)
        )
    }

    fn key(&mut self, v: &View) -> Option<usize> {
        let i = self.keys.get_or_insert(&v.ids[..2])?;
        self.key_added(i, v);
        Some(i)
    }

    /// Looks the keys of the whole batch up in steps, each step's memory loads for every
    /// row issued together: the tables outgrow the caches, and a row waiting alone for
    /// each of its loads was the largest cost of the ingest.
    fn keys_of(&mut self, rows: &[DayRow], keys: &mut [usize]) -> bool {
        rows.chunks(LOOKUP_BATCH)
            .zip(keys.chunks_mut(LOOKUP_BATCH))
            .all(|(rows, keys)| self.keys_of_batch(rows, keys))
    }

    fn apply(&mut self, key: usize, v: &View, periods: &Periods, sign: i128) -> Disposition {
        self.figures[key].accepted += sign as i64;
        match self.adjust {
            None => self.fold(key, v, periods, sign),
            Some(adjust) => self.apply_adjusted(adjust, key, v, periods, sign),
        }
    }

    #[inline]
    fn add_in(&mut self, key: usize, v: &View, mask: u8, periods: &Periods) -> Disposition {
        self.figures[key].accepted += 1;
        if self.adjust.is_some() {
            return self.apply_adjusted_added(key, v, periods);
        }
        if mask == 0 {
            return Disposition::Outside;
        }
        self.fold_added(key, mask, v.amounts);
        Disposition::Used
    }

    fn part(&self) -> Self {
        GmvSink {
            keys: Keys::default(),
            figures: Vec::new(),
            partners: Keys::default(),
            classes: self.classes.clone(),
            totals: Vec::new(),
            spilled: FxHashMap::default(),
            spilled_totals: FxHashMap::default(),
            adjust: self.adjust,
        }
    }

    fn absorb(&mut self, part: Self) -> Vec<usize> {
        let GmvSink {
            keys,
            figures,
            partners,
            totals,
            spilled,
            spilled_totals,
            ..
        } = part;
        let per_partner = self.classes.masks.len();
        let partner_map = self.partners.absorb(&partners);
        drop(partners);
        let grown = self.partners.len() * per_partner;
        if self.totals.len() < grown {
            self.totals.resize(grown, [0; CHANNELS]);
        }
        for (p, &mine) in partner_map.iter().enumerate() {
            for class in 0..per_partner {
                let theirs = totals[p * per_partner + class];
                let at = mine * per_partner + class;
                for (c, (total, delta)) in self.totals[at].iter_mut().zip(theirs).enumerate() {
                    add_cents(total, i128::from(delta), &mut self.spilled_totals, || {
                        (mine as u32, (class * CHANNELS + c) as u8)
                    });
                }
            }
        }
        drop(totals);
        for ((p, slot), cents) in spilled_totals {
            *self
                .spilled_totals
                .entry((partner_map[p as usize] as u32, slot))
                .or_default() += cents;
        }
        let map = self.keys.absorb(&keys);
        // The part's keys are not needed past here: free them before the sums grow.
        drop(keys);
        for (&i, theirs) in map.iter().zip(figures) {
            if i == self.figures.len() {
                self.figures.push(KeyFigures {
                    partner: partner_map[theirs.partner as usize] as u32,
                    ..KeyFigures::default()
                });
            }
            let mine = &mut self.figures[i];
            mine.accepted += theirs.accepted;
            for (f, (sum, delta)) in mine.cents.iter_mut().zip(theirs.cents).enumerate() {
                add_cents(sum, i128::from(delta), &mut self.spilled, || {
                    (i as u32, f as u8)
                });
            }
        }
        for ((key, f), cents) in spilled {
            *self
                .spilled
                .entry((map[key as usize] as u32, f))
                .or_default() += cents;
        }
        map
    }
}

impl GmvSink<'_> {
    /// `keys_of` for at most `LOOKUP_BATCH` rows.
    fn keys_of_batch(&mut self, rows: &[DayRow], keys: &mut [usize]) -> bool {
        let n = rows.len().min(keys.len());
        let mut hashes = [0u64; LOOKUP_BATCH];
        for (hash, (v, _)) in hashes.iter_mut().zip(&rows[..n]) {
            *hash = hash_ids(v.ids[..2].iter().copied());
        }
        let mut found = [usize::MAX; LOOKUP_BATCH];
        self.keys.candidates(&hashes[..n], &mut found[..n]);
        // Each candidate's bytes, figures and totals, loaded before they are needed.
        let per_partner = self.classes.masks.len();
        let mut touched = 0u64;
        for (&i, (_, day)) in found[..n].iter().zip(rows) {
            if let Some(f) = self.figures.get(i) {
                touched ^= u64::from(self.keys.first_byte(i)) ^ f.cents[0] as u64;
                let class = day.and_then(|d| self.classes.of_day.get(d)).copied();
                let at =
                    f.partner as usize * per_partner + usize::from(class.unwrap_or(1).max(1) - 1);
                touched ^= self.totals.get(at).map_or(0, |t| t[0] as u64);
            }
        }
        std::hint::black_box(touched);
        for i in 0..n {
            let v = &rows[i].0;
            let candidate = found[i];
            keys[i] = if candidate < self.figures.len()
                && holds_ids(self.keys.bytes(candidate), &v.ids[..2])
            {
                candidate
            } else {
                let Some(k) = self.keys.get_or_insert_hashed(&v.ids[..2], hashes[i]) else {
                    return false;
                };
                self.key_added(k, v);
                k
            };
        }
        true
    }
}

/// Adds a part's per-key values into a sink's (`map` from `Keys::absorb`).
fn add_values<V: Copy + Default>(
    mine: &mut Vec<V>,
    map: &[usize],
    theirs: Vec<V>,
    add: impl Fn(&mut V, V),
) {
    let len = map.iter().map(|i| i + 1).max().unwrap_or(0);
    if mine.len() < len {
        mine.resize(len, V::default());
    }
    for (&i, value) in map.iter().zip(theirs) {
        add(&mut mine[i], value);
    }
}

#[derive(Default)]
pub(super) struct CreatorGmvSink {
    keys: Keys,
    /// (rows, cents) in the Q4 window, per creator.
    q4: Vec<(u64, i128)>,
}

impl DatedSink for CreatorGmvSink {
    fn describe_key(v: &View) -> String {
        format!("date {}, creator_id {}", v.date, v.id(0))
    }

    fn key(&mut self, v: &View) -> Option<usize> {
        let i = self.keys.get_or_insert(&v.ids[..1])?;
        if i == self.q4.len() {
            self.q4.push((0, 0));
        }
        Some(i)
    }

    fn apply(&mut self, key: usize, v: &View, periods: &Periods, sign: i128) -> Disposition {
        if periods.mask(v.date) & (1 << WindowId::Q4 as usize) == 0 {
            return Disposition::Outside;
        }
        let (rows, cents) = &mut self.q4[key];
        *rows = rows.wrapping_add_signed(sign as i64);
        *cents += sign * i128::from(v.amounts[0]);
        // Whether the creator is known is settled once both creator files are read.
        Disposition::Used
    }

    fn part(&self) -> Self {
        CreatorGmvSink::default()
    }

    fn absorb(&mut self, part: Self) -> Vec<usize> {
        let map = self.keys.absorb(&part.keys);
        add_values(&mut self.q4, &map, part.q4, |(rows, cents), (r, c)| {
            *rows += r;
            *cents += c;
        });
        map
    }
}

impl CreatorGmvSink {
    /// Joins creator GMV to creators.csv; GMV of unknown creators moves to `unmatched`.
    pub(super) fn finish(self, data: &mut DataSet, report: &mut FileReport) {
        let owner: FxHashMap<String, String> = data
            .partners
            .iter()
            .flat_map(|(pid, p)| p.creators.keys().map(move |cid| (cid.clone(), pid.clone())))
            .collect();
        for (ids, (rows, cents)) in self.keys.into_ids().zip(self.q4) {
            let creator = ids.into_iter().next().expect("creator id");
            let gmv = Money::from_cents_sum(cents);
            match owner.get(&creator) {
                Some(partner) => {
                    let c = data
                        .partners
                        .get_mut(partner)
                        .and_then(|p| p.creators.get_mut(&creator))
                        .expect("owner map is built from the partners");
                    c.q4_rows = rows;
                    c.q4_gmv = gmv;
                }
                None if rows > 0 => {
                    report.rows.used -= rows;
                    report.rows.unmatched += rows;
                    report.gmv.used -= gmv;
                    report.gmv.unmatched += gmv;
                    data.unmatched_creators.insert(creator, (rows, gmv));
                }
                None => {}
            }
        }
    }
}

#[derive(Default)]
pub(super) struct MatchSink {
    keys: Keys,
    bfcm: Vec<i128>,
    /// Accepted rows per key, as in `GmvSink`.
    accepted: Vec<i64>,
}

impl DatedSink for MatchSink {
    fn describe_key(v: &View) -> String {
        format!(
            "date {}, partner_id {}, seller_id {}, creator_id {}",
            v.date,
            v.id(0),
            v.id(1),
            v.id(2)
        )
    }

    fn key(&mut self, v: &View) -> Option<usize> {
        let i = self.keys.get_or_insert(&v.ids)?;
        if i == self.bfcm.len() {
            self.bfcm.push(0);
            self.accepted.push(0);
        }
        Some(i)
    }

    fn apply(&mut self, key: usize, v: &View, periods: &Periods, sign: i128) -> Disposition {
        self.accepted[key] += sign as i64;
        if periods.mask(v.date) & (1 << WindowId::Bfcm as usize) == 0 {
            return Disposition::Outside;
        }
        self.bfcm[key] += sign * i128::from(v.amounts[0]);
        Disposition::Used
    }

    fn part(&self) -> Self {
        MatchSink::default()
    }

    fn absorb(&mut self, part: Self) -> Vec<usize> {
        let map = self.keys.absorb(&part.keys);
        add_values(&mut self.bfcm, &map, part.bfcm, |mine, theirs| {
            *mine += theirs
        });
        add_values(&mut self.accepted, &map, part.accepted, |mine, theirs| {
            *mine += theirs
        });
        map
    }
}

impl MatchSink {
    pub(super) fn finish(self, data: &mut DataSet) {
        let keys = self.keys.into_ids().zip(self.bfcm).zip(self.accepted);
        for ((ids, cents), accepted) in keys {
            if accepted == 0 {
                continue;
            }
            let mut ids = ids.into_iter();
            let (partner, seller, creator) = (
                ids.next().expect("partner"),
                ids.next().expect("seller"),
                ids.next().expect("creator"),
            );
            data.partner(&partner)
                .matched
                .insert((seller, creator), Money::from_cents_sum(cents));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Channel;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn periods() -> Periods {
        let book = crate::book::Book::embedded();
        Periods::new(&book.rules.windows, book.rules.windows.program.end)
    }

    /// A day in each set of windows the book's days fall in, one before them all and
    /// one in none of them.
    const DAYS: [&str; 8] = [
        "2025-08-15",
        "2025-10-15",
        "2025-11-05",
        "2025-11-20",
        "2025-12-01",
        "2025-12-20",
        "2025-01-01",
        "2026-06-01",
    ];

    /// A row: partner, seller, day (index into `DAYS`), amounts, and whether it is taken
    /// back again (as a duplicate's first row is).
    type TestRow = (u8, u8, usize, [i64; 4], bool);

    fn amount() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(i64::MAX),
            Just(i64::MAX - 1),
            Just(i64::MIN + 1),
            Just(i64::MIN),
            Just(-1i64),
            Just(0i64),
            any::<i64>(),
            -100_000i64..100_000,
        ]
    }

    fn rows() -> impl Strategy<Value = Vec<TestRow>> {
        prop::collection::vec(
            (
                0u8..3,
                0u8..4,
                0..DAYS.len(),
                prop::array::uniform4(amount()),
                prop::bool::weighted(0.2),
            ),
            0..40,
        )
    }

    /// Reads `rows` in `parts` parts (as the fast path does) and merges them.
    fn read_in_parts(rows: &[TestRow], parts: usize, periods: &Periods) -> DataSet {
        let first = GmvSink::new(None, periods);
        let size = rows.len().div_ceil(parts).max(1);
        let mut sinks: Vec<GmvSink> = Vec::new();
        for chunk in 0..parts {
            let mut sink = first.part();
            for (p, s, day, amounts, back) in rows.iter().skip(chunk * size).take(size) {
                let (partner, seller) = (format!("P{p}"), format!("S{s}"));
                let view = View {
                    date: DAYS[*day].parse().unwrap(),
                    ids: [partner.as_bytes(), seller.as_bytes(), b""],
                    amounts: *amounts,
                };
                let key = sink.key(&view).unwrap();
                sink.apply(key, &view, periods, 1);
                if *back {
                    sink.apply(key, &view, periods, -1);
                }
            }
            sinks.push(sink);
        }
        let mut sinks = sinks.into_iter();
        let mut merged = sinks.next().unwrap();
        for part in sinks {
            merged.absorb(part);
        }
        let mut data = DataSet::default();
        merged.finish(&mut data);
        data
    }

    /// By partner: each seller's figures and the partner's totals by window, in cents.
    type Expected =
        BTreeMap<String, (BTreeMap<String, [i128; FIGURES]>, [[i128; 4]; WINDOW_COUNT])>;

    /// The figures and totals of `rows`, summed one by one in i128.
    fn expected(rows: &[TestRow], periods: &Periods) -> Expected {
        let mut out = Expected::new();
        for (p, s, day, amounts, back) in rows {
            if *back {
                continue;
            }
            let mask = periods.mask(DAYS[*day].parse().unwrap());
            let partner = out.entry(format!("P{p}")).or_default();
            let seller = partner.0.entry(format!("S{s}")).or_insert([0; FIGURES]);
            for (i, (w, c)) in SELLER_FIGURES.iter().enumerate() {
                if mask & (1 << *w as usize) != 0 {
                    seller[i] += i128::from(amounts[*c as usize]);
                }
            }
            for (w, total) in partner.1.iter_mut().enumerate() {
                if mask & (1 << w) != 0 {
                    for (t, a) in total.iter_mut().zip(amounts) {
                        *t += i128::from(*a);
                    }
                }
            }
        }
        out
    }

    fn check(rows: &[TestRow], parts: usize) -> Result<(), TestCaseError> {
        let periods = periods();
        let data = read_in_parts(rows, parts, &periods);
        let want = expected(rows, &periods);
        let got: Vec<&String> = data.partners.keys().collect();
        prop_assert_eq!(got, want.keys().collect::<Vec<_>>());
        for (id, (sellers, totals)) in &want {
            let partner = &data.partners[id];
            let got: BTreeMap<String, [i128; FIGURES]> = partner
                .sellers
                .iter()
                .map(|(s, sums)| (s.clone(), sums.cents()))
                .collect();
            prop_assert_eq!(&got, sellers);
            for w in WindowId::ALL {
                let t = partner.total(w);
                let m = |c: Channel| Money::from_cents_sum(totals[w as usize][c as usize]);
                prop_assert_eq!(t.gmv, m(Channel::Gmv));
                prop_assert_eq!(t.short_video, m(Channel::ShortVideo));
                prop_assert_eq!(t.live, m(Channel::Live));
                prop_assert_eq!(t.affiliate, m(Channel::Affiliate));
            }
        }
        Ok(())
    }

    proptest! {
        /// Sums near and past what i64 cents hold, added and taken back, in one part or
        /// merged from two or three, are the exact i128 sums.
        #[test]
        fn sums_spill_exactly_and_merge_in_parts(rows in rows()) {
            for parts in 1..=3 {
                check(&rows, parts)?;
            }
        }
    }

    proptest! {
        /// Keys looked up a batch at a time are the keys looked up one row at a time, in
        /// batches longer and shorter than `LOOKUP_BATCH`, with keys new in the batch,
        /// repeated within it, and sharing a partner.
        #[test]
        fn keys_of_a_batch_are_the_keys_one_by_one(
            batches in prop::collection::vec(
                prop::collection::vec((0u8..4, 0u16..300), 0..150), 1..4),
        ) {
            let periods = periods();
            let (mut by_batch, mut one_by_one) =
                (GmvSink::new(None, &periods), GmvSink::new(None, &periods));
            for batch in &batches {
                let ids: Vec<(String, String)> =
                    batch.iter().map(|(p, s)| (format!("P{p}"), format!("S{s}"))).collect();
                let rows: Vec<DayRow> = ids
                    .iter()
                    .map(|(p, s)| {
                        let view = View {
                            date: DAYS[1].parse().unwrap(),
                            ids: [p.as_bytes(), s.as_bytes(), b""],
                            amounts: [0; 4],
                        };
                        (view, None)
                    })
                    .collect();
                let mut keys = vec![usize::MAX; rows.len()];
                prop_assert!(by_batch.keys_of(&rows, &mut keys));
                let expected: Vec<usize> =
                    rows.iter().map(|(v, _)| one_by_one.key(v).unwrap()).collect();
                prop_assert_eq!(keys, expected);
            }
            prop_assert_eq!(by_batch.figures.len(), one_by_one.figures.len());
            let partners = |sink: &GmvSink| sink.figures.iter().map(|f| f.partner).collect::<Vec<_>>();
            prop_assert_eq!(partners(&by_batch), partners(&one_by_one));
        }
    }

    #[test]
    fn a_batch_with_a_new_key_that_is_not_text_is_refused() {
        let periods = periods();
        let mut sink = GmvSink::new(None, &periods);
        let view = |seller: &'static [u8]| View {
            date: DAYS[1].parse().unwrap(),
            ids: [b"P1", seller, b""],
            amounts: [0; 4],
        };
        let rows = [(view(b"S1"), None), (view(b"S\xff"), None)];
        let mut keys = [0; 2];
        assert!(!sink.keys_of(&rows, &mut keys));
        // A known key that is text is still found.
        let rows = [(view(b"S1"), None)];
        assert!(sink.keys_of(&rows, &mut keys[..1]));
        assert_eq!(keys[0], 0);
    }

    #[test]
    fn a_sum_past_i64_cents_and_back_is_exact() {
        let max = i64::MAX;
        let rows: Vec<TestRow> = vec![
            (0, 0, 1, [max, max, 1, max], false),
            (0, 0, 2, [max, -max, max, 1], false),
            (0, 1, 3, [max, 0, 0, 0], false),
            (0, 0, 3, [-max, max, -max, -max], false),
            (1, 0, 4, [i64::MIN, i64::MIN, 0, 0], true),
            (1, 0, 5, [i64::MIN, 5, 0, 0], false),
            (0, 0, 4, [max, max, max, max], false),
        ];
        for parts in 1..=3 {
            check(&rows, parts).unwrap();
        }
        let data = read_in_parts(&rows, 2, &periods());
        let seller = data.partners["P0"].sellers.get("S0").unwrap();
        // Oct, Nov, Nov (BFCM), Dec (BFCM): max + max - max + max cents over Q4.
        let q4 = 2 * i128::from(max);
        assert_eq!(seller.gmv(WindowId::Q4), Money::from_cents_sum(q4));
        assert_eq!(seller.live(WindowId::Bfcm), Money::ZERO);
        assert_eq!(
            data.partners["P1"].total(WindowId::Q4).gmv,
            Money::from_cents_sum(i128::from(i64::MIN))
        );
    }
}
