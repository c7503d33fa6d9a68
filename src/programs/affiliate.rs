//! 1.4 Affiliate credits: a credit per seller by its cumulative affiliate GMV since the
//! start of the quarter, at most `max_sellers` sellers per partner, trued up monthly: each
//! month issues the growth of the entitlement since the month before.

use super::LineHead;
use super::{Cadence, Program, ProgramInfo};
use crate::field;
use crate::input::PartnerData;
use crate::leaderboard;
use crate::money::{human_decimal, push_count, Money};
use crate::payout::{Context, Detail, Evaluation, Issued, Kind, Line, Step, Text};
use crate::rules::{check_at_least_one, check_tiers, BookKey, Invalid, TierTable};
use crate::window::{Periods, WindowId};
use std::collections::BTreeMap;

pub const ID: &str = "affiliate_credits";

pub const INFO: ProgramInfo = ProgramInfo {
    id: ID,
    title: "Affiliate credits",
    kind: Kind::AdCredit,
    cadence: Cadence::Month,
    needs: &[],
    book_section: "affiliate_credits",
    // Cumulative from the first month to the line's month.
    gmv_windows: |period, periods| {
        let upto = super::month_of(period, periods).unwrap_or(WindowId::MONTHS.len() - 1);
        WindowId::MONTHS[..=upto].to_vec()
    },
    rule: |r, mark| super::RuleText {
        issued: "ad credit, monthly true-up".into(),
        text: format!(
            "per seller on its cumulative affiliate GMV since {}: {} {}; at most {} sellers \
             per partner {}, the highest credits kept",
            r.windows.q4.start,
            r.affiliate_credits.tiers.describe(),
            mark(Section::TIERS),
            r.affiliate_credits.max_sellers,
            mark(Section::MAX_SELLERS)
        ),
    },
};

pub struct AffiliateCredits;

/// Step labels of a line trued up against a ledger.
pub const ISSUED_BEFORE: &str = "issued before";
pub const OVER_ISSUED: &str = "over-issued balance carried";
pub const RECOVERABLE: &str = "over-issued, recoverable";

/// The rule (1.4): as of the end of a month, each seller earns the highest tier its
/// affiliate GMV since the first month meets; of the sellers who earn a credit, the partner
/// keeps at most `max_sellers`: the highest credits, then the highest GMV, then seller_id.
/// The entitlement is the sum of the kept credits; a month issues its growth over the
/// previous month's (see [`month_pair`]). `through` is the first month up to the evaluated one.
pub fn entitlement(rules: &Rules, partner: &PartnerData, through: &[WindowId]) -> Entitlement {
    let mut qualifying = Vec::new();
    let mut sellers_with_gmv = 0;
    let mut best_unqualified: Option<SellerCredit> = None;
    // Sellers come in seller_id order, so a strict `>` keeps the smallest id on a tie.
    for (seller_id, sums) in &partner.sellers {
        let cumulative: Money = through.iter().map(|m| sums.affiliate(*m)).sum();
        if !cumulative.is_positive() {
            continue;
        }
        sellers_with_gmv += 1;
        let credit = rules.tiers.pay(|min| cumulative.as_decimal() >= min);
        let seller = || SellerCredit {
            seller_id: Text::copy(seller_id),
            cumulative,
            credit,
        };
        if credit.is_positive() {
            qualifying.push(seller());
        } else if best_unqualified
            .as_ref()
            .is_none_or(|b| cumulative > b.cumulative)
        {
            best_unqualified = Some(seller());
        }
    }
    let (kept, dropped) = leaderboard::top_n(qualifying, rules.max_sellers, |a, b| {
        b.credit
            .cmp(&a.credit)
            .then(b.cumulative.cmp(&a.cumulative))
            .then(a.seller_id.as_bytes().cmp(b.seller_id.as_bytes()))
    });
    let amount = kept.iter().map(|s| s.credit).sum();
    Entitlement {
        kept,
        dropped,
        amount,
        sellers_with_gmv,
        best_unqualified,
    }
}

/// The book's `[affiliate_credits]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub tiers: TierTable,
    pub max_sellers: usize,
}

/// The section as the rule reads it.
type Rules = Section;

impl Section {
    pub const TIERS: BookKey = INFO.key(field!(Section, tiers));
    pub const MAX_SELLERS: BookKey = INFO.key(field!(Section, max_sellers));

