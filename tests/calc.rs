//! `calc` on the bundled sample and on small hand-made exports.

mod common;
use common::*;
use predicates::prelude::*;
use std::fs;

#[test]
fn sample_payouts_match_the_reference_computation() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .args(["calc"])
        .arg(fixture())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let got = amounts(&out.path().join("payouts.csv"));
    let expected = amounts(&fixture().with_file_name("q4-sample.expected.csv"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    let skipped: Vec<String> = manifest["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .chain(manifest["not_evaluated"].as_array().unwrap())
        .map(|s| s["program"].as_str().unwrap().to_string())
        .collect();
    // Every computed line agrees with the reference, and every reference line of a program
    // that ran is present.
    for (key, amount) in &got {
        assert_eq!(Some(amount), expected.get(key), "line {key:?}");
    }
    let mut compared = 0;
    for (key, amount) in &expected {
        if skipped.contains(&key.1) {
            continue;
        }
        assert_eq!(got.get(key), Some(amount), "missing line {key:?}");
        compared += 1;
    }
    assert!(compared >= 24, "compared only {compared} lines");
}

#[test]
fn out_dir_holds_payouts_statements_and_manifest() {
    let out = tempfile::tempdir().unwrap();
    bin()
        .arg("calc")
        .arg(fixture())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let rows = read_csv(&out.path().join("payouts.csv"));
    let text = fs::read_to_string(out.path().join("payouts.csv")).unwrap();
    // A UTF-8 byte-order mark opens every CSV output, so that a spreadsheet reads it as UTF-8.
    assert_eq!(
        text.lines().next().unwrap(),
        "\u{feff}partner_id,partner_name,program,period,kind,amount,provisional,basis"
    );
    for r in &rows {
        let amount = &r["amount"];
        let (_, cents) = amount.split_once('.').expect("two decimals");
        assert_eq!(cents.len(), 2, "{amount}");
        assert!(!r["basis"].is_empty());
        assert_eq!(r["provisional"], "false");
        assert!(["cash", "ad_credit"].contains(&r["kind"].as_str()));
    }
    let p01 = rows
        .iter()
        .find(|r| r["partner_id"] == "P01" && r["program"] == "gmv_growth")
        .unwrap();
    assert_eq!(p01["partner_name"], "Brightline Commerce");
    assert_eq!(p01["amount"], "20000.00");
    assert_eq!(p01["kind"], "cash");
    assert_eq!(p01["period"], "q4");

    let statement: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("statements/P01.json")).unwrap()).unwrap();
    assert_eq!(statement["partner_id"], "P01");
    assert_eq!(statement["by_program"]["gmv_growth"], "20000.00");
    assert!(statement["lines"][0]["steps"].as_array().unwrap().len() > 3);

    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["as_of"], "2025-12-31");
    assert_eq!(manifest["book"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        manifest["inputs"]["gmv_daily.csv"].as_str().unwrap().len(),
        64
    );
    for file in manifest["reconciliation"].as_array().unwrap() {
        assert_eq!(file["balanced"], true, "{file}");
    }
    let gmv = manifest["reconciliation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "gmv_daily.csv")
        .unwrap();
    assert_eq!(gmv["rows"]["read"], 9304);
    assert_eq!(gmv["gmv"]["read"], "184985855.11");
}

#[test]
fn same_inputs_give_byte_identical_outputs() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        bin()
            .arg("calc")
            .arg(fixture())
            .arg("--out")
            .arg(dir.path())
            .assert()
            .success();
    }
    let (sa, sb) = (snapshot(a.path()), snapshot(b.path()));
    assert_eq!(sa.keys().collect::<Vec<_>>(), sb.keys().collect::<Vec<_>>());
    assert!(sa == sb, "outputs differ");
}

#[test]
fn formats_print_the_same_amounts() {
    let csv = bin()
        .arg("calc")
        .arg(fixture())
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(csv.status.success());
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.starts_with(
        "\u{feff}partner_id,partner_name,program,period,kind,amount,provisional,basis\n"
    ));
    assert!(csv.contains("P01,Brightline Commerce,gmv_growth,q4,cash,20000.00,false,"));

    let json = bin()
        .arg("calc")
        .arg(fixture())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let p01 = doc["partners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["partner_id"] == "P01")
        .unwrap();
    assert_eq!(p01["by_program"]["gmv_growth"], "20000.00");

    bin()
        .arg("calc")
        .arg(fixture())
        .assert()
        .success()
        .stdout(predicate::str::contains("| P01"))
        .stdout(predicate::str::contains("20,000.00"))
        .stderr(predicate::str::contains("reconciliation"));
}

