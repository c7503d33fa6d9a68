//! Harnesses shared by the fuzz targets.
//!
//! CSV targets go through `input::load`, the path every command takes: the reader is
//! file-backed (it quotes rejected rows from the file by offset), so each execution writes
//! its input over one file of a data directory kept on tmpfs. The other five files hold a
//! small valid base data set, so that joins (creators ↔ creator GMV) and the programs see
//! real figures. Besides "no panic, no hang", every execution checks the invariants that
//! must hold for any input: the reconciliation balances, rejects match the rejected counts,
//! and no payout is negative or fractional.

use chrono::{Days, NaiveDate};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tsp_payout::book::Book;
use tsp_payout::engine::{self, Outcome};
use tsp_payout::input::source::Format;
use tsp_payout::input::{self, Channels, DataSet, FileReport, GmvRow, InputFile, Mode, Options};
use tsp_payout::money::Money;
use tsp_payout::report::{self, RunInfo};
use tsp_payout::window::Periods;

const BASE: [(InputFile, &str); 6] = [
    (
        InputFile::GmvDaily,
        "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n\
         2025-07-01,P1,S1,100.00,10,5,1\n\
         2025-10-01,P1,S1,900000.00,1000,500,30000\n\
         2025-11-15,P2,S2,$1,234.56,0,0,0\n\
         2025-11-16,P2,S2,50000,40000,20000,10000\n",
    ),
    (
        InputFile::PartnerTiers,
        "partner_id,effective_date,tier\nP1,2025-01-01,2\nP1,2025-11-01,4\nP2,2025-09-30,1\n",
    ),
    (
        InputFile::Creators,
        "creator_id,partner_id,target_list\nC1,P1,true\nC2,P2,FALSE\nC3,P2,true\n",
    ),
    (
        InputFile::CreatorGmvDaily,
        "date,creator_id,gmv\n2025-10-05,C1,2500\n2025-12-31,C3,150000\n2025-10-06,C9,1\n",
    ),
    (
        InputFile::Matchmaking,
        "date,partner_id,seller_id,creator_id,gmv\n2025-11-20,P1,S1,C1,12000\n",
    ),
    (
        InputFile::Partners,
        "partner_id,partner_name\nP1,Acme\nP2,\"Beta, Inc\"\n",
    ),
];

fn book() -> &'static Book {
    static BOOK: OnceLock<Book> = OnceLock::new();
    BOOK.get_or_init(Book::embedded)
}

/// The data directory of this process, with the base files written once.
fn data_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new("/dev/shm");
        let root = if root.is_dir() {
            root.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = root.join(format!("tsp-payout-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("fuzz data dir");
        for (file, text) in BASE {
            std::fs::write(dir.join(file.name()), text).expect("base file");
        }
        dir
    })
}

/// Ingests `data` as `file` (its first byte picks the mode and the evaluation date) and
/// checks the run's invariants.
pub fn ingest(file: InputFile, data: &[u8]) {
    ingest_as(file, Format::Csv, data);
}

/// Ingests `data` as `file` in `format` (`gmv_daily.xlsx`, `gmv_daily.parquet`): the CSV
/// of the base set steps aside while it is read.
pub fn ingest_as(file: InputFile, format: Format, data: &[u8]) {
    ingest_with(file, format, data, |_, _| {});
}

