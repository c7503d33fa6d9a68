//! Golden files: what the sample prints and writes, compared byte for byte with
//! `tests/golden/`, so any change of format or figures is reviewed as a diff of those files.
//!
//! After a reviewed change, `BLESS=1 cargo test --test golden` writes the new outputs over the
//! golden files; commit them with the change that explains them.

mod common;

use common::{bin, fixture};
use std::fs;
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn blessing() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Compares `actual` with `tests/golden/<name>` byte for byte, or writes it there under BLESS.
fn check(name: &str, actual: &[u8]) {
    let path = golden_dir().join(name);
    if blessing() {
        fs::create_dir_all(golden_dir()).expect("create tests/golden");
        fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `BLESS=1 cargo test --test golden` to create it",
            path.display()
        )
    });
    if expected == actual {
        return;
    }
    let (exp, act) = (
        String::from_utf8_lossy(&expected),
        String::from_utf8_lossy(actual),
    );
    let mut exp_lines = exp.split_inclusive('\n');
    let mut act_lines = act.split_inclusive('\n');
    let mut n = 1;
    let first_difference = loop {
        match (exp_lines.next(), act_lines.next()) {
            (Some(e), Some(a)) if e == a => n += 1,
            (e, a) => break format!("line {n}:\n  golden: {e:?}\n  now:    {a:?}"),
        }
    };
    panic!(
        "{name} differs from tests/golden/{name} ({} bytes golden, {} now), first at {first_difference}\n\
         If the change is intended, review it and run `BLESS=1 cargo test --test golden`.",
        expected.len(),
        actual.len()
    );
}

/// Runs the binary with `args`, requiring success; returns its standard output.
fn stdout_of(args: &[&str]) -> Vec<u8> {
    let out = bin().args(args).output().expect("run tsp-payout");
    assert!(
        out.status.success(),
        "tsp-payout {args:?} exited {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn sample() -> String {
    fixture().to_str().expect("utf-8 path").to_string()
}

#[test]
fn calc_table_on_the_sample() {
    check("calc.txt", &stdout_of(&["calc", &sample()]));
}

#[test]
fn december_statement_on_the_sample() {
    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().join("run");
    let dir_arg = dir.to_str().expect("utf-8 path");
    let printed = stdout_of(&[
        "statements",
        &sample(),
        "--month",
        "2025-12",
        "--out",
        dir_arg,
    ]);
    check("statements-2025-12.txt", &printed);
    check(
        "credit_statement_2025-12.csv",
        &fs::read(dir.join("credit_statement_2025-12.csv")).expect("read statement csv"),
    );
    check(
        "statement-2025-12-P12.md",
        &fs::read(dir.join("statements/2025-12/P12.md")).expect("read P12 statement"),
    );
}

#[test]
fn explain_on_the_sample() {
    for partner in ["P01", "P02"] {
        check(
            &format!("explain-{partner}.txt"),
            &stdout_of(&["explain", &sample(), "--partner", partner]),
        );
    }
}
