//! The same answers from every file type: the bundled sample written as Excel workbooks
//! (money as numbers and as text, dates as date serials, a renamed column mapped by
//! columns.toml) and as Parquet files pays exactly what the CSV files pay; and the errors
//! of a workbook name its sheet and cell, those of a Parquet file its row.

mod common;
use common::*;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::path::Path;
use std::sync::Arc;

const FILES: [&str; 6] = [
    "gmv_daily",
    "partner_tiers",
    "creators",
    "creator_gmv_daily",
    "matchmaking",
    "partners",
];

fn read_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn is_money(column: &str) -> bool {
    column.ends_with("gmv")
}

/// Days since 1899-12-30: a date as an Excel serial.
fn serial(date: &str) -> f64 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    (d - base).num_days() as f64
}

/// `1234567.5` as `$1,234,567.50`.
fn dollars(amount: &str) -> String {
    let (int, frac) = amount.split_once('.').unwrap_or((amount, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{frac:0<2}")
}

/// The sample as workbooks; gmv_daily's affiliate_gmv is "Creator-attributed GMV", and
/// its partner_id "Partner ID".
fn write_xlsx(dir: &Path) {
    use rust_xlsxwriter::{Format, Workbook};
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for stem in FILES {
        let (header, rows) = read_table(&fixture().join(format!("{stem}.csv")));
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        // Empty rows above the header: the first non-empty row is the header.
        let top = 2u32;
        for (c, name) in header.iter().enumerate() {
            let shown = match (stem, name.as_str()) {
                ("gmv_daily", "affiliate_gmv") => "Creator-attributed GMV",
                ("gmv_daily", "partner_id") => "Partner ID",
                _ => name,
            };
            sheet.write_string(top, c as u16, shown).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            let line = top + 1 + r as u32;
            for (c, value) in row.iter().enumerate() {
                let col = c as u16;
                let name = header[c].as_str();
                if is_money(name) {
                    match r % 3 {
                        0 => sheet.write_number(line, col, value.parse::<f64>().unwrap()),
                        1 => sheet.write_string(line, col, value),
                        _ => sheet.write_string(line, col, dollars(value)),
                    }
                    .unwrap();
                } else if name == "date" && r % 2 == 0 {
                    sheet
                        .write_number_with_format(line, col, serial(value), &date_format)
                        .unwrap();
                } else if name == "tier" {
                    sheet
                        .write_number(line, col, value.parse::<f64>().unwrap())
                        .unwrap();
                } else if name == "target_list" {
                    sheet
                        .write_boolean(line, col, value.eq_ignore_ascii_case("true"))
                        .unwrap();
                } else {
                    sheet.write_string(line, col, value).unwrap();
                }
            }
        }
        book.save(dir.join(format!("{stem}.xlsx"))).unwrap();
    }
    std::fs::write(
        dir.join("columns.toml"),
        "[gmv_daily]\naffiliate_gmv = [\"Affiliate GMV\", \"Creator-attributed GMV\"]\n",
    )
    .unwrap();
}

/// The sample as Parquet: dates as `date32` (effective_date as text), gmv as
/// DECIMAL(18,2), other amounts as integer cents, ids as strings, a row group per 1,000
/// rows.
fn write_parquet(dir: &Path) {
    for stem in FILES {
        let (header, rows) = read_table(&fixture().join(format!("{stem}.csv")));
        let fields: Vec<String> = header
            .iter()
            .map(|name| match name.as_str() {
                "date" => "required int32 date (DATE);".to_string(),
                "gmv" => "required int64 gmv (DECIMAL(18,2));".to_string(),
                n if is_money(n) => format!("required int64 {n};"),
                "tier" => "required int32 tier;".to_string(),
                n => format!("optional binary {n} (UTF8);"),
            })
            .collect();
        let schema = format!("message {stem} {{ {} }}", fields.join(" "));
        let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).unwrap());
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .build(),
        );
        let file = std::fs::File::create(dir.join(format!("{stem}.parquet"))).unwrap();
        let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
        for chunk in rows.chunks(1000) {
            let mut group = writer.next_row_group().unwrap();
            let mut c = 0;
            while let Some(mut column) = group.next_column().unwrap() {
                let name = header[c].as_str();
                let cells: Vec<&str> = chunk.iter().map(|r| r[c].as_str()).collect();
                if name == "date" {
                    let days: Vec<i32> =
                        cells.iter().map(|d| (serial(d) - 25569.0) as i32).collect();
                    column
                        .typed::<Int32Type>()
                        .write_batch(&days, None, None)
                        .unwrap();
                } else if is_money(name) {
                    let cents: Vec<i64> = cells
                        .iter()
                        .map(|v| {
                            let (i, f) = v.split_once('.').unwrap_or((v, "0"));
                            i.parse::<i64>().unwrap() * 100
                                + format!("{f:0<2}").parse::<i64>().unwrap()
                        })
                        .collect();
                    column
                        .typed::<Int64Type>()
                        .write_batch(&cents, None, None)
                        .unwrap();
                } else if name == "tier" {
                    let tiers: Vec<i32> = cells.iter().map(|t| t.parse().unwrap()).collect();
                    column
                        .typed::<Int32Type>()
                        .write_batch(&tiers, None, None)
                        .unwrap();
                } else {
                    let values: Vec<ByteArray> =
                        cells.iter().map(|s| ByteArray::from(*s)).collect();
                    let defs = vec![1i16; values.len()];
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&values, Some(&defs), None)
                        .unwrap();
                }
                column.close().unwrap();
                c += 1;
            }
            group.close().unwrap();
        }
        writer.close().unwrap();
    }
}

