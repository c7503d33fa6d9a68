//! 1.5 Creator incubation: cash per target-list creator by the creator's Q4 GMV; a partner
//! earns the sum over the creators it incubates.

use super::{plural, LineHead};
use super::{Cadence, Program, ProgramInfo};
use crate::field;
use crate::input::{Creator, InputFile};
use crate::money::{human_decimal, Money};
use crate::payout::{Context, Detail, Evaluation, Kind, Step, Text};
use crate::rules::{check_tiers, BookKey, Invalid, Tier, TierTable};
use crate::window::WindowId;

pub struct CreatorIncubation;

/// The rule (1.5): a creator the partner incubates that is on TikTok's target list is paid
/// the highest tier its Q4 GMV meets, nothing below the first; a creator off the list is
/// not paid. The partner earns the sum over its creators.
pub fn decide<'a>(creator: &Creator, tiers: &'a TierTable) -> Paid<'a> {
    if !creator.target_list {
        return Paid::OffList;
    }
    match tiers.lookup(|min| creator.q4_gmv.as_decimal() >= min) {
        Some((_, tier)) => Paid::Tier(tier),
        None => Paid::BelowFirstTier,
    }
}

/// What one creator earns its partner.
pub enum Paid<'a> {
    OffList,
    BelowFirstTier,
    Tier(&'a Tier),
}

impl Paid<'_> {
    pub fn amount(&self) -> Money {
        match self {
            Paid::Tier(t) => t.amount,
            _ => Money::ZERO,
        }
    }
}

/// Creators named one by one in a basis sentence; the statement's detail lists them all.
const BASIS_CREATORS: usize = 10;

pub const INFO: ProgramInfo = ProgramInfo {
    id: "creator_incubation",
    title: "Creator incubation",
    kind: Kind::Cash,
    cadence: Cadence::Quarter,
    needs: &[InputFile::Creators, InputFile::CreatorGmvDaily],
    book_section: "creator_incubation",
    gmv_windows: ProgramInfo::no_gmv_windows,
    rule: |r, mark| super::RuleText {
        issued: "cash, q4".into(),
        text: format!(
            "per target-list creator on the creator's Q4 GMV: {} {}; the partner earns the \
             sum over its creators",
            r.creator_incubation.tiers.describe(),
            mark(Section::TIERS)
        ),
    },
};

/// The book's `[creator_incubation]`.
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

