//! A book for another quarter runs with no code change: every date of the sample and every
//! window of the book moved one year later (2025 → 2026; all windows lie in July–December,
//! so each keeps its day count) gives the same payouts, only dated a year later.
//!
//! The amounts, tiers, bands, caps and floors all come from the book, which this test keeps
//! as it is apart from its windows: nothing in the code knows a year, a date or a dollar
//! figure of the program.

mod common;

use common::{bin, fixture};
use std::fs;
use std::path::Path;

/// `text` with the year of every `YYYY-MM-DD` and `YYYY-MM` token one later. A token is
/// digits and hyphens in exactly that shape, not inside a longer run of digits or letters.
fn shift_dates(text: &str) -> String {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut i = 0;
    let is_word = |c: u8| c.is_ascii_alphanumeric();
    while i < b.len() {
        let at_start = i == 0 || !is_word(b[i - 1]);
        let shape = |len: usize| {
            i + len <= b.len()
                && b[i..i + len].iter().enumerate().all(|(k, &c)| {
                    if k == 4 || k == 7 {
                        c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                })
                && (i + len == b.len() || !(is_word(b[i + len]) || b[i + len] == b'-'))
        };
        let len = if !at_start {
            0
        } else if shape(10) {
            10
        } else if shape(7) {
            7
        } else {
            0
        };
        if len == 0 {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let token = &text[i..i + len];
        assert!(
            !token.ends_with("-02-29"),
            "no 29 February to move: {token}"
        );
        let year: u32 = token[..4].parse().unwrap();
        out.extend_from_slice(format!("{}{}", year + 1, &token[4..]).as_bytes());
        i += len;
    }
    String::from_utf8(out).expect("only ASCII tokens were replaced")
}

#[test]
fn shift_dates_moves_dates_and_months_only() {
    assert_eq!(
        shift_dates("2025-10-01,P01,12000.00,2025-12,q4 2024-11-01..2025-09-30 x2025-10"),
        "2026-10-01,P01,12000.00,2026-12,q4 2025-11-01..2026-09-30 x2025-10"
    );
}

/// The embedded book with every window one year later, and nothing else changed.
fn shifted_book() -> String {
    let mut book: toml::Table = toml::from_str(tsp_payout::book::EMBEDDED).unwrap();
    let windows = book["windows"].as_table_mut().unwrap();
    for (_, window) in windows.iter_mut() {
        for (_, date) in window.as_table_mut().unwrap().iter_mut() {
            let shifted = shift_dates(date.as_str().unwrap());
            assert_ne!(date.as_str().unwrap(), shifted);
            *date = toml::Value::String(shifted);
        }
    }
    toml::to_string(&book).unwrap()
}

fn calc(data: &Path, book: Option<&Path>, as_of: &str, out: &Path) -> String {
    let mut cmd = bin();
    cmd.arg("calc")
        .arg(data)
        .args(["--as-of", as_of, "--out"])
        .arg(out);
    if let Some(book) = book {
        cmd.arg("--book").arg(book);
    }
    let run = cmd.output().expect("run calc");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    fs::read_to_string(out.join("payouts.csv")).expect("payouts.csv")
}

#[test]
fn the_sample_a_year_later_pays_the_same_under_the_book_a_year_later() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data-2026");
    fs::create_dir(&data).unwrap();
    for entry in fs::read_dir(fixture()).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        fs::write(data.join(path.file_name().unwrap()), shift_dates(&text)).unwrap();
    }
    let book = tmp.path().join("shifted.toml");
    fs::write(&book, shifted_book()).unwrap();

    let before = calc(&fixture(), None, "2025-12-31", &tmp.path().join("out-2025"));
    let after = calc(
        &data,
        Some(&book),
        "2026-12-31",
        &tmp.path().join("out-2026"),
    );

    assert!(after.contains(",short_video_top15,2026-10,"), "{after}");
    assert!(
        !after.contains("2025-1"),
        "no 2025 period or window date is left"
    );
    // Byte for byte the same, once the unshifted run's periods (2025-10 → 2026-10) and the
    // window dates its basis sentences quote are moved a year too.
    let expected = shift_dates(&before);
    for (n, (a, e)) in after.lines().zip(expected.lines()).enumerate() {
        assert_eq!(a, e, "payouts.csv line {}", n + 1);
    }
    assert_eq!(after.lines().count(), expected.lines().count());
    assert_eq!(after, expected);
}
