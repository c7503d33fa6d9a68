//! The restatement story end to end: October is closed, October's affiliate GMV is then
//! restated up for some sellers and down for others, November is closed. November's issue
//! is taken against what October issued (not against the restated October), shortfalls are
//! carried as over-issued balances, set against later issues, and what remains at the
//! close of December is recoverable. Every amount is computed by hand below.

mod ledger_kit;

use ledger_kit::{close, query, tsp, write_gmv};
use std::collections::BTreeMap;
use std::path::Path;

// Book tiers per seller on cumulative affiliate GMV: >= 2,000 → 250; >= 10,000 → 500;
// >= 25,000 → 1,000.

/// The export as first delivered, October only.
const OCTOBER: &[(&str, &str, &str, &str)] = &[
    ("2025-10-10", "P1", "S1", "12000.00"), // 500
    ("2025-10-10", "P1", "S2", "3000.00"),  // 250
    ("2025-10-10", "P1", "S3", "30000.00"), // 1,000 → P1 issues 1,750
    ("2025-10-10", "P2", "S9", "26000.00"), // 1,000 → P2 issues 1,000
    ("2025-10-10", "P3", "S7", "2500.00"),  // 250 → P3 issues 250
    ("2025-10-10", "P4", "S8", "10000.00"), // 500 → P4 issues 500
];

/// October restated: S1 up, S3, S9 and S7 down; S2 unchanged; P4 gone from the export.
/// Then November, and December.
const RESTATED: &[(&str, &str, &str, &str)] = &[
    ("2025-10-10", "P1", "S1", "26000.00"), // 1,000 now (was 500)
    ("2025-10-10", "P1", "S2", "3000.00"),  // 250
    ("2025-10-10", "P1", "S3", "9000.00"),  // 250 now (was 1,000)
    ("2025-10-10", "P2", "S9", "1500.00"),  // 0 now (was 1,000)
    ("2025-10-10", "P3", "S7", "1000.00"),  // 0 now (was 250)
    ("2025-11-05", "P1", "S2", "25000.00"), // S2 cumulative 28,000 → 1,000
    ("2025-11-05", "P2", "S9", "100.00"),   // S9 cumulative 1,600 → 0
    ("2025-12-05", "P2", "S9", "10000.00"), // S9 cumulative 11,600 → 500
    ("2025-12-05", "P3", "S7", "30000.00"), // S7 cumulative 31,000 → 1,000
];

fn cents(s: &str) -> i64 {
    let (whole, frac) = s.split_once('.').expect("two decimals");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    sign * (whole.trim_start_matches('-').parse::<i64>().unwrap() * 100
        + frac.parse::<i64>().unwrap())
}

/// (partner, period) → affiliate amount in cents, from the ledger's current lines.
fn issued_affiliate(ledger: &Path, period: &str) -> BTreeMap<String, i64> {
    query(
        ledger,
        &format!(
            "SELECT partner_id, amount FROM issued_lines
             WHERE program = 'affiliate_credits' AND period = '{period}' AND reversal = 0"
        ),
    )
    .into_iter()
    .map(|r| (r[0].clone(), cents(&r[1])))
    .collect()
}

fn sellers(ledger: &Path, month: &str) -> BTreeMap<(String, String), i64> {
    query(
        ledger,
        &format!(
            "SELECT partner_id, seller_id, amount FROM affiliate_sellers WHERE month = '{month}'"
        ),
    )
    .into_iter()
    .map(|r| ((r[0].clone(), r[1].clone()), cents(&r[2])))
    .collect()
}

/// partner → (entitlement, issued_before, issued, over_issued) in cents.
fn balances(ledger: &Path, month: &str) -> BTreeMap<String, [i64; 4]> {
    query(
        ledger,
        &format!(
            "SELECT partner_id, entitlement, issued_before, issued, over_issued
             FROM affiliate_balances WHERE month = '{month}'"
        ),
    )
    .into_iter()
    .map(|r| {
        (
            r[0].clone(),
            [cents(&r[1]), cents(&r[2]), cents(&r[3]), cents(&r[4])],
        )
    })
    .collect()
}

