//! Hostile and broken input files: each is a clear error naming the file and line (exit 65)
//! or a clearly accounted result, never a panic, and never memory that grows with the file.
//! Big files are generated here, in temp dirs; the binary runs under a 128 MiB address-space
//! limit, so buffering any of them whole would abort it.

mod common;
use common::*;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::Output;

/// Address space the binary may use (`ulimit -v`, KiB). The sample data needs < 64 MiB.
const MEMORY_KIB: u64 = 128 * 1024;

/// Runs the binary with `args` under the memory limit.
fn run_limited(args: &[&std::ffi::OsStr]) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("tsp-payout");
    std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args)
        .output()
        .expect("run the binary")
}

fn calc(dir: &Path, extra: &[&str]) -> Output {
    // One-row exports: days without rows are another rule (README), accepted here.
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["calc".as_ref(), dir.as_os_str(), "--allow-gaps".as_ref()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    run_limited(&args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit 65 (not a crash: a panic is 101, an abort a signal) and the message.
fn assert_bad_data(out: &Output, message: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains(message), "missing {message:?} in\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Writes `prefix`, then `fill` repeated up to `real` bytes, then extends the file to
/// `apparent` bytes (a sparse tail of NUL bytes: still no line break).
fn big_file(path: &Path, prefix: &[u8], fill: &[u8], real: u64, apparent: u64) {
    let mut f = std::io::BufWriter::new(File::create(path).expect("create"));
    f.write_all(prefix).expect("write");
    let chunk: Vec<u8> = fill.iter().copied().cycle().take(1 << 20).collect();
    let mut written = prefix.len() as u64;
    while written < real {
        let n = chunk.len().min((real - written) as usize);
        f.write_all(&chunk[..n]).expect("write");
        written += n as u64;
    }
    let f = f.into_inner().expect("flush");
    f.set_len(apparent.max(real)).expect("extend");
}

const ROW: &str = "2025-10-01,P1,S1,100.00,0,0,0\n";

#[test]
fn a_one_gigabyte_file_without_line_breaks_is_refused_at_line_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gmv_daily.csv");
    // 64 MiB of cells without a line break, the rest of the gigabyte a sparse tail.
    big_file(&path, b"", b"2025-10-01,P1,S1,100.00,", 64 << 20, 1 << 30);
    for mode in [&[][..], &["--skip-invalid"][..]] {
        let out = calc(dir.path(), mode);
        assert_bad_data(
            &out,
            "gmv_daily.csv:1: record is longer than 1 MiB (a line break is missing",
        );
    }
}

#[test]
#[ignore = "writes a real 1 GiB file; run with --ignored"]
fn a_fully_written_one_gigabyte_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gmv_daily.csv");
    let mut prefix = GMV_HEADER.as_bytes().to_vec();
    prefix.extend_from_slice(ROW.as_bytes());
    big_file(&path, &prefix, b"x,", 1 << 30, 1 << 30);
    let out = calc(dir.path(), &["--skip-invalid"]);
    assert_bad_data(&out, "gmv_daily.csv:3: record is longer than 1 MiB");
}

#[test]
fn a_huge_row_after_good_rows_names_its_line_and_stops_even_when_skipping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gmv_daily.csv");
    let mut prefix = GMV_HEADER.as_bytes().to_vec();
    prefix.extend_from_slice(ROW.as_bytes());
    prefix.extend_from_slice(b"\n"); // a blank line 3: the huge record starts on line 4
    big_file(&path, &prefix, b"a", 64 << 20, 64 << 20);
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("run");
    for mode in [&[][..], &["--skip-invalid"][..]] {
        let mut args = mode.to_vec();
        args.extend(["--out", target.to_str().unwrap()]);
        let out = calc(dir.path(), &args);
        // The rows after it were never seen: nothing may be paid on the file.
        assert_bad_data(&out, "gmv_daily.csv:4: record is longer than 1 MiB");
        assert!(
            !target.exists(),
            "no output when a file cannot be read through"
        );
    }
}

#[test]
fn a_hundred_megabyte_quoted_cell_is_refused_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gmv_daily.csv");
    let mut prefix = GMV_HEADER.as_bytes().to_vec();
    prefix.extend_from_slice(ROW.as_bytes());
    prefix.extend_from_slice(b"2025-10-02,P1,\"");
    // A cell of 100 MB that spans line breaks, closed at the end.
    big_file(&path, &prefix, b"seller\n", 100_000_000, 100_000_000);
    let mut f = fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"\",1.00,0,0,0\n").unwrap();
    drop(f);
    let out = calc(dir.path(), &["--skip-invalid"]);
    assert_bad_data(&out, "gmv_daily.csv:3: record is longer than 1 MiB");
    let validate = run_limited(&["validate".as_ref(), dir.path().as_os_str()]);
    assert_eq!(validate.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&validate.stdout)
        .contains("gmv_daily.csv:3: record is longer than 1 MiB"));
}

