//! CSV ingest: reads each input file once, row by row, validates it against the data
//! contract, and folds it into per-(partner, seller, window) sums. Memory grows with the
//! number of partners, sellers and creators, never with the number of rows.

pub mod error;
pub mod reader;
mod tally;

pub use error::{DataError, InputError};
pub use tally::{FileReport, Tally};

use crate::money::Money;
use crate::window::{Periods, WindowId, WINDOW_COUNT};
use chrono::NaiveDate;
use reader::{CsvFile, Next, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

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

    pub fn columns(self) -> &'static [&'static str] {
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

    /// Column index of `gmv` in `columns()`, for files that have one.
    fn gmv_column(self) -> Option<usize> {
        self.columns().iter().position(|c| *c == "gmv")
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

/// One seller's sums per window (cut at the evaluation date).
#[derive(Clone, Debug, Default)]
pub struct SellerSums {
    pub windows: [Channels; WINDOW_COUNT],
}

impl SellerSums {
    pub fn get(&self, id: WindowId) -> &Channels {
        &self.windows[id as usize]
    }
}

#[derive(Clone, Debug)]
pub struct Creator {
    pub partner_id: String,
    pub target_list: bool,
    pub line: u64,
    /// GMV over the Q4 window cut at the evaluation date.
    pub q4_gmv: Money,
    pub q4_rows: u64,
}

#[derive(Clone, Debug, Default)]
pub struct PartnerData {
    pub name: Option<String>,
    pub sellers: BTreeMap<String, SellerSums>,
    /// Tier history `(effective_date, tier)`, sorted by date; rows after the evaluation
    /// date are not included.
    pub tiers: Vec<(NaiveDate, u8)>,
    pub creators: BTreeMap<String, Creator>,
    /// Matched GMV in BFCM per (seller_id, creator_id).
    pub matched: BTreeMap<(String, String), Money>,
}

impl PartnerData {
    /// The partner's channel sums over a window, across all its sellers.
    pub fn total(&self, id: WindowId) -> Channels {
        self.sellers
            .values()
            .fold(Channels::default(), |acc, s| acc.plus(s.get(id)))
    }
}

/// A rejected row, as written to rejects.csv.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reject {
    pub file: InputFile,
    pub line: u64,
    pub reason: String,
    pub row: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Collect every problem; the caller refuses to go on if there is any.
    Strict,
    /// Reject bad rows, keep their text for rejects.csv, and go on.
    SkipInvalid,
}

/// A hook to alter rows as they stream in (what-if scenarios). `None` drops the row.
pub trait Adjust {
    fn gmv_row(&self, row: GmvRow) -> Option<GmvRow> {
        Some(row)
    }
    /// Rows to add to gmv_daily after the file's own.
    fn extra_gmv_rows(&self) -> Vec<GmvRow> {
        Vec::new()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GmvRow {
    pub date: NaiveDate,
    pub partner_id: String,
    pub seller_id: String,
    pub channels: Channels,
}

pub struct Options<'a> {
    pub as_of: NaiveDate,
    pub mode: Mode,
    pub progress: bool,
    pub adjust: Option<&'a dyn Adjust>,
}

/// Errors kept in memory; past this only their count grows.
const MAX_ERRORS_KEPT: usize = 10_000;

/// Everything a run knows about its inputs.
#[derive(Debug, Default)]
pub struct DataSet {
    pub dir: PathBuf,
    pub partners: BTreeMap<String, PartnerData>,
    pub files: BTreeMap<InputFile, FileReport>,
    pub errors: Vec<DataError>,
    pub error_count: usize,
    pub rejects: Vec<Reject>,
    /// Creator GMV rows of creators missing from creators.csv: (rows, gmv) by creator.
    pub unmatched_creators: BTreeMap<String, (u64, Money)>,
}

impl DataSet {
    pub fn present(&self, file: InputFile) -> bool {
        self.files.get(&file).is_some_and(|f| f.present)
    }

    /// Folds one gmv_daily row into the sums, as ingest does (for tests and scenarios).
    pub fn add_gmv_row(&mut self, periods: &Periods, row: &GmvRow) {
        let mask = periods.mask(row.date);
        let sums = self
            .partner(&row.partner_id)
            .sellers
            .entry(row.seller_id.clone())
            .or_default();
        for id in WindowId::ALL {
            if mask & (1 << id as usize) != 0 {
                sums.windows[id as usize].add(&row.channels, false);
            }
        }
    }

    /// Registers a partner of the run (for tests and scenarios).
    pub fn ensure_partner(&mut self, id: &str) -> &mut PartnerData {
        self.partner(id)
    }

    fn error(&mut self, e: DataError) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS_KEPT {
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
    let mut data = DataSet {
        dir: dir.to_path_buf(),
        ..DataSet::default()
    };
    for file in InputFile::ALL {
        let path = dir.join(file.name());
        if !path.is_file() {
            if file.required() {
                return Err(InputError::MissingFile {
                    file: file.name(),
                    dir: dir.to_path_buf(),
                });
            }
            data.files.insert(file, FileReport::absent(file));
            continue;
        }
        let mut ingest = Ingest {
            data: &mut data,
            file,
            periods,
            opts,
            report: FileReport::present(file),
        };
        match file {
            InputFile::Partners => ingest.partners(&path)?,
            InputFile::PartnerTiers => ingest.tiers(&path)?,
            InputFile::Creators => ingest.creators(&path)?,
            InputFile::CreatorGmvDaily => {
                let mut sink = CreatorGmvSink::default();
                ingest.dated(&path, &mut sink)?;
                sink.finish(ingest.data, &mut ingest.report);
            }
            InputFile::Matchmaking => {
                let mut sink = MatchSink::default();
                ingest.dated(&path, &mut sink)?;
                sink.finish(ingest.data);
            }
            InputFile::GmvDaily => {
                let mut sink = GmvSink::default();
                ingest.dated(&path, &mut sink)?;
                if let Some(adjust) = opts.adjust {
                    for row in adjust.extra_gmv_rows() {
                        let key = sink.key(&row);
                        sink.apply(key, &row, periods, false);
                    }
                }
                sink.finish(ingest.data);
            }
        }
        let report = ingest.report;
        data.files.insert(file, report);
    }
    data.rejects.sort();
    Ok(data)
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
    periods: &'a Periods,
    opts: &'a Options<'a>,
    report: FileReport,
}

/// A file whose rows are keyed by a date and folded into sums.
trait DatedSink {
    type Rec;
    fn parse(row: &mut Row) -> Option<Self::Rec>;
    fn date(rec: &Self::Rec) -> NaiveDate;
    fn gmv(rec: &Self::Rec) -> Money;
    /// A readable form of the row's key, for duplicate-key messages.
    fn describe_key(rec: &Self::Rec) -> String;
    /// Interns the key (without the date) and returns its index.
    fn key(&mut self, rec: &Self::Rec) -> usize;
    /// Adds (or with `retract`, takes back) the row's figures.
    fn apply(
        &mut self,
        key: usize,
        rec: &Self::Rec,
        periods: &Periods,
        retract: bool,
    ) -> Disposition;
}

/// First line of each (key, date), day-indexed over the book's span so that memory is
/// bounded by keys × days rather than rows.
#[derive(Default)]
struct DayKeys {
    lines: Vec<Box<[u32]>>,
    elsewhere: HashMap<(usize, NaiveDate), u64>,
}

impl DayKeys {
    /// Records `line` for (key, date); returns the first line when the pair was seen.
    fn insert(&mut self, key: usize, date: NaiveDate, line: u64, periods: &Periods) -> Option<u64> {
        match periods.span_offset(date) {
            Some(offset) if line <= u64::from(u32::MAX) => {
                if self.lines.len() <= key {
                    self.lines.resize_with(key + 1, Box::default);
                }
                let days = &mut self.lines[key];
                if days.is_empty() {
                    *days = vec![0u32; periods.span.days() as usize].into_boxed_slice();
                }
                match days[offset] {
                    0 => {
                        days[offset] = line as u32;
                        None
                    }
                    first => Some(u64::from(first)),
                }
            }
            _ => match self.elsewhere.entry((key, date)) {
                std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(line);
                    None
                }
            },
        }
    }
}

impl Ingest<'_> {
    fn open(&mut self, path: &Path) -> Result<Option<CsvFile>, InputError> {
        match CsvFile::open(path, self.file.name(), self.file.columns())? {
            Ok(csv) => Ok(Some(csv)),
            Err(header_error) => {
                // A header problem makes the whole file unreadable, in every mode.
                self.report.unreadable = true;
                self.data.error(header_error);
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

    fn dated<S: DatedSink>(&mut self, path: &Path, sink: &mut S) -> Result<(), InputError> {
        let Some(mut csv) = self.open(path)? else {
            return Ok(());
        };
        let gmv_col = self.file.gmv_column();
        let progress =
            crate::progress::Progress::new(self.opts.progress, csv.size, self.file.name());
        let mut keys = DayKeys::default();
        // First lines of duplicated keys: they were already added and must be taken back.
        let mut retract: BTreeMap<u64, String> = BTreeMap::new();
        let mut seen = 0u64;
        loop {
            seen += 1;
            if seen.is_multiple_of(65_536) {
                progress.tick(&csv.bytes_read);
            }
            let (mut row, span) = match csv.next_row() {
                Next::End => break,
                Next::Broken(e, span) => {
                    self.read(None);
                    let reason = e.describe();
                    let line = e.line;
                    self.data.error(e);
                    let raw = csv.raw_text(span);
                    self.reject(line, reason, || raw, None);
                    continue;
                }
                Next::Row(row) => {
                    let span = row.span;
                    (row, span)
                }
            };
            let gmv = gmv_col.and_then(|c| row.peek_money(c));
            self.read(gmv);
            let parsed = S::parse(&mut row);
            let line = row.line;
            let errors = std::mem::take(&mut row.errors);
            drop(row);
            let Some(rec) = parsed.filter(|_| errors.is_empty()) else {
                let reason = errors
                    .iter()
                    .map(DataError::describe)
                    .collect::<Vec<_>>()
                    .join("; ");
                for e in errors {
                    self.data.error(e);
                }
                self.reject(line, reason, || csv.raw_text(span), gmv);
                continue;
            };
            let key = sink.key(&rec);
            let date = S::date(&rec);
            if let Some(first) = keys.insert(key, date, line, self.periods) {
                let reason = format!(
                    "duplicate key ({}), also on line {first}",
                    S::describe_key(&rec)
                );
                self.data
                    .error(DataError::row(self.file.name(), line, reason.clone()));
                retract.entry(first).or_insert_with(|| {
                    format!(
                        "duplicate key ({}), also on line {line}",
                        S::describe_key(&rec)
                    )
                });
                self.reject(line, reason, || csv.raw_text(span), Some(S::gmv(&rec)));
                continue;
            }
            let d = sink.apply(key, &rec, self.periods, false);
            self.dispose(d, S::gmv(&rec), false);
        }
        progress.finish();
        self.report.unreadable |= csv.cut_short;
        self.report.sha256 = Some(csv.finish_sha256());
        if !retract.is_empty() {
            self.retract(path, sink, &retract)?;
        }
        Ok(())
    }

    /// Second, targeted pass: takes back the first row of each duplicated key.
    fn retract<S: DatedSink>(
        &mut self,
        path: &Path,
        sink: &mut S,
        lines: &BTreeMap<u64, String>,
    ) -> Result<(), InputError> {
        let Some(mut csv) = CsvFile::open(path, self.file.name(), self.file.columns())?.ok() else {
            return Ok(());
        };
        loop {
            let (mut row, span) = match csv.next_row() {
                Next::End => break,
                Next::Broken(..) => continue,
                Next::Row(row) => {
                    let span = row.span;
                    (row, span)
                }
            };
            let Some(reason) = lines.get(&row.line) else {
                continue;
            };
            let line = row.line;
            let Some(rec) = S::parse(&mut row) else {
                continue;
            };
            drop(row);
            let key = sink.key(&rec);
            let d = sink.apply(key, &rec, self.periods, true);
            let gmv = S::gmv(&rec);
            self.dispose(d, gmv, true);
            // Counted as read already; now rejected instead of used/outside.
            self.reject(line, reason.clone(), || csv.raw_text(span), Some(gmv));
        }
        Ok(())
    }

    /// Reads a small keyed file whole (it holds one row per partner, tier change or creator)
    /// and returns the rows that parsed, with their lines and raw spans.
    fn small<T>(
        &mut self,
        path: &Path,
        parse: impl Fn(&mut Row) -> Option<T>,
    ) -> Result<Option<(CsvFile, Parsed<T>)>, InputError> {
        let Some(mut csv) = self.open(path)? else {
            return Ok(None);
        };
        let mut rows = Vec::new();
        loop {
            match csv.next_row() {
                Next::End => break,
                Next::Broken(e, span) => {
                    self.read(None);
                    let (line, reason) = (e.line, e.describe());
                    self.data.error(e);
                    let raw = csv.raw_text(span);
                    self.reject(line, reason, || raw, None);
                }
                Next::Row(mut row) => {
                    self.read(None);
                    let parsed = parse(&mut row);
                    let (line, span) = (row.line, row.span);
                    let errors = std::mem::take(&mut row.errors);
                    match parsed.filter(|_| errors.is_empty()) {
                        Some(t) => rows.push((line, span, t)),
                        None => {
                            let reason = errors
                                .iter()
                                .map(DataError::describe)
                                .collect::<Vec<_>>()
                                .join("; ");
                            for e in errors {
                                self.data.error(e);
                            }
                            self.reject(line, reason, || csv.raw_text(span), None);
                        }
                    }
                }
            }
        }
        self.report.unreadable |= csv.cut_short;
        Ok(Some((csv, rows)))
    }

    /// Splits rows by key: rows whose key is unique are returned; every row of a shared key
    /// is rejected, with `describe` naming the clash.
    fn unique_by<T, K: Ord + Clone>(
        &mut self,
        csv: &CsvFile,
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
                    .error(DataError::row(self.file.name(), *line, reason.clone()));
                self.reject(*line, reason.clone(), || csv.raw_text(*span), None);
            }
        }
        kept.sort_by_key(|(line, _)| *line);
        kept
    }

    fn finish_small(&mut self, csv: CsvFile) {
        self.report.sha256 = Some(csv.finish_sha256());
    }

    fn partners(&mut self, path: &Path) -> Result<(), InputError> {
        let Some((csv, rows)) = self.small(path, |row| Some((row.id(0)?, row.text(1)?)))? else {
            return Ok(());
        };
        let kept = self.unique_by(
            &csv,
            rows,
            |(id, _)| id.clone(),
            |id, group| {
                format!(
                    "duplicate key (partner_id {id}) on lines {}",
                    lines_of(group)
                )
            },
        );
        for (_, (id, name)) in kept {
            self.data.partner(&id).name = Some(name);
            self.dispose(Disposition::Used, Money::ZERO, false);
        }
        self.finish_small(csv);
        Ok(())
    }

    fn tiers(&mut self, path: &Path) -> Result<(), InputError> {
        let Some((csv, rows)) = self.small(path, |row| {
            Some((row.id(0)?, row.date(1)?, row.integer_in(2, 1, 5)?))
        })?
        else {
            return Ok(());
        };
        let kept = self.unique_by(
            &csv,
            rows,
            |(p, d, _)| (p.clone(), *d),
            |(p, d), group| {
                format!(
                    "duplicate key (partner_id {p}, effective_date {d}) on lines {}",
                    lines_of(group)
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
        self.finish_small(csv);
        Ok(())
    }

    fn creators(&mut self, path: &Path) -> Result<(), InputError> {
        let Some((csv, rows)) =
            self.small(path, |row| Some((row.id(0)?, row.id(1)?, row.flag(2)?)))?
        else {
            return Ok(());
        };
        let kept = self.unique_by(
            &csv,
            rows,
            |(c, _, _)| c.clone(),
            |c, group| {
                let partners: BTreeSet<&String> = group.iter().map(|(_, (_, p, _))| p).collect();
                if partners.len() > 1 {
                    let claims = group
                        .iter()
                        .map(|(line, (_, p, _))| format!("{p} (line {line})"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("creator {c} is claimed by more than one partner: {claims}")
                } else {
                    format!(
                        "duplicate key (creator_id {c}) on lines {}",
                        lines_of(group)
                    )
                }
            },
        );
        for (line, (creator, partner, target_list)) in kept {
            self.data.partner(&partner).creators.insert(
                creator,
                Creator {
                    partner_id: partner.clone(),
                    target_list,
                    line,
                    q4_gmv: Money::ZERO,
                    q4_rows: 0,
                },
            );
            self.dispose(Disposition::Used, Money::ZERO, false);
        }
        self.finish_small(csv);
        Ok(())
    }
}

fn lines_of<T>(group: &[(u64, &T)]) -> String {
    group
        .iter()
        .map(|(l, _)| l.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows of a small file that parsed: (line, byte span, fields).
type Parsed<T> = Vec<(u64, (u64, u64), T)>;

/// Interns string ids to dense indices.
#[derive(Default)]
struct Interner<K: std::hash::Hash + Eq> {
    index: HashMap<K, usize>,
    keys: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Interner<K> {
    fn get_or_insert(&mut self, key: &K) -> usize {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = self.keys.len();
        self.keys.push(key.clone());
        self.index.insert(key.clone(), i);
        i
    }
}

#[derive(Default)]
struct GmvSink {
    pairs: Interner<(String, String)>,
    sums: Vec<SellerSums>,
}

impl DatedSink for GmvSink {
    type Rec = GmvRow;

    fn parse(row: &mut Row) -> Option<GmvRow> {
        let date = row.date(0);
        let partner_id = row.id(1);
        let seller_id = row.id(2);
        let gmv = row.money(3);
        let short_video = row.money(4);
        let live = row.money(5);
        let affiliate = row.money(6);
        let gmv = gmv?;
        for (col, value) in [(4, short_video), (5, live), (6, affiliate)] {
            if let Some(v) = value {
                row.require_at_most(col, v, 3, gmv);
            }
        }
        Some(GmvRow {
            date: date?,
            partner_id: partner_id?,
            seller_id: seller_id?,
            channels: Channels {
                gmv,
                short_video: short_video?,
                live: live?,
                affiliate: affiliate?,
            },
        })
    }

    fn date(rec: &GmvRow) -> NaiveDate {
        rec.date
    }

    fn gmv(rec: &GmvRow) -> Money {
        rec.channels.gmv
    }

    fn describe_key(rec: &GmvRow) -> String {
        format!(
            "date {}, partner_id {}, seller_id {}",
            rec.date, rec.partner_id, rec.seller_id
        )
    }

    fn key(&mut self, rec: &GmvRow) -> usize {
        let i = self
            .pairs
            .get_or_insert(&(rec.partner_id.clone(), rec.seller_id.clone()));
        if self.sums.len() <= i {
            self.sums.push(SellerSums::default());
        }
        i
    }

    fn apply(&mut self, key: usize, rec: &GmvRow, periods: &Periods, retract: bool) -> Disposition {
        let mask = periods.mask(rec.date);
        if mask == 0 {
            return Disposition::Outside;
        }
        let sums = &mut self.sums[key];
        for id in WindowId::ALL {
            if mask & (1 << id as usize) != 0 {
                sums.windows[id as usize].add(&rec.channels, retract);
            }
        }
        Disposition::Used
    }
}

impl GmvSink {
    fn finish(self, data: &mut DataSet) {
        for ((partner, seller), sums) in self.pairs.keys.into_iter().zip(self.sums) {
            data.partner(&partner).sellers.insert(seller, sums);
        }
    }
}

struct CreatorGmvRow {
    date: NaiveDate,
    creator_id: String,
    gmv: Money,
}

#[derive(Default)]
struct CreatorGmvSink {
    creators: Interner<String>,
    /// (rows, gmv) in the Q4 window, per creator.
    q4: Vec<(u64, Money)>,
}

impl DatedSink for CreatorGmvSink {
    type Rec = CreatorGmvRow;

    fn parse(row: &mut Row) -> Option<CreatorGmvRow> {
        let date = row.date(0);
        let creator_id = row.id(1);
        let gmv = row.money(2);
        Some(CreatorGmvRow {
            date: date?,
            creator_id: creator_id?,
            gmv: gmv?,
        })
    }

    fn date(rec: &CreatorGmvRow) -> NaiveDate {
        rec.date
    }

    fn gmv(rec: &CreatorGmvRow) -> Money {
        rec.gmv
    }

    fn describe_key(rec: &CreatorGmvRow) -> String {
        format!("date {}, creator_id {}", rec.date, rec.creator_id)
    }

    fn key(&mut self, rec: &CreatorGmvRow) -> usize {
        let i = self.creators.get_or_insert(&rec.creator_id);
        if self.q4.len() <= i {
            self.q4.push((0, Money::ZERO));
        }
        i
    }

    fn apply(
        &mut self,
        key: usize,
        rec: &CreatorGmvRow,
        periods: &Periods,
        retract: bool,
    ) -> Disposition {
        if periods.mask(rec.date) & (1 << WindowId::Q4 as usize) == 0 {
            return Disposition::Outside;
        }
        let (rows, gmv) = &mut self.q4[key];
        if retract {
            *rows -= 1;
            *gmv -= rec.gmv;
        } else {
            *rows += 1;
            *gmv += rec.gmv;
        }
        // Whether the creator is known is settled once creators.csv and this file are read.
        Disposition::Used
    }
}

impl CreatorGmvSink {
    /// Joins creator GMV to creators.csv; GMV of unknown creators moves to `unmatched`.
    fn finish(self, data: &mut DataSet, report: &mut FileReport) {
        let mut owner: HashMap<&str, &str> = HashMap::new();
        for (pid, p) in &data.partners {
            for cid in p.creators.keys() {
                owner.insert(cid.as_str(), pid.as_str());
            }
        }
        let owner: HashMap<String, String> = owner
            .into_iter()
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect();
        for (creator, (rows, gmv)) in self.creators.keys.into_iter().zip(self.q4) {
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

struct MatchRow {
    date: NaiveDate,
    partner_id: String,
    seller_id: String,
    creator_id: String,
    gmv: Money,
}

#[derive(Default)]
struct MatchSink {
    triples: Interner<(String, String, String)>,
    bfcm: Vec<Money>,
}

impl DatedSink for MatchSink {
    type Rec = MatchRow;

    fn parse(row: &mut Row) -> Option<MatchRow> {
        let date = row.date(0);
        let partner_id = row.id(1);
        let seller_id = row.id(2);
        let creator_id = row.id(3);
        let gmv = row.money(4);
        Some(MatchRow {
            date: date?,
            partner_id: partner_id?,
            seller_id: seller_id?,
            creator_id: creator_id?,
            gmv: gmv?,
        })
    }

    fn date(rec: &MatchRow) -> NaiveDate {
        rec.date
    }

    fn gmv(rec: &MatchRow) -> Money {
        rec.gmv
    }

    fn describe_key(rec: &MatchRow) -> String {
        format!(
            "date {}, partner_id {}, seller_id {}, creator_id {}",
            rec.date, rec.partner_id, rec.seller_id, rec.creator_id
        )
    }

    fn key(&mut self, rec: &MatchRow) -> usize {
        let i = self.triples.get_or_insert(&(
            rec.partner_id.clone(),
            rec.seller_id.clone(),
            rec.creator_id.clone(),
        ));
        if self.bfcm.len() <= i {
            self.bfcm.push(Money::ZERO);
        }
        i
    }

    fn apply(
        &mut self,
        key: usize,
        rec: &MatchRow,
        periods: &Periods,
        retract: bool,
    ) -> Disposition {
        if periods.mask(rec.date) & (1 << WindowId::Bfcm as usize) == 0 {
            return Disposition::Outside;
        }
        if retract {
            self.bfcm[key] -= rec.gmv;
        } else {
            self.bfcm[key] += rec.gmv;
        }
        Disposition::Used
    }
}

impl MatchSink {
    fn finish(self, data: &mut DataSet) {
        for ((partner, seller, creator), gmv) in self.triples.keys.into_iter().zip(self.bfcm) {
            data.partner(&partner)
                .matched
                .insert((seller, creator), gmv);
        }
    }
}
