//! CSV ingest: reads each input file once, row by row, validates it against the data
//! contract, and folds it into per-(partner, seller, window) sums. Memory grows with the
//! number of partners, sellers and creators, never with the number of rows.

pub mod columns;
pub(crate) mod coverage;
mod dated;
pub(crate) mod error;
mod header;
pub mod locate;
pub(crate) mod looks;
mod mapped;
mod parquet;
pub mod reader;
mod sniff;
pub mod source;
mod split;
pub mod summary;
mod sums;
mod tally;
mod xlsx;
mod xlsx_fast;

pub use coverage::Coverage;
pub use error::{DataError, InputError};
pub use sums::{Channel, SellerSums, Sellers, SellersIter};
pub use tally::{FileReport, Tally};

use crate::money::Money;
use crate::window::{Periods, WindowId, WINDOW_COUNT};
use chrono::NaiveDate;
use reader::{CsvFile, Next, Row};
use source::{Located, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The six files of a data directory, in the order they are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputFile {
    Partners,
    PartnerTiers,
    Creators,
    CreatorGmvDaily,
    Matchmaking,
    GmvDaily,
}

impl InputFile {
    pub const ALL: [InputFile; 6] = [
        InputFile::Partners,
        InputFile::PartnerTiers,
        InputFile::Creators,
        InputFile::CreatorGmvDaily,
        InputFile::Matchmaking,
        InputFile::GmvDaily,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InputFile::GmvDaily => "gmv_daily.csv",
            InputFile::PartnerTiers => "partner_tiers.csv",
            InputFile::Creators => "creators.csv",
            InputFile::CreatorGmvDaily => "creator_gmv_daily.csv",
            InputFile::Matchmaking => "matchmaking.csv",
            InputFile::Partners => "partners.csv",
        }
    }

    pub const fn columns(self) -> &'static [&'static str] {
        match self {
            InputFile::GmvDaily => &[
                "date",
                "partner_id",
                "seller_id",
                "gmv",
                "short_video_gmv",
                "live_gmv",
                "affiliate_gmv",
            ],
            InputFile::PartnerTiers => &["partner_id", "effective_date", "tier"],
            InputFile::Creators => &["creator_id", "partner_id", "target_list"],
            InputFile::CreatorGmvDaily => &["date", "creator_id", "gmv"],
            InputFile::Matchmaking => &["date", "partner_id", "seller_id", "creator_id", "gmv"],
            InputFile::Partners => &["partner_id", "partner_name"],
        }
    }

    pub fn required(self) -> bool {
        self == InputFile::GmvDaily
    }

    /// Files whose reconciliation also balances GMV dollars.
    pub fn has_gmv(self) -> bool {
        matches!(
            self,
            InputFile::GmvDaily | InputFile::CreatorGmvDaily | InputFile::Matchmaking
        )
    }
}

/// GMV by channel. Channels may overlap; each is at most `gmv`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Channels {
    pub gmv: Money,
    pub short_video: Money,
    pub live: Money,
    pub affiliate: Money,
}

impl Channels {
    fn add(&mut self, other: &Channels, retract: bool) {
        if retract {
            self.gmv -= other.gmv;
            self.short_video -= other.short_video;
            self.live -= other.live;
            self.affiliate -= other.affiliate;
        } else {
            self.gmv += other.gmv;
            self.short_video += other.short_video;
            self.live += other.live;
            self.affiliate += other.affiliate;
        }
    }

    pub fn plus(mut self, other: &Channels) -> Channels {
        self.add(other, false);
        self
    }
}

#[derive(Clone, Debug)]
pub struct Creator {
    pub target_list: bool,
    /// GMV over the Q4 window cut at the evaluation date.
    pub q4_gmv: Money,
    pub q4_rows: u64,
}

