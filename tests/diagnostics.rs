//! What people read when an export is wrong: problems alike counted together with a hint,
//! `validate --all` and rejects.csv row by row, spreadsheets saved in the wrong format named
//! with how to save them, and refused values that say what they look like.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::process::Output;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn run(args: &[&str], dir: &Path) -> Output {
    let mut cmd = bin();
    cmd.arg(args[0]).arg(dir).args(&args[1..]);
    cmd.output().expect("run")
}

/// A gmv_daily.csv of two good rows and then `bad` rows dated M/D/YYYY (lines 4..).
fn us_dates(bad: usize) -> String {
    let mut s = String::from(GMV_HEADER);
    s.push_str("2025-10-01,P1,S1,100.00,0,0,0\n");
    s.push_str("2025-10-02,P1,S1,100.00,0,0,0\n");
    for i in 0..bad {
        let day = i % 28 + 1;
        s.push_str(&format!("7/{day}/2025,P1,S{i},10.00,0,0,0\n"));
    }
    s
}

fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn thousands_of_us_dates_are_one_line_with_a_hint_in_every_command() {
    let dir = data_dir(&[("gmv_daily.csv", &us_dates(12_000))]);
    let summary = "gmv_daily.csv: 12,000 rows like line 4: column date: \"7/1/2025\" is not a \
                   date (YYYY-MM-DD) but looks like M/D/YYYY; lines 4, 5, 6, 7, 8, …\n  \
                   hint: dates must be YYYY-MM-DD; 7/1/2025 looks like M/D/YYYY\n";
    let scenario = tempfile::tempdir().unwrap();
    let scenario_file = scenario.path().join("s.toml");
    fs::write(&scenario_file, "name = \"same\"\n").unwrap();
    let scenario_arg = scenario_file.to_str().unwrap();
    for args in [
        vec!["calc", "--allow-gaps"],
        vec!["statements", "--month", "2025-10", "--allow-gaps"],
        vec!["whatif", "--scenario", scenario_arg, "--allow-gaps"],
        vec!["explain", "--partner", "P1", "--allow-gaps"],
    ] {
        let out = run(&args, dir.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(65), "{args:?}: {err}");
        assert!(err.contains(summary), "{args:?}:\n{err}");
        assert_eq!(count(&err, "is not a date"), 1, "{args:?}:\n{err}");
        assert!(
            err.contains("`tsp-payout validate --all` lists every one"),
            "{err}"
        );
        assert!(!err.contains("more\n"), "every problem is counted: {err}");
    }
    let out = run(&["validate", "--allow-gaps"], dir.path());
    assert_eq!(out.status.code(), Some(65));
    let text = stdout(&out);
    assert!(text.contains(summary), "{text}");
    assert!(
        text.contains("12000 problem(s) in 1 file(s) checked"),
        "{text}"
    );

    // --all: every row, past the 10,000 kept by default, each saying what it looks like.
    let out = run(&["validate", "--allow-gaps", "--all"], dir.path());
    assert_eq!(out.status.code(), Some(65));
    let text = stdout(&out);
    assert_eq!(
        count(&text, "is not a date (YYYY-MM-DD) but looks like M/D/YYYY"),
        12_000
    );
    assert!(text.contains("gmv_daily.csv:12003: column date: \"7/16/2025\""));
    assert!(!text.contains("hint:"), "{}", &text[..2000]);
    assert!(!text.contains("… and"));
}

