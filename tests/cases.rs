//! Rule examples kept as data: every `tests/cases/*.toml` states one example of a README rule
//! (its inputs in a compact form, an optional `--as-of`, optional book overrides, and the
//! payout lines it must produce). This harness writes each case's CSV files into a temporary
//! data directory, runs `tsp-payout calc --format csv` on it, and compares every expected line
//! exactly. `CASE=word cargo test --test cases` runs only the cases whose file name contains
//! `word`.
//!
//! A case file:
//!
//! ```toml
//! description = "README rules, gmv_growth: ... (book gmv_growth.tiers)"
//! as_of = "2025-11-30"          # optional: --as-of
//! others_zero = true            # optional: every line of the case's partners not listed is 0.00
//!
//! [book.gmv_growth]             # optional: deep-merged onto the embedded book, written as --book
//! tiers = [{ min = 1, amount = 1 }]
//!
//! [[gmv]]                       # one gmv_daily.csv row per day of from..to (inclusive);
//! partner = "P1"                # a later range replaces an earlier one's rows on the same
//! seller = "S1"                 # (date, partner, seller); channels default to 0.00
//! from = "2025-07-01"
//! to = "2025-09-30"
//! gmv = "10000.00"
//! short_video_gmv = "0.00"      # also live_gmv, affiliate_gmv
//! sellers = 80                  # optional: sellers S101..S180 (the seller id, then 01..=N)
//!
//! [[tiers]]        # partner, date, tier          -> partner_tiers.csv
//! [[creators]]     # creator, partner, target     -> creators.csv
//! [[creator_gmv]]  # creator, from, to, gmv       -> creator_gmv_daily.csv (one row a day)
//! [[matchmaking]]  # partner, seller, creator, from, to, gmv -> matchmaking.csv (one row a day)
//! [[partners]]     # partner, name                -> partners.csv
//!
//! [[expect]]       # one payout line, compared exactly
//! partner = "P1"
//! program = "gmv_growth"
//! period = "q4"
//! amount = "10000.00"
//! basis = "increment 10,000.00"   # optional: a substring (or a list of substrings) of basis
//! provisional = false             # optional
//! name = "Brightline Commerce"    # optional: the partner_name column, exactly
//!
//! [[absent]]       # a line that must not exist (partner optional: nobody's)
//! program = "affiliate_credits"
//! period = "2025-12"
//! ```
//!
//! An optional file a case does not mention is not written (its programs are skipped); `tiers
//! = []` writes a header-only file. Amounts and dates are strings or integers (never floats).
//!
//! gmv_daily.csv always covers every calendar day from 2025-07-01 to 2025-12-31: a day the
//! case's own rows leave empty gets a zero row of the partner `FILLER`, which earns nothing,
//! ranks nowhere, and whose lines the harness never checks.

use assert_cmd::Command;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// The partner whose zero rows complete the calendar.
const FILLER: &str = "FILLER";
const FILLER_SELLER: &str = "FILLER-S";
/// Every day a case's gmv_daily.csv covers: the Q3 baseline and Q4.
const COVER_FROM: &str = "2025-07-01";
const COVER_TO: &str = "2025-12-31";

/// A literal that is a string, an integer or a TOML date, kept as its text. Floats are
/// refused: a case's money is exact.
#[derive(Clone, Debug)]
struct Lit(String);

impl<'de> Deserialize<'de> for Lit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => Ok(Lit(s)),
            toml::Value::Integer(i) => Ok(Lit(i.to_string())),
            toml::Value::Datetime(t) => Ok(Lit(t.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a string, an integer or a date, found {other}"
            ))),
        }
    }
}

impl Lit {
    fn day(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0, "%Y-%m-%d")
            .unwrap_or_else(|e| panic!("{:?} is not a date: {e}", self.0))
    }
}

