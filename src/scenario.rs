//! What-if scenarios: a TOML file of GMV adjustments, added rows, dropped partners and
//! program-book overrides, applied to a data directory as it is read.
//!
//! ```toml
//! name = "BFCM +20% for everyone"
//! drop_partners = ["P09"]
//!
//! [[adjust]]            # every matching gmv_daily row is scaled
//! partner = "P01"       # optional: omit for every partner
//! seller = "S0101"      # optional, needs `partner`
//! from = 2025-11-12     # optional, inclusive
//! to = 2025-12-01       # optional, inclusive
//! channels = ["short_video_gmv"]  # optional: omit to scale the whole row
//! factor = "1.2"
//!
//! [[add]]               # rows added to gmv_daily, one per day of the range
//! partner = "P01"
//! seller = "S0199"
//! from = 2025-11-01
//! to = 2025-11-30
//! gmv = "5000.00"
//! # replace = true     # where the data has this date, partner and seller: stand in its
//! # add_to = true      # place, or add to it (a row on an existing key needs one of them)
//!
//! [book.affiliate_credits]  # deep-merged onto the program book
//! max_sellers = 100
//! ```

use crate::input::{Adjust, Channels, DataSet, ExtraRow, GmvRow, OnExisting};
use crate::money::Money;
use crate::window::Periods;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
#[cfg(test)]
use std::str::FromStr;
use thiserror::Error;

/// Factors above this are refused as a likely typo (and to keep every product in range).
/// It also bounds the factors above 1 that scale one row together: every scaled figure
/// stays far inside the range of an amount.
pub const MAX_FACTOR: i64 = 1000;
/// Entries of each kind (`[[adjust]]`, `[[add]]`) a scenario may hold.
pub const MAX_ENTRIES: usize = 1000;
/// Decimal places a factor may have: products of a cell amount stay exact.
pub const MAX_FACTOR_DECIMALS: u32 = 8;
/// Same bound as an input cell.
const MAX_AMOUNT_CENTS: i64 = 100_000_000_000_000;

#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("scenario {source_name}: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("scenario {source_name}: {key}: {message}")]
    Invalid {
        source_name: String,
        key: String,
        message: String,
    },
}

/// A channel column of gmv_daily.csv.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    ShortVideo,
    Live,
    Affiliate,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::ShortVideo, Channel::Live, Channel::Affiliate];

    pub fn column(self) -> &'static str {
        match self {
            Channel::ShortVideo => "short_video_gmv",
            Channel::Live => "live_gmv",
            Channel::Affiliate => "affiliate_gmv",
        }
    }

    fn get(self, c: &Channels) -> Money {
        match self {
            Channel::ShortVideo => c.short_video,
            Channel::Live => c.live,
            Channel::Affiliate => c.affiliate,
        }
    }

    fn set(self, c: &mut Channels, value: Money) {
        match self {
            Channel::ShortVideo => c.short_video = value,
            Channel::Live => c.live = value,
            Channel::Affiliate => c.affiliate = value,
        }
    }
}

/// `amount × factor`, rounded to the cent, halves away from zero.
pub fn scale(amount: Money, factor: Decimal) -> Money {
    Money::new(
        (amount.as_decimal() * factor)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
    )
}

/// Scales the gmv_daily rows it matches.
#[derive(Clone, Debug, PartialEq)]
pub struct Adjustment {
    pub partner: Option<String>,
    pub seller: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// `None`: the whole row (gmv and every channel). Otherwise only these channels, and
    /// gmv moves by their change.
    pub channels: Option<Vec<Channel>>,
    pub factor: Decimal,
}

impl Adjustment {
    pub fn matches(&self, row: &GmvRow) -> bool {
        self.partner.as_ref().is_none_or(|p| *p == row.partner_id)
            && self.seller.as_ref().is_none_or(|s| *s == row.seller_id)
            && self.from.is_none_or(|d| d <= row.date)
            && self.to.is_none_or(|d| row.date <= d)
    }

    /// The row's figures after the adjustment. Each scaled figure is rounded to the cent;
    /// every channel stays at most gmv.
    pub fn apply(&self, c: Channels) -> Channels {
        let f = self.factor;
        match &self.channels {
            None => Channels {
                gmv: scale(c.gmv, f),
                short_video: scale(c.short_video, f),
                live: scale(c.live, f),
                affiliate: scale(c.affiliate, f),
            },
            Some(list) => {
                let mut out = c;
                let mut change = Money::ZERO;
                for ch in list {
                    let new = scale(ch.get(&c), f);
                    change += new - ch.get(&c);
                    ch.set(&mut out, new);
                }
                // Channel sales are part of GMV: gmv moves by their change, and never falls
                // below the largest channel.
                let floor = Channel::ALL
                    .iter()
                    .map(|ch| ch.get(&out))
                    .max()
                    .unwrap_or(Money::ZERO);
                out.gmv = (c.gmv + change).max(floor);
                out
            }
        }
    }

