//! Shared helpers for the binary's integration tests.
#![allow(dead_code)]

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub fn bin() -> Command {
    Command::cargo_bin("tsp-payout").expect("binary built")
}

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/q4-sample")
}

/// A temporary data directory with the given files.
pub fn data_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in files {
        fs::write(dir.path().join(name), content).expect("write input");
    }
    dir
}

/// The sample data (fixtures/q4-sample) with `gmv` as its gmv_daily.csv.
pub fn sample_with_gmv(gmv: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in fs::read_dir(fixture()).expect("fixture dir") {
        let entry = entry.expect("fixture entry");
        fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy fixture");
    }
    fs::write(dir.path().join("gmv_daily.csv"), gmv).expect("write gmv_daily.csv");
    dir
}

/// Whole cents as the reports show them: `1,234,567.89`.
pub fn grouped_cents(cents: impl Into<i128>) -> String {
    let cents: i128 = cents.into();
    let int = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", cents % 100)
}

pub const GMV_HEADER: &str =
    "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n";

/// Reads a CSV into header-keyed rows.
pub fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    let headers = r.headers().expect("headers").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Amount by (partner_id, program, period) from a payouts.csv-shaped file.
pub fn amounts(path: &Path) -> BTreeMap<(String, String, String), String> {
    read_csv(path)
        .into_iter()
        .map(|r| {
            (
                (
                    r["partner_id"].clone(),
                    r["program"].clone(),
                    r["period"].clone(),
                ),
                r["amount"].clone(),
            )
        })
        .collect()
}

/// Every file below `dir`, relative path → bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .expect("below base")
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// One CSV line per calendar day of `from..=to` (YYYY-MM-DD), made by `row` from the date.
pub fn every_day(from: &str, to: &str, row: impl Fn(&str) -> String) -> String {
    let (from, to): (chrono::NaiveDate, chrono::NaiveDate) =
        (from.parse().expect("date"), to.parse().expect("date"));
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| row(&d.to_string()) + "\n")
        .collect()
}