#[test]
fn as_of_cuts_windows_and_marks_lines_provisional() {
    // One seller: Q3 zero, 13,000.00 a day in October. Cut at 10 Oct: 10 days averaging
    // 13,000 → increment 13,000 → $10,000, provisional.
    let mut gmv = String::from(GMV_HEADER);
    gmv.push_str(&every_day("2025-07-01", "2025-09-30", |d| {
        format!("{d},P1,S1,0.00,0,0,0")
    }));
    for day in 1..=31 {
        gmv.push_str(&format!("2025-10-{day:02},P1,S1,13000.00,0,0,0\n"));
    }
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    let out = bin()
        .arg("calc")
        .arg(dir.path())
        .args(["--as-of", "2025-10-10", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("P1,,gmv_growth,q4,cash,10000.00,true,"),
        "{text}"
    );
    assert!(text.contains("130,000.00 over 10 days"), "{text}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("rows 123 = 102 + 21 + 0 + 0"), "{err}");
}

#[test]
fn as_of_outside_the_program_is_a_usage_error() {
    for d in ["2025-09-30", "2026-01-01"] {
        bin()
            .arg("calc")
            .arg(fixture())
            .args(["--as-of", d])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "outside the book's program period",
            ));
    }
    bin()
        .arg("calc")
        .arg(fixture())
        .args(["--as-of", "2025-13-01"])
        .assert()
        .code(2);
}

#[test]
fn missing_optional_file_skips_its_program() {
    let dir = data_dir(&[(
        "gmv_daily.csv",
        &format!("{GMV_HEADER}2025-10-01,P1,S1,1.00,0,0,0\n"),
    )]);
    let out = tempfile::tempdir().unwrap();
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "skipped: tier_upgrade (no partner_tiers.csv)",
        ));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["program"] == "tier_upgrade" && s["reason"] == "no partner_tiers.csv"));
    let payouts = fs::read_to_string(out.path().join("payouts.csv")).unwrap();
    assert!(!payouts.contains("tier_upgrade"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // Far more output than a pipe buffers, so the writer meets the closed pipe.
    let mut gmv = String::from(GMV_HEADER);
    for p in 0..3000 {
        gmv.push_str(&format!("2025-10-01,P{p:04},S1,1.00,0,0,0\n"));
    }
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("tsp-payout"))
        .arg("calc")
        .arg(dir.path())
        .args(["--format", "csv", "--allow-gaps"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    assert!(child.wait().unwrap().success());
}

#[test]
fn book_prints_and_other_books_are_checked() {
    bin()
        .arg("book")
        .assert()
        .success()
        .stdout(predicate::str::contains("[gmv_growth]"))
        .stdout(predicate::str::contains("max_sellers = 70"));
    let embedded = String::from_utf8(bin().arg("book").output().unwrap().stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(
        &bad,
        embedded.replace("hold_days = 30", "hold_days = 30\nhold_dayz = 1"),
    )
    .unwrap();
    bin()
        .arg("calc")
        .arg(fixture())
        .arg("--book")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hold_dayz"));
    // A book with a lower first tier pays P05 (increment 2,999.99) the first tier.
    let cheaper = dir.path().join("cheaper.toml");
    fs::write(
        &cheaper,
        embedded.replace(
            "{ min = 3000, amount = 5000 }",
            "{ min = 2999.99, amount = 5000 }",
        ),
    )
    .unwrap();
    let out = bin()
        .arg("calc")
        .arg(fixture())
        .arg("--book")
        .arg(&cheaper)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("P05,Cobalt Creek Media,gmv_growth,q4,cash,5000.00,false,"),
        "{text}"
    );
    bin()
        .arg("calc")
        .arg(fixture())
        .args(["--book", "/nonexistent/book.toml"])
        .assert()
        .code(66);
}
