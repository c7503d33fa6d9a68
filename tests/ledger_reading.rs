//! The reading commands with a ledger: statements of a closed month are the ones written
//! at the close, calc says what is issued and what computed, whatif and explain know the
//! closed lines.

mod ledger_kit;

use ledger_kit::{close, tsp, write_gmv};
use predicates::str::contains;
use std::collections::BTreeMap;
use std::path::Path;

const FIRST: &[(&str, &str, &str, &str)] = &[
    ("2025-10-10", "P1", "S1", "12000.00"), // 500
    ("2025-10-10", "P2", "S2", "2000.00"),  // 250
    ("2025-11-10", "P1", "S1", "14000.00"), // cumulative 26,000 → 1,000
];

/// October restated: P1's S1 had 30,000.00 (1,000), P2's S2 nothing.
const RESTATED: &[(&str, &str, &str, &str)] = &[
    ("2025-10-10", "P1", "S1", "30000.00"),
    ("2025-11-10", "P1", "S1", "14000.00"),
];

fn files_below(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                if rel != "manifest.json" {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn statements(cwd: &Path, data: &Path, ledger: &Path, month: &str, out: &Path) -> Vec<u8> {
    tsp(cwd)
        .args([
            "statements",
            "--allow-gaps",
            "--html",
            "--month",
            month,
            "--ledger",
        ])
        .arg(ledger)
        .arg("--out")
        .arg(out)
        .arg(data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

#[test]
fn a_closed_month_s_statement_is_the_one_written_at_close_whatever_the_data_says() {
    let work = tempfile::tempdir().unwrap();
    let (data, ledger) = (work.path().join("data"), work.path().join("l.ledger"));
    write_gmv(&data, FIRST);
    close(work.path(), &data, &ledger, "2025-10");
    // November still open: computed, trued up against October as issued.
    let open_dir = work.path().join("open");
    let open_stdout = statements(work.path(), &data, &ledger, "2025-11", &open_dir);
    close(work.path(), &data, &ledger, "2025-11");
    // The export is restated; the closed months do not move.
    write_gmv(&data, RESTATED);
    let closed_dir = work.path().join("closed");
    let closed_stdout = statements(work.path(), &data, &ledger, "2025-11", &closed_dir);
    assert_eq!(
        String::from_utf8_lossy(&closed_stdout),
        String::from_utf8_lossy(&open_stdout)
    );
    let (open_files, closed_files) = (files_below(&open_dir), files_below(&closed_dir));
    assert_eq!(
        open_files.keys().collect::<Vec<_>>(),
        closed_files.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &open_files {
        assert!(closed_files[path] == *bytes, "{path} differs");
    }
    let csv = String::from_utf8(closed_files["credit_statement_2025-11.csv"].clone()).unwrap();
    assert_eq!(
        csv.trim_start_matches('\u{feff}'),
        "partner_id,partner_name,short_video,affiliate,consistency,total,quarter_to_date\n\
         P1,,0.00,500.00,0.00,500.00,1000.00\n\
         P2,,0.00,0.00,0.00,0.00,250.00\n"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(closed_dir.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["ledger"]["close"], 2);
    assert_eq!(manifest["command"], "statements");
    // --format csv prints the stored CSV as it is.
    let printed = tsp(work.path())
        .args([
            "statements",
            "--month",
            "2025-11",
            "--format",
            "csv",
            "--ledger",
        ])
        .arg(&ledger)
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(printed == closed_files["credit_statement_2025-11.csv"]);
    // The directory verifies like any run.
    tsp(work.path())
        .arg("verify")
        .arg(&closed_dir)
        .assert()
        .success();
    // The data is not read: even an export that no longer loads gives the statement.
    std::fs::write(data.join("gmv_daily.csv"), "not,a,header\n").unwrap();
    tsp(work.path())
        .args(["statements", "--month", "2025-10", "--ledger"])
        .arg(&ledger)
        .arg(&data)
        .assert()
        .success()
        .stderr(contains(
            "2025-10 is closed: the statement issued at close #1 (",
        ))
        .stdout(contains(
            "| P1         |              |        0.00 |    500.00 |",
        ));
}

#[test]
fn calc_says_which_periods_are_issued_and_which_computed() {
    let work = tempfile::tempdir().unwrap();
    let (data, ledger) = (work.path().join("data"), work.path().join("l.ledger"));
    write_gmv(&data, FIRST);
    close(work.path(), &data, &ledger, "2025-10");
    write_gmv(&data, RESTATED);
    let out = tsp(work.path())
        .args(["calc", "--allow-gaps", "--ledger"])
        .arg(&ledger)
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("  2025-10: closed — shown as issued at close #1 ("),
        "{text}"
    );
    assert!(
        text.contains("  2025-11: open — computed from the data\n"),
        "{text}"
    );
    assert!(
        text.contains("  q4: open — computed from the data\n"),
        "{text}"
    );
    // The run's manifest names the ledger and the close each closed period came from.
    let out_dir = work.path().join("run");
    tsp(work.path())
        .args(["calc", "--allow-gaps", "--ledger"])
        .arg(&ledger)
        .arg("--out")
        .arg(&out_dir)
        .arg(&data)
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["ledger"]["closed"]["2025-10"]["close"], 1,
        "{manifest}"
    );
    assert!(
        manifest["ledger"]["closed"].get("2025-11").is_none(),
        "{manifest}"
    );
    // JSON: the issued October, then November against it: 1,000 − 500 issued = 500.
    let out = tsp(work.path())
        .args(["calc", "--allow-gaps", "--format", "json", "--ledger"])
        .arg(&ledger)
        .arg(&data)
        .assert()
        .success()
        .stderr(contains("2025-10: closed — shown as issued"))
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let p1 = doc["partners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["partner_id"] == "P1")
        .unwrap();
    let lines = p1["lines"].as_array().unwrap();
    let amount = |period: &str| {
        lines
            .iter()
            .find(|l| l["program"] == "affiliate_credits" && l["period"] == period)
            .map(|l| {
                (
                    l["amount"].clone(),
                    l["basis"].as_str().unwrap().to_string(),
                )
            })
            .unwrap()
    };
    let (oct, oct_basis) = amount("2025-10");
    assert_eq!(oct, "500.00");
    assert!(oct_basis.starts_with("issued at close #1 ("), "{oct_basis}");
    let (nov, nov_basis) = amount("2025-11");
    assert_eq!(nov, "500.00");
    assert!(
        nov_basis.contains("− issued before (2025-10 closed (ledger)) 500.00 = 500.00"),
        "{nov_basis}"
    );
    // P2 was restated to nothing after its 250 was issued: it keeps what was issued, and
    // November carries the balance.
    let p2 = doc["partners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["partner_id"] == "P2")
        .unwrap();
    let nov2 = p2["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["program"] == "affiliate_credits" && l["period"] == "2025-11")
        .unwrap();
    assert_eq!(nov2["amount"], "0.00");
    assert!(
        nov2["basis"]
            .as_str()
            .unwrap()
            .contains("= −250.00: nothing issued, over-issued 250.00 carried against later issues"),
        "{nov2}"
    );
}

#[test]
fn explain_shows_the_issued_amount_and_its_close() {
    let work = tempfile::tempdir().unwrap();
    let (data, ledger) = (work.path().join("data"), work.path().join("l.ledger"));
    write_gmv(&data, FIRST);
    close(work.path(), &data, &ledger, "2025-10");
    write_gmv(&data, RESTATED);
    let out = tsp(work.path())
        .args(["explain", "--allow-gaps", "--partner", "P1", "--ledger"])
        .arg(&ledger)
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("├─ affiliate_credits 2025-10: 500.00 ad credit"),
        "{text}"
    );
    assert!(
        text.contains("│  ├─ issued: 500.00  [ledger ") && text.contains(", close #1 ("),
        "{text}"
    );
    assert!(
        text.contains("│  └─ computed from the current data: 1,000.00"),
        "{text}"
    );
}

#[test]
fn whatif_compares_against_what_closed_periods_issued() {
    let work = tempfile::tempdir().unwrap();
    let (data, ledger) = (work.path().join("data"), work.path().join("l.ledger"));
    write_gmv(&data, FIRST);
    close(work.path(), &data, &ledger, "2025-10");
    write_gmv(&data, RESTATED);
    // What if P1 sold a third more through affiliates? Its cumulative GMV stays in the
    // top tier, so its credits do not move; P2, restated to nothing after October issued
    // it 250, stays at the 250 issued on both sides with the ledger, and at 0 without.
    let scenario = work.path().join("more.toml");
    std::fs::write(
        &scenario,
        "[[adjust]]\npartner = \"P1\"\nchannels = [\"affiliate_gmv\"]\nfactor = \"1.3\"\n",
    )
    .unwrap();
    let run = |with_ledger: bool| {
        let mut c = tsp(work.path());
        c.args(["whatif", "--allow-gaps", "--format", "csv", "--scenario"])
            .arg(&scenario);
        if with_ledger {
            c.arg("--ledger").arg(&ledger);
        }
        let out = c.arg(&data).assert().success().get_output().stdout.clone();
        String::from_utf8(out).unwrap()
    };
    let with = run(true);
    // P1: October 500 issued + November 1,000 − 500 = 500, on both sides.
    assert!(
        with.lines()
            .any(|l| l == "P1,,affiliate_credits,ad_credit,1000.00,1000.00,0.00"),
        "{with}"
    );
    assert!(
        with.lines()
            .any(|l| l == "P2,,affiliate_credits,ad_credit,250.00,250.00,0.00"),
        "{with}"
    );
    let without = run(false);
    assert!(
        without
            .lines()
            .any(|l| l == "P1,,affiliate_credits,ad_credit,1000.00,1000.00,0.00"),
        "{without}"
    );
    assert!(
        !without
            .lines()
            .any(|l| l.starts_with("P2,,affiliate_credits,ad_credit,250.00")),
        "{without}"
    );
}