#[derive(Clone, Debug, Default)]
pub struct PartnerData {
    pub name: Option<String>,
    pub sellers: Sellers,
    /// Tier history `(effective_date, tier)`, sorted by date; rows after the evaluation
    /// date are not included.
    pub tiers: Vec<(NaiveDate, u8)>,
    pub creators: BTreeMap<String, Creator>,
    /// Matched GMV in BFCM per (seller_id, creator_id).
    pub matched: BTreeMap<(String, String), Money>,
    /// Channel sums over each window across all its sellers (who keep only what the
    /// programs read of them).
    totals: [Channels; WINDOW_COUNT],
}

impl PartnerData {
    /// The partner's channel sums over a window, across all its sellers.
    pub fn total(&self, id: WindowId) -> Channels {
        self.totals[id as usize]
    }

    /// Adds channel sums in cents, by window, to the partner's totals.
    fn add_totals(&mut self, windows: &[[i128; 4]; WINDOW_COUNT]) {
        for (total, cents) in self.totals.iter_mut().zip(windows) {
            let m = |c: usize| Money::from_cents_sum(cents[c]);
            let sums = Channels {
                gmv: m(0),
                short_video: m(1),
                live: m(2),
                affiliate: m(3),
            };
            total.add(&sums, false);
        }
    }
}

/// A rejected row, as written to rejects.csv.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reject {
    pub file: InputFile,
    pub line: u64,
    pub reason: String,
    pub row: String,
    /// The file's name as read (`gmv_daily.xlsx`).
    pub name: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Collect every problem; the caller refuses to go on if there is any.
    Strict,
    /// Reject bad rows, keep their text for rejects.csv, and go on.
    SkipInvalid,
}

/// A hook to alter rows as they stream in (what-if scenarios). `None` drops the row.
/// Only the channels of the returned row are folded in: the date and ids stay the row's
/// key. The reconciliation keeps counting the file's own figures.
pub trait Adjust: Sync {
    fn gmv_row(&self, row: GmvRow) -> Option<GmvRow> {
        Some(row)
    }
    /// Rows to add to gmv_daily after the file's own (taken as given, not adjusted); an
    /// error (a usage error of the scenario) when they cannot be made for these periods.
    fn extra_gmv_rows(&self, _periods: &Periods) -> Result<Vec<ExtraRow>, String> {
        Ok(Vec::new())
    }
    /// Called once every file is read, e.g. to drop a partner from every file; an error
    /// (a usage error) when the rows could not be adjusted as asked.
    fn finish(&self, _data: &mut DataSet) -> Result<(), String> {
        Ok(())
    }
}

/// What an added row does where gmv_daily.csv already has its key and day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnExisting {
    /// Refuse the run: the scenario must say which it means.
    #[default]
    Refuse,
    /// The file's row is dropped (`Adjust::gmv_row` returns `None` for it) and this one
    /// stands in its place.
    Replace,
    /// This row's figures are added to the file's row.
    AddTo,
}

/// A row a scenario adds, with the entry that adds it (`add[2]`) for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraRow {
    pub row: GmvRow,
    pub entry: String,
    pub on_existing: OnExisting,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GmvRow {
    pub date: NaiveDate,
    pub partner_id: String,
    pub seller_id: String,
    pub channels: Channels,
}

pub struct Options<'a> {
    pub mode: Mode,
    pub progress: bool,
    pub adjust: Option<&'a dyn Adjust>,
    /// Threads for reading a dated file (1: everything on one thread). Results are identical
    /// whatever the number.
    pub threads: usize,
    /// Compute each file's sha256 (for the outputs that record it).
    pub hashes: bool,
    /// Keep every problem in `DataSet::errors`, not only the first `MAX_ERRORS_KEPT`
    /// (`validate --all`); the summary counts every one either way.
    pub every_error: bool,
}

/// The largest GMV of one partner over one window (after a scenario's changes), in
/// dollars. Below it every exact product the programs form (a sum times day counts, times
/// a book threshold) stays inside Decimal's range; no real partner comes near it.
pub const MAX_WINDOW_GMV: i64 = 1_000_000_000_000_000_000;