    pub fn validate(&self) -> Result<(), Invalid> {
        check_tiers(Self::TIERS, &self.tiers)?;
        check_at_least_one(Self::MAX_SELLERS, self.max_sellers)
    }
}

/// One seller's credit as of the end of a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SellerCredit {
    /// Kept in place when short (most ids): every partner's sellers, every month.
    pub seller_id: Text,
    /// Affiliate GMV from the start of the first month to the end of the evaluated one.
    pub cumulative: Money,
    pub credit: Money,
}

/// A partner's entitlement as of the end of a month.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entitlement {
    /// Qualifying sellers kept by the cap, best first.
    pub kept: Vec<SellerCredit>,
    /// Qualifying sellers beyond the cap, best first (their positions follow `kept`).
    pub dropped: Vec<SellerCredit>,
    /// Sum of the kept credits.
    pub amount: Money,
    /// Sellers with any affiliate GMV in the span.
    pub sellers_with_gmv: usize,
    /// The seller with the most affiliate GMV among those below the first tier.
    pub best_unqualified: Option<SellerCredit>,
}

impl Entitlement {
    /// Every qualifying seller with its 1-based position by credit and whether it is kept.
    pub fn sellers(&self) -> impl Iterator<Item = (usize, &SellerCredit, bool)> {
        self.kept
            .iter()
            .map(|s| (s, true))
            .chain(self.dropped.iter().map(|s| (s, false)))
            .enumerate()
            .map(|(i, (s, kept))| (i + 1, s, kept))
    }

    pub fn qualifying(&self) -> usize {
        self.kept.len() + self.dropped.len()
    }
}

/// A partner's month against what was issued before it: the months before, closed ones as
/// a ledger records them and open ones as computed. With nothing closed this is the growth
/// of the entitlement over the previous month's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrueUp {
    /// Issued before the month, all sellers.
    pub issued_before: Money,
    /// The entitlement less what was issued before; never negative.
    pub issued: Money,
    /// What was issued before beyond the entitlement (after a restatement): nothing is
    /// issued and the balance is set against later issues.
    pub over_issued: Money,
    /// Per seller, the change of its issued credit this month: its kept credit now less
    /// what was issued for it before (negative for a seller restated down or dropped by
    /// the cap, set against the others' growth). Empty when over-issued: then nothing
    /// changes hands. Sums to `issued`.
    pub sellers: Vec<(String, Money)>,
}

/// The month's true-up of `now` against `before` (issued per seller before the month).
pub fn true_up(now: &Entitlement, before: &BTreeMap<String, Money>) -> TrueUp {
    let issued_before: Money = before.values().copied().sum();
    if now.amount < issued_before {
        return TrueUp {
            issued_before,
            issued: Money::ZERO,
            over_issued: issued_before - now.amount,
            sellers: Vec::new(),
        };
    }
    // Both sides in seller_id order, joined: the kept credits less what was issued before.
    let mut kept: Vec<(&str, Money)> = now
        .kept
        .iter()
        .map(|s| (s.seller_id.as_str(), s.credit))
        .collect();
    kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut sellers = Vec::with_capacity(kept.len() + before.len());
    let mut kept = kept.into_iter().peekable();
    let mut before = before.iter().peekable();
    loop {
        let (seller, change) = match (kept.peek(), before.peek()) {
            (Some(&(k, credit)), Some(&(b, issued))) if k == b.as_str() => {
                kept.next();
                before.next();
                (k, Money::ZERO - *issued + credit)
            }
            (Some(&(k, credit)), Some(&(b, _))) if k < b.as_str() => {
                kept.next();
                (k, Money::ZERO + credit)
            }
            (Some(&(k, credit)), None) => {
                kept.next();
                (k, Money::ZERO + credit)
            }
            (_, Some(&(b, issued))) => {
                before.next();
                (b.as_str(), Money::ZERO - *issued)
            }
            (None, None) => break,
        };
        if !change.is_zero() {
            sellers.push((seller.to_string(), change));
        }
    }
    TrueUp {
        issued_before,
        issued: now.amount - issued_before,
        over_issued: Money::ZERO,
        sellers,
    }
}