/// `ingest_as`, handing the loaded data and the outcome to `then`.
fn ingest_with(
    file: InputFile,
    format: Format,
    data: &[u8],
    then: impl FnOnce(&DataSet, &Outcome),
) {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let dir = data_dir();
    let path = dir.join(file.name_as(format));
    if format != Format::Csv {
        std::fs::remove_file(dir.join(file.name())).expect("set the base file aside");
    }
    std::fs::write(&path, body).expect("write fuzz input");
    let book = book();
    let program = book.rules.windows.program;
    let as_of = program
        .start
        .checked_add_days(Days::new(u64::from(control >> 1) % program.days() as u64))
        .expect("date inside the program");
    let periods = Periods::new(&book.rules.windows, as_of);
    let mode = if control & 1 == 0 {
        Mode::Strict
    } else {
        Mode::SkipInvalid
    };
    let opts = Options {
        mode,
        progress: false,
        adjust: None,
        // The default path: the file read in parts on two threads, or the careful path.
        threads: 2,
        hashes: true,
        // Every error kept: the CSV and Parquet readings of one set of rows are compared.
        every_error: true,
    };
    let loaded = input::load(dir, &periods, &opts);
    // Restore the base file so that the next input of another target starts clean.
    let base = BASE.iter().find(|(f, _)| *f == file).expect("base").1;
    if format != Format::Csv {
        std::fs::remove_file(&path).expect("remove fuzz input");
    }
    std::fs::write(dir.join(file.name()), base).expect("restore base file");
    let data = match loaded {
        Ok(data) => data,
        Err(input::InputError::Io { .. }) => return,
        Err(e) => panic!("unexpected load error: {e}"),
    };
    check_data(&data, mode);
    let outcome = engine::run(&book.rules, &periods, &data, true);
    check_outcome(&outcome);
    write_everything(&outcome, &data, book, &periods);
    then(&data, &outcome);
}

fn check_data(data: &DataSet, mode: Mode) {
    let mut rejected = 0;
    for report in data.files.values() {
        assert!(
            report.balances(),
            "reconciliation does not balance: {report:?}"
        );
        rejected += report.rows.rejected;
    }
    match mode {
        Mode::Strict => assert!(data.rejects.is_empty()),
        Mode::SkipInvalid => assert_eq!(rejected as usize, data.rejects.len()),
    }
    if rejected > 0 {
        assert!(data.error_count > 0, "a row was rejected without an error");
    }
    for r in &data.rejects {
        assert!(r.line >= 1, "reject without a line: {r:?}");
    }
    for e in &data.errors {
        assert!(e.line >= 1, "error without a line: {e}");
    }
}

fn check_outcome(outcome: &Outcome) {
    for line in &outcome.lines {
        assert!(line.amount >= Money::ZERO, "negative payout: {line:?}");
        assert!(
            line.amount.as_decimal().fract().is_zero(),
            "payout not in whole dollars: {line:?}"
        );
        assert!(!line.basis.is_empty(), "line without a basis: {line:?}");
    }
}

fn write_everything(outcome: &Outcome, data: &DataSet, book: &Book, periods: &Periods) {
    let info = RunInfo {
        as_of: periods.as_of,
        book,
    };
    let _ = report::payouts_csv(outcome);
    let _ = report::payouts_table(outcome, periods.as_of, report::TableRows { top: Some(3) });
    let _ = report::payouts_json(outcome, &info);
    let _ = report::rejects_csv(&data.rejects);
    let _ = report::reconciliation_text(data);
    let _ = report::manifest_json(outcome, &info, data, true, &[]);
    // Statements are the slowest writer; a few partners reach every branch of it.
    for partner in outcome.partners.keys().take(3) {
        let _ = report::statement_json(outcome, &info, partner);
    }
    for partner in outcome.partners.keys() {
        assert!(!report::file_stem(partner).contains('/'));
    }
}

