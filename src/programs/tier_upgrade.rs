//! 1.2 Tier-upgrade bonus: a first-time move above every tier held up to the end of Q3,
//! kept on every day of the hold window.

use super::LineHead;
use super::{Cadence, Program, ProgramInfo};
use crate::field;
use crate::money::Money;
use crate::payout::{Context, Evaluation, Kind, Step};
use crate::rules::{check_tiers, invalid, BookKey, Invalid, TierTable};
use crate::window::{Window, WindowId};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub struct TierUpgrade;

/// The rule (1.2): a partner with a tier on or before the end of the baseline is paid when
/// the lowest tier it held on every day of the hold window is above the highest tier it
/// held up to the end of the baseline; it is paid the bonus of that held tier.
pub(crate) fn decide(
    history: &[(NaiveDate, u8)],
    baseline_end: NaiveDate,
    hold: Window,
    bonus: &TierTable,
) -> Decision {
    let prior_max = history
        .iter()
        .filter(|(effective, _)| *effective <= baseline_end)
        .map(|(_, tier)| *tier)
        .max();
    let holding = holding(history, hold);
    let amount = match (prior_max, holding.held) {
        (Some(prior_max), Some(held)) if held > prior_max => {
            bonus.pay(|min| Decimal::from(held) >= min)
        }
        _ => Money::ZERO,
    };
    Decision {
        prior_max,
        holding,
        amount,
    }
}

/// What the rule decided for one partner.
pub(crate) struct Decision {
    /// The highest tier held up to the end of the baseline; `None`: not eligible.
    pub prior_max: Option<u8>,
    pub holding: Holding,
    pub amount: Money,
}

/// The tier in force on `date`: the row with the latest effective date on or before it.
fn tier_on(history: &[(NaiveDate, u8)], date: NaiveDate) -> Option<u8> {
    history
        .iter()
        .take_while(|(effective, _)| *effective <= date)
        .last()
        .map(|(_, tier)| *tier)
}

/// What the tier history says about the hold window.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Holding {
    /// The lowest tier held on any day (the level kept); `None` if some day had no tier.
    pub held: Option<u8>,
    /// The highest tier reached on any day of the window.
    pub peak: Option<u8>,
    /// Days of the window at or above `peak`.
    pub peak_days: i64,
}

pub(crate) fn holding(history: &[(NaiveDate, u8)], hold: Window) -> Holding {
    let daily: Vec<Option<u8>> = hold.dates().map(|d| tier_on(history, d)).collect();
    let held = daily
        .iter()
        .try_fold(u8::MAX, |low, t| t.map(|t| low.min(t)));
    let peak = daily.iter().flatten().copied().max();
    let peak_days = daily
        .iter()
        .filter(|t| peak.is_some() && **t >= peak)
        .count() as i64;
    Holding {
        held,
        peak,
        peak_days,
    }
}

pub const INFO: ProgramInfo = ProgramInfo {
    id: "tier_upgrade",
    title: "Tier-upgrade bonus",
    kind: Kind::Cash,
    cadence: Cadence::Quarter,
    needs: &[crate::input::InputFile::PartnerTiers],
    book_section: "tier_upgrade",
    gmv_windows: ProgramInfo::no_gmv_windows,
    rule: |r, mark| super::RuleText {
        issued: "cash, q4".into(),
        text: format!(
            "a first-time move above the highest partner tier held up to {}, kept on every \
             day of the last {} days {} up to the evaluation date, pays by the tier kept: \
             {} {}",
            r.windows.q3.end,
            r.tier_upgrade.hold_days,
            mark(Section::HOLD_DAYS),
            r.tier_upgrade.bonus.describe(),
            mark(Section::BONUS)
        ),
    },
};

/// Longest hold window of the tier upgrade.
pub const MAX_HOLD_DAYS: i64 = 366;

/// The book's `[tier_upgrade]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub hold_days: i64,
    pub bonus: TierTable,
}

impl Section {
    pub const HOLD_DAYS: BookKey = INFO.key(field!(Section, hold_days));
    pub const BONUS: BookKey = INFO.key(field!(Section, bonus));

