//! The Rules page: the book's windows and each program's rule in a sentence, every number
//! marked (P) published or (A) assumed, and the sources cited. `tsp-payout book --format md`
//! prints it; the README's "default book" section is this page for the embedded book.

use crate::book::{Book, Rules};
use crate::money::{human_decimal, Money};
use crate::report::escape::md_text;
use std::fmt::Write as _;

/// The Markdown Rules page of `book`.
pub fn render(book: &Book) -> String {
    let r = &book.rules;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**{}** (amounts in {}). Every number is marked (P), published by the platform, or (A), \
         this book's documented assumption; the sources are listed below.",
        md_text(&r.book.name),
        md_text(&r.book.currency)
    );
    out.push('\n');
    out.push_str("| window | dates | days | |\n|---|---|---|---|\n");
    for (key, w) in r.windows.named() {
        let _ = writeln!(
            out,
            "| {} (`{key}`) | {}..{} | {} | {} |",
            window_title(key),
            w.start,
            w.end,
            w.days(),
            mark(r, &format!("windows.{key}"))
        );
    }
    out.push('\n');
    out.push_str("| program | rule |\n|---|---|\n");
    for (program, kind, rule) in programs(r) {
        let _ = writeln!(out, "| `{program}` ({kind}) | {rule} |");
    }
    out.push_str("\nSources:\n\n");
    for (id, s) in &r.sources {
        let cited: Vec<String> = r
            .provenance
            .iter()
            .filter(|(_, p)| &p.source == id)
            .map(|(key, _)| format!("`{}`", key.replace('`', "'")))
            .collect();
        let mut line = format!("- `{}`: {}", id.replace('`', "'"), md_text(&s.publisher));
        if let Some(date) = s.date {
            let _ = write!(line, ", {date}");
        }
        let _ = write!(line, ", “{}”", md_text(&s.title));
        if let Some(url) = &s.url {
            let _ = write!(line, ", {}", link(url));
        }
        if cited.is_empty() {
            line.push_str(". Cited by no value.");
        } else {
            let _ = write!(line, ". Cited by {}.", cited.join(", "));
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

/// `(P)`, `(A)`, or with the entry's note `(A; published: up to $10,000)`.
fn mark(r: &Rules, key: &str) -> String {
    let p = r.provenance_of(key);
    match &p.note {
        Some(note) => format!("({}; {})", p.status.letter(), md_text(note)),
        None => format!("({})", p.status.letter()),
    }
}

/// A URL as an autolink when it is a plain http(s) address, otherwise as escaped text.
fn link(url: &str) -> String {
    let plain = (url.starts_with("https://") || url.starts_with("http://"))
        && url
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '`' | '\\'));
    if plain {
        format!("<{url}>")
    } else {
        md_text(url)
    }
}

fn window_title(key: &str) -> &'static str {
    match key {
        "program" => "program period, the --as-of range",
        "q3" => "Q3 baseline",
        "q4" => "Q4",
        "oct" | "nov" | "dec" => "month",
        "bfcm" => "BFCM",
        _ => "window",
    }
}

fn money(amount: Money) -> String {
    amount.human()
}

/// Each program's id, kind and cadence, and its rule in a sentence with the book's numbers.
fn programs(r: &Rules) -> Vec<(&'static str, String, String)> {
    let w = &r.windows;
    let months: Vec<String> = w.months().iter().map(|(_, m)| m.month_label()).collect();
    let last_month = months.last().cloned().unwrap_or_default();
    let sv = &r.short_video_top15;
    let aff = &r.affiliate_credits;
    let sc = &r.bfcm_seller_challenge;
    let leaderboard = |key: &str, lb: &crate::programs::bfcm::Leaderboard, metric: &str| {
        format!(
            "leaderboard on the partner's {metric} in BFCM, entered from {} {}: {} {}",
            human_decimal(lb.min_gmv),
            mark(r, &format!("{key}.min_gmv")),
            lb.prizes.describe(),
            mark(r, &format!("{key}.prizes"))
        )
    };
    vec![
        (
            "gmv_growth",
            "cash, q4".into(),
            format!(
                "increment of the partner's average daily GMV, Q4 over the Q3 baseline: {} {}",
                r.gmv_growth.tiers.describe(),
                mark(r, "gmv_growth.tiers")
            ),
        ),
        (
            "tier_upgrade",
            "cash, q4".into(),
            format!(
                "a first-time move above the highest partner tier held up to {}, kept on every \
                 day of the last {} days {} up to the evaluation date, pays by the tier kept: \
                 {} {}",
                w.q3.end,
                r.tier_upgrade.hold_days,
                mark(r, "tier_upgrade.hold_days"),
                r.tier_upgrade.bonus.describe(),
                mark(r, "tier_upgrade.bonus")
            ),
        ),
        (
            "short_video_top15",
            "ad credit, monthly".into(),
            format!(
                "rank by the month's average daily short-video GMV increment over Q3 (positive \
                 only): {} {}",
                sv.bands.describe(),
                mark(r, "short_video_top15.bands")
            ),
        ),
        (
            "short_video_consistency",
            format!("ad credit, {last_month}"),
            format!(
                "ranked in the top {} {} in every month ({}) → {} {}",
                sv.consistency_top,
                mark(r, "short_video_top15.consistency_top"),
                months.join(", "),
                money(sv.consistency_amount),
                mark(r, "short_video_top15.consistency_amount")
            ),
        ),
        (
            "affiliate_credits",
            "ad credit, monthly true-up".into(),
            format!(
                "per seller on its cumulative affiliate GMV since {}: {} {}; at most {} sellers \
                 per partner {}, the highest credits kept",
                w.q4.start,
                aff.tiers.describe(),
                mark(r, "affiliate_credits.tiers"),
                aff.max_sellers,
                mark(r, "affiliate_credits.max_sellers")
            ),
        ),
        (
            "creator_incubation",
            "cash, q4".into(),
            format!(
                "per target-list creator on the creator's Q4 GMV: {} {}; the partner earns the \
                 sum over its creators",
                r.creator_incubation.tiers.describe(),
                mark(r, "creator_incubation.tiers")
            ),
        ),
        (
            "bfcm_matchmaking",
            "cash, bfcm".into(),
            leaderboard("bfcm_matchmaking", &r.bfcm_matchmaking, "matched GMV"),
        ),
        (
            "bfcm_seller_challenge",
            "cash, bfcm".into(),
            format!(
                "per seller, uplift = BFCM average daily GMV / October's − 1; large sellers \
                 (October average daily GMV >= {} {}): {} {}; small sellers: {} {}",
                human_decimal(sc.large_min_avg_daily),
                mark(r, "bfcm_seller_challenge.large_min_avg_daily"),
                sc.large.describe(),
                mark(r, "bfcm_seller_challenge.large"),
                sc.small.describe(),
                mark(r, "bfcm_seller_challenge.small")
            ),
        ),
        (
            "bfcm_live_championship",
            "cash, bfcm".into(),
            leaderboard(
                "bfcm_live_championship",
                &r.bfcm_live_championship,
                "live-stream GMV",
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_is_marked() {
        let page = render(&Book::embedded());
        assert!(page.contains("| Q3 baseline (`q3`) | 2025-07-01..2025-09-30 | 92 | (A; "));
        assert!(
            page.contains("at most 70 sellers per partner (P)"),
            "{page}"
        );
        assert!(page.contains("ranked in the top 15 (P)"), "{page}");
        assert!(page.contains("<https://digiday.com/marketing/"), "{page}");
    }
}