/// Errors kept in memory; past this only their count grows.
const MAX_ERRORS_KEPT: usize = 10_000;

/// Everything a run knows about its inputs.
#[derive(Debug, Default)]
pub struct DataSet {
    pub partners: BTreeMap<String, PartnerData>,
    pub files: BTreeMap<InputFile, FileReport>,
    pub errors: Vec<DataError>,
    pub error_count: usize,
    /// Every problem, grouped for people to read.
    pub error_summary: summary::ErrorSummary,
    keep_every_error: bool,
    pub rejects: Vec<Reject>,
    /// Creator GMV rows of creators missing from creators.csv: (rows, gmv) by creator.
    pub unmatched_creators: BTreeMap<String, (u64, Money)>,
    /// Remarks for stderr: files of the data directory that are not read.
    pub notes: Vec<String>,
    /// The data directory's columns.toml, when it has one.
    pub columns: Option<columns::ColumnMap>,
    /// How the table being read names places (`Sheet1!E14`); `None` for CSV.
    places: Option<source::Places>,
}

impl DataSet {
    pub fn present(&self, file: InputFile) -> bool {
        self.files.get(&file).is_some_and(|f| f.present)
    }

    /// Folds one gmv_daily row into the sums, as ingest does (for tests and scenarios).
    pub fn add_gmv_row(&mut self, periods: &Periods, row: &GmvRow) {
        let mask = periods.mask(row.date);
        let c = &row.channels;
        let cents = [c.gmv, c.short_video, c.live, c.affiliate].map(|m| {
            let cents = m.as_decimal() * rust_decimal::Decimal::ONE_HUNDRED;
            assert!(cents.fract().is_zero(), "gmv rows are in whole cents: {m}");
            rust_decimal::prelude::ToPrimitive::to_i128(&cents).expect("whole cents")
        });
        let figures = sums::SELLER_FIGURES.map(|(w, channel)| {
            let inside = mask & (1 << w as usize) != 0;
            if inside {
                cents[channel as usize]
            } else {
                0
            }
        });
        let partner = self.partner(&row.partner_id);
        partner.sellers.add(&row.seller_id, figures);
        for id in WindowId::ALL {
            if mask & (1 << id as usize) != 0 {
                partner.totals[id as usize].add(&row.channels, false);
            }
        }
    }

    /// Registers a partner of the run (for tests and scenarios).
    pub fn ensure_partner(&mut self, id: &str) -> &mut PartnerData {
        self.partner(id)
    }

    fn error(&mut self, mut e: DataError) {
        if let Some(places) = &self.places {
            e.at = Some(places.of(&e));
        }
        self.error_count += 1;
        self.error_summary.add(&e);
        if self.keep_every_error || self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(e);
        }
    }

    fn partner(&mut self, id: &str) -> &mut PartnerData {
        if !self.partners.contains_key(id) {
            self.partners.insert(id.to_string(), PartnerData::default());
        }
        self.partners.get_mut(id).expect("just inserted")
    }
}