/// A program book: either the input's text as it is, or (first byte odd) the embedded book
/// with its numbers and dates replaced by values taken from the input, which reaches the
/// validation and the programs far more often than mutated text does.
pub fn book_input(data: &[u8]) {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let parsed = if control & 1 == 0 {
        let Ok(text) = std::str::from_utf8(body) else {
            return;
        };
        Book::from_toml(text, "fuzz.toml")
    } else {
        static EMBEDDED: OnceLock<toml::Value> = OnceLock::new();
        let mut value = EMBEDDED
            .get_or_init(|| toml::from_str(tsp_payout::book::EMBEDDED).expect("book parses"))
            .clone();
        let mut bytes = Bytes(body);
        tweak(&mut value, &mut bytes);
        Book::from_value(value, "fuzz", "fuzz.toml")
    };
    let Ok(book) = parsed else {
        return;
    };
    // The commands' default evaluation date: the program's end.
    let as_of = book.rules.windows.program.end;
    let periods = Periods::new(&book.rules.windows, as_of);
    let data = sample_data(&periods);
    let outcome = engine::run(&book.rules, &periods, &data, true);
    check_outcome(&outcome);
    write_everything(&outcome, &data, &book, &periods);
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        (self.0.len() >= n).then(|| {
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            head
        })
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn i64(&mut self) -> Option<i64> {
        self.take(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

/// Walks the book's leaves in order; for each, one byte says whether to replace it.
fn tweak(value: &mut toml::Value, bytes: &mut Bytes) {
    match value {
        toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| tweak(v, bytes)),
        toml::Value::Array(a) => a.iter_mut().for_each(|v| tweak(v, bytes)),
        leaf => {
            let Some(op) = bytes.byte() else { return };
            let replacement = match op % 8 {
                0 => bytes.i64().map(toml::Value::Integer),
                1 => bytes
                    .byte()
                    .map(|b| toml::Value::Integer(i64::from(b as i8))),
                2 => bytes
                    .i64()
                    .map(|i| toml::Value::Float(f64::from_bits(i as u64))),
                3 => bytes
                    .i64()
                    .map(|i| toml::Value::String(format!("{}.{:02}", i, i.rem_euclid(100)))),
                4 => bytes.take(2).map(|b| {
                    // A date near the program, or far from it.
                    let shift = i64::from(i16::from_le_bytes([b[0], b[1]]));
                    let base = NaiveDate::from_ymd_opt(2025, 10, 1).expect("date");
                    let d = base
                        .checked_add_signed(chrono::TimeDelta::days(shift * 7))
                        .unwrap_or(base);
                    toml::Value::String(d.to_string())
                }),
                5 => bytes.i64().map(|i| toml::Value::String(format!("{i}e9"))),
                _ => None,
            };
            if let Some(r) = replacement {
                *leaf = r;
            }
        }
    }
}

/// A few partners and sellers with GMV on dates across 2025, tiers and creators.
fn sample_data(periods: &Periods) -> DataSet {
    let mut data = DataSet::default();
    for file in InputFile::ALL {
        data.files.insert(file, FileReport::present(file));
    }
    let start = NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
    for p in 0..20u32 {
        let partner = format!("P{p:02}");
        for day in (p as u64 % 7..240).step_by(11 + p as usize % 5) {
            let date = start + Days::new(day);
            let cents = i64::from(p + 1) * (day as i64 % 17 + 1) * 1_000_000;
            let m = Money::from_cents(cents);
            let part = Money::from_cents(cents / (i64::from(p % 3) + 2));
            data.add_gmv_row(
                periods,
                &GmvRow {
                    date,
                    partner_id: partner.clone(),
                    seller_id: format!("S{}", day % 4),
                    channels: Channels {
                        gmv: m,
                        short_video: part,
                        live: part,
                        affiliate: part,
                    },
                },
            );
        }
        let pd = data.ensure_partner(&partner);
        pd.tiers = vec![
            (
                NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
                1 + (p % 3) as u8,
            ),
            (
                NaiveDate::from_ymd_opt(2025, 11, 1).expect("date"),
                2 + (p % 4) as u8,
            ),
        ];
        pd.creators.insert(
            format!("C{p}"),
            input::Creator {
                target_list: p % 2 == 0,
                q4_gmv: Money::from_cents(i64::from(p) * 1_000_000),
                q4_rows: 3,
            },
        );
        pd.matched.insert(
            ("S1".into(), format!("C{p}")),
            Money::from_cents(i64::from(p) * 100_000),
        );
    }
    data
}

/// Reads fuzz bytes one value at a time (zeros once they run out).
struct Draw<'a>(&'a [u8]);

impl Draw<'_> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
}

