//! Coverage of the windows and the limit on rejected rows (README: "Coverage of the
//! windows", "--allow-gaps", "Gaps in the optional dated files", "--max-rejects",
//! "gmv_daily.csv with no accepted row").

mod common;
use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Output;

/// gmv_daily rows for P1 (one seller) on every day of `from..=to` except `skip`.
fn export(from: &str, to: &str, skip: &[&str]) -> String {
    let mut text = String::from(GMV_HEADER);
    text.push_str(&every_day(from, to, |d| {
        if skip.contains(&d) {
            String::new()
        } else {
            format!("{d},P1,S1,100.00,10.00,5.00,1.00")
        }
    }));
    text.replace("\n\n", "\n")
        .trim_start_matches('\n')
        .to_string()
}

fn full() -> String {
    export("2025-07-01", "2025-12-31", &[])
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin().arg("calc").arg(dir).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn refused(out: &Output, message: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains(message), "missing {message:?} in\n{err}");
}

fn ok(out: &Output) -> String {
    let err = stderr(out);
    assert!(out.status.success(), "{err}");
    err
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// (amount, basis) of a payouts.csv line.
fn line(out: &Path, program: &str, period: &str) -> (String, String) {
    let rows = read_csv(&out.join("payouts.csv"));
    let r = rows
        .iter()
        .find(|r| r["partner_id"] == "P1" && r["program"] == program && r["period"] == period)
        .unwrap_or_else(|| panic!("no {program} {period} line"));
    (r["amount"].clone(), r["basis"].clone())
}

#[test]
fn a_complete_export_runs_clean_and_shows_its_coverage() {
    let dir = data_dir(&[("gmv_daily.csv", &full())]);
    let out = tempfile::tempdir().unwrap();
    let err = ok(&run(dir.path(), &["--out", out.path().to_str().unwrap()]));
    assert!(
        err.contains("dates 2025-07-01..2025-12-31; rows on 184 of the 184 days"),
        "{err}"
    );
    assert!(!err.contains("without rows"), "{err}");
    let manifest = json(&out.path().join("manifest.json"));
    let c = &manifest["reconciliation"][5]["coverage"];
    assert_eq!(c["first"], "2025-07-01");
    assert_eq!(c["last"], "2025-12-31");
    assert_eq!(c["days_with_rows"], 184);
    assert_eq!(
        c["day_ranges"],
        serde_json::json!(["2025-07-01..2025-12-31"])
    );
    assert_eq!(c["gaps"], serde_json::json!([]));
    assert_eq!(manifest["allow_gaps"], false);
    let rows = read_csv(&out.path().join("payouts.csv"));
    assert!(rows.iter().all(|r| !r["basis"].contains("without rows")));
}

#[test]
fn the_sample_runs_clean_without_a_flag() {
    let out = bin().arg("calc").arg(fixture()).output().unwrap();
    let err = ok(&out);
    assert!(!err.contains("warning"), "{err}");
    assert!(!err.contains("no rows for"), "{err}");
    bin().arg("validate").arg(fixture()).assert().success();
}

#[test]
fn an_export_without_q3_is_refused() {
    let dir = data_dir(&[("gmv_daily.csv", &export("2025-10-01", "2025-12-31", &[]))]);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("run");
    refused(
        &run(dir.path(), &["--out", target.to_str().unwrap()]),
        "gmv_daily.csv has no rows for 2025-07-01..2025-09-30 (all 92 days of window q3): the Q3 baseline would be zero",
    );
    assert!(!target.exists(), "nothing written");
    // validate names it too.
    let v = bin().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(v.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&v.stdout).contains("all 92 days of window q3"));
}

