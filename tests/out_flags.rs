//! The command line around --out: statements print like calc (--format), an --out that
//! cannot be written is refused before any data is read, a run says what it wrote, and
//! --quiet keeps stderr for warnings and errors.

mod common;

use common::{bin, fixture};
use std::fs;
use std::path::Path;

/// Runs tsp-payout; (exit code, stdout, stderr).
fn run(args: &[&str], out: Option<&Path>) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.args(args);
    if let Some(dir) = out {
        cmd.arg("--out").arg(dir);
    }
    let o = cmd.output().expect("run tsp-payout");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).expect("utf-8"),
        String::from_utf8(o.stderr).expect("utf-8"),
    )
}

fn sample() -> String {
    fixture().to_str().expect("utf-8 path").to_string()
}

#[test]
fn statements_print_table_csv_or_json() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("run");
    let (code, csv, _) = run(
        &[
            "statements",
            &sample(),
            "--month",
            "2025-11",
            "--format",
            "csv",
        ],
        Some(&dir),
    );
    assert_eq!(code, 0);
    let file = fs::read_to_string(dir.join("credit_statement_2025-11.csv")).expect("csv");
    assert_eq!(csv, file);
    assert!(
        csv.contains("\nP01,Brightline Commerce,5000.00,750.00,0.00,5750.00,13000.00\n"),
        "{csv}"
    );

    let (code, json, _) = run(
        &[
            "statements",
            &sample(),
            "--month",
            "2025-11",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["month"], "2025-11");
    assert_eq!(doc["as_of"], "2025-12-31");
    let p01 = &doc["partners"][0];
    assert_eq!(p01["partner_id"], "P01");
    assert_eq!(p01["short_video"], "5000.00");
    assert_eq!(p01["affiliate"], "750.00");
    assert_eq!(p01["total"], "5750.00");
    assert_eq!(p01["quarter_to_date"], "13000.00");
    // The totals are those of the table's TOTAL row.
    let (_, table, _) = run(&["statements", &sample(), "--month", "2025-11"], None);
    assert!(table.contains(
        "| TOTAL      | 12 partners                   |   31,000.00 | 18,250.00 |        0.00 | 49,250.00 |      105,750.00 |"
    ), "{table}");
    assert_eq!(
        doc["totals"],
        serde_json::json!({
            "short_video": "31000.00",
            "affiliate": "18250.00",
            "consistency": "0.00",
            "total": "49250.00",
            "quarter_to_date": "105750.00",
        })
    );
}

