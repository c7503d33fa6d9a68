//! `calc` on fixtures/q4-sample against the independent reference amounts for creator
//! incubation and the BFCM challenges, and the statements behind those lines.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use tempfile::TempDir;

const PROGRAMS: [&str; 4] = [
    "creator_incubation",
    "bfcm_matchmaking",
    "bfcm_seller_challenge",
    "bfcm_live_championship",
];

type Amounts = BTreeMap<(String, String, String), String>;

/// (partner_id, program, period) → amount for this file's programs.
fn amounts(path: &Path, amount_col: &str) -> Amounts {
    let mut rd = csv::Reader::from_path(path).expect("CSV");
    let headers = rd.headers().expect("header").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (p, g, d, a) = (
        col("partner_id"),
        col("program"),
        col("period"),
        col(amount_col),
    );
    rd.records()
        .map(|r| r.expect("row"))
        .filter(|r| PROGRAMS.contains(&&r[g]))
        .map(|r| {
            (
                (r[p].to_string(), r[g].to_string(), r[d].to_string()),
                r[a].to_string(),
            )
        })
        .collect()
}

fn run_sample() -> TempDir {
    let out = TempDir::new().expect("temp dir");
    Command::cargo_bin("tsp-payout")
        .expect("binary")
        .args(["calc", "fixtures/q4-sample", "--force", "--out"])
        .arg(out.path())
        .assert()
        .success();
    out
}

#[test]
fn sample_amounts_match_the_reference() {
    let out = run_sample();
    let got = amounts(&out.path().join("payouts.csv"), "amount");
    let want = amounts(Path::new("fixtures/q4-sample.expected.csv"), "amount");
    assert_eq!(want.len(), 12 * PROGRAMS.len());
    assert_eq!(got, want);
}

#[test]
fn statements_list_every_creator_and_seller_and_add_up() {
    let out = run_sample();
    let mut creators_per_partner: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rd = csv::Reader::from_path("fixtures/q4-sample/creators.csv").expect("creators");
    for r in rd.records() {
        let r = r.expect("row");
        creators_per_partner
            .entry(r[1].to_string())
            .or_default()
            .push(r[0].to_string());
    }
    let mut sellers_per_partner: BTreeMap<String, std::collections::BTreeSet<String>> =
        BTreeMap::new();
    let mut rd = csv::Reader::from_path("fixtures/q4-sample/gmv_daily.csv").expect("gmv");
    for r in rd.records() {
        let r = r.expect("row");
        sellers_per_partner
            .entry(r[1].to_string())
            .or_default()
            .insert(r[2].to_string());
    }
    let payouts = amounts(&out.path().join("payouts.csv"), "amount");
    for partner in sellers_per_partner.keys() {
        let path = out.path().join(format!("statements/{partner}.json"));
        let doc: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("statement")).expect("JSON");
        let line = |program: &str| -> Value {
            doc["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .find(|l| l["program"] == program)
                .unwrap_or_else(|| panic!("{partner}: no {program} line"))
                .clone()
        };
        let rows = |l: &Value| l["detail"]["rows"].as_array().expect("detail rows").clone();
        let column = |l: &Value, name: &str| {
            l["detail"]["columns"]
                .as_array()
                .expect("columns")
                .iter()
                .position(|c| c == name)
                .expect("column")
        };
        let cents = |s: &str| -> i64 {
            let (int, frac) = s.split_once('.').expect("two decimals");
            int.parse::<i64>().expect("int") * 100 + frac.parse::<i64>().expect("frac")
        };

        // Every creator and every seller is listed, and the rows add up to the line.
        for (program, ids) in [
            (
                "creator_incubation",
                creators_per_partner
                    .get(partner)
                    .cloned()
                    .unwrap_or_default(),
            ),
            (
                "bfcm_seller_challenge",
                sellers_per_partner[partner].iter().cloned().collect(),
            ),
        ] {
            let l = line(program);
            let amount_col = column(&l, "amount");
            let listed: Vec<String> = rows(&l)
                .iter()
                .map(|r| r[0].as_str().expect("id").to_string())
                .collect();
            assert_eq!(listed, ids, "{partner} {program}");
            let sum: i64 = rows(&l)
                .iter()
                .map(|r| cents(r[amount_col].as_str().expect("amount")))
                .sum();
            assert_eq!(
                sum,
                cents(l["amount"].as_str().expect("amount")),
                "{partner} {program}"
            );
            let key = (
                partner.clone(),
                program.to_string(),
                l["period"].as_str().unwrap().to_string(),
            );
            assert_eq!(
                payouts[&key],
                l["amount"].as_str().unwrap(),
                "{partner} {program}"
            );
        }

        // Each leaderboard line carries the board, with the partner's own row when ranked.
        for program in ["bfcm_matchmaking", "bfcm_live_championship"] {
            let l = line(program);
            let amount_col = column(&l, "amount");
            let own = rows(&l).into_iter().find(|r| r[1] == partner.as_str());
            match own {
                Some(r) => assert_eq!(r[amount_col], l["amount"], "{partner} {program}"),
                None => assert_eq!(l["amount"], "0.00", "{partner} {program}"),
            }
        }
    }
}
