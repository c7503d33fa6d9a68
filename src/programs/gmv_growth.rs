//! 1.1 GMV growth cash tiers: the increase of the partner's average daily GMV, Q4 over Q3.

use super::LineHead;
use super::{Cadence, Program, ProgramInfo};
use crate::field;
use crate::money::{human_decimal, Exact, Money};
use crate::payout::{Context, Detail, Evaluation, Kind, Step, Text, TextBuf};
use crate::rules::BookKey;
use crate::rules::{check_tiers, Invalid, Tier, TierTable};
use crate::window::WindowId;
use rust_decimal::Decimal;

pub struct GmvGrowth;

/// The rule (1.1): the increment is the partner's average daily GMV in Q4 minus its average
/// daily GMV in Q3, each the window's sum over its calendar days; the highest tier whose
/// threshold the increment meets (compared exactly) pays, below the first tier nothing.
pub fn decide(sums: Sums, tiers: &TierTable) -> Growth<'_> {
    let q3 = Exact::average(sums.q3, sums.q3_days);
    let q4 = Exact::average(sums.q4, sums.q4_days);
    let increment = q4.minus(q3);
    let tier = tiers.lookup(|min| increment.meets(min));
    Growth {
        q3,
        q4,
        increment,
        tier,
        amount: tier.map_or(Money::ZERO, |(_, t)| t.amount),
    }
}

/// A partner's GMV sums over Q3 and Q4 (cut at the evaluation date) and their days.
#[derive(Clone, Copy)]
pub struct Sums {
    pub q3: Money,
    pub q3_days: i64,
    pub q4: Money,
    pub q4_days: i64,
}

/// What the rule decided for one partner.
pub struct Growth<'a> {
    pub q3: Exact,
    pub q4: Exact,
    pub increment: Exact,
    /// The tier met, with its index.
    pub tier: Option<(usize, &'a Tier)>,
    pub amount: Money,
}

pub const INFO: ProgramInfo = ProgramInfo {
    id: "gmv_growth",
    title: "GMV growth cash tiers",
    kind: Kind::Cash,
    cadence: Cadence::Quarter,
    needs: &[],
    book_section: "gmv_growth",
    gmv_windows: |_, _| vec![WindowId::Q3, WindowId::Q4],
    rule: |r, mark| super::RuleText {
        issued: "cash, q4".into(),
        text: format!(
            "increment of the partner's average daily GMV, Q4 over the Q3 baseline: {} {}",
            r.gmv_growth.tiers.describe(),
            mark(Section::TIERS)
        ),
    },
};

/// The book's `[gmv_growth]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub tiers: TierTable,
}

impl Section {
    pub const TIERS: BookKey = INFO.key(field!(Section, tiers));

    pub fn validate(&self) -> Result<(), Invalid> {
        check_tiers(Self::TIERS, &self.tiers)
    }
}

