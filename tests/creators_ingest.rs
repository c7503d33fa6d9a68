//! SPEC section 2 for creators.csv and creator_gmv_daily.csv, end to end: a creator claimed
//! by two partners, unknown creators' GMV, and the programs skipped for a missing file.

mod common;
use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;
use tempfile::TempDir;

const GMV: &str = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv
2025-10-01,P1,S1,100.00,0.00,0.00,0.00
2025-10-01,P2,S1,100.00,0.00,0.00,0.00
";

/// C1 is claimed by P1 (line 2) and P2 (line 4); C2 belongs to P1.
const CREATORS: &str = "creator_id,partner_id,target_list
C1,P1,true
C2,P1,true
C1,P2,true
";

/// C1 would earn 10,000 and C2 2,500; C9 is in no creators.csv row.
const CREATOR_GMV: &str = "date,creator_id,gmv
2025-10-05,C1,200000.00
2025-10-05,C2,20000.00
2025-11-05,C9,3000.00
2025-12-05,C9,2000.00
";

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("read JSON")).expect("parse JSON")
}

/// `amount` and `basis` of a payouts.csv row.
fn payout(out: &Path, partner: &str, program: &str) -> (String, String) {
    let row = read_csv(&out.join("payouts.csv"))
        .into_iter()
        .find(|r| r["partner_id"] == partner && r["program"] == program)
        .unwrap_or_else(|| panic!("no {program} line for {partner}"));
    (row["amount"].clone(), row["basis"].clone())
}

fn creator_file(manifest: &Value) -> &Value {
    manifest["reconciliation"]
        .as_array()
        .expect("reconciliation")
        .iter()
        .find(|f| f["file"] == "creator_gmv_daily.csv")
        .expect("creator_gmv_daily.csv reconciled")
}

#[test]
fn creator_claimed_by_two_partners_stops_a_strict_run() {
    let data = data_dir(&[
        ("gmv_daily.csv", GMV),
        ("creators.csv", CREATORS),
        ("creator_gmv_daily.csv", CREATOR_GMV),
    ]);
    let out = TempDir::new().expect("temp dir");
    let run = bin()
        .arg("calc")
        .arg(data.path())
        // A few rows on a few days: coverage is another rule (README).
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path().join("run"))
        .assert()
        .code(65);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    for line in ["creators.csv:2:", "creators.csv:4:"] {
        assert!(stderr.contains(line), "{line} missing from:\n{stderr}");
    }
    assert!(
        stderr.contains("creator C1 is claimed by more than one partner: P1 (line 2), P2 (line 4)"),
        "{stderr}"
    );
    assert!(
        !out.path().join("run").exists(),
        "a strict run with bad data writes nothing"
    );

    // validate reports the same problem.
    let v = bin().arg("validate").arg(data.path()).assert().code(65);
    let stdout = String::from_utf8_lossy(&v.get_output().stdout).to_string();
    assert!(stdout.contains("P1 (line 2), P2 (line 4)"), "{stdout}");
}

