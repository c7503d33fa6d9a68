//! Hostile partner ids, names and seller ids against every output (README, Rules:
//! "CSV cells that could run as formulas", "Markdown statements render their text as
//! text", "Terminal output shows control characters escaped"): CSV cells read back through
//! a CSV reader, Markdown statements parsed by a CommonMark renderer, terminal output
//! searched for raw control and bidirectional characters.

mod common;
use chrono::{Days, NaiveDate};
use common::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

const HYPERLINK: &str = "=HYPERLINK(\"http://x\"&A1,\"y\")";
const CMD: &str = "+cmd|' /C calc'!A0";
/// Links, an image, raw HTML, emphasis, code, a bare link and an e-mail address.
const MARKUP: &str = "[click](http://evil.test) ![img](http://evil.test/x.png) \
    <img src=x onerror=alert(1)> <b>bold</b> *em* _u_ `code` ~~del~~ www.evil.test \
    https://evil.test/a a@b.test &amp; | $x$";
const MARKUP_SELLER: &str = "S[x](http://evil.test)";
/// ESC (clear screen), BEL, CR (back to the line start), a right-to-left override, an
/// isolate and a right-to-left mark.
const TERMINAL: &str = "\u{1b}[2J\u{7}Bell\r\nOver\u{202e}esrever\u{2066}iso\u{2069} \u{200f}mark";
const TERMINAL_SHOWN: &str =
    "\\u{1b}[2J\\u{7}Bell\\u{d}\\u{a}Over\\u{202e}esrever\\u{2066}iso\\u{2069} \\u{200f}mark";
const TERMINAL_SELLER: &str = "S\u{1b}[31mRED";
const TERMINAL_ID: &str = "P8\u{1b}[2K\u{202e}";

/// Partners: (id, seller). Names come from partners.csv below.
const PARTNERS: [(&str, &str); 8] = [
    ("=1+2", "@SUM(A1)"),
    ("P2", "S2"),
    ("P3", "S3"),
    ("P4", "S4"),
    ("P5", MARKUP_SELLER),
    ("P6", TERMINAL_SELLER),
    ("P7", "S7"),
    (TERMINAL_ID, "S8"),
];

fn quoted(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

/// Every partner has a row on every day of Q3 and Q4: Q3 at 1,000.00 a day, Q4 at
/// 5,000.00 (a GMV-growth increment of 4,000 → $5,000), short-video GMV up from 100.00 to
/// 300.00 (all ranked, all paid), affiliate GMV 100.00 a day in Q4 (a $250 credit from
/// October). One more row has a bad date that starts like a formula.
fn data() -> tempfile::TempDir {
    let mut gmv = String::from(GMV_HEADER);
    let start = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    let q4 = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
    for day in 0..184 {
        let date = start.checked_add_days(Days::new(day)).unwrap();
        let (g, sv, aff) = if date < q4 {
            ("1000.00", "100.00", "0.00")
        } else {
            ("5000.00", "300.00", "100.00")
        };
        for (id, seller) in PARTNERS {
            gmv.push_str(&format!(
                "{date},{},{},{g},{sv},0.00,{aff}\n",
                quoted(id),
                quoted(seller)
            ));
        }
    }
    gmv.push_str("@SUM(1+1),P2,S2,5.00,0.00,0.00,0.00\n");
    let partners = [
        "partner_id,partner_name".to_string(),
        format!("{},Formula Id Co", quoted("=1+2")),
        format!("P2,{}", quoted(HYPERLINK)),
        format!("P3,{CMD}"),
        // Trimmed on reading: the name is `=1+1`.
        "P4,\"\t=1+1\"".to_string(),
        format!("P5,{}", quoted(MARKUP)),
        format!("P6,{}", quoted(TERMINAL)),
        "P7,@SUM(A1)".to_string(),
    ]
    .join("\n");
    data_dir(&[("gmv_daily.csv", &gmv), ("partners.csv", &partners)])
}

/// Runs the binary with `--skip-invalid` (the data has one bad row); returns (stdout,
/// stderr) after asserting success.
fn run(args: &[&str], dir: &Path, out: Option<&Path>) -> (String, String) {
    let mut cmd = bin();
    cmd.arg(args[0])
        .arg(dir)
        .args(&args[1..])
        .arg("--skip-invalid");
    if let Some(o) = out {
        cmd.arg("--out").arg(o);
    }
    let output = cmd.output().expect("run");
    let stdout = String::from_utf8(output.stdout).expect("utf-8 stdout");
    let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");
    assert!(output.status.success(), "{args:?}: {stderr}");
    (stdout, stderr)
}

fn by_partner(rows: &[BTreeMap<String, String>]) -> BTreeMap<String, BTreeMap<String, String>> {
    rows.iter()
        .map(|r| (r["partner_id"].clone(), r.clone()))
        .collect()
}

/// No text cell starts like a formula; every cell of a figure column is a plain number.
fn assert_no_formula(rows: &[BTreeMap<String, String>], figures: &[&str]) {
    for row in rows {
        for (column, cell) in row {
            if figures.contains(&column.as_str()) {
                assert!(
                    cell.trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.'),
                    "{column}: {cell:?}"
                );
            } else {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{column}: {cell:?} in {row:?}"
                );
            }
        }
    }
}