/// Reads a data directory.
pub fn load(dir: &Path, periods: &Periods, opts: &Options) -> Result<DataSet, InputError> {
    if !dir.is_dir() {
        return Err(InputError::MissingDir(dir.to_path_buf()));
    }
    let columns = columns::ColumnMap::read(dir).map_err(InputError::Ambiguous)?;
    let mut data = DataSet {
        notes: unread_files(dir),
        columns,
        keep_every_error: opts.every_error,
        ..DataSet::default()
    };
    for file in InputFile::ALL {
        // Only a name that is not there at all is absent: a dangling link, a directory, a
        // FIFO or a file without read permission is an input that cannot be read.
        let Some(located) = source::locate(dir, file)? else {
            if file.required() {
                return Err(InputError::MissingFile {
                    file: file.name(),
                    dir: dir.to_path_buf(),
                });
            }
            data.files.insert(file, FileReport::absent(file));
            continue;
        };
        let path = located.path.clone();
        reader::check_openable(&path, located.name)?;
        let first_error = data.errors.len();
        let aliases = data
            .columns
            .as_ref()
            .map(|c| c.aliases(file))
            .unwrap_or_default();
        let mut report = FileReport::present(file);
        report.name = located.name;
        let mut ingest = Ingest {
            data: &mut data,
            file,
            name: located.name,
            located,
            aliases,
            spill: None,
            note: None,
            periods,
            opts,
            report,
        };
        match file {
            InputFile::Partners => ingest.partners(&path)?,
            InputFile::PartnerTiers => ingest.tiers(&path)?,
            InputFile::Creators => ingest.creators(&path)?,
            InputFile::CreatorGmvDaily => {
                let mut sink = dated::CreatorGmvSink::default();
                ingest.dated(&path, &mut sink)?;
                sink.finish(ingest.data, &mut ingest.report);
            }
            InputFile::Matchmaking => {
                let mut sink = dated::MatchSink::default();
                ingest.dated(&path, &mut sink)?;
                sink.finish(ingest.data);
            }
            InputFile::GmvDaily => {
                let mut sink = dated::GmvSink::new(opts.adjust, periods);
                let mut presence = ingest.dated(&path, &mut sink)?;
                if let Some(adjust) = opts.adjust {
                    let rows = adjust
                        .extra_gmv_rows(periods)
                        .map_err(InputError::Scenario)?;
                    sink.add_rows(&rows, &mut presence, periods)?;
                }
                drop(presence);
                sink.finish(ingest.data);
            }
        }
        let report = ingest.report;
        if let Some(note) = ingest.note.take() {
            data.notes.push(note);
        }
        data.places = None;
        data.files.insert(file, report);
        // Some problems (duplicate keys) are only known after the whole file was read;
        // report each file's problems in line order.
        data.errors[first_error..].sort_by_key(|e| e.line);
    }
    if let Some(adjust) = opts.adjust {
        adjust.finish(&mut data).map_err(InputError::Scenario)?;
    }
    check_window_sums(&data, periods)?;
    data.rejects.sort();
    Ok(data)
}

/// Refuses a partner whose GMV over a window passes `MAX_WINDOW_GMV` (each cell is
/// bounded, but many rows, sellers or a scenario's factors can add up past it).
fn check_window_sums(data: &DataSet, periods: &Periods) -> Result<(), InputError> {
    let max = Money::dollars(MAX_WINDOW_GMV);
    for (id, partner) in &data.partners {
        for w in WindowId::ALL {
            let total = partner.total(w).gmv;
            if total > max {
                let window = periods.full(w);
                return Err(InputError::OutOfRange(format!(
                    "gmv_daily.csv: partner {id} has GMV {} over {}..{}, above the {} one \
                     partner's window may total",
                    total.human(),
                    window.start,
                    window.end,
                    max.human()
                )));
            }
        }
    }
    Ok(())
}

/// Whether anything at all is at `path` (a dangling symbolic link is something).
fn exists(path: &Path) -> bool {
    !matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// Files of the data directory that the tool does not read, each with the closest name it
/// reads when one is close. Hidden entries (a name starting with `.`) and directories are
/// not named: they are never inputs.
fn unread_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| !e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .filter(|n| {
            n != columns::FILE_NAME
                && InputFile::ALL
                    .iter()
                    .all(|f| source::Format::ALL.iter().all(|t| f.name_as(*t) != n))
        })
        .collect();
    names.sort();
    // A directory of thousands of files is named in part: the notes only point the way.
    const MAX_NAMED: usize = 20;
    let more = names.len().saturating_sub(MAX_NAMED);
    let mut notes: Vec<String> = names
        .into_iter()
        .take(MAX_NAMED)
        .map(|name| match closest_input(&name) {
            Some(expected) => {
                let stem = expected.split('.').next().unwrap_or_default();
                let lower = name.to_lowercase();
                let read_type = source::Format::ALL
                    .iter()
                    .any(|t| lower.ends_with(&format!(".{}", t.extension())));
                let other_type = lower.starts_with(&format!("{stem}.")) && !read_type;
                let types = if other_type {
                    " (inputs are read as .csv, .xlsx or .parquet)"
                } else {
                    ""
                };
                format!("{name} is not read{types}; did you mean {expected}?")
            }
            None => format!("{name} is not read"),
        })
        .collect();
    if more > 0 {
        notes.push(format!(
            "{more} more file(s) of the data directory are not read"
        ));
    }
    notes
}

