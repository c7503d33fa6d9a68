//! 6a creator matchmaking and 6c live-stream championship: BFCM leaderboards. Both rank the
//! partners whose BFCM sum meets an eligibility floor (never prorated by --as-of) and pay
//! prizes by rank band; they differ only in the metric and its tie-breakers.

use super::{plural, LineHead};
use super::{Cadence, Program, ProgramInfo};
use crate::book::Rules;
use crate::field;
use crate::input::{InputFile, PartnerData};
use crate::leaderboard::{rank, rank_phrase, Ranked};
use crate::money::{human_decimal, Money};
use crate::payout::{Context, Detail, Evaluation, Kind, Line, Step, Text};
use crate::rules::{check_bands, check_non_negative, de_decimal, Bands, BookKey, Invalid};
use crate::window::{Window, WindowId};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The book section of a BFCM leaderboard (`[bfcm_matchmaking]`,
/// `[bfcm_live_championship]`): an eligibility floor on its metric and prizes by rank.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaderboard {
    #[serde(deserialize_with = "de_decimal")]
    pub min_gmv: rust_decimal::Decimal,
    pub prizes: Bands,
}

impl Leaderboard {
    /// The key of `min_gmv` in the board's section.
    pub const fn min_gmv_key(board: &ProgramInfo) -> BookKey {
        board.key(field!(Leaderboard, min_gmv))
    }

    pub const fn prizes_key(board: &ProgramInfo) -> BookKey {
        board.key(field!(Leaderboard, prizes))
    }

    /// `board` is the payout whose section this is.
    pub fn validate(&self, board: &ProgramInfo) -> Result<(), Invalid> {
        check_non_negative(Self::min_gmv_key(board), self.min_gmv)?;
        check_bands(Self::prizes_key(board), &self.prizes)
    }
}

/// The rule (6a, 6c): the partners whose BFCM metric meets the floor (never prorated) are
/// ranked by the metric, then by the board's count (more first), then by partner_id;
/// each rank is paid its band's prize (`Bands::pay`), ranks past the last band nothing.
fn standings<'a>(
    scores: &BTreeMap<&'a str, Score>,
    floor: rust_decimal::Decimal,
) -> Vec<Ranked<&'a str>> {
    // Each entrant with its score: the sort compares them without looking them up.
    let eligible: Vec<(&str, &Score)> = scores
        .iter()
        .filter(|(_, s)| s.metric.as_decimal() >= floor)
        .map(|(id, s)| (*id, s))
        .collect();
    rank(eligible, |a, b| better(a.1, b.1).then(a.0.cmp(b.0)))
        .into_iter()
        .map(|r| Ranked {
            rank: r.rank,
            item: r.item.0,
        })
        .collect()
}

/// A partner's standing on a board: the metric, an optional count that breaks ties on it
/// (higher first), and the figures the metric is made of.
struct Score {
    metric: Money,
    count: Option<usize>,
}

/// What sets one BFCM leaderboard apart from the other.
struct Board {
    program: &'static ProgramInfo,
    /// The metric in a sentence: "matched BFCM GMV".
    metric: &'static str,
    /// Where the metric comes from, for explanations.
    source: &'static str,
    /// What `Score::count` counts, singular: "pair" (empty when the board has no count).
    count: &'static str,
    tie_breakers: &'static str,
    rules: fn(&Rules) -> &Leaderboard,
    score: fn(&PartnerData) -> Score,
    /// The figures the metric is made of, for the lines that show them.
    parts: fn(&PartnerData) -> Vec<Step>,
}

/// 6a: the partner's matched creator GMV in BFCM; ties go to more distinct (seller, creator)
/// pairs that sold, then to the lower partner_id.
pub struct BfcmMatchmaking;

const MATCHMAKING: Board = Board {
    program: &MATCHMAKING_INFO,
    metric: "matched BFCM GMV",
    source: "matchmaking.csv gmv",
    count: "pair",
    tie_breakers: "distinct (seller, creator) pairs with GMV > 0 descending, then partner_id",
    rules: |r| &r.bfcm_matchmaking,
    score: |p| {
        let metric = p.matched.values().sum();
        let count = p.matched.values().filter(|g| g.is_positive()).count();
        Score {
            metric,
            count: Some(count),
        }
    },
    parts: |p| {
        p.matched
            .iter()
            .filter(|(_, g)| g.is_positive())
            .map(|((seller, creator), g)| {
                Step::new(crate::text!("{seller} × {creator}"), Text::human(*g))
            })
            .collect()
    },
};

