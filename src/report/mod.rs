//! Everything a run writes: the payouts table, CSV and JSON, per-partner statements,
//! the manifest with the reconciliation, and rejects.csv.

pub(crate) mod credit_statement;
pub(crate) mod escape;
mod explain;
pub mod html;
mod output;
pub(crate) mod partner_view;
pub mod rules_page;
mod tables;
pub(crate) mod whatif;

pub use explain::explain_text;
pub use output::{
    check_apart, clean_up_on_interrupt, preflight, verify, write_run, OutputError, RunFiles,
    RunKind, Verified, VerifyError, MANIFEST,
};
pub use tables::{payouts_table, reconciliation_text, skipped_text, TableRows};

use crate::book::Book;
use crate::engine::{Kind, Line, Outcome, Skip};
use crate::input::{DataSet, FileReport, InputFile, Reject, Tally};
use crate::money::Money;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{json, Value};

pub const PAYOUT_COLUMNS: [&str; 8] = [
    "partner_id",
    "partner_name",
    "program",
    "period",
    "kind",
    "amount",
    "provisional",
    "basis",
];

/// A CSV cell: text from anywhere (ids, names, sentences, raw rows) is written through
/// [`escape::csv_text`]; a figure (an amount, a line number) is written as it is, so a
/// negative amount stays a number.
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Figure(String),
}

/// The one CSV writer of every CSV output (files and `--format csv`).
pub(crate) struct CsvOut(csv::Writer<Vec<u8>>);

impl CsvOut {
    /// The header row: the contract's column names.
    pub(crate) fn header(&mut self, columns: &[&str]) -> csv::Result<()> {
        self.0.write_record(columns)
    }

    pub(crate) fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) -> csv::Result<()> {
        for cell in cells {
            match cell {
                Cell::Text(t) => self.0.write_field(escape::csv_text(t).as_bytes())?,
                Cell::Figure(f) => self.0.write_field(f.as_bytes())?,
            }
        }
        self.0.write_record(None::<&[u8]>)
    }
}

/// Opens every CSV output: a spreadsheet reads the file as UTF-8 only with it (without,
/// Excel shows `−` as `âˆ’`). The input side, and CSV readers generally, skip it.
pub const CSV_BOM: &str = "\u{feff}";

/// A CSV output, starting with [`CSV_BOM`].
pub(crate) fn csv_string(write: impl FnOnce(&mut CsvOut) -> csv::Result<()>) -> String {
    // The mark goes in first: the text is never copied.
    let mut w = CsvOut(
        csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(CSV_BOM.as_bytes().to_vec()),
    );
    write(&mut w).expect("writing CSV to memory");
    String::from_utf8(w.0.into_inner().expect("in-memory flush")).expect("CSV of UTF-8 text")
}

/// payouts.csv: one row per (partner, program, period).
pub fn payouts_csv(outcome: &Outcome) -> String {
    use Cell::{Figure, Text};
    csv_string(|w| {
        w.header(&PAYOUT_COLUMNS)?;
        // Lines come partner by partner: each partner's name is looked up once.
        let mut named: Option<(&str, &str)> = None;
        for l in &outcome.lines {
            let name = match named {
                Some((id, name)) if id == l.partner_id => name,
                _ => {
                    let name = outcome
                        .partners
                        .get(&l.partner_id)
                        .map_or("", String::as_str);
                    named = Some((&l.partner_id, name));
                    name
                }
            };
            w.row([
                Text(&l.partner_id),
                Text(name),
                Text(l.program),
                Text(&l.period),
                Text(l.kind.as_str()),
                Figure(l.amount.plain()),
                Text(if l.provisional { "true" } else { "false" }),
                Text(&l.basis),
            ])?;
        }
        Ok(())
    })
}

/// rejects.csv: `file,line,reason,row`.
pub fn rejects_csv(rejects: &[Reject]) -> String {
    use Cell::{Figure, Text};
    csv_string(|w| {
        w.header(&["file", "line", "reason", "row"])?;
        for r in rejects {
            w.row([
                Text(r.name),
                Figure(r.line.to_string()),
                Text(&r.reason),
                Text(&r.row),
            ])?;
        }
        Ok(())
    })
}

#[derive(Serialize)]
struct LineOut<'a> {
    program: &'static str,
    period: &'a str,
    kind: Kind,
    amount: Money,
    provisional: bool,
    basis: &'a str,
}

