//! The program book: every rule number, window, tier, band and cap, as TOML.

use crate::money::{human_decimal, Money};
pub use crate::window::Windows;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::str::FromStr;
use thiserror::Error;

/// The Q4 2025 book, the default for every run.
pub const EMBEDDED: &str = include_str!("../book/q4-2025.toml");

#[derive(Debug, Error)]
pub enum BookError {
    #[error("{source_name}: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: {key}: {message}")]
    Invalid {
        source_name: String,
        key: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct Book {
    pub rules: Rules,
    /// sha256 of the TOML text the book was read from.
    pub sha256: String,
    /// Where the book came from: `embedded` or a file path.
    pub source_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub book: Meta,
    pub windows: Windows,
    pub gmv_growth: GmvGrowth,
    pub tier_upgrade: TierUpgrade,
    pub short_video_top15: ShortVideo,
    pub affiliate_credits: Affiliate,
    pub creator_incubation: CreatorIncubation,
    pub bfcm_matchmaking: Leaderboard,
    pub bfcm_seller_challenge: SellerChallenge,
    pub bfcm_live_championship: Leaderboard,
    /// Where each value comes from, by book key (`"windows.q3"`, `"gmv_growth.tiers"`).
    pub provenance: BTreeMap<String, Provenance>,
    /// The sources the provenance cites, by id.
    pub sources: BTreeMap<String, Source>,
}

/// Whether a book value is published by the platform or this book's assumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Status {
    /// Published by the platform.
    P,
    /// This book's documented default assumption.
    A,
}

impl Status {
    /// `P` or `A`, as the rules mark a number.
    pub fn letter(self) -> &'static str {
        match self {
            Status::P => "P",
            Status::A => "A",
        }
    }
}

/// The provenance of one book value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub status: Status,
    /// The id of a `[sources.<id>]` entry.
    pub source: String,
    /// What was published where the value itself is an assumption.
    pub note: Option<String>,
}

/// A document the book's values are taken from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    pub publisher: String,
    pub date: Option<NaiveDate>,
    pub url: Option<String>,
}

/// Tables of the book that hold no rule values.
const NOT_VALUES: [&str; 3] = ["book", "provenance", "sources"];

/// Every value key of a book's TOML: `section.key` for each key of each rule section
/// (a window, a tier or band list, a cap, a threshold, an amount), sorted.
pub fn value_keys(value: &toml::Value) -> Vec<String> {
    let mut keys = Vec::new();
    if let toml::Value::Table(top) = value {
        for (section, body) in top {
            if NOT_VALUES.contains(&section.as_str()) {
                continue;
            }
            if let toml::Value::Table(body) = body {
                keys.extend(body.keys().map(|k| format!("{section}.{k}")));
            }
        }
    }
    keys.sort();
    keys
}

impl Rules {
    /// The provenance of `key`; every value key has one in a validated book.
    pub fn provenance_of(&self, key: &str) -> &Provenance {
        self.provenance
            .get(key)
            .unwrap_or_else(|| panic!("validated book has provenance for {key}"))
    }

