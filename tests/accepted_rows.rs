//! Partners come from accepted rows only (README: "Partners on an accepted row"), and
//! every physical line counts, whatever its ending (README: "Bare carriage returns").

mod common;
use common::*;
use std::fs;

const MM_HEADER: &str = "date,partner_id,seller_id,creator_id,gmv\n";

/// Runs calc --skip-invalid --out on both ingest paths; returns (payouts rows, statements
/// present, rejects rows) of each.
type Rows = Vec<std::collections::BTreeMap<String, String>>;

fn run(dir: &std::path::Path) -> Vec<(Rows, Vec<String>, Rows)> {
    ["1", "4"]
        .iter()
        .map(|threads| {
            let out = tempfile::tempdir().unwrap();
            let target = out.path().join("run");
            bin()
                .env("TSP_PAYOUT_THREADS", threads)
                .arg("calc")
                .arg(dir)
                .arg("--skip-invalid")
                // Small exports with rejected rows: neither coverage nor the reject share
                // is what these tests check.
                .args(["--allow-gaps", "--max-rejects", "100%"])
                .arg("--out")
                .arg(&target)
                .assert()
                .success();
            let mut statements: Vec<String> = fs::read_dir(target.join("statements"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            statements.sort();
            (
                read_csv(&target.join("payouts.csv")),
                statements,
                read_csv(&target.join("rejects.csv")),
            )
        })
        .collect()
}

#[test]
fn a_partner_whose_only_rows_were_rejected_is_not_a_partner_of_the_run() {
    let mut gmv = String::from(GMV_HEADER);
    for day in 1..=28 {
        gmv.push_str(&format!("2025-10-{day:02},P1,S1,100.00,0,0,0\n"));
    }
    // P2's only gmv_daily rows share a key; P3's only matchmaking rows do.
    gmv.push_str("2025-10-05,P2,S2,500.00,0,0,0\n2025-10-05,P2,S2,700.00,0,0,0\n");
    let matchmaking = format!(
        "{MM_HEADER}2025-11-20,P1,S1,C1,50.00\n2025-11-20,P3,S3,C3,20000.00\n2025-11-20,P3,S3,C3,20000.00\n"
    );
    let dir = data_dir(&[("gmv_daily.csv", &gmv), ("matchmaking.csv", &matchmaking)]);
    let runs = run(dir.path());
    for (payouts, statements, rejects) in &runs {
        assert_eq!(rejects.len(), 4);
        let partners: std::collections::BTreeSet<&str> =
            payouts.iter().map(|r| r["partner_id"].as_str()).collect();
        assert_eq!(partners, ["P1"].into_iter().collect());
        assert_eq!(statements, &["P1.json"]);
    }
    assert_eq!(runs[0].0, runs[1].0, "both ingest paths agree");
}

#[test]
fn a_partner_with_one_accepted_row_stays_a_partner() {
    let gmv = format!(
        "{GMV_HEADER}2025-10-05,P2,S2,500.00,0,0,0\n2025-10-05,P2,S2,700.00,0,0,0\n2025-10-06,P2,S3,1.00,0,0,0\n"
    );
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    for (payouts, statements, _) in run(dir.path()) {
        assert!(payouts.iter().all(|r| r["partner_id"] == "P2"));
        assert!(!payouts.is_empty());
        assert_eq!(statements, ["P2.json"]);
    }
}

#[test]
fn a_bare_carriage_return_ends_a_line_and_rejected_rows_never_share_one() {
    // Header and rows end in a bare CR (old Mac), one line is empty, one row ends in CRLF.
    let gmv = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\r\
               2025-10-01,P1,S1,x,0,0,0\r\
               2025-10-02,P1,S1,y,0,0,0\r\
               \r\
               2025-10-03,P1,S1,1.00,0,0,0\r\n\
               2025-10-04,P1,S1,z,0,0,0\r\
               2025-10-05,P1,S1,2.00,0,0,0\r\
               2025-10-05,P1,S1,3.00,0,0,0\r";
    let partners = "partner_id,partner_name\rP1,One\rP1,Uno\r";
    let dir = data_dir(&[("gmv_daily.csv", gmv), ("partners.csv", partners)]);
    for (_, _, rejects) in run(dir.path()) {
        let lines: Vec<(String, String)> = rejects
            .iter()
            .map(|r| (r["file"].clone(), r["line"].clone()))
            .collect();
        let expected: Vec<(String, String)> = [
            ("gmv_daily.csv", "2"),
            ("gmv_daily.csv", "3"),
            ("gmv_daily.csv", "6"),
            ("gmv_daily.csv", "7"),
            ("gmv_daily.csv", "8"),
            ("partners.csv", "2"),
            ("partners.csv", "3"),
        ]
        .iter()
        .map(|(f, l)| (f.to_string(), l.to_string()))
        .collect();
        let mut sorted = lines.clone();
        sorted.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(sorted, want);
        let z = rejects.iter().find(|r| r["line"] == "6").unwrap();
        assert_eq!(z["row"], "2025-10-04,P1,S1,z,0,0,0");
        let dup = rejects
            .iter()
            .find(|r| r["file"] == "gmv_daily.csv" && r["line"] == "7")
            .unwrap();
        assert!(dup["reason"].contains("also on line 8"), "{dup:?}");
    }
}

#[test]
fn validate_names_the_physical_line_after_bare_carriage_returns() {
    let gmv = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\r\r\r\
               2025-10-01,P1,S1,x,0,0,0\r";
    let dir = data_dir(&[("gmv_daily.csv", gmv)]);
    bin()
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(65)
        .stdout(predicates::str::contains("gmv_daily.csv:4: column gmv"));
}
