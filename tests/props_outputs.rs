//! Invariants of whole runs over generated data directories (all six files):
//! - determinism: the same input gives a byte-identical output directory, and so do its
//!   rows shuffled, CRLF line endings, a BOM and amounts spelled `"$1,234.50"` (only the
//!   input checksums in the manifest may differ);
//! - the reconciliation balances to the cent, with the figures the generator knows;
//! - `--skip-invalid` rejects exactly the rows made invalid, and pays exactly what a run
//!   without those rows pays;
//! - every line is within the book: no negative or fractional amount, leaderboards and
//!   caps never exceeded, each amount at most what the book allows for its program.
//!
//! The bounds are written over `engine::Outcome` lines by program id, from the book's
//! tables, so they hold for every program as it is implemented; a program not built yet
//! simply has no lines.

use clap::Parser;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use tsp_payout::book::{Book, Rules};
use tsp_payout::cmd::{self, Cli, Command};
use tsp_payout::engine::{self, Outcome};
use tsp_payout::input::{self, Mode, Options};
use tsp_payout::money::Money;
use tsp_payout::window::Periods;

mod common;

fn date(offset: u32) -> chrono::NaiveDate {
    // 2025-06-25 + offset: a few days before Q3, through Q3 and Q4, a few after.
    chrono::NaiveDate::from_ymd_opt(2025, 6, 25).unwrap() + chrono::Days::new(offset.into())
}

const DAYS: u32 = 200;

fn plain(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A data set with unique keys in every file.
#[derive(Clone, Debug)]
struct Gen {
    /// (date, partner, seller) → (gmv, short_video, live, affiliate) in cents.
    gmv: BTreeMap<GmvKey, GmvCents>,
    /// (partner, date) → tier.
    tiers: BTreeMap<(u8, u32), u8>,
    /// creator → (partner, target list).
    creators: BTreeMap<u8, (u8, bool)>,
    /// (date, creator) → gmv; creators up to 30, so some are unknown.
    creator_gmv: BTreeMap<(u32, u8), i64>,
    /// (date, partner, seller, creator) → gmv.
    matches: BTreeMap<(u32, u8, u8, u8), i64>,
    names: BTreeMap<u8, String>,
}

fn cents() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => 0i64..100_000,
        3 => 0i64..10_000_000,
        3 => 0i64..200_000_000,
    ]
}

/// (date offset, partner, seller).
type GmvKey = (u32, u8, u8);
/// (gmv, short_video, live, affiliate) in cents.
type GmvCents = (i64, i64, i64, i64);

fn gmv_row() -> impl Strategy<Value = (GmvKey, GmvCents)> {
    (
        0..DAYS,
        0u8..22,
        0u8..4,
        cents(),
        0u32..=100,
        0u32..=100,
        0u32..=100,
    )
        .prop_map(|(d, p, s, g, a, b, c)| {
            let part = |pct: u32| g * i64::from(pct) / 100;
            ((d, p, s), (g, part(a), part(b), part(c)))
        })
}

fn gen() -> impl Strategy<Value = Gen> {
    (
        // At least one row: a gmv_daily.csv without an accepted row is refused (README).
        prop::collection::vec(gmv_row(), 1..160),
        prop::collection::btree_map((0u8..22, 0..DAYS), 1u8..=5, 0..30),
        prop::collection::btree_map(0u8..25, (0u8..22, any::<bool>()), 0..20),
        prop::collection::btree_map((0..DAYS, 0u8..30), cents(), 0..60),
        prop::collection::btree_map((0..DAYS, 0u8..22, 0u8..4, 0u8..30), cents(), 0..60),
        prop::collection::btree_map(0u8..22, "[A-Za-z ,\"é]{0,12}", 0..22),
    )
        .prop_map(|(rows, tiers, creators, creator_gmv, matches, names)| Gen {
            gmv: rows.into_iter().collect(),
            tiers,
            creators,
            creator_gmv,
            matches,
            names,
        })
}