/// 6c: the partner's live-stream GMV in BFCM; ties go to the lower partner_id.
pub struct BfcmLive;

const LIVE: Board = Board {
    program: &LIVE_INFO,
    metric: "live GMV",
    source: "gmv_daily.csv live_gmv",
    count: "",
    tie_breakers: "partner_id",
    rules: |r| &r.bfcm_live_championship,
    score: |p| Score {
        metric: p.total(WindowId::Bfcm).live,
        count: None,
    },
    parts: |p| {
        p.sellers
            .iter()
            .filter(|(_, s)| s.live(WindowId::Bfcm).is_positive())
            .map(|(id, s)| Step::new(Text::copy(id), Text::human(s.live(WindowId::Bfcm))))
            .collect()
    },
};

pub const MATCHMAKING_INFO: ProgramInfo = ProgramInfo {
    id: "bfcm_matchmaking",
    title: "BFCM creator matchmaking",
    kind: Kind::Cash,
    cadence: Cadence::Bfcm,
    needs: &[InputFile::Matchmaking],
    book_section: "bfcm_matchmaking",
    gmv_windows: ProgramInfo::no_gmv_windows,
    rule: |r, mark| leaderboard_rule(&MATCHMAKING_INFO, &r.bfcm_matchmaking, "matched GMV", mark),
};

pub const LIVE_INFO: ProgramInfo = ProgramInfo {
    id: "bfcm_live_championship",
    title: "BFCM live-stream championship",
    kind: Kind::Cash,
    cadence: Cadence::Bfcm,
    needs: &[],
    book_section: "bfcm_live_championship",
    gmv_windows: |_, _| vec![WindowId::Bfcm],
    rule: |r, mark| {
        leaderboard_rule(
            &LIVE_INFO,
            &r.bfcm_live_championship,
            "live-stream GMV",
            mark,
        )
    },
};

fn leaderboard_rule(
    board: &ProgramInfo,
    lb: &Leaderboard,
    metric: &str,
    mark: &super::Mark,
) -> super::RuleText {
    super::RuleText {
        issued: "cash, bfcm".into(),
        text: format!(
            "leaderboard on the partner's {metric} in BFCM, entered from {} {}: {} {}",
            human_decimal(lb.min_gmv),
            mark(Leaderboard::min_gmv_key(board)),
            lb.prizes.describe(),
            mark(Leaderboard::prizes_key(board))
        ),
    }
}

impl Program for BfcmMatchmaking {
    fn payouts(&self) -> &'static [&'static ProgramInfo] {
        &[&MATCHMAKING_INFO]
    }

    fn evaluate(&self, ctx: &Context) -> Evaluation {
        MATCHMAKING.evaluate(ctx)
    }
}

impl Program for BfcmLive {
    fn payouts(&self) -> &'static [&'static ProgramInfo] {
        &[&LIVE_INFO]
    }

    fn evaluate(&self, ctx: &Context) -> Evaluation {
        LIVE.evaluate(ctx)
    }
}

/// The BFCM window cut at the evaluation date, or why the challenge is not evaluated yet.
pub(crate) fn bfcm_window(ctx: &Context) -> Result<Window, Evaluation> {
    ctx.periods.cut(WindowId::Bfcm).ok_or_else(|| {
        Evaluation::NotEvaluated("the BFCM window starts after the as-of date".into())
    })
}

impl Board {
    fn with_count(&self, s: &Score) -> String {
        match s.count {
            Some(n) => format!("{} ({})", s.metric.human(), plural(n, self.count)),
            None => s.metric.human(),
        }
    }

