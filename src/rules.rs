//! The values a program book is made of, shared by every program's book section: tier
//! tables, rank bands and numbers, how they are read and checked, and the keys that name
//! them in the book and in explanations.

use crate::money::{human_decimal, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use std::fmt;

/// A value's key in the book: `section.field`, as refusals and explanations name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookKey {
    pub section: &'static str,
    pub field: &'static str,
}

impl BookKey {
    /// `book gmv_growth.tiers`: a step's source.
    pub fn cite(self) -> String {
        format!("book {self}")
    }

    /// `gmv_growth.tiers[3]`: an entry of a list.
    pub fn at(self, i: usize) -> String {
        format!("{self}[{i}]")
    }
}

impl fmt::Display for BookKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.section, self.field)
    }
}

/// The name of field `$field` of the book section type `$section`, checked by the compiler:
/// a renamed field cannot leave a stale key behind in a citation or a refusal.
#[macro_export]
macro_rules! field {
    ($section:ty, $field:ident) => {{
        let _named = |s: &$section| {
            let _ = &s.$field;
        };
        stringify!($field)
    }};
}

/// The key of a `[windows]` entry, e.g. `windows.q3`.
#[macro_export]
macro_rules! window_key {
    ($field:ident) => {
        $crate::rules::BookKey {
            section: "windows",
            field: $crate::field!($crate::window::Windows, $field),
        }
    };
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

/// A book number, read as a scenario's numbers are (`number::decimal`).
pub fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    crate::number::decimal(&toml::Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

pub fn de_money<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
    de_decimal(d).map(Money::new)
}

/// Largest number a book may hold (a threshold or an amount): far above any real rule, and
/// low enough that no sum or cross-multiplication of the programs can overflow.
pub const MAX_BOOK_NUMBER: i64 = 1_000_000_000_000;

/// A refusal: the book key and why.
pub type Invalid = (String, String);

pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Invalid {
    (key.into(), message.into())
}

/// A book number: not negative, and at most `MAX_BOOK_NUMBER`.
pub fn check_non_negative(key: impl fmt::Display, value: Decimal) -> Result<(), Invalid> {
    let key = key.to_string();
    let key = key.as_str();
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

pub fn check_amount(key: impl fmt::Display, amount: Money) -> Result<(), Invalid> {
    let key = key.to_string();
    let key = key.as_str();
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
pub fn check_at_least_one(key: impl fmt::Display, value: usize) -> Result<(), Invalid> {
    let key = key.to_string();
    let key = key.as_str();
    if value == 0 {
        return Err(invalid(key, "must be at least 1"));
    }
    Ok(())
}

pub fn check_tiers(key: impl fmt::Display, tiers: &TierTable) -> Result<(), Invalid> {
    let key = key.to_string();
    let key = key.as_str();
    if tiers.0.is_empty() {
        return Err(invalid(key, "has no tier: a rule that can never pay"));
    }
    let mut previous: Option<Decimal> = None;
    for (i, tier) in tiers.0.iter().enumerate() {
        check_non_negative(format!("{key}[{i}].min"), tier.min)?;
        check_amount(format!("{key}[{i}].amount"), tier.amount)?;
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

pub fn check_bands(key: impl fmt::Display, bands: &Bands) -> Result<(), Invalid> {
    let key = key.to_string();
    let key = key.as_str();
    if bands.0.is_empty() {
        return Err(invalid(
            key,
            "has no band: a leaderboard that can never pay",
        ));
    }
    let mut previous_to = 0;
    for (i, band) in bands.0.iter().enumerate() {
        check_amount(format!("{key}[{i}].amount"), band.amount)?;
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