/// How a data set is written out.
#[derive(Clone, Copy, Debug, Default)]
struct Spelling {
    /// Shuffle the rows of every file with this seed.
    shuffle: Option<u64>,
    crlf: bool,
    bom: bool,
    /// Amounts as `"$1,234.50"`.
    dollars: bool,
}

fn amount(cents: i64, s: Spelling) -> String {
    if s.dollars {
        format!("\"${}\"", tsp_payout::money::group_thousands(&plain(cents)))
    } else {
        plain(cents)
    }
}

/// One file: header and data rows, as lines (without line endings).
struct File {
    name: &'static str,
    header: &'static str,
    rows: Vec<String>,
}

impl Gen {
    fn files(&self, s: Spelling) -> Vec<File> {
        let a = |c| amount(c, s);
        vec![
            File {
                name: "gmv_daily.csv",
                header: "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv",
                rows: self
                    .gmv
                    .iter()
                    .map(|((d, p, sl), (g, sv, l, af))| {
                        format!(
                            "{},P{p:02},S{sl},{},{},{},{}",
                            date(*d),
                            a(*g),
                            a(*sv),
                            a(*l),
                            a(*af)
                        )
                    })
                    .collect(),
            },
            File {
                name: "partner_tiers.csv",
                header: "partner_id,effective_date,tier",
                rows: self
                    .tiers
                    .iter()
                    .map(|((p, d), t)| format!("P{p:02},{},{t}", date(*d) - chrono::Days::new(60)))
                    .collect(),
            },
            File {
                name: "creators.csv",
                header: "creator_id,partner_id,target_list",
                rows: self
                    .creators
                    .iter()
                    .map(|(c, (p, t))| format!("C{c},P{p:02},{t}"))
                    .collect(),
            },
            File {
                name: "creator_gmv_daily.csv",
                header: "date,creator_id,gmv",
                rows: self
                    .creator_gmv
                    .iter()
                    .map(|((d, c), g)| format!("{},C{c},{}", date(*d), a(*g)))
                    .collect(),
            },
            File {
                name: "matchmaking.csv",
                header: "date,partner_id,seller_id,creator_id,gmv",
                rows: self
                    .matches
                    .iter()
                    .map(|((d, p, sl, c), g)| format!("{},P{p:02},S{sl},C{c},{}", date(*d), a(*g)))
                    .collect(),
            },
            File {
                name: "partners.csv",
                header: "partner_id,partner_name",
                rows: self
                    .names
                    .iter()
                    .map(|(p, n)| format!("P{p:02},\"{}\"", n.replace('"', "\"\"")))
                    .collect(),
            },
        ]
    }
}

fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
}

fn write(files: Vec<File>, s: Spelling) -> tempfile::TempDir {
    let dir = scratch();
    for mut f in files {
        if let Some(seed) = s.shuffle {
            shuffle(&mut f.rows, seed);
        }
        let eol = if s.crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        if s.bom {
            text.push('\u{feff}');
        }
        text.push_str(f.header);
        for r in &f.rows {
            text.push_str(eol);
            text.push_str(r);
        }
        text.push_str(eol);
        fs::write(dir.path().join(f.name), text).unwrap();
    }
    dir
}

/// Temporary directories on tmpfs where there is one: every run syncs each file it writes.
fn scratch() -> tempfile::TempDir {
    match Path::new("/dev/shm").is_dir() {
        true => tempfile::tempdir_in("/dev/shm").unwrap(),
        false => tempfile::tempdir().unwrap(),
    }
}

/// `calc --out DIR --format csv`, in process; returns the output directory's files.
/// Generated exports have days without rows and many rejects; both are beside what these
/// properties check.
fn calc(dir: &Path, as_of: chrono::NaiveDate, skip_invalid: bool) -> BTreeMap<String, Vec<u8>> {
    let out = scratch();
    let mut argv = vec![
        "tsp-payout".to_string(),
        "calc".to_string(),
        dir.display().to_string(),
        format!("--as-of={as_of}"),
        "--allow-gaps".to_string(),
        "--format=csv".to_string(),
        format!("--out={}", out.path().display()),
    ];
    if skip_invalid {
        argv.push("--skip-invalid".to_string());
        argv.push(format!("--max-rejects={}", u64::MAX));
    }
    let Command::Calc(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!("parsed as calc")
    };
    let mut stderr = Vec::new();
    let result = cmd::calc::run(&args, &mut Vec::new(), &mut stderr);
    assert!(
        result.is_ok(),
        "{result:?}: {}",
        String::from_utf8_lossy(&stderr)
    );
    common::snapshot(out.path())
}

