//! 6b BFCM seller challenge: per (partner, seller), cash by the uplift of BFCM average
//! daily GMV over October's, from the large or small table by the seller's October class.

use super::bfcm::bfcm_window;
use super::{plural, LineHead};
use super::{Cadence, Program, ProgramInfo};
use crate::field;
use crate::input::SellerSums;
use crate::money::{human_decimal, Exact, Money};
use crate::payout::{Context, Detail, Evaluation, Kind, Step, Text, TextBuf};
use crate::rules::{check_non_negative, check_tiers, de_decimal, BookKey, Invalid, TierTable};
use crate::window::{Window, WindowId};
use rust_decimal::Decimal;

pub struct BfcmSellerChallenge;

/// The rule (6b): a seller is large when its October average daily GMV meets the book's
/// threshold, else small; a seller without October GMV is not eligible. Its uplift is its
/// BFCM average daily GMV over its October average, minus one, compared exactly; it is paid
/// the highest tier of its class the uplift meets. A partner earns the sum over its sellers.
fn judge<'a>(
    id: &'a str,
    sums: &SellerSums,
    oct: Window,
    bfcm: Window,
    large_min: Decimal,
    large: &TierTable,
    small: &TierTable,
) -> Seller<'a> {
    let oct_sum = sums.gmv(WindowId::Oct);
    let bfcm_sum = sums.gmv(WindowId::Bfcm);
    let class = if Exact::average(oct_sum, oct.days()).meets(large_min) {
        Class::Large
    } else {
        Class::Small
    };
    let tiers = if class == Class::Large { large } else { small };
    if !oct_sum.is_positive() {
        return Seller {
            id,
            class,
            oct_sum,
            bfcm_sum,
            ratio: None,
            outcome: Outcome::NotEligible,
            amount: Money::ZERO,
        };
    }
    // uplift >= r  ⇔  bfcm_sum × oct_days >= (1 + r) × oct_sum × bfcm_days
    let ratio = Exact::ratio(
        (bfcm_sum * oct.days()).as_decimal(),
        (oct_sum * bfcm.days()).as_decimal(),
    );
    let hit = tiers.lookup(|r| ratio.meets(Decimal::ONE + r));
    Seller {
        id,
        class,
        oct_sum,
        bfcm_sum,
        ratio: Some(ratio),
        outcome: hit.map_or(Outcome::Below, |(i, _)| Outcome::Tier(i)),
        amount: hit.map_or(Money::ZERO, |(_, t)| t.amount),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Large,
    Small,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Large => "large",
            Class::Small => "small",
        }
    }
}

/// Where a seller landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Zero October GMV: no uplift can be measured.
    NotEligible,
    /// Below the class's first uplift tier.
    Below,
    /// Met tier `i` of the class's table (the highest met).
    Tier(usize),
}

/// A seller's figures as its detail row and figure show them.
struct SellerShown {
    oct_avg: Money,
    bfcm_avg: Money,
    uplift: Text,
}

struct Seller<'a> {
    id: &'a str,
    class: Class,
    oct_sum: Money,
    bfcm_sum: Money,
    /// BFCM average over October average, exactly; `None` with zero October GMV.
    ratio: Option<Exact>,
    outcome: Outcome,
    amount: Money,
}

/// `+25%` for an uplift threshold of 0.25.
fn uplift_text(r: Decimal) -> String {
    format!("+{}%", human_decimal(r * Decimal::ONE_HUNDRED))
}

/// A tier table's outcomes as a seller's figures show them (`≥ +25%`, `below +25%`): the
/// same for every seller, written once.
struct TierTexts {
    met: Vec<Text>,
    below: Text,
}

impl TierTexts {
    fn of(tiers: &TierTable) -> TierTexts {
        TierTexts {
            met: tiers
                .0
                .iter()
                .map(|t| Text::shared(format!("≥ {}", uplift_text(t.min))))
                .collect(),
            below: tiers.first_min().map_or(Text::from("no tiers"), |m| {
                Text::shared(format!("below {}", uplift_text(m)))
            }),
        }
    }

    fn of_outcome(&self, outcome: Outcome) -> &Text {
        const NOT_ELIGIBLE: &Text = &Text::from_static("not eligible (zero October GMV)");
        match outcome {
            Outcome::NotEligible => NOT_ELIGIBLE,
            Outcome::Below => &self.below,
            Outcome::Tier(i) => &self.met[i],
        }
    }
}

