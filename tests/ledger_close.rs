//! `close`: what it records (read back with rusqlite), and every refusal.

mod ledger_kit;

use ledger_kit::{close, query, tsp, write_gmv};
use predicates::str::contains;
use std::path::{Path, PathBuf};

const ROWS: &[(&str, &str, &str, &str)] = &[
    ("2025-10-10", "P1", "S1", "12000.00"), // 500 in October
    ("2025-11-10", "P1", "S2", "2500.00"),  // 250 in November
    ("2025-11-20", "P2", "S5", "30000.00"), // 1,000 in November
];

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    write_gmv(&data, ROWS);
    let ledger = work.path().join("payouts.ledger");
    (work, data, ledger)
}

fn close_cmd(cwd: &Path, data: &Path, ledger: &Path, period: &str) -> assert_cmd::Command {
    let mut c = tsp(cwd);
    c.args(["close", "--allow-gaps", "--period", period, "--ledger"])
        .arg(ledger)
        .arg(data);
    c
}

#[test]
fn a_close_records_its_lines_and_facts_as_an_sqlite_file() {
    let (work, data, ledger) = setup();
    let stdout = tsp(work.path())
        .args([
            "close",
            "--allow-gaps",
            "--period",
            "2025-10",
            "--note",
            "export of 2 Nov",
        ])
        .arg("--ledger")
        .arg(&ledger)
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        stdout.starts_with("closed 2025-10 in ledger ")
            && stdout.contains("as close #1 (")
            && stdout.contains("4 line(s), cash 0.00, ad credits 500.00"),
        "{stdout}"
    );
    // Read back with rusqlite, as any SQLite client would.
    assert_eq!(query(&ledger, "PRAGMA user_version"), [["1"]]);
    assert_eq!(
        query(&ledger, "PRAGMA application_id"),
        [[0x5453_5050.to_string()]]
    );
    let closes = query(
        &ledger,
        "SELECT id, period, action, as_of, tool_version, note, reason, length(book_sha256),
                length(close_sha256), prev_sha256 FROM closes",
    );
    assert_eq!(
        closes,
        [[
            "1",
            "2025-10",
            "close",
            "2025-12-31",
            env!("CARGO_PKG_VERSION"),
            "export of 2 Nov",
            "NULL",
            "64",
            "64",
            &"0".repeat(64)
        ]]
    );
    // Amounts are exact decimal text.
    let lines = query(
        &ledger,
        "SELECT partner_id, program, period, kind, amount, typeof(amount) FROM issued_lines
         ORDER BY partner_id, program",
    );
    assert_eq!(
        lines,
        [
            [
                "P1",
                "affiliate_credits",
                "2025-10",
                "ad_credit",
                "500.00",
                "text"
            ],
            [
                "P1",
                "short_video_top15",
                "2025-10",
                "ad_credit",
                "0.00",
                "text"
            ],
            [
                "P2",
                "affiliate_credits",
                "2025-10",
                "ad_credit",
                "0.00",
                "text"
            ],
            [
                "P2",
                "short_video_top15",
                "2025-10",
                "ad_credit",
                "0.00",
                "text"
            ],
        ]
    );
    assert_eq!(
        query(
            &ledger,
            "SELECT partner_id, seller_id, month, amount FROM affiliate_sellers"
        ),
        [["P1", "S1", "2025-10", "500.00"]]
    );
    let inputs = query(
        &ledger,
        "SELECT file, present, length(sha256), rows_read, rows_used, rows_outside, gmv_read
         FROM close_inputs WHERE file = 'gmv_daily.csv'",
    );
    assert_eq!(
        inputs,
        [["gmv_daily.csv", "1", "64", "3", "3", "0", "44500.00"]]
    );
    let files = query(&ledger, "SELECT path FROM statement_files ORDER BY path");
    let paths: Vec<&str> = files.iter().map(|r| r[0].as_str()).collect();
    assert!(paths.contains(&"credit_statement_2025-10.csv"), "{paths:?}");
    assert!(paths.contains(&"statements/2025-10/P1.md"), "{paths:?}");
    assert!(paths.contains(&"statement_table.txt"), "{paths:?}");
}

#[test]
fn q4_and_bfcm_close_the_cash_programs_and_the_challenges() {
    let (work, data, ledger) = setup();
    close(work.path(), &data, &ledger, "q4");
    close(work.path(), &data, &ledger, "bfcm");
    let programs = query(
        &ledger,
        "SELECT DISTINCT c.period, l.program FROM issued_lines l JOIN closes c ON c.id = l.close_id
         ORDER BY c.period, l.program",
    );
    assert_eq!(
        programs,
        [
            ["bfcm", "bfcm_live_championship"],
            ["bfcm", "bfcm_seller_challenge"],
            ["q4", "gmv_growth"],
        ],
        "the programs whose files are present"
    );
    // No statement files: those are the months'.
    assert_eq!(
        query(&ledger, "SELECT count(*) FROM statement_files"),
        [["0"]]
    );
}

#[test]
fn a_closed_period_is_refused_naming_when_it_was_closed() {
    let (work, data, ledger) = setup();
    close(work.path(), &data, &ledger, "2025-10");
    let closed_at = query(&ledger, "SELECT closed_at FROM closes")[0][0].clone();
    close_cmd(work.path(), &data, &ledger, "2025-10")
        .assert()
        .code(2)
        .stderr(contains(format!(
            "2025-10 is already closed: close #1 at {closed_at} (as of 2025-12-31)"
        )));
    assert_eq!(query(&ledger, "SELECT count(*) FROM closes"), [["1"]]);
}