fn calc_out(dir: &Path, extra: &[&str]) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let result = bin()
        .arg("calc")
        .arg(dir)
        .arg("--out")
        .arg(out.path().join("run"))
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(result.status.success(), "{err}");
    (out, err)
}

fn manifest_without_names(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("run/manifest.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["inputs", "outputs", "columns_toml"] {
        doc.as_object_mut().unwrap().remove(key);
    }
    for file in doc["reconciliation"].as_array_mut().unwrap() {
        file.as_object_mut().unwrap().remove("file");
        file.as_object_mut().unwrap().remove("sha256");
    }
    doc
}

#[test]
fn workbooks_and_parquet_files_pay_exactly_what_the_csv_files_pay() {
    let (csv_run, _) = calc_out(&fixture(), &[]);
    let expected = std::fs::read(csv_run.path().join("run/payouts.csv")).unwrap();
    let expected_manifest = manifest_without_names(csv_run.path());

    let xlsx = tempfile::tempdir().unwrap();
    write_xlsx(xlsx.path());
    let parquet = tempfile::tempdir().unwrap();
    write_parquet(parquet.path());
    for (dir, ext) in [(xlsx.path(), "xlsx"), (parquet.path(), "parquet")] {
        for threads in ["1", "2"] {
            let out = tempfile::tempdir().unwrap();
            let result = bin()
                .env("TSP_PAYOUT_THREADS", threads)
                .arg("calc")
                .arg(dir)
                .arg("--out")
                .arg(out.path().join("run"))
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&result.stderr).into_owned();
            assert!(result.status.success(), "{ext}: {err}");
            let got = std::fs::read(out.path().join("run/payouts.csv")).unwrap();
            if got != expected {
                let (got, expected) = (
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&expected),
                );
                let diff: Vec<String> = got
                    .lines()
                    .zip(expected.lines())
                    .filter(|(a, b)| a != b)
                    .take(3)
                    .map(|(a, b)| format!("got  {a}\nwant {b}"))
                    .collect();
                panic!("{ext}: payouts.csv differs\n{}\n{err}", diff.join("\n"));
            }
            assert_eq!(
                manifest_without_names(out.path()),
                expected_manifest,
                "{ext}"
            );
            let manifest = std::fs::read_to_string(out.path().join("run/manifest.json")).unwrap();
            let sha = |bytes: &[u8]| {
                use sha2::Digest;
                sha2::Sha256::digest(bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            };
            let name = format!("gmv_daily.{ext}");
            let hash = sha(&std::fs::read(dir.join(&name)).unwrap());
            assert!(
                manifest.contains(&format!("\"{name}\": \"{hash}\"")),
                "{manifest}"
            );
            assert!(
                err.contains(&format!("{name:<22} rows 9304 = 9304")),
                "{err}"
            );
            if ext == "xlsx" {
                let toml = sha(&std::fs::read(dir.join("columns.toml")).unwrap());
                assert!(manifest.contains(&toml), "{manifest}");
            }
        }
    }
}

const GMV_ROWS: [&str; 3] = [
    "2025-10-01,P1,S1,100.00,10.00,5.00,1.00",
    "2025-10-02,P1,S1,1234.5678,0,0,0",
    "2025-10-03,P1,S1,7.00,0,0,8.00",
];

