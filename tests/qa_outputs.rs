//! Outputs under hostile set-ups: an --out that would swallow an input reached through a
//! link, and partner files that must stay apart on any file system.

mod common;

use common::{bin, every_day};
use std::collections::BTreeMap;
use std::fs;

/// Q3 and Q4 rows for the given partners, one seller each.
fn gmv_for(partners: &[&str]) -> String {
    let mut text = common::GMV_HEADER.to_string();
    for p in partners {
        text += &every_day("2025-07-01", "2025-12-31", |d| {
            format!("{d},{p},S1,1000.00,100.00,100.00,100.00")
        });
    }
    text
}

/// `calc DATA --out OUT --force` where DATA/gmv_daily.csv is a link to a file inside OUT:
/// replacing OUT would delete the export the run was made from, so the run is refused
/// before anything is read or removed.
#[cfg(unix)]
#[test]
fn an_input_file_linked_from_inside_out_is_never_replaced() {
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("out");
    fs::create_dir_all(out.join("exports")).expect("mkdir");
    let real = out.join("exports/gmv_daily.csv");
    fs::write(&real, gmv_for(&["P1"])).expect("write export");
    let data = root.path().join("data");
    fs::create_dir(&data).expect("mkdir data");
    std::os::unix::fs::symlink(&real, data.join("gmv_daily.csv")).expect("link");

    let run = bin()
        .args(["calc", "-q", "--force", "--out"])
        .arg(&out)
        .arg(&data)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(74), "stderr: {stderr}");
    assert!(stderr.contains("holds an input of this run"), "{stderr}");
    assert!(real.is_file(), "the export behind the link was deleted");
    assert!(!out.join("payouts.csv").exists());
}

/// Partner ids are compared byte-wise, so `P1` and `p1` are two partners. On the file
/// systems finance teams use by default (macOS, Windows) `P1.json` and `p1.json` are one
/// file: the second statement would replace the first, and `P1.html` would show p1's
/// payouts to P1. Every partner's files must differ even ignoring letter case.
#[test]
fn partner_files_stay_apart_on_case_insensitive_file_systems() {
    let data = common::data_dir(&[("gmv_daily.csv", &gmv_for(&["P1", "p1"]))]);
    let root = tempfile::tempdir().expect("temp dir");
    let out = root.path().join("calc");
    let monthly = root.path().join("monthly");
    bin()
        .args(["calc", "-q", "--html", "--out"])
        .arg(&out)
        .arg(data.path())
        .assert()
        .success();
    bin()
        .args(["statements", "-q", "--month", "2025-10", "--html", "--out"])
        .arg(&monthly)
        .arg(data.path())
        .assert()
        .success();
    for dir in [
        out.join("statements"),
        out.join("html"),
        monthly.join("statements/2025-10"),
        monthly.join("html/2025-10"),
    ] {
        let mut folded: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for entry in fs::read_dir(&dir).expect("read dir") {
            let name = entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8");
            folded
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(name);
        }
        let clashes: Vec<_> = folded.values().filter(|names| names.len() > 1).collect();
        assert!(clashes.is_empty(), "{}: {clashes:?}", dir.display());
    }
    // Each statement still names its own partner.
    let mut ids = Vec::new();
    for entry in fs::read_dir(out.join("statements")).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let doc: serde_json::Value =
                serde_json::from_slice(&fs::read(&path).expect("read")).expect("json");
            ids.push(doc["partner_id"].as_str().expect("partner_id").to_string());
        }
    }
    ids.sort();
    assert_eq!(ids, ["P1", "p1"]);
}

/// A scenario whose book moves BFCM past --as-of leaves the BFCM programs not evaluated:
/// their amounts are unknown, not zero. The budget impact must not report the baseline's
/// BFCM prizes as saved (`bfcm_matchmaking … -71,000.00`, `cash -208,500.00`).
#[test]
fn whatif_budget_never_counts_a_program_not_evaluated_as_saved() {
    let root = tempfile::tempdir().expect("temp dir");
    let scenario = root.path().join("late-bfcm.toml");
    fs::write(
        &scenario,
        "[book.windows]\nbfcm = { start = \"2025-11-25\", end = \"2025-12-01\" }\n",
    )
    .expect("write scenario");
    let out = bin()
        .args(["whatif", "-q", "--as-of", "2025-11-20", "--scenario"])
        .arg(&scenario)
        .arg(common::fixture())
        .output()
        .expect("run");
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        !table.lines().any(|l| l.starts_with("| bfcm_matchmaking")),
        "no budget row for a payout the scenario did not evaluate: {table}"
    );
    assert!(!table.contains("cash -208,500.00"), "{table}");
    assert!(
        table.contains(
            "left out of the comparison: bfcm_matchmaking (not evaluated in the scenario: "
        ),
        "{table}"
    );
}

/// README: the reconciliation is printed on every run unless --quiet. `validate` prints it
/// too, so it takes --quiet like the other commands; the problems still print, and the
/// exit code still tells.
#[test]
fn validate_takes_quiet_and_still_reports_problems() {
    let clean = bin()
        .args(["validate", "-q"])
        .arg(common::fixture())
        .output()
        .expect("run");
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&clean.stderr), "");
    assert!(String::from_utf8_lossy(&clean.stdout).starts_with("ok: 6 file(s) checked"));

    let bad = common::data_dir(&[(
        "gmv_daily.csv",
        &format!("{}7/1/2025,P1,S1,10.00,0,0,0\n", common::GMV_HEADER),
    )]);
    let run = bin()
        .args(["validate", "--quiet", "--allow-gaps"])
        .arg(bad.path())
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(65));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("\"7/1/2025\" is not a date"), "{stdout}");
    assert!(!String::from_utf8_lossy(&run.stderr).contains("reconciliation"));
}

/// A run kept inside the data directory (`calc data --out data/run`) is not an input of
/// the next run: replacing it with --force goes on.
#[test]
fn a_run_kept_inside_the_data_directory_can_be_replaced() {
    let data = common::data_dir(&[("gmv_daily.csv", &gmv_for(&["P1"]))]);
    let out = data.path().join("run");
    for _ in 0..2 {
        bin()
            .args(["calc", "-q", "--force", "--out"])
            .arg(&out)
            .arg(data.path())
            .assert()
            .success();
    }
    assert!(out.join("payouts.csv").is_file());
}
