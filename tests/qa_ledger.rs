//! The ledger against a finance team's mistakes and an adversary: mixed books, a ledger
//! file cut back to an earlier state, and a restated export after a close.

mod ledger_kit;

use ledger_kit::tsp;
use predicates::prelude::*;
use predicates::str::contains;
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/q4-sample")
}

fn close(cwd: &Path, ledger: &Path, period: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    tsp(cwd)
        .args([
            "close",
            "--allow-gaps",
            "--as-of",
            "2025-12-31",
            "--period",
            period,
        ])
        .args(extra)
        .arg("--ledger")
        .arg(ledger)
        .arg(sample())
        .assert()
}

fn sql(ledger: &Path, statements: &str) {
    let conn = rusqlite::Connection::open(ledger).expect("open ledger");
    conn.execute_batch(statements).expect("edit ledger");
}

/// November's true-up is taken against October as issued; when November is closed under
/// another book (here the first affiliate tier pays 300, not 250), the difference is paid
/// as a November "true-up" without a word. The close must say the books differ.
#[test]
fn a_close_under_another_book_than_the_ledgers_earlier_closes_is_said() {
    let work = tempfile::tempdir().unwrap();
    let ledger = work.path().join("l.ledger");
    let book =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("book/q4-2025.toml"))
            .unwrap();
    let changed = book.replace(
        "{ min = 2000, amount = 250 }",
        "{ min = 2000, amount = 300 }",
    );
    assert_ne!(book, changed, "the book's first affiliate tier moved");
    let other = work.path().join("other.toml");
    std::fs::write(&other, changed).unwrap();
    close(work.path(), &ledger, "2025-10", &[]).success();
    close(
        work.path(),
        &ledger,
        "2025-11",
        &["--book", other.to_str().unwrap()],
    )
    .success()
    .stderr(contains("warning: ledger"))
    .stderr(contains("holds closes under book"))
    .stderr(contains("closed periods stand as issued under their book"));
    // October's book is still in the ledger at December's close.
    close(
        work.path(),
        &ledger,
        "2025-12",
        &["--book", other.to_str().unwrap()],
    )
    .success()
    .stderr(contains("holds closes under book"));
    // A reading run mixes them too: closed periods under theirs, open ones under its own.
    tsp(work.path())
        .args(["calc", "--allow-gaps", "--as-of", "2025-12-31", "--ledger"])
        .arg(&ledger)
        .arg(sample())
        .assert()
        .success()
        .stderr(contains(
            "closed periods are shown as issued under their book",
        ));
    // The same book throughout says nothing.
    let again = work.path().join("again.ledger");
    close(work.path(), &again, "2025-10", &[]).success();
    close(work.path(), &again, "2025-11", &[])
        .success()
        .stderr(contains("holds closes under book").not());
    tsp(work.path())
        .args(["calc", "--allow-gaps", "--as-of", "2025-12-31", "--ledger"])
        .arg(&again)
        .arg(sample())
        .assert()
        .success()
        .stderr(contains("holds closes under book").not());
}

