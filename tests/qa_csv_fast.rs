//! The plain gmv_daily.csv read in parts (dates to day numbers, ids hashed in place, keys
//! looked up a batch at a time, amounts read as one word, quotes judged by the cell's
//! ends) must say and pay exactly what the single-threaded careful path does, on exports
//! built to sit on each of those shortcuts' edges. tests/data/qa/csv_fast_diff.py runs
//! thousands of such exports against a previous build.

mod common;

use common::{bin, grouped_cents, sample_with_gmv, GMV_HEADER};
use std::process::Output;

fn run(dir: &std::path::Path, threads: &str, extra: &[&str]) -> Output {
    bin()
        .arg("calc")
        .arg(dir)
        .args(["--allow-gaps", "--format", "csv"])
        .args(extra)
        .env("TSP_PAYOUT_THREADS", threads)
        .output()
        .expect("run tsp-payout")
}

/// Same exit code, stdout and stderr at 1 (careful path) and at 2 and 3 threads (parts);
/// returns the single-threaded run.
fn same_at_every_thread_count(gmv: &[u8], extra: &[&str]) -> Output {
    let dir = sample_with_gmv(gmv);
    let single = run(dir.path(), "1", extra);
    for threads in ["2", "3"] {
        let parts = run(dir.path(), threads, extra);
        assert_eq!(
            single.status.code(),
            parts.status.code(),
            "exit code at {threads} threads"
        );
        assert_eq!(
            String::from_utf8_lossy(&single.stdout),
            String::from_utf8_lossy(&parts.stdout),
            "stdout at {threads} threads"
        );
        assert_eq!(
            String::from_utf8_lossy(&single.stderr),
            String::from_utf8_lossy(&parts.stderr),
            "stderr at {threads} threads"
        );
    }
    single
}

/// The `gmv_daily.csv rows N = ...; gmv X = ...` reconciliation line.
fn gmv_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| l.trim_start().starts_with("gmv_daily.csv"))
        .unwrap_or_default()
        .to_string()
}

/// One row per day of Q3 and Q4 for seller `seller` of P01, gmv from `amount(i)`.
fn daily(seller: &str, amount: impl Fn(u32) -> (String, i64)) -> (String, i64) {
    let start = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    let (mut text, mut total) = (String::new(), 0);
    for i in 0..184u32 {
        let date = start + chrono::Duration::days(i64::from(i));
        let (cell, cents) = amount(i);
        text.push_str(&format!("{date},P01,{seller},{cell},0,0,0\n"));
        total += cents;
    }
    (text, total)
}

