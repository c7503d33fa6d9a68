//! Usual gmv_daily rows (standard columns, under 64 bytes, six commas) are read straight
//! from separator masks, and every-cell-quoted rows from separator and quote masks; any
//! other line goes the per-cell way. These exports sit on the edges of that reading: lines
//! of 63, 64 and 65 bytes, odd dates, amounts, ids and quoting. Every run must say, pay and
//! write exactly what the single-threaded careful path does, and sum to the cent.

mod common;

use common::{bin, fixture, grouped_cents, sample_with_gmv};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

const HEADER: &str = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv";
/// The sample's gmv_daily.csv: 9,304 rows summing to this.
const SAMPLE_ROWS: usize = 9304;
const SAMPLE_GMV: i64 = 18_498_585_511;

fn sample_rows() -> Vec<Vec<String>> {
    let text = fs::read_to_string(fixture().join("gmv_daily.csv")).unwrap();
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), SAMPLE_ROWS);
    rows
}

fn cents_of(cell: &str) -> i64 {
    let (int, frac) = cell.split_once('.').unwrap();
    int.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

/// The file of `rows` (cells joined as they stand) with `eol` after each line.
fn file_of(header: &str, rows: &[String], eol: &str) -> Vec<u8> {
    let mut text = format!("{header}{eol}");
    for row in rows {
        text.push_str(row);
        text.push_str(eol);
    }
    text.into_bytes()
}

/// Each row's cells joined by commas, every cell in quotes when `quoted`.
fn joined_lines(rows: &[Vec<String>], quoted: bool) -> Vec<String> {
    rows.iter()
        .map(|r| if quoted { quote_all(r) } else { r.join(",") })
        .collect()
}

fn quote_all(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",")
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    files
}

