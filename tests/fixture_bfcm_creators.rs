//! `calc` on fixtures/q4-sample against the independent reference amounts for creator
//! incubation and the BFCM challenges, and the statements behind those lines.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use tempfile::TempDir;

const PROGRAMS: [&str; 4] = [
    "creator_incubation",
    "bfcm_matchmaking",
    "bfcm_seller_challenge",
    "bfcm_live_championship",
];

type Amounts = BTreeMap<(String, String, String), String>;

/// The lines of this file's programs from a payouts.csv-shaped file.
fn ours(path: &std::path::Path) -> Amounts {
    amounts(path)
        .into_iter()
        .filter(|((_, program, _), _)| PROGRAMS.contains(&program.as_str()))
        .collect()
}

fn run_sample() -> TempDir {
    let out = tempfile::tempdir().expect("temp dir");
    bin()
        .arg("calc")
        .arg(fixture())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    out
}

#[test]
fn sample_amounts_match_the_reference() {
    let out = run_sample();
    let got = ours(&out.path().join("payouts.csv"));
    let want = ours(&fixture().with_file_name("q4-sample.expected.csv"));
    assert_eq!(want.len(), 12 * PROGRAMS.len());
    assert_eq!(got, want);
}

#[test]
fn statements_list_every_creator_and_seller_and_add_up() {
    let out = run_sample();
    let mut creators_per_partner: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in read_csv(&fixture().join("creators.csv")) {
        creators_per_partner
            .entry(r["partner_id"].clone())
            .or_default()
            .push(r["creator_id"].clone());
    }
    for ids in creators_per_partner.values_mut() {
        ids.sort();
    }
    let mut sellers_per_partner: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in read_csv(&fixture().join("gmv_daily.csv")) {
        sellers_per_partner
            .entry(r["partner_id"].clone())
            .or_default()
            .insert(r["seller_id"].clone());
    }
    let payouts = ours(&out.path().join("payouts.csv"));
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