impl Program for GmvGrowth {
    fn payouts(&self) -> &'static [&'static ProgramInfo] {
        &[&INFO]
    }

    fn evaluate(&self, ctx: &Context) -> Evaluation {
        let periods = ctx.periods;
        let (Some(q3), Some(q4)) = (periods.cut(WindowId::Q3), periods.cut(WindowId::Q4)) else {
            return Evaluation::NotEvaluated(
                "the Q3 or Q4 window starts after the as-of date".into(),
            );
        };
        let tiers = &ctx.rules.gmv_growth.tiers;
        // The same for every partner: written once.
        let shared = |s: String| Text::shared(s);
        let (q3_window, q3_cite) = (
            shared(q3.to_string()),
            shared(crate::window_key!(q3).cite()),
        );
        let (q4_window, q4_cite) = (
            shared(q4.to_string()),
            shared(crate::window_key!(q4).cite()),
        );
        let (tiers_text, tiers_cite) = (shared(tiers.describe()), shared(Section::TIERS.cite()));
        let tests = TestTexts::of(tiers, q3.days(), q4.days());
        // ` over 92 days) − Q3 `, ` over 92 days) = increment `, ` / 92 days`.
        let q4_days_then_q3 = format!(" over {} days) − Q3 ", q4.days());
        let q3_days_then_increment = format!(" over {} days) = increment ", q3.days());
        let (over_q3_days, over_q4_days) = (
            format!(" / {} days", q3.days()),
            format!(" / {} days", q4.days()),
        );
        // How the basis ends, by the tier met (` ≥ 10,000 → tier 2 of 4`) or none.
        let tier_endings: Vec<String> = tiers
            .0
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    " ≥ {} → tier {} of {}",
                    human_decimal(t.min),
                    i + 1,
                    tiers.0.len()
                )
            })
            .collect();
        let no_tier_ending = match tiers.first_min() {
            Some(min) => format!(", below the first tier {}", human_decimal(min)),
            None => "; the book has no tiers".to_string(),
        };
        let mut lines = Vec::with_capacity(ctx.data.partners.len());
        for (partner_id, partner) in &ctx.data.partners {
            let sum3 = partner.total(WindowId::Q3).gmv;
            let sum4 = partner.total(WindowId::Q4).gmv;
            let growth = decide(
                Sums {
                    q3: sum3,
                    q3_days: q3.days(),
                    q4: sum4,
                    q4_days: q4.days(),
                },
                tiers,
            );
            // The explanation of the decision.
            // Rounded to the cent once: the basis and the figures show each of them.
            let (avg3, avg4, increment) = (
                growth.q3.shown(),
                growth.q4.shown(),
                growth.increment.shown(),
            );
            let (hit, amount) = (growth.tier, growth.amount);
            // Written piece by piece: one sentence per partner.
            let mut basis = String::with_capacity(200);
            basis.push_str("Q4 avg daily GMV ");
            avg4.push_human(&mut basis);
            basis.push_str(" (");
            sum4.push_human(&mut basis);
            basis.push_str(&q4_days_then_q3);
            avg3.push_human(&mut basis);
            basis.push_str(" (");
            sum3.push_human(&mut basis);
            basis.push_str(&q3_days_then_increment);
            increment.push_human(&mut basis);
            basis.push_str(match hit {
                Some((i, _)) => &tier_endings[i],
                None => &no_tier_ending,
            });
            let steps = || {
                vec![
                    Step::new("Q3 window", q3_window.clone()).source(q3_cite.clone()),
                    Step::new("Q3 gmv sum", Text::human(sum3)).source("gmv_daily.csv"),
                    Step::new("Q3 average daily gmv", Text::human(avg3))
                        .source(TextBuf::new().human(sum3).push_str(&over_q3_days).finish()),
                    Step::new("Q4 window", q4_window.clone()).source(q4_cite.clone()),
                    Step::new("Q4 gmv sum", Text::human(sum4)).source("gmv_daily.csv"),
                    Step::new("Q4 average daily gmv", Text::human(avg4))
                        .source(TextBuf::new().human(sum4).push_str(&over_q4_days).finish()),
                    Step::new("increment", Text::human(increment))
                        .source("Q4 average − Q3 average, compared exactly")
                        .children(exact_tests(
                            tiers,
                            &tests,
                            hit.map(|(i, _)| i),
                            sum4,
                            q4.days(),
                            sum3,
                            q3.days(),
                        )),
                    Step::new("tiers", tiers_text.clone()).source(tiers_cite.clone()),
                    Step::new(
                        "tier met",
                        hit.map_or(Text::from("none"), |(i, _)| Text::copy(&tests.tiers[i].met)),
                    ),
                    Step::new("amount", Text::human(amount)),
                ]
            };
            let detail = || {
                Detail::new(
                    "gmv sums by seller",
                    &["seller_id", "q3_gmv", "q4_gmv"],
                    partner
                        .sellers
                        .iter()
                        .map(|(id, sums)| {
                            vec![
                                Text::copy(id),
                                Text::plain(sums.gmv(WindowId::Q3)),
                                Text::plain(sums.gmv(WindowId::Q4)),
                            ]
                        })
                        .collect(),
                )
                .amounts(&["q3_gmv", "q4_gmv"])
            };
            let head = LineHead {
                partner_id,
                program: &INFO,
                period: "q4",
                provisional: !periods.complete(WindowId::Q4),
                figures: ctx.figures_for(INFO.kind, "q4"),
            };
            let mut line = head.line(amount, basis, steps);
            line.detail = head.detail(detail);
            lines.push(line);
        }
        Evaluation::Lines(lines)
    }
}