#[test]
fn amounts_of_every_width_and_spelling_sum_to_the_cent() {
    // 0 to 9 integer digits (the word read covers up to 5, then 8), 1 or 2 decimals,
    // leading zeros, a dollar sign and thousands separators in quotes.
    let spell = |i: u32| -> (String, i64) {
        let digits = (i % 10) as usize;
        let int: i64 = "9876543210"[..digits].parse().unwrap_or(0);
        let cents = int * 100 + i64::from(i % 100);
        let cell = match i % 6 {
            0 => format!("{int}.{:02}", i % 100),
            1 => format!("000{int}.{:02}", i % 100),
            2 if i.is_multiple_of(10) => {
                return (
                    format!("{int}.{}", (i % 100) / 10),
                    int * 100 + i64::from(i % 100),
                )
            }
            3 => format!(
                "\"${}.{:02}\"",
                grouped_cents(int * 100).trim_end_matches(".00"),
                i % 100
            ),
            4 => format!("\"{int}.{:02}\"", i % 100),
            _ => format!("{int}.{:02}", i % 100),
        };
        (cell, cents)
    };
    let (rows, total) = daily("S0101", spell);
    for crlf in [false, true] {
        let mut gmv = format!("{GMV_HEADER}{rows}");
        if crlf {
            gmv = gmv.replace('\n', "\r\n");
        }
        let out = same_at_every_thread_count(gmv.as_bytes(), &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = gmv_line(&out);
        assert!(
            line.contains(&format!(
                "rows 184 = 184 + 0 + 0 + 0; gmv {}",
                grouped_cents(total)
            )),
            "{line}"
        );
    }
}

#[test]
fn a_duplicate_on_either_side_of_the_cut_is_named_as_by_the_careful_path() {
    // The second thread's part starts after the first line break past the middle: padding
    // the ids moves the cut through every byte of the rows around it.
    for pad in 0..24 {
        let mut gmv = String::from(GMV_HEADER);
        let seller = format!("S0101{}", "x".repeat(pad));
        for n in 0..40 {
            gmv.push_str(&format!(
                "2025-07-{:02},P01,{seller},{n}.25,0,0,0\n",
                1 + n % 28
            ));
        }
        // Rows n and n + 28 share a day: the careful path names each pair.
        let out = same_at_every_thread_count(gmv.as_bytes(), &[]);
        assert_eq!(out.status.code(), Some(65));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("duplicate key (date 2025-07-01, partner_id P01"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn keys_new_in_one_lookup_batch_and_the_next_keep_one_key_each() {
    // 63, 64, 65, 127, 128, 129 new sellers in a row, each seen again on a later day, in
    // the same batch or the next; with one repeat of (seller, day) at the batch edge.
    for n in [1u32, 63, 64, 65, 127, 128, 129] {
        for repeat in [false, true] {
            let mut gmv = String::from(GMV_HEADER);
            let mut total = 0i64;
            for day in 1..=3u32 {
                for s in 0..n {
                    let cents = i64::from(s * 101 + day);
                    total += cents;
                    gmv.push_str(&format!(
                        "2025-07-{day:02},P01,S{s:04}{},{}.{:02},0,0,0\n",
                        "Q".repeat(40),
                        cents / 100,
                        cents % 100
                    ));
                }
            }
            if repeat {
                gmv.push_str(&format!(
                    "2025-07-02,P01,S{:04}{},1.00,0,0,0\n",
                    n - 1,
                    "Q".repeat(40)
                ));
            }
            let out = same_at_every_thread_count(gmv.as_bytes(), &[]);
            if repeat {
                assert_eq!(out.status.code(), Some(65), "n {n}");
            } else {
                assert!(out.status.success(), "n {n}");
                let line = gmv_line(&out);
                let rows = 3 * n;
                assert!(
                    line.contains(&format!(
                        "rows {rows} = {rows} + 0 + 0 + 0; gmv {}",
                        grouped_cents(total)
                    )),
                    "n {n}: {line}"
                );
            }
        }
    }
}

#[test]
fn odd_dates_ids_and_quoting_are_named_as_by_the_careful_path() {
    let base = "2025-07-01,P01,S0101,10.00,1.00,2.00,3.00";
    let odd: &[&[u8]] = &[
        b"2025-02-29,P01,S0102,1.00,0,0,0",
        b"2024-02-29,P01,S0102,1.00,0,0,0",
        b"2025-09-31,P01,S0102,1.00,0,0,0",
        b"2025-07-3:,P01,S0102,1.00,0,0,0",
        b"0000-02-29,P01,S0102,1.00,0,0,0",
        b"9999-12-31,P01,S0102,1.00,0,0,0",
        b"2025-07-02,P01,\"S01,02\",1.00,0,0,0",
        b"2025-07-02,P01,\"S01\"\"02\",1.00,0,0,0",
        b"2025-07-02,P01,\"S0102\" ,1.00,0,0,0",
        b"2025-07-02,P01,\"S01\n02\",1.00,0,0,0",
        b"2025-07-02,P01,S0102\r,1.00,0,0,0",
        b"2025-07-02,P01,S\xff0102,1.00,0,0,0",
        b"2025-07-02,P01,S0102,+1.00,0,0,0",
        b"2025-07-02,P01,S0102,1.000,0,0,0",
        b"2025-07-02,P01,S0102,123456789.12,0,0,0",
        b"2025-07-02,P01,S0102,1e3,0,0,0",
        b"2025-07-02,P01,S0102,1.00,0,0,0,,",
        b"2025-07-02,P01,S0102,1.00,0,0,0,x",
        b"2025-07-02,P01,S0102,1.00,0,0",
        b"2025-07-01,P01,S0101,1.00,0,0,0",
    ];
    for line in odd {
        for at_end in [false, true] {
            let mut gmv = GMV_HEADER.as_bytes().to_vec();
            for n in 0..70 {
                if !at_end && n == 35 {
                    gmv.extend_from_slice(line);
                    gmv.push(b'\n');
                }
                gmv.extend_from_slice(base.replace("S0101", &format!("S{n:04}")).as_bytes());
                gmv.push(b'\n');
            }
            if at_end {
                gmv.extend_from_slice(line); // no final line break
            }
            same_at_every_thread_count(&gmv, &[]);
            same_at_every_thread_count(&gmv, &["--skip-invalid"]);
        }
    }
}