    fn evaluate(&self, ctx: &Context) -> Evaluation {
        let bfcm = match bfcm_window(ctx) {
            Ok(w) => w,
            Err(not_evaluated) => return not_evaluated,
        };
        let rules = (self.rules)(ctx.rules);
        let key = self.program.book_section;
        let scores: BTreeMap<&str, Score> = ctx
            .data
            .partners
            .iter()
            .map(|(id, p)| (id.as_str(), (self.score)(p)))
            .collect();
        let ranked = standings(&scores, rules.min_gmv);
        let entrants = ranked.len();
        let paid = rules.prizes.paid_ranks().min(entrants);
        let rank_of: BTreeMap<&str, usize> = ranked.iter().map(|r| (r.item, r.rank)).collect();
        let mut columns: Vec<Cow<'static, str>> = vec![
            "rank".into(),
            "partner_id".into(),
            self.metric.to_lowercase().replace(' ', "_").into(),
        ];
        if !self.count.is_empty() {
            columns.push(format!("{}s", self.count).into());
        }
        columns.push("amount".into());
        let title = format!(
            "{key} leaderboard over {bfcm}, {entrants} eligible ({} ≥ {}), by {} descending, \
             then {}{BOARD_ROWS}",
            self.metric,
            human_decimal(rules.min_gmv),
            self.metric,
            self.tie_breakers
        );
        // Detail tables show slices of the board: built once, and only when shown.
        let board_rows: Vec<Vec<Text>> = ranked
            .iter()
            .take(if ctx.figures_for(self.program.kind, "bfcm") {
                usize::MAX
            } else {
                0
            })
            .map(|r| {
                let s = &scores[r.item];
                let mut row = Vec::with_capacity(5);
                row.extend([
                    Text::count(r.rank),
                    Text::shared(r.item),
                    Text::plain(s.metric),
                ]);
                if let Some(n) = s.count {
                    row.push(Text::count(n));
                }
                row.push(Text::plain(rules.prizes.pay(r.rank)));
                row
            })
            .collect();
        let mut lines = Vec::with_capacity(scores.len());
        // The same for every partner: written once.
        let bfcm_window = Text::shared(bfcm.to_string());
        let bfcm_cite = Text::shared(crate::window_key!(bfcm).cite());
        let floor = Text::shared(human_decimal(rules.min_gmv));
        let floor_source = Text::shared(format!(
            "{} (not prorated)",
            Leaderboard::min_gmv_key(self.program).cite()
        ));
        let prizes = Text::shared(rules.prizes.describe());
        let prizes_cite = Text::shared(Leaderboard::prizes_key(self.program).cite());
        // Scores are keyed like the partners, so they come in the partners' order.
        for ((partner_id, s), partner) in scores.iter().zip(ctx.data.partners.values()) {
            // The partner's own statement counts tied entrants instead of naming them.
            let mut partner_basis = None;
            let (amount, basis) = match rank_of.get(partner_id) {
                None => (
                    Money::ZERO,
                    format!(
                        "{} {} below the {} eligibility floor",
                        self.metric,
                        self.with_count(s),
                        human_decimal(rules.min_gmv)
                    ),
                ),
                Some(&r) => {
                    let amount = rules.prizes.pay(r);
                    let standing = format!(
                        "rank {r} of {entrants} by {} {}",
                        self.metric,
                        self.with_count(s)
                    );
                    let outcome = match rules.prizes.lookup(r) {
                        Some((_, band)) if band.from == band.to => {
                            format!(" → rank {} pays {}", band.from, amount.human())
                        }
                        Some((_, band)) => {
                            format!(" → ranks {}–{} pay {}", band.from, band.to, amount.human())
                        }
                        None if r > rules.prizes.paid_ranks() => format!(", top {paid} paid"),
                        None => format!(" → no prize band for rank {r}"),
                    };
                    let tied = |with: &str| {
                        format!(
                            " (tied on {} with {with}; ordered by {})",
                            self.metric, self.tie_breakers
                        )
                    };
                    let tie = match tie_phrase(&ranked, r, |o| scores[o].metric == s.metric) {
                        Some((names, count)) => {
                            partner_basis = Some(format!(
                                "{standing}{outcome}{}",
                                tied(&plural(count, "other partner"))
                            ));
                            tied(&names)
                        }
                        None => String::new(),
                    };
                    (amount, format!("{standing}{outcome}{tie}"))
                }
            };
            let rank_text = rank_of
                .get(partner_id)
                .map_or("not ranked (below the eligibility floor)".into(), |&r| {
                    rank_phrase(r, entrants, paid)
                });
            let steps = || {
                vec![
                    Step::new("BFCM window", bfcm_window.clone()).source(bfcm_cite.clone()),
                    Step::new(self.metric, self.with_count(s))
                        .source(self.source)
                        .children((self.parts)(partner)),
                    Step::new("eligibility floor", floor.clone()).source(floor_source.clone()),
                    Step::new("tie-breakers", self.tie_breakers),
                    Step::new("rank", rank_text),
                    Step::new("prizes", prizes.clone()).source(prizes_cite.clone()),
                    Step::new("amount", Text::human(amount)),
                ]
            };
            let head = LineHead {
                partner_id,
                program: self.program,
                period: "bfcm",
                provisional: !ctx.periods.complete(WindowId::Bfcm),
                figures: ctx.figures_for(self.program.kind, "bfcm"),
            };
            let mut line: Line = head.line(amount, basis, steps);
            line.partner_basis = partner_basis;
            // The whole board would make every statement as long as the run; a partner
            // checks its own line against the paid ranks and its neighbours.
            let own = rank_of.get(partner_id).copied();
            line.detail = head.detail(|| Detail {
                title: title.clone(),
                columns: columns.clone(),
                // The paid ranks, then the partner's own rank with the one either side
                // (rows `r - 2..=r`, 0-based) where not among them.
                rows: {
                    let paid_rows = paid.min(board_rows.len());
                    let own_rows = own.map_or(0..0, |r| {
                        r.saturating_sub(2).max(paid_rows)..(r + 1).min(board_rows.len())
                    });
                    board_rows[..paid_rows]
                        .iter()
                        .chain(board_rows.get(own_rows).unwrap_or_default())
                        .cloned()
                        .collect()
                },
                // The metric and the prize.
                amount_columns: vec![2, columns.len() - 1],
            });
            lines.push(line);
        }
        Evaluation::Lines(lines)
    }
}