    pub fn validate(&self) -> Result<(), Invalid> {
        check_tiers(Self::BONUS, &self.bonus)?;
        if !(1..=MAX_HOLD_DAYS).contains(&self.hold_days) {
            return Err(invalid(
                Self::HOLD_DAYS.to_string(),
                format!("must be from 1 to {MAX_HOLD_DAYS}"),
            ));
        }
        Ok(())
    }
}

impl Program for TierUpgrade {
    fn payouts(&self) -> &'static [&'static ProgramInfo] {
        &[&INFO]
    }

    fn evaluate(&self, ctx: &Context) -> Evaluation {
        let rules = &ctx.rules.tier_upgrade;
        let prior_end = ctx.rules.windows.q3.end;
        let hold = Window::ending_on(ctx.periods.evaluation_end(), rules.hold_days);
        let provisional = !ctx.periods.complete(WindowId::Q4);
        let mut lines = Vec::new();
        for (partner_id, partner) in &ctx.data.partners {
            let history = &partner.tiers;
            let d = decide(history, prior_end, hold, &rules.bonus);
            let head = LineHead {
                partner_id,
                program: &INFO,
                period: "q4",
                provisional,
                figures: ctx.figures_for(INFO.kind, "q4"),
            };
            let history_text = history_text(history);
            let basis = basis(&d, &history_text, prior_end, hold);
            let steps = || steps(&d, history_text.clone(), prior_end, hold, rules);
            lines.push(head.line(d.amount, basis, steps));
        }
        Evaluation::Lines(lines)
    }
}

