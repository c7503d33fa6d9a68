//! HTML statements: escaping of every input-derived value, amount formatting, the audit
//! footer, links between pages, determinism and usage errors.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use tsp_payout::engine::{Detail, Kind, Line, Skip, Step};
use tsp_payout::money::Money;
use tsp_payout::report::html::{self, Audit, IndexInput, IndexRow, PageInput};

const HOSTILE_NAME: &str = r#"<script>alert("x")</script> & Co"#;
const HOSTILE_ID: &str = r#"P&<2>"#;

/// Two partners: `P1` with a hostile name, and a partner whose id needs escaping and
/// percent-encoding. Each earns the 10,000 GMV growth tier (one Q4 day of 1,000,000.00).
fn hostile_data() -> tempfile::TempDir {
    let gmv = format!(
        "{GMV_HEADER}2025-10-05,P1,S<1>,1000000.00,0,0,0\n\
         2025-10-05,\"{HOSTILE_ID}\",S2,1000000.00,0,0,0\n"
    );
    let partners = format!(
        "partner_id,partner_name\nP1,\"{}\"\n",
        HOSTILE_NAME.replace('"', "\"\"")
    );
    data_dir(&[("gmv_daily.csv", &gmv), ("partners.csv", &partners)])
}

fn calc_html(data: &Path, out: &Path) {
    bin()
        .arg("calc")
        .arg(data)
        // Small exports with days without rows: coverage is another rule (README).
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out)
        .arg("--html")
        .assert()
        .success();
}

fn html_files(out: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(out.join("html"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn input_values_are_escaped_everywhere() {
    let data = hostile_data();
    let out = tempfile::tempdir().unwrap();
    calc_html(data.path(), out.path());
    let files = html_files(out.path());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["P%26%3C2%3E.html", "P1.html", "index.html"]);
    for (name, text) in &files {
        assert!(!text.contains("<script"), "{name} holds a raw <script>");
        assert!(!text.contains("S<1>"), "{name} holds a raw seller id");
        assert!(!text.contains(HOSTILE_ID), "{name} holds the raw id");
        assert!(!text.contains("href=\"http"), "{name} links outside");
        assert!(!text.contains("src="), "{name} loads an external asset");
    }
    let escaped_name = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co";
    let p1 = &files[1].1;
    assert!(p1.contains(&format!("<h1>{escaped_name}</h1>")));
    assert!(p1.contains(&format!(
        "<title>TikTok Shop US TSP incentives, Q4 2025 payout statement · {escaped_name}</title>"
    )));
    assert!(p1.contains("&lt;script&gt;"));
    let index = &files[2].1;
    assert!(index.contains(&format!("<td>{escaped_name}</td>")));
    assert!(index.contains("P&amp;&lt;2&gt;"));
    let other = &files[0].1;
    assert!(other.contains("<dd>P&amp;&lt;2&gt;</dd>"));
}

#[test]
fn index_links_open_the_partner_pages() {
    let data = hostile_data();
    let out = tempfile::tempdir().unwrap();
    calc_html(data.path(), out.path());
    let index = fs::read_to_string(out.path().join("html/index.html")).unwrap();
    let hrefs: Vec<&str> = index
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(hrefs, ["P%2526%253C2%253E.html", "P1.html"]);
    for href in hrefs {
        // A browser percent-decodes the link before it opens the file.
        let file = out.path().join("html").join(percent_decode(href));
        assert!(file.exists(), "{href} → {}", file.display());
    }
    let p1 = fs::read_to_string(out.path().join("html/P1.html")).unwrap();
    assert!(p1.contains("<a href=\"index.html\">All partners</a>"));
}

#[test]
fn amounts_are_right_aligned_with_separators() {
    let data = hostile_data();
    let out = tempfile::tempdir().unwrap();
    calc_html(data.path(), out.path());
    let p1 = fs::read_to_string(out.path().join("html/P1.html")).unwrap();
    // Summary row, cash total, and the line's own figures.
    assert!(p1.contains(
        "<tr><td>GMV growth cash tiers</td><td>Cash</td><td>Q4</td><td class=\"num\">10,000.00</td></tr>"
    ));
    assert!(
        p1.contains("<tr><th colspan=\"3\">Cash total</th><td class=\"num\">10,000.00</td></tr>")
    );
    assert!(p1.contains("<td class=\"num\">1,000,000.00</td>"));
    assert!(
        p1.contains("<td class=\"num\">10,869.56</td>"),
        "Q4 average"
    );
    let index = fs::read_to_string(out.path().join("html/index.html")).unwrap();
    assert!(index.contains("<th>Total</th><th>2 partners</th><td class=\"num\">20,000.00</td><td class=\"num\">0.00</td>"));
}

#[test]
fn footer_carries_the_book_and_input_sha256_of_the_manifest() {
    let out = tempfile::tempdir().unwrap();
    calc_html(&fixture(), out.path());
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    let book_sha = manifest["book"]["sha256"].as_str().unwrap();
    let inputs = manifest["inputs"].as_object().unwrap();
    assert_eq!(inputs.len(), 6);
    let files = html_files(out.path());
    assert_eq!(files.len(), 13, "12 partners and the index");
    for (name, text) in &files {
        let footer = &text[text.find("<footer").expect("a footer")..];
        assert!(footer.contains(&format!("sha256 {book_sha}")), "{name}");
        for (file, sha) in inputs {
            let sha = sha.as_str().expect("every sample file is present");
            assert!(
                footer.contains(&format!(
                    "<th>{file}</th><td><span class=\"hash\">sha256 {sha}</span>"
                )),
                "{name}: {file}"
            );
        }
    }
    // The manifest lists the pages it wrote.
    let outputs: Vec<&str> = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(outputs.contains(&"html/index.html"));
    assert!(outputs.contains(&"html/P01.html"));
    let p01 = fs::read_to_string(out.path().join("html/P01.html")).unwrap();
    assert!(p01.contains("<h1>Brightline Commerce</h1>"));
    assert!(p01.contains("<dt>As of</dt><dd>2025-12-31</dd>"));
    assert!(p01.contains("<dt>Period</dt><dd>2025-10-01 to 2025-12-31</dd>"));
    assert!(
        p01.contains("<tr><th colspan=\"3\">Cash total</th><td class=\"num\">91,000.00</td></tr>")
    );
    let p02 = fs::read_to_string(out.path().join("html/P02.html")).unwrap();
    assert!(p02.contains("<h1>Harbor &amp; Finch Digital</h1>"));
}

#[test]
fn absent_inputs_and_skipped_programs_are_shown() {
    let data = hostile_data();
    let out = tempfile::tempdir().unwrap();
    calc_html(data.path(), out.path());
    let p1 = fs::read_to_string(out.path().join("html/P1.html")).unwrap();
    assert!(p1.contains("<tr><th>matchmaking.csv</th><td class=\"muted\">not supplied</td></tr>"));
    assert!(p1.contains("<h2>Not priced in this run</h2>"));
    assert!(p1.contains(
        "Tier-upgrade bonus <span class=\"muted\">(tier_upgrade)</span>: no partner_tiers.csv"
    ));
}

#[test]
fn pages_are_byte_identical_across_runs_and_provisional_is_marked() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&a, &b] {
        bin()
            .arg("calc")
            .arg(fixture())
            .args(["--as-of", "2025-11-30", "--html", "--out"])
            .arg(dir.path())
            .assert()
            .success();
    }
    assert!(snapshot(a.path()) == snapshot(b.path()), "outputs differ");
    let p01 = fs::read_to_string(a.path().join("html/P01.html")).unwrap();
    assert!(p01.contains("<span class=\"badge\">provisional</span>"));
    assert!(p01.contains("<p class=\"notice\">"));
}

