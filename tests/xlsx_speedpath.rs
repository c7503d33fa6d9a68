//! A workbook read on the fast path (the sheet's XML summed as it is inflated) pays, counts
//! and refuses exactly what the careful path (calamine, cell by cell) does: the same
//! workbook is run both ways (`TSP_PAYOUT_TEST_CAREFUL` keeps to the careful path) and
//! every output compared byte for byte. Rows the fast path cannot take (a bad cell, a
//! duplicate key) are named by sheet cell or sheet row either way.

mod common;
use common::*;
use std::path::Path;

/// Writes gmv_daily.xlsx (sheet "Daily") with the sample's rows: dates alternately as
/// date serials and as text, amounts in turn as numbers, plain text and `$1,234.56`
/// text, the partner column named "Partner ID" and affiliate_gmv "Creator-attributed GMV"
/// (mapped by columns.toml), and a column the tool does not read. `edit` may change a row
/// (its fields as text) before it is written.
fn sample_workbook(dir: &Path, edit: impl Fn(usize, &mut Vec<String>)) {
    use rust_xlsxwriter::{Format, Workbook};
    let rows = read_csv(&fixture().join("gmv_daily.csv"));
    let columns = GMV_HEADER.trim_end().split(',').collect::<Vec<_>>();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Daily").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format("#,##0.00");
    for (c, name) in columns.iter().enumerate() {
        let shown = match *name {
            "partner_id" => "Partner ID",
            "affiliate_gmv" => "Creator-attributed GMV",
            other => other,
        };
        sheet.write_string(0, c as u16, shown).unwrap();
    }
    sheet
        .write_string(0, columns.len() as u16, "Region")
        .unwrap();
    for (r, row) in rows.iter().enumerate() {
        let mut cells: Vec<String> = columns.iter().map(|c| row[*c].clone()).collect();
        edit(r, &mut cells);
        let line = r as u32 + 1;
        for (c, value) in cells.iter().enumerate() {
            let col = c as u16;
            let day = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d");
            match (c, day) {
                (0, Ok(d)) if r % 2 == 0 => {
                    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
                    let serial = (d - base).num_days() as f64;
                    sheet.write_number_with_format(line, col, serial, &date)
                }
                (3.., _) => match (r % 3, value.parse::<f64>()) {
                    (0, Ok(n)) => sheet.write_number_with_format(line, col, n, &money),
                    (1, Ok(n)) if !value.contains('.') || value.ends_with('0') => {
                        sheet.write_number(line, col, n)
                    }
                    (2, Ok(_)) => sheet.write_string(line, col, format!("${value}")),
                    _ => sheet.write_string(line, col, value),
                },
                _ => sheet.write_string(line, col, value),
            }
            .unwrap();
        }
        sheet
            .write_string(line, columns.len() as u16, "US")
            .unwrap();
    }
    book.save(dir.join("gmv_daily.xlsx")).unwrap();
    for other in ["partners.csv", "partner_tiers.csv", "creators.csv"] {
        std::fs::copy(fixture().join(other), dir.join(other)).unwrap();
    }
    std::fs::write(
        dir.join("columns.toml"),
        "[gmv_daily]\naffiliate_gmv = [\"Affiliate GMV\", \"Creator-attributed GMV\"]\n",
    )
    .unwrap();
}

/// A run's outputs (every file of OUT but the manifest's timestamps), stderr and exit code.
struct Run {
    code: Option<i32>,
    stderr: String,
    stdout: String,
    files: Vec<(String, Vec<u8>)>,
}

fn run(dir: &Path, careful: bool, args: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    if careful {
        cmd.env("TSP_PAYOUT_TEST_CAREFUL", "1");
    }
    let result = cmd
        .env("TSP_PAYOUT_THREADS", "2")
        .arg("calc")
        .arg(dir)
        .arg("--out")
        .arg(out.path().join("run"))
        .args(args)
        .output()
        .unwrap();
    let mut files = Vec::new();
    for name in ["payouts.csv", "rejects.csv"] {
        if let Ok(bytes) = std::fs::read(out.path().join("run").join(name)) {
            files.push((name.to_string(), bytes));
        }
    }
    if let Ok(text) = std::fs::read_to_string(out.path().join("run/manifest.json")) {
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for key in ["generated_at", "created_at", "outputs"] {
            doc.as_object_mut().unwrap().remove(key);
        }
        files.push(("manifest.json".into(), doc.to_string().into_bytes()));
    }
    let out_dir = out.path().display().to_string();
    Run {
        code: result.status.code(),
        stderr: String::from_utf8_lossy(&result.stderr).replace(&out_dir, "OUT"),
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        files,
    }
}