/// gmv_daily as one workbook sheet "Daily" (numbers where the cell parses as one).
fn gmv_workbook(dir: &Path, rows: &[&str]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Daily").unwrap();
    for (c, name) in GMV_HEADER.trim_end().split(',').enumerate() {
        sheet.write_string(0, c as u16, name).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.split(',').enumerate() {
            let (line, col) = (r as u32 + 1, c as u16);
            match cell.parse::<f64>() {
                Ok(n) if c >= 3 => sheet.write_number(line, col, n).unwrap(),
                _ => sheet.write_string(line, col, cell).unwrap(),
            };
        }
    }
    book.save(dir.join("gmv_daily.xlsx")).unwrap();
}

#[test]
fn workbook_errors_name_the_sheet_and_cell_and_rejects_quote_the_sheet_row() {
    let dir = tempfile::tempdir().unwrap();
    gmv_workbook(dir.path(), &GMV_ROWS);
    let out = bin()
        .args(["validate", "--allow-gaps"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gmv_daily.xlsx: Daily!D3: column gmv: 1234.5678 has more than two decimals"),
        "{text}"
    );
    assert!(
        text.contains("gmv_daily.xlsx: Daily!G4: column affiliate_gmv: \"8\" exceeds gmv 7.00"),
        "{text}"
    );
    let (run, err) = calc_out(
        dir.path(),
        &["--skip-invalid", "--allow-gaps", "--max-rejects", "100%"],
    );
    assert!(
        err.contains("gmv_daily.xlsx         rows 3 = 1 + 0 + 0 + 2"),
        "{err}"
    );
    let rejects = std::fs::read_to_string(run.path().join("run/rejects.csv")).unwrap();
    assert!(
        rejects.contains("gmv_daily.xlsx,3,column gmv: 1234.5678 has more than two decimals,\"2025-10-02,P1,S1,1234.5678,0,0,0\""),
        "{rejects}"
    );
    assert!(rejects.contains("gmv_daily.xlsx,4,"), "{rejects}");
}

#[test]
fn two_files_for_one_input_are_refused_naming_both() {
    let dir = data_dir(&[("gmv_daily.csv", &format!("{GMV_HEADER}{}\n", GMV_ROWS[0]))]);
    gmv_workbook(dir.path(), &GMV_ROWS[..1]);
    let out = bin()
        .args(["calc", "--allow-gaps"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gmv_daily.csv and gmv_daily.xlsx are all in"),
        "{err}"
    );
}

#[test]
fn a_bad_columns_toml_stops_the_run_and_validate_shows_a_good_one() {
    let dir = data_dir(&[
        (
            "gmv_daily.csv",
            &format!(
                "date,partner_id,seller_id,Total GMV,short_video_gmv,live_gmv,affiliate_gmv\n{}\n",
                GMV_ROWS[0]
            ),
        ),
        (
            "columns.toml",
            "[gmv_daily]\ngmv = [\"Total GMV\"]\nlive_gmv = \"total-gmv\"\n",
        ),
    ]);
    let out = bin()
        .args(["calc", "--allow-gaps"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("columns.toml: gmv_daily: \"total-gmv\" is mapped to both gmv and live_gmv"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("columns.toml"),
        "[gmv_daily]\ngmv = [\"Total GMV\"]\n",
    )
    .unwrap();
    let out = bin()
        .args(["validate", "--allow-gaps"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("columns.toml: gmv_daily: gmv <- \"Total GMV\""),
        "{err}"
    );
    assert!(!err.contains("columns.toml is not read"), "{err}");
}

/// gmv_daily.parquet with `gmv` as the given Parquet type and the rest as text.
fn gmv_parquet(dir: &Path, gmv_type: &str, gmv: &[&str]) {
    let schema = format!(
        "message m {{ required binary date (UTF8); required binary partner_id (UTF8); \
         required binary seller_id (UTF8); {gmv_type}; required binary short_video_gmv (UTF8); \
         required binary live_gmv (UTF8); required binary affiliate_gmv (UTF8); }}"
    );
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).unwrap());
    let file = std::fs::File::create(dir.join("gmv_daily.parquet")).unwrap();
    let mut writer =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut c = 0;
    while let Some(mut column) = group.next_column().unwrap() {
        let text = |v: Vec<String>| {
            v.into_iter()
                .map(|s| ByteArray::from(s.as_str()))
                .collect::<Vec<_>>()
        };
        let n = gmv.len();
        match c {
            3 if gmv_type.contains("double") => {
                let v: Vec<f64> = gmv.iter().map(|g| g.parse().unwrap()).collect();
                column
                    .typed::<parquet::data_type::DoubleType>()
                    .write_batch(&v, None, None)
                    .unwrap();
            }
            3 => {
                let v: Vec<i64> = gmv.iter().map(|g| g.parse().unwrap()).collect();
                column
                    .typed::<Int64Type>()
                    .write_batch(&v, None, None)
                    .unwrap();
            }
            _ => {
                let values = match c {
                    0 => (0..n).map(|i| format!("2025-10-{:02}", i + 1)).collect(),
                    1 => vec!["P1".to_string(); n],
                    2 => vec!["S1".to_string(); n],
                    _ => vec!["0".to_string(); n],
                };
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&text(values), None, None)
                    .unwrap();
            }
        }
        column.close().unwrap();
        c += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();
}

#[test]
fn parquet_errors_name_the_row_and_float_amounts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    gmv_parquet(
        dir.path(),
        "required int64 gmv (DECIMAL(18,4))",
        &["1000000", "12345678", "-10000"],
    );
    let out = bin()
        .args(["validate", "--allow-gaps"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gmv_daily.parquet: row 2: column gmv: 1234.5678 has more than two decimals"),
        "{text}"
    );
    assert!(
        text.contains("gmv_daily.parquet: row 3: column gmv: \"-1.00\" is not an amount"),
        "{text}"
    );

    gmv_parquet(dir.path(), "required double gmv", &["100.5"]);
    let out = bin()
        .args(["validate", "--allow-gaps"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "gmv_daily.parquet: schema: column gmv: column \"gmv\" holds floating-point numbers"
        ),
        "{text}"
    );

    gmv_parquet(dir.path(), "required int64 gmv", &["12345", "100"]);
    let out = bin()
        .args(["calc", "--allow-gaps", "--format", "csv"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("gmv 124.45 = 124.45"), "{err}");
}

/// gmv_daily.parquet of text columns that may be null, in row groups of `group` rows.
fn text_parquet(dir: &Path, rows: &[[Option<&str>; 7]], group: usize) {
    let fields: Vec<String> = GMV_HEADER
        .trim_end()
        .split(',')
        .map(|c| format!("optional binary {c} (UTF8);"))
        .collect();
    let schema = format!("message m {{ {} }}", fields.join(" "));
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).unwrap());
    let file = std::fs::File::create(dir.join("gmv_daily.parquet")).unwrap();
    let mut writer =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .unwrap();
    for chunk in rows.chunks(group) {
        let mut g = writer.next_row_group().unwrap();
        let mut c = 0;
        while let Some(mut column) = g.next_column().unwrap() {
            let values: Vec<ByteArray> = chunk
                .iter()
                .filter_map(|r| r[c].map(ByteArray::from))
                .collect();
            let defs: Vec<i16> = chunk.iter().map(|r| i16::from(r[c].is_some())).collect();
            column
                .typed::<ByteArrayType>()
                .write_batch(&values, Some(&defs), None)
                .unwrap();
            column.close().unwrap();
            c += 1;
        }
        g.close().unwrap();
    }
    writer.close().unwrap();
}

#[test]
fn parquet_rows_the_fast_path_cannot_take_are_named_by_the_careful_path() {
    let row = |day: u32, seller: &'static str| -> [Option<&'static str>; 7] {
        let date: &'static str = Box::leak(format!("2025-10-{day:02}").into_boxed_str());
        [
            Some(date),
            Some("P1"),
            Some(seller),
            Some("$1,000.50"),
            Some("1"),
            Some("0"),
            Some("0"),
        ]
    };
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<_> = (1..=20).map(|d| row(d, "S1")).collect();
    // Row 25 repeats row 5's key, in another row group; row 30 has no seller.
    rows.extend((1..=10).map(|d| row(d, "S2")));
    rows[24] = row(5, "S1");
    rows[29][2] = None;
    text_parquet(dir.path(), &rows, 8);
    for threads in ["1", "2"] {
        let out = bin()
            .env("TSP_PAYOUT_THREADS", threads)
            .args(["validate", "--allow-gaps"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(65));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("gmv_daily.parquet: row 5: duplicate key (date 2025-10-05, partner_id P1, seller_id S1), also on row 25"),
            "{text}"
        );
        assert!(
            text.contains("gmv_daily.parquet: row 25: duplicate key (date 2025-10-05, partner_id P1, seller_id S1), also on row 5"),
            "{text}"
        );
        assert!(
            text.contains("gmv_daily.parquet: row 30: column seller_id: \"\" is empty"),
            "{text}"
        );
    }
    // Without them, both paths agree on the sums (the fast path reads it).
    rows[24] = row(25, "S2");
    rows[29][2] = Some("S3");
    text_parquet(dir.path(), &rows, 8);
    let csv: String = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r.iter().map(|c| format!("\"{}\"", c.unwrap())).collect();
            cells.join(",") + "\n"
        })
        .collect();
    let csv_dir = data_dir(&[("gmv_daily.csv", &format!("{GMV_HEADER}{csv}"))]);
    let (expected, _) = calc_out(csv_dir.path(), &["--allow-gaps"]);
    let (got, err) = calc_out(dir.path(), &["--allow-gaps"]);
    assert!(err.contains("gmv_daily.parquet      rows 30 = 30"), "{err}");
    assert_eq!(
        std::fs::read(got.path().join("run/payouts.csv")).unwrap(),
        std::fs::read(expected.path().join("run/payouts.csv")).unwrap()
    );
}