/// `3 large sellers: 1 at ≥ +100% (12,000.00), 2 below +25%`.
fn class_phrase(class: Class, sellers: &[&Seller], tiers: &TierTable) -> Option<String> {
    if sellers.is_empty() {
        return None;
    }
    let count = |o: Outcome| sellers.iter().filter(|s| s.outcome == o).count();
    let mut parts = Vec::new();
    for (i, tier) in tiers.0.iter().enumerate().rev() {
        let n = count(Outcome::Tier(i));
        if n > 0 {
            let subtotal = tier.amount * n as i64;
            parts.push(format!(
                "{n} at ≥ {} ({})",
                uplift_text(tier.min),
                subtotal.human()
            ));
        }
    }
    let below = count(Outcome::Below);
    if below > 0 {
        parts.push(match tiers.first_min() {
            Some(min) => format!("{below} below {}", uplift_text(min)),
            None => format!("{below} without a tier in the book"),
        });
    }
    let not_eligible = count(Outcome::NotEligible);
    if not_eligible > 0 {
        parts.push(format!("{not_eligible} not eligible (zero October GMV)"));
    }
    Some(format!(
        "{}: {}",
        plural(sellers.len(), &format!("{} seller", class.name())),
        parts.join(", ")
    ))
}

pub const INFO: ProgramInfo = ProgramInfo {
    id: "bfcm_seller_challenge",
    title: "BFCM seller challenge",
    kind: Kind::Cash,
    cadence: Cadence::Bfcm,
    needs: &[],
    book_section: "bfcm_seller_challenge",
    gmv_windows: |_, _| vec![WindowId::Oct, WindowId::Bfcm],
    rule: |r, mark| {
        let sc = &r.bfcm_seller_challenge;
        super::RuleText {
            issued: "cash, bfcm".into(),
            text: format!(
                "per seller, uplift = BFCM average daily GMV / October's − 1; large sellers \
                 (October average daily GMV >= {} {}): {} {}; small sellers: {} {}",
                human_decimal(sc.large_min_avg_daily),
                mark(Section::LARGE_MIN_AVG_DAILY),
                sc.large.describe(),
                mark(Section::LARGE),
                sc.small.describe(),
                mark(Section::SMALL)
            ),
        }
    },
};

/// The book's `[bfcm_seller_challenge]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    #[serde(deserialize_with = "de_decimal")]
    pub large_min_avg_daily: Decimal,
    pub large: TierTable,
    pub small: TierTable,
}

impl Section {
    pub const LARGE_MIN_AVG_DAILY: BookKey = INFO.key(field!(Section, large_min_avg_daily));
    pub const LARGE: BookKey = INFO.key(field!(Section, large));
    pub const SMALL: BookKey = INFO.key(field!(Section, small));

    pub fn validate(&self) -> Result<(), Invalid> {
        check_non_negative(Self::LARGE_MIN_AVG_DAILY, self.large_min_avg_daily)?;
        check_tiers(Self::LARGE, &self.large)?;
        check_tiers(Self::SMALL, &self.small)
    }
}