/// `tier 2 from 2025-01-01, tier 4 from 2025-12-05`.
fn history_text(history: &[(NaiveDate, u8)]) -> String {
    if history.is_empty() {
        return "no rows".to_string();
    }
    history
        .iter()
        .map(|(d, t)| format!("tier {t} from {d}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The line's basis: the held tier paid, or why nothing is.
fn basis(d: &Decision, history_text: &str, prior_end: NaiveDate, hold: Window) -> String {
    let Some(prior_max) = d.prior_max else {
        return format!("not eligible: no tier on or before {prior_end} ({history_text})");
    };
    let h = &d.holding;
    match h.held {
        Some(held) if held > prior_max => {
            let mut basis = format!(
                "held tier {held} on every day of {hold}, above prior max tier {prior_max} → tier-{held} bonus {}",
                d.amount.human()
            );
            if h.peak > Some(held) {
                basis.push_str(&format!(
                    " (tier {} held {} of {} days)",
                    h.peak.unwrap_or(held),
                    h.peak_days,
                    hold.days()
                ));
            }
            basis
        }
        _ => match h.peak {
            Some(peak) if peak > prior_max => format!(
                "held tier {peak} for {} of the required {} days (prior max tier {prior_max}, hold window {hold})",
                h.peak_days,
                hold.days()
            ),
            _ => format!(
                "not a first-time upgrade: held tier {} not above prior max tier {prior_max} (up to {prior_end})",
                h.held.or(h.peak).map_or("none".into(), |t| t.to_string())
            ),
        },
    }
}

/// The figure tree, for statements and `explain`.
fn steps(
    d: &Decision,
    history_text: String,
    prior_end: NaiveDate,
    hold: Window,
    rules: &Section,
) -> Vec<Step> {
    let mut steps = vec![
        Step::new("tier history", history_text).source("partner_tiers.csv"),
        Step::new("baseline end", prior_end.to_string()).source(format!(
            "{}.{}",
            crate::window_key!(q3).cite(),
            crate::field!(crate::window::Window, end)
        )),
    ];
    if let Some(prior_max) = d.prior_max {
        steps.push(
            Step::new("prior max tier", prior_max.to_string())
                .source(format!("highest tier held on any date up to {prior_end}")),
        );
        steps.push(Step::new("hold window", hold.to_string()).source(format!(
            "{} = {}, ending {}",
            Section::HOLD_DAYS.cite(),
            rules.hold_days,
            hold.end
        )));
        steps.push(
            Step::new(
                "held tier",
                d.holding
                    .held
                    .map_or("none (a day without a tier)".into(), |t| t.to_string()),
            )
            .source("lowest tier held on any day of the hold window"),
        );
        steps.push(
            Step::new("bonus by held tier", rules.bonus.describe()).source(Section::BONUS.cite()),
        );
    }
    steps.push(Step::new("amount", d.amount.human()));
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::testkit::*;

    fn with_history(rows: &[(&str, &str, u8)]) -> Fixture {
        let mut f = Fixture::new("2025-12-31");
        for (partner, d, tier) in rows {
            f.data.ensure_partner(partner).tiers.push((date(d), *tier));
        }
        for p in f.data.partners.values_mut() {
            p.tiers.sort();
        }
        f.data.files.insert(
            crate::input::InputFile::PartnerTiers,
            crate::input::FileReport::present(crate::input::InputFile::PartnerTiers),
        );
        f
    }

    #[test]
    fn spec_example_4_not_first_time() {
        let f = with_history(&[
            ("P2", "2025-01-01", 3),
            ("P2", "2025-06-01", 2),
            ("P2", "2025-10-20", 3),
        ]);
        let line = f.line_of(&TierUpgrade, "P2");
        assert_eq!(line.amount, Money::ZERO);
        assert!(
            line.basis.starts_with("not a first-time upgrade"),
            "{}",
            line.basis
        );
    }

    #[test]
    fn spec_example_4_held_27_of_30_days() {
        let f = with_history(&[("P3", "2025-01-01", 2), ("P3", "2025-12-05", 4)]);
        let line = f.line_of(&TierUpgrade, "P3");
        assert_eq!(line.amount, Money::ZERO);
        assert!(
            line.basis
                .contains("held tier 4 for 27 of the required 30 days"),
            "{}",
            line.basis
        );
    }

    #[test]
    fn spec_example_4_held_30_days_pays_7500() {
        let f = with_history(&[("P3", "2025-01-01", 2), ("P3", "2025-12-02", 4)]);
        let line = f.line_of(&TierUpgrade, "P3");
        assert_eq!(line.amount, Money::dollars(7_500));
        // One day less is not enough.
        let f = with_history(&[("P3", "2025-01-01", 2), ("P3", "2025-12-03", 4)]);
        assert_eq!(f.line_of(&TierUpgrade, "P3").amount, Money::ZERO);
    }

    #[test]
    fn kept_level_is_paid_when_moving_up_twice() {
        let f = with_history(&[
            ("P4", "2025-03-01", 2),
            ("P4", "2025-11-01", 4),
            ("P4", "2025-12-20", 5),
        ]);
        let line = f.line_of(&TierUpgrade, "P4");
        assert_eq!(line.amount, Money::dollars(7_500));
        assert!(
            line.basis.contains("tier 5 held 12 of 30 days"),
            "{}",
            line.basis
        );
    }

    #[test]
    fn no_tier_before_q3_end_is_not_eligible() {
        let f = with_history(&[("P5", "2025-10-01", 3)]);
        let line = f.line_of(&TierUpgrade, "P5");
        assert_eq!(line.amount, Money::ZERO);
        assert!(
            line.basis
                .starts_with("not eligible: no tier on or before 2025-09-30"),
            "{}",
            line.basis
        );
    }

    #[test]
    fn superseded_rows_before_q3_end_count_for_prior_max() {
        // Tier 5 in January, 2 from February: prior max is 5, so reaching 4 is no upgrade.
        let f = with_history(&[
            ("P6", "2025-01-01", 5),
            ("P6", "2025-02-01", 2),
            ("P6", "2025-10-01", 4),
        ]);
        assert_eq!(f.line_of(&TierUpgrade, "P6").amount, Money::ZERO);
    }

    #[test]
    fn as_of_moves_the_hold_window() {
        let mut f = with_history(&[("P7", "2025-01-01", 1), ("P7", "2025-10-01", 3)]);
        f.periods = crate::window::Periods::new(&f.book.rules.windows, date("2025-10-30"));
        let line = f.line_of(&TierUpgrade, "P7");
        assert_eq!(line.amount, Money::dollars(5_000));
        assert!(line.provisional);
        let mut f = with_history(&[("P7", "2025-01-01", 1), ("P7", "2025-10-02", 3)]);
        f.periods = crate::window::Periods::new(&f.book.rules.windows, date("2025-10-30"));
        assert_eq!(f.line_of(&TierUpgrade, "P7").amount, Money::ZERO);
    }
}
