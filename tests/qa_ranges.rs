//! A plain dated file is cut into many ranges that the ingest threads take as they come
//! free, and `calc --out` renders payouts.csv and html/index.html on the writing threads.
//! Whatever the cut and whoever reads which range, every output byte, exit code and message
//! must be what one thread (the careful path) gives, and the amounts must be exact.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

const THREADS: [&str; 4] = ["1", "2", "3", "7"];

/// Longest line the parallel parts read, with the empty lines before it.
const LONGEST_PLAIN_LINE: usize = 64 << 10;

/// What one run leaves: exit code, stdout, stderr and every file of `--out`.
#[derive(Debug, PartialEq)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    files: BTreeMap<String, Vec<u8>>,
}

/// `calc DIR --out OUT --allow-gaps --html ARGS` with `threads` ingest threads. The out
/// directory has the same name in every run, so that messages naming it compare equal.
fn calc(dir: &Path, threads: &str, args: &[&str]) -> Outcome {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let assert = bin()
        .current_dir(work.path())
        .env("TSP_PAYOUT_THREADS", threads)
        .arg("calc")
        .arg(dir)
        .args(["--out", "out", "--allow-gaps", "--html"])
        .args(args)
        .assert();
    let output = assert.get_output();
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        files: if out.exists() {
            snapshot(&out)
        } else {
            BTreeMap::new()
        },
    }
}

/// Runs `calc` on every thread count; asserts they all match one thread and returns it.
fn same_on_every_thread_count(dir: &Path, args: &[&str]) -> Outcome {
    let one = calc(dir, THREADS[0], args);
    for threads in &THREADS[1..] {
        let other = calc(dir, threads, args);
        assert_eq!(one.code, other.code, "{threads} threads: exit code");
        assert_eq!(one.stdout, other.stdout, "{threads} threads: stdout");
        assert_eq!(one.stderr, other.stderr, "{threads} threads: stderr");
        assert_eq!(
            one.files.keys().collect::<Vec<_>>(),
            other.files.keys().collect::<Vec<_>>(),
            "{threads} threads: file list"
        );
        for (name, bytes) in &one.files {
            assert!(other.files[name] == *bytes, "{threads} threads: {name}");
        }
    }
    one
}

/// gmv_growth amount (q4) by partner, from a run's payouts.csv.
fn growth(outcome: &Outcome) -> BTreeMap<String, String> {
    amounts_of(outcome, "gmv_growth")
}

/// `program`'s amount by partner (its only period), from a run's payouts.csv.
fn amounts_of(outcome: &Outcome, program_id: &str) -> BTreeMap<String, String> {
    let mut r = csv::Reader::from_reader(&outcome.files["payouts.csv"][..]);
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (partner, program, amount) = (col("partner_id"), col("program"), col("amount"));
    r.records()
        .map(Result::unwrap)
        .filter(|rec| &rec[program] == program_id)
        .map(|rec| (rec[partner].to_string(), rec[amount].to_string()))
        .collect()
}

fn expect_growth(outcome: &Outcome, expected: &[(&str, &str)]) {
    let got = growth(outcome);
    for (partner, amount) in expected {
        assert_eq!(
            got.get(*partner).map(String::as_str),
            Some(*amount),
            "{partner}"
        );
    }
}

/// Every Q4 day: P1's ten sellers sell 1,000.00 each (increment 10,000 → $10,000), P2's
/// 300.00 (3,000 → $5,000), P3's 299.99 (2,999.90 → $0). 2,760 rows, about 100 KB: cut
/// into 16 to 112 ranges of a few KB.
fn q4_rows() -> Vec<String> {
    let start = chrono::NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
    let mut rows = Vec::new();
    for day in start.iter_days().take(92) {
        for (partner, gmv) in [("P1", "1000.00"), ("P2", "300.00"), ("P3", "299.99")] {
            for seller in 0..10 {
                rows.push(format!("{day},{partner},S{seller:02},{gmv},0,0,0"));
            }
        }
    }
    rows
}

const PAID: [(&str, &str); 3] = [("P1", "10000.00"), ("P2", "5000.00"), ("P3", "0.00")];

fn gmv_dir(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gmv_daily.csv"), bytes).unwrap();
    dir
}

const HEADER: &str = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv";

