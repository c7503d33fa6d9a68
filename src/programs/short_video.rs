//! 1.3 Short-video top 15: a monthly ad credit by rank of the increase of average daily
//! short-video GMV over Q3, and the consistency bonus, issued with the last month, for
//! partners ranked in the top band of every month.

use super::LineHead;
use super::{Cadence, Program, ProgramInfo};
use crate::field;
use crate::input::DataSet;
use crate::leaderboard::{self, rank_phrase, Ranked};
use crate::money::{push_count, Exact, Money};
use crate::payout::{Context, Detail, Evaluation, Kind, Line, Step, Text, TextBuf};
use crate::rules::{
    check_amount, check_at_least_one, check_bands, de_money, Band, Bands, BookKey, Invalid,
};
use crate::window::{Periods, Window, WindowId};

/// The rule (1.3): a partner's increment for a month is its average daily short-video GMV
/// in the month minus its average in Q3 (each a window's sum over its calendar days);
/// partners with a positive increment are ranked by it, then by the month's short-video sum,
/// then by partner_id, and each rank is paid its band ([`rank_outcome`]). Returns the
/// ranked partners, best first, and those not ranked.
pub fn rank_month(entries: impl Iterator<Item = Entry>) -> (Vec<Ranked<Entry>>, Vec<Entry>) {
    let (eligible, ineligible): (Vec<Entry>, Vec<Entry>) =
        entries.partition(|e| e.increment.is_positive());
    let ranked = leaderboard::rank(eligible, |a, b| {
        b.increment
            .cmp(&a.increment)
            .then(b.month_sum.cmp(&a.month_sum))
            .then(a.partner_id.as_bytes().cmp(b.partner_id.as_bytes()))
    });
    (ranked, ineligible)
}

impl Entry {
    /// A partner's figures from its (sum, days) of the month and of Q3.
    pub fn new(partner_id: &str, month: (Money, i64), q3: (Money, i64)) -> Entry {
        let month_avg = Exact::average(month.0, month.1);
        let q3_avg = Exact::average(q3.0, q3.1);
        let increment = month_avg.minus(q3_avg);
        Entry {
            partner_id: Text::copy(partner_id),
            month_sum: month.0,
            q3_sum: q3.0,
            month_avg,
            q3_avg,
            increment,
            shown: Shown {
                month_avg: month_avg.shown(),
                q3_avg: q3_avg.shown(),
                increment: increment.shown(),
            },
        }
    }
}

pub const TOP15: &str = "short_video_top15";
pub const CONSISTENCY: &str = "short_video_consistency";

pub const TOP15_INFO: ProgramInfo = ProgramInfo {
    id: TOP15,
    title: "Short-video top 15",
    kind: Kind::AdCredit,
    cadence: Cadence::Month,
    needs: &[],
    book_section: "short_video_top15",
    // The line's month against Q3.
    gmv_windows: |period, periods| {
        let mut w = vec![WindowId::Q3];
        w.extend(super::month_of(period, periods).map(|i| WindowId::MONTHS[i]));
        w
    },
    rule: |r, mark| super::RuleText {
        issued: "ad credit, monthly".into(),
        text: format!(
            "rank by the month's average daily short-video GMV increment over Q3 (positive \
             only): {} {}",
            r.short_video_top15.bands.describe(),
            mark(Section::BANDS)
        ),
    },
};

/// Issued once, with the last month.
pub const CONSISTENCY_INFO: ProgramInfo = ProgramInfo {
    id: CONSISTENCY,
    title: "Short-video consistency bonus",
    kind: Kind::AdCredit,
    cadence: Cadence::Quarter,
    needs: &[],
    book_section: "short_video_top15",
    gmv_windows: |_, _| {
        let mut w = vec![WindowId::Q3];
        w.extend(WindowId::MONTHS);
        w
    },
    rule: |r, mark| {
        let months: Vec<String> = r
            .windows
            .months()
            .iter()
            .map(|(_, m)| m.month_label())
            .collect();
        let sv = &r.short_video_top15;
        super::RuleText {
            issued: format!("ad credit, {}", months.last().cloned().unwrap_or_default()),
            text: format!(
                "ranked in the top {} {} in every month ({}) → {} {}",
                sv.consistency_top,
                mark(Section::CONSISTENCY_TOP),
                months.join(", "),
                sv.consistency_amount.human(),
                mark(Section::CONSISTENCY_AMOUNT)
            ),
        }
    },
};