/// The exact test at the tier met and at the next one up (or at the first tier when none
/// is met): `avg4 − avg3 >= min` ⇔ `sum4 × days3 − sum3 × days4 >= min × days3 × days4`.
fn exact_tests(
    tiers: &TierTable,
    texts: &TestTexts,
    met: Option<usize>,
    sum4: Money,
    days4: i64,
    sum3: Money,
    days3: i64,
) -> Vec<Step> {
    let lhs = sum4 * days3 - sum3 * days4;
    let candidates = match met {
        Some(i) => vec![i, i + 1],
        None => vec![0],
    };
    candidates
        .into_iter()
        .filter_map(|i| tiers.0.get(i).map(|t| (i, t)))
        .map(|(i, t)| {
            let tier = &texts.tiers[i];
            debug_assert_eq!(
                tier.rhs,
                t.min * Decimal::from(days3) * Decimal::from(days4)
            );
            let ok = lhs.as_decimal() >= tier.rhs;
            // Written piece by piece: a test or two on every partner's line.
            let mut value = String::with_capacity(160);
            sum4.push_human(&mut value);
            value.push_str(&texts.times_days3);
            sum3.push_human(&mut value);
            value.push_str(&texts.times_days4);
            lhs.push_human(&mut value);
            value.push_str(if ok {
                &tier.met_tail
            } else {
                &tier.missed_tail
            });
            Step::new(tier.test_label.clone(), value)
        })
        .collect()
}

/// The texts of the exact tests that are the same on every line of a run: the tiers of
/// the book and the days of the windows.
struct TestTexts {
    /// ` × {days3} − `.
    times_days3: String,
    /// ` × {days4} = `.
    times_days4: String,
    tiers: Vec<TierTest>,
}

struct TierTest {
    /// `exact test at gmv_growth.tiers[0] (>= 5,000)`.
    test_label: String,
    /// `gmv_growth.tiers[0]: >= 5,000`.
    met: String,
    /// `min × days3 × days4`.
    rhs: Decimal,
    /// ` ≥ 5,000 × 92 × 92 = 42,320,000 → met`, and its `<` / `not met` twin.
    met_tail: String,
    missed_tail: String,
}