fn map<const N: usize, V: Clone>(items: [(&str, V); N]) -> BTreeMap<String, V> {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[test]
fn november_is_trued_up_against_what_october_issued() {
    let work = tempfile::tempdir().unwrap();
    let (data, ledger) = (work.path().join("data"), work.path().join("payouts.ledger"));
    write_gmv(&data, OCTOBER);
    close(work.path(), &data, &ledger, "2025-10");
    assert_eq!(
        issued_affiliate(&ledger, "2025-10"),
        map([
            ("P1", 175_000),
            ("P2", 100_000),
            ("P3", 25_000),
            ("P4", 50_000)
        ])
    );

    // The export is restated; October stays as issued.
    write_gmv(&data, RESTATED);
    let stdout = close(work.path(), &data, &ledger, "2025-11");
    assert_eq!(
        issued_affiliate(&ledger, "2025-10"),
        map([
            ("P1", 175_000),
            ("P2", 100_000),
            ("P3", 25_000),
            ("P4", 50_000)
        ]),
        "October is never recomputed"
    );
    // P1: entitlement S1 1,000 + S2 1,000 + S3 250 = 2,250, issued before 1,750 → 500
    //     (a recompute against the restated October, 1,500, would have issued 750).
    // P2: entitlement 0 against 1,000 issued → nothing, 1,000 over-issued carried.
    // P3: entitlement 0 against 250 issued → nothing, 250 over-issued carried.
    // P4, no longer in the export: 500 over-issued carried.
    assert_eq!(
        issued_affiliate(&ledger, "2025-11"),
        map([("P1", 50_000), ("P2", 0), ("P3", 0), ("P4", 0)])
    );
    assert_eq!(
        balances(&ledger, "2025-11"),
        map([
            ("P1", [225_000, 175_000, 50_000, 0]),
            ("P2", [0, 100_000, 0, 100_000]),
            ("P3", [0, 25_000, 0, 25_000]),
            ("P4", [0, 50_000, 0, 50_000]),
        ])
    );
    // P1's sellers: S1 +500, S2 +750, S3 −750 (set against the others' growth) = 500.
    // P2 and P3 change nothing: they are over-issued.
    let expected: BTreeMap<(String, String), i64> = [
        (("P1", "S1"), 50_000),
        (("P1", "S2"), 75_000),
        (("P1", "S3"), -75_000),
    ]
    .into_iter()
    .map(|((p, s), a)| ((p.to_string(), s.to_string()), a))
    .collect();
    assert_eq!(sellers(&ledger, "2025-11"), expected);
    assert!(
        stdout.contains("P2: 1,000.00 (issued before 1,000.00, entitlement 0.00)"),
        "{stdout}"
    );
    assert!(stdout.contains("carried against later issues"), "{stdout}");

    // The November statement says what was set against what.
    let out = tsp(work.path())
        .args(["statements", "--month", "2025-11", "--ledger"])
        .arg(&ledger)
        .arg("--out")
        .arg(work.path().join("st"))
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p2 = std::fs::read_to_string(work.path().join("st/statements/2025-11/P2.md")).unwrap();
    assert!(
        p2.contains("- Minus what was issued before (2025-10 closed (ledger)): 1,000.00"),
        "{p2}"
    );
    assert!(
        p2.contains("- Over-issued, carried against later issues: **1,000.00**"),
        "{p2}"
    );

    // December: P3's balance is set against its new credit; P2's is partly left over.
    let stdout = close(work.path(), &data, &ledger, "2025-12");
    // P1: entitlement 2,250, issued before 2,250 → 0.
    // P2: S9 11,600 → 500, issued before 1,000 → 0, 500 recoverable.
    // P3: S7 31,000 → 1,000, issued before 250 → 750.
    // P4: 500 recoverable.
    assert_eq!(
        issued_affiliate(&ledger, "2025-12"),
        map([("P1", 0), ("P2", 0), ("P3", 75_000), ("P4", 0)])
    );
    assert_eq!(
        balances(&ledger, "2025-12"),
        map([
            ("P1", [225_000, 225_000, 0, 0]),
            ("P2", [50_000, 100_000, 0, 50_000]),
            ("P3", [100_000, 25_000, 75_000, 0]),
            ("P4", [0, 50_000, 0, 50_000]),
        ])
    );
    assert!(
        stdout.contains("recoverable: the quarter is closed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("P2: 500.00 (issued before 1,000.00, entitlement 500.00)"),
        "{stdout}"
    );
    let shown = tsp(work.path())
        .args(["ledger", "show", "2025-12", "--ledger"])
        .arg(&ledger)
        .output()
        .unwrap();
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(
        shown.contains("affiliate credits over-issued (recoverable: the quarter has closed):"),
        "{shown}"
    );
    let recoverable: Vec<&str> = shown
        .lines()
        .filter(|l| l.matches('|').count() == 4 && l.contains("| 2025-12 |"))
        .collect();
    assert_eq!(recoverable.len(), 2, "{shown}");
    assert!(recoverable[0].starts_with("| P2 ") && recoverable[0].contains(" 500.00 |"));
    assert!(recoverable[1].starts_with("| P4 ") && recoverable[1].contains(" 500.00 |"));
    // What each partner was issued over the quarter never exceeds its final entitlement,
    // except by what is listed as recoverable.
    for (partner, (entitled, recoverable)) in map([
        ("P1", (225_000, 0)),
        ("P2", (50_000, 50_000)),
        ("P3", (100_000, 0)),
    ]) {
        let total: i64 = ["2025-10", "2025-11", "2025-12"]
            .iter()
            .map(|m| issued_affiliate(&ledger, m)[&partner])
            .sum();
        assert_eq!(total, entitled + recoverable, "{partner}");
    }

    // The same export without a ledger pays November on the restated October instead.
    let plain = tsp(work.path())
        .args(["calc", "--allow-gaps", "--format", "csv"])
        .arg(&data)
        .output()
        .unwrap();
    let csv = String::from_utf8(plain.stdout).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("P1,,affiliate_credits,2025-11,ad_credit,750.00,")),
        "{csv}"
    );
    // With it, calc shows the issued lines.
    let with = tsp(work.path())
        .args(["calc", "--allow-gaps", "--format", "csv", "--ledger"])
        .arg(&ledger)
        .arg(&data)
        .output()
        .unwrap();
    let csv = String::from_utf8(with.stdout).unwrap();
    assert!(
        csv.lines().any(|l| l.starts_with(
            "P1,,affiliate_credits,2025-10,ad_credit,1750.00,false,\"issued at close #1 ("
        )),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("P1,,affiliate_credits,2025-11,ad_credit,500.00,")),
        "{csv}"
    );
}