impl<'a> From<&'a Line> for LineOut<'a> {
    fn from(l: &'a Line) -> Self {
        LineOut {
            program: l.program,
            period: &l.period,
            kind: l.kind,
            amount: l.amount,
            provisional: l.provisional,
            basis: &l.basis,
        }
    }
}

fn totals(outcome: &Outcome, partner: Option<&str>) -> Value {
    json!({
        "cash": outcome.total(partner, Kind::Cash),
        "ad_credit": outcome.total(partner, Kind::AdCredit),
    })
}

fn by_program(outcome: &Outcome, partner: &str) -> Value {
    let mut map = serde_json::Map::new();
    for p in outcome.evaluated() {
        map.insert(
            p.id.to_string(),
            json!(outcome.program_total(partner, p.id)),
        );
    }
    Value::Object(map)
}

/// Run-level facts every JSON output carries.
pub struct RunInfo<'a> {
    pub as_of: NaiveDate,
    pub book: &'a Book,
}

fn skips(list: &[Skip]) -> Value {
    json!(list)
}

/// `--format json`: every partner with its totals and lines.
pub fn payouts_json(outcome: &Outcome, info: &RunInfo) -> String {
    let partners: Vec<Value> = outcome
        .partners
        .iter()
        .map(|(id, name)| {
            let lines: Vec<LineOut> = outcome.lines_of(id).map(LineOut::from).collect();
            json!({
                "partner_id": id,
                "partner_name": name,
                "totals": totals(outcome, Some(id)),
                "by_program": by_program(outcome, id),
                "lines": lines,
            })
        })
        .collect();
    let doc = json!({
        "as_of": info.as_of.to_string(),
        "book_sha256": info.book.sha256,
        "totals": totals(outcome, None),
        "skipped": skips(&outcome.skipped),
        "not_evaluated": skips(&outcome.not_evaluated),
        "partners": partners,
    });
    pretty(&doc)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON of plain data");
    s.push('\n');
    s
}

/// A key of the statement format (a plain name) as written before its value: `"amount": `.
macro_rules! field {
    ($name:literal) => {
        concat!("\"", $name, "\": ")
    };
}

/// statements/<partner_id>.json: everything about one partner, with each line's figures.
pub fn statement_json(outcome: &Outcome, info: &RunInfo, partner_id: &str) -> String {
    let mut buf = Vec::new();
    statement_json_into(outcome, info, partner_id, &mut buf);
    String::from_utf8(buf).expect("JSON is UTF-8")
}

/// [`statement_json`] written into `buf`, straight from the lines (no JSON tree is built,
/// no value goes through serde): byte for byte what `serde_json::to_string_pretty` prints
/// for the JSON tree of the statement, whose objects list their keys in sorted order.
pub fn statement_json_into(outcome: &Outcome, info: &RunInfo, partner_id: &str, buf: &mut Vec<u8>) {
    let partner_name = outcome.partners.get(partner_id).map_or("", String::as_str);
    // One search for the partner's lines; every sum below is taken from them.
    let lines = outcome.lines_of(partner_id).as_slice();
    let sum = |keep: &dyn Fn(&Line) -> bool| -> Money {
        lines.iter().filter(|l| keep(l)).map(|l| l.amount).sum()
    };
    let mut by_program: Vec<(&str, Money)> = outcome
        .evaluated()
        .map(|p| (p.id, sum(&|l| l.program == p.id)))
        .collect();
    by_program.sort_by(|a, b| a.0.cmp(b.0));
    by_program.dedup_by(|b, a| a.0 == b.0);
    // The buffer comes cleared: taking it as a String checks no bytes and keeps its room.
    let mut j = pretty_json::Json::new(std::mem::take(buf));
    j.open(b'{');
    j.field(field!("as_of"));
    j.date(info.as_of);
    j.field(field!("book"));
    j.open(b'{');
    j.field(field!("name"));
    j.str(&info.book.rules.book.name);
    j.field(field!("sha256"));
    j.str(&info.book.sha256);
    j.close(b'}');
    j.field(field!("by_program"));
    j.open(b'{');
    for (program, amount) in &by_program {
        j.key(program);
        j.money(*amount);
    }
    j.close(b'}');
    j.field(field!("lines"));
    j.open(b'[');
    for l in lines {
        j.item();
        pretty_json::line(&mut j, l);
    }
    j.close(b']');
    j.field(field!("not_evaluated"));
    pretty_json::skips(&mut j, &outcome.not_evaluated);
    j.field(field!("partner_id"));
    j.str(partner_id);
    j.field(field!("partner_name"));
    j.str(partner_name);
    j.field(field!("skipped"));
    pretty_json::skips(&mut j, &outcome.skipped);
    j.field(field!("totals"));
    j.open(b'{');
    j.field(field!("ad_credit"));
    j.money(sum(&|l| l.kind == Kind::AdCredit));
    j.field(field!("cash"));
    j.money(sum(&|l| l.kind == Kind::Cash));
    j.close(b'}');
    j.close(b'}');
    *buf = j.finish();
}