#[test]
fn html_needs_out_and_force_without_html_removes_the_pages() {
    bin()
        .arg("calc")
        .arg(fixture())
        .arg("--html")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--html"));
    let out = tempfile::tempdir().unwrap();
    calc_html(&fixture(), out.path());
    assert!(out.path().join("html/index.html").exists());
    bin()
        .arg("calc")
        .arg(fixture())
        .arg("--out")
        .arg(out.path())
        .arg("--force")
        .assert()
        .success();
    assert!(!out.path().join("html/index.html").exists());
    assert!(!out.path().join("html/P01.html").exists());
}

fn line(program: &'static str, period: &str, kind: Kind, cents: i64) -> Line {
    Line {
        partner_id: "X".into(),
        program,
        period: period.into(),
        kind,
        amount: Money::from_cents(cents),
        provisional: false,
        basis: "basis with <b> & \"quotes\"".into(),
        partner_basis: None,
        steps: vec![Step::new("sum <a>", "1,234.50")
            .source("file & <b>")
            .child(Step::new("part", "2025-10-01..2025-10-31 (31 days)"))],
        detail: None,
    }
}

fn audit() -> Audit<'static> {
    Audit {
        book_name: "Book <1>",
        book_source: "b&.toml",
        book_sha256: "abc",
        inputs: vec![("gmv_daily.csv", Some("def")), ("creators.csv", None)],
        notes: vec!["note <n>".into()],
    }
}

