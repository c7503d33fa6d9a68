//! HTML statements in a real browser: headless Chromium (Debian's package, never a browser
//! a test tool downloads) prints a statement to PDF, whose text must carry the partner's
//! figures, and takes PNG screenshots for a person to look at in target/browser/.
//!
//! Without Chromium (or pdftotext) a test is skipped with a message on the terminal; under
//! CI (`CI` set) a missing tool fails the test instead, so CI never passes without the
//! browser. `TSP_CHROMIUM` names another Chromium binary.

mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A browser that hangs must not hang the test suite.
const BROWSER_DEADLINE: Duration = Duration::from_secs(120);

/// Says that a check was skipped for a missing tool, or fails under CI.
fn skip(what: &str) {
    use std::io::Write;
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs {what} for the browser tests"
    );
    // Written to the stream itself, not through eprintln!: the test harness shows it even
    // for a passing test.
    let _ = writeln!(std::io::stderr(), "SKIPPED browser check: no {what}");
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("TSP_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    path.exists().then_some(path)
}

fn pdftotext() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/pdftotext");
    path.exists().then_some(path)
}

/// target/browser, beside the binary under test, for screenshots kept after the run.
fn artifacts() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_tsp-payout"));
    let dir = bin
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("browser");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs Chromium headless on `page` with `action` (`--print-to-pdf=…` or `--screenshot=…`),
/// with a fresh profile and no network features.
fn chromium_run(browser: &Path, page: &Path, action: &[String]) {
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("chromium.log");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.path().join("profile").display()
        ))
        .args(action)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&log).unwrap())
        .stderr(fs::File::create(work.path().join("chromium.err")).unwrap())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BROWSER_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {BROWSER_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = fs::read_to_string(work.path().join("chromium.err")).unwrap_or_default();
    assert!(status.success(), "chromium failed ({status}):\n{err}");
}

fn print_pdf(browser: &Path, page: &Path, pdf: &Path) -> Vec<u8> {
    chromium_run(
        browser,
        page,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
    );
    let bytes = fs::read(pdf).expect("chromium wrote the PDF");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    bytes
}

fn screenshot(browser: &Path, page: &Path, png: &Path) {
    let _ = fs::remove_file(png);
    chromium_run(
        browser,
        page,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,1600".into(),
        ],
    );
    let bytes = fs::read(png).expect("chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 20_000, "a near-empty screenshot");
    eprintln!("screenshot: {}", png.display());
}

/// The PDF's text, or `None` (with a message) when pdftotext is not installed.
fn pdf_text(pdf: &Path) -> Option<String> {
    let Some(tool) = pdftotext() else {
        skip("pdftotext (Debian package poppler-utils)");
        return None;
    };
    let out = Command::new(tool)
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(out.status.success(), "pdftotext failed");
    Some(String::from_utf8(out.stdout).expect("UTF-8 text"))
}

#[test]
fn statement_prints_to_pdf_with_the_partner_total() {
    let Some(browser) = chromium() else {
        skip("chromium (install Debian's chromium package, or set TSP_CHROMIUM)");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    bin()
        .arg("calc")
        .arg(fixture())
        .arg("--out")
        .arg(out.path())
        .arg("--html")
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    let book_sha = manifest["book"]["sha256"].as_str().unwrap();
    let page = out.path().join("html/P01.html");
    let pdf = out.path().join("P01.pdf");
    print_pdf(&browser, &page, &pdf);
    let target = artifacts();
    screenshot(&browser, &page, &target.join("statement.png"));
    screenshot(
        &browser,
        &out.path().join("html/index.html"),
        &target.join("index.png"),
    );
    let Some(text) = pdf_text(&pdf) else {
        return;
    };
    assert!(text.contains("Brightline Commerce"), "{text}");
    assert!(text.contains("P01"));
    assert!(text.contains("As of"));
    assert!(text.contains("2025-12-31"));
    let cash_total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Cash total"))
        .unwrap_or_else(|| panic!("no cash total in:\n{text}"));
    assert!(cash_total.trim_end().ends_with("91,000.00"), "{cash_total}");
    assert!(text.contains("GMV growth cash tiers"));
    assert!(text.contains("20,000.00"));
    assert!(text.contains("Tier-upgrade bonus"));
    assert!(text.contains("5,000.00"));
    assert!(text.contains(book_sha), "book sha256 in the footer");
}

#[test]
fn hostile_names_print_as_text() {
    let Some(browser) = chromium() else {
        skip("chromium (install Debian's chromium package, or set TSP_CHROMIUM)");
        return;
    };
    let name = r#"<script>alert("x")</script> & Co"#;
    let data = data_dir(&[
        (
            "gmv_daily.csv",
            &format!("{GMV_HEADER}2025-10-05,P1,S1,1000000.00,0,0,0\n"),
        ),
        (
            "partners.csv",
            &format!(
                "partner_id,partner_name\nP1,\"{}\"\n",
                name.replace('"', "\"\"")
            ),
        ),
    ]);
    let out = tempfile::tempdir().unwrap();
    bin()
        .arg("calc")
        .arg(data.path())
        .arg("--out")
        .arg(out.path())
        .arg("--html")
        // One day of data: the days around it are days without sales.
        .arg("--allow-gaps")
        .assert()
        .success();
    let pdf = out.path().join("P1.pdf");
    print_pdf(&browser, &out.path().join("html/P1.html"), &pdf);
    let Some(text) = pdf_text(&pdf) else {
        return;
    };
    // Shown to the reader exactly as written, so it was never taken for markup.
    assert!(text.contains(name), "{text}");
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Cash total"))
        .unwrap_or_else(|| panic!("no cash total in:\n{text}"));
    assert!(total.trim_end().ends_with("10,000.00"), "{total}");
}

#[test]
fn monthly_credit_statement_prints_to_pdf() {
    let Some(browser) = chromium() else {
        skip("chromium (install Debian's chromium package, or set TSP_CHROMIUM)");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    bin()
        .arg("statements")
        .arg(fixture())
        .args(["--month", "2025-11", "--html", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let row = read_csv(&out.path().join("credit_statement_2025-11.csv"))
        .into_iter()
        .find(|r| r["partner_id"] == "P01")
        .expect("P01 has ad credits");
    let pdf = out.path().join("P01-2025-11.pdf");
    print_pdf(&browser, &out.path().join("html/2025-11/P01.html"), &pdf);
    screenshot(
        &browser,
        &out.path().join("html/2025-11/P01.html"),
        &artifacts().join("credit_statement.png"),
    );
    let Some(text) = pdf_text(&pdf) else {
        return;
    };
    // The document title is set in capitals by the stylesheet.
    assert!(
        text.to_uppercase()
            .contains("AD-CREDIT STATEMENT, NOVEMBER 2025"),
        "{text}"
    );
    assert!(text.contains("2025-11-01 to 2025-11-30"));
    let ends_with = |label: &str, plain: &str| {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in:\n{text}"));
        // The CSV's 13000.00 is printed 13,000.00 at the end of the row.
        let amount = line.split_whitespace().last().unwrap_or("");
        assert_eq!(amount.replace(',', ""), plain, "{line}");
    };
    ends_with("Month total", &row["total"]);
    ends_with("Quarter to date", &row["quarter_to_date"]);
    assert!(text.contains("5,750.00"), "P01's November total");
    assert!(text.contains("Affiliate credits"));
}