/// A JSON document written as serde_json's pretty printer writes it (two-space indent,
/// `": "` after keys, `[]` and `{}` for empty containers), straight into a reused buffer.
/// The writer gives keys in the order it is told: the statement's sorted order.
mod pretty_json {
    use super::escape::push_json_str;
    use crate::engine::{Detail, Line, Skip, Step};
    use crate::money::Money;

    pub struct Json {
        out: String,
        depth: usize,
        /// Nothing written yet in the innermost open container.
        empty: bool,
    }

    impl Json {
        pub fn new(buf: Vec<u8>) -> Json {
            let out = String::from_utf8(buf).expect("a buffer of UTF-8 text");
            Json {
                out,
                depth: 0,
                empty: true,
            }
        }

        /// The document with its closing line break.
        pub fn finish(mut self) -> Vec<u8> {
            self.out.push('\n');
            self.out.into_bytes()
        }

        pub fn open(&mut self, bracket: u8) {
            self.out.push(bracket as char);
            self.depth += 1;
            self.empty = true;
        }

        pub fn close(&mut self, bracket: u8) {
            self.depth -= 1;
            if !self.empty {
                self.newline();
            }
            self.out.push(bracket as char);
            // The container is a value of the one around it.
            self.empty = false;
        }

        /// A line break and the indent of the current depth, after a comma unless
        /// `comma` is false: one copy from a line of spaces long enough for the figure trees.
        fn break_line(&mut self, comma: bool) {
            const BREAK: &str =
                ",\n                                                                ";
            const ROOM: usize = BREAK.len() - 2;
            let from = usize::from(!comma);
            let indent = 2 * self.depth;
            if indent <= ROOM {
                self.out.push_str(&BREAK[from..2 + indent]);
                return;
            }
            // Deeper than the figure trees go: the rest a piece at a time.
            self.out.push_str(&BREAK[from..]);
            let mut rest = indent - ROOM;
            while rest > 0 {
                let n = rest.min(ROOM);
                self.out.push_str(&BREAK[2..2 + n]);
                rest -= n;
            }
        }

        fn newline(&mut self) {
            self.break_line(false);
        }

        /// Starts the next element of an array.
        pub fn item(&mut self) {
            self.break_line(!self.empty);
            self.empty = false;
        }

        /// Starts the next entry of an object.
        pub fn key(&mut self, key: &str) {
            self.item();
            push_json_str(&mut self.out, key);
            self.out.push_str(": ");
        }

        /// [`Json::key`] for a key of the format itself, given as [`field!`] writes it
        /// (quoted, with its `: `): a plain name, nothing to escape.
        pub fn field(&mut self, key: &'static str) {
            debug_assert!(key.starts_with('"') && key.ends_with("\": "));
            self.item();
            self.out.push_str(key);
        }

        pub fn str(&mut self, s: &str) {
            push_json_str(&mut self.out, s);
        }

        pub fn bool(&mut self, b: bool) {
            self.out.push_str(if b { "true" } else { "false" });
        }

        /// An amount as `Money` serializes: its plain form, quoted.
        pub fn money(&mut self, m: Money) {
            self.out.push('"');
            m.push_plain(&mut self.out);
            self.out.push('"');
        }

        pub fn date(&mut self, d: chrono::NaiveDate) {
            use std::fmt::Write;
            self.out.push('"');
            let _ = write!(self.out, "{d}");
            self.out.push('"');
        }

        fn strs<S: AsRef<str>>(&mut self, list: &[S]) {
            self.open(b'[');
            for s in list {
                self.item();
                self.str(s.as_ref());
            }
            self.close(b']');
        }
    }