struct Run {
    out: Output,
    files: BTreeMap<String, Vec<u8>>,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    /// The `gmv_daily.csv rows N = ...; gmv X = ...` reconciliation line.
    fn gmv_line(&self) -> String {
        self.stderr()
            .lines()
            .find(|l| l.trim_start().starts_with("gmv_daily.csv"))
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

/// `calc --allow-gaps --out` on the sample with `gmv` as gmv_daily.csv at 1 thread (the
/// careful path) and at 2, 3 and 7 (parts): exit code, stdout, stderr and every written
/// byte must agree. Returns the single-threaded run.
fn same_at_every_thread_count(gmv: &[u8], extra: &[&str]) -> Run {
    let dir = sample_with_gmv(gmv);
    let runs: Vec<(&str, Run)> = ["1", "2", "3", "7"]
        .into_iter()
        .map(|threads| {
            let out_dir = dir.path().join(format!("out-{threads}"));
            let out = bin()
                .arg("calc")
                .arg(dir.path())
                .args(["--allow-gaps", "--format", "csv", "--out"])
                .arg(&out_dir)
                .args(extra)
                .env("TSP_PAYOUT_THREADS", threads)
                .output()
                .expect("run tsp-payout");
            let files = files_under(&out_dir);
            (threads, Run { out, files })
        })
        .collect();
    let mut runs = runs.into_iter();
    let (_, single) = runs.next().unwrap();
    let scrub = |bytes: &[u8], threads: &str| {
        String::from_utf8_lossy(bytes).replace(&format!("out-{threads}"), "out-N")
    };
    for (threads, parts) in runs {
        assert_eq!(
            single.out.status.code(),
            parts.out.status.code(),
            "exit code at {threads} threads: {}",
            parts.stderr()
        );
        assert_eq!(
            scrub(&single.out.stdout, "1"),
            scrub(&parts.out.stdout, threads),
            "stdout at {threads} threads"
        );
        assert_eq!(
            scrub(&single.out.stderr, "1"),
            scrub(&parts.out.stderr, threads),
            "stderr at {threads} threads"
        );
        assert_eq!(
            single.files.keys().collect::<Vec<_>>(),
            parts.files.keys().collect::<Vec<_>>(),
            "files at {threads} threads"
        );
        for (name, bytes) in &single.files {
            assert!(
                parts.files[name] == *bytes,
                "{name} differs at {threads} threads"
            );
        }
    }
    single
}

fn assert_sum(run: &Run, rows: usize, rejected: usize, gmv: i64, rejected_gmv: i64) {
    let used = rows - rejected;
    let line = run.gmv_line();
    let want = format!(
        "rows {rows} = {used} + 0 + 0 + {rejected}; gmv {} = {} + 0.00 + 0.00 + {}",
        grouped_cents(gmv),
        grouped_cents(gmv - rejected_gmv),
        grouped_cents(rejected_gmv)
    );
    assert!(
        line.contains(&want),
        "{line}\nwanted {want}\n{}",
        run.stderr()
    );
}

/// Every 97th row of the sample gets `edit` (the row index, its cells); the rest stay.
fn edited(mut edit: impl FnMut(usize, &mut Vec<String>)) -> Vec<Vec<String>> {
    let mut rows = sample_rows();
    for (i, row) in rows.iter_mut().enumerate() {
        if i % 97 == 41 {
            edit(i, row);
        }
    }
    rows
}

/// The seller id padded with `x` so the line (cells joined, plus `eol`) is `len` bytes.
fn pad_to(row: &mut [String], len: usize, eol: &str, quoted: bool) {
    let now = if quoted {
        quote_all(row).len()
    } else {
        row.join(",").len()
    } + eol.len();
    assert!(now <= len, "{now} > {len}");
    row[2].push_str(&"x".repeat(len - now));
}

#[test]
fn lines_of_63_64_and_65_bytes_sum_to_the_cent_in_every_shape() {
    for eol in ["\n", "\r\n"] {
        for quoted in [false, true] {
            let lengths: &[usize] = if quoted {
                &[126, 127, 128, 129, 130]
            } else {
                &[62, 63, 64, 65, 66]
            };
            let rows = edited(|i, row| pad_to(row, lengths[i % lengths.len()], eol, quoted));
            let lines = joined_lines(&rows, quoted);
            let run = same_at_every_thread_count(&file_of(HEADER, &lines, eol), &[]);
            assert!(run.out.status.success(), "{}", run.stderr());
            assert_sum(&run, SAMPLE_ROWS, 0, SAMPLE_GMV, 0);
        }
    }
}

/// The sample with every 97th row's gmv respelled by `spell` (its cents); channels that
/// would exceed a new gmv are set to it. Returns the lines and the new total.
fn respelled(quoted: bool, spell: impl Fn(usize, i64) -> (String, i64)) -> (Vec<String>, i64) {
    let mut total = SAMPLE_GMV;
    let rows = edited(|i, row| {
        let old = cents_of(&row[3]);
        let (cell, cents) = spell(i, old);
        total += cents - old;
        for channel in &mut row[4..] {
            if cents_of(channel) > cents {
                *channel = format!("{}.{:02}", cents / 100, cents % 100);
            }
        }
        row[3] = cell;
    });
    let lines = joined_lines(&rows, quoted);
    (lines, total)
}

#[test]
fn every_spelling_of_an_amount_sums_to_the_cent() {
    // `1.5`, `5`, `$3.00`, leading zeros, the largest eight-digit amount, grouped
    // thousands (in quotes), zero, blanks around, each at every 97th row, in plain and
    // quoted files.
    for quoted in [false, true] {
        for eol in ["\n", "\r\n"] {
            let (lines, total) = respelled(quoted, |i, cents| match i % 8 {
                0 => (
                    format!("{}.{}", cents / 100, (cents % 100) / 10),
                    cents / 10 * 10,
                ),
                1 => (format!("{}", cents / 100), cents / 100 * 100),
                2 => (format!("${}.{:02}", cents / 100, cents % 100), cents),
                3 => (format!("00000000{}.{:02}", cents / 100, cents % 100), cents),
                4 => ("99999999.99".to_string(), 9_999_999_999),
                5 if quoted => ("1,234.56".to_string(), 123_456),
                5 => ("1234.56".to_string(), 123_456),
                6 => ("0".to_string(), 0),
                // Blanks around an amount are trimmed, as around any cell.
                7 if i % 3 == 0 => (format!(" {}.{:02}", cents / 100, cents % 100), cents),
                7 if i % 3 == 1 => (format!("{}.{:02}\t", cents / 100, cents % 100), cents),
                _ => ("$0000012.34".to_string(), 1234),
            });
            let run = same_at_every_thread_count(&file_of(HEADER, &lines, eol), &[]);
            assert!(run.out.status.success(), "{}", run.stderr());
            assert_sum(&run, SAMPLE_ROWS, 0, total, 0);
        }
    }
}

#[test]
fn amounts_the_careful_path_refuses_are_named_and_rejected_alike() {
    // Each at its own row of one file: `.50`, `-0.00`, a 20-digit amount, a sign.
    let bad = [
        ".50",
        "-0.00",
        "99999999999999999999",
        "12345678901234567890.12",
        "+1.00",
        "1.234",
        "$",
        "\"1,23.45\"",
    ];
    let mut rejected_gmv = 0;
    let mut refused = 0;
    let rows = edited(|i, row| {
        let k = i / 97;
        if k < bad.len() {
            rejected_gmv += cents_of(&row[3]);
            refused += 1;
            // In the gmv column the row's gmv is unknown: refuse a channel instead.
            row[4 + k % 3] = bad[k].to_string();
        }
    });
    assert_eq!(refused, bad.len());
    let lines: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
    let gmv = file_of(HEADER, &lines, "\n");
    let run = same_at_every_thread_count(&gmv, &[]);
    assert_eq!(run.out.status.code(), Some(65), "{}", run.stderr());
    assert!(run.files.is_empty());
    for amount in bad {
        let shown = format!("{:?}", amount.trim_matches('"'));
        assert!(run.stderr().contains(&shown), "{shown}\n{}", run.stderr());
    }
    let run = same_at_every_thread_count(&gmv, &["--skip-invalid"]);
    assert!(run.out.status.success(), "{}", run.stderr());
    assert_sum(&run, SAMPLE_ROWS, bad.len(), SAMPLE_GMV, rejected_gmv);
}

#[test]
fn a_channel_one_cent_over_gmv_is_refused_and_one_equal_to_it_is_kept() {
    for quoted in [false, true] {
        let rows = edited(|i, row| {
            let gmv = cents_of(&row[3]);
            row[4 + i % 3] = format!("{}.{:02}", gmv / 100, gmv % 100);
        });
        let lines = joined_lines(&rows, quoted);
        let run = same_at_every_thread_count(&file_of(HEADER, &lines, "\n"), &[]);
        assert!(run.out.status.success(), "{}", run.stderr());
        assert_sum(&run, SAMPLE_ROWS, 0, SAMPLE_GMV, 0);

        let mut over = rows.clone();
        let row = &mut over[4000];
        let gmv = cents_of(&row[3]) + 1;
        row[5] = format!("{}.{:02}", gmv / 100, gmv % 100);
        let line = row.clone();
        let lines = joined_lines(&over, quoted);
        let run = same_at_every_thread_count(&file_of(HEADER, &lines, "\n"), &[]);
        assert_eq!(run.out.status.code(), Some(65), "{}", run.stderr());
        let message = format!(
            "gmv_daily.csv:4002: column live_gmv: \"{}\" exceeds gmv {}",
            line[5], line[3]
        );
        assert!(run.stderr().contains(&message), "{}", run.stderr());
    }
}

#[test]
fn odd_dates_are_refused_and_rejected_in_line_order_as_by_the_careful_path() {
    let odd = [
        "2025-1-010",
        "2025-10-1 ",
        " 2025-1-01",
        "2025/10/01",
        "2025-02-30",
        "+025-10-01",
        "2025-10-0\t",
        "\t2025-10-1",
        "2025-10-32",
        "2025-13-01",
        "2025-00-10",
        "2025-1O-01",
        "20251001",
    ];
    for quoted in [false, true] {
        let mut rejected_gmv = 0;
        let rows = edited(|i, row| {
            if let Some(date) = odd.get(i / 97) {
                rejected_gmv += cents_of(&row[3]);
                row[0] = date.to_string();
            }
        });
        let lines = joined_lines(&rows, quoted);
        let gmv = file_of(HEADER, &lines, "\r\n");
        let run = same_at_every_thread_count(&gmv, &[]);
        assert_eq!(run.out.status.code(), Some(65), "{}", run.stderr());
        assert!(
            run.stderr()
                .contains("line 43: column date: \"2025-1-010\" is not a date")
                && run
                    .stderr()
                    .contains("gmv_daily.csv:334: column date: \"2025/10/01\""),
            "{}",
            run.stderr()
        );
        let run = same_at_every_thread_count(&gmv, &["--skip-invalid"]);
        assert!(run.out.status.success(), "{}", run.stderr());
        assert_sum(&run, SAMPLE_ROWS, odd.len(), SAMPLE_GMV, rejected_gmv);
        let rejects = String::from_utf8_lossy(&run.files["rejects.csv"]).into_owned();
        let lines: Vec<u64> = rejects
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        let want: Vec<u64> = (0..odd.len() as u64).map(|k| 97 * k + 43).collect();
        assert_eq!(lines, want, "{rejects}");
    }
}

#[test]
fn many_distinct_dates_in_and_outside_the_span_keep_their_days() {
    // One seller on every day of 2024 to 2026 (1,096 distinct dates, far more than any
    // cache of recent dates holds), interleaved with the sample's rows; the 184 days of
    // the span are used, the rest counted outside it.
    let mut lines: Vec<String> = sample_rows().iter().map(|r| r.join(",")).collect();
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let span = (
        chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    );
    let (mut inside, mut outside, mut outside_rows) = (0i64, 0i64, 0usize);
    for d in 0..1096i64 {
        let date = start + chrono::Duration::days(d);
        let cents = 100 + d * 7 % 9973;
        if (span.0..=span.1).contains(&date) {
            inside += cents;
        } else {
            outside += cents;
            outside_rows += 1;
        }
        let row = format!(
            "{date},P01,SDAYS,{}.{:02},0,{}.{:02},0",
            cents / 100,
            cents % 100,
            cents / 200,
            cents / 2 % 100
        );
        // Spread over the file, a few rows apart.
        lines.insert((d as usize * 8) % lines.len(), row);
    }
    let rows = SAMPLE_ROWS + 1096;
    for quoted in [false, true] {
        let lines: Vec<String> = if quoted {
            lines
                .iter()
                .map(|l| quote_all(&l.split(',').map(str::to_string).collect::<Vec<_>>()))
                .collect()
        } else {
            lines.clone()
        };
        let run = same_at_every_thread_count(&file_of(HEADER, &lines, "\n"), &[]);
        assert!(run.out.status.success(), "{}", run.stderr());
        let want = format!(
            "rows {rows} = {} + {outside_rows} + 0 + 0; gmv {} = {} + {} + 0.00 + 0.00",
            rows - outside_rows,
            grouped_cents(SAMPLE_GMV + inside + outside),
            grouped_cents(SAMPLE_GMV + inside),
            grouped_cents(outside)
        );
        assert!(run.gmv_line().contains(&want), "{}\n{want}", run.gmv_line());
    }
}

#[test]
fn ids_with_blanks_tabs_quotes_and_commas_inside_keep_their_keys() {
    // Inner blanks and tabs are part of an id; in quotes, a comma or a doubled quote is
    // too. Each such seller is new, so the partner totals stay and the sellers multiply.
    for quoted in [false, true] {
        let inner = ["S 01", "S\t01", "S  x", "Sé", "S;1"];
        let rows = edited(|i, row| {
            let k = i / 97 % (inner.len() + 2);
            row[2] = match inner.get(k) {
                Some(id) => format!("{id}{}", row[2]),
                None if quoted && k == inner.len() => format!("{},x", row[2]),
                None if quoted => format!("{}\"\"q", row[2]),
                None => format!("{}~", row[2]),
            };
        });
        let lines = joined_lines(&rows, quoted);
        sums_the_whole_sample_at_both_line_ends(&lines);
    }
}

#[test]
fn empty_blank_and_non_utf8_ids_are_refused_alike() {
    for (id, shown) in [
        (&b""[..], "partner_id"),
        (&b" "[..], "partner_id"),
        (&b"\t"[..], "partner_id"),
        (&b" P01"[..], ""),
        (&b"P01\t"[..], ""),
        (&b"P\xff01"[..], "partner_id"),
    ] {
        let mut gmv = Vec::new();
        let text = fs::read(fixture().join("gmv_daily.csv")).unwrap();
        for (n, line) in text.split_inclusive(|b| *b == b'\n').enumerate() {
            if n == 5000 {
                let (date, rest) = line.split_at(11);
                let rest = &rest[rest.iter().position(|b| *b == b',').unwrap()..];
                gmv.extend_from_slice(date);
                gmv.extend_from_slice(id);
                gmv.extend_from_slice(rest);
            } else {
                gmv.extend_from_slice(line);
            }
        }
        let run = same_at_every_thread_count(&gmv, &[]);
        if shown.is_empty() {
            // Blanks around an id are trimmed: the row is P01's as before.
            assert!(run.out.status.success(), "{}", run.stderr());
            assert_sum(&run, SAMPLE_ROWS, 0, SAMPLE_GMV, 0);
        } else {
            assert_eq!(run.out.status.code(), Some(65), "{id:?}: {}", run.stderr());
            let want = format!("gmv_daily.csv:5001: column {shown}");
            assert!(run.stderr().contains(&want), "{id:?}: {}", run.stderr());
        }
    }
}

#[test]
fn trailing_cells_and_other_headers_take_the_general_reading() {
    let rows = sample_rows();
    // A trailing empty cell on some rows; every row with one; an extra column; two
    // channels swapped in the header (their cells with them).
    let some: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let line = r.join(",");
            if i % 97 == 41 {
                line + ","
            } else {
                line
            }
        })
        .collect();
    let every: Vec<String> = rows.iter().map(|r| r.join(",") + ",").collect();
    let noted: Vec<String> = rows.iter().map(|r| r.join(",") + ",n").collect();
    let swapped: Vec<String> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.swap(4, 5);
            r.join(",")
        })
        .collect();
    let swapped_header = "date,partner_id,seller_id,gmv,live_gmv,short_video_gmv,affiliate_gmv";
    for gmv in [
        file_of(HEADER, &some, "\n"),
        file_of(HEADER, &every, "\r\n"),
        file_of(&format!("{HEADER},note"), &noted, "\n"),
        file_of(swapped_header, &swapped, "\n"),
    ] {
        let run = same_at_every_thread_count(&gmv, &[]);
        assert!(run.out.status.success(), "{}", run.stderr());
        assert_sum(&run, SAMPLE_ROWS, 0, SAMPLE_GMV, 0);
    }
}