/// The manifest without the input checksums, which change with the bytes of the input.
fn manifest_sans_checksums(run: &BTreeMap<String, Vec<u8>>) -> serde_json::Value {
    let mut m: serde_json::Value = serde_json::from_slice(&run["manifest.json"]).unwrap();
    m.as_object_mut().unwrap().remove("inputs");
    for f in m["reconciliation"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("sha256");
    }
    m
}

fn manifest(run: &BTreeMap<String, Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(&run["manifest.json"]).unwrap()
}

fn as_of() -> impl Strategy<Value = chrono::NaiveDate> {
    prop_oneof![
        3 => Just(chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()),
        1 => (0u64..92).prop_map(|d| chrono::NaiveDate::from_ymd_opt(2025, 10, 1).unwrap() + chrono::Days::new(d)),
    ]
}

fn money(v: &serde_json::Value) -> Money {
    Money::new(
        v.as_str()
            .unwrap_or_else(|| panic!("money {v}"))
            .parse()
            .unwrap(),
    )
}

/// Checks every line of `outcome` against what the book allows for its program.
fn check_bounds(
    rules: &Rules,
    outcome: &Outcome,
    sellers: &BTreeMap<String, usize>,
    targets: &BTreeMap<String, usize>,
) {
    let mut seen = BTreeSet::new();
    let mut paid: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut affiliate_total: BTreeMap<&str, Money> = BTreeMap::new();
    for l in &outcome.lines {
        let at = format!(
            "{} {} {}: {}",
            l.partner_id,
            l.program,
            l.period,
            l.amount.plain()
        );
        assert!(
            seen.insert((&l.partner_id, l.program, &l.period)),
            "two lines for {at}"
        );
        assert!(
            outcome.partners.contains_key(&l.partner_id),
            "unknown partner {at}"
        );
        assert!(l.amount >= Money::ZERO, "negative {at}");
        assert!(
            l.amount.as_decimal().fract().is_zero(),
            "not whole dollars {at}"
        );
        assert!(!l.basis.is_empty(), "no basis {at}");
        if l.amount.is_positive() {
            *paid.entry((l.program, &l.period)).or_default() += 1;
        }
        let one_of = |amounts: Vec<Money>| {
            assert!(
                l.amount.is_zero() || amounts.contains(&l.amount),
                "not a book amount: {at}"
            );
        };
        let at_most = |max: Money| assert!(l.amount <= max, "above {}: {at}", max.plain());
        let sellers = sellers.get(&l.partner_id).copied().unwrap_or(0) as i64;
        match l.program {
            "gmv_growth" => one_of(rules.gmv_growth.tiers.0.iter().map(|t| t.amount).collect()),
            "tier_upgrade" => one_of(
                rules
                    .tier_upgrade
                    .bonus
                    .0
                    .iter()
                    .map(|t| t.amount)
                    .collect(),
            ),
            "short_video_top15" => one_of(
                rules
                    .short_video_top15
                    .bands
                    .0
                    .iter()
                    .map(|b| b.amount)
                    .collect(),
            ),
            "short_video_consistency" => one_of(vec![rules.short_video_top15.consistency_amount]),
            "affiliate_credits" => {
                let a = &rules.affiliate_credits;
                let cap = sellers.min(a.max_sellers as i64);
                at_most(a.tiers.max_amount() * cap);
                *affiliate_total.entry(&l.partner_id).or_insert(Money::ZERO) += l.amount;
            }
            "creator_incubation" => {
                let n = targets.get(&l.partner_id).copied().unwrap_or(0) as i64;
                at_most(rules.creator_incubation.tiers.max_amount() * n);
            }
            "bfcm_matchmaking" => one_of(
                rules
                    .bfcm_matchmaking
                    .prizes
                    .0
                    .iter()
                    .map(|b| b.amount)
                    .collect(),
            ),
            "bfcm_live_championship" => one_of(
                rules
                    .bfcm_live_championship
                    .prizes
                    .0
                    .iter()
                    .map(|b| b.amount)
                    .collect(),
            ),
            "bfcm_seller_challenge" => {
                let sc = &rules.bfcm_seller_challenge;
                at_most(sc.large.max_amount().max(sc.small.max_amount()) * sellers);
            }
            other => panic!("a line of unknown program {other}"),
        }
    }
    for ((program, period), n) in paid {
        let cap = match program {
            "short_video_top15" => rules.short_video_top15.bands.paid_ranks(),
            "short_video_consistency" => rules.short_video_top15.consistency_top,
            "bfcm_matchmaking" => rules.bfcm_matchmaking.prizes.paid_ranks(),
            "bfcm_live_championship" => rules.bfcm_live_championship.prizes.paid_ranks(),
            _ => continue,
        };
        assert!(n <= cap, "{n} paid in {program} {period}, at most {cap}");
    }
    // Affiliate credits are issued as a running true-up: the quarter never exceeds the cap.
    let a = &rules.affiliate_credits;
    for (partner, total) in affiliate_total {
        let cap = (sellers[partner]).min(a.max_sellers) as i64;
        assert!(
            total <= a.tiers.max_amount() * cap,
            "affiliate total {partner}"
        );
    }
}

