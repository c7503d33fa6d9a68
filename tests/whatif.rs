//! `tsp-payout whatif`: baseline vs scenario per partner and program, on the sample data and
//! on tiny data sets whose amounts are computed by hand.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const SAMPLE: &str = "fixtures/q4-sample";

fn bin() -> Command {
    Command::cargo_bin("tsp-payout").expect("binary")
}

/// Runs `whatif` and returns (exit code, stdout, stderr).
fn whatif(data: &Path, scenario: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = bin()
        .arg("whatif")
        .arg(data)
        .arg("--scenario")
        .arg(scenario)
        .args(extra)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).expect("write");
    p
}

/// whatif.csv rows keyed by (partner_id, program): (baseline, scenario, difference).
fn rows(csv_text: &str) -> BTreeMap<(String, String), (String, String, String)> {
    assert_eq!(
        csv_text.lines().next(),
        Some("\u{feff}partner_id,partner_name,program,kind,baseline,scenario,difference")
    );
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut out = BTreeMap::new();
    for rec in reader.records() {
        let r = rec.expect("csv row");
        out.insert(
            (r[0].to_string(), r[2].to_string()),
            (r[4].to_string(), r[5].to_string(), r[6].to_string()),
        );
    }
    out
}

fn row(b: &str, s: &str, d: &str) -> (String, String, String) {
    (b.into(), s.into(), d.into())
}

fn key(p: &str, program: &str) -> (String, String) {
    (p.into(), program.into())
}

/// One row per day of `from..=to` for (partner, seller) with the given gmv and short video.
fn days(out: &mut String, from: &str, to: &str, partner: &str, seller: &str, gmv: &str, sv: &str) {
    let mut d: chrono::NaiveDate = from.parse().expect("date");
    let end: chrono::NaiveDate = to.parse().expect("date");
    while d <= end {
        writeln!(out, "{d},{partner},{seller},{gmv},{sv},0.00,0.00").expect("string");
        d = d.succ_opt().expect("date");
    }
}

/// P1: Q3 10,000.00 a day, Q4 30,000.00 a day (10,000.00 of it short video) → increment
/// 20,000 → $10,000. P2: Q3 5,000.00, Q4 9,000.00 → increment 4,000 → $5,000.
fn tiny() -> TempDir {
    let dir = TempDir::new().expect("tempdir");
    let mut gmv =
        String::from("date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n");
    days(
        &mut gmv,
        "2025-07-01",
        "2025-09-30",
        "P1",
        "S1",
        "10000.00",
        "0.00",
    );
    days(
        &mut gmv,
        "2025-10-01",
        "2025-12-31",
        "P1",
        "S1",
        "30000.00",
        "10000.00",
    );
    days(
        &mut gmv,
        "2025-07-01",
        "2025-09-30",
        "P2",
        "S1",
        "5000.00",
        "0.00",
    );
    days(
        &mut gmv,
        "2025-10-01",
        "2025-12-31",
        "P2",
        "S1",
        "9000.00",
        "0.00",
    );
    write(dir.path(), "gmv_daily.csv", &gmv);
    write(
        dir.path(),
        "partners.csv",
        "partner_id,partner_name\nP1,One\nP2,Two\n",
    );
    dir
}