    /// A line as `Line` serializes, its keys sorted.
    pub fn line(j: &mut Json, l: &Line) {
        j.open(b'{');
        j.field(field!("amount"));
        j.money(l.amount);
        j.field(field!("basis"));
        j.str(&l.basis);
        if let Some(d) = &l.detail {
            j.field(field!("detail"));
            detail(j, d);
        }
        j.field(field!("kind"));
        j.str(l.kind.as_str());
        j.field(field!("partner_id"));
        j.str(&l.partner_id);
        j.field(field!("period"));
        j.str(&l.period);
        j.field(field!("program"));
        j.str(l.program);
        j.field(field!("provisional"));
        j.bool(l.provisional);
        if !l.steps.is_empty() {
            j.field(field!("steps"));
            steps(j, &l.steps);
        }
        j.close(b'}');
    }

    fn detail(j: &mut Json, d: &Detail) {
        j.open(b'{');
        j.field(field!("columns"));
        j.strs(&d.columns);
        j.field(field!("rows"));
        j.open(b'[');
        for row in &d.rows {
            j.item();
            j.strs(row);
        }
        j.close(b']');
        j.field(field!("title"));
        j.str(&d.title);
        j.close(b'}');
    }

    fn steps(j: &mut Json, list: &[Step]) {
        j.open(b'[');
        for step in list {
            j.item();
            j.open(b'{');
            if !step.children.is_empty() {
                j.field(field!("children"));
                steps(j, &step.children);
            }
            j.field(field!("label"));
            j.str(&step.label);
            if let Some(source) = &step.source {
                j.field(field!("source"));
                j.str(source);
            }
            j.field(field!("value"));
            j.str(&step.value);
            j.close(b'}');
        }
        j.close(b']');
    }

    /// Skipped or not evaluated programs, as `Skip` serializes (`program`, `reason`).
    pub fn skips(j: &mut Json, list: &[Skip]) {
        j.open(b'[');
        for s in list {
            j.item();
            j.open(b'{');
            j.field(field!("program"));
            j.str(s.program);
            j.field(field!("reason"));
            j.str(&s.reason);
            j.close(b'}');
        }
        j.close(b']');
    }
}

fn tally_json<T: Serialize>(t: &Tally<T>) -> Value {
    json!(t)
}

fn file_json(report: &FileReport) -> Value {
    let mut v = json!({
        "file": report.name,
        "present": report.present,
        "sha256": report.sha256,
        "rows": tally_json(&report.rows),
        "balanced": report.balances(),
    });
    if report.file.has_gmv() {
        v["gmv"] = tally_json(&report.gmv);
    }
    if report.unreadable {
        v["unreadable"] = json!(true);
    }
    if let Some(c) = &report.coverage {
        v["coverage"] = coverage_json(c);
    }
    v
}