impl TestTexts {
    fn of(tiers: &TierTable, days3: i64, days4: i64) -> TestTexts {
        TestTexts {
            times_days3: format!(" × {days3} − "),
            times_days4: format!(" × {days4} = "),
            tiers: tiers
                .0
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let min = human_decimal(t.min);
                    let rhs = t.min * Decimal::from(days3) * Decimal::from(days4);
                    let tail = |op: &str, outcome: &str| {
                        format!(
                            " {op} {min} × {days3} × {days4} = {} → {outcome}",
                            human_decimal(rhs)
                        )
                    };
                    TierTest {
                        test_label: format!("exact test at {} (>= {min})", Section::TIERS.at(i)),
                        met: format!("{}: >= {min}", Section::TIERS.at(i)),
                        rhs,
                        met_tail: tail("≥", "met"),
                        missed_tail: tail("<", "not met"),
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::programs::testkit::*;

    /// SPEC example 1: 91 days at 19,999.99 and one day at `last_day` in Q4 over a flat
    /// 10,000.00 Q3.
    fn example_one(last_day: &str) -> Fixture {
        let mut f = Fixture::new("2025-12-31");
        f.daily("2025-07-01", "2025-09-30", |d| {
            gmv(d, "P1", "S1", "10000.00")
        });
        f.daily("2025-10-01", "2025-12-30", |d| {
            gmv(d, "P1", "S1", "19999.99")
        });
        let last = last_day.to_string();
        f.daily("2025-12-31", "2025-12-31", move |d| {
            gmv(d, "P1", "S1", &last)
        });
        f
    }

    #[test]
    fn spec_example_1_exact_boundary_pays_10000() {
        let line = example_one("20000.91").line_of(&GmvGrowth, "P1");
        assert_eq!(line.amount, Money::dollars(10_000));
        assert!(
            line.basis.contains("1,840,000.00 over 92 days"),
            "{}",
            line.basis
        );
        assert!(
            line.basis.contains("increment 10,000.00 ≥ 10,000"),
            "{}",
            line.basis
        );
        assert!(!line.provisional);
    }

    #[test]
    fn steps_show_the_exact_test_at_the_paid_line() {
        let line = example_one("20000.91").line_of(&GmvGrowth, "P1");
        let increment = line
            .steps
            .iter()
            .find(|s| s.label == "increment")
            .expect("increment step");
        let values: Vec<&str> = increment.children.iter().map(|s| &*s.value).collect();
        assert_eq!(
            values,
            [
                "1,840,000.00 × 92 − 920,000.00 × 92 = 84,640,000.00 ≥ 10,000 × 92 × 92 = 84,640,000 → met",
                "1,840,000.00 × 92 − 920,000.00 × 92 = 84,640,000.00 < 25,000 × 92 × 92 = 211,600,000 → not met",
            ]
        );
        let detail = line.detail.expect("seller table");
        assert_eq!(detail.rows, [["S1", "920000.00", "1840000.00"]]);
        assert_eq!(detail.human().rows, [["S1", "920,000.00", "1,840,000.00"]]);
    }

    #[test]
    fn spec_example_1_one_cent_short_pays_5000() {
        let line = example_one("20000.90").line_of(&GmvGrowth, "P1");
        assert_eq!(line.amount, Money::dollars(5_000));
        // The displayed increment is rounded down, never up to the threshold it misses.
        assert!(
            line.basis.contains("increment 9,999.99 ≥ 3,000"),
            "{}",
            line.basis
        );
    }

    #[test]
    fn below_first_tier_and_decline_pay_zero_with_reason() {
        let mut f = Fixture::new("2025-12-31");
        f.daily("2025-07-01", "2025-09-30", |d| {
            gmv(d, "P1", "S1", "1000.00")
        });
        f.daily("2025-10-01", "2025-12-31", |d| {
            gmv(d, "P1", "S1", "3999.99")
        });
        f.daily("2025-07-01", "2025-09-30", |d| {
            gmv(d, "P2", "S1", "5000.00")
        });
        let p1 = f.line_of(&GmvGrowth, "P1");
        assert_eq!(p1.amount, Money::ZERO);
        assert!(
            p1.basis.contains("below the first tier 3,000"),
            "{}",
            p1.basis
        );
        let p2 = f.line_of(&GmvGrowth, "P2");
        assert_eq!(p2.amount, Money::ZERO);
        assert!(p2.basis.contains("increment -5,000.00"), "{}", p2.basis);
    }

    #[test]
    fn highest_tier_and_sellers_add_up() {
        let mut f = Fixture::new("2025-12-31");
        f.daily("2025-10-01", "2025-12-31", |d| {
            gmv(d, "P1", "S1", "30000.00")
        });
        f.daily("2025-10-01", "2025-12-31", |d| {
            gmv(d, "P1", "S2", "20000.00")
        });
        assert_eq!(f.line_of(&GmvGrowth, "P1").amount, Money::dollars(20_000));
    }

    #[test]
    fn as_of_cuts_q4_and_marks_provisional() {
        // 10 days of Q4 at 13,000 over a zero Q3: increment 13,000 → $10,000, provisional.
        let mut f = Fixture::new("2025-10-10");
        f.daily("2025-10-01", "2025-10-31", |d| {
            gmv(d, "P1", "S1", "13000.00")
        });
        let line = f.line_of(&GmvGrowth, "P1");
        assert_eq!(line.amount, Money::dollars(10_000));
        assert!(line.provisional);
        assert!(
            line.basis.contains("130,000.00 over 10 days"),
            "{}",
            line.basis
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::money::Money;
    use crate::programs::testkit::*;
    use proptest::prelude::*;

    fn pay(q3_cents: i64, q4_cents: i64) -> Money {
        let mut f = Fixture::new("2025-12-31");
        let (q3, q4) = (
            Money::from_cents(q3_cents).plain(),
            Money::from_cents(q4_cents).plain(),
        );
        f.daily("2025-07-01", "2025-09-30", |d| gmv(d, "P1", "S1", &q3));
        f.daily("2025-10-01", "2025-12-31", |d| gmv(d, "P1", "S1", &q4));
        f.line_of(&GmvGrowth, "P1").amount
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// More Q4 GMV never pays less, and the amount is always one of the book's.
        #[test]
        fn monotone_and_within_the_book(q3 in 0i64..10_000_000, q4 in 0i64..10_000_000, extra in 0i64..5_000_000) {
            let low = pay(q3, q4);
            let high = pay(q3, q4 + extra);
            prop_assert!(high >= low);
            let tiers = &crate::book::Book::embedded().rules.gmv_growth.tiers;
            prop_assert!(low.is_zero() || tiers.0.iter().any(|t| t.amount == low));
        }
    }
}