    /// Every value key has a provenance entry, and every entry names a value key and a
    /// source of the book.
    fn check_provenance(&self, keys: &[String]) -> Result<(), Invalid> {
        for key in keys {
            if !self.provenance.contains_key(key) {
                return Err(invalid(
                    key.as_str(),
                    format!("has no [provenance] entry: every value must say whether it is published (P) or an assumption (A), and its source (\"{key}\" = {{ status = \"A\", source = \"…\" }})"),
                ));
            }
        }
        for (key, p) in &self.provenance {
            if keys.binary_search(key).is_err() {
                return Err(invalid(
                    format!("provenance.\"{key}\""),
                    "names no value of the book",
                ));
            }
            if !self.sources.contains_key(&p.source) {
                return Err(invalid(
                    format!("provenance.\"{key}\".source"),
                    format!("\"{}\" is not one of the book's [sources]", p.source),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub currency: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GmvGrowth {
    pub tiers: TierTable,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierUpgrade {
    pub hold_days: i64,
    pub bonus: TierTable,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortVideo {
    pub bands: Bands,
    pub consistency_top: usize,
    #[serde(deserialize_with = "de_money")]
    pub consistency_amount: Money,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affiliate {
    pub tiers: TierTable,
    pub max_sellers: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatorIncubation {
    pub tiers: TierTable,
}

/// A leaderboard with an eligibility floor on its metric and prizes by rank.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaderboard {
    #[serde(deserialize_with = "de_decimal")]
    pub min_gmv: Decimal,
    pub prizes: Bands,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellerChallenge {
    #[serde(deserialize_with = "de_decimal")]
    pub large_min_avg_daily: Decimal,
    pub large: TierTable,
    pub small: TierTable,
}

/// Tiers sorted by ascending `min`; the highest one met pays.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct TierTable(pub Vec<Tier>);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(deserialize_with = "de_decimal")]
    pub min: Decimal,
    #[serde(deserialize_with = "de_money")]
    pub amount: Money,
}

impl TierTable {
    /// The highest tier whose threshold `is_met`, with its index; `None` below the first.
    pub fn lookup(&self, is_met: impl Fn(Decimal) -> bool) -> Option<(usize, &Tier)> {
        self.0.iter().enumerate().rev().find(|(_, t)| is_met(t.min))
    }

    /// The amount paid, zero below the first tier.
    pub fn pay(&self, is_met: impl Fn(Decimal) -> bool) -> Money {
        self.lookup(is_met).map_or(Money::ZERO, |(_, t)| t.amount)
    }

    pub fn first_min(&self) -> Option<Decimal> {
        self.0.first().map(|t| t.min)
    }

    pub fn max_amount(&self) -> Money {
        self.0.iter().map(|t| t.amount).max().unwrap_or(Money::ZERO)
    }

    /// `>= 3,000 → 5,000; >= 10,000 → 10,000` — for explanations.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|t| format!(">= {} → {}", human_decimal(t.min), t.amount.human()))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Prize bands by rank, sorted and non-overlapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Bands(pub Vec<Band>);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub from: usize,
    pub to: usize,
    #[serde(deserialize_with = "de_money")]
    pub amount: Money,
}

impl Bands {
    pub fn lookup(&self, rank: usize) -> Option<(usize, &Band)> {
        self.0
            .iter()
            .enumerate()
            .find(|(_, b)| b.from <= rank && rank <= b.to)
    }

    pub fn pay(&self, rank: usize) -> Money {
        self.lookup(rank).map_or(Money::ZERO, |(_, b)| b.amount)
    }

    /// The last rank that pays anything.
    pub fn paid_ranks(&self) -> usize {
        self.0.iter().map(|b| b.to).max().unwrap_or(0)
    }

    pub fn max_amount(&self) -> Money {
        self.0.iter().map(|b| b.amount).max().unwrap_or(Money::ZERO)
    }

    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|b| {
                let ranks = if b.from == b.to {
                    format!("rank {}", b.from)
                } else {
                    format!("ranks {}–{}", b.from, b.to)
                };
                format!("{ranks} → {}", b.amount.human())
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A book number: a TOML integer, float (read by its shortest decimal form) or string.
fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Int(i64),
        Float(f64),
        Text(String),
    }
    let text = match Num::deserialize(d)? {
        Num::Int(i) => return Ok(Decimal::from(i)),
        Num::Float(f) if f.is_finite() => f.to_string(),
        Num::Float(f) => return Err(serde::de::Error::custom(format!("{f} is not a number"))),
        Num::Text(s) => s,
    };
    Decimal::from_str(text.trim())
        .map_err(|_| serde::de::Error::custom(format!("\"{text}\" is not a decimal number")))
}

fn de_money<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
    de_decimal(d).map(Money::new)
}

impl Book {
    pub fn embedded() -> Book {
        Book::from_toml(EMBEDDED, "embedded").expect("the embedded book is valid")
    }

    pub fn from_toml(text: &str, source_name: &str) -> Result<Book, BookError> {
        let value: toml::Value = toml::from_str(text).map_err(|e| BookError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        Book::from_value(value, text, source_name)
    }

    /// Builds a book from an already-parsed (and possibly overridden) TOML value; `text` is
    /// what the sha256 is taken over.
    pub fn from_value(
        value: toml::Value,
        text: &str,
        source_name: &str,
    ) -> Result<Book, BookError> {
        let keys = value_keys(&value);
        let rules: Rules = value
            .try_into()
            .map_err(|e: toml::de::Error| BookError::Parse {
                source_name: source_name.to_string(),
                message: e.to_string().trim_end().to_string(),
            })?;
        rules
            .validate()
            .and_then(|()| rules.check_provenance(&keys))
            .map_err(|(key, message)| BookError::Invalid {
                source_name: source_name.to_string(),
                key,
                message,
            })?;
        Ok(Book {
            rules,
            sha256: sha256_hex(text.as_bytes()),
            source_name: source_name.to_string(),
        })
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Largest number a book may hold (a threshold or an amount): far above any real rule, and
/// low enough that no sum or cross-multiplication of the programs can overflow.
pub const MAX_BOOK_NUMBER: i64 = 1_000_000_000_000;

/// Longest stretch the windows may cover together: day-indexed bookkeeping is sized by it.
pub const MAX_WINDOW_SPAN_DAYS: i64 = 731;

/// Longest hold window of the tier upgrade.
pub const MAX_HOLD_DAYS: i64 = 366;

type Invalid = (String, String);

fn invalid(key: impl Into<String>, message: impl Into<String>) -> Invalid {
    (key.into(), message.into())
}

impl Rules {
    fn validate(&self) -> Result<(), Invalid> {
        for (name, w) in self.windows.named() {
            if w.end < w.start {
                return Err(invalid(
                    format!("windows.{name}"),
                    format!("end {} precedes start {}", w.end, w.start),
                ));
            }
        }
        let named = self.windows.named();
        let first = named.iter().map(|(_, w)| w.start).min().expect("windows");
        let last = named.iter().map(|(_, w)| w.end).max().expect("windows");
        let span = (last - first).num_days() + 1;
        if span > MAX_WINDOW_SPAN_DAYS {
            return Err(invalid(
                "windows",
                format!(
                    "cover {span} days from {first} to {last}; at most {MAX_WINDOW_SPAN_DAYS} are allowed"
                ),
            ));
        }
        self.windows
            .check_layout()
            .map_err(|(k, m)| invalid(k, m))?;
        check_tiers("gmv_growth.tiers", &self.gmv_growth.tiers)?;
        check_tiers("tier_upgrade.bonus", &self.tier_upgrade.bonus)?;
        if !(1..=MAX_HOLD_DAYS).contains(&self.tier_upgrade.hold_days) {
            return Err(invalid(
                "tier_upgrade.hold_days",
                format!("must be from 1 to {MAX_HOLD_DAYS}"),
            ));
        }
        check_bands("short_video_top15.bands", &self.short_video_top15.bands)?;
        check_at_least_one(
            "short_video_top15.consistency_top",
            self.short_video_top15.consistency_top,
        )?;
        check_amount(
            "short_video_top15.consistency_amount",
            self.short_video_top15.consistency_amount,
        )?;
        check_tiers("affiliate_credits.tiers", &self.affiliate_credits.tiers)?;
        check_at_least_one(
            "affiliate_credits.max_sellers",
            self.affiliate_credits.max_sellers,
        )?;
        check_tiers("creator_incubation.tiers", &self.creator_incubation.tiers)?;
        for (name, lb) in [
            ("bfcm_matchmaking", &self.bfcm_matchmaking),
            ("bfcm_live_championship", &self.bfcm_live_championship),
        ] {
            check_non_negative(&format!("{name}.min_gmv"), lb.min_gmv)?;
            check_bands(&format!("{name}.prizes"), &lb.prizes)?;
        }
        let sc = &self.bfcm_seller_challenge;
        check_non_negative(
            "bfcm_seller_challenge.large_min_avg_daily",
            sc.large_min_avg_daily,
        )?;
        check_tiers("bfcm_seller_challenge.large", &sc.large)?;
        check_tiers("bfcm_seller_challenge.small", &sc.small)?;
        Ok(())
    }
}

/// A book number: not negative, and at most `MAX_BOOK_NUMBER`.
fn check_non_negative(key: &str, value: Decimal) -> Result<(), Invalid> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(invalid(key, format!("{value} is negative")));
    }
    if value > Decimal::from(MAX_BOOK_NUMBER) {
        return Err(invalid(
            key,
            format!("{value} is above the largest number a book may hold ({MAX_BOOK_NUMBER})"),
        ));
    }
    Ok(())
}

fn check_amount(key: &str, amount: Money) -> Result<(), Invalid> {
    let value = amount.as_decimal();
    check_non_negative(key, value)?;
    if value.fract() != Decimal::ZERO {
        return Err(invalid(
            key,
            format!("{value} is not a whole-dollar amount"),
        ));
    }
    Ok(())
}

/// A count the rule cannot do without (a cap, a top N): at least one.
fn check_at_least_one(key: &str, value: usize) -> Result<(), Invalid> {
    if value == 0 {
        return Err(invalid(key, "must be at least 1"));
    }
    Ok(())
}

fn check_tiers(key: &str, tiers: &TierTable) -> Result<(), Invalid> {
    if tiers.0.is_empty() {
        return Err(invalid(key, "has no tier: a rule that can never pay"));
    }
    let mut previous: Option<Decimal> = None;
    for (i, tier) in tiers.0.iter().enumerate() {
        check_non_negative(&format!("{key}[{i}].min"), tier.min)?;
        check_amount(&format!("{key}[{i}].amount"), tier.amount)?;
        if let Some(prev) = previous {
            if tier.min <= prev {
                return Err(invalid(
                    format!("{key}[{i}].min"),
                    format!(
                        "tiers must be sorted by ascending min without overlap ({} after {})",
                        tier.min, prev
                    ),
                ));
            }
        }
        previous = Some(tier.min);
        // A higher tier paying less would make a monthly true-up (affiliate credits) issue
        // a negative amount, and more GMV pay less.
        if let Some(lower) = i.checked_sub(1).map(|j| &tiers.0[j]) {
            if tier.amount < lower.amount {
                return Err(invalid(
                    format!("{key}[{i}].amount"),
                    format!(
                        "a higher tier must not pay less than the one below ({} after {})",
                        tier.amount.as_decimal(),
                        lower.amount.as_decimal()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_bands(key: &str, bands: &Bands) -> Result<(), Invalid> {
    if bands.0.is_empty() {
        return Err(invalid(
            key,
            "has no band: a leaderboard that can never pay",
        ));
    }
    let mut previous_to = 0;
    for (i, band) in bands.0.iter().enumerate() {
        check_amount(&format!("{key}[{i}].amount"), band.amount)?;
        if band.from < 1 || band.to < band.from {
            return Err(invalid(
                format!("{key}[{i}]"),
                format!(
                    "ranks {}..{} are not a range starting at 1 or later",
                    band.from, band.to
                ),
            ));
        }
        if band.from <= previous_to {
            return Err(invalid(
                format!("{key}[{i}].from"),
                format!(
                    "bands must be sorted by rank without overlap (rank {} after rank {})",
                    band.from, previous_to
                ),
            ));
        }
        previous_to = band.to;
        if let Some(better) = i.checked_sub(1).map(|j| &bands.0[j]) {
            if band.amount > better.amount {
                return Err(invalid(
                    format!("{key}[{i}].amount"),
                    format!(
                        "a worse rank must not pay more than a better one ({} for ranks {}..{} after {} for ranks {}..{})",
                        band.amount.as_decimal(),
                        band.from,
                        band.to,
                        better.amount.as_decimal(),
                        better.from,
                        better.to
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(replace: &str, by: &str) -> Result<Book, BookError> {
        assert!(
            EMBEDDED.contains(replace),
            "fixture text missing: {replace}"
        );
        Book::from_toml(&EMBEDDED.replacen(replace, by, 1), "test.toml")
    }

    #[test]
    fn embedded_book_parses() {
        let book = Book::embedded();
        assert_eq!(book.rules.windows.q3.days(), 92);
        assert_eq!(book.rules.affiliate_credits.max_sellers, 70);
        let half = &book.rules.bfcm_seller_challenge.large.0[1];
        assert_eq!(half.min, Decimal::from_str("0.5").unwrap());
        assert_eq!(book.sha256.len(), 64);
    }

    #[test]
    fn tier_lookup_picks_highest_met() {
        let tiers = &Book::embedded().rules.gmv_growth.tiers;
        let pay = |x: i64| tiers.pay(|min| Decimal::from(x) >= min);
        assert_eq!(pay(2999), Money::ZERO);
        assert_eq!(pay(3000), Money::dollars(5000));
        assert_eq!(pay(10000), Money::dollars(10000));
        assert_eq!(pay(1_000_000), Money::dollars(20000));
    }

    #[test]
    fn band_lookup() {
        let bands = &Book::embedded().rules.short_video_top15.bands;
        assert_eq!(bands.pay(1), Money::dollars(5000));
        assert_eq!(bands.pay(3), Money::dollars(4000));
        assert_eq!(bands.pay(15), Money::dollars(1000));
        assert_eq!(bands.pay(16), Money::ZERO);
        assert_eq!(bands.paid_ranks(), 15);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = with("hold_days = 30", "hold_days = 30\nhold_dayz = 3").unwrap_err();
        assert!(err.to_string().contains("hold_dayz"), "{err}");
    }

    #[test]
    fn unsorted_tiers_are_named() {
        let err = with(
            "{ min = 10000, amount = 10000 }",
            "{ min = 2000, amount = 10000 }",
        )
        .unwrap_err();
        assert!(err.to_string().contains("gmv_growth.tiers[1].min"), "{err}");
    }

    #[test]
    fn falling_tier_amounts_are_named() {
        let err = with(
            "{ min = 25000, amount = 1000 }",
            "{ min = 25000, amount = 100 }",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("affiliate_credits.tiers[2].amount"),
            "{err}"
        );
    }

    #[test]
    fn overlapping_bands_are_named() {
        let err = with(
            "{ from = 2, to = 3, amount = 4000 }",
            "{ from = 1, to = 3, amount = 4000 }",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("short_video_top15.bands[1].from"),
            "{err}"
        );
    }

    #[test]
    fn backwards_window_is_named() {
        let err = with(
            "bfcm = { start = \"2025-11-12\", end = \"2025-12-01\" }",
            "bfcm = { start = \"2025-11-12\", end = \"2025-11-01\" }",
        )
        .unwrap_err();
        assert!(err.to_string().contains("windows.bfcm"), "{err}");
    }

    #[test]
    fn numbers_that_could_overflow_are_named() {
        let err = with(
            "{ min = 50000, amount = 20000 }",
            "{ min = \"79228162514264337593543950\", amount = 20000 }",
        )
        .unwrap_err();
        assert!(err.to_string().contains("gmv_growth.tiers[3].min"), "{err}");
        let err = with(
            "{ min = 50000, amount = 20000 }",
            "{ min = 50000, amount = 1000000000001 }",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("gmv_growth.tiers[3].amount"),
            "{err}"
        );
        let err = with("min_gmv = 5000", "min_gmv = 1e13").unwrap_err();
        assert!(
            err.to_string().contains("bfcm_live_championship.min_gmv"),
            "{err}"
        );
        let err = with("hold_days = 30", "hold_days = 9223372036854775807").unwrap_err();
        assert!(err.to_string().contains("tier_upgrade.hold_days"), "{err}");
    }

    #[test]
    fn windows_far_apart_are_named() {
        let err = with(
            "q3 = { start = \"2025-07-01\"",
            "q3 = { start = \"0001-07-01\"",
        )
        .unwrap_err();
        assert!(err.to_string().contains(": windows: cover"), "{err}");
    }

    /// The refusal message of a book with `replace` changed to `by`.
    fn refused(replace: &str, by: &str) -> String {
        with(replace, by)
            .expect_err("the book is refused")
            .to_string()
    }

    const NOV: &str = "nov = { start = \"2025-11-01\", end = \"2025-11-30\" }";

    #[test]
    fn months_must_be_consecutive_and_together_q4() {
        // Overlapping October would pay its days twice.
        let err = refused(
            NOV,
            "nov = { start = \"2025-10-20\", end = \"2025-11-30\" }",
        );
        assert!(
            err.contains("windows.nov.start") && err.contains("overlaps oct"),
            "{err}"
        );
        let err = refused(
            NOV,
            "nov = { start = \"2025-11-02\", end = \"2025-11-30\" }",
        );
        assert!(
            err.contains("windows.nov.start") && err.contains("gap"),
            "{err}"
        );
        let err = refused(
            "dec = { start = \"2025-12-01\", end = \"2025-12-31\" }",
            "dec = { start = \"2025-12-01\", end = \"2025-12-30\" }",
        );
        assert!(err.contains("windows.dec.end"), "{err}");
        let err = refused(
            "oct = { start = \"2025-10-01\"",
            "oct = { start = \"2025-10-02\"",
        );
        assert!(err.contains("windows.oct.start"), "{err}");
    }

    #[test]
    fn baseline_must_end_before_q4() {
        let err = refused(
            "q3 = { start = \"2025-07-01\", end = \"2025-09-30\" }",
            "q3 = { start = \"2025-07-01\", end = \"2025-10-01\" }",
        );
        assert!(err.contains("windows.q3.end"), "{err}");
    }

    #[test]
    fn windows_must_lie_inside_the_program() {
        let err = refused(
            "bfcm = { start = \"2025-11-12\", end = \"2025-12-01\" }",
            "bfcm = { start = \"2025-08-12\", end = \"2025-08-31\" }",
        );
        assert!(err.contains("windows.bfcm:"), "{err}");
        let err = refused(
            "program = { start = \"2025-10-01\", end = \"2025-12-31\" }",
            "program = { start = \"2025-10-01\", end = \"2025-12-30\" }",
        );
        assert!(err.contains("windows.q4:"), "{err}");
    }

    #[test]
    fn empty_tier_and_band_lists_are_named() {
        let tiers = "tiers = [\n  { min = 3000, amount = 5000 },\n  { min = 10000, amount = 10000 },\n  { min = 25000, amount = 15000 },\n  { min = 50000, amount = 20000 },\n]";
        let err = refused(tiers, "tiers = []");
        assert!(err.contains("gmv_growth.tiers: has no tier"), "{err}");
        let bands = "prizes = [\n  { from = 1, to = 1, amount = 10000 },\n  { from = 2, to = 5, amount = 5000 },\n  { from = 6, to = 10, amount = 2500 },\n]";
        let err = refused(bands, "prizes = []");
        assert!(
            err.contains("bfcm_live_championship.prizes: has no band"),
            "{err}"
        );
    }

    #[test]
    fn a_worse_rank_never_pays_more() {
        let err = refused(
            "{ from = 11, to = 15, amount = 1000 }",
            "{ from = 11, to = 15, amount = 2500 }",
        );
        assert!(err.contains("short_video_top15.bands[4].amount"), "{err}");
        // Equal amounts for neighbouring bands are fine.
        with(
            "{ from = 11, to = 15, amount = 1000 }",
            "{ from = 11, to = 15, amount = 2000 }",
        )
        .expect("equal band amounts are allowed");
    }

    #[test]
    fn caps_and_top_n_must_be_at_least_one() {
        let err = refused("max_sellers = 70", "max_sellers = 0");
        assert!(err.contains("affiliate_credits.max_sellers"), "{err}");
        let err = refused("consistency_top = 15", "consistency_top = 0");
        assert!(err.contains("short_video_top15.consistency_top"), "{err}");
    }

    #[test]
    fn every_value_has_provenance_and_every_entry_a_value_and_source() {
        let err = refused(
            "\"affiliate_credits.max_sellers\" = { status = \"P\", source = \"digiday-2025-11-17\" }\n",
            "",
        );
        assert!(
            err.contains(": affiliate_credits.max_sellers: has no [provenance] entry"),
            "{err}"
        );
        let err = refused(
            "\n[provenance]\n",
            "\n[provenance]\n\"affiliate_credits.max_sellerz\" = { status = \"A\", source = \"this-book\" }\n",
        );
        assert!(
            err.contains("provenance.\"affiliate_credits.max_sellerz\": names no value"),
            "{err}"
        );
        let err = refused(
            "\"tier_upgrade.hold_days\" = { status = \"A\", source = \"this-book\"",
            "\"tier_upgrade.hold_days\" = { status = \"A\", source = \"that-book\"",
        );
        assert!(
            err.contains("provenance.\"tier_upgrade.hold_days\".source: \"that-book\" is not one"),
            "{err}"
        );
        let err = refused(
            "\"windows.q4\" = { status = \"P\"",
            "\"windows.q4\" = { status = \"X\"",
        );
        assert!(err.contains("provenance"), "{err}");
    }

    #[test]
    fn embedded_provenance_cites_the_published_figures() {
        let rules = Book::embedded().rules;
        for key in [
            "windows.q4",
            "windows.bfcm",
            "short_video_top15.consistency_top",
            "short_video_top15.consistency_amount",
            "affiliate_credits.max_sellers",
            "bfcm_seller_challenge.large_min_avg_daily",
        ] {
            let p = rules.provenance_of(key);
            assert_eq!(
                (p.status, p.source.as_str()),
                (Status::P, "digiday-2025-11-17")
            );
        }
        assert_eq!(rules.provenance_of("windows.q3").status, Status::A);
        assert_eq!(rules.sources["digiday-2025-11-17"].publisher, "Digiday");
    }

    #[test]
    fn negative_amount_is_named() {
        let err = with(
            "{ min = 2000, amount = 250 }",
            "{ min = 2000, amount = -250 }",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("affiliate_credits.tiers[0].amount"),
            "{err}"
        );
    }
}
