//! The data contract's bad-input rules: strict stops with 65 and writes nothing,
//! --skip-invalid rejects rows verbatim and goes on, and nothing is silently dropped.

mod common;
use common::*;
use predicates::prelude::*;
use std::fs;

fn gmv(rows: &[&str]) -> String {
    let mut s = String::from(GMV_HEADER);
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

#[test]
fn strict_mode_stops_with_65_names_the_cell_and_writes_nothing() {
    let dir = data_dir(&[(
        "gmv_daily.csv",
        &gmv(&[
            "2025-10-01,P1,S1,100.00,0,0,0",
            "2025-10-02,P1,S1,\"12,3x\",0,0,0",
        ]),
    )]);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("run");
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--out")
        .arg(&target)
        .assert()
        .code(65)
        .stderr(predicate::str::contains(
            "gmv_daily.csv:3: column gmv: \"12,3x\" is not an amount",
        ));
    assert!(!target.exists(), "no output on bad data");
}

#[test]
fn validate_reports_every_problem_of_every_file() {
    let dir = data_dir(&[
        (
            "gmv_daily.csv",
            &gmv(&[
                "2025-10-01,P1,S1,-5,0,0,0",
                "2025-10-02,P1,,5.00,0,0,0",
                "2025-10-03,P1,S1,5.00,6.00,0,0",
                "2025-13-03,P1,S1,5.00,0,0,0",
                "2025-10-04,P1,S1,5.00,0,0,0",
                "2025-10-04,P1,S1,7.00,0,0,0",
            ]),
        ),
        (
            "partner_tiers.csv",
            "partner_id,effective_date,tier\nP1,2025-01-01,6\n",
        ),
        (
            "creators.csv",
            "creator_id,partner_id,target_list\nC1,P1,yes\n",
        ),
    ]);
    // Days without rows are another rule (README: "Coverage of the windows").
    let out = bin()
        .arg("validate")
        .arg(dir.path())
        .arg("--allow-gaps")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "gmv_daily.csv:2: column gmv: \"-5\" is not an amount",
        "gmv_daily.csv:3: column seller_id: \"\" is empty",
        "gmv_daily.csv:4: column short_video_gmv: \"6.00\" exceeds gmv 5.00",
        "gmv_daily.csv:5: column date: \"2025-13-03\" is not a date",
        "gmv_daily.csv:6: duplicate key (date 2025-10-04, partner_id P1, seller_id S1), also on line 7",
        "gmv_daily.csv:7: duplicate key (date 2025-10-04, partner_id P1, seller_id S1), also on line 6",
        "partner_tiers.csv:2: column tier: \"6\" is not an integer from 1 to 5",
        "creators.csv:2: column target_list: \"yes\" is not true or false",
        "8 problem(s)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let clean = bin().arg("validate").arg(fixture()).output().unwrap();
    assert!(clean.status.success());
    assert!(String::from_utf8(clean.stdout)
        .unwrap()
        .contains("no problems"));
}

#[test]
fn skip_invalid_rejects_rows_verbatim_and_reconciles() {
    let dir = data_dir(&[(
        "gmv_daily.csv",
        &gmv(&[
            "2025-07-01,P1,S1,100.00,0,0,0",
            "2025-10-01,P1,S1,\"  $1,000.50 \",0,0,0",
            "2025-10-02,P1,S1,oops,0,0,0",
            "2025-10-03,P1,S1,10.00,0,0,0",
            "2025-10-03,P1,S1,20.00,0,0,0",
            "2025-10-03,P1,S1,40.00,0,0,0",
            "2024-12-31,P1,S1,1.00,0,0,0",
        ]),
    )]);
    let out = tempfile::tempdir().unwrap();
    let res = bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--skip-invalid")
        .args(["--allow-gaps", "--max-rejects", "100%"])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let stderr = String::from_utf8(res.stderr).unwrap();
    // 7 rows: 2 used, 1 outside, 4 rejected (one bad amount, three sharing a key).
    assert!(stderr.contains("rows 7 = 2 + 1 + 0 + 4"), "{stderr}");
    assert!(
        stderr.contains("gmv 1,171.50 = 1,100.50 + 1.00 + 0.00 + 70.00"),
        "{stderr}"
    );
    let rejects = read_csv(&out.path().join("rejects.csv"));
    let lines: Vec<&str> = rejects.iter().map(|r| r["line"].as_str()).collect();
    assert_eq!(lines, ["4", "5", "6", "7"]);
    assert_eq!(rejects[0]["row"], "2025-10-02,P1,S1,oops,0,0,0");
    assert!(rejects[0]["reason"].contains("column gmv: \"oops\" is not an amount"));
    assert_eq!(rejects[1]["row"], "2025-10-03,P1,S1,10.00,0,0,0");
    assert!(
        rejects[1]["reason"].contains("duplicate key"),
        "{:?}",
        rejects[1]
    );
    assert_eq!(rejects[2]["row"], "2025-10-03,P1,S1,20.00,0,0,0");
    // Only the unambiguous Q4 row (1,000.50 on 1 Oct) is paid on.
    let statement: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("statements/P1.json")).unwrap()).unwrap();
    let basis = statement["lines"][0]["basis"].as_str().unwrap();
    assert!(basis.contains("(1,000.50 over 92 days)"), "{basis}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["mode"], "skip_invalid");
    assert_eq!(manifest["rejected_rows"], 4);
    assert_eq!(manifest["reconciliation"][5]["balanced"], true);
}

