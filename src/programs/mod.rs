//! One file per program. A program holds the rule's logic; every number comes from the book.
//!
//! Each program declares its payouts once, as [`ProgramInfo`] entries (id, title, kind,
//! cadence, input files, book section); [`all`] lists the programs, and every output takes
//! its program columns, order and titles from the payouts of the programs that ran.

pub mod affiliate;
pub mod bfcm;
pub mod bfcm_seller;
pub mod creator_incubation;
pub mod gmv_growth;
pub mod short_video;
pub mod tier_upgrade;

pub use affiliate::AffiliateCredits;
pub use bfcm::{BfcmLive, BfcmMatchmaking};
pub use bfcm_seller::BfcmSellerChallenge;
pub use creator_incubation::CreatorIncubation;
pub use gmv_growth::GmvGrowth;
pub use short_video::ShortVideo;
pub use tier_upgrade::TierUpgrade;

use crate::book::Rules;
use crate::input::InputFile;
use crate::money::Money;
pub use crate::payout::{Context, Detail, Evaluation, Kind, Line, Step};
use crate::rules::{BookKey, Invalid};
use crate::window::{Periods, WindowId};
use std::sync::OnceLock;

/// Registers every program, in report order, with the book section(s) it reads: the
/// section's type (deserialized with unknown keys refused) and the check its program makes
/// of it. This one list makes [`all`], the book's [`Sections`] and their validation, so a
/// program cannot run without its section or have a section no run reads.
macro_rules! register {
    ($($program:path { $($section:ident: $ty:ty => $check:expr),+ $(,)? })*) => {
        /// Every program, in report order.
        pub fn all() -> Vec<Box<dyn Program>> {
            vec![$(Box::new($program)),*]
        }

        /// The book's program sections, one field per section, as [`register!`] lists them.
        #[derive(Debug, Clone, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Sections {
            $($(pub $section: $ty,)+)*
        }

        impl Sections {
            /// The names of the book's program sections.
            pub const NAMES: &'static [&'static str] = &[$($(stringify!($section)),+),*];

            /// Each program's checks of its own section.
            pub fn validate(&self) -> Result<(), Invalid> {
                $($({
                    let check: fn(&$ty) -> Result<(), Invalid> = $check;
                    check(&self.$section)?;
                })+)*
                Ok(())
            }
        }
    };
}

register! {
    GmvGrowth { gmv_growth: gmv_growth::Section => gmv_growth::Section::validate }
    TierUpgrade { tier_upgrade: tier_upgrade::Section => tier_upgrade::Section::validate }
    ShortVideo { short_video_top15: short_video::Section => short_video::Section::validate }
    AffiliateCredits { affiliate_credits: affiliate::Section => affiliate::Section::validate }
    CreatorIncubation {
        creator_incubation: creator_incubation::Section => creator_incubation::Section::validate
    }
    BfcmMatchmaking {
        bfcm_matchmaking: bfcm::Leaderboard => |s| s.validate(&bfcm::MATCHMAKING_INFO)
    }
    BfcmSellerChallenge {
        bfcm_seller_challenge: bfcm_seller::Section => bfcm_seller::Section::validate
    }
    BfcmLive {
        bfcm_live_championship: bfcm::Leaderboard => |s| s.validate(&bfcm::LIVE_INFO)
    }
}

/// How often a payout is issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    /// Once, after the quarter.
    Quarter,
    /// With each month that ended.
    Month,
    /// Once, after BFCM.
    Bfcm,
}

/// One payout a program writes lines for, declared once by its program.
#[derive(Debug)]
pub struct ProgramInfo {
    /// The `program` column of payout lines.
    pub id: &'static str,
    /// The human title, as statements show it.
    pub title: &'static str,
    pub kind: Kind,
    pub cadence: Cadence,
    /// Optional input files without which the payout cannot be computed.
    pub needs: &'static [InputFile],
    /// The book section holding its rule values.
    pub book_section: &'static str,
    /// The windows of gmv_daily.csv a line of `period` sums (cut at the evaluation date
    /// by the caller); a day without rows in them is noted on the line with --allow-gaps.
    pub gmv_windows: fn(period: &str, periods: &Periods) -> Vec<WindowId>,
    /// The rule as the Rules page states it, with the book's numbers, each followed by
    /// `mark(key)` (whether it is published or assumed).
    pub rule: fn(rules: &Rules, mark: &Mark) -> RuleText,
}

/// Marks a book value by its provenance, e.g. `(A)`.
pub type Mark<'a> = dyn Fn(BookKey) -> String + 'a;

/// A payout's line on the Rules page.
pub struct RuleText {
    /// Kind and cadence: `cash, q4`, `ad credit, monthly`.
    pub issued: String,
    /// The rule in a sentence.
    pub text: String,
}

impl ProgramInfo {
    /// The book key of `field` of this payout's section; name the field with
    /// [`field!`](crate::field), so that the compiler checks it.
    pub const fn key(&self, field: &'static str) -> BookKey {
        BookKey {
            section: self.book_section,
            field,
        }
    }