#[test]
fn csv_text_cells_that_start_like_formulas_get_a_quote() {
    let data = data();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("calc");
    let (stdout, _) = run(&["calc", "--format", "csv"], data.path(), Some(&out));
    // `--format csv` prints what payouts.csv holds.
    assert_eq!(stdout, fs::read_to_string(out.join("payouts.csv")).unwrap());
    let rows = read_csv(&out.join("payouts.csv"));
    assert_no_formula(&rows, &["amount"]);
    let growth: Vec<&BTreeMap<String, String>> = rows
        .iter()
        .filter(|r| r["program"] == "gmv_growth")
        .collect();
    let growth = by_partner(&growth.into_iter().cloned().collect::<Vec<_>>());
    let names: BTreeMap<&str, &str> = growth
        .iter()
        .map(|(id, r)| (id.as_str(), r["partner_name"].as_str()))
        .collect();
    assert_eq!(names["'=1+2"], "Formula Id Co");
    assert_eq!(names["P2"], format!("'{HYPERLINK}"));
    assert_eq!(names["P3"], format!("'{CMD}"));
    assert_eq!(names["P4"], "'=1+1");
    assert_eq!(names["P7"], "'@SUM(A1)");
    assert!(
        growth.values().all(|r| r["amount"] == "5000.00"),
        "{growth:?}"
    );

    // rejects.csv: the raw row starts with `@`, the line is a number.
    let rejects = read_csv(&out.join("rejects.csv"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0]["row"], "'@SUM(1+1),P2,S2,5.00,0.00,0.00,0.00");
    assert_eq!(rejects[0]["line"], "1474");
    assert_no_formula(&rejects, &["line"]);

    // The monthly statement CSV.
    let monthly = tmp.path().join("monthly");
    run(
        &["statements", "--month", "2025-10"],
        data.path(),
        Some(&monthly),
    );
    let rows = read_csv(&monthly.join("credit_statement_2025-10.csv"));
    let figures = [
        "short_video",
        "affiliate",
        "consistency",
        "total",
        "quarter_to_date",
    ];
    assert_no_formula(&rows, &figures);
    let rows = by_partner(&rows);
    assert_eq!(rows["'=1+2"]["partner_name"], "Formula Id Co");
    assert_eq!(rows["P2"]["partner_name"], format!("'{HYPERLINK}"));
    assert_eq!(rows["P4"]["partner_name"], "'=1+1");
    assert_eq!(rows["P7"]["affiliate"], "250.00");
}

#[test]
fn whatif_csv_guards_names_and_keeps_negative_differences() {
    let data = data();
    let scenario = data.path().join("halve-p3.toml");
    fs::write(
        &scenario,
        "[[adjust]]\npartner = \"P3\"\nfrom = 2025-10-01\nto = 2025-12-31\nfactor = \"0.5\"\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("whatif");
    let scenario = scenario.to_str().unwrap();
    let (stdout, _) = run(
        &["whatif", "--scenario", scenario, "--format", "csv"],
        data.path(),
        Some(&out),
    );
    assert_eq!(stdout, fs::read_to_string(out.join("whatif.csv")).unwrap());
    let rows = read_csv(&out.join("whatif.csv"));
    assert_no_formula(&rows, &["baseline", "scenario", "difference"]);
    let p3 = rows
        .iter()
        .find(|r| r["partner_id"] == "P3" && r["program"] == "gmv_growth")
        .expect("P3 gmv_growth row");
    assert_eq!(p3["partner_name"], format!("'{CMD}"));
    assert_eq!(
        (
            p3["baseline"].as_str(),
            p3["scenario"].as_str(),
            p3["difference"].as_str()
        ),
        ("5000.00", "0.00", "-5000.00")
    );
    assert!(rows.iter().any(|r| r["partner_id"] == "'=1+2"));
}

/// The text of every table cell of a rendered Markdown document, and every kind of markup
/// the renderer saw besides tables, headings, lists, paragraphs and `**` emphasis.
fn rendered(markdown: &str) -> (Vec<String>, Vec<String>) {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
        | Options::ENABLE_SUPERSCRIPT
        | Options::ENABLE_SUBSCRIPT;
    let mut cells = Vec::new();
    let mut cell: Option<String> = None;
    let mut markup = Vec::new();
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => cells.extend(cell.take()),
            Event::Text(t) => {
                if let Some(c) = &mut cell {
                    c.push_str(&t);
                }
            }
            Event::Start(
                Tag::Table(_)
                | Tag::TableHead
                | Tag::TableRow
                | Tag::Heading { .. }
                | Tag::Paragraph
                | Tag::List(_)
                | Tag::Item
                | Tag::Strong,
            )
            | Event::End(_)
            | Event::SoftBreak => {}
            other => markup.push(format!("{other:?}")),
        }
    }
    (cells, markup)
}