#[test]
fn skip_invalid_rejects_both_claims_and_pays_nothing_on_that_creator() {
    let data = data_dir(&[
        ("gmv_daily.csv", GMV),
        ("creators.csv", CREATORS),
        ("creator_gmv_daily.csv", CREATOR_GMV),
    ]);
    let out = TempDir::new().expect("temp dir");
    bin()
        .arg("calc")
        .arg(data.path())
        // A few rows on a few days: coverage is another rule (README).
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .arg("--force")
        .args(["--skip-invalid", "--max-rejects", "100%"])
        .assert()
        .success();

    let rejects: Vec<(String, String, String)> = read_csv(&out.path().join("rejects.csv"))
        .into_iter()
        .map(|r| (r["file"].clone(), r["line"].clone(), r["row"].clone()))
        .collect();
    assert_eq!(
        rejects,
        vec![
            ("creators.csv".into(), "2".into(), "C1,P1,true".into()),
            ("creators.csv".into(), "4".into(), "C1,P2,true".into()),
        ]
    );

    // C1's 200,000.00 pays neither partner; C2 still pays P1.
    let (amount, basis) = payout(out.path(), "P1", "creator_incubation");
    assert_eq!(amount, "2500.00");
    assert_eq!(basis, "1 target creator: C2 Q4 GMV 20,000.00 → 2,500.00");
    let (amount, basis) = payout(out.path(), "P2", "creator_incubation");
    assert_eq!(amount, "0.00");
    assert_eq!(basis, "no creators in creators.csv");

    let statement = json(&out.path().join("statements/P1.json"));
    let line = statement["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["program"] == "creator_incubation")
        .expect("creator line");
    let creators: Vec<&str> = line["detail"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r[0].as_str().expect("id"))
        .collect();
    assert_eq!(creators, vec!["C2"]);

    // Its GMV rows are accounted for, with nothing silently dropped.
    let manifest = json(&out.path().join("manifest.json"));
    let file = creator_file(&manifest);
    assert_eq!(file["balanced"], true);
    assert_eq!(file["rows"]["unmatched"], 3);
    assert_eq!(file["gmv"]["unmatched"], "205000.00");
    assert_eq!(manifest["rejected_rows"], 2);
}

#[test]
fn unknown_creators_gmv_is_unmatched_in_the_reconciliation() {
    let creators = "creator_id,partner_id,target_list\nC1,P1,true\nC2,P2,FALSE\n";
    let data = data_dir(&[
        ("gmv_daily.csv", GMV),
        ("creators.csv", creators),
        ("creator_gmv_daily.csv", CREATOR_GMV),
    ]);
    let out = TempDir::new().expect("temp dir");
    let run = bin()
        .arg("calc")
        .arg(data.path())
        // A few rows on a few days: coverage is another rule (README).
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .arg("--force")
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(
        stderr.contains("creator_gmv_daily.csv  rows 4 = 2 + 0 + 2 + 0; gmv 225,000.00 = 220,000.00 + 0.00 + 5,000.00 + 0.00"),
        "{stderr}"
    );
    let manifest = json(&out.path().join("manifest.json"));
    let file = creator_file(&manifest);
    assert_eq!(file["balanced"], true);
    assert_eq!(file["rows"]["unmatched"], 2);
    assert_eq!(file["gmv"]["unmatched"], "5000.00");
    assert_eq!(
        manifest["unmatched_creators"],
        serde_json::json!([{"creator_id": "C9", "rows": 2, "gmv": "5000.00"}])
    );
    assert_eq!(payout(out.path(), "P1", "creator_incubation").0, "10000.00");
    // C2 is not on the target list.
    let (amount, basis) = payout(out.path(), "P2", "creator_incubation");
    assert_eq!(amount, "0.00");
    assert_eq!(
        basis,
        "no target-list creators (1 creator not on the target list)"
    );
}

#[test]
fn missing_creator_or_matchmaking_file_skips_the_program() {
    let data = data_dir(&[("gmv_daily.csv", GMV), ("creators.csv", CREATORS)]);
    let out = TempDir::new().expect("temp dir");
    bin()
        .arg("calc")
        .arg(data.path())
        // A few rows on a few days: coverage is another rule (README).
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .arg("--force")
        .args(["--skip-invalid", "--max-rejects", "100%"])
        .assert()
        .success();
    let manifest = json(&out.path().join("manifest.json"));
    let skipped = manifest["skipped"].as_array().expect("skipped");
    for (program, reason) in [
        ("creator_incubation", "no creator_gmv_daily.csv"),
        ("bfcm_matchmaking", "no matchmaking.csv"),
    ] {
        assert!(
            skipped
                .iter()
                .any(|s| s["program"] == program && s["reason"] == reason),
            "{program} not skipped: {skipped:?}"
        );
    }
    let payouts = fs::read_to_string(out.path().join("payouts.csv")).expect("payouts.csv");
    assert!(!payouts.contains("creator_incubation"), "{payouts}");
    assert!(!payouts.contains("bfcm_matchmaking"), "{payouts}");
    // The programs reading gmv_daily only still give every partner a line.
    assert_eq!(payouts.matches("bfcm_seller_challenge").count(), 2);
    assert_eq!(payouts.matches("bfcm_live_championship").count(), 2);
}

#[test]
fn bfcm_programs_are_not_evaluated_before_bfcm_starts() {
    let matchmaking = "date,partner_id,seller_id,creator_id,gmv\n2025-11-12,P1,S1,C1,20000.00\n";
    let data = data_dir(&[("gmv_daily.csv", GMV), ("matchmaking.csv", matchmaking)]);
    let out = TempDir::new().expect("temp dir");
    bin()
        .arg("calc")
        .arg(data.path())
        // A few rows on a few days: coverage is another rule (README).
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .arg("--force")
        .arg("--as-of")
        .arg("2025-11-11")
        .assert()
        .success();
    let manifest = json(&out.path().join("manifest.json"));
    let not_evaluated: Vec<&str> = manifest["not_evaluated"]
        .as_array()
        .expect("not_evaluated")
        .iter()
        .map(|s| s["program"].as_str().expect("program"))
        .collect();
    assert_eq!(
        not_evaluated,
        vec![
            "short_video_consistency",
            "bfcm_matchmaking",
            "bfcm_seller_challenge",
            "bfcm_live_championship"
        ]
    );
    let payouts = fs::read_to_string(out.path().join("payouts.csv")).expect("payouts.csv");
    assert!(!payouts.contains("bfcm_"), "{payouts}");

    // On the first BFCM day the lines exist and are provisional; the floor is not prorated.
    let out = TempDir::new().expect("temp dir");
    bin()
        .arg("calc")
        .arg(data.path())
        // A few rows on a few days: coverage is another rule (README).
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .arg("--force")
        .arg("--as-of")
        .arg("2025-11-12")
        .assert()
        .success();
    let rec = read_csv(&out.path().join("payouts.csv"))
        .into_iter()
        .find(|r| r["partner_id"] == "P1" && r["program"] == "bfcm_matchmaking")
        .expect("matchmaking line");
    assert_eq!(
        (
            rec["period"].as_str(),
            rec["amount"].as_str(),
            rec["provisional"].as_str()
        ),
        ("bfcm", "25000.00", "true")
    );
}