#[test]
fn lenient_layout_is_accepted() {
    // BOM, CRLF, columns in another order, extra columns, padded cells, blank lines.
    let text =
        "\u{feff}partner_id , extra,date,seller_id,affiliate_gmv,live_gmv,short_video_gmv,gmv\r\n\
                P1,x,2025-10-01,S1,0,0,0,\"$1,234.50\"\r\n\
                \r\n\
                \tP1\t,y, 2025-10-02 ,S1,0,0,0,  0.5 \r\n";
    let dir = data_dir(&[("gmv_daily.csv", text)]);
    let out = bin()
        .arg("calc")
        .arg(dir.path())
        .args(["--format", "csv", "--allow-gaps"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("rows 2 = 2 + 0 + 0 + 0; gmv 1,235.00"),
        "{err}"
    );
}

#[test]
fn header_problems_are_bad_data_even_when_skipping() {
    let dup = "date,partner_id,seller_id,gmv,gmv,short_video_gmv,live_gmv,affiliate_gmv\n";
    let missing = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv\n";
    for (header, message) in [
        (
            dup,
            "gmv_daily.csv:1: column gmv: required column appears 2 times",
        ),
        (
            missing,
            "gmv_daily.csv:1: column affiliate_gmv: required column is missing",
        ),
        ("", "gmv_daily.csv:1: file is empty"),
    ] {
        let dir = data_dir(&[("gmv_daily.csv", header)]);
        bin()
            .arg("calc")
            .arg(dir.path())
            .arg("--skip-invalid")
            .assert()
            .code(65)
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn missing_inputs_exit_66() {
    bin()
        .args(["calc", "/nonexistent/data"])
        .assert()
        .code(66)
        .stderr(predicate::str::contains("does not exist"));
    let dir = data_dir(&[("partners.csv", "partner_id,partner_name\nP1,A\n")]);
    bin()
        .arg("calc")
        .arg(dir.path())
        .assert()
        .code(66)
        .stderr(predicate::str::contains(
            "gmv_daily.csv: required file is missing",
        ));
}

#[test]
fn output_problems_exit_74_and_an_existing_run_needs_force() {
    let dir = data_dir(&[("gmv_daily.csv", &gmv(&["2025-10-01,P1,S1,1.00,0,0,0"]))]);
    // A file where the output directory should be.
    let blocker = tempfile::NamedTempFile::new().unwrap();
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--allow-gaps")
        .arg("--out")
        .arg(blocker.path())
        .assert()
        .code(74);

    let out = tempfile::tempdir().unwrap();
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(74)
        .stderr(predicate::str::contains("--force"));
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .arg("--force")
        .assert()
        .success();
    // No temporary files are left behind.
    let leftovers: Vec<String> = snapshot(out.path())
        .into_keys()
        .filter(|k| k.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn unreadable_output_directory_exits_74_without_partial_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = data_dir(&[("gmv_daily.csv", &gmv(&["2025-10-01,P1,S1,1.00,0,0,0"]))]);
    let out = tempfile::tempdir().unwrap();
    fs::set_permissions(out.path(), fs::Permissions::from_mode(0o500)).unwrap();
    if fs::write(out.path().join("probe"), "").is_ok() {
        // Running as root, which ignores permissions; the blocker-file case covers 74.
        return;
    }
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(74);
    assert!(snapshot(out.path()).is_empty());
}

#[test]
fn lines_are_physical_with_crlf_blank_lines_and_quoted_newlines() {
    // CRLF endings, a blank line, and a quoted cell spanning two lines: every reported line
    // is where the record starts in the file, and rejects quote the record alone.
    let text = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\r\n\
                2025-10-01,P1,S1,1.00,0,0,0\r\n\
                2025-10-02,P1,S1,x2,0,0,0\r\n\
                \r\n\
                2025-10-03,\"P1\r\nB\",S1,x3,0,0,0\r\n\
                2025-10-04,P1,S1,x4,0,0,0\r\n\
                2025-10-05,P1,S1,9.00,0,0,0\r\n\
                2025-10-05,P1,S1,9.00,0,0,0\r\n\
                2025-10-05,P1,S1,9.00,0,0,0\r\n";
    let dir = data_dir(&[("gmv_daily.csv", text)]);
    let out = bin().arg("validate").arg(dir.path()).output().unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "gmv_daily.csv:3: column gmv: \"x2\"",
        "gmv_daily.csv:5: column gmv: \"x3\"",
        "gmv_daily.csv:7: column gmv: \"x4\"",
        "gmv_daily.csv:8: duplicate key (date 2025-10-05, partner_id P1, seller_id S1), also on lines 9, 10",
        "gmv_daily.csv:10: duplicate key (date 2025-10-05, partner_id P1, seller_id S1), also on lines 8, 9",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in\n{report}");
    }
    let outdir = tempfile::tempdir().unwrap();
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--skip-invalid")
        .args(["--allow-gaps", "--max-rejects", "100%"])
        .arg("--out")
        .arg(outdir.path())
        .assert()
        .success();
    let rejects = read_csv(&outdir.path().join("rejects.csv"));
    let got: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r["line"].as_str(), r["row"].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("3", "2025-10-02,P1,S1,x2,0,0,0"),
            ("5", "2025-10-03,\"P1\r\nB\",S1,x3,0,0,0"),
            ("7", "2025-10-04,P1,S1,x4,0,0,0"),
            ("8", "2025-10-05,P1,S1,9.00,0,0,0"),
            ("9", "2025-10-05,P1,S1,9.00,0,0,0"),
            ("10", "2025-10-05,P1,S1,9.00,0,0,0"),
        ]
    );
    // The small files count lines the same way.
    let tiers = "partner_id,effective_date,tier\r\n\r\nP1,2025-01-01,9\r\n";
    let dir = data_dir(&[("gmv_daily.csv", text), ("partner_tiers.csv", tiers)]);
    let out = bin().arg("validate").arg(dir.path()).output().unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("partner_tiers.csv:3: column tier: \"9\""),
        "{report}"
    );
}