#[test]
fn an_export_cut_before_the_as_of_is_refused_with_the_date_to_pass() {
    let dir = data_dir(&[("gmv_daily.csv", &export("2025-07-01", "2025-11-15", &[]))]);
    let out = run(dir.path(), &[]);
    refused(
        &out,
        "gmv_daily.csv ends 2025-11-15, 46 days before --as-of 2025-12-31: pass --as-of 2025-11-15, or complete the export",
    );
    // Said once, not again per window.
    assert!(
        !stderr(&out).contains("has no rows for"),
        "{}",
        stderr(&out)
    );
    // At the date it names, the same export runs, provisionally.
    let out_dir = tempfile::tempdir().unwrap();
    ok(&run(
        dir.path(),
        &[
            "--as-of",
            "2025-11-15",
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    ));
    let rows = read_csv(&out_dir.path().join("payouts.csv"));
    let growth = rows.iter().find(|r| r["program"] == "gmv_growth").unwrap();
    assert_eq!(growth["provisional"], "true");
}

#[test]
fn a_single_missing_day_is_refused_naming_it() {
    let dir = data_dir(&[(
        "gmv_daily.csv",
        &export("2025-07-01", "2025-12-31", &["2025-10-07"]),
    )]);
    refused(
        &run(dir.path(), &[]),
        "gmv_daily.csv has no rows for 2025-10-07 (1 of 92 days of window q4): its sums would count 1 day as no sales",
    );
    let err = stderr(&run(dir.path(), &[]));
    assert!(err.contains("--allow-gaps"), "{err}");
    // Every computing command refuses it.
    let scenario = fixture()
        .parent()
        .unwrap()
        .join("scenarios/bfcm-plus-20.toml");
    let scenario = scenario.to_str().unwrap();
    for args in [
        vec!["statements", "--month", "2025-10"],
        vec!["explain", "--partner", "P1"],
        vec!["whatif", "--scenario", scenario],
    ] {
        let out = bin()
            .args(&args[..1])
            .arg(dir.path())
            .args(&args[1..])
            .output()
            .unwrap();
        refused(&out, "no rows for 2025-10-07");
        let out = bin()
            .args(&args[..1])
            .arg(dir.path())
            .args(&args[1..])
            .arg("--allow-gaps")
            .output()
            .unwrap();
        ok(&out);
    }
}

#[test]
fn allow_gaps_notes_every_line_whose_windows_hold_a_gap_and_the_manifest_lists_them() {
    // 7 Oct (in Q4 and October) and 12 Aug (in Q3) are missing; 20 Nov (in November and
    // BFCM) too.
    let skip = ["2025-08-12", "2025-10-07", "2025-11-20"];
    let tiers = "partner_id,effective_date,tier\nP1,2025-01-01,2\n";
    let dir = data_dir(&[
        ("gmv_daily.csv", &export("2025-07-01", "2025-12-31", &skip)),
        ("partner_tiers.csv", tiers),
    ]);
    let out = tempfile::tempdir().unwrap();
    let err = ok(&run(
        dir.path(),
        &["--allow-gaps", "--out", out.path().to_str().unwrap()],
    ));
    assert!(err.contains("accepted with --allow-gaps"), "{err}");
    for (program, period, note) in [
        (
            "gmv_growth",
            "q4",
            Some("3 days without rows in gmv_daily.csv"),
        ),
        ("short_video_top15", "2025-10", Some("2 days without rows")),
        ("short_video_top15", "2025-11", Some("2 days without rows")),
        ("short_video_top15", "2025-12", Some("1 day without rows")),
        (
            "short_video_consistency",
            "2025-12",
            Some("3 days without rows"),
        ),
        ("affiliate_credits", "2025-10", Some("1 day without rows")),
        ("affiliate_credits", "2025-11", Some("2 days without rows")),
        ("affiliate_credits", "2025-12", Some("2 days without rows")),
        ("bfcm_seller_challenge", "bfcm", Some("2 days without rows")),
        ("bfcm_live_championship", "bfcm", Some("1 day without rows")),
        ("tier_upgrade", "q4", None),
    ] {
        let (_, basis) = line(out.path(), program, period);
        match note {
            Some(n) => assert!(basis.contains(n), "{program} {period}: {basis}"),
            None => assert!(!basis.contains("without rows"), "{program}: {basis}"),
        }
    }
    let manifest = json(&out.path().join("manifest.json"));
    assert_eq!(manifest["allow_gaps"], true);
    let gaps = manifest["reconciliation"][5]["coverage"]["gaps"]
        .as_array()
        .unwrap();
    let listed: Vec<(String, Value)> = gaps
        .iter()
        .map(|g| {
            (
                g["window"].as_str().unwrap().to_string(),
                g["missing"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("q3".to_string(), serde_json::json!(["2025-08-12"])),
            (
                "q4".to_string(),
                serde_json::json!(["2025-10-07", "2025-11-20"])
            ),
            ("oct".to_string(), serde_json::json!(["2025-10-07"])),
            ("nov".to_string(), serde_json::json!(["2025-11-20"])),
            ("bfcm".to_string(), serde_json::json!(["2025-11-20"])),
        ]
    );
    // validate accepts them with the flag, and lists them without it.
    bin()
        .arg("validate")
        .arg(dir.path())
        .arg("--allow-gaps")
        .assert()
        .success();
    let v = bin().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(v.status.code(), Some(65));
    let text = String::from_utf8_lossy(&v.stdout).into_owned();
    assert!(
        text.contains("2025-08-12 (1 of 92 days of window q3)"),
        "{text}"
    );
    assert!(text.contains("2 problem(s)"), "{text}");
}

#[test]
fn allow_gaps_does_not_change_the_amounts_of_a_complete_export() {
    let dir = data_dir(&[("gmv_daily.csv", &full())]);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(&run(dir.path(), &["--out", a.path().to_str().unwrap()]));
    ok(&run(
        dir.path(),
        &["--allow-gaps", "--out", b.path().to_str().unwrap()],
    ));
    assert_eq!(
        fs::read(a.path().join("payouts.csv")).unwrap(),
        fs::read(b.path().join("payouts.csv")).unwrap()
    );
}

#[test]
fn a_gap_in_an_optional_file_is_a_warning() {
    let matches = every_day("2025-11-12", "2025-12-01", |d| {
        if d == "2025-11-20" {
            String::new()
        } else {
            format!("{d},P1,S1,C1,600.00")
        }
    })
    .replace("\n\n", "\n");
    let dir = data_dir(&[
        ("gmv_daily.csv", &full()),
        (
            "matchmaking.csv",
            &format!("date,partner_id,seller_id,creator_id,gmv\n{matches}"),
        ),
    ]);
    let err = ok(&run(dir.path(), &[]));
    assert!(
        err.contains(
            "warning: matchmaking.csv has no rows for 2025-11-20 (1 of 20 days of window bfcm)"
        ),
        "{err}"
    );
}

#[test]
fn a_day_covered_only_by_rejected_rows_is_a_gap() {
    // 7 Oct has only a bad row, 8 Oct only two rows sharing a key: skipping rejects them
    // all, and the days have no accepted row.
    let mut text = export("2025-07-01", "2025-12-31", &["2025-10-07", "2025-10-08"]);
    text.push_str("2025-10-07,P1,S1,oops,0,0,0\n");
    text.push_str("2025-10-08,P1,S1,5.00,0,0,0\n2025-10-08,P1,S1,6.00,0,0,0\n");
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    refused(
        &run(dir.path(), &["--skip-invalid", "--max-rejects", "100%"]),
        "gmv_daily.csv has no rows for 2025-10-07..2025-10-08 (2 of 92 days of window q4)",
    );
    // Split across threads or read on one, the days are the same.
    for threads in ["1", "4"] {
        let out = bin()
            .env("TSP_PAYOUT_THREADS", threads)
            .arg("calc")
            .arg(dir.path())
            .args(["--skip-invalid", "--max-rejects", "3"])
            .output()
            .unwrap();
        refused(&out, "2025-10-07..2025-10-08 (2 of 92 days");
    }
}

#[test]
fn rows_outside_every_window_or_after_the_as_of_cover_no_evaluated_day() {
    // History before Q3 and rows after the as-of do not make up for missing days.
    let mut text = export("2025-07-02", "2025-11-10", &[]);
    text.push_str("2025-06-30,P1,S1,1.00,0,0,0\n");
    text.push_str(&every_day("2025-11-16", "2025-12-31", |d| {
        format!("{d},P1,S1,1.00,0,0,0")
    }));
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    let out = run(dir.path(), &["--as-of", "2025-11-15"]);
    refused(
        &out,
        "gmv_daily.csv has no rows for 2025-07-01 (1 of 92 days of window q3)",
    );
    refused(
        &out,
        "gmv_daily.csv has no rows for 2025-11-11..2025-11-15 (5 of 46 days of window q4 up to --as-of 2025-11-15)",
    );
    // The rows after the as-of are there: the export does not "end" early.
    assert!(!stderr(&out).contains(" ends "), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dates 2025-06-30..2025-12-31"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn windows_starting_after_the_as_of_need_no_rows() {
    // As of 5 October, the evaluated days are Q3 and 1–5 October.
    let dir = data_dir(&[("gmv_daily.csv", &export("2025-07-01", "2025-10-05", &[]))]);
    ok(&run(dir.path(), &["--as-of", "2025-10-05"]));
    refused(
        &run(dir.path(), &["--as-of", "2025-10-06"]),
        "gmv_daily.csv ends 2025-10-05, 1 day before --as-of 2025-10-06",
    );
}

#[test]
fn an_export_ending_before_the_program_names_the_windows() {
    let dir = data_dir(&[("gmv_daily.csv", &export("2025-07-01", "2025-09-30", &[]))]);
    let out = run(dir.path(), &[]);
    refused(
        &out,
        "gmv_daily.csv has no rows for 2025-10-01..2025-12-31 (all 92 days of window q4)",
    );
}

#[test]
fn a_bom_and_crlf_export_is_covered_like_any_other() {
    let text = format!("\u{feff}{}", full().replace('\n', "\r\n"));
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    let err = ok(&run(dir.path(), &[]));
    assert!(err.contains("rows on 184 of the 184 days"), "{err}");
}

#[test]
fn coverage_is_the_same_on_one_thread_and_on_many() {
    let mut text = export("2025-07-01", "2025-12-31", &["2025-09-01", "2025-12-24"]);
    // Enough rows for several parts.
    for s in 2..40 {
        text.push_str(&every_day("2025-07-01", "2025-12-31", |d| {
            format!("{d},P{s},S{s},3.00,0,0,0")
        }));
    }
    let text = text
        .replace("2025-09-01,", "2025-09-02,X")
        .replace("2025-12-24,", "2025-12-23,X");
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    let manifests: Vec<Value> = ["1", "2", "4"]
        .iter()
        .map(|threads| {
            let out = tempfile::tempdir().unwrap();
            let res = bin()
                .env("TSP_PAYOUT_THREADS", threads)
                .arg("calc")
                .arg(dir.path())
                .args(["--allow-gaps", "--out", out.path().to_str().unwrap()])
                .output()
                .unwrap();
            ok(&res);
            json(&out.path().join("manifest.json"))["reconciliation"][5]["coverage"].clone()
        })
        .collect();
    assert_eq!(manifests[0]["days_with_rows"], 182);
    assert_eq!(manifests[0], manifests[1]);
    assert_eq!(manifests[0], manifests[2]);
}

fn with_bad_rows(good: usize, bad: usize) -> tempfile::TempDir {
    let mut text = full();
    for i in 0..good.saturating_sub(184) {
        text.push_str(&format!("2025-10-01,P2,S{i},1.00,0,0,0\n"));
    }
    for i in 0..bad {
        text.push_str(&format!("2025-10-01,P3,S{i},bad,0,0,0\n"));
    }
    data_dir(&[("gmv_daily.csv", &text)])
}

#[test]
fn max_rejects_defaults_to_one_percent_of_a_file() {
    // 2 of 200 rows is 1 %: allowed. 3 of 201 is more.
    ok(&run(with_bad_rows(198, 2).path(), &["--skip-invalid"]));
    refused(
        &run(with_bad_rows(198, 3).path(), &["--skip-invalid"]),
        "gmv_daily.csv: 3 of 201 rows (1.50%) rejected, more than --max-rejects 1% allows",
    );
}

#[test]
fn max_rejects_takes_a_count_or_a_share() {
    let dir = with_bad_rows(190, 10);
    ok(&run(dir.path(), &["--skip-invalid", "--max-rejects", "10"]));
    refused(
        &run(dir.path(), &["--skip-invalid", "--max-rejects", "9"]),
        "gmv_daily.csv: 10 of 200 rows (5.00%) rejected, more than --max-rejects 9 allows",
    );
    ok(&run(dir.path(), &["--skip-invalid", "--max-rejects", "5%"]));
    refused(
        &run(dir.path(), &["--skip-invalid", "--max-rejects", "4.99%"]),
        "more than --max-rejects 4.99% allows",
    );
    // The rounded share never reads as within the limit: 1 of 301 is 0.33…%.
    refused(
        &run(
            with_bad_rows(300, 1).path(),
            &["--skip-invalid", "--max-rejects", "0.33%"],
        ),
        "1 of 301 rows (0.34%) rejected",
    );
    // Other files count on their own.
    let tiers = "partner_id,effective_date,tier\nP1,2025-01-01,2\nP1,2025-02-01,9\n";
    let dir = data_dir(&[("gmv_daily.csv", &full()), ("partner_tiers.csv", tiers)]);
    refused(
        &run(dir.path(), &["--skip-invalid"]),
        "partner_tiers.csv: 1 of 2 rows (50.00%) rejected",
    );
}

#[test]
fn max_rejects_garbage_is_a_usage_error() {
    let dir = data_dir(&[("gmv_daily.csv", &full())]);
    for value in [
        "", "x", "-1", "1.5", "101%", "%", "5 %", "1e3", "0x10", "1,000", ".5%",
    ] {
        let out = run(dir.path(), &["--skip-invalid", "--max-rejects", value]);
        assert_eq!(out.status.code(), Some(2), "{value:?}: {}", stderr(&out));
    }
    // Without --skip-invalid nothing is rejected: the limit means nothing there.
    let out = run(dir.path(), &["--max-rejects", "5"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    for value in ["0", "0%", "100%", "0.5%", "12"] {
        ok(&run(
            dir.path(),
            &["--skip-invalid", "--max-rejects", value],
        ));
    }
}

#[test]
fn a_gmv_daily_with_every_row_rejected_always_fails() {
    let text = format!("{GMV_HEADER}2025-10-01,P1,S1,bad,0,0,0\n2025-10-02,P1,S1,x,0,0,0\n");
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    refused(
        &run(
            dir.path(),
            &["--skip-invalid", "--max-rejects", "100%", "--allow-gaps"],
        ),
        "gmv_daily.csv has no accepted row (2 of 2 rows (100.00%) rejected): there is nothing to pay on",
    );
}

#[test]
fn the_sample_without_its_q3_rows_is_refused_and_with_allow_gaps_says_so_on_its_lines() {
    // The sample's gmv_daily without Q3: every baseline would be zero (cash would go up).
    let sample = fs::read_to_string(fixture().join("gmv_daily.csv")).unwrap();
    let without_q3: String = sample
        .lines()
        .filter(|l| {
            !l.starts_with("2025-07") && !l.starts_with("2025-08") && !l.starts_with("2025-09")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(fixture()).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    fs::write(dir.path().join("gmv_daily.csv"), without_q3).unwrap();
    refused(
        &run(dir.path(), &[]),
        "gmv_daily.csv has no rows for 2025-07-01..2025-09-30 (all 92 days of window q3): the Q3 baseline would be zero",
    );
    let out = tempfile::tempdir().unwrap();
    ok(&run(
        dir.path(),
        &["--allow-gaps", "--out", out.path().to_str().unwrap()],
    ));
    let rows = read_csv(&out.path().join("payouts.csv"));
    for r in rows.iter().filter(|r| r["program"] == "gmv_growth") {
        assert!(
            r["basis"].ends_with("; 92 days without rows in gmv_daily.csv (counted as no sales)"),
            "{r:?}"
        );
    }
    for r in rows
        .iter()
        .filter(|r| r["program"] == "bfcm_live_championship")
    {
        assert!(!r["basis"].contains("without rows"), "{r:?}");
    }
}

#[test]
fn monthly_markdown_statements_say_which_credits_counted_missing_days() {
    // One October day and one Q3 day without rows: the October short-video and affiliate
    // credits counted them as days without sales, and the partner's statement says so.
    let data = data_dir(&[(
        "gmv_daily.csv",
        &export("2025-07-01", "2025-12-31", &["2025-08-01", "2025-10-15"]),
    )]);
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("credits");
    let res = bin()
        .arg("statements")
        .arg(data.path())
        .args(["--month", "2025-10", "--allow-gaps", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    ok(&res);
    let md = fs::read_to_string(dir.join("statements/2025-10/P1.md")).unwrap();
    assert!(md.contains("Incomplete data"), "{md}");
    assert!(
        md.contains("- Short-video top 15: 2 days without rows in gmv_daily.csv"),
        "{md}"
    );
    assert!(
        md.contains("- Affiliate credits: 1 day without rows in gmv_daily.csv"),
        "{md}"
    );
    // November's statement: the short-video credit compares with Q3 (one day missing), the
    // affiliate credit is cumulative from October (one day missing).
    let res = bin()
        .arg("statements")
        .arg(data.path())
        .args(["--month", "2025-11", "--allow-gaps", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    ok(&res);
    let md = fs::read_to_string(dir.join("statements/2025-11/P1.md")).unwrap();
    assert!(
        md.contains("- Short-video top 15: 1 day without rows in gmv_daily.csv"),
        "{md}"
    );
}