/// gmv_daily rows built from fuzz bytes as a Parquet file (the writer's choice of
/// dictionary or plain ids, amounts as DECIMAL(18,2), integer cents or text, row groups and
/// pages of a few rows) and as the CSV of the same values. Values come from small sets, so
/// duplicates across row groups, empty ids, negative or fractional amounts, channels above
/// the gmv and far dates are common: each sends the Parquet reader from its fast path to
/// the careful one. Both files must give the same reconciliation and the same payouts.
pub fn parquet_against_csv(data: &[u8]) {
    use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;

    let mut b = Draw(data);
    let control = b.byte();
    let settings = b.byte();
    let dictionary = settings & 1 == 1;
    let amounts = (settings >> 1) % 3;
    // Ids as text, as INT64 or as INT32 (UINT_32); the CSV has their digits.
    let int_ids = (settings >> 6) & 3;
    let group = usize::from(b.byte() % 16) + 1;
    let page = usize::from(b.byte() % 8) + 1;
    let rows = usize::from(b.byte()) * 2;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let base_day = (NaiveDate::from_ymd_opt(2025, 10, 1).expect("date") - epoch).num_days() as i32;
    let mut days = Vec::new();
    let mut ids: [Vec<String>; 2] = Default::default();
    let mut cents: [Vec<i64>; 4] = Default::default();
    for _ in 0..rows {
        let d = b.byte();
        // Mostly inside the program; now and then past year 9999 or before year 0.
        days.push(match d {
            254 => 3_000_000,
            255 => -800_000,
            d => base_day - 100 + i32::from(d),
        });
        for (k, id) in ids.iter_mut().enumerate() {
            let n = b.byte() % 8;
            id.push(match (int_ids, n) {
                (0 | 1, 0) => String::new(),
                (0 | 1, 1) => " ".into(),
                (0 | 1, n) => format!("{}{}", if k == 0 { "P" } else { "S" }, n),
                (2, 1) => "-1".into(),
                (2, n) => (i64::from(n) * 1_000_000_007).to_string(),
                (_, n) => (u32::from(n) * 600_000_001).to_string(),
            });
        }
        for amount in cents.iter_mut() {
            let a = i64::from(b.byte());
            amount.push(match a {
                250 => -100,
                251 => 100_000_000_000_000,
                a => a * 997,
            });
        }
    }
    let amount_type =
        ["int64 {} (DECIMAL(18,2))", "int64 {}", "binary {} (UTF8)"][amounts as usize];
    let columns = ["gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"];
    let id_type = ["binary {} (UTF8)", "binary {} (UTF8)", "int64 {}", "int32 {} (UINT_32)"]
        [int_ids as usize];
    let schema = format!(
        "message m {{ required int32 date (DATE); required {}; required {}; {} }}",
        id_type.replace("{}", "partner_id"),
        id_type.replace("{}", "seller_id"),
        columns
            .iter()
            .map(|c| format!("required {};", amount_type.replace("{}", c)))
            .collect::<String>()
    );
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).expect("schema"));
    let props = WriterProperties::builder()
        .set_dictionary_enabled(dictionary)
        .set_data_page_row_count_limit(page)
        .set_write_batch_size(page)
        .build();
    // Amounts as the careful path shows them (and as the CSV says them).
    let text = |c: i64| {
        let sign = if c < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
    };
    let mut file = Vec::new();
    {
        let mut writer =
            SerializedFileWriter::new(&mut file, schema, Arc::new(props)).expect("writer");
        let mut start = 0;
        while start < rows {
            let end = (start + group).min(rows);
            let mut g = writer.next_row_group().expect("group");
            let mut c = 0;
            while let Some(mut column) = g.next_column().expect("column") {
                let r = start..end;
                match c {
                    0 => column
                        .typed::<Int32Type>()
                        .write_batch(&days[r], None, None),
                    1 | 2 if int_ids == 2 => {
                        let values: Vec<i64> =
                            ids[c - 1][r].iter().map(|s| s.parse().expect("id")).collect();
                        column.typed::<Int64Type>().write_batch(&values, None, None)
                    }
                    1 | 2 if int_ids == 3 => {
                        let values: Vec<i32> = ids[c - 1][r]
                            .iter()
                            .map(|s| s.parse::<u32>().expect("id") as i32)
                            .collect();
                        column.typed::<Int32Type>().write_batch(&values, None, None)
                    }
                    1 | 2 => {
                        let values: Vec<ByteArray> = ids[c - 1][r]
                            .iter()
                            .map(|s| ByteArray::from(s.as_str()))
                            .collect();
                        column
                            .typed::<ByteArrayType>()
                            .write_batch(&values, None, None)
                    }
                    _ if amounts == 2 => {
                        let values: Vec<ByteArray> = cents[c - 3][r]
                            .iter()
                            .map(|v| ByteArray::from(text(*v).as_str()))
                            .collect();
                        column
                            .typed::<ByteArrayType>()
                            .write_batch(&values, None, None)
                    }
                    _ => column
                        .typed::<Int64Type>()
                        .write_batch(&cents[c - 3][r], None, None),
                }
                .expect("write");
                column.close().expect("close column");
                c += 1;
            }
            g.close().expect("close group");
            start = end;
        }
        writer.close().expect("close file");
    }
    let mut csv =
        String::from("date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n");
    for i in 0..rows {
        // A date the careful path cannot show as YYYY-MM-DD is refused; so is this text.
        let date = epoch
            .checked_add_signed(chrono::TimeDelta::days(i64::from(days[i])))
            .filter(|d| (0..=9999).contains(&chrono::Datelike::year(d)))
            .map_or_else(|| "not a date".to_string(), |d| d.to_string());
        csv.push_str(&format!(
            "{date},\"{}\",\"{}\",{},{},{},{}\n",
            ids[0][i],
            ids[1][i],
            text(cents[0][i]),
            text(cents[1][i]),
            text(cents[2][i]),
            text(cents[3][i]),
        ));
    }
    let mut input = vec![control];
    input.extend_from_slice(&file);
    let from_parquet = ingest_as_outcome(InputFile::GmvDaily, Format::Parquet, &input);
    let mut input = vec![control];
    input.extend_from_slice(csv.as_bytes());
    let from_csv = ingest_as_outcome(InputFile::GmvDaily, Format::Csv, &input);
    match (from_parquet, from_csv) {
        (Some((pq_report, pq_errors, pq_payouts)), Some((csv_report, csv_errors, csv_payouts))) => {
            assert_eq!(pq_report.rows, csv_report.rows, "rows differ:\n{csv}");
            assert_eq!(pq_report.gmv, csv_report.gmv, "gmv differs:\n{csv}");
            assert_eq!(pq_errors.0, csv_errors.0, "error counts differ:\n{csv}");
            // Parquet row n is CSV line n + 1.
            let shifted: Vec<u64> = pq_errors.1.iter().map(|l| l + 1).collect();
            assert_eq!(shifted, csv_errors.1, "errors differ:\n{csv}");
            assert_eq!(pq_payouts, csv_payouts, "payouts differ:\n{csv}");
        }
        (None, None) => {}
        (pq, csv_outcome) => panic!(
            "one file type loaded and the other did not: parquet {}, csv {}\n{csv}",
            pq.is_some(),
            csv_outcome.is_some()
        ),
    }
}