/// The coverage refusal names the file as it was given, so a workbook's gaps point at it.
#[test]
fn gaps_in_a_workbook_name_the_workbook() {
    let dir = tempfile::tempdir().unwrap();
    gmv_workbook(dir.path(), &GMV_ROWS[..1]);
    let out = bin().arg("calc").arg(dir.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(
        err.contains("gmv_daily.xlsx has no rows for 2025-07-01..2025-09-30"),
        "{err}"
    );
    assert!(!err.contains("gmv_daily.csv has no rows"), "{err}");
}

/// The sample's gmv_daily written as Parquet the ways warehouses write it: ids dictionary
/// encoded or plain, amounts as DECIMAL(18,2), integer cents or text, in row groups of
/// `group` rows and pages of at most 100; `bad_row` adds a row with an empty seller_id.
fn gmv_variant_parquet(dir: &Path, dictionary: bool, amounts: &str, group: usize, bad_row: bool) {
    let (header, mut rows) = read_table(&fixture().join("gmv_daily.csv"));
    if bad_row {
        let mut bad = rows[rows.len() / 2].clone();
        bad[2] = String::new();
        rows.push(bad);
    }
    let amount_type = match amounts {
        "decimal" => "int64 {} (DECIMAL(18,2))",
        "cents" => "int64 {}",
        _ => "binary {} (UTF8)",
    };
    let fields: Vec<String> = header
        .iter()
        .map(|name| match name.as_str() {
            "date" => "required int32 date (DATE);".to_string(),
            n if is_money(n) => format!("required {};", amount_type.replace("{}", n)),
            n => format!("required binary {n} (UTF8);"),
        })
        .collect();
    let schema = format!("message gmv_daily {{ {} }}", fields.join(" "));
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).unwrap());
    let props = WriterProperties::builder()
        .set_dictionary_enabled(dictionary)
        .set_data_page_row_count_limit(100)
        .set_write_batch_size(100)
        .build();
    let file = std::fs::File::create(dir.join("gmv_daily.parquet")).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(props)).unwrap();
    for chunk in rows.chunks(group) {
        let mut g = writer.next_row_group().unwrap();
        let mut c = 0;
        while let Some(mut column) = g.next_column().unwrap() {
            let name = header[c].as_str();
            let cells: Vec<&str> = chunk.iter().map(|r| r[c].as_str()).collect();
            let text = |cells: &[&str]| -> Vec<ByteArray> {
                cells.iter().map(|s| ByteArray::from(*s)).collect()
            };
            if name == "date" {
                let days: Vec<i32> = cells.iter().map(|d| (serial(d) - 25569.0) as i32).collect();
                column.typed::<Int32Type>().write_batch(&days, None, None)
            } else if is_money(name) && amounts != "text" {
                let cents: Vec<i64> = cells
                    .iter()
                    .map(|v| {
                        let (i, f) = v.split_once('.').unwrap_or((v, "0"));
                        i.parse::<i64>().unwrap() * 100 + format!("{f:0<2}").parse::<i64>().unwrap()
                    })
                    .collect();
                column.typed::<Int64Type>().write_batch(&cents, None, None)
            } else {
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&text(&cells), None, None)
            }
            .unwrap();
            column.close().unwrap();
            c += 1;
        }
        g.close().unwrap();
    }
    writer.close().unwrap();
    for stem in FILES.iter().filter(|s| **s != "gmv_daily") {
        std::fs::copy(
            fixture().join(format!("{stem}.csv")),
            dir.join(format!("{stem}.csv")),
        )
        .unwrap();
    }
}