impl Program for CreatorIncubation {
    fn payouts(&self) -> &'static [&'static ProgramInfo] {
        &[&INFO]
    }

    fn evaluate(&self, ctx: &Context) -> Evaluation {
        let periods = ctx.periods;
        let Some(q4) = periods.cut(WindowId::Q4) else {
            return Evaluation::NotEvaluated("the Q4 window starts after the as-of date".into());
        };
        let tiers = &ctx.rules.creator_incubation.tiers;
        let first_min = tiers.first_min();
        let mut lines = Vec::new();
        for (partner_id, partner) in &ctx.data.partners {
            let decided: Vec<(&String, &Creator, Paid)> = partner
                .creators
                .iter()
                .map(|(id, c)| (id, c, decide(c, tiers)))
                .collect();
            let total: Money = decided.iter().map(|(_, _, paid)| paid.amount()).sum();
            let targets = decided.iter().filter(|(_, c, _)| c.target_list).count();
            let off_list = decided.len() - targets;
            let tier = |paid: &Paid| match (paid, first_min) {
                (Paid::Tier(t), _) => format!("≥ {}", human_decimal(t.min)),
                (_, Some(min)) => format!("below {}", human_decimal(min)),
                (_, None) => "no tiers".into(),
            };
            let basis = basis(&decided, off_list, &tier);
            let steps = || {
                let per_creator = decided.iter().map(|(creator_id, c, paid)| {
                    if !c.target_list {
                        return Step::new(creator_id.to_string(), "not on the target list → 0.00")
                            .source("creators.csv");
                    }
                    Step::new(
                        creator_id.to_string(),
                        format!(
                            "Q4 GMV {} ({}) → {}",
                            c.q4_gmv.human(),
                            tier(paid),
                            paid.amount().human()
                        ),
                    )
                    // Cited by id, not line: the same data in another row order gives the
                    // same statement.
                    .source(format!(
                        "creators.csv; creator_gmv_daily.csv, {} row(s) in {q4}",
                        c.q4_rows
                    ))
                });
                vec![
                    Step::new("Q4 window", q4.to_string()).source(crate::window_key!(q4).cite()),
                    Step::new("tiers per target creator", tiers.describe())
                        .source(Section::TIERS.cite()),
                    Step::new(
                        "creators",
                        format!("{targets} on the target list, {off_list} not"),
                    )
                    .source("creators.csv")
                    .children(per_creator),
                    Step::new("amount", total.human()).source("sum over target creators"),
                ]
            };
            let head = LineHead {
                partner_id,
                program: &INFO,
                period: "q4",
                provisional: !periods.complete(WindowId::Q4),
                figures: ctx.figures_for(INFO.kind, "q4"),
            };
            let mut line = head.line(total, basis, steps);
            line.detail = head.detail(|| {
                let rows = decided
                    .iter()
                    .map(|(creator_id, c, paid)| {
                        vec![
                            Text::copy(creator_id),
                            Text::from(if c.target_list { "true" } else { "false" }),
                            Text::plain(c.q4_gmv),
                            Text::count(c.q4_rows as usize),
                            if c.target_list {
                                tier(paid).into()
                            } else {
                                "not on the target list".into()
                            },
                            Text::plain(paid.amount()),
                        ]
                    })
                    .collect();
                Detail::new(
                    format!("creators incubated, Q4 GMV over {q4}"),
                    &[
                        "creator_id",
                        "target_list",
                        "q4_gmv",
                        "q4_rows",
                        "tier",
                        "amount",
                    ],
                    rows,
                )
                .amounts(&["q4_gmv", "amount"])
            });
            lines.push(line);
        }
        Evaluation::Lines(lines)
    }
}