/// A data directory that would fail on reading (no gmv_daily.csv: exit 66).
fn unreadable_data() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn out_conflicts_are_found_before_any_data_is_read() {
    let data = unreadable_data();
    let data_arg = data.path().to_str().expect("utf-8").to_string();
    let tmp = tempfile::tempdir().expect("temp dir");

    // A file where OUT goes, and a file where a parent of OUT goes.
    let file = tmp.path().join("a-file");
    fs::write(&file, "x").expect("file");
    let (code, _, err) = run(&["calc", &data_arg], Some(&file));
    assert_eq!(code, 74, "{err}");
    assert_eq!(
        err,
        format!(
            "tsp-payout: {} is a file; --out must be a directory (or not exist yet)\n",
            file.display()
        )
    );
    let (code, _, err) = run(&["calc", &data_arg], Some(&file.join("run")));
    assert_eq!(code, 74, "{err}");
    assert_eq!(
        err,
        format!(
            "tsp-payout: {} is a file, where a parent directory of --out goes; --out must be a directory (or not exist yet)\n",
            file.display()
        )
    );

    // A run already there, without --force: calc, and a statements month already held.
    let calc_run = tmp.path().join("calc");
    assert_eq!(run(&["calc", &sample(), "-q"], Some(&calc_run)).0, 0);
    let (code, _, err) = run(&["calc", &data_arg], Some(&calc_run));
    assert_eq!(code, 74);
    assert_eq!(
        err,
        format!(
            "tsp-payout: {} already holds a run (manifest.json); pass --force to replace it\n",
            calc_run.display()
        )
    );
    let (code, _, err) = run(
        &["whatif", &data_arg, "--scenario", "none.toml"],
        Some(&calc_run),
    );
    assert_eq!(code, 74, "{err}");
    assert!(err.contains("holds a `calc` run"), "{err}");
    let months = tmp.path().join("months");
    let (code, _, _) = run(
        &["statements", &sample(), "--month", "2025-10", "-q"],
        Some(&months),
    );
    assert_eq!(code, 0);
    let (code, _, err) = run(
        &["statements", &data_arg, "--month", "2025-10"],
        Some(&months),
    );
    assert_eq!(code, 74, "{err}");
    assert!(
        err.contains("already holds the statements of 2025-10"),
        "{err}"
    );

    // A directory of other files.
    let foreign = tmp.path().join("foreign");
    fs::create_dir(&foreign).expect("dir");
    fs::write(foreign.join("notes.txt"), "mine").expect("file");
    let (code, _, err) = run(&["calc", &data_arg], Some(&foreign));
    assert_eq!(code, 74);
    assert!(err.contains("holds files but no manifest.json"), "{err}");

    // A directory another run is writing: its lock is held.
    let locked = tmp.path().join("locked");
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(tmp.path().join(".locked.lock"))
        .expect("lock file");
    {
        use std::io::Write;
        use std::os::unix::io::AsRawFd;
        writeln!(&lock, "4242").expect("pid");
        // SAFETY: flock on a file descriptor the test owns; released when it is closed.
        assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    }
    let (code, _, err) = run(&["calc", &data_arg], Some(&locked));
    assert_eq!(code, 74, "{err}");
    assert!(
        err.contains("is being written by another run (pid 4242"),
        "{err}"
    );
    drop(lock);
    // Without a usable --out problem the data is read: the missing file is the error.
    let (code, _, err) = run(&["calc", &data_arg], Some(&tmp.path().join("new")));
    assert_eq!(code, 66, "{err}");
}

#[test]
fn a_run_with_out_lists_what_it_wrote() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("run");
    let (code, _, err) = run(&["calc", &sample(), "--html"], Some(&dir));
    assert_eq!(code, 0);
    assert!(
        err.ends_with(&format!(
            "wrote 27 files to {}:\n  payouts.csv\n  statements/ (12 files)\n  html/ (13 files)\n  manifest.json\n",
            dir.display()
        )),
        "{err}"
    );
    let months = tmp.path().join("months");
    let (code, _, err) = run(
        &["statements", &sample(), "--month", "2025-12"],
        Some(&months),
    );
    assert_eq!(code, 0);
    assert!(
        err.ends_with(&format!(
            "wrote 14 files to {}:\n  credit_statement_2025-12.csv\n  statements/ (12 files)\n  manifest.json\n",
            months.display()
        )),
        "{err}"
    );
}

#[test]
fn quiet_leaves_only_warnings_and_errors_on_stderr() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (code, table, err) = run(&["calc", &sample(), "--quiet"], Some(&tmp.path().join("a")));
    assert_eq!(code, 0);
    assert_eq!(err, "");
    assert!(table.contains("| TOTAL      | 12 partners"), "{table}");
    let (code, _, err) = run(
        &[
            "calc",
            &sample(),
            "-q",
            "--format",
            "csv",
            "--as-of",
            "2025-11-20",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(err, "", "the skipped programs are a summary too");
    for args in [
        vec!["explain", "--partner", "P01", "-q"],
        vec!["statements", "--month", "2025-10", "-q"],
    ] {
        let data = sample();
        let mut full = vec![args[0], data.as_str()];
        full.extend(&args[1..]);
        let (code, _, err) = run(&full, None);
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    }
    // Errors still print.
    let data = common::data_dir(&[(
        "gmv_daily.csv",
        &format!("{}2025-10-01,P1,S1,12x,0,0,0\n", common::GMV_HEADER),
    )]);
    let (code, _, err) = run(&["calc", data.path().to_str().expect("utf-8"), "-q"], None);
    assert_eq!(code, 65);
    assert!(
        err.contains("gmv_daily.csv:2: column gmv: \"12x\""),
        "{err}"
    );
    assert!(!err.contains("reconciliation"), "{err}");
}