/// A ledger restored from yesterday's backup, or with its last close deleted by hand,
/// still has an intact chain: nothing inside the file shows the lost close. The head a
/// close prints, kept elsewhere, does (`ledger verify --head`).
#[test]
fn removing_the_last_close_is_detected_by_verify_against_the_head_a_close_printed() {
    let work = tempfile::tempdir().unwrap();
    let ledger = work.path().join("l.ledger");
    close(work.path(), &ledger, "2025-10", &[]).success();
    let printed = close(work.path(), &ledger, "2025-11", &[]).success();
    let stdout = String::from_utf8(printed.get_output().stdout.clone()).unwrap();
    let head = stdout
        .lines()
        .find_map(|l| l.strip_prefix("ledger head: "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the close prints the ledger head")
        .to_string();
    assert_eq!(head.len(), 64, "{stdout}");
    let stored: String = rusqlite::Connection::open(&ledger)
        .unwrap()
        .query_row("SELECT close_sha256 FROM closes WHERE id = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(head, stored);
    // Before the removal the head is found, by its first 16 digits as by all 64.
    for given in [&head[..16], head.as_str()] {
        tsp(work.path())
            .args(["ledger", "verify", "--head", given, "--ledger"])
            .arg(&ledger)
            .assert()
            .success()
            .stdout(contains("2 close(s)"))
            .stdout(contains(format!(
                "head {} is close #2 (2025-11), 0 close(s) since",
                given
            )));
    }
    sql(
        &ledger,
        "DELETE FROM statement_files WHERE close_id = 2;
         DELETE FROM affiliate_balances WHERE close_id = 2;
         DELETE FROM affiliate_sellers WHERE close_id = 2;
         DELETE FROM issued_lines WHERE close_id = 2;
         DELETE FROM close_inputs WHERE close_id = 2;
         DELETE FROM closes WHERE id = 2;",
    );
    // Without the head the chain cannot tell; it names the head it ends at.
    tsp(work.path())
        .args(["ledger", "verify", "--ledger"])
        .arg(&ledger)
        .assert()
        .success()
        .stdout(contains("last close #1 (2025-10), head"));
    tsp(work.path())
        .args(["ledger", "verify", "--head", &head[..16], "--ledger"])
        .arg(&ledger)
        .assert()
        .code(65)
        .stderr(contains("is no close in the ledger"))
        .stderr(contains("the ledger now ends at close #1 (2025-10)"));
    // A head too short to name one close is a usage error.
    tsp(work.path())
        .args(["ledger", "verify", "--head", &head[..8], "--ledger"])
        .arg(&ledger)
        .assert()
        .code(2)
        .stderr(contains("at least 16 hex digits"));
}

/// A ledger file emptied (a failed copy, a truncating editor) must not read as a ledger
/// without closes: `verify` would pass and every period would close again, paid twice.
/// A new ledger is never left empty (it appears with its tables), so an empty file is
/// refused by every command.
#[test]
fn an_emptied_ledger_is_not_taken_for_a_ledger_without_closes() {
    let work = tempfile::tempdir().unwrap();
    let ledger = work.path().join("l.ledger");
    close(work.path(), &ledger, "2025-10", &[]).success();
    std::fs::write(&ledger, b"").unwrap();
    tsp(work.path())
        .args(["ledger", "verify", "--ledger"])
        .arg(&ledger)
        .assert()
        .code(65)
        .stderr(contains("an empty file (0 bytes)"));
    close(work.path(), &ledger, "2025-10", &[])
        .code(65)
        .stderr(contains("an empty file (0 bytes)"))
        .stderr(contains("restore it from a copy"));
    assert_eq!(
        std::fs::metadata(&ledger).unwrap().len(),
        0,
        "left as it was"
    );
    tsp(work.path())
        .args(["calc", "--allow-gaps", "--ledger"])
        .arg(&ledger)
        .arg(sample())
        .assert()
        .code(65);
    // An SQLite file without the ledger's tables does not verify either.
    let bare = work.path().join("bare.ledger");
    sql(&bare, "CREATE TABLE t (x); DROP TABLE t;");
    assert!(std::fs::metadata(&bare).unwrap().len() > 0);
    tsp(work.path())
        .args(["ledger", "verify", "--ledger"])
        .arg(&bare)
        .assert()
        .code(65)
        .stderr(contains("holds no ledger tables"));
}

/// A first close leaves nothing beside the ledger, and the ledger it creates holds its
/// tables from the start.
#[test]
fn a_first_close_leaves_only_the_ledger() {
    let work = tempfile::tempdir().unwrap();
    let ledger = work.path().join("l.ledger");
    close(work.path(), &ledger, "2025-10", &[]).success();
    let names: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["l.ledger"]);
}

/// What `verify` must name: an edited amount, a row added by copying one (its row hash is
/// valid), and an edited close.
#[test]
fn verify_names_an_edited_copied_or_moved_row() {
    let work = tempfile::tempdir().unwrap();
    let ledger = work.path().join("l.ledger");
    close(work.path(), &ledger, "2025-10", &[]).success();
    close(work.path(), &ledger, "2025-11", &[]).success();
    let cases = [
        ("UPDATE issued_lines SET amount = '9999.00' WHERE id = 3", "issued_lines row 3"),
        (
            "INSERT INTO issued_lines (close_id, reversal, partner_id, partner_name, program, period, kind, amount, basis, row_sha256)
             SELECT close_id, reversal, partner_id, partner_name, program, period, kind, amount, basis, row_sha256 FROM issued_lines WHERE id = 4",
            "a row was added, removed or moved",
        ),
        ("UPDATE closes SET as_of = '2025-11-30' WHERE id = 1", "close #1 (2025-10)"),
        ("UPDATE affiliate_sellers SET month = '2025-11' WHERE id = 1", "affiliate_sellers row 1"),
    ];
    for (edit, named) in cases {
        let copy = work.path().join("copy.ledger");
        std::fs::copy(&ledger, &copy).unwrap();
        sql(&copy, edit);
        let out = tsp(work.path())
            .args(["ledger", "verify", "--ledger"])
            .arg(&copy)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(65), "{edit}");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(said.contains(named), "{edit}: {said}");
        std::fs::remove_file(&copy).unwrap();
    }
}

/// A closed month's statement is what the close wrote, byte for byte, after the export
/// was restated; the next month's close takes October as issued.
#[test]
fn a_closed_months_statement_survives_a_restatement_byte_for_byte() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for f in std::fs::read_dir(sample()).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), data.join(f.file_name())).unwrap();
    }
    let ledger = work.path().join("l.ledger");
    let statements = |out: &str| {
        tsp(work.path())
            .args([
                "statements",
                "--allow-gaps",
                "--as-of",
                "2025-12-31",
                "--month",
                "2025-10",
                "--ledger",
            ])
            .arg(&ledger)
            .arg("--out")
            .arg(work.path().join(out))
            .arg(&data)
            .assert()
            .success();
        std::fs::read(work.path().join(out).join("credit_statement_2025-10.csv")).unwrap()
    };
    tsp(work.path())
        .args([
            "close",
            "--allow-gaps",
            "--as-of",
            "2025-12-31",
            "--period",
            "2025-10",
            "--ledger",
        ])
        .arg(&ledger)
        .arg(&data)
        .assert()
        .success();
    let before = statements("s1");
    // P06's October affiliate GMV restated to zero.
    let gmv = std::fs::read_to_string(data.join("gmv_daily.csv")).unwrap();
    let restated: String = gmv
        .lines()
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            if c[1] == "P06" && c[0].starts_with("2025-10") {
                c[6] = "0.00";
            }
            c.join(",") + "\n"
        })
        .collect();
    assert_ne!(gmv, restated);
    std::fs::write(data.join("gmv_daily.csv"), restated).unwrap();
    assert_eq!(before, statements("s2"));
    assert!(String::from_utf8_lossy(&before).contains("P06"));
}