/// The input file name (in any of the file types) nearest to `name`: one that holds its
/// stem (`gmv_daily (1).csv`), or is within a third of its length in edits (letter case
/// aside).
fn closest_input(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    InputFile::ALL
        .iter()
        .flat_map(|f| source::Format::ALL.map(|t| (f.stem(), f.name_as(t))))
        .filter_map(|(stem, expected)| {
            let distance = edit_distance(&lower, expected);
            let same_type = lower.ends_with(expected.rsplit('.').next().unwrap_or_default());
            let close = distance <= expected.len() / 3 || (lower.contains(stem) && same_type);
            close.then_some((distance, expected))
        })
        .min()
        .map(|(_, f)| f)
        .or_else(|| {
            // The stem with a type not read: the CSV name.
            InputFile::ALL
                .iter()
                .find(|f| lower.contains(f.stem()))
                .map(|f| f.name())
        })
}

/// Levenshtein distance over characters.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Where a row ends up in the reconciliation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Used,
    Outside,
    Unmatched,
}

struct Ingest<'a> {
    data: &'a mut DataSet,
    file: InputFile,
    /// The file's name as read (`gmv_daily.xlsx`).
    name: &'static str,
    located: Located,
    /// Further names of each column (columns.toml).
    aliases: Vec<Vec<String>>,
    /// A table's rendered rows, kept for rejects.csv.
    spill: Option<std::sync::Arc<source::Spill>>,
    /// A remark about how the file was read (which sheet).
    note: Option<String>,
    periods: &'a Periods,
    opts: &'a Options<'a>,
    report: FileReport,
}