/// The fast path (a clean file, read in two runs split inside a row group) and the careful
/// path (the same file with one bad row, skipped) pay to the byte what the CSV pays.
#[test]
fn parquet_fast_and_careful_paths_pay_exactly_what_the_csv_pays() {
    let (csv_run, _) = calc_out(&fixture(), &[]);
    let expected = std::fs::read_to_string(csv_run.path().join("run/payouts.csv")).unwrap();
    assert!(expected.lines().count() > 5, "{expected}");
    let mut group = 1000;
    for dictionary in [true, false] {
        for amounts in ["decimal", "cents", "text"] {
            group = if group == 1000 { 333 } else { 1000 };
            let variant = format!("dictionary {dictionary}, {amounts}, groups of {group}");
            for bad_row in [false, true] {
                let dir = tempfile::tempdir().unwrap();
                gmv_variant_parquet(dir.path(), dictionary, amounts, group, bad_row);
                let out = tempfile::tempdir().unwrap();
                let mut cmd = bin();
                cmd.env("TSP_PAYOUT_THREADS", "2")
                    .arg("calc")
                    .arg(dir.path())
                    .arg("--out")
                    .arg(out.path().join("run"));
                if bad_row {
                    cmd.arg("--skip-invalid");
                }
                let result = cmd.output().unwrap();
                let err = String::from_utf8_lossy(&result.stderr);
                assert!(result.status.success(), "{variant}: {err}");
                let rejected = if bad_row {
                    "rows 9305 = 9304"
                } else {
                    "rows 9304 = 9304"
                };
                assert!(err.contains(rejected), "{variant}: {err}");
                let got = std::fs::read_to_string(out.path().join("run/payouts.csv")).unwrap();
                assert_eq!(got, expected, "{variant}, bad row {bad_row}");
                if bad_row {
                    let rejects =
                        std::fs::read_to_string(out.path().join("run/rejects.csv")).unwrap();
                    assert!(
                        rejects.contains(
                            "gmv_daily.parquet,9305,\"column seller_id: \"\"\"\" is empty"
                        ),
                        "{variant}: {rejects}"
                    );
                }
            }
        }
    }
}