/// Runs `dir` both ways and checks they agree on everything; returns the fast run.
fn both_ways(dir: &Path, args: &[&str]) -> Run {
    let fast = run(dir, false, args);
    let careful = run(dir, true, args);
    assert_eq!(
        fast.code, careful.code,
        "{}\n{}",
        fast.stderr, careful.stderr
    );
    assert_eq!(fast.stderr, careful.stderr);
    assert_eq!(fast.stdout, careful.stdout);
    assert_eq!(fast.files.len(), careful.files.len());
    for ((name, a), (_, b)) in fast.files.iter().zip(&careful.files) {
        assert!(a == b, "{name} differs between the two paths");
    }
    fast
}

#[test]
fn a_clean_workbook_pays_the_same_on_both_paths_and_as_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    sample_workbook(dir.path(), |_, _| {});
    let fast = both_ways(dir.path(), &["--allow-gaps"]);
    assert_eq!(fast.code, Some(0), "{}", fast.stderr);
    assert!(
        fast.stderr
            .contains("gmv_daily.xlsx         rows 9304 = 9304"),
        "{}",
        fast.stderr
    );
    // And as the CSV files pay.
    let csv = tempfile::tempdir().unwrap();
    for name in [
        "gmv_daily.csv",
        "partners.csv",
        "partner_tiers.csv",
        "creators.csv",
    ] {
        std::fs::copy(fixture().join(name), csv.path().join(name)).unwrap();
    }
    let from_csv = run(csv.path(), false, &["--allow-gaps"]);
    assert_eq!(fast.files[0], from_csv.files[0], "payouts.csv");
}

#[test]
fn a_bad_cell_is_named_by_its_sheet_cell_on_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    // Sheet row 11 (the 10th data row, written as numbers): gmv with four decimals.
    sample_workbook(dir.path(), |r, cells| {
        if r == 9 {
            cells[3] = "1234.5678".into();
        }
    });
    let strict = both_ways(dir.path(), &["--allow-gaps"]);
    assert_eq!(strict.code, Some(65));
    assert!(
        strict.stderr.contains(
            "gmv_daily.xlsx: Daily!D11: column gmv: 1234.5678 has more than two decimals"
        ),
        "{}",
        strict.stderr
    );
    let skip = both_ways(
        dir.path(),
        &["--allow-gaps", "--skip-invalid", "--max-rejects", "100%"],
    );
    assert_eq!(skip.code, Some(0), "{}", skip.stderr);
    let rejects = String::from_utf8_lossy(&skip.files[1].1).into_owned();
    assert!(
        rejects.contains("gmv_daily.xlsx,11,column gmv: 1234.5678 has more than two decimals,"),
        "{rejects}"
    );
}

#[test]
fn duplicate_keys_in_a_workbook_are_named_by_sheet_rows() {
    let dir = tempfile::tempdir().unwrap();
    let rows = read_csv(&fixture().join("gmv_daily.csv"));
    let key = |r: usize| {
        (
            rows[r]["date"].clone(),
            rows[r]["partner_id"].clone(),
            rows[r]["seller_id"].clone(),
        )
    };
    // Data row 30 (sheet row 31) repeats the key of data row 4 (sheet row 5).
    let (date, partner, seller) = key(3);
    sample_workbook(dir.path(), |r, cells| {
        if r == 29 {
            cells[0] = date.clone();
            cells[1] = partner.clone();
            cells[2] = seller.clone();
        }
    });
    let strict = both_ways(dir.path(), &["--allow-gaps"]);
    assert_eq!(strict.code, Some(65));
    let text = &strict.stderr;
    assert!(
        text.contains(&format!(
            "gmv_daily.xlsx: Daily row 5: duplicate key (date {date}, partner_id {partner}, seller_id {seller}), also on Daily row 31"
        )) || text.contains("also on Daily row 31"),
        "{text}"
    );
    assert!(text.contains("also on Daily row 5"), "{text}");
    assert!(!text.contains("also on line"), "{text}");
    let skip = both_ways(
        dir.path(),
        &["--allow-gaps", "--skip-invalid", "--max-rejects", "100%"],
    );
    assert_eq!(skip.code, Some(0), "{}", skip.stderr);
    let rejects = String::from_utf8_lossy(&skip.files[1].1).into_owned();
    assert!(
        rejects.contains("gmv_daily.xlsx,5,\"duplicate key"),
        "{rejects}"
    );
    assert!(
        rejects.contains("gmv_daily.xlsx,31,\"duplicate key"),
        "{rejects}"
    );
}