/// The renderer works on any lines: detail tables, monthly periods, several kinds and
/// extra totals, as a monthly statement would pass them.
#[test]
fn renders_any_lines_with_detail_tables() {
    let mut affiliate = line("affiliate_credits", "2025-11", Kind::AdCredit, 123_450);
    affiliate.detail = Some(Detail {
        title: "Sellers kept by the cap <70>".into(),
        columns: vec!["seller_id".into(), "affiliate_gmv".into(), "credit".into()],
        rows: vec![
            vec!["S<1>".into(), "30,000.00".into(), "1,000.00".into()],
            vec!["007".into(), "2,500.00".into(), "234.50".into()],
        ],
        amount_columns: Vec::new(),
    });
    let video = line("short_video_top15", "2025-11", Kind::AdCredit, 500_000);
    let lines = [&video, &affiliate];
    let audit = audit();
    let skipped = [Skip {
        program: "short_video_consistency",
        reason: "December <not> ended".into(),
    }];
    let page = html::partner_page(&PageInput {
        title: "Ad-credit statement, November 2025",
        period: "2025-11-01 to 2025-11-30",
        as_of: "2025-11-30".parse().unwrap(),
        partner_id: "X",
        partner_name: "",
        lines: &lines,
        extra_totals: &[("Quarter to date <q>", Money::dollars(1_000_000))],
        skipped: &skipped,
        index_href: None,
        audit: &audit,
    });
    assert!(!page.contains("<b>") && !page.contains("<a>") && !page.contains("<1>"));
    assert!(!page.contains("<n>") && !page.contains("<70>") && !page.contains("<q>"));
    assert!(!page.contains("All partners"));
    assert!(
        page.contains("<h1>X</h1>"),
        "id stands in for a missing name"
    );
    assert!(page.contains("<p class=\"basis\">basis with &lt;b&gt; &amp; &quot;quotes&quot;</p>"));
    assert!(page.contains("Short-video top 15 · November 2025"));
    // The amount column of the detail table is right-aligned, the id column is not,
    // even where an id looks like a number.
    assert!(page.contains(
        "<thead><tr><th>seller_id</th><th class=\"num\">affiliate_gmv</th><th class=\"num\">credit</th></tr></thead>"
    ));
    assert!(page.contains(
        "<tr><td>S&lt;1&gt;</td><td class=\"num\">30,000.00</td><td class=\"num\">1,000.00</td></tr>"
    ));
    assert!(page.contains("<tr><td>007</td>"));
    assert!(page.contains("<p class=\"caption\">Sellers kept by the cap &lt;70&gt;</p>"));
    // Summary: by program, totals by kind, extra totals.
    assert!(page.contains(
        "<tr><td>Affiliate credits</td><td>Ad credit</td><td>November 2025</td><td class=\"num\">1,234.50</td></tr>"
    ));
    // No cash line on the page, so no cash total.
    assert!(!page.contains("Cash total"));
    assert!(page.contains(
        "<tr><th colspan=\"3\">Ad-credit total</th><td class=\"num\">6,234.50</td></tr>"
    ));
    assert!(page.contains(
        "<tr><th colspan=\"3\">Quarter to date &lt;q&gt;</th><td class=\"num\">1,000,000.00</td></tr>"
    ));
    // Steps, nested, with their sources.
    assert!(page.contains(
        "<td style=\"padding-left:1ch\">sum &lt;a&gt;</td><td class=\"num\">1,234.50</td><td class=\"src\">file &amp; &lt;b&gt;</td>"
    ));
    assert!(page.contains(
        "<td style=\"padding-left:4ch\">part</td><td>2025-10-01..2025-10-31 (31 days)</td>"
    ));
    assert!(page.contains("December &lt;not&gt; ended"));
    assert!(page.contains("Book &lt;1&gt; <span class=\"muted\">(b&amp;.toml)</span>"));
    assert!(page.contains("<tr><th>creators.csv</th><td class=\"muted\">not supplied</td></tr>"));
    assert!(page.contains("<p>note &lt;n&gt;</p>"));
}

#[test]
fn index_page_sums_every_column() {
    let audit = audit();
    let rows = [
        IndexRow {
            partner_id: "A&1",
            partner_name: "<Alpha>",
            href: html::page_href("A&1"),
            amounts: vec![Money::from_cents(123_450), Money::ZERO],
            provisional: Vec::new(),
        },
        IndexRow {
            partner_id: "B",
            partner_name: "Beta",
            href: html::page_href("B"),
            amounts: vec![Money::from_cents(100), Money::from_cents(9_999_999)],
            // The second amount includes a provisional line: marked, and so is its total.
            provisional: vec![false, true],
        },
    ];
    let page = html::index_page(&IndexInput {
        title: "Credit statements <Nov>",
        period: "November 2025",
        as_of: "2025-12-31".parse().unwrap(),
        columns: &["Short video", "Total <t>"],
        rows: &rows,
        skipped: &[],
        audit: &audit,
    });
    assert!(page.contains("<title>Credit statements &lt;Nov&gt;</title>"));
    assert!(page.contains("<th class=\"num\">Total &lt;t&gt;</th>"));
    assert!(page.contains(
        "<tr><td><a href=\"A%25261.html\">A&amp;1</a></td><td>&lt;Alpha&gt;</td><td class=\"num\">1,234.50</td><td class=\"num\">0.00</td></tr>"
    ));
    assert!(page.contains(
        "<th>Total</th><th>2 partners</th><td class=\"num\">1,235.50</td><td class=\"num\">99,999.99*</td>"
    ));
    assert!(page.contains(
        "<td>Beta</td><td class=\"num\">1.00</td><td class=\"num\">99,999.99*</td></tr>"
    ));
    assert!(page.contains("Amounts marked * (provisional)"));
    assert!(!page.contains("Not priced in this run"));
}
