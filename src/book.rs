//! The program book: every rule number, window, tier, band and cap, as TOML.

use crate::programs::Sections;
use crate::rules::{invalid, Invalid};
pub use crate::rules::{Band, Bands, Tier, TierTable, MAX_BOOK_NUMBER};
pub use crate::window::Windows;
use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
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

/// A whole book: its head (name, windows, provenance, sources) and the programs' sections.
#[derive(Debug, Clone)]
pub struct Rules {
    pub book: Meta,
    pub windows: Windows,
    /// One section per program, each a type of its program's file (see `programs::register!`).
    pub programs: Sections,
    /// Where each value comes from, by book key (`"windows.q3"`, `"gmv_growth.tiers"`).
    pub provenance: BTreeMap<String, Provenance>,
    /// The sources the provenance cites, by id.
    pub sources: BTreeMap<String, Source>,
}

/// A program reads its section as `rules.<section>`.
impl std::ops::Deref for Rules {
    type Target = Sections;
    fn deref(&self) -> &Sections {
        &self.programs
    }
}

/// The tables of a book that belong to no program.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    book: Meta,
    windows: Windows,
    provenance: BTreeMap<String, Provenance>,
    sources: BTreeMap<String, Source>,
}

impl Head {
    const TABLES: [&'static str; 4] = ["book", "windows", "provenance", "sources"];
}

impl Rules {
    /// Splits the book's tables: the head's by name, every other table a program's section
    /// (an unknown one is refused, naming the sections the programs read).
    fn from_value(value: toml::Value) -> Result<Rules, toml::de::Error> {
        let mut programs = match value {
            toml::Value::Table(t) => t,
            _ => return Err(serde::de::Error::custom("a book is a table of tables")),
        };
        let mut head = toml::Table::new();
        for name in Head::TABLES {
            if let Some(v) = programs.remove(name) {
                head.insert(name.to_string(), v);
            }
        }
        let head: Head = toml::Value::Table(head).try_into()?;
        let programs: Sections = toml::Value::Table(programs).try_into()?;
        Ok(Rules {
            book: head.book,
            windows: head.windows,
            programs,
            provenance: head.provenance,
            sources: head.sources,
        })
    }
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
        let rules = Rules::from_value(value).map_err(|e: toml::de::Error| BookError::Parse {
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

/// Longest stretch the windows may cover together: day-indexed bookkeeping is sized by it.
pub const MAX_WINDOW_SPAN_DAYS: i64 = 731;

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
        // Each program checks its own section.
        self.programs.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use rust_decimal::Decimal;
    use std::str::FromStr;

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