#[test]
fn a_period_not_ended_by_the_as_of_is_refused() {
    let (work, data, ledger) = setup();
    close_cmd(work.path(), &data, &ledger, "2025-11")
        .args(["--as-of", "2025-11-29"])
        .assert()
        .code(2)
        .stderr(contains(
            "2025-11 has not ended by --as-of 2025-11-29 (it ends 2025-11-30)",
        ));
    close_cmd(work.path(), &data, &ledger, "q4")
        .args(["--as-of", "2025-12-30"])
        .assert()
        .code(2)
        .stderr(contains("q4 has not ended by --as-of 2025-12-30"));
    assert!(!ledger.exists(), "a refused close creates no ledger");
}

#[test]
fn an_unknown_period_is_refused() {
    let (work, data, ledger) = setup();
    close_cmd(work.path(), &data, &ledger, "2025-09")
        .assert()
        .code(2)
        .stderr(contains(
            "--period 2025-09 is not a period of the program (one of 2025-10, 2025-11, 2025-12, q4, bfcm)",
        ));
}

#[test]
fn months_close_in_order() {
    let (work, data, ledger) = setup();
    close_cmd(work.path(), &data, &ledger, "2025-11")
        .assert()
        .code(2)
        .stderr(contains(
            "2025-11 cannot be closed before 2025-10: months close in order",
        ));
    assert!(!ledger.exists());
}

#[test]
fn a_reopen_reverses_the_earlier_lines_and_records_the_new_ones() {
    let (work, data, ledger) = setup();
    close(work.path(), &data, &ledger, "2025-10");
    // Not without a reason, and not for a period that is not closed.
    close_cmd(work.path(), &data, &ledger, "2025-10")
        .arg("--reopen")
        .assert()
        .code(2)
        .stderr(contains("--reason"));
    close_cmd(work.path(), &data, &ledger, "q4")
        .args(["--reopen", "--reason", "x"])
        .assert()
        .code(2)
        .stderr(contains("q4 is not closed in"));
    // The export is corrected: S1 had 30,000.00 in October.
    write_gmv(
        &data,
        &[
            ("2025-10-10", "P1", "S1", "30000.00"),
            ("2025-11-10", "P1", "S2", "2500.00"),
        ],
    );
    let out = close_cmd(work.path(), &data, &ledger, "2025-10")
        .args(["--reopen", "--reason", "S1 restated by the platform"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("reopened 2025-10"), "{out}");
    assert!(
        out.contains("the lines of close #1 are reversed; reason: S1 restated by the platform"),
        "{out}"
    );
    let rows = query(
        &ledger,
        "SELECT close_id, reversal, amount FROM issued_lines
         WHERE partner_id = 'P1' AND program = 'affiliate_credits' ORDER BY id",
    );
    assert_eq!(
        rows,
        [
            ["1", "0", "500.00"],
            ["2", "1", "-500.00"],
            ["2", "0", "1000.00"]
        ]
    );
    assert_eq!(
        query(
            &ledger,
            "SELECT id, action, replaces, reason FROM closes ORDER BY id"
        ),
        [
            ["1", "close", "NULL", "NULL"],
            ["2", "reopen", "1", "S1 restated by the platform"]
        ]
    );
    // The seller ledger nets to the new issue: November is trued up against 1,000.
    assert_eq!(
        query(
            &ledger,
            "SELECT sum(CAST(amount AS INTEGER)) FROM affiliate_sellers WHERE seller_id = 'S1'"
        ),
        [["1000"]]
    );
    tsp(work.path())
        .args(["ledger", "verify", "--ledger"])
        .arg(&ledger)
        .assert()
        .success();
}

#[test]
fn the_ledger_comes_from_the_environment_or_the_current_directory() {
    let (work, data, _) = setup();
    let env_ledger = work.path().join("from-env.ledger");
    tsp(work.path())
        .env("TSP_PAYOUT_LEDGER", &env_ledger)
        .args(["close", "--allow-gaps", "--period", "2025-10"])
        .arg(&data)
        .assert()
        .success();
    assert!(env_ledger.exists());
    assert!(!work.path().join("tsp-payout.ledger").exists());
    tsp(work.path())
        .args(["close", "--allow-gaps", "--period", "q4"])
        .arg(&data)
        .assert()
        .success()
        .stdout(contains("in ledger tsp-payout.ledger as close #1"));
    assert!(work.path().join("tsp-payout.ledger").exists());
}

#[test]
fn a_file_that_is_not_a_ledger_is_refused_and_left_alone() {
    let (work, data, _) = setup();
    let text = work.path().join("notes.txt");
    std::fs::write(&text, "payouts, not a database\n".repeat(200)).unwrap();
    close_cmd(work.path(), &data, &text, "2025-10")
        .assert()
        .code(65)
        .stderr(contains(
            "is not a tsp-payout ledger: not an SQLite database",
        ));
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "payouts, not a database\n".repeat(200)
    );
    // Another application's SQLite database.
    let other = work.path().join("other.db");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(conn);
    close_cmd(work.path(), &data, &other, "2025-10")
        .assert()
        .code(65)
        .stderr(contains("an SQLite database with other tables"));
}

#[test]
fn bad_data_records_nothing() {
    let (work, data, ledger) = setup();
    std::fs::write(
        data.join("gmv_daily.csv"),
        format!("{}2025-10-10,P1,S1,12x,0,0,0\n", ledger_kit::GMV_HEADER),
    )
    .unwrap();
    close_cmd(work.path(), &data, &ledger, "2025-10")
        .assert()
        .code(65);
    assert!(!ledger.exists());
}
