//! A `--book` file and a scenario read their numbers alike: a TOML integer or float, or a
//! string holding a plain decimal; a string with digit separators or an exponent is
//! refused in both (exit 2).

mod common;

use common::{bin, fixture};
use std::fs;

const KEY: &str = "consistency_amount = 2000 # (P)";

fn book_with(value: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.toml");
    assert!(tsp_payout::book::EMBEDDED.contains(KEY));
    let text = tsp_payout::book::EMBEDDED.replace(KEY, &format!("consistency_amount = {value}"));
    fs::write(&path, text).unwrap();
    (dir, path)
}

fn scenario(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    fs::write(&path, format!("name = \"numbers\"\n{text}")).unwrap();
    (dir, path)
}

#[test]
fn a_book_reads_plain_decimal_strings_and_refuses_separators_in_them() {
    for accepted in ["2_000", "2000.0", "\"2000.00\"", "\" 2000 \""] {
        let (_dir, path) = book_with(accepted);
        let out = bin().args(["book", "--book"]).arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{accepted}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for refused in ["\"2_000\"", "\"2e3\"", "\"2 000\""] {
        let (_dir, path) = book_with(refused);
        let out = bin().args(["book", "--book"]).arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{refused}: {stderr}");
        assert!(
            stderr.contains("is not a decimal number"),
            "{refused}: {stderr}"
        );
    }
}

#[test]
fn a_scenario_reads_its_numbers_and_book_overrides_as_the_book_does() {
    for (text, accepted) in [
        ("[[adjust]]\nfactor = \"1.0\"", true),
        ("[[adjust]]\nfactor = 1_0", true),
        ("[[adjust]]\nfactor = \"1_0\"", false),
        (
            "[book.short_video_top15]\nconsistency_amount = \"2000.00\"",
            true,
        ),
        ("[book.short_video_top15]\nconsistency_amount = 2_000", true),
        (
            "[book.short_video_top15]\nconsistency_amount = \"2_000\"",
            false,
        ),
    ] {
        let (_dir, path) = scenario(text);
        let out = bin()
            .arg("whatif")
            .arg(fixture())
            .arg("--scenario")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if accepted {
            assert!(out.status.success(), "{text}: {stderr}");
        } else {
            assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
            assert!(
                stderr.contains("is not a decimal number"),
                "{text}: {stderr}"
            );
        }
    }
}
