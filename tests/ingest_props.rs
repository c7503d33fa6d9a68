//! Invariants of ingest and the cash programs over generated inputs.

use proptest::prelude::*;
use std::fs;
use tsp_payout::book::Book;
use tsp_payout::input::reader::parse_cents;
use tsp_payout::input::{self, InputFile, Mode, Options};
use tsp_payout::money::Money;
use tsp_payout::window::Periods;

fn with_commas(cents: i64) -> String {
    let plain = format!("{}.{:02}", cents / 100, cents % 100);
    tsp_payout::money::group_thousands(&plain)
}

/// A gmv_daily row: a valid one, or one broken in a known way.
#[derive(Clone, Debug)]
enum Cell {
    Good {
        day: u32,
        partner: u8,
        seller: u8,
        cents: i64,
    },
    BadAmount {
        day: u32,
    },
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        8 => (0u32..200, 0u8..3, 0u8..3, 0i64..10_000_000)
            .prop_map(|(day, partner, seller, cents)| Cell::Good { day, partner, seller, cents }),
        1 => (0u32..200).prop_map(|day| Cell::BadAmount { day }),
    ]
}

fn date_of(day: u32) -> String {
    // Days from 2025-06-15: some before Q3, most in Q3/Q4, some after.
    let d =
        chrono::NaiveDate::from_ymd_opt(2025, 6, 15).unwrap() + chrono::Duration::days(day.into());
    d.to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn amounts_parse_exactly_in_every_spelling(cents in 0i64..100_000_000_000_000) {
        let plain = format!("{}.{:02}", cents / 100, cents % 100);
        prop_assert_eq!(parse_cents(&plain), Ok(cents));
        prop_assert_eq!(parse_cents(&format!("${plain}")), Ok(cents));
        prop_assert_eq!(parse_cents(&with_commas(cents)), Ok(cents));
        prop_assert_eq!(Money::from_cents(cents).plain(), plain);
    }

    /// Rows and dollars always reconcile, whatever mix of good, bad and duplicate rows.
    #[test]
    fn reconciliation_balances_to_the_cent(cells in prop::collection::vec(cell(), 0..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n");
        let mut total = 0i64;
        for c in &cells {
            match c {
                Cell::Good { day, partner, seller, cents } => {
                    total += cents;
                    text.push_str(&format!(
                        "{},P{partner},S{seller},{}.{:02},0,0,0\n", date_of(*day), cents / 100, cents % 100
                    ));
                }
                Cell::BadAmount { day } => text.push_str(&format!("{},P0,S0,1.2.3,0,0,0\n", date_of(*day))),
            }
        }
        fs::write(dir.path().join("gmv_daily.csv"), &text).unwrap();
        let book = Book::embedded();
        let periods = Periods::new(&book.rules.windows, book.rules.windows.program.end);
        let opts = Options { mode: Mode::SkipInvalid, progress: false, adjust: None, threads: 2, hashes: true, every_error: false };
        let data = input::load(dir.path(), &periods, &opts).unwrap();
        let report = &data.files[&InputFile::GmvDaily];
        prop_assert!(report.balances(), "{:?}", report);
        prop_assert_eq!(report.rows.read, cells.len() as u64);
        prop_assert_eq!(report.gmv.read, Money::from_cents(total));
        prop_assert_eq!(report.rows.rejected as usize, data.rejects.len());
        // What is used is exactly what the programs see in Q3 + Q4 (Q3 and Q4 don't overlap).
        let seen: Money = data
            .partners
            .values()
            .map(|p| p.total(tsp_payout::window::WindowId::Q3).gmv + p.total(tsp_payout::window::WindowId::Q4).gmv)
            .sum();
        prop_assert_eq!(seen, report.gmv.used);
    }
}