/// A dated file's coverage: first and last date, the days of the book's span with rows
/// (as ranges), and every evaluated window's missing days.
fn coverage_json(c: &crate::input::Coverage) -> Value {
    use crate::input::coverage::range_text;
    let gaps: Vec<Value> = c
        .gaps
        .iter()
        .map(|g| {
            json!({
                "window": g.window.key(),
                "start": g.evaluated.start.to_string(),
                "end": g.evaluated.end.to_string(),
                "days_missing": g.missing_days(),
                "missing": g.missing.iter().map(range_text).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "first": c.first.map(|d| d.to_string()),
        "last": c.last.map(|d| d.to_string()),
        "span": range_text(&c.span),
        "days_with_rows": c.days_with_rows(),
        "day_ranges": c.ranges_with_rows().iter().map(range_text).collect::<Vec<_>>(),
        "gaps": gaps,
    })
}

/// manifest.json: what was run, on what, and how every input row was accounted for.
pub fn manifest_json(
    outcome: &Outcome,
    info: &RunInfo,
    data: &DataSet,
    skip_invalid: bool,
    outputs: &[String],
) -> String {
    let inputs: serde_json::Map<String, Value> = InputFile::ALL
        .iter()
        .map(|f| {
            let report = data.files.get(f);
            let sha = report.and_then(|r| r.sha256.clone());
            let name = report.map_or(f.name(), |r| r.name);
            (name.to_string(), json!(sha))
        })
        .collect();
    let reconciliation: Vec<Value> = InputFile::ALL
        .iter()
        .filter_map(|f| data.files.get(f))
        .map(file_json)
        .collect();
    let unmatched: Vec<Value> = data
        .unmatched_creators
        .iter()
        .map(|(c, (rows, gmv))| json!({"creator_id": c, "rows": rows, "gmv": gmv}))
        .collect();
    let mut doc = json!({
        "tool": "tsp-payout",
        "version": env!("CARGO_PKG_VERSION"),
        "as_of": info.as_of.to_string(),
        "book": {
            "name": info.book.rules.book.name,
            "source": info.book.source_name,
            "sha256": info.book.sha256,
        },
        "inputs": inputs,
        "mode": if skip_invalid { "skip_invalid" } else { "strict" },
        "reconciliation": reconciliation,
        "unmatched_creators": unmatched,
        "rejected_rows": data.rejects.len(),
        "skipped": skips(&outcome.skipped),
        "not_evaluated": skips(&outcome.not_evaluated),
        "partners": outcome.partners.len(),
        "totals": totals(outcome, None),
        "outputs": outputs,
    });
    if let Some(columns) = &data.columns {
        doc["columns_toml"] = json!({"sha256": columns.sha256, "names": columns.lines()});
    }
    pretty(&doc)
}

/// Longest file stem written; file systems refuse names over 255 bytes, and a stem gets a
/// suffix (`.html`, `.json` and a temporary-file tag while it is written).
const MAX_STEM: usize = 180;

/// A partner id as a file name: kept as is when it is plainly safe, otherwise every byte
/// outside `[A-Za-z0-9._-]` is percent-encoded (so `../x` cannot leave the directory). A
/// stem over `MAX_STEM` bytes is cut and ends in `~` and 16 hex digits of the id's sha256:
/// `~` is always encoded otherwise, so a cut stem never equals another id's whole one.
pub fn file_stem(partner_id: &str) -> String {
    stem(partner_id, false)
}

/// The file stems of a run's partners: [`file_stem`] of each id, except that ids whose
/// stems are equal ignoring letter case (`P1`, `p1`), one file on case-insensitive file
/// systems (macOS, Windows), each end in `~` and 16 hex digits of the id's sha256.
pub fn file_stems<'a>(
    ids: impl IntoIterator<Item = &'a str>,
) -> std::collections::BTreeMap<&'a str, String> {
    let mut stems: std::collections::BTreeMap<&str, String> =
        ids.into_iter().map(|id| (id, file_stem(id))).collect();
    let mut folded: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for stem in stems.values() {
        *folded.entry(stem.to_ascii_lowercase()).or_default() += 1;
    }
    for (id, stem) in stems.iter_mut() {
        if folded[&stem.to_ascii_lowercase()] > 1 {
            *stem = self::stem(id, true);
        }
    }
    stems
}

