//! Ingest under pressure: sums past what `i64` cents hold (many sellers of one partner at
//! the largest amount, a scenario's factors and added rows, rows it zeroes again), the same
//! bytes at one, two and three threads, and Parquet files as warehouses write them (see
//! tests/data/qa/gen_parquet.py and gen_pyarrow.py) paying exactly what the same rows pay
//! as CSV.

mod common;

use common::{bin, fixture, grouped_cents, GMV_HEADER};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The largest amount a cell may hold, in cents.
const MAX_CENTS: i128 = 99_999_999_999_999;
const MAX: &str = "999999999999.99";

fn qa_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qa")
}

fn run(args: &[&str], threads: usize) -> Output {
    bin()
        .args(args)
        .env("TSP_PAYOUT_THREADS", threads.to_string())
        .output()
        .expect("run tsp-payout")
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn days(from: &str, to: &str) -> Vec<chrono::NaiveDate> {
    let (a, b): (chrono::NaiveDate, chrono::NaiveDate) =
        (from.parse().unwrap(), to.parse().unwrap());
    a.iter_days().take_while(|d| *d <= b).collect()
}

/// gmv_daily.csv where P1 has `sellers` sellers at the largest amount on every day of Q3
/// and Q4 (so its totals pass i64 cents), one more seller `X` with `x_gmv` on each Q4 day,
/// and P2 a small seller.
fn many_sellers(dir: &Path, sellers: usize, x_gmv: &str) {
    let mut csv = String::from(GMV_HEADER);
    for d in days("2025-07-01", "2025-12-31") {
        for s in 0..sellers {
            writeln!(csv, "{d},P1,S{s:04},{MAX},{MAX},{MAX},{MAX}").unwrap();
        }
        if d >= "2025-10-01".parse().unwrap() {
            writeln!(csv, "{d},P1,X,{x_gmv},0,0,0").unwrap();
        }
        writeln!(csv, "{d},P2,T1,1000.00,10.00,10.00,10.00").unwrap();
    }
    fs::write(dir.join("gmv_daily.csv"), csv).unwrap();
}

fn payouts_line(payouts: &str, partner: &str, program: &str) -> String {
    payouts
        .lines()
        .find(|l| l.starts_with(&format!("{partner},")) && l.contains(&format!(",{program},")))
        .unwrap_or_else(|| panic!("no {partner} {program} line in\n{payouts}"))
        .to_string()
}

/// 1,100 sellers at the largest amount: P1's Q3 and Q4 GMV pass i64 cents. Q4's average
/// is exactly 3,000.00 above Q3's (seller X), which pays the first tier; one cent less
/// pays nothing. The sums shown are exact, and 1, 2 and 3 threads write the same bytes.
#[test]
fn partner_totals_past_i64_cents_are_exact_at_every_thread_count() {
    let sellers = 1100;
    let q3_cents = MAX_CENTS * sellers as i128 * 92;
    assert!(q3_cents > i128::from(i64::MAX));
    for (x_gmv, x_cents, amount) in [
        ("3000.00", 300_000, "5000.00"),
        ("2999.99", 299_999, "0.00"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        many_sellers(&data, sellers, x_gmv);
        let q4_cents = q3_cents + 92 * x_cents;
        let expected = format!(
            "Q4 avg daily GMV {} ({} over 92 days) − Q3 {} ({} over 92 days)",
            grouped_cents(q4_cents / 92),
            grouped_cents(q4_cents),
            grouped_cents(q3_cents / 92),
            grouped_cents(q3_cents)
        );
        let threads: &[usize] = if x_cents == 300_000 { &[1, 2, 3] } else { &[2] };
        let mut first: Option<Vec<u8>> = None;
        for &t in threads {
            let out_dir = dir.path().join(format!("out{t}"));
            let out = run(
                &[
                    "calc",
                    data.to_str().unwrap(),
                    "--out",
                    out_dir.to_str().unwrap(),
                ],
                t,
            );
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            let payouts = fs::read(out_dir.join("payouts.csv")).unwrap();
            let line = payouts_line(&String::from_utf8_lossy(&payouts), "P1", "gmv_growth");
            assert!(line.contains(&format!(",cash,{amount},")), "{line}");
            assert!(line.contains(&expected), "{line}\nexpected {expected}");
            match &first {
                None => first = Some(payouts),
                Some(f) => assert!(*f == payouts, "payouts.csv differs at {t} threads"),
            }
        }
    }
}

/// Every command reads such data without a panic and shows the exact figures.
#[test]
fn every_command_reads_totals_past_i64_cents() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    many_sellers(&data, 1010, "3000.00");
    let d = data.to_str().unwrap();
    let live_bfcm = MAX_CENTS * 1010 * 20;
    for t in [1, 3] {
        let explain = run(&["explain", d, "--partner", "P1"], t);
        assert_eq!(explain.status.code(), Some(0), "{}", text(&explain));
        let shown = text(&explain);
        assert!(
            shown.contains(&format!("live GMV: {}", grouped_cents(live_bfcm))),
            "explain lacks the BFCM live sum {}",
            grouped_cents(live_bfcm)
        );
        let stm = dir.path().join(format!("stm{t}"));
        let statements = run(
            &[
                "statements",
                d,
                "--month",
                "2025-12",
                "--out",
                stm.to_str().unwrap(),
            ],
            t,
        );
        assert_eq!(statements.status.code(), Some(0), "{}", text(&statements));
        let validate = run(&["validate", d], t);
        assert_eq!(validate.status.code(), Some(0), "{}", text(&validate));
        let ledger = dir.path().join(format!("ledger{t}.db"));
        let close = run(
            &[
                "close",
                d,
                "--period",
                "q4",
                "--ledger",
                ledger.to_str().unwrap(),
            ],
            t,
        );
        assert_eq!(close.status.code(), Some(0), "{}", text(&close));
        assert!(text(&close).contains("cash 5,000.00"), "{}", text(&close));
    }
    let a = fs::read(dir.path().join("stm1/credit_statement_2025-12.csv")).unwrap();
    let b = fs::read(dir.path().join("stm3/credit_statement_2025-12.csv")).unwrap();
    assert!(a == b, "statements differ between 1 and 3 threads");
}

/// Two sellers at the largest amount on every day of Q3 and Q4, and a small partner.
fn two_big_sellers(dir: &Path) {
    let mut csv = String::from(GMV_HEADER);
    for d in days("2025-07-01", "2025-12-31") {
        for s in ["S1", "S2"] {
            writeln!(csv, "{d},P1,{s},{MAX},{MAX},{MAX},{MAX}").unwrap();
        }
        writeln!(csv, "{d},P2,T1,1000.00,10.00,10.00,10.00").unwrap();
    }
    fs::write(dir.join("gmv_daily.csv"), csv).unwrap();
}

/// A scenario scales P1's Q4 by 1,000 and adds five rows on top of S1's every Q4 day: S1's
/// own Q4 sums pass i64 cents. `zero_december` then scales S1's December file rows by 0
/// (the added rows stay).
fn big_scenario(zero_december: bool) -> String {
    let mut s = String::from(
        "name = \"past i64\"\n[[adjust]]\npartner = \"P1\"\nfrom = 2025-10-01\nfactor = \"1000\"\n",
    );
    if zero_december {
        s.push_str(
            "[[adjust]]\npartner = \"P1\"\nseller = \"S1\"\nfrom = 2025-12-01\nfactor = \"0\"\n",
        );
    }
    for _ in 0..5 {
        write!(
            s,
            "[[add]]\npartner = \"P1\"\nseller = \"S1\"\nfrom = 2025-10-01\nto = 2025-12-31\n\
             gmv = \"{MAX}\"\nshort_video_gmv = \"{MAX}\"\nlive_gmv = \"{MAX}\"\naffiliate_gmv = \"{MAX}\"\nadd_to = true\n"
        )
        .unwrap();
    }
    s
}

/// The scenario's sums past i64 cents are exact; with S1's December scaled to 0 and a
/// duplicate of S2's last day (both of its rows taken back with --skip-invalid after P1's
/// totals have spilled), the sums come back down exactly. 1, 2 and 3 threads agree.
#[test]
fn whatif_sums_past_i64_cents_and_back_are_exact_at_every_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    two_big_sellers(&data);
    let plain = fs::read_to_string(data.join("gmv_daily.csv")).unwrap();
    for taken_back in [false, true] {
        let mut csv = plain.clone();
        if taken_back {
            csv.push_str("2025-12-31,P1,S2,5.00,0,0,0\n");
        }
        fs::write(data.join("gmv_daily.csv"), csv).unwrap();
        let scenario = dir.path().join(format!("s{taken_back}.toml"));
        fs::write(&scenario, big_scenario(taken_back)).unwrap();
        let scaled = MAX_CENTS * 1000;
        let (s1_file_days, s2_days) = if taken_back { (61, 91) } else { (92, 92) };
        let s1 = s1_file_days * scaled + 92 * 5 * MAX_CENTS;
        let s2 = s2_days * scaled;
        assert!(s1 + s2 > i128::from(i64::MAX));
        if !taken_back {
            assert!(s1 > i128::from(i64::MAX));
        }
        let gmv = s1 + s2 + 92 * 100_000;
        let channel = s1 + s2 + 92 * 1_000;
        let mut first: Option<Vec<u8>> = None;
        for t in [1, 2, 3] {
            let out_dir = dir.path().join(format!("w{taken_back}{t}"));
            let mut args = vec![
                "whatif",
                data.to_str().unwrap(),
                "--scenario",
                scenario.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ];
            if taken_back {
                args.extend(["--skip-invalid", "--max-rejects", "10"]);
            }
            let out = run(&args, t);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            let shown = text(&out);
            let gmv_row = shown
                .lines()
                .find(|l| l.starts_with("| gmv "))
                .expect("Q4 input sums table");
            assert!(
                gmv_row.contains(&format!("| {} |", grouped_cents(gmv))),
                "{gmv_row}\nexpected {}",
                grouped_cents(gmv)
            );
            let live_row = shown
                .lines()
                .find(|l| l.starts_with("| live_gmv "))
                .unwrap();
            assert!(
                live_row.contains(&format!("| {} |", grouped_cents(channel))),
                "{live_row}"
            );
            let csv = fs::read(out_dir.join("whatif.csv")).unwrap();
            let csv_text = String::from_utf8_lossy(&csv);
            // Both sellers' cumulative affiliate GMV is far above the top tier.
            assert!(
                csv_text.contains("P1,,affiliate_credits,ad_credit,2000.00,2000.00,0.00"),
                "{csv_text}"
            );
            assert!(
                csv_text.contains("P1,,gmv_growth,cash,0.00,20000.00,20000.00"),
                "{csv_text}"
            );
            match &first {
                None => first = Some(csv),
                Some(f) => assert!(*f == csv, "whatif.csv differs at {t} threads"),
            }
        }
    }
}