/// Like `ingest_as`, returning the file's report, its errors' lines and payouts.csv.
fn ingest_as_outcome(
    file: InputFile,
    format: Format,
    data: &[u8],
) -> Option<(FileReport, (usize, Vec<u64>), String)> {
    let mut result = None;
    ingest_with(file, format, data, |data, outcome| {
        let report = data.files.get(&file).expect("report").clone();
        // Lines of the first errors kept (the same number for both file types).
        let mut lines: Vec<u64> = data.errors.iter().map(|e| e.line).collect();
        lines.sort_unstable();
        let payouts = report::payouts_csv(outcome);
        result = Some((report, (data.error_count, lines), payouts));
    });
    result
}

/// A workbook package whose gmv_daily sheet holds `rows` (raw XML) inside `<sheetData>`
/// after a header row, with a shared-strings part and a date style.
fn sheet_package(rows: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut part = |name: &str, body: &[u8]| {
        zip.start_file(name, options).expect("zip part");
        zip.write_all(body).expect("zip write");
    };
    part("[Content_Types].xml", br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#);
    part("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#);
    part("xl/workbook.xml", br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Daily" sheetId="1" r:id="rId1"/></sheets></workbook>"#);
    part("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#);
    part("xl/sharedStrings.xml", br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>P1</t></si><si><t>S1</t></si><si><t xml:space="preserve"> P2 </t></si><si><r><t>S</t></r><r><t>2</t></r></si><si><t>2025-10-01</t></si><si><t>$1,234.56</t></si></sst>"#);
    part("xl/styles.xml", br#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="14"/><xf numFmtId="4"/></cellXfs></styleSheet>"#);
    let mut sheet = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c><c r="B1" t="inlineStr"><is><t>partner_id</t></is></c><c r="C1" t="inlineStr"><is><t>seller_id</t></is></c><c r="D1" t="inlineStr"><is><t>gmv</t></is></c><c r="E1" t="inlineStr"><is><t>short_video_gmv</t></is></c><c r="F1" t="inlineStr"><is><t>live_gmv</t></is></c><c r="G1" t="inlineStr"><is><t>affiliate_gmv</t></is></c></row>"#.to_vec();
    sheet.extend_from_slice(rows);
    sheet.extend_from_slice(b"</sheetData></worksheet>");
    part("xl/worksheets/sheet1.xml", &sheet);
    zip.finish().expect("zip finish").into_inner()
}

/// gmv_daily.xlsx whose sheet rows are the fuzz input, read on the fast path and on the
/// careful path: both must find the same sums, counts, problems and rejects.
pub fn xlsx_sheet_both_paths(data: &[u8]) {
    let Some((&control, rows)) = data.split_first() else {
        return;
    };
    // calamine 0.38 adds up a reference's letters and digits in u32 unchecked: seven
    // letters or ten digits panic in this build (overflow checks on) and wrap in a release
    // build, where the reader then refuses positions past XFD1048576 (and a panic refuses
    // the sheet). Such references are left out so that the run looks past them.
    let long_run = rows.windows(2).enumerate().any(|(i, w)| {
        matches!(w, [b'"' | b'\'', c] if c.is_ascii_alphanumeric()) && {
            let rest = &rows[i + 1..];
            let letters = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
            let digits = rest[letters..].iter().take_while(|b| b.is_ascii_digit()).count();
            letters >= 7 || digits >= 10
        }
    });
    if long_run {
        return;
    }
    let dir = data_dir();
    let file = InputFile::GmvDaily;
    std::fs::remove_file(dir.join(file.name())).expect("set the base file aside");
    let path = dir.join(file.name_as(Format::Xlsx));
    std::fs::write(&path, sheet_package(rows)).expect("write fuzz input");
    let book = book();
    let periods = Periods::new(&book.rules.windows, book.rules.windows.program.end);
    let mode = if control & 1 == 0 {
        Mode::Strict
    } else {
        Mode::SkipInvalid
    };
    let opts = Options {
        mode,
        progress: false,
        adjust: None,
        threads: 1 + usize::from(control & 2 != 0),
        hashes: true,
        every_error: false,
    };
    let seen = |loaded: Result<DataSet, input::InputError>| match loaded {
        Ok(data) => {
            check_data(&data, mode);
            let errors: Vec<String> = data.errors.iter().map(|e| e.to_string()).collect();
            format!(
                "{errors:?}\n{:?}\n{:?}\n{:?}",
                data.rejects, data.files, data.partners
            )
        }
        Err(e) => format!("error {e}"),
    };
    std::env::remove_var("TSP_PAYOUT_TEST_CAREFUL");
    let fast = seen(input::load(dir, &periods, &opts));
    std::env::set_var("TSP_PAYOUT_TEST_CAREFUL", "1");
    let careful = seen(input::load(dir, &periods, &opts));
    std::env::remove_var("TSP_PAYOUT_TEST_CAREFUL");
    std::fs::remove_file(&path).expect("remove fuzz input");
    let base = BASE.iter().find(|(f, _)| *f == file).expect("base").1;
    std::fs::write(dir.join(file.name()), base).expect("restore base file");
    assert_eq!(fast, careful, "the two paths disagree on a workbook");
}

#[cfg(test)]
mod tests {
    /// Sheets the differential target starts from: each runs both paths.
    #[test]
    fn seed_sheets_read_alike_on_both_paths() {
        let rows: &[&[u8]] = &[
            br#"<row r="2"><c r="A2" s="1"><v>45931</v></c><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="D2"><v>1234.56</v></c><c r="E2" s="3"><v>10</v></c><c r="F2" t="s"><v>5</v></c><c r="G2"><v>0</v></c></row>"#,
            br#"<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="s"><v>2</v></c><c r="C2" t="s"><v>3</v></c><c r="D2"><v>5</v></c><c r="E2"><v>1</v></c><c r="F2"><v>1</v></c><c r="G2"><v>1</v></c></row>"#,
            br#"<row r="2"><c r="A2" s="2"><v>45931.5</v></c><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="D2"><v>1234.5678</v></c><c r="E2"><v>1</v></c><c r="F2"><v>1</v></c><c r="G2"><v>9999</v></c></row>"#,
            br#"<row r="2"><c r="A2" s="1"><v>45931</v></c><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="D2"><v>7</v></c><c r="E2"><v>1</v></c><c r="F2"><v>1</v></c><c r="G2"><v>1</v></c></row><row r="3"><c r="A3" s="1"><v>45931</v></c><c r="B3" t="s"><v>0</v></c><c r="C3" t="s"><v>1</v></c><c r="D3"><v>8</v></c><c r="E3"><v>1</v></c><c r="F3"><v>1</v></c><c r="G3"><v>1</v></c><c r="H3"><v>1</v></c></row>"#,
            br#"<row r="2"><c r="A2" s="0"><v>45931</v></c><c r="B2"><f>1+1</f><v>2</v></c><c r="C2" t="e"><v>#N/A</v></c><c r="D2" t="str"><v>5</v></c></row><row r="2"/>"#,
            br#"<row r="3"><c r="A3" s="1"><v>45931</v></c><c r="B3" t="inlineStr"><is><t>P&amp;1</t></is></c><c r="C3" t="s"><v>99</v></c></row><row r="4"><c r="A4" s="1" t="x"><v>1</v></c></row>"#,
            br#"<row r="5" spans="1:7"> <c r="A5" s="1"><v>45931</v></c> <c r="B5" t="inlineStr"><is><t xml:space="preserve"> P3 </t></is></c><c r="C5" t="inlineStr"><is><t>S3</t></is></c><c r="D5" s="3"><v>100</v></c><c r="E5"/><c r="F5"><v>0</v></c><c r="G5"><v>0</v></c></row>"#,
            b"garbage <row",
        ];
        for (i, body) in rows.iter().enumerate() {
            for control in 0u8..4 {
                let mut data = vec![control];
                data.extend_from_slice(body);
                super::xlsx_sheet_both_paths(&data);
                let _ = i;
            }
        }
    }
}
