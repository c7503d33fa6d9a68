//! `tsp-payout explain`: one partner's figures, step by step, with the book values applied.

use assert_cmd::Command;
use std::fmt::Write as _;
use std::fs;
use tempfile::TempDir;

const SAMPLE: &str = "fixtures/q4-sample";

fn explain(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("tsp-payout")
        .expect("binary")
        .arg("explain")
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in\n{text}");
}

#[test]
fn gmv_growth_figures_of_a_sample_partner() {
    // Sums of P01's gmv column in gmv_daily.csv: Q3 13,547,402.87, Q4 20,880,179.88, both
    // over 92 days; (20,880,179.88 − 13,547,402.87) / 92 = 79,704.097… ≥ 50,000 → tier 4.
    let (code, out, err) = explain(&[SAMPLE, "--partner", "P01"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("P01 Brightline Commerce — as of 2025-12-31, book "),
        "{out}"
    );
    has(&out, "totals: cash 91,000.00, ad credits 20,000.00");
    has(&out, "├─ gmv_growth q4: 20,000.00 cash\n");
    has(
        &out,
        "│  ├─ Q3 window: 2025-07-01..2025-09-30 (92 days)  [book windows.q3]\n",
    );
    has(&out, "│  ├─ Q3 gmv sum: 13,547,402.87  [gmv_daily.csv]\n");
    has(
        &out,
        "│  ├─ Q3 average daily gmv: 147,254.37  [13,547,402.87 / 92 days]\n",
    );
    has(
        &out,
        "│  ├─ Q4 window: 2025-10-01..2025-12-31 (92 days)  [book windows.q4]\n",
    );
    has(&out, "│  ├─ Q4 gmv sum: 20,880,179.88  [gmv_daily.csv]\n");
    has(
        &out,
        "│  ├─ Q4 average daily gmv: 226,958.47  [20,880,179.88 / 92 days]\n",
    );
    has(
        &out,
        "│  ├─ increment: 79,704.09  [Q4 average − Q3 average, compared exactly]\n",
    );
    // 20,880,179.88 × 92 − 13,547,402.87 × 92 = 674,615,484.92 ≥ 50,000 × 92 × 92.
    has(
        &out,
        "exact test at gmv_growth.tiers[3] (>= 50,000): 20,880,179.88 × 92 − 13,547,402.87 × 92 = 674,615,484.92 ≥ 50,000 × 92 × 92 = 423,200,000 → met",
    );
    has(&out, "tiers: >= 3,000 → 5,000.00; >= 10,000 → 10,000.00; >= 25,000 → 15,000.00; >= 50,000 → 20,000.00  [book gmv_growth.tiers]");
    has(&out, "│  ├─ tier met: gmv_growth.tiers[3]: >= 50,000\n");
    // The sellers behind the sums, one row each.
    has(&out, "└─ gmv sums by seller (6 rows)\n");
    for seller in ["S0101", "S0102", "S0103", "S0104", "S0105", "S0106"] {
        has(&out, &format!("│     {seller}"));
    }
    // tier_upgrade: tier 2 before Q3 ended, tier 3 kept through the last 30 days.
    has(&out, "├─ tier_upgrade q4: 5,000.00 cash\n");
    has(&out, "prior max tier: 2");
    has(&out, "hold window: 2025-12-02..2025-12-31 (30 days)  [book tier_upgrade.hold_days = 30, ending 2025-12-31]");
    has(&out, "held tier: 3");
}

#[test]
fn every_program_is_listed_with_its_amount_or_the_reason_it_did_not_run() {
    let (code, out, _) = explain(&[SAMPLE, "--partner", "P05"]);
    assert_eq!(code, 0);
    for program in tsp_payout::programs::registry().iter().map(|p| p.id) {
        let listed = out.lines().any(|l| {
            l.starts_with(&format!("├─ {program}")) || l.starts_with(&format!("└─ {program}"))
        });
        assert!(listed, "{program} missing in\n{out}");
    }
    // Every top-level entry is a line with an amount, or a program that did not run.
    for l in out
        .lines()
        .filter(|l| l.starts_with("├─ ") || l.starts_with("└─ "))
    {
        assert!(
            l.contains(" cash")
                || l.contains(" ad credit")
                || l.contains(": skipped (")
                || l.contains(": not evaluated ("),
            "{l}"
        );
    }
    // P05 is one cent short of the first tier: the zero line says so, figure by figure.
    has(&out, "├─ gmv_growth q4: 0.00 cash\n");
    has(&out, "increment: 2,999.99");
    has(&out, "below the first tier 3,000");
    has(&out, "tier met: none");
}

#[test]
fn unknown_partner_is_refused() {
    let (code, out, err) = explain(&[SAMPLE, "--partner", "P99"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    has(&err, "--partner \"P99\" is not a partner of this run");
}

#[test]
fn as_of_cuts_the_windows_and_marks_lines_provisional() {
    let (code, out, err) = explain(&[SAMPLE, "--partner", "P01", "--as-of", "2025-10-31"]);
    assert_eq!(code, 0, "{err}");
    has(&out, "— as of 2025-10-31,");
    has(&out, "(provisional)");
    has(
        &out,
        "Q4 window: 2025-10-01..2025-10-31 (31 days)  [book windows.q4]",
    );
}

#[test]
fn spec_example_1_boundary_is_shown_exactly() {
    // 91 days at 19,999.99 and one at 20,000.91 over a flat 10,000.00 Q3: the increment is
    // 10,000 exactly, shown as an exact comparison of integers.
    let dir = TempDir::new().expect("tempdir");
    let mut gmv =
        String::from("date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n");
    let mut d = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("date");
    let end = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
    while d <= end {
        let amount = if d < chrono::NaiveDate::from_ymd_opt(2025, 10, 1).expect("date") {
            "10000.00"
        } else if d < end {
            "19999.99"
        } else {
            "20000.91"
        };
        writeln!(gmv, "{d},P1,S1,{amount},0,0,0").expect("string");
        d = d.succ_opt().expect("date");
    }
    fs::write(dir.path().join("gmv_daily.csv"), gmv).expect("write");
    let (code, out, err) = explain(&[dir.path().to_str().expect("utf-8"), "--partner", "P1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("P1 — as of 2025-12-31"), "{out}");
    has(&out, "├─ gmv_growth q4: 10,000.00 cash\n");
    has(&out, "Q4 gmv sum: 1,840,000.00");
    has(
        &out,
        "1,840,000.00 × 92 − 920,000.00 × 92 = 84,640,000.00 ≥ 10,000 × 92 × 92 = 84,640,000 → met",
    );
    has(&out, "1,840,000.00 × 92 − 920,000.00 × 92 = 84,640,000.00 < 25,000 × 92 × 92 = 211,600,000 → not met");
    // No partner_tiers.csv: the program says so.
    has(&out, "tier_upgrade: skipped (no partner_tiers.csv)");
}