#[test]
fn empty_line_runs_wherever_a_range_starts_pay_the_same_on_any_thread_count() {
    for (eol, empty) in [
        ("\n", "\n"),
        ("\r\n", "\r\n"),
        ("\n", "\n\r\n"),
        ("\r\n", "\n"),
    ] {
        // Without and with one run just over what a part reads (the whole file then goes
        // to the careful path).
        for over_the_limit in [false, true] {
            let mut text = format!("{HEADER}{eol}{}", empty.repeat(300));
            for (i, row) in q4_rows().iter().enumerate() {
                text.push_str(row);
                text.push_str(eol);
                // Runs of every length from 1 to 60 lines, so that some range starts inside.
                if i % 7 == 3 {
                    text.push_str(&empty.repeat(1 + i % 60));
                }
                // A run that with its next line stays just under what a part reads.
                if i == 1800 {
                    text.push_str(&empty.repeat((LONGEST_PLAIN_LINE - 40) / empty.len()));
                }
                if i == 900 && over_the_limit {
                    text.push_str(&"\n".repeat(LONGEST_PLAIN_LINE + 1));
                }
            }
            text.push_str(&empty.repeat(500));
            let dir = gmv_dir(text.as_bytes());
            let one = same_on_every_thread_count(dir.path(), &[]);
            assert_eq!(one.code, Some(0), "{empty:?}: {}", one.stderr);
            expect_growth(&one, &PAID);
            assert!(one.stderr.contains("rows 2760 = "), "{}", one.stderr);
        }
    }
}