    /// `× 1.2 on every column of gmv_daily, partner P01, 2025-11-12..2025-12-01`.
    pub fn describe(&self) -> String {
        let columns = match &self.channels {
            None => "every column of gmv_daily".to_string(),
            Some(list) => {
                let names: Vec<&str> = list.iter().map(|c| c.column()).collect();
                format!("{} (gmv moves by the change)", names.join(", "))
            }
        };
        let who = match (&self.partner, &self.seller) {
            (None, _) => "every partner".to_string(),
            (Some(p), None) => format!("partner {p}"),
            (Some(p), Some(s)) => format!("partner {p}, seller {s}"),
        };
        let when = match (self.from, self.to) {
            (None, None) => "every date".to_string(),
            (Some(a), Some(b)) => format!("{a}..{b}"),
            (Some(a), None) => format!("from {a}"),
            (None, Some(b)) => format!("up to {b}"),
        };
        format!("× {} on {columns}, {who}, {when}", self.factor.normalize())
    }
}

/// Rows added to gmv_daily: the same figures on every day of `from..=to`.
#[derive(Clone, Debug, PartialEq)]
pub struct Added {
    pub partner: String,
    pub seller: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub channels: Channels,
    /// The partner is new to the data (otherwise an unknown partner is refused).
    pub new_partner: bool,
    /// Where gmv_daily.csv already has a row of the same date, partner and seller.
    pub on_existing: OnExisting,
}

impl Added {
    pub fn describe(&self) -> String {
        let days = if self.from == self.to {
            format!("on {}", self.from)
        } else {
            format!("every day of {}..{}", self.from, self.to)
        };
        let c = &self.channels;
        format!(
            "rows for partner {}{}, seller {} {days}: gmv {}, short_video_gmv {}, live_gmv {}, affiliate_gmv {}",
            self.partner,
            if self.new_partner { " (new)" } else { "" },
            self.seller,
            c.gmv.human(),
            c.short_video.human(),
            c.live.human(),
            c.affiliate.human()
        )
    }
}

/// A book key the scenario overrides: its dotted path, the book's value and the new one.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub key: String,
    pub was: String,
    pub now: String,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub adjustments: Vec<Adjustment>,
    pub added: Vec<Added>,
    pub drop_partners: Vec<String>,
    /// Overrides of the program book, deep-merged onto its TOML.
    pub book: Option<toml::Table>,
    pub sha256: String,
    pub source_name: String,
    /// The first row the adjustments could not scale (their factors above 1 together pass
    /// `MAX_FACTOR`): the run is refused once the file is read.
    overflow: std::sync::OnceLock<String>,
    /// Date ranges of the `replace = true` rows, by partner and seller.
    replacing: BTreeMap<String, BTreeMap<String, Vec<(NaiveDate, NaiveDate)>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    drop_partners: Vec<String>,
    #[serde(default)]
    adjust: Vec<RawAdjust>,
    #[serde(default)]
    add: Vec<RawAdd>,
    book: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdjust {
    partner: Option<String>,
    seller: Option<String>,
    from: Option<toml::Value>,
    to: Option<toml::Value>,
    channels: Option<Vec<String>>,
    factor: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdd {
    partner: String,
    seller: String,
    date: Option<toml::Value>,
    from: Option<toml::Value>,
    to: Option<toml::Value>,
    gmv: toml::Value,
    short_video_gmv: Option<toml::Value>,
    live_gmv: Option<toml::Value>,
    affiliate_gmv: Option<toml::Value>,
    #[serde(default)]
    new_partner: bool,
    #[serde(default)]
    replace: bool,
    #[serde(default)]
    add_to: bool,
}

type Invalid = (String, String);

fn invalid(key: impl Into<String>, message: impl Into<String>) -> Invalid {
    (key.into(), message.into())
}

/// A number as written, read as the program book reads its numbers (`number::decimal`).
fn decimal(key: &str, v: &toml::Value) -> Result<Decimal, Invalid> {
    crate::number::decimal(v).map_err(|message| invalid(key, message))
}

fn factor(key: &str, v: &toml::Value) -> Result<Decimal, Invalid> {
    let f = decimal(key, v)?;
    if f.is_sign_negative() && !f.is_zero() {
        return Err(invalid(key, format!("{f} is negative")));
    }
    if f > Decimal::from(MAX_FACTOR) {
        return Err(invalid(
            key,
            format!("{f} is above the largest factor {MAX_FACTOR}"),
        ));
    }
    if f.normalize().scale() > MAX_FACTOR_DECIMALS {
        return Err(invalid(
            key,
            format!("{f} has more than {MAX_FACTOR_DECIMALS} decimal places"),
        ));
    }
    Ok(f.normalize())
}

fn amount(key: &str, v: &toml::Value) -> Result<Money, Invalid> {
    let d = decimal(key, v)?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(invalid(key, format!("{d} is negative")));
    }
    if d.normalize().scale() > 2 {
        return Err(invalid(key, format!("{d} has more than 2 decimals")));
    }
    if d >= Decimal::new(MAX_AMOUNT_CENTS, 2) {
        return Err(invalid(key, format!("{d} is out of range")));
    }
    Ok(Money::new(d.round_dp(2)))
}