#[test]
fn rejects_csv_lists_every_row_with_what_it_looks_like() {
    let dir = data_dir(&[("gmv_daily.csv", &us_dates(40))]);
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("run");
    let out = run(
        &[
            "calc",
            "--allow-gaps",
            "--skip-invalid",
            "--max-rejects",
            "100%",
            "--out",
            target.to_str().unwrap(),
        ],
        dir.path(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("gmv_daily.csv: 40 rows like line 4: column date"),
        "{err}"
    );
    let rejects = read_csv(&target.join("rejects.csv"));
    assert_eq!(rejects.len(), 40);
    for (i, r) in rejects.iter().enumerate() {
        assert_eq!(r["line"], (i + 4).to_string());
        assert!(
            r["reason"].ends_with("is not a date (YYYY-MM-DD) but looks like M/D/YYYY"),
            "{r:?}"
        );
    }
}

#[test]
fn few_problems_alike_are_listed_one_by_one() {
    let dir = data_dir(&[("gmv_daily.csv", &us_dates(3))]);
    let out = run(&["validate", "--allow-gaps"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(65));
    for line in 4..=6 {
        assert!(
            text.contains(&format!("gmv_daily.csv:{line}: column date: \"7/")),
            "{text}"
        );
    }
    assert!(!text.contains("rows like"), "{text}");
    assert!(!text.contains("validate --all"), "{text}");
}

const RESAVE: &str = "save it as \"CSV UTF-8 (comma delimited)\"";

fn header_problem(name: &str, bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(name), bytes).unwrap();
    if name != "gmv_daily.csv" {
        fs::write(dir.path().join("gmv_daily.csv"), us_dates(0)).unwrap();
    }
    let out = run(&["calc", "--allow-gaps", "--skip-invalid"], dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(65), "{err}");
    err
}

#[test]
fn a_semicolon_or_tab_delimiter_is_named() {
    let semi = "date;partner_id;seller_id;gmv;short_video_gmv;live_gmv;affiliate_gmv\n\
                2025-10-01;P1;S1;45615,49;0;0;0\n";
    let err = header_problem("gmv_daily.csv", semi.as_bytes());
    assert!(
        err.contains(&format!(
            "gmv_daily.csv:1: the header's cells are separated by semicolons (;), not commas \
             (it reads date, partner_id, seller_id, gmv, …): {RESAVE}"
        )),
        "{err}"
    );
    let tabs = "partner_id\tpartner_name\r\nP1\tOne\r\n";
    let err = header_problem("partners.csv", tabs.as_bytes());
    assert!(
        err.contains(&format!(
            "partners.csv:1: the header's cells are separated by tabs, not commas (it reads \
             partner_id, partner_name): {RESAVE}"
        )),
        "{err}"
    );
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[test]
fn a_utf16_file_is_named_with_or_without_its_mark() {
    // Excel's "Unicode Text": UTF-16 with a mark, tab-separated.
    let text = us_dates(1).replace(',', "\t");
    let err = header_problem("gmv_daily.csv", &utf16le(&text, true));
    assert!(
        err.contains(&format!(
            "gmv_daily.csv:1: the file is UTF-16 text (little-endian, with a byte-order mark), \
             not UTF-8: {RESAVE}"
        )),
        "{err}"
    );
    let err = header_problem(
        "partners.csv",
        &utf16le("partner_id,partner_name\nP1,A\n", false),
    );
    assert!(
        err.contains(&format!(
            "partners.csv:1: the file is UTF-16 text (little-endian, without a byte-order \
             mark), not UTF-8: {RESAVE}"
        )),
        "{err}"
    );
}

#[test]
fn a_windows_1252_file_is_named_in_its_header_and_in_its_cells() {
    let err = header_problem(
        "partners.csv",
        b"partner_id,partner_name,Soci\xe9t\xe9\nP1,A,x\n",
    );
    assert!(
        err.contains(&format!(
            "partners.csv:1: header cell 3 is not valid UTF-8; the file looks like \
             Windows-1252 text, not UTF-8 (its header reads \"partner_id,partner_name,Société\"): \
             {RESAVE}"
        )),
        "{err}"
    );
    // A UTF-8 header and Windows-1252 names: each cell says it, and many are one line.
    let mut names = b"partner_id,partner_name\n".to_vec();
    for i in 0..5 {
        names.extend_from_slice(format!("P{i},Caf").as_bytes());
        names.extend_from_slice(b"\xe9 \x93Chez Zo\xeb\x94\n");
    }
    let dir = data_dir(&[("gmv_daily.csv", &us_dates(0))]);
    fs::write(dir.path().join("partners.csv"), &names).unwrap();
    let out = run(&["validate", "--allow-gaps"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(65), "{text}");
    assert!(
        text.contains(
            "partners.csv: 5 rows like line 2: column partner_name: \"Caf\u{fffd} \u{fffd}Chez \
             Zo\u{fffd}\" is not valid UTF-8 (as Windows-1252 it reads \"Café “Chez \
             Zoë”\": save the file as CSV UTF-8); lines 2, 3, 4, 5, 6\n  hint: the file looks \
             like Windows-1252 text, not UTF-8: save it as \"CSV UTF-8 (comma delimited)\"\n"
        ),
        "{text}"
    );
}

#[test]
fn decimal_commas_datetimes_and_totals_rows_say_what_they_look_like() {
    let mut gmv = us_dates(0);
    gmv.push_str("2025-10-03,P1,S1,\"45615,49\",0,0,0\n");
    gmv.push_str("2025-10-04T00:00:00,P1,S1,5.00,0,0,0\n");
    gmv.push_str("2025-10-05 00:00:00,P1,S1,5.00,0,0,0\n");
    gmv.push_str("Total,,,\"45,835.49\",0,0,0\n");
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    let out = run(&["validate", "--allow-gaps"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(65), "{text}");
    for expected in [
        "gmv_daily.csv:4: column gmv: \"45615,49\" is not an amount but looks like a decimal \
         comma (amounts use a point: 45615.49)\n",
        "gmv_daily.csv:5: column date: \"2025-10-04T00:00:00\" is not a date (YYYY-MM-DD) but \
         looks like a date with a time of day (write the date alone: 2025-10-04)\n",
        "gmv_daily.csv:6: column date: \"2025-10-05 00:00:00\" is not a date (YYYY-MM-DD) but \
         looks like a date with a time of day (write the date alone: 2025-10-05)\n",
        "gmv_daily.csv:7: column date: \"Total\" looks like a total or summary row, not data: \
         delete such rows from the export\n",
        "4 problem(s) in 1 file(s) checked",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // The totals row is one problem, not one per empty cell.
    assert_eq!(count(&text, "gmv_daily.csv:7:"), 1, "{text}");
}

#[test]
fn thousands_commas_stay_accepted_amounts() {
    let mut gmv = us_dates(0);
    gmv.push_str("2025-10-03,P1,S1,\"1,234\",0,0,0\n");
    gmv.push_str("2025-10-04,P1,S1,\"$45,615.49\",\"1,000\",0,0\n");
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    let out = run(&["calc", "--allow-gaps", "--format", "csv"], dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // 100 + 100 + 1,234 + 45,615.49 dollars read and used.
    assert!(
        err.contains("gmv 47,049.49 = 47,049.49 + 0.00 + 0.00 + 0.00"),
        "{err}"
    );
}

#[test]
fn a_partner_named_like_a_total_keeps_its_own_problem() {
    let mut gmv = us_dates(0);
    gmv.push_str("2025-10-03,Total Wellness,S1,oops,0,0,0\n");
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    let out = run(&["validate", "--allow-gaps"], dir.path());
    let text = stdout(&out);
    assert!(
        text.contains("gmv_daily.csv:4: column gmv: \"oops\" is not an amount\n"),
        "{text}"
    );
}

#[test]
fn small_files_name_totals_rows_and_spreadsheet_dates_too() {
    let tiers = "partner_id,effective_date,tier\nP1,45839,2\nP1,2025-01-01,2\nTotal,,\n";
    let dir = data_dir(&[
        ("gmv_daily.csv", &us_dates(0)),
        ("partner_tiers.csv", tiers),
    ]);
    let out = run(&["validate", "--allow-gaps"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(65), "{text}");
    for expected in [
        "partner_tiers.csv:2: column effective_date: \"45839\" is not a date (YYYY-MM-DD) but \
         looks like a spreadsheet date number (45839 is 2025-07-01): format the column as \
         YYYY-MM-DD\n",
        "partner_tiers.csv:4: column partner_id: \"Total\" looks like a total or summary row, \
         not data: delete such rows from the export\n",
        "2 problem(s) in 2 file(s) checked",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

/// A file written with decimal commas cannot be half-read: "1,500" in it means 1.5 but
/// would pass as 1500.00, so --skip-invalid refuses it whatever --max-rejects allows.
#[test]
fn a_file_with_decimal_commas_is_refused_even_when_skipping_invalid_rows() {
    let mut gmv = us_dates(0);
    gmv.push_str("2025-10-03,P1,S1,\"1,500\",0,0,0\n");
    gmv.push_str("2025-10-04,P1,S1,\"2,25\",0,0,0\n");
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("run");
    let result = run(
        &[
            "calc",
            "--allow-gaps",
            "--skip-invalid",
            "--max-rejects",
            "100%",
            "--out",
            target.to_str().unwrap(),
        ],
        dir.path(),
    );
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(65), "{err}");
    assert!(
        err.contains(
            "gmv_daily.csv: amounts are written with decimal commas (1 row(s), first at line 5): \
             an amount like 1,500 in it would be read as 1500.00"
        ),
        "{err}"
    );
    assert!(!target.exists(), "nothing is written");
}

/// A totals row whose date and amounts read as data would be paid as one more partner:
/// it is refused in every mode, named by its id.
#[test]
fn a_totals_row_that_reads_as_data_is_refused_not_paid() {
    let mut gmv = us_dates(0);
    gmv.push_str("2025-10-03,TOTAL,ALL,\"1,000,000.00\",0,0,0\n");
    gmv.push_str("2025-10-03,P2,Grand Total:,5.00,0,0,0\n");
    let dir = data_dir(&[("gmv_daily.csv", &gmv)]);
    for extra in [&[][..], &["--skip-invalid", "--max-rejects", "100%"][..]] {
        let mut args = vec!["calc", "--allow-gaps", "--format", "csv"];
        args.extend_from_slice(extra);
        let out = run(&args, dir.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(65), "{extra:?}: {err}");
        assert!(stdout(&out).is_empty(), "nothing is paid");
        for expected in [
            "partner_id \"TOTAL\" looks like a total or summary row",
            "seller_id \"Grand Total:\" of partner \"P2\" looks like a total or summary row",
        ] {
            assert!(
                err.contains(expected),
                "{extra:?}: missing {expected:?} in {err}"
            );
        }
    }
}