#[test]
fn drift_lists_what_the_restated_data_would_give() {
    let work = tempfile::tempdir().unwrap();
    let (data, ledger) = (work.path().join("data"), work.path().join("l.ledger"));
    write_gmv(&data, OCTOBER);
    close(work.path(), &data, &ledger, "2025-10");
    write_gmv(&data, RESTATED);
    let out = tsp(work.path())
        .args([
            "ledger",
            "drift",
            "--allow-gaps",
            "--format",
            "csv",
            "--ledger",
        ])
        .arg(&ledger)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    let csv = csv.trim_start_matches('\u{feff}');
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.contains("affiliate_credits"))
        .collect();
    assert_eq!(
        rows,
        [
            // P1 restated: 1,000 + 250 + 250 = 1,500 against 1,750 issued.
            "P1,affiliate_credits,2025-10,1,1750.00,1500.00,-250.00",
            "P2,affiliate_credits,2025-10,1,1000.00,0.00,-1000.00",
            "P3,affiliate_credits,2025-10,1,250.00,0.00,-250.00",
            "P4,affiliate_credits,2025-10,1,500.00,0.00,-500.00",
        ],
        "{csv}"
    );
    assert!(csv.starts_with("partner_id,program,period,close,issued,current,difference\n"));
    let table = tsp(work.path())
        .args(["ledger", "drift", "--allow-gaps", "--ledger"])
        .arg(&ledger)
        .arg(&data)
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("4 changed"), "{text}");
    assert!(
        text.contains("| P1         | affiliate_credits | 2025-10 | #1    | 1,750.00 | 1,500.00 |    -250.00 |"),
        "{text}"
    );
}