fn date(key: &str, v: &toml::Value) -> Result<NaiveDate, Invalid> {
    let parsed = match v {
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            dt.date.and_then(|d| {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            })
        }
        toml::Value::String(s) => crate::input::reader::parse_date(s.trim()),
        _ => None,
    };
    parsed.ok_or_else(|| invalid(key, format!("{v} is not a date (YYYY-MM-DD)")))
}

fn range(
    key: &str,
    from: Option<&toml::Value>,
    to: Option<&toml::Value>,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), Invalid> {
    let from = from.map(|v| date(&format!("{key}.from"), v)).transpose()?;
    let to = to.map(|v| date(&format!("{key}.to"), v)).transpose()?;
    if let (Some(a), Some(b)) = (from, to) {
        if b < a {
            return Err(invalid(
                format!("{key}.to"),
                format!("{b} precedes from {a}"),
            ));
        }
    }
    Ok((from, to))
}

fn id(key: &str, s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Err(invalid(key, "is empty"));
    }
    Ok(t.to_string())
}

impl RawAdjust {
    fn check(self, key: &str) -> Result<Adjustment, Invalid> {
        let factor = factor(&format!("{key}.factor"), &self.factor)?;
        let partner = self
            .partner
            .map(|p| id(&format!("{key}.partner"), &p))
            .transpose()?;
        let seller = self
            .seller
            .map(|s| id(&format!("{key}.seller"), &s))
            .transpose()?;
        if seller.is_some() && partner.is_none() {
            return Err(invalid(
                format!("{key}.seller"),
                "needs `partner` too (seller ids belong to a partner)",
            ));
        }
        let (from, to) = range(key, self.from.as_ref(), self.to.as_ref())?;
        let channels = match self.channels {
            None => None,
            Some(names) => {
                let k = format!("{key}.channels");
                if names.is_empty() {
                    return Err(invalid(k, "is empty; leave it out to scale the whole row"));
                }
                let mut list = Vec::new();
                for name in &names {
                    let Some(ch) = Channel::ALL.iter().find(|c| c.column() == name.trim()) else {
                        let hint = if name.trim() == "gmv" {
                            "; leave `channels` out to scale the whole row"
                        } else {
                            ""
                        };
                        return Err(invalid(
                            k,
                            format!(
                                "{name:?} is not a channel (short_video_gmv, live_gmv, affiliate_gmv){hint}"
                            ),
                        ));
                    };
                    if list.contains(ch) {
                        return Err(invalid(k, format!("{name:?} is listed twice")));
                    }
                    list.push(*ch);
                }
                Some(list)
            }
        };
        Ok(Adjustment {
            partner,
            seller,
            from,
            to,
            channels,
            factor,
        })
    }
}