/// A copy of the sample with gmv_daily given by `gmv` (a file name and its bytes).
fn sample_with(dir: &Path, gmv: (&str, &[u8])) {
    fs::create_dir_all(dir).unwrap();
    for entry in fs::read_dir(fixture()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name != "gmv_daily.csv" {
            fs::copy(&path, dir.join(name)).unwrap();
        }
    }
    fs::write(dir.join(gmv.0), gmv.1).unwrap();
}

/// The rows of the sample's partners that gen_parquet.py and gen_pyarrow.py keep.
fn sample_subset_csv() -> String {
    let all = fs::read_to_string(fixture().join("gmv_daily.csv")).unwrap();
    let mut lines = all.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for l in lines {
        if ["P03", "P04", "P08"].contains(&l.split(',').nth(1).unwrap()) {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// Every layout a warehouse writes (dictionary pages that spill into plain pages inside a
/// chunk, data pages v2, delta and byte-stream-split encodings, no statistics, tiny and
/// single row groups, ZSTD/GZIP/Snappy/none, DECIMAL(9,2)/(18,2)/(18,3)/(38,4), integer
/// cents, `$1,234.56` text with padded ids, ISO text dates) pays byte for byte what the same
/// rows pay as CSV, at 1, 2 and 3 threads.
#[test]
fn parquet_layouts_pay_what_the_csv_pays() {
    let dir = tempfile::tempdir().unwrap();
    let csv_dir = dir.path().join("csv");
    sample_with(&csv_dir, ("gmv_daily.csv", sample_subset_csv().as_bytes()));
    let csv_out = dir.path().join("csv_out");
    let out = run(
        &[
            "calc",
            csv_dir.to_str().unwrap(),
            "--allow-gaps",
            "--out",
            csv_out.to_str().unwrap(),
        ],
        1,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let expected = fs::read(csv_out.join("payouts.csv")).unwrap();
    let mut files: Vec<PathBuf> = fs::read_dir(qa_data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".parquet") && !name.starts_with("edge_") && !name.starts_with("mm_")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    for file in files {
        let name = file.file_stem().unwrap().to_str().unwrap();
        let data = dir.path().join(name);
        sample_with(&data, ("gmv_daily.parquet", &fs::read(&file).unwrap()));
        for t in [1, 2, 3] {
            let out_dir = dir.path().join(format!("{name}_{t}"));
            let out = run(
                &[
                    "calc",
                    data.to_str().unwrap(),
                    "--allow-gaps",
                    "--out",
                    out_dir.to_str().unwrap(),
                ],
                t,
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name} at {t} threads: {}",
                text(&out)
            );
            let payouts = fs::read(out_dir.join("payouts.csv")).unwrap();
            assert!(
                payouts == expected,
                "{name} at {t} threads pays otherwise than the CSV:\n{}",
                String::from_utf8_lossy(&payouts)
            );
        }
    }
}

/// What a run of `dir` gives: exit code, payouts.csv and the count of rejected rows.
fn outcome(
    dir: &Path,
    out_dir: &Path,
    skip_invalid: bool,
    threads: usize,
) -> (Option<i32>, Option<String>, usize) {
    let mut args = vec![
        "calc",
        dir.to_str().unwrap(),
        "--allow-gaps",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    if skip_invalid {
        args.extend(["--skip-invalid", "--max-rejects", "100"]);
    }
    let out = run(&args, threads);
    let payouts = fs::read_to_string(out_dir.join("payouts.csv")).ok();
    let rejects = fs::read_to_string(out_dir.join("rejects.csv"))
        .map(|r| r.lines().count().saturating_sub(1))
        .unwrap_or(0);
    (out.status.code(), payouts, rejects)
}

/// One awkward row (a null in each column, a duplicate key across row groups or after
/// trimming, three decimals exact and not, text amounts, the largest amount and one cent
/// more, a channel above gmv, unsigned 32-bit cents above 2^31 through each of the three
/// readers, unsigned ids past the signed range): the Parquet file and the CSV of the same cells give the same
/// exit code, payouts and rejected rows, strict and with --skip-invalid.
#[test]
fn parquet_edge_rows_are_taken_or_refused_as_the_csv_rows_are() {
    let dir = tempfile::tempdir().unwrap();
    let mut names: Vec<String> = fs::read_dir(qa_data())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_string())
        .filter(|n| n.starts_with("edge_") && n.ends_with(".parquet"))
        .map(|n| n.trim_end_matches(".parquet").to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 23, "{names:?}");
    for name in names {
        let csv_dir = dir.path().join(format!("{name}_csv"));
        let pq_dir = dir.path().join(format!("{name}_pq"));
        fs::create_dir_all(&csv_dir).unwrap();
        fs::create_dir_all(&pq_dir).unwrap();
        fs::copy(
            qa_data().join(format!("{name}.csv")),
            csv_dir.join("gmv_daily.csv"),
        )
        .unwrap();
        fs::copy(
            qa_data().join(format!("{name}.parquet")),
            pq_dir.join("gmv_daily.parquet"),
        )
        .unwrap();
        for skip in [false, true] {
            let csv = outcome(
                &csv_dir,
                &dir.path().join(format!("{name}_{skip}_csv_out")),
                skip,
                1,
            );
            for t in [1, 2] {
                let pq = outcome(
                    &pq_dir,
                    &dir.path().join(format!("{name}_{skip}_{t}_pq_out")),
                    skip,
                    t,
                );
                assert_eq!(
                    pq, csv,
                    "{name} (skip-invalid {skip}, {t} threads): Parquet vs CSV"
                );
            }
        }
    }
}

/// matchmaking has three ids per key: one creator matched with many partners and sellers,
/// rows shuffled, a dictionary spilling into plain pages in small row groups. The fast
/// path finds a row's key by its ids' dictionary entries; it must pay what the CSV pays.
#[test]
fn matchmaking_parquet_with_three_ids_pays_what_the_csv_pays() {
    let dir = tempfile::tempdir().unwrap();
    let gmv = fs::read(fixture().join("gmv_daily.csv")).unwrap();
    let csv_dir = dir.path().join("csv");
    let pq_dir = dir.path().join("pq");
    sample_with(&csv_dir, ("gmv_daily.csv", &gmv));
    sample_with(&pq_dir, ("gmv_daily.csv", &gmv));
    fs::remove_file(csv_dir.join("matchmaking.csv")).unwrap();
    fs::remove_file(pq_dir.join("matchmaking.csv")).unwrap();
    fs::copy(
        qa_data().join("mm_matchmaking.csv"),
        csv_dir.join("matchmaking.csv"),
    )
    .unwrap();
    fs::copy(
        qa_data().join("mm_matchmaking.parquet"),
        pq_dir.join("matchmaking.parquet"),
    )
    .unwrap();
    let csv_out = dir.path().join("csv_out");
    let out = run(
        &[
            "calc",
            csv_dir.to_str().unwrap(),
            "--out",
            csv_out.to_str().unwrap(),
        ],
        1,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let expected = fs::read(csv_out.join("payouts.csv")).unwrap();
    assert!(String::from_utf8_lossy(&expected).contains(
        "P02,Harbor & Finch Digital,bfcm_matchmaking,bfcm,cash,25000.00,false,\"rank 1 of 4 by matched BFCM GMV 256,003.22 (15 pairs)"
    ));
    for t in [1, 2, 3] {
        let out_dir = dir.path().join(format!("pq_out{t}"));
        let out = run(
            &[
                "calc",
                pq_dir.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ],
            t,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            fs::read(out_dir.join("payouts.csv")).unwrap() == expected,
            "matchmaking.parquet pays otherwise at {t} threads"
        );
    }
}

/// The careful path (a bad row, and a duplicate of an early row at the file's end, with
/// --skip-invalid) takes both duplicates back out of totals that have passed i64 cents:
/// Q3 is exact to the cent, and 1, 2 and 3 threads write the same bytes.
#[test]
fn duplicates_taken_back_from_totals_past_i64_cents_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    many_sellers(&data, 1100, "3000.00");
    let csv = fs::read_to_string(data.join("gmv_daily.csv")).unwrap();
    let mut lines: Vec<&str> = csv.lines().collect();
    let middle = lines.len() / 2;
    lines.insert(middle, "2025-09-01,P1,S9999,abc,0,0,0");
    lines.push("2025-07-01,P1,S0005,5.00,5.00,5.00,5.00");
    fs::write(data.join("gmv_daily.csv"), lines.join("\n") + "\n").unwrap();
    let q3 = (1100 * 92 - 1) * MAX_CENTS;
    let q4 = 1100 * 92 * MAX_CENTS + 92 * 300_000;
    let expected = format!(
        "Q4 avg daily GMV {} ({} over 92 days) − Q3 {} ({} over 92 days)",
        grouped_cents(q4 / 92),
        grouped_cents(q4),
        grouped_cents(q3 / 92),
        grouped_cents(q3)
    );
    let mut first: Option<Vec<u8>> = None;
    for t in [1, 2, 3] {
        let out_dir = dir.path().join(format!("out{t}"));
        let out = run(
            &[
                "calc",
                data.to_str().unwrap(),
                "--skip-invalid",
                "--out",
                out_dir.to_str().unwrap(),
            ],
            t,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let rejects = fs::read_to_string(out_dir.join("rejects.csv")).unwrap();
        assert_eq!(rejects.lines().count(), 4, "{rejects}");
        let payouts = fs::read(out_dir.join("payouts.csv")).unwrap();
        let line = payouts_line(&String::from_utf8_lossy(&payouts), "P1", "gmv_growth");
        assert!(line.contains(&expected), "{line}\nexpected {expected}");
        match &first {
            None => first = Some(payouts),
            Some(f) => assert!(*f == payouts, "payouts.csv differs at {t} threads"),
        }
    }
}

/// Writes gmv_daily.parquet into `dir` with `rows` (day, partner, seller, gmv cents); ids
/// as `id_type` (`int64`, `int32 (UINT_32)`, ...) in `encoding` (dictionary when `None`),
/// in row groups of 100.
fn integer_id_parquet(
    dir: &Path,
    rows: &[(chrono::NaiveDate, i64, i64, i64)],
    id_type: &str,
    encoding: Option<parquet::basic::Encoding>,
) {
    use parquet::data_type::{Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let (physical, annotation) = id_type.split_once(' ').unwrap_or((id_type, ""));
    let amounts: String = ["gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"]
        .iter()
        .map(|c| format!("required int64 {c} (DECIMAL(18,2)); "))
        .collect();
    let schema = format!(
        "message m {{ required int32 date (DATE); required {physical} partner_id {annotation}; \
         required {physical} seller_id {annotation}; {amounts}}}"
    );
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).unwrap());
    let mut props = WriterProperties::builder().set_data_page_row_count_limit(30);
    if let Some(encoding) = encoding {
        props = props.set_dictionary_enabled(false);
        for c in ["partner_id", "seller_id"] {
            props = props.set_column_encoding(c.into(), encoding);
        }
    }
    let file = fs::File::create(dir.join("gmv_daily.parquet")).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(props.build())).unwrap();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    for group in rows.chunks(100) {
        let mut g = writer.next_row_group().unwrap();
        let mut c = 0;
        while let Some(mut column) = g.next_column().unwrap() {
            match c {
                0 => {
                    let days: Vec<i32> = group
                        .iter()
                        .map(|r| (r.0 - epoch).num_days() as i32)
                        .collect();
                    column.typed::<Int32Type>().write_batch(&days, None, None)
                }
                1 | 2 => {
                    let ids: Vec<i64> = group
                        .iter()
                        .map(|r| if c == 1 { r.1 } else { r.2 })
                        .collect();
                    if physical == "int32" {
                        let ids: Vec<i32> = ids.iter().map(|i| *i as i32).collect();
                        column.typed::<Int32Type>().write_batch(&ids, None, None)
                    } else {
                        column.typed::<Int64Type>().write_batch(&ids, None, None)
                    }
                }
                3 => {
                    let gmv: Vec<i64> = group.iter().map(|r| r.3).collect();
                    column.typed::<Int64Type>().write_batch(&gmv, None, None)
                }
                _ => column
                    .typed::<Int64Type>()
                    .write_batch(&vec![100; group.len()], None, None),
            }
            .unwrap();
            column.close().unwrap();
            c += 1;
        }
        g.close().unwrap();
    }
    writer.close().unwrap();
}

/// Ids a warehouse stores as integers (signed with negatives and past 2^53, UINT_32 past
/// 2^31, UINT_64 past i64) read as their digits: the Parquet file pays what the CSV of
/// those digits pays, on the fast readers (dictionary and plain pages, the parquet
/// crate's value readers for delta-packed ids) and on the careful one, at 1 and 2
/// threads; a key repeated through its integer ids is named by the same row both ways.
#[test]
fn parquet_integer_ids_pay_what_the_csv_of_their_digits_pays() {
    use parquet::basic::Encoding;
    let dir = tempfile::tempdir().unwrap();
    // Each id type: partners, sellers, and the careful path's text of a value written so.
    type Case = (&'static str, [i64; 3], [i64; 4], fn(i64) -> String);
    let cases: [Case; 4] = [
        (
            "int64",
            [9_007_199_254_740_993, -7, 0],
            [1, -1, i64::MAX, i64::MIN],
            |v| v.to_string(),
        ),
        (
            "int64 (UINT_64)",
            [-1, 7, 1 << 62],
            [-2, 12, i64::MIN, 3],
            |v| (v as u64).to_string(),
        ),
        (
            "int32",
            [-2_147_483_648, 5, 17],
            [0, -9, 2_147_483_647, 4],
            |v| (v as i32).to_string(),
        ),
        (
            "int32 (UINT_32)",
            [-1, 3_000_000_000, 9],
            [-5, 1, 2, 2_147_483_648],
            |v| (v as i32 as u32).to_string(),
        ),
    ];
    for (id_type, partners, sellers, digits) in cases {
        let days = days("2025-07-01", "2025-12-31");
        let mut rows = Vec::new();
        for (d, day) in days.iter().enumerate().step_by(3) {
            for (p, partner) in partners.iter().enumerate() {
                for (s, seller) in sellers.iter().enumerate() {
                    rows.push((
                        *day,
                        *partner,
                        *seller,
                        1_000 + (d * 37 + p * 11 + s) as i64 * 13,
                    ));
                }
            }
        }
        let mut names = String::from("partner_id,partner_name\n");
        for p in partners {
            writeln!(names, "{},Partner {}", digits(p), digits(p)).unwrap();
        }
        let csv_dir = dir.path().join(format!("{id_type}_csv"));
        fs::create_dir_all(&csv_dir).unwrap();
        fs::write(csv_dir.join("partners.csv"), &names).unwrap();
        let mut csv = GMV_HEADER.to_string();
        for (day, p, s, gmv) in &rows {
            writeln!(
                csv,
                "{day},{},{},{}.{:02},1.00,1.00,1.00",
                digits(*p),
                digits(*s),
                gmv / 100,
                gmv % 100
            )
            .unwrap();
        }
        fs::write(csv_dir.join("gmv_daily.csv"), &csv).unwrap();
        let calc = |data: &Path, threads: usize, careful: bool| {
            let mut cmd = bin();
            if careful {
                cmd.env("TSP_PAYOUT_TEST_CAREFUL", "1");
            }
            let out = cmd
                .args([
                    "calc",
                    data.to_str().unwrap(),
                    "--allow-gaps",
                    "--format",
                    "csv",
                ])
                .env("TSP_PAYOUT_THREADS", threads.to_string())
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let expected = calc(&csv_dir, 1, false);
        assert_eq!(expected.0, Some(0), "{}", expected.2);
        // Every partner paid on its digits.
        for p in partners {
            assert!(expected.1.contains(&digits(p)), "{id_type}: {}", expected.1);
        }
        for encoding in [
            None,
            Some(Encoding::PLAIN),
            Some(Encoding::DELTA_BINARY_PACKED),
        ] {
            let pq_dir = dir.path().join(format!("{id_type}_{encoding:?}"));
            fs::create_dir_all(&pq_dir).unwrap();
            fs::write(pq_dir.join("partners.csv"), &names).unwrap();
            integer_id_parquet(&pq_dir, &rows, id_type, encoding);
            for threads in [1, 2] {
                for careful in [false, true] {
                    let got = calc(&pq_dir, threads, careful);
                    assert_eq!(
                        (got.0, &got.1),
                        (expected.0, &expected.1),
                        "{id_type} {encoding:?} {threads} threads, careful {careful}: {}",
                        got.2
                    );
                }
            }
            // Row 251 repeats row 2's key and day.
            let mut repeated = rows.clone();
            repeated.insert(250, rows[1]);
            integer_id_parquet(&pq_dir, &repeated, id_type, encoding);
            let fast = calc(&pq_dir, 2, false);
            let careful = calc(&pq_dir, 2, true);
            assert_eq!(fast.0, Some(65), "{id_type} {encoding:?}: {}", fast.2);
            assert!(
                fast.2.contains("row 251"),
                "{id_type} {encoding:?}: {}",
                fast.2
            );
            assert_eq!(fast, careful, "{id_type} {encoding:?}");
        }
    }
}