#[test]
fn a_record_just_under_the_limit_is_read() {
    // A long but legal row: an extra column holding ~900 KiB of text.
    let mut text =
        String::from("note,date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n");
    text.push_str(&"n".repeat(900 << 10));
    text.push(',');
    text.push_str(ROW);
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    let out = calc(dir.path(), &["--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rows 1 = 1 + 0 + 0 + 0"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_row_with_ten_thousand_columns_is_one_bad_row() {
    let wide = format!("2025-10-02,P1,S1,5.00,0,0,0{}\n", ",x".repeat(9_993));
    let text = format!("{GMV_HEADER}{ROW}{wide}");
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    let out = calc(dir.path(), &[]);
    assert_bad_data(
        &out,
        "gmv_daily.csv:3: row has 10000 cells, the header has 7",
    );

    let out_dir = tempfile::tempdir().unwrap();
    let out = calc(
        dir.path(),
        &[
            "--skip-invalid",
            "--max-rejects",
            "1",
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rows 2 = 1 + 0 + 0 + 1; gmv 105.00 = 100.00 + 0.00 + 0.00 + 5.00"),
        "{}",
        stderr(&out)
    );
    let rejects = read_csv(&out_dir.path().join("rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], "3");
    assert_eq!(rejects[0]["row"], wide.trim_end());
}

#[test]
fn a_header_with_ten_thousand_columns_is_read() {
    let extra: String = (0..9_993).map(|i| format!(",c{i}")).collect();
    let header = format!("{}{extra}\n", GMV_HEADER.trim_end());
    let row = format!("{}{}\n", ROW.trim_end(), ",v".repeat(9_993));
    let dir = data_dir(&[("gmv_daily.csv", &format!("{header}{row}"))]);
    let out = calc(dir.path(), &["--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rows 1 = 1 + 0 + 0 + 0"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn invalid_utf8_is_named_by_file_line_and_column() {
    let mut bytes = GMV_HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(ROW.as_bytes());
    bytes.extend_from_slice(b"2025-10-02,P\xff\xfe1,S1,5.00,0,0,0\n");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("gmv_daily.csv"), &bytes).unwrap();
    let out = calc(dir.path(), &[]);
    assert_bad_data(
        &out,
        "gmv_daily.csv:3: column partner_id: \"P\u{fffd}\u{fffd}1\" is not valid UTF-8",
    );

    // Skipping: the row is rejected (quoted lossily) and the good one is paid on.
    let out_dir = tempfile::tempdir().unwrap();
    let out = calc(
        dir.path(),
        &[
            "--skip-invalid",
            "--max-rejects",
            "1",
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rejects = read_csv(&out_dir.path().join("rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(
        rejects[0]["row"],
        "2025-10-02,P\u{fffd}\u{fffd}1,S1,5.00,0,0,0"
    );
    let partners: Vec<String> = read_csv(&out_dir.path().join("payouts.csv"))
        .into_iter()
        .map(|r| r["partner_id"].clone())
        .collect();
    assert!(partners.iter().all(|p| p == "P1"), "{partners:?}");

    // In the header, even in an ignored column, the file cannot be mapped.
    let mut header =
        b"date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv,n\xc3\x28\n"
            .to_vec();
    header.extend_from_slice(b"2025-10-01,P1,S1,100.00,0,0,0,x\n");
    fs::write(dir.path().join("gmv_daily.csv"), &header).unwrap();
    let out = calc(dir.path(), &["--skip-invalid"]);
    assert_bad_data(&out, "gmv_daily.csv:1: header cell 8 is not valid UTF-8");

    // In a column the file does not use, a row is fine.
    let mut extra =
        b"date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv,note\n".to_vec();
    extra.extend_from_slice(b"2025-10-01,P1,S1,100.00,0,0,0,\xff\n");
    fs::write(dir.path().join("gmv_daily.csv"), &extra).unwrap();
    let out = calc(dir.path(), &["--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn binary_garbage_is_a_header_error() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("gmv_daily.csv"), &garbage).unwrap();
    let out = calc(dir.path(), &["--skip-invalid"]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("gmv_daily.csv:1: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn header_only_files_are_valid_and_contribute_nothing() {
    // Optional files with no activity: zero rows, everything accounted for.
    let dir = data_dir(&[
        ("gmv_daily.csv", &format!("{GMV_HEADER}{ROW}")),
        ("partner_tiers.csv", "partner_id,effective_date,tier"),
        ("creators.csv", "creator_id,partner_id,target_list\n\n\n"),
    ]);
    let out_dir = tempfile::tempdir().unwrap();
    let out = calc(dir.path(), &["--out", out_dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("partner_tiers.csv      rows 0 = 0 + 0 + 0 + 0"),
        "{err}"
    );
    assert!(
        err.contains("creators.csv           rows 0 = 0 + 0 + 0 + 0"),
        "{err}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out_dir.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["partners"], 1);

    // gmv_daily.csv without a row has nothing to pay on: refused in every mode
    // (README: "gmv_daily.csv with no accepted row").
    let dir = data_dir(&[(
        "gmv_daily.csv",
        "\u{feff}date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\r\n",
    )]);
    for extra in [&[][..], &["--skip-invalid", "--max-rejects", "100%"][..]] {
        let out = calc(dir.path(), extra);
        assert_bad_data(
            &out,
            "gmv_daily.csv has no accepted row (it holds no data rows)",
        );
        assert!(
            stderr(&out).contains(
                "gmv_daily.csv          rows 0 = 0 + 0 + 0 + 0; gmv 0.00 = 0.00 + 0.00 + 0.00 + 0.00"
            ),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn files_without_a_header_are_bad_data() {
    for (content, message) in [
        ("", "gmv_daily.csv:1: file is empty"),
        ("\n\n  \n\t\n", "gmv_daily.csv:1: file has no header row"),
        (
            "2025-10-01,P1,S1,100.00,0,0,0\n",
            "gmv_daily.csv:1: required columns are missing from the header: date, partner_id, seller_id, gmv, short_video_gmv, live_gmv, affiliate_gmv; the header is: \"2025-10-01\"",
        ),
    ] {
        let dir = data_dir(&[("gmv_daily.csv", content)]);
        assert_bad_data(&calc(dir.path(), &["--skip-invalid"]), message);
    }
}

#[test]
fn duplicate_header_names_are_refused_for_required_columns_in_every_file() {
    let base = [
        ("gmv_daily.csv", format!("{GMV_HEADER}{ROW}")),
        (
            "partner_tiers.csv",
            "partner_id,effective_date,tier\nP1,2025-01-01,2\n".into(),
        ),
        (
            "creators.csv",
            "creator_id,partner_id,target_list\nC1,P1,true\n".into(),
        ),
        (
            "creator_gmv_daily.csv",
            "date,creator_id,gmv\n2025-10-01,C1,5\n".into(),
        ),
        (
            "matchmaking.csv",
            "date,partner_id,seller_id,creator_id,gmv\n2025-11-20,P1,S1,C1,5\n".into(),
        ),
        ("partners.csv", "partner_id,partner_name\nP1,Acme\n".into()),
    ];
    for (i, (name, text)) in base.iter().enumerate() {
        // Repeat the file's last required column (spaces around it are trimmed).
        let (header, rest) = text.split_once('\n').unwrap();
        let last = header.rsplit(',').next().unwrap();
        let bad = format!("{header}, {last} \n{}", rest.replace('\n', ",x\n"));
        let files: Vec<(&str, &str)> = base
            .iter()
            .enumerate()
            .map(|(j, (n, t))| (*n, if i == j { bad.as_str() } else { t.as_str() }))
            .collect();
        let dir = data_dir(&files);
        assert_bad_data(
            &calc(dir.path(), &["--skip-invalid"]),
            &format!("{name}:1: column {last}: required column appears 2 times in the header"),
        );
    }
    // Repeated names the contract does not read are extra columns, and ignored.
    let text = format!(
        "note,{},note\nx,{}y\n",
        GMV_HEADER.trim_end(),
        ROW.trim_end().to_string() + ","
    );
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    let out = calc(dir.path(), &["--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_unclosed_quote_in_a_small_file_is_one_bad_row() {
    let text =
        format!("{GMV_HEADER}{ROW}2025-10-02,P1,\"S1,5.00,0,0,0\n2025-10-03,P1,S1,5.00,0,0,0\n");
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    assert_bad_data(
        &calc(dir.path(), &[]),
        "gmv_daily.csv:3: row has 3 cells, the header has 7",
    );
}

#[test]
fn books_whose_numbers_crashed_the_engine_are_refused_by_key() {
    // Each of these panicked (exit 101) before the book bounded its numbers and windows.
    let book = tsp_payout::book::EMBEDDED;
    for (from, to, key) in [
        (
            "{ min = 50000, amount = 20000 }",
            "{ min = \"79228162514264337593543950\", amount = 20000 }",
            "gmv_growth.tiers[3].min",
        ),
        (
            "hold_days = 30",
            "hold_days = 9223372036854775807",
            "tier_upgrade.hold_days",
        ),
        (
            "q3 = { start = \"2025-07-01\"",
            "q3 = { start = \"0001-07-01\"",
            "windows: cover",
        ),
    ] {
        assert!(book.contains(from), "{from}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.toml");
        fs::write(&path, book.replacen(from, to, 1)).unwrap();
        let out = run_limited(&[
            "calc".as_ref(),
            fixture().as_os_str(),
            "--book".as_ref(),
            path.as_os_str(),
        ]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(key), "missing {key:?} in {err}");
    }
}

#[test]
fn a_huge_header_after_blank_lines_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    big_file(
        &dir.path().join("gmv_daily.csv"),
        b"\n\r\n\n",
        b"date,",
        2 << 20,
        2 << 20,
    );
    assert_bad_data(
        &calc(dir.path(), &[]),
        "gmv_daily.csv:4: record is longer than 1 MiB",
    );
}
