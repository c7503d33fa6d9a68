//! One file per program. A program holds the rule's logic; every number comes from the book.

pub mod affiliate;
mod bfcm;
mod bfcm_seller;
mod creator_incubation;
mod gmv_growth;
pub mod short_video;
mod tier_upgrade;

pub use affiliate::AffiliateCredits;
pub use bfcm::{BfcmLive, BfcmMatchmaking};
pub use bfcm_seller::BfcmSellerChallenge;
pub use creator_incubation::CreatorIncubation;
pub use gmv_growth::GmvGrowth;
pub use short_video::ShortVideo;
pub use tier_upgrade::TierUpgrade;

use crate::engine::{Detail, Kind, Line, Program, Step};
use crate::money::Money;

/// Every program, in report order.
pub fn all() -> Vec<Box<dyn Program>> {
    vec![
        Box::new(GmvGrowth),
        Box::new(TierUpgrade),
        Box::new(ShortVideo),
        Box::new(AffiliateCredits),
        Box::new(CreatorIncubation),
        Box::new(BfcmMatchmaking),
        Box::new(BfcmSellerChallenge),
        Box::new(BfcmLive),
    ]
}

/// The fields every line needs; programs fill in the rest.
pub(crate) struct LineHead<'a> {
    pub partner_id: &'a str,
    pub program: &'static str,
    pub period: String,
    pub kind: Kind,
    pub provisional: bool,
    /// Whether the run's outputs show figure trees and detail tables (`Context::figures`).
    pub figures: bool,
}

impl LineHead<'_> {
    /// The line; its figure tree is only built when the run shows it.
    pub fn line(&self, amount: Money, basis: String, steps: impl FnOnce() -> Vec<Step>) -> Line {
        let steps = if self.figures { steps() } else { Vec::new() };
        Line {
            partner_id: self.partner_id.to_string(),
            program: self.program,
            period: self.period.clone(),
            kind: self.kind,
            amount,
            provisional: self.provisional,
            basis,
            steps,
            detail: None,
        }
    }

    /// A detail table, built only when the run shows it.
    pub fn detail(&self, table: impl FnOnce() -> Detail) -> Option<Detail> {
        self.figures.then(table)
    }
}

/// `1 creator`, `2 creators`.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Builds in-memory data sets for program unit tests.
    use crate::book::Book;
    use crate::engine::{Context, Evaluation, Line, Program};
    use crate::input::{Channels, DataSet, GmvRow};
    use crate::money::Money;
    use crate::window::Periods;
    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    pub fn date(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    pub fn money(s: &str) -> Money {
        Money::new(Decimal::from_str(s).expect("test amount"))
    }

    pub fn gmv(d: NaiveDate, partner: &str, seller: &str, gmv: &str) -> GmvRow {
        GmvRow {
            date: d,
            partner_id: partner.into(),
            seller_id: seller.into(),
            channels: Channels {
                gmv: money(gmv),
                ..Channels::default()
            },
        }
    }

    pub struct Fixture {
        pub book: Book,
        pub periods: Periods,
        pub data: DataSet,
    }

    impl Fixture {
        pub fn new(as_of: &str) -> Fixture {
            let book = Book::embedded();
            let periods = Periods::new(&book.rules.windows, date(as_of));
            Fixture {
                book,
                periods,
                data: DataSet::default(),
            }
        }

        /// One row per day of `from..=to`.
        pub fn daily(&mut self, from: &str, to: &str, make: impl Fn(NaiveDate) -> GmvRow) {
            let mut d = date(from);
            while d <= date(to) {
                let row = make(d);
                self.data.add_gmv_row(&self.periods, &row);
                d = d.succ_opt().expect("date");
            }
        }

        pub fn run(&self, program: &dyn Program) -> Vec<Line> {
            let ctx = Context {
                rules: &self.book.rules,
                periods: &self.periods,
                data: &self.data,
                figures: true,
            };
            match program.evaluate(&ctx) {
                Evaluation::Lines(lines) => lines,
                Evaluation::NotEvaluated(r) | Evaluation::Skipped(r) => {
                    panic!("not evaluated: {r}")
                }
            }
        }

        pub fn line_of(&self, program: &dyn Program, partner: &str) -> Line {
            self.run(program)
                .into_iter()
                .find(|l| l.partner_id == partner)
                .expect("a line for the partner")
        }
    }
}