impl RawAdd {
    fn check(self, key: &str) -> Result<Added, Invalid> {
        let partner = id(&format!("{key}.partner"), &self.partner)?;
        let seller = id(&format!("{key}.seller"), &self.seller)?;
        let (from, to) = match (&self.date, &self.from, &self.to) {
            (Some(d), None, None) => {
                let d = date(&format!("{key}.date"), d)?;
                (d, d)
            }
            (None, Some(_), Some(_)) => {
                let (a, b) = range(key, self.from.as_ref(), self.to.as_ref())?;
                (a.expect("given"), b.expect("given"))
            }
            _ => {
                return Err(invalid(
                    key.to_string(),
                    "needs either `date` or both `from` and `to`",
                ))
            }
        };
        let gmv = amount(&format!("{key}.gmv"), &self.gmv)?;
        let mut channels = Channels {
            gmv,
            ..Channels::default()
        };
        for (ch, v) in [
            (Channel::ShortVideo, &self.short_video_gmv),
            (Channel::Live, &self.live_gmv),
            (Channel::Affiliate, &self.affiliate_gmv),
        ] {
            let k = format!("{key}.{}", ch.column());
            let value = v
                .as_ref()
                .map(|v| amount(&k, v))
                .transpose()?
                .unwrap_or(Money::ZERO);
            if value > gmv {
                return Err(invalid(
                    k,
                    format!("{} is above gmv {}", value.human(), gmv.human()),
                ));
            }
            ch.set(&mut channels, value);
        }
        let on_existing = match (self.replace, self.add_to) {
            (false, false) => OnExisting::Refuse,
            (true, false) => OnExisting::Replace,
            (false, true) => OnExisting::AddTo,
            (true, true) => {
                return Err(invalid(
                    format!("{key}.replace"),
                    "and `add_to` are both set; say which one is meant",
                ))
            }
        };
        Ok(Added {
            partner,
            seller,
            from,
            to,
            channels,
            new_partner: self.new_partner,
            on_existing,
        })
    }
}