/// `calc` with `$TSP_PAYOUT_LEDGER` naming a missing file says so and never creates it.
#[test]
fn calc_never_creates_the_ledger_named_by_the_environment() {
    let work = tempfile::tempdir().unwrap();
    let ledger = work.path().join("dir with space/missing.ledger");
    std::fs::create_dir(work.path().join("dir with space")).unwrap();
    tsp(work.path())
        .env("TSP_PAYOUT_LEDGER", &ledger)
        .args(["calc", "--allow-gaps", "--as-of", "2025-12-31"])
        .arg(sample())
        .assert()
        .success()
        .stderr(contains("no ledger at"));
    assert!(!ledger.exists());
}

/// Reopening October after November is closed recomputes October against nothing after it:
/// October restated from 3,000 to 30,000 of affiliate GMV issues 1,000 again although
/// November's close already issued 750 of it as its true-up. The partner is paid 1,750
/// on an entitlement of 1,000 with exit 0; December only lists 750 as recoverable.
/// Reopening is refused while a later month is closed (the later true-up was taken against
/// it as issued); the next open month's true-up takes the restatement up.
#[test]
fn reopening_a_month_before_a_closed_month_does_not_pay_the_true_up_twice() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let ledger = work.path().join("l.ledger");
    let write = |oct: &str| {
        let rows = [
            ("2025-10-05", "P1", "S1", oct),
            ("2025-11-05", "P1", "S1", "30000"),
        ];
        ledger_kit::write_gmv(&data, &rows);
    };
    let run = |args: &[&str]| {
        tsp(work.path())
            .args(["close", "--allow-gaps", "--as-of", "2025-12-31", "--ledger"])
            .arg(&ledger)
            .args(args)
            .arg(&data)
            .assert()
    };
    write("3000");
    run(&["--period", "2025-10"]).success();
    run(&["--period", "2025-11"]).success();
    write("30000");
    let reopen = |period: &str| {
        run(&[
            "--period",
            period,
            "--reopen",
            "--reason",
            "October restated up",
        ])
    };
    reopen("2025-10").code(2).stderr(contains(
        "2025-10 cannot be reopened while 2025-11 is closed",
    ));
    let issued = |program: &str| {
        ledger_kit::query(
            &ledger,
            &format!("SELECT amount FROM issued_lines WHERE program = '{program}' ORDER BY rowid"),
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect::<Vec<_>>()
    };
    // Nothing was recorded by the refused reopen: October 250, November 750.
    assert_eq!(issued("affiliate_credits"), ["250.00", "750.00"]);
    // December's true-up takes the restatement up: the entitlement on the cumulative
    // 60,000.00 (book affiliate_credits.tiers: 1,000.00) less the 1,000.00 issued, 0.00.
    run(&["--period", "2025-12"]).success();
    let net: rust_decimal::Decimal = issued("affiliate_credits")
        .iter()
        .map(|a| a.parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(
        net.to_string(),
        "1000.00",
        "net affiliate credits issued to P1"
    );
}

/// The default ledger is the current directory's: a close run from another directory
/// starts a new ledger and issues October again. The close must say that the ledger held
/// no closes, with the full path. (An emptied ledger file is refused:
/// `an_emptied_ledger_is_not_taken_for_a_ledger_without_closes`.)
#[test]
fn a_close_into_a_new_ledger_says_so() {
    let work = tempfile::tempdir().unwrap();
    let ledger = work.path().join("tsp-payout.ledger");
    let first = |assert: assert_cmd::assert::Assert| {
        assert
            .success()
            .stderr(contains("held no closes before this one: a new ledger"))
            .stderr(contains(work.path().to_str().unwrap()));
    };
    first(close(
        work.path(),
        Path::new("tsp-payout.ledger"),
        "2025-10",
        &[],
    ));
    close(work.path(), &ledger, "2025-11", &[])
        .success()
        .stderr(contains("a new ledger").not());
}

/// A reopen re-issues paid money; a blank `--reason` leaves the ledger without the why.
#[test]
fn a_reopen_with_a_blank_reason_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let ledger = work.path().join("l.ledger");
    close(work.path(), &ledger, "2025-10", &[]).success();
    for blank in ["", "   ", "\t\n"] {
        close(
            work.path(),
            &ledger,
            "2025-10",
            &["--reopen", "--reason", blank],
        )
        .code(2)
        .stderr(contains("--reason is blank"));
    }
    let closes = ledger_kit::query(&ledger, "SELECT count(*) FROM closes");
    assert_eq!(closes[0][0], "1");
}
