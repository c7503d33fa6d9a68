//! Inputs that exist but cannot be read are errors, never "absent" (README: "Inputs that
//! exist must be readable"), and files the tool does not read are named (README: "Files
//! the tool does not read"). A file changed while read (README: "A file that changes
//! while it is read is refused") is tested in `input::reader` and `input::split`.

mod common;
use common::*;
use predicates::prelude::*;
use std::fs;
use std::time::Duration;

const GMV: &str = "2025-10-01,P1,S1,100.00,0,0,0\n";

fn dir_with_gmv() -> tempfile::TempDir {
    data_dir(&[("gmv_daily.csv", &format!("{GMV_HEADER}{GMV}"))])
}

fn calc(dir: &std::path::Path) -> assert_cmd::assert::Assert {
    bin()
        .arg("calc")
        .arg(dir)
        // A few rows: coverage is not what these tests check.
        .arg("--allow-gaps")
        .timeout(Duration::from_secs(20))
        .assert()
}

#[test]
fn a_dangling_link_as_an_optional_file_is_an_error_not_absent() {
    let dir = dir_with_gmv();
    std::os::unix::fs::symlink(
        "/nonexistent/tiers.csv",
        dir.path().join("partner_tiers.csv"),
    )
    .unwrap();
    calc(dir.path())
        .code(66)
        .stderr(predicate::str::contains(
            "partner_tiers.csv: is a symbolic link to /nonexistent/tiers.csv",
        ))
        .stdout(predicate::str::contains("skipped").not());
}

#[test]
fn a_directory_as_an_optional_or_required_file_says_so() {
    let dir = dir_with_gmv();
    fs::create_dir(dir.path().join("creators.csv")).unwrap();
    calc(dir.path()).code(66).stderr(predicate::str::contains(
        "creators.csv: is a directory, not a file",
    ));
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("gmv_daily.csv")).unwrap();
    calc(dir.path())
        .code(66)
        .stderr(predicate::str::contains(
            "gmv_daily.csv: is a directory, not a file",
        ))
        .stderr(predicate::str::contains("missing").not());
}

fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo");
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    for name in ["matchmaking.csv", "gmv_daily.csv"] {
        let dir = dir_with_gmv();
        let path = dir.path().join(name);
        let _ = fs::remove_file(&path);
        mkfifo(&path);
        // A blocking open would hang until the timeout (and fail the assertion on code).
        calc(dir.path())
            .code(66)
            .stderr(predicate::str::contains(format!(
                "{name}: is a FIFO (named pipe), not a file"
            )));
    }
}

#[test]
fn an_unreadable_optional_file_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = dir_with_gmv();
    let path = dir.path().join("partner_tiers.csv");
    fs::write(&path, "partner_id,effective_date,tier\nP1,2025-01-01,2\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&path).is_ok() {
        // Running with privileges that read anything: there is nothing to refuse.
        return;
    }
    calc(dir.path()).code(66).stderr(predicate::str::contains(
        "partner_tiers.csv: cannot be opened: no read permission",
    ));
}

#[test]
fn a_link_to_a_readable_file_is_read() {
    let dir = dir_with_gmv();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("tiers.csv");
    fs::write(&target, "partner_id,effective_date,tier\nP1,2025-01-01,2\n").unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("partner_tiers.csv")).unwrap();
    calc(dir.path()).success().stderr(predicate::str::contains(
        "partner_tiers.csv      rows 1 = 1",
    ));
}

#[test]
fn files_not_read_are_named_with_the_closest_expected_name() {
    let dir = dir_with_gmv();
    for name in [
        "partner_tiers_2025.csv",
        "Creators.CSV",
        "notes.txt",
        ".DS_Store",
        "gmv_daily.xls",
    ] {
        fs::write(dir.path().join(name), "x\n").unwrap();
    }
    fs::create_dir(dir.path().join("old")).unwrap();
    calc(dir.path())
        .success()
        .stderr(predicate::str::contains(
            "partner_tiers_2025.csv is not read; did you mean partner_tiers.csv?",
        ))
        .stderr(predicate::str::contains(
            "Creators.CSV is not read; did you mean creators.csv?",
        ))
        .stderr(predicate::str::contains("notes.txt is not read\n"))
        .stderr(predicate::str::contains(
            "gmv_daily.xls is not read (inputs are read as .csv, .xlsx or .parquet); did you mean gmv_daily.xlsx?",
        ))
        .stderr(predicate::str::contains(".DS_Store").not())
        .stderr(predicate::str::contains("old is not read").not());
}

#[test]
fn the_sample_names_no_unread_file() {
    bin()
        .arg("calc")
        .arg(fixture())
        .assert()
        .success()
        .stderr(predicate::str::contains("is not read").not());
}

/// README "Inputs that exist must be readable": a `--book` or `--scenario` that is a FIFO
/// or a device is refused at once (exit 66), never waited on or read without end.
#[test]
fn a_book_or_scenario_that_is_no_regular_file_is_refused_at_once() {
    let dir = dir_with_gmv();
    let fifo = dir.path().join("book.toml.fifo");
    mkfifo(&fifo);
    bin()
        .arg("calc")
        .arg(dir.path())
        .arg("--book")
        .arg(&fifo)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(66)
        .stderr(predicate::str::contains("not a regular file"));
    bin()
        .arg("whatif")
        .arg(dir.path())
        .arg("--scenario")
        .arg("/dev/zero")
        .timeout(Duration::from_secs(20))
        .assert()
        .code(66)
        .stderr(predicate::str::contains("not a regular file"));
}