/// Runs `calc DIR --allow-gaps --format csv`, on the careful path if `careful`.
fn calc_csv(dir: &Path, careful: bool) -> std::process::Output {
    let mut cmd = bin();
    if careful {
        cmd.env("TSP_PAYOUT_TEST_CAREFUL", "1");
    }
    cmd.args(["calc", "--allow-gaps", "--format", "csv"])
        .arg(dir)
        .output()
        .unwrap()
}

/// A Parquet page whose bytes no longer match the checksum its writer recorded (a copy
/// damaged on its way) is refused, on both paths; before, a changed digit of an amount
/// stored as text was paid as written (exit 0). tests/data/parquet holds the first 60 rows
/// of the bundled gmv_daily.csv, written by pyarrow with page checksums, uncompressed and
/// without a dictionary (`pq.write_table(t, path, write_page_checksum=True,
/// compression='NONE', use_dictionary=False)`, every column a string).
#[test]
fn a_parquet_page_that_fails_its_checksum_is_refused() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/parquet/gmv_daily_page_checksums.parquet");
    let original = std::fs::read(&fixture).unwrap();
    let partners = std::fs::read_to_string(common::fixture().join("partners.csv")).unwrap();
    let dir = data_dir(&[("partners.csv", &partners)]);
    let path = dir.path().join("gmv_daily.parquet");
    std::fs::write(&path, &original).unwrap();
    for careful in [false, true] {
        let clean = calc_csv(dir.path(), careful);
        assert_eq!(clean.status.code(), Some(0), "careful {careful}");
    }
    // The first row's gmv, 45615.49, with its first digit changed.
    let at = original
        .windows(8)
        .position(|w| w == b"45615.49")
        .expect("the first row's gmv stands in the file");
    let mut damaged = original.clone();
    damaged[at] = b'9';
    std::fs::write(&path, &damaged).unwrap();
    for careful in [false, true] {
        let run = calc_csv(dir.path(), careful);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(65), "careful {careful}: {stderr}");
        assert!(
            stderr.contains("gmv_daily.parquet: row 2: cannot read: row group 1: Parquet error: Page CRC checksum mismatch"),
            "careful {careful}: {stderr}"
        );
        assert!(run.stdout.is_empty(), "careful {careful}: nothing is paid");
    }
}
