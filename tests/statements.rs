//! The `statements` command on the sample export, checked against the independent
//! reference amounts in fixtures/q4-sample.expected.csv.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::Path;

const DATA: &str = "fixtures/q4-sample";
const EXPECTED: &str = "fixtures/q4-sample.expected.csv";
const AD_CREDIT_PROGRAMS: [&str; 3] = [
    "short_video_top15",
    "short_video_consistency",
    "affiliate_credits",
];

/// (partner_id, program, period) → amount in cents.
type Amounts = BTreeMap<(String, String, String), i64>;

fn cents(text: &str) -> i64 {
    let (whole, frac) = text.split_once('.').expect("two decimals");
    assert_eq!(frac.len(), 2, "{text} has two decimals");
    whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

fn read_amounts(text: &str) -> Amounts {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (p, g, d, a) = (
        col("partner_id"),
        col("program"),
        col("period"),
        col("amount"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                (rec[p].to_string(), rec[g].to_string(), rec[d].to_string()),
                cents(&rec[a]),
            )
        })
        .collect()
}

fn expected() -> Amounts {
    read_amounts(&std::fs::read_to_string(EXPECTED).unwrap())
}

fn tsp() -> Command {
    Command::cargo_bin("tsp-payout").unwrap()
}

/// partner_id → the statement row's amounts in cents (short_video, affiliate, consistency,
/// total, quarter_to_date).
fn statement(dir: &Path, month: &str) -> BTreeMap<String, [i64; 5]> {
    let text = std::fs::read_to_string(dir.join(format!("credit_statement_{month}.csv"))).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "partner_id",
            "partner_name",
            "short_video",
            "affiliate",
            "consistency",
            "total",
            "quarter_to_date"
        ]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let amounts = [2, 3, 4, 5, 6].map(|i| cents(&rec[i]));
            (rec[0].to_string(), amounts)
        })
        .collect()
}

fn run_statement(month: &str) -> (tempfile::TempDir, BTreeMap<String, [i64; 5]>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    tsp()
        .args(["statements", DATA, "--month", month, "--out"])
        .arg(&out)
        .assert()
        .success();
    let rows = statement(&out, month);
    (tmp, rows)
}

/// The statement row every partner should have, from the reference amounts.
fn expected_rows(month: &str) -> BTreeMap<String, [i64; 5]> {
    let exp = expected();
    let months = ["2025-10", "2025-11", "2025-12"];
    let upto: Vec<&str> = months.iter().copied().take_while(|m| *m <= month).collect();
    let partners: Vec<String> = exp.keys().map(|k| k.0.clone()).collect();
    let mut rows = BTreeMap::new();
    for p in partners {
        let get = |program: &str, period: &str| {
            exp.get(&(p.clone(), program.to_string(), period.to_string()))
                .copied()
                .unwrap_or(0)
        };
        let sv = get("short_video_top15", month);
        let aff = get("affiliate_credits", month);
        let cons = get("short_video_consistency", month);
        let qtd: i64 = upto
            .iter()
            .flat_map(|m| AD_CREDIT_PROGRAMS.iter().map(move |g| (g, m)))
            .map(|(g, m)| get(g, m))
            .sum();
        if qtd != 0 {
            rows.insert(p, [sv, aff, cons, sv + aff + cons, qtd]);
        }
    }
    rows
}

#[test]
fn november_statement_matches_the_reference() {
    let (_tmp, rows) = run_statement("2025-11");
    let want = expected_rows("2025-11");
    assert!(!want.is_empty());
    assert_eq!(rows, want);
    // P01: 5,000 short video + 750 affiliate in November.
    assert_eq!(rows["P01"][..4], [500_000, 75_000, 0, 575_000]);
}

#[test]
fn december_statement_carries_the_consistency_bonus() {
    let (_tmp, rows) = run_statement("2025-12");
    assert_eq!(rows, expected_rows("2025-12"));
    assert_eq!(rows["P01"][2], 200_000);
    assert_eq!(rows["P03"][2], 0);
}