#[test]
fn markdown_statements_render_names_and_sellers_as_text() {
    let data = data();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("monthly");
    run(
        &["statements", "--month", "2025-10", "--html"],
        data.path(),
        Some(&out),
    );
    let md = fs::read_to_string(out.join("statements/2025-10/P5.md")).unwrap();
    let (cells, markup) = rendered(&md);
    assert!(markup.is_empty(), "markup rendered: {markup:?}\n{md}");
    let partner = cells
        .iter()
        .position(|c| c == "Partner")
        .expect("Partner cell");
    assert_eq!(cells[partner + 1], format!("P5 — {MARKUP}"), "{md}");
    assert!(cells.iter().any(|c| c == MARKUP_SELLER), "{cells:?}\n{md}");
    for raw in ["<img", "<b>", "www.evil", "a@b"] {
        assert!(!md.contains(raw), "{raw} in\n{md}");
    }

    // Control characters in a Markdown statement are shown, not written.
    let md6 = fs::read_to_string(out.join("statements/2025-10/P6.md")).unwrap();
    let (cells, markup) = rendered(&md6);
    assert!(markup.is_empty(), "{markup:?}");
    let partner = cells
        .iter()
        .position(|c| c == "Partner")
        .expect("Partner cell");
    assert_eq!(cells[partner + 1], format!("P6 — {TERMINAL_SHOWN}"));
    assert_no_hidden("P6.md", &md6, true);

    // HTML: markup escaped (as before), bidirectional and control characters shown.
    let html = fs::read_to_string(out.join("html/2025-10/P6.html")).unwrap();
    assert_no_hidden("P6.html", &html, true);
    assert!(html.contains("\\u{202e}esrever"), "{html}");
    let html = fs::read_to_string(out.join("html/2025-10/P5.html")).unwrap();
    assert!(!html.contains("<img src=x") && html.contains("&lt;img src=x"));
}

/// No character a terminal acts on or that reorders text; line breaks only where `lines`.
fn assert_no_hidden(what: &str, text: &str, lines: bool) {
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|&(_, c)| {
            let hidden = c.is_control()
                || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}')
                || ('\u{2028}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c);
            hidden && !(lines && c == '\n')
        })
        .collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in\n{text}");
}

#[test]
fn terminal_output_shows_control_and_bidi_characters_escaped() {
    let data = data();
    // The payout table: one line per partner, the name escaped in its cell.
    let (table, stderr) = run(&["calc"], data.path(), None);
    assert_no_hidden("calc table", &table, true);
    assert_no_hidden("calc stderr", &stderr, true);
    // A long name wraps within its cell (the table fits 100 columns): its pieces are the
    // second cells of the row's lines.
    let row: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("| P6 "))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with("|  "))
        .map(|(_, l)| l)
        .collect();
    let name: String = row
        .iter()
        .map(|l| l.split('|').nth(2).expect("name cell").trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        name.replace(' ', "") == TERMINAL_SHOWN.replace(' ', "") && row[0].contains("5,000.00"),
        "{row:?}"
    );
    assert!(table.contains("P8\\u{1b}[2K\\u{202e}"), "{table}");

    // explain: the heading, the seller tables and the bases.
    let (tree, stderr) = run(&["explain", "--partner", "P6"], data.path(), None);
    assert_no_hidden("explain", &tree, true);
    assert_no_hidden("explain stderr", &stderr, true);
    assert!(
        tree.starts_with(&format!("P6 {TERMINAL_SHOWN} — as of")),
        "{tree}"
    );
    assert!(tree.contains("S\\u{1b}[31mRED"), "{tree}");

    // The monthly statement table and the what-if table.
    let (statement, _) = run(&["statements", "--month", "2025-10"], data.path(), None);
    assert_no_hidden("statement table", &statement, true);
    assert!(statement.contains(TERMINAL_SHOWN), "{statement}");
    let scenario = data.path().join("s.toml");
    fs::write(
        &scenario,
        "name = \"P6 \\u001b]0;title\\u0007\"\n[[adjust]]\npartner = \"P6\"\nfactor = \"2\"\n",
    )
    .unwrap();
    let (whatif, _) = run(
        &["whatif", "--scenario", scenario.to_str().unwrap()],
        data.path(),
        None,
    );
    assert_no_hidden("whatif table", &whatif, true);
    assert!(whatif.contains("P6 \\u{1b}]0;title\\u{7}"), "{whatif}");
    assert!(whatif.contains(TERMINAL_SHOWN), "{whatif}");

    // A message that lists partner ids, and a rejected cell quoted on stderr.
    let output = bin()
        .arg("explain")
        .arg(data.path())
        .args(["--partner", "nobody", "--skip-invalid"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_no_hidden("explain usage error", &stderr, true);
    assert!(stderr.contains("P8\\u{1b}[2K\\u{202e}"), "{stderr}");
    let bad = data.path().join("gmv_daily.csv");
    let mut text = fs::read_to_string(&bad).unwrap();
    text.push_str("2025-10-01,P2,S2,1\u{1b}[2J,0.00,0.00,0.00\n");
    fs::write(&bad, text).unwrap();
    let output = bin().arg("validate").arg(data.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(65));
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert_no_hidden("validate", &text, true);
    }
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1\\u{1b}[2J"),
        "{output:?}"
    );
}