fn tiny_run(scenario: &str) -> BTreeMap<(String, String), (String, String, String)> {
    let data = tiny();
    let s = write(data.path(), "scenario.toml", scenario);
    let (code, out, err) = whatif(data.path(), &s, &["--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    rows(&out)
}

#[test]
fn a_scenario_that_changes_nothing_gives_zero_differences_on_the_sample() {
    let tmp = TempDir::new().expect("tempdir");
    // Scales everything by 1 and sets a book key to the value it has: nothing changes.
    let s = write(
        tmp.path(),
        "noop.toml",
        "name = \"no change\"\n[[adjust]]\nfactor = 1\n[book.affiliate_credits]\nmax_sellers = 70\n",
    );
    let (code, out, err) = whatif(Path::new(SAMPLE), &s, &["--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    let got = rows(&out);

    // The baseline is exactly what `calc` pays, program by program.
    let calc = bin()
        .args(["calc", SAMPLE, "--format", "csv"])
        .output()
        .expect("calc");
    let mut paid: BTreeMap<(String, String), rust_decimal::Decimal> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(calc.stdout.as_slice());
    for rec in reader.records() {
        let r = rec.expect("row");
        *paid.entry(key(&r[0], &r[2])).or_default() +=
            r[5].parse::<rust_decimal::Decimal>().expect("amount");
    }
    assert_eq!(got.len(), paid.len());
    for (k, amount) in &paid {
        let (b, s, d) = &got[k];
        assert_eq!(b, &format!("{amount:.2}"), "{k:?}");
        assert_eq!(s, b, "{k:?}");
        assert_eq!(d, "0.00", "{k:?}");
    }
    assert_eq!(
        got[&key("P01", "gmv_growth")],
        row("20000.00", "20000.00", "0.00")
    );

    let (code, table, _) = whatif(Path::new(SAMPLE), &s, &[]);
    assert_eq!(code, 0);
    assert!(
        table.contains("budget impact: cash 0.00, ad credits 0.00"),
        "{table}"
    );
    // The sample's totals, as the reference computation has them.
    assert!(
        table.contains(
            "| TOTAL                   | cash      | 448,500.00 | 448,500.00 |       0.00 |"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "| TOTAL                   | ad_credit | 162,500.00 | 162,500.00 |       0.00 |"
        ),
        "{table}"
    );
}

#[test]
fn doubling_one_partners_q4_gmv_moves_it_to_the_top_tier() {
    // Q4 60,000.00 a day − Q3 10,000.00 = 50,000 exactly → $20,000 (was $10,000).
    let got =
        tiny_run("[[adjust]]\npartner = \"P1\"\nfrom = 2025-10-01\nto = 2025-12-31\nfactor = 2\n");
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "20000.00", "10000.00")
    );
    assert_eq!(
        got[&key("P2", "gmv_growth")],
        row("5000.00", "5000.00", "0.00")
    );

    let data = tiny();
    let s = write(
        data.path(),
        "s.toml",
        "[[adjust]]\npartner = \"P1\"\nfrom = 2025-10-01\nto = 2025-12-31\nfactor = 2\n",
    );
    let (code, table, _) = whatif(data.path(), &s, &[]);
    assert_eq!(code, 0);
    assert!(
        table.contains("budget impact: cash +10,000.00, ad credits 0.00"),
        "{table}"
    );
    assert!(
        table.contains("| gmv             | 3,588,000.00 | 6,348,000.00 | +2,760,000.00 |"),
        "{table}"
    );
    let (_, json, _) = whatif(data.path(), &s, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["totals"]["cash"]["baseline"], "15000.00");
    assert_eq!(doc["totals"]["cash"]["scenario"], "25000.00");
    assert_eq!(doc["totals"]["cash"]["difference"], "10000.00");
    assert_eq!(doc["totals"]["ad_credit"]["difference"], "0.00");
}

#[test]
fn a_date_range_is_inclusive_and_applies_only_inside() {
    // Doubling only 2025-12-31 adds one day of 30,000.00: increment 20,000 + 30,000/92,
    // still $10,000. Doubling 2025-10-02..2025-12-30 (90 days) adds 2,700,000 / 92 =
    // 29,347.82 a day → increment 49,347.82, just under 50,000 → $15,000.
    let got =
        tiny_run("[[adjust]]\npartner = \"P1\"\nfrom = 2025-12-31\nto = 2025-12-31\nfactor = 2\n");
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "10000.00", "0.00")
    );
    let got =
        tiny_run("[[adjust]]\npartner = \"P1\"\nfrom = 2025-10-02\nto = 2025-12-30\nfactor = 2\n");
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "15000.00", "5000.00")
    );
}

#[test]
fn scaling_a_channel_moves_gmv_by_the_added_sales() {
    // Short video 10,000 → 20,000 a day adds 10,000 to gmv: Q4 40,000, increment 30,000 → $15,000.
    let got =
        tiny_run("[[adjust]]\npartner = \"P1\"\nchannels = [\"short_video_gmv\"]\nfactor = 2\n");
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "15000.00", "5000.00")
    );
}