fn stem(partner_id: &str, hashed: bool) -> String {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
    let mut out = String::with_capacity(partner_id.len());
    for &b in partner_id.as_bytes() {
        if safe(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.starts_with('.') {
        out.replace_range(0..1, "%2E");
    }
    if hashed || out.len() > MAX_STEM {
        use sha2::{Digest, Sha256};
        if out.len() > MAX_STEM - 17 {
            let mut cut = MAX_STEM - 17;
            // Never in the middle of a `%XX`.
            if let Some(p) = out[cut - 2..cut].find('%') {
                cut = cut - 2 + p;
            }
            out.truncate(cut);
        }
        let digest = Sha256::digest(partner_id.as_bytes());
        out.push('~');
        out.extend(digest.iter().take(8).map(|b| format!("{b:02x}")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statement as a JSON tree printed it: the reference the direct writer must match.
    fn statement_by_tree(outcome: &Outcome, info: &RunInfo, partner_id: &str) -> String {
        let name = outcome
            .partners
            .get(partner_id)
            .cloned()
            .unwrap_or_default();
        let lines: Vec<&Line> = outcome.lines_of(partner_id).collect();
        pretty(&json!({
            "partner_id": partner_id,
            "partner_name": name,
            "as_of": info.as_of.to_string(),
            "book": { "name": info.book.rules.book.name, "sha256": info.book.sha256 },
            "totals": totals(outcome, Some(partner_id)),
            "by_program": by_program(outcome, partner_id),
            "lines": lines,
            "skipped": skips(&outcome.skipped),
            "not_evaluated": skips(&outcome.not_evaluated),
        }))
    }

    #[test]
    fn statements_are_written_as_the_json_tree_printed_them() {
        use crate::engine::{Detail, Step};
        let book = Book::embedded();
        let mut gmv = Line::of_dollars("P1", "gmv_growth", "q4", Kind::Cash, 5_000);
        gmv.basis = "a \"quoted\" basis \u{1b} é\n".into();
        gmv.provisional = true;
        gmv.partner_basis = Some("not in the JSON".into());
        gmv.steps = vec![
            Step::new("Q3 window", "2025-07-01..2025-09-30").source("book windows.q3"),
            Step::new("tier", "1 of 4")
                .child(Step::new("exact test", "met").child(Step::new("deep", "x")))
                .child(Step::new("no source", "")),
        ];
        gmv.detail = Some(
            Detail::new(
                "sellers",
                &["seller_id", "q4_gmv"],
                vec![vec!["S1".into(), "1.00".into()], vec![]],
            )
            .amounts(&["q4_gmv"]),
        );
        let credit = Line::of_dollars("P1", "short_video_top15", "2025-10", Kind::AdCredit, -3);
        let other = Line::of_dollars("P2", "gmv_growth", "q4", Kind::Cash, 7);
        let outcome = Outcome {
            lines: vec![gmv, credit, other],
            skipped: vec![Skip {
                program: "bfcm_live_championship",
                reason: "no live_sessions.csv".into(),
            }],
            not_evaluated: Vec::new(),
            partners: [
                ("P1", "Acme <Co> \"q\" \\ \u{2028}\u{7f}\u{1}\t'é名"),
                ("P2", ""),
                ("P3", "none"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .into_iter()
            .collect(),
            programs: crate::programs::registry().to_vec(),
        };
        let info = RunInfo {
            as_of: "2025-12-31".parse().unwrap(),
            book: &book,
        };
        for partner in ["P1", "P2", "P3", "P4"] {
            let mut buf = b"left over from the last file".to_vec();
            buf.clear();
            statement_json_into(&outcome, &info, partner, &mut buf);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                statement_by_tree(&outcome, &info, partner),
                "{partner}"
            );
        }
    }

    #[test]
    fn file_stems_cannot_escape() {
        assert_eq!(file_stem("P01"), "P01");
        assert_eq!(file_stem("../etc"), "%2E.%2Fetc");
        assert_eq!(file_stem("a b/c"), "a%20b%2Fc");
        assert_eq!(file_stem("é"), "%C3%A9");
    }

    #[test]
    fn long_ids_get_short_distinct_stems() {
        let long = "P".repeat(300);
        let stem = file_stem(&long);
        assert_eq!(stem.len(), MAX_STEM);
        assert!(stem.starts_with(&"P".repeat(163)) && stem.as_bytes()[163] == b'~');
        assert_ne!(file_stem(&format!("{long}x")), stem);
        for shift in 0..3 {
            let encoded = file_stem(&format!("{}{}", "P".repeat(shift), "/".repeat(100)));
            assert!(encoded.len() <= MAX_STEM, "{encoded}");
            let body = encoded.split('~').next().unwrap();
            assert!(
                body.len() < 3 || !body[body.len() - 2..].contains('%'),
                "{encoded}"
            );
        }
        assert_eq!(file_stem(&"P".repeat(MAX_STEM)), "P".repeat(MAX_STEM));
    }

    #[test]
    fn stems_equal_but_for_case_get_the_id_hash() {
        let long = "p".repeat(MAX_STEM);
        let upper = long.to_ascii_uppercase();
        let stems = file_stems(["P1", "p1", "P2", long.as_str(), upper.as_str()]);
        assert_eq!(stems["P2"], "P2");
        assert!(stems["P1"].starts_with("P1~") && stems["p1"].starts_with("p1~"));
        assert_ne!(
            stems["P1"].to_ascii_lowercase(),
            stems["p1"].to_ascii_lowercase()
        );
        assert_eq!(stems[long.as_str()].len(), MAX_STEM);
        assert_ne!(
            stems[long.as_str()].to_ascii_lowercase(),
            stems[upper.as_str()].to_ascii_lowercase()
        );
    }
}