pub struct ShortVideo;

/// The book's `[short_video_top15]`: the monthly bands and the consistency bonus.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub bands: Bands,
    pub consistency_top: usize,
    #[serde(deserialize_with = "de_money")]
    pub consistency_amount: Money,
}

/// The section as the rule reads it.
type Rules = Section;

impl Section {
    pub const BANDS: BookKey = TOP15_INFO.key(field!(Section, bands));
    pub const CONSISTENCY_TOP: BookKey = CONSISTENCY_INFO.key(field!(Section, consistency_top));
    pub const CONSISTENCY_AMOUNT: BookKey =
        CONSISTENCY_INFO.key(field!(Section, consistency_amount));

    pub fn validate(&self) -> Result<(), Invalid> {
        check_bands(Self::BANDS, &self.bands)?;
        check_at_least_one(Self::CONSISTENCY_TOP, self.consistency_top)?;
        check_amount(Self::CONSISTENCY_AMOUNT, self.consistency_amount)
    }
}

/// One partner's short-video figures for one month.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Kept in place when short (most ids): every partner, every month.
    pub partner_id: Text,
    pub month_sum: Money,
    pub q3_sum: Money,
    pub month_avg: Exact,
    pub q3_avg: Exact,
    pub increment: Exact,
    /// The averages and increment as people read them. Every partner's basis shows them,
    /// and the month's tables show each ranked partner's increment on many lines.
    pub shown: Shown,
}

/// Exact figures of an [`Entry`] rounded down to the cent, once.
#[derive(Clone, Copy, Debug)]
pub struct Shown {
    pub month_avg: Money,
    pub q3_avg: Money,
    pub increment: Money,
}

/// Where a partner stands on a month's leaderboard.
pub enum Standing<'a> {
    Ranked(&'a Ranked<Entry>),
    /// Increment not positive: not ranked.
    Ineligible(&'a Entry),
}

impl Standing<'_> {
    pub fn entry(&self) -> &Entry {
        match self {
            Standing::Ranked(r) => &r.item,
            Standing::Ineligible(e) => e,
        }
    }

    pub fn rank(&self) -> Option<usize> {
        match self {
            Standing::Ranked(r) => Some(r.rank),
            Standing::Ineligible(_) => None,
        }
    }
}

/// A month's leaderboard: the eligible partners ranked best first, the others apart.
pub struct Board {
    pub month: WindowId,
    pub window: Window,
    pub q3: Window,
    pub ranked: Vec<Ranked<Entry>>,
    pub ineligible: Vec<Entry>,
    /// By the partner's position in the data's partner_id order: (ranked?, index into
    /// `ranked` or `ineligible`).
    by_partner: Vec<(bool, usize)>,
    /// Texts every line of the month shows: written once.
    label: String,
    label_text: Text,
    window_text: Text,
    q3_text: Text,
    texts: StepTexts,
}

/// Labels and sources of the figures every line of a month shows: written once.
struct StepTexts {
    /// `2025-11 window`.
    window_label: Text,
    window_cite: Text,
    /// `2025-11 short_video_gmv sum`.
    sum_label: Text,
    /// `2025-11 average daily short_video_gmv`.
    average_label: Text,
    /// ` / 30 days`.
    over_month_days: String,
    /// ` / 92 days`.
    over_q3_days: String,
    /// `2025-11 rank`.
    rank_label: Text,
    /// ` over 30 days) − Q3 ` and ` over 92 days) = increment `: of the basis.
    month_days_then_q3: String,
    q3_days_then_increment: String,
}

/// `96,540.20 / 30 days`, `over` being ` / 30 days`.
fn over_days(sum: Money, over: &str) -> Text {
    TextBuf::new().human(sum).push_str(over).finish()
}