/// One ended month of a partner: the entitlement then, the previous month's, and the
/// true-up against what was issued before.
#[derive(Clone, Debug)]
pub struct MonthTrueUp {
    pub month: WindowId,
    pub now: Entitlement,
    /// The previous month's entitlement (zero before the first month).
    pub previous_amount: Money,
    pub true_up: TrueUp,
    /// Labels of the earlier months, each with whether a ledger closed it.
    pub earlier: Vec<(String, bool)>,
}

/// Every ended month of a partner, in order. What was issued before a month is the
/// ledger's figures for the closed months before it and the computed change for the open
/// ones.
pub fn partner_months(
    rules: &Rules,
    periods: &Periods,
    partner_id: &str,
    partner: &PartnerData,
    issued: &Issued,
) -> Vec<MonthTrueUp> {
    let months = periods.ended_months();
    let mut out = Vec::with_capacity(months.len());
    let mut before: BTreeMap<String, Money> = BTreeMap::new();
    let mut previous_amount = Money::ZERO;
    let mut earlier: Vec<(String, bool)> = Vec::with_capacity(months.len());
    for m in months {
        let (through, _) = periods.months_through(m);
        let now = entitlement(rules, partner, &through);
        let t = true_up(&now, &before);
        let label = periods.full(m).month_label();
        let closed = issued.month_closed(&label);
        let mut add = |seller: &str, amount: Money| match before.get_mut(seller) {
            Some(sum) => *sum += amount,
            None => {
                let mut sum = Money::ZERO;
                sum += amount;
                before.insert(seller.to_string(), sum);
            }
        };
        if closed {
            let key = (partner_id.to_string(), label.clone());
            for (seller, amount) in issued.affiliate.get(&key).into_iter().flatten() {
                add(seller, *amount);
            }
        } else {
            for (seller, amount) in &t.sellers {
                add(seller, *amount);
            }
        }
        out.push(MonthTrueUp {
            month: m,
            previous_amount: std::mem::replace(&mut previous_amount, now.amount),
            now,
            true_up: t,
            earlier: earlier.clone(),
        });
        earlier.push((label, closed));
    }
    out
}

