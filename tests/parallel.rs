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