/// A way to break one row, and whether its gmv cell still parses.
#[derive(Clone, Copy, Debug)]
enum Break {
    Amount,
    Date,
    EmptyId,
    ChannelOverGmv,
    Cells,
    Utf8,
}

fn break_row(row: &str, how: Break) -> (Vec<u8>, bool) {
    let mut cells: Vec<Vec<u8>> = row.split(',').map(|c| c.as_bytes().to_vec()).collect();
    match how {
        Break::Amount => cells[3] = b"\"12,3x\"".to_vec(),
        Break::Date => cells[0] = b"2025-13-01".to_vec(),
        Break::EmptyId => cells[2] = b" ".to_vec(),
        Break::ChannelOverGmv => {
            let gmv =
                tsp_payout::input::reader::parse_cents(row.split(',').nth(3).unwrap()).unwrap();
            cells[5] = plain(gmv + 1).into_bytes();
        }
        Break::Cells => cells.push(b"extra".to_vec()),
        Break::Utf8 => cells[1].push(0xff),
    }
    (cells.join(&b","[..]), !matches!(how, Break::Amount))
}

fn breaks() -> impl Strategy<Value = Break> {
    prop_oneof![
        Just(Break::Amount),
        Just(Break::Date),
        Just(Break::EmptyId),
        Just(Break::ChannelOverGmv),
        Just(Break::Cells),
        Just(Break::Utf8),
    ]
}

/// Writes gmv_daily.csv with the rows at `broken` replaced (broken) or blanked.
fn write_gmv(
    dir: &Path,
    gen: &Gen,
    broken: &BTreeMap<usize, Break>,
    blank: bool,
) -> (BTreeSet<u64>, i64) {
    let file = gen.files(Spelling::default()).remove(0);
    let mut bytes = format!("{}\n", file.header).into_bytes();
    let mut lines = BTreeSet::new();
    let mut rejected_gmv = 0;
    for (i, row) in file.rows.iter().enumerate() {
        match broken.get(&i) {
            None => bytes.extend_from_slice(row.as_bytes()),
            Some(_) if blank => {}
            Some(how) => {
                let (raw, parseable) = break_row(row, *how);
                bytes.extend_from_slice(&raw);
                lines.insert(i as u64 + 2);
                if parseable {
                    let key = gen.gmv.keys().nth(i).unwrap();
                    rejected_gmv += gen.gmv[key].0;
                }
            }
        }
        bytes.push(b'\n');
    }
    fs::write(dir.join("gmv_daily.csv"), bytes).unwrap();
    (lines, rejected_gmv)
}

