//! `statements --html`: the monthly ad-credit statement as HTML pages, whose amounts are
//! those of credit_statement_YYYY-MM.csv, with escaping, the audit footer and usage errors.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn statements_html(data: &Path, month: &str, out: &Path, extra: &[&str]) {
    bin()
        .arg("statements")
        .arg(data)
        // Small exports with days without rows: coverage is another rule (README).
        .args(["--month", month, "--html", "--allow-gaps"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

/// `1234.50` → `1,234.50`, written independently of the crate's formatting.
fn human(plain: &str) -> String {
    let (whole, frac) = plain.split_once('.').expect("two decimals");
    let digits: Vec<char> = whole.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*c);
    }
    format!("{out}.{frac}")
}

fn cents(plain: &str) -> i64 {
    let (whole, frac) = plain.split_once('.').expect("two decimals");
    whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

fn plain(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn summary_row(program: &str, month: &str, amount: &str) -> String {
    format!(
        "<tr><td>{program}</td><td>Ad credit</td><td>{month}</td><td class=\"num\">{amount}</td></tr>"
    )
}

fn total_row(label: &str, amount: &str) -> String {
    format!("<tr><th colspan=\"3\">{label}</th><td class=\"num\">{amount}</td></tr>")
}

const AMOUNT_COLUMNS: [&str; 5] = [
    "short_video",
    "affiliate",
    "consistency",
    "total",
    "quarter_to_date",
];

#[test]
fn pages_carry_the_amounts_of_the_csv_row() {
    let out = tempfile::tempdir().unwrap();
    statements_html(&fixture(), "2025-11", out.path(), &[]);
    let rows = read_csv(&out.path().join("credit_statement_2025-11.csv"));
    assert!(rows.len() >= 10, "{} rows", rows.len());
    for row in &rows {
        let id = &row["partner_id"];
        let page = fs::read_to_string(out.path().join(format!("html/2025-11/{id}.html"))).unwrap();
        assert!(page.contains(&summary_row(
            "Short-video top 15",
            "November 2025",
            &human(&row["short_video"])
        )));
        assert!(page.contains(&summary_row(
            "Affiliate credits",
            "November 2025",
            &human(&row["affiliate"])
        )));
        assert!(page.contains(&total_row("Month total", &human(&row["total"]))));
        assert!(page.contains(&total_row(
            "Quarter to date (2025-10-01 to 2025-11-30)",
            &human(&row["quarter_to_date"])
        )));
        assert!(page.contains("<div class=\"doc-title\">Ad-credit statement, November 2025</div>"));
        assert!(page.contains("<dt>Period</dt><dd>2025-11-01 to 2025-11-30</dd>"));
        assert!(page.contains("<dt>As of</dt><dd>2025-12-31</dd>"));
        // Only the month's ad credits: no cash program, no other month, no December bonus.
        assert!(!page.contains("GMV growth"), "{id}");
        assert!(!page.contains("October 2025"), "{id}");
        assert!(!page.contains("Short-video consistency bonus"), "{id}");
    }
    // P01: 5,000 short video + 750 affiliate in November.
    let p01 = fs::read_to_string(out.path().join("html/2025-11/P01.html")).unwrap();
    assert!(p01.contains(&total_row("Month total", "5,750.00")));
    assert!(p01.contains("<h1>Brightline Commerce</h1>"));
}

#[test]
fn index_lists_every_partner_and_its_totals_equal_the_csv_sums() {
    let out = tempfile::tempdir().unwrap();
    statements_html(&fixture(), "2025-12", out.path(), &[]);
    let rows = read_csv(&out.path().join("credit_statement_2025-12.csv"));
    let index = fs::read_to_string(out.path().join("html/2025-12/index.html")).unwrap();
    assert!(index.contains("<title>Ad-credit statements, December 2025</title>"));
    assert!(index.contains(
        "<th class=\"num\">Short video</th><th class=\"num\">Affiliate</th>\
         <th class=\"num\">Consistency</th><th class=\"num\">Total</th>\
         <th class=\"num\">Quarter to date</th>"
    ));
    let mut sums = [0i64; 5];
    for row in &rows {
        let id = &row["partner_id"];
        let mut cells = format!(
            "<tr><td><a href=\"{id}.html\">{id}</a></td><td>{}</td>",
            row["partner_name"].replace('&', "&amp;")
        );
        for (i, col) in AMOUNT_COLUMNS.iter().enumerate() {
            sums[i] += cents(&row[*col]);
            cells.push_str(&format!("<td class=\"num\">{}</td>", human(&row[*col])));
        }
        assert!(index.contains(&cells), "{cells}");
    }
    // The sample has no partner without ad credits, so the index and the CSV list the same.
    let pages = fs::read_dir(out.path().join("html/2025-12"))
        .unwrap()
        .count();
    assert_eq!(pages, rows.len() + 1);
    let mut total = format!("<th>Total</th><th>{} partners</th>", rows.len());
    for s in sums {
        total.push_str(&format!("<td class=\"num\">{}</td>", human(&plain(s))));
    }
    assert!(index.contains(&total), "{total}");
}

#[test]
fn december_pages_carry_the_consistency_line() {
    let out = tempfile::tempdir().unwrap();
    statements_html(&fixture(), "2025-12", out.path(), &[]);
    let rows: BTreeMap<String, BTreeMap<String, String>> =
        read_csv(&out.path().join("credit_statement_2025-12.csv"))
            .into_iter()
            .map(|r| (r["partner_id"].clone(), r))
            .collect();
    for (id, row) in &rows {
        let page = fs::read_to_string(out.path().join(format!("html/2025-12/{id}.html"))).unwrap();
        assert!(page.contains(&summary_row(
            "Short-video consistency bonus",
            "December 2025",
            &human(&row["consistency"])
        )));
        assert!(page.contains("<h3>Short-video consistency bonus · December 2025"));
        assert!(page.contains(&total_row(
            "Quarter to date (2025-10-01 to 2025-12-31)",
            &human(&row["quarter_to_date"])
        )));
    }
    let p01 = fs::read_to_string(out.path().join("html/2025-12/P01.html")).unwrap();
    assert!(p01.contains(&summary_row(
        "Short-video consistency bonus",
        "December 2025",
        "2,000.00"
    )));
    assert!(p01.contains("<p class=\"basis\">top 15 in all 3 months:"));
    let p03 = fs::read_to_string(out.path().join("html/2025-12/P03.html")).unwrap();
    assert!(p03.contains(&summary_row(
        "Short-video consistency bonus",
        "December 2025",
        "0.00"
    )));
    assert!(p03.contains("<p class=\"basis\">not top 15 in all 3 months:"));
}

const HOSTILE_NAME: &str = r#"<script>alert("x")</script> & Co"#;
const HOSTILE_ID: &str = "P&<2>";

/// October: `P1` (hostile name) and a partner with a hostile id both gain short-video GMV
/// over Q3 (nothing); P1 has two affiliate sellers, one with a hostile id.
fn hostile_data() -> tempfile::TempDir {
    let gmv = format!(
        "{GMV_HEADER}2025-10-05,P1,S<1>,40000.00,3100.00,0,30000.00\n\
         2025-10-05,P1,S2,20000.00,0,0,12000.00\n\
         2025-10-05,\"{HOSTILE_ID}\",S3,10000.00,6200.00,0,0\n"
    );
    let partners = format!(
        "partner_id,partner_name\nP1,\"{}\"\n",
        HOSTILE_NAME.replace('"', "\"\"")
    );
    data_dir(&[("gmv_daily.csv", &gmv), ("partners.csv", &partners)])
}

#[test]
fn input_values_are_escaped_and_other_partners_are_not_named() {
    let data = hostile_data();
    let out = tempfile::tempdir().unwrap();
    statements_html(data.path(), "2025-10", out.path(), &[]);
    let dir = out.path().join("html/2025-10");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["P%26%3C2%3E.html", "P1.html", "index.html"]);
    let escaped_name = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co";
    let escaped_id = "P&amp;&lt;2&gt;";
    for name in &names {
        let text = fs::read_to_string(dir.join(name)).unwrap();
        assert!(!text.contains("<script"), "{name} holds a raw <script>");
        assert!(!text.contains("S<1>"), "{name} holds a raw seller id");
        assert!(!text.contains(HOSTILE_ID), "{name} holds the raw id");
    }
    let p1 = fs::read_to_string(dir.join("P1.html")).unwrap();
    assert!(p1.contains(&format!("<h1>{escaped_name}</h1>")));
    assert!(p1.contains("<td>S&lt;1&gt;</td>"));
    // Rank 2 of 2 (increment 100 against 200) → 4,000; sellers 30,000 → 1,000 and
    // 12,000 → 500.
    assert!(p1.contains(&summary_row(
        "Short-video top 15",
        "October 2025",
        "4,000.00"
    )));
    assert!(p1.contains(&summary_row(
        "Affiliate credits",
        "October 2025",
        "1,500.00"
    )));
    assert!(p1.contains(&total_row("Month total", "5,500.00")));
    // The leaderboard shows the other partner's rank but not its id.
    assert!(
        !p1.contains(escaped_id),
        "P1's page names the other partner"
    );
    assert!(p1.contains("<td class=\"num\">1</td><td>—</td>"));
    assert!(p1.contains("<td class=\"num\">2</td><td>P1</td>"));
    let other = fs::read_to_string(dir.join("P%26%3C2%3E.html")).unwrap();
    assert!(other.contains(&format!("<dd>{escaped_id}</dd>")));
    assert!(!other.contains(escaped_name), "the other page names P1");
    let index = fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(index.contains(&format!(
        "<tr><td><a href=\"P%2526%253C2%253E.html\">{escaped_id}</a></td><td></td>"
    )));
    assert!(index.contains(&format!(
        "<tr><td><a href=\"P1.html\">P1</a></td><td>{escaped_name}</td>"
    )));
}

#[test]
fn seller_table_shows_sellers_kept_and_dropped_by_the_cap() {
    let book = String::from_utf8(bin().arg("book").output().unwrap().stdout).unwrap();
    assert!(book.contains("max_sellers = 70"));
    let data = hostile_data();
    let book_file = data.path().join("cap1.toml");
    fs::write(
        &book_file,
        book.replace("max_sellers = 70", "max_sellers = 1"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    statements_html(
        data.path(),
        "2025-10",
        out.path(),
        &["--book", book_file.to_str().unwrap()],
    );
    let p1 = fs::read_to_string(out.path().join("html/2025-10/P1.html")).unwrap();
    assert!(p1.contains(
        "<tr><td>S&lt;1&gt;</td><td class=\"num\">30,000.00</td><td class=\"num\">1,000.00</td><td>kept: 1st by credit</td></tr>"
    ));
    assert!(p1.contains(
        "<tr><td>S2</td><td class=\"num\">12,000.00</td><td class=\"num\">500.00</td><td>dropped: 2nd by credit, cap 1</td></tr>"
    ));
    assert!(p1.contains(&summary_row(
        "Affiliate credits",
        "October 2025",
        "1,000.00"
    )));
    assert!(p1.contains("<span class=\"muted\">(cap1.toml)</span>"));
}

#[test]
fn footer_and_manifest_and_byte_identical_reruns() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&a, &b] {
        statements_html(
            &fixture(),
            "2025-10",
            dir.path(),
            &["--as-of", "2025-11-30"],
        );
    }
    assert!(snapshot(a.path()) == snapshot(b.path()), "outputs differ");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(a.path().join("manifest.json")).unwrap()).unwrap();
    let book_sha = manifest["book"]["sha256"].as_str().unwrap();
    let outputs: Vec<&str> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(outputs.contains(&"html/2025-10/index.html"));
    assert!(outputs.contains(&"html/2025-10/P01.html"));
    assert!(outputs.contains(&"statements/2025-10/P01.md"));
    let p01 = fs::read_to_string(a.path().join("html/2025-10/P01.html")).unwrap();
    assert!(p01.contains("<dt>As of</dt><dd>2025-11-30</dd>"));
    let footer = &p01[p01.find("<footer").unwrap()..];
    assert!(footer.contains(&format!("sha256 {book_sha}")));
    for (file, sha) in manifest["inputs"].as_object().unwrap() {
        assert!(footer.contains(&format!(
            "<th>{file}</th><td><span class=\"hash\">sha256 {}</span>",
            sha.as_str().unwrap()
        )));
    }
    // An ended month is final: nothing provisional, and the bonus of a month not yet
    // ended belongs to another statement.
    assert!(!p01.contains("provisional"));
    assert!(!p01.contains("consistency"));
    // A second run into the same directory is refused without --force; with --force and
    // without --html, the pages go.
    bin()
        .args(["statements", "--month", "2025-10", "--html", "--out"])
        .arg(a.path())
        .arg(fixture())
        .assert()
        .code(74);
    bin()
        .args(["statements", "--month", "2025-10", "--force", "--out"])
        .arg(a.path())
        .arg(fixture())
        .assert()
        .success();
    assert!(!a.path().join("html/2025-10/P01.html").exists());
    assert!(a.path().join("statements/2025-10/P01.md").exists());
}

#[test]
fn html_without_out_is_a_usage_error() {
    bin()
        .arg("statements")
        .arg(fixture())
        .args(["--month", "2025-11", "--html"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--html"));
}