impl Board {
    /// Ranks every partner of `data` for `month` (a month that has ended) by [`rank_month`].
    pub fn new(data: &DataSet, month: WindowId, window: Window, q3: Window) -> Board {
        let entries = data.partners.iter().map(|(partner_id, partner)| {
            Entry::new(
                partner_id,
                (partner.total(month).short_video, window.days()),
                (partner.total(WindowId::Q3).short_video, q3.days()),
            )
        });
        let (ranked, ineligible) = rank_month(entries);
        let ids: Vec<&str> = data.partners.keys().map(String::as_str).collect();
        let mut by_partner = vec![(false, usize::MAX); ids.len()];
        let places = ranked
            .iter()
            .enumerate()
            .map(|(i, r)| (r.item.partner_id.as_str(), (true, i)))
            .chain(
                ineligible
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.partner_id.as_str(), (false, i))),
            );
        for (partner_id, place) in places {
            let position = ids
                .binary_search(&partner_id)
                .expect("every entry is a partner of the data");
            by_partner[position] = place;
        }
        Board {
            month,
            window,
            q3,
            ranked,
            ineligible,
            by_partner,
            label: window.month_label(),
            label_text: Text::shared(window.month_label()),
            window_text: Text::shared(window.to_string()),
            q3_text: Text::shared(q3.to_string()),
            texts: StepTexts {
                window_label: Text::shared(format!("{} window", window.month_label())),
                window_cite: Text::shared(month.book_key().cite()),
                sum_label: Text::shared(format!("{} short_video_gmv sum", window.month_label())),
                average_label: Text::shared(format!(
                    "{} average daily short_video_gmv",
                    window.month_label()
                )),
                over_month_days: format!(" / {} days", window.days()),
                over_q3_days: format!(" / {} days", q3.days()),
                rank_label: Text::shared(format!("{} rank", window.month_label())),
                month_days_then_q3: format!(" over {} days) − Q3 ", window.days()),
                q3_days_then_increment: format!(" over {} days) = increment ", q3.days()),
            },
        }
    }

    /// The board of an ended month, from the run's periods; `None` when the month has not
    /// ended or the Q3 baseline is not available.
    pub fn of_month(data: &DataSet, periods: &Periods, month: WindowId) -> Option<Board> {
        let q3 = periods.cut(WindowId::Q3)?;
        periods
            .complete(month)
            .then(|| Board::new(data, month, periods.full(month), q3))
    }

    pub fn label(&self) -> String {
        self.label.clone()
    }

    /// Where the partner at `position` of the data's partner_id order stands.
    pub fn standing_at(&self, position: usize) -> Standing<'_> {
        match self.by_partner[position] {
            (true, i) => Standing::Ranked(&self.ranked[i]),
            (false, i) => Standing::Ineligible(&self.ineligible[i]),
        }
    }

    /// "2025-11 avg daily short-video GMV … − Q3 … = increment …".
    pub fn figures(&self, e: &Entry) -> String {
        // Written piece by piece: one sentence per partner and month.
        let mut out = String::with_capacity(160);
        out.push_str(&self.label);
        out.push_str(" avg daily short-video GMV ");
        e.shown.month_avg.push_human(&mut out);
        out.push_str(" (");
        e.month_sum.push_human(&mut out);
        out.push_str(&self.texts.month_days_then_q3);
        e.shown.q3_avg.push_human(&mut out);
        out.push_str(" (");
        e.q3_sum.push_human(&mut out);
        out.push_str(&self.texts.q3_days_then_increment);
        e.shown.increment.push_human(&mut out);
        out
    }

    /// The board's rows as detail tables show them (rank, partner_id, increment,
    /// short_video_gmv, amount), best first: every partner's table shows a few of them,
    /// so they are written once.
    fn rows(&self, bands: &Bands) -> Vec<[Text; 5]> {
        self.ranked
            .iter()
            .map(|r| {
                [
                    Text::count(r.rank),
                    Text::shared(r.item.partner_id.as_str()),
                    Text::plain(r.item.shown.increment),
                    Text::plain(r.item.month_sum),
                    Text::plain(bands.pay(r.rank)),
                ]
            })
            .collect()
    }

    /// Ranks shown around `center`: two either side, the last paid rank and the first
    /// unpaid one (so a reader sees the cut-off), best first.
    pub fn neighbour_ranks(&self, center: Option<usize>, paid: usize) -> Vec<usize> {
        let n = self.ranked.len();
        let mut ranks = Vec::with_capacity(7);
        if let Some(c) = center {
            ranks.extend(c.saturating_sub(2).max(1)..=(c + 2).min(n));
        }
        ranks.extend([paid, paid + 1].into_iter().filter(|r| (1..=n).contains(r)));
        ranks.sort_unstable();
        ranks.dedup();
        ranks
    }
}

