//! The ledger under faults: a close killed at any point, two closes of one period at once,
//! a ledger of a newer schema, and reading commands that must not create a ledger.

mod ledger_kit;

use ledger_kit::{close, query, tsp, write_gmv};
use predicates::str::contains;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn rows() -> Vec<(String, String, String, String)> {
    let mut rows = Vec::new();
    for p in 1..=6 {
        for s in 1..=4 {
            rows.push((
                "2025-10-10".to_string(),
                format!("P{p}"),
                format!("S{s}"),
                format!("{}.00", 2000 * s * p),
            ));
            rows.push((
                "2025-11-10".to_string(),
                format!("P{p}"),
                format!("S{s}"),
                format!("{}.00", 1500 * s),
            ));
        }
    }
    rows
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let owned = rows();
    let refs: Vec<(&str, &str, &str, &str)> = owned
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    write_gmv(&data, &refs);
    (work, data)
}

/// The lines and seller rows a whole November close records.
fn november_counts(ledger: &Path) -> (String, String) {
    let q = |sql: &str| query(ledger, sql)[0][0].clone();
    (
        q("SELECT count(*) FROM issued_lines WHERE period = '2025-11'"),
        q("SELECT count(*) FROM affiliate_sellers WHERE month = '2025-11'"),
    )
}

fn close_child(
    cwd: &Path,
    data: &Path,
    ledger: &Path,
    period: &str,
    pause_ms: u64,
) -> std::process::Child {
    Command::new(assert_cmd::cargo::cargo_bin("tsp-payout"))
        .current_dir(cwd)
        .env_remove("TSP_PAYOUT_LEDGER")
        .env("TSP_PAYOUT_CLOSE_PAUSE_MS", pause_ms.to_string())
        .args(["close", "--allow-gaps", "--period", period, "--ledger"])
        .arg(ledger)
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn close")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    /// Killed at any point, a close leaves the ledger as it was before or with the whole
    /// close: never part of it. The ledger verifies either way, and the period can then be
    /// closed (or is refused as closed).
    #[test]
    fn a_close_killed_at_any_point_leaves_all_or_nothing(kill_after_ms in 0u64..400) {
        let (work, data) = setup();
        let reference = work.path().join("reference.ledger");
        close(work.path(), &data, &reference, "2025-10");
        close(work.path(), &data, &reference, "2025-11");
        let whole = november_counts(&reference);

        let ledger = work.path().join("l.ledger");
        close(work.path(), &data, &ledger, "2025-10");
        let before = query(&ledger, "SELECT count(*) FROM issued_lines")[0][0].clone();
        // 2 ms between rows: the transaction stays open long enough to be hit.
        let mut child = close_child(work.path(), &data, &ledger, "2025-11", 2);
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();

        tsp(work.path()).args(["ledger", "verify", "--ledger"]).arg(&ledger).assert().success();
        let closes = query(&ledger, "SELECT count(*) FROM closes WHERE period = '2025-11'")[0][0].clone();
        match closes.as_str() {
            "0" => {
                prop_assert!(!status.success());
                prop_assert_eq!(
                    query(&ledger, "SELECT count(*) FROM issued_lines")[0][0].clone(),
                    before
                );
                prop_assert_eq!(november_counts(&ledger), ("0".to_string(), "0".to_string()));
                close(work.path(), &data, &ledger, "2025-11");
                prop_assert_eq!(november_counts(&ledger), whole.clone());
            }
            "1" => {
                prop_assert_eq!(november_counts(&ledger), whole.clone());
                tsp(work.path())
                    .args(["close", "--allow-gaps", "--period", "2025-11", "--ledger"])
                    .arg(&ledger)
                    .arg(&data)
                    .assert()
                    .code(2);
            }
            other => prop_assert!(false, "{} closes of 2025-11", other),
        }
    }
}

