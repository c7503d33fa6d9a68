//! What people read: provisional amounts marked where they look, partner-facing outputs
//! that show no other partner, one number format, and a payouts table that fits a
//! 100-column terminal at any number of partners.

mod common;

use common::{bin, data_dir, fixture, GMV_HEADER};
use std::fs;
use std::path::Path;

fn stdout_of(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("run tsp-payout");
    assert!(
        out.status.success(),
        "tsp-payout {args:?} exited {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn sample() -> String {
    fixture().to_str().expect("utf-8 path").to_string()
}

/// Every line of the tables (not the prose under them, which a terminal wraps) is at most
/// 100 columns wide.
fn assert_fits(table: &str) {
    for line in table.lines().filter(|l| l.starts_with('|')) {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}\n{table}",
            line.chars().count()
        );
    }
}

#[test]
fn the_table_says_the_as_of_date_and_marks_provisional_amounts() {
    let table = stdout_of(&["calc", &sample(), "--as-of", "2025-11-30"]);
    assert!(table.starts_with(
        "payouts as of 2025-11-30\n\
         * provisional: includes a line whose window is not complete on 2025-11-30; it can still change\n"
    ), "{table}");
    assert!(
        table.contains(
            "| P01        | Brightline Commerce           |  75,500.00* |  13,000.00 |  88,500.00* |"
        ),
        "{table}"
    );
    assert_fits(&table);
    // At the end of the quarter nothing is provisional: no mark, no legend.
    let final_table = stdout_of(&["calc", &sample()]);
    assert!(
        final_table.starts_with("payouts as of 2025-12-31\n\n"),
        "{final_table}"
    );
    assert!(!final_table.contains('*'), "{final_table}");
    assert_fits(&final_table);
}

#[test]
fn html_summary_and_index_mark_provisional_amounts() {
    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().join("run");
    bin()
        .arg("calc")
        .arg(fixture())
        .args(["--as-of", "2025-11-30", "--html", "--out"])
        .arg(&dir)
        .assert()
        .success();
    let index = fs::read_to_string(dir.join("html/index.html")).expect("index");
    assert!(index.contains(
        "<td>Brightline Commerce</td><td class=\"num\">75,500.00*</td><td class=\"num\">13,000.00</td></tr>"
    ), "{index}");
    assert!(index.contains("Amounts marked * (provisional)"));
    let p01 = fs::read_to_string(dir.join("html/P01.html")).expect("page");
    assert!(p01.contains(
        "<tr><td>GMV growth cash tiers</td><td>Cash</td><td>Q4</td><td class=\"num\">20,000.00*</td></tr>"
    ));
    assert!(
        p01.contains("<tr><th colspan=\"3\">Cash total</th><td class=\"num\">75,500.00*</td></tr>")
    );
}

/// Every partner id of the sample that is not `own`, found as a whole id in `text`.
fn other_ids(text: &str, own: &str) -> Vec<String> {
    (1..=12)
        .map(|i| format!("P{i:02}"))
        .filter(|id| id != own)
        .filter(|id| {
            text.match_indices(id.as_str()).any(|(at, _)| {
                let after = text[at + id.len()..].chars().next();
                let before = text[..at].chars().next_back();
                !after.is_some_and(|c| c.is_ascii_alphanumeric())
                    && !before.is_some_and(|c| c.is_ascii_alphanumeric())
            })
        })
        .collect()
}