/// The line's basis: each target creator's Q4 GMV and amount (the first few), and the
/// creators off the list.
fn basis(
    decided: &[(&String, &Creator, Paid)],
    off_list: usize,
    tier: &dyn Fn(&Paid) -> String,
) -> String {
    let phrases: Vec<String> = decided
        .iter()
        .filter(|(_, c, _)| c.target_list)
        .enumerate()
        .map(|(i, (creator_id, c, paid))| {
            let label = if i == 0 { " Q4 GMV" } else { "" };
            let mut phrase = format!(
                "{creator_id}{label} {} → {}",
                c.q4_gmv.human(),
                paid.amount().human()
            );
            if matches!(paid, Paid::BelowFirstTier) {
                if c.q4_rows == 0 {
                    phrase.push_str(" (no Q4 GMV rows)");
                } else {
                    phrase.push_str(&format!(" ({})", tier(paid)));
                }
            }
            phrase
        })
        .collect();
    let targets = phrases.len();
    let mut basis = if targets == 0 {
        String::from("no target-list creators")
    } else {
        let shown = phrases
            .iter()
            .take(BASIS_CREATORS)
            .cloned()
            .collect::<Vec<_>>();
        let mut s = format!(
            "{}: {}",
            plural(targets, "target creator"),
            shown.join("; ")
        );
        if targets > BASIS_CREATORS {
            s.push_str(&format!(
                "; … and {} more (see statement)",
                targets - BASIS_CREATORS
            ));
        }
        s
    };
    match (targets, off_list) {
        (_, 0) if decided.is_empty() => basis = "no creators in creators.csv".into(),
        (_, 0) => {}
        (0, k) => basis.push_str(&format!(
            " ({} not on the target list)",
            plural(k, "creator")
        )),
        (_, k) => basis.push_str(&format!(
            "; {} not on the target list",
            plural(k, "creator")
        )),
    }
    basis
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::testkit::*;

    /// A fixture with `(partner, creator, target_list, q4_gmv, q4_rows)` creators.
    fn with_creators(as_of: &str, creators: &[(&str, &str, bool, &str)]) -> Fixture {
        let mut f = Fixture::new(as_of);
        for (partner, creator, target, q4) in creators {
            let gmv = money(q4);
            f.data.ensure_partner(partner).creators.insert(
                creator.to_string(),
                Creator {
                    target_list: *target,
                    q4_gmv: gmv,
                    q4_rows: u64::from(gmv.is_positive()),
                },
            );
        }
        f
    }

    #[test]
    fn each_tier_at_and_one_cent_below_its_threshold() {
        let cases = [
            ("999.99", 0),
            ("1000.00", 1_000),
            ("9999.99", 1_000),
            ("10000.00", 2_500),
            ("49999.99", 2_500),
            ("50000.00", 5_000),
            ("149999.99", 5_000),
            ("150000.00", 10_000),
        ];
        for (gmv, want) in cases {
            let f = with_creators("2025-12-31", &[("P1", "C1", true, gmv)]);
            let line = f.line_of(&CreatorIncubation, "P1");
            assert_eq!(
                line.amount,
                Money::dollars(want),
                "Q4 GMV {gmv}: {}",
                line.basis
            );
        }
    }

    #[test]
    fn partner_earns_the_sum_and_the_basis_names_each_creator() {
        let f = with_creators(
            "2025-12-31",
            &[
                ("P1", "C001", true, "151000.00"),
                ("P1", "C003", false, "500000.00"),
                ("P1", "C004", true, "999.99"),
            ],
        );
        let line = f.line_of(&CreatorIncubation, "P1");
        assert_eq!(line.amount, Money::dollars(10_000));
        assert_eq!(
            line.basis,
            "2 target creators: C001 Q4 GMV 151,000.00 → 10,000.00; C004 999.99 → 0.00 \
             (below 1,000); 1 creator not on the target list"
        );
        assert!(!line.provisional);
        let detail = line.detail.expect("detail");
        let ids: Vec<_> = detail
            .rows
            .iter()
            .map(|r| (r[0].as_str(), r[5].as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![("C001", "10000.00"), ("C003", "0.00"), ("C004", "0.00")]
        );
        assert_eq!(detail.rows[1][4], "not on the target list");
    }

    #[test]
    fn non_target_creators_pay_nothing() {
        let f = with_creators("2025-12-31", &[("P1", "C1", false, "200000.00")]);
        let line = f.line_of(&CreatorIncubation, "P1");
        assert_eq!(line.amount, Money::ZERO);
        assert_eq!(
            line.basis,
            "no target-list creators (1 creator not on the target list)"
        );
    }

    #[test]
    fn partner_without_creators_gets_a_zero_line() {
        let mut f = with_creators("2025-12-31", &[("P1", "C1", true, "0.00")]);
        f.daily("2025-10-01", "2025-10-01", |d| gmv(d, "P2", "S1", "5.00"));
        let p1 = f.line_of(&CreatorIncubation, "P1");
        assert_eq!(
            p1.basis,
            "1 target creator: C1 Q4 GMV 0.00 → 0.00 (no Q4 GMV rows)"
        );
        let p2 = f.line_of(&CreatorIncubation, "P2");
        assert_eq!(p2.amount, Money::ZERO);
        assert_eq!(p2.basis, "no creators in creators.csv");
    }

    #[test]
    fn provisional_before_q4_end() {
        let f = with_creators("2025-11-30", &[("P1", "C1", true, "10000.00")]);
        let line = f.line_of(&CreatorIncubation, "P1");
        assert_eq!(line.amount, Money::dollars(2_500));
        assert!(line.provisional);
        assert_eq!(line.period, "q4");
    }

    #[test]
    fn long_creator_lists_are_cut_in_the_basis_but_not_in_the_detail() {
        let creators: Vec<(String, &str)> =
            (0..12).map(|i| (format!("C{i:02}"), "1000.00")).collect();
        let refs: Vec<(&str, &str, bool, &str)> = creators
            .iter()
            .map(|(c, g)| ("P1", c.as_str(), true, *g))
            .collect();
        let f = with_creators("2025-12-31", &refs);
        let line = f.line_of(&CreatorIncubation, "P1");
        assert_eq!(line.amount, Money::dollars(12_000));
        assert!(
            line.basis.ends_with("; … and 2 more (see statement)"),
            "{}",
            line.basis
        );
        assert_eq!(line.detail.expect("detail").rows.len(), 12);
    }
}