/// "rank 1" or "ranks 2–3".
pub fn band_ranks(b: &Band) -> String {
    if b.from == b.to {
        format!("rank {}", b.from)
    } else {
        format!("ranks {}–{}", b.from, b.to)
    }
}

/// The amount a rank earns and the sentence saying why.
pub fn rank_outcome(bands: &Bands, rank: usize, of: usize) -> (Money, String) {
    let phrase = rank_phrase(rank, of, bands.paid_ranks());
    match bands.lookup(rank) {
        Some((_, b)) => (
            b.amount,
            format!("{phrase}: {} → {}", band_ranks(b), b.amount.human()),
        ),
        None if rank <= bands.paid_ranks() => (
            Money::ZERO,
            format!("{phrase}; no prize band for rank {rank}"),
        ),
        None => (Money::ZERO, phrase),
    }
}

/// Book figures every line of a run shows: written once.
struct BookTexts {
    bands: Text,
    bands_cite: Text,
    q3_cite: Text,
    top_cite: Text,
    amount_cite: Text,
    /// `rank 1–15 in every month`, `15`, the bonus, the ranks paid.
    required: Text,
    top: Text,
    bonus: Text,
    paid_ranks: Text,
    consistency_title: String,
}

impl BookTexts {
    fn of(rules: &Rules) -> BookTexts {
        BookTexts {
            bands: Text::shared(rules.bands.describe()),
            bands_cite: Text::shared(Section::BANDS.cite()),
            q3_cite: Text::shared(crate::window_key!(q3).cite()),
            top_cite: Text::shared(Section::CONSISTENCY_TOP.cite()),
            amount_cite: Text::shared(Section::CONSISTENCY_AMOUNT.cite()),
            required: Text::shared(format!("rank 1–{} in every month", rules.consistency_top)),
            top: Text::count(rules.consistency_top),
            bonus: Text::human(rules.consistency_amount),
            paid_ranks: Text::count(rules.bands.paid_ranks()),
            consistency_title: format!(
                "monthly short-video ranks (top {} needed in every month)",
                rules.consistency_top
            ),
        }
    }
}

fn month_line(
    rules: &Rules,
    texts: &BookTexts,
    board: &Board,
    shown: &BoardShown,
    partner_id: &str,
    position: usize,
    figures: bool,
) -> Line {
    let label = &board.label;
    let head = LineHead {
        partner_id,
        program: &TOP15_INFO,
        period: label,
        provisional: false,
        figures,
    };
    let standing = board.standing_at(position);
    let e = standing.entry();
    let figures = board.figures(e);
    let of = board.ranked.len();
    let (amount, basis) = match standing.rank() {
        Some(rank) => {
            let (amount, mut why) = rank_outcome(&rules.bands, rank, of);
            why.reserve_exact(2 + figures.len());
            why.push_str("; ");
            why.push_str(&figures);
            (amount, why)
        }
        None => {
            let mut why = String::with_capacity(figures.len() + 28);
            why.push_str("increment not positive (");
            why.push_str(&figures);
            why.push(')');
            (Money::ZERO, why)
        }
    };
    let steps = || {
        let mut rank_figures = Vec::with_capacity(2 + usize::from(standing.rank().is_some()));
        rank_figures.push(Step::new("partners ranked", Text::count(of)));
        rank_figures.push(
            Step::new("ranks paid", texts.paid_ranks.clone()).source(texts.bands_cite.clone()),
        );
        if let Some(r) = standing.rank() {
            rank_figures.push(Step::new(
                "band",
                rules
                    .bands
                    .lookup(r)
                    .map_or(Text::from("no band"), |(_, b)| band_ranks(b).into()),
            ));
        }
        let mut rank = Step::new(
            "rank",
            standing.rank().map_or(Text::from("not ranked"), |r| {
                TextBuf::new().count(r).push_str(" of ").count(of).finish()
            }),
        )
        .source("increment desc, then month short_video_gmv sum desc, then partner_id asc");
        rank.children = rank_figures;
        vec![
            Step::new(board.texts.window_label.clone(), board.window_text.clone())
                .source(board.texts.window_cite.clone()),
            Step::new(board.texts.sum_label.clone(), Text::human(e.month_sum))
                .source("gmv_daily.csv"),
            Step::new(
                board.texts.average_label.clone(),
                Text::human(e.shown.month_avg),
            )
            .source(over_days(e.month_sum, &board.texts.over_month_days)),
            Step::new("Q3 window", board.q3_text.clone()).source(texts.q3_cite.clone()),
            Step::new("Q3 short_video_gmv sum", Text::human(e.q3_sum)).source("gmv_daily.csv"),
            Step::new(
                "Q3 average daily short_video_gmv",
                Text::human(e.shown.q3_avg),
            )
            .source(over_days(e.q3_sum, &board.texts.over_q3_days)),
            Step::new("increment", Text::human(e.shown.increment))
                .source("month average − Q3 average, compared exactly"),
            Step::new(
                "eligible",
                if e.increment.is_positive() {
                    "yes: increment > 0"
                } else {
                    "no: increment not positive"
                },
            ),
            rank,
            Step::new("bands", texts.bands.clone()).source(texts.bands_cite.clone()),
            Step::new("amount", Text::human(amount)),
        ]
    };
    let paid = rules.bands.paid_ranks();
    let rows = || {
        board
            .neighbour_ranks(standing.rank(), paid)
            .into_iter()
            .map(|r| shown.rows[r - 1].to_vec())
            .collect()
    };
    let mut line = head.line(amount, basis, steps);
    line.detail = head.detail(|| {
        Detail::new(
            shown.title.clone(),
            &[
                "rank",
                "partner_id",
                "increment",
                "short_video_gmv",
                "amount",
            ],
            rows(),
        )
        .amounts(&["increment", "short_video_gmv", "amount"])
    });
    line
}