fn zero() -> Lit {
    Lit("0.00".into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    as_of: Option<Lit>,
    book: Option<toml::Table>,
    #[serde(default)]
    others_zero: bool,
    #[serde(default)]
    gmv: Vec<Gmv>,
    tiers: Option<Vec<Tier>>,
    creators: Option<Vec<Creator>>,
    creator_gmv: Option<Vec<CreatorGmv>>,
    matchmaking: Option<Vec<Matched>>,
    partners: Option<Vec<Partner>>,
    expect: Vec<Expect>,
    #[serde(default)]
    absent: Vec<Absent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Gmv {
    partner: String,
    seller: String,
    /// Several sellers alike: `seller` followed by 01..=N (`S` and 3 give S01, S02, S03).
    sellers: Option<u32>,
    from: Lit,
    to: Lit,
    gmv: Lit,
    #[serde(default = "zero")]
    short_video_gmv: Lit,
    #[serde(default = "zero")]
    live_gmv: Lit,
    #[serde(default = "zero")]
    affiliate_gmv: Lit,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tier {
    partner: String,
    date: Lit,
    tier: Lit,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Creator {
    creator: String,
    partner: String,
    target: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreatorGmv {
    creator: String,
    from: Lit,
    to: Lit,
    gmv: Lit,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Matched {
    partner: String,
    seller: String,
    creator: String,
    from: Lit,
    to: Lit,
    gmv: Lit,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Partner {
    partner: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Substrings {
    One(String),
    Many(Vec<String>),
}

impl Substrings {
    fn all(&self) -> Vec<&str> {
        match self {
            Substrings::One(s) => vec![s.as_str()],
            Substrings::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    partner: String,
    program: String,
    period: String,
    amount: Lit,
    basis: Option<Substrings>,
    provisional: Option<bool>,
    /// The partner_name column, exactly.
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Absent {
    partner: Option<String>,
    program: String,
    period: String,
}

/// One line of `calc --format csv`.
struct Line {
    name: String,
    amount: String,
    provisional: String,
    basis: String,
}

fn days(from: &Lit, to: &Lit) -> impl Iterator<Item = NaiveDate> {
    let (from, to) = (from.day(), to.day());
    assert!(from <= to, "range {from}..{to} ends before it starts");
    (0..=(to - from).num_days()).map(move |i| from + Duration::days(i))
}

/// Writes `rows` under `header`, one CSV record each (cells are quoted by the csv writer).
fn write_csv(dir: &Path, name: &str, header: &[&str], rows: Vec<Vec<String>>) {
    let mut w = csv::Writer::from_path(dir.join(name)).expect("create csv");
    w.write_record(header).expect("write header");
    for row in rows {
        w.write_record(&row).expect("write row");
    }
    w.flush().expect("flush csv");
}

/// Tables merge key by key; anything else (arrays included) is replaced whole.
fn deep_merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => deep_merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

fn bin() -> Command {
    Command::cargo_bin("tsp-payout").expect("binary built")
}

/// The embedded book, as the binary prints it.
fn embedded_book() -> toml::Table {
    let out = bin().arg("book").output().expect("run book");
    assert!(out.status.success(), "tsp-payout book failed");
    String::from_utf8(out.stdout)
        .expect("utf-8 book")
        .parse()
        .expect("the printed book is TOML")
}

/// Writes the case's data directory; returns the partners the case itself names.
fn write_inputs(case: &Case, dir: &Path) -> BTreeSet<String> {
    let mut partners = BTreeSet::new();
    // (date, partner, seller) -> cells; a later range replaces an earlier one's days.
    let mut gmv: BTreeMap<(NaiveDate, String, String), [String; 4]> = BTreeMap::new();
    for g in &case.gmv {
        partners.insert(g.partner.clone());
        let sellers: Vec<String> = match g.sellers {
            None => vec![g.seller.clone()],
            Some(n) => (1..=n).map(|i| format!("{}{i:02}", g.seller)).collect(),
        };
        for seller in sellers {
            for d in days(&g.from, &g.to) {
                gmv.insert(
                    (d, g.partner.clone(), seller.clone()),
                    [
                        g.gmv.0.clone(),
                        g.short_video_gmv.0.clone(),
                        g.live_gmv.0.clone(),
                        g.affiliate_gmv.0.clone(),
                    ],
                );
            }
        }
    }
    let covered: BTreeSet<NaiveDate> = gmv.keys().map(|(d, _, _)| *d).collect();
    for d in days(&Lit(COVER_FROM.into()), &Lit(COVER_TO.into())) {
        if !covered.contains(&d) {
            let z = "0.00".to_string();
            gmv.insert(
                (d, FILLER.into(), FILLER_SELLER.into()),
                [z.clone(), z.clone(), z.clone(), z],
            );
        }
    }
    write_csv(
        dir,
        "gmv_daily.csv",
        &[
            "date",
            "partner_id",
            "seller_id",
            "gmv",
            "short_video_gmv",
            "live_gmv",
            "affiliate_gmv",
        ],
        gmv.into_iter()
            .map(|((d, p, s), [g, sv, l, a])| vec![d.to_string(), p, s, g, sv, l, a])
            .collect(),
    );
    if let Some(tiers) = &case.tiers {
        partners.extend(tiers.iter().map(|t| t.partner.clone()));
        write_csv(
            dir,
            "partner_tiers.csv",
            &["partner_id", "effective_date", "tier"],
            tiers
                .iter()
                .map(|t| vec![t.partner.clone(), t.date.0.clone(), t.tier.0.clone()])
                .collect(),
        );
    }
    if let Some(creators) = &case.creators {
        partners.extend(creators.iter().map(|c| c.partner.clone()));
        write_csv(
            dir,
            "creators.csv",
            &["creator_id", "partner_id", "target_list"],
            creators
                .iter()
                .map(|c| vec![c.creator.clone(), c.partner.clone(), c.target.to_string()])
                .collect(),
        );
    }
    if let Some(rows) = &case.creator_gmv {
        write_csv(
            dir,
            "creator_gmv_daily.csv",
            &["date", "creator_id", "gmv"],
            rows.iter()
                .flat_map(|r| {
                    days(&r.from, &r.to)
                        .map(|d| vec![d.to_string(), r.creator.clone(), r.gmv.0.clone()])
                })
                .collect(),
        );
    }
    if let Some(rows) = &case.matchmaking {
        partners.extend(rows.iter().map(|r| r.partner.clone()));
        write_csv(
            dir,
            "matchmaking.csv",
            &["date", "partner_id", "seller_id", "creator_id", "gmv"],
            rows.iter()
                .flat_map(|r| {
                    days(&r.from, &r.to).map(|d| {
                        vec![
                            d.to_string(),
                            r.partner.clone(),
                            r.seller.clone(),
                            r.creator.clone(),
                            r.gmv.0.clone(),
                        ]
                    })
                })
                .collect(),
        );
    }
    if let Some(rows) = &case.partners {
        partners.extend(rows.iter().map(|r| r.partner.clone()));
        write_csv(
            dir,
            "partners.csv",
            &["partner_id", "partner_name"],
            rows.iter()
                .map(|r| vec![r.partner.clone(), r.name.clone()])
                .collect(),
        );
    }
    partners
}

/// Runs one case; returns its problems (empty when it holds).
fn run_case(path: &Path, book: &toml::Table) -> Vec<String> {
    let text = fs::read_to_string(path).expect("read case");
    let case: Case = match toml::from_str(&text) {
        Ok(c) => c,
        Err(e) => return vec![format!("not a case file: {e}")],
    };
    let mut problems = Vec::new();
    let cites = case.description.contains("README") || case.description.contains("book ");
    if !cites || case.description.contains("SPEC") {
        problems.push("the description must cite the README rule or the book key".into());
    }
    if case.expect.is_empty() {
        problems.push("a case expects at least one line".into());
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    fs::create_dir(&data).expect("data dir");
    let partners = write_inputs(&case, &data);

    let mut cmd = bin();
    cmd.arg("calc").arg(&data).args(["--format", "csv"]);
    if let Some(d) = &case.as_of {
        cmd.args(["--as-of", &d.0]);
    }
    if let Some(over) = &case.book {
        let mut merged = book.clone();
        deep_merge(&mut merged, over);
        let file = tmp.path().join("book.toml");
        fs::write(&file, toml::to_string(&merged).expect("book to TOML")).expect("write book");
        cmd.arg("--book").arg(&file);
    }
    let out = cmd.output().expect("run calc");
    if !out.status.success() {
        problems.push(format!(
            "calc exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
        return problems;
    }

    let mut lines: BTreeMap<(String, String, String), Line> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().expect("csv header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("calc csv has no column {name}"))
    };
    let (p, nm, g, per, a, pv, b) = (
        col("partner_id"),
        col("partner_name"),
        col("program"),
        col("period"),
        col("amount"),
        col("provisional"),
        col("basis"),
    );
    for rec in reader.records() {
        let rec = rec.expect("csv record");
        let key = (rec[p].to_string(), rec[g].to_string(), rec[per].to_string());
        let line = Line {
            name: rec[nm].to_string(),
            amount: rec[a].to_string(),
            provisional: rec[pv].to_string(),
            basis: rec[b].to_string(),
        };
        if lines.insert(key.clone(), line).is_some() {
            problems.push(format!("two lines for {key:?}"));
        }
    }

    let mut listed = BTreeSet::new();
    for e in &case.expect {
        let key = (e.partner.clone(), e.program.clone(), e.period.clone());
        let what = format!("{} {} {}", e.partner, e.program, e.period);
        if !listed.insert(key.clone()) {
            problems.push(format!("{what}: expected twice"));
        }
        let Some(line) = lines.get(&key) else {
            problems.push(format!("{what}: no such line"));
            continue;
        };
        if line.amount != e.amount.0 {
            problems.push(format!(
                "{what}: amount {} (expected {}); basis: {}",
                line.amount, e.amount.0, line.basis
            ));
        }
        if let Some(want) = &e.name {
            if &line.name != want {
                problems.push(format!(
                    "{what}: partner_name {:?} (expected {want:?})",
                    line.name
                ));
            }
        }
        if let Some(want) = e.provisional {
            if line.provisional != want.to_string() {
                problems.push(format!(
                    "{what}: provisional {} (expected {want})",
                    line.provisional
                ));
            }
        }
        if let Some(subs) = &e.basis {
            for s in subs.all() {
                if !line.basis.contains(s) {
                    problems.push(format!("{what}: basis lacks {s:?}; basis: {}", line.basis));
                }
            }
        }
    }
    for ab in &case.absent {
        for ((partner, program, period), line) in &lines {
            if program == &ab.program
                && period == &ab.period
                && ab.partner.as_ref().is_none_or(|want| want == partner)
            {
                problems.push(format!(
                    "{partner} {program} {period}: must not exist, found {} ({})",
                    line.amount, line.basis
                ));
            }
        }
    }
    if case.others_zero {
        for ((partner, program, period), line) in &lines {
            let key = (partner.clone(), program.clone(), period.clone());
            if partners.contains(partner) && !listed.contains(&key) && line.amount != "0.00" {
                problems.push(format!(
                    "{partner} {program} {period}: not listed, so expected 0.00, found {} ({})",
                    line.amount, line.basis
                ));
            }
        }
    }
    problems
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn rule_examples_hold() {
    let only = std::env::var("CASE").ok();
    let book = embedded_book();
    let files = case_files();
    let mut report = String::new();
    let mut ran = 0;
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        ran += 1;
        let problems = run_case(file, &book);
        if !problems.is_empty() {
            let _ = writeln!(report, "case {name}:");
            for p in problems {
                let _ = writeln!(report, "  {p}");
            }
        }
    }
    assert!(ran > 0, "no case matched CASE={only:?}");
    assert!(
        report.is_empty(),
        "rule examples that do not hold:\n{report}"
    );
    assert!(
        only.is_some() || files.len() >= 25,
        "expected at least 25 cases, found {}",
        files.len()
    );
    eprintln!("{ran} rule example cases hold");
}