#[test]
fn partner_statement_lists_rank_and_sellers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    tsp()
        .args(["statements", DATA, "--month", "2025-11", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("ad-credit statement 2025-11"));
    let md = std::fs::read_to_string(out.join("statements/2025-11/P03.md")).unwrap();
    assert!(
        md.starts_with("# Ad-credit statement November 2025 (2025-11)"),
        "{md}"
    );
    assert!(
        md.contains("| Partner | P03 — Summit, Reed and Co. |"),
        "{md}"
    );
    assert!(
        md.contains("- Rank: **8 of 11** (top 15 paid) → ranks 7–10: **2,000.00**"),
        "{md}"
    );
    assert!(md.contains("- Increment: **2,538.77**"), "{md}");
    assert!(
        md.contains("| S0303 | 16,011.43 | 500.00 | kept: 1st by credit |"),
        "{md}"
    );
    assert!(md.contains("- Issued in 2025-11: **1,000.00**"), "{md}");
    // Every partner of the run gets a statement.
    assert_eq!(
        std::fs::read_dir(out.join("statements/2025-11"))
            .unwrap()
            .count(),
        12
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"month\": \"2025-11\""), "{manifest}");
    // Same inputs, same bytes; an existing run is refused without --force.
    let again = tmp.path().join("again");
    tsp()
        .args(["statements", DATA, "--month", "2025-11", "--out"])
        .arg(&again)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(again.join("statements/2025-11/P03.md")).unwrap(),
        md.as_bytes()
    );
    tsp()
        .args(["statements", DATA, "--month", "2025-11", "--out"])
        .arg(&again)
        .assert()
        .code(74);
    tsp()
        .args(["statements", DATA, "--month", "2025-11", "--force", "--out"])
        .arg(&again)
        .assert()
        .success();
}

#[test]
fn a_month_not_ended_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    tsp()
        .args([
            "statements",
            DATA,
            "--as-of",
            "2025-11-15",
            "--month",
            "2025-11",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "month 2025-11 has not ended by --as-of 2025-11-15",
        ));
    assert!(!out.exists());
    tsp()
        .args(["statements", DATA, "--month", "2025-09"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a month of the program"));
    // An ended month is issued as of a later date.
    tsp()
        .args([
            "statements",
            DATA,
            "--as-of",
            "2025-11-30",
            "--month",
            "2025-11",
        ])
        .assert()
        .success();
}

#[test]
fn calc_matches_the_reference_for_ad_credits() {
    let output = tsp()
        .args(["calc", DATA, "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let got = read_amounts(&String::from_utf8(output.stdout).unwrap());
    let mine = |a: &Amounts| -> Amounts {
        a.iter()
            .filter(|(k, _)| AD_CREDIT_PROGRAMS.contains(&k.1.as_str()))
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    };
    let want = mine(&expected());
    assert_eq!(want.len(), 12 * 7);
    assert_eq!(mine(&got), want);
}

#[test]
fn calc_as_of_mid_month_issues_only_ended_months() {
    let output = tsp()
        .args(["calc", DATA, "--format", "csv", "--as-of", "2025-11-20"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let got = read_amounts(&String::from_utf8(output.stdout).unwrap());
    let periods: std::collections::BTreeSet<(String, String)> = got
        .keys()
        .filter(|k| AD_CREDIT_PROGRAMS.contains(&k.1.as_str()))
        .map(|k| (k.1.clone(), k.2.clone()))
        .collect();
    assert_eq!(
        periods.into_iter().collect::<Vec<_>>(),
        [
            ("affiliate_credits".to_string(), "2025-10".to_string()),
            ("short_video_top15".to_string(), "2025-10".to_string())
        ]
    );
    // October's amounts do not depend on the later evaluation date.
    let exp = expected();
    for (k, v) in got
        .iter()
        .filter(|(k, _)| AD_CREDIT_PROGRAMS.contains(&k.1.as_str()))
    {
        assert_eq!(exp[k], *v, "{k:?}");
    }
}

#[test]
fn a_statement_run_never_replaces_a_calc_run() {
    let out = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/q4-sample");
    let calc = assert_cmd::Command::cargo_bin("tsp-payout")
        .unwrap()
        .arg("calc")
        .arg(&sample)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(calc.status.success());
    let payouts = std::fs::read(out.path().join("payouts.csv")).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["command"], "calc");
    let refused = assert_cmd::Command::cargo_bin("tsp-payout")
        .unwrap()
        .arg("statements")
        .arg(&sample)
        .args(["--month", "2025-12", "--force", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("holds a `calc` run"));
    // The calc run is untouched.
    assert_eq!(
        std::fs::read(out.path().join("payouts.csv")).unwrap(),
        payouts
    );
    assert!(out.path().join("statements/P01.json").exists());
}
