//! Books that cannot describe the program are refused before any data is read (exit 2,
//! naming the key): README Rules, "A book must describe the program".

mod common;

use common::{bin, fixture};
use std::fs;

/// Runs `calc` on the sample with the embedded book, `from` replaced by `to`.
fn calc_with_book(from: &str, to: &str) -> (i32, String, String) {
    let book = tsp_payout::book::EMBEDDED;
    assert!(book.contains(from), "book text missing: {from}");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("book.toml");
    fs::write(&path, book.replacen(from, to, 1)).expect("write book");
    let out = bin()
        .args(["calc".as_ref(), fixture().as_os_str()])
        .args(["--book".as_ref(), path.as_os_str()])
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_november_overlapping_october_is_refused() {
    // Such a book paid October's days twice in the November credits.
    let (code, out, err) = calc_with_book(
        "nov = { start = \"2025-11-01\"",
        "nov = { start = \"2025-10-15\"",
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "nothing is paid: {out}");
    assert!(
        err.contains("windows.nov.start") && err.contains("overlaps oct"),
        "{err}"
    );
}

#[test]
fn a_bfcm_outside_the_program_is_refused() {
    let (code, out, err) = calc_with_book(
        "bfcm = { start = \"2025-11-12\", end = \"2025-12-01\" }",
        "bfcm = { start = \"2025-08-01\", end = \"2025-08-20\" }",
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "nothing is paid: {out}");
    assert!(
        err.contains("windows.bfcm: 2025-08-01..2025-08-20 is not inside the program period"),
        "{err}"
    );
}

#[test]
fn a_baseline_reaching_into_q4_is_refused() {
    let (code, _, err) = calc_with_book(
        "q3 = { start = \"2025-07-01\", end = \"2025-09-30\" }",
        "q3 = { start = \"2025-07-01\", end = \"2025-10-31\" }",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("windows.q3.end"), "{err}");
}

#[test]
fn a_better_rank_paid_less_is_refused() {
    let (code, _, err) = calc_with_book(
        "{ from = 2, to = 3, amount = 15000 }",
        "{ from = 2, to = 3, amount = 30000 }",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bfcm_matchmaking.prizes[1].amount"), "{err}");
}

#[test]
fn an_empty_tier_list_is_refused() {
    let (code, _, err) = calc_with_book(
        "tiers = [\n  { min = 1000, amount = 1000 },\n  { min = 10000, amount = 2500 },\n  { min = 50000, amount = 5000 },\n  { min = 150000, amount = 10000 },\n]",
        "tiers = []",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("creator_incubation.tiers: has no tier"),
        "{err}"
    );
}