/// Rewrites the sheet XML of the workbook at `path` with `edit`.
fn edit_sheet_xml(path: &Path, edit: impl Fn(&str) -> String) {
    rewrite_sheet(path, false, edit);
}

/// Rewrites the sheet XML with `edit`, stored without compression if `stored`.
fn rewrite_sheet(path: &Path, stored: bool, edit: impl Fn(&str) -> String) {
    repack(path, |name, body| {
        if name.starts_with("xl/worksheets/") {
            *body = edit(std::str::from_utf8(body).unwrap()).into_bytes();
            stored
        } else {
            false
        }
    });
}

/// Writes the workbook at `path` again part by part: `part` may change a part's bytes and
/// says whether it is stored without compression.
fn repack(path: &Path, part: impl Fn(&str, &mut Vec<u8>) -> bool) {
    use std::io::{Read, Write};
    let bytes = std::fs::read(path).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        let mut options = zip::write::SimpleFileOptions::default();
        if part(&name, &mut body) {
            options = options.compression_method(zip::CompressionMethod::Stored);
        }
        out.start_file(name, options).unwrap();
        out.write_all(&body).unwrap();
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

/// A cell reference past the sheet's last column (a damaged or hostile workbook) is
/// refused on both paths, naming the sheet, before a row that long is made (a column of
/// some twelve million cells used to be allocated, and more letters could exhaust memory).
#[test]
fn a_cell_reference_past_the_last_cell_of_a_sheet_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    sample_workbook(dir.path(), |_, _| {});
    let path = dir.path().join("gmv_daily.xlsx");
    edit_sheet_xml(&path, |xml| xml.replacen("r=\"B12\"", "r=\"ZZZZZ12\"", 1));
    let strict = both_ways(dir.path(), &["--allow-gaps"]);
    assert_eq!(strict.code, Some(65), "{}", strict.stderr);
    // Named at its row, and the part of that row before it is not read as a row.
    assert!(
        strict.stderr.contains(
            "Daily row 12: cannot read: a cell reference is past the last cell of a sheet, \
             XFD1048576 (read as ZZZZZ12)"
        ),
        "{}",
        strict.stderr
    );
    assert!(!strict.stderr.contains("Daily!C12"), "{}", strict.stderr);
}

/// A reference whose column overflows the workbook reader's arithmetic, far into the
/// sheet: the reader panics on it (in a build with overflow checks) or wraps it. Either
/// way the run is refused; before, a panic passed for the sheet's end and the rows after
/// it were dropped without a word (payouts from part of the sheet, exit 0).
#[test]
fn a_reader_failing_inside_a_sheet_refuses_the_run_instead_of_ending_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    sample_workbook(dir.path(), |_, _| {});
    let path = dir.path().join("gmv_daily.xlsx");
    edit_sheet_xml(&path, |xml| {
        xml.replacen("r=\"B6001\"", "r=\"ZZZZZZZZZ6001\"", 1)
    });
    for careful in [false, true] {
        let got = run(dir.path(), careful, &["--allow-gaps"]);
        assert_eq!(got.code, Some(65), "careful {careful}: {}", got.stderr);
        assert!(
            got.stderr.contains("cannot be read to its end")
                || got.stderr.contains("past the last cell of a sheet"),
            "careful {careful}: {}",
            got.stderr
        );
        assert!(
            got.files.is_empty(),
            "careful {careful}: nothing is written"
        );
    }
}