impl Program for BfcmSellerChallenge {
    fn payouts(&self) -> &'static [&'static ProgramInfo] {
        &[&INFO]
    }

    fn evaluate(&self, ctx: &Context) -> Evaluation {
        let bfcm = match bfcm_window(ctx) {
            Ok(w) => w,
            Err(not_evaluated) => return not_evaluated,
        };
        let Some(oct) = ctx.periods.cut(WindowId::Oct) else {
            return Evaluation::NotEvaluated(
                "the October window starts after the as-of date".into(),
            );
        };
        let rules = &ctx.rules.bfcm_seller_challenge;
        let provisional =
            !ctx.periods.complete(WindowId::Bfcm) || !ctx.periods.complete(WindowId::Oct);
        let mut lines = Vec::with_capacity(ctx.data.partners.len());
        // The same for every partner: written once.
        let shared = |s: String| Text::shared(s);
        let (oct_window, oct_cite) = (
            shared(oct.to_string()),
            shared(crate::window_key!(oct).cite()),
        );
        let (bfcm_window, bfcm_cite) = (
            shared(bfcm.to_string()),
            shared(crate::window_key!(bfcm).cite()),
        );
        let class_line = shared(format!(
            "large when October avg daily GMV ≥ {}, else small",
            human_decimal(rules.large_min_avg_daily)
        ));
        let class_cite = shared(Section::LARGE_MIN_AVG_DAILY.cite());
        let (large, large_cite) = (
            shared(rules.large.describe()),
            shared(Section::LARGE.cite()),
        );
        let (small, small_cite) = (
            shared(rules.small.describe()),
            shared(Section::SMALL.cite()),
        );
        let (large_tiers, small_tiers) = (TierTexts::of(&rules.large), TierTexts::of(&rules.small));
        for (partner_id, partner) in &ctx.data.partners {
            let sellers: Vec<Seller> = partner
                .sellers
                .iter()
                .map(|(id, sums)| {
                    judge(
                        id,
                        sums,
                        oct,
                        bfcm,
                        rules.large_min_avg_daily,
                        &rules.large,
                        &rules.small,
                    )
                })
                .collect();
            let total: Money = sellers.iter().map(|s| s.amount).sum();
            let of = |c: Class| sellers.iter().filter(|s| s.class == c).collect::<Vec<_>>();
            let phrases: Vec<String> = [
                class_phrase(Class::Large, &of(Class::Large), &rules.large),
                class_phrase(Class::Small, &of(Class::Small), &rules.small),
            ]
            .into_iter()
            .flatten()
            .collect();
            let basis = if phrases.is_empty() {
                "no sellers in gmv_daily.csv".to_string()
            } else {
                phrases.join("; ")
            };
            let tier_text = |s: &Seller| {
                if s.class == Class::Large {
                    large_tiers.of_outcome(s.outcome).clone()
                } else {
                    small_tiers.of_outcome(s.outcome).clone()
                }
            };
            let push_tier_text = |s: &Seller, out: &mut String| {
                out.push_str(if s.class == Class::Large {
                    large_tiers.of_outcome(s.outcome)
                } else {
                    small_tiers.of_outcome(s.outcome)
                });
            };
            let figures = ctx.figures_for(INFO.kind, "bfcm");
            // The averages and uplift of each seller as its row and its figure show them:
            // rounded once, and only for a run that shows them.
            let shown: Vec<SellerShown> = if figures {
                sellers
                    .iter()
                    .map(|s| SellerShown {
                        oct_avg: Exact::average(s.oct_sum, oct.days()).shown(),
                        bfcm_avg: Exact::average(s.bfcm_sum, bfcm.days()).shown(),
                        uplift: s.ratio.map_or(Text::from("n/a"), |r| {
                            TextBuf::new()
                                .percent(r.minus(Exact::ratio(Decimal::ONE, Decimal::ONE)))
                                .finish()
                        }),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let rows = || {
                sellers
                    .iter()
                    .zip(&shown)
                    .map(|(s, shown)| {
                        vec![
                            Text::copy(s.id),
                            Text::from(s.class.name()),
                            Text::plain(s.oct_sum),
                            Text::plain(shown.oct_avg),
                            Text::plain(s.bfcm_sum),
                            Text::plain(shown.bfcm_avg),
                            shown.uplift.clone(),
                            tier_text(s),
                            Text::plain(s.amount),
                        ]
                    })
                    .collect()
            };
            let per_seller = sellers.iter().zip(&shown).map(|(s, shown)| {
                // Written piece by piece: one sentence per seller of every partner.
                let mut v = String::with_capacity(160);
                v.push_str(s.class.name());
                v.push_str(", October ");
                s.oct_sum.push_human(&mut v);
                v.push_str(" (");
                shown.oct_avg.push_human(&mut v);
                v.push_str(" avg daily), BFCM ");
                s.bfcm_sum.push_human(&mut v);
                v.push_str(" (");
                shown.bfcm_avg.push_human(&mut v);
                v.push_str(" avg daily), uplift ");
                v.push_str(&shown.uplift);
                v.push_str(": ");
                push_tier_text(s, &mut v);
                v.push_str(" → ");
                s.amount.push_human(&mut v);
                Step::new(Text::copy(s.id), v).source("gmv_daily.csv gmv")
            });
            let steps = || {
                vec![
                    Step::new("October window", oct_window.clone()).source(oct_cite.clone()),
                    Step::new("BFCM window", bfcm_window.clone()).source(bfcm_cite.clone()),
                    Step::new("class line", class_line.clone()).source(class_cite.clone()),
                    Step::new("large tiers (uplift)", large.clone()).source(large_cite.clone()),
                    Step::new("small tiers (uplift)", small.clone()).source(small_cite.clone()),
                    Step::new("sellers", Text::count(sellers.len()))
                        .source("uplift = BFCM avg daily / October avg daily − 1, compared exactly")
                        .children(per_seller),
                    Step::new("amount", Text::human(total)).source("sum over sellers"),
                ]
            };
            let head = LineHead {
                partner_id,
                program: &INFO,
                period: "bfcm",
                provisional,
                figures,
            };
            let mut line = head.line(total, basis, steps);
            line.detail = head.detail(|| {
                Detail::new(
                    format!("sellers, October {oct} vs BFCM {bfcm}"),
                    &[
                        "seller_id",
                        "class",
                        "october_gmv",
                        "october_avg_daily",
                        "bfcm_gmv",
                        "bfcm_avg_daily",
                        "uplift",
                        "tier",
                        "amount",
                    ],
                    rows(),
                )
                .amounts(&[
                    "october_gmv",
                    "october_avg_daily",
                    "bfcm_gmv",
                    "bfcm_avg_daily",
                    "amount",
                ])
            });
            lines.push(line);
        }
        Evaluation::Lines(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payout::Figures;
    use crate::programs::testkit::*;

    /// One seller with `oct` GMV on every October day and `bfcm` on every BFCM day.
    fn seller(f: &mut Fixture, partner: &str, id: &str, oct: &str, bfcm: &str) {
        let (p, s) = (partner.to_string(), id.to_string());
        let o = oct.to_string();
        f.daily("2025-10-01", "2025-10-31", |d| gmv(d, &p, &s, &o));
        let b = bfcm.to_string();
        f.daily("2025-11-12", "2025-12-01", |d| gmv(d, &p, &s, &b));
    }

    fn amount(f: &Fixture, partner: &str) -> Money {
        f.line_of(&BfcmSellerChallenge, partner).amount
    }

    #[test]
    fn class_line_exactly_at_and_one_cent_below_20000_average() {
        // October sum 620,000.00 = 31 × 20,000 → large (uplift exactly 1.00 pays the top
        // large tier); 619,999.99 → small, paid from the small table.
        let mut f = Fixture::new("2025-12-31");
        seller(&mut f, "P1", "S1", "20000.00", "40000.00");
        assert_eq!(amount(&f, "P1"), Money::dollars(12_000));
        let mut f = Fixture::new("2025-12-31");
        f.daily("2025-10-01", "2025-10-30", |d| {
            gmv(d, "P1", "S1", "20000.00")
        });
        f.daily("2025-10-31", "2025-10-31", |d| {
            gmv(d, "P1", "S1", "19999.99")
        });
        f.daily("2025-11-12", "2025-12-01", |d| {
            gmv(d, "P1", "S1", "50000.00")
        });
        let line = f.line_of(&BfcmSellerChallenge, "P1");
        assert_eq!(line.amount, Money::dollars(2_000));
        assert_eq!(line.basis, "1 small seller: 1 at ≥ +100% (2,000.00)");
        let row = &line.detail.expect("detail").rows[0];
        assert_eq!(row[1], "small");
        assert_eq!(row[3], "19999.99");
    }

    /// One seller at `october_daily` every October day and `bfcm_sum` on one BFCM day:
    /// each case's payout.
    fn assert_uplift_pays(october_daily: &str, cases: &[(&str, i64)]) {
        for (bfcm_sum, want) in cases {
            let mut f = Fixture::new("2025-12-31");
            f.daily("2025-10-01", "2025-10-31", |d| {
                gmv(d, "P1", "S1", october_daily)
            });
            f.daily("2025-11-20", "2025-11-20", |d| gmv(d, "P1", "S1", bfcm_sum));
            assert_eq!(
                amount(&f, "P1"),
                Money::dollars(*want),
                "October {october_daily}/day, BFCM sum {bfcm_sum}"
            );
        }
    }

    #[test]
    fn uplift_tiers_exactly_at_and_one_cent_below() {
        // October 31 × 1,000.00 = 31,000.00 → avg 1,000; BFCM 20 days. uplift r is met when the
        // BFCM sum reaches (1 + r) × 20,000.00.
        assert_uplift_pays(
            "1000.00",
            &[
                ("24999.99", 0),
                ("25000.00", 500),
                ("29999.99", 500),
                ("30000.00", 1_000),
                ("39999.99", 1_000),
                ("40000.00", 2_000),
            ],
        );
        // Large: October avg 20,000 (620,000.00); BFCM sum thresholds 500,000 / 600,000 / 800,000.
        assert_uplift_pays(
            "20000.00",
            &[
                ("499999.99", 0),
                ("500000.00", 4_000),
                ("599999.99", 4_000),
                ("600000.00", 8_000),
                ("799999.99", 8_000),
                ("800000.00", 12_000),
            ],
        );
    }

    #[test]
    fn zero_october_gmv_is_not_eligible() {
        let mut f = Fixture::new("2025-12-31");
        f.daily("2025-11-12", "2025-12-01", |d| {
            gmv(d, "P1", "S1", "90000.00")
        });
        let line = f.line_of(&BfcmSellerChallenge, "P1");
        assert_eq!(line.amount, Money::ZERO);
        assert_eq!(
            line.basis,
            "1 small seller: 1 not eligible (zero October GMV)"
        );
        let row = &line.detail.expect("detail").rows[0];
        assert_eq!(row[6], "n/a");
        assert_eq!(row[7], "not eligible (zero October GMV)");
    }

    #[test]
    fn basis_counts_sellers_per_class_and_tier_and_partner_earns_the_sum() {
        let mut f = Fixture::new("2025-12-31");
        seller(&mut f, "P1", "L1", "20000.00", "40000.00"); // large, +100%
        seller(&mut f, "P1", "L2", "30000.00", "30000.00"); // large, +0%
        seller(&mut f, "P1", "L3", "25000.00", "20000.00"); // large, decline
        seller(&mut f, "P1", "S1", "100.00", "150.00"); // small, +50%
        f.daily("2025-11-12", "2025-11-12", |d| gmv(d, "P1", "S2", "10.00")); // small, no Oct
        let line = f.line_of(&BfcmSellerChallenge, "P1");
        assert_eq!(line.amount, Money::dollars(13_000));
        assert_eq!(
            line.basis,
            "3 large sellers: 1 at ≥ +100% (12,000.00), 2 below +25%; \
             2 small sellers: 1 at ≥ +50% (1,000.00), 1 not eligible (zero October GMV)"
        );
        let detail = line.detail.expect("detail");
        let got: Vec<_> = detail
            .rows
            .iter()
            .map(|r| (r[0].as_str(), r[6].as_str(), r[8].as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("L1", "100.00%", "12000.00"),
                ("L2", "0.00%", "0.00"),
                ("L3", "-20.00%", "0.00"),
                ("S1", "50.00%", "1000.00"),
                ("S2", "n/a", "0.00"),
            ]
        );
        let sum: Money = detail.rows.iter().map(|r| money(&r[8])).sum();
        assert_eq!(sum, line.amount);
    }

    #[test]
    fn partner_without_sellers_gets_a_zero_line() {
        let mut f = Fixture::new("2025-12-31");
        f.data.ensure_partner("P9");
        let line = f.line_of(&BfcmSellerChallenge, "P9");
        assert_eq!(line.amount, Money::ZERO);
        assert_eq!(line.basis, "no sellers in gmv_daily.csv");
    }

    #[test]
    fn as_of_inside_bfcm_cuts_the_window_and_marks_provisional() {
        // 9 BFCM days (12–20 Nov) at twice the October average: uplift 1.00 on the cut window.
        let mut f = Fixture::new("2025-11-20");
        seller(&mut f, "P1", "S1", "1000.00", "2000.00");
        let line = f.line_of(&BfcmSellerChallenge, "P1");
        assert_eq!(line.amount, Money::dollars(2_000));
        assert!(line.provisional);
        let f = Fixture::new("2025-11-11");
        let ctx = Context {
            rules: &f.book.rules,
            periods: &f.periods,
            data: &f.data,
            figures: Figures::All,
            issued: &crate::payout::Issued::NONE,
        };
        assert!(matches!(
            BfcmSellerChallenge.evaluate(&ctx),
            Evaluation::NotEvaluated(_)
        ));
    }

    proptest::proptest! {
        /// The payout equals the SPEC's integer-cents cross-multiplication:
        /// large iff oct ≥ 20,000 × 31 days; tier r met iff bfcm × 31 ≥ (1 + r) × oct × 20.
        #[test]
        fn matches_integer_cross_multiplication(oct in 0i64..200_000_000, bfcm in 0i64..400_000_000) {
            let mut f = Fixture::new("2025-12-31");
            let (o, b) = (Money::from_cents(oct).plain(), Money::from_cents(bfcm).plain());
            f.daily("2025-10-15", "2025-10-15", |d| gmv(d, "P1", "S1", &o));
            f.daily("2025-11-20", "2025-11-20", |d| gmv(d, "P1", "S1", &b));
            let (oct, bfcm) = (i128::from(oct), i128::from(bfcm));
            let table: [(i128, i64); 3] = if oct >= 2_000_000 * 31 {
                [(25, 4_000), (50, 8_000), (100, 12_000)]
            } else {
                [(25, 500), (50, 1_000), (100, 2_000)]
            };
            let want = if oct == 0 {
                0
            } else {
                table
                    .iter()
                    .filter(|(r, _)| bfcm * 31 * 100 >= (100 + r) * oct * 20)
                    .map(|(_, a)| *a)
                    .max()
                    .unwrap_or(0)
            };
            proptest::prop_assert_eq!(amount(&f, "P1"), Money::dollars(want));
        }
    }
}