/// Appends "2025-10 rank 3 of 12" or "2025-10 not ranked, increment not positive".
fn push_month_standing(out: &mut String, board: &Board, rank: Option<usize>) {
    out.push_str(&board.label);
    match rank {
        Some(r) => {
            out.push_str(" rank ");
            push_count(out, r);
            out.push_str(" of ");
            push_count(out, board.ranked.len());
        }
        None => out.push_str(" not ranked, increment not positive"),
    }
}

fn consistency_line(
    rules: &Rules,
    texts: &BookTexts,
    boards: &[Board],
    partner_id: &str,
    position: usize,
    figures: bool,
) -> Line {
    let last = boards.last().expect("every month has a board");
    let head = LineHead {
        partner_id,
        program: &CONSISTENCY_INFO,
        period: &last.label,
        provisional: false,
        figures,
    };
    let top = rules.consistency_top;
    let standings: Vec<Standing> = boards.iter().map(|b| b.standing_at(position)).collect();
    let in_top = |r: Option<usize>| r.is_some_and(|r| r <= top);
    let all = standings.iter().all(|s| in_top(s.rank()));
    let amount = if all {
        rules.consistency_amount
    } else {
        Money::ZERO
    };
    // Written piece by piece: one sentence per partner.
    let mut basis = String::with_capacity(64 + 48 * boards.len());
    basis.push_str(if all { "top " } else { "not top " });
    push_count(&mut basis, top);
    basis.push_str(" in all ");
    push_count(&mut basis, boards.len());
    basis.push_str(" months: ");
    for (i, (b, s)) in boards.iter().zip(&standings).enumerate() {
        if i > 0 {
            basis.push_str("; ");
        }
        push_month_standing(&mut basis, b, s.rank());
        if !all && !in_top(s.rank()) {
            basis.push_str(" (missed)");
        }
    }
    if all {
        basis.push_str(" → ");
        amount.push_human(&mut basis);
    }
    let steps = || {
        let mut steps: Vec<Step> = Vec::with_capacity(boards.len() + 3);
        steps.extend(boards.iter().zip(&standings).map(|(b, s)| {
            let mut text = String::with_capacity(48);
            push_month_standing(&mut text, b, s.rank());
            Step::new(b.texts.rank_label.clone(), text)
        }));
        steps.push(
            Step::new("required", texts.required.clone())
                .source(texts.top_cite.clone())
                .child(Step::new("last rank counted", texts.top.clone())),
        );
        steps.push(Step::new("bonus", texts.bonus.clone()).source(texts.amount_cite.clone()));
        steps.push(Step::new("amount", Text::human(amount)));
        steps
    };
    let rows = || {
        boards
            .iter()
            .zip(&standings)
            .map(|(b, s)| {
                let r = s.rank();
                vec![
                    b.label_text.clone(),
                    r.map_or(Text::from("not ranked"), |r| {
                        TextBuf::new()
                            .count(r)
                            .push_str(" of ")
                            .count(b.ranked.len())
                            .finish()
                    }),
                    Text::plain(s.entry().shown.increment),
                    Text::from(if in_top(r) { "yes" } else { "no" }),
                ]
            })
            .collect()
    };
    let mut line = head.line(amount, basis, steps);
    line.detail = head.detail(|| {
        Detail::new(
            texts.consistency_title.clone(),
            &["month", "rank", "increment", "in top"],
            rows(),
        )
        .amounts(&["increment"])
    });
    line
}

