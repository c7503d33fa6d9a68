//! Invariants of the ad-credit programs over generated data: the affiliate true-up never
//! claws back, adds up to the December entitlement and respects the seller cap; the
//! short-video board pays exactly min(top band, eligible) partners each month.

use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tsp_payout::book::Book;
use tsp_payout::engine::{self, Outcome};
use tsp_payout::input::{Channels, DataSet, GmvRow};
use tsp_payout::money::Money;
use tsp_payout::window::Periods;

const MONTHS: [&str; 3] = ["2025-10", "2025-11", "2025-12"];
/// One day inside each month, inside Q3, and the day counts of those windows.
const MONTH_DAYS: [(&str, i64); 3] = [("2025-10-15", 31), ("2025-11-15", 30), ("2025-12-15", 31)];
const Q3_DAY: &str = "2025-08-15";
const Q3_DAYS: i64 = 92;

fn row(date: &str, partner: &str, seller: &str, channels: Channels) -> GmvRow {
    GmvRow {
        date: date.parse().unwrap(),
        partner_id: partner.into(),
        seller_id: seller.into(),
        channels,
    }
}

fn run(rows: &[GmvRow]) -> (Book, Outcome) {
    let book = Book::embedded();
    let periods = Periods::new(&book.rules.windows, book.rules.windows.program.end);
    let mut data = DataSet::default();
    for r in rows {
        data.add_gmv_row(&periods, r);
    }
    let outcome = engine::run(&book.rules, &periods, &data, true);
    (book, outcome)
}

/// Cents, biased towards the credit tier boundaries and ties.
fn affiliate_cents() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        Just(199_999),
        Just(200_000),
        Just(1_000_000),
        Just(2_500_000),
        Just(3_000_000),
        0i64..4_000_000,
    ]
}

/// Per partner, per seller, the affiliate GMV of each month in cents.
fn affiliate_data() -> impl Strategy<Value = Vec<Vec<[i64; 3]>>> {
    prop::collection::vec(
        prop::collection::vec(prop::array::uniform3(affiliate_cents()), 1..100),
        1..4,
    )
}

fn affiliate_rows(data: &[Vec<[i64; 3]>]) -> Vec<GmvRow> {
    let mut rows = Vec::new();
    for (p, sellers) in data.iter().enumerate() {
        for (s, months) in sellers.iter().enumerate() {
            for (m, cents) in months.iter().enumerate() {
                let amount = Money::from_cents(*cents);
                let channels = Channels {
                    gmv: amount,
                    affiliate: amount,
                    ..Channels::default()
                };
                rows.push(row(
                    MONTH_DAYS[m].0,
                    &format!("P{p}"),
                    &format!("S{s:03}"),
                    channels,
                ));
            }
        }
    }
    rows
}

/// The December entitlement computed directly: each seller's credit on its Q4 total, the
/// best `max_sellers` credits summed (ties do not change a sum of the top credits).
fn december_entitlement(book: &Book, sellers: &[[i64; 3]]) -> Money {
    let rules = &book.rules.affiliate_credits;
    let mut credits: Vec<Money> = sellers
        .iter()
        .map(|m| {
            let total = Decimal::new(m.iter().sum::<i64>(), 2);
            rules.tiers.pay(|min| total >= min)
        })
        .collect();
    credits.sort_by(|a, b| b.cmp(a));
    credits.into_iter().take(rules.max_sellers).sum()
}

fn affiliate_issues(outcome: &Outcome, partner: &str) -> BTreeMap<String, Money> {
    outcome
        .lines_of(partner)
        .filter(|l| l.program == "affiliate_credits")
        .map(|l| (l.period.clone(), l.amount))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn affiliate_true_up_never_negative_sums_to_december_and_respects_the_cap(data in affiliate_data()) {
        let (book, outcome) = run(&affiliate_rows(&data));
        let rules = &book.rules.affiliate_credits;
        let ceiling = rules.tiers.max_amount() * rules.max_sellers as i64;
        prop_assert_eq!(ceiling, Money::dollars(70_000));
        for (p, sellers) in data.iter().enumerate() {
            let partner = format!("P{p}");
            let issues = affiliate_issues(&outcome, &partner);
            prop_assert_eq!(issues.keys().cloned().collect::<Vec<_>>(), MONTHS.map(String::from).to_vec());
            for (period, amount) in &issues {
                prop_assert!(*amount >= Money::ZERO, "{} {}: negative issue {}", partner, period, amount);
            }
            let quarter: Money = issues.values().copied().sum();
            prop_assert_eq!(quarter, december_entitlement(&book, sellers));
            prop_assert!(quarter <= ceiling, "{} quarter {} above {}", partner, quarter, ceiling);
        }
    }

    #[test]
    fn short_video_pays_exactly_min_top_band_eligible(
        partners in prop::collection::vec(
            (0i64..5, prop::array::uniform3(0i64..6)),
            0..40,
        )
    ) {
        // Q3 and monthly short-video sums from a small grid, so that increments and sums tie.
        let grid = |k: i64| Money::from_cents(k * 3_100_000);
        let mut rows = Vec::new();
        for (i, (q3, months)) in partners.iter().enumerate() {
            let p = format!("P{i:02}");
            let sv = |m: Money| Channels { gmv: m, short_video: m, ..Channels::default() };
            rows.push(row(Q3_DAY, &p, "S1", sv(grid(*q3 * 3))));
            for (m, k) in months.iter().enumerate() {
                rows.push(row(MONTH_DAYS[m].0, &p, "S1", sv(grid(*k))));
            }
        }
        let (book, outcome) = run(&rows);
        let bands = &book.rules.short_video_top15.bands;
        for (m, month) in MONTHS.iter().enumerate() {
            // Eligible: month sum × Q3 days > Q3 sum × month days, in whole cents.
            let eligible = partners
                .iter()
                .filter(|(q3, months)| {
                    let month_sum = months[m] * 3_100_000;
                    let q3_sum = q3 * 3 * 3_100_000;
                    month_sum * Q3_DAYS > q3_sum * MONTH_DAYS[m].1
                })
                .count();
            let lines: Vec<_> = outcome
                .lines
                .iter()
                .filter(|l| l.program == "short_video_top15" && l.period == *month)
                .collect();
            prop_assert_eq!(lines.len(), partners.len());
            let paid = lines.iter().filter(|l| l.amount.is_positive()).count();
            prop_assert_eq!(paid, eligible.min(bands.paid_ranks()));
            let total: Money = lines.iter().map(|l| l.amount).sum();
            let band_total: Money = (1..=eligible.min(bands.paid_ranks())).map(|r| bands.pay(r)).sum();
            prop_assert_eq!(total, band_total);
        }
    }
}