fn read_csv_bytes(bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.into(), v.into()))
                .collect()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn same_input_same_bytes_whatever_the_spelling(
        gen in gen(),
        as_of in as_of(),
        seed in any::<u64>(),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        dollars in any::<bool>(),
    ) {
        let plain = Spelling::default();
        let first = calc(write(gen.files(plain), plain).path(), as_of, false);
        let again = calc(write(gen.files(plain), plain).path(), as_of, false);
        prop_assert!(first == again, "same input, different output");
        let other = Spelling { shuffle: Some(seed), crlf, bom, dollars };
        let respelled = calc(write(gen.files(other), other).path(), as_of, false);
        prop_assert_eq!(first.keys().collect::<Vec<_>>(), respelled.keys().collect::<Vec<_>>());
        for (name, bytes) in &first {
            if name != "manifest.json" {
                prop_assert!(bytes == &respelled[name], "{} differs for {:?}", name, other);
            }
        }
        prop_assert_eq!(manifest_sans_checksums(&first), manifest_sans_checksums(&respelled));
    }

    #[test]
    fn reconciliation_balances_to_the_cent(gen in gen(), as_of in as_of()) {
        let s = Spelling::default();
        let dir = write(gen.files(s), s);
        let run = calc(dir.path(), as_of, false);
        let m = manifest(&run);
        let q3 = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        let q4 = chrono::NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
        let bfcm = (chrono::NaiveDate::from_ymd_opt(2025, 11, 12).unwrap(), chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap());
        let in_range = |d: chrono::NaiveDate, from: chrono::NaiveDate, to: chrono::NaiveDate| from <= d && d <= to.min(as_of);
        let sum = |it: &mut dyn Iterator<Item = i64>| Money::from_cents(it.sum());
        // file → (rows, gmv) read, used, outside, unmatched
        let gmv_used: Vec<i64> = gen.gmv.iter().filter(|((d, ..), _)| in_range(date(*d), q3, as_of)).map(|(_, v)| v.0).collect();
        let known: BTreeSet<u8> = gen.creators.keys().copied().collect();
        let cg_in: Vec<(u8, i64)> = gen.creator_gmv.iter().filter(|((d, _), _)| in_range(date(*d), q4, as_of)).map(|((_, c), g)| (*c, *g)).collect();
        let mm_used: Vec<i64> = gen.matches.iter().filter(|((d, ..), _)| in_range(date(*d), bfcm.0, bfcm.1)).map(|(_, g)| *g).collect();
        let expect: BTreeMap<&str, (usize, Money, Money, Money)> = [
            ("gmv_daily.csv", (gen.gmv.len(), sum(&mut gen.gmv.values().map(|v| v.0)), sum(&mut gmv_used.iter().copied()), Money::ZERO)),
            ("creator_gmv_daily.csv", (
                gen.creator_gmv.len(),
                sum(&mut gen.creator_gmv.values().copied()),
                sum(&mut cg_in.iter().filter(|(c, _)| known.contains(c)).map(|(_, g)| *g)),
                sum(&mut cg_in.iter().filter(|(c, _)| !known.contains(c)).map(|(_, g)| *g)),
            )),
            ("matchmaking.csv", (gen.matches.len(), sum(&mut gen.matches.values().copied()), sum(&mut mm_used.iter().copied()), Money::ZERO)),
        ].into_iter().collect();
        for f in m["reconciliation"].as_array().unwrap() {
            let name = f["file"].as_str().unwrap();
            prop_assert_eq!(&f["balanced"], &serde_json::json!(true), "{}", name);
            prop_assert_eq!(f["rows"]["rejected"].as_u64(), Some(0));
            let r = &f["rows"];
            prop_assert_eq!(
                r["read"].as_u64().unwrap(),
                r["used"].as_u64().unwrap() + r["outside"].as_u64().unwrap() + r["unmatched"].as_u64().unwrap()
            );
            if let Some((rows, read, used, unmatched)) = expect.get(name) {
                let g = &f["gmv"];
                prop_assert_eq!(r["read"].as_u64(), Some(*rows as u64), "{}", name);
                prop_assert_eq!(money(&g["read"]), *read, "{}", name);
                prop_assert_eq!(money(&g["used"]), *used, "{}", name);
                prop_assert_eq!(money(&g["unmatched"]), *unmatched, "{}", name);
                prop_assert_eq!(money(&g["read"]), money(&g["used"]) + money(&g["outside"]) + money(&g["unmatched"]) + money(&g["rejected"]));
            }
        }
    }

    #[test]
    fn skip_invalid_rejects_exactly_the_broken_rows_and_keeps_the_rest(
        gen in gen(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), breaks()), 1..8),
    ) {
        prop_assume!(!gen.gmv.is_empty());
        let broken: BTreeMap<usize, Break> =
            picks.into_iter().map(|(i, b)| (i.index(gen.gmv.len()), b)).collect();
        // Every row broken leaves none accepted, which is refused (README).
        prop_assume!(broken.len() < gen.gmv.len());
        let as_of = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let s = Spelling::default();
        let with_broken = write(gen.files(s), s);
        let (lines, rejected_gmv) = write_gmv(with_broken.path(), &gen, &broken, false);
        let without = write(gen.files(s), s);
        write_gmv(without.path(), &gen, &broken, true);

        let skipped = calc(with_broken.path(), as_of, true);
        let clean = calc(without.path(), as_of, false);
        let rejects = read_csv_bytes(&skipped["rejects.csv"]);
        let got: BTreeSet<u64> = rejects.iter().map(|r| r["line"].parse().unwrap()).collect();
        prop_assert_eq!(&got, &lines, "rejected lines");
        prop_assert!(rejects.iter().all(|r| r["file"] == "gmv_daily.csv"));
        for (name, bytes) in &clean {
            if name != "manifest.json" {
                prop_assert!(bytes == &skipped[name], "{} differs", name);
            }
        }
        let (a, b) = (manifest(&skipped), manifest(&clean));
        let (fa, fb) = (&a["reconciliation"][5], &b["reconciliation"][5]);
        prop_assert_eq!(&fa["file"], &serde_json::json!("gmv_daily.csv"));
        for k in ["used", "outside", "unmatched"] {
            prop_assert_eq!(&fa["rows"][k], &fb["rows"][k]);
            prop_assert_eq!(&fa["gmv"][k], &fb["gmv"][k]);
        }
        prop_assert_eq!(fa["rows"]["rejected"].as_u64(), Some(lines.len() as u64));
        prop_assert_eq!(money(&fa["gmv"]["rejected"]), Money::from_cents(rejected_gmv));
        prop_assert_eq!(&fa["balanced"], &serde_json::json!(true));
    }

    #[test]
    fn every_line_is_within_the_book(gen in gen(), as_of in as_of()) {
        let s = Spelling::default();
        let dir = write(gen.files(s), s);
        let book = Book::embedded();
        let periods = Periods::new(&book.rules.windows, as_of);
        let opts = Options { mode: Mode::Strict, progress: false, adjust: None, threads: 2, hashes: false, every_error: false };
        let data = input::load(dir.path(), &periods, &opts).unwrap();
        prop_assert_eq!(data.error_count, 0);
        let outcome = engine::run(&book.rules, &periods, &data, true);
        let mut sellers: BTreeMap<String, usize> = BTreeMap::new();
        for (id, p) in &data.partners {
            sellers.insert(id.clone(), p.sellers.len());
        }
        let mut targets: BTreeMap<String, usize> = BTreeMap::new();
        for (p, t) in gen.creators.values() {
            if *t {
                *targets.entry(format!("P{p:02}")).or_default() += 1;
            }
        }
        check_bounds(&book.rules, &outcome, &sellers, &targets);
    }
}