#[test]
fn dropped_partners_and_added_rows() {
    // P2 leaves: its $5,000 is saved. P3 is new and sells 3,000.00 every Q4 day: increment
    // exactly 3,000 → $5,000.
    let got = tiny_run(
        "drop_partners = [\"P2\"]\n\
         [[add]]\npartner = \"P3\"\nseller = \"S7\"\nfrom = 2025-10-01\nto = 2025-12-31\ngmv = 3000\nnew_partner = true\n",
    );
    assert_eq!(
        got[&key("P2", "gmv_growth")],
        row("5000.00", "0.00", "-5000.00")
    );
    assert_eq!(
        got[&key("P3", "gmv_growth")],
        row("0.00", "5000.00", "5000.00")
    );
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "10000.00", "0.00")
    );

    // A new seller for P2: 10,000.00 more every Q4 day → increment 14,000 → $10,000.
    let got = tiny_run("[[add]]\npartner = \"P2\"\nseller = \"S2\"\nfrom = 2025-10-01\nto = 2025-12-31\ngmv = \"10000.00\"\n");
    assert_eq!(
        got[&key("P2", "gmv_growth")],
        row("5000.00", "10000.00", "5000.00")
    );
}

#[test]
fn book_overrides_change_the_rules() {
    // One tier at 20,000 paying 12,000: P1 (increment 20,000) gets it, P2 (4,000) nothing.
    let got = tiny_run("[book.gmv_growth]\ntiers = [{ min = 20000, amount = 12000 }]\n");
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "12000.00", "2000.00")
    );
    assert_eq!(
        got[&key("P2", "gmv_growth")],
        row("5000.00", "0.00", "-5000.00")
    );

    // A shorter Q3 baseline in the book: P1's Q3 average is unchanged, so is its amount.
    let got = tiny_run("[book.windows.q3]\nstart = 2025-08-01\n");
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "10000.00", "0.00")
    );
}