    /// A payout that reads no gmv_daily.csv window.
    pub fn no_gmv_windows(_period: &str, _periods: &Periods) -> Vec<WindowId> {
        Vec::new()
    }
}

/// A rule's evaluation over a whole run.
pub trait Program: Send + Sync {
    /// The payouts its lines carry, in report order (most programs have one).
    fn payouts(&self) -> &'static [&'static ProgramInfo];
    fn evaluate(&self, ctx: &Context) -> Evaluation;
    /// Payouts of a program that ran but that have no lines in this run (e.g. a bonus
    /// issued with a month that has not ended), with the reason; listed under
    /// `not_evaluated`.
    fn not_evaluated(&self, _ctx: &Context) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// The input files a program needs: those of any of its payouts.
pub fn needs(program: &dyn Program) -> impl Iterator<Item = InputFile> {
    let mut files: Vec<InputFile> = Vec::new();
    for info in program.payouts() {
        for f in info.needs {
            if !files.contains(f) {
                files.push(*f);
            }
        }
    }
    files.into_iter()
}

/// The payouts of every program of [`all`], in report order.
pub fn registry() -> &'static [&'static ProgramInfo] {
    static REGISTRY: OnceLock<Vec<&'static ProgramInfo>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        all()
            .iter()
            .flat_map(|p| p.payouts().iter().copied())
            .collect()
    })
}

/// The registered payout with this id.
pub fn info(id: &str) -> Option<&'static ProgramInfo> {
    registry().iter().copied().find(|p| p.id == id)
}

/// The title of a registered payout; an unknown id is shown as it is.
pub fn title(id: &str) -> &str {
    info(id).map_or(id, |p| p.title)
}

/// The report position of a registered payout id (unknown ids last).
pub fn position(id: &str) -> usize {
    registry()
        .iter()
        .position(|p| p.id == id)
        .unwrap_or(usize::MAX)
}

/// The fields every line needs; programs fill in the rest.
pub(crate) struct LineHead<'a> {
    pub partner_id: &'a str,
    /// The payout the line belongs to: its id and kind.
    pub program: &'static ProgramInfo,
    pub period: &'a str,
    pub provisional: bool,
    /// Whether the run's outputs show figure trees and detail tables (`Context::figures`).
    pub figures: bool,
}

impl LineHead<'_> {
    /// The line; its figure tree is only built when the run shows it.
    pub fn line(&self, amount: Money, basis: String, steps: impl FnOnce() -> Vec<Step>) -> Line {
        let steps = if self.figures {
            // Held for every partner until the run is written: no spare room.
            let mut steps = steps();
            steps.shrink_to_fit();
            steps
        } else {
            Vec::new()
        };
        Line {
            partner_id: self.partner_id.to_string(),
            program: self.program.id,
            period: self.period.to_string(),
            kind: self.program.kind,
            amount,
            provisional: self.provisional,
            basis,
            partner_basis: None,
            steps,
            detail: None,
        }
    }

    /// A detail table, built only when the run shows it.
    pub fn detail(&self, table: impl FnOnce() -> Detail) -> Option<Detail> {
        self.figures.then(table)
    }
}

/// The index in `WindowId::MONTHS` of the month labelled `label` (`2025-11`).
fn month_of(label: &str, periods: &Periods) -> Option<usize> {
    WindowId::MONTHS
        .into_iter()
        .position(|m| periods.full(m).month_label() == label)
}

/// `1 creator`, `2 creators`.
pub(crate) fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Builds in-memory data sets for program unit tests.
    use super::Program;
    use crate::book::Book;
    use crate::input::{Channels, DataSet, GmvRow};
    use crate::money::Money;
    use crate::payout::{Context, Evaluation, Figures, Line};
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
                figures: Figures::All,
                issued: &crate::payout::Issued::NONE,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every payout names a section the book has, and no two payouts share an id.
    #[test]
    fn the_registry_names_book_sections_and_unique_ids() {
        let book: toml::Value = toml::from_str(crate::book::EMBEDDED).expect("book");
        let keys = crate::book::value_keys(&book);
        for p in registry() {
            let prefix = format!("{}.", p.book_section);
            assert!(
                keys.iter().any(|k| k.starts_with(&prefix)),
                "{}: no [{}] in the book",
                p.id,
                p.book_section
            );
            assert_eq!(registry().iter().filter(|q| q.id == p.id).count(), 1);
        }
        // Each registered section is read by a payout of the programs, and each payout's
        // section is registered: a section cannot be read by no program, nor a program run
        // without its section.
        let mut read: Vec<&str> = registry().iter().map(|p| p.book_section).collect();
        read.sort_unstable();
        read.dedup();
        let mut registered = Sections::NAMES.to_vec();
        registered.sort_unstable();
        assert_eq!(read, registered);
        assert_eq!(
            gmv_growth::Section::TIERS.cite(),
            "book gmv_growth.tiers",
            "keys are the section and the field"
        );
        assert_eq!(
            affiliate::Section::MAX_SELLERS.to_string(),
            "affiliate_credits.max_sellers"
        );
    }
}
