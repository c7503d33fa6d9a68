//! `ledger list|show|export|verify`: what a finance team audits, and edits found.

mod ledger_kit;

use ledger_kit::{close, query, tsp, write_gmv};
use predicates::str::contains;
use std::path::{Path, PathBuf};

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    write_gmv(
        &data,
        &[
            ("2025-10-10", "P1", "S1", "12000.00"),  // 500
            ("2025-10-11", "=P2", "S2", "26000.00"), // 1,000, a hostile-looking id
            ("2025-11-11", "P1", "S3", "2000.00"),   // 250 in November
        ],
    );
    let ledger = work.path().join("l.ledger");
    close(work.path(), &data, &ledger, "2025-10");
    close(work.path(), &data, &ledger, "2025-11");
    (work, data, ledger)
}

fn ledger_cmd(cwd: &Path, ledger: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut c = tsp(cwd);
    c.arg("ledger").args(args).arg("--ledger").arg(ledger);
    c
}

fn stdout_of(c: &mut assert_cmd::Command) -> String {
    String::from_utf8(c.assert().success().get_output().stdout.clone()).unwrap()
}

#[test]
fn list_shows_every_close_with_its_totals() {
    let (work, _, ledger) = setup();
    let text = stdout_of(&mut ledger_cmd(work.path(), &ledger, &["list"]));
    assert!(text.contains(": 2 close(s)"), "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("|     ")).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[0].contains("| 2025-10 | close  |") && rows[0].contains(" 1,500.00 |"),
        "{text}"
    );
    assert!(
        rows[1].contains("| 2025-11 | close  |") && rows[1].contains(" 250.00 |"),
        "{text}"
    );
}

#[test]
fn show_lists_a_period_s_facts_inputs_and_lines() {
    let (work, _, ledger) = setup();
    let text = stdout_of(&mut ledger_cmd(work.path(), &ledger, &["show", "2025-10"]));
    assert!(text.contains("close 1: "), "{text}");
    let gmv = text
        .lines()
        .find(|l| l.starts_with("| gmv_daily.csv "))
        .expect("gmv_daily.csv row");
    assert!(
        gmv.ends_with("|    3 |    3 |       0 |         0 |        0 | 40,000.00 |"),
        "{text}"
    );
    assert!(
        text.contains("issued by close #1 (4 lines, cash 0.00, ad credits 1,500.00)"),
        "{text}"
    );
    assert!(
        text.contains("| P1         | affiliate_credits | 2025-10 | ad_credit |   500.00 |"),
        "{text}"
    );
    ledger_cmd(work.path(), &ledger, &["show", "q4"])
        .assert()
        .code(2)
        .stderr(contains("q4 is not closed in"));
}

#[test]
fn export_writes_every_table_as_csv() {
    let (work, _, ledger) = setup();
    let dir = work.path().join("export");
    let text = stdout_of(
        tsp(work.path())
            .args(["ledger", "export"])
            .arg(&dir)
            .arg("--ledger")
            .arg(&ledger),
    );
    assert!(text.starts_with("exported 6 table(s)"), "{text}");
    for t in [
        "closes",
        "close_inputs",
        "issued_lines",
        "affiliate_sellers",
        "affiliate_balances",
        "statement_files",
    ] {
        assert!(dir.join(format!("{t}.csv")).is_file(), "{t}");
    }
    let lines = std::fs::read_to_string(dir.join("issued_lines.csv")).unwrap();
    let lines = lines.trim_start_matches('\u{feff}');
    assert!(lines.starts_with(
        "id,close_id,reversal,partner_id,partner_name,program,period,kind,amount,basis,row_sha256\n"
    ));
    // Text that a spreadsheet would run is quoted; amounts stay numbers.
    assert!(
        lines.contains(",'=P2,,affiliate_credits,2025-10,ad_credit,1000.00,"),
        "{lines}"
    );
    // A second export into the same directory is refused.
    tsp(work.path())
        .args(["ledger", "export"])
        .arg(&dir)
        .arg("--ledger")
        .arg(&ledger)
        .assert()
        .code(74);
}

fn edit(ledger: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(ledger).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn verify_passes_an_untouched_ledger() {
    let (work, _, ledger) = setup();
    let text = stdout_of(&mut ledger_cmd(work.path(), &ledger, &["verify"]));
    assert!(
        text.contains("integrity ok, 2 close(s), hash chain intact"),
        "{text}"
    );
}

#[test]
fn verify_names_an_edited_amount() {
    let (work, _, ledger) = setup();
    let id = query(
        &ledger,
        "SELECT id FROM issued_lines WHERE partner_id = 'P1' AND period = '2025-10'
         AND program = 'affiliate_credits'",
    )[0][0]
        .clone();
    edit(
        &ledger,
        &format!("UPDATE issued_lines SET amount = '5000.00' WHERE id = {id}"),
    );
    ledger_cmd(work.path(), &ledger, &["verify"])
        .assert()
        .code(65)
        .stderr(contains(format!(
            "issued_lines row {id} (close #1: P1 affiliate_credits 2025-10 5000.00) was changed after its close"
        )));
}

#[test]
fn verify_names_a_row_removed_or_a_close_edited() {
    let (work, _, ledger) = setup();
    edit(
        &ledger,
        "DELETE FROM affiliate_sellers WHERE month = '2025-11';
         UPDATE closes SET as_of = '2025-11-30' WHERE id = 1;",
    );
    let out = ledger_cmd(work.path(), &ledger, &["verify"])
        .assert()
        .code(65)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("close #2 (2025-11): its rows do not match the close's sha256"),
        "{err}"
    );
    assert!(
        err.contains("close #1 (2025-10): the close record was changed after it was made"),
        "{err}"
    );
    assert!(
        err.contains("3 problem(s) found") || err.contains("problem(s) found"),
        "{err}"
    );
}

#[test]
fn verify_finds_a_close_rewritten_with_fresh_hashes_by_the_chain() {
    let (work, _, ledger) = setup();
    // An editor who recomputes a close's own hash still breaks the next close's link.
    edit(
        &ledger,
        "UPDATE closes SET close_sha256 = 'ffff' WHERE id = 1;",
    );
    let err = String::from_utf8(
        ledger_cmd(work.path(), &ledger, &["verify"])
            .assert()
            .code(65)
            .get_output()
            .stderr
            .clone(),
    )
    .unwrap();
    assert!(
        err.contains("close #2 (2025-11): the chain is broken"),
        "{err}"
    );
}

#[test]
fn a_stored_statement_path_that_would_leave_out_is_refused() {
    let (work, data, ledger) = setup();
    edit(
        &ledger,
        "UPDATE statement_files SET path = '../escaped.csv'
         WHERE path = 'credit_statement_2025-10.csv';",
    );
    let out = work.path().join("out");
    tsp(work.path())
        .args(["statements", "--month", "2025-10", "--ledger"])
        .arg(&ledger)
        .arg("--out")
        .arg(&out)
        .arg(&data)
        .assert()
        .code(65)
        .stderr(contains("stores a statement file named \"../escaped.csv\""));
    assert!(!work.path().join("escaped.csv").exists());
    assert!(!out.exists());
}