#[test]
fn book_overrides_that_break_the_windows_are_refused() {
    // A Q4 cut short while December still runs to the 31st: the months are no longer Q4
    // (README Rules: a book must describe the program).
    let data = tiny();
    let s = write(
        data.path(),
        "scenario.toml",
        "[book.windows.q4]\nend = 2025-11-30\n",
    );
    let (code, _, err) = whatif(data.path(), &s, &["--format", "csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("windows.dec.end"), "{err}");
}

#[test]
fn bad_scenarios_are_refused_naming_the_key_or_value() {
    let cases: &[(&str, &str)] = &[
        ("scale = 2\n", "unknown field `scale`"),
        ("[[adjust]]\nfactr = 2\n", "unknown field `factr`"),
        (
            "[[adjust]]\nfactor = -1.5\n",
            "adjust[0].factor: -1.5 is negative",
        ),
        (
            "[[adjust]]\nfactor = nan\n",
            "adjust[0].factor: NaN is not a number",
        ),
        (
            "[[adjust]]\nfactor = \"x2\"\n",
            "adjust[0].factor: \"x2\" is not a decimal number",
        ),
        (
            "[[adjust]]\nfactor = 2\nchannels = [\"gmv\"]\n",
            "adjust[0].channels: \"gmv\" is not a channel",
        ),
        (
            "[[adjust]]\npartner = \"P9\"\nfactor = 2\n",
            "adjust[0].partner: \"P9\" is not a partner of this run",
        ),
        (
            "[[adjust]]\npartner = \"P1\"\nseller = \"S9\"\nfactor = 2\n",
            "adjust[0].seller: \"S9\" is not a seller of partner P1",
        ),
        (
            "drop_partners = [\"P1\", \"Q1\"]\n",
            "drop_partners[1]: \"Q1\" is not a partner of this run",
        ),
        (
            "[[add]]\npartner = \"P7\"\nseller = \"S1\"\ndate = 2025-10-01\ngmv = 1\n",
            "add[0].partner: \"P7\" is not a partner",
        ),
        (
            "[book.gmv_growth]\ntierz = []\n",
            "book.gmv_growth.tierz: no such key in the program book",
        ),
        (
            "[book.nope]\nx = 1\n",
            "book.nope: no such key in the program book",
        ),
        (
            "[book.gmv_growth]\ntiers = [{ min = 5, amount = 1 }, { min = 2, amount = 1 }]\n",
            "gmv_growth.tiers[1].min",
        ),
    ];
    let data = tiny();
    for (i, (text, expect)) in cases.iter().enumerate() {
        let s = write(data.path(), &format!("bad{i}.toml"), text);
        let (code, out, err) = whatif(data.path(), &s, &[]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains(expect), "{text}: expected {expect:?} in {err}");
        assert!(out.is_empty(), "{text}: {out}");
    }
    let (code, _, err) = whatif(data.path(), &data.path().join("missing.toml"), &[]);
    assert_eq!(code, 66, "{err}");
    assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn nothing_is_written_without_out_and_out_writes_csv_and_manifest() {
    let data = tiny();
    let s = write(
        data.path(),
        "s.toml",
        "[[adjust]]\npartner = \"P1\"\nfactor = 2\n",
    );
    let cwd = TempDir::new().expect("tempdir");
    let before: Vec<_> = fs::read_dir(data.path()).expect("dir").collect();
    let out = bin()
        .current_dir(cwd.path())
        .arg("whatif")
        .arg(data.path())
        .arg("--scenario")
        .arg(&s)
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(fs::read_dir(cwd.path()).expect("dir").count(), 0);
    assert_eq!(
        fs::read_dir(data.path()).expect("dir").count(),
        before.len()
    );

    let dir = cwd.path().join("run");
    let dir_arg = dir.to_str().expect("utf-8 path");
    let (code, stdout, err) = whatif(data.path(), &s, &["--out", dir_arg, "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    let written = fs::read_to_string(dir.join("whatif.csv")).expect("whatif.csv");
    assert_eq!(written, stdout);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["command"], "whatif");
    assert_eq!(manifest["outputs"], serde_json::json!(["whatif.csv"]));
    assert_eq!(manifest["scenario"]["source"], s.display().to_string());
    // Every date doubled: Q3 20,000, Q4 60,000 → increment 40,000 → $15,000 (+5,000).
    assert_eq!(manifest["totals"]["cash"]["difference"], "5000.00");
    assert!(manifest["reconciliation"].is_array());

    // A second run into the same directory needs --force.
    let (code, _, _) = whatif(data.path(), &s, &["--out", dir_arg]);
    assert_eq!(code, 74);
    let (code, _, _) = whatif(data.path(), &s, &["--out", dir_arg, "--force"]);
    assert_eq!(code, 0);
}

#[test]
fn shipped_scenarios_run_on_the_sample() {
    let mut names: Vec<PathBuf> = fs::read_dir("fixtures/scenarios")
        .expect("fixtures/scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    let mut results = BTreeMap::new();
    for path in &names {
        let (code, out, err) = whatif(Path::new(SAMPLE), path, &["--format", "csv"]);
        assert_eq!(code, 0, "{}: {err}", path.display());
        let name = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        results.insert(name, rows(&out));
    }
    // P05's increment is 2,999.99 in the data, one cent under the first tier; BFCM +20%
    // lifts it over (5,470.13) → $5,000.
    assert_eq!(
        results["bfcm-plus-20"][&key("P05", "gmv_growth")],
        row("0.00", "5000.00", "5000.00")
    );
    // A new seller at 12,000 a day over 61 days adds 7,956.52 a day on average → $10,000.
    assert_eq!(
        results["p05-new-seller"][&key("P05", "gmv_growth")],
        row("0.00", "10000.00", "10000.00")
    );
    // P09 leaves; the top two tiers pay 2,500 more.
    let p09 = &results["p09-leaves-tiers-up"];
    assert_eq!(
        p09[&key("P01", "gmv_growth")],
        row("20000.00", "22500.00", "2500.00")
    );
    assert_eq!(
        p09[&key("P02", "gmv_growth")],
        row("15000.00", "17500.00", "2500.00")
    );
    assert_eq!(
        p09[&key("P09", "tier_upgrade")],
        row("0.00", "0.00", "0.00")
    );
}

#[test]
fn output_is_byte_identical_across_runs() {
    let path = Path::new("fixtures/scenarios/bfcm-plus-20.toml");
    let (_, a, _) = whatif(Path::new(SAMPLE), path, &["--format", "json"]);
    let (_, b, _) = whatif(Path::new(SAMPLE), path, &["--format", "json"]);
    assert_eq!(a, b);
}

#[test]
fn rejected_duplicates_are_taken_back_with_the_scenario_applied() {
    // P2 has two rows for 2025-10-01: with --skip-invalid both are rejected, leaving 91 Q4
    // days. Doubling P2 in Q4 must take back the doubled first row, leaving no residue:
    // Q4 gmv = P1 92 × 30,000 + P2 91 × 18,000 = 2,760,000 + 1,638,000.
    let data = tiny();
    let mut gmv = fs::read_to_string(data.path().join("gmv_daily.csv")).expect("read");
    gmv.push_str("2025-10-01,P2,S1,9999.00,0.00,0.00,0.00\n");
    write(data.path(), "gmv_daily.csv", &gmv);
    let s = write(
        data.path(),
        "s.toml",
        "[[adjust]]\npartner = \"P2\"\nfrom = 2025-10-01\nfactor = 2\n",
    );
    let (code, _, err) = whatif(data.path(), &s, &[]);
    assert_eq!(code, 65, "{err}");
    let (code, json, err) = whatif(data.path(), &s, &["--skip-invalid", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["q4_input_sums"]["gmv"]["baseline"], "3579000.00");
    assert_eq!(doc["q4_input_sums"]["gmv"]["scenario"], "4398000.00");
}

/// Runs whatif on `tiny()` with `TSP_PAYOUT_THREADS` set; returns (code, stdout, stderr).
fn tiny_whatif_threads(scenario: &str, threads: &str) -> (i32, String, String) {
    let data = tiny();
    let s = write(data.path(), "scenario.toml", scenario);
    let out = bin()
        .env("TSP_PAYOUT_THREADS", threads)
        .arg("whatif")
        .arg(data.path())
        .arg("--scenario")
        .arg(&s)
        .args(["--format", "csv"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

/// README "Scenario rows on existing keys": an added row whose date, partner and seller
/// the data already has is refused unless it says `replace = true` or `add_to = true`.
#[test]
fn an_added_row_on_an_existing_key_must_say_replace_or_add_to() {
    let q4 = "[[add]]\npartner = \"P1\"\nseller = \"S1\"\nfrom = 2025-10-01\nto = 2025-12-31\ngmv = 12000\n";
    for threads in ["1", "4"] {
        let (code, out, err) = tiny_whatif_threads(q4, threads);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(
            err.contains("add[0]: a row for date 2025-10-01, partner_id P1, seller_id S1 is already in gmv_daily.csv"),
            "{err}"
        );
        // One existing day is enough: 2025-09-30 is in the data.
        let (code, _, err) = tiny_whatif_threads(
            "[[add]]\npartner = \"P1\"\nseller = \"S1\"\nfrom = 2025-09-30\nto = 2025-09-30\ngmv = 1\n",
            threads,
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("date 2025-09-30"), "{err}");
    }
    // Replace: Q4 becomes 12,000 a day, increment 2,000 → nothing. Add to: Q4 42,000 a
    // day, increment 32,000 → $15,000 (baseline 20,000 → $10,000).
    let got = tiny_run(&format!("{q4}replace = true\n"));
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "0.00", "-10000.00")
    );
    let got = tiny_run(&format!("{q4}add_to = true\n"));
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "15000.00", "5000.00")
    );
}

#[test]
fn added_rows_that_overlap_each_other_must_say_add_to() {
    let one = "[[add]]\npartner = \"P1\"\nseller = \"S9\"\nfrom = 2025-10-01\nto = 2025-12-31\ngmv = 1000\n";
    let two = format!("{one}{one}");
    let (code, _, err) = tiny_whatif_threads(&two, "4");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("add[1]: a row for date 2025-10-01"), "{err}");
    assert!(err.contains("also added by"), "{err}");
    // Added on top: P1's Q4 grows by 2,000 a day, increment 22,000 → still $10,000.
    let got = tiny_run(&format!("{two}add_to = true\n"));
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "10000.00", "0.00")
    );
}

/// README "Scenario bounds": the factors above 1 that scale one row multiply to at most
/// 1,000; beyond, the run is refused (exit 2) instead of overflowing.
#[test]
fn combined_factors_are_bounded_and_never_overflow() {
    // A factor of 1 or less does not count towards the bound, and is not named.
    let scenario = format!(
        "[[adjust]]\npartner = \"P1\"\nfactor = 0.5\n{}",
        "[[adjust]]\npartner = \"P1\"\nfactor = 1000\n".repeat(2)
    );
    let (code, _, err) = tiny_whatif_threads(&scenario, "1");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(" adjust[1], adjust[2] together scale the row of")
            && !err.contains("adjust[0]"),
        "{err}"
    );
    let six = "[[adjust]]\npartner = \"P1\"\nfactor = 1000\n".repeat(6);
    for threads in ["1", "4"] {
        let (code, out, err) = tiny_whatif_threads(&six, threads);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(
            err.contains("adjust[0], adjust[1] together scale the row of"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let ten_doublings = "[[adjust]]\nfactor = 2\n".repeat(10);
    let (code, _, err) = tiny_whatif_threads(&ten_doublings, "4");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("multiply to 1024"), "{err}");
    // 1,000 then 1/1,000: the factors above 1 multiply to 1,000, which is allowed.
    let got = tiny_run("[[adjust]]\nfactor = 1000\n[[adjust]]\nfactor = \"0.001\"\n");
    assert_eq!(
        got[&key("P1", "gmv_growth")],
        row("10000.00", "10000.00", "0.00")
    );
}

/// README "Scenario bounds": an added range lies inside the book's windows.
#[test]
fn an_added_range_must_lie_inside_the_book_windows() {
    let (code, _, err) = tiny_whatif_threads(
        "[[add]]\npartner = \"P1\"\nseller = \"S9\"\nfrom = 0001-01-01\nto = 9999-12-31\ngmv = 1\n",
        "4",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "add[0].from: 0001-01-01 is outside the book's windows 2025-07-01..2025-12-31"
        ),
        "{err}"
    );
    let (code, _, err) = tiny_whatif_threads(
        "[[add]]\npartner = \"P1\"\nseller = \"S9\"\nfrom = 2025-12-01\nto = 2026-01-01\ngmv = 1\n",
        "1",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("add[0].to: 2026-01-01 is outside"), "{err}");
}

/// README "Window totals are bounded": a partner's GMV over a window past 10^18 dollars
/// is refused, so that no exact product leaves the decimal range.
#[test]
fn a_window_total_past_the_bound_is_refused() {
    let data = TempDir::new().expect("tempdir");
    let mut gmv =
        String::from("date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n");
    for seller in 0..11 {
        days(
            &mut gmv,
            "2025-10-01",
            "2025-12-31",
            "P1",
            &format!("S{seller}"),
            "999999999999.99",
            "999999999999.99",
        );
    }
    write(data.path(), "gmv_daily.csv", &gmv);
    let s = write(data.path(), "s.toml", "[[adjust]]\nfactor = 1000\n");
    // Q4 only: coverage is not what this checks.
    let (code, out, err) = whatif(data.path(), &s, &["--allow-gaps"]);
    assert_eq!(code, 65, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("partner P1 has GMV"), "{err}");
    assert!(
        err.contains("above the 1,000,000,000,000,000,000.00"),
        "{err}"
    );
    // The same data unscaled is within the bound.
    let s = write(data.path(), "s.toml", "[[adjust]]\nfactor = 1\n");
    let (code, _, err) = whatif(data.path(), &s, &["--allow-gaps"]);
    assert_eq!(code, 0, "{err}");
}