/// Every row number of the sheet (`<row r>` and cell references) moved down by `by`.
fn shift_rows(xml: &str, by: u64) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(i) = rest.find(" r=\"") {
        let (head, tail) = rest.split_at(i + 4);
        out.push_str(head);
        let letters = tail.chars().take_while(char::is_ascii_uppercase).count();
        let digits = tail[letters..]
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        let line: u64 = tail[letters..letters + digits].parse().unwrap();
        out.push_str(&tail[..letters]);
        out.push_str(&(line + by).to_string());
        rest = &tail[letters + digits..];
    }
    out.push_str(rest);
    out
}

/// The header 20 rows down (the rows read before the fast path starts are the first 16 of
/// the sheet) and the sheet stored without compression: both paths read every row alike,
/// and as the workbook with its header on row 1, named by the rows as they now stand. A
/// bad cell far down the sheet makes the careful path read on from the header.
#[test]
fn a_header_below_blank_rows_and_a_stored_sheet_are_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    sample_workbook(dir.path(), |_, _| {});
    let plain = run(dir.path(), false, &["--allow-gaps"]);
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    let path = dir.path().join("gmv_daily.xlsx");
    for stored in [false, true] {
        sample_workbook(dir.path(), |_, _| {});
        rewrite_sheet(&path, stored, |xml| shift_rows(xml, 20));
        let moved = both_ways(dir.path(), &["--allow-gaps"]);
        assert_eq!(moved.code, Some(0), "stored {stored}: {}", moved.stderr);
        assert_eq!(
            moved.files[0], plain.files[0],
            "stored {stored}: payouts.csv"
        );
        // A bad amount on sheet row 5,021 (row 5,001 before the move).
        sample_workbook(dir.path(), |r, cells| {
            if r == 4_999 {
                cells[3] = "12.3.4".into();
            }
        });
        rewrite_sheet(&path, stored, |xml| shift_rows(xml, 20));
        let bad = both_ways(dir.path(), &["--allow-gaps"]);
        assert_eq!(bad.code, Some(65), "stored {stored}: {}", bad.stderr);
        assert!(
            bad.stderr.contains("Daily!D5021"),
            "stored {stored}: {}",
            bad.stderr
        );
    }
}

/// Rewrites every part of the workbook at `path` stored without compression, so that its
/// bytes stand in the file as they are read.
fn store_every_part(path: &Path) {
    repack(path, |_, _| true);
}

/// A changed byte in a stored part (a copy damaged on its way, a hand-edited file) is left
/// as it is by the readers of the sheet: only the part's checksum tells. A workbook is read
/// only when every part holds its checksum, on both paths; before, a digit changed in the
/// sheet was paid as written (exit 0).
#[test]
fn a_workbook_whose_parts_do_not_hold_their_checksums_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gmv_daily.xlsx");
    sample_workbook(dir.path(), |_, _| {});
    store_every_part(&path);
    let clean = both_ways(dir.path(), &["--allow-gaps"]);
    assert_eq!(clean.code, Some(0), "{}", clean.stderr);
    let original = std::fs::read(&path).unwrap();
    // The first digit of the first number of row 5 of the sheet, and a letter of the
    // workbook's properties: each changed in place, the checksums left as they were.
    let sheet_at = find(&original, b"<row r=\"5\"").expect("the sheet stands in the file");
    let digit_at = sheet_at
        + find(&original[sheet_at..], b"<v>").expect("a number in the sheet")
        + b"<v>".len();
    let property_at =
        find(&original, b"<Application>").expect("the properties part") + b"<Application>".len();
    for (at, part) in [
        (digit_at, "xl/worksheets/sheet1.xml"),
        (property_at, "docProps/app.xml"),
    ] {
        let mut damaged = original.clone();
        damaged[at] = if damaged[at] == b'7' { b'8' } else { b'7' };
        std::fs::write(&path, &damaged).unwrap();
        let refused = both_ways(dir.path(), &["--allow-gaps"]);
        assert_eq!(refused.code, Some(65), "{part}: {}", refused.stderr);
        assert!(
            refused.stderr.contains(&format!(
                "the workbook is damaged: a part does not read whole ({part}: "
            )),
            "{part}: {}",
            refused.stderr
        );
        assert!(refused.files.is_empty(), "{part}: nothing is written");
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