impl Scenario {
    pub fn from_toml(text: &str, source_name: &str) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let err = |(key, message): Invalid| ScenarioError::Invalid {
            source_name: source_name.to_string(),
            key,
            message,
        };
        for (kind, n) in [("adjust", raw.adjust.len()), ("add", raw.add.len())] {
            if n > MAX_ENTRIES {
                return Err(err(invalid(
                    kind,
                    format!("{n} entries; at most {MAX_ENTRIES} are read"),
                )));
            }
        }
        let adjustments = raw
            .adjust
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.check(&format!("adjust[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let added = raw
            .add
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.check(&format!("add[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let mut drop_partners = Vec::new();
        for (i, p) in raw.drop_partners.iter().enumerate() {
            let p = id(&format!("drop_partners[{i}]"), p).map_err(err)?;
            if !drop_partners.contains(&p) {
                drop_partners.push(p);
            }
        }
        let stem = std::path::Path::new(source_name).file_stem().map_or_else(
            || source_name.to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        Ok(Scenario {
            name: raw.name.unwrap_or(stem),
            description: raw.description,
            adjustments,
            drop_partners,
            book: raw.book.filter(|t| !t.is_empty()),
            sha256: crate::book::sha256_hex(text.as_bytes()),
            source_name: source_name.to_string(),
            overflow: std::sync::OnceLock::new(),
            replacing: {
                let mut map: BTreeMap<String, BTreeMap<String, Vec<_>>> = BTreeMap::new();
                for a in added
                    .iter()
                    .filter(|a| a.on_existing == OnExisting::Replace)
                {
                    map.entry(a.partner.clone())
                        .or_default()
                        .entry(a.seller.clone())
                        .or_default()
                        .push((a.from, a.to));
                }
                map
            },
            added,
        })
    }

    fn invalid(&self, (key, message): Invalid) -> ScenarioError {
        ScenarioError::Invalid {
            source_name: self.source_name.clone(),
            key,
            message,
        }
    }

    /// Every partner (and seller) the scenario names must be one of the baseline run, so
    /// that a typo never silently changes nothing.
    pub fn check_partners(&self, data: &DataSet) -> Result<(), ScenarioError> {
        let unknown = |key: String, p: &str| {
            let known: Vec<&str> = data.partners.keys().map(String::as_str).take(20).collect();
            let more = if data.partners.len() > known.len() {
                ", …"
            } else {
                ""
            };
            invalid(
                key,
                format!(
                    "{p:?} is not a partner of this run (partners: {}{more})",
                    known.join(", ")
                ),
            )
        };
        for (i, a) in self.adjustments.iter().enumerate() {
            let Some(p) = &a.partner else { continue };
            let Some(partner) = data.partners.get(p) else {
                return Err(self.invalid(unknown(format!("adjust[{i}].partner"), p)));
            };
            if let Some(s) = &a.seller {
                if !partner.sellers.contains_key(s) {
                    return Err(self.invalid(invalid(
                        format!("adjust[{i}].seller"),
                        format!("{s:?} is not a seller of partner {p} in gmv_daily.csv"),
                    )));
                }
            }
        }
        for (i, a) in self.added.iter().enumerate() {
            match (data.partners.contains_key(&a.partner), a.new_partner) {
                (false, false) => {
                    return Err(self.invalid(unknown(format!("add[{i}].partner"), &a.partner)));
                }
                (true, true) => {
                    return Err(self.invalid(invalid(
                        format!("add[{i}].new_partner"),
                        format!("{:?} is already a partner of this run", a.partner),
                    )));
                }
                _ => {}
            }
        }
        for (i, p) in self.drop_partners.iter().enumerate() {
            if !data.partners.contains_key(p) {
                return Err(self.invalid(unknown(format!("drop_partners[{i}]"), p)));
            }
        }
        Ok(())
    }

    /// The program book's TOML with the scenario's `[book]` table deep-merged onto it, and
    /// the keys it changed. Tables merge key by key; any other value (arrays of tiers
    /// included) is replaced whole. A key the book does not have is refused.
    pub fn merge_book(
        &self,
        mut base: toml::Value,
    ) -> Result<(toml::Value, Vec<Override>), ScenarioError> {
        let mut changes = Vec::new();
        if let (Some(over), toml::Value::Table(table)) = (&self.book, &mut base) {
            merge(table, over, "", &mut changes).map_err(|e| self.invalid(e))?;
        }
        Ok((base, changes))
    }

    /// One line per change the scenario makes, for reports.
    pub fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .adjustments
            .iter()
            .enumerate()
            .map(|(i, a)| format!("adjust[{i}]: {}", a.describe()))
            .collect();
        out.extend(
            self.added
                .iter()
                .enumerate()
                .map(|(i, a)| format!("add[{i}]: {}", a.describe())),
        );
        if !self.drop_partners.is_empty() {
            out.push(format!("drop partners: {}", self.drop_partners.join(", ")));
        }
        out
    }
}

fn merge(
    base: &mut toml::Table,
    over: &toml::Table,
    path: &str,
    changes: &mut Vec<Override>,
) -> Result<(), Invalid> {
    for (k, v) in over {
        let key = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        let named = format!("book.{key}");
        match (base.get_mut(k), v) {
            (None, _) => return Err(invalid(named, "no such key in the program book")),
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o, &key, changes)?,
            (Some(toml::Value::Table(_)), _) => {
                return Err(invalid(
                    named,
                    "is a table in the program book; override its keys",
                ))
            }
            (Some(_), toml::Value::Table(_)) => {
                return Err(invalid(named, "is not a table in the program book"))
            }
            (Some(slot), v) => {
                // A TOML date where the book writes a date string keeps the book's form.
                let v = match (&*slot, v) {
                    (toml::Value::String(_), toml::Value::Datetime(d)) => {
                        toml::Value::String(d.to_string())
                    }
                    _ => v.clone(),
                };
                if *slot != v {
                    changes.push(Override {
                        key,
                        was: slot.to_string(),
                        now: v.to_string(),
                    });
                }
                *slot = v;
            }
        }
    }
    Ok(())
}

impl Adjust for Scenario {
    fn gmv_row(&self, mut row: GmvRow) -> Option<GmvRow> {
        // An added row that replaces this one stands in its place.
        let replaced = self
            .replacing
            .get(&row.partner_id)
            .and_then(|sellers| sellers.get(&row.seller_id))
            .is_some_and(|ranges| ranges.iter().any(|(a, b)| (a..=b).contains(&&row.date)));
        if replaced {
            return None;
        }
        let max = Decimal::from(MAX_FACTOR);
        let mut combined = Decimal::ONE;
        for (i, a) in self.adjustments.iter().enumerate() {
            if !a.matches(&row) {
                continue;
            }
            if a.factor > Decimal::ONE {
                // Each factor is at most MAX_FACTOR, so the product before the check stays
                // at most MAX_FACTOR² and never overflows.
                combined = combined.checked_mul(a.factor).unwrap_or(Decimal::MAX);
                if combined > max {
                    // Named only now, and only the factors that count towards the bound.
                    let applied: Vec<String> = self.adjustments[..=i]
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.matches(&row) && a.factor > Decimal::ONE)
                        .map(|(j, _)| format!("adjust[{j}]"))
                        .collect();
                    let _ = self.overflow.set(format!(
                        "{} together scale the row of {}, partner {}, seller {} by more than \
                         {MAX_FACTOR} (factors above 1 multiply to {}); at most {MAX_FACTOR} in all",
                        applied.join(", "),
                        row.date,
                        row.partner_id,
                        row.seller_id,
                        combined.normalize()
                    ));
                    return None;
                }
            }
            row.channels = a.apply(row.channels);
        }
        Some(row)
    }

    fn extra_gmv_rows(&self, periods: &Periods) -> Result<Vec<ExtraRow>, String> {
        let span = periods.span;
        for (i, a) in self.added.iter().enumerate() {
            for (key, d) in [("from", a.from), ("to", a.to)] {
                if !span.contains(d) {
                    return Err(format!(
                        "scenario {}: add[{i}].{key}: {d} is outside the book's windows \
                         {}..{}; added rows must fall inside them",
                        self.source_name, span.start, span.end
                    ));
                }
            }
        }
        let mut rows = Vec::new();
        for (i, a) in self.added.iter().enumerate() {
            for d in a.from.iter_days().take_while(|d| *d <= a.to) {
                rows.push(ExtraRow {
                    row: GmvRow {
                        date: d,
                        partner_id: a.partner.clone(),
                        seller_id: a.seller.clone(),
                        channels: a.channels,
                    },
                    entry: format!("scenario {}: add[{i}]", self.source_name),
                    on_existing: a.on_existing,
                });
            }
        }
        Ok(rows)
    }

    fn finish(&self, data: &mut DataSet) -> Result<(), String> {
        if let Some(message) = self.overflow.get() {
            return Err(format!("scenario {}: {message}", self.source_name));
        }
        for p in &self.drop_partners {
            data.partners.remove(p);
        }
        Ok(())
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "book.{} = {} (was {})", self.key, self.now, self.was)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        Money::new(Decimal::from_str(s).unwrap())
    }

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml(text, "test.toml")
    }

    fn row(gmv: &str, sv: &str, live: &str, aff: &str) -> Channels {
        Channels {
            gmv: m(gmv),
            short_video: m(sv),
            live: m(live),
            affiliate: m(aff),
        }
    }

    #[test]
    fn factors_are_exact_decimals() {
        let s =
            parse("[[adjust]]\nfactor = 1.2\n[[adjust]]\nfactor = \"0.1\"\n[[adjust]]\nfactor = 2")
                .unwrap();
        let f: Vec<String> = s.adjustments.iter().map(|a| a.factor.to_string()).collect();
        assert_eq!(f, ["1.2", "0.1", "2"]);
    }

    #[test]
    fn bad_factors_are_named() {
        for (factor, expect) in [
            ("-1", "adjust[0].factor: -1 is negative"),
            ("nan", "adjust[0].factor: NaN is not a number"),
            ("inf", "adjust[0].factor: inf is not a number"),
            (
                "\"1e3\"",
                "adjust[0].factor: \"1e3\" is not a decimal number",
            ),
            (
                "\"abc\"",
                "adjust[0].factor: \"abc\" is not a decimal number",
            ),
            (
                "1001",
                "adjust[0].factor: 1001 is above the largest factor 1000",
            ),
            ("\"1.000000001\"", "more than 8 decimal places"),
        ] {
            let err = parse(&format!("[[adjust]]\nfactor = {factor}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expect), "{factor}: {err}");
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = parse("[[adjust]]\nfactr = 2").unwrap_err().to_string();
        assert!(err.contains("factr"), "{err}");
        let err = parse("scale = 2").unwrap_err().to_string();
        assert!(err.contains("scale"), "{err}");
        let err = parse("[[adjust]]\nfactor = 2\nchannels = [\"video\"]")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("adjust[0].channels: \"video\" is not a channel"),
            "{err}"
        );
    }

    #[test]
    fn seller_needs_partner_and_ranges_are_ordered() {
        let err = parse("[[adjust]]\nfactor = 2\nseller = \"S1\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("adjust[0].seller: needs `partner`"), "{err}");
        let err = parse("[[adjust]]\nfactor = 2\nfrom = 2025-11-02\nto = 2025-11-01")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("adjust[0].to: 2025-11-01 precedes from 2025-11-02"),
            "{err}"
        );
    }

    #[test]
    fn whole_row_scaling_rounds_half_up() {
        let a = Adjustment {
            partner: None,
            seller: None,
            from: None,
            to: None,
            channels: None,
            factor: Decimal::from_str("1.5").unwrap(),
        };
        // 0.05 × 1.5 = 0.075 → 0.08; 0.03 × 1.5 = 0.045 → 0.05 (half away from zero).
        let out = a.apply(row("100.05", "0.05", "0.03", "0.00"));
        assert_eq!(out, row("150.08", "0.08", "0.05", "0.00"));
    }

    #[test]
    fn channel_scaling_moves_gmv_by_the_change() {
        let a = Adjustment {
            partner: Some("P1".into()),
            seller: None,
            from: None,
            to: None,
            channels: Some(vec![Channel::ShortVideo]),
            factor: Decimal::from(2),
        };
        assert_eq!(
            a.apply(row("100", "60", "10", "80")),
            row("160", "120", "10", "80")
        );
        let zero = Adjustment {
            factor: Decimal::ZERO,
            ..a.clone()
        };
        // Dropping 60 of short video leaves 40 of gmv, but affiliate still sold 80.
        assert_eq!(
            zero.apply(row("100", "60", "10", "80")),
            row("80", "0", "10", "80")
        );
    }

    #[test]
    fn matching_by_partner_seller_and_inclusive_dates() {
        let s = parse(
            "[[adjust]]\npartner = \"P1\"\nseller = \"S1\"\nfrom = \"2025-10-01\"\nto = 2025-10-31\nfactor = 2",
        )
        .unwrap();
        let a = &s.adjustments[0];
        let r = |d: &str, p: &str, sl: &str| GmvRow {
            date: d.parse().unwrap(),
            partner_id: p.into(),
            seller_id: sl.into(),
            channels: Channels::default(),
        };
        assert!(a.matches(&r("2025-10-01", "P1", "S1")));
        assert!(a.matches(&r("2025-10-31", "P1", "S1")));
        assert!(!a.matches(&r("2025-11-01", "P1", "S1")));
        assert!(!a.matches(&r("2025-10-05", "P1", "S2")));
        assert!(!a.matches(&r("2025-10-05", "P2", "S1")));
    }

    #[test]
    fn adjustments_compose_in_order() {
        let s = parse("[[adjust]]\nfactor = 2\n[[adjust]]\npartner = \"P1\"\nfactor = \"0.5\"")
            .unwrap();
        let r = GmvRow {
            date: "2025-10-01".parse().unwrap(),
            partner_id: "P1".into(),
            seller_id: "S1".into(),
            channels: row("10.01", "0", "0", "0"),
        };
        // 10.01 × 2 = 20.02, × 0.5 = 10.01.
        assert_eq!(s.gmv_row(r).unwrap().channels.gmv, m("10.01"));
    }

    #[test]
    fn added_rows_cover_the_range() {
        let s = parse(
            "[[add]]\npartner = \"P1\"\nseller = \"S9\"\nfrom = 2025-11-01\nto = 2025-11-03\ngmv = \"1,000\"",
        );
        assert!(s
            .unwrap_err()
            .to_string()
            .contains("add[0].gmv: \"1,000\" is not a decimal number"));
        let s = parse(
            "[[add]]\npartner = \"P1\"\nseller = \"S9\"\nfrom = 2025-11-01\nto = 2025-11-03\ngmv = 1000\nshort_video_gmv = \"250.50\"",
        )
        .unwrap();
        let book = crate::book::Book::embedded();
        let periods = Periods::new(&book.rules.windows, book.rules.windows.program.end);
        let rows = s.extra_gmv_rows(&periods).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].row.date.to_string(), "2025-11-03");
        assert_eq!(rows[0].row.channels, row("1000", "250.50", "0", "0"));
        assert_eq!(rows[0].on_existing, OnExisting::Refuse);
        // A range reaching outside the book's windows is refused before any row is made.
        let s = parse(
            "[[add]]\npartner = \"P1\"\nseller = \"S9\"\nfrom = 0001-01-01\nto = 9999-12-31\ngmv = 1",
        )
        .unwrap();
        let err = s.extra_gmv_rows(&periods).unwrap_err();
        assert!(
            err.contains(
                "add[0].from: 0001-01-01 is outside the book's windows 2025-07-01..2025-12-31"
            ),
            "{err}"
        );
        let err = parse(
            "[[add]]\npartner = \"P1\"\nseller = \"S9\"\ndate = 2025-10-01\ngmv = 1\nreplace = true\nadd_to = true",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("add[0].replace: and `add_to` are both set"),
            "{err}"
        );
        let err = parse("[[add]]\npartner = \"P1\"\nseller = \"S9\"\ndate = 2025-11-01\ngmv = 10\nlive_gmv = 11")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("add[0].live_gmv: 11.00 is above gmv 10.00"),
            "{err}"
        );
        let err = parse("[[add]]\npartner = \"P1\"\nseller = \"S9\"\ngmv = 10")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("add[0]: needs either `date` or both `from` and `to`"),
            "{err}"
        );
    }

    #[test]
    fn book_overrides_merge_and_name_unknown_keys() {
        let base: toml::Value = toml::from_str(crate::book::EMBEDDED).unwrap();
        let s = parse(
            "[book.affiliate_credits]\nmax_sellers = 100\n[book.windows.bfcm]\nend = 2025-12-02",
        )
        .unwrap();
        let (merged, changes) = s.merge_book(base.clone()).unwrap();
        assert_eq!(
            merged["affiliate_credits"]["max_sellers"].as_integer(),
            Some(100)
        );
        assert_eq!(
            merged["windows"]["bfcm"]["end"].as_str(),
            Some("2025-12-02")
        );
        assert_eq!(
            changes[0].to_string(),
            "book.affiliate_credits.max_sellers = 100 (was 70)"
        );
        let book = crate::book::Book::from_value(merged, "x", "test").unwrap();
        assert_eq!(book.rules.affiliate_credits.max_sellers, 100);
        assert_eq!(book.rules.windows.bfcm.days(), 21);

        let s = parse("[book.affiliate_credits]\nmax_sellerz = 100").unwrap();
        let err = s.merge_book(base.clone()).unwrap_err().to_string();
        assert!(
            err.contains("book.affiliate_credits.max_sellerz: no such key"),
            "{err}"
        );
        let s = parse("[book]\ngmv_growth = 5").unwrap();
        let err = s.merge_book(base).unwrap_err().to_string();
        assert!(err.contains("book.gmv_growth: is a table"), "{err}");
    }

    #[test]
    fn book_overrides_may_restate_provenance_and_the_merged_book_is_checked() {
        let base: toml::Value = toml::from_str(crate::book::EMBEDDED).unwrap();
        // A budget scenario that raises a published cap says the new figure is assumed.
        let s = parse(
            "[book.affiliate_credits]\nmax_sellers = 100\n\
             [book.provenance.\"affiliate_credits.max_sellers\"]\nstatus = \"A\"\nsource = \"this-book\"",
        )
        .unwrap();
        let (merged, _) = s.merge_book(base.clone()).unwrap();
        let book = crate::book::Book::from_value(merged, "x", "test").unwrap();
        assert_eq!(
            book.rules
                .provenance_of("affiliate_credits.max_sellers")
                .status,
            crate::book::Status::A
        );
        let s = parse("[book.provenance.\"affiliate_credits.max_sellers\"]\nsource = \"a-blog\"")
            .unwrap();
        let (merged, _) = s.merge_book(base).unwrap();
        let err = crate::book::Book::from_value(merged, "x", "scenario.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("provenance.\"affiliate_credits.max_sellers\".source"),
            "{err}"
        );
    }

    proptest! {
        /// Whatever the factor and columns, a scaled row keeps the data contract: no figure
        /// negative, every channel at most gmv, every figure on whole cents.
        #[test]
        fn scaled_rows_keep_the_contract(
            gmv in 0i64..10_000_000,
            parts in proptest::collection::vec(0u32..=100, 3),
            factor_milli in 0i64..5_000,
            which in proptest::option::of(proptest::sample::subsequence(Channel::ALL.to_vec(), 1..=3)),
        ) {
            let c = Channels {
                gmv: Money::from_cents(gmv),
                short_video: Money::from_cents(gmv * i64::from(parts[0]) / 100),
                live: Money::from_cents(gmv * i64::from(parts[1]) / 100),
                affiliate: Money::from_cents(gmv * i64::from(parts[2]) / 100),
            };
            let a = Adjustment {
                partner: None,
                seller: None,
                from: None,
                to: None,
                channels: which,
                factor: Decimal::new(factor_milli, 3),
            };
            let out = a.apply(c);
            for ch in Channel::ALL {
                prop_assert!(ch.get(&out) <= out.gmv);
                prop_assert!(!ch.get(&out).as_decimal().is_sign_negative());
                prop_assert!(ch.get(&out).as_decimal().scale() <= 2);
            }
            prop_assert!(out.gmv.as_decimal().scale() <= 2);
        }
    }
}