/// The end of a board's detail title: which of its rows the detail holds.
pub const BOARD_ROWS: &str = ": the paid ranks and the entrants next to this partner";

/// Tied entrants shown in a basis sentence; the rest are counted.
const TIES_SHOWN: usize = 5;

/// `P02, P03` — the other entrants around `rank` for which `tied` holds (ties are
/// contiguous on a board sorted by the metric), and how many they are; `None` without a
/// tie.
fn tie_phrase(
    ranked: &[Ranked<&str>],
    rank: usize,
    tied: impl Fn(&str) -> bool,
) -> Option<(String, usize)> {
    let at = rank - 1;
    let first = (0..at)
        .rev()
        .take_while(|&i| tied(ranked[i].item))
        .last()
        .unwrap_or(at);
    let last = (at + 1..ranked.len())
        .take_while(|&i| tied(ranked[i].item))
        .last()
        .unwrap_or(at);
    let others: Vec<&str> = (first..=last)
        .filter(|&i| i != at)
        .map(|i| ranked[i].item)
        .collect();
    if others.is_empty() {
        return None;
    }
    let mut names = others
        .iter()
        .take(TIES_SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if others.len() > TIES_SHOWN {
        names.push_str(&format!(" and {} more", others.len() - TIES_SHOWN));
    }
    Some((names, others.len()))
}

/// Higher metric first, then the higher tie-break count.
fn better(a: &Score, b: &Score) -> Ordering {
    b.metric.cmp(&a.metric).then(b.count.cmp(&a.count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Channels, GmvRow};
    use crate::payout::Figures;
    use crate::programs::testkit::*;

    fn matched(f: &mut Fixture, partner: &str, pairs: &[(&str, &str, &str)]) {
        let p = f.data.ensure_partner(partner);
        for (seller, creator, gmv) in pairs {
            p.matched
                .insert((seller.to_string(), creator.to_string()), money(gmv));
        }
    }

    fn live(f: &mut Fixture, partner: &str, day: &str, amount: &str) {
        let row = GmvRow {
            date: date(day),
            partner_id: partner.into(),
            seller_id: "S1".into(),
            channels: Channels {
                gmv: money(amount),
                live: money(amount),
                ..Channels::default()
            },
        };
        f.data.add_gmv_row(&f.periods, &row);
    }

    #[test]
    fn matchmaking_floor_at_and_one_cent_below() {
        let mut f = Fixture::new("2025-12-31");
        matched(&mut f, "P1", &[("S1", "C1", "10000.00")]);
        matched(&mut f, "P2", &[("S1", "C1", "9999.99")]);
        let p1 = f.line_of(&BfcmMatchmaking, "P1");
        assert_eq!(p1.amount, Money::dollars(25_000));
        assert_eq!(
            p1.basis,
            "rank 1 of 1 by matched BFCM GMV 10,000.00 (1 pair) → rank 1 pays 25,000.00"
        );
        let p2 = f.line_of(&BfcmMatchmaking, "P2");
        assert_eq!(p2.amount, Money::ZERO);
        assert_eq!(
            p2.basis,
            "matched BFCM GMV 9,999.99 (1 pair) below the 10,000 eligibility floor"
        );
        assert_eq!(p2.period, "bfcm");
        assert!(!p2.provisional);
    }

    #[test]
    fn matchmaking_ties_go_to_more_pairs_then_partner_id() {
        let mut f = Fixture::new("2025-12-31");
        matched(&mut f, "P3", &[("S1", "C1", "20000.00")]);
        matched(
            &mut f,
            "P2",
            &[("S1", "C1", "10000.00"), ("S2", "C1", "10000.00")],
        );
        // A pair without sales does not count.
        matched(
            &mut f,
            "P1",
            &[("S1", "C1", "20000.00"), ("S1", "C2", "0.00")],
        );
        matched(&mut f, "P0", &[("S1", "C1", "15000.00")]);
        let lines = f.run(&BfcmMatchmaking);
        let amount = |p: &str| lines.iter().find(|l| l.partner_id == p).unwrap().amount;
        assert_eq!(amount("P2"), Money::dollars(25_000));
        assert_eq!(amount("P1"), Money::dollars(15_000));
        assert_eq!(amount("P3"), Money::dollars(15_000));
        assert_eq!(amount("P0"), Money::dollars(8_000));
        let p1 = lines.iter().find(|l| l.partner_id == "P1").unwrap();
        assert_eq!(
            p1.basis,
            "rank 2 of 4 by matched BFCM GMV 20,000.00 (1 pair) → ranks 2–3 pay 15,000.00 \
             (tied on matched BFCM GMV with P2, P3; ordered by distinct (seller, creator) \
             pairs with GMV > 0 descending, then partner_id)"
        );
        // The partner's own statement counts the tied entrants instead of naming them.
        assert_eq!(
            p1.partner_basis.as_deref(),
            Some(
                "rank 2 of 4 by matched BFCM GMV 20,000.00 (1 pair) → ranks 2–3 pay 15,000.00 \
                 (tied on matched BFCM GMV with 2 other partners; ordered by distinct (seller, \
                 creator) pairs with GMV > 0 descending, then partner_id)"
            )
        );
        let p0 = lines.iter().find(|l| l.partner_id == "P0").unwrap();
        assert_eq!(p0.partner_basis, None);
        let board = p1.detail.as_ref().expect("leaderboard");
        assert_eq!(
            board.columns,
            ["rank", "partner_id", "matched_bfcm_gmv", "pairs", "amount"]
        );
        assert_eq!(board.rows[0], ["1", "P2", "20000.00", "2", "25000.00"]);
        assert_eq!(board.rows[2], ["3", "P3", "20000.00", "1", "15000.00"]);
    }

    #[test]
    fn matchmaking_ranks_past_the_last_band_get_a_zero_line() {
        let mut f = Fixture::new("2025-12-31");
        for i in 0..21 {
            let gmv = format!("{}.00", 100_000 - i * 1_000);
            matched(&mut f, &format!("P{i:02}"), &[("S1", "C1", &gmv)]);
        }
        let lines = f.run(&BfcmMatchmaking);
        let total: Money = lines.iter().map(|l| l.amount).sum();
        // 25,000 + 2 × 15,000 + 7 × 8,000 + 10 × 3,000
        assert_eq!(total, Money::dollars(141_000));
        let last = lines.iter().find(|l| l.partner_id == "P20").unwrap();
        assert_eq!(last.amount, Money::ZERO);
        assert!(
            last.basis.ends_with("(1 pair), top 20 paid"),
            "{}",
            last.basis
        );
        let fourth = lines.iter().find(|l| l.partner_id == "P03").unwrap();
        assert_eq!(
            fourth.basis,
            "rank 4 of 21 by matched BFCM GMV 97,000.00 (1 pair) → ranks 4–10 pay 8,000.00"
        );
    }

    #[test]
    fn statements_show_the_paid_ranks_and_the_partners_neighbours() {
        let mut f = Fixture::new("2025-12-31");
        for i in 0..30 {
            // Ranks 1–10 hold distinct amounts; ranks 11–30 all tie on 50,000.00.
            let gmv = if i < 10 {
                format!("{}.00", 100_000 - i * 1_000)
            } else {
                "50000.00".into()
            };
            matched(&mut f, &format!("P{i:02}"), &[("S1", "C1", &gmv)]);
        }
        let lines = f.run(&BfcmMatchmaking);
        let line = |p: &str| lines.iter().find(|l| l.partner_id == p).unwrap();
        let ranks = |p: &str| -> Vec<String> {
            line(p)
                .detail
                .as_ref()
                .unwrap()
                .rows
                .iter()
                .map(|r| r[0].to_string())
                .collect()
        };
        let mut want: Vec<String> = (1..=20).map(|r| r.to_string()).collect();
        want.extend(["24", "25", "26"].map(String::from));
        assert_eq!(ranks("P24"), want);
        assert_eq!(ranks("P29").last().map(String::as_str), Some("30"));
        assert_eq!(ranks("P00").len(), 20);
        assert_eq!(
            line("P24").basis,
            "rank 25 of 30 by matched BFCM GMV 50,000.00 (1 pair), top 20 paid (tied on matched \
             BFCM GMV with P10, P11, P12, P13, P14 and 14 more; ordered by distinct (seller, \
             creator) pairs with GMV > 0 descending, then partner_id)"
        );
        assert!(!line("P09").basis.contains("tied"), "{}", line("P09").basis);
    }

    #[test]
    fn live_floor_at_and_one_cent_below_and_ties_by_partner_id() {
        let mut f = Fixture::new("2025-12-31");
        live(&mut f, "P1", "2025-11-12", "4999.99");
        live(&mut f, "P2", "2025-12-01", "5000.00");
        live(&mut f, "P3", "2025-11-20", "5000.00");
        // Outside BFCM: not counted.
        live(&mut f, "P1", "2025-12-02", "100.00");
        let lines = f.run(&BfcmLive);
        let line = |p: &str| lines.iter().find(|l| l.partner_id == p).unwrap();
        assert_eq!(line("P1").amount, Money::ZERO);
        assert_eq!(
            line("P1").basis,
            "live GMV 4,999.99 below the 5,000 eligibility floor"
        );
        assert_eq!(line("P2").amount, Money::dollars(10_000));
        assert_eq!(line("P3").amount, Money::dollars(5_000));
        assert_eq!(
            line("P3").basis,
            "rank 2 of 2 by live GMV 5,000.00 → ranks 2–5 pay 5,000.00 \
             (tied on live GMV with P2; ordered by partner_id)"
        );
        let board = line("P1").detail.as_ref().expect("leaderboard");
        assert_eq!(board.columns, ["rank", "partner_id", "live_gmv", "amount"]);
        assert_eq!(board.rows.len(), 2);
    }

    #[test]
    fn floor_is_not_prorated_and_lines_are_provisional_during_bfcm() {
        let mut f = Fixture::new("2025-11-20");
        live(&mut f, "P1", "2025-11-15", "4999.99");
        live(&mut f, "P2", "2025-11-15", "5000.00");
        let lines = f.run(&BfcmLive);
        assert!(lines.iter().all(|l| l.provisional));
        assert_eq!(lines[0].amount, Money::ZERO);
        assert_eq!(lines[1].amount, Money::dollars(10_000));
    }

    #[test]
    fn not_evaluated_before_bfcm_starts() {
        let f = Fixture::new("2025-11-11");
        let ctx = Context {
            rules: &f.book.rules,
            periods: &f.periods,
            data: &f.data,
            figures: Figures::All,
            issued: &crate::payout::Issued::NONE,
        };
        for program in [&BfcmLive as &dyn Program, &BfcmMatchmaking] {
            match program.evaluate(&ctx) {
                Evaluation::NotEvaluated(r) => assert!(r.contains("BFCM window"), "{r}"),
                _ => panic!("expected not evaluated"),
            }
        }
    }

    proptest::proptest! {
        /// Exactly min(eligible, last paid rank) partners are paid, and a higher metric
        /// never earns less than a lower one.
        #[test]
        fn leaderboard_invariants(cents in proptest::collection::vec(0i64..3_000_000, 0..40)) {
            let mut f = Fixture::new("2025-12-31");
            let mut metric = std::collections::BTreeMap::new();
            for (i, c) in cents.iter().enumerate() {
                let id = format!("P{i:02}");
                matched(&mut f, &id, &[("S1", "C1", &Money::from_cents(*c).plain())]);
                metric.insert(id, *c);
            }
            let lines = f.run(&BfcmMatchmaking);
            proptest::prop_assert_eq!(lines.len(), cents.len());
            let eligible = cents.iter().filter(|c| **c >= 1_000_000).count();
            let paid = lines.iter().filter(|l| l.amount.is_positive()).count();
            proptest::prop_assert_eq!(paid, eligible.min(20));
            for a in &lines {
                for b in &lines {
                    if metric[&a.partner_id] > metric[&b.partner_id] {
                        proptest::prop_assert!(a.amount >= b.amount);
                    }
                }
            }
        }
    }
}