#[test]
fn of_two_closes_of_one_period_at_once_exactly_one_succeeds() {
    let (work, data) = setup();
    for round in 0..5 {
        let ledger = work.path().join(format!("race-{round}.ledger"));
        // Both start before either has created the file.
        let a = close_child(work.path(), &data, &ledger, "2025-10", 1);
        let b = close_child(work.path(), &data, &ledger, "2025-10", 1);
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let codes = [a.status.code(), b.status.code()];
        assert!(
            codes == [Some(0), Some(2)] || codes == [Some(2), Some(0)],
            "round {round}: {codes:?}\n{}\n{}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        let loser = if a.status.success() { &b } else { &a };
        assert!(
            String::from_utf8_lossy(&loser.stderr).contains("2025-10 is already closed: close #1"),
            "{}",
            String::from_utf8_lossy(&loser.stderr)
        );
        assert_eq!(query(&ledger, "SELECT count(*) FROM closes"), [["1"]]);
        tsp(work.path())
            .args(["ledger", "verify", "--ledger"])
            .arg(&ledger)
            .assert()
            .success();
    }
}

#[test]
fn a_ledger_of_a_newer_schema_is_refused_and_left_as_it_is() {
    let (work, data) = setup();
    let ledger = work.path().join("l.ledger");
    close(work.path(), &data, &ledger, "2025-10");
    let conn = rusqlite::Connection::open(&ledger).unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    drop(conn);
    let bytes = std::fs::read(&ledger).unwrap();
    let message =
        "has schema version 2, written by a newer tsp-payout (this one reads versions up to 1)";
    tsp(work.path())
        .args(["ledger", "list", "--ledger"])
        .arg(&ledger)
        .assert()
        .code(65)
        .stderr(contains(message));
    tsp(work.path())
        .args(["close", "--allow-gaps", "--period", "2025-11", "--ledger"])
        .arg(&ledger)
        .arg(&data)
        .assert()
        .code(65)
        .stderr(contains(message));
    tsp(work.path())
        .args(["calc", "--allow-gaps", "--ledger"])
        .arg(&ledger)
        .arg(&data)
        .assert()
        .code(65)
        .stderr(contains(message));
    assert_eq!(std::fs::read(&ledger).unwrap(), bytes);
}

#[test]
fn reading_commands_never_create_a_ledger() {
    let (work, data) = setup();
    let named = work.path().join("missing.ledger");
    let scenario = work.path().join("s.toml");
    std::fs::write(&scenario, "name = \"none\"\n").unwrap();
    let runs: Vec<Vec<String>> = vec![
        vec!["calc".into()],
        vec!["statements".into(), "--month".into(), "2025-10".into()],
        vec!["explain".into(), "--partner".into(), "P1".into()],
        vec![
            "whatif".into(),
            "--scenario".into(),
            scenario.display().to_string(),
        ],
    ];
    for args in &runs {
        // Named and missing: refused (66), not created.
        tsp(work.path())
            .args(args)
            .arg("--allow-gaps")
            .arg("--ledger")
            .arg(&named)
            .arg(&data)
            .assert()
            .code(66)
            .stderr(contains("no ledger at"));
        // The default and the environment's: computed without one, not created.
        tsp(work.path())
            .args(args)
            .arg("--allow-gaps")
            .arg(&data)
            .assert()
            .success();
        tsp(work.path())
            .env("TSP_PAYOUT_LEDGER", &named)
            .args(args)
            .arg("--allow-gaps")
            .arg(&data)
            .assert()
            .success()
            .stderr(contains("(TSP_PAYOUT_LEDGER): every period is computed"));
    }
    for args in [
        vec!["ledger", "list"],
        vec!["ledger", "verify"],
        vec!["ledger", "show", "2025-10"],
    ] {
        tsp(work.path())
            .args(&args)
            .arg("--ledger")
            .arg(&named)
            .assert()
            .code(66);
        tsp(work.path()).args(&args).assert().code(66);
    }
    assert!(!named.exists());
    assert!(!work.path().join("tsp-payout.ledger").exists());
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("ledger"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