#[test]
fn bom_quoted_crlf_and_no_final_line_break_pay_the_same_on_any_thread_count() {
    let quoted: Vec<String> = q4_rows()
        .iter()
        .map(|r| {
            r.split(',')
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    for (eol, rows) in [("\r\n", &quoted), ("\n", &quoted), ("\n", &q4_rows())] {
        let text = format!("\u{feff}{HEADER}{eol}{}", rows.join(eol));
        let dir = gmv_dir(text.as_bytes());
        let one = same_on_every_thread_count(dir.path(), &[]);
        assert_eq!(one.code, Some(0), "{}", one.stderr);
        expect_growth(&one, &PAID);
    }
}

#[test]
fn a_quoted_cell_holding_line_breaks_that_read_as_rows_is_one_cell() {
    let mut rows = q4_rows();
    // Cut anywhere inside the quotes, the lines between them look like rows of P9.
    let fake = "2025-10-03,P9,S1,999999.00,0,0,0\n".repeat(400);
    rows.insert(1400, format!("2025-10-02,P1,\"S00\n{fake}\",1.00,0,0,0"));
    let text = format!("{HEADER}\n{}\n", rows.join("\n"));
    let dir = gmv_dir(text.as_bytes());
    let one = same_on_every_thread_count(dir.path(), &[]);
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    expect_growth(&one, &PAID);
    assert!(!growth(&one).contains_key("P9"));
    assert!(one.stderr.contains("rows 2761 = "), "{}", one.stderr);
}

#[test]
fn a_duplicate_key_in_distant_ranges_is_refused_naming_both_lines() {
    let mut rows = q4_rows();
    // Line 2 (2025-10-01, P1, S00) again near the end of the file, on line 2,702.
    rows.insert(2700, "2025-10-01,P1,S00,5.00,0,0,0".to_string());
    let text = format!("{HEADER}\n{}\n", rows.join("\n"));
    let dir = gmv_dir(text.as_bytes());
    let one = same_on_every_thread_count(dir.path(), &[]);
    assert_eq!(one.code, Some(65));
    assert!(one.files.is_empty());
    assert!(one.stderr.contains("gmv_daily.csv:2702"), "{}", one.stderr);
    assert!(one.stderr.contains("line 2"), "{}", one.stderr);
}

#[test]
fn skip_invalid_lists_rejects_of_every_range_in_line_order() {
    let mut rows = q4_rows();
    let mut bad_lines = Vec::new();
    // A bad amount every 150 rows, all on P3 (rows of a day: P1, P2, P3 by ten; P3 is
    // paid $0 either way).
    for i in (22..rows.len()).step_by(150) {
        let row = rows[i].replace("299.99", "12,3x");
        if row != rows[i] {
            rows[i] = row;
            bad_lines.push(i as u64 + 2);
        }
    }
    // A duplicate of P1's first row at the end: both are rejected, so P1's Q4 sum is
    // 919,000.00, an increment of 9,989.13: $5,000.
    rows.push("2025-10-01,P1,S00,1000.00,0,0,0".to_string());
    let dup_line = rows.len() as u64 + 1;
    let mut expected = bad_lines.clone();
    expected.push(2);
    expected.push(dup_line);
    expected.sort_unstable();
    let text = format!("{HEADER}\n{}\n", rows.join("\n"));
    let dir = gmv_dir(text.as_bytes());
    let one = same_on_every_thread_count(dir.path(), &["--skip-invalid", "--max-rejects", "5%"]);
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    assert!(bad_lines.len() >= 5, "bad rows in several ranges");
    let mut r = csv::Reader::from_reader(&one.files["rejects.csv"][..]);
    let lines: Vec<u64> = r
        .records()
        .map(|rec| rec.unwrap()[1].parse().unwrap())
        .collect();
    assert_eq!(lines, expected);
    expect_growth(
        &one,
        &[("P1", "5000.00"), ("P2", "5000.00"), ("P3", "0.00")],
    );
}

#[test]
fn tiny_files_pay_the_same_on_any_thread_count() {
    // Fewer bytes than ranges: a header alone is refused the same way everywhere.
    for header in [
        format!("{HEADER}\n"),
        HEADER.to_string(),
        format!("\u{feff}{HEADER}\r\n\r\n\n"),
    ] {
        let dir = gmv_dir(header.as_bytes());
        let one = same_on_every_thread_count(dir.path(), &[]);
        assert_eq!(one.code, Some(65), "{header:?}");
        assert!(one.stderr.contains("no accepted row"), "{}", one.stderr);
    }
    // One Q4 day of 276,000.00 is 3,000 a day over the quarter: $5,000.
    for text in [
        format!("{HEADER}\n2025-10-01,P1,S1,276000.00,0,0,0"),
        format!("\u{feff}{HEADER}\r\n\r\n2025-10-01,P1,S1,200000.00,0,0,0\r\n\r\n\r\n2025-10-02,P1,S1,76000.00,0,0,0"),
        format!("{HEADER}\n\n\n2025-10-01,P1,S1,\"276,000.00\",0,0,0\n\n"),
    ] {
        let dir = gmv_dir(text.as_bytes());
        let one = same_on_every_thread_count(dir.path(), &[]);
        assert_eq!(one.code, Some(0), "{text:?}: {}", one.stderr);
        expect_growth(&one, &[("P1", "5000.00")]);
    }
}

#[test]
fn creator_and_matchmaking_files_cut_into_ranges_pay_the_same_on_any_thread_count() {
    let start = chrono::NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
    let mut creator_gmv = String::from("date,creator_id,gmv\n");
    for day in start.iter_days().take(92) {
        // C1 (target list, P1): 18,400.00 over Q4 → $2,500. C2 is not on the list; C9 and
        // the C5x creators are not in creators.csv (unmatched).
        creator_gmv.push_str(&format!(
            "{day},C1,200.00\n{day},C2,900.00\n{day},C9,1.00\n"
        ));
        for k in 0..10 {
            creator_gmv.push_str(&format!("{day},C5{k},2.50\n\n"));
        }
    }
    let bfcm = chrono::NaiveDate::from_ymd_opt(2025, 11, 12).unwrap();
    let mut matched = String::from("date,partner_id,seller_id,creator_id,gmv\r\n");
    for day in bfcm.iter_days().take(20) {
        for seller in 0..10 {
            for creator in 0..3 {
                // P1: 60,000.00 in BFCM → rank 1, $25,000; P2: 6,000.00, under 10,000.
                matched.push_str(&format!("{day},P1,S{seller},K{creator},100.00\r\n"));
                matched.push_str(&format!("{day},P2,S{seller},K{creator},\"10.00\"\r\n"));
            }
        }
    }
    let gmv = format!("{HEADER}\n{}\n", q4_rows().join("\n"));
    let dir = data_dir(&[
        ("gmv_daily.csv", &gmv),
        (
            "creators.csv",
            "creator_id,partner_id,target_list\nC1,P1,true\nC2,P1,false\n",
        ),
        ("creator_gmv_daily.csv", &creator_gmv),
        ("matchmaking.csv", &matched),
    ]);
    let one = same_on_every_thread_count(dir.path(), &[]);
    assert_eq!(one.code, Some(0), "{}", one.stderr);
    expect_growth(&one, &PAID);
    let creators = amounts_of(&one, "creator_incubation");
    assert_eq!(creators.get("P1").map(String::as_str), Some("2500.00"));
    let matchmaking = amounts_of(&one, "bfcm_matchmaking");
    assert_eq!(matchmaking.get("P1").map(String::as_str), Some("25000.00"));
    assert_eq!(matchmaking.get("P2").map(String::as_str), Some("0.00"));
    // 92 days of C9 and of ten C5x creators are unmatched: 1,012 rows.
    assert!(one.stderr.contains("+ 1012 +"), "{}", one.stderr);
}

#[test]
fn payouts_csv_and_html_index_are_listed_in_the_manifest_with_their_bytes() {
    let text = format!("{HEADER}\n{}\n", q4_rows().join("\n"));
    let dir = gmv_dir(text.as_bytes());
    let one = same_on_every_thread_count(dir.path(), &[]);
    assert_eq!(one.code, Some(0));
    let manifest: serde_json::Value = serde_json::from_slice(&one.files["manifest.json"]).unwrap();
    let listed = manifest.to_string();
    for name in ["payouts.csv", "html/index.html"] {
        let sha = sha256_hex(&one.files[name]);
        assert!(listed.contains(&sha), "{name} is listed with its sha256");
    }
    let index = String::from_utf8(one.files["html/index.html"].clone()).unwrap();
    assert!(
        index.contains("P1") && index.contains("10,000.00"),
        "{index}"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