/// What the lines of a month whose figures are shown share: the leaderboard's rows and
/// the title of its table, written once.
#[derive(Default)]
struct BoardShown {
    rows: Vec<[Text; 5]>,
    title: String,
}

impl Program for ShortVideo {
    fn payouts(&self) -> &'static [&'static ProgramInfo] {
        &[&TOP15_INFO, &CONSISTENCY_INFO]
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
        let rules = &ctx.rules.short_video_top15;
        let boards: Option<Vec<Board>> = months
            .iter()
            .map(|m| Board::of_month(ctx.data, periods, *m))
            .collect();
        let Some(boards) = boards else {
            return Evaluation::NotEvaluated("the Q3 baseline starts after the as-of date".into());
        };
        let every_month = months.len() == WindowId::MONTHS.len();
        let texts = BookTexts::of(rules);
        // Whether each month's lines, and the consistency line (the last month's), show
        // their figures.
        let shown: Vec<bool> = boards
            .iter()
            .map(|b| ctx.figures_for(TOP15_INFO.kind, &b.label()))
            .collect();
        let consistency_shown = boards
            .last()
            .is_some_and(|b| ctx.figures_for(CONSISTENCY_INFO.kind, &b.label()));
        let paid = rules.bands.paid_ranks();
        let board_shown: Vec<BoardShown> = boards
            .iter()
            .zip(&shown)
            .map(|(b, shown)| {
                if *shown {
                    BoardShown {
                        rows: b.rows(&rules.bands),
                        title: format!(
                            "{} short-video leaderboard ({} ranked, top {paid} paid)",
                            b.label,
                            b.ranked.len()
                        ),
                    }
                } else {
                    BoardShown::default()
                }
            })
            .collect();
        let mut lines =
            Vec::with_capacity(ctx.data.partners.len() * (boards.len() + every_month as usize));
        // Boards index partners by their position in partner_id order.
        for (position, partner_id) in ctx.data.partners.keys().enumerate() {
            for ((board, board_shown), figures) in boards.iter().zip(&board_shown).zip(&shown) {
                lines.push(month_line(
                    rules,
                    &texts,
                    board,
                    board_shown,
                    partner_id,
                    position,
                    *figures,
                ));
            }
            if every_month {
                lines.push(consistency_line(
                    rules,
                    &texts,
                    &boards,
                    partner_id,
                    position,
                    consistency_shown,
                ));
            }
        }
        Evaluation::Lines(lines)
    }

    fn not_evaluated(&self, ctx: &Context) -> Vec<(&'static str, String)> {
        let last = *WindowId::MONTHS.last().expect("months");
        if ctx.periods.complete(last) {
            return Vec::new();
        }
        let w = ctx.periods.full(last);
        vec![(
            CONSISTENCY,
            format!(
                "issued with {}, which ends {}, after the as-of date {}",
                w.month_label(),
                w.end,
                ctx.periods.as_of
            ),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Channels, GmvRow};
    use crate::payout::Figures;
    use crate::programs::testkit::*;

    fn sv(d: chrono::NaiveDate, partner: &str, amount: &str) -> GmvRow {
        GmvRow {
            date: d,
            partner_id: partner.into(),
            seller_id: "S1".into(),
            channels: Channels {
                gmv: money(amount),
                short_video: money(amount),
                ..Channels::default()
            },
        }
    }

    fn lines_of(lines: &[Line], program: &str, period: &str) -> Vec<Line> {
        lines
            .iter()
            .filter(|l| l.program == program && l.period == period)
            .cloned()
            .collect()
    }

    /// SPEC example 2: sixteen partners with the same positive October increment (500.00
    /// a day over their own Q3); P01..P16 with daily Q3 short-video 100 × k for k =
    /// 16,15,…,3,2,2 so that the October sums fall with the id and the last two tie.
    fn sixteen_tied() -> Fixture {
        let mut f = Fixture::new("2025-10-31");
        for i in 1..=16u32 {
            let k = (17 - i).max(2);
            let p = format!("P{i:02}");
            let q3 = format!("{}.00", 100 * k);
            let oct = format!("{}.00", 100 * k + 500);
            let (pq, po) = (p.clone(), p.clone());
            f.daily("2025-07-01", "2025-09-30", move |d| sv(d, &pq, &q3));
            f.daily("2025-10-01", "2025-10-31", move |d| sv(d, &po, &oct));
        }
        f
    }

    #[test]
    fn spec_example_2_sixteenth_of_sixteen_gets_a_zero_line() {
        let f = sixteen_tied();
        let lines = lines_of(&f.run(&ShortVideo), TOP15, "2025-10");
        assert_eq!(lines.len(), 16);
        let paid: Vec<&Line> = lines.iter().filter(|l| l.amount.is_positive()).collect();
        assert_eq!(paid.len(), 15);
        // P15 and P16 tie on increment and October sum: the id decides.
        let p15 = lines.iter().find(|l| l.partner_id == "P15").unwrap();
        assert!(
            p15.basis
                .starts_with("rank 15 of 16, top 15 paid: ranks 11–15 → 1,000.00"),
            "{}",
            p15.basis
        );
        let p16 = lines.iter().find(|l| l.partner_id == "P16").unwrap();
        assert_eq!(p16.amount, Money::ZERO);
        assert!(
            p16.basis.contains("rank 16 of 16, top 15 paid"),
            "{}",
            p16.basis
        );
        assert!(p16.basis.contains("increment 500.00"), "{}", p16.basis);
        let p01 = lines.iter().find(|l| l.partner_id == "P01").unwrap();
        assert_eq!(p01.amount, Money::dollars(5_000));
        assert!(p01.basis.starts_with("rank 1 of 16"), "{}", p01.basis);
        let amounts: Vec<i64> = lines
            .iter()
            .map(|l| l.amount.as_decimal().try_into().unwrap())
            .collect();
        assert_eq!(
            amounts,
            [
                5000, 4000, 4000, 3000, 3000, 3000, 2000, 2000, 2000, 2000, 1000, 1000, 1000, 1000,
                1000, 0
            ]
        );
        // The 16th line shows the cut-off around it.
        let detail = p16.detail.as_ref().unwrap();
        let ranks: Vec<&str> = detail.rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(ranks, ["14", "15", "16"]);
    }

    #[test]
    fn months_still_running_have_no_lines_and_consistency_waits_for_december() {
        let f = sixteen_tied();
        let lines = f.run(&ShortVideo);
        assert!(lines
            .iter()
            .all(|l| l.period == "2025-10" && l.program == TOP15));
        let ctx = Context {
            rules: &f.book.rules,
            periods: &f.periods,
            data: &f.data,
            figures: Figures::All,
            issued: &crate::payout::Issued::NONE,
        };
        let pending = ShortVideo.not_evaluated(&ctx);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].0, CONSISTENCY);

        let mut early = Fixture::new("2025-10-30");
        early.daily("2025-10-01", "2025-10-30", |d| sv(d, "P1", "10.00"));
        let ctx = Context {
            rules: &early.book.rules,
            periods: &early.periods,
            data: &early.data,
            figures: Figures::All,
            issued: &crate::payout::Issued::NONE,
        };
        match ShortVideo.evaluate(&ctx) {
            Evaluation::NotEvaluated(reason) => {
                assert!(reason.contains("2025-10, ends 2025-10-31"), "{reason}")
            }
            _ => panic!("October has not ended"),
        }
    }

    #[test]
    fn not_positive_increment_is_not_ranked() {
        let mut f = Fixture::new("2025-10-31");
        f.daily("2025-07-01", "2025-09-30", |d| sv(d, "P1", "100.00"));
        f.daily("2025-10-01", "2025-10-31", |d| sv(d, "P1", "100.00"));
        f.daily("2025-10-01", "2025-10-31", |d| sv(d, "P2", "0.01"));
        let p1 = f.line_of(&ShortVideo, "P1");
        assert_eq!(p1.amount, Money::ZERO);
        assert!(
            p1.basis.starts_with("increment not positive ("),
            "{}",
            p1.basis
        );
        assert!(p1.basis.contains("= increment 0.00)"), "{}", p1.basis);
        let p2 = f.line_of(&ShortVideo, "P2");
        assert_eq!(p2.amount, Money::dollars(5_000));
        assert!(
            p2.basis
                .starts_with("rank 1 of 1, top 15 paid: rank 1 → 5,000.00"),
            "{}",
            p2.basis
        );
        assert_eq!(p2.kind, Kind::AdCredit);
        assert!(!p2.provisional);
    }

    #[test]
    fn ties_on_increment_fall_to_the_month_sum_then_the_id() {
        // Over a zero Q3: P1 and P3 tie on increment and November sum, P2 is a cent short.
        let mut f = Fixture::new("2025-11-30");
        f.daily("2025-11-01", "2025-11-01", |d| sv(d, "P1", "3000.00"));
        f.daily("2025-11-01", "2025-11-01", |d| sv(d, "P2", "2999.99"));
        f.daily("2025-11-02", "2025-11-02", |d| sv(d, "P3", "3000.00"));
        let lines = lines_of(&f.run(&ShortVideo), TOP15, "2025-11");
        let basis = |p: &str| {
            lines
                .iter()
                .find(|l| l.partner_id == p)
                .unwrap()
                .basis
                .clone()
        };
        assert!(basis("P1").starts_with("rank 1 of 3, "), "{}", basis("P1"));
        assert!(basis("P3").starts_with("rank 2 of 3, "), "{}", basis("P3"));
        assert!(basis("P2").starts_with("rank 3 of 3, "), "{}", basis("P2"));
        assert!(
            basis("P2").contains("2025-11 avg daily short-video GMV 99.99 (2,999.99 over 30 days)"),
            "{}",
            basis("P2")
        );
    }

    #[test]
    fn consistency_needs_the_top_band_in_every_month() {
        let mut f = Fixture::new("2025-12-31");
        // P1 grows in every month; P2 only in October and December.
        f.daily("2025-10-01", "2025-12-31", |d| sv(d, "P1", "50.00"));
        f.daily("2025-10-01", "2025-10-31", |d| sv(d, "P2", "50.00"));
        f.daily("2025-12-01", "2025-12-31", |d| sv(d, "P2", "50.00"));
        let lines = f.run(&ShortVideo);
        let c1 = lines_of(&lines, CONSISTENCY, "2025-12");
        assert_eq!(c1.len(), 2);
        assert_eq!(c1[0].amount, Money::dollars(2_000));
        assert_eq!(c1[0].kind, Kind::AdCredit);
        assert!(
            c1[0]
                .basis
                .starts_with("top 15 in all 3 months: 2025-10 rank 1 of 2; 2025-11 rank 1 of 1;"),
            "{}",
            c1[0].basis
        );
        assert_eq!(c1[1].amount, Money::ZERO);
        assert!(
            c1[1].basis.contains(
                "; 2025-11 not ranked, increment not positive (missed); 2025-12 rank 2 of 2"
            ),
            "{}",
            c1[1].basis
        );
        assert_eq!(lines.len(), 2 * 4);
    }

    #[test]
    fn consistency_top_comes_from_the_book() {
        let mut f = Fixture::new("2025-12-31");
        f.book.rules.programs.short_video_top15.consistency_top = 1;
        f.daily("2025-10-01", "2025-12-31", |d| sv(d, "P1", "50.00"));
        f.daily("2025-10-01", "2025-12-31", |d| sv(d, "P2", "40.00"));
        let lines = lines_of(&f.run(&ShortVideo), CONSISTENCY, "2025-12");
        assert_eq!(lines[0].amount, Money::dollars(2_000));
        assert_eq!(lines[1].amount, Money::ZERO);
        assert!(
            lines[1].basis.contains("not top 1 in all 3 months"),
            "{}",
            lines[1].basis
        );
    }
}