#[test]
fn partner_facing_outputs_never_name_another_partner() {
    let out = tempfile::tempdir().expect("temp dir");
    let (calc, statements) = (out.path().join("calc"), out.path().join("statements"));
    bin()
        .arg("calc")
        .arg(fixture())
        .args(["--html", "--out"])
        .arg(&calc)
        .assert()
        .success();
    bin()
        .arg("statements")
        .arg(fixture())
        .args(["--month", "2025-12", "--html", "--out"])
        .arg(&statements)
        .assert()
        .success();
    let mut checked = 0;
    for i in 1..=12 {
        let id = format!("P{i:02}");
        for page in [
            calc.join(format!("html/{id}.html")),
            statements.join(format!("html/2025-12/{id}.html")),
            statements.join(format!("statements/2025-12/{id}.md")),
        ] {
            if !page.exists() {
                continue;
            }
            let text = fs::read_to_string(&page).expect("page");
            assert_eq!(
                other_ids(&text, &id),
                Vec::<String>::new(),
                "{}",
                page.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 24, "{checked} pages checked");

    // P03 and P07 tie on matched BFCM GMV: P03's page counts P07, the auditor's JSON names it.
    let p03 = fs::read_to_string(calc.join("html/P03.html")).expect("page");
    assert!(
        p03.contains(
            "rank 4 of 6 by matched BFCM GMV 42,000.00 (3 pairs) → ranks 4–10 pay 8,000.00 \
         (tied on matched BFCM GMV with 1 other partner; ordered by"
        ),
        "{p03}"
    );
    let json = fs::read_to_string(calc.join("statements/P03.json")).expect("json");
    assert!(json.contains("(tied on matched BFCM GMV with P07; ordered by"));
    let csv = fs::read_to_string(calc.join("payouts.csv")).expect("csv");
    assert!(csv.contains("(tied on matched BFCM GMV with P07; ordered by"));

    // The leaderboard on P01's page: its own rank (2) and the ranks next to it, unnamed,
    // amounts with separators.
    let p01 = fs::read_to_string(calc.join("html/P01.html")).expect("page");
    let board = p01
        .split("bfcm_matchmaking leaderboard")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .expect("matchmaking leaderboard");
    let rows: Vec<&str> = board.lines().filter(|l| l.starts_with("<tr><td")).collect();
    assert_eq!(
        rows,
        [
            "<tr><td class=\"num\">1</td><td>—</td><td class=\"num\">96,540.20</td><td class=\"num\">6</td><td class=\"num\">25,000.00</td></tr>",
            "<tr><td class=\"num\">2</td><td>P01</td><td class=\"num\">71,105.00</td><td class=\"num\">4</td><td class=\"num\">15,000.00</td></tr>",
            "<tr><td class=\"num\">3</td><td>—</td><td class=\"num\">42,000.00</td><td class=\"num\">4</td><td class=\"num\">15,000.00</td></tr>",
        ]
    );
    assert!(!p01.contains("96540.20"));
    assert!(
        p01.contains(
            "then distinct (seller, creator) pairs with GMV &gt; 0 descending, then partner_id: \
         your rank and the ranks next to it</p>"
        ),
        "{p01}"
    );
    assert!(!p01.contains("the paid ranks and the entrants next to this partner"));
}

#[test]
fn explain_and_json_keep_one_number_format_each() {
    let text = stdout_of(&["explain", &sample(), "--partner", "P01"]);
    assert!(
        text.contains("│     C001        true         181,234.56       48  ≥ 150,000  10,000.00"),
        "{text}"
    );
    assert!(!text.contains("181234.56"));
    let out = tempfile::tempdir().expect("temp dir");
    bin()
        .arg("calc")
        .arg(fixture())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(out.path().join("statements/P01.json")).expect("json"),
    )
    .expect("json");
    let lines = json["lines"].as_array().expect("lines");
    let growth = lines
        .iter()
        .find(|l| l["program"] == "gmv_growth")
        .expect("gmv_growth");
    // Figures in detail tables are plain decimal strings for machines.
    assert_eq!(
        growth["detail"]["rows"][0],
        serde_json::json!(["S0101", "4222120.76", "6747185.54"])
    );
    let creators = lines
        .iter()
        .find(|l| l["program"] == "creator_incubation")
        .expect("creator_incubation");
    assert_eq!(creators["detail"]["rows"][0][2], "181234.56");
    assert_eq!(creators["amount"], "15000.00");
}

/// `partners` partners, each with one row on 2025-11-15; partner i sells (i + 1) × 1,000.
fn many_partners(partners: usize, name: &str) -> tempfile::TempDir {
    let mut gmv = String::from(GMV_HEADER);
    let mut names = String::from("partner_id,partner_name\n");
    for i in 0..partners {
        let amount = (i + 1) * 1_000;
        gmv.push_str(&format!(
            "2025-11-15,P{i:04},S1,{amount}.00,0.00,{amount}.00,0.00\n"
        ));
        names.push_str(&format!("P{i:04},{name} {i}\n"));
    }
    data_dir(&[("gmv_daily.csv", &gmv), ("partners.csv", &names)])
}

#[test]
fn two_thousand_partners_fit_and_top_lists_the_largest() {
    let data = many_partners(
        2_000,
        &"Very Long Partner Name Holdings International ".repeat(3),
    );
    let dir = data.path().to_str().expect("utf-8").to_string();
    let table = stdout_of(&["calc", &dir, "--allow-gaps", "--top", "3"]);
    assert_fits(&table);
    let firsts: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| P"))
        .map(|l| &l[2..7])
        .collect();
    // Three rows in each of the three tables, the largest totals first: P1999 (growth and
    // the live-stream first prize, 20,000.00), then P1995..P1998 tie at 15,000.00 and go
    // by partner_id.
    assert_eq!(
        firsts,
        ["P1999", "P1995", "P1996", "P1999", "P1995", "P1996", "P1999", "P1995", "P1996"],
        "{table}"
    );
    assert!(
        table.contains("3 of 2000 partners shown, the largest totals first; 1997 not shown (TOTAL counts every partner)"),
        "{table}"
    );
    assert!(table.contains("| TOTAL "), "{table}");
    let whole = stdout_of(&["calc", &dir, "--allow-gaps"]);
    assert_fits(&whole);
    assert_eq!(
        whole.lines().filter(|l| l.starts_with("| P")).count(),
        6_000
    );
}

fn scenario(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/scenarios")
        .join(name)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

#[test]
fn whatif_shows_the_rows_that_change_and_the_budget_by_program_and_kind() {
    let s = scenario("p01-doubles-short-video.toml");
    let table = stdout_of(&["whatif", &sample(), "--scenario", &s]);
    assert!(table.contains(
        "partner × program amounts that change: 1 of 108 rows (107 unchanged not shown; --all lists every row)\n"
    ), "{table}");
    let partner_rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| P")).collect();
    assert_eq!(
        partner_rows,
        ["| P01        | Brightline Commerce | bfcm_seller_challenge | 31,000.00 | 41,000.00 | +10,000.00 |"]
    );
    assert!(
        table.contains(
            "| bfcm_seller_challenge   | cash      | 139,000.00 | 149,000.00 | +10,000.00 |"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "| short_video_top15       | ad_credit |  85,000.00 |  85,000.00 |       0.00 |"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "| TOTAL                   | cash      | 448,500.00 | 458,500.00 | +10,000.00 |"
        ),
        "{table}"
    );

    let all = stdout_of(&["whatif", &sample(), "--scenario", &s, "--all"]);
    assert!(
        all.contains("every partner × program (108 rows, 107 unchanged)\n"),
        "{all}"
    );
    assert_eq!(all.lines().filter(|l| l.starts_with("| P")).count(), 108);

    let csv = stdout_of(&["whatif", &sample(), "--scenario", &s, "--format", "csv"]);
    assert!(csv.starts_with(
        "\u{feff}partner_id,partner_name,program,kind,baseline,scenario,difference\n"
    ));
    assert!(csv.contains(
        "\nP01,Brightline Commerce,bfcm_seller_challenge,cash,31000.00,41000.00,10000.00\n"
    ));
    assert!(csv
        .contains("\nP01,Brightline Commerce,affiliate_credits,ad_credit,3000.00,3000.00,0.00\n"));
    assert_eq!(csv.lines().count(), 109);
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[test]
fn every_csv_output_starts_with_a_utf8_byte_order_mark() {
    let out = tempfile::tempdir().expect("temp dir");
    let data = data_dir(&[(
        "gmv_daily.csv",
        &format!("{GMV_HEADER}2025-10-01,P1,S1,100.00,0.00,0.00,0.00\n2025-10-02,P1,S1,x,0.00,0.00,0.00\n"),
    )]);
    let run = |args: &[&str], dir: &Path| {
        bin()
            .args(args)
            .arg(data.path())
            .args([
                "--allow-gaps",
                "--skip-invalid",
                "--max-rejects",
                "5",
                "--out",
            ])
            .arg(dir)
            .output()
            .expect("run")
    };
    let calc = run(&["calc", "--format", "csv"], &out.path().join("calc"));
    assert!(
        calc.status.success(),
        "{}",
        String::from_utf8_lossy(&calc.stderr)
    );
    assert!(calc.stdout.starts_with(BOM));
    let statements = run(
        &["statements", "--month", "2025-10"],
        &out.path().join("st"),
    );
    assert!(
        statements.status.success(),
        "{}",
        String::from_utf8_lossy(&statements.stderr)
    );
    let scenario_file = out.path().join("s.toml");
    fs::write(&scenario_file, "name = \"none\"\n").expect("scenario");
    let whatif = run(
        &[
            "whatif",
            "--scenario",
            scenario_file.to_str().expect("utf-8"),
        ],
        &out.path().join("w"),
    );
    assert!(
        whatif.status.success(),
        "{}",
        String::from_utf8_lossy(&whatif.stderr)
    );
    for file in [
        "calc/payouts.csv",
        "calc/rejects.csv",
        "st/credit_statement_2025-10.csv",
        "st/rejects_2025-10.csv",
        "w/whatif.csv",
        "w/rejects.csv",
    ] {
        let bytes = fs::read(out.path().join(file)).expect(file);
        assert!(bytes.starts_with(BOM), "{file}");
        // Once, at the start only.
        assert!(!bytes[3..].starts_with(BOM), "{file}");
    }
    // payouts.csv still reads back through the data reader's CSV rules: the header is found.
    let rows = common::read_csv(&out.path().join("calc/payouts.csv"));
    assert!(rows.iter().all(|r| r["partner_id"] == "P1"), "{rows:?}");
}