impl Ingest<'_> {
    fn open(&mut self, path: &Path) -> Result<Option<Source>, InputError> {
        self.open_pass(path, true)
    }

    /// Opens the file again for a second pass over the same rows (without hashing).
    fn reopen(&mut self, path: &Path) -> Result<Option<Source>, InputError> {
        self.open_pass(path, false)
    }

    fn open_pass(&mut self, path: &Path, first: bool) -> Result<Option<Source>, InputError> {
        let hash = first && self.opts.hashes;
        let opened = match self.located.format {
            source::Format::Csv => {
                CsvFile::open_mapped(path, self.name, self.file.columns(), &self.aliases, hash)?
                    .map(Source::Csv)
            }
            format => {
                if first && self.opts.mode == Mode::SkipInvalid {
                    let spill = source::Spill::new().map_err(|source| InputError::Io {
                        file: format!("{} (a temporary file for its rows)", self.name),
                        source,
                    })?;
                    self.spill = Some(spill);
                }
                let spill = self.spill.clone().map(|s| (s, first));
                let table = if format == source::Format::Xlsx {
                    xlsx::open(path, self.name, self.file, &self.aliases, spill, hash)?
                } else {
                    parquet::open(path, self.name, self.file, &self.aliases, spill, hash)?
                };
                match table {
                    Ok((table, note)) => {
                        self.data.places = Some(table.places.clone());
                        if first {
                            self.note = note;
                        }
                        Ok(Source::Table(Box::new(table)))
                    }
                    Err((e, places)) => {
                        self.data.places = places;
                        Err(e)
                    }
                }
            }
        };
        match opened {
            Ok(source) => Ok(Some(source)),
            Err(header_error) => {
                // A header problem makes the whole file unreadable, in every mode.
                self.report.unreadable = true;
                self.data.error(sniff::explain_header(path, header_error));
                Ok(None)
            }
        }
    }

    fn reject(
        &mut self,
        line: u64,
        reason: String,
        raw: impl FnOnce() -> String,
        gmv: Option<Money>,
    ) {
        self.report.rows.rejected += 1;
        if let Some(g) = gmv {
            self.report.gmv.rejected += g;
        }
        if self.opts.mode == Mode::SkipInvalid {
            self.data.rejects.push(Reject {
                file: self.file,
                line,
                reason,
                row: raw(),
                name: self.name,
            });
        }
    }

    /// Counts a row as read, with its GMV when the file has one and the cell parses.
    fn read(&mut self, gmv: Option<Money>) {
        self.report.rows.read += 1;
        if let Some(g) = gmv {
            self.report.gmv.read += g;
        }
    }

    fn dispose(&mut self, d: Disposition, gmv: Money, retract: bool) {
        let (rows, dollars) = match d {
            Disposition::Used => (&mut self.report.rows.used, &mut self.report.gmv.used),
            Disposition::Outside => (&mut self.report.rows.outside, &mut self.report.gmv.outside),
            Disposition::Unmatched => (
                &mut self.report.rows.unmatched,
                &mut self.report.gmv.unmatched,
            ),
        };
        if retract {
            *rows -= 1;
            *dollars -= gmv;
        } else {
            *rows += 1;
            *dollars += gmv;
        }
    }

    /// Reads a small keyed file whole (it holds one row per partner, tier change or creator)
    /// and returns the rows that parsed, with their lines and raw spans.
    fn small<T>(
        &mut self,
        path: &Path,
        parse: impl Fn(&mut Row) -> Option<T>,
    ) -> Result<Option<(Source, Parsed<T>)>, InputError> {
        let Some(mut csv) = self.open(path)? else {
            return Ok(None);
        };
        let mut rows = Vec::new();
        loop {
            match csv.next_row() {
                Next::End => break,
                Next::Broken(e, span) => {
                    self.read(None);
                    let line = e.line;
                    let reason = e.describe();
                    self.data.error(e);
                    let raw = csv.raw_text(span);
                    self.reject(line, reason, || raw, None);
                }
                Next::Row(mut row) => {
                    self.read(None);
                    let parsed = parse(&mut row);
                    let (line, span) = (row.line, row.span);
                    let mut errors = row.take_errors();
                    // Small files: every row's line is worth reading back exactly.
                    let (line, span) = csv.locate(line, span);
                    for e in &mut errors {
                        e.line = line;
                    }
                    match parsed.filter(|_| errors.is_empty()) {
                        Some(t) => rows.push((line, span, t)),
                        None => {
                            let reason = error::reasons(&errors);
                            for e in errors {
                                self.data.error(e);
                            }
                            self.reject(line, reason, || csv.raw_text(span), None);
                        }
                    }
                }
            }
        }
        self.report.unreadable |= csv.cut_short();
        Ok(Some((csv, rows)))
    }

    /// Splits rows by key: rows whose key is unique are returned; every row of a shared key
    /// is rejected, with `describe` naming the clash.
    fn unique_by<T, K: Ord + Clone>(
        &mut self,
        csv: &Source,
        rows: Parsed<T>,
        key: impl Fn(&T) -> K,
        describe: impl Fn(&K, &[(u64, &T)]) -> String,
    ) -> Vec<(u64, T)> {
        let mut groups: BTreeMap<K, Parsed<T>> = BTreeMap::new();
        for r in rows {
            groups.entry(key(&r.2)).or_default().push(r);
        }
        let mut kept = Vec::new();
        for (k, group) in groups {
            if group.len() == 1 {
                let (line, _, t) = group.into_iter().next().expect("one row");
                kept.push((line, t));
                continue;
            }
            let members: Vec<(u64, &T)> = group.iter().map(|(l, _, t)| (*l, t)).collect();
            let reason = describe(&k, &members);
            for (line, span, _) in &group {
                self.data
                    .error(DataError::row(self.name, *line, reason.clone()));
                self.reject(*line, reason.clone(), || csv.raw_text(*span), None);
            }
        }
        kept.sort_by_key(|(line, _)| *line);
        kept
    }

    /// How this file's messages name other rows (`line 7`, `Sheet1 row 7`).
    fn locator(&self) -> locate::Locator {
        locate::Locator::of(self.data.places.as_ref())
    }

    fn finish_small(&mut self, csv: Source) -> Result<(), InputError> {
        self.report.sha256 = csv.finish_sha256()?;
        Ok(())
    }

    fn partners(&mut self, path: &Path) -> Result<(), InputError> {
        let Some((csv, rows)) = self.small(path, |row| Some((row.id(0)?, row.text(1)?)))? else {
            return Ok(());
        };
        let locator = self.locator();
        let kept = self.unique_by(
            &csv,
            rows,
            |(id, _)| id.clone(),
            |id, group| {
                format!(
                    "duplicate key (partner_id {id}) on {}",
                    lines_of(group, &locator)
                )
            },
        );
        for (_, (id, name)) in kept {
            self.data.partner(&id).name = Some(name);
            self.dispose(Disposition::Used, Money::ZERO, false);
        }
        self.finish_small(csv)
    }

    fn tiers(&mut self, path: &Path) -> Result<(), InputError> {
        let Some((csv, rows)) = self.small(path, |row| {
            Some((row.id(0)?, row.date(1)?, row.integer_in(2, 1, 5)?))
        })?
        else {
            return Ok(());
        };
        let locator = self.locator();
        let kept = self.unique_by(
            &csv,
            rows,
            |(p, d, _)| (p.clone(), *d),
            |(p, d), group| {
                format!(
                    "duplicate key (partner_id {p}, effective_date {d}) on {}",
                    lines_of(group, &locator)
                )
            },
        );
        let as_of = self.periods.as_of;
        for (_, (partner, date, tier)) in kept {
            let p = self.data.partner(&partner);
            if date > as_of {
                self.dispose(Disposition::Outside, Money::ZERO, false);
            } else {
                p.tiers.push((date, tier));
                self.dispose(Disposition::Used, Money::ZERO, false);
            }
        }
        for p in self.data.partners.values_mut() {
            p.tiers.sort();
        }
        self.finish_small(csv)
    }

    fn creators(&mut self, path: &Path) -> Result<(), InputError> {
        let Some((csv, rows)) =
            self.small(path, |row| Some((row.id(0)?, row.id(1)?, row.flag(2)?)))?
        else {
            return Ok(());
        };
        let locator = self.locator();
        let kept = self.unique_by(
            &csv,
            rows,
            |(c, _, _)| c.clone(),
            |c, group| {
                let partners: BTreeSet<&String> = group.iter().map(|(_, (_, p, _))| p).collect();
                if partners.len() > 1 {
                    let claims = group
                        .iter()
                        .map(|(line, (_, p, _))| format!("{p} ({})", locator.row(*line)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("creator {c} is claimed by more than one partner: {claims}")
                } else {
                    format!(
                        "duplicate key (creator_id {c}) on {}",
                        lines_of(group, &locator)
                    )
                }
            },
        );
        for (_, (creator, partner, target_list)) in kept {
            self.data.partner(&partner).creators.insert(
                creator,
                Creator {
                    target_list,
                    q4_gmv: Money::ZERO,
                    q4_rows: 0,
                },
            );
            self.dispose(Disposition::Used, Money::ZERO, false);
        }
        self.finish_small(csv)
    }
}

fn lines_of<T>(group: &[(u64, &T)], locator: &locate::Locator) -> String {
    locator.rows(&group.iter().map(|(l, _)| *l).collect::<Vec<_>>())
}

/// Rows of a small file that parsed: (line, byte span, fields).
type Parsed<T> = Vec<(u64, (u64, u64), T)>;
