//! Ingest parses on a second thread by default; the single-threaded path
//! (`TSP_PAYOUT_THREADS=1`) must give byte-identical outputs, bad rows and duplicates included.

mod common;
use common::*;

#[test]
fn threaded_and_single_threaded_outputs_are_identical() {
    // Enough rows for many batches, with bad cells and duplicate keys spread through them.
    let mut gmv = String::from(GMV_HEADER);
    let start = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    for i in 0..40_000u32 {
        let date = start + chrono::Duration::days(i64::from(i % 184));
        let (partner, seller) = (i % 37, i / 184);
        let cents = (i * 7919) % 5_000_000;
        if i % 5_000 == 17 {
            gmv.push_str(&format!("{date},P{partner:02},S{seller:04},12.3.4,0,0,0\n"));
        } else {
            gmv.push_str(&format!(
                "{date},P{partner:02},S{seller:04},{}.{:02},{}.00,0,{}.00\n",
                cents / 100,
                cents % 100,
                cents / 300,
                cents / 500
            ));
        }
        if i % 7_000 == 3 {
            gmv.push_str(&format!("{date},P{partner:02},S{seller:04},1.00,0,0,0\n"));
        }
    }
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    let runs: Vec<_> = ["1", "2"]
        .iter()
        .map(|threads| {
            let out = tempfile::tempdir().unwrap();
            bin()
                .env("TSP_PAYOUT_THREADS", threads)
                .arg("calc")
                .arg(dir.path())
                .arg("--skip-invalid")
                .arg("--out")
                .arg(out.path())
                .assert()
                .success();
            let files = snapshot(out.path());
            (out, files)
        })
        .collect();
    let (single, threaded) = (&runs[0].1, &runs[1].1);
    let rejects = String::from_utf8(single["rejects.csv"].clone()).unwrap();
    assert_eq!(rejects.lines().count(), 1 + 8 + 12, "{rejects}");
    assert!(
        single == threaded,
        "outputs differ between single- and two-threaded ingest"
    );
}

/// Figure trees and detail tables are only built when an output shows them; leaving them
/// out changes no amount and no basis.
#[test]
fn lines_without_figures_have_the_same_amounts_and_bases() {
    use tsp_payout::{book::Book, engine, input, window::Periods};
    let book = Book::embedded();
    let periods = Periods::new(&book.rules.windows, book.rules.windows.program.end);
    let opts = input::Options {
        as_of: periods.as_of,
        mode: input::Mode::Strict,
        progress: false,
        adjust: None,
        threads: 2,
        hashes: true,
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/q4-sample");
    let data = input::load(&dir, &periods, &opts).unwrap();
    let full = engine::run(&book.rules, &periods, &data, true);
    let bare = engine::run(&book.rules, &periods, &data, false);
    assert_eq!(full.lines.len(), 156);
    assert!(full.lines.iter().all(|l| !l.steps.is_empty()));
    assert!(bare
        .lines
        .iter()
        .all(|l| l.steps.is_empty() && l.detail.is_none()));
    let strip = |l: &engine::Line| engine::Line {
        steps: Vec::new(),
        detail: None,
        ..l.clone()
    };
    let full: Vec<_> = full.lines.iter().map(strip).collect();
    assert_eq!(full, bare.lines);
}