#[test]
fn empty_and_blank_lines_before_usual_rows_are_skipped_alike() {
    let mut lines: Vec<String> = sample_rows().iter().map(|r| r.join(",")).collect();
    for (k, at) in (100..SAMPLE_ROWS).step_by(611).enumerate() {
        let blank = ["", " ", "\t", "", "  \t"][k % 5];
        lines.insert(at, blank.to_string());
    }
    sums_the_whole_sample_at_both_line_ends(&lines);
}

#[test]
fn dates_with_blanks_around_them_are_read_as_trimmed() {
    // Ten bytes or more with the blanks: the careful path trims them first. Each edited
    // row moves to a day of its own in 2024, so no key repeats and each counts outside.
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut outside = (0usize, 0i64);
    let rows = edited(|i, row| {
        let date = start + chrono::Duration::days((i / 97) as i64);
        outside.0 += 1;
        outside.1 += cents_of(&row[3]);
        row[0] = match i / 97 % 4 {
            0 => format!(" {date}"),
            1 => format!("{date}\t"),
            2 => format!("\t{date}  "),
            _ => format!("{date}"),
        };
    });
    for quoted in [false, true] {
        let lines = joined_lines(&rows, quoted);
        let run = same_at_every_thread_count(&file_of(HEADER, &lines, "\n"), &[]);
        assert!(run.out.status.success(), "{}", run.stderr());
        let want = format!(
            "rows {SAMPLE_ROWS} = {} + {} + 0 + 0; gmv {} = {} + {} + 0.00 + 0.00",
            SAMPLE_ROWS - outside.0,
            outside.0,
            grouped_cents(SAMPLE_GMV),
            grouped_cents(SAMPLE_GMV - outside.1),
            grouped_cents(outside.1)
        );
        assert!(run.gmv_line().contains(&want), "{}\n{want}", run.gmv_line());
    }
}

/// `lines` (the sample's rows, respelled or with lines between them) at both line ends:
/// the same at every thread count, and every row of the sample summed to the cent.
fn sums_the_whole_sample_at_both_line_ends(lines: &[String]) {
    for eol in ["\n", "\r\n"] {
        let run = same_at_every_thread_count(&file_of(HEADER, lines, eol), &[]);
        assert!(run.out.status.success(), "{}", run.stderr());
        assert_sum(&run, SAMPLE_ROWS, 0, SAMPLE_GMV, 0);
    }
}