/// The partners a month is trued up for: those of the data, and those a ledger issued
/// credits to that a restated export no longer has (`none` stands for their data), so
/// what they were issued is carried as over-issued. In partner_id order.
pub fn trued_up_partners<'a>(
    partners: &'a BTreeMap<String, PartnerData>,
    issued: &'a Issued,
    none: &'a PartnerData,
) -> Vec<(&'a String, &'a PartnerData)> {
    let mut out: Vec<(&String, &PartnerData)> = partners.iter().collect();
    out.extend(
        issued
            .affiliate
            .keys()
            .map(|(partner_id, _)| partner_id)
            .filter(|p| !partners.contains_key(*p))
            .map(|p| (p, none)),
    );
    out.sort_by(|a, b| a.0.cmp(b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// `1st`, `2nd`, `71st`, `112th`.
pub fn ordinal(n: usize) -> String {
    let mut out = String::with_capacity(8);
    push_ordinal(&mut out, n);
    out
}

/// Appends [`ordinal`] to `out`.
fn push_ordinal(out: &mut String, n: usize) {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    push_count(out, n);
    out.push_str(suffix);
}

/// "kept: 3rd by credit" or "dropped: 71st by credit, cap 70".
pub fn status(position: usize, kept: bool, cap: usize) -> String {
    // Written piece by piece: one per seller of every partner's table.
    let mut out = String::with_capacity(32);
    out.push_str(if kept { "kept: " } else { "dropped: " });
    push_ordinal(&mut out, position);
    out.push_str(" by credit");
    if !kept {
        out.push_str(", cap ");
        push_count(&mut out, cap);
    }
    out
}

/// `2025-10 closed (ledger), 2025-11 computed`.
fn earlier_text(earlier: &[(String, bool)]) -> String {
    earlier
        .iter()
        .map(|(label, closed)| {
            format!(
                "{label} {}",
                if *closed {
                    "closed (ledger)"
                } else {
                    "computed"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Figures that are the same on every line of a run: written once.
struct BookTexts {
    tiers: Text,
    tiers_cite: Text,
    cap: Text,
    cap_cite: Text,
    /// `first tier 2,000` (or `no tier`), of the bases of partners without a credit.
    first_tier: String,
}

impl BookTexts {
    fn of(rules: &Rules) -> BookTexts {
        BookTexts {
            tiers: Text::shared(rules.tiers.describe()),
            tiers_cite: Text::shared(Section::TIERS.cite()),
            cap: Text::count(rules.max_sellers),
            cap_cite: Text::shared(Section::MAX_SELLERS.cite()),
            first_tier: rules.tiers.first_min().map_or_else(
                || "no tier".to_string(),
                |m| format!("first tier {}", human_decimal(m)),
            ),
        }
    }
}

/// The status cells of sellers' rows (`kept: 3rd by credit`), by position: the same on
/// every partner's table, so written once.
#[derive(Default)]
struct StatusTexts {
    kept: Vec<Text>,
    dropped: Vec<Text>,
}

impl StatusTexts {
    fn of(&mut self, position: usize, kept: bool, cap: usize) -> Text {
        let known = if kept {
            &mut self.kept
        } else {
            &mut self.dropped
        };
        while known.len() < position {
            known.push(Text::shared(status(known.len() + 1, kept, cap)));
        }
        known[position - 1].clone()
    }
}

/// Texts every line of a month shows: written once.
struct MonthTexts {
    month: WindowId,
    last: bool,
    label: String,
    previous_label: Option<String>,
    /// `2025-10-01..2025-11-30`.
    span: Text,
    /// `book windows.oct + windows.nov`.
    span_source: Text,
    /// `entitlement at end of 2025-11`.
    entitlement_label: Text,
    /// `entitlement at end of 2025-10`, or before the first month.
    previous_entitlement_label: Text,
    detail_title: String,
}

impl MonthTexts {
    fn of(periods: &Periods, month: WindowId, cap: usize) -> MonthTexts {
        let (through, span) = periods.months_through(month);
        let label = periods.full(month).month_label();
        let previous_label = through
            .len()
            .checked_sub(2)
            .map(|i| periods.full(through[i]).month_label());
        let months_keys: Vec<String> = through.iter().map(|m| m.book_key().to_string()).collect();
        MonthTexts {
            month,
            last: WindowId::MONTHS.last() == Some(&month),
            span: Text::shared(format!("{}..{}", span.start, span.end)),
            span_source: Text::shared(format!("book {}", months_keys.join(" + "))),
            entitlement_label: Text::shared(format!("entitlement at end of {label}")),
            previous_entitlement_label: Text::shared(match &previous_label {
                Some(p) => format!("entitlement at end of {p}"),
                None => "entitlement before the first month".to_string(),
            }),
            detail_title: format!(
                "qualifying sellers by cumulative affiliate GMV {}..{} (cap {cap})",
                span.start, span.end
            ),
            label,
            previous_label,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn month_line(
    rules: &Rules,
    texts: &BookTexts,
    month: &MonthTexts,
    statuses: &mut StatusTexts,
    partner_id: &str,
    m: &MonthTrueUp,
    ledger: bool,
    figures: bool,
) -> Line {
    let (now, t) = (&m.now, &m.true_up);
    let issued = t.issued;
    let cap = rules.max_sellers;
    // Only a ledger's wording names the earlier months.
    let earlier = if ledger {
        earlier_text(&m.earlier)
    } else {
        String::new()
    };
    // The sentence is written piece by piece: one per partner and month.
    // ` − previous (2025-10) 250.00 = 750.00`, and what an over-issue carries.
    let mut tail = String::with_capacity(96);
    tail.push_str(" − ");
    if ledger {
        tail.push_str("issued before ");
        if !earlier.is_empty() {
            tail.push('(');
            tail.push_str(&earlier);
            tail.push_str(") ");
        }
        t.issued_before.push_human(&mut tail);
    } else {
        tail.push_str("previous ");
        if let Some(p) = &month.previous_label {
            tail.push('(');
            tail.push_str(p);
            tail.push_str(") ");
        }
        m.previous_amount.push_human(&mut tail);
    }
    tail.push_str(" = ");
    // After a restatement the entitlement can fall below what was issued: the difference
    // is shown as it is, nothing is issued, and the balance is carried.
    let over = t.over_issued.is_positive();
    if over {
        tail.push('−');
        t.over_issued.push_human(&mut tail);
        tail.push_str(": nothing issued, over-issued ");
        t.over_issued.push_human(&mut tail);
        tail.push_str(if month.last {
            " recoverable at the quarter's close"
        } else {
            " carried against later issues"
        });
    } else {
        issued.push_human(&mut tail);
    }
    let mut basis = String::with_capacity(tail.len() + 160);
    if now.qualifying() == 0 {
        basis.push_str("no seller reached the ");
        basis.push_str(&texts.first_tier);
        basis.push_str(" of cumulative affiliate GMV ");
        basis.push_str(&month.span);
        basis.push_str(" (");
        match &now.best_unqualified {
            Some(s) => {
                basis.push_str("highest ");
                basis.push_str(&s.seller_id);
                basis.push(' ');
                s.cumulative.push_human(&mut basis);
            }
            None => basis.push_str("no affiliate GMV"),
        }
        basis.push_str("); entitlement ");
        now.amount.push_human(&mut basis);
        basis.push_str(&tail);
    } else {
        basis.push_str("entitlement ");
        now.amount.push_human(&mut basis);
        basis.push_str(" (");
        push_count(&mut basis, now.kept.len());
        basis.push_str(" of ");
        push_count(&mut basis, now.qualifying());
        basis.push_str(" qualifying sellers kept, cap ");
        push_count(&mut basis, cap);
        basis.push(')');
        basis.push_str(&tail);
        if let Some(first) = now.dropped.first() {
            basis.push_str("; first dropped: ");
            basis.push_str(&first.seller_id);
            basis.push_str(" (cumulative ");
            first.cumulative.push_human(&mut basis);
            basis.push_str(", credit ");
            first.credit.push_human(&mut basis);
            basis.push_str("), ");
            let status = statuses.of(now.kept.len() + 1, false, cap);
            basis.push_str(status.trim_start_matches("dropped: "));
        }
        if issued.is_zero() && !over {
            basis.push_str("; entitlement unchanged, nothing to issue");
        }
    }
    let best = match (now.qualifying(), &now.best_unqualified) {
        (0, Some(s)) => Some(s),
        _ => None,
    };
    let steps = || {
        let count = 9 + usize::from(ledger && over) + usize::from(best.is_some());
        let mut steps = Vec::with_capacity(count);
        steps.extend([
            Step::new("cumulative span", month.span.clone()).source(month.span_source.clone()),
            Step::new("credit tiers per seller", texts.tiers.clone())
                .source(texts.tiers_cite.clone()),
            Step::new("seller cap", texts.cap.clone()).source(texts.cap_cite.clone()),
            Step::new(
                "sellers with affiliate GMV",
                Text::count(now.sellers_with_gmv),
            )
            .source("gmv_daily.csv"),
            Step::new("qualifying sellers", Text::count(now.qualifying())),
            Step::new("kept sellers", Text::count(now.kept.len()))
                .source("credit desc, cumulative affiliate GMV desc, seller_id asc"),
            Step::new(month.entitlement_label.clone(), Text::human(now.amount))
                .source("sum of kept credits"),
        ]);
        if ledger {
            let source = if earlier.is_empty() {
                "no earlier month".to_string()
            } else {
                earlier.clone()
            };
            steps.push(Step::new(ISSUED_BEFORE, Text::human(t.issued_before)).source(source));
            steps.push(
                Step::new("issued", Text::human(issued))
                    .source("entitlement − issued before, never negative"),
            );
            if over {
                let label = if month.last { RECOVERABLE } else { OVER_ISSUED };
                steps.push(
                    Step::new(label, Text::human(t.over_issued))
                        .source("issued before − entitlement"),
                );
            }
        } else {
            steps.push(Step::new(
                month.previous_entitlement_label.clone(),
                Text::human(m.previous_amount),
            ));
            steps.push(
                Step::new("issued", Text::human(issued))
                    .source("entitlement − previous entitlement"),
            );
        }
        // With no seller in the detail, the statement names the closest one.
        if let Some(s) = best {
            steps.push(
                Step::new("highest seller below the first tier", s.seller_id.clone()).child(
                    Step::new("cumulative affiliate GMV", Text::human(s.cumulative))
                        .source("gmv_daily.csv"),
                ),
            );
        }
        steps
    };
    let head = LineHead {
        partner_id,
        program: &INFO,
        period: &month.label,
        provisional: false,
        figures,
    };
    let mut line = head.line(issued, basis, steps);
    line.detail = head.detail(|| {
        Detail::new(
            month.detail_title.clone(),
            &["seller_id", "cumulative_affiliate_gmv", "credit", "status"],
            now.sellers()
                .map(|(pos, s, kept)| {
                    vec![
                        s.seller_id.clone(),
                        Text::plain(s.cumulative),
                        Text::plain(s.credit),
                        statuses.of(pos, kept, cap),
                    ]
                })
                .collect(),
        )
        .amounts(&["cumulative_affiliate_gmv", "credit"])
    });
    line
}

impl Program for AffiliateCredits {
    fn payouts(&self) -> &'static [&'static ProgramInfo] {
        &[&INFO]
    }

    fn evaluate(&self, ctx: &Context) -> Evaluation {
        let periods = ctx.periods;
        let months = periods.ended_months();
        if months.is_empty() {
            let first = periods.full(WindowId::MONTHS[0]);
            return Evaluation::NotEvaluated(format!(
                "no month has ended by the as-of date {} (the first, {}, ends {})",
                periods.as_of,
                first.month_label(),
                first.end
            ));
        }
        let rules = &ctx.rules.affiliate_credits;
        // Wording changes only once a month is closed: without a ledger the true-up is the
        // growth over the previous month's entitlement, as it always was.
        let ledger = !ctx.issued.closed_months.is_empty();
        let texts = BookTexts::of(rules);
        // Whether each month's lines show their figures.
        let shown: Vec<(WindowId, bool)> = WindowId::MONTHS
            .iter()
            .map(|m| {
                (
                    *m,
                    ctx.figures_for(INFO.kind, &periods.full(*m).month_label()),
                )
            })
            .collect();
        let figures_of = |month: WindowId| shown.iter().any(|(m, f)| *m == month && *f);
        let mut statuses = StatusTexts::default();
        let month_texts: Vec<MonthTexts> = months
            .iter()
            .map(|m| MonthTexts::of(periods, *m, rules.max_sellers))
            .collect();
        let mut lines = Vec::with_capacity(ctx.data.partners.len() * months.len());
        let none = PartnerData::default();
        for (partner_id, partner) in trued_up_partners(&ctx.data.partners, ctx.issued, &none) {
            for m in partner_months(rules, periods, partner_id, partner, ctx.issued) {
                let month = month_texts
                    .iter()
                    .find(|t| t.month == m.month)
                    .expect("texts of every ended month");
                lines.push(month_line(
                    rules,
                    &texts,
                    month,
                    &mut statuses,
                    partner_id,
                    &m,
                    ledger,
                    figures_of(m.month),
                ));
            }
        }
        Evaluation::Lines(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Channels, GmvRow};
    use crate::payout::Figures;
    use crate::programs::testkit::*;

    fn aff(d: chrono::NaiveDate, partner: &str, seller: &str, amount: &str) -> GmvRow {
        GmvRow {
            date: d,
            partner_id: partner.into(),
            seller_id: seller.into(),
            channels: Channels {
                gmv: money(amount),
                affiliate: money(amount),
                ..Channels::default()
            },
        }
    }

    fn add(f: &mut Fixture, day: &str, partner: &str, seller: &str, amount: &str) {
        let row = aff(date(day), partner, seller, amount);
        f.data.add_gmv_row(&f.periods, &row);
    }

    fn line(lines: &[Line], partner: &str, period: &str) -> Line {
        lines
            .iter()
            .find(|l| l.partner_id == partner && l.period == period)
            .cloned()
            .expect("a line")
    }

    /// SPEC example 3: 80 sellers with 30,000.00 affiliate GMV each in October.
    fn eighty_sellers(as_of: &str) -> Fixture {
        let mut f = Fixture::new(as_of);
        for s in 1..=80 {
            add(&mut f, "2025-10-15", "P1", &format!("S{s:02}"), "30000.00");
        }
        f
    }

    #[test]
    fn spec_example_3_cap_keeps_70_by_seller_id() {
        let f = eighty_sellers("2025-10-31");
        let lines = f.run(&AffiliateCredits);
        assert_eq!(lines.len(), 1);
        let oct = line(&lines, "P1", "2025-10");
        assert_eq!(oct.amount, Money::dollars(70_000));
        assert_eq!(oct.kind, Kind::AdCredit);
        assert!(!oct.provisional);
        assert!(
            oct.basis.starts_with("entitlement 70,000.00 (70 of 80 qualifying sellers kept, cap 70) − previous 0.00 = 70,000.00"),
            "{}",
            oct.basis
        );
        assert!(oct.basis.contains("first dropped: S71 (cumulative 30,000.00, credit 1,000.00), 71st by credit, cap 70"), "{}", oct.basis);
        let detail = oct.detail.unwrap();
        assert_eq!(detail.rows.len(), 80);
        let kept: Vec<&str> = detail
            .rows
            .iter()
            .filter(|r| r[3].starts_with("kept"))
            .map(|r| r[0].as_str())
            .collect();
        let expected: Vec<String> = (1..=70).map(|s| format!("S{s:02}")).collect();
        assert_eq!(kept, expected);
        assert_eq!(
            detail.rows[70],
            [
                "S71",
                "30000.00",
                "1000.00",
                "dropped: 71st by credit, cap 70"
            ]
        );
        // People read the amounts with separators; the seller id and status stay.
        assert_eq!(
            detail.human().rows[70],
            [
                "S71",
                "30,000.00",
                "1,000.00",
                "dropped: 71st by credit, cap 70"
            ]
        );
        assert_eq!(detail.rows[0][3], "kept: 1st by credit");
    }

    #[test]
    fn spec_example_3_november_reshuffle_issues_nothing() {
        let mut f = eighty_sellers("2025-11-30");
        for s in 76..=80 {
            add(&mut f, "2025-11-10", "P1", &format!("S{s:02}"), "5000.00");
        }
        let lines = f.run(&AffiliateCredits);
        assert_eq!(line(&lines, "P1", "2025-10").amount, Money::dollars(70_000));
        let nov = line(&lines, "P1", "2025-11");
        assert_eq!(nov.amount, Money::ZERO);
        assert!(
            nov.basis.contains("− previous (2025-10) 70,000.00 = 0.00"),
            "{}",
            nov.basis
        );
        assert!(
            nov.basis
                .ends_with("entitlement unchanged, nothing to issue"),
            "{}",
            nov.basis
        );
        let detail = nov.detail.unwrap();
        let kept: Vec<&str> = detail
            .rows
            .iter()
            .filter(|r| r[3].starts_with("kept"))
            .map(|r| r[0].as_str())
            .collect();
        // The grown sellers lead; S66..S70 fall behind the cap.
        assert_eq!(&kept[..5], ["S76", "S77", "S78", "S79", "S80"]);
        assert_eq!(
            kept[5..],
            (1..=65).map(|s| format!("S{s:02}")).collect::<Vec<_>>()
        );
        assert_eq!(detail.rows[0][1], "35000.00");
        assert_eq!(detail.rows[70][0], "S66");
        assert_eq!(detail.rows[70][3], "dropped: 71st by credit, cap 70");
    }

    #[test]
    fn monthly_true_up_issues_only_the_growth() {
        let mut f = Fixture::new("2025-12-31");
        add(&mut f, "2025-10-03", "P1", "S1", "2000.00"); // 250 in October
        add(&mut f, "2025-11-03", "P1", "S1", "8000.00"); // 10,000 cumulative: 500
        add(&mut f, "2025-12-03", "P1", "S1", "14999.99"); // 24,999.99: still 500
        add(&mut f, "2025-12-03", "P1", "S2", "1999.99");
        let lines = f.run(&AffiliateCredits);
        let amounts: Vec<Money> = ["2025-10", "2025-11", "2025-12"]
            .iter()
            .map(|p| line(&lines, "P1", p).amount)
            .collect();
        assert_eq!(
            amounts,
            [Money::dollars(250), Money::dollars(250), Money::ZERO]
        );
        let dec = line(&lines, "P1", "2025-12");
        assert!(
            dec.basis
                .contains("(1 of 1 qualifying sellers kept, cap 70)"),
            "{}",
            dec.basis
        );
        assert_eq!(dec.steps[0].value, "2025-10-01..2025-12-31");
    }

    #[test]
    fn no_qualifying_seller_says_why() {
        let mut f = Fixture::new("2025-10-31");
        add(&mut f, "2025-10-03", "P1", "S2", "1999.99");
        add(&mut f, "2025-10-03", "P1", "S1", "1999.99");
        f.data.ensure_partner("P2");
        let lines = f.run(&AffiliateCredits);
        let p1 = line(&lines, "P1", "2025-10");
        assert_eq!(p1.amount, Money::ZERO);
        assert_eq!(
            p1.basis,
            "no seller reached the first tier 2,000 of cumulative affiliate GMV 2025-10-01..2025-10-31 (highest S1 1,999.99); entitlement 0.00 − previous 0.00 = 0.00"
        );
        let p2 = line(&lines, "P2", "2025-10");
        assert!(p2.basis.contains("(no affiliate GMV)"), "{}", p2.basis);
    }

    #[test]
    fn month_still_running_has_no_line() {
        let f = eighty_sellers("2025-11-29");
        let lines = f.run(&AffiliateCredits);
        assert_eq!(
            lines.iter().map(|l| l.period.as_str()).collect::<Vec<_>>(),
            ["2025-10"]
        );
    }

    fn credit(seller: &str, dollars: i64) -> SellerCredit {
        SellerCredit {
            seller_id: Text::copy(seller),
            cumulative: Money::ZERO,
            credit: Money::dollars(dollars),
        }
    }

    #[test]
    fn a_true_up_sets_sellers_restated_down_against_the_others() {
        let now = Entitlement {
            kept: vec![credit("S1", 1000), credit("S2", 500)],
            amount: Money::dollars(1500),
            ..Entitlement::default()
        };
        let before: BTreeMap<String, Money> = [
            ("S1".to_string(), Money::dollars(500)),
            ("S3".to_string(), Money::dollars(250)),
        ]
        .into();
        let t = true_up(&now, &before);
        assert_eq!(
            (t.issued_before, t.issued, t.over_issued),
            (Money::dollars(750), Money::dollars(750), Money::ZERO)
        );
        assert_eq!(
            t.sellers,
            [
                ("S1".to_string(), Money::dollars(500)),
                ("S2".to_string(), Money::dollars(500)),
                ("S3".to_string(), Money::dollars(-250)),
            ]
        );
        assert_eq!(t.sellers.iter().map(|s| s.1).sum::<Money>(), t.issued);
        // Below what was issued: nothing issued, nothing changes hands, the rest carried.
        let low = Entitlement {
            kept: vec![credit("S1", 250)],
            amount: Money::dollars(250),
            ..Entitlement::default()
        };
        let t = true_up(&low, &before);
        assert_eq!(
            (t.issued, t.over_issued, t.sellers.len()),
            (Money::ZERO, Money::dollars(500), 0)
        );
    }

    #[test]
    fn closed_months_are_taken_as_the_ledger_issued_them() {
        let mut f = Fixture::new("2025-12-31");
        add(&mut f, "2025-10-03", "P1", "S1", "30000.00"); // 1,000 in October
        add(&mut f, "2025-11-03", "P1", "S2", "2000.00"); // 250 in November
                                                          // The ledger issued only 250 for S1 in October (an export since restated up).
        let mut issued = Issued::default();
        issued.closed_months.insert("2025-10".into());
        issued.affiliate.insert(
            ("P1".into(), "2025-10".into()),
            [("S1".to_string(), Money::dollars(250))].into(),
        );
        let rules = &f.book.rules.affiliate_credits;
        let months = partner_months(rules, &f.periods, "P1", &f.data.partners["P1"], &issued);
        let issues: Vec<Money> = months.iter().map(|m| m.true_up.issued).collect();
        // October as computed now (the close's figures stand in the ledger); November:
        // 1,250 − 250 issued; December: 1,250 − (250 + 1,000) = 0.
        assert_eq!(
            issues,
            [Money::dollars(1000), Money::dollars(1000), Money::ZERO]
        );
        assert_eq!(
            months[2].earlier,
            [
                ("2025-10".to_string(), true),
                ("2025-11".to_string(), false)
            ]
        );
        let ctx = Context {
            rules: &f.book.rules,
            periods: &f.periods,
            data: &f.data,
            figures: Figures::All,
            issued: &issued,
        };
        let Evaluation::Lines(lines) = AffiliateCredits.evaluate(&ctx) else {
            panic!("evaluated")
        };
        let nov = line(&lines, "P1", "2025-11");
        assert_eq!(
            nov.basis,
            "entitlement 1,250.00 (2 of 2 qualifying sellers kept, cap 70) − issued before (2025-10 closed (ledger)) 250.00 = 1,000.00"
        );
        assert!(nov
            .steps
            .iter()
            .any(|s| s.label == ISSUED_BEFORE && s.value == "250.00"));
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 71, 101, 111, 112, 113, 123]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "71st",
                "101st", "111th", "112th", "113th", "123rd"
            ]
        );
    }
}
